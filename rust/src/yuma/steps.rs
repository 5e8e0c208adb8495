//! The per-uid steps of the epoch (docs/ruleset.md §4.2), shared by both layouts: activity (1),
//! normalised stake (2), permits by top-k (3), active stake (4), the row divisor of step 5, trust
//! and incentive (10), the moving-average coefficients (13), the emission split (15), rao (16)
//! and the pruning scores (17). O(n) work on raw I32F32 bits (`fx`).

use super::fx::{self, Divisor, WideRecip};
use super::{EpochOutput, EpochParams};
use crate::error::{ChainError, Result};

/// `normalise` (§4.3) of non-negative bits in place (a zero sum leaves the vector unchanged).
/// O(n) divisions of parts by their sum, which may exceed 1.0: [`WideRecip`].
pub(super) fn normalize_bits(v: &mut [u64]) {
    let sum: u64 = v.iter().sum();
    if sum == 0 {
        return;
    }
    let r = WideRecip::new(sum);
    v.iter_mut().for_each(|x| *x = r.div(*x));
}

/// Stable ascending top-k of §4.3.
pub(super) fn topk<T: Ord + Copy>(v: &[T], k: usize) -> Vec<bool> {
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
/// Step 10's trust `T_j = R_j ⊘ R0_j` (0 where `R0_j = 0`) and incentive `normalise(R)`.
pub(super) fn trust_incentive(r: &[u64], r0: &[u64]) -> (Vec<u64>, Vec<u64>) {
    let trust: Vec<u64> = r
        .iter()
        .zip(r0)
        .map(|(&x, &y)| if y != 0 { fx::div(x, y) } else { 0 })
        .collect();
    let mut incentive = r.to_vec();
    normalize_bits(&mut incentive);
    (trust, incentive)
}

/// Step 7's κ = I32F32(Kappa) ⊘ I32F32(65535).
pub(super) fn kappa_bits(p: &EpochParams<'_>) -> u64 {
    fx::div(u64::from(p.kappa) << 32, 65535u64 << 32)
}
/// Step 1: `active_i = ¬(LU_i + A < b)`. The sum saturates (the reference's u64 addition cannot
/// overflow for real block numbers; a saturated sum means "updated in the far future": active).
pub(super) fn activity(p: &EpochParams<'_>) -> Vec<bool> {
    let cutoff = u64::from(p.activity_cutoff);
    p.last_update
        .iter()
        .map(|&lu| lu.saturating_add(cutoff) >= p.block)
        .collect()
}

/// Step 2: `s_i = to_I32F32(I64F64(S_i) ⊘ Σ)`. The I64F64 quotient has bits ⌊S_i·2^64 / Σ⌋ and
/// narrowing floors, so `s_i` has bits ⌊⌊S_i·2^64/Σ⌋ / 2^32⌋ = ⌊S_i·2^32 / Σ⌋ (nested floors by
/// positive integers compose), which [`WideRecip`] computes exactly. Σ < 2^63 is validated.
pub(super) fn normalized_stake(stake: &[u64]) -> Vec<u64> {
    let total: u64 = stake.iter().sum();
    if total == 0 {
        return vec![0; stake.len()];
    }
    let r = WideRecip::new(total);
    stake.iter().map(|&x| r.div(x)).collect()
}

/// Step 4: stake of uids that are active and held a permit, normalised.
pub(super) fn active_stake(s: &[u64], active: &[bool], permit_prev: &[bool]) -> Vec<u64> {
    let mut a: Vec<u64> = (0..s.len())
        .map(|i| if active[i] && permit_prev[i] { s[i] } else { 0 })
        .collect();
    normalize_bits(&mut a);
    a
}

/// The row normalisation of one weights row: raw u16 values `w` become `I32F32(w) ⊘ I32F32(S)`,
/// bits ⌊w·2^32 / S⌋ (both operands integers); a zero sum leaves the (zero) values as they are.
/// The row sum S is an I32F32 in the reference; S ≥ 2^31 overflows it, which the rules call fatal.
/// Since S < 2^31, a quotient for w < S is at most 2^32 − ⌈2^32/S⌉ ≤ 2^32 − 2: the value
/// 2^32 − 1 never occurs, and [`fx::enc`] stores the quotients in u32.
pub(super) fn row_divisor(i: usize, sum: u64) -> Result<Divisor> {
    // Divisor(0) is the identity; all values of a zero-sum row are 0.
    Ok(Divisor::new(checked_row_sum(i, sum)?))
}

/// A raw weights row sum, which must be an I32F32 (below 2^31).
pub(super) fn checked_row_sum(i: usize, sum: u64) -> Result<u64> {
    if sum > i32::MAX as u64 {
        return Err(ChainError::Fatal(format!(
            "weights row {i} sums to {sum}, overflowing I32F32"
        )));
    }
    Ok(sum)
}

/// Step 13's coefficients: `m = I64F64(BMA) ⊘ I64F64(10^6)`, `α = 1 − to_I32F32(m)`, `α' = 1 − α`.
/// `to_I32F32(m)` has bits ⌊⌊BMA·2^64/10^6⌋ / 2^32⌋ = ⌊BMA·2^32 / 10^6⌋; BMA ≤ 10^6 is validated,
/// so both coefficients lie in [0, 1].
pub(super) fn ema_alpha(bma: u64) -> (u64, u64) {
    let m = (u128::from(bma) << 32) / 1_000_000;
    let alpha = fx::ONE - m as u64;
    (alpha, fx::ONE - alpha)
}

/// Step 15's normalised shares (I32F32 bits).
#[derive(Clone, Debug, Default)]
pub(crate) struct Split {
    pub(super) server: Vec<u64>,
    pub(super) validator: Vec<u64>,
    pub(super) combined: Vec<u64>,
}

impl Split {
    /// Step 16: the shares in rao of `emission` into `out` (`emission`, `server`, `validator`).
    pub(super) fn price(&self, out: &mut EpochOutput, emission: u64) {
        let to_rao = |v: &[u64]| -> Vec<u64> { v.iter().map(|&x| rao(x, emission)).collect() };
        out.emission = to_rao(&self.combined);
        out.server = to_rao(&self.server);
        out.validator = to_rao(&self.validator);
    }
}

/// Step 15: `σ = I ⊘ Σ`, `ν = D ⊘ Σ`, `ε = normalise(I + D)` with `Σ = Σ_i (I_i + D_i)`; when
/// `Σ = 0` (no usable weights) validators get stake: `ν = ε = s` if `Σa = 0`, else `a`.
pub(super) fn emission_split(incentive: &[u64], dividends: &[u64], s: &[u64], a: &[u64]) -> Split {
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
    let r = WideRecip::new(total); // Σ ≤ 2.0
    let share = |v: &[u64]| -> Vec<u64> { v.iter().map(|&x| r.div(x)).collect() };
    Split {
        server: share(incentive),
        validator: share(dividends),
        combined: share(&combined),
    }
}

/// Step 17: `vec_max_upscale_to_u16` of the combined shares (bits in `[0, 2^32]`), without the
/// fixed-point crate's 128-bit division per entry. With M the largest share (at most 1.0, so
/// the third case of [`super::vec_max_upscale_to_u16`]): `(x ⊗ 65535) ⊘ M` has bits
/// ⌊x·65535·2^32 / M⌋ (the product is exact: 65535 is an integer) and `to_u16` rounds it half
/// up. A test checks it against [`super::vec_max_upscale_to_u16`].
pub(super) fn pruning_scores(shares: &[u64]) -> Vec<u16> {
    let max = shares.iter().copied().max().unwrap_or(0);
    if max == 0 {
        return vec![0; shares.len()];
    }
    let r = WideRecip::new(max);
    shares
        .iter()
        .map(|&x| ((r.div(x * 65535) + (1 << 31)) >> 32).min(65535) as u16)
        .collect()
}

/// Step 16: `to_u64(I96F32(x) ⊗ I96F32(E))`. The I96F32 product has bits x·E exactly (x's bits
/// carry over, E's are E·2^32), and `to_u64` floors: ⌊x·E / 2^32⌋ ≤ E since x ≤ 1.
pub(super) fn rao(x: u64, emission: u64) -> u64 {
    ((u128::from(x) * u128::from(emission)) >> 32) as u64
}
