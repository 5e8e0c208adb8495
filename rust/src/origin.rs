//! Origins (docs/ruleset.md §0.5): who dispatches a call, and who each call admits.
//!
//! Owns `Origin`, `OriginRule`, and the only implementation of each rule: `ensure_origin` (used
//! by `calls::dispatch` before a call's rule function runs), `signed`, `is_sudo` and
//! `is_owner_or_sudo`. `propose` (§12.1) reads the same `OriginRule` of the proposed call.

use crate::error::{ensure, ChainError, Result, RuleError};
use crate::state::{AccountId, State};

/// The origin a call is dispatched with (docs/ruleset.md §0.5): a signed account, or `Root` —
/// the origin of a transaction dispatched by an approved proposal, which passes every `Sudo`
/// check but is not the `SudoKey`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Signed(AccountId),
    Root,
}

/// Who may dispatch a call (docs/ruleset.md §0.5); one per row of the call table (`calls.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OriginRule {
    /// Any signed account (`Root` is refused).
    Signed,
    /// Exactly the account holding the sudo key (`Root` is refused).
    SudoKey,
    /// The sudo key or `Root`.
    Sudo,
    /// The sudo key, `Root`, or the owner of the subnet the call names (§13.3).
    OwnerOrSudo,
}

/// The signing account, or `BadOrigin` for `Root`.
pub fn signed(origin: &Origin) -> Result<&AccountId> {
    match origin {
        Origin::Signed(a) => Ok(a),
        Origin::Root => Err(ChainError::from(RuleError::BadOrigin)),
    }
}

/// `Sudo`: the sudo key or `Root`.
pub fn is_sudo(state: &State, origin: &Origin) -> bool {
    match origin {
        Origin::Root => true,
        Origin::Signed(a) => *a == state.sudo_key,
    }
}

/// `OwnerOrSudo(netuid)`: `Sudo`, or the owner of subnet `netuid`.
pub fn is_owner_or_sudo(state: &State, origin: &Origin, netuid: u16) -> bool {
    let owner = match origin {
        Origin::Signed(a) => state
            .subnets
            .get(&netuid)
            .and_then(|s| s.owner)
            .is_some_and(|o| o == *a),
        Origin::Root => false,
    };
    is_sudo(state, origin) || owner
}

/// Checks `rule` for `origin` before a call's rule function runs: `BadOrigin` if refused.
/// `OwnerOrSudo` passes here: its owner half depends on the call's netuid and parameter, so
/// `hyperparams` checks it with `is_owner_or_sudo` at its place in the order of §13.3.
pub fn ensure_origin(rule: OriginRule, origin: &Origin, state: &State) -> Result<()> {
    let ok = match rule {
        OriginRule::Signed => matches!(origin, Origin::Signed(_)),
        // `Origin::Root` (an approved proposal) is `Sudo` but not the key itself.
        OriginRule::SudoKey => matches!(origin, Origin::Signed(a) if *a == state.sudo_key),
        OriginRule::Sudo => is_sudo(state, origin),
        OriginRule::OwnerOrSudo => true,
    };
    ensure(ok, RuleError::BadOrigin)
}
