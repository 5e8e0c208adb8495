"""The comparer: the reference's run against taostate's, block by block — each transaction's outcome,
then the state after the block. A difference a deviation of docs/ruleset.md §1 accounts for ends the
comparison as "explained" (naming it); any other is "diverged", with the first divergent block,
transaction and field and both values.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import taostate as ts
import taostate.testing  # noqa: F401  (ts.testing)
from deviations import ED, ERROR_ALIASES, REF_BLOCK_EMISSION
from exporter import hexkey
from replay import TsRun
from taostate import tx as T


@dataclass
class Verdict:
    """``status``: "agree", "explained" (a named deviation ended the comparison early) or
    "diverged" (an unexplained difference, described in ``detail``)."""

    status: str
    deviation: str = ""
    detail: str = ""
    blocks: int = 0
    txs: int = 0
    skips: Counter[str] = field(default_factory=Counter)


def _flatten(x: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(x, dict):
        for k in sorted(x):
            out.update(_flatten(x[k], f"{prefix}.{k}" if prefix else str(k)))
    else:
        out[prefix] = x
    return out


IGNORED = {"total_issuance", "block_emission", "network_last_lock_cost", "network_last_registered",
           "total_networks"}


def _normalise_ref(state: dict[str, Any]) -> dict[str, Any]:
    s = {k: v for k, v in state.items() if k not in IGNORED}
    for sub in s["subnets"].values():
        sub.pop("loaded_emission", None)
        # taostate exposes weights and bonds as the metagraph's dense n×n matrices: compare the
        # same view (columns < n, zero entries absent). Root weights are columns by netuid, so
        # for the root network this drops netuids ≥ n; they are still compared through the
        # root epoch's EmissionValues.
        n = sub["n"]
        for k in ("weights", "bonds"):
            sub[k] = [[[u, w] for u, w in row if u < n and w] for row in sub[k]]
    return s


def _normalise_ts(state: dict[str, Any]) -> dict[str, Any]:
    s = {k: v for k, v in state.items() if k not in IGNORED}
    return s


def _ref_supply(state: dict[str, Any]) -> int:
    return (sum(state["free"].values()) + sum(state["stake"].values())
            + sum(sub["locked"] for sub in state["subnets"].values()))


def _tx_desc(t: T.Tx) -> str:
    return repr(t)[:300]


def compare(h: ts.testing.History, ref: dict[str, Any], mine: TsRun,
            exported: dict[str, Any]) -> Verdict:
    v = Verdict("agree")
    if "panic" in ref:
        v.status, v.detail = "diverged", f"the reference panicked: {ref['panic']}"
        return v
    ref_blocks = ref["blocks"]
    for b in range(0, len(h.blocks) + 1):
        if b > 0:
            txs = h.blocks[b - 1]
            for i, (t, r, m) in enumerate(zip(txs, ref_blocks[b]["outcomes"], mine.outcomes[b - 1])):
                ex = exported["blocks"][b - 1][i]
                v.txs += 1
                if r == "skip":
                    dev = ex["deviation"]
                    v.skips[dev] += 1
                    if m == "ok" and (dev == "D-u64-blocks" or isinstance(t, T.Propose)):
                        # taostate stored a motion the reference could not be given (its
                        # execution would be refused): the states part here, for that reason
                        return _explained(v, dev, b)
                    if m == "ok":
                        return _diverged(v, b, i, t, "outcome", f"refused ({dev})", m)
                    continue
                if r == m:
                    continue
                if r.startswith("err:") and m.startswith("err:") and \
                        r[4:] in ERROR_ALIASES.get(m[4:], set()):
                    v.skips["D-error-names"] += 1
                    continue
                dev = _explain_outcome(t, r, m, mine.states[b], ref_blocks[b - 1]["state"])
                if dev:
                    return _explained(v, dev, b)
                return _diverged(v, b, i, t, "outcome", r, m)
        rs, ms = ref_blocks[b]["state"], mine.states[b]
        if ms["total_issuance"] != _ref_supply(rs):
            fr = _flatten(_normalise_ref(rs))
            fm = _flatten(_normalise_ts(ms))
            dev = _explain_state(b, rs, ms, fr, fm, mine)
            if dev:
                return _explained(v, dev, b)
            return _diverged(v, b, -1, None, "total_issuance (D-issuance: vs Σfree+Σstake+Σlocked)",
                             _ref_supply(rs), ms["total_issuance"])
        fr = _flatten(_normalise_ref(rs))
        fm = _flatten(_normalise_ts(ms))
        if fr != fm:
            dev = _explain_state(b, rs, ms, fr, fm, mine)
            if dev:
                return _explained(v, dev, b)
            key = next(k for k in sorted(set(fr) | set(fm)) if fr.get(k, "∅") != fm.get(k, "∅"))
            return _diverged(v, b, -1, None, key, fr.get(key, "∅"), fm.get(key, "∅"))
        v.blocks = b
    return v


def _explained(v: Verdict, dev: str, b: int) -> Verdict:
    v.status, v.deviation, v.blocks = "explained", dev, b
    return v


def _diverged(v: Verdict, b: int, i: int, t: T.Tx | None, key: str, r: Any, m: Any) -> Verdict:
    v.status = "diverged"
    where = f"block {b}" + (f", tx {i} {_tx_desc(t)}" if t is not None else " (state)")
    v.detail = f"{where}: {key}: reference={r!r} taostate={m!r}"
    return v


def _explain_outcome(t: T.Tx, r: str, m: str, after_ts: dict[str, Any],
                     before_ref: dict[str, Any]) -> str:
    if m == "err:BalanceBelowExistentialDeposit" or "KeepAlive" in r or "ExistentialDeposit" in r:
        return "D-existential"
    # the reference's keep-alive withdrawal refused to leave the signer below ED, even at 0;
    # taostate allowed it and the signer ends the block below ED
    if r == "err:BalanceWithdrawalError" and m == "ok" and \
            after_ts["free"].get(hexkey(t.origin), 0) < ED:
        return "D-existential"
    if m == "err:ArithmeticOverflow" and r == "ok":
        return "D-sudo-register-cap" if isinstance(t, T.SudoRegister) else "D-checked-credit"
    if isinstance(t, T.SudoRegister) and m == "err:NetworkDoesNotExist":
        sub = before_ref["subnets"].get(f"{t.netuid:05}")
        if sub is not None and sub["max_allowed_uids"] == 0:
            return "D-zero-max-uids"
    return ""


def _explain_state(b: int, rs: dict[str, Any], ms: dict[str, Any], fr: dict[str, Any],
                   fm: dict[str, Any], mine: TsRun) -> str:
    diff = [k for k in sorted(set(fr) | set(fm)) if fr.get(k, "∅") != fm.get(k, "∅")]
    if any(k.endswith(".emission_value") for k in diff):
        if ms["block_emission"] != REF_BLOCK_EMISSION:
            return "D-halving"
        if b in mine.aborted_root:
            return "D-root-exp-abort"
    if ms["block_emission"] != REF_BLOCK_EMISSION and any(
            k.endswith((".pending_emission", ".emission")) or k.startswith(("free.", "stake."))
            for k in diff):
        return "D-halving"
    # dust: an account below ED on one side only (reaped / destroyed credit in the reference)
    for k in diff:
        if k.startswith("free."):
            a, c = fr.get(k, 0), fm.get(k, 0)
            if a == 0 and 0 < c < ED:
                return "D-existential"
    return ""
