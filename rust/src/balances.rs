//! Free balances and `transfer` (docs/ruleset.md §2), with the existential-deposit rules.
//!
//! Debits made by transactions must leave 0 or at least ED; credits always apply in full.

use crate::error::{ensure_with, ChainError, Result, RuleError};
use crate::events::{Event, Events};
use crate::state::{AccountId, State, EXISTENTIAL_DEPOSIT, S_MAX};

/// The ED rule on a debit of `x` from a balance of `free` (docs/ruleset.md §2): `free ≥ x` is checked by
/// the caller with its own error; this checks that the rest is 0 or ≥ ED.
pub fn check_ed_after_debit(free: u64, x: u64) -> Result<()> {
    if x == 0 {
        return Ok(());
    }
    let rest = free.saturating_sub(x);
    ensure_with(rest == 0 || rest >= EXISTENTIAL_DEPOSIT, || {
        RuleError::BalanceBelowExistentialDeposit
            .available(rest)
            .needed(EXISTENTIAL_DEPOSIT)
    })
}

/// Debit after all checks passed.
pub fn debit(state: &mut State, a: &AccountId, x: u64) {
    let f = state.free(a);
    debug_assert!(f >= x, "debit without a balance check");
    state.set_free(a, f - x);
}

/// Credit in full (checked: a u64 overflow is an engine fault, impossible under the supply cap).
pub fn credit(state: &mut State, a: &AccountId, x: u64) -> Result<()> {
    if x == 0 {
        return Ok(());
    }
    let f = state
        .free(a)
        .checked_add(x)
        .ok_or(ChainError::from(RuleError::ArithmeticOverflow))?;
    state.set_free(a, f);
    Ok(())
}

crate::codec::call_args! {
    /// The arguments of `transfer` (docs/ruleset.md §2.1).
    pub struct Transfer {
        pub dest: AccountId,
        pub amount: u64,
    }
}

/// `transfer(dest, amount)` — docs/ruleset.md §2.1.
pub fn transfer(state: &mut State, src: &AccountId, x: &Transfer, ev: &mut Events) -> Result<()> {
    let (dest, amount) = (&x.dest, x.amount);
    if amount == 0 || dest == src {
        return Ok(());
    }
    let from = state.free(src);
    ensure_with(from >= amount, || {
        RuleError::InsufficientBalance
            .account(src)
            .available(from)
            .needed(amount)
    })?;
    let to = state
        .free(dest)
        .checked_add(amount)
        .ok_or_else(|| RuleError::ArithmeticOverflow.account(dest).needed(amount))?;
    ensure_with(to >= EXISTENTIAL_DEPOSIT, || {
        RuleError::BalanceBelowExistentialDeposit
            .account(dest)
            .available(to)
            .needed(EXISTENTIAL_DEPOSIT)
    })?;
    check_ed_after_debit(from, amount).map_err(|e| e.for_account(src))?;
    state.set_free(src, from - amount);
    state.set_free(dest, to);
    ev.emit(|| {
        Event::new("Transfer")
            .acct("from", src)
            .acct("to", dest)
            .u("amount", amount)
    });
    Ok(())
}

crate::codec::call_args! {
    /// The arguments of `sudo_set_balance` (docs/ruleset.md §2.2).
    pub struct SudoSetBalance {
        pub who: AccountId,
        pub free: u64,
    }
}

/// `sudo_set_balance(who, free)` — `Sudo` (checked by the caller), docs/ruleset.md §2.2: set the
/// free balance of `who`; `TotalIssuance` follows, bounded by the supply cap.
pub fn sudo_set_balance(state: &mut State, x: &SudoSetBalance, ev: &mut Events) -> Result<()> {
    let (who, free) = (&x.who, x.free);
    let old = state.free(who);
    // 1. The new issuance stays within the supply cap (§1.2); lowering cannot underflow, since
    // TotalIssuance counts every balance.
    let issuance = if free >= old {
        state
            .total_issuance
            .checked_add(free - old)
            .filter(|t| *t <= S_MAX)
            .ok_or_else(|| {
                RuleError::ArithmeticOverflow
                    .account(who)
                    .needed(free - old)
                    .limit(S_MAX)
            })?
    } else {
        state.total_issuance - (old - free)
    };
    state.set_free(who, free);
    state.total_issuance = issuance;
    ev.emit(|| Event::new("BalanceSet").acct("who", who).u("free", free));
    Ok(())
}

#[cfg(test)]
mod tests;
