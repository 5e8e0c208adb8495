//! Subnet Yuma consensus epoch (docs/ruleset.md §4) as a pure function, and the primitives of §4.3.
//!
//! This file owns:
//! * [`epoch`]: steps 1–20 of §4.2 in the pure-function form of §4.4 (no state, no I/O);
//! * the primitives [`is_topk`], [`weighted_median_col`], [`mat_ema_sparse`],
//!   [`vec_max_upscale_to_u16`], [`vec_max_upscale_u16`] and [`check_vec_max_limited`];
//! * the crate-internal generic entry point [`epoch_rows`] that the Python binding
//!   (`py/yuma.rs`) uses to read weights and bonds straight out of numpy buffers.
//!
//! # Arithmetic
//! Every epoch vector and matrix is I32F32 (docs/ruleset.md §0.3) and every value the epoch
//! produces is non-negative. The hot loops therefore keep an I32F32 as its raw `bits` in a `u64`
//! and use the helpers of [`fx`], which are exactly the §0.3 operations on those bits (multiply
//! floors, divide truncates, sums are exact); unit tests pin them against the `fixed` crate, and a
//! literal transcription of the reference code (tests only) cross-checks whole epochs. Sums being
//! exact, they are accumulated in any order and in parallel; the places where order matters (top-k
//! ties, the order of a stored bonds row) follow docs/ruleset.md exactly, and the median is
//! computed through a characterisation proven equal to the reference's pivot recursion (see
//! [`consensus`]).
//!
//! # Layout and speed
//! The epoch is bound by memory traffic and multiplications, so: the sparse rows live in one
//! buffer ([`Rows`]: a `u16` column array and a `u32` value array, one capacity range per row)
//! that holds the weights, then the bonds moving average, then the stored bonds, each written in
//! place over the previous; the buffer is kept in a thread-local cache between calls (fresh pages
//! cost more than the epoch); bonds are read from their source twice instead of being copied;
//! every division by a shared divisor is one multiplication ([`fx::Recip`]). Passes over rows run
//! on rayon chunks when the matrix is large; per-chunk column accumulators are integer sums (or
//! maxima), so the result is the same for every thread count.
//!
//! Two layouts compute steps 5–14 and 19 ([`Route`]): sparse rows (above), and a dense n×n
//! path (`dense_core`) whose per-row work is done by the SIMD kernels of [`kernels`] and whose
//! median is a lane-wise binary search (`dense_medians`). Dense sources (numpy arrays) take the
//! dense path; sparse rows do too when they fill enough of the matrix ([`densify_pays`]: e.g.
//! 64 validators weighting all 256 uids), copied into a reused dense scratch. The dense path
//! marks stored bond entries (value + 1), so both layouts store the same rows, `(j, 0)` entries
//! included; tests run every reference comparison on both.

use std::ops::Range;

use rayon::prelude::*;

mod kernels;
use kernels::{Divisor, Divisors, EmaCols, FinishCols};
use multiversion::multiversion;

use crate::error::{ChainError, Result};
use crate::fixedpoint::I32F32;

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

/// Inputs of the subnet epoch (docs/ruleset.md §4.1 / §4.4). `n = stake.len()`; every other per-uid
/// slice and the two matrices must have n entries / rows.
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

/// Outputs of the subnet epoch (docs/ruleset.md §4.2 steps 16–20). u16 fields are stored
/// proportions.
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
    let params = EpochParams {
        block: input.block,
        stake: input.stake,
        last_update: input.last_update,
        block_at_registration: input.block_at_registration,
        validator_permit: input.validator_permit,
        kappa: input.kappa,
        bonds_moving_average: input.bonds_moving_average,
        max_allowed_validators: input.max_allowed_validators,
        activity_cutoff: input.activity_cutoff,
        rao_emission: input.rao_emission,
    };
    let computed = epoch_rows(&params, input.weights, input.bonds)?;
    Ok(computed.into_output())
}

/// `is_topk` of docs/ruleset.md §4.3: true for the k largest values; ties are broken by a stable
/// ascending sort, so among equal values the lower uid loses.
pub fn is_topk(values: &[I32F32], k: usize) -> Vec<bool> {
    let bits: Vec<i64> = values.iter().map(|v| v.to_bits()).collect();
    topk(&bits, k)
}

/// `vec_max_upscale_to_u16` of docs/ruleset.md §4.3 (I32F32 input). Negative entries, which the
/// epoch never produces, give 0 (the reference assumes non-negative input).
pub fn vec_max_upscale_to_u16(v: &[I32F32]) -> Vec<u16> {
    let Some(&max) = v.iter().max() else {
        return Vec::new();
    };
    let u16_max = I32F32::from_num(u16::MAX);
    if max <= 0 {
        // M = 0 (or all negative): out = to_u16(v ⊗ 65535), which is 0 for every v ≤ 0.
        return v
            .iter()
            .map(|&x| to_u16_floor(x.saturating_mul(u16_max)))
            .collect();
    }
    if max > I32F32::from_num(32768) {
        // Large maximum: scale by r = 65535 ⊘ M first so that v ⊗ 65535 cannot overflow.
        let r = u16_max / max;
        return v
            .iter()
            .map(|&x| to_u16_round(x.saturating_mul(r)))
            .collect();
    }
    v.iter()
        .map(|&x| to_u16_round(x.saturating_mul(u16_max).saturating_div(max)))
        .collect()
}

/// `vec_max_upscale_to_u16` of u16 input (used by `set_weights`, docs/ruleset.md §10.1): each w is
/// first converted to the integer `I32F32(w)`.
pub fn vec_max_upscale_u16(v: &[u16]) -> Vec<u16> {
    let fixed: Vec<I32F32> = v.iter().map(|&w| I32F32::from_num(w)).collect();
    vec_max_upscale_to_u16(&fixed)
}

/// `check_vec_max_limited` of docs/ruleset.md §4.3: after normalising the u16 vector (as I32F32
/// integers), is its maximum ≤ `limit ⊘ 65535`? True for an empty vector.
pub fn check_vec_max_limited(w: &[u16], limit: u16) -> bool {
    // I32F32(w) ⊘ I32F32(Σw) has bits ⌊w·2^32 / Σw⌋ (both operands are integers); Σw is exact in
    // u64 (set_weights bounds the length by n ≤ 32 768, so it also fits I32F32).
    let sum: u64 = w.iter().map(|&x| u64::from(x)).sum();
    let Some(&max) = w.iter().max() else {
        return true;
    };
    let max_norm = if sum == 0 {
        0
    } else {
        fx::Recip::new(sum).div(u64::from(max))
    };
    let limit_bits = fx::div(u64::from(limit) << 32, 65535u64 << 32);
    max_norm <= limit_bits
}

/// `weighted_median_col` of docs/ruleset.md §4.3, transcribed literally from the reference
/// (`weighted_median_col_sparse` with its mid-pivot recursion): for each of `columns` columns, the
/// stake-weighted median of the scores of the rows with positive stake, stakes re-normalised,
/// absent entries scoring 0. `majority` is κ. (The epoch itself uses a faster equivalent.)
pub fn weighted_median_col(
    stake: &[I32F32],
    score: &[Vec<(u16, I32F32)>],
    columns: usize,
    majority: I32F32,
) -> Vec<I32F32> {
    let zero = I32F32::ZERO;
    let kept: Vec<usize> = (0..stake.len()).filter(|&r| stake[r] > zero).collect();
    let mut use_stake: Vec<I32F32> = kept.iter().map(|&r| stake[r]).collect();
    normalize_fixed(&mut use_stake);
    let stake_sum: I32F32 = use_stake.iter().copied().sum();
    let minority = stake_sum - majority;
    // Scores by column, in kept-row order; a repeated uid in a row overwrites (as the reference).
    let mut use_score = vec![vec![zero; kept.len()]; columns];
    for (k, &r) in kept.iter().enumerate() {
        for &(c, v) in score.get(r).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(col) = use_score.get_mut(c as usize) {
                col[k] = v;
            }
        }
    }
    let idx: Vec<usize> = (0..kept.len()).collect();
    use_score
        .iter()
        .map(|sc| weighted_median(&use_stake, sc, &idx, minority, zero, stake_sum))
        .collect()
}

/// Sparse exponential moving average of docs/ruleset.md §4.2 step 13 (tested by §15.7): row by row,
/// `acc[j] += α ⊗ new_ij`, then `acc[j] += (1 − α) ⊗ old_ij`; keeps `acc[j] > 0`, ascending j.
/// Entries with a column ≥ `columns` are ignored.
pub fn mat_ema_sparse(
    new: &[Vec<(u16, I32F32)>],
    old: &[Vec<(u16, I32F32)>],
    columns: usize,
    alpha: I32F32,
) -> Vec<Vec<(u16, I32F32)>> {
    let one_minus_alpha = I32F32::ONE - alpha;
    let rows = new.len().max(old.len());
    let mut acc = vec![I32F32::ZERO; columns];
    (0..rows)
        .map(|i| {
            acc.fill(I32F32::ZERO);
            let terms = [(new.get(i), alpha), (old.get(i), one_minus_alpha)];
            for (row, coeff) in terms {
                for &(j, v) in row.map(Vec::as_slice).unwrap_or(&[]) {
                    if let Some(slot) = acc.get_mut(j as usize) {
                        *slot += coeff * v;
                    }
                }
            }
            (0..columns)
                .filter(|&j| acc[j] > I32F32::ZERO)
                .map(|j| (j as u16, acc[j]))
                .collect()
        })
        .collect()
}

// =====================================================================================
// Fixed-point bit helpers
// =====================================================================================

/// §0.3 operations on the raw bits of non-negative I32F32 values held in `u64`.
pub(crate) mod fx {
    /// The bits of 1.0.
    pub const ONE: u64 = 1 << 32;

    /// `a ⊗ b`: ⌊a·b / 2^32⌋ (floor; for non-negative values floor = truncation).
    #[inline(always)]
    pub fn mul(a: u64, b: u64) -> u64 {
        ((u128::from(a) * u128::from(b)) >> 32) as u64
    }

    /// `a ⊘ b` for b > 0: ⌊a·2^32 / b⌋ (truncation toward zero), for one-off divisions. The
    /// caller guarantees that the quotient is an I32F32 (< 2^63); the epoch's are all ≤ 1.
    #[inline]
    pub fn div(a: u64, b: u64) -> u64 {
        debug_assert!(b > 0);
        let q = if a < ONE {
            (a << 32) / b
        } else {
            ((u128::from(a) << 32) / u128::from(b)) as u64
        };
        debug_assert!(q < 1 << 63);
        q
    }

    /// Many divisions by one divisor: `div(x) = ⌊x·2^32 / d⌋`, exact, with one multiplication.
    ///
    /// For `x < 2^32` the numerator `n = x·2^32` fits 64 bits and Granlund & Montgomery's
    /// round-up method ("Division by invariant integers using multiplication", 1994, fig. 4.1)
    /// is exact for every `n < 2^64`: with `ℓ = ⌈log2 d⌉` and
    /// `m = ⌊2^64·(2^ℓ − d)/d⌋ + 1` (< 2^64), `t = ⌊m·n / 2^64⌋` and
    /// `q = (t + ((n − t) >> min(ℓ, 1))) >> max(ℓ − 1, 0)`. Numerators of 1.0 or more (rare: an
    /// entry that is a whole column) and the divisor 1 take an exact wide division. `d = 0` gives the identity
    /// (as `d = 2^32`), which is what `normalise` and the max-upscale do with a zero sum.
    #[derive(Clone, Copy, Debug)]
    pub struct Recip {
        m: u64,
        d: u64,
        /// Numerators from here on take the wide division: 2^32, or 0 for d = 1 (ℓ = 0, the one
        /// divisor whose first shift is not 1).
        wide: u64,
        sh2: u32,
    }

    impl Recip {
        pub fn new(d: u64) -> Self {
            let d = if d == 0 { ONE } else { d };
            let l = 64 - (d - 1).leading_zeros(); // ⌈log2 d⌉
            let d128 = u128::from(d);
            let m = ((((1u128 << l) - d128) << 64) / d128) as u64 + 1;
            Recip {
                m,
                d,
                wide: if l == 0 { 0 } else { ONE },
                sh2: l.saturating_sub(1),
            }
        }

        #[inline(always)]
        pub fn div(&self, x: u64) -> u64 {
            if x >= self.wide {
                return self.div_wide(x);
            }
            let n = x << 32;
            let t = ((u128::from(n) * u128::from(self.m)) >> 64) as u64;
            (t + ((n - t) >> 1)) >> self.sh2
        }

        #[cold]
        #[inline(never)]
        fn div_wide(&self, x: u64) -> u64 {
            ((u128::from(x) << 32) / u128::from(self.d)) as u64
        }
    }

    /// Many divisions by one divisor of any size: `div(x) = ⌊x·2^32 / d⌋` for `x < d·2^32` (the
    /// quotient fits 64 bits), exact, with one 64×64→128-bit multiplication each: Möller and
    /// Granlund's division of a two-word numerator by a normalised one-word divisor with a
    /// precomputed reciprocal ("Improved division by invariant integers", 2011, alg. 4).
    /// `Recip` takes a 128-bit division for numerators ≥ 2^32 (stakes in rao); this does not.
    #[derive(Clone, Copy, Debug)]
    pub struct WideRecip {
        /// d shifted left until its top bit is set.
        d: u64,
        /// ⌊(2^128 − 1) / d⌋ − 2^64.
        v: u64,
        shift: u32,
    }

    impl WideRecip {
        pub fn new(d: u64) -> Self {
            assert!(d > 0, "division by zero");
            let shift = d.leading_zeros();
            let d = d << shift;
            let v = (u128::MAX / u128::from(d) - (1u128 << 64)) as u64;
            WideRecip { d, v, shift }
        }

        #[inline]
        pub fn div(&self, x: u64) -> u64 {
            // N = x·2^32·2^shift < d·2^64 (the quotient fits), so N < 2^128 and u1 < d.
            let n = (u128::from(x) << 32) << self.shift;
            let (u1, u0) = ((n >> 64) as u64, n as u64);
            let q = u128::from(self.v) * u128::from(u1);
            let q = q.wrapping_add(n);
            let (mut q1, q0) = (((q >> 64) as u64).wrapping_add(1), q as u64);
            let mut r = u0.wrapping_sub(q1.wrapping_mul(self.d));
            if r > q0 {
                q1 = q1.wrapping_sub(1);
                r = r.wrapping_add(self.d);
            }
            if r >= self.d {
                q1 += 1;
            }
            q1
        }
    }

    /// Normalised weights lie in [0, 2^32] and never equal 2^32 − 1 (see `row_normalizer`), so
    /// a u32 holds them with 2^32 encoded as `u32::MAX`; the encoding preserves order. Used for
    /// the median's keys.
    #[inline(always)]
    pub fn enc(v: u64) -> u32 {
        debug_assert!(v <= ONE && v != ONE - 1);
        if v >= ONE {
            u32::MAX
        } else {
            v as u32
        }
    }

    /// Inverse of [`enc`].
    #[inline(always)]
    pub fn dec(e: u32) -> u64 {
        u64::from(e) + u64::from(e == u32::MAX)
    }

    /// `to_u16(x ⊗ 65535)` of a proportion x ≤ 1 (docs/ruleset.md §0.2): the product has bits
    /// x·65535.
    #[inline(always)]
    pub fn proportion_u16(x: u64) -> u16 {
        debug_assert!(x <= ONE);
        ((x * 65535) >> 32) as u16
    }
}

use fx::{dec, enc, mul, Recip};

/// ⌊x⌋ as u16, saturating (negative → 0).
fn to_u16_floor(x: I32F32) -> u16 {
    (x.to_bits() >> 32).clamp(0, i64::from(u16::MAX)) as u16
}

/// round(x) (ties away from zero) as u16, saturating.
fn to_u16_round(x: I32F32) -> u16 {
    to_u16_floor(x.saturating_round())
}

/// `normalise` (§4.3) of fixed-crate values, as the reference's `inplace_normalize`.
fn normalize_fixed(x: &mut [I32F32]) {
    let sum: I32F32 = x.iter().copied().sum();
    if sum != I32F32::ZERO {
        x.iter_mut().for_each(|v| *v /= sum);
    }
}

/// `normalise` (§4.3) of non-negative bits in place (a zero sum leaves the vector unchanged).
fn normalize_bits(v: &mut [u64]) {
    let r = Recip::new(v.iter().sum());
    v.iter_mut().for_each(|x| *x = r.div(*x));
}

/// Stable ascending top-k of §4.3.
fn topk<T: Ord + Copy>(v: &[T], k: usize) -> Vec<bool> {
    let n = v.len();
    let mut out = vec![true; n];
    if n <= k {
        return out;
    }
    // The n − k smallest by (value, uid) — what a stable ascending sort puts first (ties keep
    // ascending uid order). The keys are distinct, so a selection finds the same set.
    let mut idx: Vec<u32> = (0..n as u32).collect();
    if k > 0 {
        idx.select_nth_unstable_by_key(n - k, |&i| (v[i as usize], i));
    }
    for &i in &idx[..n - k] {
        let i = i as usize;
        out[i] = false;
    }
    out
}

/// The reference's `weighted_median` (mid-pivot recursion of §4.3 `WM`), literally.
fn weighted_median(
    stake: &[I32F32],
    score: &[I32F32],
    partition: &[usize],
    minority: I32F32,
    lo: I32F32,
    hi: I32F32,
) -> I32F32 {
    match partition.len() {
        0 => return I32F32::ZERO,
        1 => return score[partition[0]],
        _ => {}
    }
    let pivot = score[partition[partition.len() / 2]];
    let (mut lo_stake, mut hi_stake) = (I32F32::ZERO, I32F32::ZERO);
    let (mut lower, mut upper) = (Vec::new(), Vec::new());
    for &i in partition {
        if score[i] < pivot {
            lo_stake += stake[i];
            lower.push(i);
        } else if score[i] > pivot {
            hi_stake += stake[i];
            upper.push(i);
        }
    }
    if lo + lo_stake <= minority && minority < hi - hi_stake {
        pivot
    } else if minority < lo + lo_stake && !lower.is_empty() {
        weighted_median(stake, score, &lower, minority, lo, lo + lo_stake)
    } else if hi - hi_stake <= minority && !upper.is_empty() {
        weighted_median(stake, score, &upper, minority, hi - hi_stake, hi)
    } else {
        pivot
    }
}

// =====================================================================================
// Row sources: where weights and bonds rows are read from
// =====================================================================================

/// Read-only access to n sparse rows of `(uid, u16)` pairs, whatever their storage.
pub(crate) trait RowSource: Sync {
    /// Number of rows.
    fn rows(&self) -> usize;
    /// An upper bound of the number of entries of row `i`.
    fn row_bound(&self, i: usize) -> usize;
    /// Calls `f(uid, value)` for each entry of row `i`, in stored order.
    fn visit<F: FnMut(u16, u16)>(&self, i: usize, f: F);
    /// True when rows are known to hold distinct, ascending uids < n (a dense matrix), so the
    /// per-entry validation can be skipped.
    fn canonical(&self) -> bool {
        false
    }
    /// Row `i` as a dense slice of n values (0 = no entry), when stored that way.
    fn dense_row(&self, _i: usize) -> Option<&[u16]> {
        None
    }
    /// Row `i` as its stored `(uid, value)` pairs, when stored that way.
    fn pairs(&self, _i: usize) -> Option<&[(u16, u16)]> {
        None
    }
}

impl RowSource for [Vec<(u16, u16)>] {
    fn rows(&self) -> usize {
        self.len()
    }
    fn row_bound(&self, i: usize) -> usize {
        self[i].len()
    }
    fn visit<F: FnMut(u16, u16)>(&self, i: usize, mut f: F) {
        self[i].iter().for_each(|&(j, w)| f(j, w));
    }
    fn pairs(&self, i: usize) -> Option<&[(u16, u16)]> {
        Some(&self[i])
    }
}

/// A dense row-major n×n u16 matrix; zero entries are absent (a stored 0 and an absent entry
/// are indistinguishable to every step of the epoch).
#[cfg_attr(not(feature = "python"), allow(dead_code))]
pub(crate) struct DenseRows<'a> {
    pub data: &'a [u16],
    pub n: usize,
}

impl RowSource for DenseRows<'_> {
    fn rows(&self) -> usize {
        self.n
    }
    fn row_bound(&self, _i: usize) -> usize {
        self.n
    }
    fn visit<F: FnMut(u16, u16)>(&self, i: usize, mut f: F) {
        // Runs of 16 zeros are skipped with one vectorisable test (rows of non-validators are
        // all zeros).
        const RUN: usize = 16;
        let row = &self.data[i * self.n..(i + 1) * self.n];
        for (k, run) in row.chunks(RUN).enumerate() {
            if run.iter().all(|&w| w == 0) {
                continue;
            }
            for (q, &w) in run.iter().enumerate() {
                if w != 0 {
                    f((k * RUN + q) as u16, w);
                }
            }
        }
    }
    fn canonical(&self) -> bool {
        true
    }
    fn dense_row(&self, i: usize) -> Option<&[u16]> {
        Some(&self.data[i * self.n..(i + 1) * self.n])
    }
}

/// Rows in compressed form: row i is `cols/vals[indptr[i]..indptr[i+1]]`.
#[cfg_attr(not(feature = "python"), allow(dead_code))]
pub(crate) struct CsrRows<'a> {
    indptr: &'a [u64],
    cols: &'a [u16],
    vals: &'a [u16],
}

#[cfg_attr(not(feature = "python"), allow(dead_code))]
impl<'a> CsrRows<'a> {
    /// Checks the shape: `n + 1` non-decreasing offsets from 0 to `cols.len() == vals.len()`.
    pub fn new(what: &str, indptr: &'a [u64], cols: &'a [u16], vals: &'a [u16]) -> Result<Self> {
        let ok = cols.len() == vals.len()
            && indptr.first() == Some(&0)
            && indptr.last().map(|&e| e as usize) == Some(cols.len())
            && indptr.windows(2).all(|w| w[0] <= w[1]);
        if !ok {
            return Err(invalid(format!("{what}: malformed row offsets")));
        }
        Ok(CsrRows { indptr, cols, vals })
    }

    fn range(&self, i: usize) -> Range<usize> {
        self.indptr[i] as usize..self.indptr[i + 1] as usize
    }
}

impl RowSource for CsrRows<'_> {
    fn rows(&self) -> usize {
        self.indptr.len() - 1
    }
    fn row_bound(&self, i: usize) -> usize {
        self.range(i).len()
    }
    fn visit<F: FnMut(u16, u16)>(&self, i: usize, mut f: F) {
        let r = self.range(i);
        self.cols[r.clone()]
            .iter()
            .zip(&self.vals[r])
            .for_each(|(&j, &w)| f(j, w));
    }
}

fn invalid(msg: String) -> ChainError {
    ChainError::InvalidArgument(msg)
}

/// What one read of a source row saw: whether its uids were strictly ascending (hence
/// distinct), and the largest one (−1 for an empty row).
#[derive(Clone, Copy)]
struct RowShape {
    sorted: bool,
    last: i32,
    max: i32,
}

impl RowShape {
    fn new() -> Self {
        RowShape {
            sorted: true,
            last: -1,
            max: -1,
        }
    }

    #[inline(always)]
    fn see(&mut self, j: u16) {
        let j = i32::from(j);
        self.sorted &= self.last < j;
        self.last = j;
        self.max = self.max.max(j);
    }
}

/// Checks a row read with shape `shape`: uids < n and none repeated (a strictly ascending row has
/// no repeats; otherwise the row is sorted into `scratch` to find them).
fn validate_row<S: RowSource + ?Sized>(
    src: &S,
    what: &str,
    i: usize,
    n: usize,
    shape: RowShape,
    scratch: &mut Vec<(u16, u16)>,
) -> Result<()> {
    if src.canonical() {
        return Ok(());
    }
    if shape.max >= 0 && shape.max as usize >= n {
        let mut first = None;
        src.visit(i, |j, _| {
            if usize::from(j) >= n {
                first.get_or_insert(j);
            }
        });
        let j = first.unwrap_or(u16::MAX);
        return Err(invalid(format!(
            "{what} row {i} names uid {j}, but n = {n}"
        )));
    }
    if !shape.sorted {
        scratch.clear();
        src.visit(i, |j, w| scratch.push((j, w)));
        scratch.sort_unstable_by_key(|e| e.0);
        if let Some(w) = scratch.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(invalid(format!(
                "{what} row {i} names uid {} twice",
                w[0].0
            )));
        }
    }
    Ok(())
}

/// Sorts a stored row by uid (uids are distinct). No step depends on entry order within a row
/// (sums are exact, the median depends on values only, step 13 emits ascending uids), so rows are
/// kept sorted to let later passes merge and cut them by uid.
fn sort_row(cols: &mut [u16], vals: &mut [u32], scratch: &mut Vec<(u16, u32)>) {
    scratch.clear();
    scratch.extend(cols.iter().copied().zip(vals.iter().copied()));
    scratch.sort_unstable_by_key(|p| p.0);
    for (k, &(j, v)) in scratch.iter().enumerate() {
        cols[k] = j;
        vals[k] = v;
    }
}

// =====================================================================================
// One row buffer, reused in place, and chunked (optionally parallel) passes over it
// =====================================================================================

/// Sparse rows in one buffer: row i owns the capacity `off[i] .. off[i+1]` and stores its
/// entries at `off[i] + lo[i] .. off[i] + lo[i] + len[i]`, ascending uid. The same buffer holds,
/// each written in place over the previous, the normalised weights of step 5 (as [`enc`]), the
/// moving average of step 13 (as `acc − 1`: kept entries have `1 ≤ acc ≤ 2^32`) and the stored
/// bonds of step 19 (u16). Values are u32 because the epoch is bound by memory traffic.
pub(crate) struct Rows {
    off: Vec<usize>,
    lo: Vec<usize>,
    len: Vec<usize>,
    cols: Vec<u16>,
    vals: Vec<u32>,
}

/// Thread-local cache of the big buffers of [`Rows`]: a fresh allocation is paid in page faults
/// (about 0.4 ms per MB), so repeated epochs reuse the last one. Buffers above
/// [`RETAIN_BYTES`] are released instead.
#[derive(Default)]
struct Buffers {
    cols: Vec<u16>,
    vals: Vec<u32>,
}

const RETAIN_BYTES: usize = 256 << 20;

thread_local! {
    static BUFFERS: std::cell::RefCell<Buffers> = std::cell::RefCell::default();
}

impl Rows {
    /// Rows with the given capacities, on (possibly reused) buffers; contents are unspecified
    /// until written, and nothing outside a row's stored range is ever read.
    fn with_capacities(caps: impl Iterator<Item = usize>) -> Self {
        let mut off = vec![0usize];
        let mut total = 0usize;
        for c in caps {
            total += c;
            off.push(total);
        }
        let n = off.len() - 1;
        let Buffers { mut cols, mut vals } = BUFFERS
            .try_with(|b| std::mem::take(&mut *b.borrow_mut()))
            .unwrap_or_default();
        if cols.len() < total {
            cols.resize(total, 0);
            vals.resize(total, 0);
        }
        Rows {
            off,
            lo: vec![0; n],
            len: vec![0; n],
            cols,
            vals,
        }
    }

    #[inline]
    fn row(&self, i: usize) -> (&[u16], &[u32]) {
        let s = self.off[i] + self.lo[i];
        let e = s + self.len[i];
        (&self.cols[s..e], &self.vals[s..e])
    }

    /// Splits into at most `parts` chunks of consecutive rows with about equal capacity.
    fn chunks_mut(&mut self, parts: usize) -> Vec<RowsChunk<'_>> {
        let bounds = chunk_bounds(&self.off, parts);
        let mut out = Vec::with_capacity(bounds.len());
        let (mut lo, mut len) = (&mut self.lo[..], &mut self.len[..]);
        let (mut cols, mut vals) = (&mut self.cols[..], &mut self.vals[..]);
        for r in bounds {
            let cap = self.off[r.end] - self.off[r.start];
            let (l, lt) = std::mem::take(&mut lo).split_at_mut(r.len());
            let (n, nt) = std::mem::take(&mut len).split_at_mut(r.len());
            let (c, ct) = std::mem::take(&mut cols).split_at_mut(cap);
            let (v, vt) = std::mem::take(&mut vals).split_at_mut(cap);
            (lo, len, cols, vals) = (lt, nt, ct, vt);
            out.push(RowsChunk {
                rows: r,
                off: &self.off,
                lo: l,
                len: n,
                cols: c,
                vals: v,
            });
        }
        out
    }
}

impl Drop for Rows {
    fn drop(&mut self) {
        let bytes = self.cols.capacity() * 2 + self.vals.capacity() * 4;
        if bytes <= RETAIN_BYTES {
            let buffers = Buffers {
                cols: std::mem::take(&mut self.cols),
                vals: std::mem::take(&mut self.vals),
            };
            let _ = BUFFERS.try_with(|b| *b.borrow_mut() = buffers);
        }
    }
}

/// Consecutive rows of a [`Rows`], mutably.
struct RowsChunk<'a> {
    rows: Range<usize>,
    off: &'a [usize],
    lo: &'a mut [usize],
    len: &'a mut [usize],
    cols: &'a mut [u16],
    vals: &'a mut [u32],
}

/// One row of a chunk: where its entries start and how many there are, within its capacity.
struct RowMut<'a> {
    lo: &'a mut usize,
    len: &'a mut usize,
    cols: &'a mut [u16],
    vals: &'a mut [u32],
}

impl RowsChunk<'_> {
    #[inline]
    fn row_mut(&mut self, i: usize) -> RowMut<'_> {
        let base = self.off[self.rows.start];
        let (s, e) = (self.off[i] - base, self.off[i + 1] - base);
        let k = i - self.rows.start;
        RowMut {
            lo: &mut self.lo[k],
            len: &mut self.len[k],
            cols: &mut self.cols[s..e],
            vals: &mut self.vals[s..e],
        }
    }
}

/// Row ranges of about `total / parts` capacity each (covering all rows).
fn chunk_bounds(off: &[usize], parts: usize) -> Vec<Range<usize>> {
    let n = off.len() - 1;
    let target = (off[n] / parts.max(1)).max(1);
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..n {
        if off[i + 1] - off[start] >= target {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < n || out.is_empty() {
        out.push(start..n);
    }
    out
}

/// How passes run: on one thread, or as `parts` rayon tasks.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Exec {
    par: bool,
    parts: usize,
}

/// Below this many matrix entries a rayon fork/join (≈ 12 µs here) costs more than it saves.
const PAR_MIN_ENTRIES: usize = 1 << 17;

impl Exec {
    fn auto(work: usize) -> Self {
        let threads = rayon::current_num_threads();
        if threads > 1 && work >= PAR_MIN_ENTRIES {
            Exec::parallel(threads * 2)
        } else {
            Exec::sequential()
        }
    }
    pub(crate) fn sequential() -> Self {
        Exec {
            par: false,
            parts: 1,
        }
    }
    pub(crate) fn parallel(parts: usize) -> Self {
        Exec { par: true, parts }
    }

    /// Maps `f` over `items`, keeping their order (so merged results do not depend on timing).
    fn map<T: Send, R: Send>(&self, items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
        if self.par {
            items.into_par_iter().map(f).collect()
        } else {
            items.into_iter().map(f).collect()
        }
    }

    /// `parts` ranges splitting 0..n.
    fn ranges(&self, n: usize) -> Vec<Range<usize>> {
        let parts = self.parts.clamp(1, n.max(1));
        (0..parts)
            .map(|p| p * n / parts..(p + 1) * n / parts)
            .collect()
    }
}

/// Per-chunk column accumulators; merged by exact sums or maxima, so order-free.
struct ColAcc {
    sum: Vec<u64>,
    max: Vec<u64>,
}

impl ColAcc {
    fn new(n: usize) -> Self {
        ColAcc {
            sum: vec![0; n],
            max: vec![0; n],
        }
    }

    fn merge(parts: Vec<ColAcc>) -> ColAcc {
        let mut it = parts.into_iter();
        let mut acc = it.next().expect("at least one chunk");
        for p in it {
            acc.sum.iter_mut().zip(p.sum).for_each(|(a, x)| *a += x);
            acc.max
                .iter_mut()
                .zip(p.max)
                .for_each(|(a, x)| *a = (*a).max(x));
        }
        acc
    }
}

// =====================================================================================
// The epoch
// =====================================================================================

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
    fn n(&self) -> usize {
        self.stake.len()
    }

    /// `LU_i ≤ BR_j`: i last set weights before j (re)registered (steps 5 and 11).
    #[inline(always)]
    fn outdated(&self, i: usize, j: usize) -> bool {
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
}

impl Computed {
    fn empty() -> Self {
        Computed {
            out: EpochOutput::default(),
            bonds: Store::Sparse(Rows::with_capacities(std::iter::empty())),
            permit_prev: vec![],
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
                Store::Dense(m, _) => {
                    let row = m.row(i);
                    let mut out = Vec::new();
                    kernels::gather_marked(row, &mut out);
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
    #[cfg_attr(not(feature = "python"), allow(dead_code))]
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
                        Store::Dense(_, had) => had[i],
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
                    Store::Dense(m, _) => kernels::unmark_row(m.row(i), row),
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
        if n * n >= PAR_MIN_ENTRIES && rayon::current_num_threads() > 1 {
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
    run_epoch(p, weights, bonds, Exec::auto(w_work + b_work), Route::Auto)
}

/// Which layout steps 5–14 run on. Both give the same result; tests force each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// Dense sources dense; sparse ones dense when [`densify_pays`].
    Auto,
    #[cfg(test)]
    Sparse,
    #[cfg(test)]
    Dense,
}

/// [`epoch_rows`] with an explicit execution mode (tests compare modes).
#[cfg(test)]
fn epoch_exec<W, B>(p: &EpochParams<'_>, weights: &W, bonds: &B, exec: Exec) -> Result<Computed>
where
    W: RowSource + ?Sized,
    B: RowSource + ?Sized,
{
    epoch_route(p, weights, bonds, exec, Route::Auto)
}

/// [`epoch_exec`] on a forced layout.
#[cfg(test)]
fn epoch_route<W, B>(
    p: &EpochParams<'_>,
    weights: &W,
    bonds: &B,
    exec: Exec,
    route: Route,
) -> Result<Computed>
where
    W: RowSource + ?Sized,
    B: RowSource + ?Sized,
{
    p.validate(weights.rows(), bonds.rows())?;
    run_epoch(p, weights, bonds, exec, route)
}

/// Steps 1–20 of docs/ruleset.md §4.2 on validated inputs.
fn run_epoch<W, B>(
    p: &EpochParams<'_>,
    w_src: &W,
    b_src: &B,
    exec: Exec,
    route: Route,
) -> Result<Computed>
where
    W: RowSource + ?Sized,
    B: RowSource + ?Sized,
{
    let n = p.n();
    if n == 0 {
        return Ok(Computed::empty());
    }
    // Steps 1–4: activity, stake, new permits, active stake.
    let active = activity(p);
    let s = normalized_stake(p.stake);
    let permit_new = topk(&s, usize::from(p.max_allowed_validators));
    let a = active_stake(&s, &active, p.validator_permit);
    // Steps 5–14 on the matrices: dense sources take a dense path (no uid arrays, no merges);
    // sparse ones too when they fill enough of the n×n matrix (copied into dense scratch).
    let dense_src = w_src.dense_row(0).is_some() && b_src.dense_row(0).is_some();
    let dense = match route {
        Route::Auto => dense_src || densify_pays(p, w_src, b_src),
        #[cfg(test)]
        Route::Sparse => false,
        #[cfg(test)]
        Route::Dense => true,
    };
    let core = if !dense {
        sparse_core(p, w_src, b_src, &a, &permit_new, exec)?
    } else if dense_src {
        dense_core(p, w_src, b_src, &a, &permit_new, exec)?
    } else {
        let mut scratch = DENSE_SCRATCH
            .try_with(|b| std::mem::take(&mut *b.borrow_mut()))
            .unwrap_or_default();
        // Bonds first: the sparse path validates them first too.
        densify(b_src, "bonds", n, &mut scratch.1)?;
        densify(w_src, "weights", n, &mut scratch.0)?;
        let (w, b) = (
            DenseRows {
                data: &scratch.0.data,
                n,
            },
            DenseRows {
                data: &scratch.1.data,
                n,
            },
        );
        let core = dense_core(p, &w, &b, &a, &permit_new, exec)?;
        if scratch.0.data.capacity() * 4 <= RETAIN_BYTES {
            let _ = DENSE_SCRATCH.try_with(|b| *b.borrow_mut() = scratch);
        }
        core
    };
    let Core {
        c,
        vt,
        trust,
        incentive,
        mut dividends,
        bonds,
    } = core;
    normalize_bits(&mut dividends);
    // Steps 15–16: emission split and rao.
    let split = emission_split(&incentive, &dividends, &s, &a);
    let to_rao = |v: &[u64]| -> Vec<u64> { v.iter().map(|&x| rao(x, p.rao_emission)).collect() };
    // Step 18: writes (as u16 proportions).
    let prop = |v: &[u64]| -> Vec<u16> { v.iter().map(|&x| fx::proportion_u16(x)).collect() };
    Ok(Computed {
        out: EpochOutput {
            emission: to_rao(&split.combined),
            server: to_rao(&split.server),
            validator: to_rao(&split.validator),
            rank: prop(&incentive),
            trust: prop(&trust),
            consensus: prop(&c),
            incentive: prop(&incentive),
            dividends: prop(&dividends),
            validator_trust: prop(&vt),
            pruning_scores: pruning_scores(&split.combined),
            active,
            validator_permit: permit_new,
            bonds: Vec::new(),
        },
        bonds,
        permit_prev: p.validator_permit.to_vec(),
    })
}

thread_local! {
    /// Dense copies of sparse weights and bonds (see [`densify_pays`]), kept between epochs.
    static DENSE_SCRATCH: std::cell::RefCell<(DenseCopy, DenseCopy)> =
        std::cell::RefCell::default();
}

/// Whether sparse rows are better handled as dense n×n matrices: the dense passes read all n²
/// entries of the bonds and n per weights row of a previous permit holder, in SIMD; the sparse
/// ones only the stored entries, but several times slower each. Dense wins when the rows fill
/// about an eighth of the matrix (e.g. Finney's 64 validators weighting all 256 uids).
fn densify_pays<W, B>(p: &EpochParams<'_>, w_src: &W, b_src: &B) -> bool
where
    W: RowSource + ?Sized,
    B: RowSource + ?Sized,
{
    let n = p.n();
    if n > DENSIFY_MAX_N {
        return false;
    }
    let entries: usize = (0..n)
        .map(|i| w_src.row_bound(i) + b_src.row_bound(i))
        .sum();
    n * n <= DENSIFY_FILL * entries
}

/// Largest n whose matrices [`densify_pays`] may copy (8 MiB of u16 each at most).
const DENSIFY_MAX_N: usize = 2048;

/// [`densify_pays`]: dense when n² ≤ this × the stored entries.
const DENSIFY_FILL: usize = 6;

/// Copies sparse rows into `out` as a dense row-major n×n matrix (absent = 0; a stored 0 is the
/// same for every step), validating each row as the sparse path does.
///
/// `out` is kept between calls with the rows it holds entries in: only those rows are cleared
/// again, so a steady subnet pays for its stored rows, not for all n² entries.
fn densify<S: RowSource + ?Sized>(
    src: &S,
    what: &str,
    n: usize,
    out: &mut DenseCopy,
) -> Result<()> {
    if out.n != n || out.data.len() != n * n {
        out.data.clear();
        out.data.resize(n * n, 0);
        out.written.clear();
        out.n = n;
    }
    for &i in &out.written {
        out.data[i * n..(i + 1) * n].fill(0);
    }
    out.written.clear();
    let mut scratch = Vec::new();
    for (i, row) in out.data.chunks_exact_mut(n).enumerate() {
        if let Some(pairs) = src.pairs(i) {
            if kernels::scatter_pairs(pairs, row) {
                if !pairs.is_empty() {
                    out.written.push(i);
                }
                continue; // canonical: nothing to validate
            }
        }
        let mut shape = RowShape::new();
        src.visit(i, |j, v| {
            shape.see(j);
            if let Some(x) = row.get_mut(usize::from(j)) {
                *x = v;
            }
        });
        if shape.max >= 0 {
            out.written.push(i);
        }
        validate_row(src, what, i, n, shape, &mut scratch)?;
    }
    Ok(())
}

/// A dense n×n copy of sparse rows ([`densify`]) and the rows it holds entries in.
#[derive(Default)]
struct DenseCopy {
    n: usize,
    data: Vec<u16>,
    written: Vec<usize>,
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

/// Step 10's trust `T_j = R_j ⊘ R0_j` (0 where `R0_j = 0`) and incentive `normalise(R)`.
fn trust_incentive(r: &[u64], r0: &[u64]) -> (Vec<u64>, Vec<u64>) {
    let trust: Vec<u64> = r
        .iter()
        .zip(r0)
        .map(|(&x, &y)| if y != 0 { fx::div(x, y) } else { 0 })
        .collect();
    let mut incentive = r.to_vec();
    normalize_bits(&mut incentive);
    (trust, incentive)
}

/// Steps 5–14 and 19 over sparse rows.
fn sparse_core<W, B>(
    p: &EpochParams<'_>,
    w_src: &W,
    b_src: &B,
    a: &[u64],
    permit_new: &[bool],
    exec: Exec,
) -> Result<Core>
where
    W: RowSource + ?Sized,
    B: RowSource + ?Sized,
{
    // Step 11 (first half, read-only): old bonds' column sums. Early, to validate all input.
    let bond_col_sum = bond_column_sums(p, b_src, exec)?;
    // Steps 5–6: weights (masked, row-normalised) and pre-ranks.
    let (mut rows, loaded) = load_weights(p, w_src, b_src, a, exec)?;
    // Step 7: consensus.
    let c = consensus(&rows, a, &loaded, kappa_bits(p), exec);
    // Steps 8–10: clip; validator trust; ranks, trust, incentive.
    let (vt, r) = clip_weights(&rows, &c, a, exec);
    let (trust, incentive) = trust_incentive(&r, &loaded.sum);
    // Steps 11–13: old bonds and bond deltas, column-normalised, and their moving average.
    let ema = Ema {
        p,
        a,
        c: &c,
        delta_rec: recips(&r),
        bond_rec: recips(&bond_col_sum),
        alpha: ema_alpha(p.bonds_moving_average),
    };
    let ema_cols = ema.run(&mut rows, b_src, exec);
    // Steps 13 (normalise), 14 (dividends) and 19 (max-upscale, u16), in one pass.
    let dividends = finish_bonds(&mut rows, &ema_cols, &incentive, permit_new, exec);
    Ok(Core {
        c,
        vt,
        trust,
        incentive,
        dividends,
        bonds: Store::Sparse(rows),
    })
}

/// Step 7's κ = I32F32(Kappa) ⊘ I32F32(65535).
fn kappa_bits(p: &EpochParams<'_>) -> u64 {
    fx::div(u64::from(p.kappa) << 32, 65535u64 << 32)
}

// =====================================================================================
// The dense path: both matrices given as dense n×n arrays
// =====================================================================================

/// Step 19's stored bonds: sparse rows, or a dense row-major matrix.
pub(crate) enum Store {
    Sparse(Rows),
    /// The matrix, and per row whether the old (raw) bonds had a nonzero entry.
    Dense(DenseMat, Vec<bool>),
}

/// A dense row-major n×n u32 matrix on the cached buffer of [`Rows`] (contents unspecified
/// until written). It holds the normalised weights (as [`enc`] keys, 0 = no entry), then the
/// moving average (`min(acc, 2^32 − 1)`; entries of 2^32 − 1 or more are also kept exactly aside),
/// then the stored bonds (u16 values) of the rows holding the new permit.
pub(crate) struct DenseMat {
    n: usize,
    buffers: Buffers,
}

impl DenseMat {
    fn new(n: usize) -> Self {
        let mut buffers = BUFFERS
            .try_with(|b| std::mem::take(&mut *b.borrow_mut()))
            .unwrap_or_default();
        if buffers.vals.len() < n * n {
            buffers.vals.resize(n * n, 0);
        }
        DenseMat { n, buffers }
    }

    fn row(&self, i: usize) -> &[u32] {
        &self.buffers.vals[i * self.n..(i + 1) * self.n]
    }

    fn all(&self) -> &[u32] {
        &self.buffers.vals[..self.n * self.n]
    }

    /// The rows of `ranges` (consecutive, covering 0..n) as separate mutable slices.
    fn split(&mut self, ranges: Vec<Range<usize>>) -> Vec<(Range<usize>, &mut [u32])> {
        let n = self.n;
        let mut rest = &mut self.buffers.vals[..n * n];
        let mut out = Vec::with_capacity(ranges.len());
        for r in ranges {
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(r.len() * n);
            out.push((r, head));
            rest = tail;
        }
        out
    }
}

impl Drop for DenseMat {
    fn drop(&mut self) {
        let b = &mut self.buffers;
        if b.cols.capacity() * 2 + b.vals.capacity() * 4 <= RETAIN_BYTES {
            let buffers = std::mem::take(b);
            let _ = BUFFERS.try_with(|c| *c.borrow_mut() = buffers);
        }
    }
}

/// Steps 5–14 and 19 over dense n×n sources (zero = no entry). Same arithmetic as the sparse
/// path; entries that are absent there are zeros here, which add nothing to any sum or product.
/// The per-row work is done by the SIMD kernels of [`kernels`].
fn dense_core<W, B>(
    p: &EpochParams<'_>,
    w_src: &W,
    b_src: &B,
    a: &[u64],
    permit_new: &[bool],
    exec: Exec,
) -> Result<Core>
where
    W: RowSource + ?Sized,
    B: RowSource + ?Sized,
{
    let n = p.n();
    let max_br = p.block_at_registration.iter().copied().max().unwrap_or(0);
    // A row with LU_i > max BR has no outdated entry.
    let clean = |i: usize| p.last_update[i] > max_br;
    let brow = |i: usize| b_src.dense_row(i).expect("dense bonds");
    let permit_prev = p.validator_permit;

    // Step 11 (first half): old bonds' column sums (< 65536 · 65535 < 2^32 per chunk of rows).
    // Also notes which rows have any (raw) bond.
    let parts = exec.map(exec.ranges(n), |rows| {
        let mut sum = vec![0u32; n];
        let mut any = Vec::with_capacity(rows.len());
        for i in rows {
            let b = brow(i);
            if clean(i) {
                any.push(kernels::add_row(b, &mut sum));
            } else {
                any.push(b.iter().any(|&x| x != 0));
                for (j, (s, &x)) in sum.iter_mut().zip(b).enumerate() {
                    if !p.outdated(i, j) {
                        *s += u32::from(x);
                    }
                }
            }
        }
        (sum, any)
    });
    let mut bond_col_sum = vec![0u64; n];
    let mut has_bonds = Vec::with_capacity(n);
    for (part, any) in parts {
        bond_col_sum
            .iter_mut()
            .zip(part)
            .for_each(|(s, x)| *s += u64::from(x));
        has_bonds.extend(any);
    }
    if let Some(j) = bond_col_sum.iter().position(|&x| x > i32::MAX as u64) {
        return Err(ChainError::Fatal(format!(
            "bonds column {j} sums to {}, overflowing I32F32",
            bond_col_sum[j]
        )));
    }

    // Steps 5–6: masked, row-normalised weights; pre-ranks and column maxima over a_i > 0.
    let mut mat = DenseMat::new(n);
    let results = exec.map(mat.split(exec.ranges(n)), |(rows, m)| -> Result<_> {
        let (mut r0, mut mx) = (vec![0u64; n], vec![0u32; n]);
        for (k, i) in rows.clone().enumerate() {
            if !permit_prev[i] {
                continue; // the row stays unwritten: no later pass reads it
            }
            let row = &mut m[k * n..(k + 1) * n];
            let w = w_src.dense_row(i).expect("dense weights");
            if clean(i) {
                // Only the diagonal is masked: sum, then normalise straight from the u16 row.
                let sum = kernels::row_sum(w) - u64::from(w[i]);
                let d = Divisor::new(checked_row_sum(i, sum)?);
                kernels::load_normalize(w, i, d, a[i], row, &mut r0, &mut mx);
                continue;
            }
            let mut sum = kernels::load_row(w, row);
            sum -= u64::from(std::mem::take(&mut row[i]));
            for (j, v) in row.iter_mut().enumerate() {
                if p.outdated(i, j) {
                    sum -= u64::from(std::mem::take(v));
                }
            }
            let d = Divisor::new(checked_row_sum(i, sum)?);
            kernels::normalize_row(row, d, a[i], &mut r0, &mut mx);
        }
        Ok((r0, mx))
    });
    let mut r0 = vec![0u64; n];
    let mut mx = vec![0u32; n];
    for part in results {
        let (pr, pm) = part?;
        r0.iter_mut().zip(pr).for_each(|(s, x)| *s += x);
        mx.iter_mut().zip(pm).for_each(|(s, x)| *s = (*s).max(x));
    }
    let loaded = ColAcc {
        sum: r0,
        max: mx.into_iter().map(dec).collect(),
    };

    // Step 7: consensus.
    let c = consensus_mat(Mat::Dense(mat.all(), n), a, &loaded, kappa_bits(p), exec);

    // Steps 8–10: clip; validator trust; ranks.
    let results = exec.map(exec.ranges(n), |rows| {
        let mut r = vec![0u64; n];
        let vt: Vec<u64> = rows
            .map(|i| match permit_prev[i] {
                true => kernels::clip_row(mat.row(i), &c, a[i], &mut r),
                false => 0,
            })
            .collect();
        (vt, r)
    });
    let mut r = vec![0u64; n];
    let mut vt = Vec::with_capacity(n);
    for (pv, pr) in results {
        vt.extend(pv);
        r.iter_mut().zip(pr).for_each(|(s, x)| *s += x);
    }
    let (trust, incentive) = trust_incentive(&r, &loaded.sum);

    // Steps 11–13: `acc_ij = α ⊗ (W̄_ij ⊗ a_i ⊘ R_j) + α' ⊗ (β_ij ⊘ CB_j)`, in place.
    let (delta, bond) = (Divisors::new(&r), Divisors::new(&bond_col_sum));
    let ema_cols = EmaCols {
        c: &c,
        delta: &delta,
        bond: &bond,
        alpha: ema_alpha(p.bonds_moving_average),
    };
    let results = exec.map(mat.split(exec.ranges(n)), |(rows, m)| {
        let mut acc = ColAcc::new(n);
        let (mut vals, mut masked) = (vec![0u64; n], Vec::new());
        let mut aside = Vec::new();
        let mut nonzero = Vec::with_capacity(rows.len());
        for (k, i) in rows.clone().enumerate() {
            let row = &mut m[k * n..(k + 1) * n];
            let b = brow(i);
            let has_w = permit_prev[i] && a[i] > 0;
            let has_b = has_bonds[i];
            nonzero.push(has_w || has_b);
            if !has_w && !has_b {
                continue;
            }
            let b = if has_b && !clean(i) {
                masked.clear();
                masked.extend((0..n).map(|j| if p.outdated(i, j) { 0 } else { b[j] }));
                &masked[..]
            } else {
                b
            };
            let top = kernels::ema_store_row(
                row,
                has_w.then_some(a[i]),
                has_b.then_some(b),
                &ema_cols,
                &mut vals,
                &mut acc.sum,
                &mut acc.max,
            );
            if top >= u64::from(u32::MAX) {
                // Values of 2^32 − 1 or more (2^32 does not fit u32): kept exactly.
                let big = (0..n).filter(|&j| vals[j] >= u64::from(u32::MAX));
                aside.push((i, big.map(|j| (j, vals[j])).collect::<Vec<_>>()));
            }
        }
        (acc, aside, nonzero)
    });
    let mut accs = Vec::with_capacity(results.len());
    let mut aside: Vec<Option<Vec<(usize, u64)>>> = Vec::new();
    let mut nonzero = Vec::with_capacity(n);
    for (acc, side, nz) in results {
        accs.push(acc);
        for (i, v) in side {
            if aside.is_empty() {
                aside.resize(n, None);
            }
            aside[i] = Some(v);
        }
        nonzero.extend(nz);
    }
    let ema = ColAcc::merge(accs);

    // Steps 13 (normalise), 14 (dividends) and 19 (max-upscale, u16), as in `finish_bonds`.
    let norm = Divisors::new(&ema.sum);
    let col_max: Vec<u64> = ema
        .max
        .iter()
        .enumerate()
        .map(|(j, &m)| norm.div(j, m))
        .collect();
    let upscale = Divisors::new(&col_max);
    let finish_cols = FinishCols {
        norm: &norm,
        incentive: &incentive,
        upscale: &upscale,
        incentive_lt_one: incentive.iter().all(|&x| x < fx::ONE),
    };
    let results = exec.map(mat.split(exec.ranges(n)), |(rows, m)| {
        let mut d = Vec::with_capacity(rows.len());
        for (k, i) in rows.clone().enumerate() {
            let row = &mut m[k * n..(k + 1) * n];
            d.push(if !nonzero[i] {
                if permit_new[i] {
                    row.fill(0);
                }
                0
            } else if let Some(exact) = aside.get(i).and_then(Option::as_ref) {
                kernels::finish_row_patched(row, exact, &finish_cols, permit_new[i])
            } else {
                kernels::finish_row(row, &finish_cols, permit_new[i])
            });
        }
        d
    });
    let dividends = results.concat();
    Ok(Core {
        c,
        vt,
        trust,
        incentive,
        dividends,
        bonds: Store::Dense(mat, has_bonds),
    })
}

/// Step 1: `active_i = ¬(LU_i + A < b)`. The sum saturates (the reference's u64 addition cannot
/// overflow for real block numbers; a saturated sum means "updated in the far future": active).
fn activity(p: &EpochParams<'_>) -> Vec<bool> {
    let cutoff = u64::from(p.activity_cutoff);
    p.last_update
        .iter()
        .map(|&lu| lu.saturating_add(cutoff) >= p.block)
        .collect()
}

/// Step 2: `s_i = to_I32F32(I64F64(S_i) ⊘ Σ)`. The I64F64 quotient has bits ⌊S_i·2^64 / Σ⌋ and
/// narrowing floors, so `s_i` has bits ⌊⌊S_i·2^64/Σ⌋ / 2^32⌋ = ⌊S_i·2^32 / Σ⌋ (nested floors by
/// positive integers compose), which [`Recip`] computes exactly. Σ < 2^63 is validated.
fn normalized_stake(stake: &[u64]) -> Vec<u64> {
    let total: u64 = stake.iter().sum();
    if total == 0 {
        return vec![0; stake.len()];
    }
    let r = fx::WideRecip::new(total);
    stake.iter().map(|&x| r.div(x)).collect()
}

/// Step 4: stake of uids that are active and held a permit, normalised.
fn active_stake(s: &[u64], active: &[bool], permit_prev: &[bool]) -> Vec<u64> {
    let mut a: Vec<u64> = (0..s.len())
        .map(|i| if active[i] && permit_prev[i] { s[i] } else { 0 })
        .collect();
    normalize_bits(&mut a);
    a
}

/// Step 11, first half: validates every bonds row and sums each column's raw values over the
/// entries that are not outdated (rows are not masked by permits). The sums are I32F32 integers
/// in the reference; ≥ 2^31 overflows it, which docs/ruleset.md §0.3 calls fatal.
fn bond_column_sums<S: RowSource + ?Sized>(
    p: &EpochParams<'_>,
    src: &S,
    exec: Exec,
) -> Result<Vec<u64>> {
    let n = p.n();
    let parts = exec.ranges(n);
    let results = exec.map(parts, |rows| -> Result<Vec<u64>> {
        let mut sum = vec![0u64; n];
        let mut scratch = Vec::new();
        for i in rows {
            let mut shape = RowShape::new();
            src.visit(i, |j, b| {
                shape.see(j);
                let ju = usize::from(j);
                if ju < n && !p.outdated(i, ju) {
                    sum[ju] += u64::from(b);
                }
            });
            validate_row(src, "bonds", i, n, shape, &mut scratch)?;
        }
        Ok(sum)
    });
    let mut it = results.into_iter();
    let mut sum = it.next().expect("at least one part")?;
    for part in it {
        sum.iter_mut().zip(part?).for_each(|(a, x)| *a += x);
    }
    if let Some(j) = sum.iter().position(|&x| x > i32::MAX as u64) {
        return Err(ChainError::Fatal(format!(
            "bonds column {j} sums to {}, overflowing I32F32",
            sum[j]
        )));
    }
    Ok(sum)
}

/// Steps 5–6. Rows of uids without a previous permit are dropped (only validated); the diagonal
/// and outdated entries are dropped; rows are sorted by uid and normalised. Row capacities also
/// fit the moving average written over them later (step 13). Returns the rows and, over the rows
/// with `a_i > 0` (the rows the median reads), per column: the pre-rank `R0_j = Σ_i a_i ⊗ W_ij`
/// (`sum`) and the largest weight (`max`).
fn load_weights<W, B>(
    p: &EpochParams<'_>,
    src: &W,
    bonds: &B,
    a: &[u64],
    exec: Exec,
) -> Result<(Rows, ColAcc)>
where
    W: RowSource + ?Sized,
    B: RowSource + ?Sized,
{
    let n = p.n();
    let caps = (0..n).map(|i| {
        let w = if p.validator_permit[i] {
            src.row_bound(i)
        } else {
            0
        };
        (w + bonds.row_bound(i)).min(n)
    });
    let mut rows = Rows::with_capacities(caps);
    let chunks = rows.chunks_mut(exec.parts);
    let results = exec.map(chunks, |mut ch| -> Result<ColAcc> {
        let mut acc = ColAcc::new(n);
        let (mut scratch, mut pairs) = (Vec::new(), Vec::new());
        for i in ch.rows.clone() {
            let row = ch.row_mut(i);
            let mut shape = RowShape::new();
            if !p.validator_permit[i] {
                if !src.canonical() {
                    src.visit(i, |j, _| shape.see(j));
                    validate_row(src, "weights", i, n, shape, &mut scratch)?;
                }
                continue;
            }
            let (mut len, mut sum) = (0usize, 0u64);
            src.visit(i, |j, w| {
                shape.see(j);
                let ju = usize::from(j);
                if ju < n && ju != i && !p.outdated(i, ju) {
                    row.cols[len] = j;
                    row.vals[len] = u32::from(w);
                    len += 1;
                    sum += u64::from(w);
                }
            });
            validate_row(src, "weights", i, n, shape, &mut scratch)?;
            let (cols, vals) = (&mut row.cols[..len], &mut row.vals[..len]);
            if !shape.sorted {
                sort_row(cols, vals, &mut pairs);
            }
            (*row.lo, *row.len) = (0, len);
            let r = row_normalizer(i, sum)?;
            let ai = a[i];
            for (&j, v) in cols.iter().zip(vals.iter_mut()) {
                let normalized = r.div(u64::from(*v));
                *v = enc(normalized);
                if ai > 0 {
                    let j = usize::from(j);
                    acc.sum[j] += mul(ai, normalized);
                    acc.max[j] = acc.max[j].max(normalized);
                }
            }
        }
        Ok(acc)
    });
    let parts: Result<Vec<ColAcc>> = results.into_iter().collect();
    Ok((rows, ColAcc::merge(parts?)))
}

/// The row normalisation of one weights row: raw u16 values `w` become `I32F32(w) ⊘ I32F32(S)`,
/// bits ⌊w·2^32 / S⌋ (both operands integers); a zero sum leaves the (zero) values as they are.
/// The row sum S is an I32F32 in the reference; S ≥ 2^31 overflows it, which docs/ruleset.md §0.3
/// calls fatal. Since S < 2^31, a quotient for w < S is at most 2^32 − ⌈2^32/S⌉ ≤ 2^32 − 2: the
/// value 2^32 − 1 never occurs, and [`enc`] stores the quotients in u32.
fn row_normalizer(i: usize, sum: u64) -> Result<Recip> {
    // Recip(0) is the identity; all values of a zero-sum row are 0.
    Ok(Recip::new(checked_row_sum(i, sum)?))
}

/// A raw weights row sum, which must be an I32F32 (below 2^31).
fn checked_row_sum(i: usize, sum: u64) -> Result<u64> {
    if sum > i32::MAX as u64 {
        return Err(ChainError::Fatal(format!(
            "weights row {i} sums to {sum}, overflowing I32F32"
        )));
    }
    Ok(sum)
}

/// Columns per block of the median sweeps in [`consensus`]: wide enough that each row's segment
/// spans many cache lines (the rows are far apart, so short segments are all latency), narrow
/// enough that the block's histograms (`MEDIAN_BLOCK · 2^MEDIAN_BITS` u64) stay in L2.
const MEDIAN_BLOCK: usize = 1024;

/// Bits of the first-level histogram of each column.
const MEDIAN_BITS: u32 = 6;

/// Step 7: `C = weighted_median_col(a, W, n, κ)`.
///
/// Instead of the reference's mid-pivot recursion this computes the value the recursion is
/// proven to return. Write `st(<v)` / `st(≤v)` for the (exact) stake of kept rows scoring below /
/// at most v in a column, absent entries scoring 0. The recursion keeps the invariant that its
/// partition holds every score of a value range and that `lo = st(< min of range)`,
/// `hi = st(≤ max of range)`; it returns pivot p exactly when `st(<p) ≤ minority < st(≤p)`. For
/// `0 ≤ minority < ss` the half-open intervals `[st(<v), st(≤v))` of the distinct values tile
/// `[0, ss)`, `lo ≤ minority < hi` holds at every level, and the result is the unique score v
/// with `st(<v) ≤ minority < st(≤v)`. For `minority < 0` it always descends into `lower` and
/// returns the column minimum; for `minority ≥ ss` it returns the maximum. So pivot choice and
/// partition order cannot change the result; `weighted_median_col` (the literal recursion)
/// cross-checks this in tests.
fn consensus(w: &Rows, a: &[u64], loaded: &ColAcc, kappa: u64, exec: Exec) -> Vec<u64> {
    consensus_mat(Mat::Sparse(w), a, loaded, kappa, exec)
}

/// [`consensus`] over either layout.
fn consensus_mat(w: Mat<'_>, a: &[u64], loaded: &ColAcc, kappa: u64, exec: Exec) -> Vec<u64> {
    let n = a.len();
    let kept: Vec<usize> = (0..n).filter(|&i| a[i] > 0).collect();
    if kept.is_empty() {
        return vec![0; n];
    }
    let mut st: Vec<u64> = kept.iter().map(|&i| a[i]).collect();
    normalize_bits(&mut st); // §4.3 step 1: kept stakes normalised again
    let ss: u64 = st.iter().sum();
    let minority = ss as i64 - kappa as i64;
    if minority < 0 {
        return column_minima(w, &kept, n);
    }
    if minority as u64 >= ss {
        return loaded.max.clone(); // the column maxima (0 for an empty column)
    }
    let w = match w {
        Mat::Dense(m, n) => {
            return dense_medians(m, n, &kept, &st, minority as u64, &loaded.max, exec)
        }
        Mat::Sparse(w) => w,
    };
    let ctx = MedianCtx {
        w,
        kept: &kept,
        st: &st,
        ss,
        col_max: &loaded.max,
        minority: minority as u64,
    };
    let parts = exec.ranges(n.div_ceil(MEDIAN_BLOCK));
    exec.map(parts, |blocks| ctx.blocks(blocks)).concat()
}

/// Binary-search steps of [`dense_medians`] before the remaining candidates are listed.
const DENSE_MEDIAN_LEVELS: usize = 6;

/// Step 7 on a dense matrix of keys, [`kernels::LANES`] columns at a time (the result is the
/// characterisation of [`consensus`]: the smallest key v with `st(≤v) > minority`, with
/// `0 ≤ minority < ss`). The kept rows' keys of the block are copied into a contiguous strip;
/// per column, a binary search on the key keeps `st(≤lo−1) ≤ minority < st(≤hi)` (true at
/// `lo = 0`, `hi` = the column maximum, whose `st` is `ss`), each step counting the stake at
/// most `mid` for all lanes at once. After [`DENSE_MEDIAN_LEVELS`] steps, columns not yet
/// settled (`lo < hi`) select among their few keys in `[lo, hi]` with the stake below `lo`
/// already passed.
fn dense_medians(
    m: &[u32],
    n: usize,
    kept: &[usize],
    st: &[u64],
    minority: u64,
    col_max: &[u64],
    exec: Exec,
) -> Vec<u64> {
    use kernels::LANES;
    // Stakes as u32 when their total is below 2^32 (it is at most 2^32: normalised).
    let st32: Option<Vec<u32>> =
        (st.iter().sum::<u64>() < fx::ONE).then(|| st.iter().map(|&x| x as u32).collect());
    let parts = exec.ranges(n.div_ceil(LANES));
    let results = exec.map(parts, |blocks| {
        let mut scratch = MedianScratch {
            strip: vec![0u32; kept.len() * LANES],
            hits: Vec::new(),
            cands: vec![Vec::new(); LANES],
            hist: [0; 256],
        };
        let mut out = Vec::with_capacity(blocks.len() * LANES);
        let cx = StripCtx {
            m,
            n,
            kept,
            st,
            st32: st32.as_deref(),
            minority,
            col_max,
        };
        for b in blocks {
            median_strip(&cx, b * LANES, &mut scratch, &mut out);
        }
        out
    });
    results.concat()
}

/// What [`median_strip`] reads: the matrix of keys, the kept rows with their stakes (also as
/// u32 when they sum below 2^32), the minority stake and the column maxima.
struct StripCtx<'a> {
    m: &'a [u32],
    n: usize,
    kept: &'a [usize],
    st: &'a [u64],
    st32: Option<&'a [u32]>,
    minority: u64,
    col_max: &'a [u64],
}

/// Reused buffers of [`median_strip`].
struct MedianScratch {
    strip: Vec<u32>,
    hits: Vec<u32>,
    cands: Vec<Vec<(u32, u64)>>,
    hist: [u64; 256],
}

/// The medians of columns `c0..c0 + LANES` (those below n) of [`dense_medians`], appended to
/// `out`. Compiled for AVX-512 / AVX2 too, so that the per-lane steps of the search run as
/// vector operations on the 16 lanes.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
fn median_strip<'a>(cx: &StripCtx<'a>, c0: usize, sc: &mut MedianScratch, out: &mut Vec<u64>) {
    use kernels::LANES;
    let (m, n, kept) = (cx.m, cx.n, cx.kept);
    let w = LANES.min(n - c0);
    let strip = &mut sc.strip;
    if w == LANES {
        // Fixed-size copies (one vector move each, no memcpy call).
        for (seg, &i) in strip.chunks_exact_mut(LANES).zip(kept) {
            let src: &[u32; LANES] = m[i * n + c0..][..LANES].try_into().expect("LANES");
            let dst: &mut [u32; LANES] = seg.try_into().expect("LANES");
            *dst = *src;
        }
    } else {
        strip.fill(0); // lanes past n: settled at once (lo = hi = 0)
        for (seg, &i) in strip.chunks_exact_mut(LANES).zip(kept) {
            seg[..w].copy_from_slice(&m[i * n + c0..i * n + c0 + w]);
        }
    }
    let (mut lo, mut below) = ([0u32; LANES], [0u64; LANES]);
    let mut hi = [0u32; LANES];
    for (h, &x) in hi.iter_mut().zip(&cx.col_max[c0..c0 + w]) {
        *h = enc(x);
    }
    let settled = |lo: &[u32; LANES], hi: &[u32; LANES]| {
        (0..LANES).fold(true, |all, c| all & (lo[c] == hi[c]))
    };
    for level in 0..=DENSE_MEDIAN_LEVELS {
        if settled(&lo, &hi) {
            break;
        }
        // Level 0 probes 0: sparse columns (most rows without a weight) have median 0.
        let mid: [u32; LANES] = match level {
            0 => [0; LANES],
            _ => std::array::from_fn(|c| lo[c] + (hi[c] - lo[c]) / 2),
        };
        let at_most: [u64; LANES] = match cx.st32 {
            Some(st32) => kernels::stake_at_most_u32(strip, st32, &mid).map(u64::from),
            None => kernels::stake_at_most(strip, cx.st, &mid),
        };
        // Branch-free (the comparisons are coin flips for the branch predictor).
        for c in 0..LANES {
            let open = lo[c] != hi[c];
            let gt = at_most[c] > cx.minority;
            let up = open & !gt;
            hi[c] = if open & gt { mid[c] } else { hi[c] };
            lo[c] = if up { mid[c].wrapping_add(1) } else { lo[c] };
            below[c] = if up { at_most[c] } else { below[c] };
        }
    }
    let cands = &mut sc.cands;
    if !settled(&lo, &hi) {
        sc.hits.clear();
        kernels::keys_in_range(strip, &lo, &hi, &mut sc.hits);
        cands.iter_mut().for_each(Vec::clear);
        for &h in &sc.hits {
            let (k, c) = (h as usize / LANES, h as usize % LANES);
            cands[c].push((strip[h as usize], cx.st[k]));
        }
    }
    for c in 0..w {
        out.push(dec(if lo[c] == hi[c] {
            lo[c]
        } else {
            select_refine(&mut cands[c], cx.minority - below[c], &mut sc.hist)
        }));
    }
}

/// The normalised weights as the median reads them: sparse rows, or a dense row-major n×n
/// matrix of [`enc`] keys (0 = no entry, which scores the same).
#[derive(Clone, Copy)]
enum Mat<'a> {
    Sparse(&'a Rows),
    Dense(&'a [u32], usize),
}

/// Column minima over the kept rows, absent entries counting as 0.
fn column_minima(w: Mat<'_>, kept: &[usize], n: usize) -> Vec<u64> {
    let w = match w {
        Mat::Sparse(w) => w,
        Mat::Dense(m, n) => {
            let mut min = vec![u32::MAX; n];
            for &i in kept {
                let row = &m[i * n..(i + 1) * n];
                min.iter_mut().zip(row).for_each(|(x, &v)| *x = (*x).min(v));
            }
            return min.into_iter().map(dec).collect();
        }
    };
    let mut count = vec![0usize; n];
    let mut min = vec![u64::MAX; n];
    for &i in kept {
        let (cols, vals) = w.row(i);
        for (&j, &v) in cols.iter().zip(vals) {
            count[usize::from(j)] += 1;
            min[usize::from(j)] = min[usize::from(j)].min(dec(v));
        }
    }
    (0..n)
        .map(|j| if count[j] < kept.len() { 0 } else { min[j] })
        .collect()
}

/// The sparse median's sweeps (the dense layout has [`dense_medians`]).
struct MedianCtx<'a> {
    w: &'a Rows,
    kept: &'a [usize],
    st: &'a [u64],
    ss: u64,
    col_max: &'a [u64],
    minority: u64,
}

/// Per-block state of the median sweeps.
struct MedianBlock {
    /// Per column: the shift of its first-level buckets, where its histogram starts, the bucket
    /// holding the median (`u64::MAX` once the median is known) and the stake still to pass.
    shift: [u32; MEDIAN_BLOCK],
    hstart: [usize; MEDIAN_BLOCK + 1],
    target: [u64; MEDIAN_BLOCK],
    rem: [u64; MEDIAN_BLOCK],
    hist: Vec<u64>,
    cands: Vec<Vec<(u32, u64)>>,
}

impl MedianCtx<'_> {
    /// Medians of the columns of blocks `blocks`, in order.
    fn blocks(&self, blocks: Range<usize>) -> Vec<u64> {
        let n = self.col_max.len();
        let first = blocks.start * MEDIAN_BLOCK;
        let end = (blocks.end * MEDIAN_BLOCK).min(n);
        // Per kept row, where its entries of the current block start (rows are uid-sorted).
        let mut cursor: Vec<usize> = self
            .kept
            .iter()
            .map(|&i| self.w.row(i).0.partition_point(|&c| usize::from(c) < first))
            .collect();
        let mut block_end = vec![0usize; self.kept.len()];
        let mut b = MedianBlock {
            shift: [0; MEDIAN_BLOCK],
            hstart: [0; MEDIAN_BLOCK + 1],
            target: [0; MEDIAN_BLOCK],
            rem: [0; MEDIAN_BLOCK],
            hist: Vec::new(),
            cands: take_cands(),
        };
        let mut done = [None; MEDIAN_BLOCK];
        let mut hist = [0u64; 256];
        let mut out = Vec::with_capacity(end.saturating_sub(first));
        for c0 in (first..end).step_by(MEDIAN_BLOCK) {
            let cols = c0..(c0 + MEDIAN_BLOCK).min(end);
            self.histograms(&cols, &mut cursor, &mut block_end, &mut b);
            for (k, slot) in done.iter_mut().enumerate().take(cols.len()) {
                *slot = self.first_level(k, &mut b);
            }
            self.candidates(&cols, &cursor, &block_end, &mut b);
            for (k, slot) in done.iter().enumerate().take(cols.len()) {
                let key =
                    slot.unwrap_or_else(|| select_refine(&mut b.cands[k], b.rem[k], &mut hist));
                out.push(dec(key));
            }
            cursor.copy_from_slice(&block_end);
        }
        keep_cands(b.cands);
        out
    }

    /// Sweep 1: each column's first-level histogram (stake per bucket of its top key bits; the
    /// key range comes from the column maximum). Leaves each row's block end in `block_end`.
    fn histograms(
        &self,
        cols: &Range<usize>,
        cursor: &mut [usize],
        block_end: &mut [usize],
        b: &mut MedianBlock,
    ) {
        for (k, c) in cols.clone().enumerate() {
            let max_key = enc(self.col_max[c]);
            b.shift[k] = (32 - max_key.leading_zeros()).saturating_sub(MEDIAN_BITS);
            b.hstart[k + 1] = b.hstart[k] + (max_key >> b.shift[k]) as usize + 1;
        }
        b.hist.clear();
        b.hist.resize(b.hstart[cols.len()], 0);
        for (k, &i) in self.kept.iter().enumerate() {
            let (rc, rv) = self.w.row(i);
            let x = self.st[k];
            let mut q = cursor[k];
            while q < rc.len() && usize::from(rc[q]) < cols.end {
                let cc = usize::from(rc[q]) - cols.start;
                b.hist[b.hstart[cc] + (rv[q] >> b.shift[cc]) as usize] += x;
                q += 1;
            }
            block_end[k] = q;
        }
    }

    /// The bucket of column `k` holding its median. Returns the median when the bucket is a
    /// single key; otherwise seeds the candidates (with the 0 group of absent entries if the
    /// bucket is the first).
    fn first_level(&self, k: usize, b: &mut MedianBlock) -> Option<u32> {
        let hist = &mut b.hist[b.hstart[k]..b.hstart[k + 1]];
        let listed: u64 = hist.iter().sum();
        let zero = self.ss - listed; // stake of kept rows without an entry: score 0
        hist[0] += zero;
        let (bucket, below) = find_bucket(hist, self.minority);
        b.cands[k].clear();
        if b.shift[k] == 0 {
            b.target[k] = u64::MAX;
            return Some(bucket as u32);
        }
        b.target[k] = bucket as u64;
        b.rem[k] = self.minority - below;
        if bucket == 0 && zero > 0 {
            b.cands[k].push((0, zero));
        }
        None
    }

    /// Sweep 2: the entries of each column's median bucket.
    fn candidates(
        &self,
        cols: &Range<usize>,
        cursor: &[usize],
        block_end: &[usize],
        b: &mut MedianBlock,
    ) {
        for (k, &i) in self.kept.iter().enumerate() {
            let (rc, rv) = self.w.row(i);
            for q in cursor[k]..block_end[k] {
                let cc = usize::from(rc[q]) - cols.start;
                if u64::from(rv[q] >> b.shift[cc]) == b.target[cc] {
                    b.cands[cc].push((rv[q], self.st[k]));
                }
            }
        }
    }
}

thread_local! {
    /// Candidate lists kept per thread between epochs, so that a block's 1024 columns do not
    /// allocate theirs afresh each time (every list is cleared before use, so old contents
    /// never matter). Lists that grew beyond [`CANDS_RETAIN`] entries are released instead.
    static MEDIAN_CANDS: std::cell::RefCell<Vec<Vec<(u32, u64)>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

const CANDS_RETAIN: usize = 256;

fn take_cands() -> Vec<Vec<(u32, u64)>> {
    let mut cands = MEDIAN_CANDS
        .try_with(|c| std::mem::take(&mut *c.borrow_mut()))
        .unwrap_or_default();
    cands.resize_with(MEDIAN_BLOCK, Vec::new);
    cands
}

fn keep_cands(mut cands: Vec<Vec<(u32, u64)>>) {
    for c in &mut cands {
        if c.capacity() > CANDS_RETAIN {
            *c = Vec::new();
        }
    }
    let _ = MEDIAN_CANDS.try_with(|c| *c.borrow_mut() = cands);
}

/// Candidate sets at most this large are finished by sorting.
const SELECT_SMALL: usize = 24;

/// Histogram width for `count` candidates: about one candidate per bucket, 16 to 256 buckets.
fn hist_bits(count: usize) -> u32 {
    (usize::BITS - count.leading_zeros()).clamp(4, 8)
}

/// Bucket b with `Σ h[..b] ≤ target < Σ h[..=b]`, and `Σ h[..b]`. The total exceeds `target`.
fn find_bucket(h: &[u64], target: u64) -> (usize, u64) {
    let mut below = 0u64;
    for (b, &x) in h.iter().enumerate() {
        if target < below + x {
            return (b, below);
        }
        below += x;
    }
    unreachable!("the median target lies below the column's total stake")
}

/// The smallest key whose cumulative stake (in key order) exceeds `target`.
fn select_sorted(cands: &mut [(u32, u64)], target: u64) -> u32 {
    cands.sort_unstable_by_key(|c| c.0);
    let mut cum = 0u64;
    for &(key, x) in cands.iter() {
        cum += x;
        if cum > target {
            return key;
        }
    }
    unreachable!("the median target lies below the candidates' total stake")
}

/// Radix refinement over candidates (keys with stakes) until few remain. `hist` is scratch (any
/// contents): the caller's, so that a call per column does not clear 2 KiB each time.
fn select_refine(cands: &mut Vec<(u32, u64)>, mut target: u64, hist: &mut [u64; 256]) -> u32 {
    loop {
        if cands.len() <= SELECT_SMALL {
            return select_sorted(cands, target);
        }
        let lo = cands.iter().map(|c| c.0).min().unwrap_or(0);
        let hi = cands.iter().map(|c| c.0).max().unwrap_or(0);
        if lo == hi {
            return lo;
        }
        let span = hi - lo;
        let shift = (32 - span.leading_zeros()).saturating_sub(hist_bits(cands.len()));
        let h = &mut hist[..(span >> shift) as usize + 1];
        h.fill(0);
        for &(key, x) in cands.iter() {
            h[((key - lo) >> shift) as usize] += x;
        }
        let (b, below) = find_bucket(h, target);
        target -= below;
        if shift == 0 {
            return lo + b as u32;
        }
        cands.retain(|&(key, _)| ((key - lo) >> shift) as usize == b);
    }
}

/// Steps 8–10: the clipped weights `W̄_ij = min(W_ij, C_j)` (0 where `C_j = 0`: the ruleset drops
/// that entry, and a 0 entry adds nothing to any later sum or product while the moving average
/// drops it, so the two are the same), `VT_i = Σ_j W̄_ij` and the unnormalised ranks
/// `R_j = Σ_i a_i ⊗ W̄_ij`. `R_j` is also the column sum of the bond deltas of step 12, whose
/// entries `W̄_ij ⊗ a_i` are the same products (⊗ is symmetric). The rows are only read: step 13
/// applies the same `min` again rather than paying for a write of the whole matrix.
fn clip_weights(w: &Rows, c: &[u64], a: &[u64], exec: Exec) -> (Vec<u64>, Vec<u64>) {
    let n = a.len();
    let results = exec.map(exec.ranges(n), |rows| {
        let mut r = vec![0u64; n];
        let mut vt = Vec::with_capacity(rows.len());
        for i in rows {
            let (cols, vals) = w.row(i);
            let (mut sum, ai) = (0u64, a[i]);
            for (&j, &v) in cols.iter().zip(vals) {
                let j = usize::from(j);
                let clipped = dec(v).min(c[j]);
                sum += clipped;
                r[j] += mul(ai, clipped);
            }
            vt.push(sum);
        }
        (vt, r)
    });
    let (vts, rs): (Vec<_>, Vec<_>) = results.into_iter().unzip();
    let r = rs.into_iter().reduce(|mut x, y| {
        x.iter_mut().zip(y).for_each(|(a, b)| *a += b);
        x
    });
    (vts.concat(), r.unwrap_or_default())
}

/// Step 13's coefficients: `m = I64F64(BMA) ⊘ I64F64(10^6)`, `α = 1 − to_I32F32(m)`, `α' = 1 − α`.
/// `to_I32F32(m)` has bits ⌊⌊BMA·2^64/10^6⌋ / 2^32⌋ = ⌊BMA·2^32 / 10^6⌋; BMA ≤ 10^6 is validated,
/// so both coefficients lie in [0, 1].
fn ema_alpha(bma: u64) -> (u64, u64) {
    let m = (u128::from(bma) << 32) / 1_000_000;
    let alpha = fx::ONE - m as u64;
    (alpha, fx::ONE - alpha)
}

/// Reciprocals of a column-sum (or maximum) vector; a zero sum gives the identity, i.e. the
/// column is left unchanged as `normalise` and the max-upscale of step 19 require.
fn recips(sums: &[u64]) -> Vec<Recip> {
    sums.iter().map(|&d| Recip::new(d)).collect()
}

/// Steps 11–13 for every row.
struct Ema<'a> {
    p: &'a EpochParams<'a>,
    a: &'a [u64],
    /// The consensus, to clip the weights (step 8) on the fly.
    c: &'a [u64],
    /// Column normalisation of the bond deltas: their sums are the ranks `R_j`.
    delta_rec: Vec<Recip>,
    /// Column normalisation of the old bonds.
    bond_rec: Vec<Recip>,
    /// (α, 1 − α).
    alpha: (u64, u64),
}

impl Ema<'_> {
    /// Writes each row's moving average over its clipped weights; returns per column the sum
    /// (`sum`) and the largest entry (`max`).
    fn run<B: RowSource + ?Sized>(&self, rows: &mut Rows, bonds: &B, exec: Exec) -> ColAcc {
        let n = self.a.len();
        let chunks = rows.chunks_mut(exec.parts);
        let results = exec.map(chunks, |mut ch| {
            let mut acc = ColAcc::new(n);
            let mut old = Vec::new();
            for i in ch.rows.clone() {
                self.old_row(bonds, i, &mut old);
                self.row(i, ch.row_mut(i), &old, &mut acc);
            }
            acc
        });
        ColAcc::merge(results)
    }

    /// Step 11 for row i: the old bonds row without outdated entries, ascending uid.
    fn old_row<B: RowSource + ?Sized>(&self, bonds: &B, i: usize, out: &mut Vec<(u16, u16)>) {
        out.clear();
        let mut sorted = true;
        bonds.visit(i, |j, b| {
            if !self.p.outdated(i, usize::from(j)) {
                sorted &= out.last().is_none_or(|l| l.0 < j);
                out.push((j, b));
            }
        });
        if !sorted {
            out.sort_unstable_by_key(|e| e.0);
        }
    }

    /// Steps 12–13 for row i, in place: `acc_j = α ⊗ (W̄_ij ⊗ a_i ⊘ R_j) + α' ⊗ (β_ij ⊘ CB_j)`
    /// with `W̄_ij = min(W_ij, C_j)`
    /// (each side only where its entry exists; the sum is exact), kept where `acc_j > 0`,
    /// ascending j. The two uid-sorted rows are merged from the back and the result written from
    /// the end of the row's capacity, which never overtakes the unread clipped weights: after
    /// consuming x of them the next write slot is at least at their count minus x, because the
    /// capacity holds both rows (or all n uids). Rows with `a_i = 0` have all-zero deltas, which
    /// add nothing, so only their old bonds are read.
    fn row(&self, i: usize, row: RowMut<'_>, old: &[(u16, u16)], acc: &mut ColAcc) {
        let ai = self.a[i];
        let wn = if ai > 0 { *row.len } else { 0 };
        let lo = *row.lo;
        let (cols, vals) = (row.cols, row.vals);
        let mut out = Emit { t: cols.len(), acc };
        let delta = |j: usize, w: u32| {
            let clipped = dec(w).min(self.c[j]);
            mul(self.alpha.0, self.delta_rec[j].div(mul(clipped, ai)))
        };
        let bond = |j: usize, b: u16| mul(self.alpha.1, self.bond_rec[j].div(u64::from(b)));
        if old.is_empty() {
            for q in (lo..lo + wn).rev() {
                let j = usize::from(cols[q]);
                let v = delta(j, vals[q]);
                out.push(cols, vals, j, v);
            }
        } else if wn == 0 {
            for &(j, b) in old.iter().rev() {
                out.push(cols, vals, usize::from(j), bond(usize::from(j), b));
            }
        } else if wn == old.len() && cols[lo..lo + wn].iter().zip(old).all(|(&c, o)| c == o.0) {
            // The usual steady state: a validator's weights and bonds name the same uids.
            for (q, &(_, b)) in (lo..lo + wn).zip(old).rev() {
                let j = usize::from(cols[q]);
                let v = delta(j, vals[q]) + bond(j, b);
                out.push(cols, vals, j, v);
            }
        } else {
            let (mut x, mut y) = (wn, old.len());
            while x > 0 || y > 0 {
                let wj = if x > 0 {
                    i32::from(cols[lo + x - 1])
                } else {
                    -1
                };
                let bj = if y > 0 { i32::from(old[y - 1].0) } else { -1 };
                let j = wj.max(bj);
                let mut v = 0u64;
                if wj == j {
                    x -= 1;
                    v += delta(j as usize, vals[lo + x]);
                }
                if bj == j {
                    y -= 1;
                    v += bond(j as usize, old[y].1);
                }
                out.push(cols, vals, j as usize, v);
            }
        }
        *row.lo = out.t;
        *row.len = cols.len() - out.t;
    }
}

/// Writes a row's moving average from the end of its capacity (see [`Ema::row`]).
struct Emit<'a> {
    t: usize,
    acc: &'a mut ColAcc,
}

impl Emit<'_> {
    #[inline(always)]
    fn push(&mut self, cols: &mut [u16], vals: &mut [u32], j: usize, v: u64) {
        if v > 0 {
            self.t -= 1;
            cols[self.t] = j as u16;
            vals[self.t] = (v - 1) as u32; // 1 ≤ v ≤ 2^32
            self.acc.sum[j] += v;
            self.acc.max[j] = self.acc.max[j].max(v);
        }
    }
}

/// Steps 13 (column-normalise: `B'_ij = acc_ij ⊘ CE_j`), 14 (`D_i = Σ_j I_j ⊗ B'_ij`, returned
/// unnormalised) and 19 (column max-upscale, `to_u16(B'_ij ⊘ M_j ⊗ 65535)`, written in place for
/// the rows holding the new permit). The column maximum of B' is `M_j = max_i acc_ij ⊘ CE_j`
/// because ⌊x·2^32 / CE_j⌋ is monotone in x; columns with `M_j = 0` are left as they are.
fn finish_bonds(
    rows: &mut Rows,
    ema: &ColAcc,
    incentive: &[u64],
    permit_new: &[bool],
    exec: Exec,
) -> Vec<u64> {
    let norm = recips(&ema.sum);
    let col_max: Vec<u64> = ema.max.iter().zip(&norm).map(|(&m, r)| r.div(m)).collect();
    let upscale = recips(&col_max);
    let chunks = rows.chunks_mut(exec.parts);
    let results = exec.map(chunks, |mut ch| {
        let mut d = Vec::with_capacity(ch.rows.len());
        for i in ch.rows.clone() {
            let row = ch.row_mut(i);
            let (lo, len) = (*row.lo, *row.len);
            let (cols, vals) = (&row.cols[lo..lo + len], &mut row.vals[lo..lo + len]);
            let mut di = 0u64;
            if permit_new[i] {
                for (&j, v) in cols.iter().zip(vals.iter_mut()) {
                    let j = usize::from(j);
                    let b = norm[j].div(u64::from(*v) + 1);
                    di += mul(incentive[j], b);
                    *v = u32::from(fx::proportion_u16(upscale[j].div(b)));
                }
            } else {
                for (&j, &v) in cols.iter().zip(vals.iter()) {
                    let j = usize::from(j);
                    di += mul(incentive[j], norm[j].div(u64::from(v) + 1));
                }
            }
            d.push(di);
        }
        d
    });
    results.concat()
}

/// Step 15's normalised shares (I32F32 bits).
struct Split {
    server: Vec<u64>,
    validator: Vec<u64>,
    combined: Vec<u64>,
}

/// Step 15: `σ = I ⊘ Σ`, `ν = D ⊘ Σ`, `ε = normalise(I + D)` with `Σ = Σ_i (I_i + D_i)`; when
/// `Σ = 0` (no usable weights) validators get stake: `ν = ε = s` if `Σa = 0`, else `a`.
fn emission_split(incentive: &[u64], dividends: &[u64], s: &[u64], a: &[u64]) -> Split {
    let combined: Vec<u64> = incentive
        .iter()
        .zip(dividends)
        .map(|(i, d)| i + d)
        .collect();
    let total: u64 = combined.iter().sum();
    if total == 0 {
        let fallback = if a.iter().sum::<u64>() == 0 { s } else { a };
        return Split {
            server: incentive.to_vec(),
            validator: fallback.to_vec(),
            combined: fallback.to_vec(),
        };
    }
    let r = Recip::new(total);
    let share = |v: &[u64]| -> Vec<u64> { v.iter().map(|&x| r.div(x)).collect() };
    Split {
        server: share(incentive),
        validator: share(dividends),
        combined: share(&combined),
    }
}

/// Step 17: `vec_max_upscale_to_u16` of the combined shares (bits in `[0, 2^32]`), without the
/// fixed-point crate's 128-bit division per entry. With M the largest share (at most 1.0, so
/// the third case of [`vec_max_upscale_to_u16`]): `(x ⊗ 65535) ⊘ M` has bits
/// ⌊x·65535·2^32 / M⌋ (the product is exact: 65535 is an integer) and `to_u16` rounds it half
/// up. A test checks it against [`vec_max_upscale_to_u16`].
fn pruning_scores(shares: &[u64]) -> Vec<u16> {
    let max = shares.iter().copied().max().unwrap_or(0);
    if max == 0 {
        return vec![0; shares.len()];
    }
    let r = fx::WideRecip::new(max);
    shares
        .iter()
        .map(|&x| ((r.div(x * 65535) + (1 << 31)) >> 32).min(65535) as u16)
        .collect()
}

/// Step 16: `to_u64(I96F32(x) ⊗ I96F32(E))`. The I96F32 product has bits x·E exactly (x's bits
/// carry over, E's are E·2^32), and `to_u64` floors: ⌊x·E / 2^32⌋ ≤ E since x ≤ 1.
fn rao(x: u64, emission: u64) -> u64 {
    ((u128::from(x) * u128::from(emission)) >> 32) as u64
}

// =====================================================================================
// Tests
// =====================================================================================

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixedpoint::{I64F64, I96F32};

    /// The output with stored `(j, 0)` bond entries removed (dense outputs cannot represent them).
    fn strip_zero(o: EpochOutput) -> EpochOutput {
        EpochOutput {
            bonds: o
                .bonds
                .into_iter()
                .map(|b| match b {
                    BondsRow::Replace(r) => {
                        BondsRow::Replace(r.into_iter().filter(|e| e.1 != 0).collect())
                    }
                    other => other,
                })
                .collect(),
            ..o
        }
    }

    // ---------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------

    /// Deterministic xorshift generator (no `rand` dependency).
    struct Rng(std::cell::Cell<u64>);
    impl Rng {
        fn new(seed: u64) -> Self {
            Rng(std::cell::Cell::new(seed))
        }
        fn next(&self) -> u64 {
            let mut x = self.0.get();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0.set(x);
            x
        }
        fn below(&self, k: u64) -> u64 {
            self.next() % k.max(1)
        }
        fn chance(&self, percent: u64) -> bool {
            self.below(100) < percent
        }
    }

    fn fixed(x: f64) -> I32F32 {
        I32F32::from_num(x) // decimal → I32F32, round to nearest (§0.3)
    }

    struct Case {
        block: u64,
        stake: Vec<u64>,
        weights: Vec<Vec<(u16, u16)>>,
        bonds: Vec<Vec<(u16, u16)>>,
        last_update: Vec<u64>,
        block_at_registration: Vec<u64>,
        permit: Vec<bool>,
        kappa: u16,
        bma: u64,
        max_validators: u16,
        cutoff: u16,
        emission: u64,
    }

    impl Case {
        /// The §15 defaults: kappa 32767, BMA 900000, cutoff 5000, 10^9 rao, registration 0.
        fn new(n: usize, stake: Vec<u64>, max_validators: u16) -> Self {
            Case {
                block: 1,
                stake,
                weights: vec![vec![]; n],
                bonds: vec![vec![]; n],
                last_update: vec![0; n],
                block_at_registration: vec![0; n],
                permit: vec![false; n],
                kappa: 32767,
                bma: 900_000,
                max_validators,
                cutoff: 5000,
                emission: 1_000_000_000,
            }
        }
        fn input(&self) -> EpochInput<'_> {
            EpochInput {
                block: self.block,
                stake: &self.stake,
                weights: &self.weights,
                bonds: &self.bonds,
                last_update: &self.last_update,
                block_at_registration: &self.block_at_registration,
                validator_permit: &self.permit,
                kappa: self.kappa,
                bonds_moving_average: self.bma,
                max_allowed_validators: self.max_validators,
                activity_cutoff: self.cutoff,
                rao_emission: self.emission,
            }
        }
        fn run(&self) -> EpochOutput {
            epoch(&self.input()).expect("epoch")
        }
        /// Feeds the outputs of an epoch into the next call, as the chain stores them.
        fn absorb(&mut self, out: &EpochOutput) {
            for (i, row) in out.bonds.iter().enumerate() {
                match row {
                    BondsRow::Replace(r) => self.bonds[i] = r.clone(),
                    BondsRow::Clear => self.bonds[i].clear(),
                    BondsRow::Unchanged => {}
                }
            }
            self.permit = out.validator_permit.clone();
        }
    }

    fn bonds_col(out: &EpochOutput, col: u16, rows: Range<usize>) -> Vec<u16> {
        rows.map(|i| match &out.bonds[i] {
            BondsRow::Replace(r) => r.iter().find(|e| e.0 == col).map_or(0, |e| e.1),
            other => panic!("row {i} not replaced: {other:?}"),
        })
        .collect()
    }

    // ---------------------------------------------------------------------------------
    // A literal transcription of the reference epoch (subtensor epoch.rs / math.rs sparse
    // functions) with `fixed` types: the oracle for the fast path.
    // ---------------------------------------------------------------------------------

    type Sparse = Vec<Vec<(u16, I32F32)>>;

    fn col_normalize(m: &mut Sparse, n: usize) {
        let mut sum = vec![I32F32::ZERO; n];
        m.iter().flatten().for_each(|&(j, v)| sum[j as usize] += v);
        for (j, v) in m.iter_mut().flatten() {
            if sum[*j as usize] != I32F32::ZERO {
                *v /= sum[*j as usize];
            }
        }
    }

    fn proportion(x: I32F32) -> u16 {
        (x * I32F32::from_num(65535)).to_num::<u16>()
    }

    fn literal_epoch(inp: &EpochInput<'_>) -> EpochOutput {
        let n = inp.stake.len();
        let zero = I32F32::ZERO;
        let cutoff = u64::from(inp.activity_cutoff);
        let inactive: Vec<bool> = inp
            .last_update
            .iter()
            .map(|&u| u.saturating_add(cutoff) < inp.block)
            .collect();
        let outdated = |i: usize, j: usize| inp.last_update[i] <= inp.block_at_registration[j];
        let mut stake64: Vec<I64F64> = inp.stake.iter().map(|&s| I64F64::from_num(s)).collect();
        let sum64: I64F64 = stake64.iter().copied().sum();
        if sum64 != I64F64::ZERO {
            stake64.iter_mut().for_each(|s| *s /= sum64);
        }
        let stake: Vec<I32F32> = stake64.iter().map(|&s| I32F32::from_num(s)).collect();
        let new_permits = is_topk(&stake, usize::from(inp.max_allowed_validators));
        let mut active_stake = stake.clone();
        for i in 0..n {
            if inactive[i] || !inp.validator_permit[i] {
                active_stake[i] = zero;
            }
        }
        normalize_fixed(&mut active_stake);
        // Weights: permit rows, diagonal, outdated, row-normalise.
        let mut weights: Sparse = (0..n)
            .map(|i| {
                if !inp.validator_permit[i] {
                    return vec![];
                }
                inp.weights[i]
                    .iter()
                    .filter(|&&(j, _)| j as usize != i && !outdated(i, j as usize))
                    .map(|&(j, w)| (j, I32F32::from_num(w)))
                    .collect()
            })
            .collect();
        for row in weights.iter_mut() {
            let sum: I32F32 = row.iter().map(|e| e.1).sum();
            if sum > zero {
                row.iter_mut().for_each(|e| e.1 /= sum);
            }
        }
        let matmul = |m: &Sparse, v: &[I32F32]| {
            let mut r = vec![zero; n];
            for (i, row) in m.iter().enumerate() {
                for &(j, x) in row {
                    r[j as usize] += v[i] * x;
                }
            }
            r
        };
        let preranks = matmul(&weights, &active_stake);
        let kappa = I32F32::from_num(inp.kappa) / I32F32::from_num(u16::MAX);
        let consensus = weighted_median_col(&active_stake, &weights, n, kappa);
        let weights: Sparse = weights
            .iter()
            .map(|row| {
                row.iter()
                    .filter_map(|&(j, v)| {
                        let c = consensus[j as usize];
                        if c < v {
                            (zero < c).then_some((j, c))
                        } else {
                            Some((j, v))
                        }
                    })
                    .collect()
            })
            .collect();
        let validator_trust: Vec<I32F32> = weights
            .iter()
            .map(|r| r.iter().map(|e| e.1).sum())
            .collect();
        let mut ranks = matmul(&weights, &active_stake);
        let trust: Vec<I32F32> = ranks
            .iter()
            .zip(&preranks)
            .map(|(&r, &p)| if p != zero { r / p } else { zero })
            .collect();
        normalize_fixed(&mut ranks);
        let incentive = ranks.clone();
        let mut bonds: Sparse = (0..n)
            .map(|i| {
                inp.bonds[i]
                    .iter()
                    .filter(|&&(j, _)| !outdated(i, j as usize))
                    .map(|&(j, b)| (j, I32F32::from_num(b)))
                    .collect()
            })
            .collect();
        col_normalize(&mut bonds, n);
        let mut delta: Sparse = weights
            .iter()
            .enumerate()
            .map(|(i, row)| row.iter().map(|&(j, v)| (j, v * active_stake[i])).collect())
            .collect();
        col_normalize(&mut delta, n);
        let bma = I64F64::from_num(inp.bonds_moving_average) / I64F64::from_num(1_000_000);
        let alpha = I32F32::ONE - I32F32::from_num(bma);
        let mut ema = mat_ema_sparse(&delta, &bonds, n, alpha);
        col_normalize(&mut ema, n);
        let mut dividends: Vec<I32F32> = ema
            .iter()
            .map(|row| row.iter().map(|&(j, v)| incentive[j as usize] * v).sum())
            .collect();
        normalize_fixed(&mut dividends);
        let combined: Vec<I32F32> = incentive
            .iter()
            .zip(&dividends)
            .map(|(&i, &d)| i + d)
            .collect();
        let emission_sum: I32F32 = combined.iter().copied().sum();
        let (mut nse, mut nve, mut nce) = (incentive.clone(), dividends.clone(), combined.clone());
        if emission_sum != zero {
            nse.iter_mut().for_each(|x| *x /= emission_sum);
            nve.iter_mut().for_each(|x| *x /= emission_sum);
        }
        normalize_fixed(&mut nce);
        if emission_sum == zero {
            let src = if active_stake.iter().copied().sum::<I32F32>() == zero {
                &stake
            } else {
                &active_stake
            };
            nve = src.clone();
            nce = src.clone();
        }
        let e96 = I96F32::from_num(inp.rao_emission);
        let rao = |v: &[I32F32]| -> Vec<u64> {
            v.iter()
                .map(|&x| (I96F32::from_num(x) * e96).to_num::<u64>())
                .collect()
        };
        // Storage: column max-upscale.
        let mut col_max = vec![zero; n];
        ema.iter().flatten().for_each(|&(j, v)| {
            if col_max[j as usize] < v {
                col_max[j as usize] = v
            }
        });
        for (j, v) in ema.iter_mut().flatten() {
            if col_max[*j as usize] != zero {
                *v /= col_max[*j as usize];
            }
        }
        let bonds_out = (0..n)
            .map(|i| {
                if new_permits[i] {
                    BondsRow::Replace(ema[i].iter().map(|&(j, v)| (j, proportion(v))).collect())
                } else if inp.validator_permit[i] {
                    BondsRow::Clear
                } else {
                    BondsRow::Unchanged
                }
            })
            .collect();
        let props = |v: &[I32F32]| -> Vec<u16> { v.iter().map(|&x| proportion(x)).collect() };
        EpochOutput {
            active: inactive.iter().map(|b| !b).collect(),
            emission: rao(&nce),
            rank: props(&ranks),
            trust: props(&trust),
            consensus: props(&consensus),
            incentive: props(&incentive),
            dividends: props(&dividends),
            validator_trust: props(&validator_trust),
            pruning_scores: vec_max_upscale_to_u16(&nce),
            validator_permit: new_permits,
            bonds: bonds_out,
            server: rao(&nse),
            validator: rao(&nve),
        }
    }

    fn random_case(rng: &Rng, n: usize) -> Case {
        let block = 1 + rng.below(20_000);
        let mut c = Case::new(n, vec![], 1 + rng.below(n as u64 + 2) as u16);
        c.block = block;
        c.stake = (0..n)
            .map(|_| match rng.below(4) {
                0 => 0,
                1 => rng.below(10),
                2 => rng.below(1 << 40),
                _ => rng.below(21_000_000_000_000_000),
            })
            .collect();
        if rng.chance(5) {
            c.stake = vec![0; n];
        }
        let row = |rng: &Rng, density: u64| -> Vec<(u16, u16)> {
            let mut uids: Vec<u16> = (0..n as u16).filter(|_| rng.chance(density)).collect();
            for k in (1..uids.len()).rev() {
                uids.swap(k, rng.below(k as u64 + 1) as usize); // any stored order
            }
            uids.into_iter()
                .map(|j| {
                    let v = match rng.below(6) {
                        0 => 0,
                        1 => 65535,
                        _ => rng.below(65536) as u16,
                    };
                    (j, v)
                })
                .collect()
        };
        let (wd, bd) = (rng.below(101), rng.below(101));
        c.weights = (0..n).map(|_| row(rng, wd)).collect();
        c.bonds = (0..n).map(|_| row(rng, bd)).collect();
        c.last_update = (0..n).map(|_| rng.below(block + 1)).collect();
        c.block_at_registration = (0..n).map(|_| rng.below(block + 1)).collect();
        c.permit = (0..n).map(|_| rng.chance(70)).collect();
        c.kappa = match rng.below(4) {
            0 => 32767,
            1 => 0,
            2 => 65535,
            _ => rng.below(65536) as u16,
        };
        c.bma = match rng.below(3) {
            0 => 900_000,
            1 => 1_000_000,
            _ => rng.below(1_000_001),
        };
        c.cutoff = rng.below(5001) as u16;
        c.emission = rng.below(u64::MAX);
        c
    }

    fn params<'a>(c: &'a Case) -> EpochParams<'a> {
        EpochParams {
            block: c.block,
            stake: &c.stake,
            last_update: &c.last_update,
            block_at_registration: &c.block_at_registration,
            validator_permit: &c.permit,
            kappa: c.kappa,
            bonds_moving_average: c.bma,
            max_allowed_validators: c.max_validators,
            activity_cutoff: c.cutoff,
            rao_emission: c.emission,
        }
    }

    fn check_against_literal(c: &Case) {
        let expected = literal_epoch(&c.input());
        assert_eq!(c.run(), expected, "n = {}", c.stake.len());
        let p = params(c);
        for exec in [Exec::sequential(), Exec::parallel(3), Exec::parallel(64)] {
            let got = epoch_exec(&p, &c.weights[..], &c.bonds[..], exec).unwrap();
            assert_eq!(got.into_output(), expected, "exec {exec:?}");
        }
        // Both layouts, including the stored (j, 0) bond entries; the dense one (copied from
        // the stored rows, as the engine does) with every level of hand-written SIMD loops.
        for route in [Route::Sparse, Route::Dense] {
            for level in kernels::tests::levels() {
                let got = kernels::tests::with_simd(level, || {
                    epoch_route(&p, &c.weights[..], &c.bonds[..], Exec::sequential(), route)
                });
                assert_eq!(got.unwrap().into_output(), expected, "{route:?} {level:?}");
            }
        }
    }

    // ---------------------------------------------------------------------------------
    // Bit helpers against the `fixed` crate
    // ---------------------------------------------------------------------------------

    #[test]
    fn wide_recip_is_exact() {
        let rng = Rng::new(0xDEC0DE);
        let mut ds = vec![
            1u64,
            2,
            3,
            7,
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
            (1 << 63) + 1,
            1 << 32,
        ];
        ds.extend((0..3000).map(|_| 1 + rng.below(1 << (1 + rng.below(63)))));
        for &d in &ds {
            let r = fx::WideRecip::new(d);
            let top = (u128::from(d) << 32) - 1; // largest x with a 64-bit quotient
            let mut xs = vec![
                0,
                1,
                d,
                d - 1,
                d / 2,
                u64::try_from(top).unwrap_or(u64::MAX),
            ];
            xs.extend((0..40).map(|_| rng.below(d.saturating_add(1))));
            for x in xs {
                if u128::from(x) > top {
                    continue;
                }
                let want = (u128::from(x) << 32) / u128::from(d);
                assert_eq!(u128::from(r.div(x)), want, "x = {x}, d = {d}");
            }
        }
    }

    #[test]
    fn pruning_scores_match_vec_max_upscale() {
        let rng = Rng::new(515);
        for _ in 0..3000 {
            let n = 1 + rng.below(40) as usize;
            let shares: Vec<u64> = (0..n)
                .map(|_| match rng.below(5) {
                    0 => 0,
                    1 => fx::ONE,
                    2 => rng.below(100),
                    _ => rng.below(fx::ONE + 1),
                })
                .collect();
            let fixed: Vec<I32F32> = shares
                .iter()
                .map(|&x| I32F32::from_bits(x as i64))
                .collect();
            assert_eq!(
                pruning_scores(&shares),
                vec_max_upscale_to_u16(&fixed),
                "{shares:?}"
            );
        }
    }

    #[test]
    fn fx_ops_match_fixed_crate() {
        let rng = Rng::new(0x9E37_79B9_7F4A_7C15);
        for _ in 0..200_000 {
            let a = rng.below(1 << 34);
            let b = rng.below(1 << 34);
            let fa = I32F32::from_bits(a as i64);
            let fb = I32F32::from_bits(b as i64);
            assert_eq!(mul(a, b), (fa * fb).to_bits() as u64);
            if b > 0 && a <= b {
                assert_eq!(fx::div(a, b), (fa / fb).to_bits() as u64);
            }
        }
    }

    #[test]
    fn recip_is_exact() {
        let rng = Rng::new(12345);
        let check = |d: u64, x: u64| {
            let expect = ((u128::from(x) << 32)
                / u128::from(d.max(if d == 0 { fx::ONE } else { 1 })))
                as u64;
            assert_eq!(Recip::new(d).div(x), expect, "x={x} d={d}");
        };
        for shift in 0..64 {
            for _ in 0..2000 {
                let d = (rng.next() >> shift).max(1);
                // Any numerator below 2^32, and wide ones whose quotient fits (x ≤ d).
                let x = match rng.below(5) {
                    0 => d.min(fx::ONE - 1),
                    1 => 0,
                    2 => rng.below(fx::ONE),
                    3 => rng.below(d.min(fx::ONE)),
                    _ => rng.below(d + 1),
                };
                check(d, x);
            }
        }
        let edges = [
            1,
            2,
            3,
            5,
            fx::ONE - 1,
            fx::ONE,
            fx::ONE + 1,
            (1 << 47) - 1,
            u64::MAX,
            i64::MAX as u64,
        ];
        for d in edges {
            for x in [
                0,
                1,
                2,
                d / 3,
                d / 2,
                d - 1,
                d,
                fx::ONE - 1,
                fx::ONE,
                fx::ONE + 1,
            ] {
                if x <= d || x < fx::ONE {
                    check(d, x);
                }
            }
        }
        // d = 0 is the identity.
        for x in [0, 1, 77, fx::ONE - 1, fx::ONE, 3 * fx::ONE] {
            assert_eq!(Recip::new(0).div(x), x);
        }
    }

    #[test]
    fn encoding_round_trips_and_orders() {
        for v in [0, 1, 12345, fx::ONE - 2, fx::ONE] {
            assert_eq!(dec(enc(v)), v);
        }
        assert!(enc(fx::ONE - 2) < enc(fx::ONE));
    }

    #[test]
    fn kappa_and_alpha_bits() {
        // §4.2 step 7 and step 13 examples.
        assert_eq!(fx::div(32767u64 << 32, 65535u64 << 32), 2_147_450_879);
        let (alpha, rest) = ema_alpha(900_000);
        assert_eq!(rest, 3_865_470_566);
        assert_eq!(
            I32F32::from_bits(alpha as i64).to_num::<f64>(),
            0.10000000009313226
        );
    }

    // ---------------------------------------------------------------------------------
    // §15 vectors
    // ---------------------------------------------------------------------------------

    #[test]
    fn v15_1_one_neuron() {
        let mut c = Case::new(1, vec![1], 100);
        c.weights = vec![vec![(0, 65535)]];
        c.last_update = vec![1];
        let out = c.run();
        for v in [
            &out.rank,
            &out.trust,
            &out.consensus,
            &out.incentive,
            &out.dividends,
            &out.validator_trust,
        ] {
            assert_eq!(v, &vec![0]);
        }
        assert_eq!(out.emission, vec![1_000_000_000]);
        assert_eq!(out.validator, vec![1_000_000_000]);
        assert_eq!(out.server, vec![0]);
        assert_eq!(out.pruning_scores, vec![65535]);
        assert_eq!(out.validator_permit, vec![true]);
        assert_eq!(out.active, vec![true]);
        assert_eq!(out.bonds, vec![BondsRow::Replace(vec![])]);
    }

    #[test]
    fn v15_2_ten_self_weights() {
        let mut c = Case::new(10, vec![1; 10], 100);
        c.weights = (0..10).map(|i| vec![(i, 65535)]).collect();
        c.last_update = vec![1; 10];
        let out = c.run();
        for v in [
            &out.rank,
            &out.trust,
            &out.consensus,
            &out.incentive,
            &out.dividends,
            &out.validator_trust,
        ] {
            assert_eq!(v, &vec![0; 10]);
        }
        assert_eq!(out.pruning_scores, vec![65535; 10]);
        assert_eq!(out.emission, vec![99_999_999; 10]);
        assert_eq!(out.validator, vec![99_999_999; 10]);
        assert_eq!(out.server, vec![0; 10]);
    }

    #[test]
    fn v15_3_bonds_sequence() {
        let mut c = Case::new(8, vec![1, 2, 3, 4, 0, 0, 0, 0], 8);
        // b = 0: no weights, no permits yet, last_update 0.
        c.block = 0;
        let out = c.run();
        assert_eq!(
            out.emission,
            vec![
                99_999_999,
                199_999_999,
                299_999_999,
                399_999_999,
                0,
                0,
                0,
                0
            ]
        );
        assert_eq!(out.validator_permit, vec![true; 8]);
        assert_eq!(out.bonds, vec![BondsRow::Replace(vec![]); 8]);
        check_against_literal(&c);
        c.absorb(&out);
        // b = 1: uids 0–3 weight uids 4–7.
        c.block = 1;
        for i in 0..4 {
            c.weights[i] = vec![(4, 16383), (5, 32767), (6, 49149), (7, 65535)];
        }
        c.last_update = vec![1, 1, 1, 1, 0, 0, 0, 0];
        let out = c.run();
        assert_eq!(out.consensus[4..], [6553, 13107, 19660, 26214]);
        assert_eq!(out.incentive, vec![0, 0, 0, 0, 6553, 13107, 19660, 26214]);
        assert_eq!(out.dividends, vec![6553, 13106, 19660, 26214, 0, 0, 0, 0]);
        assert_eq!(
            out.emission,
            vec![
                49999998, 99999999, 150000000, 200000001, 49998779, 100000610, 149996337, 200004272
            ]
        );
        assert_eq!(bonds_col(&out, 4, 0..4), vec![16383, 32767, 49151, 65535]);
        check_against_literal(&c);
        c.absorb(&out);
        // b = 2: uid 0 switches to a self-weight only.
        c.block = 2;
        c.weights[0] = vec![(0, 65535)];
        let out = c.run();
        assert_eq!(
            out.emission,
            vec![
                44998351, 101110561, 151667215, 202223870, 49998779, 100000610, 149996337,
                200004272
            ]
        );
        assert_eq!(bonds_col(&out, 4, 0..4), vec![14582, 32767, 49151, 65535]);
        check_against_literal(&c);
    }

    #[test]
    fn v15_3_later_blocks_drift() {
        // Continue §15.3: uid 1, then uid 2 switch to self-weight, then uid 2 weights only uid 7.
        let mut c = Case::new(8, vec![1, 2, 3, 4, 0, 0, 0, 0], 8);
        c.block = 0;
        let out = c.run();
        c.absorb(&out);
        for i in 0..4 {
            c.weights[i] = vec![(4, 16383), (5, 32767), (6, 49149), (7, 65535)];
        }
        c.last_update = vec![1, 1, 1, 1, 0, 0, 0, 0];
        type Change = (u64, usize, Vec<(u16, u16)>);
        let changes: [Change; 4] = [
            (1, 0, c.weights[0].clone()),
            (2, 0, vec![(0, 65535)]),
            (3, 1, vec![(1, 65535)]),
            (4, 2, vec![(2, 65535)]),
        ];
        let mut previous_col4 = vec![];
        for (block, uid, row) in changes.into_iter().chain([(5, 2, vec![(7, 65535)])]) {
            c.block = block;
            c.weights[uid] = row;
            let out = c.run();
            check_against_literal(&c);
            let col4 = bonds_col(&out, 4, 0..4);
            assert_ne!(
                col4, previous_col4,
                "bonds drift through their u16 round trip"
            );
            previous_col4 = col4;
            c.absorb(&out);
        }
    }

    #[test]
    fn v15_4_inactive_validator_shrinks_until_it_sets_weights() {
        let mut c = Case::new(4, vec![1, 1, 1, 1], 4);
        c.weights[0] = vec![(2, 65535), (3, 65535)];
        c.weights[1] = vec![(2, 65535), (3, 65535)];
        let mut dividends = vec![];
        let mut bonds0 = vec![];
        for block in [1, 2, 3, 3000, 5003, 5004, 5005, 6000, 6001] {
            c.block = block;
            if block == 6001 {
                c.last_update[0] = 6001; // uid 0 sets weights again
            }
            if block <= 3 {
                c.last_update[0] = block;
                c.last_update[1] = block;
            } else {
                c.last_update[1] = block;
            }
            let out = c.run();
            check_against_literal(&c);
            dividends.push(out.dividends[0]);
            bonds0.push(bonds_col(&out, 2, 0..1)[0]);
            // LU_0 = 3: inactive once 3 + 5000 < b.
            let expected_active = block <= 5003 || block == 6001;
            assert_eq!(out.active[0], expected_active, "block {block}");
            c.absorb(&out);
        }
        // Past the cutoff (blocks 5004–6000) uid 0's dividends and bonds shrink; once it sets
        // weights again they recover.
        assert!(
            dividends[5] < dividends[4]
                && dividends[6] < dividends[5]
                && dividends[7] < dividends[6]
        );
        assert!(bonds0[6] < bonds0[4] && bonds0[7] < bonds0[6]);
        assert!(dividends[8] > dividends[7]);
        assert!(bonds0[8] > bonds0[7]);
    }

    #[test]
    fn v15_5_weighted_median() {
        let rows = |r: [[f64; 3]; 4]| -> Sparse {
            r.iter()
                .map(|row| {
                    row.iter()
                        .enumerate()
                        .filter(|(_, &v)| v != 0.0)
                        .map(|(j, &v)| (j as u16, fixed(v)))
                        .collect()
                })
                .collect()
        };
        let expect = |v: [f64; 3]| -> Vec<I32F32> { v.iter().map(|&x| fixed(x)).collect() };
        let stake: Vec<I32F32> = [0.0, 0.75, 0.25, 0.0].iter().map(|&x| fixed(x)).collect();
        let w = rows([
            [0.0, 0.1, 0.0],
            [0.0, 0.2, 0.4],
            [0.0, 0.3, 0.1],
            [0.0, 0.4, 0.5],
        ]);
        let cases = [
            (0.24, [0.0, 0.3, 0.4]),
            (0.26, [0.0, 0.2, 0.4]),
            (0.76, [0.0, 0.2, 0.1]),
        ];
        for (kappa, want) in cases {
            assert_eq!(
                weighted_median_col(&stake, &w, 3, fixed(kappa)),
                expect(want),
                "κ {kappa}"
            );
            assert_eq!(
                fast_median(&stake, &w, 3, fixed(kappa)),
                expect(want),
                "fast κ {kappa}"
            );
        }
        let stake: Vec<I32F32> = [0.0, 0.3, 0.2, 0.5].iter().map(|&x| fixed(x)).collect();
        let w = rows([
            [0.0, 0.1, 0.0],
            [0.0, 0.2, 0.4],
            [0.0, 0.3, 0.1],
            [0.0, 0.0, 0.5],
        ]);
        assert_eq!(
            weighted_median_col(&stake, &w, 3, fixed(0.51)),
            expect([0.0, 0.0, 0.4])
        );
        assert_eq!(
            fast_median(&stake, &w, 3, fixed(0.51)),
            expect([0.0, 0.0, 0.4])
        );
        let zero = vec![I32F32::ZERO; 4];
        assert_eq!(
            weighted_median_col(&zero, &w, 3, fixed(0.51)),
            vec![I32F32::ZERO; 3]
        );
        assert_eq!(
            fast_median(&zero, &w, 3, fixed(0.51)),
            vec![I32F32::ZERO; 3]
        );
    }

    /// The epoch's median (`consensus`) on arbitrary non-negative scores ≤ 1 given as I32F32
    /// rows; the scores go through the same u32 encoding as normalised weights.
    fn fast_median(stake: &[I32F32], w: &Sparse, columns: usize, kappa: I32F32) -> Vec<I32F32> {
        let n = stake.len().max(columns);
        let mut rows = Rows::with_capacities((0..n).map(|i| w.get(i).map_or(0, Vec::len)));
        let a: Vec<u64> = (0..n)
            .map(|i| stake.get(i).map_or(0, |s| s.to_bits() as u64))
            .collect();
        let mut acc = ColAcc::new(n);
        for (i, row) in w.iter().enumerate() {
            let mut sorted = row.clone();
            sorted.sort_by_key(|e| e.0);
            let s = rows.off[i];
            for (q, &(j, v)) in sorted.iter().enumerate() {
                let v = v.to_bits() as u64;
                rows.cols[s + q] = j;
                rows.vals[s + q] = enc(v);
                if a[i] > 0 {
                    acc.max[j as usize] = acc.max[j as usize].max(v);
                }
            }
            rows.len[i] = sorted.len();
        }
        let mut out = consensus(&rows, &a, &acc, kappa.to_bits() as u64, Exec::sequential());
        out.truncate(columns);
        out.into_iter()
            .map(|x| I32F32::from_bits(x as i64))
            .collect()
    }

    #[test]
    fn fast_median_matches_reference_recursion() {
        let rng = Rng::new(777);
        for round in 0..3000 {
            let n = 1 + rng.below(if round % 10 == 0 { 300 } else { 40 }) as usize;
            // A few distinct levels make ties common; some columns get many entries.
            let levels = 1 + rng.below(12);
            let stake: Vec<I32F32> = (0..n)
                .map(|_| {
                    if rng.chance(30) {
                        I32F32::ZERO
                    } else {
                        I32F32::from_bits(1 + rng.below(1 << 30) as i64)
                    }
                })
                .collect();
            let density = rng.below(101);
            let w: Sparse = (0..n)
                .map(|_| {
                    (0..n as u16)
                        .filter(|_| rng.chance(density))
                        .map(|j| {
                            let v = if rng.chance(50) {
                                (rng.below(levels) << 28).min(fx::ONE)
                            } else {
                                rng.below(fx::ONE - 1)
                            };
                            (j, I32F32::from_bits(v as i64))
                        })
                        .collect()
                })
                .collect();
            let kappa = I32F32::from_bits(match rng.below(4) {
                0 => 2_147_450_879,
                1 => 0,
                2 => fx::ONE as i64,
                _ => rng.below(fx::ONE + 1000) as i64,
            });
            // Normalise stakes first, as the epoch's `a` is.
            let mut a = stake.clone();
            normalize_fixed(&mut a);
            let want = weighted_median_col(&a, &w, n, kappa);
            assert_eq!(fast_median(&a, &w, n, kappa), want, "round {round}");
        }
    }

    #[test]
    fn v15_6_vec_max_upscale_to_u16() {
        let f = |v: &[f64]| -> Vec<I32F32> { v.iter().map(|&x| fixed(x)).collect() };
        let cases: [(Vec<I32F32>, Vec<u16>); 5] = [
            (
                f(&[
                    0.000001, 0.000006, 0.000007, 0.0001, 0.001, 0.01, 0.1, 0.2, 0.3, 0.4,
                ]),
                vec![0, 1, 1, 16, 164, 1638, 16384, 32768, 49151, 65535],
            ),
            (
                f(&[0.0, 0.5, 1.0, 1.5, 2.0, 32768.0, 32769.0]),
                vec![0, 1, 2, 3, 4, 65533, 65535],
            ),
            (f(&[0.0, 0.000016, 1.0]), vec![0, 1, 65535]),
            (f(&[1e-9, 1e-9]), vec![65535, 65535]),
            (
                vec![
                    I32F32::ZERO,
                    I32F32::ONE,
                    fixed(32768.0),
                    fixed(32769.0),
                    I32F32::MAX,
                ],
                vec![0, 0, 1, 1, 65535],
            ),
        ];
        for (input, want) in cases {
            assert_eq!(vec_max_upscale_to_u16(&input), want);
        }
        assert_eq!(vec_max_upscale_to_u16(&[]), Vec::<u16>::new());
        assert_eq!(vec_max_upscale_to_u16(&[I32F32::ZERO; 3]), vec![0; 3]);
        assert_eq!(vec_max_upscale_u16(&[65534]), vec![65535]);
        assert_eq!(vec_max_upscale_u16(&[0, 1, 65534]), vec![0, 1, 65535]);
        assert_eq!(vec_max_upscale_u16(&[32767, 32767]), vec![65535, 65535]); // §10.1 example
    }

    #[test]
    fn check_vec_max_limited_cases() {
        assert!(check_vec_max_limited(&[], 0));
        assert!(check_vec_max_limited(&[0, 0], 0));
        assert!(check_vec_max_limited(&[65535, 65535], 32768));
        assert!(!check_vec_max_limited(&[65535, 65535], 32767));
        assert!(check_vec_max_limited(&[65535], 65535));
        assert!(!check_vec_max_limited(&[65535, 1], 65534));
        // Against the reference formula on random vectors.
        let rng = Rng::new(99);
        for _ in 0..2000 {
            let w: Vec<u16> = (0..1 + rng.below(20))
                .map(|_| rng.below(65536) as u16)
                .collect();
            let limit = rng.below(65536) as u16;
            let mut x: Vec<I32F32> = w.iter().map(|&v| I32F32::from_num(v)).collect();
            normalize_fixed(&mut x);
            let max = x.iter().max().copied().unwrap();
            let want = max <= I32F32::from_num(limit) / I32F32::from_num(65535);
            assert_eq!(check_vec_max_limited(&w, limit), want);
        }
    }

    #[test]
    fn v15_7_sparse_ema() {
        let alpha = fixed(0.1);
        let tol = 1e-6;
        let rows = |r: &[[f64; 3]]| -> Sparse {
            r.iter()
                .map(|row| {
                    row.iter()
                        .enumerate()
                        .filter(|(_, &v)| v != 0.0)
                        .map(|(j, &v)| (j as u16, fixed(v)))
                        .collect()
                })
                .collect()
        };
        let close = |got: &Sparse, want: &[&[(u16, f64)]]| {
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(want) {
                assert_eq!(g.len(), w.len(), "{g:?} vs {w:?}");
                for (&(gj, gv), &(wj, wv)) in g.iter().zip(w.iter()) {
                    assert_eq!(gj, wj);
                    assert!((gv.to_num::<f64>() - wv).abs() < tol, "{gv} vs {wv}");
                }
            }
        };
        let old = rows(&[
            [0.0, 2.0, 3.0],
            [4.0, 0.0, 6.0],
            [7.0, 8.0, 0.0],
            [10.0, 11.0, 12.0],
        ]);
        let new = rows(&[
            [10.0, 20.0, 0.0],
            [40.0, 0.0, 60.0],
            [0.0, 80.0, 90.0],
            [100.0, 110.0, 120.0],
        ]);
        let got = mat_ema_sparse(&new, &old, 3, alpha);
        close(
            &got,
            &[
                &[(0, 1.0), (1, 3.8), (2, 2.7)],
                &[(0, 7.6), (2, 11.4)],
                &[(0, 6.3), (1, 15.2), (2, 9.0)],
                &[(0, 19.0), (1, 20.9), (2, 22.8)],
            ],
        );
        let empty: Sparse = vec![vec![]; 4];
        let got = mat_ema_sparse(&new, &empty, 3, alpha);
        close(
            &got,
            &[
                &[(0, 1.0), (1, 2.0)],
                &[(0, 4.0), (2, 6.0)],
                &[(1, 8.0), (2, 9.0)],
                &[(0, 10.0), (1, 11.0), (2, 12.0)],
            ],
        );
        let old: Sparse = vec![vec![(0, fixed(1.0))], vec![]];
        let new: Sparse = vec![vec![], vec![(1, fixed(2.0))]];
        close(
            &mat_ema_sparse(&new, &old, 2, alpha),
            &[&[(0, 0.9)], &[(1, 0.2)]],
        );
    }

    // ---------------------------------------------------------------------------------
    // Whole epochs against the literal transcription
    // ---------------------------------------------------------------------------------

    #[test]
    fn random_epochs_match_literal_reference() {
        let rng = Rng::new(0xDEADBEEF);
        for round in 0..1500 {
            let n = match round % 50 {
                0 => 0,
                1 => 1,
                2..=5 => 60 + rng.below(200) as usize,
                _ => 1 + rng.below(24) as usize,
            };
            let c = random_case(&rng, n);
            check_against_literal(&c);
        }
    }

    #[test]
    fn multi_epoch_feedback_matches_literal_reference() {
        let rng = Rng::new(4242);
        for _ in 0..20 {
            let n = 2 + rng.below(40) as usize;
            let mut c = random_case(&rng, n);
            for step in 0..8 {
                c.block += 1 + rng.below(400);
                // Some validators update their weights; LU follows.
                for i in 0..n {
                    if rng.chance(40) {
                        c.last_update[i] = c.block;
                    }
                }
                if step == 4 {
                    c.block_at_registration[rng.below(n as u64) as usize] = c.block;
                    // a replacement
                }
                check_against_literal(&c);
                let out = c.run();
                c.absorb(&out);
            }
        }
    }

    #[test]
    fn dense_and_csr_sources_agree_with_lists() {
        let rng = Rng::new(31337);
        for _ in 0..200 {
            let n = 1 + rng.below(30) as usize;
            let c = random_case(&rng, n);
            let p = params(&c);
            // Dense forms (0 and absent are the same thing) and CSR forms.
            let dense = |rows: &[Vec<(u16, u16)>]| {
                let mut d = vec![0u16; n * n];
                rows.iter()
                    .enumerate()
                    .for_each(|(i, r)| r.iter().for_each(|&(j, v)| d[i * n + j as usize] = v));
                d
            };
            let csr = |rows: &[Vec<(u16, u16)>]| {
                let mut indptr = vec![0u64];
                let (mut cols, mut vals) = (vec![], vec![]);
                for r in rows {
                    cols.extend(r.iter().map(|e| e.0));
                    vals.extend(r.iter().map(|e| e.1));
                    indptr.push(cols.len() as u64);
                }
                (indptr, cols, vals)
            };
            let (wd, bd) = (dense(&c.weights), dense(&c.bonds));
            let (wi, wc, wv) = csr(&c.weights);
            let (bi, bc, bv) = csr(&c.bonds);
            let ws = CsrRows::new("weights", &wi, &wc, &wv).unwrap();
            let bs = CsrRows::new("bonds", &bi, &bc, &bv).unwrap();
            let (wdr, bdr) = (DenseRows { data: &wd, n }, DenseRows { data: &bd, n });
            let want = epoch_rows(&p, &c.weights[..], &c.bonds[..]).unwrap();
            let want_out = want.into_output();
            let got_dense = epoch_rows(&p, &wdr, &bdr).unwrap();
            let mut dense_bonds = vec![0u16; n * n];
            got_dense.write_dense_bonds(&bdr, &mut dense_bonds, false);
            assert_eq!(
                strip_zero(got_dense.into_output()),
                strip_zero(want_out.clone())
            );
            let got_csr = epoch_rows(&p, &ws, &bs).unwrap();
            let mut csr_bonds = vec![0u16; n * n];
            got_csr.write_dense_bonds(&bs, &mut csr_bonds, false);
            assert_eq!(got_csr.into_output(), want_out);
            assert_eq!(dense_bonds, csr_bonds);
        }
    }

    // ---------------------------------------------------------------------------------
    // Validation and edge cases
    // ---------------------------------------------------------------------------------

    fn error_of(c: &Case) -> String {
        match epoch(&c.input()) {
            Err(ChainError::InvalidArgument(m)) | Err(ChainError::Fatal(m)) => m,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn invalid_inputs_are_named() {
        let base = || Case::new(4, vec![1; 4], 4);
        let mut c = base();
        c.weights.pop();
        assert_eq!(error_of(&c), "weights has 3 rows, expected 4");
        let mut c = base();
        c.bonds.push(vec![]);
        assert_eq!(error_of(&c), "bonds has 5 rows, expected 4");
        let mut c = base();
        c.last_update.pop();
        assert_eq!(error_of(&c), "last_update has 3 entries, expected 4");
        let mut c = base();
        c.block_at_registration.pop();
        assert_eq!(
            error_of(&c),
            "block_at_registration has 3 entries, expected 4"
        );
        let mut c = base();
        c.permit.pop();
        assert_eq!(error_of(&c), "validator_permit has 3 entries, expected 4");
        let mut c = base();
        c.weights[2] = vec![(1, 5), (4, 7)];
        assert_eq!(error_of(&c), "weights row 2 names uid 4, but n = 4");
        let mut c = base();
        c.permit[2] = true; // a read row and an unread row are both validated
        c.bonds[2] = vec![(1, 5), (1, 7)];
        assert_eq!(error_of(&c), "bonds row 2 names uid 1 twice");
        let mut c = base();
        c.bma = 1_000_001;
        assert_eq!(error_of(&c), "bonds_moving_average 1000001 exceeds 1000000");
        let mut c = base();
        c.stake = vec![u64::MAX / 2, u64::MAX / 2, 2, 0];
        assert!(error_of(&c).starts_with("stake sums to"));
    }

    #[test]
    fn fixed_point_overflow_is_fatal() {
        // 32 769 entries of 65 535 sum to 2^31 + 32 767: beyond I32F32 (docs/ruleset.md §0.3:
        // fatal).
        let n = 32_770;
        let mut c = Case::new(n, vec![1; n], 64);
        c.permit[0] = true;
        c.last_update = vec![1; n];
        c.weights[0] = (1..n as u16).map(|j| (j, 65535)).collect();
        assert!(matches!(epoch(&c.input()), Err(ChainError::Fatal(_))));
    }

    #[test]
    fn empty_subnet() {
        let c = Case::new(0, vec![], 64);
        let out = c.run();
        assert!(out.emission.is_empty() && out.bonds.is_empty() && out.active.is_empty());
    }

    #[test]
    fn topk_ties_lower_uid_loses() {
        let v: Vec<I32F32> = [3, 1, 3, 2, 3]
            .iter()
            .map(|&x| I32F32::from_num(x))
            .collect();
        assert_eq!(is_topk(&v, 2), vec![false, false, true, false, true]);
        assert_eq!(is_topk(&v, 5), vec![true; 5]);
        assert_eq!(is_topk(&v, 9), vec![true; 5]);
        assert_eq!(is_topk(&v, 0), vec![false; 5]);
    }

    #[test]
    fn clear_and_unchanged_rows() {
        // uid 2 had a permit and loses it (cleared); uid 3 never had one (left as given).
        let mut c = Case::new(4, vec![10, 10, 1, 1], 2);
        c.permit = vec![true, true, true, false];
        c.bonds[2] = vec![(0, 7)];
        c.bonds[3] = vec![(1, 9)];
        let out = c.run();
        assert_eq!(out.validator_permit, vec![true, true, false, false]);
        assert_eq!(out.bonds[2], BondsRow::Clear);
        assert_eq!(out.bonds[3], BondsRow::Unchanged);
        check_against_literal(&c);
    }

    #[test]
    fn large_dense_epoch_parallel_equals_sequential() {
        let n = 700;
        let rng = Rng::new(5);
        let mut c = Case::new(n, (0..n).map(|_| rng.below(1 << 50)).collect(), 128);
        c.block = 1000;
        c.permit = (0..n).map(|_| rng.chance(60)).collect();
        c.last_update = (0..n).map(|_| 900 + rng.below(100)).collect();
        c.weights = (0..n)
            .map(|_| {
                (0..n as u16)
                    .map(|j| (j, rng.below(65536) as u16))
                    .collect()
            })
            .collect();
        c.bonds = (0..n)
            .map(|_| {
                (0..n as u16)
                    .filter(|_| rng.chance(50))
                    .map(|j| (j, rng.below(65536) as u16))
                    .collect()
            })
            .collect();
        let p = params(&c);
        let seq = epoch_exec(&p, &c.weights[..], &c.bonds[..], Exec::sequential())
            .unwrap()
            .into_output();
        for parts in [2, 7, 64] {
            let par = epoch_exec(&p, &c.weights[..], &c.bonds[..], Exec::parallel(parts)).unwrap();
            assert_eq!(par.into_output(), seq);
        }
        assert_eq!(literal_epoch(&c.input()), seq);
    }

    #[test]
    fn dense_path_matches_literal_reference() {
        // The dense path (both matrices dense) against the literal transcription, for every
        // execution mode; small subnets hit the rare cases (a_i = 1, a row of one entry, moving
        // averages of exactly 1.0).
        let rng = Rng::new(777);
        let dense = |rows: &[Vec<(u16, u16)>], n: usize| {
            let mut d = vec![0u16; n * n];
            rows.iter()
                .enumerate()
                .for_each(|(i, r)| r.iter().for_each(|&(j, v)| d[i * n + j as usize] = v));
            d
        };
        for round in 0..600 {
            let n = match round % 10 {
                0 => 60 + rng.below(250) as usize,
                1..=4 => 1 + rng.below(4) as usize,
                _ => 1 + rng.below(40) as usize,
            };
            let mut c = random_case(&rng, n);
            if round % 3 == 0 {
                c.bma = rng.below(3) * 500_000;
            }
            for _ in 0..3 {
                let want = strip_zero(literal_epoch(&c.input()));
                let p = params(&c);
                let (wd, bd) = (dense(&c.weights, n), dense(&c.bonds, n));
                let (wdr, bdr) = (DenseRows { data: &wd, n }, DenseRows { data: &bd, n });
                let sparse = epoch_rows(&p, &c.weights[..], &c.bonds[..]).unwrap();
                let mut want_bonds = vec![0u16; n * n];
                sparse.write_dense_bonds(&bdr, &mut want_bonds, false);
                // Sequentially, also with each lower level of hand-written SIMD loops.
                for level in kernels::tests::levels() {
                    let got = kernels::tests::with_simd(level, || {
                        epoch_exec(&p, &wdr, &bdr, Exec::sequential()).unwrap()
                    });
                    assert_eq!(strip_zero(got.into_output()), want, "{level:?}");
                }
                for exec in [Exec::sequential(), Exec::parallel(3), Exec::parallel(64)] {
                    let got = epoch_exec(&p, &wdr, &bdr, exec).unwrap();
                    let mut got_bonds = vec![7u16; n * n];
                    got.write_dense_bonds(&bdr, &mut got_bonds, false);
                    assert_eq!(got_bonds, want_bonds, "n = {n}, exec {exec:?}");
                    let mut onto_zeros = vec![0u16; n * n];
                    got.write_dense_bonds(&bdr, &mut onto_zeros, true);
                    assert_eq!(onto_zeros, want_bonds, "n = {n}, exec {exec:?}");
                    assert_eq!(
                        strip_zero(got.into_output()),
                        want,
                        "n = {n}, exec {exec:?}"
                    );
                }
                let out = c.run();
                c.absorb(&out);
                c.block += 1 + rng.below(50);
            }
        }
    }
}
