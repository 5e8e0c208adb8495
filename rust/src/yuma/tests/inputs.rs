//! Input validation (every error names its argument or row) and edge cases: the empty subnet,
//! top-k ties, cleared and unchanged bonds rows.

use super::*;

fn error_of(c: &Case) -> String {
    match epoch(&c.input()) {
        Err(ChainError::InvalidArgument(m)) | Err(ChainError::Fatal(m)) => m,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn invalid_inputs_are_named() {
    let base = || Case::new(4, vec![1; 4], 4);
    let mut c = base();
    c.weights.pop();
    assert_eq!(error_of(&c), "weights has 3 rows, expected 4");
    let mut c = base();
    c.bonds.push(vec![]);
    assert_eq!(error_of(&c), "bonds has 5 rows, expected 4");
    let mut c = base();
    c.last_update.pop();
    assert_eq!(error_of(&c), "last_update has 3 entries, expected 4");
    let mut c = base();
    c.block_at_registration.pop();
    assert_eq!(
        error_of(&c),
        "block_at_registration has 3 entries, expected 4"
    );
    let mut c = base();
    c.permit.pop();
    assert_eq!(error_of(&c), "validator_permit has 3 entries, expected 4");
    let mut c = base();
    c.weights[2] = vec![(1, 5), (4, 7)];
    assert_eq!(error_of(&c), "weights row 2 names uid 4, but n = 4");
    let mut c = base();
    c.permit[2] = true; // a read row and an unread row are both validated
    c.bonds[2] = vec![(1, 5), (1, 7)];
    assert_eq!(error_of(&c), "bonds row 2 names uid 1 twice");
    let mut c = base();
    c.bma = 1_000_001;
    assert_eq!(error_of(&c), "bonds_moving_average 1000001 exceeds 1000000");
    let mut c = base();
    c.stake = vec![u64::MAX / 2, u64::MAX / 2, 2, 0];
    assert!(error_of(&c).starts_with("stake sums to"));
}

#[test]
fn fixed_point_overflow_is_fatal() {
    // 32 769 entries of 65 535 sum to 2^31 + 32 767: beyond I32F32 (fatal by the rules).
    let n = 32_770;
    let mut c = Case::new(n, vec![1; n], 64);
    c.permit[0] = true;
    c.last_update = vec![1; n];
    c.weights[0] = (1..n as u16).map(|j| (j, 65535)).collect();
    assert!(matches!(epoch(&c.input()), Err(ChainError::Fatal(_))));
}

#[test]
fn empty_subnet() {
    let c = Case::new(0, vec![], 64);
    let out = c.run();
    assert!(out.emission.is_empty() && out.bonds.is_empty() && out.active.is_empty());
}

#[test]
fn topk_ties_lower_uid_loses() {
    let v: Vec<I32F32> = [3, 1, 3, 2, 3]
        .iter()
        .map(|&x| I32F32::from_num(x))
        .collect();
    assert_eq!(is_topk(&v, 2), vec![false, false, true, false, true]);
    assert_eq!(is_topk(&v, 5), vec![true; 5]);
    assert_eq!(is_topk(&v, 9), vec![true; 5]);
    assert_eq!(is_topk(&v, 0), vec![false; 5]);
}

#[test]
fn clear_and_unchanged_rows() {
    // uid 2 had a permit and loses it (cleared); uid 3 never had one (left as given).
    let mut c = Case::new(4, vec![10, 10, 1, 1], 2);
    c.permit = vec![true, true, true, false];
    c.bonds[2] = vec![(0, 7)];
    c.bonds[3] = vec![(1, 9)];
    let out = c.run();
    assert_eq!(out.validator_permit, vec![true, true, false, false]);
    assert_eq!(out.bonds[2], BondsRow::Clear);
    assert_eq!(out.bonds[3], BondsRow::Unchanged);
    check_against_literal(&c);
}
