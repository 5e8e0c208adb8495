//! Python bindings of the Yuma epochs: `taostate._core.epoch`, `taostate._core.root_epoch`, and
//! the §4.3 primitives `yuma_weighted_median_col`, `yuma_mat_ema_sparse`,
//! `yuma_vec_max_upscale_to_u16`, for `python/taostate/yuma.py`, which converts user input to
//! arrays. This file only borrows numpy buffers (no copies of the matrices) and checks their
//! shapes, releases the GIL around the computation, and maps errors through `py/errors.rs`
//! (`InvalidArgument` → `ValueError` naming the argument); the epoch's own checks are in
//! `yuma::EpochParams::validate` and `yuma/input.rs`.

use numpy::ndarray::Axis;
use numpy::{
    IntoPyArray, PyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use super::errors::IntoPy;
use crate::error::ChainError;
use crate::fixedpoint::I32F32;
use crate::root;
use crate::yuma::{self, CsrRows, DenseRows, EpochParams, RowSource};

/// Adds this file's functions to the native module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(epoch, m)?)?;
    m.add_function(wrap_pyfunction!(root_epoch, m)?)?;
    m.add_function(wrap_pyfunction!(yuma_weighted_median_col, m)?)?;
    m.add_function(wrap_pyfunction!(yuma_mat_ema_sparse, m)?)?;
    m.add_function(wrap_pyfunction!(yuma_vec_max_upscale_to_u16, m)?)?;
    Ok(())
}

fn contiguous<'a, T: numpy::Element>(
    what: &str,
    a: &'a PyReadonlyArray1<'_, T>,
) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|_| PyValueError::new_err(format!("{what} must be a contiguous array")))
}

/// A weights or bonds matrix as `taostate.yuma` passes it: a C-contiguous n×n uint16 array
/// (0 = no entry), or rows in compressed form `(indptr uint64[n+1], uids uint16, values uint16)`.
enum Matrix<'py> {
    Dense(PyReadonlyArray2<'py, u16>),
    Csr(
        PyReadonlyArray1<'py, u64>,
        PyReadonlyArray1<'py, u16>,
        PyReadonlyArray1<'py, u16>,
    ),
}

impl<'py> Matrix<'py> {
    fn extract(what: &str, obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(a) = obj.extract::<PyReadonlyArray2<'py, u16>>() {
            return Ok(Matrix::Dense(a));
        }
        type Parts<'py> = (
            PyReadonlyArray1<'py, u64>,
            PyReadonlyArray1<'py, u16>,
            PyReadonlyArray1<'py, u16>,
        );
        if let Ok((p, c, v)) = obj.extract::<Parts<'py>>() {
            return Ok(Matrix::Csr(p, c, v));
        }
        Err(PyValueError::new_err(format!(
            "{what}: expected an n×n uint16 array or (indptr uint64, uids uint16, values uint16)"
        )))
    }

    /// The matrix as a row source over `n` uids, borrowing the numpy buffers (the row count of
    /// compressed rows is checked with the other lengths by `EpochParams::validate`).
    fn source(&self, what: &str, n: usize) -> PyResult<Source<'_>> {
        match self {
            Matrix::Dense(a) => {
                let shape = a.shape();
                if shape != [n, n] {
                    return Err(PyValueError::new_err(format!(
                        "{what} has shape {shape:?}, expected ({n}, {n})"
                    )));
                }
                let data = a.as_slice().map_err(|_| {
                    PyValueError::new_err(format!("{what} must be a C-contiguous array"))
                })?;
                Ok(Source::Dense(DenseRows { data, n }))
            }
            Matrix::Csr(p, c, v) => {
                let (p, c, v) = (
                    contiguous(what, p)?,
                    contiguous(what, c)?,
                    contiguous(what, v)?,
                );
                Ok(Source::Csr(CsrRows::new(what, p, c, v).py_err()?))
            }
        }
    }
}

/// Either kind of borrowed matrix, as one row source.
enum Source<'a> {
    Dense(DenseRows<'a>),
    Csr(CsrRows<'a>),
}

impl RowSource for Source<'_> {
    fn rows(&self) -> usize {
        match self {
            Source::Dense(d) => d.rows(),
            Source::Csr(c) => c.rows(),
        }
    }
    fn row_bound(&self, i: usize) -> usize {
        match self {
            Source::Dense(d) => d.row_bound(i),
            Source::Csr(c) => c.row_bound(i),
        }
    }
    fn visit<F: FnMut(u16, u16)>(&self, i: usize, f: F) {
        match self {
            Source::Dense(d) => d.visit(i, f),
            Source::Csr(c) => c.visit(i, f),
        }
    }
    fn canonical(&self) -> bool {
        matches!(self, Source::Dense(_))
    }
    fn dense_row(&self, i: usize) -> Option<&[u16]> {
        match self {
            Source::Dense(d) => d.dense_row(i),
            Source::Csr(_) => None,
        }
    }
}

/// `epoch(block, stake, weights, bonds, last_update, block_at_registration, validator_permit,
/// kappa, bonds_moving_average, max_allowed_validators, activity_cutoff, rao_emission) -> dict`
///
/// The subnet epoch of docs/ruleset.md §4 (pure). `weights`/`bonds`: see [`Matrix`]. Returns a dict
/// of numpy arrays: `active`, `validator_permit` (bool); `rank`, `trust`, `consensus`, `incentive`,
/// `dividends`, `validator_trust`, `pruning_scores` (uint16); `emission`, `server_emission`,
/// `validator_emission` (uint64); `bonds` (n×n uint16, the whole stored bonds matrix after the
/// epoch). Raises `ValueError` for invalid input, `RuntimeError` for a fatal overflow.
#[pyfunction]
#[pyo3(signature = (block, stake, weights, bonds, last_update, block_at_registration,
    validator_permit, kappa, bonds_moving_average, max_allowed_validators, activity_cutoff,
    rao_emission))]
#[allow(clippy::too_many_arguments)]
fn epoch<'py>(
    py: Python<'py>,
    block: u64,
    stake: PyReadonlyArray1<'py, u64>,
    weights: &Bound<'py, PyAny>,
    bonds: &Bound<'py, PyAny>,
    last_update: PyReadonlyArray1<'py, u64>,
    block_at_registration: PyReadonlyArray1<'py, u64>,
    validator_permit: PyReadonlyArray1<'py, bool>,
    kappa: u16,
    bonds_moving_average: u64,
    max_allowed_validators: u16,
    activity_cutoff: u16,
    rao_emission: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let (weights, bonds) = (
        Matrix::extract("weights", weights)?,
        Matrix::extract("bonds", bonds)?,
    );
    let params = EpochParams {
        block,
        stake: contiguous("stake", &stake)?,
        last_update: contiguous("last_update", &last_update)?,
        block_at_registration: contiguous("block_at_registration", &block_at_registration)?,
        validator_permit: contiguous("validator_permit", &validator_permit)?,
        kappa,
        bonds_moving_average,
        max_allowed_validators,
        activity_cutoff,
        rao_emission,
    };
    let n = params.stake.len();
    let (w, b) = (weights.source("weights", n)?, bonds.source("bonds", n)?);
    // The bonds output is numpy's own array, written in place: numpy's allocator asks for
    // transparent huge pages on large buffers, so the n×n result costs a few page faults
    // instead of one per 4 KiB (a fresh `Vec` handed over would fault on every page).
    let bonds_out = PyArray2::<u16>::zeros(py, [n, n], false);
    let out = {
        let mut rw = bonds_out.readwrite();
        let dense = rw
            .as_slice_mut()
            .map_err(|_| PyRuntimeError::new_err("bonds output is not contiguous"))?;
        py.detach(|| -> Result<_, ChainError> {
            let out = yuma::epoch_rows(&params, &w, &b)?;
            out.write_dense_bonds(&b, dense, true); // `zeros` above
            Ok(out.out)
        })
        .py_err()?
    };
    let d = PyDict::new(py);
    // Each vector copied into a numpy-owned array, read-only.
    fn put<'py, T: numpy::Element>(d: &Bound<'py, PyDict>, name: &str, v: &[T]) -> PyResult<()> {
        d.set_item(name, read_only(PyArray1::from_slice(d.py(), v)))
    }
    for (name, v) in [
        ("active", &out.active),
        ("validator_permit", &out.validator_permit),
    ] {
        put(&d, name, v)?;
    }
    for (name, v) in [
        ("rank", &out.rank),
        ("trust", &out.trust),
        ("consensus", &out.consensus),
        ("incentive", &out.incentive),
        ("dividends", &out.dividends),
        ("validator_trust", &out.validator_trust),
        ("pruning_scores", &out.pruning_scores),
    ] {
        put(&d, name, v)?;
    }
    for (name, v) in [
        ("emission", &out.emission),
        ("server_emission", &out.server),
        ("validator_emission", &out.validator),
    ] {
        put(&d, name, v)?;
    }
    d.set_item("bonds", read_only(bonds_out))?;
    Ok(d)
}

/// Marks an array this module just created read-only, as `taostate.yuma` promises its results
/// are (numpy's `PyArray_CLEARFLAGS(a, NPY_ARRAY_WRITEABLE)`; `arr.flags.writeable = False`
/// from Python costs more than the rest of a small epoch's conversions).
fn read_only<T: numpy::Element, D>(a: Bound<'_, PyArray<T, D>>) -> Bound<'_, PyArray<T, D>> {
    // SAFETY: `a` is a valid array object created by this module, not borrowed anywhere;
    // clearing the WRITEABLE bit of its flags is exactly what numpy's macro does.
    unsafe {
        (*a.as_array_ptr()).flags &= !numpy::npyffi::NPY_ARRAY_WRITEABLE;
    }
    a
}

/// `root_epoch(stake, weights, kappa, rho, block_emission) -> uint64 array | str`
///
/// docs/ruleset.md §5.1 steps 4–11: `stake` per root validator, `weights` validators × networks
/// (uint16 as stored, columns in ascending netuid order). Returns the emission value per column, or
/// the abort reason (`"no_validators"`, `"no_networks"`, `"zero_stake"`, `"exp_overflow"`).
#[pyfunction]
#[pyo3(signature = (stake, weights, kappa, rho, block_emission))]
fn root_epoch<'py>(
    py: Python<'py>,
    stake: PyReadonlyArray1<'py, u64>,
    weights: PyReadonlyArray2<'py, u16>,
    kappa: u16,
    rho: u16,
    block_emission: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let stake = contiguous("stake", &stake)?;
    let w = weights.as_array();
    let (rows, columns) = w.dim();
    if rows != stake.len() {
        return Err(PyValueError::new_err(format!(
            "weights has {rows} rows, expected {}",
            stake.len()
        )));
    }
    // Zero weights add nothing to ranks and are not counted by trust (`W_ik > 0`).
    let sparse: Vec<Vec<(usize, u16)>> = w
        .axis_iter(Axis(0))
        .map(|row| {
            row.iter()
                .enumerate()
                .filter(|&(_, &v)| v != 0)
                .map(|(k, &v)| (k, v))
                .collect()
        })
        .collect();
    let result =
        py.detach(|| root::root_epoch_values(stake, &sparse, columns, kappa, rho, block_emission));
    Ok(match result {
        Ok(values) => values.into_pyarray(py).into_any(),
        Err(abort) => PyString::new(py, abort.reason()).into_any(),
    })
}

/// Rows of I32F32 values from `(indptr, uids, value bits)`.
fn fixed_rows(
    what: &str,
    indptr: &PyReadonlyArray1<'_, u64>,
    cols: &PyReadonlyArray1<'_, u16>,
    bits: &PyReadonlyArray1<'_, i64>,
) -> PyResult<Vec<Vec<(u16, I32F32)>>> {
    let (p, c, v) = (
        contiguous(what, indptr)?,
        contiguous(what, cols)?,
        contiguous(what, bits)?,
    );
    let ok = c.len() == v.len()
        && p.first() == Some(&0)
        && p.last().map(|&e| e as usize) == Some(c.len())
        && p.windows(2).all(|w| w[0] <= w[1]);
    if !ok {
        return Err(PyValueError::new_err(format!(
            "{what}: malformed row offsets"
        )));
    }
    Ok(p.windows(2)
        .map(|w| {
            let r = w[0] as usize..w[1] as usize;
            c[r.clone()]
                .iter()
                .zip(&v[r])
                .map(|(&j, &b)| (j, I32F32::from_bits(b)))
                .collect()
        })
        .collect())
}

/// `yuma_weighted_median_col(stake_bits, indptr, uids, value_bits, columns, kappa_bits)`: the
/// §4.3 primitive (reference recursion) on raw I32F32 bits; returns int64 bits per column.
#[pyfunction]
#[pyo3(signature = (stake, indptr, uids, values, columns, kappa))]
fn yuma_weighted_median_col<'py>(
    py: Python<'py>,
    stake: PyReadonlyArray1<'py, i64>,
    indptr: PyReadonlyArray1<'py, u64>,
    uids: PyReadonlyArray1<'py, u16>,
    values: PyReadonlyArray1<'py, i64>,
    columns: usize,
    kappa: i64,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let stake = contiguous("stake", &stake)?;
    // The reference sums the positive stakes in I32F32: keep them in range.
    let total: i128 = stake.iter().map(|&b| i128::from(b.max(0))).sum();
    if total > i128::from(i64::MAX) {
        return Err(PyValueError::new_err("stake sums beyond the I32F32 range"));
    }
    let stake: Vec<I32F32> = stake.iter().map(|&b| I32F32::from_bits(b)).collect();
    let rows = fixed_rows("weights", &indptr, &uids, &values)?;
    let median = yuma::weighted_median_col(&stake, &rows, columns, I32F32::from_bits(kappa));
    let bits: Vec<i64> = median.iter().map(|x| x.to_bits()).collect();
    Ok(bits.into_pyarray(py))
}

type CsrBits<'py> = (
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u16>>,
    Bound<'py, PyArray1<i64>>,
);

/// `yuma_mat_ema_sparse(new_indptr, new_uids, new_bits, old_indptr, old_uids, old_bits,
/// columns, alpha_bits)`: step 13's sparse moving average on raw I32F32 bits; returns the result
/// rows as `(indptr, uids, value_bits)`.
#[pyfunction]
#[pyo3(signature = (new_indptr, new_uids, new_values, old_indptr, old_uids, old_values, columns,
    alpha))]
#[allow(clippy::too_many_arguments)]
fn yuma_mat_ema_sparse<'py>(
    py: Python<'py>,
    new_indptr: PyReadonlyArray1<'py, u64>,
    new_uids: PyReadonlyArray1<'py, u16>,
    new_values: PyReadonlyArray1<'py, i64>,
    old_indptr: PyReadonlyArray1<'py, u64>,
    old_uids: PyReadonlyArray1<'py, u16>,
    old_values: PyReadonlyArray1<'py, i64>,
    columns: usize,
    alpha: i64,
) -> PyResult<CsrBits<'py>> {
    let new = fixed_rows("new", &new_indptr, &new_uids, &new_values)?;
    let old = fixed_rows("old", &old_indptr, &old_uids, &old_values)?;
    let ema = yuma::mat_ema_sparse(&new, &old, columns, I32F32::from_bits(alpha));
    let mut indptr = vec![0u64];
    let (mut uids, mut bits) = (Vec::new(), Vec::new());
    for row in &ema {
        uids.extend(row.iter().map(|e| e.0));
        bits.extend(row.iter().map(|e| e.1.to_bits()));
        indptr.push(uids.len() as u64);
    }
    Ok((
        indptr.into_pyarray(py),
        uids.into_pyarray(py),
        bits.into_pyarray(py),
    ))
}

/// `yuma_vec_max_upscale_to_u16(bits)`: the §4.3 primitive on raw I32F32 bits.
#[pyfunction]
fn yuma_vec_max_upscale_to_u16<'py>(
    py: Python<'py>,
    bits: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyArray1<u16>>> {
    let v: Vec<I32F32> = contiguous("values", &bits)?
        .iter()
        .map(|&b| I32F32::from_bits(b))
        .collect();
    Ok(yuma::vec_max_upscale_to_u16(&v).into_pyarray(py))
}
