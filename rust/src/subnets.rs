//! Subnets (RULES.md §9): lock cost, register_network, dissolve_network, removal. (to be completed)

use crate::error::{ChainError, Result};
use crate::events::Events;
use crate::state::{AccountId, State};

/// `lock_cost` of RULES.md §9.1 as a pure function.
pub fn lock_cost(last_lock: u64, last_lock_block: u64, block: u64, min_lock: u64, reduction_interval: u64, first_registration: bool) -> u64 {
    let _ = (last_lock, last_lock_block, block, min_lock, reduction_interval, first_registration);
    0
}

/// The lock cost of registering a network now.
pub fn network_lock_cost(_s: &State) -> u64 {
    0
}

pub fn register_network(_s: &mut State, _c: &AccountId, _ev: &mut Events) -> Result<()> {
    Err(ChainError::Fatal("not implemented yet".into()))
}

pub fn dissolve_network(_s: &mut State, _c: &AccountId, _netuid: u16, _ev: &mut Events) -> Result<()> {
    Err(ChainError::Fatal("not implemented yet".into()))
}
