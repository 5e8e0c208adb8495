//! Axon and Prometheus serving (docs/ruleset.md §11).
//!
//! Owns the writes to `Axons[netuid][hotkey]` and `Prometheus[netuid][hotkey]` (`state.axons` /
//! `state.prometheus`, keyed by `(netuid, hotkey)`). Both calls run all five checks before the
//! single write, so a rejected call changes nothing. The netuid itself is not checked (a hotkey
//! registered anywhere may serve on any netuid, as in the reference); entries survive subnet
//! removal (§9.4).

use crate::error::{ensure, ensure_with, Result, RuleError};
use crate::events::{Event, Events};
use crate::state::{AccountId, AxonInfo, PrometheusInfo, State, SubnetParams};

crate::codec::call_args! {
    /// The arguments of `serve_axon` (docs/ruleset.md §11.1): `AxonInfo` without its `block`.
    pub struct ServeAxon {
        pub netuid: u16,
        pub version: u32,
        pub ip: u128,
        pub port: u16,
        pub ip_type: u8,
        pub protocol: u8,
        pub placeholder1: u8,
        pub placeholder2: u8,
    }
}

crate::codec::call_args! {
    /// The arguments of `serve_prometheus` (docs/ruleset.md §11.2).
    pub struct ServePrometheus {
        pub netuid: u16,
        pub version: u32,
        pub ip: u128,
        pub port: u16,
        pub ip_type: u8,
    }
}

const IPV4_LOCALHOST: u128 = 0x7F00_0001;
const IPV6_LOCALHOST: u128 = 1;

/// §11.1 step 2 then step 3: `ip_type ∈ {4, 6}` and a routable, non-loopback address.
/// (The IPv4 bound is strict, so 255.255.255.255 is refused, as in the reference.)
fn check_ip(ip: u128, ip_type: u8) -> Result<()> {
    ensure_with(ip_type == 4 || ip_type == 6, || {
        RuleError::InvalidIpType.available(ip_type as u64)
    })?;
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
    ensure_with(
        limit == 0 || prev_block == 0 || state.block.saturating_sub(prev_block) >= limit,
        || {
            RuleError::ServingRateLimitExceeded
                .netuid(netuid)
                .last(prev_block)
                .limit(limit)
                .block(state.block)
        },
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
    ensure_with(state.is_member_anywhere(hotkey), || {
        RuleError::NotRegistered.account(hotkey)
    })?;
    check_ip(ip, ip_type)?;
    check_rate_limit(state, netuid, prev_block).map_err(|e| e.for_account(hotkey))?;
    ensure(port != 0, RuleError::InvalidPort)
}

/// `serve_axon(netuid, version, ip, port, ip_type, protocol, placeholder1, placeholder2)` —
/// `Signed(hotkey)`, docs/ruleset.md §11.1.
pub fn serve_axon(
    state: &mut State,
    hotkey: &AccountId,
    req: &ServeAxon,
    ev: &mut Events,
) -> Result<()> {
    let netuid = req.netuid;
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

/// `serve_prometheus(netuid, version, ip, port, ip_type)` — `Signed(hotkey)`, docs/ruleset.md §11.2.
pub fn serve_prometheus(
    state: &mut State,
    hotkey: &AccountId,
    x: &ServePrometheus,
    ev: &mut Events,
) -> Result<()> {
    let (netuid, version, ip, port, ip_type) = (x.netuid, x.version, x.ip, x.port, x.ip_type);
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
mod tests;
