use super::*;
use crate::testutil::rule;

fn st(pairs: &[(u8, u64)]) -> State {
    let mut s = State::default();
    for (a, v) in pairs {
        s.set_free(&[*a; 32], *v);
    }
    s
}

#[test]
fn transfer_moves_and_keeps_ed() {
    let mut s = st(&[(1, 1000)]);
    let mut ev = Events::enabled();
    transfer(
        &mut s,
        &[1; 32],
        &Transfer {
            dest: [2; 32],
            amount: 500,
        },
        &mut ev,
    )
    .unwrap();
    assert_eq!(s.free(&[1; 32]), 500);
    assert_eq!(s.free(&[2; 32]), 500);
    assert_eq!(ev.list[0].name, "Transfer");
}

#[test]
fn transfer_errors_in_order() {
    let mut s = st(&[(1, 1000)]);
    let mut ev = Events::disabled();
    let e = |r: RuleError| Err(ChainError::Rule(r.into()));
    assert_eq!(
        transfer(
            &mut s,
            &[1; 32],
            &Transfer {
                dest: [2; 32],
                amount: 1001
            },
            &mut ev
        ),
        e(RuleError::InsufficientBalance)
    );
    // destination would hold < ED
    assert_eq!(
        transfer(
            &mut s,
            &[1; 32],
            &Transfer {
                dest: [2; 32],
                amount: 499
            },
            &mut ev
        ),
        e(RuleError::BalanceBelowExistentialDeposit)
    );
    // sender would keep 0 < rest < ED
    assert_eq!(
        transfer(
            &mut s,
            &[1; 32],
            &Transfer {
                dest: [2; 32],
                amount: 600
            },
            &mut ev
        ),
        e(RuleError::BalanceBelowExistentialDeposit)
    );
    assert_eq!(s, st(&[(1, 1000)]));
    // the whole balance may go; zero and self transfers are no-ops
    transfer(
        &mut s,
        &[1; 32],
        &Transfer {
            dest: [1; 32],
            amount: 5,
        },
        &mut ev,
    )
    .unwrap();
    transfer(
        &mut s,
        &[1; 32],
        &Transfer {
            dest: [2; 32],
            amount: 0,
        },
        &mut ev,
    )
    .unwrap();
    transfer(
        &mut s,
        &[1; 32],
        &Transfer {
            dest: [2; 32],
            amount: 1000,
        },
        &mut ev,
    )
    .unwrap();
    assert_eq!(s.free(&[1; 32]), 0);
    assert!(!s.free.contains_key(&[1; 32]));
}

#[test]
fn sudo_set_balance_moves_issuance_both_ways() {
    let mut s = st(&[(1, 1000)]);
    s.total_issuance = 1000;
    let mut ev = Events::enabled();
    sudo_set_balance(
        &mut s,
        &SudoSetBalance {
            who: [2; 32],
            free: 300,
        },
        &mut ev,
    )
    .unwrap(); // below ED is allowed
    assert_eq!((s.free(&[2; 32]), s.total_issuance), (300, 1300));
    sudo_set_balance(
        &mut s,
        &SudoSetBalance {
            who: [1; 32],
            free: 0,
        },
        &mut ev,
    )
    .unwrap();
    assert_eq!((s.free(&[1; 32]), s.total_issuance), (0, 300));
    assert!(!s.free.contains_key(&[1; 32]));
    assert_eq!(ev.list.len(), 2);
    assert_eq!(ev.list[0].name, "BalanceSet");
}

#[test]
fn sudo_set_balance_is_bounded_by_the_supply_cap() {
    let mut s = st(&[(1, 1000)]);
    s.total_issuance = 1000;
    let mut ev = Events::enabled();
    let over = S_MAX - 1000 + 1 + 1000; // issuance would be S_MAX + 1
    assert_eq!(
        sudo_set_balance(
            &mut s,
            &SudoSetBalance {
                who: [1; 32],
                free: over
            },
            &mut ev
        ),
        rule(RuleError::ArithmeticOverflow)
    );
    assert_eq!((s.free(&[1; 32]), s.total_issuance), (1000, 1000));
    assert!(ev.list.is_empty());
    sudo_set_balance(
        &mut s,
        &SudoSetBalance {
            who: [1; 32],
            free: S_MAX,
        },
        &mut ev,
    )
    .unwrap();
    assert_eq!(s.total_issuance, S_MAX);
}
