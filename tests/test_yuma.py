"""Tests of `taostate.yuma`: the docs/ruleset.md §15.1–15.7 and §15.9 vectors, exact comparisons, and
cross-checks of whole epochs against an independent integer implementation of docs/ruleset.md §4.2 /
§5 written here from the text of the rules (pure Python ints, no fixed-point library).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from taostate import yuma

ONE = 1 << 32  # I32F32 1.0
Rows = list[list[tuple[int, int]]]


# ----------------------------------------------------------------------------------------------
# Independent reference: docs/ruleset.md §0.3 arithmetic on Python ints
# ----------------------------------------------------------------------------------------------


def fmul(a: int, b: int, f: int = 32) -> int:
    """⊗: floor(a·b / 2^f) (Python's >> floors)."""
    return (a * b) >> f


def fdiv(a: int, b: int, f: int = 32) -> int:
    """⊘: trunc(a·2^f / b)."""
    q = abs(a << f) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def normalize(v: list[int]) -> list[int]:
    s = sum(v)
    return [fdiv(x, s) for x in v] if s != 0 else list(v)


def col_normalize(m: list[list[tuple[int, int]]], n: int) -> list[list[tuple[int, int]]]:
    sums = [0] * n
    for row in m:
        for j, v in row:
            sums[j] += v
    return [[(j, fdiv(v, sums[j]) if sums[j] else v) for j, v in row] for row in m]


def wm(stake: list[int], score: list[int], idx: list[int], minority: int, lo: int, hi: int) -> int:
    """§4.3 WM, the mid-pivot recursion."""
    if not idx:
        return 0
    if len(idx) == 1:
        return score[idx[0]]
    pivot = score[idx[len(idx) // 2]]
    lower = [i for i in idx if score[i] < pivot]
    upper = [i for i in idx if score[i] > pivot]
    lsum = sum(stake[i] for i in lower)
    usum = sum(stake[i] for i in upper)
    if lo + lsum <= minority < hi - usum:
        return pivot
    if minority < lo + lsum and lower:
        return wm(stake, score, lower, minority, lo, lo + lsum)
    if hi - usum <= minority and upper:
        return wm(stake, score, upper, minority, hi - usum, hi)
    return pivot


def weighted_median_col(a: list[int], w: list[list[tuple[int, int]]], n: int, kappa: int) -> list[int]:
    kept = [r for r in range(len(a)) if a[r] > 0]
    st_ = normalize([a[r] for r in kept])
    ss = sum(st_)
    out = []
    for c in range(n):
        score = [dict(w[r]).get(c, 0) for r in kept]
        out.append(wm(st_, score, list(range(len(kept))), ss - kappa, 0, ss))
    return out


def round_away(bits: int) -> int:
    """round() of a non-negative I32F32, ties away from zero, as an integer."""
    return (bits + (1 << 31)) >> 32


def max_upscale(v: list[int]) -> list[int]:
    """§4.3 vec_max_upscale_to_u16 on I32F32 bits."""
    if not v:
        return []
    m = max(v)
    k = 65535 << 32
    if m == 0:
        return [fmul(x, k) >> 32 for x in v]
    if m > 32768 << 32:
        r = fdiv(k, m)
        return [min(round_away(fmul(x, r)), 65535) for x in v]
    return [min(round_away(fdiv(fmul(x, k), m)), 65535) for x in v]


def proportion(x: int) -> int:
    return fmul(x, 65535 << 32) >> 32


def ref_epoch(
    block: int,
    stake: list[int],
    weights: Rows,
    bonds: Rows,
    last_update: list[int],
    bar: list[int],
    permit: list[bool],
    kappa: int = 32767,
    bma: int = 900_000,
    mav: int = 64,
    cutoff: int = 5000,
    emission: int = 0,
) -> dict[str, Any]:
    """docs/ruleset.md §4.2 steps 1–19, literally, in sparse form; bonds_out as stored rows."""
    n = len(stake)
    outdated = lambda i, j: last_update[i] <= bar[j]  # noqa: E731
    active = [not (lu + cutoff < block) for lu in last_update]
    tot = sum(stake)
    s = [(((x << 64) // tot) >> 32) if tot else 0 for x in stake]  # I64F64 ⊘, then narrowing
    order = sorted(range(n), key=lambda i: s[i])  # stable
    new_permit = [True] * n
    if n > mav:
        for i in order[: n - mav]:
            new_permit[i] = False
    a = normalize([s[i] if active[i] and permit[i] else 0 for i in range(n)])
    w: Rows = []
    for i in range(n):
        row = [(j, x << 32) for j, x in weights[i] if permit[i] and j != i and not outdated(i, j)]
        total = sum(v for _, v in row)
        w.append([(j, fdiv(v, total)) for j, v in row] if total > 0 else row)
    r0 = [0] * n
    for i in range(n):
        for j, v in w[i]:
            r0[j] += fmul(a[i], v)
    kap = fdiv(kappa << 32, 65535 << 32)
    c = weighted_median_col(a, w, n, kap)
    wc = [[(j, c[j] if v > c[j] else v) for j, v in row if not (v > c[j] and c[j] <= 0)] for row in w]
    vt = [sum(v for _, v in row) for row in wc]
    r = [0] * n
    for i in range(n):
        for j, v in wc[i]:
            r[j] += fmul(a[i], v)
    trust = [fdiv(r[j], r0[j]) if r0[j] else 0 for j in range(n)]
    inc = normalize(r)
    old = col_normalize([[(j, b << 32) for j, b in bonds[i] if not outdated(i, j)] for i in range(n)], n)
    delta = col_normalize([[(j, fmul(v, a[i])) for j, v in wc[i]] for i in range(n)], n)
    m32 = ((bma << 64) // 1_000_000) >> 32
    alpha = ONE - m32
    ema = []
    for i in range(n):
        acc: dict[int, int] = {}
        for j, v in delta[i]:
            acc[j] = acc.get(j, 0) + fmul(alpha, v)
        for j, v in old[i]:
            acc[j] = acc.get(j, 0) + fmul(ONE - alpha, v)
        ema.append([(j, acc[j]) for j in sorted(acc) if acc[j] > 0])
    ema = col_normalize(ema, n)
    div = normalize([sum(fmul(inc[j], v) for j, v in ema[i]) for i in range(n)])
    comb = [x + y for x, y in zip(inc, div)]
    total = sum(comb)
    if total:
        se, ve, ce = [fdiv(x, total) for x in inc], [fdiv(x, total) for x in div], normalize(comb)
    else:
        se = inc
        ve = ce = s if sum(a) == 0 else a
    rao = lambda v: [(x * emission) >> 32 for x in v]  # noqa: E731
    col_max = [0] * n
    for row in ema:
        for j, v in row:
            col_max[j] = max(col_max[j], v)
    stored: list[list[tuple[int, int]] | None] = []
    for i in range(n):
        if new_permit[i]:
            stored.append([(j, proportion(fdiv(v, col_max[j]) if col_max[j] else v)) for j, v in ema[i]])
        elif permit[i]:
            stored.append([])
        else:
            stored.append(None)  # unchanged
    props = lambda v: [proportion(x) for x in v]  # noqa: E731
    return dict(
        active=active, validator_permit=new_permit, rank=props(inc), trust=props(trust),
        consensus=props(c), incentive=props(inc), dividends=props(div), validator_trust=props(vt),
        pruning_scores=max_upscale(ce), emission=rao(ce), server_emission=rao(se),
        validator_emission=rao(ve), stored=stored,
    )


def stored_after(bonds: Rows, stored: list[list[tuple[int, int]] | None]) -> Rows:
    return [list(old) if new is None else new for old, new in zip(bonds, stored)]


def dense(rows: Rows, n: int) -> np.ndarray:
    m = np.zeros((n, n), np.uint16)
    for i, row in enumerate(rows):
        for j, v in row:
            m[i, j] = v
    return m


def rows_of(m: np.ndarray) -> Rows:
    return [[(int(j), int(m[i, j])) for j in np.flatnonzero(m[i])] for i in range(m.shape[0])]


# ----------------------------------------------------------------------------------------------
# Helpers to call ts.yuma.epoch like the chain does
# ----------------------------------------------------------------------------------------------


class Subnet:
    """Epoch inputs of one subnet, fed with each epoch's stored outputs (§15 defaults)."""

    def __init__(self, stake: list[int], max_validators: int) -> None:
        n = len(stake)
        self.n = n
        self.stake = stake
        self.weights: Rows = [[] for _ in range(n)]
        self.bonds = np.zeros((n, n), np.uint16)
        self.last_update = [0] * n
        self.bar = [0] * n
        self.permit = [False] * n
        self.max_validators = max_validators

    def run(self, block: int, check: bool = True) -> yuma.EpochResult:
        out = yuma.epoch(
            block=block, stake=self.stake, weights=self.weights, bonds=self.bonds,
            last_update=self.last_update, block_at_registration=self.bar,
            validator_permit=self.permit, max_allowed_validators=self.max_validators,
            emission=10**9,
        )
        if check:
            assert_matches_reference(self, block, out)
        self.bonds = out.bonds
        self.permit = out.validator_permit.tolist()
        return out


def assert_matches_reference(sub: Subnet, block: int, out: yuma.EpochResult) -> None:
    ref = ref_epoch(block, sub.stake, sub.weights, rows_of(sub.bonds), sub.last_update, sub.bar,
                    sub.permit, mav=sub.max_validators, emission=10**9)
    for name in ("active", "validator_permit", "rank", "trust", "consensus", "incentive",
                 "dividends", "validator_trust", "pruning_scores", "emission", "server_emission",
                 "validator_emission"):
        assert getattr(out, name).tolist() == ref[name], name
    expected = dense(stored_after(rows_of(sub.bonds), ref["stored"]), sub.n)
    np.testing.assert_array_equal(out.bonds, expected)


# ----------------------------------------------------------------------------------------------
# §15.1–15.4: whole epochs
# ----------------------------------------------------------------------------------------------


def test_15_1_one_neuron() -> None:
    out = yuma.epoch(block=1, stake=[1], weights=[[(0, 65535)]], last_update=[1],
                     block_at_registration=[0], validator_permit=[False],
                     max_allowed_validators=100, emission=10**9)
    for name in ("rank", "trust", "consensus", "incentive", "dividends", "validator_trust"):
        assert getattr(out, name).tolist() == [0], name
    assert out.emission.tolist() == [1_000_000_000]
    assert out.validator_emission.tolist() == [1_000_000_000]
    assert out.server_emission.tolist() == [0]
    assert out.pruning_scores.tolist() == [65535]
    assert out.validator_permit.tolist() == [True]
    assert out.bonds.tolist() == [[0]]  # row 0 replaced by []


def test_15_2_ten_self_weights() -> None:
    out = yuma.epoch(block=1, stake=[1] * 10, weights=[[(i, 65535)] for i in range(10)],
                     last_update=[1] * 10, block_at_registration=[0] * 10,
                     validator_permit=[False] * 10, max_allowed_validators=100, emission=10**9)
    for name in ("rank", "trust", "consensus", "incentive", "dividends", "validator_trust"):
        assert getattr(out, name).tolist() == [0] * 10, name
    assert out.pruning_scores.tolist() == [65535] * 10
    assert out.emission.tolist() == [99_999_999] * 10
    assert out.validator_emission.tolist() == [99_999_999] * 10
    assert out.server_emission.tolist() == [0] * 10


def bonds_sequence() -> Subnet:
    return Subnet([1, 2, 3, 4, 0, 0, 0, 0], max_validators=8)


def test_15_3_bonds_sequence() -> None:
    sub = bonds_sequence()
    out = sub.run(0)
    assert out.emission.tolist() == [99999999, 199999999, 299999999, 399999999, 0, 0, 0, 0]
    assert out.validator_permit.tolist() == [True] * 8
    assert not out.bonds.any()
    for i in range(4):
        sub.weights[i] = [(4, 16383), (5, 32767), (6, 49149), (7, 65535)]
    sub.last_update = [1, 1, 1, 1, 0, 0, 0, 0]
    out = sub.run(1)
    assert out.consensus[4:].tolist() == [6553, 13107, 19660, 26214]
    assert out.incentive.tolist() == [0, 0, 0, 0, 6553, 13107, 19660, 26214]
    assert out.dividends.tolist() == [6553, 13106, 19660, 26214, 0, 0, 0, 0]
    assert out.emission.tolist() == [49999998, 99999999, 150000000, 200000001,
                                     49998779, 100000610, 149996337, 200004272]
    assert out.bonds[0:4, 4].tolist() == [16383, 32767, 49151, 65535]
    sub.weights[0] = [(0, 65535)]  # self only; last_update unchanged
    out = sub.run(2)
    assert out.emission.tolist() == [44998351, 101110561, 151667215, 202223870,
                                     49998779, 100000610, 149996337, 200004272]
    assert out.bonds[0:4, 4].tolist() == [14582, 32767, 49151, 65535]


def test_15_3_later_blocks_bonds_drift() -> None:
    """Uid 1, then uid 2 switch to self-weights, then uid 2 weights only uid 7: the stored bonds
    keep drifting through their u16 round trips, epoch after epoch, exactly as the reference."""
    sub = bonds_sequence()
    sub.run(0)
    for i in range(4):
        sub.weights[i] = [(4, 16383), (5, 32767), (6, 49149), (7, 65535)]
    sub.last_update = [1, 1, 1, 1, 0, 0, 0, 0]
    sub.run(1)
    sub.weights[0] = [(0, 65535)]
    previous = sub.run(2).bonds.copy()
    for block, uid, row in [(3, 1, [(1, 65535)]), (4, 2, [(2, 65535)]), (5, 2, [(7, 65535)]),
                            (6, 2, [(7, 65535)]), (7, 2, [(7, 65535)])]:
        sub.weights[uid] = row
        out = sub.run(block)  # checked against the reference at every step
        assert not np.array_equal(out.bonds, previous), block
        previous = out.bonds.copy()


def test_multi_epoch_bonds_drift_feeds_outputs_back() -> None:
    """A 12-uid subnet over 30 epochs with changing weights, stakes and a replaced uid; each
    epoch's `bonds` and `validator_permit` feed the next call."""
    rng = random.Random(7)
    sub = Subnet([rng.randrange(1, 10**12) for _ in range(12)], max_validators=6)
    for block in range(1, 31):
        for i in range(sub.n):
            if rng.random() < 0.5:
                targets = rng.sample(range(sub.n), rng.randrange(1, sub.n))
                sub.weights[i] = [(j, rng.randrange(65536)) for j in targets]
                sub.last_update[i] = block
        if block == 15:
            sub.bar[3] = block  # uid 3 replaced: its column becomes outdated for older weights
        sub.stake[rng.randrange(sub.n)] += rng.randrange(10**11)
        sub.run(block)


def test_15_4_inactive_validator_shrinks_until_it_sets_weights() -> None:
    sub = Subnet([1, 1, 1, 1], max_validators=4)
    sub.weights[0] = [(2, 65535), (3, 65535)]
    sub.weights[1] = [(2, 65535), (3, 65535)]
    dividends, bonds0, active0 = [], [], []
    for block in [1, 2, 3, 3000, 5003, 5004, 5005, 6000, 6001]:
        if block <= 3:
            sub.last_update[0] = sub.last_update[1] = block
        else:
            sub.last_update[1] = block
        if block == 6001:
            sub.last_update[0] = block  # uid 0 sets weights again
        out = sub.run(block)
        dividends.append(int(out.dividends[0]))
        bonds0.append(int(out.bonds[0, 2]))
        active0.append(bool(out.active[0]))
    # last_update 3 → inactive once 3 + 5000 < b, i.e. from block 5004.
    assert active0 == [True, True, True, True, True, False, False, False, True]
    assert dividends[4] > dividends[5] > dividends[6] > dividends[7]
    assert bonds0[4] > bonds0[6] > bonds0[7]
    assert dividends[8] > dividends[7] and bonds0[8] > bonds0[7]


# ----------------------------------------------------------------------------------------------
# §15.5–15.7: primitives
# ----------------------------------------------------------------------------------------------


def sparse(rows: Sequence[Sequence[float]]) -> list[list[tuple[int, float]]]:
    return [[(j, v) for j, v in enumerate(row) if v != 0] for row in rows]


@pytest.mark.parametrize(("kappa", "expected"), [(0.24, [0, 0.3, 0.4]), (0.26, [0, 0.2, 0.4]),
                                                 (0.76, [0, 0.2, 0.1])])
def test_15_5_weighted_median(kappa: float, expected: list[float]) -> None:
    w = sparse([[0, 0.1, 0], [0, 0.2, 0.4], [0, 0.3, 0.1], [0, 0.4, 0.5]])
    got = yuma.weighted_median_col([0, 0.75, 0.25, 0], w, kappa, columns=3)
    # The median is one of the scores, so it is exactly that score's I32F32 value.
    assert got.tolist() == [round(x * ONE) / ONE for x in expected]


def test_15_5_weighted_median_second_case_and_zero_stake() -> None:
    w = sparse([[0, 0.1, 0], [0, 0.2, 0.4], [0, 0.3, 0.1], [0, 0, 0.5]])
    got = yuma.weighted_median_col([0, 0.3, 0.2, 0.5], w, 0.51, columns=3)
    assert got.tolist() == [0.0, 0.0, round(0.4 * ONE) / ONE]
    assert yuma.weighted_median_col([0, 0, 0, 0], w, 0.51, columns=3).tolist() == [0, 0, 0]


def test_15_5_weighted_median_against_reference() -> None:
    rng = random.Random(5)
    for _ in range(300):
        n = rng.randrange(1, 9)
        levels = rng.randrange(1, 6)
        stake = normalize([0 if rng.random() < 0.3 else rng.randrange(1, 1 << 30) for _ in range(n)])
        w = [[(j, rng.randrange(levels) << 29) for j in range(n) if rng.random() < 0.6] for _ in range(n)]
        kappa = rng.choice([2147450879, 0, ONE, rng.randrange(ONE)])
        got = yuma.weighted_median_col(stake, w, kappa, columns=n, raw=True)
        assert got.tolist() == weighted_median_col(stake, w, n, kappa)


@pytest.mark.parametrize(("values", "expected"), [
    ([0.000001, 0.000006, 0.000007, 0.0001, 0.001, 0.01, 0.1, 0.2, 0.3, 0.4],
     [0, 1, 1, 16, 164, 1638, 16384, 32768, 49151, 65535]),
    ([0, 0.5, 1, 1.5, 2, 32768, 32769], [0, 1, 2, 3, 4, 65533, 65535]),
    ([0, 0.000016, 1], [0, 1, 65535]),
    ([1e-9, 1e-9], [65535, 65535]),
    ([65534], [65535]),            # u16 inputs, as set_weights uses it
    ([0, 1, 65534], [0, 1, 65535]),
    ([], []),
])
def test_15_6_vec_max_upscale_to_u16(values: list[float], expected: list[int]) -> None:
    assert yuma.vec_max_upscale_to_u16(values).tolist() == expected


def test_15_6_vec_max_upscale_to_u16_with_i32f32_max() -> None:
    i32f32_max = (1 << 63) - 1
    bits = [0, ONE, 32768 * ONE, 32769 * ONE, i32f32_max]
    assert yuma.vec_max_upscale_to_u16(bits, raw=True).tolist() == [0, 0, 1, 1, 65535]
    assert max_upscale(bits) == [0, 0, 1, 1, 65535]


def assert_rows_close(got: list[list[tuple[int, float]]], want: list[list[tuple[int, float]]]) -> None:
    assert [[j for j, _ in r] for r in got] == [[j for j, _ in r] for r in want]
    for g, w in zip(got, want):
        for (_, gv), (_, wv) in zip(g, w):
            assert abs(gv - wv) < 1e-6  # the tolerance docs/ruleset.md §15.7 states


def test_15_7_sparse_ema() -> None:
    old = sparse([[0, 2, 3], [4, 0, 6], [7, 8, 0], [10, 11, 12]])
    new = sparse([[10, 20, 0], [40, 0, 60], [0, 80, 90], [100, 110, 120]])
    assert_rows_close(yuma.mat_ema_sparse(new, old, 0.1, columns=3), [
        [(0, 1), (1, 3.8), (2, 2.7)], [(0, 7.6), (2, 11.4)], [(0, 6.3), (1, 15.2), (2, 9)],
        [(0, 19), (1, 20.9), (2, 22.8)]])
    assert_rows_close(yuma.mat_ema_sparse(new, [[], [], [], []], 0.1, columns=3),
                      [[(j, v / 10) for j, v in row] for row in new])
    assert_rows_close(yuma.mat_ema_sparse([[], [(1, 2)]], [[(0, 1)], []], 0.1, columns=2),
                      [[(0, 0.9)], [(1, 0.2)]])


# ----------------------------------------------------------------------------------------------
# §15.9: root epoch
# ----------------------------------------------------------------------------------------------


def exp64(x: int) -> int:
    """docs/ruleset.md §5.2 in I64F64 bits; OverflowError on leaving the range."""
    lim = 1 << 127

    def chk(v: int) -> int:
        if not -lim <= v < lim:
            raise OverflowError
        return v

    one = 1 << 64
    if x == 0:
        return one
    if x == one:
        return 22_802_600 << 41
    y = chk(-x) if x < 0 else x
    result, term = chk(y + one), y
    for i in range(2, 64):
        term = chk(fmul(term, y, 64))
        term = chk(fdiv(term, i << 64, 64))
        result = chk(result + term)
    return chk(fdiv(one, result, 64)) if x < 0 else result


def ref_root_epoch(stake: list[int], w: list[list[int]], kappa: int, rho: int, emission: int) -> list[int] | str:
    n, k = len(stake), (len(w[0]) if w else 0)
    if n == 0:
        return "no_validators"
    if k == 0:
        return "no_networks"
    tot = sum(stake)
    s = [(x << 64) // tot if tot else 0 for x in stake]
    rank = [sum(fmul(s[i], w[i][c] << 64, 64) for i in range(n)) for c in range(k)]
    trust = [sum(s[i] for i in range(n) if w[i][c] > 0) for c in range(k)]
    if sum(s) == 0:
        return "zero_stake"
    trust = [fdiv(t, sum(s), 64) for t in trust]
    kap = fdiv(kappa << 32, 65535 << 32) << 32
    try:
        cons = [fdiv(1 << 64, (1 << 64) + exp64(-fmul(t - kap, rho << 64, 64)), 64) for t in trust]
    except OverflowError:
        return "exp_overflow"
    weighted = [fmul(c, r, 64) for c, r in zip(cons, rank)]
    total = sum(weighted)
    weighted = [fdiv(x, total, 64) for x in weighted] if total else weighted
    return [(x * emission) >> 64 for x in weighted]


V15_9 = [277820113, 246922263, 215549466, 176432500, 77181559, 5857251, 229035, 7619, 189, 0, 0]


def test_15_9_root_epoch() -> None:
    weights = [[65535 if k < i else 0 for k in range(11)] for i in range(10)]
    got = yuma.root_epoch(stake=[1000] * 10, weights=weights, kappa=32767, rho=30,
                          block_emission=10**9)
    assert got.dtype == np.uint64
    assert got.tolist() == ref_root_epoch([1000] * 10, weights, 32767, 30, 10**9) == V15_9
    # Decreasing with k; netuids 9 and 10 (trust 0) get nothing; netuid 1's value is the
    # owner-cut example of §15.12.
    assert all(x > y for x, y in zip(got[:9], got[1:9]))
    assert got[9] == got[10] == 0


def test_root_epoch_against_reference_and_aborts() -> None:
    rng = random.Random(11)
    for _ in range(100):
        n, k = rng.randrange(1, 7), rng.randrange(1, 7)
        stake = [rng.choice([0, rng.randrange(1, 10**16)]) for _ in range(n)]
        w = [[rng.choice([0, 65535, rng.randrange(65536)]) for _ in range(k)] for _ in range(n)]
        rho = rng.choice([10, 30, rng.randrange(1, 200)])
        kappa = rng.choice([32767, rng.randrange(65536)])
        want = ref_root_epoch(stake, w, kappa, rho, 10**9)
        if isinstance(want, str):
            with pytest.raises(yuma.RootEpochAborted) as e:
                yuma.root_epoch(stake=stake, weights=w, kappa=kappa, rho=rho, block_emission=10**9)
            assert e.value.reason == want
        else:
            got = yuma.root_epoch(stake=stake, weights=w, kappa=kappa, rho=rho, block_emission=10**9)
            assert got.tolist() == want
    for kwargs, reason in [(dict(stake=[], weights=[]), "no_validators"),
                           (dict(stake=[1], weights=np.zeros((1, 0))), "no_networks"),
                           (dict(stake=[0, 0], weights=[[1], [2]]), "zero_stake"),
                           (dict(stake=[1, 1], weights=[[65535, 0], [0, 0]], rho=65535), "exp_overflow")]:
        with pytest.raises(yuma.RootEpochAborted) as e:
            yuma.root_epoch(block_emission=10**9, **kwargs)  # type: ignore[arg-type]
        assert e.value.reason == reason


def test_exp_series_matches_rust_pinned_bits() -> None:
    # Same pins as root.rs: the two implementations agree bit for bit.
    assert exp64(2 << 64) == 136304026803256390399
    assert exp64(-5 << 64) == 124293183874348897


# ----------------------------------------------------------------------------------------------
# Whole random epochs against the reference; input forms; validation
# ----------------------------------------------------------------------------------------------


def random_inputs(rng: random.Random, n: int) -> dict[str, Any]:
    block = rng.randrange(1, 20_000)
    def row() -> list[tuple[int, int]]:
        cols = rng.sample(range(n), rng.randrange(0, n + 1))
        return [(j, rng.choice([0, 65535, rng.randrange(65536)])) for j in cols]
    return dict(
        block=block,
        stake=[rng.choice([0, rng.randrange(10), rng.randrange(10**16)]) for _ in range(n)],
        weights=[row() for _ in range(n)],
        bonds=[row() for _ in range(n)],
        last_update=[rng.randrange(block + 1) for _ in range(n)],
        block_at_registration=[rng.randrange(block + 1) for _ in range(n)],
        validator_permit=[rng.random() < 0.7 for _ in range(n)],
        kappa=rng.choice([32767, 0, 65535, rng.randrange(65536)]),
        bonds_moving_average=rng.choice([900_000, 1_000_000, rng.randrange(1_000_001)]),
        max_allowed_validators=rng.randrange(1, n + 2),
        activity_cutoff=rng.randrange(5001),
        emission=rng.randrange(1 << 64),
    )


def check_random(inputs: dict[str, Any]) -> None:
    out = yuma.epoch(**inputs)
    ref = ref_epoch(inputs["block"], inputs["stake"], inputs["weights"], inputs["bonds"],
                    inputs["last_update"], inputs["block_at_registration"],
                    inputs["validator_permit"], inputs["kappa"], inputs["bonds_moving_average"],
                    inputs["max_allowed_validators"], inputs["activity_cutoff"], inputs["emission"])
    for name, value in ref.items():
        if name != "stored":
            assert getattr(out, name).tolist() == value, name
    n = len(inputs["stake"])
    np.testing.assert_array_equal(out.bonds, dense(stored_after(inputs["bonds"], ref["stored"]), n))


def test_random_epochs_match_reference() -> None:
    rng = random.Random(2023)
    for _ in range(150):
        check_random(random_inputs(rng, rng.randrange(1, 11)))


@given(st.integers(0, 2**32 - 1), st.integers(1, 8))
def test_random_epochs_match_reference_hypothesis(seed: int, n: int) -> None:
    check_random(random_inputs(random.Random(seed), n))


def test_dense_and_pair_forms_agree() -> None:
    rng = random.Random(3)
    for _ in range(30):
        n = rng.randrange(1, 12)
        inputs = random_inputs(rng, n)
        a = yuma.epoch(**inputs)
        inputs["weights"] = dense(inputs["weights"], n)
        inputs["bonds"] = dense(inputs["bonds"], n).tolist()  # nested lists of ints: dense too
        b = yuma.epoch(**inputs)
        for name in a.__dataclass_fields__:
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_result_shapes_dtypes_and_read_only() -> None:
    out = yuma.epoch(block=5, stake=np.array([5, 5, 1], np.uint64), weights=np.zeros((3, 3), np.uint16),
                     last_update=[5, 5, 5], block_at_registration=[0, 0, 0],
                     validator_permit=np.array([True, True, False]))
    assert out.n == 3
    assert out.bonds.shape == (3, 3) and out.bonds.dtype == np.uint16
    for name in ("active", "validator_permit"):
        assert getattr(out, name).dtype == np.bool_
    for name in ("rank", "trust", "consensus", "incentive", "dividends", "validator_trust", "pruning_scores"):
        assert getattr(out, name).dtype == np.uint16
    for name in ("emission", "server_emission", "validator_emission"):
        assert getattr(out, name).dtype == np.uint64
    with pytest.raises(ValueError):
        out.emission[0] = 1
    with pytest.raises(AttributeError):
        out.emission = out.emission  # type: ignore[misc]
    for field in dataclasses.fields(out):
        assert not getattr(out, field.name).flags.writeable, field.name
    assert out == out and out != yuma.epoch(  # eq=False: identity, as before
        block=5, stake=np.array([5, 5, 1], np.uint64), weights=np.zeros((3, 3), np.uint16),
        last_update=[5, 5, 5], block_at_registration=[0, 0, 0],
        validator_permit=np.array([True, True, False]))


def test_empty_subnet() -> None:
    out = yuma.epoch(block=1, stake=[], weights=[], last_update=[], block_at_registration=[],
                     validator_permit=[])
    assert out.n == 0 and out.bonds.shape == (0, 0) and out.emission.tolist() == []


def base() -> dict[str, Any]:
    return dict(block=10, stake=[1, 2, 3], weights=[[(1, 5)], [], []], last_update=[1, 1, 1],
                block_at_registration=[0, 0, 0], validator_permit=[True, True, True])


@pytest.mark.parametrize(("change", "message"), [
    (dict(stake=[1, -2, 3]), "stake"),
    (dict(stake=[1.5, 2, 3]), "stake"),
    (dict(stake=[[1, 2, 3]]), "stake"),
    (dict(stake=[1, 2, 2**63]), "stake sums to"),
    (dict(weights=[[(3, 5)], [], []]), "weights row 0 names uid 3"),
    (dict(weights=[[(1, 5), (1, 6)], [], []]), "weights row 0 names uid 1 twice"),
    (dict(weights=[[(1, 70000)], [], []]), "weights"),
    (dict(weights=[[(1, 5)], []]), "weights has 2 rows, expected 3"),
    (dict(weights=np.zeros((3, 2), np.uint16)), "weights has shape"),
    (dict(weights=np.full((3, 3), -1)), "weights"),
    (dict(weights=[[(1, 5, 7)], [], []]), "weights row 0"),
    (dict(bonds=[[(0, 1)], [(2, 1), (2, 1)], []]), "bonds row 1 names uid 2 twice"),
    (dict(bonds=[[(9, 1)], [], []]), "bonds row 0 names uid 9"),
    (dict(last_update=[1, 1]), "last_update has 2 entries, expected 3"),
    (dict(block_at_registration=[0, 0, 0, 0]), "block_at_registration has 4 entries"),
    (dict(validator_permit=[True, False]), "validator_permit"),
    (dict(validator_permit=[2, 0, 1]), "validator_permit"),
    (dict(kappa=65536), "kappa"),
    (dict(kappa=True), "kappa"),
    (dict(bonds_moving_average=1_000_001), "bonds_moving_average"),
    (dict(max_allowed_validators=-1), "max_allowed_validators"),
    (dict(activity_cutoff=70000), "activity_cutoff"),
    (dict(emission=2**64), "emission"),
    (dict(block=-1), "block"),
    (dict(block=1.0), "block"),
])
def test_invalid_arguments_raise_value_error_naming_them(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        yuma.epoch(**{**base(), **change})


def test_root_epoch_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="weights"):
        yuma.root_epoch(stake=[1, 2], weights=[[1, 2]], block_emission=1)
    with pytest.raises(ValueError, match="weights"):
        yuma.root_epoch(stake=[1], weights=[[70000]], block_emission=1)
    with pytest.raises(ValueError, match="rho"):
        yuma.root_epoch(stake=[1], weights=[[1]], rho=-1, block_emission=1)
    with pytest.raises(ValueError, match="block_emission"):
        yuma.root_epoch(stake=[1], weights=[[1]], block_emission=-1)


def test_native_arrays_take_the_direct_path_with_the_same_results_and_errors() -> None:
    # uint64/uint16/bool arrays go straight to the core; everything else through the checked
    # path. Both must agree, and a refusal of the core must still name the argument.
    rng = np.random.default_rng(3)
    n = 6
    args: dict[str, Any] = dict(
        block=50, stake=rng.integers(1, 10**12, n).astype(np.uint64),
        weights=rng.integers(0, 65536, (n, n)).astype(np.uint16),
        bonds=rng.integers(0, 65536, (n, n)).astype(np.uint16),
        last_update=np.full(n, 45, np.uint64), block_at_registration=np.zeros(n, np.uint64),
        validator_permit=np.ones(n, np.bool_), emission=10**9)
    fast = yuma.epoch(**args)
    slow = yuma.epoch(**{k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in args.items()})
    for field in dataclasses.fields(fast):
        assert np.array_equal(getattr(fast, field.name), getattr(slow, field.name)), field.name
    assert fast.incentive.any() and fast.bonds.any()
    wide = np.zeros((n, 2 * n), np.uint16)
    wide[:, ::2] = args["weights"]
    assert np.array_equal(yuma.epoch(**{**args, "weights": wide[:, ::2]}).bonds, fast.bonds)
    with pytest.raises(ValueError, match="last_update"):
        yuma.epoch(**{**args, "last_update": np.full(n + 1, 45, np.uint64)})
    with pytest.raises(ValueError, match="kappa"):
        yuma.epoch(**{**args, "kappa": True})
    with pytest.raises(ValueError, match="kappa"):
        yuma.epoch(**{**args, "kappa": 70_000})
    with pytest.raises(ValueError, match="bonds_moving_average"):
        yuma.epoch(**{**args, "bonds_moving_average": 1_000_001})
