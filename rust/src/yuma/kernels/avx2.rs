//! The hand-written AVX2 loops of the row kernels (`mod.rs`), 4 u64 lanes at a time, for CPUs
//! without AVX-512: there the compiler leaves these loops scalar (its cost model prices the
//! 64-bit lanes' products as full 64-bit multiplies). Twin of `avx512.rs` (same names and
//! signatures): each function does the same integer operations as its AVX-512 twin and the
//! portable loop, for the entries `0..returned` (a multiple of 4; the caller finishes the tail),
//! and is called only when `Simd::checked` says the CPU has AVX2.
//!
//! AVX2 has no unsigned 64-bit compare, min or max and no saturating narrowing: every value here
//! is below 2^63, so the signed compare serves, and narrowing keeps the low 32 bits of lanes
//! already below 2^32.

use std::arch::x86_64::*;

use super::{Cols, Divisor, EmaFast, FinishCols};
use crate::yuma::fx::ONE;

/// `fx::mul_lt` on 4 lanes: `k < 2^32`, `v ≤ 2^32`.
#[target_feature(enable = "avx2")]
#[inline]
fn mul_lt(k: __m256i, v: __m256i) -> __m256i {
    let p = _mm256_srli_epi64::<32>(_mm256_mul_epu32(k, v));
    let full = _mm256_cmpeq_epi64(v, _mm256_set1_epi64x(ONE as i64)); // v = 2^32
    _mm256_add_epi64(p, _mm256_and_si256(k, full))
}

/// `fx::div_parts` on scaled numerators `xs ≤ 2^32`.
#[target_feature(enable = "avx2")]
#[inline]
fn div_with(xs: __m256i, mu_lo: __m256i, mu_hi: __m256i) -> __m256i {
    let t = _mm256_add_epi64(
        _mm256_mul_epu32(xs, mu_hi),
        _mm256_srli_epi64::<32>(_mm256_mul_epu32(xs, mu_lo)),
    );
    _mm256_add_epi64(xs, _mm256_srli_epi64::<32>(t))
}

/// [`Cols::div`] on columns `j..j + 4` (each x ≤ its d).
///
/// # Safety
/// `j + 4` must not exceed the length of `cols`' arrays.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn div(x: __m256i, cols: &Cols<'_>, j: usize) -> __m256i {
    // SAFETY: the caller guarantees j + 4 ≤ the arrays' length; unaligned loads of 4 u64.
    let (mu_lo, mu_hi, shift) = unsafe {
        (
            _mm256_loadu_si256(cols.mu_lo.as_ptr().add(j).cast()),
            _mm256_loadu_si256(cols.mu_hi.as_ptr().add(j).cast()),
            _mm256_loadu_si256(cols.shift.as_ptr().add(j).cast()),
        )
    };
    div_with(_mm256_sllv_epi64(x, shift), mu_lo, mu_hi)
}

/// `min(a, b)` of lanes below 2^63.
#[target_feature(enable = "avx2")]
#[inline]
fn min64(a: __m256i, b: __m256i) -> __m256i {
    _mm256_blendv_epi8(a, b, _mm256_cmpgt_epi64(a, b))
}

/// `max(a, b)` of lanes below 2^63.
#[target_feature(enable = "avx2")]
#[inline]
fn max64(a: __m256i, b: __m256i) -> __m256i {
    _mm256_blendv_epi8(b, a, _mm256_cmpgt_epi64(a, b))
}

/// The low 32 bits of each lane, as 4 u32.
#[target_feature(enable = "avx2")]
#[inline]
fn narrow(v: __m256i) -> __m128i {
    let idx = _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0);
    _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(v, idx))
}

/// `fx::dec`: a key back to its bits (`u32::MAX` is 1.0).
#[target_feature(enable = "avx2")]
#[inline]
fn dec(k: __m256i) -> __m256i {
    let is_one = _mm256_cmpeq_epi64(k, _mm256_set1_epi64x(i64::from(u32::MAX)));
    _mm256_sub_epi64(k, is_one) // + 1 where the key is 1.0
}

/// The largest lane.
#[target_feature(enable = "avx2")]
#[inline]
fn reduce_max(v: __m256i) -> u64 {
    let mut lanes = [0u64; 4];
    // SAFETY: `lanes` is 32 bytes; unaligned store.
    unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), v) };
    lanes.into_iter().max().unwrap_or(0)
}

/// The sum of the lanes.
#[target_feature(enable = "avx2")]
#[inline]
fn reduce_add(v: __m256i) -> u64 {
    let mut lanes = [0u64; 4];
    // SAFETY: `lanes` is 32 bytes; unaligned store.
    unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), v) };
    lanes.into_iter().sum()
}

/// [`super::load_normalize`] for `a_i < 1`.
#[target_feature(enable = "avx2")]
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
    let end = n / 4 * 4;
    assert!(w.len() >= n && r0.len() >= n && mx.len() >= n);
    let (mu_hi, mu_lo) = (
        _mm256_set1_epi64x(i64::from(d.mu_hi)),
        _mm256_set1_epi64x(i64::from(d.mu_lo)),
    );
    let shift = _mm_set_epi64x(0, i64::from(d.shift));
    // Opaque to the optimiser (see the AVX-512 loop).
    let aiv = _mm256_set1_epi64x(std::hint::black_box(ai) as i64);
    let key_max = _mm256_set1_epi64x(i64::from(u32::MAX));
    let lanes = _mm256_setr_epi64x(0, 1, 2, 3);
    let skipv = _mm256_set1_epi64x(skip as i64);
    for j in (0..end).step_by(4) {
        // SAFETY: j + 4 ≤ n ≤ the length of every slice read or written (asserted above);
        // unaligned loads and stores of 4 u16, 4 u32 or 4 u64.
        unsafe {
            let x = _mm256_cvtepu16_epi64(_mm_loadl_epi64(w.as_ptr().add(j).cast()));
            let at = _mm256_add_epi64(lanes, _mm256_set1_epi64x(j as i64));
            let x = _mm256_andnot_si256(_mm256_cmpeq_epi64(at, skipv), x); // diagonal: 0
            let q = div_with(_mm256_sll_epi64(x, shift), mu_lo, mu_hi);
            let e = narrow(min64(q, key_max));
            _mm_storeu_si128(row.as_mut_ptr().add(j).cast(), e);
            let rp = r0.as_mut_ptr().add(j).cast();
            _mm256_storeu_si256(rp, _mm256_add_epi64(_mm256_loadu_si256(rp), mul_lt(aiv, q)));
            let mp = mx.as_mut_ptr().add(j).cast();
            _mm_storeu_si128(mp, _mm_max_epu32(_mm_loadu_si128(mp), e));
        }
    }
    end
}

/// [`super::clip_row`] for `a_i < 1`, with the part of `VT_i`.
#[target_feature(enable = "avx2")]
pub(super) fn clip(row: &[u32], c: &[u64], ai: u64, r: &mut [u64]) -> (usize, u64) {
    let n = row.len();
    let end = n / 4 * 4;
    assert!(c.len() >= n && r.len() >= n);
    let aiv = _mm256_set1_epi64x(std::hint::black_box(ai) as i64);
    let mut sum = _mm256_setzero_si256();
    for j in (0..end).step_by(4) {
        // SAFETY: j + 4 ≤ n ≤ the length of every slice read or written (asserted above);
        // unaligned loads and stores of 4 u32 or 4 u64.
        unsafe {
            let k = dec(_mm256_cvtepu32_epi64(_mm_loadu_si128(
                row.as_ptr().add(j).cast(),
            )));
            let clipped = min64(k, _mm256_loadu_si256(c.as_ptr().add(j).cast()));
            sum = _mm256_add_epi64(sum, clipped);
            let rp = r.as_mut_ptr().add(j).cast();
            let add = mul_lt(aiv, clipped);
            _mm256_storeu_si256(rp, _mm256_add_epi64(_mm256_loadu_si256(rp), add));
        }
    }
    (end, reduce_add(sum))
}

/// [`super::ema_store_row`]'s usual row (weights and bonds, a_i, α, α' < 1), with the row's
/// largest value.
#[target_feature(enable = "avx2")]
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
    let end = n / 4 * 4;
    assert!(c.len() >= n && b.len() >= n && vals.len() >= n && sum.len() >= n && max.len() >= n);
    assert!(delta.mu_lo.len() >= n && bond.mu_lo.len() >= n);
    let (ai, alpha, alpha1) = (
        _mm256_set1_epi64x(std::hint::black_box(k.ai) as i64),
        _mm256_set1_epi64x(std::hint::black_box(k.alpha) as i64),
        _mm256_set1_epi64x(std::hint::black_box(k.alpha1) as i64),
    );
    let key_max = _mm256_set1_epi64x(i64::from(u32::MAX));
    let mut top = _mm256_setzero_si256();
    for j in (0..end).step_by(4) {
        // SAFETY: j + 4 ≤ n ≤ the length of every slice read or written (asserted above);
        // unaligned loads and stores of 4 u64, 4 u32 or 4 u16.
        unsafe {
            let rp = row.as_mut_ptr().add(j).cast();
            let wk = dec(_mm256_cvtepu32_epi64(_mm_loadu_si128(rp)));
            let clipped = min64(wk, _mm256_loadu_si256(c.as_ptr().add(j).cast()));
            let q1 = div(mul_lt(ai, clipped), delta, j);
            let bv = _mm256_cvtepu16_epi64(_mm_loadl_epi64(b.as_ptr().add(j).cast()));
            let q2 = div(bv, bond, j);
            let t = _mm256_add_epi64(mul_lt(alpha, q1), mul_lt(alpha1, q2));
            _mm256_storeu_si256(vals.as_mut_ptr().add(j).cast(), t);
            let sp = sum.as_mut_ptr().add(j).cast();
            _mm256_storeu_si256(sp, _mm256_add_epi64(_mm256_loadu_si256(sp), t));
            let mp = max.as_mut_ptr().add(j).cast();
            _mm256_storeu_si256(mp, max64(_mm256_loadu_si256(mp), t));
            top = max64(top, t);
            _mm_storeu_si128(rp, narrow(min64(t, key_max))); // min(t, 2^32 − 1)
        }
    }
    (end, reduce_max(top))
}

/// [`super::finish_row`]'s usual case (storing, every I_j < 1), with the part of `D_i`.
#[target_feature(enable = "avx2")]
pub(super) fn finish(row: &mut [u32], cols: &FinishCols<'_>) -> (usize, u64) {
    let n = row.len();
    let end = n / 4 * 4;
    let (norm, inc, up) = (
        cols.norm.cols(n),
        &cols.incentive[..n],
        cols.upscale.cols(n),
    );
    let one = _mm256_set1_epi64x(1);
    let zero = _mm256_setzero_si256();
    let mut d = _mm256_setzero_si256();
    for j in (0..end).step_by(4) {
        // SAFETY: j + 4 ≤ n ≤ the length of every slice read or written (the column arrays
        // and `inc` were cut to n above, `row` has n); unaligned loads and stores.
        unsafe {
            let rp = row.as_mut_ptr().add(j).cast();
            let x = _mm256_cvtepu32_epi64(_mm_loadu_si128(rp));
            let b = div(x, &norm, j);
            let i = _mm256_loadu_si256(inc.as_ptr().add(j).cast());
            d = _mm256_add_epi64(d, mul_lt(i, b));
            let u = div(b, &up, j); // b ≤ M_j
            let p = _mm256_srli_epi64::<32>(_mm256_sub_epi64(_mm256_slli_epi64::<16>(u), u));
            // The entry mark: + 1 where x > 0 (cmpeq gives −1 where x = 0).
            let p = _mm256_add_epi64(p, _mm256_add_epi64(one, _mm256_cmpeq_epi64(x, zero)));
            _mm_storeu_si128(rp, narrow(p));
        }
    }
    (end, reduce_add(d))
}

/// [`super::stake_at_most_u32`]: per row, two 8-lane compares (`k ≤ mid` as `max(k, mid) = mid`)
/// select the row's stake into two vectors of u32 sums.
#[target_feature(enable = "avx2")]
pub(super) fn stake_at_most_u32(
    strip: &[u32],
    st: &[u32],
    mid: &[u32; super::LANES],
) -> [u32; super::LANES] {
    const _: () = assert!(super::LANES == 16);
    // SAFETY: `mid` holds 16 u32 (two unaligned loads of 8).
    let (m0, m1) = unsafe {
        (
            _mm256_loadu_si256(mid.as_ptr().cast()),
            _mm256_loadu_si256(mid.as_ptr().add(8).cast()),
        )
    };
    let (mut a0, mut a1) = (_mm256_setzero_si256(), _mm256_setzero_si256());
    for (seg, &s) in strip.chunks_exact(16).zip(st) {
        let sv = _mm256_set1_epi32(s as i32);
        // SAFETY: `seg` is a chunk of exactly 16 u32 (two unaligned loads of 8).
        let (k0, k1) = unsafe {
            (
                _mm256_loadu_si256(seg.as_ptr().cast()),
                _mm256_loadu_si256(seg.as_ptr().add(8).cast()),
            )
        };
        let le0 = _mm256_cmpeq_epi32(_mm256_max_epu32(k0, m0), m0);
        let le1 = _mm256_cmpeq_epi32(_mm256_max_epu32(k1, m1), m1);
        a0 = _mm256_add_epi32(a0, _mm256_and_si256(le0, sv));
        a1 = _mm256_add_epi32(a1, _mm256_and_si256(le1, sv));
    }
    let mut out = [0u32; super::LANES];
    // SAFETY: `out` holds 16 u32 (two unaligned stores of 8).
    unsafe {
        _mm256_storeu_si256(out.as_mut_ptr().cast(), a0);
        _mm256_storeu_si256(out.as_mut_ptr().add(8).cast(), a1);
    }
    out
}

/// `avx512::scatter_runs` with two 8-lane halves per block of 16 pairs.
#[target_feature(enable = "avx2")]
pub(super) fn scatter_runs(bytes: &[u8], row: &mut [u16], next: &mut usize) -> usize {
    let n = row.len();
    let iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    let (low, eight) = (_mm256_set1_epi32(0xffff), _mm256_set1_epi32(8));
    let mut off = 0;
    while let Some(block) = bytes.get(off..off + 64) {
        let j0 = usize::from(u16::from_le_bytes([block[0], block[1]]));
        if j0 < *next || j0 + 16 > n {
            break;
        }
        // SAFETY: `block` is 64 bytes (two unaligned loads of 32); the store writes
        // row[j0..j0 + 16], inside the row (j0 + 16 ≤ n checked above).
        unsafe {
            let w0 = _mm256_loadu_si256(block.as_ptr().cast());
            let w1 = _mm256_loadu_si256(block.as_ptr().add(32).cast());
            let want0 = _mm256_add_epi32(_mm256_set1_epi32(j0 as i32), iota);
            let want1 = _mm256_add_epi32(want0, eight);
            let ok = _mm256_and_si256(
                _mm256_cmpeq_epi32(_mm256_and_si256(w0, low), want0),
                _mm256_cmpeq_epi32(_mm256_and_si256(w1, low), want1),
            );
            if _mm256_movemask_epi8(ok) != -1 {
                break;
            }
            // Values (< 2^16) packed per 128-bit half, then the halves put back in order.
            let v = _mm256_packus_epi32(_mm256_srli_epi32::<16>(w0), _mm256_srli_epi32::<16>(w1));
            let v = _mm256_permute4x64_epi64::<0b11_01_10_00>(v);
            _mm256_storeu_si256(row.as_mut_ptr().add(j0).cast(), v);
        }
        *next = j0 + 16;
        off += 64;
    }
    off
}
