//! The bit arithmetic of `fx` and the O(n) steps built on it, against the `fixed` crate and
//! 128-bit definitions: ⊗, ⊘, the divider family, the key encoding, κ and α, the pruning scores.

use super::*;
use crate::yuma::fx::{self, dec, enc, mul, Divisor, Divisors, WideRecip};
use crate::yuma::steps::{ema_alpha, pruning_scores};

#[test]
fn wide_recip_is_exact() {
    let rng = Rng::new(0xDEC0DE);
    let mut ds = vec![
        1u64,
        2,
        3,
        7,
        u64::MAX,
        u64::MAX - 1,
        1 << 63,
        (1 << 63) + 1,
        1 << 32,
    ];
    ds.extend((0..3000).map(|_| 1 + rng.below(1 << (1 + rng.below(63)))));
    for &d in &ds {
        let r = WideRecip::new(d);
        let top = (u128::from(d) << 32) - 1; // largest x with a 64-bit quotient
        let mut xs = vec![
            0,
            1,
            d,
            d - 1,
            d / 2,
            u64::try_from(top).unwrap_or(u64::MAX),
        ];
        xs.extend((0..40).map(|_| rng.below(d.saturating_add(1))));
        for x in xs {
            if u128::from(x) > top {
                continue;
            }
            let want = (u128::from(x) << 32) / u128::from(d);
            assert_eq!(u128::from(r.div(x)), want, "x = {x}, d = {d}");
        }
    }
}

#[test]
fn pruning_scores_match_vec_max_upscale() {
    let rng = Rng::new(515);
    for _ in 0..3000 {
        let n = 1 + rng.below(40) as usize;
        let shares: Vec<u64> = (0..n)
            .map(|_| match rng.below(5) {
                0 => 0,
                1 => fx::ONE,
                2 => rng.below(100),
                _ => rng.below(fx::ONE + 1),
            })
            .collect();
        let fixed: Vec<I32F32> = shares
            .iter()
            .map(|&x| I32F32::from_bits(x as i64))
            .collect();
        assert_eq!(
            pruning_scores(&shares),
            vec_max_upscale_to_u16(&fixed),
            "{shares:?}"
        );
    }
}

#[test]
fn fx_ops_match_fixed_crate() {
    let rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    for _ in 0..200_000 {
        let a = rng.below(1 << 34);
        let b = rng.below(1 << 34);
        let fa = I32F32::from_bits(a as i64);
        let fb = I32F32::from_bits(b as i64);
        assert_eq!(mul(a, b), (fa * fb).to_bits() as u64);
        if b > 0 && a <= b {
            assert_eq!(fx::div(a, b), (fa / fb).to_bits() as u64);
        }
    }
}

/// Both members of the division family against the 128-bit definition, each over its domain
/// (see `fx`): `Divisor`/`Divisors` for `x ≤ d ≤ 2^32` (0 taken as 2^32), `WideRecip` for any d
/// and `x < d·2^32`; where the domains meet they agree.
#[test]
fn division_family_is_exact() {
    let rng = Rng::new(12345);
    let want = |d: u64, x: u64| ((u128::from(x) << 32) / u128::from(d)) as u64;
    for shift in 0..64 {
        for _ in 0..2000 {
            let d = (rng.next() >> shift).max(1);
            let x = match rng.below(5) {
                0 => d,
                1 => 0,
                2 => rng.below(fx::ONE),
                3 => rng.below(d.min(fx::ONE)),
                _ => rng.below(d + 1),
            };
            let q = want(d, x);
            assert_eq!(WideRecip::new(d).div(x), q, "x={x} d={d}");
            if d <= fx::ONE && x <= d {
                assert_eq!(Divisor::new(d).div(x), q, "x={x} d={d}");
                assert_eq!(Divisors::new(&[7, d]).div(1, x), q, "x={x} d={d}");
            }
        }
    }
    let edges = [
        1,
        2,
        3,
        5,
        fx::ONE - 1,
        fx::ONE,
        fx::ONE + 1,
        (1 << 47) - 1,
        u64::MAX,
        i64::MAX as u64,
    ];
    for d in edges {
        for x in [
            0,
            1,
            2,
            d / 3,
            d / 2,
            d - 1,
            d,
            fx::ONE - 1,
            fx::ONE,
            fx::ONE + 1,
        ] {
            if x <= d {
                assert_eq!(WideRecip::new(d).div(x), want(d, x), "x={x} d={d}");
            }
            if x <= d && d <= fx::ONE {
                assert_eq!(Divisor::new(d).div(x), want(d, x), "x={x} d={d}");
            }
        }
    }
    // Divisor(0) is the identity (a zero sum leaves its zero parts, a zero maximum its column).
    for x in [0, 1, 77, fx::ONE - 1, fx::ONE] {
        assert_eq!(Divisor::new(0).div(x), x);
    }
}

#[test]
fn encoding_round_trips_and_orders() {
    for v in [0, 1, 12345, fx::ONE - 2, fx::ONE] {
        assert_eq!(dec(enc(v)), v);
    }
    assert!(enc(fx::ONE - 2) < enc(fx::ONE));
}

#[test]
fn kappa_and_alpha_bits() {
    // §4.2 step 7 and step 13 examples.
    assert_eq!(fx::div(32767u64 << 32, 65535u64 << 32), 2_147_450_879);
    let (alpha, rest) = ema_alpha(900_000);
    assert_eq!(rest, 3_865_470_566);
    assert_eq!(
        I32F32::from_bits(alpha as i64).to_num::<f64>(),
        0.10000000009313226
    );
}
