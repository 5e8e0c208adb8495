use super::*;
use crate::testutil::{genesis_bytes, transfer};

#[test]
fn live_equals_replay() {
    let g = genesis_bytes(&[([1; 32], 10_000), ([2; 32], 1_000)], &[]);
    let mut live = Engine::from_genesis(&g).unwrap();
    let mut records = Vec::new();
    for i in 0..5u64 {
        live.submit(&transfer(1, 2, 600 + i)).unwrap();
        assert!(live.submit(&transfer(2, 3, 1)).is_err());
        records.push(live.seal().unwrap());
    }
    let mut replay = Engine::from_genesis(&g).unwrap();
    replay
        .apply_records(records.iter().map(|r| r.as_slice()))
        .unwrap();
    assert_eq!(replay.state_root(), live.state_root());
    assert_eq!(replay.head(), 5);
    replay.check_invariants().unwrap();
    // reordering is detected
    let mut bad = Engine::from_genesis(&g).unwrap();
    let e = bad.apply_record(&records[1], false).unwrap_err();
    assert!(matches!(e, ChainError::Corrupted { block: 1, .. }));
}

#[test]
fn genesis_checks() {
    assert!(Engine::from_genesis(&genesis_bytes(&[([1; 32], S_MAX), ([2; 32], 1)], &[])).is_err());
    assert!(Engine::from_genesis(&genesis_bytes(&[([1; 32], 5), ([1; 32], 1)], &[])).is_err());
    let e = Engine::from_genesis(&genesis_bytes(&[([1; 32], S_MAX)], &[])).unwrap();
    assert_eq!(e.state.total_issuance, S_MAX);
    assert!(e.state.subnet_exists(0));
}
