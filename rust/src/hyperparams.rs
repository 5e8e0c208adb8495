//! `sudo_set_hyperparameter` (docs/ruleset.md §13.3): the per-subnet table of §13.1 and the globals of
//! §13.2, with the check order of §13.3.

use crate::codec::ParamValue;
use crate::error::{ensure, ChainError, Result, RuleError};
use crate::events::{Event, Events, Value};
use crate::origin::{is_owner_or_sudo, is_sudo, Origin};
use crate::state::{Globals, State, SubnetParams};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Bool,
    U16,
    U64,
}

/// Who may set a parameter: S = Sudo only, O = OwnerOrSudo(netuid).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Sudo,
    OwnerOrSudo,
}

/// (type, who) of a settable per-subnet parameter (docs/ruleset.md §13.1).
pub fn subnet_param_spec(name: &str) -> Option<(Ty, Who)> {
    use Ty::*;
    use Who::*;
    Some(match name {
        "tempo" | "kappa" | "rho" | "max_allowed_uids" | "max_allowed_validators" => (U16, Sudo),
        "max_registrations_per_block" | "target_registrations_per_interval" => (U16, Sudo),
        "adjustment_interval" | "scaling_law_power" => (U16, Sudo),
        "min_allowed_weights" | "max_weights_limit" | "activity_cutoff" | "immunity_period" => {
            (U16, OwnerOrSudo)
        }
        "weights_set_rate_limit" | "weights_version_key" | "serving_rate_limit" => {
            (U64, OwnerOrSudo)
        }
        "bonds_moving_average" | "adjustment_alpha" | "min_burn" | "max_burn" | "difficulty" => {
            (U64, Sudo)
        }
        "min_difficulty" | "max_difficulty" | "validator_prune_len" => (U64, Sudo),
        "rao_recycled_for_registration" => (U64, Sudo),
        "network_registration_allowed" | "network_pow_registration_allowed" => (Bool, Sudo),
        _ => return None,
    })
}

/// Type of a known global name (docs/ruleset.md §13.2); `total_issuance` is known but not settable.
pub fn global_param_spec(name: &str) -> Option<Ty> {
    Some(match name {
        "default_take" | "subnet_owner_cut" | "subnet_limit" => Ty::U16,
        "tx_rate_limit" | "network_min_lock_cost" | "network_lock_reduction_interval" => Ty::U64,
        "network_rate_limit" | "network_immunity_period" | "total_issuance" => Ty::U64,
        _ => return None,
    })
}

/// Names whose setter has no subnet existence check (§13.3 step 3).
fn needs_existing_subnet(name: &str) -> bool {
    !matches!(
        name,
        "network_registration_allowed" | "network_pow_registration_allowed" | "serving_rate_limit"
    )
}

/// The value as the parameter's type, else `StorageValueOutOfRange` (§13.3 step 4).
fn fit(ty: Ty, v: ParamValue) -> Result<ParamValue> {
    let ok = match (ty, v) {
        (Ty::Bool, ParamValue::Bool(_)) => true,
        (Ty::U16, ParamValue::Int(x)) => x <= u16::MAX as u64,
        (Ty::U64, ParamValue::Int(_)) => true,
        _ => false,
    };
    ensure(ok, RuleError::StorageValueOutOfRange)?;
    Ok(v)
}

fn int(v: ParamValue) -> u64 {
    match v {
        ParamValue::Int(x) => x,
        ParamValue::Bool(b) => b as u64,
    }
}

fn store_subnet(p: &mut SubnetParams, name: &str, v: ParamValue) {
    let x = int(v);
    let b = matches!(v, ParamValue::Bool(true));
    // `fit` and the spec table guarantee the value fits the field's type.
    let x16 = x as u16;
    match name {
        "tempo" => p.tempo = x16,
        "kappa" => p.kappa = x16,
        "rho" => p.rho = x16,
        "bonds_moving_average" => p.bonds_moving_average = x,
        "max_allowed_uids" => p.max_allowed_uids = x16,
        "max_allowed_validators" => p.max_allowed_validators = x16,
        "min_allowed_weights" => p.min_allowed_weights = x16,
        "max_weights_limit" => p.max_weights_limit = x16,
        "activity_cutoff" => p.activity_cutoff = x16,
        "immunity_period" => p.immunity_period = x16,
        "weights_set_rate_limit" => p.weights_set_rate_limit = x,
        "weights_version_key" => p.weights_version_key = x,
        "serving_rate_limit" => p.serving_rate_limit = x,
        "max_registrations_per_block" => p.max_registrations_per_block = x16,
        "target_registrations_per_interval" => p.target_registrations_per_interval = x16,
        "adjustment_interval" => p.adjustment_interval = x16,
        "adjustment_alpha" => p.adjustment_alpha = x,
        "min_burn" => p.min_burn = x,
        "max_burn" => p.max_burn = x,
        "difficulty" => p.difficulty = x,
        "min_difficulty" => p.min_difficulty = x,
        "max_difficulty" => p.max_difficulty = x,
        "network_registration_allowed" => p.network_registration_allowed = b,
        "network_pow_registration_allowed" => p.network_pow_registration_allowed = b,
        "validator_prune_len" => p.validator_prune_len = x,
        "scaling_law_power" => p.scaling_law_power = x16,
        "rao_recycled_for_registration" => p.rao_recycled_for_registration = x,
        _ => unreachable!("name checked against subnet_param_spec"),
    }
}

/// Bounds of a global parameter (§13.2) after the type check.
fn check_global(name: &str, v: ParamValue) -> Result<()> {
    if name == "network_lock_reduction_interval" {
        ensure(int(v) >= 1, RuleError::StorageValueOutOfRange)?;
    }
    Ok(())
}

fn store_global(g: &mut Globals, name: &str, v: ParamValue) {
    let x = int(v);
    match name {
        "default_take" => g.default_take = x as u16,
        "tx_rate_limit" => g.tx_rate_limit = x,
        "subnet_owner_cut" => g.subnet_owner_cut = x as u16,
        "network_min_lock_cost" => g.network_min_lock_cost = x,
        "network_lock_reduction_interval" => g.network_lock_reduction_interval = x,
        "network_rate_limit" => g.network_rate_limit = x,
        "network_immunity_period" => g.network_immunity_period = x,
        "subnet_limit" => g.subnet_limit = x as u16,
        _ => unreachable!("name checked against global_param_spec"),
    }
}

/// A genesis `params` entry (docs/ruleset.md §9.5): global names except `total_issuance`, with bounds.
pub fn set_genesis_param(state: &mut State, name: &str, v: ParamValue) -> Result<()> {
    let bad = |why: &str| ChainError::InvalidGenesis(format!("genesis.params.{name}: {why}"));
    let ty = global_param_spec(name)
        .filter(|_| name != "total_issuance")
        .ok_or_else(|| bad("not a settable global parameter (docs/ruleset.md §13.2)"))?;
    fit(ty, v)
        .and_then(|v| check_global(name, v))
        .map_err(|_| bad("value out of range for the parameter"))?;
    store_global(&mut state.globals, name, v);
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

/// `sudo_set_hyperparameter(netuid | null, name, value)` — docs/ruleset.md §13.3.
pub fn sudo_set_hyperparameter(
    state: &mut State,
    origin: &Origin,
    x: &SudoSetHyperparameter,
    ev: &mut Events,
) -> Result<()> {
    let (netuid, name, value) = (x.netuid, x.name.as_str(), x.value);
    match netuid {
        None => {
            let ty = global_param_spec(name).ok_or(RuleError::UnknownHyperparameter)?;
            ensure(is_sudo(state, origin), RuleError::BadOrigin)?;
            ensure(name != "total_issuance", RuleError::CallNotSupported)?;
            let v = fit(ty, value)?;
            check_global(name, v)?;
            store_global(&mut state.globals, name, v);
        }
        Some(n) => {
            let (ty, who) = subnet_param_spec(name).ok_or(RuleError::UnknownHyperparameter)?;
            let allowed = match who {
                Who::OwnerOrSudo => is_owner_or_sudo(state, origin, n),
                Who::Sudo => is_sudo(state, origin),
            };
            ensure(allowed, RuleError::BadOrigin)?;
            if needs_existing_subnet(name) {
                ensure(state.subnet_exists(n), RuleError::NetworkDoesNotExist)?;
            }
            let v = fit(ty, value)?;
            let sub = state.subnets.get(&n);
            match name {
                "bonds_moving_average" => {
                    ensure(int(v) <= 1_000_000, RuleError::StorageValueOutOfRange)?
                }
                "max_allowed_uids" => {
                    let cur_n = sub.map(|s| s.n).unwrap_or(0) as u64;
                    ensure(int(v) > cur_n, RuleError::MaxAllowedUIdsNotAllowed)?;
                    ensure(int(v) <= 32_768, RuleError::StorageValueOutOfRange)?;
                }
                "max_allowed_validators" => {
                    let max_uids = sub.map(|s| s.params.max_allowed_uids).unwrap_or_default();
                    ensure(int(v) <= max_uids as u64, RuleError::StorageValueOutOfRange)?;
                }
                "target_registrations_per_interval" => {
                    ensure(int(v) >= 1, RuleError::StorageValueOutOfRange)?
                }
                "scaling_law_power" => ensure(int(v) <= 100, RuleError::StorageValueOutOfRange)?,
                _ => {}
            }
            store_subnet(&mut state.subnet_storage_mut(n).params, name, v);
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
