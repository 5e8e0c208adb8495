"""Forks and history frames on a Finney-scale synthetic history (32 subnets × 256 uids, 64
validators each, tempo 360), each against a baseline timed in the same run.

1. Fork time at random blocks: `chain.fork(at=b)` the first time (restore the latest snapshot,
   replay the tail, copy), again at the same block (copy of the cached state only), and the
   baseline `chain.at(b)` (the same restore, no copy).
2. History: `chain.history()` of every subnet at every epoch over the whole range (one replay
   pass, rows gathered in Rust) against the same numbers gathered by calling
   `chain.at(b).metagraph(n)` for every epoch (b, n), building the same long frame (checked
   equal); and against a bare replay from genesis (what the one pass costs without the rows).
Usage: python bench/bench_frames.py [--blocks 5000] [--forks 12] [--path DIR (kept, reused)]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time

import polars as pl

import taostate as ts
from taostate import _core
from taostate.frames import NEURON_FIELDS
from taostate.synth import SynthConfig, synthesize

_MG = {"stake": "stake", "rank": "ranks_u16", "trust": "trust_u16", "consensus": "consensus_u16",
       "incentive": "incentive_u16", "dividends": "dividends_u16",
       "validator_trust": "validator_trust_u16", "emission": "emission", "active": "active",
       "validator_permit": "validator_permit", "last_update": "last_update",
       "block_at_registration": "block_at_registration", "pruning_score": "pruning_scores"}


def history_by_at(chain: ts.Chain, samples: list[tuple[int, int]]) -> pl.DataFrame:
    """The baseline: `at(b).metagraph(n)` per epoch sample, as the same long frame."""
    parts = []
    view, at_block = None, -1
    for b, n in samples:
        if b != at_block:
            view, at_block = chain.at(b), b
        assert view is not None
        mg = view.metagraph(n)
        cols: dict[str, object] = {
            "block": pl.Series([b] * mg.n, dtype=pl.UInt64),
            "netuid": pl.Series([n] * mg.n, dtype=pl.UInt16),
            "uid": pl.Series(range(mg.n), dtype=pl.UInt16),
            "hotkey": [h.ss58 for h in mg.hotkeys], "coldkey": [c.ss58 for c in mg.coldkeys],
        }
        for f in NEURON_FIELDS:
            cols[f] = getattr(mg, _MG[f])
        parts.append(pl.DataFrame(cols))
    return pl.concat(parts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--blocks", type=int, default=5_000)
    ap.add_argument("--forks", type=int, default=12)
    ap.add_argument("--snapshot-every", type=int, default=1_000)
    ap.add_argument("--path", default=None, help="directory to keep (and reuse) the chain in")
    args = ap.parse_args()
    cfg = SynthConfig(subnets=32, uids=256, blocks=args.blocks, tempo=360,
                      snapshot_every=args.snapshot_every, seed=1)
    tmp = None
    if args.path is None:
        tmp = tempfile.TemporaryDirectory()
        args.path = tmp.name
    path = os.path.join(args.path, f"chain-{args.blocks}-{args.snapshot_every}")
    out: dict[str, object] = {"blocks": args.blocks, "snapshot_every": args.snapshot_every}
    if not os.path.exists(path):
        t0 = time.perf_counter()
        out.update(synthesize(path, cfg))
        out["synth_s"] = time.perf_counter() - t0
    rng = random.Random(4)
    with ts.Chain.open(path, readonly=True) as chain:
        first, again, at = [], [], []
        for b in rng.sample(range(1, chain.head + 1), args.forks):
            t0 = time.perf_counter()
            chain.at(b)
            at.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            f = chain.fork(at=b)
            first.append(time.perf_counter() - t0)
            f.close()
            t0 = time.perf_counter()
            f = chain.fork(at=b)
            again.append(time.perf_counter() - t0)
            f.close()
        med = statistics.median
        out.update({
            "fork_first_median_s": med(first), "fork_first_max_s": max(first),
            "fork_again_median_s": med(again), "at_median_s": med(at),
            "fork_first_over_at": med(first) / med(at), "fork_again_over_at": med(again) / med(at),
        })

        t0 = time.perf_counter()
        engine = _core.Engine.from_genesis(chain._log.genesis())
        for batch in chain._record_batches(1, chain.head):
            engine.apply_records(batch)
        t_replay = time.perf_counter() - t0
        t0 = time.perf_counter()
        frame = chain.history()
        t_hist = time.perf_counter() - t0
        samples = sorted(set(frame.select("block", "netuid").iter_rows()))
        t0 = time.perf_counter()
        base = history_by_at(chain, samples)
        t_base = time.perf_counter() - t0
        assert base.sort("block", "netuid", "uid").equals(frame.sort("block", "netuid", "uid"))
        out.update({
            "history_rows": frame.height, "history_epochs": len(samples),
            "replay_from_genesis_s": t_replay, "history_over_replay": t_hist / t_replay,
            "history_s": t_hist, "history_rows_per_s": frame.height / t_hist,
            "per_epoch_at_s": t_base, "history_speedup": t_base / t_hist,
        })
    if tmp is not None:
        tmp.cleanup()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
