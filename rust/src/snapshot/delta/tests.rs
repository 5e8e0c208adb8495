use super::*;
use crate::snapshot::tests::pinned_history;

/// A state changed in every way the three maps can change — entries added, changed, removed;
/// a hotkey with a total only, one with coldkeys only — and elsewhere.
fn changed(base: &State) -> State {
    let mut now = base.clone();
    now.head += 10;
    now.block = now.head;
    now.total_issuance += 7;
    let (new_hot, new_cold) = ([0x61; 32], [0x62; 32]);
    now.owner.insert(new_hot, new_cold);
    let some = now.owner.keys_sorted()[0];
    now.owner.insert(some, [0x63; 32]);
    let gone = now.owner.keys_sorted()[1];
    now.owner.remove(&gone);
    now.stake.entry(new_hot).or_default().total = Some(5);
    now.stake
        .entry([0x64; 32])
        .or_default()
        .coldkeys_mut()
        .insert(new_cold, 9);
    let hk = now.stake.keys_sorted();
    *now.stake.get_mut(&hk[0]).unwrap().total_mut() += 1;
    now.stake.remove(&hk[1]);
    now
}

#[test]
fn a_delta_restores_the_state_it_was_made_from() {
    let base = pinned_history().state;
    assert!(base.owner.len() >= 2 && base.stake.len() >= 2);
    for mut now in [base.clone(), changed(&base)] {
        let before = now.clone();
        let delta = encode(&base, &mut now);
        assert_eq!(now, before, "the maps are put back");
        assert_eq!(apply(&crate::snapshot::encode(&base), &delta).unwrap(), now);
        // through the engine's snapshot bytes, as a reader gets them
        let base_bytes = crate::snapshot::encode(&base);
        let e = crate::engine::Engine::restore_delta(&base_bytes, &delta).unwrap();
        assert_eq!(e.state_root(), crate::snapshot::state_root(&now));
    }
}

#[test]
fn a_delta_holds_only_the_changed_entries_of_the_big_maps() {
    let base = pinned_history().state;
    let mut now = base.clone();
    for i in 0..200u8 {
        now.owner.insert([i; 32], [i ^ 0x55; 32]);
    }
    let full = crate::snapshot::encode(&now).len();
    let unchanged = encode(&now, &mut now.clone()).len();
    assert!(unchanged < full - 200 * 70, "{unchanged} {full}");
    let one = {
        let mut one = now.clone();
        one.owner.insert([0xee; 32], [1; 32]);
        encode(&now, &mut one).len()
    };
    assert_eq!(one, unchanged + 2 * 35 + 1);
}

#[test]
fn a_delta_is_refused_on_another_base_or_when_malformed() {
    let base = pinned_history().state;
    let mut now = changed(&base);
    let delta = encode(&base, &mut now);
    let mut other = base.clone();
    other.head += 1;
    match apply(&crate::snapshot::encode(&other), &delta) {
        Err(ChainError::Format(m)) => assert!(m.contains("made from the state of block"), "{m}"),
        r => panic!("{r:?}"),
    }
    for bad in [&delta[..delta.len() - 1], &delta[1..], &[0x97][..], &[][..]] {
        match apply(&crate::snapshot::encode(&base), bad) {
            Err(ChainError::Format(m)) => assert!(m.starts_with("delta snapshot:"), "{m}"),
            r => panic!("{r:?}"),
        }
    }
    let mut newer = delta.clone();
    assert_eq!(newer[1], DELTA_VERSION as u8);
    newer[1] += 1;
    match apply(&crate::snapshot::encode(&base), &newer) {
        Err(ChainError::Format(m)) => assert!(m.contains("version 2"), "{m}"),
        r => panic!("{r:?}"),
    }
}
