//! `set_weights` (docs/ruleset.md §10): subnet weights (§10.1) and root weights (§10.2, netuid 0).
//!
//! Owns the writes to `Weights[netuid][uid]` and `LastUpdate[netuid][uid]`. Weights are stored
//! max-upscaled at set time (`[32767, 32767]` → `[65535, 65535]`), as `(target, value)` pairs in
//! submission order; on root the targets are netuids. All twelve checks run, in the order of
//! §10.1, before the first write, so a rejected call changes nothing.

use crate::error::{ensure, ensure_with, ChainError, Result, RuleError};
use crate::events::{Event, Events};
use crate::state::{AccountId, State, Subnet, ROOT_NETUID};
use crate::yuma;

/// The self-weight of §10.1 step 7: exactly one target, which is the caller's own uid (any
/// value). On root the target is a netuid, compared with the caller's root uid all the same.
fn is_self_weight(me: u16, uids: &[u16]) -> bool {
    uids.len() == 1 && uids[0] == me
}

fn has_duplicates(uids: &[u16]) -> bool {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.windows(2).any(|w| w[0] == w[1])
}

/// Step 6: `LastUpdate = 0` means "never set" (storage default), so the first call always passes.
fn rate_limit_ok(last_update: u64, b: u64, limit: u64) -> bool {
    last_update == 0 || b.saturating_sub(last_update) >= limit
}

/// The per-uid slots `set_weights` reads or writes exist for `me` (registration keeps every
/// per-uid vector at length n); anything else is an engine fault, reported before any write.
fn check_slots(sub: &Subnet, me: u16, root: bool) -> Result<()> {
    let i = me as usize;
    let permit_ok = root || i < sub.neurons.validator_permit.len();
    if i < sub.neurons.weights.len() && i < sub.neurons.last_update.len() && permit_ok {
        return Ok(());
    }
    Err(ChainError::Fatal(format!(
        "per-uid vectors of the subnet are shorter than uid {me} + 1"
    )))
}

/// §10.1 step 3 — root: every target is an existing netuid; other subnets: at most n targets.
fn check_targets_exist(s: &State, sub: &Subnet, root: bool, uids: &[u16]) -> Result<()> {
    if root {
        match uids.iter().find(|u| !s.subnet_exists(**u)) {
            Some(u) => Err(RuleError::InvalidUid.uid(*u).into()),
            None => Ok(()),
        }
    } else {
        ensure_with(uids.len() <= sub.n as usize, || {
            RuleError::TooManyUids
                .available(uids.len() as u64)
                .limit(sub.n as u64)
        })
    }
}

/// §10.1 steps 4–7: the caller's registration, version key, rate limit and permit. Returns the
/// caller's uid `me`.
fn check_caller(
    s: &State,
    sub: &Subnet,
    root: bool,
    hotkey: &AccountId,
    uids: &[u16],
    version_key: u64,
) -> Result<u16> {
    let me = *sub
        .neurons
        .uids
        .get(hotkey)
        .ok_or_else(|| RuleError::NotRegistered.account(hotkey))?;
    check_slots(sub, me, root)?;
    let p = &sub.params;
    let key_ok = p.weights_version_key == 0 || version_key >= p.weights_version_key;
    ensure_with(key_ok, || {
        RuleError::IncorrectNetworkVersionKey
            .available(version_key)
            .needed(p.weights_version_key)
    })?;
    let last = sub.neurons.last_update[me as usize];
    let rate_ok = rate_limit_ok(last, s.block, p.weights_set_rate_limit);
    ensure_with(rate_ok, || {
        RuleError::SettingWeightsTooFast
            .account(hotkey)
            .last(last)
            .limit(p.weights_set_rate_limit)
            .block(s.block)
    })?;
    // Root weights need no permit (§10.2); a self-weight never does.
    if !root {
        let permitted = is_self_weight(me, uids) || sub.neurons.validator_permit[me as usize];
        ensure_with(permitted, || RuleError::NoValidatorPermit.account(hotkey))?;
    }
    Ok(me)
}

/// §10.1 steps 8–12: the targets and values themselves. Returns the max-upscaled values.
fn check_values(
    sub: &Subnet,
    root: bool,
    me: u16,
    uids: &[u16],
    values: &[u16],
) -> Result<Vec<u16>> {
    ensure(!has_duplicates(uids), RuleError::DuplicateUids)?;
    if !root {
        if let Some(u) = uids.iter().find(|u| **u >= sub.n) {
            return Err(RuleError::InvalidUid.uid(*u).limit(sub.n as u64).into());
        }
    }
    let self_weight = is_self_weight(me, uids);
    // No self-weight exemption on root, where n is the number of root validators (not subnets).
    let min_len = sub.params.min_allowed_weights.min(sub.n) as usize;
    let enough = (!root && self_weight) || uids.len() >= min_len;
    ensure_with(enough, || {
        RuleError::NotSettingEnoughWeights
            .available(uids.len() as u64)
            .needed(min_len as u64)
    })?;
    let up = yuma::vec_max_upscale_u16(values);
    // The limit applies to the upscaled values (normalised again inside the check).
    let limit = sub.params.max_weights_limit;
    let within = self_weight || limit == u16::MAX || yuma::check_vec_max_limited(&up, limit);
    ensure_with(within, || {
        let max = up.iter().copied().max().unwrap_or(0);
        let sum: u64 = up.iter().map(|v| *v as u64).sum();
        // The largest weight as a u16 proportion of the sum (what the limit is compared with).
        let share = (max as u64 * u16::MAX as u64).checked_div(sum).unwrap_or(0);
        RuleError::MaxWeightExceeded
            .available(share)
            .limit(limit as u64)
    })?;
    Ok(up)
}

/// Steps 1–12 of §10.1 in order (with the root variant of §10.2), reading the state only.
/// Returns the caller's uid and the values to store.
fn check(
    s: &State,
    hotkey: &AccountId,
    netuid: u16,
    uids: &[u16],
    values: &[u16],
    version_key: u64,
) -> Result<(u16, Vec<u16>)> {
    ensure_with(uids.len() == values.len(), || {
        RuleError::WeightVecNotEqualSize
            .available(uids.len() as u64)
            .needed(values.len() as u64)
    })?;
    let sub = s
        .subnet(netuid)
        .ok_or_else(|| RuleError::NetworkDoesNotExist.netuid(netuid))?;
    let root = netuid == ROOT_NETUID;
    let checks = || {
        check_targets_exist(s, sub, root, uids)?;
        let me = check_caller(s, sub, root, hotkey, uids, version_key)?;
        let up = check_values(sub, root, me, uids, values)?;
        Ok((me, up))
    };
    checks().map_err(|e: ChainError| e.in_netuid(netuid))
}

crate::codec::call_args! {
    /// The arguments of `set_weights` (docs/ruleset.md §10.1).
    pub struct SetWeights {
        pub netuid: u16,
        pub uids: Vec<u16>,
        pub values: Vec<u16>,
        pub version_key: u64,
    }
}

/// `set_weights(netuid, uids, values, version_key)` — `Signed(hotkey)` (§10.1, §10.2).
pub fn set_weights(
    s: &mut State,
    hotkey: &AccountId,
    x: &SetWeights,
    ev: &mut Events,
) -> Result<()> {
    let (netuid, uids, values, version_key) = (x.netuid, &x.uids[..], &x.values[..], x.version_key);
    let (me, up) = check(s, hotkey, netuid, uids, values, version_key)?;
    let b = s.block;
    let sub = s.subnet_mut(netuid).ok_or(RuleError::NetworkDoesNotExist)?;
    sub.neurons.weights[me as usize] = uids.iter().copied().zip(up).collect();
    sub.neurons.last_update[me as usize] = b;
    ev.emit(|| Event::new("WeightsSet").u("netuid", netuid).u("uid", me));
    Ok(())
}

#[cfg(test)]
mod tests;
