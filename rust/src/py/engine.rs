//! `taostate._core.Engine`: the live engine and its queries, for `taostate.Chain` and views.

use super::convert::{account, bytes, events};
use super::errors::IntoPy;
use crate::codec::ParamValue;
use crate::engine::Engine;
use crate::neurons::Column;
use crate::state::{AccountId, Subnet};
use numpy::{IntoPyArray, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

/// The events of one transaction, kept in Rust until `to_list()` is called.
#[pyclass(name = "Events", module = "taostate._core", frozen)]
pub struct PyEvents {
    events: Vec<crate::events::Event>,
}

#[pymethods]
impl PyEvents {
    fn to_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        events(py, &self.events)
    }
    fn __len__(&self) -> usize {
        self.events.len()
    }
}

#[pyclass(name = "Engine", module = "taostate._core")]
pub struct PyEngine {
    pub(super) inner: Engine,
}

fn acct_list<'py>(
    py: Python<'py>,
    it: impl IntoIterator<Item = AccountId>,
) -> PyResult<Bound<'py, PyList>> {
    let l = PyList::empty(py);
    for a in it {
        l.append(bytes(py, &a))?;
    }
    Ok(l)
}

/// A hyperparameter value as Python `bool` or `int`.
pub(super) fn param_value<'py>(py: Python<'py>, v: ParamValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        ParamValue::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        ParamValue::Int(x) => x.into_pyobject(py)?.into_any(),
    })
}

/// The subnet's counters, then every hyperparameter of the table (`crate::params`).
fn subnet_info<'py>(py: Python<'py>, netuid: u16, s: &Subnet) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("netuid", netuid)?;
    d.set_item("owner", s.owner.map(|o| bytes(py, &o)))?;
    let counters: [(&str, u64); 13] = [
        ("locked", s.locked),
        ("n", s.n.into()),
        ("emission_value", s.emission_values),
        ("pending_emission", s.pending_emission),
        ("registered_at", s.registered_at),
        ("blocks_since_last_step", s.blocks_since_last_step),
        ("last_mechanism_step_block", s.last_mechanism_step_block),
        ("last_adjustment_block", s.last_adjustment_block),
        (
            "registrations_this_block",
            s.registrations_this_block.into(),
        ),
        (
            "registrations_this_interval",
            s.registrations_this_interval.into(),
        ),
        (
            "pow_registrations_this_interval",
            s.pow_registrations_this_interval.into(),
        ),
        (
            "burn_registrations_this_interval",
            s.burn_registrations_this_interval.into(),
        ),
        ("modality", s.modality.into()),
    ];
    for (k, v) in counters {
        d.set_item(k, v)?;
    }
    for (p, v) in s.params.values() {
        d.set_item(p.name, param_value(py, v)?)?;
    }
    Ok(d)
}

/// Dense n×n u16 matrix from sparse rows (entries beyond n ignored).
fn dense(rows: &[Vec<(u16, u16)>], n: usize) -> Vec<u16> {
    let mut m = vec![0u16; n * n];
    for (i, row) in rows.iter().enumerate().take(n) {
        for &(j, v) in row {
            if (j as usize) < n {
                m[i * n + j as usize] = v;
            }
        }
    }
    m
}

/// Rows 0..n of a sparse matrix as stored (a re-created netuid may keep longer vectors).
fn rows(m: &[Vec<(u16, u16)>], n: usize) -> Vec<Vec<(u16, u16)>> {
    (0..n)
        .map(|i| m.get(i).cloned().unwrap_or_default())
        .collect()
}

impl PyEngine {
    fn subnet(&self, netuid: u16) -> PyResult<&Subnet> {
        self.inner.state.subnet(netuid).ok_or_else(|| {
            super::errors::to_py(crate::RuleError::NetworkDoesNotExist.netuid(netuid).into())
        })
    }
}

/// `all` from byte `offset` on; a ValueError naming `what` if that is past its end.
fn from_offset<'a>(all: &'a [u8], offset: usize, what: &str) -> PyResult<&'a [u8]> {
    all.get(offset..).ok_or_else(|| {
        PyValueError::new_err(format!(
            "offset {offset} is past the end of the {what} ({} bytes)",
            all.len()
        ))
    })
}

#[pymethods]
impl PyEngine {
    #[staticmethod]
    fn from_genesis(genesis: &[u8]) -> PyResult<Self> {
        Ok(PyEngine {
            inner: Engine::from_genesis(genesis).py_err()?,
        })
    }

    /// The engine of the snapshot that starts at byte `offset` of `snapshot` (e.g. inside a
    /// stored snapshot record, which then need not be copied out).
    #[staticmethod]
    #[pyo3(signature = (snapshot, offset = 0))]
    fn restore(py: Python<'_>, snapshot: Bound<'_, PyBytes>, offset: usize) -> PyResult<Self> {
        // borrowed, not copied: a late-year state is ~50 MB (issue 15, `at(b)`)
        let bytes = from_offset(snapshot.as_bytes(), offset, "snapshot")?;
        let inner = py.detach(|| Engine::restore(bytes)).py_err()?;
        Ok(PyEngine { inner })
    }

    /// The engine of the delta snapshot at byte `delta_offset` of `delta`, made from the state of
    /// the snapshot at byte `base_offset` of `base` (`snapshot_delta`).
    #[staticmethod]
    #[pyo3(signature = (base, delta, base_offset = 0, delta_offset = 0))]
    fn restore_delta(
        py: Python<'_>,
        base: Bound<'_, PyBytes>,
        delta: Bound<'_, PyBytes>,
        base_offset: usize,
        delta_offset: usize,
    ) -> PyResult<Self> {
        let base = from_offset(base.as_bytes(), base_offset, "base")?;
        let delta = from_offset(delta.as_bytes(), delta_offset, "delta")?;
        let inner = py.detach(|| Engine::restore_delta(base, delta)).py_err()?;
        Ok(PyEngine { inner })
    }

    #[getter]
    fn head(&self) -> u64 {
        self.inner.head()
    }

    #[getter]
    fn head_hash<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        bytes(py, &self.inner.head_hash())
    }

    #[getter]
    fn block(&self) -> u64 {
        self.inner.state.block.max(self.inner.head())
    }

    #[getter]
    fn is_open(&self) -> bool {
        self.inner.is_open()
    }

    #[getter]
    fn pending_len(&self) -> usize {
        self.inner.pending_len()
    }

    fn pending_events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        events(py, self.inner.pending_events())
    }

    /// Runs the next block's step (epochs included) with the GIL released; returns its events.
    fn open_block<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let was_open = self.inner.is_open();
        let inner = &mut self.inner;
        py.detach(|| inner.open_block()).py_err()?;
        let ev = if was_open {
            &[][..]
        } else {
            self.inner.pending_events()
        };
        events(py, ev)
    }

    /// Applies one transaction; its events are converted to Python only when asked for. The
    /// first transaction of a block opens it (its step may run epochs): then the GIL is
    /// released. `Engine::submit` decodes before opening, so malformed bytes change nothing.
    fn submit(&mut self, py: Python<'_>, tx: &[u8]) -> PyResult<PyEvents> {
        let inner = &mut self.inner;
        let events = if inner.is_open() {
            inner.submit(tx)
        } else {
            py.detach(|| inner.submit(tx))
        };
        Ok(PyEvents {
            events: events.py_err()?,
        })
    }

    /// The bulk path: applies `txs` (wire bytes) in order, each exactly as `submit` would (same
    /// checks, same errors; its events are kept for the open block but not returned). Stops at the
    /// first refused or malformed one and raises its error: the ones before it stay applied.
    /// Returns how many were applied.
    fn submit_many(&mut self, py: Python<'_>, txs: Vec<Vec<u8>>) -> PyResult<usize> {
        for tx in &txs {
            let inner = &mut self.inner;
            if inner.is_open() {
                inner.submit(tx).py_err()?;
            } else {
                py.detach(|| inner.submit(tx)).py_err()?;
            }
        }
        Ok(txs.len())
    }

    /// Seals the open block (running an empty block's step first if none is open; GIL released).
    fn seal<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let inner = &mut self.inner;
        let rec = py.detach(|| inner.seal()).py_err()?;
        Ok(bytes(py, &rec))
    }

    /// Replays committed records in order with the GIL released. The records are read in place
    /// (the list's `bytes` objects are immutable and held by `records` meanwhile), not copied.
    fn apply_records(&mut self, py: Python<'_>, records: Vec<Bound<'_, PyBytes>>) -> PyResult<()> {
        let slices: Vec<&[u8]> = records.iter().map(|r| r.as_bytes()).collect();
        let inner = &mut self.inner;
        py.detach(|| inner.apply_records(slices)).py_err()
    }

    /// Replays one record and returns its events.
    fn apply_record_events<'py>(
        &mut self,
        py: Python<'py>,
        record: &[u8],
    ) -> PyResult<Bound<'py, PyList>> {
        let ev = self.inner.apply_record(record, true).py_err()?;
        events(py, &ev)
    }

    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let inner = &self.inner;
        let b = py.detach(|| inner.snapshot()).py_err()?;
        Ok(bytes(py, &b))
    }

    /// A delta snapshot of the committed state as changes from `base`'s (`restore_delta` reads it
    /// with `base`'s snapshot).
    fn snapshot_delta<'py>(
        &mut self,
        py: Python<'py>,
        base: PyRef<'_, PyEngine>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let (inner, base) = (&mut self.inner, &base.inner);
        let b = py.detach(|| inner.snapshot_delta(base)).py_err()?;
        Ok(bytes(py, &b))
    }

    fn state_root<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let inner = &self.inner;
        let h = py.detach(|| inner.state_root());
        bytes(py, &h)
    }

    fn check_invariants(&self) -> Option<String> {
        self.inner.check_invariants().err()
    }

    // ---- queries ----
    #[getter]
    fn total_issuance(&self) -> u64 {
        self.inner.state.total_issuance
    }
    #[getter]
    fn block_emission(&self) -> u64 {
        self.inner.state.block_emission
    }
    #[getter]
    fn total_stake(&self) -> u64 {
        self.inner.state.total_stake
    }
    #[getter]
    fn total_balance(&self) -> u64 {
        self.inner.state.total_balance()
    }
    #[getter]
    fn total_locked(&self) -> u64 {
        self.inner.state.total_locked()
    }
    #[getter]
    fn sudo_key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        bytes(py, &self.inner.state.sudo_key)
    }

    fn balance(&self, coldkey: &[u8]) -> PyResult<u64> {
        Ok(self.inner.state.free(&account(coldkey, "coldkey")?))
    }

    #[pyo3(signature = (hotkey, coldkey=None))]
    fn stake(&self, hotkey: &[u8], coldkey: Option<&[u8]>) -> PyResult<u64> {
        let h = account(hotkey, "hotkey")?;
        Ok(match coldkey {
            Some(c) => self.inner.state.stake_of(&h, &account(c, "coldkey")?),
            None => self.inner.state.total_hotkey_stake(&h),
        })
    }

    fn coldkey_stake(&self, coldkey: &[u8]) -> PyResult<u64> {
        Ok(self
            .inner
            .state
            .total_coldkey_stake(&account(coldkey, "coldkey")?))
    }

    fn owner<'py>(&self, py: Python<'py>, hotkey: &[u8]) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let h = account(hotkey, "hotkey")?;
        Ok(self.inner.state.owner.get(&h).map(|o| bytes(py, o)))
    }

    fn delegates<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let l = PyList::empty(py);
        for (h, t) in self.inner.state.delegates.iter_sorted() {
            l.append((bytes(py, h), *t))?;
        }
        Ok(l)
    }

    /// Every account with a balance, a stake or a hotkey, ascending.
    fn accounts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let s = &self.inner.state;
        let mut all: std::collections::BTreeSet<AccountId> =
            s.free.keys_sorted().into_iter().collect();
        for (h, m) in s.stake_maps_sorted() {
            all.insert(*h);
            all.extend(m.iter().filter(|(_, x)| **x > 0).map(|(c, _)| *c));
        }
        for (h, c) in s.owner.iter_sorted() {
            all.insert(*h);
            all.insert(*c);
        }
        acct_list(py, all)
    }

    fn subnets(&self) -> Vec<u16> {
        self.inner.state.netuids()
    }

    fn subnet_info<'py>(&self, py: Python<'py>, netuid: u16) -> PyResult<Bound<'py, PyDict>> {
        subnet_info(py, netuid, self.subnet(netuid)?)
    }

    /// Lock cost of a network registered by the next transaction: in the open block, or in the
    /// block after the head when none is open.
    fn lock_cost(&self) -> u64 {
        let s = &self.inner.state;
        let b = if self.inner.is_open() {
            s.block
        } else {
            s.head + 1
        };
        crate::subnets::network_lock_cost_at(s, b)
    }

    fn uid(&self, netuid: u16, hotkey: &[u8]) -> PyResult<Option<u16>> {
        let h = account(hotkey, "hotkey")?;
        Ok(self
            .inner
            .state
            .subnet(netuid)
            .and_then(|s| s.neurons.uids.get(&h).copied()))
    }

    fn neuron_hotkey<'py>(
        &self,
        py: Python<'py>,
        netuid: u16,
        uid: u16,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let s = self.subnet(netuid)?;
        Ok(s.neurons.keys.get(uid as usize).map(|h| bytes(py, h)))
    }

    /// Every per-uid field of a subnet, as numpy arrays (weights/bonds dense n×n).
    fn metagraph<'py>(&self, py: Python<'py>, netuid: u16) -> PyResult<Bound<'py, PyDict>> {
        let st = &self.inner.state;
        let s = self.subnet(netuid)?;
        let n = s.n as usize;
        let d = PyDict::new(py);
        d.set_item("netuid", netuid)?;
        d.set_item("block", st.block.max(st.head))?;
        d.set_item("n", n)?;
        let ns = &s.neurons;
        d.set_item("hotkeys", acct_list(py, ns.keys.iter().copied())?)?;
        let coldkeys = ns.keys.iter().map(|h| st.owner.get(h).copied());
        let coldkeys = coldkeys.map(Option::unwrap_or_default);
        d.set_item("coldkeys", acct_list(py, coldkeys)?)?;
        let stake: Vec<u64> = ns.keys.iter().map(|h| st.total_hotkey_stake(h)).collect();
        d.set_item("stake", stake.into_pyarray(py))?;
        for (name, column) in ns.columns() {
            match column {
                Column::Bool(v) => d.set_item(name, v.to_vec().into_pyarray(py))?,
                Column::U16(v) => d.set_item(name, v.to_vec().into_pyarray(py))?,
                Column::U64(v) => d.set_item(name, v.to_vec().into_pyarray(py))?,
            }
        }
        let bar: Vec<u64> = ns.block_at_registration.iter().take(n).copied().collect();
        d.set_item("block_at_registration", bar.into_pyarray(py))?;
        let w = dense(&ns.weights, n).into_pyarray(py).reshape([n, n])?;
        d.set_item("weights", w)?;
        let b = dense(&ns.bonds, n).into_pyarray(py).reshape([n, n])?;
        d.set_item("bonds", b)?;
        Ok(d)
    }

    /// `Weights[netuid][uid]` for uid 0..n, as stored: `[(target, value)]` in submission order
    /// (root targets are netuids, docs/ruleset.md §10.2).
    fn weight_rows(&self, netuid: u16) -> PyResult<Vec<Vec<(u16, u16)>>> {
        let s = self.subnet(netuid)?;
        Ok(rows(&s.neurons.weights, s.n as usize))
    }

    /// `Bonds[netuid][uid]` for uid 0..n, as stored.
    fn bond_rows(&self, netuid: u16) -> PyResult<Vec<Vec<(u16, u16)>>> {
        let s = self.subnet(netuid)?;
        Ok(rows(&s.neurons.bonds, s.n as usize))
    }

    /// `Stake[hotkey]`: every `(coldkey, rao)` entry, ascending coldkey, zeros included (the
    /// owner's entry exists from the hotkey's creation, docs/ruleset.md §8.4).
    fn stakes<'py>(&self, py: Python<'py>, hotkey: &[u8]) -> PyResult<Bound<'py, PyList>> {
        let h = account(hotkey, "hotkey")?;
        let l = PyList::empty(py);
        if let Some(m) = self.inner.state.stakes_of(&h) {
            for (c, x) in m {
                l.append((bytes(py, c), *x))?;
            }
        }
        Ok(l)
    }

    /// The global parameters of docs/ruleset.md §13.2.
    fn global_params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let g = &self.inner.state.globals;
        let d = PyDict::new(py);
        d.set_item("default_take", g.default_take)?;
        d.set_item("tx_rate_limit", g.tx_rate_limit)?;
        d.set_item("subnet_owner_cut", g.subnet_owner_cut)?;
        d.set_item("network_min_lock_cost", g.network_min_lock_cost)?;
        d.set_item(
            "network_lock_reduction_interval",
            g.network_lock_reduction_interval,
        )?;
        d.set_item("network_rate_limit", g.network_rate_limit)?;
        d.set_item("network_immunity_period", g.network_immunity_period)?;
        d.set_item("subnet_limit", g.subnet_limit)?;
        Ok(d)
    }

    /// `Prometheus[netuid][hotkey]` (docs/ruleset.md §11.2), or None.
    fn prometheus<'py>(
        &self,
        py: Python<'py>,
        netuid: u16,
        hotkey: &[u8],
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let h = account(hotkey, "hotkey")?;
        let Some(p) = self.inner.state.prometheus.get(&(netuid, h)) else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("block", p.block)?;
        d.set_item("version", p.version)?;
        d.set_item("ip", p.ip)?;
        d.set_item("port", p.port)?;
        d.set_item("ip_type", p.ip_type)?;
        Ok(Some(d))
    }

    fn axon<'py>(
        &self,
        py: Python<'py>,
        netuid: u16,
        hotkey: &[u8],
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let h = account(hotkey, "hotkey")?;
        let Some(a) = self.inner.state.axons.get(&(netuid, h)) else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("block", a.block)?;
        d.set_item("version", a.version)?;
        d.set_item("ip", a.ip)?;
        d.set_item("port", a.port)?;
        d.set_item("ip_type", a.ip_type)?;
        d.set_item("protocol", a.protocol)?;
        d.set_item("placeholder1", a.placeholder1)?;
        d.set_item("placeholder2", a.placeholder2)?;
        Ok(Some(d))
    }

    fn senate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        acct_list(py, self.inner.state.senate.iter().copied())
    }

    fn triumvirate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        acct_list(py, self.inner.state.triumvirate.iter().copied())
    }

    fn proposals<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let l = PyList::empty(py);
        for p in &self.inner.state.proposals {
            let d = PyDict::new(py);
            d.set_item("hash", bytes(py, &p.hash))?;
            d.set_item("index", p.index)?;
            d.set_item("proposer", bytes(py, &p.proposer))?;
            d.set_item("tx", bytes(py, &p.tx))?;
            d.set_item("threshold", p.threshold)?;
            d.set_item("ayes", acct_list(py, p.ayes.iter().copied())?)?;
            d.set_item("nays", acct_list(py, p.nays.iter().copied())?)?;
            d.set_item("end", p.end)?;
            l.append(d)?;
        }
        Ok(l)
    }

    /// Solves the POW of `netuid` for `hotkey` against the last sealed block (GIL released).
    fn create_pow<'py>(
        &self,
        py: Python<'py>,
        netuid: u16,
        hotkey: &[u8],
    ) -> PyResult<(u64, u64, Bound<'py, PyBytes>)> {
        let h = account(hotkey, "hotkey")?;
        let difficulty = self.subnet(netuid)?.params.difficulty;
        let block_number = self.inner.head();
        let block_hash = self.inner.head_hash();
        let found = py.detach(|| crate::pow::create_pow(&block_hash, &h, difficulty, 0, u64::MAX));
        let (nonce, work) = found.ok_or_else(|| {
            pyo3::exceptions::PyRuntimeError::new_err("no nonce satisfies the difficulty")
        })?;
        Ok((block_number, nonce, bytes(py, &work)))
    }
}
