//! The one conversion from `ChainError` to the Python exception hierarchy of `taostate.errors`,
//! and the two functions that hand Python the rule-error catalogue and the strict transaction
//! check (`_core.rule_errors`, `_core.check_tx`).

use crate::error::{ChainError, Context, Rejection, RuleError};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

/// The context of a rejection as a dict of the fields that are set (accounts as 32 bytes).
fn context_dict<'py>(py: Python<'py>, c: &Context) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let Context {
        account,
        hotkey,
        netuid,
        uid,
        needed,
        available,
        limit,
        block,
        last,
        name,
    } = c;
    for (k, a) in [("account", account), ("hotkey", hotkey)] {
        if let Some(a) = a {
            d.set_item(k, PyBytes::new(py, a))?;
        }
    }
    for (k, v) in [("netuid", netuid), ("uid", uid)] {
        if let Some(v) = v {
            d.set_item(k, *v)?;
        }
    }
    for (k, v) in [
        ("needed", needed),
        ("available", available),
        ("limit", limit),
        ("block", block),
        ("last", last),
    ] {
        if let Some(v) = v {
            d.set_item(k, *v)?;
        }
    }
    if let Some(n) = name {
        d.set_item("name", n)?;
    }
    Ok(d)
}

fn rejection(py: Python<'_>, errors: &Bound<'_, PyModule>, r: &Rejection) -> PyResult<PyErr> {
    let ctx = match r.context.as_deref() {
        Some(c) => context_dict(py, c)?,
        None => PyDict::new(py),
    };
    let exc = errors
        .getattr("rejected")?
        .call((r.code(), ""), Some(&ctx))?;
    Ok(PyErr::from_value(exc))
}

fn invalid(errors: &Bound<'_, PyModule>, cls: &str, msg: &str) -> PyResult<PyErr> {
    let kw = PyDict::new(errors.py());
    kw.set_item("field", field_of(msg))?;
    Ok(PyErr::from_value(
        errors.getattr(cls)?.call((msg,), Some(&kw))?,
    ))
}

fn build(py: Python<'_>, e: &ChainError) -> PyResult<PyErr> {
    let errors = py.import("taostate.errors")?;
    let err = match e {
        ChainError::Rule(r) => rejection(py, &errors, r)?,
        ChainError::InvalidTransaction(m) => invalid(&errors, "InvalidTransaction", m)?,
        ChainError::InvalidGenesis(m) => invalid(&errors, "InvalidGenesis", m)?,
        ChainError::Corrupted { block, reason } => {
            let msg = format!("block {block}: {reason}");
            let exc = errors.getattr("LogCorrupted")?.call1((msg,))?;
            exc.setattr("block", *block)?;
            PyErr::from_value(exc)
        }
        ChainError::Format(m) => {
            PyErr::from_value(errors.getattr("LogFormatError")?.call1((m.as_str(),))?)
        }
        ChainError::InvalidArgument(m) => PyValueError::new_err(m.clone()),
        ChainError::Fatal(m) => PyRuntimeError::new_err(format!("engine invariant broken: {m}")),
    };
    Ok(err)
}

/// The field a decoder message names: the innermost of its leading `Where: ` segments
/// ("Propose.transaction: Transfer.amount: …" names `Transfer.amount`), or None.
fn field_of(msg: &str) -> Option<&str> {
    let is_where = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'))
    };
    let mut field = None;
    let mut rest = msg;
    while let Some((head, tail)) = rest.split_once(": ") {
        if !is_where(head) {
            break;
        }
        field = Some(head);
        rest = tail;
    }
    field
}

/// Maps a core error to its named Python exception.
pub fn to_py(e: ChainError) -> PyErr {
    Python::attach(|py| build(py, &e).unwrap_or_else(|import_err| import_err))
}

pub trait IntoPy<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, ChainError> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

/// The rule-error catalogue: `(name, doc, hint, message template)` per docs/ruleset.md §14 error,
/// from the one table in `error.rs`.
#[pyfunction]
fn rule_errors() -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    RuleError::ALL
        .iter()
        .map(|e| (e.code(), e.doc(), e.hint(), e.says()))
        .collect()
}

/// Checks that `data` is exactly one transaction in its canonical wire form (the core's strict
/// decoder), or raises `InvalidTransaction` naming the field.
#[pyfunction]
fn check_tx(data: &[u8]) -> PyResult<()> {
    crate::calls::decode_tx(data)
        .map(drop)
        .map_err(|m| to_py(ChainError::InvalidTransaction(m)))
}

/// Adds this file's functions to the native module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rule_errors, m)?)?;
    m.add_function(wrap_pyfunction!(check_tx, m)?)?;
    Ok(())
}
