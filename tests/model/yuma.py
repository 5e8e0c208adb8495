"""The subnet epoch (docs/ruleset.md §4): Yuma consensus step by step on I32F32/I64F64/I96F32 bits,
with its vector helpers (§4.3: max-upscale to u16, top-k, the stake-weighted median, column
normalisation). Pure functions of the epoch's inputs; :mod:`model.emission` feeds them the state.
"""

from __future__ import annotations

from dataclasses import dataclass

from .fixedpoint import I32F32, I64F64, I96F32, to_u16_proportion


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
