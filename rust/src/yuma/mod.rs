//! Subnet Yuma consensus epoch (docs/ruleset.md §4) as a pure function, and the primitives of §4.3.
//!
//! This module owns the public entry [`epoch`] (steps 1–20 of §4.2 in the pure-function form of
//! §4.4: no state, no I/O), its types, the validation of its scalar inputs
//! ([`EpochParams::validate`]) and the crate-internal entry [`epoch_rows`] over any row source
//! (the Python binding reads weights and bonds straight out of numpy buffers). Steps 1–20 read
//! in order in [`run_epoch`]; the files below hold the rest:
//!
//! | file | owns |
//! |---|---|
//! | `primitives.rs` | the §4.3 primitives on `fixed` values, literal (public API) |
//! | `steps.rs` | per-uid steps shared by both layouts (1–4, 10, 13's α, 15–17) |
//! | `fx.rs` | I32F32 arithmetic on raw bits and the one exact-division family |
//! | `input.rs` | row sources (lists, dense, compressed) and row validation |
//! | `exec.rs` | row buffers, the dense matrix, column accumulators, threads, the one buffer cache |
//! | `sparse.rs` / `dense.rs` | steps 5–14 and 19 on sparse rows / on n×n matrices |
//! | `median.rs` | step 7 on both layouts |
//! | `kernels/` | the dense path's row kernels: portable, AVX-512 and AVX2 |
//! | `tests/` | the literal reference port, the §15 vectors, layout and SIMD-level equivalence |
//!
//! # Arithmetic
//! Every epoch vector and matrix is I32F32 (§0.3) and every value the epoch produces is
//! non-negative. The hot loops therefore keep an I32F32 as its raw `bits` in a `u64` and use the
//! helpers of `fx`, which are exactly the §0.3 operations on those bits (multiply floors, divide
//! truncates, sums are exact); unit tests pin them against the `fixed` crate, and a literal
//! transcription of the reference code (tests only) cross-checks whole epochs. Sums being exact,
//! they are accumulated in any order and in parallel; the places where order matters (top-k ties,
//! the order of a stored bonds row) follow the rules exactly, and the median is computed through
//! a characterisation proven equal to the reference's pivot recursion (`median.rs`).
//!
//! # Layout and speed
//! The epoch is bound by memory traffic and multiplications. Two layouts compute steps 5–14 and
//! 19 ([`Layout`]): sparse rows in one reused buffer (`sparse.rs`), and dense n×n matrices whose
//! per-row work runs on SIMD kernels (`dense.rs`). Dense sources (numpy arrays) take the dense
//! path; sparse rows do too when they fill enough of the matrix (e.g. 64 validators weighting
//! all 256 uids). Both store the same bonds rows, `(j, 0)` entries included; the tests run every
//! reference comparison on both, at every SIMD level the CPU has.

mod dense;
mod exec;
mod fx;
mod input;
mod kernels;
mod median;
mod primitives;
mod sparse;
mod steps;
#[cfg(test)]
mod tests;

#[cfg(any(test, feature = "python"))]
use rayon::prelude::*;

#[cfg(any(test, feature = "python"))]
pub(crate) use input::CsrRows;
#[cfg(any(test, feature = "python"))]
pub(crate) use input::DenseRows;
pub(crate) use input::RowSource;
pub use primitives::{
    check_vec_max_limited, is_topk, mat_ema_sparse, vec_max_upscale_to_u16, vec_max_upscale_u16,
    weighted_median_col,
};

use exec::{Exec, Rows, Store};
use input::invalid;
use kernels::Simd;
use steps::{
    active_stake, activity, emission_split, normalized_stake, pruning_scores, topk, Split,
};

use crate::error::Result;

// =====================================================================================
// Public types
// =====================================================================================

/// What step 19 does to the stored bonds row of one uid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BondsRow {
    /// The uid holds a permit now: its stored row becomes this list (ascending uid; entries that
    /// round to 0 are kept, as the reference stores them).
    Replace(Vec<(u16, u16)>),
    /// It had a permit and lost it: its stored row becomes empty.
    Clear,
    /// It had no permit and still has none: its stored row is left untouched.
    Unchanged,
}

/// Inputs of the subnet epoch (docs/ruleset.md §4.1 / §4.4). `n = stake.len()`; every other per-uid slice
/// and the two matrices must have n entries / rows.
#[derive(Clone, Debug)]
pub struct EpochInput<'a> {
    pub block: u64,
    pub stake: &'a [u64],
    /// Sparse rows as stored: `(uid, u16)` pairs, any order, no repeated uid.
    pub weights: &'a [Vec<(u16, u16)>],
    pub bonds: &'a [Vec<(u16, u16)>],
    pub last_update: &'a [u64],
    pub block_at_registration: &'a [u64],
    /// The previous epoch's permits (`ValidatorPermit` before this epoch).
    pub validator_permit: &'a [bool],
    pub kappa: u16,
    pub bonds_moving_average: u64,
    pub max_allowed_validators: u16,
    pub activity_cutoff: u16,
    pub rao_emission: u64,
}

/// Outputs of the subnet epoch (docs/ruleset.md §4.2 steps 16–20). u16 fields are stored proportions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochOutput {
    pub active: Vec<bool>,
    pub emission: Vec<u64>,
    pub rank: Vec<u16>,
    pub trust: Vec<u16>,
    pub consensus: Vec<u16>,
    pub incentive: Vec<u16>,
    pub dividends: Vec<u16>,
    pub validator_trust: Vec<u16>,
    pub pruning_scores: Vec<u16>,
    /// The new permits (`P_new`).
    pub validator_permit: Vec<bool>,
    pub bonds: Vec<BondsRow>,
    /// Server (incentive) emission in rao, per uid.
    pub server: Vec<u64>,
    /// Validator (dividend) emission in rao, per uid.
    pub validator: Vec<u64>,
}

// =====================================================================================
// Public API
// =====================================================================================

/// The subnet epoch of docs/ruleset.md §4.2 as a pure function (§4.4).
///
/// Errors: `InvalidArgument` for inconsistent lengths, a uid ≥ n or repeated in a row, more than
/// 65 536 uids, `bonds_moving_average > 1_000_000` (the setter bound of §13.1) or a stake sum
/// outside the I64F64 range; `Fatal` for a fixed-point overflow (a raw weight row or bonds column
/// summing to 2^31 or more, impossible within the bounds of §13).
pub fn epoch(input: &EpochInput<'_>) -> Result<EpochOutput> {
    let computed = epoch_rows(&input.params(), input.weights, input.bonds)?;
    Ok(computed.into_output())
}

/// The epoch of [`epoch`] with its emission not yet in rao: every output but `emission`,
/// `server` and `validator`, which [`EpochShares::priced`] computes from the shares for the
/// `rao_emission` given then (`input.rao_emission` is not read). The block step uses it to run
/// a subnet's epoch before the pending emission it pays is known (`crate::emission`);
/// `epoch_shares(x)?.priced(x.rao_emission) == epoch(x)?`.
pub fn epoch_shares(input: &EpochInput<'_>) -> Result<EpochShares> {
    let params = EpochParams {
        rao_emission: 0,
        ..input.params()
    };
    let mut computed = epoch_rows(&params, input.weights, input.bonds)?;
    let split = std::mem::take(&mut computed.split);
    Ok(EpochShares {
        out: computed.into_output(),
        split,
    })
}

impl<'a> EpochInput<'a> {
    /// Everything but the two matrices.
    fn params(&self) -> EpochParams<'a> {
        EpochParams {
            block: self.block,
            stake: self.stake,
            last_update: self.last_update,
            block_at_registration: self.block_at_registration,
            validator_permit: self.validator_permit,
            kappa: self.kappa,
            bonds_moving_average: self.bonds_moving_average,
            max_allowed_validators: self.max_allowed_validators,
            activity_cutoff: self.activity_cutoff,
            rao_emission: self.rao_emission,
        }
    }
}

/// An epoch's outputs with the emission as shares (I32F32 bits) of the subnet's emission:
/// see [`epoch_shares`].
#[derive(Clone, Debug)]
pub struct EpochShares {
    out: EpochOutput,
    split: Split,
}

impl EpochShares {
    /// Steps 16–17 for `rao_emission`: the complete [`EpochOutput`].
    pub fn priced(mut self, rao_emission: u64) -> EpochOutput {
        self.split.price(&mut self.out, rao_emission);
        self.out
    }
}

/// Everything of [`EpochInput`] except the two matrices.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EpochParams<'a> {
    pub block: u64,
    pub stake: &'a [u64],
    pub last_update: &'a [u64],
    pub block_at_registration: &'a [u64],
    pub validator_permit: &'a [bool],
    pub kappa: u16,
    pub bonds_moving_average: u64,
    pub max_allowed_validators: u16,
    pub activity_cutoff: u16,
    pub rao_emission: u64,
}

impl EpochParams<'_> {
    pub(crate) fn n(&self) -> usize {
        self.stake.len()
    }

    /// `LU_i ≤ BR_j`: i last set weights before j (re)registered (steps 5 and 11).
    #[inline(always)]
    pub(crate) fn outdated(&self, i: usize, j: usize) -> bool {
        self.last_update[i] <= self.block_at_registration[j]
    }

    fn validate(&self, weight_rows: usize, bond_rows: usize) -> Result<()> {
        let n = self.n();
        if n > 1 << 16 {
            return Err(invalid(format!(
                "stake has {n} entries; uids are u16, so n ≤ 65536"
            )));
        }
        let lengths = [
            ("weights", weight_rows, "rows"),
            ("bonds", bond_rows, "rows"),
            ("last_update", self.last_update.len(), "entries"),
            (
                "block_at_registration",
                self.block_at_registration.len(),
                "entries",
            ),
            ("validator_permit", self.validator_permit.len(), "entries"),
        ];
        for (name, len, unit) in lengths {
            if len != n {
                return Err(invalid(format!("{name} has {len} {unit}, expected {n}")));
            }
        }
        if self.bonds_moving_average > 1_000_000 {
            return Err(invalid(format!(
                "bonds_moving_average {} exceeds 1000000",
                self.bonds_moving_average
            )));
        }
        let total: u128 = self.stake.iter().map(|&s| u128::from(s)).sum();
        if total > i64::MAX as u128 {
            return Err(invalid(format!(
                "stake sums to {total} rao, beyond the I64F64 range (< 2^63)"
            )));
        }
        Ok(())
    }
}

/// The epoch's results before they are shaped into [`EpochOutput`] (or a dense bonds matrix).
pub(crate) struct Computed {
    /// Every output but `bonds` (left empty: the rows are decided from `bonds` below).
    pub out: EpochOutput,
    /// Step 19's stored rows (u16 values), valid for the rows that hold the new permit.
    bonds: Store,
    /// The previous permits, which decide `Clear` against `Unchanged`.
    permit_prev: Vec<bool>,
    /// The SIMD level the epoch ran at (reading dense bonds rows back uses it too).
    simd: Simd,
    /// Step 15's shares, from which `out`'s rao vectors were priced.
    split: Split,
}

impl Computed {
    fn empty(simd: Simd) -> Self {
        Computed {
            out: EpochOutput::default(),
            bonds: Store::Sparse(Rows::with_capacities(std::iter::empty())),
            permit_prev: vec![],
            simd,
            split: Split::default(),
        }
    }

    /// Step 19's decision for row i.
    pub(crate) fn bonds_row(&self, i: usize) -> BondsRow {
        if self.out.validator_permit[i] {
            BondsRow::Replace(match &self.bonds {
                Store::Sparse(rows) => {
                    let (cols, vals) = rows.row(i);
                    cols.iter()
                        .zip(vals)
                        .map(|(&j, &v)| (j, v as u16))
                        .collect()
                }
                // Dense rows hold the stored value + 1 where the moving average is positive.
                Store::Dense { mat: m, .. } => {
                    let row = m.row(i);
                    let mut out = Vec::new();
                    kernels::gather_marked(self.simd, row, &mut out);
                    out
                }
            })
        } else if self.permit_prev[i] {
            BondsRow::Clear
        } else {
            BondsRow::Unchanged
        }
    }

    /// Writes the whole stored bonds matrix after the epoch into `out` (n×n, row-major): new
    /// rows where replaced, zeros where cleared, `old` where unchanged. `zeroed` says `out` holds
    /// zeros already (a fresh numpy array): zero rows are then not written at all.
    #[cfg(any(test, feature = "python"))]
    pub(crate) fn write_dense_bonds<B: RowSource + ?Sized>(
        &self,
        old: &B,
        out: &mut [u16],
        zeroed: bool,
    ) {
        let n = self.out.validator_permit.len();
        debug_assert_eq!(out.len(), n * n);
        if n == 0 {
            return;
        }
        let write = |(i, row): (usize, &mut [u16])| {
            if !self.out.validator_permit[i] && !self.permit_prev[i] {
                if let Some(dense) = old.dense_row(i) {
                    let had = match &self.bonds {
                        Store::Dense { had_bonds, .. } => had_bonds[i],
                        Store::Sparse(_) => kernels::any_nonzero(dense),
                    };
                    if !zeroed || had {
                        row.copy_from_slice(dense);
                    }
                    return;
                }
            }
            if self.out.validator_permit[i] {
                match &self.bonds {
                    Store::Sparse(rows) => {
                        row.fill(0);
                        let (cols, vals) = rows.row(i);
                        cols.iter()
                            .zip(vals)
                            .for_each(|(&j, &v)| row[j as usize] = v as u16);
                    }
                    Store::Dense { mat: m, .. } => kernels::unmark_row(m.row(i), row),
                }
                return;
            }
            if !zeroed {
                row.fill(0);
            }
            if !self.permit_prev[i] {
                old.visit(i, |j, v| row[j as usize] = v); // validated when read
            }
        };
        if n * n >= exec::PAR_MIN_ENTRIES && rayon::current_num_threads() > 1 {
            out.par_chunks_mut(n).enumerate().for_each(write);
        } else {
            out.chunks_mut(n).enumerate().for_each(write);
        }
    }

    fn into_output(self) -> EpochOutput {
        let bonds = (0..self.out.validator_permit.len())
            .map(|i| self.bonds_row(i))
            .collect();
        EpochOutput { bonds, ..self.out }
    }
}

/// The epoch over any row sources (the binding passes numpy-backed ones).
pub(crate) fn epoch_rows<W, B>(p: &EpochParams<'_>, weights: &W, bonds: &B) -> Result<Computed>
where
    W: RowSource + ?Sized,
    B: RowSource + ?Sized,
{
    p.validate(weights.rows(), bonds.rows())?;
    // Entries the passes will handle: the permitted weight rows, and the bonds rows (a dense
    // matrix bounds every row by n, so there the weights stand in for the bonds).
    let w_work: usize = (0..p.n())
        .filter(|&i| p.validator_permit[i])
        .map(|i| weights.row_bound(i))
        .sum();
    let b_work: usize = if bonds.canonical() {
        w_work
    } else {
        (0..p.n()).map(|i| bonds.row_bound(i)).sum()
    };
    let layout = Layout::choose(p, weights, bonds);
    run_epoch(p, weights, bonds, Exec::auto(w_work + b_work), layout)
}

/// Which layout steps 5–14 and 19 run on. Both give the same result (the tests run each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    Sparse,
    /// Dense n×n matrices: the sources themselves, or a dense copy of sparse rows.
    Dense,
}

impl Layout {
    /// Dense sources take the dense layout (no uid arrays, no merges); sparse ones too when they
    /// fill enough of the n×n matrix ([`dense::densify_pays`]).
    fn choose<W, B>(p: &EpochParams<'_>, w_src: &W, b_src: &B) -> Self
    where
        W: RowSource + ?Sized,
        B: RowSource + ?Sized,
    {
        if dense_sources(w_src, b_src) || dense::densify_pays(p, w_src, b_src) {
            Layout::Dense
        } else {
            Layout::Sparse
        }
    }
}

/// Whether both sources are dense n×n matrices.
fn dense_sources<W, B>(w_src: &W, b_src: &B) -> bool
where
    W: RowSource + ?Sized,
    B: RowSource + ?Sized,
{
    w_src.dense_row(0).is_some() && b_src.dense_row(0).is_some()
}

/// Steps 1–20 of docs/ruleset.md §4.2 on validated inputs.
fn run_epoch<W, B>(
    p: &EpochParams<'_>,
    w_src: &W,
    b_src: &B,
    exec: Exec,
    layout: Layout,
) -> Result<Computed>
where
    W: RowSource + ?Sized,
    B: RowSource + ?Sized,
{
    if p.n() == 0 {
        return Ok(Computed::empty(exec.simd));
    }
    // Steps 1–4: activity, stake, new permits, active stake.
    let active = activity(p);
    let s = normalized_stake(p.stake);
    let permit_new = topk(&s, usize::from(p.max_allowed_validators));
    let a = active_stake(&s, &active, p.validator_permit);
    // Steps 5–14 and 19 on the matrices (7: the median; 13: the moving average; 19: the stored
    // bonds rows), in the chosen layout.
    let core = match layout {
        Layout::Sparse => sparse::sparse_core(p, w_src, b_src, &a, &permit_new, exec)?,
        Layout::Dense if dense_sources(w_src, b_src) => {
            dense::dense_core(p, w_src, b_src, &a, &permit_new, exec)?
        }
        Layout::Dense => dense::densified_core(p, w_src, b_src, &a, &permit_new, exec)?,
    };
    let Core {
        c,
        vt,
        trust,
        incentive,
        mut dividends,
        bonds,
    } = core;
    steps::normalize_bits(&mut dividends);
    // Steps 15–16: emission split and rao.
    let split = emission_split(&incentive, &dividends, &s, &a);
    // Step 18: writes (as u16 proportions).
    let prop = |v: &[u64]| -> Vec<u16> { v.iter().map(|&x| fx::proportion_u16(x)).collect() };
    let mut out = EpochOutput {
        rank: prop(&incentive),
        trust: prop(&trust),
        consensus: prop(&c),
        incentive: prop(&incentive),
        dividends: prop(&dividends),
        validator_trust: prop(&vt),
        pruning_scores: pruning_scores(&split.combined),
        active,
        validator_permit: permit_new,
        ..EpochOutput::default()
    };
    split.price(&mut out, p.rao_emission);
    Ok(Computed {
        out,
        bonds,
        permit_prev: p.validator_permit.to_vec(),
        simd: exec.simd,
        split,
    })
}

/// What steps 5–14 and 19 produce: consensus, validator trust, trust, incentive (normalised
/// ranks), unnormalised dividends and the stored bonds rows.
struct Core {
    c: Vec<u64>,
    vt: Vec<u64>,
    trust: Vec<u64>,
    incentive: Vec<u64>,
    dividends: Vec<u64>,
    bonds: Store,
}
