//! The primitives of docs/ruleset.md §4.3 as the public API has them: on `fixed`-crate values,
//! transcribed literally from the reference (`is_topk`, `vec_max_upscale_to_u16`,
//! `check_vec_max_limited`, `weighted_median_col` with its pivot recursion, `mat_ema_sparse`).
//!
//! The epoch itself runs faster equivalents on raw bits (`steps`, `median`, `sparse`, `dense`);
//! the tests check each against these, and `set_weights` (§10.1) calls the u16 forms here.

use super::fx;
use super::steps::topk;
use crate::fixedpoint::I32F32;

/// `is_topk` of docs/ruleset.md §4.3: true for the k largest values; ties are broken by a stable ascending
/// sort, so among equal values the lower uid loses.
pub fn is_topk(values: &[I32F32], k: usize) -> Vec<bool> {
    let bits: Vec<i64> = values.iter().map(|v| v.to_bits()).collect();
    topk(&bits, k)
}

/// `vec_max_upscale_to_u16` of docs/ruleset.md §4.3 (I32F32 input). Negative entries, which the epoch never
/// produces, give 0 (the reference assumes non-negative input).
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

/// `vec_max_upscale_to_u16` of u16 input (used by `set_weights`, docs/ruleset.md §10.1): each w is first
/// converted to the integer `I32F32(w)`.
///
/// On integers the I32F32 steps are exact up to one truncation, so this computes their bits in
/// u64 (one division per entry, or one for the whole vector, instead of 128-bit fixed-point
/// ones; a validator's 256 weights in every `set_weights`): for M ≤ 32 768, `w ⊗ 65535` is the
/// integer w·65535 < 2^31 and `⊘ M` has bits ⌊w·65535·2^32 / M⌋; for larger M, `r = 65535 ⊘ M`
/// has bits ⌊65535·2^32 / M⌋ and `w ⊗ r` bits w·r. Then rounding, ties away from zero. A test
/// checks it against [`vec_max_upscale_to_u16`] of the converted input.
pub fn vec_max_upscale_u16(v: &[u16]) -> Vec<u16> {
    let Some(&max) = v.iter().max() else {
        return Vec::new();
    };
    let m = u64::from(max);
    let round = |bits: u64| ((bits + (1 << 31)) >> 32).min(u64::from(u16::MAX)) as u16;
    if m == 0 {
        vec![0; v.len()]
    } else if m > 32768 {
        let r = (u64::from(u16::MAX) << 32) / m;
        v.iter().map(|&w| round(u64::from(w) * r)).collect()
    } else {
        v.iter()
            .map(|&w| round(((u64::from(w) * u64::from(u16::MAX)) << 32) / m))
            .collect()
    }
}

/// `check_vec_max_limited` of docs/ruleset.md §4.3: after normalising the u16 vector (as I32F32 integers),
/// is its maximum ≤ `limit ⊘ 65535`? True for an empty vector.
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
        fx::WideRecip::new(sum).div(u64::from(max))
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
/// ⌊x⌋ as u16, saturating (negative → 0).
pub(super) fn to_u16_floor(x: I32F32) -> u16 {
    (x.to_bits() >> 32).clamp(0, i64::from(u16::MAX)) as u16
}

/// round(x) (ties away from zero) as u16, saturating.
fn to_u16_round(x: I32F32) -> u16 {
    to_u16_floor(x.saturating_round())
}

/// `normalise` (§4.3) of fixed-crate values, as the reference's `inplace_normalize`.
pub(super) fn normalize_fixed(x: &mut [I32F32]) {
    let sum: I32F32 = x.iter().copied().sum();
    if sum != I32F32::ZERO {
        x.iter_mut().for_each(|v| *v /= sum);
    }
}

/// The reference's `weighted_median` (mid-pivot recursion of §4.3 `WM`), literally.
pub(super) fn weighted_median(
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
