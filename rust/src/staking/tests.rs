use super::*;

fn k(b: u8) -> AccountId {
    [b; 32]
}

fn delegate_state(take: u16, stakes: &[(u8, u8, u64)]) -> State {
    let mut s = State::default();
    for (c, h, x) in stakes {
        s.owner.entry(k(*h)).or_insert(k(*h - 10));
        s.delegates.insert(k(*h), take);
        increase_stake(&mut s, &k(*c), &k(*h), *x).unwrap();
    }
    s
}

#[test]
fn worked_example_601_899() {
    // h0 = 10 owned by c0 = 0; c1 = 1
    let mut s = delegate_state(
        10,
        &[(0, 10, 200), (1, 10, 300), (0, 11, 200), (1, 11, 200)],
    );
    s.owner.insert(k(11), k(1));
    let mut ev = Events::disabled();
    credit_emission(&mut s, 1, &k(10), 0, 1000, &mut ev).unwrap();
    credit_emission(&mut s, 1, &k(11), 0, 1000, &mut ev).unwrap();
    assert_eq!(s.stake_of(&k(10), &k(0)), 601);
    assert_eq!(s.stake_of(&k(10), &k(1)), 899);
    assert_eq!(s.stake_of(&k(11), &k(0)), 700);
    assert_eq!(s.stake_of(&k(11), &k(1)), 700);
    assert_eq!(s.total_stake, 2900);
}

#[test]
fn derived_take_11796() {
    let mut s = delegate_state(11796, &[(0, 10, 200), (1, 10, 300)]);
    let mut ev = Events::disabled();
    credit_emission(&mut s, 1, &k(10), 0, 1000, &mut ev).unwrap();
    assert_eq!(s.stake_of(&k(10), &k(0)), 708);
    assert_eq!(s.stake_of(&k(10), &k(1)), 792);
}

#[test]
fn non_delegate_gets_all() {
    let mut s = State::default();
    s.owner.insert(k(5), k(1));
    increase_stake(&mut s, &k(1), &k(5), 100).unwrap();
    credit_emission(&mut s, 1, &k(5), 0, 100, &mut Events::disabled()).unwrap();
    assert_eq!(s.stake_of(&k(5), &k(1)), 200);
}

#[test]
fn rate_limit_boundary() {
    let mut s = State::default();
    s.last_tx_block.insert(k(1), 5);
    s.block = 1005;
    assert!(rate_limit_exceeded(&s, &k(1)));
    s.block = 1006;
    assert!(!rate_limit_exceeded(&s, &k(1)));
}
