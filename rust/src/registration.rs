//! Neuron registration (RULES.md §8): the per-block burn / difficulty adjustment (A1, §8.8).
//! (Registration transactions are added to this file by the registration work.)

use crate::error::{ChainError, Result};
use crate::events::{Event, Events};
use crate::fixedpoint::{i110_to_u64, I110F18};
use crate::state::State;

/// Inputs of `adjust_registration_terms` besides the current burn and difficulty.
#[derive(Clone, Copy, Debug)]
pub struct AdjustInput {
    pub registrations: u16,
    pub pow_registrations: u16,
    pub burn_registrations: u16,
    pub target: u16,
    pub adjustment_alpha: u64,
    pub min_burn: u64,
    pub max_burn: u64,
    pub min_difficulty: u64,
    pub max_difficulty: u64,
}

/// `adjust(x, min, max)` of RULES.md §8.8 in I110F18.
fn adjust(x: u64, min: u64, max: u64, a: &AdjustInput) -> u64 {
    let reg = a.registrations as u32;
    let t = a.target as u32;
    let ix = I110F18::from_num(x);
    let upd = (ix * I110F18::from_num(reg + t)) / I110F18::from_num(2 * t);
    let alpha = I110F18::from_num(a.adjustment_alpha) / I110F18::from_num(u64::MAX);
    let next = alpha * ix + (I110F18::from_num(1) - alpha) * upd;
    if next >= I110F18::from_num(max) {
        max
    } else if next <= I110F18::from_num(min) {
        min
    } else {
        i110_to_u64(next)
    }
}

/// The six cases of RULES.md §8.8. Returns the new (burn, difficulty).
pub fn adjust_registration_terms(burn: u64, difficulty: u64, a: &AdjustInput) -> Result<(u64, u64)> {
    if a.target == 0 {
        return Err(ChainError::InvalidArgument(
            "target must be at least 1 (TargetRegistrationsPerInterval ≥ 1)".into(),
        ));
    }
    let over = a.registrations > a.target;
    let (pow, brn) = (a.pow_registrations, a.burn_registrations);
    let (adj_burn, adj_diff) = match (over, pow.cmp(&brn)) {
        (true, std::cmp::Ordering::Greater) => (false, true), // A
        (true, std::cmp::Ordering::Less) => (true, false),    // B
        (true, std::cmp::Ordering::Equal) => (true, true),    // F
        (false, std::cmp::Ordering::Greater) => (true, false), // C
        (false, std::cmp::Ordering::Less) => (false, true),   // D
        (false, std::cmp::Ordering::Equal) => (true, true),   // E
    };
    let b = if adj_burn { adjust(burn, a.min_burn, a.max_burn, a) } else { burn };
    let d = if adj_diff {
        adjust(difficulty, a.min_difficulty, a.max_difficulty, a)
    } else {
        difficulty
    };
    Ok((b, d))
}

/// A1 of the block step for every existing netuid (ascending, root included).
pub fn adjust_all(state: &mut State, ev: &mut Events) {
    let b = state.block;
    for netuid in state.netuids() {
        let sub = state.subnet_storage_mut(netuid);
        let p = &sub.params;
        if b.saturating_sub(sub.last_adjustment_block) >= p.adjustment_interval as u64 {
            let input = AdjustInput {
                registrations: sub.registrations_this_interval,
                pow_registrations: sub.pow_registrations_this_interval,
                burn_registrations: sub.burn_registrations_this_interval,
                target: p.target_registrations_per_interval.max(1),
                adjustment_alpha: p.adjustment_alpha,
                min_burn: p.min_burn,
                max_burn: p.max_burn,
                min_difficulty: p.min_difficulty,
                max_difficulty: p.max_difficulty,
            };
            // target ≥ 1 is enforced by the setter and the defaults, so this cannot fail.
            if let Ok((burn, difficulty)) = adjust_registration_terms(p.burn, p.difficulty, &input) {
                sub.params.burn = burn;
                sub.params.difficulty = difficulty;
                ev.emit(|| {
                    Event::new("RegistrationTermsAdjusted")
                        .u("netuid", netuid)
                        .u("burn", burn)
                        .u("difficulty", difficulty)
                });
            }
            sub.last_adjustment_block = b;
            sub.registrations_this_interval = 0;
            sub.pow_registrations_this_interval = 0;
            sub.burn_registrations_this_interval = 0;
        }
        sub.registrations_this_block = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(reg: u16, pow: u16, brn: u16, alpha: u64) -> AdjustInput {
        AdjustInput {
            registrations: reg,
            pow_registrations: pow,
            burn_registrations: brn,
            target: 1,
            adjustment_alpha: alpha,
            min_burn: 1,
            max_burn: u64::MAX,
            min_difficulty: 1,
            max_difficulty: u64::MAX,
        }
    }

    #[test]
    fn worked_adjustments() {
        assert_eq!(adjust_registration_terms(1000, 10000, &input(2, 0, 2, 58000)).unwrap().0, 1500);
        let half = u64::MAX / 2;
        assert_eq!(adjust_registration_terms(1000, 10000, &input(2, 0, 2, half)).unwrap().0, 1250);
        assert_eq!(
            adjust_registration_terms(1000, 10000, &input(3, 2, 1, 58000)).unwrap(),
            (1000, 20000)
        );
        assert_eq!(
            adjust_registration_terms(1000, 10000, &input(3, 1, 2, 58000)).unwrap(),
            (2000, 10000)
        );
        // E with no registrations halves both
        assert_eq!(
            adjust_registration_terms(1000, 10000, &input(0, 0, 0, 0)).unwrap(),
            (500, 5000)
        );
    }
}

// ---- registration transactions (to be completed) ----
use crate::state::AccountId;

fn todo_rule() -> ChainError {
    ChainError::Fatal("not implemented yet".into())
}

/// `burned_register(netuid, hotkey)` — RULES.md §8.2.
pub fn burned_register(_s: &mut State, _c: &AccountId, _netuid: u16, _hotkey: &AccountId, _ev: &mut Events) -> Result<()> {
    Err(todo_rule())
}

/// `register(netuid, block_number, nonce, work, hotkey, coldkey)` — RULES.md §8.3.
#[allow(clippy::too_many_arguments)]
pub fn register_pow(_s: &mut State, _signer: &AccountId, _netuid: u16, _block_number: u64, _nonce: u64, _work: &[u8], _hotkey: &AccountId, _coldkey: &AccountId, _ev: &mut Events) -> Result<()> {
    Err(todo_rule())
}

/// `sudo_register(netuid, hotkey, coldkey, stake, balance)` — RULES.md §8.5 (origin checked by the caller).
pub fn sudo_register(_s: &mut State, _netuid: u16, _hotkey: &AccountId, _coldkey: &AccountId, _stake: u64, _balance: u64, _ev: &mut Events) -> Result<()> {
    Err(todo_rule())
}

/// `root_register(hotkey)` — RULES.md §8.6.
pub fn root_register(_s: &mut State, _c: &AccountId, _hotkey: &AccountId, _ev: &mut Events) -> Result<()> {
    Err(todo_rule())
}
