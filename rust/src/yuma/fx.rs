//! I32F32 arithmetic on raw bits (docs/ruleset.md §0.3) for the epoch's non-negative values,
//! and its one exact-division family.
//!
//! This file owns:
//! * `ONE`, `⊗` ([`mul`], and [`mul_p`] / [`mul_lt`], the same product from 32×32-bit products
//!   so that the row kernels vectorise), one-off `⊘` ([`div`]), the u32 keys of normalised
//!   weights ([`enc`] / [`dec`]) and `to_u16(x ⊗ 65535)` ([`proportion_u16`]);
//! * the exact dividers `⌊x·2^32 / d⌋` by an invariant d: [`Divisor`] (one divisor) and
//!   [`Divisors`] (one per column, in the layout SIMD loads want) for `d ≤ 2^32, x ≤ d`, and
//!   [`WideRecip`] for any `d` and numerators up to `d·2^32`.
//!
//! Every value is an I32F32 kept as its `bits` in a `u64` (the epoch produces no negative value),
//! so multiply floors, divide truncates and sums are exact, as §0.3 requires; the tests pin each
//! helper against the `fixed` crate or its 128-bit definition.
//!
//! # One division family, two domains
//! Every division of the epoch is `⌊x·2^32 / d⌋` by a divisor shared by many numerators, computed
//! as a multiplication by a precomputed reciprocal. Two domains occur and need different
//! reciprocals:
//! * **proportions**, `x ≤ d ≤ 2^32` (a part divided by the sum or maximum it belongs to: row and
//!   column normalisation, the max-upscale of step 19, the moving average's divisions): every
//!   O(n²) division. [`Divisor`] scales d into `(2^31, 2^32]` and multiplies by a 65-bit
//!   reciprocal using only 32×32-bit products, which is what SIMD lanes have, so the scalar code
//!   and every SIMD level run the same formula;
//! * **wide numerators**, `d` up to 2^64 and `x < d·2^32` (stakes in rao, step 2; shares summing
//!   to 2.0, step 15; the pruning scores' `x·65535`): O(n) divisions only. [`WideRecip`] divides
//!   a two-word numerator with one 64×64→128-bit product, which no SIMD level has.
//!
//! [`div`] is the definition itself (a hardware division), for one-off quotients.

use multiversion::multiversion;

/// The bits of 1.0.
pub const ONE: u64 = 1 << 32;

/// `a ⊗ b`: ⌊a·b / 2^32⌋ (floor; for non-negative values floor = truncation), for any operands
/// whose product fits (scalar code: one 64×64→128-bit multiply).
#[inline(always)]
pub fn mul(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) >> 32) as u64
}

/// `a ⊘ b` for b > 0: ⌊a·2^32 / b⌋ (truncation toward zero), for one-off divisions. The
/// caller guarantees that the quotient is an I32F32 (< 2^63); the epoch's are all ≤ 1.
#[inline]
pub fn div(a: u64, b: u64) -> u64 {
    debug_assert!(b > 0);
    let q = if a < ONE {
        (a << 32) / b
    } else {
        ((u128::from(a) << 32) / u128::from(b)) as u64
    };
    debug_assert!(q < 1 << 63);
    q
}

/// Normalised weights lie in [0, 2^32] and never equal 2^32 − 1 (see `steps::row_divisor`), so
/// a u32 holds them with 2^32 encoded as `u32::MAX`; the encoding preserves order. Used for
/// the median's keys and the stored rows of the normalised weights.
#[inline(always)]
pub fn enc(v: u64) -> u32 {
    debug_assert!(v <= ONE && v != ONE - 1);
    if v >= ONE {
        u32::MAX
    } else {
        v as u32
    }
}

/// Inverse of [`enc`].
#[inline(always)]
pub fn dec(e: u32) -> u64 {
    u64::from(e) + u64::from(e == u32::MAX)
}

/// `to_u16(x ⊗ 65535)` of a proportion x ≤ 1 (docs/ruleset.md §0.2): the product has bits
/// x·65535 exactly, so this is ⌊x·65535 / 2^32⌋ (x·65535 < 2^48). Written as a shift and a
/// subtraction, which SIMD lanes have (a 64-bit lane multiply they lack on AVX2).
#[inline(always)]
pub fn proportion_u16(x: u64) -> u16 {
    debug_assert!(x <= ONE);
    (((x << 16) - x) >> 32) as u16
}

// =====================================================================================
// ⊗ of proportions with 32×32-bit products (the form SIMD lanes have)
// =====================================================================================

const LO: u64 = 0xffff_ffff;

/// The product of the low 32 bits of a and b. Written with `as u32` so that the compiler
/// knows both factors fit 32 bits and emits the 32×32→64-bit multiply (`vpmuludq`); a `u64`
/// factor of unknown range (a hoisted mask, a `u64` array) costs a 64-bit multiply instead.
#[inline(always)]
pub(super) fn mul32(a: u64, b: u64) -> u64 {
    u64::from(a as u32) * u64::from(b as u32)
}

/// [`mul`] of proportions `a, b ≤ 2^32`, with 32×32-bit products only (the row kernels' form).
///
/// With `a = ah·2^32 + al` (ah ∈ {0, 1}, and al = 0 when ah = 1) and the same for b:
/// `a·b / 2^32 = al·bl / 2^32 + ah·bl + bh·al + ah·bh·2^32`; only the first term has a fraction.
#[inline(always)]
pub fn mul_p(a: u64, b: u64) -> u64 {
    debug_assert!(a <= ONE && b <= ONE);
    let (al, bl) = (a & LO, b & LO);
    let ah = (a >> 32).wrapping_neg(); // all ones when a = 2^32
    let bh = (b >> 32).wrapping_neg();
    (mul32(a, b) >> 32) + (bl & ah) + (al & bh) + (ah & bh & ONE)
}

/// `a ⊗ b` for `a < 2^32` and `b ≤ 2^32`: [`mul_p`] with fewer operations (one factor fits 32
/// bits, so only b can be 1.0 = 2^32, in which case the product is a).
#[inline(always)]
pub fn mul_lt(a: u64, b: u64) -> u64 {
    debug_assert!(a < ONE && b <= ONE);
    (mul32(a, b) >> 32) + (a & (b >> 32).wrapping_neg())
}

// =====================================================================================
// Exact division by an invariant divisor
// =====================================================================================

/// Division by an invariant divisor `1 ≤ d ≤ 2^32`: `div(x) = ⌊x·2^32 / d⌋` for `0 ≤ x ≤ d`
/// (every O(n²) division of the epoch, in both layouts: a proportion or a u16 by a sum or
/// maximum it is part of).
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
    pub(super) mu_lo: u32,
    pub(super) mu_hi: u32,
    pub(super) shift: u32,
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
pub(super) fn div_parts(x: u64, mu_lo: u64, mu_hi: u64, shift: u64) -> u64 {
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
pub(super) fn magic_small(d: u64, r: u64) -> u64 {
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
        debug_assert!(j < self.k);
        let k = self.k;
        div_parts(x, self.parts[j], self.parts[k + j], self.parts[2 * k + j])
    }

    /// The arrays cut to `n` columns (so that the loops need no bounds checks).
    #[inline(always)]
    pub(super) fn cols(&self, n: usize) -> Cols<'_> {
        let k = self.k;
        Cols {
            mu_lo: &self.parts[..k][..n],
            mu_hi: &self.parts[k..2 * k][..n],
            shift: &self.parts[2 * k..3 * k][..n],
        }
    }
}

pub(super) struct Cols<'a> {
    pub(super) mu_lo: &'a [u64],
    pub(super) mu_hi: &'a [u64],
    pub(super) shift: &'a [u64],
}

impl Cols<'_> {
    /// ⌊x·2^32 / d_j⌋ for `x ≤ d_j`.
    #[inline(always)]
    pub(super) fn div(&self, j: usize, x: u64) -> u64 {
        div_parts(x, self.mu_lo[j], self.mu_hi[j], self.shift[j])
    }
}

/// Many divisions by one divisor of any size: `div(x) = ⌊x·2^32 / d⌋` for `x < d·2^32` (the
/// quotient fits 64 bits), exact, with one 64×64→128-bit multiplication each: Möller and
/// Granlund's division of a two-word numerator by a normalised one-word divisor with a
/// precomputed reciprocal ("Improved division by invariant integers", 2011, alg. 4).
/// The wide domain of the family (see the file header): stakes in rao, sums above 1.0.
#[derive(Clone, Copy, Debug)]
pub struct WideRecip {
    /// d shifted left until its top bit is set.
    d: u64,
    /// ⌊(2^128 − 1) / d⌋ − 2^64.
    v: u64,
    shift: u32,
}

impl WideRecip {
    pub fn new(d: u64) -> Self {
        assert!(d > 0, "division by zero");
        let shift = d.leading_zeros();
        let d = d << shift;
        let v = (u128::MAX / u128::from(d) - (1u128 << 64)) as u64;
        WideRecip { d, v, shift }
    }

    #[inline]
    pub fn div(&self, x: u64) -> u64 {
        // N = x·2^32·2^shift < d·2^64 (the quotient fits), so N < 2^128 and u1 < d.
        let n = (u128::from(x) << 32) << self.shift;
        let (u1, u0) = ((n >> 64) as u64, n as u64);
        let q = u128::from(self.v) * u128::from(u1);
        let q = q.wrapping_add(n);
        let (mut q1, q0) = (((q >> 64) as u64).wrapping_add(1), q as u64);
        let mut r = u0.wrapping_sub(q1.wrapping_mul(self.d));
        if r > q0 {
            q1 = q1.wrapping_sub(1);
            r = r.wrapping_add(self.d);
        }
        if r >= self.d {
            q1 += 1;
        }
        q1
    }
}
