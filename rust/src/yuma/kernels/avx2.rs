//! AVX2 (for CPUs without AVX-512): the lane traits of `lanes.rs` for this instruction set —
//! [`Lanes`] for `__m256i` (4 u64 lanes), [`Words`] for [`Two`] (16 u32 lanes in two vectors) —
//! and the entry points of the shared loops compiled for AVX2, called only when `Simd::checked`
//! says the CPU has it.
//!
//! AVX2 has no unsigned 64-bit compare, min or max, no mask registers, no unsigned 32-bit
//! compare and no saturating narrowing: every u64 value the loops hold is below 2^63, so the
//! signed compare serves; a mask is a vector of all-ones lanes; `k ≤ m` on u32 is
//! `max(k, m) = m`; narrowing keeps the low 32 bits of lanes made below 2^32 first.

use std::arch::x86_64::*;

use super::lanes::{lanes_entries, Lanes, Words};

lanes_entries!(__m256i, Two, "avx2");

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

/// Sixteen u32 lanes as two AVX2 vectors (lanes 0–7, 8–15).
#[derive(Clone, Copy)]
pub(super) struct Two(__m256i, __m256i);

// As for `Lanes` above: AVX2 instructions, inlined into the entry points.
impl Words for Two {
    type Mask = Two;

    #[inline(always)]
    unsafe fn splat(x: u32) -> Self {
        let v = _mm256_set1_epi32(x as i32);
        Two(v, v)
    }
    #[inline(always)]
    unsafe fn iota() -> Self {
        Two(
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            _mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15),
        )
    }
    #[inline(always)]
    unsafe fn load(p: *const u32) -> Self {
        Two(
            _mm256_loadu_si256(p.cast()),
            _mm256_loadu_si256(p.add(8).cast()),
        )
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u32) {
        _mm256_storeu_si256(p.cast(), self.0);
        _mm256_storeu_si256(p.add(8).cast(), self.1);
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        Two(_mm256_add_epi32(self.0, b.0), _mm256_add_epi32(self.1, b.1))
    }
    #[inline(always)]
    unsafe fn and(self, b: Self) -> Self {
        Two(_mm256_and_si256(self.0, b.0), _mm256_and_si256(self.1, b.1))
    }
    #[inline(always)]
    unsafe fn le(self, b: Self) -> Self::Mask {
        // k ≤ m as max(k, m) = m (no unsigned compare in AVX2).
        Two(
            _mm256_cmpeq_epi32(_mm256_max_epu32(self.0, b.0), b.0),
            _mm256_cmpeq_epi32(_mm256_max_epu32(self.1, b.1), b.1),
        )
    }
    #[inline(always)]
    unsafe fn add_where(self, m: Self::Mask, b: Self) -> Self {
        self.add(m.and(b))
    }
    #[inline(always)]
    unsafe fn all_eq(self, b: Self) -> bool {
        let eq = _mm256_and_si256(
            _mm256_cmpeq_epi32(self.0, b.0),
            _mm256_cmpeq_epi32(self.1, b.1),
        );
        _mm256_movemask_epi8(eq) == -1
    }
    #[inline(always)]
    unsafe fn store_high_u16(self, p: *mut u16) {
        // Packed per 128-bit half (values < 2^16), then the halves put back in order.
        let v = _mm256_packus_epi32(
            _mm256_srli_epi32::<16>(self.0),
            _mm256_srli_epi32::<16>(self.1),
        );
        _mm256_storeu_si256(p.cast(), _mm256_permute4x64_epi64::<0b11_01_10_00>(v));
    }
}
