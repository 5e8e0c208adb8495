use super::*;

#[test]
fn rows_follow_the_fields_and_defaults() {
    let d = SubnetParams::default();
    let names: Vec<&str> = d.values().map(|(p, _)| p.name).collect();
    let rows: Vec<&str> = SUBNET_PARAMS.iter().map(|p| p.name).collect();
    assert_eq!(names, rows);
    assert_eq!(rows.len(), 28);
    for (p, v) in d.values() {
        assert_eq!(v, p.value(p.default), "{}", p.name);
        assert_eq!(d.get(p.name), Some(p.default));
    }
    assert_eq!(d.max_difficulty, u64::MAX / 4);
    let g = Globals::default();
    assert_eq!(GLOBAL_PARAMS.len(), 8);
    for (p, _) in g.values() {
        assert_eq!(g.get(p.name), Some(p.default));
        assert_eq!((p.setter, p.needs_subnet), (Some(Setter::Sudo), false));
    }
    assert_eq!(g.network_min_lock_cost, 1_000_000_000_000);
}

#[test]
fn the_table_states_the_ruleset_columns() {
    let row = |n| SubnetParams::row(n).unwrap();
    assert_eq!(row("burn").setter, None);
    assert_eq!(row("immunity_period").setter, Some(Setter::OwnerOrSudo));
    assert_eq!(row("tempo").setter, Some(Setter::Sudo));
    assert!(!row("serving_rate_limit").needs_subnet && row("tempo").needs_subnet);
    assert_eq!(
        (
            row("bonds_moving_average").min,
            row("bonds_moving_average").max
        ),
        (0, 1_000_000)
    );
    assert_eq!(row("max_allowed_uids").check, Check::AboveNeuronCount);
    assert_eq!(row("max_allowed_uids").max, 32_768);
    assert_eq!(row("target_registrations_per_interval").min, 1);
    assert_eq!(row("network_registration_allowed").ty, Ty::Bool);
    assert_eq!(
        Globals::row("network_lock_reduction_interval").unwrap().min,
        1
    );
    assert_eq!(Globals::row("total_issuance"), None);
    assert_eq!(SubnetParams::row("total_issuance"), None);
}

#[test]
fn fit_store_and_get() {
    let p = SubnetParams::row("kappa").unwrap();
    assert_eq!(p.fit(ParamValue::Int(65_535)), Some(65_535));
    assert_eq!(p.fit(ParamValue::Int(65_536)), None);
    assert_eq!(p.fit(ParamValue::Bool(true)), None);
    let b = SubnetParams::row("network_registration_allowed").unwrap();
    assert_eq!(b.fit(ParamValue::Bool(true)), Some(1));
    assert_eq!(b.fit(ParamValue::Int(1)), None);
    let mut s = SubnetParams::default();
    assert!(s.store("kappa", 7) && s.store("network_registration_allowed", 1));
    assert_eq!((s.kappa, s.network_registration_allowed), (7, true));
    assert_eq!(s.get("network_registration_allowed"), Some(1));
    assert!(!s.store("nope", 1));
    assert_eq!(s.get("nope"), None);
    assert!(!SubnetParams::row("scaling_law_power")
        .unwrap()
        .in_bounds(101));
}
