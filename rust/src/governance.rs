//! Governance (RULES.md §12). (to be completed)

use crate::error::{ChainError, Result};
use crate::events::Events;
use crate::state::{AccountId, Hash, State};
use crate::tx::{Origin, Tx};

fn todo() -> ChainError {
    ChainError::Fatal("not implemented yet".into())
}

pub fn sudo_set_key(_s: &mut State, _origin: &Origin, _new: &AccountId, _ev: &mut Events) -> Result<()> { Err(todo()) }
pub fn triumvirate_add(_s: &mut State, _m: &AccountId, _ev: &mut Events) -> Result<()> { Err(todo()) }
pub fn triumvirate_remove(_s: &mut State, _m: &AccountId, _ev: &mut Events) -> Result<()> { Err(todo()) }
pub fn triumvirate_swap(_s: &mut State, _old: &AccountId, _new: &AccountId, _ev: &mut Events) -> Result<()> { Err(todo()) }
pub fn senate_add(_s: &mut State, _h: &AccountId, _ev: &mut Events) -> Result<()> { Err(todo()) }
pub fn senate_remove(_s: &mut State, _h: &AccountId, _ev: &mut Events) -> Result<()> { Err(todo()) }
pub fn disapprove(_s: &mut State, _hash: &Hash, _ev: &mut Events) -> Result<()> { Err(todo()) }
pub fn propose(_s: &mut State, _a: &AccountId, _bytes: &[u8], _call: &Tx, _duration: u64, _ev: &mut Events) -> Result<()> { Err(todo()) }
#[allow(clippy::too_many_arguments)]
pub fn vote(_s: &mut State, _c: &AccountId, _hotkey: &AccountId, _hash: &Hash, _index: u32, _approve: bool, _ev: &mut Events) -> Result<()> { Err(todo()) }
pub fn close(_s: &mut State, _a: &AccountId, _hash: &Hash, _index: u32, _ev: &mut Events) -> Result<()> { Err(todo()) }
/// Deletes `member`'s votes from every open proposal.
pub fn remove_votes_of(_s: &mut State, _member: &AccountId) {}
