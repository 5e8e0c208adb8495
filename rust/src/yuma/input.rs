//! Where the epoch reads weights and bonds rows from ([`RowSource`]: stored `(uid, u16)` lists,
//! dense n×n matrices, compressed rows from numpy) and how each row read is validated (uids
//! below n, none repeated; [`validate_row`]) and sorted.
//!
//! The lengths and scalar bounds of the other inputs are checked once by
//! `EpochParams::validate` (`mod.rs`); together these are every check of the epoch's input, for
//! the engine and the Python API alike.

#[cfg(any(test, feature = "python"))]
use std::ops::Range;

use crate::error::{ChainError, Result};

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

/// Rows in compressed form: row i is `cols/vals[indptr[i]..indptr[i+1]]` (what the Python
/// binding passes for lists of rows; compiled where it is used).
#[cfg(any(test, feature = "python"))]
pub(crate) struct CsrRows<'a> {
    indptr: &'a [u64],
    cols: &'a [u16],
    vals: &'a [u16],
}

#[cfg(any(test, feature = "python"))]
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

#[cfg(any(test, feature = "python"))]
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

pub(super) fn invalid(msg: String) -> ChainError {
    ChainError::InvalidArgument(msg)
}

/// What one read of a source row saw: whether its uids were strictly ascending (hence
/// distinct), and the largest one (−1 for an empty row).
#[derive(Clone, Copy)]
pub(super) struct RowShape {
    pub(super) sorted: bool,
    last: i32,
    pub(super) max: i32,
}

impl RowShape {
    pub(super) fn new() -> Self {
        RowShape {
            sorted: true,
            last: -1,
            max: -1,
        }
    }

    #[inline(always)]
    pub(super) fn see(&mut self, j: u16) {
        let j = i32::from(j);
        self.sorted &= self.last < j;
        self.last = j;
        self.max = self.max.max(j);
    }
}

/// Checks a row read with shape `shape`: uids < n and none repeated (a strictly ascending row has
/// no repeats; otherwise the row is sorted into `scratch` to find them).
pub(super) fn validate_row<S: RowSource + ?Sized>(
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
pub(super) fn sort_row(cols: &mut [u16], vals: &mut [u32], scratch: &mut Vec<(u16, u32)>) {
    scratch.clear();
    scratch.extend(cols.iter().copied().zip(vals.iter().copied()));
    scratch.sort_unstable_by_key(|p| p.0);
    for (k, &(j, v)) in scratch.iter().enumerate() {
        cols[k] = j;
        vals[k] = v;
    }
}
