use super::*;

fn input(reg: u16, pow: u16, brn: u16, alpha: u64) -> AdjustInput {
    AdjustInput {
        registrations: reg,
        pow_registrations: pow,
        burn_registrations: brn,
        target: 1,
        adjustment_alpha: alpha,
        min_burn: 1,
        max_burn: u64::MAX,
        min_difficulty: 1,
        max_difficulty: u64::MAX,
    }
}

#[test]
fn worked_adjustments() {
    assert_eq!(
        adjust_registration_terms(1000, 10000, &input(2, 0, 2, 58000))
            .unwrap()
            .0,
        1500
    );
    let half = u64::MAX / 2;
    assert_eq!(
        adjust_registration_terms(1000, 10000, &input(2, 0, 2, half))
            .unwrap()
            .0,
        1250
    );
    assert_eq!(
        adjust_registration_terms(1000, 10000, &input(3, 2, 1, 58000)).unwrap(),
        (1000, 20000)
    );
    assert_eq!(
        adjust_registration_terms(1000, 10000, &input(3, 1, 2, 58000)).unwrap(),
        (2000, 10000)
    );
    // E with no registrations halves both
    assert_eq!(
        adjust_registration_terms(1000, 10000, &input(0, 0, 0, 0)).unwrap(),
        (500, 5000)
    );
}
