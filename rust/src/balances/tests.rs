use super::*;

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
