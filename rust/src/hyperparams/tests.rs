use super::*;
use crate::state::Subnet;

fn state() -> State {
    let mut s = State {
        sudo_key: [1; 32],
        ..Default::default()
    };
    s.subnets.insert(
        3,
        Subnet {
            added: true,
            n: 5,
            owner: Some([7; 32]),
            ..Default::default()
        },
    );
    s
}

fn set(s: &mut State, o: [u8; 32], n: Option<u16>, name: &str, v: ParamValue) -> Result<()> {
    sudo_set_hyperparameter(
        s,
        &Origin::Signed(o),
        &SudoSetHyperparameter {
            netuid: n,
            name: name.to_string(),
            value: v,
        },
        &mut Events::disabled(),
    )
}

#[test]
fn check_order() {
    let mut s = state();
    let r = |e: RuleError| Err(ChainError::Rule(e.into()));
    use ParamValue::*;
    assert_eq!(
        set(&mut s, [9; 32], Some(3), "nope", Int(1)),
        r(RuleError::UnknownHyperparameter)
    );
    assert_eq!(
        set(&mut s, [9; 32], None, "tempo", Int(1)),
        r(RuleError::UnknownHyperparameter)
    );
    assert_eq!(
        set(&mut s, [9; 32], Some(3), "tempo", Int(1)),
        r(RuleError::BadOrigin)
    );
    assert_eq!(
        set(&mut s, [7; 32], Some(3), "tempo", Int(1)),
        r(RuleError::BadOrigin)
    );
    assert_eq!(
        set(&mut s, [9; 32], None, "total_issuance", Int(1)),
        r(RuleError::BadOrigin)
    );
    assert_eq!(
        set(&mut s, [1; 32], None, "total_issuance", Int(1)),
        r(RuleError::CallNotSupported)
    );
    assert_eq!(
        set(&mut s, [1; 32], Some(4), "tempo", Int(1)),
        r(RuleError::NetworkDoesNotExist)
    );
    assert_eq!(
        set(&mut s, [1; 32], Some(3), "tempo", Int(70000)),
        r(RuleError::StorageValueOutOfRange)
    );
    assert_eq!(
        set(&mut s, [1; 32], Some(3), "tempo", Bool(true)),
        r(RuleError::StorageValueOutOfRange)
    );
    assert_eq!(
        set(&mut s, [1; 32], Some(3), "max_allowed_uids", Int(5)),
        r(RuleError::MaxAllowedUIdsNotAllowed)
    );
    assert_eq!(
        set(&mut s, [1; 32], Some(3), "max_allowed_uids", Int(40000)),
        r(RuleError::StorageValueOutOfRange)
    );
    assert_eq!(s, state());
    set(&mut s, [7; 32], Some(3), "immunity_period", Int(12)).unwrap();
    set(
        &mut s,
        [1; 32],
        Some(9),
        "network_registration_allowed",
        Bool(true),
    )
    .unwrap();
    assert_eq!(s.subnets[&3].params.immunity_period, 12);
    assert!(s.subnets[&9].params.network_registration_allowed);
    assert!(!s.subnets[&9].added);
}
