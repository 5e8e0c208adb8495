//! AVX-512: the lane traits of `lanes.rs` for this instruction set — [`Lanes`] (8 u64 lanes)
//! and [`Words`] (16 u32 lanes) for `__m512i` — with the entry points of the shared loops
//! compiled for AVX-512F, and the loops that exist for AVX-512 alone (`gather_marked`, the u64
//! `stake_at_most`: see `mod.rs`). Everything here is called only when `Simd::checked` says the
//! CPU has AVX-512F; each loop does the same integer operations as the portable loop it stands
//! in for.

use std::arch::x86_64::*;

use super::lanes::{lanes_entries, Lanes, Words};
use super::{LANES, RUN};

lanes_entries!(__m512i, __m512i, "avx512f");

// The methods compile to AVX-512F instructions: they run only inside the `#[target_feature]`
// entry points above (the trait's safety contract), into which they inline.
impl Lanes for __m512i {
    const N: usize = 8;
    type Mask = __mmask8;
    type Half = __m256i;

    #[inline(always)]
    unsafe fn splat(x: u64) -> Self {
        _mm512_set1_epi64(x as i64)
    }
    #[inline(always)]
    unsafe fn iota() -> Self {
        _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0)
    }
    #[inline(always)]
    unsafe fn load(p: *const u64) -> Self {
        _mm512_loadu_si512(p.cast())
    }
    #[inline(always)]
    unsafe fn load_u32(p: *const u32) -> Self {
        _mm512_cvtepu32_epi64(_mm256_loadu_si256(p.cast()))
    }
    #[inline(always)]
    unsafe fn load_u16(p: *const u16) -> Self {
        _mm512_cvtepu16_epi64(_mm_loadu_si128(p.cast()))
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u64) {
        _mm512_storeu_si512(p.cast(), self)
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        _mm512_add_epi64(self, b)
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        _mm512_sub_epi64(self, b)
    }
    #[inline(always)]
    unsafe fn mul32(self, b: Self) -> Self {
        _mm512_mul_epu32(self, b)
    }
    #[inline(always)]
    unsafe fn shr32(self) -> Self {
        _mm512_srli_epi64::<32>(self)
    }
    #[inline(always)]
    unsafe fn shl16(self) -> Self {
        _mm512_slli_epi64::<16>(self)
    }
    #[inline(always)]
    unsafe fn shl(self, s: Self) -> Self {
        _mm512_sllv_epi64(self, s)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        _mm512_min_epu64(self, b)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        _mm512_max_epu64(self, b)
    }
    #[inline(always)]
    unsafe fn eq(self, b: Self) -> Self::Mask {
        _mm512_cmpeq_epi64_mask(self, b)
    }
    #[inline(always)]
    unsafe fn select(self, m: Self::Mask, b: Self) -> Self {
        _mm512_mask_mov_epi64(self, m, b)
    }
    #[inline(always)]
    unsafe fn add_where(self, m: Self::Mask, b: Self) -> Self {
        _mm512_mask_add_epi64(self, m, self, b)
    }
    #[inline(always)]
    unsafe fn inc_where_not(self, m: Self::Mask) -> Self {
        _mm512_mask_add_epi64(self, !m, self, _mm512_set1_epi64(1))
    }
    #[inline(always)]
    unsafe fn zero_where(self, m: Self::Mask) -> Self {
        _mm512_maskz_mov_epi64(!m, self)
    }
    #[inline(always)]
    unsafe fn narrow(self) -> Self::Half {
        _mm512_cvtepi64_epi32(self)
    }
    #[inline(always)]
    unsafe fn narrow_sat(self) -> Self::Half {
        _mm512_cvtusepi64_epi32(self)
    }
    #[inline(always)]
    unsafe fn load_half(p: *const u32) -> Self::Half {
        _mm256_loadu_si256(p.cast())
    }
    #[inline(always)]
    unsafe fn store_half(h: Self::Half, p: *mut u32) {
        _mm256_storeu_si256(p.cast(), h)
    }
    #[inline(always)]
    unsafe fn max_half(a: Self::Half, b: Self::Half) -> Self::Half {
        _mm256_max_epu32(a, b)
    }
    #[inline(always)]
    unsafe fn sum(self) -> u64 {
        _mm512_reduce_add_epi64(self) as u64
    }
    #[inline(always)]
    unsafe fn top(self) -> u64 {
        _mm512_reduce_max_epu64(self)
    }
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

// As for `Lanes` above: AVX-512F instructions, inlined into the entry points.
impl Words for __m512i {
    type Mask = __mmask16;

    #[inline(always)]
    unsafe fn splat(x: u32) -> Self {
        _mm512_set1_epi32(x as i32)
    }
    #[inline(always)]
    unsafe fn iota() -> Self {
        _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
    }
    #[inline(always)]
    unsafe fn load(p: *const u32) -> Self {
        _mm512_loadu_si512(p.cast())
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u32) {
        _mm512_storeu_si512(p.cast(), self)
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        _mm512_add_epi32(self, b)
    }
    #[inline(always)]
    unsafe fn and(self, b: Self) -> Self {
        _mm512_and_si512(self, b)
    }
    #[inline(always)]
    unsafe fn le(self, b: Self) -> Self::Mask {
        _mm512_cmple_epu32_mask(self, b)
    }
    #[inline(always)]
    unsafe fn add_where(self, m: Self::Mask, b: Self) -> Self {
        _mm512_mask_add_epi32(self, m, self, b)
    }
    #[inline(always)]
    unsafe fn all_eq(self, b: Self) -> bool {
        _mm512_cmpneq_epi32_mask(self, b) == 0
    }
    #[inline(always)]
    unsafe fn store_high_u16(self, p: *mut u16) {
        _mm256_storeu_si256(
            p.cast(),
            _mm512_cvtepi32_epi16(_mm512_srli_epi32::<16>(self)),
        )
    }
}
