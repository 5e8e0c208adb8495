//! The binding layer: the only code that names pyo3. It converts Python values to core types and
//! back, releases the GIL around long pure-Rust work, and maps `ChainError` to Python exceptions.

mod convert;
mod engine;
mod errors;
mod rules;
mod yuma;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<engine::PyEngine>()?;
    m.add_class::<engine::PyEvents>()?;
    rules::register(m)?;
    errors::register(m)?;
    yuma::register(m)?;
    m.add("RULESET", crate::state::RULESET)?;
    Ok(())
}
