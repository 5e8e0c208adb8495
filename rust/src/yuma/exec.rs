//! Where the epoch's passes run and what they write into: the sparse row buffer ([`Rows`],
//! chunked for parallel passes), the dense n×n matrix ([`DenseMat`]), per-chunk column
//! accumulators ([`ColAcc`]), the execution mode ([`Exec`]: threads and SIMD level) and the one
//! thread-local [`Cache`] of buffers kept between epochs.

use std::cell::RefCell;
use std::ops::Range;

use rayon::prelude::*;

use super::dense::DenseCopy;
use super::kernels::Simd;

/// Sparse rows in one buffer: row i owns the capacity `off[i] .. off[i+1]` and stores its
/// entries at `off[i] + lo[i] .. off[i] + lo[i] + len[i]`, ascending uid. The same buffer holds,
/// each written in place over the previous, the normalised weights of step 5 (as `fx::enc`), the
/// moving average of step 13 (as `acc − 1`: kept entries have `1 ≤ acc ≤ 2^32`) and the stored
/// bonds of step 19 (u16). Values are u32 because the epoch is bound by memory traffic.
pub(super) struct Rows {
    pub(super) off: Vec<usize>,
    pub(super) lo: Vec<usize>,
    pub(super) len: Vec<usize>,
    pub(super) cols: Vec<u16>,
    pub(super) vals: Vec<u32>,
}

/// The big buffers of [`Rows`] (and of [`DenseMat`], which uses `vals`).
#[derive(Default)]
pub(super) struct Buffers {
    pub(super) cols: Vec<u16>,
    pub(super) vals: Vec<u32>,
}

/// Buffers above this many bytes are released after an epoch instead of being cached.
pub(super) const RETAIN_BYTES: usize = 256 << 20;

/// What an epoch leaves behind for the next one on the same thread: a fresh allocation is paid
/// in page faults (about 0.4 ms per MB), so repeated epochs reuse the last one's buffers. Each
/// part is taken out while in use ([`take`]) and put back after ([`keep`]), so a nested or
/// parallel user simply finds it empty and allocates.
#[derive(Default)]
pub(super) struct Cache {
    /// The rows buffer of [`Rows`] / [`DenseMat`].
    pub(super) rows: Buffers,
    /// Dense copies of sparse weights and bonds (`dense::densify`).
    pub(super) dense: (DenseCopy, DenseCopy),
    /// The sparse median's candidate lists (`median`).
    pub(super) cands: Vec<Vec<(u32, u64)>>,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::default();
}

/// Takes one part of this thread's [`Cache`] (empty while the thread is being torn down).
pub(super) fn take<T: Default>(part: impl FnOnce(&mut Cache) -> &mut T) -> T {
    CACHE
        .try_with(|c| std::mem::take(part(&mut c.borrow_mut())))
        .unwrap_or_default()
}

/// Puts a part of this thread's [`Cache`] back.
pub(super) fn keep<T>(part: impl FnOnce(&mut Cache) -> &mut T, value: T) {
    let _ = CACHE.try_with(|c| *part(&mut c.borrow_mut()) = value);
}

impl Rows {
    /// Rows with the given capacities, on (possibly reused) buffers; contents are unspecified
    /// until written, and nothing outside a row's stored range is ever read.
    pub(super) fn with_capacities(caps: impl Iterator<Item = usize>) -> Self {
        let mut off = vec![0usize];
        let mut total = 0usize;
        for c in caps {
            total += c;
            off.push(total);
        }
        let n = off.len() - 1;
        let Buffers { mut cols, mut vals } = take(|c| &mut c.rows);
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
    pub(super) fn row(&self, i: usize) -> (&[u16], &[u32]) {
        let s = self.off[i] + self.lo[i];
        let e = s + self.len[i];
        (&self.cols[s..e], &self.vals[s..e])
    }

    /// Splits into at most `parts` chunks of consecutive rows with about equal capacity.
    pub(super) fn chunks_mut(&mut self, parts: usize) -> Vec<RowsChunk<'_>> {
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
            keep(|c| &mut c.rows, buffers);
        }
    }
}

/// Consecutive rows of a [`Rows`], mutably.
pub(super) struct RowsChunk<'a> {
    pub(super) rows: Range<usize>,
    pub(super) off: &'a [usize],
    pub(super) lo: &'a mut [usize],
    pub(super) len: &'a mut [usize],
    pub(super) cols: &'a mut [u16],
    pub(super) vals: &'a mut [u32],
}

/// One row of a chunk: where its entries start and how many there are, within its capacity.
pub(super) struct RowMut<'a> {
    pub(super) lo: &'a mut usize,
    pub(super) len: &'a mut usize,
    pub(super) cols: &'a mut [u16],
    pub(super) vals: &'a mut [u32],
}

impl RowsChunk<'_> {
    #[inline]
    pub(super) fn row_mut(&mut self, i: usize) -> RowMut<'_> {
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
pub(super) fn chunk_bounds(off: &[usize], parts: usize) -> Vec<Range<usize>> {
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

/// How passes run: on one thread or as `parts` rayon tasks, and with which hand-written SIMD
/// loops (the best the CPU has; tests pass each lower level to check that all agree).
#[derive(Clone, Copy, Debug)]
pub(super) struct Exec {
    pub(super) par: bool,
    pub(super) parts: usize,
    pub(super) simd: Simd,
}

/// Below this many matrix entries a rayon fork/join (≈ 12 µs here) costs more than it saves.
pub(super) const PAR_MIN_ENTRIES: usize = 1 << 17;

impl Exec {
    pub(super) fn auto(work: usize) -> Self {
        let threads = rayon::current_num_threads();
        if threads > 1 && work >= PAR_MIN_ENTRIES {
            Exec::parallel(threads * 2)
        } else {
            Exec::sequential()
        }
    }
    pub(super) fn sequential() -> Self {
        Exec {
            par: false,
            parts: 1,
            simd: Simd::detect(),
        }
    }
    pub(super) fn parallel(parts: usize) -> Self {
        Exec {
            par: true,
            parts,
            simd: Simd::detect(),
        }
    }

    /// Maps `f` over `items`, keeping their order (so merged results do not depend on timing).
    pub(super) fn map<T: Send, R: Send>(
        &self,
        items: Vec<T>,
        f: impl Fn(T) -> R + Sync + Send,
    ) -> Vec<R> {
        if self.par {
            items.into_par_iter().map(f).collect()
        } else {
            items.into_iter().map(f).collect()
        }
    }

    /// `parts` ranges splitting 0..n.
    pub(super) fn ranges(&self, n: usize) -> Vec<Range<usize>> {
        let parts = self.parts.clamp(1, n.max(1));
        (0..parts)
            .map(|p| p * n / parts..(p + 1) * n / parts)
            .collect()
    }
}

/// Per-chunk column accumulators; merged by exact sums or maxima, so order-free.
pub(super) struct ColAcc {
    pub(super) sum: Vec<u64>,
    pub(super) max: Vec<u64>,
}

impl ColAcc {
    pub(super) fn new(n: usize) -> Self {
        ColAcc {
            sum: vec![0; n],
            max: vec![0; n],
        }
    }

    pub(super) fn merge(parts: Vec<ColAcc>) -> ColAcc {
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

/// Step 19's stored bonds: sparse rows, or a dense row-major matrix.
pub(super) enum Store {
    Sparse(Rows),
    /// The matrix, and per row whether the old (raw) bonds had a nonzero entry (which the
    /// dense bonds output of the binding uses to skip rows).
    Dense {
        mat: DenseMat,
        #[cfg(any(test, feature = "python"))]
        had_bonds: Vec<bool>,
    },
}

/// A dense row-major n×n u32 matrix on the cached buffer of [`Rows`] (contents unspecified
/// until written). It holds the normalised weights (as `fx::enc` keys, 0 = no entry), then the
/// moving average (`min(acc, 2^32 − 1)`; entries of 2^32 − 1 or more are also kept exactly aside),
/// then the stored bonds (u16 values) of the rows holding the new permit.
pub(super) struct DenseMat {
    pub(super) n: usize,
    pub(super) buffers: Buffers,
}

impl DenseMat {
    pub(super) fn new(n: usize) -> Self {
        let mut buffers = take(|c| &mut c.rows);
        if buffers.vals.len() < n * n {
            buffers.vals.resize(n * n, 0);
        }
        DenseMat { n, buffers }
    }

    pub(super) fn row(&self, i: usize) -> &[u32] {
        &self.buffers.vals[i * self.n..(i + 1) * self.n]
    }

    pub(super) fn all(&self) -> &[u32] {
        &self.buffers.vals[..self.n * self.n]
    }

    /// The rows of `ranges` (consecutive, covering 0..n) as separate mutable slices.
    pub(super) fn split(&mut self, ranges: Vec<Range<usize>>) -> Vec<(Range<usize>, &mut [u32])> {
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
            keep(|c| &mut c.rows, std::mem::take(b));
        }
    }
}
