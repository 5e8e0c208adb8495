"""The `taostate` command: demo, synth, import, replay, info, metagraph, balance, verify, snapshot;
history, plot and whatif live in `cli_frames.py`, sweep in `cli_sweep.py`.

Tables for people, `--json` for programs, progress bars on anything that takes seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from .accounts import AccountId, account
from .balance import Balance
from .chain import Chain, View
from .errors import TaoStateError


def _out(args: argparse.Namespace, data: dict[str, Any], lines: list[str]) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, default=str, sort_keys=True))
    else:
        print("\n".join(lines))


def _account_arg(s: str) -> AccountId:
    """An ss58 address, 64 hex digits, or a dev account name (`alice` → ts.account("alice"))."""
    if len(s) == 64:
        try:
            return AccountId(bytes.fromhex(s))
        except ValueError:
            pass
    try:
        return AccountId.from_ss58(s)
    except TaoStateError:
        return account(s)


def _state(chain: Chain, block: int | None) -> Chain | View:
    return chain if block is None else chain.at(block)


def _info(chain: Chain) -> tuple[dict[str, Any], list[str]]:
    subnets = chain.subnets()
    data: dict[str, Any] = {
        "head": chain.head, "head_hash": chain.head_hash, "state_root": chain.state_root(),
        "total_issuance": chain.total_issuance, "total_balance": chain.total_balance,
        "total_stake": chain.total_stake, "total_locked": chain.total_locked,
        "block_emission": chain.block_emission, "subnets": subnets,
        "accounts": len(chain.accounts()),
    }
    lines = [
        f"head              {data['head']}",
        f"head hash         {data['head_hash']}",
        f"state root        {data['state_root']}",
        f"total issuance    {Balance(chain.total_issuance)}",
        f"  free balances   {Balance(chain.total_balance)}",
        f"  stake           {Balance(chain.total_stake)}",
        f"  subnet locks    {Balance(chain.total_locked)}",
        f"block emission    {Balance(chain.block_emission)}",
        f"subnets           {len(subnets)} ({', '.join(map(str, subnets[:12]))}{' …' if len(subnets) > 12 else ''})",
        f"accounts          {data['accounts']}",
    ]
    return data, lines


def _metagraph_lines(view: Chain | View, netuid: int, limit: int = 16) -> tuple[dict[str, Any], list[str]]:
    mg = view.metagraph(netuid)
    rows = []
    lines = [f"metagraph of subnet {netuid} at block {mg.block}: n = {mg.n}",
             f"{'uid':>4} {'hotkey':<14} {'stake τ':>14} {'rank':>6} {'trust':>6} {'cons':>6} "
             f"{'incent':>6} {'divs':>6} {'vtrust':>6} {'emission':>12} {'vp':>2}"]
    for uid in range(mg.n):
        row: dict[str, Any] = {
            "uid": uid, "hotkey": mg.hotkeys[uid].ss58, "stake": int(mg.stake[uid]),
            "rank": int(mg.ranks_u16[uid]), "trust": int(mg.trust_u16[uid]),
            "consensus": int(mg.consensus_u16[uid]), "incentive": int(mg.incentive_u16[uid]),
            "dividends": int(mg.dividends_u16[uid]), "validator_trust": int(mg.validator_trust_u16[uid]),
            "emission": int(mg.emission[uid]), "validator_permit": bool(mg.validator_permit[uid]),
        }
        rows.append(row)
        if uid < limit:
            lines.append(
                f"{uid:>4} {row['hotkey'][:12] + '…':<14} {mg.stake[uid] / 1e9:>14.3f} "
                f"{mg.ranks[uid]:>6.3f} {mg.trust[uid]:>6.3f} {mg.consensus[uid]:>6.3f} "
                f"{mg.incentive[uid]:>6.3f} {mg.dividends[uid]:>6.3f} {mg.validator_trust[uid]:>6.3f} "
                f"{int(mg.emission[uid]):>12} {'✓' if row['validator_permit'] else '':>2}")
    if mg.n > limit:
        lines.append(f"… {mg.n - limit} more (use --json for all)")
    return {"netuid": netuid, "block": mg.block, "n": mg.n, "neurons": rows}, lines


def cmd_demo(args: argparse.Namespace) -> int:
    from .synth import SynthConfig, synthesize

    cfg = SynthConfig(subnets=args.subnets, uids=args.uids, blocks=args.blocks, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="taostate-demo-") as tmp:
        path = f"{tmp}/chain"
        print(f"building a synthetic Finney-like chain: {cfg.subnets} subnets × {cfg.uids} uids, "
              f"{cfg.blocks} blocks (seed {cfg.seed}) in {path}")
        t0 = time.perf_counter()
        stats = synthesize(path, cfg, progress=True)
        t1 = time.perf_counter()
        print(f"  wrote {stats['blocks']} blocks, {stats['txs']} transactions in {t1 - t0:.1f} s")
        with Chain.open(path) as chain:
            print("replaying from genesis and verifying the hash chain and snapshots …")
            t2 = time.perf_counter()
            report = chain.verify(progress=True)
            t3 = time.perf_counter()
            print(f"  replayed {report['head']} blocks in {t3 - t2:.2f} s "
                  f"({report['head'] / max(t3 - t2, 1e-9):,.0f} blocks/s); "
                  f"{report['snapshots_checked']} snapshot roots matched")
            _, lines = _info(chain)
            print("\n".join(lines))
            netuid = next((n for n in chain.subnets() if n != 0), 0)
            _, mlines = _metagraph_lines(chain, netuid, limit=args.rows)
            print()
            print("\n".join(mlines))
            chain.check_invariants()
            print("\ninvariant holds: total issuance = free balances + stake + subnet locks")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from .synth import SynthConfig, preset, synthesize

    given = {k: v for k, v in (("subnets", args.subnets), ("uids", args.uids), ("blocks", args.blocks),
                               ("seed", args.seed), ("tx_per_block", args.tx_per_block)) if v is not None}
    cfg = preset(args.preset, **given) if args.preset else SynthConfig(**given)
    stats = synthesize(args.path, cfg, progress=not args.json)
    _out(args, stats, [f"{k:<10} {v}" for k, v in stats.items()])
    return 0


def _netuid_values(items: Sequence[str], what: str) -> dict[int, int]:
    out: dict[int, int] = {}
    for it in items:
        k, sep, v = it.partition("=")
        if not sep or not k.isdigit() or not v.isdigit():
            raise SystemExit(f"taostate import: {what} takes NETUID=RAO, got {it!r}")
        out[int(k)] = int(v)
    return out


def cmd_import(args: argparse.Namespace) -> int:
    from .genesis import Genesis

    sources: list[bytes | str | list[int]] = []
    for f in args.files:
        with open(f, "rb") as fh:
            raw = fh.read()
        try:
            text = raw.decode("ascii").strip()
        except UnicodeDecodeError:
            sources.append(raw)  # the answer's bytes
            continue
        if text[:1] in ("[", "{"):  # the RPC's JSON: [byte, …] or {"jsonrpc": …, "result": [byte, …]}
            try:
                doc = json.loads(text)
            except ValueError as e:
                raise SystemExit(f"taostate import: {f}: not JSON ({e})") from None
            sources.append(doc["result"] if isinstance(doc, dict) and "result" in doc else doc)
        else:
            sources.append(text)  # a hex dump, as `bt-decode`'s fixtures hold it
    hp: dict[int, dict[str, int | bool]] = {}
    for it in args.set or []:
        k, sep, v = it.partition("=")
        netuid, dot, name = k.partition(".")
        if not sep or not dot or not netuid.isdigit():
            raise SystemExit(f"taostate import: --set takes NETUID.NAME=VALUE, got {it!r}")
        hp.setdefault(int(netuid), {})[name] = v == "true" if v in ("true", "false") else int(v)
    g = Genesis.from_neurons(*sources, block=args.block, hyperparameters=hp,
                             emission_values=_netuid_values(args.emission_value or [], "--emission-value"),
                             pending_emissions=_netuid_values(args.pending_emission or [], "--pending-emission"))
    with Chain.create(args.path, g) as chain:
        data: dict[str, Any] = {"path": args.path, "genesis_block": chain.head, "subnets": chain.subnets(),
                                "neurons": {s.netuid: len(s.neurons) for s in g.subnets},
                                "total_stake": chain.total_stake, "state_root": chain.state_root()}
    _out(args, data, [f"imported {sum(data['neurons'].values())} neurons of subnet(s) "
                      f"{', '.join(str(s.netuid) for s in g.subnets)} as the state of block {data['genesis_block']}",
                      f"total stake {Balance(data['total_stake'])}", f"state root  {data['state_root']}",
                      f"the chain continues at block {data['genesis_block'] + 1}: taostate info {args.path}"])
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    with Chain.open(args.path, readonly=True) as chain:
        t0 = time.perf_counter()
        report = chain.verify(progress=not args.json)
        dt = time.perf_counter() - t0
        blocks = report["head"] - chain._first_block()  # an imported genesis starts later than 0
    report["seconds"] = dt
    report["blocks_per_second"] = blocks / max(dt, 1e-9)
    _out(args, report, [f"replayed {blocks} blocks in {dt:.2f} s "
                        f"({report['blocks_per_second']:,.0f} blocks/s)",
                        f"state root {report['state_root']}"])
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    with Chain.open(args.path, readonly=True, progress=not args.json) as chain:
        data, lines = _info(chain)
    _out(args, data, lines)
    return 0


def cmd_metagraph(args: argparse.Namespace) -> int:
    with Chain.open(args.path, readonly=True, progress=not args.json) as chain:
        data, lines = _metagraph_lines(_state(chain, args.block), args.netuid, limit=args.rows)
    _out(args, data, lines)
    return 0


def cmd_balance(args: argparse.Namespace) -> int:
    who = _account_arg(args.account)
    with Chain.open(args.path, readonly=True, progress=not args.json) as chain:
        st = _state(chain, args.block)
        data: dict[str, Any] = {"account": who.ss58, "block": st.block, "free": st.balance(who),
                "staked": st.coldkey_stake(who)}
    _out(args, data, [f"{who.ss58} at block {data['block']}",
                      f"  free    {Balance(data['free'])}", f"  staked  {Balance(data['staked'])}"])
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    with Chain.open(args.path, readonly=True) as chain:
        report = chain.verify(progress=not args.json)
    _out(args, {"ok": True, **report},
         [f"ok: {report['head']} blocks, {report['snapshots_checked']} snapshot roots matched",
          f"head hash  {report['head_hash']}", f"state root {report['state_root']}"])
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    with Chain.open(args.path) as chain:
        block = chain.snapshot()
    _out(args, {"snapshot": block}, [f"snapshot stored at block {block}"])
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="taostate", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def cmd(name: str, fn: Any, help: str, path: bool = True) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help)
        if path:
            sp.add_argument("path", help="chain directory (an LMDB environment)")
        sp.add_argument("--json", action="store_true", help="machine-readable output")
        sp.set_defaults(fn=fn)
        return sp

    d = cmd("demo", cmd_demo, "build a small synthetic chain, replay it, show a metagraph", path=False)
    d.add_argument("--subnets", type=int, default=4)
    d.add_argument("--uids", type=int, default=32)
    d.add_argument("--blocks", type=int, default=2000)
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--rows", type=int, default=16)
    s = cmd("synth", cmd_synth, "write a deterministic synthetic Finney-like chain")
    s.add_argument("--preset", default=None, help="a named preset, e.g. finney-year (the options "
                   "below override its fields)")
    s.add_argument("--subnets", type=int, default=None, help="default 32")
    s.add_argument("--uids", type=int, default=None, help="default 256")
    s.add_argument("--blocks", type=int, default=None, help="default 7200 (finney-year: 2 628 000)")
    s.add_argument("--tx-per-block", type=float, default=None, help="default 4")
    s.add_argument("--seed", type=int, default=None, help="default 0")
    im = cmd("import", cmd_import, "create a chain whose genesis is real subnets' state (recorded "
             "get_neurons answers)", path=False)
    im.add_argument("files", nargs="+", metavar="FILE", help="a SCALE-encoded get_neurons answer (hex, "
                    "binary, or the neuronInfo_getNeurons RPC's JSON), one per subnet")
    im.add_argument("path", help="the new chain's directory")
    im.add_argument("--block", type=int, default=None, help="the block the answers are from (default: the "
                    "latest block they mention)")
    im.add_argument("--set", action="append", metavar="NETUID.NAME=VALUE", help="a subnet hyperparameter "
                    "(docs/ruleset.md §13.1 names; default: a new subnet's)")
    im.add_argument("--emission-value", action="append", metavar="NETUID=RAO", help="rao per block")
    im.add_argument("--pending-emission", action="append", metavar="NETUID=RAO",
                    help="rao waiting for the next epoch")
    cmd("replay", cmd_replay, "replay a chain from genesis and time it")
    cmd("info", cmd_info, "summary of the head state")
    m = cmd("metagraph", cmd_metagraph, "a subnet's metagraph")
    m.add_argument("netuid", type=int)
    m.add_argument("--block", type=int, default=None)
    m.add_argument("--rows", type=int, default=32)
    b = cmd("balance", cmd_balance, "an account's free and staked balance")
    b.add_argument("account", help="ss58 address, 64 hex digits or a dev account name")
    b.add_argument("--block", type=int, default=None)
    cmd("verify", cmd_verify, "replay from genesis, check hashes and snapshot roots")
    cmd("snapshot", cmd_snapshot, "store a snapshot of the head state")
    from .cli_frames import register

    register(cmd)  # history, plot, whatif
    from .cli_sweep import register as register_sweep

    register_sweep(cmd)  # sweep
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except TaoStateError as e:
        print(f"taostate: {type(e).__name__}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
