use super::*;

fn f(x: I64F64) -> f64 {
    x.to_num::<f64>()
}

#[test]
fn exp_special_cases() {
    assert_eq!(exp_i64f64(I64F64::ZERO), Some(I64F64::ONE));
    let e23 = exp_i64f64(I64F64::ONE).unwrap();
    assert_eq!(f(e23), 2.7182817459106445);
    // exp(−1) goes through the series, not through the E23 constant.
    let inv = exp_i64f64(-I64F64::ONE).unwrap();
    assert!((f(inv) - (-1f64).exp()).abs() < 1e-15);
    assert_ne!(inv, I64F64::ONE / e23);
}

#[test]
fn exp_series_values() {
    // 63 terms: accurate for the root epoch's range [−ρκ, ρ(1−κ)]; the truncated series drifts
    // for larger |x| (1e-7 at 30), as in the reference.
    for x in [
        -30.0f64, -10.0, -5.0, -0.5, -1e-9, 1e-9, 0.25, 2.0, 5.0, 10.0, 20.0, 30.0,
    ] {
        let got = f(exp_i64f64(I64F64::from_num(x)).unwrap());
        let want = x.exp();
        let tol = if x.abs() <= 10.0 { 1e-12 } else { 1e-6 };
        assert!(
            ((got - want) / want).abs() < tol,
            "exp({x}) = {got}, want {want}"
        );
    }
}

#[test]
fn exp_bits_pinned() {
    // Independent big-integer evaluation of the §5.2 series (tests/test_yuma.py repeats it).
    assert_eq!(
        exp_i64f64(I64F64::from_num(2)).unwrap().to_bits(),
        136304026803256390399
    );
    assert_eq!(
        exp_i64f64(I64F64::from_num(-5)).unwrap().to_bits(),
        124293183874348897
    );
}

#[test]
fn exp_overflow_is_none() {
    assert!(exp_i64f64(I64F64::from_num(50)).is_none());
    assert!(exp_i64f64(I64F64::MAX).is_none());
    assert!(exp_i64f64(I64F64::MIN).is_none()); // |MIN| is not representable
    assert!(exp_i64f64(I64F64::from_num(-50)).is_none()); // 1 ⊘ exp(50): exp(50) fails first
}

#[test]
fn aborts_in_rule_order() {
    assert_eq!(
        root_epoch_values(&[], &[], 0, 32767, 10, 1),
        Err(RootAbort::NoValidators)
    );
    assert_eq!(
        root_epoch_values(&[1], &[], 0, 32767, 10, 1),
        Err(RootAbort::NoNetworks)
    );
    assert_eq!(
        root_epoch_values(&[0, 0], &[], 3, 32767, 10, 1),
        Err(RootAbort::ZeroStake)
    );
    // A huge ρ pushes −(trust − κ)·ρ beyond the series' range.
    let w = vec![vec![(0, 65535)], vec![]];
    assert_eq!(
        root_epoch_values(&[1, 1], &w, 2, 32767, 65535, 1),
        Err(RootAbort::ExpOverflow)
    );
    let reasons: Vec<&str> = [
        RootAbort::NoValidators,
        RootAbort::NoNetworks,
        RootAbort::ZeroStake,
        RootAbort::ExpOverflow,
    ]
    .iter()
    .map(RootAbort::reason)
    .collect();
    assert_eq!(
        reasons,
        ["no_validators", "no_networks", "zero_stake", "exp_overflow"]
    );
}

/// §15.9 root epoch: 10 validators with stake 1000; uid i weights netuids 0..i−1 with 65535;
/// netuids 0..=10; Rho 30, Kappa 32767, BlockEmission 10^9.
fn v15_9() -> Vec<u64> {
    let stake = vec![1000u64; 10];
    let weights: Vec<Vec<(usize, u16)>> = (0..10)
        .map(|i| (0..i).map(|k| (k, 65535)).collect())
        .collect();
    root_epoch_values(&stake, &weights, 11, 32767, 30, 1_000_000_000).unwrap()
}

#[test]
fn v15_9_root_epoch() {
    let e = v15_9();
    assert_eq!(e.len(), 11);
    // Netuid k is weighted by uids k+1..9: trust (9 − k)/10, decreasing; 9 and 10 get 0.
    assert!(e.windows(2).take(8).all(|p| p[0] > p[1]), "{e:?}");
    assert_eq!(e[9], 0);
    assert_eq!(e[10], 0);
    let total: u64 = e.iter().sum();
    assert!(total <= 1_000_000_000 && total > 1_000_000_000 - 11);
    // Bit-exact values, confirmed by the independent integer implementation in
    // tests/test_yuma.py; netuid 1's 246 922 263 is also the emission value of §15.12.
    assert_eq!(e, V15_9_EXPECTED);
}

const V15_9_EXPECTED: [u64; 11] = [
    277820113, 246922263, 215549466, 176432500, 77181559, 5857251, 229035, 7619, 189, 0, 0,
];

#[test]
fn weights_quirks_follow_the_dense_reference_matrix() {
    // Column ≥ K and rows ≥ n are ignored; a repeated column keeps its last value.
    let stake = [1u64, 3];
    let a = vec![
        vec![(0, 10), (0, 65535), (5, 7)],
        vec![(1, 65535)],
        vec![(0, 1)],
    ];
    let b = vec![vec![(0, 65535)], vec![(1, 65535)]];
    assert_eq!(
        root_epoch_values(&stake, &a, 2, 32767, 10, 1_000_000_000),
        root_epoch_values(&stake, &b, 2, 32767, 10, 1_000_000_000)
    );
}

/// The series with fixed-point divisions and every one of its 62 terms, as §5.2 states it.
fn exp_literal(x: I64F64) -> Option<I64F64> {
    if x == 0 {
        return Some(I64F64::ONE);
    }
    if x == 1 {
        return Some(I64F64::from_bits(22_802_600i128 << (64 - 23)));
    }
    let y = if x < 0 { x.checked_neg()? } else { x };
    let mut result = y.checked_add(I64F64::ONE)?;
    let mut term = y;
    for i in 2..64 {
        term = term.checked_mul(y)?;
        term = term.checked_div(I64F64::from_num(i))?;
        result = result.checked_add(term)?;
    }
    if x < 0 {
        result = I64F64::ONE.checked_div(result)?;
    }
    Some(result)
}

/// `exp_i64f64` (integer divisions, stopping at the first zero term) is the literal series.
#[test]
fn exp_is_the_literal_series() {
    let mut rng = crate::testutil::XorShift(0x853c_49e6_748f_ea9b);
    let mut next = || rng.next();
    let mut xs: Vec<I64F64> = (-60..=60).map(I64F64::from_num).collect();
    xs.extend([I64F64::DELTA, -I64F64::DELTA, I64F64::MAX, I64F64::MIN]);
    for _ in 0..20_000 {
        // |x| up to 2^(6..70) in bits: fractions of a unit up to ~64, both signs
        let bits = ((next() as i128) << 6 >> (next() % 64)) * if next() % 2 == 0 { 1 } else { -1 };
        xs.push(I64F64::from_bits(bits));
    }
    for x in xs {
        assert_eq!(exp_i64f64(x), exp_literal(x), "x bits {}", x.to_bits());
    }
}
