//! Small conversions between Python values and core types.

use crate::events::{Event, Value};
use crate::state::AccountId;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

pub fn account(b: &[u8], what: &str) -> PyResult<AccountId> {
    b.try_into()
        .map_err(|_| PyValueError::new_err(format!("{what}: expected 32 bytes, got {}", b.len())))
}

pub fn bytes<'py>(py: Python<'py>, b: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, b)
}

/// An event as `(name, [(field, tag, value)])` with tag "a" (account bytes), "b" (bytes), "u",
/// "s", "t" (bool), "n" (nil); `taostate` turns it into `(name, {field: value})`.
pub fn event<'py>(py: Python<'py>, e: &Event) -> PyResult<Bound<'py, PyTuple>> {
    let fields = PyList::empty(py);
    for (k, v) in &e.fields {
        let item = match v {
            Value::U64(x) => (*k, "u", x.into_pyobject(py)?.into_any()),
            Value::Account(a) => (*k, "a", bytes(py, a).into_any()),
            Value::Bytes(b) => (*k, "b", bytes(py, b).into_any()),
            Value::Str(s) => (*k, "s", s.into_pyobject(py)?.into_any()),
            Value::Bool(b) => (*k, "t", b.into_pyobject(py)?.to_owned().into_any()),
            Value::Nil => (*k, "n", py.None().into_bound(py)),
        };
        fields.append(item)?;
    }
    PyTuple::new(
        py,
        [e.name.into_pyobject(py)?.into_any(), fields.into_any()],
    )
}

pub fn events<'py>(py: Python<'py>, es: &[Event]) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for e in es {
        out.append(event(py, e)?)?;
    }
    Ok(out)
}
