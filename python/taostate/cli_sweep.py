"""The `taostate sweep` command (registered by `taostate.cli`): scenarios from a TOML file, run
on local worker processes or a Dask scheduler, results to Parquet.

    taostate sweep scenarios.toml --workers 2 [--scheduler tcp://host:8786] [-o results.parquet]

The file (every key optional except a source and a horizon; top-level keys are the defaults of
every scenario, a `[[scenario]]` overrides them, `[grid]` multiplies):

    source = "/data/finney"            # a log path (relative to this file), read on the workers
    # synth = { subnets = 4, uids = 32, blocks = 2000, seed = 7 }   # or generated on each worker
    at = 1000                          # fork after this block (default head - horizon)
    horizon = 1000                     # blocks to run (the source's re-submitted, then empty)
    measure = "taostate.sweep:summary" # module:function, importable on the workers too
    every = "end"                      # or "epoch" (with netuid = N) or a number of blocks

    [grid]                             # every combination, for each scenario
    "1.kappa" = [16384, 32767, 52000]  # NETUID.NAME (or global.NAME) hyperparameters; at, horizon

    [[scenario]]
    name = "kappa only"

    [[scenario]]
    name = "with a transfer"
    hyperparameters = { "1" = { rho = 12 } }
    transactions = [{ kind = "Transfer", origin = "5F…", dest = "5G…", amount = 1000000000 }]
    params = { note = "anything, as a column" }
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import os
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from .cli_frames import _frame_out
from .errors import TaoStateError
from .sweep import BadScenario, Measure, Scenario, SourceLike, sweep
from .synth import SynthConfig
from .tx import Tx, tx_from_dict

_KEYS = {"name", "source", "synth", "at", "horizon", "hyperparameters", "transactions", "params"}
_TOP = _KEYS | {"measure", "every", "netuid", "grid", "scenario"}


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadScenario(f"{what}: a whole number, got {value!r}")
    return value


def _source(spec: Mapping[str, Any], base: str) -> SourceLike:
    if "synth" in spec and "source" in spec:
        raise BadScenario("give either source (a log path) or synth (a SynthConfig), not both")
    if "synth" in spec:
        cfg = spec["synth"]
        if not isinstance(cfg, Mapping):
            raise BadScenario(f"synth: a table of SynthConfig fields, got {cfg!r}")
        fields: dict[str, Any] = {str(k): tuple(v) if isinstance(v, list) else v
                                  for k, v in cfg.items()}
        try:
            return SynthConfig(**fields)
        except TypeError as e:
            raise BadScenario(f"synth: {e}") from None
    path = spec.get("source")
    if not isinstance(path, str):
        raise BadScenario(f"source: a log path (or a synth table), got {path!r}")
    return os.path.join(base, os.path.expanduser(path))


def _netuid(key: str) -> int | None:
    if key == "global":
        return None
    try:
        return int(key)
    except ValueError:
        raise BadScenario(f"hyperparameters: keys are netuids or 'global', got {key!r}") from None


def _hyperparameters(spec: object) -> dict[int | None, dict[str, int | bool]]:
    if not isinstance(spec, Mapping):
        raise BadScenario(f"hyperparameters: a table {{NETUID = {{name = value}}}}, got {spec!r}")
    out: dict[int | None, dict[str, int | bool]] = {}
    for key, values in spec.items():
        if not isinstance(values, Mapping):
            raise BadScenario(f"hyperparameters.{key}: a table {{name = value}}, got {values!r}")
        out[_netuid(str(key))] = dict(values)
    return out


def _transactions(spec: object) -> list[Tx]:
    if not isinstance(spec, list):
        raise BadScenario(f"transactions: an array of tables with a kind, got {spec!r}")
    out = []
    for i, t in enumerate(spec):
        if not isinstance(t, Mapping) or not isinstance(t.get("kind"), str):
            raise BadScenario(f"transactions[{i}]: a table with kind = \"Transfer\" etc., got {t!r}")
        fields = {k: v for k, v in t.items() if k != "kind"}
        out.append(tx_from_dict(t["kind"], **fields))
    return out


def _scenario(spec: Mapping[str, Any], base: str) -> Scenario:
    unknown = set(spec) - _KEYS
    if unknown:
        raise BadScenario(f"unknown scenario keys {sorted(unknown)}; known: {sorted(_KEYS)}")
    if "horizon" not in spec:
        raise BadScenario("horizon: the number of blocks to run is required")
    at = spec.get("at")
    params = spec.get("params", {})
    if not isinstance(params, Mapping):
        raise BadScenario(f"params: a table of extra columns, got {params!r}")
    return Scenario(source=_source(spec, base), horizon=_int(spec["horizon"], "horizon"),
                    at=None if at is None else _int(at, "at"),
                    hyperparameters=_hyperparameters(spec.get("hyperparameters", {})),
                    transactions=_transactions(spec.get("transactions", [])),
                    params=dict(params), name=spec.get("name"))


def _grid(spec: object) -> list[dict[str, Any]]:
    """Every combination of the grid's values, as {key: value} (an empty grid: one, empty)."""
    if not isinstance(spec, Mapping):
        raise BadScenario(f"grid: a table of arrays, got {spec!r}")
    keys = list(spec)
    for k in keys:
        if not isinstance(spec[k], list) or not spec[k]:
            raise BadScenario(f"grid.{k}: a non-empty array of values, got {spec[k]!r}")
        if k not in ("at", "horizon") and "." not in k:
            raise BadScenario(f"grid.{k}: write NETUID.NAME (a hyperparameter), at or horizon")
    return [dict(zip(keys, combo)) for combo in itertools.product(*(spec[k] for k in keys))]


def _apply(spec: dict[str, Any], point: Mapping[str, Any]) -> dict[str, Any]:
    spec = dict(spec)
    hp = {k: dict(v) if isinstance(v, Mapping) else v
          for k, v in dict(spec.get("hyperparameters", {})).items()}
    for key, value in point.items():
        if key in ("at", "horizon"):
            spec[key] = value
        else:
            net, name = key.split(".", 1)
            hp.setdefault(net, {})[name] = value
    spec["hyperparameters"] = hp
    if point:
        label = " ".join(f"{k}={v}" for k, v in point.items())
        spec["name"] = f"{spec['name']} {label}" if spec.get("name") else label
    return spec


def load(path: str) -> tuple[list[Scenario], dict[str, Any]]:
    """The scenarios of a TOML file and the sweep's options (measure, every, netuid)."""
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except OSError as e:
        raise BadScenario(f"{path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise BadScenario(f"{path}: not valid TOML: {e}") from None
    unknown = set(doc) - _TOP
    if unknown:
        raise BadScenario(f"{path}: unknown keys {sorted(unknown)}; known: {sorted(_TOP)}")
    base = os.path.dirname(os.path.abspath(path))
    defaults = {k: v for k, v in doc.items() if k in _KEYS}
    listed = doc.get("scenario", [{}])
    if not isinstance(listed, list) or not listed:
        raise BadScenario("scenario: an array of tables ([[scenario]])")
    grid = _grid(doc.get("grid", {}))
    out = []
    for s in listed:
        if not isinstance(s, Mapping):
            raise BadScenario(f"scenario: a table, got {s!r}")
        merged = {**defaults, **s}
        if "synth" in s:
            merged.pop("source", None)
        elif "source" in s:
            merged.pop("synth", None)
        for point in grid:
            out.append(_scenario(_apply(merged, point), base))
    options = {"measure": _measure(doc.get("measure", "taostate.sweep:summary")),
               "every": doc.get("every", "end"), "netuid": doc.get("netuid")}
    return out, options


def _measure(name: object) -> Measure:
    if not isinstance(name, str) or ":" not in name:
        raise BadScenario(f"measure: 'module:function', got {name!r}")
    module, attr = name.split(":", 1)
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise BadScenario(f"measure {name}: {e}") from None
    if not callable(fn):
        raise BadScenario(f"measure {name}: not a function")
    measure: Measure = fn
    return measure


def cmd_sweep(args: argparse.Namespace) -> int:
    scenarios, options = load(args.scenarios)
    out = args.output or os.path.splitext(args.scenarios)[0] + ".parquet"
    progress = not args.json
    if args.scheduler is not None:
        from .sweep import _import_distributed

        distributed = _import_distributed()
        try:
            client = distributed.Client(args.scheduler, timeout=args.timeout)
        except OSError as e:
            raise TaoStateError(f"--scheduler {args.scheduler}: cannot connect: {e}") from None
        try:
            frame = sweep(scenarios, options["measure"], client, every=options["every"],
                          netuid=options["netuid"], progress=progress)
        finally:
            client.close()
    else:
        frame = sweep(scenarios, options["measure"], workers=args.workers,
                      every=options["every"], netuid=options["netuid"], progress=progress)
    _frame_out(frame, out, args.json)
    return 0


def register(cmd: Callable[..., argparse.ArgumentParser]) -> None:
    """Adds `sweep` through `cli.build_parser`'s `cmd(name, fn, help, path=False)`."""
    s = cmd("sweep", cmd_sweep, "run many fork-and-replay scenarios (TOML) on Dask; Parquet out",
            path=False)
    s.add_argument("scenarios", help="the scenarios file (TOML, see `taostate.cli_sweep`)")
    s.add_argument("--workers", type=int, default=None,
                   help="local worker processes (default: the CPUs; 0: in this process)")
    s.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (then --workers is unused)")
    s.add_argument("--timeout", type=float, default=30.0, help="seconds to reach the scheduler")
    s.add_argument("-o", "--output", default=None, help=".parquet (default: next to the TOML) or .csv")
