use super::*;
use crate::events::Value;
use crate::testutil::{assert_supply, genesis_bytes, names, rule};

const ALICE: AccountId = [0xA1; 32];
const BOB: AccountId = [0xB0; 32];
const SUDO_KEY: AccountId = [1; 32];

fn k(b: u8) -> AccountId {
    [b; 32]
}

/// Genesis with balances, block 1 open, and user subnet 1 (no owner) as `init_new_network`
/// leaves it, with burn 1000 rao.
fn chain(balances: &[(AccountId, u64)]) -> State {
    let mut s = crate::engine::genesis_state(&genesis_bytes(balances, &[])).unwrap();
    s.block = 1;
    crate::subnets::init_new_network(&mut s, 1, 360);
    s.subnet_storage_mut(1).params.burn = 1000;
    s
}

/// Asserts that `f` fails with `e` and changes neither the state nor the events.
fn rejects(s: &mut State, e: RuleError, f: impl FnOnce(&mut State, &mut Events) -> Result<()>) {
    let before = s.clone();
    let mut ev = Events::enabled();
    assert_eq!(f(s, &mut ev), rule(e));
    assert_eq!(*s, before, "a rejected call changed the state");
    assert!(ev.is_empty(), "the rejected call emitted {:?}", names(&ev));
}

fn burn_reg(s: &mut State, c: AccountId, netuid: u16, h: AccountId) -> Result<()> {
    burned_register(
        s,
        &c,
        &BurnedRegister { netuid, hotkey: h },
        &mut Events::disabled(),
    )
}

/// Registers hotkeys (owned by ALICE) by burn, one block each, with registration limits
/// lifted so that only the slot logic matters.
fn fill(s: &mut State, netuid: u16, hotkeys: &[AccountId]) {
    let p = &mut s.subnet_storage_mut(netuid).params;
    p.max_registrations_per_block = u16::MAX;
    p.target_registrations_per_interval = u16::MAX;
    for h in hotkeys {
        burn_reg(s, ALICE, netuid, *h).unwrap();
    }
}

// ---- burned_register (§8.2) -------------------------------------------------------------

#[test]
fn burned_register_appends_and_recycles() {
    let mut s = chain(&[(ALICE, 10_000)]);
    let issuance = s.total_issuance;
    let mut ev = Events::enabled();
    burned_register(
        &mut s,
        &ALICE,
        &BurnedRegister {
            netuid: 1,
            hotkey: k(10),
        },
        &mut ev,
    )
    .unwrap();
    assert_eq!(s.free(&ALICE), 9_000);
    assert_eq!(s.total_issuance, issuance - 1000);
    let sub = s.subnet(1).unwrap();
    assert_eq!(sub.params.rao_recycled_for_registration, 1000);
    assert_eq!(
        (
            sub.burn_registrations_this_interval,
            sub.pow_registrations_this_interval,
            sub.registrations_this_interval,
            sub.registrations_this_block
        ),
        (1, 0, 1, 1)
    );
    assert_eq!(sub.n, 1);
    assert_eq!(sub.neurons.keys, vec![k(10)]);
    assert_eq!(sub.neurons.uids[&k(10)], 0);
    assert_eq!(sub.neurons.block_at_registration, vec![1]);
    assert_eq!(sub.neurons.last_update, vec![1]);
    assert_eq!(sub.neurons.active, vec![true]);
    assert_eq!(sub.neurons.validator_permit, vec![false]);
    assert_eq!(sub.neurons.pruning_scores, vec![0]);
    assert_eq!(sub.neurons.emission, vec![0]);
    assert_eq!(
        (
            sub.neurons.rank.len(),
            sub.neurons.trust.len(),
            sub.neurons.consensus.len()
        ),
        (1, 1, 1)
    );
    assert_eq!(
        (
            sub.neurons.incentive.len(),
            sub.neurons.dividends.len(),
            sub.neurons.validator_trust.len()
        ),
        (1, 1, 1)
    );
    assert_eq!((sub.neurons.weights.len(), sub.neurons.bonds.len()), (1, 1));
    assert_eq!(s.owner[&k(10)], ALICE);
    assert_eq!(
        s.stakes_of(&k(10)).and_then(|m| m.get(&ALICE)),
        Some(&0),
        "create-account writes an explicit zero stake"
    );
    assert!(s.is_network_member[&k(10)][&1]);
    assert_eq!(
        ev.list,
        vec![Event::new("NeuronRegistered")
            .u("netuid", 1u16)
            .u("uid", 0u16)
            .acct("hotkey", &k(10))]
    );
    assert_supply(&s);
    // a second neuron in the next block gets uid 1
    s.block = 2;
    s.subnet_storage_mut(1).registrations_this_block = 0;
    burn_reg(&mut s, ALICE, 1, k(11)).unwrap();
    assert_eq!(s.subnets[&1].neurons.uids[&k(11)], 1);
    assert_eq!(s.subnets[&1].n, 2);
    assert_eq!(s.subnets[&1].params.rao_recycled_for_registration, 2000);
    assert_eq!(s.subnets[&1].neurons.block_at_registration, vec![1, 2]);
    assert_supply(&s);
}

#[test]
fn burned_register_errors_in_order() {
    let mut s = chain(&[(ALICE, 10_000), (BOB, 1_200)]);
    let reg = |c: AccountId, netuid: u16, h: AccountId| {
        move |s: &mut State, ev: &mut Events| {
            burned_register(s, &c, &BurnedRegister { netuid, hotkey: h }, ev)
        }
    };
    // C1 before C2: the root netuid is refused even though it exists
    rejects(
        &mut s,
        RuleError::OperationNotPermittedonRootSubnet,
        reg(ALICE, 0, k(10)),
    );
    rejects(&mut s, RuleError::NetworkDoesNotExist, reg(ALICE, 2, k(10)));
    // C3: the burn flag; the POW flag does not help
    s.subnet_storage_mut(1).params.network_registration_allowed = false;
    s.subnet_storage_mut(1)
        .params
        .network_pow_registration_allowed = true;
    rejects(
        &mut s,
        RuleError::RegistrationDisabled,
        reg(ALICE, 1, k(10)),
    );
    s.subnet_storage_mut(1).params.network_registration_allowed = true;
    // C4
    burn_reg(&mut s, ALICE, 1, k(10)).unwrap();
    rejects(
        &mut s,
        RuleError::TooManyRegistrationsThisBlock,
        reg(ALICE, 1, k(11)),
    );
    // C5: 3·target = 3 registrations this interval
    s.subnet_storage_mut(1).registrations_this_block = 0;
    s.subnet_storage_mut(1).registrations_this_interval = 3;
    rejects(
        &mut s,
        RuleError::TooManyRegistrationsThisInterval,
        reg(ALICE, 1, k(11)),
    );
    s.subnet_storage_mut(1).registrations_this_interval = 2;
    // C6 before the balance checks
    rejects(&mut s, RuleError::AlreadyRegistered, reg(k(99), 1, k(10)));
    // 7. no balance
    rejects(
        &mut s,
        RuleError::NotEnoughBalanceToStake,
        reg(k(99), 1, k(11)),
    );
    // 8. Bob would keep 200 < ED
    rejects(
        &mut s,
        RuleError::BalanceBelowExistentialDeposit,
        reg(BOB, 1, k(11)),
    );
    // 9. hotkey 10's owner is Alice (on another subnet too)
    crate::subnets::init_new_network(&mut s, 2, 360);
    s.subnet_storage_mut(2).params.burn = 500;
    rejects(&mut s, RuleError::NonAssociatedColdKey, reg(BOB, 2, k(10)));
    // 10. no slots
    s.subnet_storage_mut(2).params.max_allowed_uids = 0;
    rejects(&mut s, RuleError::NetworkDoesNotExist, reg(BOB, 2, k(12)));
    // Bob may spend down to exactly 0 (and may register a hotkey on a second subnet)
    s.subnet_storage_mut(2).params.max_allowed_uids = 1;
    s.subnet_storage_mut(2).params.burn = 1_200;
    burn_reg(&mut s, BOB, 2, k(12)).unwrap();
    assert_eq!(s.free(&BOB), 0);
    assert_supply(&s);
}

#[test]
fn interval_limit_is_computed_in_u32_and_counters_saturate() {
    let mut s = chain(&[(ALICE, 10_000)]);
    let sub = s.subnet_storage_mut(1);
    // 3·30000 = 90000 does not fit u16: the limit can never be reached
    sub.params.target_registrations_per_interval = 30_000;
    sub.registrations_this_interval = u16::MAX;
    sub.burn_registrations_this_interval = u16::MAX;
    sub.params.rao_recycled_for_registration = u64::MAX - 1;
    burn_reg(&mut s, ALICE, 1, k(10)).unwrap();
    let sub = &s.subnets[&1];
    assert_eq!(sub.registrations_this_interval, u16::MAX);
    assert_eq!(sub.burn_registrations_this_interval, u16::MAX);
    assert_eq!(sub.registrations_this_block, 1);
    assert_eq!(sub.params.rao_recycled_for_registration, u64::MAX);
}

#[test]
fn existing_hotkey_keeps_its_account() {
    let mut s = chain(&[(ALICE, 10_000)]);
    crate::subnets::init_new_network(&mut s, 2, 360);
    s.subnet_storage_mut(2).params.burn = 0;
    burn_reg(&mut s, ALICE, 1, k(10)).unwrap();
    staking::add_stake(
        &mut s,
        &ALICE,
        &staking::AddStake {
            hotkey: k(10),
            amount: 500,
        },
        &mut Events::disabled(),
    )
    .unwrap();
    // a zero burn is a zero debit: always allowed, even by a coldkey without balance
    s.set_free(&ALICE, 0);
    s.total_issuance -= 8_500;
    burn_reg(&mut s, ALICE, 2, k(10)).unwrap();
    assert_eq!(s.owner[&k(10)], ALICE);
    assert_eq!(
        s.stake_of(&k(10), &ALICE),
        500,
        "create-account leaves an existing account"
    );
    assert_eq!(s.is_network_member[&k(10)].len(), 2);
    assert_supply(&s);
}

// ---- neuron_to_prune and replacement (§8.4) -----------------------------------------------

#[test]
fn neuron_to_prune_rules() {
    // n = 0 → 0
    assert_eq!(neuron_to_prune(&[], &[], 0, 10, 100), 0);
    // non-immune equal minima: the later uid wins
    assert_eq!(neuron_to_prune(&[3, 1, 2, 1], &[0; 4], 4, 10, 100), 3);
    // an immune uid with a lower score does not beat a non-immune minimum
    assert_eq!(neuron_to_prune(&[5, 3], &[0, 95], 2, 10, 100), 0);
    // immunity: b − registered < ImmunityPeriod (91 is out at b = 101 with period 10)
    assert_eq!(neuron_to_prune(&[5, 3], &[0, 91], 2, 10, 101), 1);
    // all immune: the lowest immune score, first minimum
    assert_eq!(neuron_to_prune(&[7, 4, 4], &[95; 3], 3, 10, 100), 1);
    // all immune at 65535: no immune candidate recorded → uid 0
    assert_eq!(neuron_to_prune(&[65535, 65535], &[95; 2], 2, 10, 100), 0);
    // quirk: a non-immune uid scoring 65535 leaves min = 65535, so the immune one is chosen
    assert_eq!(neuron_to_prune(&[1, 65535], &[95, 0], 2, 10, 100), 0);
    // an immune uid is only considered while p ≤ min: uid 2 (immune, 4) comes after the
    // non-immune minimum 2 and is skipped, so min stays with uid 1
    assert_eq!(neuron_to_prune(&[9, 2, 4], &[0, 0, 95], 3, 10, 100), 1);
}

/// Subnet 1 with max 3 uids filled by hotkeys 10, 11, 12 (Alice) at block 1, then values
/// written as an epoch would.
fn full_subnet() -> State {
    let mut s = chain(&[(ALICE, 1_000_000), (BOB, 1_000_000)]);
    s.subnet_storage_mut(1).params.max_allowed_uids = 3;
    fill(&mut s, 1, &[k(10), k(11), k(12)]);
    let sub = s.subnet_storage_mut(1);
    sub.neurons.pruning_scores = vec![5, 2, 9];
    sub.neurons.weights[1] = vec![(0, 65535)];
    sub.neurons.bonds[1] = vec![(2, 7)];
    sub.neurons.last_update[1] = 1;
    sub.neurons.validator_permit[1] = true;
    sub.neurons.rank[1] = 11;
    sub.neurons.emission[1] = 12;
    sub.neurons.active[1] = false;
    s
}

#[test]
fn replace_keeps_the_uid_values_and_returns_stake() {
    let mut s = full_subnet();
    // stake on hotkey 11 from Alice (owner) and Bob (nominator)
    s.delegates.insert(k(11), 0);
    for (c, x) in [(ALICE, 300), (BOB, 200)] {
        staking::add_stake(
            &mut s,
            &c,
            &staking::AddStake {
                hotkey: k(11),
                amount: x,
            },
            &mut Events::disabled(),
        )
        .unwrap();
    }
    s.axons.insert(
        (1, k(11)),
        crate::state::AxonInfo {
            block: 1,
            version: 0,
            ip: 1,
            port: 1,
            ip_type: 4,
            protocol: 0,
            placeholder1: 0,
            placeholder2: 0,
        },
    );
    let (alice, bob) = (s.free(&ALICE), s.free(&BOB));
    s.block = 5001; // all out of immunity (registered at 1, period 5000)
    let mut ev = Events::enabled();
    burned_register(
        &mut s,
        &BOB,
        &BurnedRegister {
            netuid: 1,
            hotkey: k(20),
        },
        &mut ev,
    )
    .unwrap();
    // uid 1 had the lowest pruning score
    let sub = &s.subnets[&1];
    assert_eq!(sub.neurons.keys, vec![k(10), k(20), k(12)]);
    assert_eq!(sub.neurons.uids.get(&k(11)), None);
    assert_eq!(sub.neurons.uids[&k(20)], 1);
    assert_eq!(sub.n, 3);
    assert_eq!(sub.neurons.pruning_scores, vec![5, 65535, 9]);
    assert_eq!(sub.neurons.block_at_registration, vec![1, 5001, 1]);
    assert!(sub.neurons.active[1]);
    // kept (quirks)
    assert_eq!(sub.neurons.weights[1], vec![(0, 65535)]);
    assert_eq!(sub.neurons.bonds[1], vec![(2, 7)]);
    assert_eq!(sub.neurons.last_update[1], 1);
    assert!(sub.neurons.validator_permit[1]);
    assert_eq!((sub.neurons.rank[1], sub.neurons.emission[1]), (11, 12));
    assert!(s.axons.contains_key(&(1, k(11))));
    // the old hotkey is on no network: its stake returned (ascending coldkey), account kept
    assert!(!s.is_network_member.contains_key(&k(11)));
    assert_eq!(s.free(&ALICE), alice + 300);
    assert_eq!(s.free(&BOB), bob + 200 - 1000);
    assert_eq!(s.total_hotkey_stake(&k(11)), 0);
    assert_eq!(s.owner[&k(11)], ALICE);
    assert!(s.is_delegate(&k(11)));
    assert_eq!(
        names(&ev),
        vec!["StakeReturned", "StakeReturned", "NeuronRegistered"]
    );
    assert_eq!(
        ev.list[0].fields,
        vec![
            ("hotkey", Value::Account(k(11))),
            ("coldkey", Value::Account(ALICE)),
            ("amount", Value::U64(300))
        ]
    );
    assert_eq!(ev.list[2].fields[1], ("uid", Value::U64(1)));
    assert_supply(&s);
}

#[test]
fn replace_keeps_stake_of_a_hotkey_registered_elsewhere() {
    let mut s = full_subnet();
    crate::subnets::init_new_network(&mut s, 2, 360);
    s.subnet_storage_mut(2).params.burn = 1000;
    fill(&mut s, 2, &[k(11)]);
    staking::add_stake(
        &mut s,
        &ALICE,
        &staking::AddStake {
            hotkey: k(11),
            amount: 300,
        },
        &mut Events::disabled(),
    )
    .unwrap();
    s.block = 5001;
    let mut ev = Events::enabled();
    burned_register(
        &mut s,
        &BOB,
        &BurnedRegister {
            netuid: 1,
            hotkey: k(20),
        },
        &mut ev,
    )
    .unwrap();
    assert_eq!(names(&ev), vec!["NeuronRegistered"]);
    assert_eq!(s.total_hotkey_stake(&k(11)), 300);
    assert_eq!(s.is_network_member[&k(11)].get(&1), None);
    assert!(s.is_network_member[&k(11)][&2]);
}

#[test]
fn replace_in_immunity_takes_the_immune_minimum() {
    let mut s = full_subnet();
    s.block = 100; // everybody immune
    burn_reg(&mut s, BOB, 1, k(20)).unwrap();
    assert_eq!(s.subnets[&1].neurons.keys[1], k(20));
    // the replaced uid now scores 65535 and is fresh: next the immune minimum is uid 0
    s.subnet_storage_mut(1).registrations_this_block = 0;
    burn_reg(&mut s, BOB, 1, k(21)).unwrap();
    assert_eq!(s.subnets[&1].neurons.keys, vec![k(21), k(20), k(12)]);
}

#[test]
fn append_on_a_recreated_netuid_overwrites_block_at_registration() {
    let mut s = chain(&[(ALICE, 10_000)]);
    fill(&mut s, 1, &[k(10), k(11)]);
    // remove keeps BlockAtRegistration; re-create and register one neuron later
    crate::subnets::remove(&mut s, 1, &mut Events::disabled()).unwrap();
    crate::subnets::init_new_network(&mut s, 1, 360);
    s.block = 9;
    fill(&mut s, 1, &[k(12)]);
    let sub = &s.subnets[&1];
    assert_eq!(sub.neurons.block_at_registration, vec![9, 1]);
    assert_eq!(
        (
            sub.n,
            sub.neurons.keys.len(),
            sub.neurons.weights.len(),
            sub.neurons.last_update.len()
        ),
        (1, 1, 1, 1)
    );
    // the removed membership flags survive removal (quirk) but do not block re-registration
    assert!(s.is_network_member[&k(10)][&1]);
}

// ---- §15.8: registrations feed the A1 adjustment ---------------------------------------

/// AdjustmentInterval 1, MaxRegistrationsPerBlock 3, clamps not binding, burn 1000,
/// difficulty 10000, target 1; registrations happen in block 1.
fn adjustment_chain(alpha: u64) -> State {
    let mut s = chain(&[(ALICE, 1_000_000)]);
    let p = &mut s.subnet_storage_mut(1).params;
    p.adjustment_interval = 1;
    p.max_registrations_per_block = 3;
    p.adjustment_alpha = alpha;
    (p.min_burn, p.max_burn) = (1, u64::MAX);
    (p.min_difficulty, p.max_difficulty) = (1, u64::MAX);
    p.difficulty = 10_000;
    p.network_pow_registration_allowed = true;
    s
}

/// POW registration of `hotkey` on subnet 1 with work on the current block (H = 0).
fn pow_register_now(s: &mut State, hotkey: AccountId) {
    let difficulty = s.subnets[&1].params.difficulty;
    let (nonce, work) = pow::create_pow(&[0; 32], &hotkey, difficulty, 0, u64::MAX).unwrap();
    let b = s.block;
    register_pow(
        s,
        &hotkey,
        &Register {
            netuid: 1,
            block_number: b,
            nonce,
            work: work.to_vec(),
            hotkey,
            coldkey: BOB,
        },
        &mut Events::disabled(),
    )
    .unwrap();
}

/// Runs A1 of the next block and returns subnet 1's (burn, difficulty).
fn adjust_next_block(s: &mut State) -> (u64, u64) {
    s.block += 1;
    adjust_all(s, &mut Events::disabled());
    let p = &s.subnets[&1].params;
    (p.burn, p.difficulty)
}

#[test]
fn worked_adjustments_after_registrations_15_8() {
    let mut s = adjustment_chain(58_000);
    fill_burn(&mut s, &[k(10), k(11)]);
    assert_eq!(adjust_next_block(&mut s), (1500, 10_000));
    let sub = &s.subnets[&1];
    assert_eq!(
        (
            sub.registrations_this_interval,
            sub.burn_registrations_this_interval
        ),
        (0, 0)
    );

    let mut s = adjustment_chain(u64::MAX / 2);
    fill_burn(&mut s, &[k(10), k(11)]);
    assert_eq!(adjust_next_block(&mut s).0, 1250);

    // A: 1 burn + 2 POW
    let mut s = adjustment_chain(58_000);
    fill_burn(&mut s, &[k(10)]);
    pow_register_now(&mut s, k(20));
    pow_register_now(&mut s, k(21));
    assert_eq!(adjust_next_block(&mut s), (1000, 20_000));

    // B: 2 burn + 1 POW
    let mut s = adjustment_chain(58_000);
    fill_burn(&mut s, &[k(10), k(11)]);
    pow_register_now(&mut s, k(20));
    assert_eq!(adjust_next_block(&mut s), (2000, 10_000));
}

/// Burn registrations by Alice in the current block, keeping the subnet's limits.
fn fill_burn(s: &mut State, hotkeys: &[AccountId]) {
    for h in hotkeys {
        burn_reg(s, ALICE, 1, *h).unwrap();
    }
}

// ---- through the engine ----------------------------------------------------------------

/// Transaction bytes `[kind, origin, args…]` (docs/WIRE.md).
fn tx_bytes(kind: u64, origin: AccountId, args: Vec<rmpv::Value>) -> Vec<u8> {
    let mut a = vec![
        rmpv::Value::from(kind),
        rmpv::Value::Binary(origin.to_vec()),
    ];
    a.extend(args);
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &rmpv::Value::Array(a)).unwrap();
    out
}

#[test]
fn engine_live_and_replay_agree_on_registration_and_serving() {
    use crate::engine::Engine;
    use rmpv::Value as V;
    let acct = |a: AccountId| V::Binary(a.to_vec());
    let g = genesis_bytes(&[(ALICE, 5_000_000_000_000)], &[("network_rate_limit", 0)]);
    let mut live = Engine::from_genesis(&g).unwrap();
    let mut records = Vec::new();
    // block 1: a network (lock 1000 TAO), POW on at difficulty 1000, one burn registration
    for t in [
        tx_bytes(5, ALICE, vec![]),
        tx_bytes(
            14,
            SUDO_KEY,
            vec![
                V::from(1),
                V::from("network_pow_registration_allowed"),
                V::from(true),
            ],
        ),
        tx_bytes(
            14,
            SUDO_KEY,
            vec![V::from(1), V::from("difficulty"), V::from(1000)],
        ),
        tx_bytes(7, ALICE, vec![V::from(1), acct(k(10))]),
    ] {
        live.submit(&t).unwrap();
    }
    records.push(live.seal().unwrap());
    // block 2: POW on the hash of sealed block 1, an axon, and a rejected registration
    live.open_block().unwrap();
    let h1 = live.state.block_hash(1).unwrap();
    let (nonce, work) = pow::create_pow(&h1, &k(20), 1000, 0, u64::MAX).unwrap();
    let pow_tx = tx_bytes(
        8,
        k(20),
        vec![
            V::from(1),
            V::from(1),
            V::from(nonce),
            V::Binary(work.to_vec()),
            acct(k(20)),
            acct(BOB),
        ],
    );
    let events = live.submit(&pow_tx).unwrap();
    assert_eq!(names_of(&events), vec!["NeuronRegistered"]);
    let mut ip = vec![0u8; 12];
    ip.extend([10, 0, 0, 1]);
    let axon = vec![V::from(1), V::from(0), V::Binary(ip), V::from(8091)];
    let axon_tail = vec![V::from(4), V::from(0), V::from(0), V::from(0)];
    live.submit(&tx_bytes(12, k(10), [axon, axon_tail].concat()))
        .unwrap();
    let dup = tx_bytes(7, ALICE, vec![V::from(1), acct(k(10))]);
    assert_eq!(
        live.submit(&dup),
        Err(ChainError::from(RuleError::TooManyRegistrationsThisBlock)),
        "C4 (the POW registration used this block's slot) comes before C6"
    );
    records.push(live.seal().unwrap());
    live.check_invariants().unwrap();
    let sub = &live.state.subnets[&1];
    assert_eq!((sub.neurons.uids[&k(10)], sub.neurons.uids[&k(20)]), (0, 1));
    assert_eq!(live.state.axons[&(1, k(10))].ip, 0x0A00_0001);
    let mut replay = Engine::from_genesis(&g).unwrap();
    replay
        .apply_records(records.iter().map(|r| r.as_slice()))
        .unwrap();
    assert_eq!(replay.state_root(), live.state_root());
}

fn names_of(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.name).collect()
}

mod pow_register;
mod sudo_root;
