use super::*;

#[test]
fn round_trip_and_root() {
    let mut s = State::default();
    s.set_free(&[3; 32], 77);
    s.total_issuance = 77;
    let b = encode(&s);
    let back = decode(&b).unwrap();
    assert_eq!(back, s);
    assert_eq!(state_root(&back), state_root(&s));
    s.set_free(&[3; 32], 78);
    assert_ne!(state_root(&back), state_root(&s));
    assert!(decode(&b[..b.len() - 1]).is_err());
}
