"""The `taostate history`, `plot` and `whatif` commands (registered by `taostate.cli`).

    taostate history PATH --netuid 1 --fields incentive,dividends --every-epoch -o sn1.parquet
    taostate plot PATH issuance|emission|metagraph|history [--netuid N] [--field F] -o out.png
    taostate whatif PATH --at B --set 1.kappa=40000 --blocks 3600 --plot out.png
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from .chain import Chain
from .errors import TaoStateError


def _frame_out(frame: Any, out: str | None, as_json: bool) -> dict[str, Any]:
    info: dict[str, Any] = {"rows": frame.height, "columns": frame.columns}
    if out is not None:
        if out.endswith(".parquet"):
            frame.write_parquet(out)
        elif out.endswith(".csv"):
            frame.write_csv(out)
        else:
            raise TaoStateError(f"-o {out}: write .parquet or .csv")
        info["output"] = out
    if as_json:
        print(json.dumps(info, default=str, sort_keys=True))
    else:
        print(frame)
        if out is not None:
            print(f"wrote {frame.height} rows to {out}")
    return info


def _every(args: argparse.Namespace) -> int | str:
    if args.every_epoch and args.every is not None:
        raise TaoStateError("choose one of --every-epoch and --every K")
    if args.every is not None:
        return int(args.every)
    return "epoch" if args.every_epoch or args.level == "neurons" else 1


def cmd_history(args: argparse.Namespace) -> int:
    fields = args.fields.split(",") if args.fields else None
    with Chain.open(args.path, readonly=True) as chain:
        span = {"start": args.start, "stop": args.stop}
        if args.level == "neurons":
            frame = chain.history(args.netuid, fields, every=_every(args), **span)
        elif args.level == "subnets":
            frame = chain.subnet_series(args.netuid, fields, every=_every(args), **span)
        else:
            every = _every(args)
            if every == "epoch":
                raise TaoStateError("chain-level series are sampled --every K blocks")
            frame = chain.chain_series(fields, every=int(every), **span)
    _frame_out(frame, args.output, args.json)
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from . import plot

    out = args.output or f"{args.kind}.png"
    with Chain.open(args.path, readonly=True) as chain:
        if args.kind == "issuance":
            path = plot.issuance(chain, out)
        elif args.kind == "emission":
            path = plot.emission(chain, out)
        else:
            if args.netuid is None:
                raise TaoStateError(f"plot {args.kind} needs --netuid N")
            if args.kind == "metagraph":
                state = chain if args.block is None else chain.at(args.block)
                path = plot.metagraph(state, args.netuid, out)
            else:
                frame = chain.history(args.netuid, [args.field], start=args.start,
                                      stop=args.stop, every=args.every or "epoch")
                path = plot.history(frame, args.netuid, args.field, out)
    print(json.dumps({"output": path}) if args.json else f"wrote {path}")
    return 0


def _override(text: str) -> tuple[int | None, str, int | bool]:
    """`NETUID.NAME=VALUE` (NETUID `global` for a global parameter; VALUE an int, true/false)."""
    try:
        target, value = text.split("=", 1)
        net, name = target.split(".", 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--set {text}: write NETUID.NAME=VALUE, e.g. 1.kappa=40000")
    netuid = None if net == "global" else int(net)
    v: int | bool
    if value.lower() in ("true", "false"):
        v = value.lower() == "true"
    else:
        v = int(value.replace("_", ""))
    return netuid, name, v


def cmd_whatif(args: argparse.Namespace) -> int:
    overrides: dict[int | None, dict[str, int | bool]] = {}
    for netuid, name, value in args.set or []:
        overrides.setdefault(netuid, {})[name] = value
    with Chain.open(args.path, readonly=True) as chain:
        at = chain.head - args.blocks if args.at is None else args.at
        with chain.fork(at=at, hyperparameters=overrides) as fork:
            rejected = fork.replay(chain, blocks=args.blocks)
            main = chain.at(fork.head)
            netuid = args.netuid
            if netuid is None:
                netuid = next((n for n in overrides if n is not None), None)
            if netuid is None:
                netuid = next((n for n in fork.subnets() if n != 0), 0)
            ma, mf = main.metagraph(netuid), fork.metagraph(netuid)
            data: dict[str, Any] = {
                "at": at, "blocks": args.blocks, "head": fork.head, "netuid": netuid,
                "overrides": {str(k): v for k, v in overrides.items()},
                "rejected": len(rejected),
                "rejected_by_error": _count(type(r.error).__name__ for r in rejected),
                "main_state_root": main.state_root(), "fork_state_root": fork.state_root(),
                "main": {"incentive": ma.incentive_u16.tolist(), "dividends": ma.dividends_u16.tolist()},
                "fork": {"incentive": mf.incentive_u16.tolist(), "dividends": mf.dividends_u16.tolist()},
            }
            if args.plot:
                from . import plot

                sets = ", ".join(f"{'global' if k is None else k}.{n}={v}"
                                 for k, p in overrides.items() for n, v in p.items())
                data["plot"] = plot.whatif(main, fork, netuid, args.plot, label=f"fork ({sets})")
    if args.json:
        print(json.dumps(data, default=str, sort_keys=True))
    else:
        print(f"fork at block {at} with {data['overrides']}, {args.blocks} blocks of the main "
              f"line re-submitted: {data['rejected']} transactions refused {data['rejected_by_error']}")
        print(f"subnet {netuid} at block {data['head']}, the uids that differ:")
        print(f"{'uid':>5}  {'incentive main → fork':>22}  {'dividends main → fork':>22}")
        for uid in range(max(ma.n, mf.n)):
            ia, ib = _at(ma.incentive, uid), _at(mf.incentive, uid)
            da, db = _at(ma.dividends, uid), _at(mf.dividends, uid)
            if ia != ib or da != db:
                print(f"{uid:>5}  {ia:>10.4f} → {ib:<9.4f}  {da:>10.4f} → {db:<9.4f}")
        if "plot" in data:
            print(f"wrote {data['plot']}")
    return 0


def _at(values: Any, i: int) -> float:
    return float(values[i]) if i < len(values) else 0.0


def _count(names: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for n in names:
        out[n] = out.get(n, 0) + 1
    return out


def register(cmd: Callable[..., argparse.ArgumentParser]) -> None:
    """Adds the three commands through `cli.build_parser`'s `cmd(name, fn, help)`."""
    h = cmd("history", cmd_history, "metagraph / subnet / chain history as a table or parquet")
    h.add_argument("--level", choices=("neurons", "subnets", "chain"), default="neurons")
    h.add_argument("--netuid", type=int, action="append", help="repeat for several (default all)")
    h.add_argument("--fields", default=None, help="comma-separated (default all)")
    h.add_argument("--every-epoch", action="store_true", help="a row set after each epoch")
    h.add_argument("--every", type=int, default=None, help="a row set every K blocks")
    h.add_argument("--start", type=int, default=None)
    h.add_argument("--stop", type=int, default=None)
    h.add_argument("-o", "--output", default=None, help="write .parquet or .csv")
    p = cmd("plot", cmd_plot, "draw a PNG: issuance, emission, metagraph, history")
    p.add_argument("kind", choices=("issuance", "emission", "metagraph", "history"))
    p.add_argument("--netuid", type=int, default=None)
    p.add_argument("--field", default="dividends", help="for history (default dividends)")
    p.add_argument("--block", type=int, default=None, help="for metagraph (default head)")
    p.add_argument("--every", type=int, default=None, help="for history (default every epoch)")
    p.add_argument("--start", type=int, default=None)
    p.add_argument("--stop", type=int, default=None)
    p.add_argument("-o", "--output", default=None, help="PNG path (default KIND.png)")
    w = cmd("whatif", cmd_whatif, "fork at a block with changed hyperparameters, replay, compare")
    w.add_argument("--at", type=int, default=None, help="fork after this block (default head - blocks)")
    w.add_argument("--set", type=_override, action="append", metavar="NETUID.NAME=VALUE",
                   help="a hyperparameter override, e.g. 1.kappa=40000 (repeatable)")
    w.add_argument("--blocks", type=int, default=3600, help="main-line blocks to re-submit")
    w.add_argument("--netuid", type=int, default=None, help="subnet to compare (default the first set)")
    w.add_argument("--plot", default=None, help="write a PNG of main vs fork")
