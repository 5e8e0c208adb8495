//! Subnets (docs/ruleset.md §9): the lock cost, `register_network` (with pruning of the weakest subnet
//! at the limit), `init_new_network`, `remove` and `dissolve_network`.
//!
//! Owns `NetworksAdded`, `TotalNetworks` (root included), `SubnetLocked`, `SubnetOwner`,
//! `NetworkRegisteredAt`, `NetworkLastLockCost` and `NetworkLastRegistered`. Locks move rao
//! between `Free` and `SubnetLocked`, so `TotalIssuance` never changes here. Every transaction
//! runs all its checks (on hypothetical values where a step acts before a later check) before
//! its first write.

use crate::balances;
use crate::error::{ensure_with, ChainError, Result, RuleError};
use crate::events::{Event, Events};
use crate::state::{AccountId, State, SubnetParams, ROOT_NETUID};

/// Tempo of a subnet created by `register_network` (docs/ruleset.md §9.2).
pub const USER_SUBNET_TEMPO: u16 = 360;

/// `lock_cost` of docs/ruleset.md §9.1 as a pure function:
/// `max(min_lock, mult·L ⊖ ⌊L / interval⌋ · (block ⊖ last_lock_block))` with saturating `·`/`⊖`,
/// `mult = 1` while no network was registered after block 0 (`first_registration`), else 2.
/// A reduction interval of 0 (refused by the setter, so never seen by the engine) means no decay.
pub fn lock_cost(
    last_lock: u64,
    last_lock_block: u64,
    block: u64,
    min_lock: u64,
    reduction_interval: u64,
    first_registration: bool,
) -> u64 {
    let mult = if first_registration { 1 } else { 2 };
    let per_block = last_lock.checked_div(reduction_interval).unwrap_or(0);
    let decay = per_block.saturating_mul(block.saturating_sub(last_lock_block));
    last_lock
        .saturating_mul(mult)
        .saturating_sub(decay)
        .max(min_lock)
}

/// The lock cost of registering a network in the current block.
pub fn network_lock_cost(s: &State) -> u64 {
    network_lock_cost_at(s, s.block)
}

/// The lock cost of registering a network in `block`, from the stored lock state (the query
/// `lock_cost()` asks about the block the next transaction lands in).
pub fn network_lock_cost_at(s: &State, block: u64) -> u64 {
    lock_cost(
        s.network_last_lock_cost,
        s.network_last_registered,
        block,
        s.globals.network_min_lock_cost,
        s.globals.network_lock_reduction_interval,
        s.network_last_registered == 0,
    )
}

/// `subnet_to_prune()` of docs/ruleset.md §9.2: among existing netuids ≥ 1 out of network immunity, the
/// lowest `EmissionValues`; ties → smallest `NetworkRegisteredAt`; ties → highest netuid.
/// `None` when every user subnet is immune (or there is none).
pub fn subnet_to_prune(s: &State) -> Option<u16> {
    let immunity = s.globals.network_immunity_period;
    s.subnets
        .iter()
        .filter(|(netuid, sub)| **netuid != ROOT_NETUID && sub.added)
        .filter(|(_, sub)| s.block.saturating_sub(sub.registered_at) >= immunity)
        .min_by_key(|(netuid, sub)| {
            (
                sub.emission_values,
                sub.registered_at,
                std::cmp::Reverse(**netuid),
            )
        })
        .map(|(netuid, _)| *netuid)
}

/// The lowest netuid ≥ 1 that does not exist.
fn lowest_free_netuid(s: &State) -> Option<u16> {
    (1..=u16::MAX).find(|n| !s.subnet_exists(*n))
}

/// Step 4 of `register_network`: a fresh netuid below the limit, else the subnet to prune.
enum Slot {
    Fresh(u16),
    Prune(u16),
}

fn choose_slot(s: &State) -> Result<Slot> {
    let user_networks = s.total_networks.saturating_sub(1);
    if user_networks < s.globals.subnet_limit {
        // Interpretation: if all 65 535 user netuids exist (only possible with a limit of
        // 65 535 and free locks), fall through to pruning rather than failing.
        if let Some(n) = lowest_free_netuid(s) {
            return Ok(Slot::Fresh(n));
        }
    }
    let p = subnet_to_prune(s)
        .ok_or_else(|| RuleError::AllNetworksInImmunity.limit(s.globals.subnet_limit as u64))?;
    Ok(Slot::Prune(p))
}

/// What `remove(netuid)` will credit to whom: `(owner, SubnetLocked)` if the subnet has an owner.
fn refund_of(s: &State, netuid: u16) -> Option<(AccountId, u64)> {
    let sub = s.subnets.get(&netuid)?;
    sub.owner.map(|o| (o, sub.locked))
}

/// `Free[c]` as it will be after step 4's refund (c may own the pruned subnet).
fn free_after_refund(s: &State, c: &AccountId, slot: &Slot) -> Result<u64> {
    let free = s.free(c);
    match slot {
        Slot::Prune(p) => match refund_of(s, *p) {
            Some((owner, amount)) if owner == *c => free
                .checked_add(amount)
                .ok_or(ChainError::from(RuleError::ArithmeticOverflow)),
            _ => Ok(free),
        },
        Slot::Fresh(_) => Ok(free),
    }
}

crate::codec::call_args! {
    /// `register_network` has no arguments (docs/ruleset.md §9.2).
    pub struct RegisterNetwork {}
}

crate::codec::call_args! {
    /// The arguments of `dissolve_network` (docs/ruleset.md §9.4).
    pub struct DissolveNetwork {
        pub netuid: u16,
    }
}

/// `register_network()` — `Signed(c)`, docs/ruleset.md §9.2.
pub fn register_network(
    s: &mut State,
    c: &AccountId,
    _: &RegisterNetwork,
    ev: &mut Events,
) -> Result<()> {
    let b = s.block;
    // 1. The network rate limit counts from block 0 (NetworkLastRegistered starts at 0).
    ensure_with(
        b.saturating_sub(s.network_last_registered) >= s.globals.network_rate_limit,
        || {
            RuleError::TxRateLimitExceeded
                .last(s.network_last_registered)
                .limit(s.globals.network_rate_limit)
                .block(b)
        },
    )?;
    let cost = network_lock_cost(s);
    ensure_with(s.free(c) >= cost, || {
        RuleError::NotEnoughBalanceToStake
            .account(c)
            .available(s.free(c))
            .needed(cost)
    })?;
    let slot = choose_slot(s)?;
    // 5. The ED rule sees the refund of step 4 (which acts before it).
    balances::check_ed_after_debit(free_after_refund(s, c, &slot)?, cost)?;

    let netuid = match slot {
        Slot::Fresh(n) => n,
        Slot::Prune(p) => {
            remove(s, p, ev)?;
            ev.emit(|| Event::new("NetworkRemoved").u("netuid", p));
            p
        }
    };
    balances::debit(s, c, cost);
    s.subnet_storage_mut(netuid).locked = cost;
    s.network_last_lock_cost = cost;
    init_new_network(s, netuid, USER_SUBNET_TEMPO);
    s.network_last_registered = b;
    let sub = s.subnet_storage_mut(netuid);
    sub.registered_at = b;
    sub.owner = Some(*c);
    ev.emit(|| {
        Event::new("NetworkAdded")
            .u("netuid", netuid)
            .u("modality", 0u16)
    });
    Ok(())
}

/// `init_new_network(netuid, tempo)` — docs/ruleset.md §9.3. Only the listed values are written; every
/// other per-subnet value keeps what is stored (defaults for a fresh netuid, the leftovers of
/// `remove` for a re-used one).
pub fn init_new_network(s: &mut State, netuid: u16, tempo: u16) {
    // TotalNetworks cannot pass u16::MAX in practice (65 536 netuids would be needed);
    // saturating keeps the count well defined anyway.
    s.total_networks = s.total_networks.saturating_add(1);
    let sub = s.subnet_storage_mut(netuid);
    sub.n = 0;
    sub.added = true;
    sub.modality = 0;
    let p = &mut sub.params;
    p.tempo = tempo;
    p.network_registration_allowed = true;
    p.max_allowed_uids = 256;
    p.max_allowed_validators = 64;
    p.min_allowed_weights = 1;
    p.max_weights_limit = u16::MAX;
    p.adjustment_interval = 360;
    p.target_registrations_per_interval = 1;
    p.adjustment_alpha = 58_000;
    p.immunity_period = 5_000;
    p.min_burn = 1;
    p.min_difficulty = u64::MAX;
    p.max_difficulty = u64::MAX;
}

/// `remove(netuid)` — docs/ruleset.md §9.4 (also used by pruning): clears exactly the listed storage,
/// refunds the lock to the owner (event `LockRefunded`) and deletes the owner. Everything else
/// (stakes, `IsNetworkMember`, `BlockAtRegistration`, axons, pending/loaded emission, burn, the
/// other hyperparameters, …) stays for a re-created netuid to inherit.
/// Fails (changing nothing) only if the refund overflowed u64, which the supply invariant
/// (docs/ruleset.md §1.2) rules out.
pub fn remove(s: &mut State, netuid: u16, ev: &mut Events) -> Result<()> {
    let refund = refund_of(s, netuid);
    let refunded_balance = match refund {
        Some((owner, amount)) => Some(
            s.free(&owner)
                .checked_add(amount)
                .ok_or(ChainError::from(RuleError::ArithmeticOverflow))?,
        ),
        None => None,
    };
    s.total_networks = s.total_networks.saturating_sub(1);
    clear_subnet_storage(s, netuid);
    if let (Some((owner, amount)), Some(balance)) = (refund, refunded_balance) {
        s.set_free(&owner, balance);
        ev.emit(|| {
            Event::new("LockRefunded")
                .u("netuid", netuid)
                .acct("owner", &owner)
                .u("amount", amount)
        });
    }
    let sub = s.subnet_storage_mut(netuid);
    sub.locked = 0;
    sub.owner = None;
    Ok(())
}

/// The deletions and resets of `remove` (docs/ruleset.md §9.4), nothing more.
fn clear_subnet_storage(s: &mut State, netuid: u16) {
    let sub = s.subnet_storage_mut(netuid);
    sub.n = 0;
    sub.modality = 0;
    sub.added = false;
    sub.registered_at = 0;
    sub.neurons.clear();
    sub.emission_values = 0;
    sub.registrations_this_interval = 0;
    sub.pow_registrations_this_interval = 0;
    sub.burn_registrations_this_interval = 0;
    let d = SubnetParams::default();
    let p = &mut sub.params;
    p.tempo = d.tempo;
    p.kappa = d.kappa;
    p.difficulty = d.difficulty;
    p.max_allowed_uids = d.max_allowed_uids;
    p.immunity_period = d.immunity_period;
    p.activity_cutoff = d.activity_cutoff;
    p.max_weights_limit = d.max_weights_limit;
    p.min_allowed_weights = d.min_allowed_weights;
}

/// `dissolve_network(netuid)` — `Signed(c)`, docs/ruleset.md §9.4.
pub fn dissolve_network(
    s: &mut State,
    c: &AccountId,
    x: &DissolveNetwork,
    ev: &mut Events,
) -> Result<()> {
    let netuid = x.netuid;
    let sub = s
        .subnet(netuid)
        .ok_or_else(|| RuleError::NetworkDoesNotExist.netuid(netuid))?;
    // An absent owner (the root network) matches no account (docs/ruleset.md §0.5).
    ensure_with(sub.owner == Some(*c), || {
        RuleError::NotSubnetOwner.account(c).netuid(netuid)
    })?;
    remove(s, netuid, ev)?;
    ev.emit(|| Event::new("NetworkRemoved").u("netuid", netuid));
    Ok(())
}

#[cfg(test)]
mod tests;
