use super::*;
use crate::error::RuleError;
use crate::testutil::{genesis_bytes, transfer};

fn main_line() -> (Engine, Vec<Vec<u8>>) {
    let g = genesis_bytes(&[([2; 32], 10_000), ([3; 32], 1_000)], &[]);
    let mut live = Engine::from_genesis(&g).unwrap();
    let base = live.clone();
    let mut records = Vec::new();
    for i in 0..6u64 {
        live.submit(&transfer(2, 3, 600 + i)).unwrap();
        live.submit(&transfer(3, 4, 550)).unwrap();
        records.push(live.seal().unwrap());
    }
    (base, records)
}

#[test]
fn an_unchanged_fork_reproduces_every_record_and_root() {
    let (base, records) = main_line();
    let mut main = base.clone();
    let mut fork = base.clone();
    for r in &records {
        main.apply_record(r, false).unwrap();
        let out = resubmit(&mut fork, r).unwrap();
        assert!(out.rejected.is_empty());
        assert_eq!(&out.record, r);
        assert_eq!(fork.state_root(), main.state_root());
    }
    // the clone is a deep copy: the base did not move
    assert_eq!(base.head(), 0);
}

#[test]
fn a_changed_fork_skips_what_its_rules_refuse_and_names_the_rule() {
    let (base, records) = main_line();
    let mut fork = base.clone();
    // ahead of the source's first block, account 3 spends its balance in the fork
    fork.submit(&transfer(3, 5, 1_000)).unwrap();
    // block 1: 3 receives 600 and would pay 550, leaving 50 below the existential deposit
    let out = resubmit(&mut fork, &records[0]).unwrap();
    assert_eq!(out.rejected.len(), 1);
    assert_eq!(out.rejected[0].0, 1);
    let ChainError::Rule(r) = &out.rejected[0].1 else {
        panic!("a rule error, got {:?}", out.rejected[0].1)
    };
    let codes = [
        RuleError::InsufficientBalance.code(),
        RuleError::BalanceBelowExistentialDeposit.code(),
    ];
    assert!(codes.contains(&r.code()), "{}", r.code());
    assert_ne!(&out.record, &records[0]);
    // block 2: 3 holds 600 + 601 and pays 550
    let out = resubmit(&mut fork, &records[1]).unwrap();
    assert!(out.rejected.is_empty());
    assert_eq!(fork.head(), 2);
    fork.check_invariants().unwrap();
}

#[test]
fn a_record_out_of_order_is_refused_and_changes_nothing() {
    let (base, records) = main_line();
    let mut fork = base.clone();
    let root = fork.state_root();
    let e = resubmit(&mut fork, &records[2]).unwrap_err();
    assert!(matches!(e, ChainError::InvalidArgument(_)));
    let e = resubmit(&mut fork, b"\x01\x02").unwrap_err();
    assert!(matches!(e, ChainError::InvalidArgument(_)));
    assert_eq!(fork.state_root(), root);
    assert!(!fork.is_open());
}
