use super::*;
use crate::engine::genesis_state;
use crate::events::Value;
use crate::testutil::genesis_bytes;

fn hk(k: u8) -> AccountId {
    [40 + k; 32]
}

/// Registers hotkeys `hk(first)..` as uids 0.. of `netuid`, every per-uid vector at length n.
fn fill(sub: &mut Subnet, first: u8, n: u16) {
    sub.added = true;
    sub.n = n;
    for u in 0..n {
        sub.neurons.keys.push(hk(first + u as u8));
        sub.neurons.uids.insert(hk(first + u as u8), u);
    }
    let n = n as usize;
    sub.neurons.weights = vec![Vec::new(); n];
    sub.neurons.last_update = vec![0; n];
    sub.neurons.validator_permit = vec![false; n];
    sub.neurons.block_at_registration = vec![0; n];
}

/// Block 1000. Subnet 1: uids 0..4 = hk(0..4), uid 0 holds a permit, MinAllowedWeights 2,
/// MaxWeightsLimit 65535. Root: uids 0..2 = hk(10..12). Subnet 3 exists too.
fn state() -> State {
    let mut s = genesis_state(&genesis_bytes(&[], &[])).unwrap();
    s.block = 1000;
    let mut sub = Subnet::default();
    fill(&mut sub, 0, 4);
    sub.neurons.validator_permit[0] = true;
    sub.params.min_allowed_weights = 2;
    sub.params.max_weights_limit = 65535;
    s.subnets.insert(1, sub);
    let mut three = Subnet::default();
    fill(&mut three, 20, 0);
    s.subnets.insert(3, three);
    fill(s.subnets.get_mut(&0).unwrap(), 10, 2);
    s.total_networks = 3;
    s
}

fn set(s: &mut State, h: AccountId, netuid: u16, uids: &[u16], vals: &[u16]) -> Result<Vec<Event>> {
    let mut ev = Events::enabled();
    set_weights(
        s,
        &h,
        &SetWeights {
            netuid,
            uids: uids.to_vec(),
            values: vals.to_vec(),
            version_key: 0,
        },
        &mut ev,
    )?;
    Ok(ev.list)
}

fn rejects(s: &mut State, e: RuleError, f: impl FnOnce(&mut State) -> Result<Vec<Event>>) {
    let before = s.clone();
    assert_eq!(f(s), Err(ChainError::Rule(e.into())));
    assert_eq!(*s, before, "state changed by a rejected {e:?}");
}

#[test]
fn upscaled_at_set_time_in_submission_order() {
    let mut s = state();
    let evs = set(&mut s, hk(0), 1, &[2, 1], &[32767, 32767]).unwrap();
    assert_eq!(
        s.subnets[&1].neurons.weights[0],
        vec![(2, 65535), (1, 65535)]
    );
    assert_eq!(s.subnets[&1].neurons.last_update[0], 1000);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].name, "WeightsSet");
    assert_eq!(
        evs[0].fields,
        vec![("netuid", Value::U64(1)), ("uid", Value::U64(0))]
    );
    set(&mut s, hk(0), 1, &[3, 1, 2], &[0, 1, 65534]).unwrap_err();
    s.block = 1100;
    set(&mut s, hk(0), 1, &[3, 1, 2], &[0, 1, 65534]).unwrap();
    assert_eq!(
        s.subnets[&1].neurons.weights[0],
        vec![(3, 0), (1, 1), (2, 65535)]
    );
}

#[test]
fn each_check_in_order() {
    let mut s = state();
    use RuleError::*;
    rejects(&mut s, WeightVecNotEqualSize, |s| {
        set(s, hk(9), 7, &[1, 2], &[1])
    });
    rejects(&mut s, NetworkDoesNotExist, |s| {
        set(s, hk(9), 7, &[1], &[1])
    });
    rejects(&mut s, TooManyUids, |s| {
        set(s, hk(9), 1, &[0, 1, 2, 3, 4], &[1; 5])
    });
    rejects(&mut s, NotRegistered, |s| {
        set(s, hk(9), 1, &[1, 2], &[1, 1])
    });
    s.subnets.get_mut(&1).unwrap().params.weights_version_key = 5;
    rejects(&mut s, IncorrectNetworkVersionKey, |s| {
        set_weights(
            s,
            &hk(0),
            &SetWeights {
                netuid: 1,
                uids: vec![1, 2],
                values: vec![1, 1],
                version_key: 4,
            },
            &mut Events::enabled(),
        )
        .map(|_| vec![])
    });
    set_weights(
        &mut s,
        &hk(0),
        &SetWeights {
            netuid: 1,
            uids: vec![1, 2],
            values: vec![1, 1],
            version_key: 5,
        },
        &mut Events::disabled(),
    )
    .unwrap();
    s.subnets.get_mut(&1).unwrap().params.weights_version_key = 0;
    // Rate limit 100: at 1099 too fast, at 1100 allowed again.
    s.block = 1099;
    rejects(&mut s, SettingWeightsTooFast, |s| {
        set(s, hk(0), 1, &[1, 2], &[1, 1])
    });
    s.block = 1100;
    rejects(&mut s, NoValidatorPermit, |s| {
        set(s, hk(1), 1, &[0, 2], &[1, 1])
    });
    rejects(&mut s, DuplicateUids, |s| {
        set(s, hk(0), 1, &[1, 2, 1], &[1, 1, 1])
    });
    rejects(&mut s, InvalidUid, |s| set(s, hk(0), 1, &[1, 4], &[1, 1]));
    rejects(&mut s, NotSettingEnoughWeights, |s| {
        set(s, hk(0), 1, &[1], &[1])
    });
    s.subnets.get_mut(&1).unwrap().params.max_weights_limit = 32768;
    rejects(&mut s, MaxWeightExceeded, |s| {
        set(s, hk(0), 1, &[1, 2], &[2, 1])
    });
    // Exactly half of the normalised weight is within a limit of 32768/65535.
    set(&mut s, hk(0), 1, &[1, 2], &[7, 7]).unwrap();
}

#[test]
fn self_weight_needs_no_permit_nor_min_weights_nor_limit() {
    let mut s = state();
    s.subnets.get_mut(&1).unwrap().params.max_weights_limit = 1000;
    set(&mut s, hk(2), 1, &[2], &[9]).unwrap();
    assert_eq!(s.subnets[&1].neurons.weights[2], vec![(2, 65535)]);
    // One weight on someone else is neither a self-weight nor permitted.
    rejects(&mut s, RuleError::NoValidatorPermit, |s| {
        set(s, hk(3), 1, &[2], &[9])
    });
    // MinAllowedWeights is capped by n.
    let sub = s.subnets.get_mut(&1).unwrap();
    sub.params.min_allowed_weights = 1024;
    sub.params.max_weights_limit = 65535;
    set(&mut s, hk(0), 1, &[0, 1, 2, 3], &[1; 4]).unwrap();
}

#[test]
fn root_weights_target_existing_netuids() {
    let mut s = state();
    rejects(&mut s, RuleError::InvalidUid, |s| {
        set(s, hk(10), 0, &[1, 2], &[1, 1])
    });
    // More targets than root validators is fine, and no permit is needed.
    set(&mut s, hk(10), 0, &[3, 1, 0], &[100, 200, 50]).unwrap();
    assert_eq!(
        s.subnets[&0].neurons.weights[0],
        vec![(3, 32768), (1, 65535), (0, 16384)]
    );
    assert_eq!(s.subnets[&0].neurons.last_update[0], 1000);
    rejects(&mut s, RuleError::DuplicateUids, |s| {
        set(s, hk(11), 0, &[1, 1], &[1, 1])
    });
    // No self-weight exemption on root: MinAllowedWeights[0] = 2, n = 2.
    s.subnets.get_mut(&0).unwrap().params.min_allowed_weights = 2;
    rejects(&mut s, RuleError::NotSettingEnoughWeights, |s| {
        set(s, hk(11), 0, &[1], &[1])
    });
    // ... but the max-weight check exempts "self-weight" (netuid = own root uid).
    let root = s.subnets.get_mut(&0).unwrap();
    root.params.min_allowed_weights = 0;
    root.params.max_weights_limit = 100;
    set(&mut s, hk(11), 0, &[1], &[1]).unwrap();
    s.block = 1100;
    rejects(&mut s, RuleError::MaxWeightExceeded, |s| {
        set(s, hk(11), 0, &[3], &[1])
    });
}
