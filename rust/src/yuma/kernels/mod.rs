//! Row kernels of the dense epoch path (`dense.rs`): the docs/ruleset.md §0.3 arithmetic of
//! steps 5–14 and 19 over one row of an n×n matrix, the dense median's strip counts (step 7) and
//! the copies between stored `(uid, u16)` rows and dense rows; plus the choice of SIMD level.
//!
//! * No 128-bit products: every product multiplies two 32-bit halves (one `vpmuludq` lane).
//!   Operands are I32F32 proportions in `[0, 2^32]` (bits of `[0, 1]`); the one 33-bit value,
//!   1.0 = 2^32, is handled with masks (`fx::mul_p`, `fx::mul_lt`).
//! * No hardware division: a division `⌊x·2^32 / d⌋` (x ≤ d) by a per-column (or per-row)
//!   divisor is `fx::Divisor` / `fx::Divisors`, a multiply by a 65-bit reciprocal with 32-bit
//!   products, one formula for every divisor, 1 and 2^32 included.
//! * No branches inside the loops: choices per row are made before the loop.
//!
//! Each public kernel is compiled for AVX-512, AVX2 and the baseline, and the best one the CPU
//! supports is picked at run time (`multiversion`). The hottest loops, where the compiler's
//! code is slower (it prices the 64-bit lanes' products as full 64-bit multiplies, or gathers
//! lanes across rows), are also written by hand with `std::arch` and picked by the [`Simd`]
//! level the caller passes (the epoch passes [`Simd::detect`]; tests pass every lower level
//! too). Every version executes the same integer operations, so results never depend on the
//! machine: `tests.rs` pins each kernel to a scalar transcription at every level, and
//! `yuma/tests/` whole epochs to the reference port.
//!
//! The hand-written loops are written once (`lanes.rs`) over two lane traits (memchr's
//! `Vector` pattern) implemented per instruction set: `avx512.rs` (8×u64, 16×u32 in one vector,
//! mask registers) and `avx2.rs` (4×u64, 16×u32 as two vectors, masks as vectors). Shared:
//! `load_normalize`, `clip`, `ema_store`, `finish`, `scatter_runs`, `stake_at_most_u32`. Each
//! instantiation compiles to the loop its hand-written per-ISA copy had (disassembly of the
//! loop bodies: the same instruction count, and the same instructions up to equivalent forms —
//! `vpsllvq` for `vpsllq`, `vpcmpeqq` for `vptestmq`; the 32-bit loops identical), and none
//! measured slower than its copy (one row of 256 at each level, six interleaved before/after
//! pairs, AVX2 forced on this AVX-512 machine; after ÷ before of the best times): AVX-512
//! `load_normalize` 0.96×, `clip` 0.96×, `ema_store` 0.96×, `finish` 0.99×,
//! `stake_at_most_u32` 1.02×, `scatter_runs` 0.97×; AVX2 0.97×, 0.98×, 1.01×, 0.98×, 0.98×,
//! 0.92× (the 1.02× is noise: identical instructions, medians 0.97×; bench/README.md, "Lanes",
//! has the figures and the epoch benchmarks: 0.99× on `epoch_core`). One choice is per ISA:
//! AVX2's lane select is `vblendvpd`, its min/max `vpblendvb` (`avx2::blend64`).
//!
//! Per instruction set, not shared: AVX-512 alone has `gather_marked` and the u64
//! `stake_at_most` (AVX2 lacks the compress and masked-add instructions that make them faster
//! than the compiler's loops, so AVX2 runs those), written directly in `avx512.rs`.
//!
//! All `unsafe` of the epoch is in this directory, each block with its `// SAFETY:` argument.

use multiversion::multiversion;

use super::fx::{dec, mul_lt, mul_p, proportion_u16, Cols, Divisor, Divisors, ONE};

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "x86_64")]
mod lanes;
mod outdated;
#[cfg(test)]
mod tests;

pub use outdated::{add_row_current, clear_outdated, current_entries};

/// Which hand-written loops (`std::arch`) the kernels take. The compiler-generated versions
/// (`multiversion`) are chosen separately, by the CPU alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Simd {
    Portable,
    Avx2,
    Avx512,
}

impl Simd {
    /// The best level this CPU has.
    #[inline]
    pub fn detect() -> Simd {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Simd::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Simd::Avx2;
            }
        }
        Simd::Portable
    }

    /// This level capped at what the CPU has: what the hand-written loops may run. Every
    /// dispatch below goes through it, so no caller can select instructions the CPU lacks.
    #[inline]
    fn checked(self) -> Simd {
        self.min(Simd::detect())
    }
}

// =====================================================================================
// Kernels
// =====================================================================================

/// Adds a u16 row to column sums (u32: the caller bounds the row count) and returns whether the
/// row has a nonzero entry.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn add_row(b: &[u16], sum: &mut [u32]) -> bool {
    let n = b.len();
    let sum = &mut sum[..n];
    // Rows of uids without bonds are common: an OR pass is cheaper than adding zeros.
    if !any_nonzero(b) {
        return false;
    }
    for j in 0..n {
        sum[j] += u32::from(b[j]);
    }
    true
}

/// Whether a u16 row has a nonzero entry.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn any_nonzero(b: &[u16]) -> bool {
    b.iter().fold(0u16, |acc, &x| acc | x) != 0
}

/// A finished row of stored bonds (the stored value plus one where the entry exists, 0 where
/// not; see [`finish_row`]) as the u16 values of a dense matrix (0 where no entry).
#[cfg(any(test, feature = "python"))]
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn unmark_row(row: &[u32], out: &mut [u16]) {
    let n = row.len();
    let out = &mut out[..n];
    for j in 0..n {
        out[j] = row[j].saturating_sub(1) as u16;
    }
}

/// Copies a stored sparse row (`(uid, value)` pairs) into a zeroed dense row when its uids are
/// strictly ascending and below `row.len()`; otherwise returns false with the row zeroed again,
/// for the caller's validating path. Runs of 16 consecutive uids (the usual stored row: all
/// uids, or all but a few) are copied as blocks, the rest scattered.
pub fn scatter_pairs(level: Simd, pairs: &[(u16, u16)], row: &mut [u16]) -> bool {
    scatter_bytes(pairs_as_bytes(pairs), row, level)
}

/// A `(u16, u16)` slice as its bytes, 4 per pair (uid then value, each native-endian): the
/// compiler vectorises wide loads of these, not per-field tuple loads.
pub(super) fn pairs_as_bytes(pairs: &[(u16, u16)]) -> &[u8] {
    const _: () = assert!(
        std::mem::size_of::<(u16, u16)>() == 4
            && std::mem::offset_of!((u16, u16), 0) == 0
            && std::mem::offset_of!((u16, u16), 1) == 2
    );
    // SAFETY: a (u16, u16) is two u16 at offsets 0 and 2 with no padding (asserted above at
    // compile time), so `pairs` is 4·len initialised bytes, borrowed for its lifetime.
    unsafe { std::slice::from_raw_parts(pairs.as_ptr().cast::<u8>(), 4 * pairs.len()) }
}

/// The pair at `bytes[4q..]` as one native u32; [`uid_of`] and [`value_of`] split it.
#[inline(always)]
fn pair_word(bytes: &[u8], q: usize) -> u32 {
    u32::from_ne_bytes(bytes[4 * q..4 * q + 4].try_into().expect("4 bytes"))
}

#[inline(always)]
fn uid_of(w: u32) -> u16 {
    if cfg!(target_endian = "little") {
        w as u16
    } else {
        (w >> 16) as u16
    }
}

#[inline(always)]
fn value_of(w: u32) -> u16 {
    if cfg!(target_endian = "little") {
        (w >> 16) as u16
    } else {
        w as u16
    }
}

/// [`scatter_pairs`] on the pairs' bytes; runs of consecutive uids go through the hand-written
/// loops of `level` first.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub(super) fn scatter_bytes(bytes: &[u8], row: &mut [u16], level: Simd) -> bool {
    let n = row.len();
    let mut next = 0usize; // the smallest uid the next entry may name
    let mut pos = 0;
    let level = level.checked();
    #[cfg(not(target_arch = "x86_64"))]
    let _ = level; // (no hand-written runs elsewhere)
    loop {
        #[cfg(target_arch = "x86_64")]
        {
            let rest = &bytes[pos..];
            pos += match level {
                // SAFETY: the CPU supports AVX-512F (`Simd::checked`).
                Simd::Avx512 => unsafe { avx512::scatter_runs(rest, row, &mut next) },
                // SAFETY: the CPU supports AVX2 (`Simd::checked`).
                Simd::Avx2 => unsafe { avx2::scatter_runs(rest, row, &mut next) },
                Simd::Portable => 0,
            };
        }
        let Some(block) = bytes.get(pos..pos + 4 * RUN) else {
            break;
        };
        pos += 4 * RUN;
        let words: [u32; RUN] = std::array::from_fn(|q| pair_word(block, q));
        let (j0, last) = (uid_of(words[0]), uid_of(words[RUN - 1]));
        if usize::from(j0) < next || usize::from(last) >= n {
            row.fill(0);
            return false;
        }
        // The usual block: uids j0, j0 + 1, …, j0 + 15 (no wrap: j0 + 15 ≤ last < n ≤ 2^16).
        let consecutive = (0..RUN).fold(true, |ok, q| {
            ok & (uid_of(words[q]) == j0.wrapping_add(q as u16))
        });
        let j0 = usize::from(j0);
        if consecutive {
            let dst: &mut [u16; RUN] = (&mut row[j0..j0 + RUN]).try_into().expect("RUN");
            for (d, &w) in dst.iter_mut().zip(&words) {
                *d = value_of(w);
            }
        } else {
            if !(1..RUN).all(|q| uid_of(words[q - 1]) < uid_of(words[q])) {
                row.fill(0);
                return false;
            }
            for &w in &words {
                row[usize::from(uid_of(w))] = value_of(w);
            }
        }
        next = usize::from(last) + 1;
    }
    let rest = &bytes[pos..];
    for q in 0..rest.len() / 4 {
        let w = pair_word(rest, q);
        let j = usize::from(uid_of(w));
        if j < next || j >= n {
            row.fill(0);
            return false;
        }
        row[j] = value_of(w);
        next = j + 1;
    }
    true
}

/// Run length of [`scatter_pairs`] and [`gather_marked`].
pub(super) const RUN: usize = 16;

/// Appends the stored bonds row of a finished dense row (the value plus one where an entry
/// exists, 0 where not; see [`finish_row`]) to `out` as ascending `(uid, value)` pairs. Blocks
/// of 16 entries that all exist (the usual row) are appended as a whole.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn gather_marked(level: Simd, row: &[u32], out: &mut Vec<(u16, u16)>) {
    #[cfg(target_arch = "x86_64")]
    if level.checked() == Simd::Avx512 {
        // SAFETY: the CPU supports AVX-512F (`Simd::checked`).
        unsafe { avx512::gather_marked(row, out) };
        return;
    }
    gather_marked_portable(row, out);
}

/// [`gather_marked`] without SIMD instructions of its own (the compiler vectorises what it can).
#[inline(always)]
pub(super) fn gather_marked_portable(row: &[u32], out: &mut Vec<(u16, u16)>) {
    let mut blocks = row.chunks_exact(RUN);
    let mut j0 = 0usize;
    for block in blocks.by_ref() {
        let block: &[u32; RUN] = block.try_into().expect("RUN");
        if block.iter().fold(true, |all, &v| all & (v != 0)) {
            let pairs: [(u16, u16); RUN] =
                std::array::from_fn(|q| ((j0 + q) as u16, (block[q] - 1) as u16));
            out.extend_from_slice(&pairs);
        } else {
            for (q, &v) in block.iter().enumerate() {
                if v != 0 {
                    out.push(((j0 + q) as u16, (v - 1) as u16));
                }
            }
        }
        j0 += RUN;
    }
    for (q, &v) in blocks.remainder().iter().enumerate() {
        if v != 0 {
            out.push(((j0 + q) as u16, (v - 1) as u16));
        }
    }
}

/// Copies a raw u16 row into `row` (u32) and returns its sum.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn load_row(w: &[u16], row: &mut [u32]) -> u64 {
    let n = row.len();
    let w = &w[..n];
    let mut sum = 0u64;
    for j in 0..n {
        row[j] = u32::from(w[j]);
        sum += u64::from(w[j]);
    }
    sum
}

/// Step 5 (normalisation by the row sum, `d`) and step 6's accumulations for one row of raw
/// weights, in place: the row becomes the keys of `⌊w·2^32 / S⌋` (`fx::enc`: 1.0 as
/// `u32::MAX`); when `a_i > 0`, adds `a_i ⊗ W_ij` to `r0[j]` and raises `mx[j]` to the key.
/// Quotients are at most 2^32 and never 2^32 − 1 (`row_normalizer`).
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn normalize_row(row: &mut [u32], d: Divisor, ai: u64, r0: &mut [u64], mx: &mut [u32]) {
    let n = row.len();
    let (r0, mx) = (&mut r0[..n], &mut mx[..n]);
    if ai == 0 {
        for v in row.iter_mut() {
            *v = d.div(u64::from(*v)).min(u64::from(u32::MAX)) as u32;
        }
        return;
    }
    if ai < ONE {
        for j in 0..n {
            let q = d.div(u64::from(row[j])); // raw weights < 2^16
            let e = q.min(u64::from(u32::MAX)) as u32;
            row[j] = e;
            r0[j] += mul_lt(ai, q);
            mx[j] = mx[j].max(e);
        }
        return;
    }
    for j in 0..n {
        let q = d.div(u64::from(row[j]));
        let e = q.min(u64::from(u32::MAX)) as u32;
        row[j] = e;
        r0[j] += mul_p(ai, q);
        mx[j] = mx[j].max(e);
    }
}

/// The sum of a raw u16 row.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn row_sum(w: &[u16]) -> u64 {
    w.iter().map(|&x| u64::from(x)).sum()
}

/// [`load_row`] and [`normalize_row`] in one pass for a row whose only masked entry is the
/// diagonal `skip` (read as 0): `row` receives the keys straight from the raw u16 weights.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
#[allow(clippy::too_many_arguments)]
pub fn load_normalize(
    level: Simd,
    w: &[u16],
    skip: usize,
    d: Divisor,
    ai: u64,
    row: &mut [u32],
    r0: &mut [u64],
    mx: &mut [u32],
) {
    let n = row.len();
    let (w, r0, mx) = (&w[..n], &mut r0[..n], &mut mx[..n]);
    // (Loops written out: closures do not inherit the kernel's target features.)
    if ai == 0 {
        for j in 0..n {
            let x = if j == skip { 0 } else { u64::from(w[j]) };
            row[j] = d.div(x).min(u64::from(u32::MAX)) as u32; // raw weights < 2^16
        }
    } else if ai < ONE {
        let mut start = 0;
        #[cfg(target_arch = "x86_64")]
        match level.checked() {
            Simd::Avx512 => {
                // SAFETY: the CPU supports AVX-512F (`Simd::checked`).
                start = unsafe { avx512::load_normalize(w, skip, &d, ai, row, r0, mx) };
            }
            Simd::Avx2 => {
                // SAFETY: the CPU supports AVX2 (`Simd::checked`).
                start = unsafe { avx2::load_normalize(w, skip, &d, ai, row, r0, mx) };
            }
            Simd::Portable => {}
        }
        for j in start..n {
            let x = if j == skip { 0 } else { u64::from(w[j]) };
            let q = d.div(x);
            let e = q.min(u64::from(u32::MAX)) as u32;
            row[j] = e;
            r0[j] += mul_lt(ai, q);
            mx[j] = mx[j].max(e);
        }
    } else {
        for j in 0..n {
            let x = if j == skip { 0 } else { u64::from(w[j]) };
            let q = d.div(x);
            let e = q.min(u64::from(u32::MAX)) as u32;
            row[j] = e;
            r0[j] += mul_p(ai, q);
            mx[j] = mx[j].max(e);
        }
    }
}

/// Steps 8–10 for one row of keys: `W̄_ij = min(W_ij, C_j)`; adds `a_i ⊗ W̄_ij` to `r[j]` and
/// returns `VT_i = Σ_j W̄_ij`.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn clip_row(level: Simd, row: &[u32], c: &[u64], ai: u64, r: &mut [u64]) -> u64 {
    let n = row.len();
    let (c, r) = (&c[..n], &mut r[..n]);
    let mut sum = 0u64;
    if ai == 0 {
        for j in 0..n {
            sum += dec(row[j]).min(c[j]);
        }
        return sum;
    }
    if ai < ONE {
        let mut start = 0;
        #[cfg(target_arch = "x86_64")]
        match level.checked() {
            // SAFETY: the CPU supports AVX-512F (`Simd::checked`).
            Simd::Avx512 => (start, sum) = unsafe { avx512::clip(row, c, ai, r) },
            // SAFETY: the CPU supports AVX2 (`Simd::checked`).
            Simd::Avx2 => (start, sum) = unsafe { avx2::clip(row, c, ai, r) },
            Simd::Portable => {}
        }
        for j in start..n {
            let clipped = dec(row[j]).min(c[j]);
            sum += clipped;
            r[j] += mul_lt(ai, clipped);
        }
        return sum;
    }
    for j in 0..n {
        let clipped = dec(row[j]).min(c[j]);
        sum += clipped;
        r[j] += mul_p(ai, clipped);
    }
    sum
}

/// What one row contributes to the moving average of step 13.
pub struct EmaRow<'a> {
    /// The row's weight keys and `a_i`, when the row has bond deltas (`a_i > 0`).
    pub weights: Option<(&'a [u32], u64)>,
    /// The row's old bonds (outdated entries zeroed), when it has any.
    pub bonds: Option<&'a [u16]>,
}

/// The per-column data of steps 11–13 shared by all rows.
pub struct EmaCols<'a> {
    /// The consensus C_j (to clip the weights).
    pub c: &'a [u64],
    /// Division by the ranks R_j (the bond deltas' column sums).
    pub delta: &'a Divisors,
    /// Division by the old bonds' column sums.
    pub bond: &'a Divisors,
    /// α and 1 − α.
    pub alpha: (u64, u64),
}

/// Steps 11–13 for one row, exact, into `out`:
/// `out_j = α ⊗ (W̄_ij ⊗ a_i ⊘ R_j) + α' ⊗ (β_ij ⊘ CB_j)` (each side only when the row has it;
/// a missing side is 0). Every term is at most its coefficient, so `out_j ≤ 2^32`.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn ema_row<'a>(row: &EmaRow<'a>, cols: &EmaCols<'a>, out: &mut [u64]) {
    let n = out.len();
    let (alpha, alpha1) = cols.alpha;
    let bond = cols.bond.cols(n);
    match (row.weights, row.bonds) {
        (Some((w, ai)), b) => {
            let (w, c, delta) = (&w[..n], &cols.c[..n], cols.delta.cols(n));
            // (No closure here: closures do not inherit the kernel's target features.)
            if let (Some(b), true) = (b, ai < ONE && alpha < ONE && alpha1 < ONE) {
                // The usual case: a_i, α, α' < 1 (BMA strictly between 0 and 10^6), so every
                // product has a 32-bit factor and W̄_ij ⊗ a_i < 2^32 (bonds are u16).
                // (`ema_store_row` takes this case in AVX-512 where available.)
                let b = &b[..n];
                for j in 0..n {
                    let clipped = dec(w[j]).min(c[j]);
                    out[j] = mul_lt(alpha, delta.div(j, mul_lt(ai, clipped)))
                        + mul_lt(alpha1, bond.div(j, u64::from(b[j])));
                }
            } else if let (Some(b), true) = (b, ai < ONE) {
                let b = &b[..n];
                for j in 0..n {
                    let clipped = dec(w[j]).min(c[j]);
                    out[j] = mul_p(alpha, delta.div(j, mul_p(clipped, ai)))
                        + mul_p(alpha1, bond.div(j, u64::from(b[j])));
                }
            } else if let Some(b) = b {
                let b = &b[..n];
                for j in 0..n {
                    let clipped = dec(w[j]).min(c[j]);
                    out[j] = mul_p(alpha, delta.div(j, mul_p(clipped, ai)))
                        + mul_p(alpha1, bond.div(j, u64::from(b[j])));
                }
            } else {
                for j in 0..n {
                    let clipped = dec(w[j]).min(c[j]);
                    out[j] = mul_p(alpha, delta.div(j, mul_p(clipped, ai)));
                }
            }
        }
        (None, Some(b)) if alpha1 < ONE => {
            let b = &b[..n];
            for j in 0..n {
                out[j] = mul_lt(alpha1, bond.div(j, u64::from(b[j])));
            }
        }
        (None, Some(b)) => {
            let b = &b[..n];
            for j in 0..n {
                out[j] = mul_p(alpha1, bond.div(j, u64::from(b[j])));
            }
        }
        (None, None) => out.fill(0),
    }
}

/// The row constants of the hand-written `ema_store` loops: a_i, α, α', all below 1.0.
#[cfg(target_arch = "x86_64")]
struct EmaFast {
    ai: u64,
    alpha: u64,
    alpha1: u64,
}

/// Steps 11–13 for one row with its store: [`ema_row`] then [`store_row`] — the row's weight keys
/// (when `ai` is given) are read from `row`, which then receives the stored moving average;
/// `vals` gets the exact values. Returns the row's largest value. The usual row (weights and
/// bonds, a_i, α, α' < 1) is done in one AVX-512 pass where available.
#[allow(clippy::too_many_arguments)]
pub fn ema_store_row(
    level: Simd,
    row: &mut [u32],
    ai: Option<u64>,
    bonds: Option<&[u16]>,
    cols: &EmaCols<'_>,
    vals: &mut [u64],
    sum: &mut [u64],
    max: &mut [u64],
) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if let (Some(ai), Some(b)) = (ai, bonds) {
        let (alpha, alpha1) = cols.alpha;
        let level = level.checked();
        if ai < ONE && alpha < ONE && alpha1 < ONE && level > Simd::Portable {
            let n = row.len();
            let k = EmaFast { ai, alpha, alpha1 };
            let (delta, bond) = (cols.delta.cols(n), cols.bond.cols(n));
            let (sum, max, vals) = (&mut sum[..n], &mut max[..n], &mut vals[..n]);
            let (c, b) = (&cols.c[..n], &b[..n]);
            let (end, mut top) = if level == Simd::Avx512 {
                // SAFETY: the CPU supports AVX-512F (`Simd::checked`).
                unsafe { avx512::ema_store(&k, row, c, &delta, b, &bond, vals, sum, max) }
            } else {
                // SAFETY: the CPU supports AVX2 (`Simd::checked`).
                unsafe { avx2::ema_store(&k, row, c, &delta, b, &bond, vals, sum, max) }
            };
            for j in end..n {
                let clipped = dec(row[j]).min(cols.c[j]);
                let t = mul_lt(alpha, delta.div(j, mul_lt(ai, clipped)))
                    + mul_lt(alpha1, bond.div(j, u64::from(b[j])));
                vals[j] = t;
                sum[j] += t;
                max[j] = max[j].max(t);
                top = top.max(t);
                row[j] = t.min(u64::from(u32::MAX)) as u32;
            }
            return top;
        }
    }
    let erow = EmaRow {
        weights: ai.map(|a| (&row[..], a)),
        bonds,
    };
    ema_row(&erow, cols, vals);
    store_row(vals, row, sum, max)
}

/// The usual case of [`ema_store_row`] (weights and bonds, a_i, α, α' < 1) in AVX-512, 8 entries
/// at a time, for the entries `0..returned.0` (a multiple of 8; the caller finishes the tail),
/// Stores an exact moving-average row as u32 (`min(v, 2^32 − 1)`), adds it to the column sums
/// and raises the column maxima; returns the row's largest value (a row holding 2^32 must keep
/// its exact values aside).
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn store_row(vals: &[u64], row: &mut [u32], sum: &mut [u64], max: &mut [u64]) -> u64 {
    let n = vals.len();
    let (row, sum, max) = (&mut row[..n], &mut sum[..n], &mut max[..n]);
    let mut top = 0u64;
    for j in 0..n {
        let t = vals[j];
        sum[j] += t;
        max[j] = max[j].max(t);
        top = top.max(t);
        row[j] = t.min(u64::from(u32::MAX)) as u32;
    }
    top
}

/// Per-column data of steps 13, 14 and 19.
pub struct FinishCols<'a> {
    /// Division by the moving average's column sums (step 13).
    pub norm: &'a Divisors,
    /// The incentive I_j (step 14).
    pub incentive: &'a [u64],
    /// Division by the normalised bonds' column maxima (step 19).
    pub upscale: &'a Divisors,
    /// Every I_j < 1.0 (so the dividend products have a 32-bit factor).
    pub incentive_lt_one: bool,
}

/// Steps 13, 14 and 19 for one row of the moving average (u32 values below 2^32 − 1, exact: the
/// row holds no 2^32): returns `D_i = Σ_j I_j ⊗ B'_ij` with `B'_ij = acc_ij ⊘ CE_j`; when
/// `store`, overwrites the row with the stored bonds `to_u16(B'_ij ⊘ M_j ⊗ 65535)` **plus one**
/// where `acc_ij > 0` (the entries a sparse row keeps, even when they round to 0), 0 elsewhere.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn finish_row<'a>(level: Simd, row: &mut [u32], cols: &FinishCols<'a>, store: bool) -> u64 {
    let n = row.len();
    let (norm, inc, up) = (
        cols.norm.cols(n),
        &cols.incentive[..n],
        cols.upscale.cols(n),
    );
    let mut d = 0u64;
    if store && cols.incentive_lt_one {
        let mut start = 0;
        #[cfg(target_arch = "x86_64")]
        match level.checked() {
            // SAFETY: the CPU supports AVX-512F (`Simd::checked`).
            Simd::Avx512 => (start, d) = unsafe { avx512::finish(row, cols) },
            // SAFETY: the CPU supports AVX2 (`Simd::checked`).
            Simd::Avx2 => (start, d) = unsafe { avx2::finish(row, cols) },
            Simd::Portable => {}
        }
        for j in start..n {
            let x = u64::from(row[j]);
            let b = norm.div(j, x);
            d += mul_lt(inc[j], b);
            row[j] = u32::from(proportion_u16(up.div(j, b))) + u32::from(x != 0);
        }
    } else if store {
        for j in 0..n {
            let x = u64::from(row[j]);
            let b = norm.div(j, x);
            d += mul_p(inc[j], b);
            row[j] = u32::from(proportion_u16(up.div(j, b))) + u32::from(x != 0);
        }
    } else {
        for j in 0..n {
            d += mul_p(inc[j], norm.div(j, u64::from(row[j])));
        }
    }
    d
}

/// [`finish_row`] for a row whose entries `big` (column, exact value ≥ 2^32 − 1) do not fit
/// its u32 values (which hold `2^32 − 1` there): the row is finished as stored, then each such
/// entry's term of `D_i` is replaced by the exact one and its stored bond recomputed.
pub fn finish_row_patched(
    level: Simd,
    row: &mut [u32],
    big: &[(usize, u64)],
    cols: &FinishCols<'_>,
    store: bool,
) -> u64 {
    let mut d = finish_row(level, row, cols, store);
    for &(j, x) in big {
        let inc = cols.incentive[j];
        d -= mul_p(inc, cols.norm.div(j, u64::from(u32::MAX)));
        let b = cols.norm.div(j, x);
        d += mul_p(inc, b);
        if store {
            row[j] = u32::from(proportion_u16(cols.upscale.div(j, b))) + 1;
        }
    }
    d
}

/// Columns per block of the dense median ([`stake_at_most`], [`keys_beside`]).
pub const LANES: usize = 16;

/// Step 7's counting on a strip of LANES columns (K rows × LANES keys, row-major):
/// `Σ_k st_k · [key_kc ≤ mid_c]` for each lane c.
///
/// Compilers vectorise this loop across rows (gathering lanes), so the AVX-512 build is
/// written with intrinsics: one unsigned compare of 16 keys gives a lane mask, under which the
/// row's stake is added to two vectors of 8 u64 sums. Both builds are exact integer sums.
pub fn stake_at_most(level: Simd, strip: &[u32], st: &[u64], mid: &[u32; LANES]) -> [u64; LANES] {
    #[cfg(target_arch = "x86_64")]
    if level.checked() == Simd::Avx512 {
        // SAFETY: the CPU supports AVX-512F (`Simd::checked`).
        return unsafe { avx512::stake_at_most(strip, st, mid) };
    }
    stake_at_most_scalar(strip, st, mid)
}

/// The portable build of [`stake_at_most`] and [`stake_at_most_u32`].
pub(super) fn stake_at_most_scalar<T>(strip: &[u32], st: &[T], mid: &[u32; LANES]) -> [T; LANES]
where
    T: Copy + Default + std::ops::AddAssign,
{
    let mut acc = [T::default(); LANES];
    for (seg, &s) in strip.chunks_exact(LANES).zip(st) {
        for c in 0..LANES {
            if seg[c] <= mid[c] {
                acc[c] += s;
            }
        }
    }
    acc
}

/// [`stake_at_most`] with stakes below 2^32 whose total is below 2^32 (so no sum overflows):
/// one 16-lane u32 masked add per row instead of two 8-lane u64 ones.
pub fn stake_at_most_u32(
    level: Simd,
    strip: &[u32],
    st: &[u32],
    mid: &[u32; LANES],
) -> [u32; LANES] {
    debug_assert!(st.iter().map(|&x| u64::from(x)).sum::<u64>() < ONE);
    #[cfg(target_arch = "x86_64")]
    match level.checked() {
        // SAFETY: the CPU supports AVX-512F (`Simd::checked`).
        Simd::Avx512 => return unsafe { avx512::stake_at_most_u32(strip, st, mid) },
        // SAFETY: the CPU supports AVX2 (`Simd::checked`).
        Simd::Avx2 => return unsafe { avx2::stake_at_most_u32(strip, st, mid) },
        Simd::Portable => {}
    }
    stake_at_most_scalar(strip, st, mid)
}

/// The keys beside each lane's `mid` in a strip (as [`stake_at_most`]): per lane c, the largest
/// key at most `mid_c` (0 if none) and the smallest key above it (`u32::MAX` if none). Written
/// to be inlined into a caller compiled for wider vectors ([`crate::yuma`]'s median), where it
/// becomes a masked max and a masked min per row.
#[inline(always)]
pub fn keys_beside(strip: &[u32], mid: &[u32; LANES]) -> ([u32; LANES], [u32; LANES]) {
    let (mut at_most, mut above) = ([0u32; LANES], [u32::MAX; LANES]);
    for seg in strip.chunks_exact(LANES) {
        for c in 0..LANES {
            let (k, le) = (seg[c], seg[c] <= mid[c]);
            at_most[c] = at_most[c].max(if le { k } else { 0 });
            above[c] = above[c].min(if le { u32::MAX } else { k });
        }
    }
    (at_most, above)
}
