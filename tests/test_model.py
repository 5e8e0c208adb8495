"""The slow Python model (tests/model/) against the worked vectors of docs/ruleset.md §15 and the
examples of the rule text, so that a divergence in the fuzzer points at the engine, not the model.

These tests need no native module.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

import model as m

F = m.I32F32


def fx(x: str | float, t: m.Fixed = F) -> int:
    """A decimal written in a test vector → bits, round to nearest, ties to even (§0.3)."""
    return round(Fraction(str(x)) * t.one)


# ---- §0.3, §1.1, §15.10: arithmetic and halving ---------------------------------------------


def test_consequence_example_of_0_3() -> None:
    tenth = m.I64F64.div(m.I64F64.of(1), m.I64F64.of(10))
    narrowed = m.I64F64.to(tenth, F)
    assert narrowed == 429496729
    assert F.to_int(F.mul(narrowed, F.of(10**9))) == 99_999_999


def test_fixed_division_truncates_toward_zero_and_mul_floors() -> None:
    assert F.div(F.of(-1), F.of(3)) == -(F.one // 3)
    assert F.mul(-1, 1) == -1  # floor of −2^-64 in bits is −1
    assert F.round(F.one // 2) == 1 and F.round(-(F.one // 2)) == -1
    with pytest.raises(m.FixedOverflow):
        F.of(1 << 31)


@pytest.mark.parametrize(
    ("issuance", "emission"),
    [(0, 10**9), (10_500_000 * 10**9, 500_000_000), (15_800_000 * 10**9, 250_000_000),
     (21_000_000 * 10**9, 0), (2**64 - 1, 0)],
)
def test_halving_vectors(issuance: int, emission: int) -> None:
    assert m.block_emission(issuance) == emission


@pytest.mark.parametrize(
    ("start", "emission"),
    [(0, 1_000_000_000), (10_500_000_000_000_000, 500_000_000),
     (15_750_000_000_000_000, 250_000_000), (18_375_000_000_000_000, 125_000_000),
     (19_687_500_000_000_000, 62_500_000), (20_343_750_000_000_000, 31_250_000),
     (20_671_875_000_000_000, 15_625_000), (20_835_937_500_000_000, 7_812_500),
     (20_917_968_750_000_000, 3_906_250), (20_958_984_375_000_000, 1_953_125),
     (20_979_492_187_500_000, 976_562), (20_999_999_960_884_452, 1),
     (20_999_999_980_442_226, 0)],
)
def test_halving_thresholds_table(start: int, emission: int) -> None:
    assert m.block_emission(start) == emission
    if start:
        assert m.block_emission(start - 1) != emission


# ---- §3, §15.8: schedule and adjustment -----------------------------------------------------


@pytest.mark.parametrize(
    ("netuid", "tempo", "block", "expected"),
    [(0, 0, 0, 1000), (0, 1, 0, 0), (1, 1, 0, 1), (0, 1, 1, 1), (1, 1, 1, 0), (0, 1, 2, 0),
     (1, 10, 0, 8), (1, 10, 8, 0)],
)
def test_blocks_until_next_epoch(netuid: int, tempo: int, block: int, expected: int) -> None:
    assert m.blocks_until_next_epoch(netuid, tempo, block) == expected


def test_epoch_due_table_of_3() -> None:
    def due(u: int, t: int) -> list[int]:
        return [b for b in range(1, 1100) if m.blocks_until_next_epoch(u, t, b) == 0][:3]

    assert due(0, 1) == [2, 4, 6]
    assert due(1, 1) == [1, 3, 5]
    assert due(0, 2) == [1, 4, 7]
    assert due(1, 2) == [3, 6, 9]
    assert due(0, 100) == [99, 200, 301]
    assert due(1, 100) == [98, 199, 300]
    assert due(1, 360) == [358, 719, 1080]


def _adjust(reg: int, pow_: int, brn: int, alpha: int = 0) -> tuple[int, int]:
    return m.adjust_registration_terms(
        1000, 10000, reg=reg, pow_=pow_, brn=brn, target=1, alpha=alpha, min_burn=1,
        max_burn=10**12, min_difficulty=1, max_difficulty=10**12)


def test_registration_adjustment_vectors() -> None:
    assert _adjust(2, 0, 2)[0] == 1500
    assert _adjust(2, 0, 2, alpha=(2**64 - 1) // 2)[0] == 1250
    assert _adjust(3, 2, 1) == (1000, 20000)  # A
    assert _adjust(3, 1, 2) == (2000, 10000)  # B
    assert _adjust(0, 0, 0) == (500, 5000)  # E with no registrations: both halve
    # clamps
    assert m.adjust_value(1000, 0, 1, 0, 700, 10**6) == 700
    assert m.adjust_value(1000, 5, 1, 0, 1, 2000) == 2000


# ---- §9.1, §15.9: lock cost -----------------------------------------------------------------


def test_lock_cost_sequence() -> None:
    g = 10**9
    last, last_reg = 100 * g, 0

    def cost(b: int) -> int:
        return m.lock_cost(last, last_reg, b, 100 * g, 2)

    seen = []
    plan = {0: 1, 1: 1, 4: 1, 5: 1, 6: 1, 7: 3}
    for b in range(12):
        seen.append(cost(b))
        for _ in range(plan.get(b, 0)):
            c = cost(b)
            if b == 0:
                continue  # the reference registers at block 0: NetworkLastRegistered stays 0
            last, last_reg = c, b
    assert seen == [100 * g, 100 * g, 150 * g, 100 * g, 100 * g, 150 * g, 225 * g,
                    337_500_000_000, 2025 * g, 1350 * g, 675 * g, 100 * g]
    assert cost(7) == 2700 * g


# ---- §4.3, §15.5–15.6: primitives ------------------------------------------------------------


@pytest.mark.parametrize(
    ("stake", "rows", "kappa", "expected"),
    [
        ([0, 0.75, 0.25, 0], [[0, 0.1, 0], [0, 0.2, 0.4], [0, 0.3, 0.1], [0, 0.4, 0.5]], 0.24,
         [0, 0.3, 0.4]),
        ([0, 0.75, 0.25, 0], [[0, 0.1, 0], [0, 0.2, 0.4], [0, 0.3, 0.1], [0, 0.4, 0.5]], 0.26,
         [0, 0.2, 0.4]),
        ([0, 0.75, 0.25, 0], [[0, 0.1, 0], [0, 0.2, 0.4], [0, 0.3, 0.1], [0, 0.4, 0.5]], 0.76,
         [0, 0.2, 0.1]),
        ([0, 0.3, 0.2, 0.5], [[0, 0.1, 0], [0, 0.2, 0.4], [0, 0.3, 0.1], [0, 0, 0.5]], 0.51,
         [0, 0, 0.4]),
        ([0, 0, 0, 0], [[0, 0.1, 0], [0, 0.2, 0.4], [0, 0.3, 0.1], [0, 0, 0.5]], 0.5, [0, 0, 0]),
    ],
)
def test_weighted_median_vectors(stake: list[float], rows: list[list[float]], kappa: float,
                                 expected: list[float]) -> None:
    a = [fx(x) for x in stake]
    w = [[(j, fx(v)) for j, v in enumerate(r) if v] for r in rows]
    got = m.weighted_median_col(a, w, 3, fx(kappa))
    for g, e in zip(got, expected):
        assert abs(g - fx(e)) <= 1  # "each up to 1 ulp" (the vector's own statement)


@pytest.mark.parametrize(
    ("inp", "out"),
    [
        (["0.000001", "0.000006", "0.000007", "0.0001", "0.001", "0.01", "0.1", "0.2", "0.3",
          "0.4"], [0, 1, 1, 16, 164, 1638, 16384, 32768, 49151, 65535]),
        (["0", "0.5", "1", "1.5", "2", "32768", "32769"], [0, 1, 2, 3, 4, 65533, 65535]),
        (["0", "0.000016", "1"], [0, 1, 65535]),
        (["1e-9", "1e-9"], [65535, 65535]),
    ],
)
def test_vec_max_upscale_vectors(inp: list[str], out: list[int]) -> None:
    assert m.vec_max_upscale_to_u16([fx(x) for x in inp]) == out


def test_vec_max_upscale_extremes_and_u16() -> None:
    assert m.vec_max_upscale_to_u16([0, F.of(1), F.of(32768), F.of(32769), F.hi]) == [0, 0, 1, 1,
                                                                                       65535]
    assert m.upscale_u16([65534]) == [65535]
    assert m.upscale_u16([0, 1, 65534]) == [0, 1, 65535]
    assert m.upscale_u16([32767, 32767]) == [65535, 65535]  # §10.1 example
    assert m.vec_max_upscale_to_u16([]) == []


def test_check_vec_max_limited() -> None:
    assert m.check_vec_max_limited([], 0)
    assert m.check_vec_max_limited([65535, 65535], 32768)
    assert not m.check_vec_max_limited([65535, 65535], 32767)
    assert m.check_vec_max_limited([0, 0], 0)


def test_is_topk_ties_lower_uid_loses() -> None:
    assert m.is_topk([5, 5, 5], 2) == [False, True, True]
    assert m.is_topk([3, 1, 2], 1) == [True, False, False]
    assert m.is_topk([1, 2], 5) == [True, True]
    assert m.is_topk([1, 2], 0) == [False, False]


# ---- §4, §15.1–15.3: the subnet epoch --------------------------------------------------------


def _epoch(b: int, stake: list[int], weights: list[list[tuple[int, int]]],
           bonds: list[list[tuple[int, int]]], lu: list[int], permits: list[bool],
           k: int) -> m.EpochResult:
    n = len(stake)
    return m.yuma_epoch(b, stake, weights, bonds, lu, [0] * n, permits, kappa=32767,
                        bonds_moving_average=900_000, max_allowed_validators=k,
                        activity_cutoff=5000, rao_emission=10**9)


def test_epoch_one_neuron() -> None:
    r = _epoch(1, [1], [[(0, 65535)]], [[]], [1], [False], 100)
    assert r.emission == r.validator == [10**9] and r.server == [0]
    assert r.rank == r.trust == r.consensus == r.incentive == r.dividends == [0]
    assert r.validator_trust == [0] and r.pruning_scores == [65535]
    assert r.validator_permit == [True] and r.bonds == [[]]


def test_epoch_ten_self_weights() -> None:
    r = _epoch(1, [1] * 10, [[(i, 65535)] for i in range(10)], [[] for _ in range(10)], [1] * 10,
               [False] * 10, 100)
    assert r.emission == r.validator == [99_999_999] * 10 and r.server == [0] * 10
    assert r.pruning_scores == [65535] * 10 and r.rank == [0] * 10


def test_epoch_bonds_sequence() -> None:
    stake = [1, 2, 3, 4, 0, 0, 0, 0]
    empty: list[list[tuple[int, int]]] = [[] for _ in range(8)]
    r0 = _epoch(0, stake, empty, empty, [0] * 8, [False] * 8, 8)
    assert r0.emission == [99999999, 199999999, 299999999, 399999999, 0, 0, 0, 0]
    assert r0.validator_permit == [True] * 8 and r0.bonds == [[]] * 8
    row = [(4, 16383), (5, 32767), (6, 49149), (7, 65535)]
    weights = [list(row) for _ in range(4)] + [[] for _ in range(4)]
    bonds = [b if b is not None else [] for b in r0.bonds]
    lu = [1, 1, 1, 1, 0, 0, 0, 0]
    r1 = _epoch(1, stake, weights, bonds, lu, r0.validator_permit, 8)
    assert r1.consensus[4:] == [6553, 13107, 19660, 26214]
    assert r1.incentive == [0, 0, 0, 0, 6553, 13107, 19660, 26214]
    assert r1.dividends == [6553, 13106, 19660, 26214, 0, 0, 0, 0]
    assert r1.emission == [49999998, 99999999, 150000000, 200000001, 49998779, 100000610,
                           149996337, 200004272]
    bonds = [b if b is not None else bonds[i] for i, b in enumerate(r1.bonds)]
    assert [dict(bonds[i])[4] for i in range(4)] == [16383, 32767, 49151, 65535]
    weights[0] = [(0, 65535)]
    r2 = _epoch(2, stake, weights, bonds, lu, r1.validator_permit, 8)
    assert r2.emission == [44998351, 101110561, 151667215, 202223870, 49998779, 100000610,
                           149996337, 200004272]
    bonds = [b if b is not None else bonds[i] for i, b in enumerate(r2.bonds)]
    assert [dict(bonds[i])[4] for i in range(4)] == [14582, 32767, 49151, 65535]


def test_ema_alpha_constant() -> None:
    mm = m.I64F64.div(m.I64F64.of(900_000), m.I64F64.of(1_000_000))
    assert m.I64F64.to(mm, F) == 3_865_470_566
    assert F.one - 3_865_470_566 == fx("0.10000000009313226")


def test_kappa_constant() -> None:
    assert F.div(F.of(32767), F.of(65535)) == 2_147_450_879


# ---- §5: root epoch --------------------------------------------------------------------------


def test_exp_special_cases_and_overflow() -> None:
    f = m.I64F64
    assert m.fixed_exp(0) == f.one
    assert m.fixed_exp(f.one) == 22_802_600 << 41
    e2 = m.fixed_exp(f.of(2))
    assert abs(e2 / f.one - 7.38905609893065) < 1e-12  # sanity only: exact bits are by rule
    assert m.fixed_exp(-f.of(2)) == f.div(f.one, e2)
    with pytest.raises(m.ExpOverflow):
        m.fixed_exp(f.of(60))


def test_root_epoch_example_of_15_9() -> None:
    netuids = list(range(11))
    rows = [[(k, 65535) for k in range(i)] for i in range(10)]
    out = m.root_epoch_values([1000] * 10, rows, netuids, 32767, 30, 10**9)
    assert isinstance(out, list)
    assert out[9] == 0 and out[10] == 0
    assert all(out[k] > out[k + 1] for k in range(8))
    assert sum(out) <= 10**9


def test_root_epoch_aborts() -> None:
    assert m.root_epoch_values([0, 0], [[(0, 1)], []], [0], 32767, 10, 10**9) == "zero_stake"
    assert m.root_epoch_values([1], [[(0, 65535)]], [0, 1], 0, 65535, 10**9) == "exp_overflow"


# ---- §6: owner cut and delegation -------------------------------------------------------------


@pytest.mark.parametrize(("e", "owner", "pending"), [(10**9, 179_995_422, 820_004_577), (1, 0, 0),
                                                     (246_922_263, 44_444_877, 202_477_385)])
def test_owner_cut(e: int, owner: int, pending: int) -> None:
    acct = bytes(32)
    mdl = m.Model({acct: 1}, acct)
    mdl.added.add(1)
    mdl.neurons[1] = m.Neurons()
    mdl.params[1] = dict(m.USER_PARAMS, tempo=0)
    mdl.subnet_owner[1] = b"\x01" * 32
    mdl.emission_values[1] = e
    mdl.block_step(1)
    assert mdl.free.get(b"\x01" * 32, 0) == owner
    assert mdl.pending_emission[1] == pending


def _delegation_model(take0: int) -> tuple[m.Model, bytes, bytes, bytes, bytes]:
    c0, c1, h0, h1 = (bytes([i]) * 32 for i in (1, 2, 3, 4))
    mdl = m.Model({}, c0)
    mdl.owner.update({h0: c0, h1: c1})
    mdl.delegates.update({h0: take0, h1: 10})
    mdl.stake = {h0: {c0: 200, c1: 300}, h1: {c0: 200, c1: 200}}
    return mdl, c0, c1, h0, h1


def test_delegation_vectors() -> None:
    mdl, c0, c1, h0, h1 = _delegation_model(10)
    mdl.credit(h0, 0, 1000)
    mdl.credit(h1, 0, 1000)
    assert mdl.stake[h0] == {c0: 601, c1: 899}
    assert mdl.stake[h1] == {c0: 700, c1: 700}
    assert mdl.total_stake == 2900
    mdl, c0, c1, h0, _ = _delegation_model(11_796)
    mdl.credit(h0, 0, 1000)
    assert mdl.stake[h0] == {c0: 708, c1: 792}
    mdl, c0, _, _, _ = _delegation_model(10)
    h = b"\x09" * 32
    mdl.owner[h] = c0
    mdl.stake[h] = {c0: 100}
    mdl.credit(h, 0, 100)
    assert mdl.stake[h] == {c0: 200}


# ---- transactions: a few hand-checked behaviours of the model itself --------------------------


class _T:
    """A duck-typed transaction for the model (no taostate import)."""

    def __init__(self, name: str, **kw: object) -> None:
        self.__class__ = type(name, (_T,), {})
        self.__dict__.update(kw)


def test_transfer_ed_rules_and_atomicity() -> None:
    a, b, c = (bytes([i]) * 32 for i in (1, 2, 3))
    mdl = m.Model({a: 1000, b: 10}, a)
    with pytest.raises(m.Rejected, match="BalanceBelowExistentialDeposit"):
        mdl.apply(_T("Transfer", origin=a, dest=c, amount=499))
    with pytest.raises(m.Rejected, match="BalanceBelowExistentialDeposit"):
        mdl.apply(_T("Transfer", origin=a, dest=c, amount=501))  # leaves 499
    with pytest.raises(m.Rejected, match="InsufficientBalance"):
        mdl.apply(_T("Transfer", origin=b, dest=c, amount=11))
    mdl.apply(_T("Transfer", origin=a, dest=b, amount=490))  # b reaches 500, a keeps 510
    assert (mdl.free[a], mdl.free[b]) == (510, 500)
    mdl.apply(_T("Transfer", origin=a, dest=b, amount=0))
    assert mdl.total_issuance == mdl.total_balance == 1010


def test_register_network_and_neurons() -> None:
    a, h = b"\x01" * 32, b"\x02" * 32
    mdl = m.Model({a: 10**13}, a, {"network_rate_limit": 0})
    mdl.apply(_T("RegisterNetwork", origin=a))
    assert mdl.subnets() == [0, 1] and mdl.subnet_locked[1] == 10**12
    mdl.apply(_T("BurnedRegister", origin=a, netuid=1, hotkey=h))
    assert mdl.uid(1, h) == 0 and mdl.owner[h] == a
    assert mdl.total_issuance == 10**13 - 10**9  # Burn keeps its default 10^9 (§9.3)
    assert mdl.p(1, "rao_recycled_for_registration") == 10**9
    assert mdl.total_issuance == mdl.total_balance + mdl.total_stake + mdl.total_locked


# ---- §8.3, §15.13: the POW seal ------------------------------------------------------------


def test_keccak_and_seal_vectors() -> None:
    assert m.keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
    hot = b"\x01" * 32
    assert m.keccak256(bytes(32) + hot).hex() == (
        "d5f4f7e1d989848480236fb0a5f808d5877abf778364ae50845234dd6c1e80fc")
    assert m.seal(bytes(32), 0, hot).hex() == (
        "0c01140c2140983c69a6bf1c009d2f6b66ca9e60cf53b7783e5cd1ac070c5d46")
    assert m.seal(bytes(32), 2535, hot).hex() == (
        "003e3837aa8821c287b31a16ed677fe0a11f11568302948b0dbaacf76b5a3b87")


def test_seal_difficulty_claims_of_15_13() -> None:
    hot = b"\x01" * 32

    def ok(nonce: int, difficulty: int) -> bool:
        return int.from_bytes(m.seal(bytes(32), nonce, hot), "big") * difficulty < 2**256

    assert ok(0, 21) and not ok(0, 22)
    assert ok(2535, 1000) and not any(ok(n, 1000) for n in range(2535))
