//! Steps 5–14 and 19 of docs/ruleset.md §4.2 on dense n×n matrices ([`dense_core`]): the same
//! arithmetic as `sparse.rs`, row by row through the SIMD kernels of `kernels/`, with the median
//! of step 7 as a lane-wise search (`median::dense_medians`). Dense sources (numpy arrays) take
//! this path directly; sparse rows do when they fill enough of the matrix ([`densify_pays`]),
//! copied into a cached dense scratch ([`densify`], [`densified_core`]).
//!
//! The dense path marks stored bond entries (value + 1), so both layouts store the same rows,
//! `(j, 0)` entries included.

use super::exec::{self, ColAcc, DenseMat, Exec, Store, RETAIN_BYTES};
use super::fx::{self, dec, Divisors};
use super::input::{validate_row, DenseRows, RowShape, RowSource};
use super::kernels::{self, EmaCols, FinishCols, Simd};
use super::median::{consensus_mat, Mat};
use super::steps::{ema_alpha, kappa_bits, row_divisor, trust_incentive};
use super::{Core, EpochParams};
use crate::error::{ChainError, Result};

/// Whether sparse rows are better handled as dense n×n matrices: the dense passes read all n²
/// entries of the bonds and n per weights row of a previous permit holder, in SIMD; the sparse
/// ones only the stored entries, but several times slower each. Dense wins when the rows fill
/// about an eighth of the matrix (e.g. Finney's 64 validators weighting all 256 uids).
pub(super) fn densify_pays<W, B>(p: &EpochParams<'_>, w_src: &W, b_src: &B) -> bool
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
    level: Simd,
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
    for i in 0..PREFETCH_ROWS.min(n) {
        prefetch(src.pairs(i));
    }
    for (i, row) in out.data.chunks_exact_mut(n).enumerate() {
        if i + PREFETCH_ROWS < n {
            prefetch(src.pairs(i + PREFETCH_ROWS));
        }
        if let Some(pairs) = src.pairs(i) {
            if kernels::scatter_pairs(level, pairs, row) {
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

/// Rows [`densify`] asks the processor to fetch ahead of the one it copies. The rows of a
/// subnet are separate allocations last read an epoch ago (hundreds of blocks of other work
/// since), so each is a cold miss unless fetched early: the year's late epochs (256 uids, 128
/// stored rows of 256 pairs) spend 0.95× the time with two rows ahead (bench/README.md).
const PREFETCH_ROWS: usize = 2;

/// Hints the processor to bring a row's pairs into the cache (no effect on any result).
fn prefetch(pairs: Option<&[(u16, u16)]>) {
    #[cfg(target_arch = "x86_64")]
    if let Some(p) = pairs {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let base = p.as_ptr().cast::<i8>();
        for off in (0..std::mem::size_of_val(p)).step_by(64) {
            // SAFETY: a prefetch only hints; the address is inside the slice.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(base.add(off)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = pairs;
}

/// A dense n×n copy of sparse rows ([`densify`]) and the rows it holds entries in.
#[derive(Default)]
pub(super) struct DenseCopy {
    n: usize,
    data: Vec<u16>,
    written: Vec<usize>,
}

/// [`dense_core`] on sparse sources, copied into this thread's cached dense scratch.
pub(super) fn densified_core<W, B>(
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
    let mut scratch = exec::take(|c| &mut c.dense);
    // Bonds first: the sparse path validates them first too.
    densify(b_src, "bonds", n, &mut scratch.1, exec.simd)?;
    densify(w_src, "weights", n, &mut scratch.0, exec.simd)?;
    let w = DenseRows {
        data: &scratch.0.data,
        n,
    };
    let b = DenseRows {
        data: &scratch.1.data,
        n,
    };
    let core = dense_core(p, &w, &b, a, permit_new, exec)?;
    if scratch.0.data.capacity() * 4 <= RETAIN_BYTES {
        exec::keep(|c| &mut c.dense, scratch);
    }
    Ok(core)
}

/// Steps 5–14 and 19 over dense n×n sources (zero = no entry). Same arithmetic as the sparse
/// path; entries that are absent there are zeros here, which add nothing to any sum or product.
/// The per-row work is done by the SIMD kernels of [`kernels`].
pub(super) fn dense_core<W, B>(
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
                let lu = p.last_update[i];
                any.push(kernels::add_row_current(
                    b,
                    lu,
                    p.block_at_registration,
                    &mut sum,
                ));
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
                let d = row_divisor(i, sum)?;
                kernels::load_normalize(exec.simd, w, i, d, a[i], row, &mut r0, &mut mx);
                continue;
            }
            let mut sum = kernels::load_row(w, row);
            sum -= u64::from(std::mem::take(&mut row[i]));
            sum -= kernels::clear_outdated(row, p.last_update[i], p.block_at_registration);
            let d = row_divisor(i, sum)?;
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
                true => kernels::clip_row(exec.simd, mat.row(i), &c, a[i], &mut r),
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
                let lu = p.last_update[i];
                kernels::current_entries(b, lu, p.block_at_registration, &mut masked);
                &masked[..]
            } else {
                b
            };
            let top = kernels::ema_store_row(
                exec.simd,
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
                kernels::finish_row_patched(exec.simd, row, exact, &finish_cols, permit_new[i])
            } else {
                kernels::finish_row(exec.simd, row, &finish_cols, permit_new[i])
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
        bonds: Store::Dense {
            mat,
            #[cfg(any(test, feature = "python"))]
            had_bonds: has_bonds,
        },
    })
}
