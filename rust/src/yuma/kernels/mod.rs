//! Row kernels of the dense epoch path (`dense_core` in `yuma.rs`): the §0.3 arithmetic of
//! steps 5–14 and 19 over one row of an n×n matrix, written so that the compiler turns it into
//! SIMD code.
//!
//! * No 128-bit products: every product multiplies two 32-bit halves (one `vpmuludq` lane).
//!   Operands are I32F32 proportions in `[0, 2^32]` (bits of `[0, 1]`); the one 33-bit value,
//!   1.0 = 2^32, is handled with masks ([`mul`]).
//! * No hardware division: a division `⌊x·2^32 / d⌋` (x ≤ d) by a per-column (or per-row)
//!   divisor is a multiply by a precomputed 65-bit reciprocal of d scaled into (2^31, 2^32]
//!   ([`Divisor`]), one formula for every divisor, 1 and 2^32 included; the reciprocals come
//!   from f64 quotient digits, corrected to be exact ([`magic_small`]).
//! * No branches inside the loops: choices per row are made before the loop.
//!
//! Each public kernel is compiled for AVX-512, AVX2 and the baseline, and the best one the CPU
//! supports is picked at run time (`multiversion`); the hottest loops are also written by hand
//! with `std::arch` for AVX-512 and AVX2 ([`avx2`]), picked by [`Simd`] level. Every version executes the same integer
//! operations, so the results never depend on the machine; the unit tests below pin each helper
//! to its 128-bit definition and each kernel to a scalar transcription, and `yuma.rs` tests the
//! whole dense path against a literal port of the reference.

use multiversion::multiversion;

#[cfg(target_arch = "x86_64")]
mod avx2;

/// Which hand-written loops (`std::arch`) the kernels take: the best the CPU has. The
/// compiler-generated versions (`multiversion`) are chosen separately, by the CPU alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Simd {
    Portable,
    Avx2,
    Avx512,
}

/// The [`Simd`] level in use (tests may lower it for their thread, see `tests::with_simd`).
#[inline]
fn simd() -> Simd {
    #[cfg(test)]
    if let Some(forced) = tests::FORCED.with(std::cell::Cell::get) {
        return forced.min(detected());
    }
    detected()
}

#[inline]
fn detected() -> Simd {
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

/// The bits of 1.0.
pub const ONE: u64 = 1 << 32;
const LO: u64 = 0xffff_ffff;

/// The product of the low 32 bits of a and b. Written with `as u32` so that the compiler
/// knows both factors fit 32 bits and emits the 32×32→64-bit multiply (`vpmuludq`); a `u64`
/// factor of unknown range (a hoisted mask, a `u64` array) costs a 64-bit multiply instead.
#[inline(always)]
fn mul32(a: u64, b: u64) -> u64 {
    u64::from(a as u32) * u64::from(b as u32)
}

/// `a ⊗ b` = ⌊a·b / 2^32⌋ for `a, b ≤ 2^32`, with 32×32-bit products only.
///
/// With `a = ah·2^32 + al` (ah ∈ {0, 1}, and al = 0 when ah = 1) and the same for b:
/// `a·b / 2^32 = al·bl / 2^32 + ah·bl + bh·al + ah·bh·2^32`; only the first term has a fraction.
#[inline(always)]
pub fn mul(a: u64, b: u64) -> u64 {
    debug_assert!(a <= ONE && b <= ONE);
    let (al, bl) = (a & LO, b & LO);
    let ah = (a >> 32).wrapping_neg(); // all ones when a = 2^32
    let bh = (b >> 32).wrapping_neg();
    (mul32(a, b) >> 32) + (bl & ah) + (al & bh) + (ah & bh & ONE)
}

/// `a ⊗ b` for `a < 2^32` and `b ≤ 2^32`: [`mul`] with fewer operations (one factor fits 32
/// bits, so only b can be 1.0 = 2^32, in which case the product is a).
#[inline(always)]
pub fn mul_lt(a: u64, b: u64) -> u64 {
    debug_assert!(a < ONE && b <= ONE);
    (mul32(a, b) >> 32) + (a & (b >> 32).wrapping_neg())
}

/// Key of a normalised weight (see `fx::enc`) back to its bits: `u32::MAX` is 1.0.
#[inline(always)]
fn dec(e: u32) -> u64 {
    u64::from(e) + u64::from(e == u32::MAX)
}

/// `to_u16(x ⊗ 65535)` of a proportion `x ≤ 2^32`: ⌊x·65535 / 2^32⌋ (x·65535 < 2^48).
#[inline(always)]
fn proportion_u16(x: u64) -> u32 {
    (((x << 16) - x) >> 32) as u32
}

/// Division by an invariant divisor `1 ≤ d ≤ 2^32`: `div(x) = ⌊x·2^32 / d⌋` for `0 ≤ x ≤ d`
/// (every division of the dense epoch: a proportion or a u16 by a sum or maximum it is part of).
/// `d = 0` is taken as `d = 2^32`, the identity: what `normalise` and the max-upscale do with a
/// zero sum (whose parts are all 0).
///
/// With `ℓ = ⌈log2 d⌉` and `σ = 32 − ℓ`, scale both sides into `d' = d·2^σ ∈ (2^31, 2^32]` and
/// `x' = x·2^σ ≤ d'` (same quotient). With `m = ⌈2^96 / d'⌉ = 2^96/d' + e` (`0 ≤ e < 1`,
/// `2^64 ≤ m < 2^65`), `⌊x'·m / 2^64⌋` is exact: writing `x'·2^32 = q·d' + r` (`r < d'`), the
/// estimate exceeds `q + r/d'` by `x'·e / 2^64 < 1/d'` (as `x'·d' ≤ 2^64`) and
/// `r/d' ≤ 1 − 1/d'`. With `m = 2^64 + μ`, that is `q = x' + ⌊x'·μ / 2^64⌋`, and `μ < 2^64` is
/// split in 32-bit halves so that `⌊x'·μ / 2^64⌋ = ⌊(x'·μ_hi + ⌊x'·μ_lo / 2^32⌋) / 2^32⌋` needs only
/// 32×32-bit products. The one 33-bit `x' = 2^32` needs `d' = 2^32`, where `μ = 0`: its products
/// (of the low 32 bits, 0) are right too. `μ = ⌈2^64·(2^32 − d')/d'⌉` is computed as
/// `⌊2^64·(2^32 − d')/d'⌋ + 1` for `d' < 2^32`: `d'` never divides `2^64·(2^32 − d')` (its odd
/// part > 1 would have to divide a power of two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Divisor {
    mu_lo: u32,
    mu_hi: u32,
    shift: u32,
}

impl Divisor {
    pub fn new(d: u64) -> Self {
        let d = if d == 0 { ONE } else { d };
        assert!(d <= ONE, "divisor {d} above 2^32");
        let l = 64 - (d - 1).leading_zeros(); // ⌈log2 d⌉ ≤ 32
        let (mu, shift) = scaled_magic(d, l);
        Divisor {
            mu_lo: mu as u32,
            mu_hi: (mu >> 32) as u32,
            shift,
        }
    }

    /// ⌊x·2^32 / d⌋ for `x ≤ d`.
    #[inline(always)]
    pub fn div(&self, x: u64) -> u64 {
        div_parts(
            x,
            u64::from(self.mu_lo),
            u64::from(self.mu_hi),
            u64::from(self.shift),
        )
    }
}

/// μ and σ of [`Divisor`] for `1 ≤ d ≤ 2^32` with `l = ⌈log2 d⌉`.
#[inline(always)]
fn scaled_magic(d: u64, l: u32) -> (u64, u32) {
    let shift = 32 - l;
    let ds = d << shift;
    let mu = if ds == ONE {
        0
    } else {
        magic_small(ds, ONE - ds) + 1
    };
    (mu, shift)
}

/// [`Divisor::div`] on its parts.
#[inline(always)]
fn div_parts(x: u64, mu_lo: u64, mu_hi: u64, shift: u64) -> u64 {
    let xs = x << shift;
    debug_assert!(xs <= ONE);
    xs + ((mul32(xs, mu_hi) + (mul32(xs, mu_lo) >> 32)) >> 32)
}

/// `⌊r·2^64 / d⌋` for `r < d ≤ 2^32`: two base-2^32 digits of the quotient, each estimated by
/// one f64 division and corrected. Each partial numerator `u·2^32` (`u < d`) is below `d·2^32`
/// and exact in f64 (at most 32 significant bits); the quotient q < 2^32 has 21 fractional bits
/// in f64, so the rounded quotient lies in `[⌊q⌋, ⌊q⌋ + 1]` (⌊q⌋ is representable and rounding
/// is monotone), as does its nearest integer, taken by adding 2^52 (whose ulp is 1) and reading
/// the low mantissa bits; one signed remainder test then fixes it. Vectorises: no integer
/// division and no saturating float-to-integer conversion.
#[inline(always)]
fn magic_small(d: u64, r: u64) -> u64 {
    const TWO52: f64 = 4_503_599_627_370_496.0;
    let df = d as f64;
    let digit = |u: u64| -> (u64, u64) {
        let num = u << 32;
        let q = (num as f64 / df + TWO52).to_bits() - TWO52.to_bits();
        // num − q·d lies in [−d, d): exact as a wrapping i64.
        let rem = num.wrapping_sub(q.wrapping_mul(d)) as i64;
        let fix = (rem >> 63) as u64; // all ones when q was one too many
        (q.wrapping_add(fix), (rem as u64).wrapping_add(d & fix))
    };
    let (q1, r1) = digit(r);
    let (q0, _) = digit(r1);
    (q1 << 32) + q0
}

/// [`Divisor::new`] for every `d` of `ds` (0 taken as 2^32) into `out` (`3·len`: μ_lo, μ_hi,
/// σ); returns whether some `d > 2^32` was met (the caller refuses it).
#[multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512dq+avx512vl+avx512cd",
    "x86_64+avx2+bmi2"
))]
fn divisors_into(ds: &[u64], out: &mut [u64]) -> bool {
    let k = ds.len();
    let (mu_lo, rest) = out.split_at_mut(k);
    let (mu_hi, shift) = rest.split_at_mut(k);
    let (mu_hi, shift) = (&mut mu_hi[..k], &mut shift[..k]);
    let mut big = false;
    for j in 0..k {
        let d = ds[j];
        big |= d > ONE;
        let d = if d == 0 || d > ONE { ONE } else { d };
        let l = 64 - (d - 1).leading_zeros();
        let (mu, sh) = scaled_magic(d, l);
        mu_lo[j] = mu & LO;
        mu_hi[j] = mu >> 32;
        shift[j] = u64::from(sh);
    }
    big
}

/// One [`Divisor`] per column, as parallel arrays (the layout SIMD loads want) in one buffer.
#[derive(Clone, Debug, Default)]
pub struct Divisors {
    k: usize,
    /// μ_lo, μ_hi and σ of each column, one array after the other.
    parts: Vec<u64>,
}

impl Divisors {
    /// Panics if some `d > 2^32` (see [`Divisor`]).
    pub fn new(ds: &[u64]) -> Self {
        let k = ds.len();
        let mut parts = vec![0; 3 * k]; // (`divisors_into` writes every element)
        let big = divisors_into(ds, &mut parts);
        assert!(!big, "a divisor above 2^32");
        Divisors { k, parts }
    }

    /// ⌊x·2^32 / d_j⌋ for `x ≤ d_j`.
    #[inline(always)]
    pub fn div(&self, j: usize, x: u64) -> u64 {
        self.cols(self.k).div(j, x)
    }

    /// The arrays cut to `n` columns (so that the loops need no bounds checks).
    #[inline(always)]
    fn cols(&self, n: usize) -> Cols<'_> {
        let k = self.k;
        Cols {
            mu_lo: &self.parts[..k][..n],
            mu_hi: &self.parts[k..2 * k][..n],
            shift: &self.parts[2 * k..3 * k][..n],
        }
    }
}

struct Cols<'a> {
    mu_lo: &'a [u64],
    mu_hi: &'a [u64],
    shift: &'a [u64],
}

impl Cols<'_> {
    /// ⌊x·2^32 / d_j⌋ for `x ≤ d_j`.
    #[inline(always)]
    fn div(&self, j: usize, x: u64) -> u64 {
        div_parts(x, self.mu_lo[j], self.mu_hi[j], self.shift[j])
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
pub fn scatter_pairs(pairs: &[(u16, u16)], row: &mut [u16]) -> bool {
    scatter_bytes(pairs_as_bytes(pairs), row, true)
}

/// A `(u16, u16)` slice as its bytes, 4 per pair (uid then value, each native-endian): the
/// compiler vectorises wide loads of these, not per-field tuple loads.
fn pairs_as_bytes(pairs: &[(u16, u16)]) -> &[u8] {
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

/// [`scatter_pairs`] on the pairs' bytes. With `simd`, runs of consecutive uids go through
/// [`scatter_runs_avx512`] where the CPU has it (tests also run the portable blocks alone).
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
fn scatter_bytes(bytes: &[u8], row: &mut [u16], simd: bool) -> bool {
    let n = row.len();
    let mut next = 0usize; // the smallest uid the next entry may name
    let mut pos = 0;
    let level = if simd { self::simd() } else { Simd::Portable };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = level; // (no hand-written runs elsewhere)
    loop {
        #[cfg(target_arch = "x86_64")]
        {
            let rest = &bytes[pos..];
            pos += match level {
                // SAFETY: the CPU supports AVX-512F (`simd` checked it).
                Simd::Avx512 => unsafe { scatter_runs_avx512(rest, row, &mut next) },
                // SAFETY: the CPU supports AVX2 (`simd` checked it).
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

/// The leading blocks of 16 consecutive uids of [`scatter_bytes`]' input in AVX-512, one
/// vector each, while they are in order (first uid ≥ `next`) and inside the row; returns the
/// bytes consumed (the caller checks and copies the next block its own way). x86 is
/// little-endian: a pair's word has the uid in its low 16 bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn scatter_runs_avx512(bytes: &[u8], row: &mut [u16], next: &mut usize) -> usize {
    use std::arch::x86_64::*;
    let n = row.len();
    let iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    let low = _mm512_set1_epi32(0xffff);
    let mut off = 0;
    while let Some(block) = bytes.get(off..off + 4 * RUN) {
        let j0 = usize::from(u16::from_le_bytes([block[0], block[1]]));
        if j0 < *next || j0 + RUN > n {
            break;
        }
        // SAFETY: `block` is 64 bytes (unaligned load); the store writes row[j0..j0 + 16],
        // inside the row (j0 + 16 ≤ n checked above).
        unsafe {
            let w = _mm512_loadu_si512(block.as_ptr().cast());
            let want = _mm512_add_epi32(_mm512_set1_epi32(j0 as i32), iota);
            if _mm512_cmpneq_epi32_mask(_mm512_and_si512(w, low), want) != 0 {
                break;
            }
            let vals = _mm512_cvtepi32_epi16(_mm512_srli_epi32::<16>(w));
            _mm256_storeu_si256(row.as_mut_ptr().add(j0).cast(), vals);
        }
        *next = j0 + RUN;
        off += 4 * RUN;
    }
    off
}

/// Run length of [`scatter_pairs`] and [`gather_marked`].
const RUN: usize = 16;

/// Appends the stored bonds row of a finished dense row (the value plus one where an entry
/// exists, 0 where not; see [`finish_row`]) to `out` as ascending `(uid, value)` pairs. Blocks
/// of 16 entries that all exist (the usual row) are appended as a whole.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn gather_marked(row: &[u32], out: &mut Vec<(u16, u16)>) {
    #[cfg(target_arch = "x86_64")]
    if simd() == Simd::Avx512 {
        // SAFETY: the CPU supports AVX-512F (`simd` checked it).
        unsafe { gather_marked_avx512(row, out) };
        return;
    }
    gather_marked_portable(row, out);
}

/// [`gather_marked`] without SIMD instructions of its own (the compiler vectorises what it can).
#[inline(always)]
fn gather_marked_portable(row: &[u32], out: &mut Vec<(u16, u16)>) {
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

/// [`gather_marked`] in AVX-512: each block of 16 entries becomes 16 words `j | (v − 1) << 16`
/// (a `(uid, value)` pair's bytes on little-endian x86), compressed to the existing entries
/// and stored at the end of `out` in one move.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn gather_marked_avx512(row: &[u32], out: &mut Vec<(u16, u16)>) {
    use std::arch::x86_64::*;
    const _: () = assert!(
        std::mem::size_of::<(u16, u16)>() == 4
            && std::mem::offset_of!((u16, u16), 0) == 0
            && std::mem::offset_of!((u16, u16), 1) == 2
    );
    // Each block stores 16 words at the current end: room for all of them.
    out.reserve(row.len() + RUN);
    let iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    let one = _mm512_set1_epi32(1);
    let mut blocks = row.chunks_exact(RUN);
    let mut j0 = 0usize;
    for block in blocks.by_ref() {
        // SAFETY: `block` is 16 u32 (unaligned load). The store writes 64 bytes at the end of
        // `out`, inside its capacity (reserved above: at most 16 pairs are added per block);
        // `set_len` then covers only the `kept` pairs just written, whose bytes are a uid and
        // a value (the layout asserted above).
        unsafe {
            let v = _mm512_loadu_si512(block.as_ptr().cast());
            let kept = _mm512_test_epi32_mask(v, v);
            let uids = _mm512_add_epi32(_mm512_set1_epi32(j0 as i32), iota);
            let words = _mm512_or_si512(uids, _mm512_slli_epi32::<16>(_mm512_sub_epi32(v, one)));
            let len = out.len();
            let dst = out.as_mut_ptr().add(len).cast();
            _mm512_storeu_si512(dst, _mm512_maskz_compress_epi32(kept, words));
            out.set_len(len + kept.count_ones() as usize);
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
        r0[j] += mul(ai, q);
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
pub fn load_normalize(
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
        match simd() {
            Simd::Avx512 => {
                // SAFETY: the CPU supports AVX-512F (`simd` checked it).
                start = unsafe { load_normalize_fast_avx512(w, skip, &d, ai, row, r0, mx) };
            }
            Simd::Avx2 => {
                // SAFETY: the CPU supports AVX2 (`simd` checked it).
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
            r0[j] += mul(ai, q);
            mx[j] = mx[j].max(e);
        }
    }
}

/// Steps 8–10 for one row of keys: `W̄_ij = min(W_ij, C_j)`; adds `a_i ⊗ W̄_ij` to `r[j]` and
/// returns `VT_i = Σ_j W̄_ij`.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn clip_row(row: &[u32], c: &[u64], ai: u64, r: &mut [u64]) -> u64 {
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
        match simd() {
            // SAFETY: the CPU supports AVX-512F (`simd` checked it).
            Simd::Avx512 => (start, sum) = unsafe { clip_fast_avx512(row, c, ai, r) },
            // SAFETY: the CPU supports AVX2 (`simd` checked it).
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
        r[j] += mul(ai, clipped);
    }
    sum
}

/// The `a_i < 1` case of [`load_normalize`] in AVX-512, 8 entries at a time, for the entries
/// `0..returned` (a multiple of 8; the caller finishes the tail). Written by hand for the same
/// reason as [`ema_store_fast_avx512`]: the compiler multiplies the hoisted a_i in 64 bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn load_normalize_fast_avx512(
    w: &[u16],
    skip: usize,
    d: &Divisor,
    ai: u64,
    row: &mut [u32],
    r0: &mut [u64],
    mx: &mut [u32],
) -> usize {
    use std::arch::x86_64::*;
    let n = row.len();
    let end = n / 8 * 8;
    assert!(w.len() >= n && r0.len() >= n && mx.len() >= n);
    let (mu_hi, mu_lo) = (
        _mm512_set1_epi64(i64::from(d.mu_hi)),
        _mm512_set1_epi64(i64::from(d.mu_lo)),
    );
    let shift = _mm_set_epi64x(0, i64::from(d.shift));
    // Opaque to the optimiser: knowing a_i < 2^32 (the caller's branch), it would drop the
    // 32-bit mask of `_mm512_mul_epu32` on the splat and then select a 64-bit `vpmullq`.
    let aiv = _mm512_set1_epi64(std::hint::black_box(ai) as i64);
    let lanes = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    let skipv = _mm512_set1_epi64(skip as i64);
    for j in (0..end).step_by(8) {
        // SAFETY: j + 8 ≤ n ≤ the length of every slice read or written (asserted above);
        // unaligned loads and stores of 8 u16, 8 u32 or 8 u64.
        unsafe {
            let x = _mm512_cvtepu16_epi64(_mm_loadu_si128(w.as_ptr().add(j).cast()));
            // The diagonal entry is masked (x = 0 there).
            let at = _mm512_add_epi64(lanes, _mm512_set1_epi64(j as i64));
            let x = _mm512_mask_mov_epi64(
                x,
                _mm512_cmpeq_epi64_mask(at, skipv),
                _mm512_setzero_si512(),
            );
            // d.div(x) (see `div_parts`).
            let q = div_with(_mm512_sll_epi64(x, shift), mu_lo, mu_hi);
            let e = _mm512_cvtusepi64_epi32(q); // min(q, 2^32 − 1)
            _mm256_storeu_si256(row.as_mut_ptr().add(j).cast(), e);
            let rp = r0.as_mut_ptr().add(j).cast();
            _mm512_storeu_si512(
                rp,
                _mm512_add_epi64(_mm512_loadu_si512(rp), mul_lt_v(aiv, q)),
            );
            let mp = mx.as_mut_ptr().add(j).cast();
            _mm256_storeu_si256(mp, _mm256_max_epu32(_mm256_loadu_si256(mp), e));
        }
    }
    end
}

/// The `a_i < 1` case of [`clip_row`] in AVX-512, 8 entries at a time, for the entries
/// `0..returned.0` (a multiple of 8; the caller finishes the tail), with their part of `VT_i`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn clip_fast_avx512(row: &[u32], c: &[u64], ai: u64, r: &mut [u64]) -> (usize, u64) {
    use std::arch::x86_64::*;
    let n = row.len();
    let end = n / 8 * 8;
    assert!(c.len() >= n && r.len() >= n);
    // Opaque to the optimiser: knowing a_i < 2^32 (the caller's branch), it would drop the
    // 32-bit mask of `_mm512_mul_epu32` on the splat and then select a 64-bit `vpmullq`.
    let aiv = _mm512_set1_epi64(std::hint::black_box(ai) as i64);
    let (one, key_max) = (_mm512_set1_epi64(1), _mm512_set1_epi64(i64::from(u32::MAX)));
    let mut sum = _mm512_setzero_si512();
    for j in (0..end).step_by(8) {
        // SAFETY: j + 8 ≤ n ≤ the length of every slice read or written (asserted above);
        // unaligned loads and stores of 8 u32 or 8 u64.
        unsafe {
            let k = _mm512_cvtepu32_epi64(_mm256_loadu_si256(row.as_ptr().add(j).cast()));
            let k = _mm512_mask_add_epi64(k, _mm512_cmpeq_epi64_mask(k, key_max), k, one); // dec
            let clipped = _mm512_min_epu64(k, _mm512_loadu_si512(c.as_ptr().add(j).cast()));
            sum = _mm512_add_epi64(sum, clipped);
            let rp = r.as_mut_ptr().add(j).cast();
            _mm512_storeu_si512(
                rp,
                _mm512_add_epi64(_mm512_loadu_si512(rp), mul_lt_v(aiv, clipped)),
            );
        }
    }
    (end, _mm512_reduce_add_epi64(sum) as u64)
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
                    out[j] = mul(alpha, delta.div(j, mul(clipped, ai)))
                        + mul(alpha1, bond.div(j, u64::from(b[j])));
                }
            } else if let Some(b) = b {
                let b = &b[..n];
                for j in 0..n {
                    let clipped = dec(w[j]).min(c[j]);
                    out[j] = mul(alpha, delta.div(j, mul(clipped, ai)))
                        + mul(alpha1, bond.div(j, u64::from(b[j])));
                }
            } else {
                for j in 0..n {
                    let clipped = dec(w[j]).min(c[j]);
                    out[j] = mul(alpha, delta.div(j, mul(clipped, ai)));
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
                out[j] = mul(alpha1, bond.div(j, u64::from(b[j])));
            }
        }
        (None, None) => out.fill(0),
    }
}

/// Steps 11–13 for one row with its store: [`ema_row`] then [`store_row`] — the row's weight keys
/// (when `ai` is given) are read from `row`, which then receives the stored moving average;
/// `vals` gets the exact values. Returns the row's largest value. The usual row (weights and
/// bonds, a_i, α, α' < 1) is done in one AVX-512 pass where available.
pub fn ema_store_row(
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
        let level = simd();
        if ai < ONE && alpha < ONE && alpha1 < ONE && level > Simd::Portable {
            let n = row.len();
            let k = EmaFast { ai, alpha, alpha1 };
            let (delta, bond) = (cols.delta.cols(n), cols.bond.cols(n));
            let (sum, max, vals) = (&mut sum[..n], &mut max[..n], &mut vals[..n]);
            let (c, b) = (&cols.c[..n], &b[..n]);
            let (end, mut top) = if level == Simd::Avx512 {
                // SAFETY: the CPU supports AVX-512F (`simd` checked it).
                unsafe { ema_store_fast_avx512(&k, row, c, &delta, b, &bond, vals, sum, max) }
            } else {
                // SAFETY: the CPU supports AVX2 (`simd` checked it).
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
/// with their largest value. Written by hand because the compiler hoists the splat of each row
/// constant out of the loop and then no longer sees that it fits 32 bits (a 64-bit multiply
/// instead of `vpmuludq`). The same operations as [`ema_row`] then [`store_row`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
fn ema_store_fast_avx512(
    k: &EmaFast,
    row: &mut [u32],
    c: &[u64],
    delta: &Cols<'_>,
    b: &[u16],
    bond: &Cols<'_>,
    vals: &mut [u64],
    sum: &mut [u64],
    max: &mut [u64],
) -> (usize, u64) {
    use std::arch::x86_64::*;
    let n = row.len();
    let end = n / 8 * 8;
    assert!(c.len() >= n && b.len() >= n && vals.len() >= n && sum.len() >= n && max.len() >= n);
    assert!(delta.mu_lo.len() >= n && bond.mu_lo.len() >= n);
    let (ai, alpha, alpha1) = (
        _mm512_set1_epi64(k.ai as i64),
        _mm512_set1_epi64(k.alpha as i64),
        _mm512_set1_epi64(k.alpha1 as i64),
    );
    let (one, key_max) = (_mm512_set1_epi64(1), _mm512_set1_epi64(i64::from(u32::MAX)));
    let mut top = _mm512_setzero_si512();
    for j in (0..end).step_by(8) {
        // SAFETY: j + 8 ≤ n ≤ the length of every slice read or written (asserted above);
        // unaligned loads and stores of 8 u64, 8 u32 or 8 u16.
        unsafe {
            let rp = row.as_mut_ptr().add(j).cast();
            let wk = _mm512_cvtepu32_epi64(_mm256_loadu_si256(rp));
            let wk = _mm512_mask_add_epi64(wk, _mm512_cmpeq_epi64_mask(wk, key_max), wk, one);
            let clipped = _mm512_min_epu64(wk, _mm512_loadu_si512(c.as_ptr().add(j).cast()));
            let q1 = div_v(mul_lt_v(ai, clipped), delta, j);
            let bv = _mm512_cvtepu16_epi64(_mm_loadu_si128(b.as_ptr().add(j).cast()));
            let q2 = div_v(bv, bond, j);
            let t = _mm512_add_epi64(mul_lt_v(alpha, q1), mul_lt_v(alpha1, q2));
            _mm512_storeu_si512(vals.as_mut_ptr().add(j).cast(), t);
            let sp = sum.as_mut_ptr().add(j).cast();
            _mm512_storeu_si512(sp, _mm512_add_epi64(_mm512_loadu_si512(sp), t));
            let mp = max.as_mut_ptr().add(j).cast();
            _mm512_storeu_si512(mp, _mm512_max_epu64(_mm512_loadu_si512(mp), t));
            top = _mm512_max_epu64(top, t);
            _mm256_storeu_si256(rp, _mm512_cvtusepi64_epi32(t)); // min(t, 2^32 − 1)
        }
    }
    (end, _mm512_reduce_max_epu64(top))
}

/// The row constants of [`ema_store_fast_avx512`]: a_i, α, α', all below 1.0.
#[cfg(target_arch = "x86_64")]
struct EmaFast {
    ai: u64,
    alpha: u64,
    alpha1: u64,
}

/// [`mul_lt`] on 8 lanes: `k < 2^32`, `v ≤ 2^32`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn mul_lt_v(
    k: std::arch::x86_64::__m512i,
    v: std::arch::x86_64::__m512i,
) -> std::arch::x86_64::__m512i {
    use std::arch::x86_64::*;
    let p = _mm512_srli_epi64::<32>(_mm512_mul_epu32(k, v));
    let full = _mm512_test_epi64_mask(v, _mm512_set1_epi64(ONE as i64)); // v = 2^32
    _mm512_mask_add_epi64(p, full, p, k)
}

/// [`Cols::div`] on 8 lanes (columns j..j + 8; each x ≤ its d).
///
/// # Safety
/// `j + 8` must not exceed the length of `cols`' arrays.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn div_v(
    x: std::arch::x86_64::__m512i,
    cols: &Cols<'_>,
    j: usize,
) -> std::arch::x86_64::__m512i {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees j + 8 ≤ the arrays' length; unaligned loads of 8 u64.
    let (mu_lo, mu_hi, shift) = unsafe {
        (
            _mm512_loadu_si512(cols.mu_lo.as_ptr().add(j).cast()),
            _mm512_loadu_si512(cols.mu_hi.as_ptr().add(j).cast()),
            _mm512_loadu_si512(cols.shift.as_ptr().add(j).cast()),
        )
    };
    div_with(_mm512_sllv_epi64(x, shift), mu_lo, mu_hi)
}

/// [`div_parts`] on 8 lanes of scaled numerators `xs = x·2^σ ≤ 2^32`:
/// `xs + ⌊(xs·μ_hi + ⌊xs·μ_lo / 2^32⌋) / 2^32⌋`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn div_with(
    xs: std::arch::x86_64::__m512i,
    mu_lo: std::arch::x86_64::__m512i,
    mu_hi: std::arch::x86_64::__m512i,
) -> std::arch::x86_64::__m512i {
    use std::arch::x86_64::*;
    let t = _mm512_add_epi64(
        _mm512_mul_epu32(xs, mu_hi),
        _mm512_srli_epi64::<32>(_mm512_mul_epu32(xs, mu_lo)),
    );
    _mm512_add_epi64(xs, _mm512_srli_epi64::<32>(t))
}

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
pub fn finish_row<'a>(row: &mut [u32], cols: &FinishCols<'a>, store: bool) -> u64 {
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
        match simd() {
            // SAFETY: the CPU supports AVX-512F (`simd` checked it).
            Simd::Avx512 => (start, d) = unsafe { finish_fast_avx512(row, &norm, inc, &up) },
            // SAFETY: the CPU supports AVX2 (`simd` checked it).
            Simd::Avx2 => (start, d) = unsafe { avx2::finish(row, cols) },
            Simd::Portable => {}
        }
        for j in start..n {
            let x = u64::from(row[j]);
            let b = norm.div(j, x);
            d += mul_lt(inc[j], b);
            row[j] = proportion_u16(up.div(j, b)) + u32::from(x != 0);
        }
    } else if store {
        for j in 0..n {
            let x = u64::from(row[j]);
            let b = norm.div(j, x);
            d += mul(inc[j], b);
            row[j] = proportion_u16(up.div(j, b)) + u32::from(x != 0);
        }
    } else {
        for j in 0..n {
            d += mul(inc[j], norm.div(j, u64::from(row[j])));
        }
    }
    d
}

/// The usual case of [`finish_row`] (storing, every I_j < 1) in AVX-512, 8 entries at a time,
/// for the entries `0..returned.0` (a multiple of 8; the caller finishes the tail), with their
/// part of `D_i`. The same operations as the portable loop.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn finish_fast_avx512(
    row: &mut [u32],
    norm: &Cols<'_>,
    inc: &[u64],
    up: &Cols<'_>,
) -> (usize, u64) {
    use std::arch::x86_64::*;
    let n = row.len();
    let end = n / 8 * 8;
    assert!(inc.len() >= n && norm.mu_lo.len() >= n && up.mu_lo.len() >= n);
    let one = _mm512_set1_epi64(1);
    let mut d = _mm512_setzero_si512();
    for j in (0..end).step_by(8) {
        // SAFETY: j + 8 ≤ n ≤ the length of every slice read or written (asserted above);
        // unaligned loads and stores of 8 u64 or 8 u32.
        unsafe {
            let x = _mm512_cvtepu32_epi64(_mm256_loadu_si256(row.as_ptr().add(j).cast()));
            let b = div_v(x, norm, j);
            let i = _mm512_loadu_si512(inc.as_ptr().add(j).cast());
            d = _mm512_add_epi64(d, mul_lt_v(i, b));
            let u = div_v(b, up, j); // b ≤ M_j
            let p = _mm512_srli_epi64::<32>(_mm512_sub_epi64(_mm512_slli_epi64::<16>(u), u));
            let p = _mm512_mask_add_epi64(p, _mm512_test_epi64_mask(x, x), p, one); // entry mark
            _mm256_storeu_si256(row.as_mut_ptr().add(j).cast(), _mm512_cvtepi64_epi32(p));
        }
    }
    (end, _mm512_reduce_add_epi64(d) as u64)
}

/// [`finish_row`] for a row whose entries `big` (column, exact value ≥ 2^32 − 1) do not fit
/// its u32 values (which hold `2^32 − 1` there): the row is finished as stored, then each such
/// entry's term of `D_i` is replaced by the exact one and its stored bond recomputed.
pub fn finish_row_patched(
    row: &mut [u32],
    big: &[(usize, u64)],
    cols: &FinishCols<'_>,
    store: bool,
) -> u64 {
    let mut d = finish_row(row, cols, store);
    for &(j, x) in big {
        let inc = cols.incentive[j];
        d -= mul(inc, cols.norm.div(j, u64::from(u32::MAX)));
        let b = cols.norm.div(j, x);
        d += mul(inc, b);
        if store {
            row[j] = proportion_u16(cols.upscale.div(j, b)) + 1;
        }
    }
    d
}

/// Columns per block of the dense median ([`stake_at_most`], [`keys_in_range`]).
pub const LANES: usize = 16;

/// Step 7's counting on a strip of LANES columns (K rows × LANES keys, row-major):
/// `Σ_k st_k · [key_kc ≤ mid_c]` for each lane c.
///
/// Compilers vectorise this loop across rows (gathering lanes), so the AVX-512 build is
/// written with intrinsics: one unsigned compare of 16 keys gives a lane mask, under which the
/// row's stake is added to two vectors of 8 u64 sums. Both builds are exact integer sums.
pub fn stake_at_most(strip: &[u32], st: &[u64], mid: &[u32; LANES]) -> [u64; LANES] {
    #[cfg(target_arch = "x86_64")]
    if simd() == Simd::Avx512 {
        // SAFETY: the CPU supports AVX-512F (`simd` checked it).
        return unsafe { stake_at_most_avx512(strip, st, mid) };
    }
    stake_at_most_scalar(strip, st, mid)
}

/// The portable build of [`stake_at_most`] and [`stake_at_most_u32`].
fn stake_at_most_scalar<T>(strip: &[u32], st: &[T], mid: &[u32; LANES]) -> [T; LANES]
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

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn stake_at_most_avx512(strip: &[u32], st: &[u64], mid: &[u32; LANES]) -> [u64; LANES] {
    use std::arch::x86_64::*;
    // SAFETY: `mid` holds LANES u32 (64 bytes); unaligned load.
    let midv = unsafe { _mm512_loadu_si512(mid.as_ptr().cast()) };
    let (mut lo, mut hi) = (_mm512_setzero_si512(), _mm512_setzero_si512());
    for (seg, &s) in strip.chunks_exact(LANES).zip(st) {
        // SAFETY: `seg` is a chunk of exactly LANES u32 (64 bytes); unaligned load.
        let keys = unsafe { _mm512_loadu_si512(seg.as_ptr().cast()) };
        let m = _mm512_cmple_epu32_mask(keys, midv);
        let sv = _mm512_set1_epi64(s as i64);
        lo = _mm512_mask_add_epi64(lo, m as u8, lo, sv);
        hi = _mm512_mask_add_epi64(hi, (m >> 8) as u8, hi, sv);
    }
    let mut acc = [0u64; LANES];
    // SAFETY: `acc` holds 16 u64; each store writes 8 of them (64 bytes), unaligned.
    unsafe {
        _mm512_storeu_si512(acc.as_mut_ptr().cast(), lo);
        _mm512_storeu_si512(acc[8..].as_mut_ptr().cast(), hi);
    }
    acc
}

/// [`stake_at_most`] with stakes below 2^32 whose total is below 2^32 (so no sum overflows):
/// one 16-lane u32 masked add per row instead of two 8-lane u64 ones.
pub fn stake_at_most_u32(strip: &[u32], st: &[u32], mid: &[u32; LANES]) -> [u32; LANES] {
    debug_assert!(st.iter().map(|&x| u64::from(x)).sum::<u64>() < ONE);
    #[cfg(target_arch = "x86_64")]
    match simd() {
        // SAFETY: the CPU supports AVX-512F (`simd` checked it).
        Simd::Avx512 => return unsafe { stake_at_most_u32_avx512(strip, st, mid) },
        // SAFETY: the CPU supports AVX2 (`simd` checked it).
        Simd::Avx2 => return unsafe { avx2::stake_at_most_u32(strip, st, mid) },
        Simd::Portable => {}
    }
    stake_at_most_scalar(strip, st, mid)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn stake_at_most_u32_avx512(strip: &[u32], st: &[u32], mid: &[u32; LANES]) -> [u32; LANES] {
    use std::arch::x86_64::*;
    // SAFETY: `mid` holds LANES u32 (64 bytes); unaligned load.
    let midv = unsafe { _mm512_loadu_si512(mid.as_ptr().cast()) };
    let mut acc = _mm512_setzero_si512();
    for (seg, &s) in strip.chunks_exact(LANES).zip(st) {
        // SAFETY: `seg` is a chunk of exactly LANES u32 (64 bytes); unaligned load.
        let keys = unsafe { _mm512_loadu_si512(seg.as_ptr().cast()) };
        let m = _mm512_cmple_epu32_mask(keys, midv);
        acc = _mm512_mask_add_epi32(acc, m, acc, _mm512_set1_epi32(s as i32));
    }
    let mut out = [0u32; LANES];
    // SAFETY: `out` holds LANES u32 (64 bytes); unaligned store.
    unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), acc) };
    out
}

/// The entries of a strip whose key lies in `[lo_c, hi_c]` for its lane c, pushed to `hits` as
/// `k·LANES + c`, in row order.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn keys_in_range(strip: &[u32], lo: &[u32; LANES], hi: &[u32; LANES], hits: &mut Vec<u32>) {
    for (k, seg) in strip.chunks_exact(LANES).enumerate() {
        let seg: &[u32; LANES] = seg.try_into().expect("LANES keys");
        let mut bits = 0u32;
        for c in 0..LANES {
            bits |= u32::from((seg[c] >= lo[c]) & (seg[c] <= hi[c])) << c;
        }
        while bits != 0 {
            hits.push((k * LANES) as u32 + bits.trailing_zeros());
            bits &= bits - 1;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    thread_local! {
        /// A lower [`Simd`] level for this thread's kernels (to test every code path).
        pub(crate) static FORCED: std::cell::Cell<Option<Simd>> =
            const { std::cell::Cell::new(None) };
    }

    /// Runs `f` with this thread's kernels at most at `level`.
    pub(crate) fn with_simd<R>(level: Simd, f: impl FnOnce() -> R) -> R {
        let old = FORCED.with(|c| c.replace(Some(level)));
        let r = f();
        FORCED.with(|c| c.set(old));
        r
    }

    /// The levels this CPU runs, lowest first.
    pub(crate) fn levels() -> Vec<Simd> {
        [Simd::Portable, Simd::Avx2, Simd::Avx512]
            .into_iter()
            .filter(|&l| l <= detected())
            .collect()
    }

    #[test]
    fn every_level_is_tested_here() {
        // The machine the tests run on decides which hand-written loops exist to test; say so
        // when it is not all of them (CI's machines have AVX-512).
        let lv = levels();
        assert_eq!(lv[0], Simd::Portable);
        assert_eq!(lv.last(), Some(&detected()));
        // Forcing a level takes effect on this thread only, and is undone afterwards.
        for &level in &lv {
            with_simd(level, || {
                assert_eq!(simd(), level);
                let other = std::thread::spawn(simd).join().expect("thread");
                assert_eq!(other, detected());
            });
        }
        assert_eq!(simd(), detected());
        if lv.len() < 3 {
            eprintln!("note: this CPU runs only {lv:?}; the other kernels are not exercised");
        }
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        /// A proportion in [0, 2^32], often at the edges.
        fn prop(&mut self) -> u64 {
            match self.next() % 8 {
                0 => 0,
                1 => ONE,
                2 => ONE - 1 - self.next() % 3,
                3 => self.next() % 70_000,
                _ => self.next() % (ONE + 1),
            }
        }
    }

    fn mul_def(a: u64, b: u64) -> u64 {
        ((u128::from(a) * u128::from(b)) >> 32) as u64
    }

    fn div_def(x: u64, d: u64) -> u64 {
        let d = if d == 0 { ONE } else { d };
        ((u128::from(x) << 32) / u128::from(d)) as u64
    }

    #[test]
    fn mul_is_the_128_bit_product() {
        let mut rng = Rng(99);
        for &(a, b) in &[(0, 0), (ONE, ONE), (ONE, 5), (7, ONE), (ONE - 1, ONE - 1)] {
            assert_eq!(mul(a, b), mul_def(a, b), "{a} {b}");
        }
        for _ in 0..200_000 {
            let (a, b) = (rng.prop(), rng.prop());
            assert_eq!(mul(a, b), mul_def(a, b), "{a} {b}");
            if a < ONE {
                assert_eq!(mul_lt(a, b), mul_def(a, b), "{a} {b}");
            }
        }
    }

    #[test]
    fn magic_digits_match_the_wide_division() {
        let mut rng = Rng(11);
        let mut ds: Vec<u64> = vec![1, 2, 3, 5, 7, 65535, 65536, ONE - 2, ONE - 1, ONE];
        ds.extend((1..32).flat_map(|k| [(1u64 << k) - 1, 1u64 << k, (1u64 << k) + 1]));
        ds.extend((0..20_000).map(|_| 1 + rng.next() % ONE));
        ds.extend((0..20_000).map(|_| ONE - rng.next() % 1000));
        for d in ds {
            let l = 64 - (d - 1).leading_zeros();
            let mut rs = vec![0, (1u64 << l) - d, d - 1, d / 2, rng.next() % d];
            rs.retain(|&r| r < d);
            for r in rs {
                let want = ((u128::from(r) << 64) / u128::from(d)) as u64;
                assert_eq!(magic_small(d, r), want, "d = {d}, r = {r}");
            }
        }
    }

    #[test]
    fn divisor_is_exact() {
        let mut rng = Rng(7);
        let mut ds: Vec<u64> = vec![0, 1, 2, 3, 5, 7, 65535, 65536, ONE - 1, ONE];
        ds.extend((1..=32).map(|k| 1u64 << k));
        ds.extend((1..32).map(|k| (1u64 << k) + 1));
        ds.extend((2..=32).map(|k| (1u64 << k) - 1));
        for _ in 0..4000 {
            ds.push(1 + rng.next() % (1 << (1 + rng.next() % 32)));
        }
        for &d in &ds {
            let v = Divisors::new(&[d]);
            let dd = if d == 0 { ONE } else { d };
            let mut xs = vec![0, 1.min(dd), dd, dd - 1, dd / 2, dd / 3, (dd / 3) * 2 + 1];
            xs.extend((0..60).map(|_| rng.next() % (dd + 1)));
            for x in xs {
                assert_eq!(v.div(0, x), div_def(x, d), "x = {x}, d = {d}");
                assert_eq!(Divisor::new(d).div(x), div_def(x, d));
            }
            let all = Divisors::new(&[3, d, 5]);
            assert_eq!(all.div(1, dd), ONE);
            assert_eq!(all.div(2, 4), div_def(4, 5));
        }
        assert!(std::panic::catch_unwind(|| Divisor::new(ONE + 1)).is_err());
        assert!(std::panic::catch_unwind(|| Divisors::new(&[1, ONE + 1])).is_err());
    }

    #[test]
    fn strip_kernels_match_their_definitions() {
        for level in levels() {
            with_simd(level, strip_kernels_match_their_definitions_at);
        }
    }

    fn strip_kernels_match_their_definitions_at() {
        let mut rng = Rng(31);
        for _ in 0..200 {
            let k = (rng.next() % 70) as usize;
            let strip: Vec<u32> = (0..k * LANES)
                .map(|_| match rng.next() % 4 {
                    0 => 0,
                    1 => u32::MAX,
                    _ => (rng.next() % 1000) as u32,
                })
                .collect();
            let st: Vec<u64> = (0..k).map(|_| rng.prop()).collect();
            let mid: [u32; LANES] = std::array::from_fn(|_| (rng.next() % 1100) as u32);
            let lo: [u32; LANES] = std::array::from_fn(|c| mid[c] / 2);
            let acc = stake_at_most(&strip, &st, &mid);
            assert_eq!(acc, stake_at_most_scalar(&strip, &st, &mid));
            // Stakes whose total is below 2^32 also in u32.
            let st32: Vec<u32> = st.iter().map(|&x| (x / 128) as u32).collect();
            let acc32 = stake_at_most_u32(&strip, &st32, &mid);
            assert_eq!(acc32, stake_at_most_scalar(&strip, &st32, &mid));
            for c in 0..LANES {
                let want: u64 = (0..k)
                    .filter(|&r| strip[r * LANES + c] <= mid[c])
                    .map(|r| u64::from(st32[r]))
                    .sum();
                assert_eq!(u64::from(acc32[c]), want);
            }
            let mut hits = Vec::new();
            keys_in_range(&strip, &lo, &mid, &mut hits);
            let mut want_hits = Vec::new();
            for c in 0..LANES {
                let want: u64 = (0..k)
                    .filter(|&r| strip[r * LANES + c] <= mid[c])
                    .map(|r| st[r])
                    .sum();
                assert_eq!(acc[c], want);
            }
            for r in 0..k {
                for c in 0..LANES {
                    let v = strip[r * LANES + c];
                    if lo[c] <= v && v <= mid[c] {
                        want_hits.push((r * LANES + c) as u32);
                    }
                }
            }
            assert_eq!(hits, want_hits);
        }
    }

    #[test]
    fn row_copies_match_their_definitions() {
        for level in levels() {
            with_simd(level, row_copies_match_their_definitions_at);
        }
    }

    fn row_copies_match_their_definitions_at() {
        let mut rng = Rng(99);
        for round in 0..2000 {
            let n = 1 + (rng.next() % 300) as usize;
            // A stored row: each uid kept with some probability (often all, or all but a few).
            let keep = match round % 4 {
                0 => 100,
                1 => 99,
                2 => 50,
                _ => rng.next() % 100,
            };
            let mut pairs: Vec<(u16, u16)> = Vec::new();
            for j in 0..n as u16 {
                if rng.next() % 100 < keep {
                    pairs.push((j, rng.next() as u16));
                }
            }
            let mut row = vec![0u16; n];
            let mut want = vec![0u16; n];
            // Sometimes break it: a swap, a repeat or a uid ≥ n.
            let broken = match (round % 7, pairs.len()) {
                (0, k) if k >= 2 => {
                    let q = (rng.next() % (k as u64 - 1)) as usize;
                    pairs.swap(q, q + 1);
                    true
                }
                (1, k) if k >= 2 => {
                    let q = (rng.next() % (k as u64 - 1)) as usize;
                    pairs[q + 1].0 = pairs[q].0;
                    true
                }
                (2, k) if k >= 1 => {
                    let q = (rng.next() % k as u64) as usize;
                    pairs[q].0 = (n + (rng.next() % 5) as usize).min(65535) as u16;
                    true
                }
                _ => false,
            };
            if !broken {
                pairs.iter().for_each(|&(j, v)| want[usize::from(j)] = v);
            }
            assert_eq!(scatter_pairs(&pairs, &mut row), !broken, "{pairs:?}");
            assert_eq!(row, want);
            let mut portable = vec![0u16; n];
            assert_eq!(
                scatter_bytes(pairs_as_bytes(&pairs), &mut portable, false),
                !broken
            );
            assert_eq!(portable, want);

            // The finished row (value + 1 where an entry exists) back to pairs.
            let marked: Vec<u32> = (0..n)
                .map(|_| match rng.next() % 5 {
                    0 if keep < 100 => 0,
                    _ => 1 + (rng.next() % 65536) as u32,
                })
                .collect();
            let mut out = vec![(7, 7)]; // appended to
            gather_marked(&marked, &mut out);
            let mut want = vec![(7, 7)];
            want.extend(
                (0..n)
                    .filter(|&j| marked[j] != 0)
                    .map(|j| (j as u16, (marked[j] - 1) as u16)),
            );
            assert_eq!(out, want);
            let mut portable = vec![(7, 7)];
            gather_marked_portable(&marked, &mut portable);
            assert_eq!(portable, want);
            let mut dense = vec![1u16; n];
            unmark_row(&marked, &mut dense);
            let undone: Vec<u16> = marked.iter().map(|&v| v.saturating_sub(1) as u16).collect();
            assert_eq!(dense, undone);
            assert_eq!(any_nonzero(&dense), undone.iter().any(|&v| v != 0));
        }
        assert!(scatter_pairs(&[], &mut [0u16; 4]));
        assert!(!any_nonzero(&[0u16; 40]));
    }

    #[test]
    fn kernels_match_their_scalar_definitions() {
        for level in levels() {
            with_simd(level, kernels_match_their_scalar_definitions_at);
        }
    }

    fn kernels_match_their_scalar_definitions_at() {
        let mut rng = Rng(4242);
        for round in 0..300 {
            let n = 1 + (rng.next() % 300) as usize;
            let raw: Vec<u16> = (0..n)
                .map(|_| {
                    if rng.next().is_multiple_of(4) {
                        0
                    } else {
                        rng.next() as u16
                    }
                })
                .collect();
            let mut row = vec![0u32; n];
            // The fused load + normalise with the diagonal `skip` masked.
            {
                let skip = (rng.next() % n as u64) as usize;
                let sum = row_sum(&raw) - u64::from(raw[skip]);
                let total: u64 = raw.iter().map(|&x| u64::from(x)).sum();
                assert_eq!(sum + u64::from(raw[skip]), total);
                let ai = [0, ONE, rng.prop()][round % 3];
                let (mut r0, mut mx, mut out) = (vec![5u64; n], vec![3u32; n], vec![9u32; n]);
                load_normalize(
                    &raw,
                    skip,
                    Divisor::new(sum),
                    ai,
                    &mut out,
                    &mut r0,
                    &mut mx,
                );
                for j in 0..n {
                    let x = if j == skip { 0 } else { u64::from(raw[j]) };
                    let q = div_def(x, sum);
                    assert_eq!(dec(out[j]), q);
                    let (r, m) = if ai > 0 {
                        (5 + mul_def(ai, q), out[j].max(3))
                    } else {
                        (5, 3)
                    };
                    assert_eq!((r0[j], mx[j]), (r, m));
                }
            }
            let mut sums = vec![1u32; n];
            assert_eq!(add_row(&raw, &mut sums), raw.iter().any(|&x| x != 0));
            assert!(sums.iter().zip(&raw).all(|(&s, &x)| s == 1 + u32::from(x)));
            let sum = load_row(&raw, &mut row);
            assert_eq!(sum, raw.iter().map(|&x| u64::from(x)).sum::<u64>());
            let ai = [0, ONE, rng.prop()][round % 3];
            let (mut r0, mut mx) = (vec![5u64; n], vec![3u32; n]);
            normalize_row(&mut row, Divisor::new(sum), ai, &mut r0, &mut mx);
            for j in 0..n {
                let q = div_def(u64::from(raw[j]), sum);
                assert_eq!(dec(row[j]), q);
                let (r, m) = if ai > 0 {
                    (5 + mul_def(ai, q), row[j].max(3))
                } else {
                    (5, 3)
                };
                assert_eq!((r0[j], mx[j]), (r, m));
            }
            let c: Vec<u64> = (0..n).map(|_| rng.prop()).collect();
            let mut r = vec![1u64; n];
            let vt = clip_row(&row, &c, ai, &mut r);
            let clipped: Vec<u64> = (0..n).map(|j| dec(row[j]).min(c[j])).collect();
            assert_eq!(vt, clipped.iter().sum::<u64>());
            for j in 0..n {
                assert_eq!(r[j], 1 + if ai > 0 { mul_def(ai, clipped[j]) } else { 0 });
            }
            let sums: Vec<u64> = (0..n)
                .map(|j| (r[j].max(1) + rng.next() % 3).min(ONE))
                .collect();
            let bsums: Vec<u64> = (0..n).map(|_| rng.next() % 3_000_000).collect();
            let bonds: Vec<u16> = (0..n)
                .map(|j| (rng.next() % (bsums[j] + 1)).min(65535) as u16)
                .collect();
            let (delta, bond) = (Divisors::new(&sums), Divisors::new(&bsums));
            let alpha = [ONE, 0, rng.next() % ONE][round % 3];
            let cols = EmaCols {
                c: &c,
                delta: &delta,
                bond: &bond,
                alpha: (alpha, ONE - alpha),
            };
            for (hw, hb) in [(true, true), (true, false), (false, true), (false, false)] {
                let erow = EmaRow {
                    weights: hw.then_some((&row[..], ai)),
                    bonds: hb.then_some(&bonds[..]),
                };
                let mut out = vec![9u64; n];
                ema_row(&erow, &cols, &mut out);
                for j in 0..n {
                    let mut want = 0;
                    if hw {
                        let x = mul_def(clipped[j], ai);
                        want += mul_def(alpha, div_def(x, sums[j]));
                    }
                    if hb {
                        want += mul_def(ONE - alpha, div_def(u64::from(bonds[j]), bsums[j]));
                    }
                    assert_eq!(out[j], want, "round {round} j {j}");
                }
            }
            for (hw, hb) in [(true, true), (true, false), (false, true), (false, false)] {
                let erow = EmaRow {
                    weights: hw.then_some((&row[..], ai)),
                    bonds: hb.then_some(&bonds[..]),
                };
                let mut want_vals = vec![0u64; n];
                ema_row(&erow, &cols, &mut want_vals);
                let (mut want_row, mut ws, mut wm) = (row.clone(), vec![7u64; n], vec![1u64; n]);
                let want_top = store_row(&want_vals, &mut want_row, &mut ws, &mut wm);
                let (mut got_row, mut gs, mut gm) = (row.clone(), vec![7u64; n], vec![1u64; n]);
                let mut got_vals = vec![0u64; n];
                let b = hb.then_some(&bonds[..]);
                let top = ema_store_row(
                    &mut got_row,
                    hw.then_some(ai),
                    b,
                    &cols,
                    &mut got_vals,
                    &mut gs,
                    &mut gm,
                );
                assert_eq!(
                    (top, &got_vals, &got_row),
                    (want_top, &want_vals, &want_row)
                );
                assert_eq!((&gs, &gm), (&ws, &wm));
            }
            let vals: Vec<u64> = (0..n).map(|_| rng.prop()).collect();
            let (mut st, mut s, mut m) = (vec![0u32; n], vec![2u64; n], vec![4u64; n]);
            let top = store_row(&vals, &mut st, &mut s, &mut m);
            assert_eq!(top, vals.iter().copied().max().unwrap());
            for j in 0..n {
                assert_eq!(st[j], vals[j].min(u64::from(u32::MAX)) as u32);
                assert_eq!((s[j], m[j]), (2 + vals[j], vals[j].max(4)));
            }
            let colsum: Vec<u64> = vals
                .iter()
                .map(|&v| (v + rng.next() % 1000).min(ONE))
                .collect();
            let norm = Divisors::new(&colsum);
            let b: Vec<u64> = (0..n).map(|j| div_def(vals[j], colsum[j])).collect();
            let maxes: Vec<u64> = b.iter().map(|&x| (x + rng.next() % 5).min(ONE)).collect();
            let upscale = Divisors::new(&maxes);
            let inc: Vec<u64> = (0..n).map(|_| rng.prop()).collect();
            let fc = FinishCols {
                norm: &norm,
                incentive: &inc,
                upscale: &upscale,
                incentive_lt_one: inc.iter().all(|&x| x < ONE),
            };
            let want_d: u64 = (0..n).map(|j| mul_def(inc[j], b[j])).sum();
            let want_row: Vec<u32> = (0..n)
                .map(|j| ((div_def(b[j], maxes[j]) * 65535) >> 32) as u32 + u32::from(vals[j] > 0))
                .collect();
            let big: Vec<(usize, u64)> = (0..n)
                .filter(|&j| vals[j] >= u64::from(u32::MAX))
                .map(|j| (j, vals[j]))
                .collect();
            let stored: Vec<u32> = vals
                .iter()
                .map(|&v| v.min(u64::from(u32::MAX)) as u32)
                .collect();
            for store in [false, true] {
                let mut patched = stored.clone();
                assert_eq!(finish_row_patched(&mut patched, &big, &fc, store), want_d);
                assert_eq!(&patched, if store { &want_row } else { &stored });
            }
            if vals.iter().all(|&v| v < ONE) {
                let mut fr: Vec<u32> = vals.iter().map(|&v| v as u32).collect();
                assert_eq!(finish_row(&mut fr.clone(), &fc, false), want_d);
                assert_eq!(finish_row(&mut fr, &fc, true), want_d);
                assert_eq!(fr, want_row);
            }
            // The usual row (values below 2^32 − 1, incentives below 1) against the definition.
            let small: Vec<u64> = vals.iter().map(|&v| v.min(ONE - 2)).collect();
            let inc_lt: Vec<u64> = inc.iter().map(|&v| v.min(ONE - 1)).collect();
            let b: Vec<u64> = (0..n).map(|j| div_def(small[j], colsum[j])).collect();
            let fc = FinishCols {
                norm: &norm,
                incentive: &inc_lt,
                upscale: &Divisors::new(
                    &b.iter()
                        .map(|&x| (x + rng.next() % 3).min(ONE))
                        .collect::<Vec<_>>(),
                ),
                incentive_lt_one: true,
            };
            let mut fr: Vec<u32> = small.iter().map(|&v| v as u32).collect();
            let d = finish_row(&mut fr, &fc, true);
            assert_eq!(d, (0..n).map(|j| mul_def(inc_lt[j], b[j])).sum::<u64>());
            for j in 0..n {
                let up = fc.upscale.div(j, b[j]);
                assert_eq!(
                    fr[j],
                    ((up * 65535) >> 32) as u32 + u32::from(small[j] > 0),
                    "j {j}"
                );
            }
        }
    }
}
