"""Differential testing of taostate against the reference chain's own pallet.

Exports histories (random ones from `taostate.testing.histories()` and synthetic ones from
`taostate.synth`) to the JSON the harness (`tools/refdiff/harness.rs`, run inside a reference
checkout) reads, replays the same histories in taostate, and compares the two block by block:
each transaction's outcome, then the state after every block. The ruleset's deliberate
deviations (docs/ruleset.md §1) are normalised explicitly: `NORMALISATIONS` has one entry per id
of that table, saying how the comparison accounts for it. Any other difference is reported as
the first divergent block, transaction and field, with both values.

    python tools/refdiff/refdiff.py run --ref REF [--random N] [--synth K] [--seed S]

PoW registration (`register`) and `faucet` are not exported: registrations reach the reference
through `burned_register`, `sudo_register` and `root_register` (deviation D-pow-hash: the seal
hashes a different block hash in each).

The parts, one module each beside this one: ``deviations`` (the normalisations), ``exporter``
(histories as the harness's JSON), ``replay`` (the taostate side), ``comparer`` (the verdict per
history) and ``histories`` (random, synthetic and scenario histories). This file runs them: the
reference in batches, then the comparison, and the command line.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable

# the sibling modules, also when this file is loaded by path (tests/test_refdiff.py)
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import taostate as ts  # noqa: E402
import taostate.testing  # noqa: E402,F401  (ts.testing)
from comparer import Verdict, compare  # noqa: E402
from deviations import ERROR_ALIASES, NORMALISATIONS, Normalisation  # noqa: E402
from exporter import export_history, export_tx, proposal_hash, sanitise  # noqa: E402
from histories import random_histories, scenario_history, synth_history  # noqa: E402
from replay import TsRun, run_taostate  # noqa: E402

__all__ = ["ERROR_ALIASES", "NORMALISATIONS", "Normalisation", "TsRun", "Verdict", "compare",
           "export_history", "export_tx", "main", "proposal_hash", "random_histories", "run",
           "run_reference", "run_taostate", "sanitise", "scenario_history", "synth_history"]


def run_reference(ref: Path, exported: list[dict[str, Any]], work: Path) -> list[dict[str, Any]]:
    inp, out = work / "in.json", work / "out.jsonl"
    inp.write_text(json.dumps({"histories": exported}))
    env = dict(os.environ, REFDIFF_IN=str(inp), REFDIFF_OUT=str(out))
    subprocess.run(["cargo", "test", "-q", "-p", "pallet-subtensor", "--test", "refdiff", "-j", "2",
                    "--", "--nocapture"], cwd=ref, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return [json.loads(line) for line in out.read_text().splitlines()]


def run(ref: Path, histories: Iterable[tuple[str, ts.testing.History]], work: Path,
        batch: int = 200, log: Callable[[str], None] = print) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    totals: Counter[str] = Counter()
    settled: Counter[str] = Counter()
    skips: Counter[str] = Counter()
    divergences: list[str] = []
    pending: list[tuple[str, ts.testing.History]] = []

    def flush() -> None:
        hs = [(label, sanitise(h)) for label, h in pending]
        exported = [export_history(h) for _, h in hs]
        refs = run_reference(ref, exported, work)
        for (label, h), e, r in zip(hs, exported, refs):
            mine = run_taostate(h)
            v = compare(h, r, mine, e)
            totals["histories"] += 1
            totals["blocks"] += v.blocks
            totals["txs"] += v.txs
            totals["epochs"] += _epochs(r, v.blocks)
            totals["root_epochs"] += _root_epochs(r, v.blocks)
            skips.update(v.skips)
            totals[v.status] += 1
            if v.status == "explained":
                settled[v.deviation] += 1
            if v.status == "diverged":
                divergences.append(f"{label}: {v.detail}")
                keep = work / "diverged"
                keep.mkdir(exist_ok=True)
                with open(keep / (label.replace("/", "_") + ".pickle"), "wb") as f:
                    pickle.dump(h, f)
                log(f"DIVERGENCE {label}: {v.detail}")
        pending.clear()
        log(f"  {dict(totals)}")

    for item in histories:
        pending.append(item)
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    return {"totals": dict(totals), "ended_by_deviation": dict(settled),
            "not_sent_or_renamed": dict(skips), "divergences": divergences}


def _epochs(ref: dict[str, Any], upto: int) -> int:
    """Subnet epochs run in the compared blocks (a subnet's BlocksSinceLastStep reset to 0)."""
    if "blocks" not in ref:
        return 0
    n = 0
    for blk in ref["blocks"][1:upto + 1]:
        for sub in blk["state"]["subnets"].values():
            if sub["last_mechanism_step_block"] == blk["block"]:
                n += 1
    return n


def _root_epochs(ref: dict[str, Any], upto: int) -> int:
    """Root epochs run in the compared blocks (docs/ruleset.md §5: the root netuid's epoch
    block by its tempo)."""
    if "blocks" not in ref:
        return 0
    n = 0
    for blk in ref["blocks"][1:upto + 1]:
        root = blk["state"]["subnets"].get("00000")
        if root and ts._core.blocks_until_next_epoch(0, root["tempo"], blk["block"]) == 0:
            n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("command", choices=["run"])
    p.add_argument("--ref", required=True, type=Path, help="the prepared reference checkout")
    p.add_argument("--random", type=int, default=200, help="random histories (testing.histories)")
    p.add_argument("--max-blocks", type=int, default=8)
    p.add_argument("--max-txs", type=int, default=6)
    p.add_argument("--synth", type=int, default=0, help="synthetic histories (taostate.synth)")
    p.add_argument("--synth-blocks", type=int, default=300)
    p.add_argument("--scenarios", type=int, default=0, help="scenario walks (scenario_history)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work", type=Path, default=Path("/tmp/refdiff"))
    a = p.parse_args(argv)
    t0 = time.time()

    def items() -> Iterable[tuple[str, ts.testing.History]]:
        from taostate.synth import SynthConfig

        for k in range(a.synth):
            cfg = SynthConfig(subnets=3, uids=12, validators=4, blocks=a.synth_blocks,
                              tx_per_block=4, users=12, tempo=20 + k % 30, seed=a.seed + k,
                              snapshot_every=10_000, governance_every=150)
            yield f"synth/{a.seed + k}", synth_history(cfg)
        for k in range(a.scenarios):
            yield f"scenario/{a.seed + k}", scenario_history(a.seed + k)
        chunk = 100
        for start in range(0, a.random, chunk):
            for j, h in enumerate(random_histories(min(chunk, a.random - start), a.seed + start)):
                yield f"random/{a.seed}+{start + j}", h

    result = run(a.ref, items(), a.work)
    result["seconds"] = round(time.time() - t0)
    print(json.dumps(result, indent=1, sort_keys=True))
    return 1 if result["divergences"] else 0


if __name__ == "__main__":
    sys.exit(main())
