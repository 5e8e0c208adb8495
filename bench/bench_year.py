"""Finney-scale replay (docs/design.md §7): 32 subnets × 256 uids, 64 validators each, tempo 360.

Writes `--blocks` blocks of synthetic history with `taostate.synth`, then measures in the same run:
full replay from genesis (blocks/s, and the extrapolation to a year = 2.6 M blocks), `chain.at(b)`
for a block in the middle (snapshots every `--snapshot-every` blocks), and peak RSS.
Usage: python bench/bench_year.py [--blocks 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time

import taostate as ts
from taostate.chain import _replay_to
from taostate.synth import SynthConfig, synthesize

YEAR = 2_628_000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--blocks", type=int, default=20_000)
    ap.add_argument("--subnets", type=int, default=32)
    ap.add_argument("--uids", type=int, default=256)
    ap.add_argument("--snapshot-every", type=int, default=10_000)
    args = ap.parse_args()
    cfg = SynthConfig(subnets=args.subnets, uids=args.uids, blocks=args.blocks, tempo=360,
                      snapshot_every=args.snapshot_every, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "chain")
        t0 = time.perf_counter()
        stats = synthesize(path, cfg)
        t_synth = time.perf_counter() - t0
        with ts.Chain.open(path, readonly=True) as chain:
            t0 = time.perf_counter()
            engine = _replay_to(chain._log, chain.head)  # from genesis? no: see below
            t_open = time.perf_counter() - t0
            from taostate import _core

            t0 = time.perf_counter()
            full = _core.Engine.from_genesis(chain._log.genesis())
            batch = []
            for _, rec in chain._log.iter_blocks(1, chain.head + 1):
                batch.append(rec)
                if len(batch) == 4096:
                    full.apply_records(batch)
                    batch = []
            full.apply_records(batch)
            t_replay = time.perf_counter() - t0
            assert bytes(full.state_root()) == bytes(engine.state_root())
            mid = chain.head // 2 + 1234 % max(chain.head // 2, 1)
            t0 = time.perf_counter()
            chain.at(mid)
            t_at = time.perf_counter() - t0
        size = sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    bps = stats["blocks"] / t_replay
    out = {
        **stats, "synth_s": t_synth, "replay_s": t_replay, "replay_blocks_per_s": bps,
        "replay_tx_per_s": stats["txs"] / t_replay, "year_extrapolated_min": YEAR / bps / 60,
        "open_latest_snapshot_s": t_open, "at_mid_block_s": t_at, "at_block": mid,
        "log_bytes": size, "peak_rss_mib": rss / 2**20,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
