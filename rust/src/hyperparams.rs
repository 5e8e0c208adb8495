//! `sudo_set_hyperparameter` (docs/ruleset.md §13.3) and the genesis `params`: the check order of
//! §13.3 over the parameter tables of `crate::params` (types, bounds, setters and extra checks
//! are data there).

use crate::codec::ParamValue;
use crate::error::{ensure, ensure_with, ChainError, Result, RuleError};
use crate::events::{Event, Events, Value};
use crate::origin::{is_owner_or_sudo, is_sudo, Origin};
use crate::params::{Check, Globals, Param, Setter, SubnetParams};
use crate::state::State;

/// A known global name that is not a parameter: setting it fails with `CallNotSupported` (§13.2).
const TOTAL_ISSUANCE: &str = "total_issuance";

/// The row of a name in the per-subnet table (§13.3 step 1: settable names only).
fn subnet_row(name: &str) -> Option<&'static Param> {
    SubnetParams::row(name).filter(|p| p.setter.is_some())
}

/// The value as the parameter's type, else `StorageValueOutOfRange` (§13.3 step 4).
fn fit(p: &Param, v: ParamValue) -> Result<u64> {
    p.fit(v).ok_or_else(|| match v {
        ParamValue::Int(x) => ChainError::from(RuleError::StorageValueOutOfRange.available(x)),
        ParamValue::Bool(_) => RuleError::StorageValueOutOfRange.into(),
    })
}

/// The row's constant bounds, else `StorageValueOutOfRange` (§13.3 step 5).
fn bounds(p: &Param, x: u64) -> Result<()> {
    ensure(p.in_bounds(x), RuleError::StorageValueOutOfRange)
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

crate::codec::call_args! {
    /// The arguments of `sudo_set_hyperparameter` (docs/ruleset.md §13.3).
    pub struct SudoSetHyperparameter {
        pub netuid: Option<u16>,
        pub name: String,
        pub value: ParamValue,
    }
}

/// `sudo_set_hyperparameter(netuid | null, name, value)` — docs/ruleset.md §13.3. Every refusal
/// names the parameter.
pub fn sudo_set_hyperparameter(
    state: &mut State,
    origin: &Origin,
    x: &SudoSetHyperparameter,
    ev: &mut Events,
) -> Result<()> {
    set_hyperparameter(state, origin, x, ev).map_err(|e| e.with_context(|r| r.name(&x.name)))
}

fn set_hyperparameter(
    state: &mut State,
    origin: &Origin,
    x: &SudoSetHyperparameter,
    ev: &mut Events,
) -> Result<()> {
    let (netuid, name, value) = (x.netuid, x.name.as_str(), x.value);
    match netuid {
        None => {
            let p = Globals::row(name);
            ensure_with(p.is_some() || name == TOTAL_ISSUANCE, || {
                RuleError::UnknownHyperparameter.name(name)
            })?;
            ensure(is_sudo(state, origin), RuleError::BadOrigin)?;
            let p = p.ok_or(RuleError::CallNotSupported)?;
            let x = fit(p, value)?;
            bounds(p, x)?;
            state.globals.store(name, x);
        }
        Some(n) => {
            let p = subnet_row(name)
                .ok_or_else(|| RuleError::UnknownHyperparameter.name(name).netuid(n))?;
            let allowed = match p.setter {
                Some(Setter::OwnerOrSudo) => is_owner_or_sudo(state, origin, n),
                _ => is_sudo(state, origin),
            };
            ensure(allowed, RuleError::BadOrigin)?;
            if p.needs_subnet {
                ensure_with(state.subnet_exists(n), || {
                    RuleError::NetworkDoesNotExist.netuid(n)
                })?;
            }
            let x = fit(p, value)?;
            let sub = state.subnets.get(&n);
            match p.check {
                Check::None => {}
                Check::AboveNeuronCount => {
                    let cur_n = sub.map(|s| s.n).unwrap_or(0) as u64;
                    ensure_with(x > cur_n, || {
                        RuleError::MaxAllowedUIdsNotAllowed
                            .available(x)
                            .limit(cur_n)
                            .netuid(n)
                    })?;
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
