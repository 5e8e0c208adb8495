//! Steps 5–14 and 19 of docs/ruleset.md §4.2 on sparse rows (`exec::Rows`): load, mask and
//! normalise the weights (5–6), clip them (8–10), the old bonds' column sums (11), the moving
//! average merged row by row (12–13), then normalise, dividends and the stored u16 bonds in one
//! pass (13, 14, 19). The median of step 7 is `median::consensus`.
//!
//! Rows are uid-sorted; each pass is chunked over rows ([`Exec`]) with per-chunk column
//! accumulators merged by exact sums or maxima, so results do not depend on the thread count.

use super::exec::{ColAcc, Exec, RowMut, Rows, Store};
use super::fx::{self, dec, enc, mul, Divisors};
use super::input::{sort_row, validate_row, RowShape, RowSource};
use super::median::consensus;
use super::steps::{ema_alpha, kappa_bits, row_divisor, trust_incentive};
use super::{Core, EpochParams};
use crate::error::{ChainError, Result};

/// Steps 5–14 and 19 over sparse rows.
pub(super) fn sparse_core<W, B>(
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
        delta: Divisors::new(&r),
        bond: Divisors::new(&bond_col_sum),
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

/// Step 11, first half: validates every bonds row and sums each column's raw values over the
/// entries that are not outdated (rows are not masked by permits). The sums are I32F32 integers
/// in the reference; ≥ 2^31 overflows it, which the rules call fatal.
pub(super) fn bond_column_sums<S: RowSource + ?Sized>(
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
pub(super) fn load_weights<W, B>(
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
            let r = row_divisor(i, sum)?;
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

/// Steps 8–10: the clipped weights `W̄_ij = min(W_ij, C_j)` (0 where `C_j = 0`: the rules drop
/// that entry, and a 0 entry adds nothing to any later sum or product while the moving average
/// drops it, so the two are the same), `VT_i = Σ_j W̄_ij` and the unnormalised ranks
/// `R_j = Σ_i a_i ⊗ W̄_ij`. `R_j` is also the column sum of the bond deltas of step 12, whose
/// entries `W̄_ij ⊗ a_i` are the same products (⊗ is symmetric). The rows are only read: step 13
/// applies the same `min` again rather than paying for a write of the whole matrix.
pub(super) fn clip_weights(w: &Rows, c: &[u64], a: &[u64], exec: Exec) -> (Vec<u64>, Vec<u64>) {
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

/// Steps 11–13 for every row.
struct Ema<'a> {
    p: &'a EpochParams<'a>,
    a: &'a [u64],
    /// The consensus, to clip the weights (step 8) on the fly.
    c: &'a [u64],
    /// Column normalisation of the bond deltas: their sums are the ranks `R_j`.
    delta: Divisors,
    /// Column normalisation of the old bonds.
    bond: Divisors,
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
            mul(self.alpha.0, self.delta.div(j, mul(clipped, ai)))
        };
        let bond = |j: usize, b: u16| mul(self.alpha.1, self.bond.div(j, u64::from(b)));
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
pub(super) fn finish_bonds(
    rows: &mut Rows,
    ema: &ColAcc,
    incentive: &[u64],
    permit_new: &[bool],
    exec: Exec,
) -> Vec<u64> {
    let norm = Divisors::new(&ema.sum);
    let col_max: Vec<u64> = (0..ema.max.len())
        .map(|j| norm.div(j, ema.max[j]))
        .collect();
    let upscale = Divisors::new(&col_max);
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
                    let b = norm.div(j, u64::from(*v) + 1);
                    di += mul(incentive[j], b);
                    *v = u32::from(fx::proportion_u16(upscale.div(j, b)));
                }
            } else {
                for (&j, &v) in cols.iter().zip(vals.iter()) {
                    let j = usize::from(j);
                    di += mul(incentive[j], norm.div(j, u64::from(v) + 1));
                }
            }
            d.push(di);
        }
        d
    });
    results.concat()
}
