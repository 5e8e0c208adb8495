"""A slow, plainly written Python model of ruleset finney-2023 (docs/ruleset.md), for differential fuzzing.

Written from docs/ruleset.md alone (not from the Rust core). Everything is Python integers:

* fixed-point values are their two's-complement ``bits`` (an ``int``); each type of docs/ruleset.md
  §0.3 is a :class:`Fixed` with helpers ``mul`` (floor), ``div`` (truncation toward zero),
  conversions (floor when narrowing), ``to_int`` (floor) and ``round`` (ties away from zero);
* accounts are their 32 raw bytes;
* the state is a handful of dicts named after docs/ruleset.md §0.6.

Scope: balances (§2), staking and delegation (§7), burned/POW/sudo/root registration with
replacement, pruning and the senate (§8; the POW seal with a plain-Python Keccak-256 and the block
hashes H(k) computed from the records the model itself builds), subnets (§9), the hyperparameter setter and
`sudo_set_key` (§13.3), the calls that always fail (§13.4), weights (§10), serving (§11) and the
whole block step (§3: A1 adjustments, A2 root epoch §5, A3 drain §6.3, A4 owner cut and subnet
epoch §4), and governance (§12: triumvirate and senate membership, proposals, votes, close with
the Sudo dispatch of an approved transaction). :class:`OutOfScope` is raised for anything else.

Transactions are duck-typed: :meth:`Model.apply` reads ``type(tx).__name__`` and the attributes of
the ruleset call (``origin``, ``hotkey``, ``amount``…); accounts are anything ``bytes()`` accepts.
So the model works on ``taostate.tx`` objects without importing taostate.
"""

from __future__ import annotations

import copy
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import msgpack  # type: ignore[import-untyped]

U16_MAX = 0xFFFF
U32_MAX = 0xFFFF_FFFF
U64_MAX = 0xFFFF_FFFF_FFFF_FFFF
S_MAX = 21_000_000_000_000_000
ED = 500
SENATE_MAX = 12
ROOT_DELEGATE_TAKE = 11_796
INITIAL_BLOCK_EMISSION = 1_000_000_000
INITIAL_LAST_LOCK_COST = 1_000_000_000_000


# --------------------------------------------------------------------------------------------- #
# Fixed point (docs/ruleset.md §0.3)


class FixedOverflow(ArithmeticError):
    """A fixed-point result outside the range of its type."""


class Fixed:
    """One fixed-point type: ``frac`` fractional bits out of ``total`` (signed two's complement).

    Values are plain ints holding the ``bits``; every operation checks the result's range.
    """

    def __init__(self, name: str, total: int, frac: int) -> None:
        self.name = name
        self.total = total
        self.frac = frac
        self.one = 1 << frac
        self.lo = -(1 << (total - 1))
        self.hi = (1 << (total - 1)) - 1

    def check(self, bits: int) -> int:
        if not self.lo <= bits <= self.hi:
            raise FixedOverflow(f"{self.name} overflow: {bits}")
        return bits

    def of(self, k: int) -> int:
        """From an integer (exact)."""
        return self.check(k << self.frac)

    def mul(self, a: int, b: int) -> int:
        """``⌊a·b / 2^f⌋`` (Python's >> floors toward −∞)."""
        return self.check((a * b) >> self.frac)

    def div(self, a: int, b: int) -> int:
        """``trunc(a·2^f / b)`` toward zero; b ≠ 0 (every division of the rules is guarded)."""
        if b == 0:
            raise ZeroDivisionError(f"{self.name} division by zero")
        num = a << self.frac
        q = abs(num) // abs(b)
        return self.check(q if (num >= 0) == (b > 0) else -q)

    def to_int(self, a: int) -> int:
        """``⌊value⌋`` (only applied to non-negative values)."""
        assert a >= 0, f"to_int of a negative {self.name}"
        return a >> self.frac

    def round(self, a: int) -> int:
        """Nearest integer, ties away from zero."""
        half = 1 << (self.frac - 1)
        if a >= 0:
            return (a + half) >> self.frac
        return -((-a + half) >> self.frac)

    def to(self, a: int, other: Fixed) -> int:
        """Convert to ``other``: floor when dropping fractional bits, exact otherwise."""
        if other.frac < self.frac:
            return other.check(a >> (self.frac - other.frac))
        return other.check(a << (other.frac - self.frac))

    def normalise(self, xs: list[int]) -> list[int]:
        """If Σx ≠ 0 every element ⊘ Σx, else unchanged (docs/ruleset.md §4.3)."""
        s = sum(xs)
        if s == 0:
            return list(xs)
        return [self.div(x, s) for x in xs]


I32F32 = Fixed("I32F32", 64, 32)
I64F64 = Fixed("I64F64", 128, 64)
I96F32 = Fixed("I96F32", 128, 32)
I110F18 = Fixed("I110F18", 128, 18)


def to_u16_proportion(x: int) -> int:
    """``to_u16(x ⊗ 65535)`` for an I32F32 value x ∈ [0, 1] (docs/ruleset.md §0.2)."""
    v = I32F32.to_int(I32F32.mul(x, I32F32.of(65535)))
    assert 0 <= v <= U16_MAX, v
    return v


# --------------------------------------------------------------------------------------------- #
# Pure rules


def block_emission(issuance: int) -> int:
    """docs/ruleset.md §1.1 in I96F32, with the reference's log2 loop."""
    if issuance >= S_MAX:
        return 0
    q = I96F32.div(I96F32.of(issuance), I96F32.of(S_MAX))
    d = I96F32.one - q
    r = I96F32.div(I96F32.one, d)
    x = r
    h = 0
    while x >= 2 * I96F32.one:
        x = (x >> 1) + (x & 1)
        h += 1
    inv = I96F32.div(I96F32.one, I96F32.of(1 << h))
    return I96F32.to_int(I96F32.mul(inv, I96F32.of(1_000_000_000)))


def blocks_until_next_epoch(netuid: int, tempo: int, block: int) -> int:
    """docs/ruleset.md §3 epoch schedule."""
    if tempo == 0:
        return 1000
    return tempo - ((block + netuid + 1) % (tempo + 1))


def lock_cost(last_lock: int, last_registered: int, block: int, min_lock: int,
              reduction_interval: int) -> int:
    """docs/ruleset.md §9.1 with saturating ``·`` and ``⊖``."""
    mult = 1 if last_registered == 0 else 2
    doubled = min(mult * last_lock, U64_MAX)
    since = max(block - last_registered, 0)
    reduction = min((last_lock // reduction_interval) * since, U64_MAX)
    return max(min_lock, max(doubled - reduction, 0))


def adjust_value(x: int, reg: int, target: int, alpha: int, lo: int, hi: int) -> int:
    """docs/ruleset.md §8.8 ``adjust(x, min, max)`` in I110F18."""
    f = I110F18
    upd = f.div(f.mul(f.of(x), f.of(reg + target)), f.of(2 * target))
    a = f.div(f.of(alpha), f.of(U64_MAX))
    nxt = f.mul(a, f.of(x)) + f.mul(f.one - a, upd)
    if nxt >= f.of(hi):
        return hi
    if nxt <= f.of(lo):
        return lo
    return f.to_int(nxt)


def adjust_registration_terms(burn: int, difficulty: int, *, reg: int, pow_: int, brn: int,
                              target: int, alpha: int, min_burn: int, max_burn: int,
                              min_difficulty: int, max_difficulty: int) -> tuple[int, int]:
    """docs/ruleset.md §8.8 cases A–F: (new burn, new difficulty)."""
    adj_burn = adj_diff = False
    if reg > target:
        if pow_ > brn:
            adj_diff = True  # A
        elif pow_ < brn:
            adj_burn = True  # B
        else:
            adj_burn = adj_diff = True  # F
    else:
        if pow_ > brn:
            adj_burn = True  # C
        elif pow_ < brn:
            adj_diff = True  # D
        else:
            adj_burn = adj_diff = True  # E
    if adj_burn:
        burn = adjust_value(burn, reg, target, alpha, min_burn, max_burn)
    if adj_diff:
        difficulty = adjust_value(difficulty, reg, target, alpha, min_difficulty, max_difficulty)
    return burn, difficulty


def vec_max_upscale_to_u16(v: list[int]) -> list[int]:
    """docs/ruleset.md §4.3 on I32F32 bits."""
    f = I32F32
    if not v:
        return []
    m = max(v)
    k = f.of(65535)
    if m == 0:
        return [f.to_int(f.mul(x, k)) for x in v]
    if m > f.of(32768):
        r = f.div(k, m)
        return [f.round(f.mul(x, r)) for x in v]
    return [f.round(f.div(f.mul(x, k), m)) for x in v]


def upscale_u16(values: list[int]) -> list[int]:
    """vec_max_upscale_to_u16 of a u16 vector (each w first becomes I32F32(w))."""
    return vec_max_upscale_to_u16([I32F32.of(w) for w in values])


def check_vec_max_limited(w: list[int], limit: int) -> bool:
    """docs/ruleset.md §4.3."""
    if not w:
        return True
    x = I32F32.normalise([I32F32.of(v) for v in w])
    return max(x) <= I32F32.div(I32F32.of(limit), I32F32.of(65535))


def is_topk(s: list[int], k: int) -> list[bool]:
    n = len(s)
    if n <= k:
        return [True] * n
    order = sorted(range(n), key=lambda i: s[i])  # stable: equal values keep ascending uid
    out = [True] * n
    for i in order[: n - k]:
        out[i] = False
    return out


def _wm(idx: list[int], lo: int, hi: int, sc: list[int], st: list[int], minority: int) -> int:
    if not idx:
        return 0
    if len(idx) == 1:
        return sc[idx[0]]
    pivot = sc[idx[len(idx) // 2]]
    lower: list[int] = []
    upper: list[int] = []
    low_sum = up_sum = 0
    for k in idx:
        if sc[k] < pivot:
            lower.append(k)
            low_sum += st[k]
        elif sc[k] > pivot:
            upper.append(k)
            up_sum += st[k]
    if lo + low_sum <= minority < hi - up_sum:
        return pivot
    if minority < lo + low_sum and lower:
        return _wm(lower, lo, lo + low_sum, sc, st, minority)
    if hi - up_sum <= minority and upper:
        return _wm(upper, hi - up_sum, hi, sc, st, minority)
    return pivot


def weighted_median_col(a: list[int], w: list[list[tuple[int, int]]], n: int,
                        kappa: int) -> list[int]:
    """docs/ruleset.md §4.3 on I32F32 bits; ``w`` sparse rows of (column, bits), one per entry of
    ``a``; ``n`` columns."""
    kept = [r for r in range(len(a)) if a[r] > 0]
    out = [0] * n
    if not kept:
        return out
    st = I32F32.normalise([a[r] for r in kept])
    ss = sum(st)
    minority = ss - kappa
    rows = [dict(w[r]) for r in kept]
    idx = list(range(len(kept)))
    for c in range(n):
        sc = [row.get(c, 0) for row in rows]
        out[c] = _wm(idx, 0, ss, sc, st, minority)
    return out


def _col_normalise(rows: list[list[tuple[int, int]]], n: int) -> list[list[tuple[int, int]]]:
    sums = [0] * n
    for row in rows:
        for j, v in row:
            sums[j] += v
    return [[(j, I32F32.div(v, sums[j]) if sums[j] != 0 else v) for j, v in row] for row in rows]


@dataclass
class EpochResult:
    active: list[bool]
    emission: list[int]
    rank: list[int]
    trust: list[int]
    consensus: list[int]
    incentive: list[int]
    dividends: list[int]
    validator_trust: list[int]
    pruning_scores: list[int]
    validator_permit: list[bool]
    bonds: list[list[tuple[int, int]] | None]  # None = row left untouched
    server: list[int]
    validator: list[int]


def yuma_epoch(block: int, stake: list[int], weights: list[list[tuple[int, int]]],
               bonds: list[list[tuple[int, int]]], last_update: list[int],
               block_at_registration: list[int], permit_prev: list[bool], *, kappa: int,
               bonds_moving_average: int, max_allowed_validators: int, activity_cutoff: int,
               rao_emission: int) -> EpochResult:
    """The subnet epoch of docs/ruleset.md §4.2, step by step, on I32F32/I64F64/I96F32 bits."""
    f = I32F32
    n = len(stake)
    # 1. activity
    active = [not (last_update[i] + activity_cutoff < block) for i in range(n)]
    # 2. stake
    s64 = [I64F64.of(x) for x in stake]
    tot64 = sum(s64)
    if tot64 != 0:
        s64 = [I64F64.div(x, tot64) for x in s64]
    s = [I64F64.to(x, f) for x in s64]
    # 3. new permits
    permit_new = is_topk(s, max_allowed_validators)
    # 4. active stake
    a = [s[i] if active[i] and permit_prev[i] else 0 for i in range(n)]
    a = f.normalise(a)
    # 5. weights
    w: list[list[tuple[int, int]]] = []
    for i in range(n):
        row: list[tuple[int, int]] = []
        if permit_prev[i]:
            for j, v in weights[i]:
                assert j < n, "a subnet weight names a uid ≥ n"
                if j == i:
                    continue
                if last_update[i] <= block_at_registration[j]:
                    continue
                row.append((j, f.of(v)))
            rs = sum(v for _, v in row)
            if rs > 0:
                row = [(j, f.div(v, rs)) for j, v in row]
        w.append(row)
    # 6. pre-ranks
    r0 = [0] * n
    for i in range(n):
        for j, v in w[i]:
            r0[j] += f.mul(a[i], v)
    # 7. consensus
    kap = f.div(f.of(kappa), f.of(65535))
    cons = weighted_median_col(a, w, n, kap)
    # 8. clip
    wc: list[list[tuple[int, int]]] = []
    for i in range(n):
        row = []
        for j, v in w[i]:
            if v > cons[j]:
                if cons[j] > 0:
                    row.append((j, cons[j]))
            else:
                row.append((j, v))
        wc.append(row)
    # 9. validator trust
    vtrust = [sum(v for _, v in wc[i]) for i in range(n)]
    # 10. ranks, trust, incentive
    r = [0] * n
    for i in range(n):
        for j, v in wc[i]:
            r[j] += f.mul(a[i], v)
    trust = [f.div(r[j], r0[j]) if r0[j] != 0 else 0 for j in range(n)]
    r = f.normalise(r)
    inc = list(r)
    # 11. old bonds
    ob: list[list[tuple[int, int]]] = []
    for i in range(n):
        row = []
        for j, beta in bonds[i]:
            assert j < n, "a bond names a uid ≥ n"
            if last_update[i] <= block_at_registration[j]:
                continue
            row.append((j, f.of(beta)))
        ob.append(row)
    ob = _col_normalise(ob, n)
    # 12. bond delta
    db = [[(j, f.mul(v, a[i])) for j, v in wc[i]] for i in range(n)]
    db = _col_normalise(db, n)
    # 13. EMA
    m = I64F64.div(I64F64.of(bonds_moving_average), I64F64.of(1_000_000))
    alpha = f.one - I64F64.to(m, f)
    alpha_p = f.one - alpha
    nb: list[list[tuple[int, int]]] = []
    for i in range(n):
        acc = [0] * n
        for j, v in db[i]:
            acc[j] += f.mul(alpha, v)
        for j, v in ob[i]:
            acc[j] += f.mul(alpha_p, v)
        nb.append([(j, acc[j]) for j in range(n) if acc[j] > 0])
    nb = _col_normalise(nb, n)
    # 14. dividends
    div = [0] * n
    for i in range(n):
        for j, v in nb[i]:
            div[i] += f.mul(inc[j], v)
    div = f.normalise(div)
    # 15. emission split
    total = sum(inc[i] + div[i] for i in range(n))
    if total != 0:
        sigma = [f.div(x, total) for x in inc]
        nu = [f.div(x, total) for x in div]
    else:
        sigma = list(inc)
        nu = list(div)
    eps = f.normalise([inc[i] + div[i] for i in range(n)])
    if total == 0:
        fb = s if sum(a) == 0 else a
        nu = list(fb)
        eps = list(fb)
    # 16. to rao (I32F32 → I96F32 is exact)
    def rao(x: int) -> int:
        return I96F32.to_int(I96F32.mul(f.to(x, I96F32), I96F32.of(rao_emission)))

    server = [rao(x) for x in sigma]
    validator = [rao(x) for x in nu]
    emission = [rao(x) for x in eps]
    assert sum(server) + sum(validator) <= rao_emission
    # 17. pruning scores
    pruning = vec_max_upscale_to_u16(eps)
    # 19. bond storage: column max-upscale, then per-uid replace / clear / keep
    colmax = [0] * n
    for row in nb:
        for j, v in row:
            colmax[j] = max(colmax[j], v)
    up = [[(j, f.div(v, colmax[j]) if colmax[j] != 0 else v) for j, v in row] for row in nb]
    bonds_out: list[list[tuple[int, int]] | None] = []
    for i in range(n):
        if permit_new[i]:
            bonds_out.append([(j, to_u16_proportion(v)) for j, v in up[i]])
        elif permit_prev[i]:
            bonds_out.append([])
        else:
            bonds_out.append(None)
    return EpochResult(
        active=active, emission=emission,
        rank=[to_u16_proportion(x) for x in r], trust=[to_u16_proportion(x) for x in trust],
        consensus=[to_u16_proportion(x) for x in cons], incentive=[to_u16_proportion(x) for x in inc],
        dividends=[to_u16_proportion(x) for x in div],
        validator_trust=[to_u16_proportion(x) for x in vtrust],
        pruning_scores=pruning, validator_permit=permit_new, bonds=bonds_out,
        server=server, validator=validator,
    )


class ExpOverflow(ArithmeticError):
    pass


E23 = 22_802_600  # e truncated to 23 fractional bits, as bits over 2^23


def fixed_exp(x: int) -> int:
    """docs/ruleset.md §5.2: the series exp of substrate-fixed on I64F64 bits; ExpOverflow on
    failure."""
    f = I64F64
    lim = 1 << 127  # |value| ≥ 2^63 ⇔ |bits| ≥ 2^127

    def ok(v: int) -> int:
        if not -lim < v < lim:
            raise ExpOverflow
        return v

    if x == 0:
        return f.one
    if x == f.one:
        return E23 << (64 - 23)
    neg = x < 0
    y = -x if neg else x
    result = ok(y + f.one)
    term = y
    for i in range(2, 64):
        term = ok((term * y) >> 64)
        term = ok(_trunc_div(term << 64, f.of(i)))
        result = ok(result + term)
    if neg:
        result = ok(_trunc_div(f.one << 64, result))
    return result


def _trunc_div(num: int, den: int) -> int:
    q = abs(num) // abs(den)
    return q if (num >= 0) == (den > 0) else -q


def root_epoch_values(stakes: list[int], rows: list[list[tuple[int, int]]], netuids: list[int],
                      kappa: int, rho: int, emission: int) -> list[int] | str:
    """docs/ruleset.md §5.1 steps 4–11: EmissionValues per netuid of ``netuids`` (ascending), or the
    abort reason (``"zero_stake"``, ``"exp_overflow"``)."""
    f = I64F64
    k = len(netuids)
    col = {u: c for c, u in enumerate(netuids)}
    s = f.normalise([f.of(x) for x in stakes])
    w = [[0] * k for _ in rows]
    for i, row in enumerate(rows):
        for u, v in row:
            if u in col:
                w[i][col[u]] = f.of(v)
    rank = [0] * k
    trust = [0] * k
    for i in range(len(rows)):
        for c in range(k):
            rank[c] += f.mul(s[i], w[i][c])
            if w[i][c] > 0:
                trust[c] += s[i]
    tot = sum(s)
    if tot == 0:
        return "zero_stake"
    trust = [f.div(t, tot) for t in trust]
    kap = I32F32.to(I32F32.div(I32F32.of(kappa), I32F32.of(65535)), f)
    r = f.of(rho)
    ws: list[int] = []
    for c in range(k):
        x = f.mul(trust[c] - kap, r)
        try:
            e = fixed_exp(-x)
        except ExpOverflow:
            return "exp_overflow"
        cc = f.div(f.one, f.one + e)
        ws.append(f.mul(cc, rank[c]))
    ws = f.normalise(ws)
    be = f.of(emission)
    return [f.to_int(f.mul(x, be)) for x in ws]


# --------------------------------------------------------------------------------------------- #
# POW seal (docs/ruleset.md §8.3): the original Keccak-256 (not NIST SHA3), in plain Python

_KECCAK_RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]
_KECCAK_ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61],
               [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]  # r[x][y]
_MASK64 = (1 << 64) - 1


def _rol(v: int, n: int) -> int:
    return ((v << n) | (v >> (64 - n))) & _MASK64 if n else v


def _keccak_f(a: list[list[int]]) -> list[list[int]]:
    for rc in _KECCAK_RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rol(a[x][y], _KECCAK_ROT[x][y])
        a = [[b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y]) for y in range(5)]
             for x in range(5)]
        a[0][0] ^= rc
    return a


def keccak256(data: bytes) -> bytes:
    rate = 136
    msg = bytearray(data)
    msg.append(0x01)
    while len(msg) % rate:
        msg.append(0)
    msg[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(msg), rate):
        for i in range(rate // 8):
            a[i % 5][i // 5] ^= int.from_bytes(msg[off + 8 * i: off + 8 * i + 8], "little")
        a = _keccak_f(a)
    return b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))


def seal(block_hash: bytes, nonce: int, hotkey: bytes) -> bytes:
    """``Keccak-256(SHA-256(nonce_le_8 ‖ Keccak-256(H ‖ hotkey)))``."""
    pre = keccak256(block_hash + hotkey)
    return keccak256(hashlib.sha256(nonce.to_bytes(8, "little") + pre).digest())


def blake2b_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


# --------------------------------------------------------------------------------------------- #
# Parameters (docs/ruleset.md §13)

# name: (type, Default, User (after init_new_network), who)   who: "S" Sudo, "O" OwnerOrSudo
SUBNET_PARAMS: dict[str, tuple[str, int | bool, str]] = {
    "tempo": ("u16", 99, "S"),
    "kappa": ("u16", 32_767, "S"),
    "rho": ("u16", 10, "S"),
    "bonds_moving_average": ("u64", 900_000, "S"),
    "max_allowed_uids": ("u16", 4_096, "S"),
    "max_allowed_validators": ("u16", 128, "S"),
    "min_allowed_weights": ("u16", 1_024, "O"),
    "max_weights_limit": ("u16", 1_000, "O"),
    "activity_cutoff": ("u16", 5_000, "O"),
    "immunity_period": ("u16", 4_096, "O"),
    "weights_set_rate_limit": ("u64", 100, "O"),
    "weights_version_key": ("u64", 0, "O"),
    "serving_rate_limit": ("u64", 50, "O"),
    "max_registrations_per_block": ("u16", 1, "S"),
    "target_registrations_per_interval": ("u16", 2, "S"),
    "adjustment_interval": ("u16", 100, "S"),
    "adjustment_alpha": ("u64", 0, "S"),
    "min_burn": ("u64", 1_000_000_000, "S"),
    "max_burn": ("u64", 100_000_000_000, "S"),
    "difficulty": ("u64", 10_000_000, "S"),
    "min_difficulty": ("u64", 10_000_000, "S"),
    "max_difficulty": ("u64", U64_MAX // 4, "S"),
    "network_registration_allowed": ("bool", False, "S"),
    "network_pow_registration_allowed": ("bool", False, "S"),
    "validator_prune_len": ("u64", 1, "S"),
    "scaling_law_power": ("u16", 50, "S"),
    "rao_recycled_for_registration": ("u64", 0, "S"),
}
# Stored per-subnet values that are not settable but live beside the parameters.
SUBNET_STATE_DEFAULTS: dict[str, int] = {"burn": 1_000_000_000}
NO_EXISTENCE_CHECK = {"network_registration_allowed", "network_pow_registration_allowed",
                      "serving_rate_limit"}
USER_PARAMS: dict[str, int | bool] = {
    "tempo": 360, "network_registration_allowed": True, "max_allowed_uids": 256,
    "max_allowed_validators": 64, "min_allowed_weights": 1, "max_weights_limit": 65_535,
    "adjustment_interval": 360, "target_registrations_per_interval": 1, "adjustment_alpha": 58_000,
    "immunity_period": 5_000, "min_burn": 1, "min_difficulty": U64_MAX, "max_difficulty": U64_MAX,
}
ROOT_PARAMS: dict[str, int | bool] = {
    "tempo": 100, "max_allowed_uids": 64, "max_allowed_validators": 64, "min_allowed_weights": 0,
    "max_weights_limit": 65_535, "network_registration_allowed": True,
    "target_registrations_per_interval": 1,
}
RESET_ON_REMOVE = ("tempo", "kappa", "difficulty", "max_allowed_uids", "immunity_period",
                   "activity_cutoff", "max_weights_limit", "min_allowed_weights")

GLOBAL_PARAMS: dict[str, tuple[str, int]] = {
    "default_take": ("u16", 11_796),
    "tx_rate_limit": ("u64", 1_000),
    "subnet_owner_cut": ("u16", 11_796),
    "network_min_lock_cost": ("u64", 1_000_000_000_000),
    "network_lock_reduction_interval": ("u64", 100_800),
    "network_rate_limit": ("u64", 7_200),
    "network_immunity_period": ("u64", 50_400),
    "subnet_limit": ("u16", 12),
}

U16_NEURON_VECTORS = ("rank", "trust", "consensus", "incentive", "dividends", "validator_trust",
                      "pruning_scores")


def _fits(kind: str, value: int | bool) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    return 0 <= value <= (U16_MAX if kind == "u16" else U64_MAX)


# --------------------------------------------------------------------------------------------- #
# The state machine


class Rejected(Exception):
    """A transaction the rules refuse; ``code`` is the docs/ruleset.md §14 error name."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class OutOfScope(Exception):
    """A transaction the model does not implement (POW register, governance)."""


class FatalEngineError(Exception):
    """A condition docs/ruleset.md calls a fatal engine error (e.g. a checked credit
    overflowing)."""


@dataclass
class Neurons:
    """Per-subnet neuron state that `remove` deletes (docs/ruleset.md §9.4)."""

    keys: list[bytes] = field(default_factory=list)
    uids: dict[bytes, int] = field(default_factory=dict)
    weights: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    bonds: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    active: list[bool] = field(default_factory=list)
    rank: list[int] = field(default_factory=list)
    trust: list[int] = field(default_factory=list)
    consensus: list[int] = field(default_factory=list)
    incentive: list[int] = field(default_factory=list)
    dividends: list[int] = field(default_factory=list)
    validator_trust: list[int] = field(default_factory=list)
    pruning_scores: list[int] = field(default_factory=list)
    emission: list[int] = field(default_factory=list)
    last_update: list[int] = field(default_factory=list)
    validator_permit: list[bool] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.keys)


class Model:
    """The whole chain state of docs/ruleset.md §0.6 and its transitions."""

    def __init__(self, balances: dict[bytes, int], sudo: bytes,
                 params: dict[str, int] | None = None, genesis_record: bytes | None = None,
                 triumvirate: list[bytes] | None = None) -> None:
        self.free: dict[bytes, int] = {}
        for a, v in balances.items():
            if v:
                self.free[bytes(a)] = v
        self.total_issuance = sum(self.free.values())
        assert self.total_issuance <= S_MAX
        self.block_emission = INITIAL_BLOCK_EMISSION
        self.sudo_key = bytes(sudo)
        self.globals: dict[str, int] = {k: v for k, (_, v) in GLOBAL_PARAMS.items()}
        for k, v in (params or {}).items():
            self.globals[k] = v
        self.network_last_lock_cost = INITIAL_LAST_LOCK_COST
        self.network_last_registered = 0
        # accounts
        self.owner: dict[bytes, bytes] = {}
        self.stake: dict[bytes, dict[bytes, int]] = {}
        self.delegates: dict[bytes, int] = {}
        self.last_tx_block: dict[bytes, int] = {}
        self.is_member: dict[bytes, set[int]] = {}
        self.senate: set[bytes] = set()
        self.triumvirate: list[bytes] = [bytes(t) for t in triumvirate or []]
        self.proposals: dict[bytes, dict[str, Any]] = {}  # hash → proposal (docs/ruleset.md §12)
        self.proposal_count = 0
        self.dispatching = False  # inside an approved proposal's Sudo dispatch
        # subnets
        self.added: set[int] = set()
        self.neurons: dict[int, Neurons] = {}
        self.params: dict[int, dict[str, int | bool]] = {}
        self.block_at_registration: dict[int, dict[int, int]] = {}
        self.emission_values: dict[int, int] = {}
        self.pending_emission: dict[int, int] = {}
        self.loaded_emission: dict[int, list[tuple[bytes, int, int]]] = {}
        self.blocks_since_last_step: dict[int, int] = {}
        self.last_mechanism_step_block: dict[int, int] = {}
        self.last_adjustment_block: dict[int, int] = {}
        self.registrations_this_block: dict[int, int] = {}
        self.registrations_this_interval: dict[int, int] = {}
        self.pow_registrations_this_interval: dict[int, int] = {}
        self.burn_registrations_this_interval: dict[int, int] = {}
        self.subnet_owner: dict[int, bytes] = {}
        self.subnet_locked: dict[int, int] = {}
        self.registered_at: dict[int, int] = {}
        self.axons: dict[tuple[int, bytes], dict[str, int]] = {}
        self.prometheus: dict[tuple[int, bytes], dict[str, int]] = {}
        # blocks; block hashes (docs/ruleset.md §8.3 H(k)) when the genesis record bytes are given
        self.block_hashes: list[bytes] | None = (
            None if genesis_record is None else [blake2b_256(genesis_record)])
        self.block_txs: list[Any] = []  # wire arrays of the open block's accepted transactions
        self.used_work: dict[bytes, int] = {}
        self.head = 0
        self.block = 0
        self.is_open = False
        # bookkeeping for the tests (not chain state)
        self.minted_past_cap = False
        self.last_dispatch: str | None = None
        self.last_root_epoch: str | None = None
        self.coverage: Counter[str] = Counter()  # which rule paths ran (for tuning the fuzzer)
        # genesis root network (§9.5)
        self.added.add(0)
        self.neurons[0] = Neurons()
        self.params[0] = dict(ROOT_PARAMS)

    # ---- parameter access ------------------------------------------------------------------
    def p(self, netuid: int, name: str) -> Any:
        stored = self.params.get(netuid, {})
        if name in stored:
            return stored[name]
        if name in SUBNET_STATE_DEFAULTS:
            return SUBNET_STATE_DEFAULTS[name]
        return SUBNET_PARAMS[name][1]

    def set_p(self, netuid: int, name: str, value: int | bool) -> None:
        self.params.setdefault(netuid, {})[name] = value

    @property
    def total_networks(self) -> int:
        return len(self.added)

    # ---- stake bookkeeping -----------------------------------------------------------------
    def hotkey_stake(self, hotkey: bytes) -> int:
        return sum(self.stake.get(hotkey, {}).values())

    def coldkey_stake(self, coldkey: bytes) -> int:
        return sum(st.get(coldkey, 0) for st in self.stake.values())

    @property
    def total_stake(self) -> int:
        return sum(sum(st.values()) for st in self.stake.values())

    @property
    def total_balance(self) -> int:
        return sum(self.free.values())

    @property
    def total_locked(self) -> int:
        return sum(self.subnet_locked.values())

    def add_stake_to(self, coldkey: bytes, hotkey: bytes, x: int) -> None:
        st = self.stake.setdefault(hotkey, {})
        st[coldkey] = st.get(coldkey, 0) + x
        if st[coldkey] > U64_MAX or self.total_stake > U64_MAX:
            raise FatalEngineError("stake overflow")

    def credit_free(self, a: bytes, x: int) -> None:
        self.free[a] = self.free.get(a, 0) + x
        if self.free[a] > U64_MAX:
            raise FatalEngineError("balance overflow")

    def balance(self, a: bytes) -> int:
        return self.free.get(a, 0)

    def debit_check(self, a: bytes, x: int, insufficient: str) -> None:
        """ED rule of §2 for a debit of x (0 always passes)."""
        if x == 0:
            return
        if self.balance(a) < x:
            raise Rejected(insufficient)
        rest = self.balance(a) - x
        if rest != 0 and rest < ED:
            raise Rejected("BalanceBelowExistentialDeposit")

    def rate_limited(self, c: bytes) -> bool:
        lim = self.globals["tx_rate_limit"]
        last = self.last_tx_block.get(c, 0)
        return lim != 0 and last != 0 and self.block - last <= lim

    def credit(self, hotkey: bytes, server: int, validator: int) -> None:
        """docs/ruleset.md §6.3."""
        o = self.owner[hotkey]
        if hotkey not in self.delegates:
            self.add_stake_to(o, hotkey, server + validator)
            return
        tot = self.hotkey_stake(hotkey)
        f = I64F64
        take = f.to_int(f.mul(f.div(f.of(self.delegates[hotkey]), f.of(65535)), f.of(validator)))
        rest = validator - take
        shares = 0
        for c in sorted(self.stake.get(hotkey, {})):
            stake_c = self.stake[hotkey][c]
            share = 0 if tot == 0 else f.to_int(f.mul(f.of(rest), f.div(f.of(stake_c), f.of(tot))))
            self.add_stake_to(c, hotkey, share)
            shares += share
        self.add_stake_to(o, hotkey, take + (rest - shares))
        self.add_stake_to(o, hotkey, server)

    # ---- blocks ----------------------------------------------------------------------------
    def open_block(self) -> None:
        if not self.is_open:
            self.block = self.head + 1
            self.block_step(self.block)
            self.is_open = True

    def seal(self) -> int:
        self.open_block()
        if self.block_hashes is not None:
            record = msgpack.packb([1, self.block, self.block_hashes[-1], self.block_txs],
                                   use_bin_type=True)
            self.block_hashes.append(blake2b_256(record))
        self.block_txs = []
        self.head = self.block
        self.is_open = False
        return self.head

    def block_hash(self, k: int) -> bytes:
        """H(k) of docs/ruleset.md §8.3: the hash of committed block k, zeros for the open block."""
        assert self.block_hashes is not None, "block hashes need the genesis record"
        return bytes(32) if k == self.block else self.block_hashes[k]

    @property
    def head_hash(self) -> bytes:
        assert self.block_hashes is not None
        return self.block_hashes[self.head]

    def step(self, blocks: int = 1) -> int:
        for _ in range(blocks):
            self.seal()
        return self.head

    def block_step(self, b: int) -> None:
        """docs/ruleset.md §3 A1–A4."""
        issuance_before = self.total_issuance
        # A1
        for u in sorted(self.added):
            if b - self.last_adjustment_block.get(u, 0) >= self.p(u, "adjustment_interval"):
                burn, diff = adjust_registration_terms(
                    self.p(u, "burn"), self.p(u, "difficulty"),
                    reg=self.registrations_this_interval.get(u, 0),
                    pow_=self.pow_registrations_this_interval.get(u, 0),
                    brn=self.burn_registrations_this_interval.get(u, 0),
                    target=self.p(u, "target_registrations_per_interval"),
                    alpha=self.p(u, "adjustment_alpha"), min_burn=self.p(u, "min_burn"),
                    max_burn=self.p(u, "max_burn"), min_difficulty=self.p(u, "min_difficulty"),
                    max_difficulty=self.p(u, "max_difficulty"))
                self.set_p(u, "burn", burn)
                self.set_p(u, "difficulty", diff)
                self.last_adjustment_block[u] = b
                self.registrations_this_interval[u] = 0
                self.pow_registrations_this_interval[u] = 0
                self.burn_registrations_this_interval[u] = 0
            self.registrations_this_block[u] = 0
        # A2
        if blocks_until_next_epoch(0, self.p(0, "tempo"), b) == 0:
            self.root_epoch()
        # A3
        for u in sorted(self.added):
            if u in self.loaded_emission:
                tuples = self.loaded_emission.pop(u)
                if any(h in self.delegates and v for h, _, v in tuples):
                    self.coverage["drain_to_delegate"] += 1
                for hotkey, server, validator in tuples:
                    self.credit(hotkey, server, validator)
                self.total_issuance += sum(s + v for _, s, v in tuples)
        # A4
        for u in sorted(self.added):
            if u == 0:
                continue
            e = self.emission_values.get(u, 0)
            if u in self.subnet_owner:
                fx = I96F32
                ev = fx.of(e)
                cut = fx.div(fx.mul(ev, fx.of(self.globals["subnet_owner_cut"])), fx.of(65535))
                paid = fx.to_int(cut)
                self.credit_free(self.subnet_owner[u], paid)
                self.total_issuance += paid
                self.pending_emission[u] = self.pending_emission.get(u, 0) + fx.to_int(ev - cut)
            else:
                self.pending_emission[u] = self.pending_emission.get(u, 0) + e
            if blocks_until_next_epoch(u, self.p(u, "tempo"), b) != 0:
                self.blocks_since_last_step[u] = self.blocks_since_last_step.get(u, 0) + 1
                continue
            pending = self.pending_emission.get(u, 0)
            self.pending_emission[u] = 0
            tuples = self.subnet_epoch(u, b, pending)
            self.loaded_emission[u] = tuples + self.loaded_emission.get(u, [])
            self.blocks_since_last_step[u] = 0
            self.last_mechanism_step_block[u] = b
        if self.total_issuance > S_MAX and self.total_issuance > issuance_before:
            self.minted_past_cap = True

    def subnet_epoch(self, u: int, b: int, rao_emission: int) -> list[tuple[bytes, int, int]]:
        nr = self.neurons[u]
        n = nr.n
        if n == 0:
            return []
        bar = self.block_at_registration[u]
        self.coverage["epoch"] += 1
        if any(nr.weights.get(i) for i in range(n)):
            self.coverage["epoch_with_weights"] += 1
        res = yuma_epoch(
            b, [self.hotkey_stake(h) for h in nr.keys],
            [nr.weights.get(i, []) for i in range(n)], [nr.bonds.get(i, []) for i in range(n)],
            list(nr.last_update), [bar[i] for i in range(n)], list(nr.validator_permit),
            kappa=self.p(u, "kappa"), bonds_moving_average=self.p(u, "bonds_moving_average"),
            max_allowed_validators=self.p(u, "max_allowed_validators"),
            activity_cutoff=self.p(u, "activity_cutoff"), rao_emission=rao_emission)
        if any(res.dividends):
            self.coverage["epoch_with_dividends"] += 1
        if any(res.consensus):
            self.coverage["epoch_with_consensus"] += 1
        if rao_emission:
            self.coverage["epoch_with_emission"] += 1
        nr.active = res.active
        nr.emission = res.emission
        nr.rank, nr.trust, nr.consensus = res.rank, res.trust, res.consensus
        nr.incentive, nr.dividends = res.incentive, res.dividends
        nr.validator_trust, nr.pruning_scores = res.validator_trust, res.pruning_scores
        nr.validator_permit = res.validator_permit
        for i, row in enumerate(res.bonds):
            if row is not None:
                nr.bonds[i] = row
        return [(nr.keys[i], res.server[i], res.validator[i]) for i in range(n)]

    def root_epoch(self) -> None:
        """docs/ruleset.md §5.1."""
        nr = self.neurons[0]
        if nr.n == 0:
            self.last_root_epoch = "no_validators"
            return
        netuids = sorted(self.added)
        if not netuids:
            self.last_root_epoch = "no_networks"
            return
        self.block_emission = block_emission(self.total_issuance)
        out = root_epoch_values(
            [self.hotkey_stake(h) for h in nr.keys], [nr.weights.get(i, []) for i in range(nr.n)],
            netuids, self.p(0, "kappa"), self.p(0, "rho"), self.block_emission)
        if isinstance(out, str):
            self.last_root_epoch = out
            self.coverage["root_epoch:" + out] += 1
            return
        self.last_root_epoch = "set"
        self.coverage["root_epoch:set" if any(out) else "root_epoch:zero"] += 1
        if self.block_emission < INITIAL_BLOCK_EMISSION:
            self.coverage["halved_emission"] += 1
        for u, v in zip(netuids, out):
            self.emission_values[u] = v

    # ---- transactions ----------------------------------------------------------------------
    def apply(self, tx: Any) -> None:
        """Apply one transaction in the open block (opened if needed); atomic.

        Raises :class:`Rejected` (state unchanged) or :class:`OutOfScope`.
        """
        self.open_block()
        name = type(tx).__name__
        handler = getattr(self, "_tx_" + name, None)
        if handler is None:
            raise OutOfScope(name)
        saved = copy.deepcopy(self.__dict__)
        try:
            handler(tx)
        except Rejected:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise
        if self.block_hashes is not None:
            self.block_txs.append(tx.to_wire())

    # §2.1
    def _tx_Transfer(self, tx: Any) -> None:
        src, dest, amount = bytes(tx.origin), bytes(tx.dest), tx.amount
        if amount == 0 or dest == src:
            return
        if self.balance(src) < amount:
            raise Rejected("InsufficientBalance")
        if self.balance(dest) + amount > U64_MAX:
            raise Rejected("ArithmeticOverflow")
        if self.balance(dest) + amount < ED:
            raise Rejected("BalanceBelowExistentialDeposit")
        rest = self.balance(src) - amount
        if rest != 0 and rest < ED:
            raise Rejected("BalanceBelowExistentialDeposit")
        self.free[src] = rest
        self.credit_free(dest, amount)

    # §7.1
    def _tx_AddStake(self, tx: Any) -> None:
        c, h, amount = bytes(tx.origin), bytes(tx.hotkey), tx.amount
        if self.balance(c) < amount:
            raise Rejected("NotEnoughBalanceToStake")
        if h not in self.owner:
            raise Rejected("NotRegistered")
        if h not in self.delegates and self.owner[h] != c:
            raise Rejected("NonAssociatedColdKey")
        if self.rate_limited(c):
            raise Rejected("TxRateLimitExceeded")
        self.debit_check(c, amount, "NotEnoughBalanceToStake")
        self.free[c] = self.balance(c) - amount
        self.add_stake_to(c, h, amount)
        self.last_tx_block[c] = self.block

    # §7.2
    def _tx_RemoveStake(self, tx: Any) -> None:
        c, h, amount = bytes(tx.origin), bytes(tx.hotkey), tx.amount
        if h not in self.owner:
            raise Rejected("NotRegistered")
        if h not in self.delegates and self.owner[h] != c:
            raise Rejected("NonAssociatedColdKey")
        if amount == 0:
            raise Rejected("NotEnoughStaketoWithdraw")
        if self.stake.get(h, {}).get(c, 0) < amount:
            raise Rejected("NotEnoughStaketoWithdraw")
        if self.rate_limited(c):
            raise Rejected("TxRateLimitExceeded")
        self.stake[h][c] -= amount
        self.credit_free(c, amount)
        self.last_tx_block[c] = self.block

    # §7.3
    def _tx_BecomeDelegate(self, tx: Any) -> None:
        c, h = bytes(tx.origin), bytes(tx.hotkey)
        if h not in self.owner:
            raise Rejected("NotRegistered")
        if self.owner[h] != c:
            raise Rejected("NonAssociatedColdKey")
        if h in self.delegates:
            raise Rejected("AlreadyDelegate")
        if self.rate_limited(c):
            raise Rejected("TxRateLimitExceeded")
        self.delegates[h] = self.globals["default_take"]
        self.last_tx_block[c] = self.block

    # §8.4
    def create_account(self, c: bytes, h: bytes) -> None:
        if h not in self.owner:
            self.owner[h] = c
            st = self.stake.setdefault(h, {})
            st.setdefault(c, 0)

    def neuron_to_prune(self, u: int) -> int:
        nr = self.neurons[u]
        if nr.n == 0:
            return 0
        b = self.block
        imm = self.p(u, "immunity_period")
        bar = self.block_at_registration[u]
        mn = min_imm = 65535
        u_min = u_imm = 0
        for i in range(nr.n):
            p = nr.pruning_scores[i]
            immune = b - bar[i] < imm
            if p <= mn:
                if immune:
                    if p < min_imm:
                        min_imm, u_imm = p, i
                else:
                    mn, u_min = p, i
        chosen = u_imm if mn == 65535 else u_min
        nr.pruning_scores[chosen] = 65535
        return chosen

    def unstake_all(self, hotkey: bytes) -> None:
        """docs/ruleset.md §7.4."""
        for c in sorted(self.stake.get(hotkey, {})):
            x = self.stake[hotkey][c]
            self.stake[hotkey][c] = 0
            self.credit_free(c, x)

    def replace_neuron(self, u: int, uid: int, h: bytes) -> None:
        nr = self.neurons[u]
        old = nr.keys[uid]
        del nr.uids[old]
        self.is_member.get(old, set()).discard(u)
        self.coverage[f"replace_neuron:{'root' if u == 0 else 'subnet'}"] += 1
        if not self.is_member.get(old):
            if self.hotkey_stake(old):
                self.coverage["unstake_on_deregistration"] += 1
            self.unstake_all(old)
        nr.active[uid] = True
        nr.keys[uid] = h
        nr.uids[h] = uid
        self.block_at_registration.setdefault(u, {})[uid] = self.block
        self.is_member.setdefault(h, set()).add(u)

    def assign_uid(self, u: int, h: bytes) -> int:
        nr = self.neurons[u]
        n = nr.n
        if n < self.p(u, "max_allowed_uids"):
            uid = n
            nr.keys.append(h)
            nr.uids[h] = uid
            for vec in U16_NEURON_VECTORS:
                getattr(nr, vec).append(0)
            nr.emission.append(0)
            nr.active.append(True)
            nr.last_update.append(self.block)
            nr.validator_permit.append(False)
            self.block_at_registration.setdefault(u, {})[uid] = self.block
            self.is_member.setdefault(h, set()).add(u)
            return uid
        uid = self.neuron_to_prune(u)
        self.replace_neuron(u, uid, h)
        return uid

    @staticmethod
    def inc16(d: dict[int, int], u: int) -> None:
        d[u] = min(d.get(u, 0) + 1, U16_MAX)

    def common_checks(self, u: int, h: bytes, pow_path: bool = False) -> None:
        """§8.1 C1–C6 (burn path, or POW path)."""
        if u == 0:
            raise Rejected("OperationNotPermittedonRootSubnet")
        if u not in self.added:
            raise Rejected("NetworkDoesNotExist")
        flag = "network_pow_registration_allowed" if pow_path else "network_registration_allowed"
        if not self.p(u, flag):
            raise Rejected("RegistrationDisabled")
        if self.registrations_this_block.get(u, 0) >= self.p(u, "max_registrations_per_block"):
            raise Rejected("TooManyRegistrationsThisBlock")
        if (self.registrations_this_interval.get(u, 0)
                >= 3 * self.p(u, "target_registrations_per_interval")):
            raise Rejected("TooManyRegistrationsThisInterval")
        if h in self.neurons[u].uids:
            raise Rejected("AlreadyRegistered")

    # §8.2
    def _tx_BurnedRegister(self, tx: Any) -> None:
        c, u, h = bytes(tx.origin), tx.netuid, bytes(tx.hotkey)
        self.common_checks(u, h)
        burn = self.p(u, "burn")
        if self.balance(c) < burn:
            raise Rejected("NotEnoughBalanceToStake")
        self.debit_check(c, burn, "NotEnoughBalanceToStake")
        self.create_account(c, h)
        if self.owner[h] != c:
            raise Rejected("NonAssociatedColdKey")
        if self.p(u, "max_allowed_uids") == 0:
            raise Rejected("NetworkDoesNotExist")
        self.free[c] = self.balance(c) - burn
        self.total_issuance -= burn
        self.assign_uid(u, h)
        self.inc16(self.burn_registrations_this_interval, u)
        self.inc16(self.registrations_this_interval, u)
        self.inc16(self.registrations_this_block, u)
        self.set_p(u, "rao_recycled_for_registration",
                   self.p(u, "rao_recycled_for_registration") + burn)

    # §8.3
    def _tx_Register(self, tx: Any) -> None:
        h, u, bn, work = bytes(tx.hotkey), tx.netuid, tx.block_number, bytes(tx.work)
        if bytes(tx.origin) != h:
            raise Rejected("HotkeyOriginMismatch")
        self.common_checks(u, h, pow_path=True)
        b = self.block
        if not bn <= b:
            raise Rejected("InvalidWorkBlock")
        if not b - bn < 3:
            raise Rejected("InvalidWorkBlock")
        if len(work) != 32:
            raise Rejected("InvalidSeal")
        if int.from_bytes(work, "big") * self.p(u, "difficulty") > (1 << 256) - 1:
            raise Rejected("InvalidDifficulty")
        if seal(self.block_hash(bn), tx.nonce, h) != work:
            raise Rejected("InvalidSeal")
        c = bytes(tx.coldkey)
        self.create_account(c, h)
        if self.owner[h] != c:
            raise Rejected("NonAssociatedColdKey")
        if self.p(u, "max_allowed_uids") == 0:
            raise Rejected("NetworkDoesNotExist")
        self.used_work[work] = b
        self.assign_uid(u, h)
        self.inc16(self.pow_registrations_this_interval, u)
        self.inc16(self.registrations_this_interval, u)
        self.inc16(self.registrations_this_block, u)
        self.coverage["pow_register"] += 1

    def is_sudo(self, origin: bytes) -> bool:
        """Origin ``Sudo``: the sudo key, or a call dispatched by an approved proposal."""
        return self.dispatching or origin == self.sudo_key

    # §8.5
    def _tx_SudoRegister(self, tx: Any) -> None:
        if not self.is_sudo(bytes(tx.origin)):
            raise Rejected("BadOrigin")
        u, h, c = tx.netuid, bytes(tx.hotkey), bytes(tx.coldkey)
        if u == 0:
            raise Rejected("OperationNotPermittedonRootSubnet")
        if u not in self.added:
            raise Rejected("NetworkDoesNotExist")
        if h in self.neurons[u].uids:
            raise Rejected("AlreadyRegistered")
        self.create_account(c, h)
        if self.owner[h] != c:
            raise Rejected("NonAssociatedColdKey")
        if self.p(u, "max_allowed_uids") == 0:
            raise Rejected("NetworkDoesNotExist")
        if self.total_issuance + tx.stake + tx.balance > S_MAX:
            raise Rejected("ArithmeticOverflow")
        self.add_stake_to(c, h, tx.stake)
        self.credit_free(c, tx.balance)
        self.total_issuance += tx.stake + tx.balance
        self.assign_uid(u, h)

    # §8.6
    def _tx_RootRegister(self, tx: Any) -> None:
        c, h = bytes(tx.origin), bytes(tx.hotkey)
        if self.registrations_this_block.get(0, 0) >= self.p(0, "max_registrations_per_block"):
            raise Rejected("TooManyRegistrationsThisBlock")
        if (self.registrations_this_interval.get(0, 0)
                >= 3 * self.p(0, "target_registrations_per_interval")):
            raise Rejected("TooManyRegistrationsThisInterval")
        nr = self.neurons[0]
        if h in nr.uids:
            raise Rejected("AlreadyRegistered")
        self.create_account(c, h)
        if nr.n < self.p(0, "max_allowed_uids"):
            uid = self.assign_uid(0, h)
        else:
            lowest, uid = U64_MAX, 0
            for i in range(nr.n):
                st = self.hotkey_stake(nr.keys[i])
                if st < lowest:
                    lowest, uid = st, i
            if not lowest < self.hotkey_stake(h):
                raise Rejected("StakeTooLowForRoot")
            self.replace_neuron(0, uid, h)
        # senate
        if len(self.senate) >= SENATE_MAX:
            # descending by stake, stable over ascending account order
            ordered = sorted(sorted(self.senate), key=lambda m: -self.hotkey_stake(m))
            last = ordered[-1]
            if self.hotkey_stake(last) < self.hotkey_stake(h):
                if h in self.senate:
                    raise Rejected("AlreadySenateMember")
                self.senate.discard(last)
                self.senate.add(h)
                self.delete_votes(last)
                self.coverage["senate_swap"] += 1
        else:
            if h in self.senate:
                raise Rejected("AlreadySenateMember")
            self.senate.add(h)
        if h not in self.delegates:
            self.delegates[h] = ROOT_DELEGATE_TAKE
        self.inc16(self.registrations_this_interval, 0)
        self.inc16(self.registrations_this_block, 0)

    # §9.2
    def current_lock_cost(self) -> int:
        return lock_cost(self.network_last_lock_cost, self.network_last_registered, self.block,
                         self.globals["network_min_lock_cost"],
                         self.globals["network_lock_reduction_interval"])

    def subnet_to_prune(self) -> int | None:
        b = self.block
        cands = [u for u in sorted(self.added) if u >= 1
                 and max(b - self.registered_at[u], 0) >= self.globals["network_immunity_period"]]
        if not cands:
            return None
        return min(cands, key=lambda u: (self.emission_values.get(u, 0), self.registered_at[u], -u))

    def remove_network(self, u: int) -> None:
        """docs/ruleset.md §9.4 remove(netuid)."""
        self.added.discard(u)
        self.registered_at.pop(u, None)
        del self.neurons[u]
        stored = self.params.get(u, {})
        for name in RESET_ON_REMOVE:
            stored.pop(name, None)
        self.emission_values.pop(u, None)
        self.registrations_this_interval.pop(u, None)
        self.pow_registrations_this_interval.pop(u, None)
        self.burn_registrations_this_interval.pop(u, None)
        owner = self.subnet_owner.pop(u, None)
        locked = self.subnet_locked.pop(u, 0)
        if owner is not None:
            self.credit_free(owner, locked)

    def init_new_network(self, u: int) -> None:
        self.neurons[u] = Neurons()
        self.added.add(u)
        for name, v in USER_PARAMS.items():
            self.set_p(u, name, v)

    def _tx_RegisterNetwork(self, tx: Any) -> None:
        c = bytes(tx.origin)
        b = self.block
        if b - self.network_last_registered < self.globals["network_rate_limit"]:
            raise Rejected("TxRateLimitExceeded")
        cost = self.current_lock_cost()
        if self.balance(c) < cost:
            raise Rejected("NotEnoughBalanceToStake")
        if self.total_networks - 1 < self.globals["subnet_limit"]:
            u = 1
            while u in self.added:
                u += 1
        else:
            p = self.subnet_to_prune()
            if p is None:
                raise Rejected("AllNetworksInImmunity")
            self.remove_network(p)
            self.coverage["prune_network"] += 1
            u = p
        self.debit_check(c, cost, "NotEnoughBalanceToStake")
        self.free[c] = self.balance(c) - cost
        self.subnet_locked[u] = cost
        self.network_last_lock_cost = cost
        self.init_new_network(u)
        self.network_last_registered = b
        self.registered_at[u] = b
        self.subnet_owner[u] = c

    # §9.4
    def _tx_DissolveNetwork(self, tx: Any) -> None:
        c, u = bytes(tx.origin), tx.netuid
        if u not in self.added:
            raise Rejected("NetworkDoesNotExist")
        if self.subnet_owner.get(u) != c:
            raise Rejected("NotSubnetOwner")
        self.remove_network(u)

    # §10.1
    def _tx_SetWeights(self, tx: Any) -> None:
        h, u = bytes(tx.origin), tx.netuid
        uids, values = list(tx.uids), list(tx.values)
        if len(uids) != len(values):
            raise Rejected("WeightVecNotEqualSize")
        if u not in self.added:
            raise Rejected("NetworkDoesNotExist")
        nr = self.neurons[u]
        if u == 0:
            if any(x not in self.added for x in uids):
                raise Rejected("InvalidUid")
        elif len(uids) > nr.n:
            raise Rejected("TooManyUids")
        if h not in nr.uids:
            raise Rejected("NotRegistered")
        me = nr.uids[h]
        vk = self.p(u, "weights_version_key")
        if not (vk == 0 or tx.version_key >= vk):
            raise Rejected("IncorrectNetworkVersionKey")
        lu = nr.last_update[me]
        if not (lu == 0 or self.block - lu >= self.p(u, "weights_set_rate_limit")):
            raise Rejected("SettingWeightsTooFast")
        self_weight = len(uids) == 1 and uids[0] == me
        if u != 0 and not (self_weight or nr.validator_permit[me]):
            raise Rejected("NoValidatorPermit")
        if len(set(uids)) != len(uids):
            raise Rejected("DuplicateUids")
        if u != 0 and any(x >= nr.n for x in uids):
            raise Rejected("InvalidUid")
        if not (u != 0 and self_weight):
            if len(uids) < min(self.p(u, "min_allowed_weights"), nr.n):
                raise Rejected("NotSettingEnoughWeights")
        up = upscale_u16(values)
        mwl = self.p(u, "max_weights_limit")
        if not (self_weight or mwl == 65535):
            if not check_vec_max_limited(up, mwl):
                raise Rejected("MaxWeightExceeded")
        nr.weights[me] = list(zip(uids, up))
        nr.last_update[me] = self.block

    # §11
    def _serve_checks(self, h: bytes, u: int, ip: int, port: int, ip_type: int,
                      store: dict[tuple[int, bytes], dict[str, int]]) -> None:
        if not self.is_member.get(h):
            raise Rejected("NotRegistered")
        if ip_type not in (4, 6):
            raise Rejected("InvalidIpType")
        bad = ip == 0
        if ip_type == 4:
            bad = bad or not ip < 4_294_967_295 or ip == 0x7F000001
        else:
            bad = bad or ip == (1 << 128) - 1 or ip == 1
        if bad:
            raise Rejected("InvalidIpAddress")
        prev = store.get((u, h), {}).get("block", 0)
        lim = self.p(u, "serving_rate_limit")
        if not (lim == 0 or prev == 0 or self.block - prev >= lim):
            raise Rejected("ServingRateLimitExceeded")
        if port == 0:
            raise Rejected("InvalidPort")

    def _tx_ServeAxon(self, tx: Any) -> None:
        h = bytes(tx.origin)
        self._serve_checks(h, tx.netuid, tx.ip, tx.port, tx.ip_type, self.axons)
        self.axons[(tx.netuid, h)] = {
            "block": self.block, "version": tx.version, "ip": tx.ip, "port": tx.port,
            "ip_type": tx.ip_type, "protocol": tx.protocol, "placeholder1": tx.placeholder1,
            "placeholder2": tx.placeholder2}

    def _tx_ServePrometheus(self, tx: Any) -> None:
        h = bytes(tx.origin)
        self._serve_checks(h, tx.netuid, tx.ip, tx.port, tx.ip_type, self.prometheus)
        self.prometheus[(tx.netuid, h)] = {
            "block": self.block, "version": tx.version, "ip": tx.ip, "port": tx.port,
            "ip_type": tx.ip_type}

    # §13.3
    def _tx_SudoSetHyperparameter(self, tx: Any) -> None:
        origin, u, name, value = bytes(tx.origin), tx.netuid, tx.name, tx.value
        if u is None:
            if name != "total_issuance" and name not in GLOBAL_PARAMS:
                raise Rejected("UnknownHyperparameter")
            if not self.is_sudo(origin):
                raise Rejected("BadOrigin")
            if name == "total_issuance":
                raise Rejected("CallNotSupported")
            kind = GLOBAL_PARAMS[name][0]
            if not _fits(kind, value):
                raise Rejected("StorageValueOutOfRange")
            if name == "network_lock_reduction_interval" and value < 1:
                raise Rejected("StorageValueOutOfRange")
            self.globals[name] = value
            return
        if name not in SUBNET_PARAMS:
            raise Rejected("UnknownHyperparameter")
        kind, _, who = SUBNET_PARAMS[name]
        ok = self.is_sudo(origin) or (who == "O" and self.subnet_owner.get(u) == origin)
        if not ok:
            raise Rejected("BadOrigin")
        if name not in NO_EXISTENCE_CHECK and u not in self.added:
            raise Rejected("NetworkDoesNotExist")
        if not _fits(kind, value):
            raise Rejected("StorageValueOutOfRange")
        if name == "bonds_moving_average" and value > 1_000_000:
            raise Rejected("StorageValueOutOfRange")
        if name == "max_allowed_uids":
            if not value > self.neurons[u].n:
                raise Rejected("MaxAllowedUIdsNotAllowed")
            if value > 32_768:
                raise Rejected("StorageValueOutOfRange")
        if name == "max_allowed_validators" and value > self.p(u, "max_allowed_uids"):
            raise Rejected("StorageValueOutOfRange")
        if name == "target_registrations_per_interval" and value < 1:
            raise Rejected("StorageValueOutOfRange")
        if name == "scaling_law_power" and value > 100:
            raise Rejected("StorageValueOutOfRange")
        self.set_p(u, name, value)

    def _tx_SudoSetKey(self, tx: Any) -> None:
        if self.dispatching or bytes(tx.origin) != self.sudo_key:  # SudoKey only
            raise Rejected("BadOrigin")
        self.sudo_key = bytes(tx.new)

    # §12 governance
    def _require_sudo(self, tx: Any) -> None:
        if not self.is_sudo(bytes(tx.origin)):
            raise Rejected("BadOrigin")

    def delete_votes(self, who: bytes) -> None:
        for p in self.proposals.values():
            p["ayes"] = [v for v in p["ayes"] if v != who]
            p["nays"] = [v for v in p["nays"] if v != who]

    def _tx_SudoTriumvirateAddMember(self, tx: Any) -> None:
        self._require_sudo(tx)
        member = bytes(tx.member)
        if member in self.triumvirate:
            raise Rejected("AlreadyTriumvirateMember")
        if len(self.triumvirate) >= 3:
            raise Rejected("TooManyTriumvirateMembers")
        self.triumvirate.append(member)

    def _tx_SudoTriumvirateRemoveMember(self, tx: Any) -> None:
        self._require_sudo(tx)
        member = bytes(tx.member)
        if member not in self.triumvirate:
            raise Rejected("NotTriumvirateMember")
        self.triumvirate.remove(member)
        self.delete_votes(member)

    def _tx_SudoTriumvirateSwapMember(self, tx: Any) -> None:
        self._require_sudo(tx)
        old, new = bytes(tx.old), bytes(tx.new)
        if old == new:
            return
        if old not in self.triumvirate:
            raise Rejected("NotTriumvirateMember")
        if new in self.triumvirate:
            raise Rejected("AlreadyTriumvirateMember")
        self.triumvirate[self.triumvirate.index(old)] = new
        self.delete_votes(old)

    def _tx_SudoSenateAddMember(self, tx: Any) -> None:
        self._require_sudo(tx)
        h = bytes(tx.hotkey)
        if h in self.senate:
            raise Rejected("AlreadySenateMember")
        if len(self.senate) >= SENATE_MAX:
            raise Rejected("TooManySenateMembers")
        self.senate.add(h)

    def _tx_SudoSenateRemoveMember(self, tx: Any) -> None:
        self._require_sudo(tx)
        h = bytes(tx.hotkey)
        if h not in self.senate:
            raise Rejected("NotSenateMember")
        self.senate.discard(h)  # votes already cast stay counted

    def _tx_SudoDisapproveProposal(self, tx: Any) -> None:
        self._require_sudo(tx)
        self.proposals.pop(bytes(tx.hash), None)

    PROPOSABLE = ("SudoRegister", "SudoSetHyperparameter", "SudoTriumvirateAddMember",
                  "SudoTriumvirateRemoveMember", "SudoTriumvirateSwapMember",
                  "SudoSenateAddMember", "SudoSenateRemoveMember", "SudoDisapproveProposal")

    def _tx_Propose(self, tx: Any) -> None:
        a = bytes(tx.origin)
        if a not in self.triumvirate:
            raise Rejected("NotTriumvirateMember")
        if tx.duration < 3600:
            raise Rejected("WrongDuration")
        inner = tx.transaction
        if type(inner).__name__ not in self.PROPOSABLE or bytes(inner.origin) != bytes(32):
            raise Rejected("BadOrigin")
        h = blake2b_256(msgpack.packb(inner.to_wire(), use_bin_type=True))
        if h in self.proposals:
            raise Rejected("DuplicateProposal")
        if len(self.proposals) >= 10:
            raise Rejected("TooManyProposals")
        self.proposals[h] = {
            "tx": inner, "index": self.proposal_count, "proposer": a,
            "threshold": len(self.senate) // 2 + 1, "ayes": [], "nays": [],
            "end": self.block + tx.duration}
        self.proposal_count += 1

    def _open_proposal(self, h: bytes, index: int) -> dict[str, Any]:
        p = self.proposals.get(h)
        if p is None:
            raise Rejected("ProposalMissing")
        if p["index"] != index:
            raise Rejected("WrongIndex")
        return p

    def _tx_Vote(self, tx: Any) -> None:
        c, hk = bytes(tx.origin), bytes(tx.hotkey)
        if self.owner.get(hk) != c:
            raise Rejected("NonAssociatedColdKey")
        if hk not in self.senate:
            raise Rejected("NotSenateMember")
        p = self._open_proposal(bytes(tx.hash), tx.index)
        mine, other = ("ayes", "nays") if tx.approve else ("nays", "ayes")
        if hk in p[mine]:
            raise Rejected("DuplicateVote")
        p[other] = [v for v in p[other] if v != hk]
        p[mine].append(hk)

    def _tx_Close(self, tx: Any) -> None:
        h = bytes(tx.hash)
        p = self._open_proposal(h, tx.index)
        seats, y, x, t = len(self.senate), len(p["ayes"]), len(p["nays"]), p["threshold"]
        if y >= t:
            approve = True
        elif max(seats - x, 0) < t:
            approve = False
        elif self.block < p["end"]:
            raise Rejected("TooEarly")
        else:
            approve = False
        self.proposals.pop(h, None)
        self.coverage["close:approve" if approve else "close:disapprove"] += 1
        if not approve:
            return
        if not 2 * y > seats:
            self.last_dispatch = "BadOrigin"
            return
        inner = p["tx"]
        saved = copy.deepcopy(self.__dict__)
        self.dispatching = True
        try:
            getattr(self, "_tx_" + type(inner).__name__)(inner)
            self.last_dispatch = None
        except Rejected as e:
            self.__dict__.clear()
            self.__dict__.update(saved)
            self.last_dispatch = e.code
        finally:
            self.dispatching = False
        self.coverage[f"dispatch:{self.last_dispatch or 'ok'}"] += 1

    # §13.4
    def _tx_SwapHotkey(self, tx: Any) -> None:
        raise Rejected("CallNotSupported")

    def _tx_Faucet(self, tx: Any) -> None:
        raise Rejected("FaucetDisabled")

    # ---- queries (the names of taostate's Queries) -----------------------------------------
    def subnets(self) -> list[int]:
        return sorted(self.added)

    def uid(self, u: int, h: bytes) -> int | None:
        nr = self.neurons.get(u)
        return None if nr is None else nr.uids.get(h)

    def accounts(self) -> list[bytes]:
        """Every account with a non-zero balance, a non-zero stake, or a hotkey: hotkey accounts
        (owner entries) and the coldkeys owning them."""
        out = {a for a, v in self.free.items() if v}
        for h, st in self.stake.items():
            for c, v in st.items():
                if v:
                    out.add(c)
                    out.add(h)
        out.update(self.owner)
        out.update(self.owner.values())
        return sorted(out)

    def axon(self, u: int, h: bytes) -> dict[str, int] | None:
        return self.axons.get((u, h))

    def metagraph(self, u: int) -> dict[str, Any]:
        """The metagraph vectors of existing subnet u (weights/bonds as dense n×n u16 rows)."""
        nr = self.neurons[u]
        n = nr.n
        bar = self.block_at_registration.get(u, {})

        def dense(rows: dict[int, list[tuple[int, int]]]) -> list[list[int]]:
            out = [[0] * n for _ in range(n)]
            for i in range(n):
                for j, v in rows.get(i, []):
                    if j < n:
                        out[i][j] = v
            return out

        return {
            "n": n, "hotkeys": list(nr.keys), "coldkeys": [self.owner[h] for h in nr.keys],
            "stake": [self.hotkey_stake(h) for h in nr.keys],
            "ranks": list(nr.rank), "trust": list(nr.trust), "consensus": list(nr.consensus),
            "incentive": list(nr.incentive), "dividends": list(nr.dividends),
            "validator_trust": list(nr.validator_trust), "emission": list(nr.emission),
            "active": list(nr.active), "validator_permit": list(nr.validator_permit),
            "last_update": list(nr.last_update),
            "block_at_registration": [bar[i] for i in range(n)],
            "pruning_scores": list(nr.pruning_scores),
            "weights": dense(nr.weights), "bonds": dense(nr.bonds),
        }
