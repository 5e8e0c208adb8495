//! Pure rule functions exposed as `ts.rules.*` (the same code the engine runs).

use super::engine::param_value;
use super::errors::IntoPy;
use crate::emission;
use crate::params::{GLOBAL_PARAMS, SUBNET_PARAMS};
use crate::registration::{self, AdjustInput};
use crate::subnets;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

#[pyfunction(name = "block_emission")]
fn block_emission_py(total_issuance: u64) -> u64 {
    emission::block_emission(total_issuance)
}

#[pyfunction(name = "lock_cost")]
#[pyo3(signature = (last_lock, last_lock_block, block, *, min_lock, reduction_interval, first_registration))]
fn lock_cost_py(
    last_lock: u64,
    last_lock_block: u64,
    block: u64,
    min_lock: u64,
    reduction_interval: u64,
    first_registration: bool,
) -> PyResult<u64> {
    if reduction_interval == 0 {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "reduction_interval must be at least 1 (NetworkLockReductionInterval ≥ 1)",
        ));
    }
    Ok(subnets::lock_cost(
        last_lock,
        last_lock_block,
        block,
        min_lock,
        reduction_interval,
        first_registration,
    ))
}

#[pyfunction(name = "adjust_registration_terms")]
#[pyo3(signature = (burn, difficulty, *, registrations, pow_registrations, burn_registrations,
                    target, adjustment_alpha, min_burn, max_burn, min_difficulty, max_difficulty))]
#[allow(clippy::too_many_arguments)]
fn adjust_registration_terms_py(
    burn: u64,
    difficulty: u64,
    registrations: u16,
    pow_registrations: u16,
    burn_registrations: u16,
    target: u16,
    adjustment_alpha: u64,
    min_burn: u64,
    max_burn: u64,
    min_difficulty: u64,
    max_difficulty: u64,
) -> PyResult<(u64, u64)> {
    let input = AdjustInput {
        registrations,
        pow_registrations,
        burn_registrations,
        target,
        adjustment_alpha,
        min_burn,
        max_burn,
        min_difficulty,
        max_difficulty,
    };
    registration::adjust_registration_terms(burn, difficulty, &input).py_err()
}

/// The parameter tables of `crate::params`: one dict per row, per-subnet rows first.
#[pyfunction]
fn hyperparameters(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let out = PyList::empty(py);
    let scoped = SUBNET_PARAMS.iter().map(|p| ("subnet", p));
    for (scope, p) in scoped.chain(GLOBAL_PARAMS.iter().map(|p| ("global", p))) {
        let d = PyDict::new(py);
        d.set_item("name", p.name)?;
        d.set_item("scope", scope)?;
        d.set_item("type", p.ty.name())?;
        d.set_item("default", param_value(py, p.value(p.default))?)?;
        d.set_item("min", p.min)?;
        d.set_item("max", p.max)?;
        d.set_item("setter", p.setter.map(|s| s.name()))?;
        d.set_item("needs_subnet", p.needs_subnet)?;
        d.set_item("check", p.check.name())?;
        out.append(d)?;
    }
    Ok(out)
}

#[pyfunction(name = "blocks_until_next_epoch")]
fn blocks_until_next_epoch_py(netuid: u16, tempo: u16, block: u64) -> u64 {
    emission::blocks_until_next_epoch(netuid, tempo, block)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(block_emission_py, m)?)?;
    m.add_function(wrap_pyfunction!(lock_cost_py, m)?)?;
    m.add_function(wrap_pyfunction!(adjust_registration_terms_py, m)?)?;
    m.add_function(wrap_pyfunction!(blocks_until_next_epoch_py, m)?)?;
    m.add_function(wrap_pyfunction!(hyperparameters, m)?)?;
    Ok(())
}
