//! Stake, delegation and the payout of emission through a hotkey (docs/ruleset.md §6.3, §7).
//!
//! Invariants kept by `increase_stake` / `decrease_stake` (the only writers of stake):
//! `TotalStake = Σ Stake`, `TotalHotkeyStake[h] = Σ_c Stake[h][c]`,
//! `TotalColdkeyStake[c] = Σ_h Stake[h][c]`.

use crate::balances;
use crate::error::{ensure_with, ChainError, Rejection, Result, RuleError};
use crate::events::{Event, Events};
use crate::fixedpoint::{i64f64_to_u64, I64F64};
use crate::state::{AccountId, HotkeyStake, State};

fn overflow() -> ChainError {
    ChainError::from(RuleError::ArithmeticOverflow)
}

/// "Add x to (c, h)" of docs/ruleset.md §6.3 (checked; nothing changes when a sum overflows).
pub fn increase_stake(
    state: &mut State,
    coldkey: &AccountId,
    hotkey: &AccountId,
    x: u64,
) -> Result<()> {
    let total = state.total_stake.checked_add(x).ok_or_else(overflow)?;
    // Replay's hot path (emission credits): all entries exist, so one lookup for the hotkey's
    // stake and total, one for the coldkey's total.
    let hot = state.stake.get_mut(hotkey);
    if let (
        Some(tc),
        Some(HotkeyStake {
            coldkeys: Some(m),
            total: Some(th),
        }),
    ) = (state.total_coldkey_stake.get_mut(coldkey), hot)
    {
        let Some(sc) = m.get_mut(coldkey) else {
            return increase_stake_new_entry(state, coldkey, hotkey, x, total);
        };
        let new_th = th.checked_add(x).ok_or_else(overflow)?;
        let new_tc = tc.checked_add(x).ok_or_else(overflow)?;
        let new_sc = sc.checked_add(x).ok_or_else(overflow)?;
        (*th, *tc, *sc) = (new_th, new_tc, new_sc);
        state.total_stake = total;
        return Ok(());
    }
    increase_stake_new_entry(state, coldkey, hotkey, x, total)
}

/// `increase_stake` where an entry may be missing (its first stake, a new coldkey).
fn increase_stake_new_entry(
    state: &mut State,
    coldkey: &AccountId,
    hotkey: &AccountId,
    x: u64,
    total: u64,
) -> Result<()> {
    let th = state
        .total_hotkey_stake(hotkey)
        .checked_add(x)
        .ok_or_else(overflow)?;
    let tc = state
        .total_coldkey_stake(coldkey)
        .checked_add(x)
        .ok_or_else(overflow)?;
    let cur = state.stake_of(hotkey, coldkey);
    let new = cur.checked_add(x).ok_or_else(overflow)?;
    state.total_stake = total;
    state.total_coldkey_stake.insert(*coldkey, tc);
    let hot = state.stake.entry(*hotkey).or_default();
    hot.total = Some(th);
    hot.coldkeys_mut().insert(*coldkey, new);
    Ok(())
}

/// Subtract x from (c, h) and the three totals; the caller checked `Stake[h][c] ≥ x`.
/// Entries that reach 0 stay (an explicit 0 stake is what create-account writes).
pub fn decrease_stake(state: &mut State, coldkey: &AccountId, hotkey: &AccountId, x: u64) {
    let cur = state.stake_of(hotkey, coldkey);
    debug_assert!(cur >= x);
    state.total_stake -= x;
    *state.total_coldkey_stake.entry(*coldkey).or_default() -= x;
    let hot = state.stake.entry(*hotkey).or_default();
    *hot.total_mut() -= x;
    hot.coldkeys_mut().insert(*coldkey, cur - x);
}

/// Per-coldkey rate limit shared by add/remove stake and become_delegate (docs/ruleset.md §7).
pub fn rate_limit_exceeded(state: &State, coldkey: &AccountId) -> bool {
    let limit = state.globals.tx_rate_limit;
    let last = state.last_tx_block.get(coldkey).copied().unwrap_or(0);
    limit != 0 && last != 0 && state.block.saturating_sub(last) <= limit
}

/// The context of a `TxRateLimitExceeded` of `coldkey`.
fn rate_limited(state: &State, coldkey: &AccountId) -> Rejection {
    RuleError::TxRateLimitExceeded
        .account(coldkey)
        .last(state.last_tx_block.get(coldkey).copied().unwrap_or(0))
        .limit(state.globals.tx_rate_limit)
        .block(state.block)
}

/// hotkey is a delegate or owned by `c`.
fn may_stake(state: &State, c: &AccountId, hotkey: &AccountId) -> Result<()> {
    let owner = state
        .owner
        .get(hotkey)
        .ok_or_else(|| RuleError::NotRegistered.account(hotkey))?;
    ensure_with(state.is_delegate(hotkey) || owner == c, || {
        RuleError::NonAssociatedColdKey.account(c).hotkey(hotkey)
    })
}

crate::codec::call_args! {
    /// The arguments of `add_stake` (docs/ruleset.md §7.1).
    pub struct AddStake {
        pub hotkey: AccountId,
        pub amount: u64,
    }
}

crate::codec::call_args! {
    /// The arguments of `remove_stake` (docs/ruleset.md §7.2).
    pub struct RemoveStake {
        pub hotkey: AccountId,
        pub amount: u64,
    }
}

crate::codec::call_args! {
    /// The arguments of `become_delegate` (docs/ruleset.md §7.3).
    pub struct BecomeDelegate {
        pub hotkey: AccountId,
    }
}

/// `add_stake(hotkey, amount)` — docs/ruleset.md §7.1.
pub fn add_stake(state: &mut State, c: &AccountId, x: &AddStake, ev: &mut Events) -> Result<()> {
    let (hotkey, amount) = (&x.hotkey, x.amount);
    let free = state.free(c);
    ensure_with(free >= amount, || {
        RuleError::NotEnoughBalanceToStake
            .account(c)
            .available(free)
            .needed(amount)
    })?;
    may_stake(state, c, hotkey)?;
    ensure_with(!rate_limit_exceeded(state, c), || rate_limited(state, c))?;
    balances::check_ed_after_debit(free, amount)?;
    increase_stake(state, c, hotkey, amount)?;
    balances::debit(state, c, amount);
    state.last_tx_block.insert(*c, state.block);
    ev.emit(|| {
        Event::new("StakeAdded")
            .acct("hotkey", hotkey)
            .u("amount", amount)
    });
    Ok(())
}

/// `remove_stake(hotkey, amount)` — docs/ruleset.md §7.2.
pub fn remove_stake(
    state: &mut State,
    c: &AccountId,
    x: &RemoveStake,
    ev: &mut Events,
) -> Result<()> {
    let (hotkey, amount) = (&x.hotkey, x.amount);
    may_stake(state, c, hotkey)?;
    let staked = state.stake_of(hotkey, c);
    ensure_with(amount > 0 && staked >= amount, || {
        RuleError::NotEnoughStaketoWithdraw
            .account(c)
            .hotkey(hotkey)
            .available(staked)
            .needed(amount)
    })?;
    ensure_with(!rate_limit_exceeded(state, c), || rate_limited(state, c))?;
    // Stake is part of issuance (≤ S_MAX), so the credit cannot overflow.
    state.free(c).checked_add(amount).ok_or_else(overflow)?;
    decrease_stake(state, c, hotkey, amount);
    balances::credit(state, c, amount)?;
    state.last_tx_block.insert(*c, state.block);
    ev.emit(|| {
        Event::new("StakeRemoved")
            .acct("hotkey", hotkey)
            .u("amount", amount)
    });
    Ok(())
}

/// `become_delegate(hotkey)` — docs/ruleset.md §7.3.
pub fn become_delegate(
    state: &mut State,
    c: &AccountId,
    x: &BecomeDelegate,
    ev: &mut Events,
) -> Result<()> {
    let hotkey = &x.hotkey;
    let owner = state
        .owner
        .get(hotkey)
        .ok_or_else(|| RuleError::NotRegistered.account(hotkey))?;
    ensure_with(owner == c, || {
        RuleError::NonAssociatedColdKey.account(c).hotkey(hotkey)
    })?;
    ensure_with(!state.is_delegate(hotkey), || {
        RuleError::AlreadyDelegate.account(hotkey)
    })?;
    ensure_with(!rate_limit_exceeded(state, c), || rate_limited(state, c))?;
    let take = state.globals.default_take;
    state.delegates.insert(*hotkey, take);
    state.last_tx_block.insert(*c, state.block);
    ev.emit(|| {
        Event::new("DelegateAdded")
            .acct("coldkey", c)
            .acct("hotkey", hotkey)
            .u("take", take)
    });
    Ok(())
}

/// `credit(hotkey, server, validator)` — docs/ruleset.md §6.3: pay an emission tuple as stake through the
/// hotkey to its nominators (delegate take, pro-rata shares, remainder to the owner).
/// Returns nothing; emits `EmissionCredited` for each non-zero stake addition.
pub fn credit_emission(
    state: &mut State,
    netuid: u16,
    hotkey: &AccountId,
    server: u64,
    validator: u64,
    ev: &mut Events,
) -> Result<()> {
    // A hotkey always has an owner once it was registered; tuples name registered hotkeys.
    let owner = *state
        .owner
        .get(hotkey)
        .ok_or_else(|| ChainError::Fatal("emission tuple names a hotkey without owner".into()))?;
    let add = |state: &mut State, ev: &mut Events, c: &AccountId, x: u64| -> Result<()> {
        if x == 0 {
            return Ok(());
        }
        increase_stake(state, c, hotkey, x)?;
        ev.emit(|| {
            Event::new("EmissionCredited")
                .u("netuid", netuid)
                .acct("hotkey", hotkey)
                .acct("coldkey", c)
                .u("amount", x)
        });
        Ok(())
    };
    let Some(&take_u16) = state.delegates.get(hotkey) else {
        let total = server.checked_add(validator).ok_or_else(overflow)?;
        return add(state, ev, &owner, total);
    };
    let tot = state.total_hotkey_stake(hotkey);
    let take_ratio = I64F64::from_num(take_u16) / I64F64::from_num(65535u32);
    let take = i64f64_to_u64(take_ratio * I64F64::from_num(validator));
    let rest = validator - take;
    // Every Stake[h][c] and TotalColdkeyStake[c] is at most TotalStake (the invariants above), so
    // when TotalStake + rest fits u64 no addition below can overflow: checked once, up front.
    let total = state.total_stake.checked_add(rest).ok_or_else(overflow)?;
    // Step 2 in one ordered pass over Stake[hotkey] (ascending c; each share from the entry's
    // pre-tuple value, read just before the entry is increased) — the same additions as
    // `increase_stake` per nominator, without looking the hotkey up again for each one.
    let mut paid = 0u64;
    if let Some(nominators) = state
        .stake
        .get_mut(hotkey)
        .and_then(|e| e.coldkeys.as_mut())
    {
        for (c, stake_c) in nominators.iter_mut() {
            let share = if tot == 0 {
                0
            } else {
                let frac = I64F64::from_num(*stake_c) / I64F64::from_num(tot);
                i64f64_to_u64(I64F64::from_num(rest) * frac)
            };
            if share == 0 {
                continue;
            }
            paid += share;
            *stake_c += share;
            *state.total_coldkey_stake.entry(*c).or_insert(0) += share;
            ev.emit(|| {
                Event::new("EmissionCredited")
                    .u("netuid", netuid)
                    .acct("hotkey", hotkey)
                    .acct("coldkey", c)
                    .u("amount", share)
            });
        }
    }
    if paid > 0 {
        *state.stake.entry(*hotkey).or_default().total_mut() += paid;
        state.total_stake = total - (rest - paid);
    }
    add(state, ev, &owner, take + (rest - paid))?;
    add(state, ev, &owner, server)
}

/// Return every stake of a deregistered hotkey to its coldkeys (docs/ruleset.md §7.4).
pub fn unstake_all(state: &mut State, hotkey: &AccountId, ev: &mut Events) -> Result<()> {
    let entries: Vec<(AccountId, u64)> = state
        .stakes_of(hotkey)
        .map(|m| m.iter().map(|(c, s)| (*c, *s)).collect())
        .unwrap_or_default();
    for (c, x) in entries {
        decrease_stake(state, &c, hotkey, x);
        balances::credit(state, &c, x)?;
        if x > 0 {
            ev.emit(|| {
                Event::new("StakeReturned")
                    .acct("hotkey", hotkey)
                    .acct("coldkey", &c)
                    .u("amount", x)
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
