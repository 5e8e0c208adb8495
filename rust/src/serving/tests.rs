use super::*;
use crate::error::ChainError;

const HK: AccountId = [7; 32];
const IP4: u128 = 0x0A00_0001; // 10.0.0.1

fn member_state(block: u64) -> State {
    let mut s = State {
        block,
        ..Default::default()
    };
    s.is_network_member.entry(HK).or_default().insert(3, true);
    s
}

fn axon(ip: u128, port: u16, ip_type: u8) -> ServeAxon {
    ServeAxon {
        netuid: 0,
        version: 1,
        ip,
        port,
        ip_type,
        protocol: 4,
        placeholder1: 5,
        placeholder2: 6,
    }
}

fn rejects(s: &mut State, req: &ServeAxon, netuid: u16, e: RuleError) {
    let before = s.clone();
    let mut ev = Events::enabled();
    assert_eq!(
        serve_axon(
            s,
            &HK,
            &ServeAxon {
                netuid,
                ..req.clone()
            },
            &mut ev
        ),
        Err(ChainError::Rule(e.into()))
    );
    assert_eq!(*s, before);
    assert!(ev.is_empty());
}

#[test]
fn serve_axon_stores_on_any_netuid() {
    let mut s = member_state(10);
    let mut ev = Events::enabled();
    // registered on netuid 3, serving on netuid 9 (which does not even exist)
    serve_axon(
        &mut s,
        &HK,
        &ServeAxon {
            netuid: 9,
            ..axon(IP4, 8091, 4)
        },
        &mut ev,
    )
    .unwrap();
    let a = &s.axons[&(9, HK)];
    assert_eq!(
        *a,
        AxonInfo {
            block: 10,
            version: 1,
            ip: IP4,
            port: 8091,
            ip_type: 4,
            protocol: 4,
            placeholder1: 5,
            placeholder2: 6
        }
    );
    assert_eq!(ev.list[0].name, "AxonServed");
    assert!(
        !s.subnets.contains_key(&9),
        "reading the rate limit creates no record"
    );
}

#[test]
fn serve_axon_errors_in_order() {
    let mut s = State {
        block: 10,
        ..Default::default()
    };
    // 1. not registered anywhere (a false entry does not count); checked before the ip
    s.is_network_member.entry(HK).or_default().insert(3, false);
    rejects(&mut s, &axon(0, 0, 9), 1, RuleError::NotRegistered);
    let mut s = member_state(10);
    // 2. ip type before address and port
    rejects(&mut s, &axon(0, 0, 5), 1, RuleError::InvalidIpType);
    // 3. addresses
    for (ip, t) in [
        (0, 4),
        (0, 6),
        (u32::MAX as u128, 4),
        (0x7F00_0001, 4),
        (u128::MAX, 6),
        (1, 6),
    ] {
        rejects(&mut s, &axon(ip, 0, t), 1, RuleError::InvalidIpAddress);
    }
    // 5. port (after the rate limit, which passes with no previous entry)
    rejects(&mut s, &axon(IP4, 0, 4), 1, RuleError::InvalidPort);
    // valid edge addresses
    let mut ev = Events::disabled();
    serve_axon(
        &mut s,
        &HK,
        &ServeAxon {
            netuid: 1,
            ..axon(u32::MAX as u128 - 1, 1, 4)
        },
        &mut ev,
    )
    .unwrap();
    serve_axon(
        &mut s,
        &HK,
        &ServeAxon {
            netuid: 2,
            ..axon(2, 1, 6)
        },
        &mut ev,
    )
    .unwrap();
    serve_axon(
        &mut s,
        &HK,
        &ServeAxon {
            netuid: 3,
            ..axon(0x7F00_0001, 1, 6)
        },
        &mut ev,
    )
    .unwrap();
}

#[test]
fn serving_rate_limit() {
    let mut s = member_state(10);
    let mut ev = Events::disabled();
    serve_axon(
        &mut s,
        &HK,
        &ServeAxon {
            netuid: 1,
            ..axon(IP4, 1, 4)
        },
        &mut ev,
    )
    .unwrap();
    // default limit 50: block 59 is too soon (checked before the port), 60 passes
    s.block = 59;
    rejects(
        &mut s,
        &axon(IP4, 0, 4),
        1,
        RuleError::ServingRateLimitExceeded,
    );
    // the limit is per (netuid, hotkey) entry
    serve_axon(
        &mut s,
        &HK,
        &ServeAxon {
            netuid: 2,
            ..axon(IP4, 1, 4)
        },
        &mut ev,
    )
    .unwrap();
    s.block = 60;
    serve_axon(
        &mut s,
        &HK,
        &ServeAxon {
            netuid: 1,
            ..axon(IP4, 2, 4)
        },
        &mut ev,
    )
    .unwrap();
    assert_eq!(s.axons[&(1, HK)].port, 2);
    // a limit of 0 never blocks; the limit is read from the netuid's record
    s.subnet_storage_mut(1).params.serving_rate_limit = 0;
    serve_axon(
        &mut s,
        &HK,
        &ServeAxon {
            netuid: 1,
            ..axon(IP4, 3, 4)
        },
        &mut ev,
    )
    .unwrap();
    // an entry stored at block 0 never blocks
    s.axons.get_mut(&(2, HK)).unwrap().block = 0;
    serve_axon(
        &mut s,
        &HK,
        &ServeAxon {
            netuid: 2,
            ..axon(IP4, 3, 4)
        },
        &mut ev,
    )
    .unwrap();
}

#[test]
fn serve_prometheus_checks_and_stores() {
    let mut s = member_state(10);
    let mut ev = Events::enabled();
    serve_prometheus(
        &mut s,
        &HK,
        &ServePrometheus {
            netuid: 1,
            version: 7,
            ip: IP4,
            port: 9090,
            ip_type: 4,
        },
        &mut ev,
    )
    .unwrap();
    assert_eq!(
        s.prometheus[&(1, HK)],
        PrometheusInfo {
            block: 10,
            version: 7,
            ip: IP4,
            port: 9090,
            ip_type: 4
        }
    );
    assert_eq!(ev.list[0].name, "PrometheusServed");
    assert!(
        s.axons.is_empty(),
        "prometheus has its own rate-limit entries"
    );
    let before = s.clone();
    let mut ev = Events::enabled();
    let e = |r: RuleError| Err(ChainError::Rule(r.into()));
    let other: AccountId = [8; 32];
    assert_eq!(
        serve_prometheus(
            &mut s,
            &other,
            &ServePrometheus {
                netuid: 1,
                version: 7,
                ip: IP4,
                port: 9090,
                ip_type: 4
            },
            &mut ev
        ),
        e(RuleError::NotRegistered)
    );
    assert_eq!(
        serve_prometheus(
            &mut s,
            &HK,
            &ServePrometheus {
                netuid: 1,
                version: 7,
                ip: IP4,
                port: 9090,
                ip_type: 0
            },
            &mut ev
        ),
        e(RuleError::InvalidIpType)
    );
    assert_eq!(
        serve_prometheus(
            &mut s,
            &HK,
            &ServePrometheus {
                netuid: 1,
                version: 7,
                ip: 1,
                port: 9090,
                ip_type: 6
            },
            &mut ev
        ),
        e(RuleError::InvalidIpAddress)
    );
    assert_eq!(
        serve_prometheus(
            &mut s,
            &HK,
            &ServePrometheus {
                netuid: 1,
                version: 7,
                ip: IP4,
                port: 9090,
                ip_type: 4
            },
            &mut ev
        ),
        e(RuleError::ServingRateLimitExceeded)
    );
    assert_eq!(
        serve_prometheus(
            &mut s,
            &HK,
            &ServePrometheus {
                netuid: 2,
                version: 7,
                ip: IP4,
                port: 0,
                ip_type: 4
            },
            &mut ev
        ),
        e(RuleError::InvalidPort)
    );
    assert_eq!(s, before);
    assert!(ev.is_empty());
}
