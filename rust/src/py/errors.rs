//! The one conversion from `ChainError` to the Python exception hierarchy of `taostate.errors`.

use crate::error::ChainError;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

fn build(py: Python<'_>, e: &ChainError) -> PyResult<PyErr> {
    let errors = py.import("taostate.errors")?;
    let err = match e {
        ChainError::Rule(r) => {
            let exc = errors
                .getattr("rejected")?
                .call1((r.code(), e.to_string()))?;
            PyErr::from_value(exc)
        }
        ChainError::InvalidTransaction(m) => {
            PyErr::from_value(errors.getattr("InvalidTransaction")?.call1((m.as_str(),))?)
        }
        ChainError::InvalidGenesis(m) => {
            PyErr::from_value(errors.getattr("InvalidGenesis")?.call1((m.as_str(),))?)
        }
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
