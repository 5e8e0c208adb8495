"""Benchmark of one subnet epoch (`ts.yuma.epoch`, docs/design.md §7) against numpy.

Two cases, timed in the same run:

* 256 uids / 64 validators: the Finney shape (64 permit holders weighting all 256 uids, bonds in
  their steady state). Target: ≤ 100 µs per epoch.
* 4096 uids, dense: every uid is a validator weighting every uid. Target: ≥ 20× faster than a
  vectorised numpy float64 implementation of the same math (`numpy_epoch` below).

`ts.yuma.epoch` is timed as a user calls it: from numpy arrays in, through validation and the Rust
core (GIL released), to numpy arrays out, including the n×n bonds matrix. Figures are the best of
several repetitions (the machine may be shared); ratios compare figures of this run only.

    python bench/bench_epoch.py [--repeat N] [--quick]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

import taostate as ts

F64 = npt.NDArray[np.float64]


# --------------------------------------------------------------------------------------------------
# The same math in numpy float64 (dense matrices, zeros = no entry; docs/ruleset.md §4.2 steps 1–19)
# --------------------------------------------------------------------------------------------------


def numpy_epoch(
    block: int,
    stake: npt.NDArray[np.uint64],
    weights: npt.NDArray[np.uint16],
    bonds: npt.NDArray[np.uint16],
    last_update: npt.NDArray[np.uint64],
    block_at_registration: npt.NDArray[np.uint64],
    permit: npt.NDArray[np.bool_],
    kappa: int,
    bonds_moving_average: int,
    max_allowed_validators: int,
    activity_cutoff: int,
    emission: int,
) -> dict[str, np.ndarray]:
    n = stake.shape[0]
    active = last_update + activity_cutoff >= block  # step 1
    total = stake.sum(dtype=np.float64)
    s = stake / total if total > 0 else np.zeros(n)  # step 2
    permit_new = np.ones(n, np.bool_)  # step 3: stable top-k
    if n > max_allowed_validators:
        permit_new[np.argsort(s, kind="stable")[: n - max_allowed_validators]] = False
    a = np.where(active & permit, s, 0.0)  # step 4
    if a.sum() > 0:
        a /= a.sum()
    outdated = last_update[:, None] <= block_at_registration[None, :]
    w = weights.astype(np.float64)  # step 5
    w[~permit] = 0.0
    np.fill_diagonal(w, 0.0)
    w[outdated] = 0.0
    row_sum = w.sum(axis=1, keepdims=True)
    np.divide(w, row_sum, out=w, where=row_sum > 0)
    r0 = a @ w  # step 6
    c = weighted_median_cols(a, w, kappa / 65535.0)  # step 7
    np.minimum(w, c[None, :], out=w)  # step 8
    vt = w.sum(axis=1)  # step 9
    r = a @ w  # step 10
    trust = np.divide(r, r0, out=np.zeros(n), where=r0 > 0)
    incentive = r / r.sum() if r.sum() > 0 else r
    b = bonds.astype(np.float64)  # step 11
    b[outdated] = 0.0
    col_normalize(b)
    w *= a[:, None]  # step 12: bond deltas
    col_normalize(w)
    alpha = 1.0 - bonds_moving_average / 1e6  # step 13
    w *= alpha
    b *= 1.0 - alpha
    w += b
    col_normalize(w)
    dividends = w @ incentive  # step 14
    if dividends.sum() > 0:
        dividends /= dividends.sum()
    combined = incentive + dividends  # step 15
    total = combined.sum()
    if total > 0:
        server, validator, eps = incentive / total, dividends / total, combined / total
    else:
        server = incentive
        validator = eps = s if a.sum() == 0 else a
    col_max = w.max(axis=0)  # step 19
    np.divide(w, col_max, out=w, where=col_max > 0)
    new_bonds = np.floor(w * 65535).astype(np.uint16)
    new_bonds[~permit_new & ~permit] = bonds[~permit_new & ~permit]
    new_bonds[~permit_new & permit] = 0
    u16 = lambda x: np.floor(x * 65535).astype(np.uint16)  # noqa: E731
    rao = lambda x: np.floor(x * emission).astype(np.uint64)  # noqa: E731
    eps_max = eps.max() if n else 0.0
    return dict(
        active=active, validator_permit=permit_new, rank=u16(incentive), trust=u16(trust),
        consensus=u16(c), incentive=u16(incentive), dividends=u16(dividends),
        validator_trust=u16(vt), emission=rao(eps), server_emission=rao(server),
        validator_emission=rao(validator), bonds=new_bonds,
        pruning_scores=np.round(eps / eps_max * 65535).astype(np.uint16) if eps_max > 0 else u16(eps),
    )


def col_normalize(m: F64) -> None:
    sums = m.sum(axis=0)
    np.divide(m, sums, out=m, where=sums > 0)


def weighted_median_cols(a: F64, w: F64, kappa: float) -> F64:
    """Per column: the smallest score v with stake(score ≤ v) > Σst − κ over rows with a > 0."""
    kept = a > 0
    if not kept.any():
        return np.zeros(w.shape[1])
    st = a[kept] / a[kept].sum()
    minority = st.sum() - kappa
    scores = w[kept]
    order = np.argsort(scores, axis=0)
    cum = np.cumsum(st[order], axis=0)
    idx = np.minimum((cum <= minority).sum(axis=0), scores.shape[0] - 1)
    return np.take_along_axis(scores, order, axis=0)[idx, np.arange(w.shape[1])]


# --------------------------------------------------------------------------------------------------
# Inputs and timing
# --------------------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    args: dict[str, Any]

    def numpy_args(self) -> tuple[Any, ...]:
        a = self.args
        return (a["block"], a["stake"], a["weights"], a["bonds"], a["last_update"],
                a["block_at_registration"], a["validator_permit"], a["kappa"],
                a["bonds_moving_average"], a["max_allowed_validators"], a["activity_cutoff"],
                a["emission"])


def make_case(name: str, n: int, validators: int, seed: int = 42) -> Case:
    """A subnet in its steady state: validators' weights set (max-upscaled as `set_weights`
    stores them), bonds and permits from three previous epochs."""
    rng = np.random.default_rng(seed)
    stake = rng.integers(10**9, 10**12, n).astype(np.uint64)
    stake[:validators] += rng.integers(10**13, 10**15, validators).astype(np.uint64)
    raw = rng.integers(1, 65536, (validators, n)).astype(np.float64)
    weights = np.zeros((n, n), np.uint16)
    weights[:validators] = np.round(raw / raw.max(axis=1, keepdims=True) * 65535).astype(np.uint16)
    args: dict[str, Any] = dict(
        block=1000, stake=stake, weights=weights, bonds=np.zeros((n, n), np.uint16),
        last_update=np.full(n, 990, np.uint64), block_at_registration=np.zeros(n, np.uint64),
        validator_permit=np.arange(n) < validators, kappa=32767, bonds_moving_average=900_000,
        max_allowed_validators=validators, activity_cutoff=5000, emission=10**9,
    )
    for _ in range(3):
        out = ts.yuma.epoch(**args)
        args["bonds"], args["validator_permit"] = out.bonds, out.validator_permit
    return Case(name, args)


def best_time(fn: Callable[[], object], repeat: int, number: int) -> float:
    """Best per-call time (s) over `repeat` batches of `number` calls."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t) / number)
    return best


def agreement(case: Case) -> str:
    """How far the float64 implementation lands from the exact one (a sanity check that both
    compute the same thing)."""
    ours = ts.yuma.epoch(**case.args)
    theirs = numpy_epoch(*case.numpy_args())
    worst = {k: int(np.abs(getattr(ours, k).astype(np.int64) - theirs[k].astype(np.int64)).max())
             for k in ("incentive", "dividends", "consensus", "bonds")}
    return ", ".join(f"{k} ±{v}" for k, v in worst.items())


def fmt(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs" if seconds < 0.01 else f"{seconds * 1e3:,.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timing batches per measurement")
    parser.add_argument("--quick", action="store_true", help="fewer calls per batch")
    opts = parser.parse_args()
    small = make_case("256 uids / 64 validators", 256, 64)
    large = make_case("4096 uids, dense weights", 4096, 4096)
    rows = []
    for case, number, target in [(small, 50 if opts.quick else 500, "≤ 100 µs"),
                                 (large, 1, "≥ 20× numpy")]:
        ours = best_time(lambda: ts.yuma.epoch(**case.args), opts.repeat, number)
        theirs = best_time(lambda: numpy_epoch(*case.numpy_args()), opts.repeat,
                           max(1, number // 10))
        met = ours <= 100e-6 if target.startswith("≤") else theirs / ours >= 20
        rows.append((case.name, fmt(ours), fmt(theirs), f"{theirs / ours:,.1f}×", target,
                     "met" if met else "NOT met", agreement(case)))
    header = ("case", "taostate", "numpy f64", "speed-up", "target", "", "u16 agreement")
    widths = [max(len(str(r[k])) for r in [header, *rows]) for k in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(x).ljust(wd) for x, wd in zip(r, widths)).rstrip())


if __name__ == "__main__":
    main()
