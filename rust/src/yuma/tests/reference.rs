//! A literal transcription of the reference epoch (subtensor `epoch.rs` and the sparse
//! functions of `math.rs`) on the `fixed` crate's types: the oracle for both fast layouts.

use super::*;
use crate::fixedpoint::{I64F64, I96F32};

pub(super) type Sparse = Vec<Vec<(u16, I32F32)>>;

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

pub(super) fn literal_epoch(inp: &EpochInput<'_>) -> EpochOutput {
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
