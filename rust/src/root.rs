//! Root epoch (docs/ruleset.md §5): subnet emission values from the root validators' weights.
//!
//! This file owns the arithmetic of §5.1 steps 4–11 ([`root_epoch_values`]) and the bit-exact
//! series exponential of §5.2 ([`exp_i64f64`]). Steps 1–3 (reading `SubnetworkN[0]`, the
//! existing netuids and `BlockEmission` from state) and storing `EmissionValues` belong to the
//! caller, which maps each existing netuid to a column (ascending netuid, root included).
//! All arithmetic is I64F64 (docs/ruleset.md §0.3) with the reference's operation order.

use std::fmt;

use crate::fixedpoint::{I32F32, I64F64};

/// Why a root epoch stored nothing (§5.1 steps 1, 2, 7, 9); `EmissionValues` stay unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RootAbort {
    /// No root validators (n = 0).
    NoValidators,
    /// No existing networks (K = 0).
    NoNetworks,
    /// The root validators' stakes sum to 0.
    ZeroStake,
    /// The series `exp` (or `1 + exp`) left the I64F64 range.
    ExpOverflow,
}

impl RootAbort {
    /// The reason string of the `RootEpochAborted` event (docs/ruleset.md §3).
    pub fn reason(&self) -> &'static str {
        match self {
            RootAbort::NoValidators => "no_validators",
            RootAbort::NoNetworks => "no_networks",
            RootAbort::ZeroStake => "zero_stake",
            RootAbort::ExpOverflow => "exp_overflow",
        }
    }
}

impl fmt::Display for RootAbort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

/// §5.1 steps 4–11: the `EmissionValues` of the K = `n_columns` existing networks.
///
/// `stake[i]` is `TotalHotkeyStake` of root uid i (n = `stake.len()`); `weights[i]` is root uid
/// i's stored weights row mapped to `(column, u16)`. As in the reference's dense matrix, a row
/// index ≥ n or a column ≥ K is ignored and a repeated column keeps its last value; a missing row
/// is empty. Aborts are checked in the order of §5.1 (n = 0, K = 0, zero stake, exp).
pub fn root_epoch_values(
    stake: &[u64],
    weights: &[Vec<(usize, u16)>],
    n_columns: usize,
    kappa: u16,
    rho: u16,
    block_emission: u64,
) -> Result<Vec<u64>, RootAbort> {
    if stake.is_empty() {
        return Err(RootAbort::NoValidators);
    }
    if n_columns == 0 {
        return Err(RootAbort::NoNetworks);
    }
    let s = normalized_stake(stake);
    let w = dense_weights(weights, stake.len(), n_columns);
    let rank = ranks(&s, &w, n_columns);
    let trust = trust(&s, &w, n_columns)?;
    // Step 8: κ is the I32F32 proportion widened exactly; ρ an integer.
    let kappa = I64F64::from_num(I32F32::from_num(kappa) / I32F32::from_num(u16::MAX));
    let rho = I64F64::from_num(rho);
    let mut weighted = Vec::with_capacity(n_columns);
    for (&t, &r) in trust.iter().zip(&rank) {
        weighted.push(logistic(t, kappa, rho)? * r); // step 10: w_k = c_k ⊗ rank_k
    }
    normalize(&mut weighted);
    Ok(weighted
        .iter()
        .map(|&x| emission_share(x, block_emission))
        .collect())
}

/// Step 4: `s_i = I64F64(S_i) ⊘ Σ`, bits ⌊S_i·2^64 / Σ⌋ (both operands are integers). Computed in
/// u128 so that no stake can overflow; Σ ≤ the supply cap keeps it within the reference's range.
fn normalized_stake(stake: &[u64]) -> Vec<I64F64> {
    let total: u128 = stake.iter().map(|&x| u128::from(x)).sum();
    stake
        .iter()
        .map(|&x| {
            let bits = (u128::from(x) << 64).checked_div(total).unwrap_or(0);
            I64F64::from_bits(bits as i128)
        })
        .collect()
}

/// Step 5: `W_ik = I64F64(w)`, the raw u16 (neither divided by 65535 nor row-normalised).
fn dense_weights(weights: &[Vec<(usize, u16)>], n: usize, k: usize) -> Vec<Vec<I64F64>> {
    let mut w = vec![vec![I64F64::ZERO; k]; n];
    for (row, entries) in w.iter_mut().zip(weights) {
        for &(col, v) in entries {
            if let Some(slot) = row.get_mut(col) {
                *slot = I64F64::from_num(v);
            }
        }
    }
    w
}

/// Step 6: `rank_k = Σ_i s_i ⊗ W_ik`.
fn ranks(s: &[I64F64], w: &[Vec<I64F64>], k: usize) -> Vec<I64F64> {
    let mut rank = vec![I64F64::ZERO; k];
    for (si, row) in s.iter().zip(w) {
        for (r, &x) in rank.iter_mut().zip(row) {
            *r += *si * x;
        }
    }
    rank
}

/// Step 7: `trust_k = (Σ_{i: W_ik > 0} s_i) ⊘ Σ_i s_i`; aborts when the stake sum is 0.
fn trust(s: &[I64F64], w: &[Vec<I64F64>], k: usize) -> Result<Vec<I64F64>, RootAbort> {
    let mut trust = vec![I64F64::ZERO; k];
    let mut total = I64F64::ZERO;
    for (&si, row) in s.iter().zip(w) {
        total += si;
        for (t, &x) in trust.iter_mut().zip(row) {
            if x > 0 {
                *t += si;
            }
        }
    }
    if total == 0 {
        return Err(RootAbort::ZeroStake);
    }
    Ok(trust.into_iter().map(|t| t / total).collect())
}

/// Step 9: `c = 1 ⊘ (1 + exp(−(trust − κ) ⊗ ρ))`. The reference adds `1 + e` unchecked; an
/// overflow there (e within 1 of the range's end) is treated like a failed `exp`.
fn logistic(trust: I64F64, kappa: I64F64, rho: I64F64) -> Result<I64F64, RootAbort> {
    let x = (trust - kappa) * rho; // exact: ρ is an integer and |trust − κ| < 1
    let e = exp_i64f64(-x).ok_or(RootAbort::ExpOverflow)?;
    let denominator = I64F64::ONE.checked_add(e).ok_or(RootAbort::ExpOverflow)?;
    Ok(I64F64::ONE / denominator)
}

/// `normalise` (§4.3) in I64F64.
fn normalize(v: &mut [I64F64]) {
    let sum: I64F64 = v.iter().copied().sum();
    if sum != 0 {
        v.iter_mut().for_each(|x| *x /= sum);
    }
}

/// Step 11: `to_u64(w ⊗ I64F64(E))`. The product has bits `w_bits·E` exactly (E's bits are
/// E·2^64), so the floor is ⌊w_bits·E / 2^64⌋, computed in u128 (w ≤ 1, so it fits).
fn emission_share(w: I64F64, block_emission: u64) -> u64 {
    let bits = w.to_bits().max(0) as u128;
    ((bits * u128::from(block_emission)) >> 64) as u64
}

/// §5.2: the series `exp` of `substrate-fixed` applied to I64F64, bit-exact. `None` when any
/// intermediate leaves the I64F64 range (the root epoch then aborts with `exp_overflow`).
///
/// `exp(0) = 1`; `exp(1)` is the constant e truncated to 23 fractional bits (22 802 600 / 2^23),
/// a quirk of the reference kept as is (so `exp(1) < e` while `exp(−1)` uses the series).
/// Otherwise, with y = |x|: `result = 1 + y`, `term = y`, and for i = 2..=63
/// `term = (term ⊗ y) ⊘ i`, `result += term`; for x < 0 the result is `1 ⊘ result`.
pub fn exp_i64f64(x: I64F64) -> Option<I64F64> {
    if x == 0 {
        return Some(I64F64::ONE);
    }
    if x == 1 {
        return Some(I64F64::from_bits(22_802_600i128 << (64 - 23)));
    }
    let y = if x < 0 { x.checked_neg()? } else { x };
    let mut result = y.checked_add(I64F64::ONE)?;
    let mut term = y;
    for i in 2..64i128 {
        term = term.checked_mul(y)?;
        // `term ⊘ I64F64(i)` has bits ⌊term_bits·2^64 / (i·2^64)⌋ = term_bits / i (term ≥ 0),
        // which cannot overflow; an integer division instead of a fixed-point one.
        term = I64F64::from_bits(term.to_bits() / i);
        if term == 0 {
            break; // every later term is 0 too, and adds nothing
        }
        result = result.checked_add(term)?;
    }
    if x < 0 {
        result = I64F64::ONE.checked_div(result)?;
    }
    Some(result)
}

#[cfg(test)]
mod tests;
