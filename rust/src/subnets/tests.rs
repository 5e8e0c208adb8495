use super::*;
use crate::events::Value;
use crate::state::{AxonInfo, Subnet, EXISTENTIAL_DEPOSIT};
use crate::testutil::{assert_supply, names, rule};

const TAO: u64 = 1_000_000_000;
const ALICE: AccountId = [0xA1; 32];
const BOB: AccountId = [0xB0; 32];

/// A genesis-like state: root network, the given balances as issuance.
fn base(balances: &[(AccountId, u64)]) -> State {
    let mut s = State {
        network_last_lock_cost: crate::state::INITIAL_LAST_LOCK_COST,
        total_networks: 1,
        ..Default::default()
    };
    for (a, v) in balances {
        s.set_free(a, *v);
        s.total_issuance += v;
    }
    s.subnets.insert(
        ROOT_NETUID,
        Subnet {
            added: true,
            params: SubnetParams {
                tempo: 100,
                max_allowed_uids: 64,
                ..Default::default()
            },
            ..Default::default()
        },
    );
    s
}

/// Asserts that `f` fails with `e` and changes neither the state nor the events.
fn rejects(s: &mut State, e: RuleError, f: impl FnOnce(&mut State, &mut Events) -> Result<()>) {
    let before = s.clone();
    let mut ev = Events::enabled();
    assert_eq!(f(s, &mut ev), rule(e));
    assert_eq!(*s, before);
    assert!(ev.is_empty(), "the failing call emitted {:?}", names(&ev));
}

#[test]
fn lock_cost_worked_sequence_15_9() {
    let (min, interval) = (100 * TAO, 2);
    let mut last_lock = 100 * TAO;
    let mut last_registered = 0u64;
    let cost = |lock: u64, at: u64, b: u64| lock_cost(lock, at, b, min, interval, at == 0);
    let reg = |b: u64, lock: &mut u64, at: &mut u64| -> u64 {
        let paid = cost(*lock, *at, b);
        *lock = paid;
        *at = b;
        paid
    };
    assert_eq!(cost(last_lock, last_registered, 0), 100 * TAO);
    reg(0, &mut last_lock, &mut last_registered);
    // mult still 1 because NetworkLastRegistered = 0
    assert_eq!(cost(last_lock, last_registered, 1), 100 * TAO);
    assert_eq!(reg(1, &mut last_lock, &mut last_registered), 100 * TAO);
    assert_eq!(cost(last_lock, last_registered, 1), 200 * TAO);
    assert_eq!(cost(last_lock, last_registered, 2), 150 * TAO);
    assert_eq!(cost(last_lock, last_registered, 3), 100 * TAO);
    assert_eq!(cost(last_lock, last_registered, 4), 100 * TAO);
    reg(4, &mut last_lock, &mut last_registered);
    assert_eq!(cost(last_lock, last_registered, 4), 200 * TAO);
    assert_eq!(reg(5, &mut last_lock, &mut last_registered), 150 * TAO);
    assert_eq!(cost(last_lock, last_registered, 5), 300 * TAO);
    assert_eq!(reg(6, &mut last_lock, &mut last_registered), 225 * TAO);
    assert_eq!(cost(last_lock, last_registered, 6), 450 * TAO);
    assert_eq!(
        reg(7, &mut last_lock, &mut last_registered),
        337_500_000_000
    );
    assert_eq!(cost(last_lock, last_registered, 7), 675 * TAO);
    reg(7, &mut last_lock, &mut last_registered);
    assert_eq!(cost(last_lock, last_registered, 7), 1350 * TAO);
    reg(7, &mut last_lock, &mut last_registered);
    assert_eq!(cost(last_lock, last_registered, 7), 2700 * TAO);
    assert_eq!(cost(last_lock, last_registered, 8), 2025 * TAO);
    assert_eq!(cost(last_lock, last_registered, 9), 1350 * TAO);
    assert_eq!(cost(last_lock, last_registered, 10), 675 * TAO);
    assert_eq!(cost(last_lock, last_registered, 11), 100 * TAO);
}

#[test]
fn lock_cost_saturates() {
    assert_eq!(lock_cost(u64::MAX, 5, 5, 0, 100_800, false), u64::MAX);
    assert_eq!(lock_cost(u64::MAX, 0, u64::MAX, 7, 1, false), 7);
    assert_eq!(lock_cost(10, 0, 3, 0, 0, false), 20, "interval 0: no decay");
}

/// Network registration in the engine, replaying §15.9 from block 1 with rate limit 0.
#[test]
fn register_network_follows_lock_cost() {
    let mut s = base(&[(ALICE, 10_000 * TAO)]);
    s.globals.network_min_lock_cost = 100 * TAO;
    s.network_last_lock_cost = 100 * TAO;
    s.globals.network_lock_reduction_interval = 2;
    s.globals.network_rate_limit = 0;
    let mut ev = Events::enabled();
    s.block = 1;
    register_network(&mut s, &ALICE, &RegisterNetwork {}, &mut ev).unwrap();
    assert_eq!(s.subnets[&1].locked, 100 * TAO);
    assert_eq!(network_lock_cost(&s), 200 * TAO);
    s.block = 2;
    assert_eq!(network_lock_cost(&s), 150 * TAO);
    register_network(&mut s, &ALICE, &RegisterNetwork {}, &mut ev).unwrap();
    assert_eq!(s.subnets[&2].locked, 150 * TAO);
    assert_eq!(s.network_last_lock_cost, 150 * TAO);
    assert_eq!(s.free(&ALICE), 10_000 * TAO - 250 * TAO);
    assert_eq!(s.total_networks, 3);
    assert_supply(&s);
}

#[test]
fn register_network_effects() {
    let mut s = base(&[(ALICE, 2_000 * TAO)]);
    s.block = 7200;
    let before_issuance = s.total_issuance;
    let mut ev = Events::enabled();
    register_network(&mut s, &ALICE, &RegisterNetwork {}, &mut ev).unwrap();
    let sub = s.subnet(1).unwrap();
    assert_eq!(sub.owner, Some(ALICE));
    assert_eq!(sub.locked, 1_000 * TAO);
    assert_eq!(sub.registered_at, 7200);
    assert_eq!(sub.n, 0);
    let p = &sub.params;
    assert_eq!(
        (
            p.tempo,
            p.max_allowed_uids,
            p.max_allowed_validators,
            p.min_allowed_weights
        ),
        (360, 256, 64, 1)
    );
    assert_eq!(
        (
            p.max_weights_limit,
            p.adjustment_interval,
            p.adjustment_alpha
        ),
        (65535, 360, 58000)
    );
    assert_eq!(
        (
            p.target_registrations_per_interval,
            p.immunity_period,
            p.min_burn
        ),
        (1, 5000, 1)
    );
    assert_eq!((p.min_difficulty, p.max_difficulty), (u64::MAX, u64::MAX));
    assert!(p.network_registration_allowed && !p.network_pow_registration_allowed);
    // defaults elsewhere
    assert_eq!((p.burn, p.difficulty, p.kappa), (TAO, 10_000_000, 32767));
    assert_eq!(s.free(&ALICE), 1_000 * TAO);
    assert_eq!(s.total_issuance, before_issuance);
    assert_eq!(s.network_last_registered, 7200);
    assert_eq!(s.network_last_lock_cost, 1_000 * TAO);
    assert_eq!(s.total_networks, 2);
    assert_eq!(
        ev.list,
        vec![Event::new("NetworkAdded")
            .u("netuid", 1u16)
            .u("modality", 0u16)]
    );
    // the lowest free netuid is taken
    s.globals.network_rate_limit = 0;
    s.set_free(&BOB, 10_000 * TAO);
    s.total_issuance += 10_000 * TAO;
    register_network(&mut s, &BOB, &RegisterNetwork {}, &mut ev).unwrap();
    dissolve_network(&mut s, &ALICE, &DissolveNetwork { netuid: 1 }, &mut ev).unwrap();
    register_network(&mut s, &BOB, &RegisterNetwork {}, &mut ev).unwrap();
    assert_eq!(s.subnet(1).unwrap().owner, Some(BOB));
    assert_eq!(s.netuids(), vec![0, 1, 2]);
    assert_supply(&s);
}

#[test]
fn register_network_errors_in_order() {
    let mut s = base(&[(ALICE, 1_000 * TAO + 1), (BOB, 1_000 * TAO)]);
    // 1. rate limit counts from block 0
    s.block = 7199;
    rejects(&mut s, RuleError::TxRateLimitExceeded, |s, ev| {
        register_network(s, &ALICE, &RegisterNetwork {}, ev)
    });
    s.block = 7200;
    // 3. balance below the cost
    rejects(&mut s, RuleError::NotEnoughBalanceToStake, |s, ev| {
        register_network(s, &[9; 32], &RegisterNetwork {}, ev)
    });
    // 5. ED rule: 1 rao left
    rejects(
        &mut s,
        RuleError::BalanceBelowExistentialDeposit,
        |s, ev| register_network(s, &ALICE, &RegisterNetwork {}, ev),
    );
    // the whole balance may go
    register_network(&mut s, &BOB, &RegisterNetwork {}, &mut Events::disabled()).unwrap();
    assert_eq!(s.free(&BOB), 0);
    // 4. at the limit with every subnet immune: checked before the ED rule, which would
    // refuse Alice's rest of ED − 1 rao
    s.globals.subnet_limit = 1;
    s.globals.network_rate_limit = 0;
    s.network_last_lock_cost = 10 * TAO;
    s.globals.network_min_lock_cost = 0;
    s.block = 7200 + 50_399;
    s.set_free(&ALICE, network_lock_cost(&s) + EXISTENTIAL_DEPOSIT - 1);
    s.total_issuance = s.total_balance() + s.total_locked();
    rejects(&mut s, RuleError::AllNetworksInImmunity, |s, ev| {
        register_network(s, &ALICE, &RegisterNetwork {}, ev)
    });
    // one block later subnet 1 may be pruned; the refund goes to Bob, so Alice's ED rule
    // still fails
    s.block = 7200 + 50_400;
    s.set_free(&ALICE, network_lock_cost(&s) + EXISTENTIAL_DEPOSIT - 1);
    s.total_issuance = s.total_balance() + s.total_locked();
    rejects(
        &mut s,
        RuleError::BalanceBelowExistentialDeposit,
        |s, ev| register_network(s, &ALICE, &RegisterNetwork {}, ev),
    );
    s.set_free(&ALICE, network_lock_cost(&s) + EXISTENTIAL_DEPOSIT);
    s.total_issuance = s.total_balance() + s.total_locked();
    register_network(&mut s, &ALICE, &RegisterNetwork {}, &mut Events::disabled()).unwrap();
    assert_eq!(s.free(&ALICE), EXISTENTIAL_DEPOSIT);
    assert_eq!(s.subnet(1).unwrap().owner, Some(ALICE));
    assert_supply(&s);
}

#[test]
fn register_network_ed_rule_sees_the_refund() {
    // Bob owns the only subnet (limit 1) and registers again with a balance that leaves
    // 0 < rest < ED before the refund but ≥ ED after it.
    let mut s = base(&[(BOB, 1_000 * TAO)]);
    s.block = 7200;
    register_network(&mut s, &BOB, &RegisterNetwork {}, &mut Events::disabled()).unwrap();
    s.globals.subnet_limit = 1;
    s.globals.network_rate_limit = 0;
    s.block += 50_400;
    let cost = network_lock_cost(&s);
    s.set_free(&BOB, cost + 1);
    s.total_issuance = s.total_balance() + s.total_locked();
    let mut ev = Events::enabled();
    register_network(&mut s, &BOB, &RegisterNetwork {}, &mut ev).unwrap();
    assert_eq!(
        s.free(&BOB),
        1_000 * TAO + 1,
        "refund 1000 TAO + 1 rao − new lock"
    );
    assert_supply(&s);
}

#[test]
fn pruning_removes_then_adds_with_events() {
    let mut s = base(&[(ALICE, 100_000 * TAO), (BOB, 100_000 * TAO)]);
    s.globals.network_rate_limit = 0;
    s.globals.subnet_limit = 3;
    s.globals.network_min_lock_cost = TAO;
    s.network_last_lock_cost = TAO;
    s.block = 10;
    let mut ev = Events::disabled();
    for _ in 0..3 {
        register_network(&mut s, &ALICE, &RegisterNetwork {}, &mut ev).unwrap();
    }
    // netuids 1..3 registered at block 10; make 2 newer and give 1 emission
    s.subnet_storage_mut(2).registered_at = 11;
    s.subnet_storage_mut(1).emission_values = 5;
    s.block = 10 + 50_400;
    // candidates: 1 (emission 5), 3 (0, at 10); 2 (0, at 11) is still immune
    assert_eq!(subnet_to_prune(&s), Some(3));
    s.block = 11 + 50_400;
    // now 2 and 3 tie on emission; 3 is older
    assert_eq!(subnet_to_prune(&s), Some(3));
    s.subnet_storage_mut(2).registered_at = 10;
    // full tie → highest netuid
    assert_eq!(subnet_to_prune(&s), Some(3));
    s.subnet_storage_mut(3).emission_values = 1;
    assert_eq!(subnet_to_prune(&s), Some(2));
    s.subnet_storage_mut(3).emission_values = 0;
    let locked3 = s.subnets[&3].locked;
    let bob_before = s.free(&BOB);
    let alice_before = s.free(&ALICE);
    let mut ev = Events::enabled();
    register_network(&mut s, &BOB, &RegisterNetwork {}, &mut ev).unwrap();
    let cost = s.subnets[&3].locked;
    assert_eq!(s.subnets[&3].owner, Some(BOB));
    assert_eq!(s.free(&ALICE), alice_before + locked3);
    assert_eq!(s.free(&BOB), bob_before - cost);
    assert_eq!(s.total_networks, 4);
    assert_eq!(
        names(&ev),
        vec!["LockRefunded", "NetworkRemoved", "NetworkAdded"]
    );
    assert_eq!(
        ev.list[0].fields,
        vec![
            ("netuid", Value::U64(3)),
            ("owner", Value::Account(ALICE)),
            ("amount", Value::U64(locked3))
        ]
    );
    assert_eq!(ev.list[1], Event::new("NetworkRemoved").u("netuid", 3u16));
    assert_eq!(
        ev.list[2],
        Event::new("NetworkAdded")
            .u("netuid", 3u16)
            .u("modality", 0u16)
    );
    assert_supply(&s);
}

/// A subnet with two neurons and some stored values, for the removal tests.
fn populated(s: &mut State, netuid: u16, owner: AccountId) {
    s.globals.network_rate_limit = 0;
    register_network(s, &owner, &RegisterNetwork {}, &mut Events::disabled()).unwrap();
    let sub = s.subnet_storage_mut(netuid);
    sub.n = 2;
    for (i, h) in [[1u8; 32], [2u8; 32]].iter().enumerate() {
        sub.neurons.keys.push(*h);
        sub.neurons.uids.insert(*h, i as u16);
        sub.neurons.block_at_registration.push(5);
        sub.neurons.weights.push(vec![(0, 1)]);
        sub.neurons.bonds.push(vec![(1, 2)]);
        sub.neurons.active.push(true);
        sub.neurons.rank.push(1);
        sub.neurons.trust.push(1);
        sub.neurons.consensus.push(1);
        sub.neurons.incentive.push(1);
        sub.neurons.dividends.push(1);
        sub.neurons.emission.push(1);
        sub.neurons.last_update.push(5);
        sub.neurons.pruning_scores.push(1);
        sub.neurons.validator_trust.push(1);
        sub.neurons.validator_permit.push(true);
    }
    sub.emission_values = 9;
    sub.pending_emission = 8;
    sub.loaded_emission = Some(vec![([1; 32], 1, 2)]);
    sub.registrations_this_interval = 3;
    sub.pow_registrations_this_interval = 2;
    sub.burn_registrations_this_interval = 1;
    sub.registrations_this_block = 1;
    sub.last_adjustment_block = 4;
    sub.blocks_since_last_step = 6;
    sub.last_mechanism_step_block = 2;
    sub.modality = 1;
    let p = &mut sub.params;
    p.tempo = 1;
    p.kappa = 2;
    p.difficulty = 3;
    p.max_allowed_uids = 4;
    p.immunity_period = 5;
    p.activity_cutoff = 6;
    p.max_weights_limit = 7;
    p.min_allowed_weights = 8;
    p.burn = 9;
    p.max_burn = 10;
    p.rho = 11;
    p.serving_rate_limit = 12;
    p.network_pow_registration_allowed = true;
    p.rao_recycled_for_registration = 13;
    s.is_network_member
        .entry([1; 32])
        .or_default()
        .insert(netuid, true);
    s.axons.insert(
        (netuid, [1; 32]),
        AxonInfo {
            block: 1,
            version: 1,
            ip: 1,
            port: 1,
            ip_type: 4,
            protocol: 0,
            placeholder1: 0,
            placeholder2: 0,
        },
    );
}

#[test]
fn remove_clears_exactly_the_listed_storage() {
    let mut s = base(&[(ALICE, 10_000 * TAO)]);
    s.block = 7200;
    populated(&mut s, 1, ALICE);
    let before = s.clone();
    let locked = s.subnets[&1].locked;
    let mut ev = Events::enabled();
    dissolve_network(&mut s, &ALICE, &DissolveNetwork { netuid: 1 }, &mut ev).unwrap();
    assert_eq!(names(&ev), vec!["LockRefunded", "NetworkRemoved"]);
    assert_eq!(s.free(&ALICE), before.free(&ALICE) + locked);
    assert_eq!(s.total_networks, 1);
    assert!(!s.subnet_exists(1));
    // Build the expected record: the old one with exactly §9.4's deletions and resets.
    let mut expected = before.subnets[&1].clone();
    let d = SubnetParams::default();
    expected.added = false;
    expected.n = 0;
    expected.modality = 0;
    expected.registered_at = 0;
    expected.neurons.keys.clear();
    expected.neurons.uids.clear();
    expected.neurons.weights.clear();
    expected.neurons.bonds.clear();
    for v in [
        &mut expected.neurons.rank,
        &mut expected.neurons.trust,
        &mut expected.neurons.consensus,
        &mut expected.neurons.incentive,
        &mut expected.neurons.dividends,
        &mut expected.neurons.pruning_scores,
        &mut expected.neurons.validator_trust,
    ] {
        v.clear();
    }
    expected.neurons.active.clear();
    expected.neurons.emission.clear();
    expected.neurons.last_update.clear();
    expected.neurons.validator_permit.clear();
    expected.emission_values = 0;
    expected.registrations_this_interval = 0;
    expected.pow_registrations_this_interval = 0;
    expected.burn_registrations_this_interval = 0;
    expected.params.tempo = d.tempo;
    expected.params.kappa = d.kappa;
    expected.params.difficulty = d.difficulty;
    expected.params.max_allowed_uids = d.max_allowed_uids;
    expected.params.immunity_period = d.immunity_period;
    expected.params.activity_cutoff = d.activity_cutoff;
    expected.params.max_weights_limit = d.max_weights_limit;
    expected.params.min_allowed_weights = d.min_allowed_weights;
    expected.locked = 0;
    expected.owner = None;
    assert_eq!(s.subnets[&1], expected);
    // survivors outside the record
    assert_eq!(s.is_network_member, before.is_network_member);
    assert_eq!(s.axons, before.axons);
    assert_supply(&s);
}

#[test]
fn recreated_netuid_inherits_what_remove_kept() {
    let mut s = base(&[(ALICE, 10_000 * TAO), (BOB, 10_000 * TAO)]);
    s.block = 7200;
    populated(&mut s, 1, ALICE);
    dissolve_network(
        &mut s,
        &ALICE,
        &DissolveNetwork { netuid: 1 },
        &mut Events::disabled(),
    )
    .unwrap();
    register_network(&mut s, &BOB, &RegisterNetwork {}, &mut Events::disabled()).unwrap();
    let sub = s.subnet(1).unwrap();
    assert_eq!(sub.owner, Some(BOB));
    // inherited
    assert_eq!(
        (sub.params.burn, sub.params.max_burn, sub.params.rho),
        (9, 10, 11)
    );
    assert_eq!(sub.pending_emission, 8);
    assert!(sub.loaded_emission.is_some());
    assert!(sub.params.network_pow_registration_allowed);
    assert_eq!(sub.neurons.block_at_registration, vec![5, 5]);
    assert_eq!(sub.registrations_this_block, 1);
    // reset by remove, then init
    assert_eq!(
        (sub.params.tempo, sub.params.kappa, sub.params.difficulty),
        (360, 32767, 10_000_000)
    );
    assert_eq!(sub.params.activity_cutoff, 5000);
    assert_eq!(sub.emission_values, 0);
    assert_eq!(sub.modality, 0);
}

#[test]
fn dissolve_network_errors() {
    let mut s = base(&[(ALICE, 10_000 * TAO)]);
    s.block = 7200;
    register_network(&mut s, &ALICE, &RegisterNetwork {}, &mut Events::disabled()).unwrap();
    rejects(&mut s, RuleError::NetworkDoesNotExist, |s, ev| {
        dissolve_network(s, &ALICE, &DissolveNetwork { netuid: 2 }, ev)
    });
    rejects(&mut s, RuleError::NotSubnetOwner, |s, ev| {
        dissolve_network(s, &BOB, &DissolveNetwork { netuid: 1 }, ev)
    });
    // the root network has no owner: nobody, not even the all-zero account, may dissolve it
    rejects(&mut s, RuleError::NotSubnetOwner, |s, ev| {
        dissolve_network(s, &[0; 32], &DissolveNetwork { netuid: 0 }, ev)
    });
}

#[test]
fn remove_without_owner_refunds_nothing() {
    let mut s = base(&[]);
    init_new_network(&mut s, 4, 360);
    let mut ev = Events::enabled();
    remove(&mut s, 4, &mut ev).unwrap();
    assert!(ev.is_empty());
    assert_eq!(s.total_networks, 1);
}
