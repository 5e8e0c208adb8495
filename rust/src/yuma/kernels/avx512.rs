//! The hand-written AVX-512 loops of the row kernels (`mod.rs`), 8 u64 lanes (or 16 u32) at a
//! time: each does the same integer operations as the portable loop it stands in for, for the
//! entries `0..returned` (a multiple of 8; the caller finishes the tail), and is called only when
//! `Simd::checked` says the CPU has AVX-512F. Twin of `avx2.rs` (same names and signatures);
//! `gather_marked` and the u64 `stake_at_most` have no AVX2 twin (see `mod.rs`).

use std::arch::x86_64::*;

use super::{Cols, Divisor, EmaFast, FinishCols, LANES, RUN};
use crate::yuma::fx::ONE;

/// The leading blocks of 16 consecutive uids of [`super::scatter_bytes`]' input in AVX-512, one
/// vector each, while they are in order (first uid ≥ `next`) and inside the row; returns the
/// bytes consumed (the caller checks and copies the next block its own way). x86 is
/// little-endian: a pair's word has the uid in its low 16 bits.
#[target_feature(enable = "avx512f")]
pub(super) fn scatter_runs(bytes: &[u8], row: &mut [u16], next: &mut usize) -> usize {
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

/// [`gather_marked`] in AVX-512: each block of 16 entries becomes 16 words `j | (v − 1) << 16`
/// (a `(uid, value)` pair's bytes on little-endian x86), compressed to the existing entries
/// and stored at the end of `out` in one move.
#[target_feature(enable = "avx512f")]
pub(super) fn gather_marked(row: &[u32], out: &mut Vec<(u16, u16)>) {
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

/// The `a_i < 1` case of [`super::load_normalize`] in AVX-512, 8 entries at a time, for the entries
/// `0..returned` (a multiple of 8; the caller finishes the tail). Written by hand for the same
/// reason as [`ema_store`]: the compiler multiplies the hoisted a_i in 64 bits.
#[target_feature(enable = "avx512f")]
pub(super) fn load_normalize(
    w: &[u16],
    skip: usize,
    d: &Divisor,
    ai: u64,
    row: &mut [u32],
    r0: &mut [u64],
    mx: &mut [u32],
) -> usize {
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
            _mm512_storeu_si512(rp, _mm512_add_epi64(_mm512_loadu_si512(rp), mul_lt(aiv, q)));
            let mp = mx.as_mut_ptr().add(j).cast();
            _mm256_storeu_si256(mp, _mm256_max_epu32(_mm256_loadu_si256(mp), e));
        }
    }
    end
}

/// The `a_i < 1` case of [`super::clip_row`] in AVX-512, 8 entries at a time, for the entries
/// `0..returned.0` (a multiple of 8; the caller finishes the tail), with their part of `VT_i`.
#[target_feature(enable = "avx512f")]
pub(super) fn clip(row: &[u32], c: &[u64], ai: u64, r: &mut [u64]) -> (usize, u64) {
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
                _mm512_add_epi64(_mm512_loadu_si512(rp), mul_lt(aiv, clipped)),
            );
        }
    }
    (end, _mm512_reduce_add_epi64(sum) as u64)
}

/// with their largest value. Written by hand because the compiler hoists the splat of each row
/// constant out of the loop and then no longer sees that it fits 32 bits (a 64-bit multiply
/// instead of `vpmuludq`). The same operations as `ema_row` then `store_row`.
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
pub(super) fn ema_store(
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
            let q1 = div(mul_lt(ai, clipped), delta, j);
            let bv = _mm512_cvtepu16_epi64(_mm_loadu_si128(b.as_ptr().add(j).cast()));
            let q2 = div(bv, bond, j);
            let t = _mm512_add_epi64(mul_lt(alpha, q1), mul_lt(alpha1, q2));
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

/// `fx::mul_lt` on 8 lanes: `k < 2^32`, `v ≤ 2^32`.
#[target_feature(enable = "avx512f")]
#[inline]
fn mul_lt(k: __m512i, v: __m512i) -> __m512i {
    let p = _mm512_srli_epi64::<32>(_mm512_mul_epu32(k, v));
    let full = _mm512_test_epi64_mask(v, _mm512_set1_epi64(ONE as i64)); // v = 2^32
    _mm512_mask_add_epi64(p, full, p, k)
}

/// `Cols::div` on 8 lanes (columns j..j + 8; each x ≤ its d).
///
/// # Safety
/// `j + 8` must not exceed the length of `cols`' arrays.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn div(x: __m512i, cols: &Cols<'_>, j: usize) -> __m512i {
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

/// `fx::div_parts` on 8 lanes of scaled numerators `xs = x·2^σ ≤ 2^32`:
/// `xs + ⌊(xs·μ_hi + ⌊xs·μ_lo / 2^32⌋) / 2^32⌋`.
#[target_feature(enable = "avx512f")]
#[inline]
fn div_with(xs: __m512i, mu_lo: __m512i, mu_hi: __m512i) -> __m512i {
    let t = _mm512_add_epi64(
        _mm512_mul_epu32(xs, mu_hi),
        _mm512_srli_epi64::<32>(_mm512_mul_epu32(xs, mu_lo)),
    );
    _mm512_add_epi64(xs, _mm512_srli_epi64::<32>(t))
}

/// The usual case of [`super::finish_row`] (storing, every I_j < 1) in AVX-512, 8 entries at a time,
/// for the entries `0..returned.0` (a multiple of 8; the caller finishes the tail), with their
/// part of `D_i`. The same operations as the portable loop.
#[target_feature(enable = "avx512f")]
pub(super) fn finish(row: &mut [u32], cols: &FinishCols<'_>) -> (usize, u64) {
    let n = row.len();
    let end = n / 8 * 8;
    let (norm, inc, up) = (
        &cols.norm.cols(n),
        &cols.incentive[..n],
        &cols.upscale.cols(n),
    );
    let one = _mm512_set1_epi64(1);
    let mut d = _mm512_setzero_si512();
    for j in (0..end).step_by(8) {
        // SAFETY: j + 8 ≤ n ≤ the length of every slice read or written (the column arrays
        // and `inc` were cut to n above, `row` has n); unaligned loads and stores.
        unsafe {
            let x = _mm512_cvtepu32_epi64(_mm256_loadu_si256(row.as_ptr().add(j).cast()));
            let b = div(x, norm, j);
            let i = _mm512_loadu_si512(inc.as_ptr().add(j).cast());
            d = _mm512_add_epi64(d, mul_lt(i, b));
            let u = div(b, up, j); // b ≤ M_j
            let p = _mm512_srli_epi64::<32>(_mm512_sub_epi64(_mm512_slli_epi64::<16>(u), u));
            let p = _mm512_mask_add_epi64(p, _mm512_test_epi64_mask(x, x), p, one); // entry mark
            _mm256_storeu_si256(row.as_mut_ptr().add(j).cast(), _mm512_cvtepi64_epi32(p));
        }
    }
    (end, _mm512_reduce_add_epi64(d) as u64)
}

/// [`super::stake_at_most`]: one unsigned compare of 16 keys gives a lane mask, under which the
/// row's stake is added to two vectors of 8 u64 sums.
#[target_feature(enable = "avx512f")]
pub(super) fn stake_at_most(strip: &[u32], st: &[u64], mid: &[u32; LANES]) -> [u64; LANES] {
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

/// [`super::stake_at_most_u32`]: one 16-lane u32 masked add per row.
#[target_feature(enable = "avx512f")]
pub(super) fn stake_at_most_u32(strip: &[u32], st: &[u32], mid: &[u32; LANES]) -> [u32; LANES] {
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
