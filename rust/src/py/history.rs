//! `taostate._core.History` (history columns gathered in one replay pass) and the fork helpers:
//! a deep copy of an engine, re-submission of another line's records, and bulk account tables.
//! `taostate.frames` and `taostate.fork` turn these columns into polars data frames.

use super::convert::bytes;
use super::engine::PyEngine;
use super::errors::{to_py, IntoPy};
use crate::history::{Collector, Every, Level};
use numpy::IntoPyArray;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

#[pyclass(name = "History", module = "taostate._core")]
pub struct PyHistory {
    inner: Collector,
}

fn set<'py, T: numpy::Element>(d: &Bound<'py, PyDict>, k: &str, v: &mut Vec<T>) -> PyResult<()> {
    d.set_item(k, std::mem::take(v).into_pyarray(d.py()))
}

#[pymethods]
impl PyHistory {
    /// `level`: "neurons", "subnets" or "chain"; `every`: None = every epoch, else every k blocks.
    #[new]
    #[pyo3(signature = (level, netuids, every, start))]
    fn new(
        level: &str,
        netuids: Option<Vec<u16>>,
        every: Option<u64>,
        start: u64,
    ) -> PyResult<Self> {
        let level = match level {
            "neurons" => Level::Neurons,
            "subnets" => Level::Subnets,
            "chain" => Level::Chain,
            other => {
                return Err(PyValueError::new_err(format!(
                    "level: {other:?} is not one of 'neurons', 'subnets', 'chain'"
                )))
            }
        };
        let every = every.map_or(Every::Epoch, Every::Blocks);
        Ok(PyHistory {
            inner: Collector::new(level, netuids, every, start).py_err()?,
        })
    }

    /// Applies committed records to `engine` (GIL released), observing after each block.
    fn feed(
        &mut self,
        py: Python<'_>,
        mut engine: PyRefMut<'_, PyEngine>,
        records: Vec<Vec<u8>>,
    ) -> PyResult<()> {
        let e = &mut engine.inner;
        let c = &mut self.inner;
        py.detach(|| c.feed(e, records.iter().map(|r| r.as_slice())))
            .py_err()
    }

    fn __len__(&self) -> usize {
        self.inner.rows()
    }

    /// Moves the gathered columns out as numpy arrays (the collector is left empty), with
    /// `accounts`, the interned keys that `hotkey` / `coldkey` index.
    fn columns<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let c = &mut self.inner;
        let accounts = PyList::empty(py);
        for a in std::mem::take(&mut c.accounts) {
            accounts.append(bytes(py, &a))?;
        }
        d.set_item("accounts", accounts)?;
        let r = &mut c.neurons;
        if !r.block.is_empty() {
            set(&d, "block", &mut r.block)?;
            set(&d, "netuid", &mut r.netuid)?;
            set(&d, "uid", &mut r.uid)?;
            set(&d, "hotkey", &mut r.hotkey)?;
            set(&d, "coldkey", &mut r.coldkey)?;
            set(&d, "stake", &mut r.stake)?;
            set(&d, "rank", &mut r.rank)?;
            set(&d, "trust", &mut r.trust)?;
            set(&d, "consensus", &mut r.consensus)?;
            set(&d, "incentive", &mut r.incentive)?;
            set(&d, "dividends", &mut r.dividends)?;
            set(&d, "validator_trust", &mut r.validator_trust)?;
            set(&d, "emission", &mut r.emission)?;
            set(&d, "active", &mut r.active)?;
            set(&d, "validator_permit", &mut r.validator_permit)?;
            set(&d, "last_update", &mut r.last_update)?;
            set(&d, "block_at_registration", &mut r.block_at_registration)?;
            set(&d, "pruning_score", &mut r.pruning_score)?;
        }
        let r = &mut c.subnets;
        if !r.block.is_empty() {
            set(&d, "block", &mut r.block)?;
            set(&d, "netuid", &mut r.netuid)?;
            set(&d, "n", &mut r.n)?;
            set(&d, "emission_value", &mut r.emission_value)?;
            set(&d, "pending_emission", &mut r.pending_emission)?;
            set(&d, "locked", &mut r.locked)?;
            set(&d, "stake", &mut r.stake)?;
            set(&d, "registrations", &mut r.registrations)?;
            set(&d, "burn", &mut r.burn)?;
            set(&d, "difficulty", &mut r.difficulty)?;
            set(&d, "tempo", &mut r.tempo)?;
        }
        let r = &mut c.chain;
        if !r.block.is_empty() {
            set(&d, "block", &mut r.block)?;
            set(&d, "total_issuance", &mut r.total_issuance)?;
            set(&d, "block_emission", &mut r.block_emission)?;
            set(&d, "total_stake", &mut r.total_stake)?;
            set(&d, "total_balance", &mut r.total_balance)?;
            set(&d, "total_locked", &mut r.total_locked)?;
            set(&d, "subnets", &mut r.subnets)?;
            set(&d, "registrations", &mut r.registrations)?;
        }
        Ok(d)
    }
}

/// A deep copy of `engine` (state and open block): a fork's starting point.
#[pyfunction]
fn fork_engine(py: Python<'_>, engine: PyRef<'_, PyEngine>) -> PyEngine {
    let e = &engine.inner;
    PyEngine {
        inner: py.detach(|| e.clone()),
    }
}

/// Plays `records` of another line into `engine` (`fork::resubmit`, GIL released). Returns the
/// fork's sealed records and, for each transaction its rules refused, (block, index, exception).
#[allow(clippy::type_complexity)]
#[pyfunction]
fn resubmit<'py>(
    py: Python<'py>,
    mut engine: PyRefMut<'_, PyEngine>,
    records: Vec<Vec<u8>>,
) -> PyResult<(Vec<Bound<'py, PyBytes>>, Vec<(u64, usize, Py<PyAny>)>)> {
    let e = &mut engine.inner;
    let done = py.detach(|| {
        let mut out = Vec::with_capacity(records.len());
        for r in &records {
            let block = e.head() + 1;
            out.push((block, crate::fork::resubmit(e, r)?));
        }
        Ok(out)
    });
    let done = done.py_err()?;
    let mut sealed = Vec::with_capacity(done.len());
    let mut rejected = Vec::new();
    for (block, r) in done {
        sealed.push(bytes(py, &r.record));
        for (i, err) in r.rejected {
            rejected.push((block, i, to_py(err).into_value(py).into_any()));
        }
    }
    Ok((sealed, rejected))
}

/// Every free balance: (coldkeys ascending, amounts).
#[pyfunction]
fn balance_table<'py>(
    py: Python<'py>,
    engine: PyRef<'_, PyEngine>,
) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyAny>)> {
    let keys = PyList::empty(py);
    let mut amounts = Vec::new();
    for (a, v) in engine.inner.state.free.iter_sorted() {
        keys.append(bytes(py, a))?;
        amounts.push(*v);
    }
    Ok((keys, amounts.into_pyarray(py).into_any()))
}

/// Every stake entry: (hotkeys, coldkeys, amounts), ascending by (hotkey, coldkey).
#[allow(clippy::type_complexity)]
#[pyfunction]
fn stake_table<'py>(
    py: Python<'py>,
    engine: PyRef<'_, PyEngine>,
) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>, Bound<'py, PyAny>)> {
    let (hot, cold) = (PyList::empty(py), PyList::empty(py));
    let mut amounts = Vec::new();
    for (h, m) in engine.inner.state.stake_maps_sorted() {
        for (c, v) in m {
            if *v > 0 {
                hot.append(bytes(py, h))?;
                cold.append(bytes(py, c))?;
                amounts.push(*v);
            }
        }
    }
    Ok((hot, cold, amounts.into_pyarray(py).into_any()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyHistory>()?;
    m.add_function(wrap_pyfunction!(fork_engine, m)?)?;
    m.add_function(wrap_pyfunction!(resubmit, m)?)?;
    m.add_function(wrap_pyfunction!(balance_table, m)?)?;
    m.add_function(wrap_pyfunction!(stake_table, m)?)?;
    Ok(())
}
