//! sudo_register (§8.5) and root_register with the senate swap (§8.6), on the helpers of
//! `tx_tests`.

use super::*;

// ---- sudo_register (§8.5) ---------------------------------------------------------------

#[test]
fn sudo_register_mints_stake_and_balance() {
    let mut s = chain(&[(ALICE, 10_000)]);
    // limits and flags are not consulted
    let sub = s.subnet_storage_mut(1);
    sub.params.network_registration_allowed = false;
    sub.registrations_this_block = 5;
    sub.registrations_this_interval = 50;
    let mut ev = Events::enabled();
    sudo_register(
        &mut s,
        &SudoRegister {
            netuid: 1,
            hotkey: k(10),
            coldkey: BOB,
            stake: 700,
            balance: 300,
        },
        &mut ev,
    )
    .unwrap();
    assert_eq!(s.stake_of(&k(10), &BOB), 700);
    assert_eq!(s.total_hotkey_stake(&k(10)), 700);
    assert_eq!(s.total_coldkey_stake(&BOB), 700);
    assert_eq!(s.total_stake, 700);
    assert_eq!(s.free(&BOB), 300);
    assert_eq!(s.total_issuance, 11_000);
    assert_eq!(s.owner[&k(10)], BOB);
    let sub = &s.subnets[&1];
    assert_eq!(sub.neurons.uids[&k(10)], 0);
    assert_eq!(
        (
            sub.registrations_this_block,
            sub.registrations_this_interval
        ),
        (5, 50)
    );
    assert_eq!(names(&ev), vec!["NeuronRegistered"]);
    assert_supply(&s);
    // zero stake and balance: only the registration
    sudo_register(
        &mut s,
        &SudoRegister {
            netuid: 1,
            hotkey: k(11),
            coldkey: BOB,
            stake: 0,
            balance: 0,
        },
        &mut ev,
    )
    .unwrap();
    assert_eq!(s.total_issuance, 11_000);
    assert_supply(&s);
}

#[test]
fn sudo_register_errors_in_order() {
    let mut s = chain(&[(ALICE, 10_000)]);
    let reg = |netuid: u16, h: AccountId, c: AccountId, stake: u64, balance: u64| {
        move |s: &mut State, ev: &mut Events| {
            sudo_register(
                s,
                &SudoRegister {
                    netuid,
                    hotkey: h,
                    coldkey: c,
                    stake,
                    balance,
                },
                ev,
            )
        }
    };
    rejects(
        &mut s,
        RuleError::OperationNotPermittedonRootSubnet,
        reg(0, k(10), BOB, 0, 0),
    );
    rejects(
        &mut s,
        RuleError::NetworkDoesNotExist,
        reg(2, k(10), BOB, 0, 0),
    );
    sudo_register(
        &mut s,
        &SudoRegister {
            netuid: 1,
            hotkey: k(10),
            coldkey: BOB,
            stake: 0,
            balance: 0,
        },
        &mut Events::disabled(),
    )
    .unwrap();
    rejects(
        &mut s,
        RuleError::AlreadyRegistered,
        reg(1, k(10), BOB, 0, 0),
    );
    crate::subnets::init_new_network(&mut s, 2, 360);
    rejects(
        &mut s,
        RuleError::NonAssociatedColdKey,
        reg(2, k(10), ALICE, 0, 0),
    );
    s.subnet_storage_mut(2).params.max_allowed_uids = 0;
    // MaxAllowedUids = 0 is checked before the supply bound
    rejects(
        &mut s,
        RuleError::NetworkDoesNotExist,
        reg(2, k(11), BOB, S_MAX, 0),
    );
    s.subnet_storage_mut(2).params.max_allowed_uids = 256;
    // the S_MAX bound: one rao too many, split either way, or a u64 overflow
    let room = S_MAX - s.total_issuance;
    rejects(
        &mut s,
        RuleError::ArithmeticOverflow,
        reg(2, k(11), BOB, room + 1, 0),
    );
    rejects(
        &mut s,
        RuleError::ArithmeticOverflow,
        reg(2, k(11), BOB, room, 1),
    );
    rejects(
        &mut s,
        RuleError::ArithmeticOverflow,
        reg(2, k(11), BOB, 1, u64::MAX),
    );
    // exactly S_MAX passes
    sudo_register(
        &mut s,
        &SudoRegister {
            netuid: 2,
            hotkey: k(11),
            coldkey: BOB,
            stake: room - 5,
            balance: 5,
        },
        &mut Events::disabled(),
    )
    .unwrap();
    assert_eq!(s.total_issuance, S_MAX);
    assert_supply(&s);
}

#[test]
fn sudo_register_replacement_unstakes_after_the_mint() {
    let mut s = chain(&[(ALICE, 10_000)]);
    s.subnet_storage_mut(1).params.max_allowed_uids = 1;
    sudo_register(
        &mut s,
        &SudoRegister {
            netuid: 1,
            hotkey: k(10),
            coldkey: BOB,
            stake: 400,
            balance: 0,
        },
        &mut Events::disabled(),
    )
    .unwrap();
    s.block = 5001;
    let mut ev = Events::enabled();
    sudo_register(
        &mut s,
        &SudoRegister {
            netuid: 1,
            hotkey: k(11),
            coldkey: BOB,
            stake: 100,
            balance: 50,
        },
        &mut ev,
    )
    .unwrap();
    assert_eq!(s.free(&BOB), 450);
    assert_eq!(s.total_hotkey_stake(&k(11)), 100);
    assert_eq!(s.total_hotkey_stake(&k(10)), 0);
    assert_eq!(names(&ev), vec!["StakeReturned", "NeuronRegistered"]);
    assert_supply(&s);
}

// ---- root_register (§8.6) ---------------------------------------------------------------

/// Owner c registers hotkey h on subnet 1 and stakes x on it (so h has stake, and stays a
/// network member after leaving root).
fn staked(s: &mut State, c: AccountId, h: AccountId, x: u64) {
    sudo_register(
        s,
        &SudoRegister {
            netuid: 1,
            hotkey: h,
            coldkey: c,
            stake: x,
            balance: 0,
        },
        &mut Events::disabled(),
    )
    .unwrap();
}

fn root_reg(c: AccountId, h: AccountId) -> impl FnOnce(&mut State, &mut Events) -> Result<()> {
    move |s: &mut State, ev: &mut Events| root_register(s, &c, &RootRegister { hotkey: h }, ev)
}

fn lift_root_limits(s: &mut State) {
    let p = &mut s.subnet_storage_mut(ROOT_NETUID).params;
    p.max_registrations_per_block = u16::MAX;
    p.target_registrations_per_interval = u16::MAX;
}

#[test]
fn root_register_appends_joins_senate_and_delegates() {
    let mut s = chain(&[(ALICE, 10_000)]);
    let mut ev = Events::enabled();
    // no ownership check: Alice registers a hotkey nobody owns yet, then Bob registers...
    root_register(&mut s, &ALICE, &RootRegister { hotkey: k(10) }, &mut ev).unwrap();
    assert_eq!(s.owner[&k(10)], ALICE);
    let root = &s.subnets[&ROOT_NETUID];
    assert_eq!(root.neurons.uids[&k(10)], 0);
    assert_eq!(
        (
            root.registrations_this_interval,
            root.registrations_this_block
        ),
        (1, 1)
    );
    assert_eq!(
        root.pow_registrations_this_interval + root.burn_registrations_this_interval,
        0
    );
    assert_eq!(s.senate, vec![k(10)]);
    assert_eq!(s.delegates[&k(10)], ROOT_DELEGATE_TAKE);
    assert_eq!(
        ev.list,
        vec![
            Event::new("SenateMemberAdded").acct("hotkey", &k(10)),
            Event::new("NeuronRegistered")
                .u("netuid", 0u16)
                .u("uid", 0u16)
                .acct("hotkey", &k(10)),
        ]
    );
    // ... a hotkey owned by Alice, registered by Bob: allowed; an existing take is kept
    staked(&mut s, ALICE, k(5), 0);
    s.delegates.insert(k(5), 7);
    s.subnet_storage_mut(ROOT_NETUID).registrations_this_block = 0;
    root_register(
        &mut s,
        &BOB,
        &RootRegister { hotkey: k(5) },
        &mut Events::disabled(),
    )
    .unwrap();
    assert_eq!(s.owner[&k(5)], ALICE);
    assert_eq!(s.delegates[&k(5)], 7);
    assert_eq!(s.senate, vec![k(5), k(10)], "ascending account order");
    assert_eq!(s.subnets[&ROOT_NETUID].neurons.uids[&k(5)], 1);
    assert_supply(&s);
}

#[test]
fn root_register_errors_in_order() {
    let mut s = chain(&[(ALICE, 10_000)]);
    root_register(
        &mut s,
        &ALICE,
        &RootRegister { hotkey: k(10) },
        &mut Events::disabled(),
    )
    .unwrap();
    rejects(
        &mut s,
        RuleError::TooManyRegistrationsThisBlock,
        root_reg(ALICE, k(11)),
    );
    s.subnet_storage_mut(ROOT_NETUID).registrations_this_block = 0;
    s.subnet_storage_mut(ROOT_NETUID)
        .registrations_this_interval = 3;
    rejects(
        &mut s,
        RuleError::TooManyRegistrationsThisInterval,
        root_reg(ALICE, k(11)),
    );
    lift_root_limits(&mut s);
    rejects(&mut s, RuleError::AlreadyRegistered, root_reg(BOB, k(10)));
    // a hotkey that left root but stayed in the senate cannot be added again
    s.senate.push(k(11));
    rejects(
        &mut s,
        RuleError::AlreadySenateMember,
        root_reg(ALICE, k(11)),
    );
    s.senate.retain(|m| *m != k(11));
    // full root: a new hotkey (stake 0) never beats the lowest stake (0 here)
    s.subnet_storage_mut(ROOT_NETUID).params.max_allowed_uids = 1;
    rejects(
        &mut s,
        RuleError::StakeTooLowForRoot,
        root_reg(ALICE, k(11)),
    );
    // equal stake is not enough (strict <)
    staked(&mut s, ALICE, k(12), 100);
    staking::increase_stake(&mut s, &ALICE, &k(10), 100).unwrap();
    s.total_issuance += 100;
    rejects(
        &mut s,
        RuleError::StakeTooLowForRoot,
        root_reg(ALICE, k(12)),
    );
}

#[test]
fn root_register_replaces_the_first_lowest_stake() {
    let mut s = chain(&[(ALICE, 10_000)]);
    lift_root_limits(&mut s);
    s.subnet_storage_mut(ROOT_NETUID).params.max_allowed_uids = 3;
    for (h, x) in [(10, 50), (11, 20), (12, 20)] {
        staked(&mut s, BOB, k(h), x);
        root_register(
            &mut s,
            &BOB,
            &RootRegister { hotkey: k(h) },
            &mut Events::disabled(),
        )
        .unwrap();
    }
    // root hotkeys stay members of subnet 1, so no stake is returned; 21 > 20 replaces uid 1
    staked(&mut s, ALICE, k(20), 21);
    s.block = 2;
    let mut ev = Events::enabled();
    root_register(&mut s, &ALICE, &RootRegister { hotkey: k(20) }, &mut ev).unwrap();
    let root = &s.subnets[&ROOT_NETUID];
    assert_eq!(root.neurons.keys, vec![k(10), k(20), k(12)]);
    assert_eq!(root.neurons.block_at_registration, vec![1, 2, 1]);
    assert_eq!(
        root.neurons.pruning_scores,
        vec![0, 0, 0],
        "the root path marks no pruning score"
    );
    assert_eq!(s.total_hotkey_stake(&k(11)), 20);
    assert_eq!(s.is_network_member[&k(11)].get(&0), None);
    assert_eq!(names(&ev), vec!["SenateMemberAdded", "NeuronRegistered"]);
    assert_supply(&s);
}

/// Adds senators 100, 101, … with the given stakes (registered on subnet 1 by Bob).
fn add_senators(s: &mut State, stakes: &[u64]) {
    for (i, x) in stakes.iter().enumerate() {
        let h = k(100 + i as u8);
        staked(s, BOB, h, *x);
        s.senate.push(h);
    }
    s.senate.sort();
}

#[test]
fn senate_swap_takes_the_lowest_stake_greatest_account() {
    let mut s = chain(&[(ALICE, 10_000)]);
    lift_root_limits(&mut s);
    // lowest stake 5 shared by hotkeys 103 and 107 → 107 (greatest account) is last
    let mut stakes = [50; SENATE_MAX];
    stakes[3] = 5;
    stakes[7] = 5;
    add_senators(&mut s, &stakes);
    // equal stake: no change, no senate event
    staked(&mut s, ALICE, k(20), 5);
    let mut ev = Events::enabled();
    root_register(&mut s, &ALICE, &RootRegister { hotkey: k(20) }, &mut ev).unwrap();
    assert_eq!(names(&ev), vec!["NeuronRegistered"]);
    assert!(!s.senate.contains(&k(20)));
    // higher stake: swap out 107, whose votes are deleted from open proposals
    s.proposals.push(crate::state::Proposal {
        hash: [3; 32],
        index: 0,
        proposer: ALICE,
        tx: Vec::new(),
        threshold: 7,
        ayes: vec![k(100), k(107)],
        nays: Vec::new(),
        end: 10_000,
    });
    staked(&mut s, ALICE, k(30), 6);
    let mut ev = Events::enabled();
    root_register(&mut s, &ALICE, &RootRegister { hotkey: k(30) }, &mut ev).unwrap();
    assert_eq!(
        ev.list[0],
        Event::new("SenateMembersSwapped")
            .acct("old", &k(107))
            .acct("new", &k(30))
    );
    assert_eq!(names(&ev), vec!["SenateMembersSwapped", "NeuronRegistered"]);
    assert_eq!(s.senate.len(), SENATE_MAX);
    assert!(s.senate.contains(&k(30)) && !s.senate.contains(&k(107)));
    assert_eq!(s.proposals[0].ayes, vec![k(100)]);
    assert!(
        s.senate.windows(2).all(|w| w[0] < w[1]),
        "ascending account order"
    );
    assert_supply(&s);
}

#[test]
fn senate_swap_of_a_current_member_is_refused() {
    let mut s = chain(&[(ALICE, 10_000)]);
    lift_root_limits(&mut s);
    // hotkey 100: a senator (stake 80) that is not on root
    let mut stakes = [50; SENATE_MAX];
    stakes[0] = 80;
    add_senators(&mut s, &stakes);
    rejects(
        &mut s,
        RuleError::AlreadySenateMember,
        root_reg(BOB, k(100)),
    );
    // with a stake not above the lowest senator the senate is left alone: no error
    staking::remove_stake(
        &mut s,
        &BOB,
        &staking::RemoveStake {
            hotkey: k(100),
            amount: 30,
        },
        &mut Events::disabled(),
    )
    .unwrap();
    let mut ev = Events::enabled();
    root_register(&mut s, &BOB, &RootRegister { hotkey: k(100) }, &mut ev).unwrap();
    assert_eq!(names(&ev), vec!["NeuronRegistered"]);
    assert_eq!(s.senate.len(), SENATE_MAX);
}

/// Root with one uid: hotkey 9 (only on root, staked `root_stake` by Alice, a senator), and
/// eleven more senators 100..=110 with stake 50.
fn root_of_one(root_stake: u64) -> State {
    let mut s = chain(&[(ALICE, 10_000)]);
    lift_root_limits(&mut s);
    s.subnet_storage_mut(ROOT_NETUID).params.max_allowed_uids = 1;
    root_register(
        &mut s,
        &ALICE,
        &RootRegister { hotkey: k(9) },
        &mut Events::disabled(),
    )
    .unwrap();
    staking::add_stake(
        &mut s,
        &ALICE,
        &staking::AddStake {
            hotkey: k(9),
            amount: root_stake,
        },
        &mut Events::disabled(),
    )
    .unwrap();
    add_senators(&mut s, &[50; SENATE_MAX - 1]);
    assert_eq!(s.senate.len(), SENATE_MAX);
    s
}

#[test]
fn senate_sees_the_stake_returned_by_the_root_replacement() {
    // Hotkey 20 (150) replaces 9 (100) on root; 9 is unstaked to 0 and is therefore the
    // senator swapped out, although before the replacement a 50-senator was the lowest.
    let mut s = root_of_one(100);
    staked(&mut s, BOB, k(20), 150);
    let alice = s.free(&ALICE);
    let mut ev = Events::enabled();
    root_register(&mut s, &BOB, &RootRegister { hotkey: k(20) }, &mut ev).unwrap();
    assert_eq!(
        names(&ev),
        vec!["StakeReturned", "SenateMembersSwapped", "NeuronRegistered"]
    );
    assert_eq!(
        ev.list[1],
        Event::new("SenateMembersSwapped")
            .acct("old", &k(9))
            .acct("new", &k(20))
    );
    assert_eq!(s.free(&ALICE), alice + 100);
    assert_eq!(s.total_hotkey_stake(&k(9)), 0);
    assert_eq!(s.subnets[&ROOT_NETUID].neurons.keys, vec![k(20)]);
    assert!(s.senate.contains(&k(20)) && !s.senate.contains(&k(9)));
    assert_supply(&s);
}

#[test]
fn root_register_rejection_after_the_planned_replacement_changes_nothing() {
    // Senator 100 (stake 60, not on root) registers on root: it replaces 9 (10), which is
    // then unstaked to 0 and becomes the lowest senator with 0 < 60, so 100 would be swapped
    // in while already a member → AlreadySenateMember; the replacement and the unstake
    // decided before that check must not have happened.
    let mut s = root_of_one(10);
    staking::increase_stake(&mut s, &BOB, &k(100), 10).unwrap();
    s.total_issuance += 10;
    rejects(
        &mut s,
        RuleError::AlreadySenateMember,
        root_reg(BOB, k(100)),
    );
    assert_eq!(s.total_hotkey_stake(&k(9)), 10);
    assert_eq!(s.subnets[&ROOT_NETUID].neurons.keys, vec![k(9)]);
}
