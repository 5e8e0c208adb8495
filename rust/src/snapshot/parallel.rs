//! Reading a snapshot on several threads (issue 15: `at(b)` restores a year-end state of 51 MB).
//!
//! Three maps are most of a large state: `Owner`, `Stake` and `TotalHotkeyStake` name every
//! hotkey ever registered (~85 % of a Finney-scale year's end state). Each is one value of the
//! state's array, so [`decode`] finds where they lie ([`compact::value_len`]: a walk over the
//! headers, far cheaper than reading), reads each on its own rayon task, and reads the rest of the
//! state — the same bytes with those three values replaced by empty maps — on another. The
//! result is exactly the sequential reader's (the maps are independent values; `Stake` and
//! `TotalHotkeyStake` are merged as `HotkeyStakes::deserialize_fields` merges them).

use super::compact;
use crate::codec::serde_reader::{self, Error};
use crate::state::{AccountId, AccountMap, HotkeyStakes, State};

type R<T> = std::result::Result<T, Error>;

/// `[version, ruleset, state]` as `serde_reader::from_slice` reads it, the big maps in parallel;
/// None where the bytes are not laid out as this engine writes them (the caller then reads them
/// sequentially, which reports what is wrong).
pub fn decode(bytes: &[u8]) -> Option<R<(u32, String, State)>> {
    let parts = Parts::split(bytes)?;
    // `Stake` (one allocation a hotkey) takes longest: it starts first, the other thread takes the
    // rest in turn, and whichever finishes first takes what is left (rayon's stealing).
    let (stakes, (owner, (totals, rest))) = rayon::join(
        || serde_reader::from_slice::<HotkeyStakes>(parts.stake),
        || {
            rayon::join(
                || serde_reader::from_slice::<AccountMap<AccountId>>(parts.owner),
                || {
                    rayon::join(
                        || serde_reader::from_slice::<AccountMap<u64>>(parts.totals),
                        || serde_reader::from_slice::<(u32, String, State)>(&parts.rest),
                    )
                },
            )
        },
    );
    Some((|| {
        let (version, ruleset, mut state) = rest?;
        state.owner = owner?;
        state.stake = HotkeyStakes::with_totals(stakes?, totals?);
        Ok((version, ruleset, state))
    })())
}

/// A snapshot cut at the three big maps.
struct Parts<'a> {
    owner: &'a [u8],
    stake: &'a [u8],
    totals: &'a [u8],
    /// The snapshot with each of the three maps replaced by an empty one.
    rest: Vec<u8>,
}

/// An empty msgpack map.
const EMPTY_MAP: u8 = 0x80;

impl<'a> Parts<'a> {
    fn split(bytes: &'a [u8]) -> Option<Parts<'a>> {
        // `Owner` is the last field before the `..stake` row, whose two values follow it.
        let owner_at = State::HEAD_FIELDS.len().checked_sub(1)?;
        if State::HEAD_FIELDS.last() != Some(&"owner") || HotkeyStakes::FIELDS != 2 {
            return None;
        }
        // [version, ruleset, state]; the state an array 16 of its fields
        let [0x93, ..] = bytes else { return None };
        let mut p = 1;
        for _ in 0..2 {
            p += compact::value_len(bytes.get(p..)?)?;
        }
        let [0xdc, _, _, ..] = bytes.get(p..)? else {
            return None;
        };
        p += 3;
        for _ in 0..owner_at {
            p += compact::value_len(bytes.get(p..)?)?;
        }
        let value = |p: &mut usize| -> Option<&'a [u8]> {
            let start = *p;
            *p += compact::value_len(bytes.get(start..)?)?;
            bytes.get(start..*p)
        };
        let owner_start = p;
        let (owner, stake, totals) = (value(&mut p)?, value(&mut p)?, value(&mut p)?);
        let mut rest = Vec::with_capacity(bytes.len() - (p - owner_start) + 3);
        rest.extend_from_slice(&bytes[..owner_start]);
        rest.extend_from_slice(&[EMPTY_MAP; 3]);
        rest.extend_from_slice(&bytes[p..]);
        Some(Parts {
            owner,
            stake,
            totals,
            rest,
        })
    }
}
