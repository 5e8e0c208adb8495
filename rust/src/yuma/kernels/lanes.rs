//! The hand-written loops written once (memchr's `Vector` pattern): two small lane traits whose
//! methods wrap the intrinsics of one instruction set, each implemented in `avx512.rs` and
//! `avx2.rs` —
//! * [`Lanes`]: one vector of u64 lanes, `__m512i` (8) or `__m256i` (4);
//! * [`Words`]: 16 u32 lanes, one `__m512i` or a pair of `__m256i` (`avx2::Two`);
//!
//! and the loops generic over them: [`load_normalize`], [`clip`], [`ema_store`], [`finish`]
//! (u64 lanes), [`scatter_runs`], [`stake_at_most_u32`] (u32 lanes). Each file instantiates them
//! in `#[target_feature]` entry points ([`lanes_entries!`]), into which the generic loops and the
//! traits' `#[inline(always)]` methods inline, compiled for that instruction set.
//!
//! Every value the loops hold is below 2^63, so [`Lanes`]' compare, min and max need only be
//! right there: AVX-512 uses its unsigned 64-bit instructions, AVX2 its signed ones. A lane mask
//! is the instruction set's own (a mask register, or a vector of all-ones lanes), and each
//! masked operation the loops need is a method, so neither side emulates the other's form: the
//! instantiated loops are the instructions the two hand-written files had (`mod.rs` has the
//! measurements).

/// One vector of `N` u64 lanes.
///
/// # Safety
/// Every method executes instructions of the implementing instruction set: callers must run
/// only where the CPU has it, inside a function compiled with it (`#[target_feature]`), so that
/// the `#[inline(always)]` bodies inline into it. The pointer methods read or write `N`
/// elements from their pointer, which must be valid for that (no alignment needed).
pub(super) trait Lanes: Copy {
    /// Lanes per vector.
    const N: usize;
    /// A lane mask.
    type Mask: Copy;
    /// `N` u32 lanes: a vector of lanes below 2^32, narrowed.
    type Half: Copy;

    /// Every lane `x`.
    unsafe fn splat(x: u64) -> Self;
    /// Lane `c` holds `c`.
    unsafe fn iota() -> Self;
    /// `N` u64 at `p`.
    unsafe fn load(p: *const u64) -> Self;
    /// `N` u32 at `p`, widened.
    unsafe fn load_u32(p: *const u32) -> Self;
    /// `N` u16 at `p`, widened.
    unsafe fn load_u16(p: *const u16) -> Self;
    /// Writes the lanes to `p`.
    unsafe fn store(self, p: *mut u64);
    /// `self + b` (wrapping).
    unsafe fn add(self, b: Self) -> Self;
    /// `self − b` (wrapping).
    unsafe fn sub(self, b: Self) -> Self;
    /// The product of the low 32 bits of each lane (`vpmuludq`).
    unsafe fn mul32(self, b: Self) -> Self;
    /// `self >> 32`.
    unsafe fn shr32(self) -> Self;
    /// `self << 16`.
    unsafe fn shl16(self) -> Self;
    /// `self << s`, lane by lane (`s < 64`).
    unsafe fn shl(self, s: Self) -> Self;
    /// The smaller lane of each pair; both below 2^63.
    unsafe fn min(self, b: Self) -> Self;
    /// The larger lane of each pair; both below 2^63.
    unsafe fn max(self, b: Self) -> Self;
    /// The lanes where `self == b`.
    unsafe fn eq(self, b: Self) -> Self::Mask;
    /// `b` in the lanes of `m`, `self` elsewhere.
    unsafe fn select(self, m: Self::Mask, b: Self) -> Self;
    /// `self + b` in the lanes of `m`, `self` elsewhere.
    unsafe fn add_where(self, m: Self::Mask, b: Self) -> Self;
    /// `self + 1` outside the lanes of `m`, `self` in them.
    unsafe fn inc_where_not(self, m: Self::Mask) -> Self;
    /// 0 in the lanes of `m`, `self` elsewhere.
    unsafe fn zero_where(self, m: Self::Mask) -> Self;
    /// The lanes (each below 2^32) as u32.
    unsafe fn narrow(self) -> Self::Half;
    /// `min(lane, 2^32 − 1)` as u32.
    unsafe fn narrow_sat(self) -> Self::Half;
    /// `N` u32 at `p`.
    unsafe fn load_half(p: *const u32) -> Self::Half;
    /// Writes `h` to `p`.
    unsafe fn store_half(h: Self::Half, p: *mut u32);
    /// The larger u32 lane of each pair.
    unsafe fn max_half(a: Self::Half, b: Self::Half) -> Self::Half;
    /// The sum of the lanes (wrapping).
    unsafe fn sum(self) -> u64;
    /// The largest lane.
    unsafe fn top(self) -> u64;
}

/// Sixteen u32 lanes (a block of `RUN`, or a strip row of `LANES`): one AVX-512 vector, or a
/// pair of AVX2 vectors.
///
/// # Safety
/// As [`Lanes`]; the pointer methods read or write 16 elements.
pub(super) trait Words: Copy {
    /// A lane mask.
    type Mask: Copy;

    /// Every lane `x`.
    unsafe fn splat(x: u32) -> Self;
    /// Lane `c` holds `c`.
    unsafe fn iota() -> Self;
    /// 16 u32 at `p`.
    unsafe fn load(p: *const u32) -> Self;
    /// Writes the lanes to `p`.
    unsafe fn store(self, p: *mut u32);
    /// `self + b` (wrapping).
    unsafe fn add(self, b: Self) -> Self;
    /// `self & b`.
    unsafe fn and(self, b: Self) -> Self;
    /// The lanes where `self ≤ b` (unsigned).
    unsafe fn le(self, b: Self) -> Self::Mask;
    /// `self + b` in the lanes of `m`, `self` elsewhere.
    unsafe fn add_where(self, m: Self::Mask, b: Self) -> Self;
    /// Whether every lane of `self` equals `b`'s.
    unsafe fn all_eq(self, b: Self) -> bool;
    /// Writes the high 16 bits of each lane to `p`, as 16 u16.
    unsafe fn store_high_u16(self, p: *mut u16);
}

/// `fx::mul_lt` lane by lane: `k < 2^32`, `v ≤ 2^32` (`v = 2^32` adds `k` to the empty product).
///
/// # Safety
/// As [`Lanes`].
#[inline(always)]
unsafe fn mul_lt<V: Lanes>(k: V, v: V) -> V {
    let p = k.mul32(v).shr32();
    p.add_where(v.eq(V::splat(super::ONE)), k)
}

/// `fx::div_parts` lane by lane on scaled numerators `xs = x·2^σ ≤ 2^32`:
/// `xs + ⌊(xs·μ_hi + ⌊xs·μ_lo / 2^32⌋) / 2^32⌋`.
///
/// # Safety
/// As [`Lanes`].
#[inline(always)]
unsafe fn div_with<V: Lanes>(xs: V, mu_lo: V, mu_hi: V) -> V {
    let t = xs.mul32(mu_hi).add(xs.mul32(mu_lo).shr32());
    xs.add(t.shr32())
}

/// `Cols::div` on columns `j..j + N` (each x ≤ its d).
///
/// # Safety
/// As [`Lanes`], and `j + N` must not exceed the length of `cols`' arrays.
#[inline(always)]
unsafe fn div<V: Lanes>(x: V, cols: &super::Cols<'_>, j: usize) -> V {
    // SAFETY: the caller guarantees j + N ≤ the arrays' length.
    let (mu_lo, mu_hi, shift) = unsafe {
        (
            V::load(cols.mu_lo.as_ptr().add(j)),
            V::load(cols.mu_hi.as_ptr().add(j)),
            V::load(cols.shift.as_ptr().add(j)),
        )
    };
    div_with(x.shl(shift), mu_lo, mu_hi)
}

/// `fx::dec`: keys back to their bits (`u32::MAX` is 1.0 = 2^32).
///
/// # Safety
/// As [`Lanes`].
#[inline(always)]
unsafe fn dec<V: Lanes>(k: V) -> V {
    k.select(k.eq(V::splat(u64::from(u32::MAX))), V::splat(super::ONE))
}

/// The `a_i < 1` case of [`super::load_normalize`], `N` entries at a time, for the entries
/// `0..returned` (a multiple of `N`; the caller finishes the tail). By hand because the
/// compiler, knowing a_i < 2^32 from the caller's branch, drops the 32-bit mask of `vpmuludq`
/// on the hoisted splat and multiplies in 64 bits (`vpmullq`, or scalar `imul` on AVX2).
///
/// # Safety
/// As [`Lanes`].
#[inline(always)]
pub(super) unsafe fn load_normalize<V: Lanes>(
    w: &[u16],
    skip: usize,
    d: &super::Divisor,
    ai: u64,
    row: &mut [u32],
    r0: &mut [u64],
    mx: &mut [u32],
) -> usize {
    let n = row.len();
    let end = n / V::N * V::N;
    assert!(w.len() >= n && r0.len() >= n && mx.len() >= n);
    let (mu_hi, mu_lo) = (V::splat(u64::from(d.mu_hi)), V::splat(u64::from(d.mu_lo)));
    let shift = V::splat(u64::from(d.shift));
    // Opaque to the optimiser: see above.
    let aiv = V::splat(std::hint::black_box(ai));
    let (iota, skipv) = (V::iota(), V::splat(skip as u64));
    for j in (0..end).step_by(V::N) {
        // SAFETY: j + N ≤ n ≤ the length of every slice read or written (asserted above).
        unsafe {
            let x = V::load_u16(w.as_ptr().add(j));
            let x = x.zero_where(iota.add(V::splat(j as u64)).eq(skipv)); // the diagonal: 0
            let q = div_with(x.shl(shift), mu_lo, mu_hi); // d.div(x)
            let e = q.narrow_sat(); // min(q, 2^32 − 1)
            V::store_half(e, row.as_mut_ptr().add(j));
            let rp = r0.as_mut_ptr().add(j);
            V::load(rp).add(mul_lt(aiv, q)).store(rp);
            let mp = mx.as_mut_ptr().add(j);
            V::store_half(V::max_half(V::load_half(mp), e), mp);
        }
    }
    end
}

/// The `a_i < 1` case of [`super::clip_row`], `N` entries at a time, for the entries
/// `0..returned.0` (a multiple of `N`; the caller finishes the tail), with their part of `VT_i`.
///
/// # Safety
/// As [`Lanes`].
#[inline(always)]
pub(super) unsafe fn clip<V: Lanes>(
    row: &[u32],
    c: &[u64],
    ai: u64,
    r: &mut [u64],
) -> (usize, u64) {
    let n = row.len();
    let end = n / V::N * V::N;
    assert!(c.len() >= n && r.len() >= n);
    // Opaque to the optimiser (see `load_normalize`).
    let aiv = V::splat(std::hint::black_box(ai));
    let mut sum = V::splat(0);
    for j in (0..end).step_by(V::N) {
        // SAFETY: j + N ≤ n ≤ the length of every slice read or written (asserted above).
        unsafe {
            let k = dec(V::load_u32(row.as_ptr().add(j)));
            let clipped = k.min(V::load(c.as_ptr().add(j)));
            sum = sum.add(clipped);
            let rp = r.as_mut_ptr().add(j);
            V::load(rp).add(mul_lt(aiv, clipped)).store(rp);
        }
    }
    (end, sum.sum())
}

/// The usual case of [`super::ema_store_row`] (weights and bonds, a_i, α, α' < 1), `N` entries at
/// a time, for the entries `0..returned.0` (a multiple of `N`; the caller finishes the tail), with
/// their largest value: the same operations as `ema_row` then `store_row`. By hand because the
/// compiler hoists the splat of each row constant out of the loop and then no longer sees that
/// it fits 32 bits (a 64-bit multiply instead of `vpmuludq`).
///
/// # Safety
/// As [`Lanes`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn ema_store<V: Lanes>(
    k: &super::EmaFast,
    row: &mut [u32],
    c: &[u64],
    delta: &super::Cols<'_>,
    b: &[u16],
    bond: &super::Cols<'_>,
    vals: &mut [u64],
    sum: &mut [u64],
    max: &mut [u64],
) -> (usize, u64) {
    let n = row.len();
    let end = n / V::N * V::N;
    assert!(c.len() >= n && b.len() >= n && vals.len() >= n && sum.len() >= n && max.len() >= n);
    assert!(delta.mu_lo.len() >= n && bond.mu_lo.len() >= n);
    let (ai, alpha, alpha1) = (
        V::splat(std::hint::black_box(k.ai)),
        V::splat(std::hint::black_box(k.alpha)),
        V::splat(std::hint::black_box(k.alpha1)),
    );
    let mut top = V::splat(0);
    for j in (0..end).step_by(V::N) {
        // SAFETY: j + N ≤ n ≤ the length of every slice read or written (asserted above).
        unsafe {
            let rp = row.as_mut_ptr().add(j);
            let clipped = dec(V::load_u32(rp)).min(V::load(c.as_ptr().add(j)));
            let q1 = div(mul_lt(ai, clipped), delta, j);
            let q2 = div(V::load_u16(b.as_ptr().add(j)), bond, j);
            let t = mul_lt(alpha, q1).add(mul_lt(alpha1, q2));
            t.store(vals.as_mut_ptr().add(j));
            let sp = sum.as_mut_ptr().add(j);
            V::load(sp).add(t).store(sp);
            let mp = max.as_mut_ptr().add(j);
            V::load(mp).max(t).store(mp);
            top = top.max(t);
            V::store_half(t.narrow_sat(), rp); // min(t, 2^32 − 1)
        }
    }
    (end, top.top())
}

/// The usual case of [`super::finish_row`] (storing, every I_j < 1), `N` entries at a time, for
/// the entries `0..returned.0` (a multiple of `N`; the caller finishes the tail), with their part
/// of `D_i`. The same operations as the portable loop.
///
/// # Safety
/// As [`Lanes`].
#[inline(always)]
pub(super) unsafe fn finish<V: Lanes>(
    row: &mut [u32],
    cols: &super::FinishCols<'_>,
) -> (usize, u64) {
    let n = row.len();
    let end = n / V::N * V::N;
    let (norm, inc, up) = (
        &cols.norm.cols(n),
        &cols.incentive[..n],
        &cols.upscale.cols(n),
    );
    let zero = V::splat(0);
    let mut d = zero;
    for j in (0..end).step_by(V::N) {
        // SAFETY: j + N ≤ n ≤ the length of every slice read or written (the column arrays
        // and `inc` were cut to n above, `row` has n).
        unsafe {
            let rp = row.as_mut_ptr().add(j);
            let x = V::load_u32(rp);
            let b = div(x, norm, j);
            d = d.add(mul_lt(V::load(inc.as_ptr().add(j)), b));
            let u = div(b, up, j); // b ≤ M_j
            let p = u.shl16().sub(u).shr32(); // ⌊u·65535 / 2^32⌋
            V::store_half(p.inc_where_not(x.eq(zero)).narrow(), rp); // + 1: the entry mark
        }
    }
    (end, d.sum())
}

/// The leading blocks of 16 consecutive uids of [`super::scatter_bytes`]' input, one block of
/// 16 words at a time, while they are in order (first uid ≥ `next`) and inside the row; returns
/// the bytes consumed (the caller checks and copies the next block its own way). x86 is
/// little-endian: a pair's word has the uid in its low 16 bits, the value in its high 16.
///
/// # Safety
/// As [`Words`].
#[inline(always)]
pub(super) unsafe fn scatter_runs<W: Words>(
    bytes: &[u8],
    row: &mut [u16],
    next: &mut usize,
) -> usize {
    const _: () = assert!(super::RUN == 16);
    let n = row.len();
    let (iota, low) = (W::iota(), W::splat(0xffff));
    let mut off = 0;
    while let Some(block) = bytes.get(off..off + 4 * super::RUN) {
        let j0 = usize::from(u16::from_le_bytes([block[0], block[1]]));
        if j0 < *next || j0 + super::RUN > n {
            break;
        }
        // SAFETY: `block` is 64 bytes (unaligned load); the store writes row[j0..j0 + 16],
        // inside the row (j0 + 16 ≤ n checked above).
        unsafe {
            let w = W::load(block.as_ptr().cast());
            if !w.and(low).all_eq(W::splat(j0 as u32).add(iota)) {
                break;
            }
            w.store_high_u16(row.as_mut_ptr().add(j0));
        }
        *next = j0 + super::RUN;
        off += 4 * super::RUN;
    }
    off
}

/// [`super::stake_at_most_u32`]: per row of the strip, one unsigned compare of its 16 keys with
/// the 16 midpoints selects the lanes to which the row's stake is added.
///
/// # Safety
/// As [`Words`].
#[inline(always)]
pub(super) unsafe fn stake_at_most_u32<W: Words>(
    strip: &[u32],
    st: &[u32],
    mid: &[u32; super::LANES],
) -> [u32; super::LANES] {
    const _: () = assert!(super::LANES == 16);
    // SAFETY: `mid` holds 16 u32.
    let midv = unsafe { W::load(mid.as_ptr()) };
    let mut acc = W::splat(0);
    for (seg, &s) in strip.chunks_exact(super::LANES).zip(st) {
        // SAFETY: `seg` is a chunk of exactly 16 u32.
        let keys = unsafe { W::load(seg.as_ptr()) };
        acc = acc.add_where(keys.le(midv), W::splat(s));
    }
    let mut out = [0u32; super::LANES];
    // SAFETY: `out` holds 16 u32.
    unsafe { acc.store(out.as_mut_ptr()) };
    out
}

/// The entry points of the shared loops for one instruction set:
/// `lanes_entries!(V, W, "feature")` defines `load_normalize`, `clip`, `ema_store`, `finish`
/// (over the [`Lanes`] `V`), `scatter_runs` and `stake_at_most_u32` (over the [`Words`] `W`), with
/// the signatures above less the type, each compiled with the feature and called only when
/// `Simd::checked` says the CPU has it.
macro_rules! lanes_entries {
    ($v:ty, $w:ty, $feature:literal) => {
        /// [`super::lanes::load_normalize`] on this instruction set.
        #[target_feature(enable = $feature)]
        pub(super) fn load_normalize(
            w: &[u16],
            skip: usize,
            d: &super::Divisor,
            ai: u64,
            row: &mut [u32],
            r0: &mut [u64],
            mx: &mut [u32],
        ) -> usize {
            // SAFETY: this function runs only where the CPU has the feature it is compiled with.
            unsafe { super::lanes::load_normalize::<$v>(w, skip, d, ai, row, r0, mx) }
        }

        /// [`super::lanes::clip`] on this instruction set.
        #[target_feature(enable = $feature)]
        pub(super) fn clip(row: &[u32], c: &[u64], ai: u64, r: &mut [u64]) -> (usize, u64) {
            // SAFETY: this function runs only where the CPU has the feature it is compiled with.
            unsafe { super::lanes::clip::<$v>(row, c, ai, r) }
        }

        /// [`super::lanes::ema_store`] on this instruction set.
        #[target_feature(enable = $feature)]
        #[allow(clippy::too_many_arguments)]
        pub(super) fn ema_store(
            k: &super::EmaFast,
            row: &mut [u32],
            c: &[u64],
            delta: &super::Cols<'_>,
            b: &[u16],
            bond: &super::Cols<'_>,
            vals: &mut [u64],
            sum: &mut [u64],
            max: &mut [u64],
        ) -> (usize, u64) {
            // SAFETY: this function runs only where the CPU has the feature it is compiled with.
            unsafe { super::lanes::ema_store::<$v>(k, row, c, delta, b, bond, vals, sum, max) }
        }

        /// [`super::lanes::finish`] on this instruction set.
        #[target_feature(enable = $feature)]
        pub(super) fn finish(row: &mut [u32], cols: &super::FinishCols<'_>) -> (usize, u64) {
            // SAFETY: this function runs only where the CPU has the feature it is compiled with.
            unsafe { super::lanes::finish::<$v>(row, cols) }
        }

        /// [`super::lanes::scatter_runs`] on this instruction set.
        #[target_feature(enable = $feature)]
        pub(super) fn scatter_runs(bytes: &[u8], row: &mut [u16], next: &mut usize) -> usize {
            // SAFETY: this function runs only where the CPU has the feature it is compiled with.
            unsafe { super::lanes::scatter_runs::<$w>(bytes, row, next) }
        }

        /// [`super::lanes::stake_at_most_u32`] on this instruction set.
        #[target_feature(enable = $feature)]
        pub(super) fn stake_at_most_u32(
            strip: &[u32],
            st: &[u32],
            mid: &[u32; super::LANES],
        ) -> [u32; super::LANES] {
            // SAFETY: this function runs only where the CPU has the feature it is compiled with.
            unsafe { super::lanes::stake_at_most_u32::<$w>(strip, st, mid) }
        }
    };
}
pub(super) use lanes_entries;
