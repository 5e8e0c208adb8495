//! `set_weights` (RULES.md §10): subnet weights (§10.1) and root weights (§10.2, netuid 0).
//!
//! Owns the writes to `Weights[netuid][uid]` and `LastUpdate[netuid][uid]`. Weights are stored
//! max-upscaled at set time (`[32767, 32767]` → `[65535, 65535]`), as `(target, value)` pairs in
//! submission order; on root the targets are netuids. All twelve checks run, in the order of
//! §10.1, before the first write, so a rejected call changes nothing.

use crate::error::{ensure, ChainError, Result, RuleError};
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
    let permit_ok = root || i < sub.validator_permit.len();
    if i < sub.weights.len() && i < sub.last_update.len() && permit_ok {
        return Ok(());
    }
    Err(ChainError::Fatal(format!(
        "per-uid vectors of the subnet are shorter than uid {me} + 1"
    )))
}

/// §10.1 step 3 — root: every target is an existing netuid; other subnets: at most n targets.
fn check_targets_exist(s: &State, sub: &Subnet, root: bool, uids: &[u16]) -> Result<()> {
    if root {
        let all_exist = uids.iter().all(|u| s.subnet_exists(*u));
        ensure(all_exist, RuleError::InvalidUid)
    } else {
        ensure(uids.len() <= sub.n as usize, RuleError::TooManyUids)
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
    let me = *sub.uids.get(hotkey).ok_or(RuleError::NotRegistered)?;
    check_slots(sub, me, root)?;
    let p = &sub.params;
    let key_ok = p.weights_version_key == 0 || version_key >= p.weights_version_key;
    ensure(key_ok, RuleError::IncorrectNetworkVersionKey)?;
    let last = sub.last_update[me as usize];
    let rate_ok = rate_limit_ok(last, s.block, p.weights_set_rate_limit);
    ensure(rate_ok, RuleError::SettingWeightsTooFast)?;
    // Root weights need no permit (§10.2); a self-weight never does.
    if !root {
        let permitted = is_self_weight(me, uids) || sub.validator_permit[me as usize];
        ensure(permitted, RuleError::NoValidatorPermit)?;
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
        ensure(uids.iter().all(|u| *u < sub.n), RuleError::InvalidUid)?;
    }
    let self_weight = is_self_weight(me, uids);
    // No self-weight exemption on root, where n is the number of root validators (not subnets).
    let min_len = sub.params.min_allowed_weights.min(sub.n) as usize;
    let enough = (!root && self_weight) || uids.len() >= min_len;
    ensure(enough, RuleError::NotSettingEnoughWeights)?;
    let up = yuma::vec_max_upscale_u16(values);
    // The limit applies to the upscaled values (normalised again inside the check).
    let limit = sub.params.max_weights_limit;
    let within = self_weight || limit == u16::MAX || yuma::check_vec_max_limited(&up, limit);
    ensure(within, RuleError::MaxWeightExceeded)?;
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
    ensure(uids.len() == values.len(), RuleError::WeightVecNotEqualSize)?;
    let sub = s.subnet(netuid).ok_or(RuleError::NetworkDoesNotExist)?;
    let root = netuid == ROOT_NETUID;
    check_targets_exist(s, sub, root, uids)?;
    let me = check_caller(s, sub, root, hotkey, uids, version_key)?;
    let up = check_values(sub, root, me, uids, values)?;
    Ok((me, up))
}

/// `set_weights(netuid, uids, values, version_key)` — `Signed(hotkey)` (§10.1, §10.2).
pub fn set_weights(
    s: &mut State,
    hotkey: &AccountId,
    netuid: u16,
    uids: &[u16],
    values: &[u16],
    version_key: u64,
    ev: &mut Events,
) -> Result<()> {
    let (me, up) = check(s, hotkey, netuid, uids, values, version_key)?;
    let b = s.block;
    let sub = s.subnet_mut(netuid).ok_or(RuleError::NetworkDoesNotExist)?;
    sub.weights[me as usize] = uids.iter().copied().zip(up).collect();
    sub.last_update[me as usize] = b;
    ev.emit(|| Event::new("WeightsSet").u("netuid", netuid).u("uid", me));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::genesis_state;
    use crate::events::Value;
    use crate::testutil::genesis_bytes;

    fn hk(k: u8) -> AccountId {
        [40 + k; 32]
    }

    /// Registers hotkeys `hk(first)..` as uids 0.. of `netuid`, every per-uid vector at length n.
    fn fill(sub: &mut Subnet, first: u8, n: u16) {
        sub.added = true;
        sub.n = n;
        for u in 0..n {
            sub.keys.push(hk(first + u as u8));
            sub.uids.insert(hk(first + u as u8), u);
        }
        let n = n as usize;
        sub.weights = vec![Vec::new(); n];
        sub.last_update = vec![0; n];
        sub.validator_permit = vec![false; n];
        sub.block_at_registration = vec![0; n];
    }

    /// Block 1000. Subnet 1: uids 0..4 = hk(0..4), uid 0 holds a permit, MinAllowedWeights 2,
    /// MaxWeightsLimit 65535. Root: uids 0..2 = hk(10..12). Subnet 3 exists too.
    fn state() -> State {
        let mut s = genesis_state(&genesis_bytes(&[], &[])).unwrap();
        s.block = 1000;
        let mut sub = Subnet::default();
        fill(&mut sub, 0, 4);
        sub.validator_permit[0] = true;
        sub.params.min_allowed_weights = 2;
        sub.params.max_weights_limit = 65535;
        s.subnets.insert(1, sub);
        let mut three = Subnet::default();
        fill(&mut three, 20, 0);
        s.subnets.insert(3, three);
        fill(s.subnets.get_mut(&0).unwrap(), 10, 2);
        s.total_networks = 3;
        s
    }

    fn set(
        s: &mut State,
        h: AccountId,
        netuid: u16,
        uids: &[u16],
        vals: &[u16],
    ) -> Result<Vec<Event>> {
        let mut ev = Events::enabled();
        set_weights(s, &h, netuid, uids, vals, 0, &mut ev)?;
        Ok(ev.list)
    }

    fn rejects(s: &mut State, e: RuleError, f: impl FnOnce(&mut State) -> Result<Vec<Event>>) {
        let before = s.clone();
        assert_eq!(f(s), Err(ChainError::Rule(e)));
        assert_eq!(*s, before, "state changed by a rejected {e:?}");
    }

    #[test]
    fn upscaled_at_set_time_in_submission_order() {
        let mut s = state();
        let evs = set(&mut s, hk(0), 1, &[2, 1], &[32767, 32767]).unwrap();
        assert_eq!(s.subnets[&1].weights[0], vec![(2, 65535), (1, 65535)]);
        assert_eq!(s.subnets[&1].last_update[0], 1000);
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].name, "WeightsSet");
        assert_eq!(
            evs[0].fields,
            vec![("netuid", Value::U64(1)), ("uid", Value::U64(0))]
        );
        set(&mut s, hk(0), 1, &[3, 1, 2], &[0, 1, 65534]).unwrap_err();
        s.block = 1100;
        set(&mut s, hk(0), 1, &[3, 1, 2], &[0, 1, 65534]).unwrap();
        assert_eq!(s.subnets[&1].weights[0], vec![(3, 0), (1, 1), (2, 65535)]);
    }

    #[test]
    fn each_check_in_order() {
        let mut s = state();
        use RuleError::*;
        rejects(&mut s, WeightVecNotEqualSize, |s| {
            set(s, hk(9), 7, &[1, 2], &[1])
        });
        rejects(&mut s, NetworkDoesNotExist, |s| {
            set(s, hk(9), 7, &[1], &[1])
        });
        rejects(&mut s, TooManyUids, |s| {
            set(s, hk(9), 1, &[0, 1, 2, 3, 4], &[1; 5])
        });
        rejects(&mut s, NotRegistered, |s| {
            set(s, hk(9), 1, &[1, 2], &[1, 1])
        });
        s.subnets.get_mut(&1).unwrap().params.weights_version_key = 5;
        rejects(&mut s, IncorrectNetworkVersionKey, |s| {
            set_weights(s, &hk(0), 1, &[1, 2], &[1, 1], 4, &mut Events::enabled()).map(|_| vec![])
        });
        set_weights(
            &mut s,
            &hk(0),
            1,
            &[1, 2],
            &[1, 1],
            5,
            &mut Events::disabled(),
        )
        .unwrap();
        s.subnets.get_mut(&1).unwrap().params.weights_version_key = 0;
        // Rate limit 100: at 1099 too fast, at 1100 allowed again.
        s.block = 1099;
        rejects(&mut s, SettingWeightsTooFast, |s| {
            set(s, hk(0), 1, &[1, 2], &[1, 1])
        });
        s.block = 1100;
        rejects(&mut s, NoValidatorPermit, |s| {
            set(s, hk(1), 1, &[0, 2], &[1, 1])
        });
        rejects(&mut s, DuplicateUids, |s| {
            set(s, hk(0), 1, &[1, 2, 1], &[1, 1, 1])
        });
        rejects(&mut s, InvalidUid, |s| set(s, hk(0), 1, &[1, 4], &[1, 1]));
        rejects(&mut s, NotSettingEnoughWeights, |s| {
            set(s, hk(0), 1, &[1], &[1])
        });
        s.subnets.get_mut(&1).unwrap().params.max_weights_limit = 32768;
        rejects(&mut s, MaxWeightExceeded, |s| {
            set(s, hk(0), 1, &[1, 2], &[2, 1])
        });
        // Exactly half of the normalised weight is within a limit of 32768/65535.
        set(&mut s, hk(0), 1, &[1, 2], &[7, 7]).unwrap();
    }

    #[test]
    fn self_weight_needs_no_permit_nor_min_weights_nor_limit() {
        let mut s = state();
        s.subnets.get_mut(&1).unwrap().params.max_weights_limit = 1000;
        set(&mut s, hk(2), 1, &[2], &[9]).unwrap();
        assert_eq!(s.subnets[&1].weights[2], vec![(2, 65535)]);
        // One weight on someone else is neither a self-weight nor permitted.
        rejects(&mut s, RuleError::NoValidatorPermit, |s| {
            set(s, hk(3), 1, &[2], &[9])
        });
        // MinAllowedWeights is capped by n.
        let sub = s.subnets.get_mut(&1).unwrap();
        sub.params.min_allowed_weights = 1024;
        sub.params.max_weights_limit = 65535;
        set(&mut s, hk(0), 1, &[0, 1, 2, 3], &[1; 4]).unwrap();
    }

    #[test]
    fn root_weights_target_existing_netuids() {
        let mut s = state();
        rejects(&mut s, RuleError::InvalidUid, |s| {
            set(s, hk(10), 0, &[1, 2], &[1, 1])
        });
        // More targets than root validators is fine, and no permit is needed.
        set(&mut s, hk(10), 0, &[3, 1, 0], &[100, 200, 50]).unwrap();
        assert_eq!(
            s.subnets[&0].weights[0],
            vec![(3, 32768), (1, 65535), (0, 16384)]
        );
        assert_eq!(s.subnets[&0].last_update[0], 1000);
        rejects(&mut s, RuleError::DuplicateUids, |s| {
            set(s, hk(11), 0, &[1, 1], &[1, 1])
        });
        // No self-weight exemption on root: MinAllowedWeights[0] = 2, n = 2.
        s.subnets.get_mut(&0).unwrap().params.min_allowed_weights = 2;
        rejects(&mut s, RuleError::NotSettingEnoughWeights, |s| {
            set(s, hk(11), 0, &[1], &[1])
        });
        // ... but the max-weight check exempts "self-weight" (netuid = own root uid).
        let root = s.subnets.get_mut(&0).unwrap();
        root.params.min_allowed_weights = 0;
        root.params.max_weights_limit = 100;
        set(&mut s, hk(11), 0, &[1], &[1]).unwrap();
        s.block = 1100;
        rejects(&mut s, RuleError::MaxWeightExceeded, |s| {
            set(s, hk(11), 0, &[3], &[1])
        });
    }
}
