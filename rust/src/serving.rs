//! Axon and Prometheus serving (RULES.md §11).
//!
//! Owns the writes to `Axons[netuid][hotkey]` and `Prometheus[netuid][hotkey]` (`state.axons` /
//! `state.prometheus`, keyed by `(netuid, hotkey)`). Both calls run all five checks before the
//! single write, so a rejected call changes nothing. The netuid itself is not checked (a hotkey
//! registered anywhere may serve on any netuid, as in the reference); entries survive subnet
//! removal (§9.4).

use crate::error::{ensure, Result, RuleError};
use crate::events::{Event, Events};
use crate::state::{AccountId, AxonInfo, PrometheusInfo, State, SubnetParams};

/// The arguments of `serve_axon` besides netuid (RULES.md §11.1).
pub struct AxonRequest {
    pub version: u32,
    pub ip: u128,
    pub port: u16,
    pub ip_type: u8,
    pub protocol: u8,
    pub placeholder1: u8,
    pub placeholder2: u8,
}

const IPV4_LOCALHOST: u128 = 0x7F00_0001;
const IPV6_LOCALHOST: u128 = 1;

/// §11.1 step 2 then step 3: `ip_type ∈ {4, 6}` and a routable, non-loopback address.
/// (The IPv4 bound is strict, so 255.255.255.255 is refused, as in the reference.)
fn check_ip(ip: u128, ip_type: u8) -> Result<()> {
    ensure(ip_type == 4 || ip_type == 6, RuleError::InvalidIpType)?;
    let valid = ip != 0
        && match ip_type {
            4 => ip < u32::MAX as u128 && ip != IPV4_LOCALHOST,
            _ => ip != u128::MAX && ip != IPV6_LOCALHOST,
        };
    ensure(valid, RuleError::InvalidIpAddress)
}

/// `ServingRateLimit[netuid]`, read without creating a record (a netuid never touched has the
/// default; the parameter survives removal and may be set on a netuid that does not exist).
fn serving_rate_limit(state: &State, netuid: u16) -> u64 {
    state
        .subnets
        .get(&netuid)
        .map_or(SubnetParams::default().serving_rate_limit, |s| {
            s.params.serving_rate_limit
        })
}

/// §11.1 step 4, with `prev_block` the block of the stored entry (0 if none).
fn check_rate_limit(state: &State, netuid: u16, prev_block: u64) -> Result<()> {
    let limit = serving_rate_limit(state, netuid);
    ensure(
        limit == 0 || prev_block == 0 || state.block.saturating_sub(prev_block) >= limit,
        RuleError::ServingRateLimitExceeded,
    )
}

/// Steps 1–5 shared by both calls.
fn check_serve(
    state: &State,
    hotkey: &AccountId,
    netuid: u16,
    ip: u128,
    port: u16,
    ip_type: u8,
    prev_block: u64,
) -> Result<()> {
    ensure(state.is_member_anywhere(hotkey), RuleError::NotRegistered)?;
    check_ip(ip, ip_type)?;
    check_rate_limit(state, netuid, prev_block)?;
    ensure(port != 0, RuleError::InvalidPort)
}

/// `serve_axon(netuid, version, ip, port, ip_type, protocol, placeholder1, placeholder2)` —
/// `Signed(hotkey)`, RULES.md §11.1.
pub fn serve_axon(
    state: &mut State,
    hotkey: &AccountId,
    netuid: u16,
    req: &AxonRequest,
    ev: &mut Events,
) -> Result<()> {
    let key = (netuid, *hotkey);
    let prev_block = state.axons.get(&key).map_or(0, |a| a.block);
    check_serve(
        state,
        hotkey,
        netuid,
        req.ip,
        req.port,
        req.ip_type,
        prev_block,
    )?;
    let info = AxonInfo {
        block: state.block,
        version: req.version,
        ip: req.ip,
        port: req.port,
        ip_type: req.ip_type,
        protocol: req.protocol,
        placeholder1: req.placeholder1,
        placeholder2: req.placeholder2,
    };
    state.axons.insert(key, info);
    ev.emit(|| {
        Event::new("AxonServed")
            .u("netuid", netuid)
            .acct("hotkey", hotkey)
    });
    Ok(())
}

/// `serve_prometheus(netuid, version, ip, port, ip_type)` — `Signed(hotkey)`, RULES.md §11.2.
#[allow(clippy::too_many_arguments)]
pub fn serve_prometheus(
    state: &mut State,
    hotkey: &AccountId,
    netuid: u16,
    version: u32,
    ip: u128,
    port: u16,
    ip_type: u8,
    ev: &mut Events,
) -> Result<()> {
    let key = (netuid, *hotkey);
    let prev_block = state.prometheus.get(&key).map_or(0, |p| p.block);
    check_serve(state, hotkey, netuid, ip, port, ip_type, prev_block)?;
    let info = PrometheusInfo {
        block: state.block,
        version,
        ip,
        port,
        ip_type,
    };
    state.prometheus.insert(key, info);
    ev.emit(|| {
        Event::new("PrometheusServed")
            .u("netuid", netuid)
            .acct("hotkey", hotkey)
    });
    Ok(())
}

#[cfg(test)]
mod tests {
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

    fn axon(ip: u128, port: u16, ip_type: u8) -> AxonRequest {
        AxonRequest {
            version: 1,
            ip,
            port,
            ip_type,
            protocol: 4,
            placeholder1: 5,
            placeholder2: 6,
        }
    }

    fn rejects(s: &mut State, req: &AxonRequest, netuid: u16, e: RuleError) {
        let before = s.clone();
        let mut ev = Events::enabled();
        assert_eq!(
            serve_axon(s, &HK, netuid, req, &mut ev),
            Err(ChainError::Rule(e))
        );
        assert_eq!(*s, before);
        assert!(ev.is_empty());
    }

    #[test]
    fn serve_axon_stores_on_any_netuid() {
        let mut s = member_state(10);
        let mut ev = Events::enabled();
        // registered on netuid 3, serving on netuid 9 (which does not even exist)
        serve_axon(&mut s, &HK, 9, &axon(IP4, 8091, 4), &mut ev).unwrap();
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
        serve_axon(&mut s, &HK, 1, &axon(u32::MAX as u128 - 1, 1, 4), &mut ev).unwrap();
        serve_axon(&mut s, &HK, 2, &axon(2, 1, 6), &mut ev).unwrap();
        serve_axon(&mut s, &HK, 3, &axon(0x7F00_0001, 1, 6), &mut ev).unwrap();
    }

    #[test]
    fn serving_rate_limit() {
        let mut s = member_state(10);
        let mut ev = Events::disabled();
        serve_axon(&mut s, &HK, 1, &axon(IP4, 1, 4), &mut ev).unwrap();
        // default limit 50: block 59 is too soon (checked before the port), 60 passes
        s.block = 59;
        rejects(
            &mut s,
            &axon(IP4, 0, 4),
            1,
            RuleError::ServingRateLimitExceeded,
        );
        // the limit is per (netuid, hotkey) entry
        serve_axon(&mut s, &HK, 2, &axon(IP4, 1, 4), &mut ev).unwrap();
        s.block = 60;
        serve_axon(&mut s, &HK, 1, &axon(IP4, 2, 4), &mut ev).unwrap();
        assert_eq!(s.axons[&(1, HK)].port, 2);
        // a limit of 0 never blocks; the limit is read from the netuid's record
        s.subnet_storage_mut(1).params.serving_rate_limit = 0;
        serve_axon(&mut s, &HK, 1, &axon(IP4, 3, 4), &mut ev).unwrap();
        // an entry stored at block 0 never blocks
        s.axons.get_mut(&(2, HK)).unwrap().block = 0;
        serve_axon(&mut s, &HK, 2, &axon(IP4, 3, 4), &mut ev).unwrap();
    }

    #[test]
    fn serve_prometheus_checks_and_stores() {
        let mut s = member_state(10);
        let mut ev = Events::enabled();
        serve_prometheus(&mut s, &HK, 1, 7, IP4, 9090, 4, &mut ev).unwrap();
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
        let e = |r| Err(ChainError::Rule(r));
        let other: AccountId = [8; 32];
        assert_eq!(
            serve_prometheus(&mut s, &other, 1, 7, IP4, 9090, 4, &mut ev),
            e(RuleError::NotRegistered)
        );
        assert_eq!(
            serve_prometheus(&mut s, &HK, 1, 7, IP4, 9090, 0, &mut ev),
            e(RuleError::InvalidIpType)
        );
        assert_eq!(
            serve_prometheus(&mut s, &HK, 1, 7, 1, 9090, 6, &mut ev),
            e(RuleError::InvalidIpAddress)
        );
        assert_eq!(
            serve_prometheus(&mut s, &HK, 1, 7, IP4, 9090, 4, &mut ev),
            e(RuleError::ServingRateLimitExceeded)
        );
        assert_eq!(
            serve_prometheus(&mut s, &HK, 2, 7, IP4, 0, 4, &mut ev),
            e(RuleError::InvalidPort)
        );
        assert_eq!(s, before);
        assert!(ev.is_empty());
    }
}
