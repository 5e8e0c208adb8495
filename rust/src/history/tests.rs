use super::*;
use crate::testutil::{genesis_bytes, transfer};

#[test]
fn bad_configurations_are_refused_by_name() {
    let e = Collector::new(Level::Neurons, None, Every::Blocks(0), 1).unwrap_err();
    assert!(matches!(e, ChainError::InvalidArgument(m) if m.starts_with("every")));
    let e = Collector::new(Level::Chain, None, Every::Epoch, 1).unwrap_err();
    assert!(matches!(e, ChainError::InvalidArgument(m) if m.starts_with("every")));
    let e = Collector::new(Level::Subnets, None, Every::Epoch, 0).unwrap_err();
    assert!(matches!(e, ChainError::InvalidArgument(m) if m.starts_with("start")));
}

#[test]
fn chain_rows_every_k_blocks_match_the_state_at_each_sample() {
    let g = genesis_bytes(&[([2; 32], 10_000), ([3; 32], 1_000)], &[]);
    let mut live = Engine::from_genesis(&g).unwrap();
    let mut records = Vec::new();
    for i in 0..7u64 {
        live.submit(&transfer(2, 3, 600 + i)).unwrap();
        records.push(live.seal().unwrap());
    }
    let mut replay = Engine::from_genesis(&g).unwrap();
    replay.apply_record(&records[0], false).unwrap();
    let mut c = Collector::new(Level::Chain, None, Every::Blocks(3), 2).unwrap();
    c.feed(&mut replay, records[1..].iter().map(|r| r.as_slice()))
        .unwrap();
    assert_eq!(c.chain.block, vec![2, 5]);
    assert_eq!(c.rows(), 2);
    assert_eq!(c.chain.total_balance, vec![11_000, 11_000]);
    assert_eq!(c.chain.subnets, vec![1, 1]);
    assert_eq!(replay.state_root(), live.state_root());
    // the root network is left out unless asked for; no subnet epochs ran
    let mut e = Engine::from_genesis(&g).unwrap();
    let mut n = Collector::new(Level::Neurons, Some(vec![0]), Every::Blocks(1), 1).unwrap();
    n.feed(&mut e, records.iter().map(|r| r.as_slice()))
        .unwrap();
    assert_eq!(n.rows(), 0, "the root network has no neurons here");
    let mut e = Engine::from_genesis(&g).unwrap();
    let mut s = Collector::new(Level::Subnets, Some(vec![0, 9]), Every::Blocks(2), 1).unwrap();
    s.feed(&mut e, records.iter().map(|r| r.as_slice()))
        .unwrap();
    assert_eq!(s.subnets.block, vec![1, 3, 5, 7]);
    assert_eq!(s.subnets.netuid, vec![0; 4], "netuid 9 does not exist");
    assert_eq!(s.subnets.tempo, vec![100; 4]);
}
