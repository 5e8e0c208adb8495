//! Step 7 of docs/ruleset.md §4.2, the consensus `C = weighted_median_col(a, W, n, κ)`, on both
//! layouts: the characterisation of the reference's pivot recursion ([`consensus`]), found by
//! histogram sweeps over sparse rows ([`MedianCtx`]) or by a lane-wise binary search over a
//! dense matrix of keys ([`dense_medians`]), both finished by a radix selection
//! ([`select_refine`]). The literal recursion is `primitives::weighted_median_col`; the tests
//! check one against the other.

use std::ops::Range;

use multiversion::multiversion;

use super::exec::{self, ColAcc, Exec, Rows};
use super::fx::{self, dec, enc};
use super::kernels::{self, Simd};
use super::steps::normalize_bits;

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
pub(super) fn consensus(w: &Rows, a: &[u64], loaded: &ColAcc, kappa: u64, exec: Exec) -> Vec<u64> {
    consensus_mat(Mat::Sparse(w), a, loaded, kappa, exec)
}

/// [`consensus`] over either layout.
pub(super) fn consensus_mat(
    w: Mat<'_>,
    a: &[u64],
    loaded: &ColAcc,
    kappa: u64,
    exec: Exec,
) -> Vec<u64> {
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

/// Step 7 on a dense matrix of keys, [`kernels::LANES`] columns at a time (the result is the
/// characterisation of [`consensus`]: the smallest key v with `st(≤v) > minority`, with
/// `0 ≤ minority < ss`). The kept rows' keys of the block are copied into a contiguous strip;
/// per column, a binary search on the key keeps `st(≤lo−1) ≤ minority < st(≤hi)` (true at
/// `lo = 0`, `hi` = the column maximum, whose `st` is `ss`), each step counting the stake at
/// most `mid` for all lanes at once. A step moves `hi` down to the largest key at most `mid`,
/// or `lo` up to the smallest key above it, rather than to `mid` and `mid + 1`: no key lies in
/// between, so the stakes at most either are the same and the invariant holds, and the range
/// always runs from a key to a key. The search ends when every lane's range is one key (at most
/// 33 steps: each at least halves a u32 range). Keys that stand close together — Finney-like
/// columns, 64 validators weighting one miner alike — settle in about half the steps plain
/// halving needs (16 against 32 a strip over late-year epochs of `bench_year.py`).
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
        let mut strip = vec![0u32; kept.len() * LANES];
        let mut out = Vec::with_capacity(blocks.len() * LANES);
        let cx = StripCtx {
            m,
            n,
            kept,
            st,
            st32: st32.as_deref(),
            minority,
            col_max,
            simd: exec.simd,
        };
        for b in blocks {
            median_strip(&cx, b * LANES, &mut strip, &mut out);
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
    simd: Simd,
}

/// The medians of columns `c0..c0 + LANES` (those below n) of [`dense_medians`], appended to
/// `out`. Compiled for AVX-512 / AVX2 too, so that the per-lane steps of the search run as
/// vector operations on the 16 lanes.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
fn median_strip<'a>(cx: &StripCtx<'a>, c0: usize, strip: &mut [u32], out: &mut Vec<u64>) {
    use kernels::LANES;
    let (m, n, kept) = (cx.m, cx.n, cx.kept);
    let w = LANES.min(n - c0);
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
    let mut lo = [0u32; LANES];
    let mut hi = [0u32; LANES];
    for (h, &x) in hi.iter_mut().zip(&cx.col_max[c0..c0 + w]) {
        *h = enc(x);
    }
    let settled = |lo: &[u32; LANES], hi: &[u32; LANES]| {
        (0..LANES).fold(true, |all, c| all & (lo[c] == hi[c]))
    };
    // Each step at least halves every open range, so 33 steps settle any u32 range.
    for level in 0..=32 {
        if settled(&lo, &hi) {
            break;
        }
        // Level 0 probes 0: sparse columns (most rows without a weight) have median 0.
        let mid: [u32; LANES] = match level {
            0 => [0; LANES],
            _ => std::array::from_fn(|c| lo[c] + (hi[c] - lo[c]) / 2),
        };
        let at_most: [u64; LANES] = match cx.st32 {
            Some(st32) => kernels::stake_at_most_u32(cx.simd, strip, st32, &mid).map(u64::from),
            None => kernels::stake_at_most(cx.simd, strip, cx.st, &mid),
        };
        let (key_at_most, key_above) = kernels::keys_beside(strip, &mid);
        // Branch-free (the comparisons are coin flips for the branch predictor).
        for c in 0..LANES {
            let open = lo[c] != hi[c];
            let gt = at_most[c] > cx.minority;
            hi[c] = if open & gt { key_at_most[c] } else { hi[c] };
            lo[c] = if open & !gt { key_above[c] } else { lo[c] };
        }
    }
    debug_assert!(settled(&lo, &hi));
    out.extend(lo[..w].iter().map(|&k| dec(k)));
}

/// The normalised weights as the median reads them: sparse rows, or a dense row-major n×n
/// matrix of [`enc`] keys (0 = no entry, which scores the same).
#[derive(Clone, Copy)]
pub(super) enum Mat<'a> {
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

/// Candidate lists kept in the thread's cache between epochs, so that a block's 1024 columns do
/// not allocate theirs afresh each time (every list is cleared before use, so old contents never
/// matter). Lists that grew beyond this many entries are released instead.
const CANDS_RETAIN: usize = 256;

fn take_cands() -> Vec<Vec<(u32, u64)>> {
    let mut cands = exec::take(|c| &mut c.cands);
    cands.resize_with(MEDIAN_BLOCK, Vec::new);
    cands
}

fn keep_cands(mut cands: Vec<Vec<(u32, u64)>>) {
    for c in &mut cands {
        if c.capacity() > CANDS_RETAIN {
            *c = Vec::new();
        }
    }
    exec::keep(|c| &mut c.cands, cands);
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
