//! Free balances and `transfer` (RULES.md §2), with the existential-deposit rules.
//!
//! Debits made by transactions must leave 0 or at least ED; credits always apply in full.

use crate::error::{ensure, ChainError, Result, RuleError};
use crate::events::{Event, Events};
use crate::state::{AccountId, State, EXISTENTIAL_DEPOSIT};

/// The ED rule on a debit of `x` from a balance of `free` (RULES.md §2): `free ≥ x` is checked by
/// the caller with its own error; this checks that the rest is 0 or ≥ ED.
pub fn check_ed_after_debit(free: u64, x: u64) -> Result<()> {
    if x == 0 {
        return Ok(());
    }
    let rest = free.saturating_sub(x);
    ensure(
        rest == 0 || rest >= EXISTENTIAL_DEPOSIT,
        RuleError::BalanceBelowExistentialDeposit,
    )
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
        .ok_or(ChainError::Rule(RuleError::ArithmeticOverflow))?;
    state.set_free(a, f);
    Ok(())
}

/// `transfer(dest, amount)` — RULES.md §2.1.
pub fn transfer(
    state: &mut State,
    src: &AccountId,
    dest: &AccountId,
    amount: u64,
    ev: &mut Events,
) -> Result<()> {
    if amount == 0 || dest == src {
        return Ok(());
    }
    let from = state.free(src);
    ensure(from >= amount, RuleError::InsufficientBalance)?;
    let to = state
        .free(dest)
        .checked_add(amount)
        .ok_or(ChainError::Rule(RuleError::ArithmeticOverflow))?;
    ensure(
        to >= EXISTENTIAL_DEPOSIT,
        RuleError::BalanceBelowExistentialDeposit,
    )?;
    check_ed_after_debit(from, amount)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn st(pairs: &[(u8, u64)]) -> State {
        let mut s = State::default();
        for (a, v) in pairs {
            s.set_free(&[*a; 32], *v);
        }
        s
    }

    #[test]
    fn transfer_moves_and_keeps_ed() {
        let mut s = st(&[(1, 1000)]);
        let mut ev = Events::enabled();
        transfer(&mut s, &[1; 32], &[2; 32], 500, &mut ev).unwrap();
        assert_eq!(s.free(&[1; 32]), 500);
        assert_eq!(s.free(&[2; 32]), 500);
        assert_eq!(ev.list[0].name, "Transfer");
    }

    #[test]
    fn transfer_errors_in_order() {
        let mut s = st(&[(1, 1000)]);
        let mut ev = Events::disabled();
        let e = |r| Err(ChainError::Rule(r));
        assert_eq!(
            transfer(&mut s, &[1; 32], &[2; 32], 1001, &mut ev),
            e(RuleError::InsufficientBalance)
        );
        // destination would hold < ED
        assert_eq!(
            transfer(&mut s, &[1; 32], &[2; 32], 499, &mut ev),
            e(RuleError::BalanceBelowExistentialDeposit)
        );
        // sender would keep 0 < rest < ED
        assert_eq!(
            transfer(&mut s, &[1; 32], &[2; 32], 600, &mut ev),
            e(RuleError::BalanceBelowExistentialDeposit)
        );
        assert_eq!(s, st(&[(1, 1000)]));
        // the whole balance may go; zero and self transfers are no-ops
        transfer(&mut s, &[1; 32], &[1; 32], 5, &mut ev).unwrap();
        transfer(&mut s, &[1; 32], &[2; 32], 0, &mut ev).unwrap();
        transfer(&mut s, &[1; 32], &[2; 32], 1000, &mut ev).unwrap();
        assert_eq!(s.free(&[1; 32]), 0);
        assert!(!s.free.contains_key(&[1; 32]));
    }
}
