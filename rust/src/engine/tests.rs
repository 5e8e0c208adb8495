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

/// `apply_records` hashes and decodes chunks ahead of applying: over many chunks it gives the
/// state of one-by-one replay, and a damaged record in a later chunk stops it at that block
/// with `apply_record`'s error, the blocks before it applied.
#[test]
fn apply_records_in_chunks_equals_one_by_one() {
    let g = genesis_bytes(&[([1; 32], 1_000_000), ([2; 32], 1_000)], &[]);
    let mut live = Engine::from_genesis(&g).unwrap();
    let records: Vec<Vec<u8>> = (0..3 * PREPARE_RECORDS as u64 + 5)
        .map(|i| {
            live.submit(&transfer(1, 2, 600 + i)).unwrap();
            live.seal().unwrap()
        })
        .collect();
    let mut all = Engine::from_genesis(&g).unwrap();
    all.apply_records(records.iter().map(|r| r.as_slice()))
        .unwrap();
    assert_eq!(all.state_root(), live.state_root());
    assert_eq!(all.head_hash(), live.head_hash());
    for (k, damage) in [(70usize, "truncated"), (41, "altered")] {
        let mut bad = records.clone();
        if damage == "truncated" {
            let n = bad[k].len() - 3;
            bad[k].truncate(n);
        } else {
            let last = bad[k].len() - 1;
            bad[k][last] ^= 1; // the amount: decodes, but block k + 2's parent hash breaks
        }
        let mut one = Engine::from_genesis(&g).unwrap();
        let first_err = bad
            .iter()
            .find_map(|r| one.apply_record(r, false).err())
            .unwrap();
        let mut many = Engine::from_genesis(&g).unwrap();
        let err = many
            .apply_records(bad.iter().map(|r| r.as_slice()))
            .unwrap_err();
        assert_eq!(err.to_string(), first_err.to_string(), "{damage}");
        let at = if damage == "truncated" { k + 1 } else { k + 2 };
        assert!(matches!(err, ChainError::Corrupted { block, .. } if block == at as u64));
        assert_eq!(many.state_root(), one.state_root());
        assert_eq!(many.head(), one.head());
    }
}

#[test]
fn genesis_checks() {
    assert!(Engine::from_genesis(&genesis_bytes(&[([1; 32], S_MAX), ([2; 32], 1)], &[])).is_err());
    assert!(Engine::from_genesis(&genesis_bytes(&[([1; 32], 5), ([1; 32], 1)], &[])).is_err());
    let e = Engine::from_genesis(&genesis_bytes(&[([1; 32], S_MAX)], &[])).unwrap();
    assert_eq!(e.state.total_issuance, S_MAX);
    assert!(e.state.subnet_exists(0));
}
