//! The per-uid storage of one subnet (docs/ruleset.md §0.6, §8.4, §9.4, §4.4) as one struct,
//! [`Neurons`], with the operations on a uid: **append** and **replace** of §8.4, the clearing of
//! `remove` (§9.4) and the write-back of an epoch's outputs (§4.4).
//!
//! Invariants: `keys`, `weights`, `bonds` and every column have length `n` (the subnet's
//! `SubnetworkN`); `uids` is the inverse of `keys`. `block_at_registration` survives `remove`,
//! so it may be longer than `n` on a re-created netuid.
//!
//! The columns (per-uid values written by the epoch or by registration, exported to the
//! metagraph) are declared once, as rows of [`columns!`]. `Neurons` is encoded as its fields in
//! declaration order, spliced into the `Subnet` record (`crate::state`): never reorder them.

use crate::state::AccountId;
use crate::yuma::{BondsRow, EpochOutput};
use serde::de::{Deserialize, Error, Expected, SeqAccess};
use serde::ser::SerializeStruct;
use std::collections::BTreeMap;

/// `v[i] = x`, growing `v` with defaults if it is shorter (a vector that survives `remove`, like
/// `BlockAtRegistration`, may already be longer than n).
fn set_at<T: Clone + Default>(v: &mut Vec<T>, i: usize, x: T) {
    if i < v.len() {
        v[i] = x;
    } else {
        v.resize(i, T::default());
        v.push(x);
    }
}

/// Push `x` as entry `i` of a per-uid vector of length n = i (kept at length n + 1 even if it
/// were not of length n).
fn push_at<T: Clone + Default>(v: &mut Vec<T>, i: usize, x: T) {
    v.resize(i, T::default());
    v.push(x);
}

/// The next element of a struct encoded as a sequence; `at` counts the elements read.
pub(crate) fn next_field<'de, A: SeqAccess<'de>, T: Deserialize<'de>>(
    seq: &mut A,
    at: &mut usize,
    expected: &dyn Expected,
) -> Result<T, A::Error> {
    let v = seq
        .next_element()?
        .ok_or_else(|| A::Error::invalid_length(*at, expected))?;
    *at += 1;
    Ok(v)
}

/// A column as the metagraph exports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column<'a> {
    Bool(&'a [bool]),
    U16(&'a [u16]),
    U64(&'a [u64]),
}

/// Something stored per uid whose value is a plain column.
trait ColumnType: Copy {
    fn column(v: &[Self]) -> Column<'_>;
}

impl ColumnType for bool {
    fn column(v: &[bool]) -> Column<'_> {
        Column::Bool(v)
    }
}

impl ColumnType for u16 {
    fn column(v: &[u16]) -> Column<'_> {
        Column::U16(v)
    }
}

impl ColumnType for u64 {
    fn column(v: &[u64]) -> Column<'_> {
        Column::U64(v)
    }
}

/// `name: type = value on append (with the block bound to the given name), "metagraph name"
/// [, epoch]` rows; `epoch` marks a column the subnet epoch writes (an `EpochOutput` field of the
/// same name).
macro_rules! columns {
    (
        $(#[$meta:meta])*
        pub struct $S:ident {
            $( $(#[$fmeta:meta])* pub $f:ident : $t:ty, )*
            ;
            append($block:ident);
            $( $c:ident : $ct:ty = $init:expr, $py:literal $(, $epoch:ident)? ; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct $S {
            $( $(#[$fmeta])* pub $f: $t, )*
            $( pub $c: Vec<$ct>, )*
        }

        impl $S {
            /// Number of encoded fields.
            pub const FIELDS: usize = [$(stringify!($f),)* $(stringify!($c),)*].len();

            /// The column rows, in field order, as (metagraph name, values).
            pub fn columns(&self) -> [(&'static str, Column<'_>); [$($py,)*].len()] {
                [$( ($py, ColumnType::column(&self.$c)), )*]
            }

            /// Every column grows by its append value (entry `i`, length `i + 1`).
            fn push_columns(&mut self, i: usize, $block: u64) {
                $( push_at(&mut self.$c, i, $init); )*
            }

            /// Every column is emptied.
            fn clear_columns(&mut self) {
                $( self.$c.clear(); )*
            }

            /// The epoch's columns move from its output.
            fn take_epoch_columns(&mut self, out: &mut EpochOutput) {
                $( $( let _ = stringify!($epoch); self.$c = std::mem::take(&mut out.$c); )? )*
            }

            /// Encodes the fields in order, as part of the enclosing struct.
            pub fn serialize_fields<S: SerializeStruct>(&self, s: &mut S) -> Result<(), S::Error> {
                $( s.serialize_field(stringify!($f), &self.$f)?; )*
                $( s.serialize_field(stringify!($c), &self.$c)?; )*
                Ok(())
            }

            /// Decodes the fields in order from the enclosing struct's sequence; `at` counts the
            /// elements read so far (for the length error).
            pub fn deserialize_fields<'de, A: SeqAccess<'de>>(
                seq: &mut A,
                at: &mut usize,
                expected: &dyn Expected,
            ) -> Result<Self, A::Error> {
                Ok($S {
                    $( $f: next_field(seq, at, expected)?, )*
                    $( $c: next_field(seq, at, expected)?, )*
                })
            }
        }
    };
}

columns! {
    /// The neurons of one subnet, indexed by uid.
    pub struct Neurons {
        /// `Keys`: the hotkey of each uid.
        pub keys: Vec<AccountId>,
        /// `Uids`: hotkey → uid.
        pub uids: BTreeMap<AccountId, u16>,
        /// Not cleared by `remove` (docs/ruleset.md §9.4); may be longer than `n` on a
        /// re-created netuid.
        pub block_at_registration: Vec<u64>,
        /// Sparse rows `(uid, weight)`, ascending uid.
        pub weights: Vec<Vec<(u16, u16)>>,
        pub bonds: Vec<Vec<(u16, u16)>>,
        ;
        append(block);
        active: bool = true, "active", epoch;
        rank: u16 = 0, "ranks", epoch;
        trust: u16 = 0, "trust", epoch;
        consensus: u16 = 0, "consensus", epoch;
        incentive: u16 = 0, "incentive", epoch;
        dividends: u16 = 0, "dividends", epoch;
        emission: u64 = 0, "emission", epoch;
        last_update: u64 = block, "last_update";
        pruning_scores: u16 = 0, "pruning_scores", epoch;
        validator_trust: u16 = 0, "validator_trust", epoch;
        validator_permit: bool = false, "validator_permit", epoch;
    }
}

impl Neurons {
    /// **append** of §8.4: `hotkey` gets uid = n (= `uid`), every per-uid vector grows by one.
    pub fn append(&mut self, uid: u16, hotkey: &AccountId, block: u64) {
        let i = uid as usize;
        self.push_columns(i, block);
        // Weights and bonds rows are not written by registration; a new uid starts with none
        // (`remove` cleared any old rows), and every row index < n must exist for the epoch.
        if self.weights.len() <= i {
            self.weights.resize(i + 1, Vec::new());
        }
        if self.bonds.len() <= i {
            self.bonds.resize(i + 1, Vec::new());
        }
        push_at(&mut self.keys, i, *hotkey);
        self.uids.insert(*hotkey, uid);
        set_at(&mut self.block_at_registration, i, block);
    }

    /// **replace** of §8.4: `hotkey` takes `uid` from `old`. Keeps the uid's weights and bonds
    /// rows, `LastUpdate`, `ValidatorPermit`, `Rank`…`Emission`, `PruningScores` (reference
    /// quirks).
    pub fn replace(&mut self, uid: u16, old: &AccountId, hotkey: &AccountId, block: u64) {
        let i = uid as usize;
        self.uids.remove(old);
        set_at(&mut self.active, i, true);
        set_at(&mut self.keys, i, *hotkey);
        self.uids.insert(*hotkey, uid);
        set_at(&mut self.block_at_registration, i, block);
    }

    /// The pruning score of a uid chosen by `neuron_to_prune` (§8.4).
    pub fn set_pruning_score(&mut self, uid: u16, score: u16) {
        set_at(&mut self.pruning_scores, uid as usize, score);
    }

    /// The deletions of `remove` (§9.4): everything but `BlockAtRegistration`.
    pub fn clear(&mut self) {
        self.uids.clear();
        self.keys.clear();
        self.bonds.clear();
        self.weights.clear();
        self.clear_columns();
    }

    /// Writes an epoch's outputs (§4.4): the bonds rows and the columns it computes, taken
    /// from `out` (its `server` / `validator` emissions stay).
    pub fn store_epoch(&mut self, out: &mut EpochOutput) {
        for (i, row) in std::mem::take(&mut out.bonds).into_iter().enumerate() {
            match row {
                BondsRow::Replace(r) => self.bonds[i] = r,
                BondsRow::Clear => self.bonds[i].clear(),
                BondsRow::Unchanged => {}
            }
        }
        self.take_epoch_columns(out);
    }
}

#[cfg(test)]
mod tests;
