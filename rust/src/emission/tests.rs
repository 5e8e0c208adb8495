use super::*;
use crate::testutil::assert_supply;

#[test]
fn halving_vectors() {
    assert_eq!(block_emission(0), 1_000_000_000);
    assert_eq!(block_emission(10_500_000_000_000_000), 500_000_000);
    assert_eq!(block_emission(15_800_000_000_000_000), 250_000_000);
    assert_eq!(block_emission(21_000_000_000_000_000), 0);
    assert_eq!(block_emission(u64::MAX), 0);
}

#[test]
fn halving_thresholds_exact() {
    let table: &[(u64, u64)] = &[
        (0, 1_000_000_000),
        (10_500_000_000_000_000, 500_000_000),
        (15_750_000_000_000_000, 250_000_000),
        (18_375_000_000_000_000, 125_000_000),
        (19_687_500_000_000_000, 62_500_000),
        (20_343_750_000_000_000, 31_250_000),
        (20_671_875_000_000_000, 15_625_000),
        (20_835_937_500_000_000, 7_812_500),
        (20_917_968_750_000_000, 3_906_250),
        (20_958_984_375_000_000, 1_953_125),
        (20_979_492_187_500_000, 976_562),
        (20_999_999_960_884_452, 1),
        (20_999_999_980_442_226, 0),
    ];
    for w in table.windows(2) {
        let (from, e) = w[0];
        assert_eq!(block_emission(from), e, "at {from}");
        let (next, e2) = w[1];
        if e2 != e && next > 0 {
            // the value just below the next threshold is still the previous emission
            // unless the table skips levels (h = 10 → 29)
            if e / 2 == e2 || (e == 1_000_000_000 && e2 == 500_000_000) {
                assert_eq!(block_emission(next - 1), e, "below {next}");
            }
        }
        assert_eq!(block_emission(next), e2, "at {next}");
    }
}

#[test]
fn epoch_schedule() {
    assert_eq!(blocks_until_next_epoch(0, 0, 0), 1000);
    assert_eq!(blocks_until_next_epoch(0, 1, 0), 0);
    assert_eq!(blocks_until_next_epoch(1, 1, 0), 1);
    assert_eq!(blocks_until_next_epoch(0, 1, 1), 1);
    assert_eq!(blocks_until_next_epoch(1, 1, 1), 0);
    assert_eq!(blocks_until_next_epoch(0, 1, 2), 0);
    assert_eq!(blocks_until_next_epoch(1, 10, 0), 8);
    assert_eq!(blocks_until_next_epoch(1, 10, 8), 0);
    assert!(epoch_due(0, 100, 99) && epoch_due(0, 100, 200) && epoch_due(1, 360, 358));
}

/// A state with subnets 1 and 2 (tempo 10, `uids` neurons each: hotkeys `[10·u + k; 32]`, owned
/// by coldkey `[200 + k; 32]`, staked `1000·(k + 1)` rao, every validator weighting every uid),
/// at block 8: subnet 1's epoch is due, and subnet 2 holds tuples of last block's epoch to drain
/// — `shared`: one of them names a hotkey of subnet 1 (a hotkey on both subnets).
fn early_epoch_state(uids: u8, shared: bool) -> State {
    let mut st = State {
        block: 8,
        ..State::default()
    };
    for netuid in [1u16, 2] {
        let sub = st.subnet_storage_mut(netuid);
        sub.added = true;
        sub.params.tempo = 10;
        sub.emission_values = 1_000_000;
        for k in 0..uids {
            let hk = [10 * netuid as u8 + k; 32];
            let uid = sub.append_neuron(&hk, 0);
            sub.neurons.last_update[uid as usize] = 5;
            sub.neurons.validator_permit[uid as usize] = k < uids / 2;
            if k < uids / 2 {
                sub.neurons.weights[uid as usize] = (0..uids as u16)
                    .map(|j| (j, 1000 + 37 * j + k as u16))
                    .collect();
            }
        }
        for k in 0..uids {
            let hk = [10 * netuid as u8 + k; 32];
            st.owner.insert(hk, [200 + k; 32]);
            crate::staking::increase_stake(&mut st, &[200 + k; 32], &hk, 1000 * (k as u64 + 1))
                .unwrap();
        }
    }
    st.total_issuance = st.total_stake;
    let mut tuples: Vec<EmissionTuple> = (0..uids).map(|k| ([20 + k; 32], 50, 70)).collect();
    if shared {
        tuples.push(([10; 32], 5, 0)); // uid 0 of subnet 1
        st.owner.insert([10; 32], [200; 32]);
    }
    st.subnet_storage_mut(2).loaded_emission = Some(tuples);
    st.total_networks = 2;
    st
}

fn step_with_threads(st: &State, threads: usize) -> State {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let mut st = st.clone();
    pool.install(|| block_step(&mut st, &mut Events::default()))
        .unwrap();
    st
}

/// The early epoch (`EarlyEpoch`, taken with two threads) gives exactly the serial block step:
/// its result is used when the drain credits none of its hotkeys, and thrown away (the epoch
/// run again in order) when it does.
#[test]
fn early_epoch_equals_the_serial_step() {
    for shared in [false, true] {
        let st = early_epoch_state(8, shared);
        let serial = step_with_threads(&st, 1);
        let early = step_with_threads(&st, 2);
        assert_eq!(early, serial, "shared hotkey: {shared}");
        // the epoch ran and loaded its tuples; the drain paid subnet 2's
        let sub1 = &serial.subnets[&1];
        assert_eq!(sub1.last_mechanism_step_block, 8);
        assert!(sub1.loaded_emission.as_ref().is_some_and(|t| t.len() == 8));
        assert!(sub1.neurons.validator_permit.iter().any(|&p| p));
        assert!(serial.subnets[&2].loaded_emission.is_none());
        assert_eq!(serial.total_hotkey_stake(&[20; 32]), 1000 + 120);
        assert_supply(&serial);

        // the pieces: taken with two threads, kept only when the stakes it read are unchanged
        let netuids = st.netuids();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| {
            let mut s = st.clone();
            let e = EarlyEpoch::take(&mut s, &netuids).expect("due, with tuples to drain");
            assert_eq!(e.netuid, 1);
            assert!(s.subnets[&1].neurons.keys.is_empty(), "moved out meanwhile");
            let shares = e.compute();
            drain(&mut s, &mut Events::default()).unwrap();
            let kept = e.put_back(&mut s, shares);
            assert_eq!(kept.is_some(), !shared);
            assert_eq!(s.subnets[&1].neurons, st.subnets[&1].neurons);
        });
        // not on a pool thread (a live step), one thread, or nothing to drain: not taken
        assert!(EarlyEpoch::take(&mut st.clone(), &netuids).is_none());
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        assert!(one
            .install(|| EarlyEpoch::take(&mut st.clone(), &netuids))
            .is_none());
        let mut idle = st.clone();
        idle.subnet_storage_mut(2).loaded_emission = None;
        assert!(pool
            .install(|| EarlyEpoch::take(&mut idle, &netuids))
            .is_none());
    }
}

/// `epoch_shares` priced later is `epoch`.
#[test]
fn epoch_shares_priced_equals_epoch() {
    let st = early_epoch_state(6, false);
    let sub = &st.subnets[&1];
    let stake = epoch_stake(&st, &sub.neurons);
    for rao in [0u64, 1, 999_999_937, u64::MAX / 3] {
        let input = epoch_input(st.block, sub, &sub.neurons, &stake, rao);
        let direct = yuma::epoch(&input).unwrap();
        assert_eq!(yuma::epoch_shares(&input).unwrap().priced(rao), direct);
        assert!(rao < 1000 || direct.emission.iter().any(|&e| e > 0));
    }
}

/// `owner_cut` is §6.1's I96F32 arithmetic, on the worked examples and across u64.
#[test]
fn owner_cut_is_the_fixed_point_formula() {
    fn fixed(e: u64, c: u16) -> (u64, u64) {
        let e = I96F32::from_num(e);
        let cut = (e * I96F32::from_num(c)) / I96F32::from_num(65535u32);
        (i96_to_u64(cut), i96_to_u64(e - cut))
    }
    assert_eq!(owner_cut(1_000_000_000, 11_796), (179_995_422, 820_004_577));
    assert_eq!(owner_cut(246_922_263, 11_796), (44_444_877, 202_477_385));
    assert_eq!(owner_cut(1, 11_796), (0, 0));
    let mut rng = crate::testutil::XorShift(0x9e37_79b9_7f4a_7c15);
    let mut next = || rng.next();
    let edges = [0, 1, 65_534, 65_535, 65_536, u64::MAX - 1, u64::MAX];
    for &e in &edges {
        for c in [0u16, 1, 11_796, 32_767, 65_534, 65_535] {
            assert_eq!(owner_cut(e, c), fixed(e, c), "e={e} c={c}");
        }
    }
    for _ in 0..100_000 {
        let e = next() >> (next() % 64);
        let c = next() as u16;
        assert_eq!(owner_cut(e, c), fixed(e, c), "e={e} c={c}");
    }
}
