//! AVX2 (4 u64 lanes, for CPUs without AVX-512): [`Lanes`] for `__m256i`, the entry points of
//! the shared loops (`lanes.rs`) compiled for AVX2, and the 32-bit-lane loops written for this
//! instruction set (see `mod.rs` for which and why). Each loop does the same integer operations
//! as its AVX-512 version and the portable loop, for the entries `0..returned` (a multiple of 4;
//! the caller finishes the tail), and is called only when `Simd::checked` says the CPU has AVX2.
//!
//! AVX2 has no unsigned 64-bit compare, min or max, no mask registers and no saturating
//! narrowing: every value the loops hold is below 2^63, so the signed compare serves; a mask is
//! a vector of all-ones lanes; narrowing keeps the low 32 bits of lanes made below 2^32 first.

use std::arch::x86_64::*;

use super::lanes::{lanes_entries, Lanes};

lanes_entries!(__m256i, "avx2");

/// `b` in the lanes of `m` (all ones or all zeros), `a` elsewhere, by the 64-bit blend
/// `vblendvpd`. Measured on the project's machine (AMD EPYC, `Simd::Avx2` forced, ns for a row
/// of 256): `select` (`fx::dec` in `clip`) with it 75, with the byte blend `vpblendvb` 97–100;
/// but `min`/`max` with it made `ema_store` slower (443–450 vs 380–400), so they keep the byte
/// blend.
#[inline(always)]
unsafe fn blend64(a: __m256i, b: __m256i, m: __m256i) -> __m256i {
    _mm256_castpd_si256(_mm256_blendv_pd(
        _mm256_castsi256_pd(a),
        _mm256_castsi256_pd(b),
        _mm256_castsi256_pd(m),
    ))
}

// The methods compile to AVX2 instructions: they run only inside the `#[target_feature]`
// entry points above (the trait's safety contract), into which they inline.
impl Lanes for __m256i {
    const N: usize = 4;
    type Mask = __m256i;
    type Half = __m128i;

    #[inline(always)]
    unsafe fn splat(x: u64) -> Self {
        _mm256_set1_epi64x(x as i64)
    }
    #[inline(always)]
    unsafe fn iota() -> Self {
        _mm256_setr_epi64x(0, 1, 2, 3)
    }
    #[inline(always)]
    unsafe fn load(p: *const u64) -> Self {
        _mm256_loadu_si256(p.cast())
    }
    #[inline(always)]
    unsafe fn load_u32(p: *const u32) -> Self {
        _mm256_cvtepu32_epi64(_mm_loadu_si128(p.cast()))
    }
    #[inline(always)]
    unsafe fn load_u16(p: *const u16) -> Self {
        _mm256_cvtepu16_epi64(_mm_loadl_epi64(p.cast()))
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u64) {
        _mm256_storeu_si256(p.cast(), self)
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        _mm256_add_epi64(self, b)
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        _mm256_sub_epi64(self, b)
    }
    #[inline(always)]
    unsafe fn mul32(self, b: Self) -> Self {
        _mm256_mul_epu32(self, b)
    }
    #[inline(always)]
    unsafe fn shr32(self) -> Self {
        _mm256_srli_epi64::<32>(self)
    }
    #[inline(always)]
    unsafe fn shl16(self) -> Self {
        _mm256_slli_epi64::<16>(self)
    }
    #[inline(always)]
    unsafe fn shl(self, s: Self) -> Self {
        _mm256_sllv_epi64(self, s)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        _mm256_blendv_epi8(self, b, _mm256_cmpgt_epi64(self, b))
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        _mm256_blendv_epi8(b, self, _mm256_cmpgt_epi64(self, b))
    }
    #[inline(always)]
    unsafe fn eq(self, b: Self) -> Self::Mask {
        _mm256_cmpeq_epi64(self, b)
    }
    #[inline(always)]
    unsafe fn select(self, m: Self::Mask, b: Self) -> Self {
        blend64(self, b, m)
    }
    #[inline(always)]
    unsafe fn add_where(self, m: Self::Mask, b: Self) -> Self {
        _mm256_add_epi64(self, _mm256_and_si256(m, b))
    }
    #[inline(always)]
    unsafe fn inc_where_not(self, m: Self::Mask) -> Self {
        _mm256_add_epi64(self, _mm256_add_epi64(_mm256_set1_epi64x(1), m))
    }
    #[inline(always)]
    unsafe fn zero_where(self, m: Self::Mask) -> Self {
        _mm256_andnot_si256(m, self)
    }
    #[inline(always)]
    unsafe fn narrow(self) -> Self::Half {
        let idx = _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0);
        _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(self, idx))
    }
    #[inline(always)]
    unsafe fn narrow_sat(self) -> Self::Half {
        self.min(Self::splat(u64::from(u32::MAX))).narrow()
    }
    #[inline(always)]
    unsafe fn load_half(p: *const u32) -> Self::Half {
        _mm_loadu_si128(p.cast())
    }
    #[inline(always)]
    unsafe fn store_half(h: Self::Half, p: *mut u32) {
        _mm_storeu_si128(p.cast(), h)
    }
    #[inline(always)]
    unsafe fn max_half(a: Self::Half, b: Self::Half) -> Self::Half {
        _mm_max_epu32(a, b)
    }
    #[inline(always)]
    unsafe fn sum(self) -> u64 {
        let mut lanes = [0u64; 4];
        self.store(lanes.as_mut_ptr());
        lanes.into_iter().fold(0, u64::wrapping_add)
    }
    #[inline(always)]
    unsafe fn top(self) -> u64 {
        let mut lanes = [0u64; 4];
        self.store(lanes.as_mut_ptr());
        lanes.into_iter().max().unwrap_or(0)
    }
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
