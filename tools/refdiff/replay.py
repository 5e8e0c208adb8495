"""The taostate side of a differential run: a history replayed in taostate, with each transaction's
outcome and the state after every block in the same JSON shape the harness reports for the
reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import taostate as ts
import taostate.testing  # noqa: F401  (ts.testing)
from exporter import hexkey
from taostate import tx as T
from taostate.accounts import AccountId
from taostate.chain import Chain
from taostate.errors import TxRejected


def _accounts_of(h: ts.testing.History) -> list[AccountId]:
    seen: set[bytes] = {bytes(ts.accounts.to_account(k, "b")) for k in h.genesis.balances}
    seen.add(bytes(ts.accounts.to_account(h.genesis.sudo, "sudo")))
    seen |= {bytes(ts.accounts.to_account(m, "t")) for m in h.genesis.triumvirate}

    def walk(t: T.Tx) -> None:
        for f in t._NAMES:
            v = getattr(t, f)
            if isinstance(v, AccountId):
                seen.add(bytes(v))
            elif isinstance(v, T.Tx):
                walk(v)

    for t in h.transactions:
        walk(t)
    return [AccountId(b) for b in sorted(seen)]


def ts_state(chain: Chain, accounts: list[AccountId]) -> dict[str, Any]:
    free = {hexkey(a): chain.balance(a) for a in chain.accounts() if chain.balance(a)}
    stake = {}
    owners = {}
    for hk in accounts:
        o = chain.owner(hk)
        if o is not None:
            owners[hexkey(hk)] = hexkey(o)
        for ck in accounts:
            v = chain.stake(hk, ck)
            if v:
                stake[f"{hexkey(hk)}/{hexkey(ck)}"] = v
    subnets = {}
    for netuid in chain.subnets():
        info = chain.subnet(netuid)
        mg = chain._engine.metagraph(netuid)
        n = int(info["n"])
        d: dict[str, Any] = {k: v for k, v in info.items() if k != "netuid"}
        d["owner"] = None if info["owner"] is None else hexkey(info["owner"])
        d["keys"] = [hexkey(k) for k in mg["hotkeys"]]
        for k in ("active", "rank", "trust", "consensus", "incentive", "dividends", "emission",
                  "last_update", "pruning_scores", "validator_trust", "validator_permit",
                  "block_at_registration"):
            src = {"rank": "ranks"}.get(k, k)
            d[k] = [bool(x) if k in ("active", "validator_permit") else int(x) for x in mg[src]]
        d["weights"] = [[[int(u), int(w)] for u, w in row] for row in _rows(mg["weights"], n)]
        d["bonds"] = [[[int(u), int(w)] for u, w in row] for row in _rows(mg["bonds"], n)]
        d["n"] = n
        subnets[f"{netuid:05}"] = d
    return {
        "free": free, "stake": stake, "owners": owners,
        "delegates": {hexkey(h): t for h, t in chain.delegates().items()}, "subnets": subnets,
        "total_stake": chain.total_stake, "total_issuance": chain.total_issuance,
        "block_emission": chain.block_emission,
        "senate": sorted(hexkey(a) for a in chain.senate()),
        "triumvirate": sorted(hexkey(a) for a in chain.triumvirate()),
        "proposals": [{"index": p["index"], "threshold": p["threshold"],
                       "ayes": [hexkey(a) for a in p["ayes"]], "nays": [hexkey(a) for a in p["nays"]],
                       "end": p["end"]} for p in chain.proposals()],
        "lock_cost": chain.lock_cost(),
    }


def _rows(m: Any, n: int) -> list[list[tuple[int, int]]]:
    """Sparse rows from the metagraph's dense n×n matrix (zero entries dropped)."""
    out = []
    for i in range(n):
        out.append([(j, int(m[i][j])) for j in range(n) if int(m[i][j])])
    return out


@dataclass
class TsRun:
    outcomes: list[list[str]]
    states: list[dict[str, Any]]
    aborted_root: set[int] = field(default_factory=set)


def run_taostate(h: ts.testing.History) -> TsRun:
    accounts = _accounts_of(h)
    outcomes: list[list[str]] = []
    aborted: set[int] = set()
    with Chain.ephemeral(h.genesis) as chain:
        states = [ts_state(chain, accounts)]
        for b, txs in enumerate(h.blocks, start=1):
            out = []
            for t in txs:
                try:
                    chain.submit(t)
                    out.append("ok")
                except TxRejected as e:
                    out.append("err:" + e.code)
            chain.step()
            if any(name == "RootEpochAborted" for name, _ in chain.events(b)):
                aborted.add(b)
            outcomes.append(out)
            states.append(ts_state(chain, accounts))
    return TsRun(outcomes, states, aborted)
