//! `set_weights` (RULES.md §10). (to be completed)

use crate::error::{ChainError, Result};
use crate::events::Events;
use crate::state::{AccountId, State};

pub fn set_weights(_s: &mut State, _hotkey: &AccountId, _netuid: u16, _uids: &[u16], _values: &[u16], _version_key: u64, _ev: &mut Events) -> Result<()> {
    Err(ChainError::Fatal("not implemented yet".into()))
}
