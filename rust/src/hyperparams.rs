//! `sudo_set_hyperparameter` (docs/ruleset.md §13.3) and the genesis `params`: the check order of
//! §13.3 over the parameter tables of `crate::params` (types, bounds, setters and extra checks
//! are data there).

use crate::error::{ensure, ChainError, Result, RuleError};
use crate::events::{Event, Events, Value};
use crate::params::{Check, Globals, Param, Setter, SubnetParams};
use crate::state::State;
use crate::tx::{Origin, ParamValue};

/// A known global name that is not a parameter: setting it fails with `CallNotSupported` (§13.2).
const TOTAL_ISSUANCE: &str = "total_issuance";

/// The row of a name in the per-subnet table (§13.3 step 1: settable names only).
fn subnet_row(name: &str) -> Option<&'static Param> {
    SubnetParams::row(name).filter(|p| p.setter.is_some())
}

/// The value as the parameter's type, else `StorageValueOutOfRange` (§13.3 step 4).
fn fit(p: &Param, v: ParamValue) -> Result<u64> {
    p.fit(v)
        .ok_or(ChainError::Rule(RuleError::StorageValueOutOfRange))
}

/// The row's constant bounds, else `StorageValueOutOfRange` (§13.3 step 5).
fn bounds(p: &Param, x: u64) -> Result<()> {
    ensure(p.in_bounds(x), RuleError::StorageValueOutOfRange)
}

pub fn is_sudo(state: &State, origin: &Origin) -> bool {
    match origin {
        Origin::Root => true,
        Origin::Signed(a) => *a == state.sudo_key,
    }
}

/// A genesis `params` entry (docs/ruleset.md §9.5): global names except `total_issuance`, with bounds.
pub fn set_genesis_param(state: &mut State, name: &str, v: ParamValue) -> Result<()> {
    let bad = |why: &str| ChainError::InvalidGenesis(format!("genesis.params.{name}: {why}"));
    let p = Globals::row(name)
        .ok_or_else(|| bad("not a settable global parameter (docs/ruleset.md §13.2)"))?;
    let x = p
        .fit(v)
        .filter(|x| p.in_bounds(*x))
        .ok_or_else(|| bad("value out of range for the parameter"))?;
    state.globals.store(name, x);
    Ok(())
}

/// `sudo_set_hyperparameter(netuid | null, name, value)` — docs/ruleset.md §13.3.
pub fn sudo_set_hyperparameter(
    state: &mut State,
    origin: &Origin,
    netuid: Option<u16>,
    name: &str,
    value: ParamValue,
    ev: &mut Events,
) -> Result<()> {
    match netuid {
        None => {
            let p = Globals::row(name);
            ensure(
                p.is_some() || name == TOTAL_ISSUANCE,
                RuleError::UnknownHyperparameter,
            )?;
            ensure(is_sudo(state, origin), RuleError::BadOrigin)?;
            let p = p.ok_or(RuleError::CallNotSupported)?;
            let x = fit(p, value)?;
            bounds(p, x)?;
            state.globals.store(name, x);
        }
        Some(n) => {
            let p = subnet_row(name).ok_or(RuleError::UnknownHyperparameter)?;
            let owner_ok = match (p.setter, origin) {
                (Some(Setter::OwnerOrSudo), Origin::Signed(a)) => state
                    .subnets
                    .get(&n)
                    .and_then(|s| s.owner)
                    .is_some_and(|o| o == *a),
                _ => false,
            };
            ensure(is_sudo(state, origin) || owner_ok, RuleError::BadOrigin)?;
            if p.needs_subnet {
                ensure(state.subnet_exists(n), RuleError::NetworkDoesNotExist)?;
            }
            let x = fit(p, value)?;
            let sub = state.subnets.get(&n);
            match p.check {
                Check::None => {}
                Check::AboveNeuronCount => {
                    let cur_n = sub.map(|s| s.n).unwrap_or(0) as u64;
                    ensure(x > cur_n, RuleError::MaxAllowedUIdsNotAllowed)?;
                }
                Check::AtMostMaxAllowedUids => {
                    let max_uids = sub.map(|s| s.params.max_allowed_uids).unwrap_or_default();
                    ensure(x <= max_uids as u64, RuleError::StorageValueOutOfRange)?;
                }
            }
            bounds(p, x)?;
            state.subnet_storage_mut(n).params.store(name, x);
        }
    }
    ev.emit(|| {
        let v = match value {
            ParamValue::Bool(b) => Value::Bool(b),
            ParamValue::Int(x) => Value::U64(x),
        };
        Event::new("HyperparameterSet")
            .value(
                "netuid",
                netuid.map_or(Value::Nil, |n| Value::U64(n as u64)),
            )
            .str("name", name)
            .value("value", v)
    });
    Ok(())
}

#[cfg(test)]
mod tests;
