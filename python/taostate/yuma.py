"""Yuma consensus as pure functions: the subnet epoch (docs/ruleset.md §4) and the root epoch (§5).

These run the same Rust code as the chain engine, with the GIL released::

    import taostate as ts
    r = ts.yuma.epoch(block=1, stake=[1, 2, 3, 4, 0, 0, 0, 0], weights=w, last_update=lu,
                      block_at_registration=[0] * 8, validator_permit=[False] * 8,
                      max_allowed_validators=8, emission=10**9)
    r.emission, r.bonds          # numpy arrays
    # the next epoch of the same subnet, as the chain would run it:
    r2 = ts.yuma.epoch(..., bonds=r.bonds, validator_permit=r.validator_permit)

Matrices (``weights``, ``bonds``) are n×n array-likes of u16 values (0 = no entry) or a list of n
rows of ``(uid, u16)`` pairs as stored on chain. Large matrices are best passed as numpy uint16
arrays, which are read without a copy. Every argument is validated: a bad shape, a value out of
range or a uid outside ``0..n`` raises ``ValueError`` naming the argument. (This module only
converts arguments to arrays of the native types; lengths, shapes and uids are checked once, in
the Rust core, for the engine and this API alike.)

The §4.3 primitives used by the epoch are exposed too (:func:`weighted_median_col`,
:func:`mat_ema_sparse`, :func:`vec_max_upscale_to_u16`); their fixed-point inputs are numbers
converted to I32F32 by round-to-nearest (as the test vectors of docs/ruleset.md §15 are), or raw
I32F32 bits with ``raw=True``.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
import numpy.typing as npt

from taostate import _core

__all__ = [
    "EpochResult",
    "RootEpochAborted",
    "epoch",
    "root_epoch",
    "weighted_median_col",
    "mat_ema_sparse",
    "vec_max_upscale_to_u16",
]

U16_MAX = 0xFFFF
U64_MAX = 0xFFFF_FFFF_FFFF_FFFF
FRAC = 1 << 32  # I32F32 scale

#: A matrix argument: an n×n array-like of u16, or n rows of ``(uid, u16)`` pairs.
MatrixLike = Union[npt.ArrayLike, Sequence[Sequence[tuple[int, int]]]]
#: Compressed rows as passed to the native module: (indptr uint64, uids uint16, values).
_Csr = tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint16], npt.NDArray[Any]]


@dataclass(frozen=True, eq=False)
class EpochResult:
    """The outputs of one subnet epoch (docs/ruleset.md §4.2 steps 16–19); arrays are read-only.

    ``validator_permit`` holds the new permits and ``bonds`` the whole stored bonds matrix after
    the epoch (rows of permit holders replaced, rows of uids that lost their permit cleared, the
    others as given), so both can be fed into the next call.
    """

    active: npt.NDArray[np.bool_]
    validator_permit: npt.NDArray[np.bool_]
    rank: npt.NDArray[np.uint16]
    trust: npt.NDArray[np.uint16]
    consensus: npt.NDArray[np.uint16]
    incentive: npt.NDArray[np.uint16]
    dividends: npt.NDArray[np.uint16]
    validator_trust: npt.NDArray[np.uint16]
    pruning_scores: npt.NDArray[np.uint16]
    emission: npt.NDArray[np.uint64]
    server_emission: npt.NDArray[np.uint64]
    validator_emission: npt.NDArray[np.uint64]
    bonds: npt.NDArray[np.uint16]

    @property
    def n(self) -> int:
        """Number of uids."""
        return int(self.active.shape[0])

    @classmethod
    def _from_core(cls, fields: dict[str, Any]) -> EpochResult:
        """Wraps ``_core.epoch``'s dict (its arrays are already read-only). Fills the instance
        dict directly: the frozen dataclass ``__init__`` pays an ``object.__setattr__`` per field."""
        obj = object.__new__(cls)
        obj.__dict__.update(fields)
        return obj


class RootEpochAborted(ValueError):
    """The root epoch stored nothing (docs/ruleset.md §5.1 steps 1, 2, 7, 9).

    ``reason`` is the ``RootEpochAborted`` event's reason: ``"no_validators"``,
    ``"no_networks"``, ``"zero_stake"`` or ``"exp_overflow"``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"root epoch aborted: {reason}")
        self.reason = reason


# --------------------------------------------------------------------------------------------
# Argument conversion (to the native types; every check of lengths, shapes and uids is in Rust)
# --------------------------------------------------------------------------------------------


def _int(name: str, value: object, hi: int) -> int:
    """An int in ``0..=hi`` (bools are refused: they are almost always a mistake here)."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be an integer, not {value!r}")
    try:
        v = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"{name} must be an integer, not {value!r}") from None
    if not 0 <= v <= hi:
        raise ValueError(f"{name} = {v} is out of range 0..{hi}")
    return v


_U64, _U16, _BOOL = np.dtype(np.uint64), np.dtype(np.uint16), np.dtype(np.bool_)

_DTYPE_MAX: dict[type[np.unsignedinteger[Any]], int] = {
    t: int(np.iinfo(t).max) for t in (np.uint8, np.uint16, np.uint32, np.uint64)
}


def _int_array(name: str, value: object, hi: int, dtype: type[np.unsignedinteger[Any]]) -> np.ndarray:
    """A C-contiguous array of ``dtype`` from integers in ``0..=hi`` (any shape)."""
    if isinstance(value, np.ndarray) and value.dtype == dtype and hi >= _DTYPE_MAX[dtype]:
        return np.ascontiguousarray(value)  # every value of the dtype is in range: no scan
    try:
        arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    except (ValueError, TypeError) as e:
        raise ValueError(f"{name}: {e}") from None
    if arr.dtype.kind not in "iu" and not isinstance(value, np.ndarray) and arr.size:
        # Python ints beyond int64 make numpy choose float64 or object: check them exactly.
        exact = np.asarray(value, dtype=object)
        flat = exact.ravel().tolist()
        if any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) for x in flat):
            raise ValueError(f"{name} must contain integers")
        if any(not 0 <= int(x) <= hi for x in flat):
            raise ValueError(f"{name} has a value out of range 0..{hi}")
        return np.array([int(x) for x in flat], dtype=dtype).reshape(exact.shape)
    if arr.size and arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must contain integers, not {arr.dtype}")
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) > hi):
        raise ValueError(f"{name} has a value out of range 0..{hi}")
    return np.ascontiguousarray(arr, dtype=dtype)


def _vector(name: str, value: object, hi: int = U64_MAX) -> npt.NDArray[np.uint64]:
    arr = _int_array(name, value, hi, np.uint64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _bool_vector(name: str, value: object) -> npt.NDArray[np.bool_]:
    arr = np.asarray(value)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype != np.bool_:
        if arr.size and (arr.dtype.kind not in "iu" or not np.isin(arr, (0, 1)).all()):
            raise ValueError(f"{name} must contain booleans")
        arr = arr.astype(np.bool_)
    return np.ascontiguousarray(arr)


def _is_pair(x: object) -> bool:
    return isinstance(x, (tuple, list)) or (isinstance(x, np.ndarray) and x.ndim == 1)


def _matrix(name: str, value: object, n: int) -> npt.NDArray[np.uint16] | _Csr:
    """A uint16 array, or compressed rows for a list of rows of ``(uid, value)`` pairs (``None``:
    n empty rows)."""
    if value is None:
        return _csr(name, [[] for _ in range(n)])
    if isinstance(value, np.ndarray):
        return _dense(name, value)
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        raise ValueError(f"{name} must be an n×n array or a list of n rows of (uid, value) pairs")
    rows = list(value)
    first = next((row for row in rows if len(row) > 0), None)
    if first is None or _is_pair(first[0]):
        return _csr(name, rows)
    return _dense(name, rows)


def _dense(name: str, value: object) -> npt.NDArray[np.uint16]:
    arr = _int_array(name, value, U16_MAX, np.uint16)
    return arr.reshape(0, 0) if arr.size == 0 else arr


def _csr(name: str, rows: list[Any]) -> _Csr:
    lengths = []
    flat: list[Any] = []
    for i, row in enumerate(rows):
        if isinstance(row, (str, bytes)) or not isinstance(row, (Sequence, np.ndarray)):
            raise ValueError(f"{name} row {i} must be a list of (uid, value) pairs")
        for pair in row:
            if not _is_pair(pair) or len(pair) != 2:
                raise ValueError(f"{name} row {i} must be a list of (uid, value) pairs")
        lengths.append(len(row))
        flat.extend(row)
    pairs = _int_array(name, flat, U64_MAX, np.uint64).reshape(-1, 2) if flat else np.zeros((0, 2), np.uint64)
    uids, values = pairs[:, 0], pairs[:, 1]
    if uids.size and int(uids.max()) > U16_MAX:
        raise ValueError(f"{name} has a uid out of range 0..{U16_MAX}")
    if values.size and int(values.max()) > U16_MAX:
        raise ValueError(f"{name} has a value out of range 0..{U16_MAX}")
    indptr = np.zeros(len(rows) + 1, np.uint64)
    np.cumsum(lengths, out=indptr[1:])
    return (indptr, np.ascontiguousarray(uids, np.uint16), np.ascontiguousarray(values, np.uint16))


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


# --------------------------------------------------------------------------------------------
# The epochs
# --------------------------------------------------------------------------------------------


def epoch(
    *,
    block: int,
    stake: npt.ArrayLike,
    weights: MatrixLike,
    bonds: MatrixLike | None = None,
    last_update: npt.ArrayLike,
    block_at_registration: npt.ArrayLike,
    validator_permit: npt.ArrayLike,
    kappa: int = 32767,
    bonds_moving_average: int = 900_000,
    max_allowed_validators: int = 64,
    activity_cutoff: int = 5000,
    emission: int = 0,
) -> EpochResult:
    """The subnet epoch of docs/ruleset.md §4.2 as a pure function (§4.4).

    ``stake`` (rao, u64), ``last_update`` and ``block_at_registration`` (blocks) and
    ``validator_permit`` (the previous epoch's permits) have one entry per uid, n in all;
    ``weights`` and ``bonds`` are n×n (see the module docstring; ``bonds=None`` means no bonds);
    ``emission`` is the rao to distribute. ``bonds_moving_average`` is at most 1 000 000 (the
    setter's bound). Raises ``ValueError`` naming the offending argument.
    """
    if (
        type(stake) is np.ndarray and stake.dtype is _U64
        and type(weights) is np.ndarray and weights.dtype is _U16
        and type(bonds) is np.ndarray and bonds.dtype is _U16
        and type(last_update) is np.ndarray and last_update.dtype is _U64
        and type(block_at_registration) is np.ndarray and block_at_registration.dtype is _U64
        and type(validator_permit) is np.ndarray and validator_permit.dtype is _BOOL
        and type(block) is int and type(kappa) is int and type(bonds_moving_average) is int
        and type(max_allowed_validators) is int and type(activity_cutoff) is int
        and type(emission) is int
    ):
        # Arrays already in the native layout: the core checks lengths, shapes, ranges and
        # contiguity itself; anything it refuses goes through the checked path below, which
        # converts what it can and names the problem.
        try:
            return EpochResult._from_core(_core.epoch(
                block, stake, weights, bonds, last_update, block_at_registration, validator_permit,
                kappa, bonds_moving_average, max_allowed_validators, activity_cutoff, emission))
        except (ValueError, OverflowError, TypeError):
            pass
    block = _int("block", block, U64_MAX)
    stake_arr = _vector("stake", stake)
    n = int(stake_arr.shape[0])
    result = _core.epoch(
        block,
        stake_arr,
        _matrix("weights", weights, n),
        _matrix("bonds", bonds, n),
        _vector("last_update", last_update),
        _vector("block_at_registration", block_at_registration),
        _bool_vector("validator_permit", validator_permit),
        _int("kappa", kappa, U16_MAX),
        _int("bonds_moving_average", bonds_moving_average, U64_MAX),
        _int("max_allowed_validators", max_allowed_validators, U16_MAX),
        _int("activity_cutoff", activity_cutoff, U16_MAX),
        _int("emission", emission, U64_MAX),
    )
    return EpochResult._from_core(result)


def root_epoch(
    *,
    stake: npt.ArrayLike,
    weights: npt.ArrayLike,
    kappa: int = 32767,
    rho: int = 10,
    block_emission: int,
) -> npt.NDArray[np.uint64]:
    """The root epoch of docs/ruleset.md §5.1 (steps 4–11): the ``EmissionValues`` of each network.

    ``stake``: ``TotalHotkeyStake`` of each root validator (rao); ``weights``: validators ×
    networks, u16 as stored, columns in ascending netuid order (root netuid 0 first);
    ``block_emission``: rao per block. Returns one u64 per column (the root column's value is
    never minted). Raises :class:`RootEpochAborted` when the rules abort (no validators, no
    networks, zero stake, ``exp`` overflow) and ``ValueError`` for malformed arguments.
    """
    stake_arr = _vector("stake", stake)
    w = _int_array("weights", weights, U16_MAX, np.uint16)
    if w.ndim == 1 and w.size == 0:
        w = w.reshape(0, 0)
    if w.ndim != 2:
        raise ValueError(f"weights must be two-dimensional (validators × networks), got {w.shape}")
    out = _core.root_epoch(
        stake_arr,
        w,
        _int("kappa", kappa, U16_MAX),
        _int("rho", rho, U16_MAX),
        _int("block_emission", block_emission, U64_MAX),
    )
    if isinstance(out, str):
        raise RootEpochAborted(out)
    return _frozen(out)


# --------------------------------------------------------------------------------------------
# §4.3 primitives
# --------------------------------------------------------------------------------------------


def _fixed_bits(name: str, value: npt.ArrayLike, raw: bool) -> npt.NDArray[np.int64]:
    """I32F32 bits: raw int64 bits, or numbers rounded to the nearest I32F32 (ties to even)."""
    if raw:
        arr = np.asarray(value)
        if arr.size and arr.dtype.kind not in "iu":
            raise ValueError(f"{name}: raw I32F32 bits must be integers")
        return np.ascontiguousarray(arr, dtype=np.int64)
    arr = np.asarray(value, dtype=np.float64)
    scaled = arr * FRAC  # exact: a power-of-two scaling
    if not np.isfinite(scaled).all() or (arr.size and np.abs(scaled).max() >= 2.0**63):
        raise ValueError(f"{name} has a value outside the I32F32 range")
    return np.ascontiguousarray(np.rint(scaled).astype(np.int64))  # rint: ties to even


def _fixed_out(bits: npt.NDArray[np.int64], raw: bool) -> npt.NDArray[Any]:
    return bits if raw else bits.astype(np.float64) / FRAC


def _fixed_rows(name: str, rows: Sequence[Sequence[tuple[int, float]]], raw: bool) -> _Csr:
    lengths = [len(r) for r in rows]
    uids = [int(j) for r in rows for j, _ in r]
    values = [v for r in rows for _, v in r]
    if uids and (min(uids) < 0 or max(uids) > U16_MAX):
        raise ValueError(f"{name} has a uid out of range 0..{U16_MAX}")
    indptr = np.zeros(len(rows) + 1, np.uint64)
    np.cumsum(lengths, out=indptr[1:])
    return indptr, np.asarray(uids, np.uint16), _fixed_bits(name, values, raw)


def weighted_median_col(
    stake: npt.ArrayLike,
    weights: Sequence[Sequence[tuple[int, float]]],
    kappa: float,
    *,
    columns: int | None = None,
    raw: bool = False,
) -> npt.NDArray[Any]:
    """``weighted_median_col`` of docs/ruleset.md §4.3 (the reference's recursion).

    ``stake`` per row and ``weights`` rows of ``(column, value)`` pairs, values I32F32 (numbers,
    or raw bits with ``raw=True``); ``kappa`` likewise. Returns the median of each of ``columns``
    columns (default: n = number of rows) as float64, or raw bits.
    """
    stake_bits = _fixed_bits("stake", stake, raw)
    indptr, uids, values = _fixed_rows("weights", weights, raw)
    kappa_bits = int(_fixed_bits("kappa", [kappa], raw)[0])
    cols = stake_bits.shape[0] if columns is None else _int("columns", columns, U16_MAX + 1)
    return _fixed_out(_core.yuma_weighted_median_col(stake_bits, indptr, uids, values, cols, kappa_bits), raw)


def mat_ema_sparse(
    new: Sequence[Sequence[tuple[int, float]]],
    old: Sequence[Sequence[tuple[int, float]]],
    alpha: float,
    *,
    columns: int,
    raw: bool = False,
) -> list[list[tuple[int, float]]]:
    """Step 13's sparse moving average (docs/ruleset.md §4.2, vector §15.7): per row,
    ``α ⊗ new + (1 − α) ⊗ old``, keeping the positive entries, ascending column."""
    a = _fixed_rows("new", new, raw)
    b = _fixed_rows("old", old, raw)
    alpha_bits = int(_fixed_bits("alpha", [alpha], raw)[0])
    indptr, uids, bits = _core.yuma_mat_ema_sparse(*a, *b, _int("columns", columns, U16_MAX + 1), alpha_bits)
    values = _fixed_out(bits, raw)
    return [
        [(int(uids[k]), values[k].item()) for k in range(int(indptr[i]), int(indptr[i + 1]))]
        for i in range(len(indptr) - 1)
    ]


def vec_max_upscale_to_u16(values: npt.ArrayLike, *, raw: bool = False) -> npt.NDArray[np.uint16]:
    """``vec_max_upscale_to_u16`` of docs/ruleset.md §4.3; u16 inputs (as ``set_weights`` uses it) are
    the same numbers given as integers."""
    return _core.yuma_vec_max_upscale_to_u16(_fixed_bits("values", values, raw))
