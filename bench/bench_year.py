"""A Finney-scale year end to end (issue 15, docs/design.md §7): generate, store, replay,
time-travel — one command.

    python bench/bench_year.py                 # the real year: preset finney-year, 2 628 000 blocks
    python bench/bench_year.py --blocks 50000  # a slice, same preset
    python bench/bench_year.py --subnets 64    # the 64-subnet knob

Measured in one run, each with its same-run baseline:
  * generation (`taostate.synth`, writing included): wall and CPU seconds, blocks/s — baseline:
    the replay of the same log (the engine's share of the work);
  * replay from genesis out of LMDB (`Engine.apply_records` over every block: decompression,
    decoding, hash chain, rules, epochs), `--replays` times (default 3; the figure is the median,
    each run is listed: this machine's speed drifts by ±10 % between runs): seconds, blocks/s,
    tx/s — baseline: a Python loop that only reads the same values with py-lmdb, decompresses
    them and msgpack-decodes them;
  * `chain.at(b)` at random blocks of the whole history, and of the recent window the snapshot
    policy keeps dense: seconds (min / median / max) of the reads in ascending order in one
    process (a scan: each may start from the last view), of each read as the first of a freshly
    opened chain, and of the same blocks in random order in one process — baseline: restoring
    the snapshot it starts from, without the replay of the tail;
  * disk: the LMDB file's allocated size, split into block records and snapshots, with the raw
    (uncompressed) sizes for the compression ratios;
  * peak RSS after each phase (the process high-water mark).
Everything after the generation is measured in a fresh process (this script with `--reuse`), as a
user reads a log written earlier: not in the generator's process (its heap, right after minutes of
full load). Prints JSON (and a progress bar while generating and replaying). `--path DIR` keeps the log there
(and `--reuse` measures an existing one without generating).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from typing import Any

import msgpack

import taostate as ts
from taostate import _core
from taostate.chain import _batches, _restore_stored
from taostate.log import BlockLog
from taostate.synth import preset, synthesize


def rss_mib() -> float:
    """Peak resident set (MiB). It counts the LMDB map's file pages the process has read, so after
    a full replay it includes most of the log: see `rss_split_mib` for the process's own memory."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_split_mib() -> dict[str, float]:
    """Current resident memory split (Linux): `anon` (the process's own heap: state, buffers) and
    `file` (pages of mapped files — the LMDB log — which the kernel can drop at will)."""
    out: dict[str, float] = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                for key, name in (("RssAnon:", "anon"), ("RssFile:", "file")):
                    if line.startswith(key):
                        out[name] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


def scan_baseline(log: BlockLog) -> tuple[float, int]:
    """Read + decompress + msgpack-decode every block record in Python; (seconds, txs). Uses the
    log's own LMDB handle (py-lmdb allows one per environment and process)."""
    sh = log._sh
    records = sh.codec.records  # format 3: a value holds 16 records
    t0 = time.perf_counter()
    count = 0
    with sh.env.begin(db=sh.blocks) as txn:
        for key, value in txn.cursor():
            struct.unpack(">Q", key)
            for raw in records(value):
                rec = msgpack.unpackb(raw, raw=False)
                count += len(rec[3])
    return time.perf_counter() - t0, count


def disk(log: BlockLog) -> dict[str, Any]:
    sh = log._sh
    st = os.stat(os.path.join(log.path, "data.mdb"))
    out: dict[str, Any] = {"data_mdb_allocated_bytes": st.st_blocks * 512, "data_mdb_size": st.st_size}
    with sh.env.begin() as txn:
        def blocks(v: bytes) -> int:
            return sum(map(len, sh.codec.records(v)))

        def snapshots(v: bytes) -> int:
            return len(sh.codec.unsnapshot(v))

        for name, db, raw_len in (("blocks", sh.blocks, blocks), ("snapshots", sh.snapshots, snapshots)):
            s = txn.stat(db)
            stored = raw = 0
            for _, v in txn.cursor(db=db):
                stored += len(v)
                raw += raw_len(v)
            pages = s["leaf_pages"] + s["branch_pages"] + s["overflow_pages"]
            out[name] = {"entries": s["entries"], "stored_bytes": stored, "raw_bytes": raw,
                         "ratio": raw / max(stored, 1), "pages_bytes": pages * s["psize"]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="finney-year")
    ap.add_argument("--blocks", type=int, default=None, help="default: the preset's (a year)")
    ap.add_argument("--subnets", type=int, default=None)
    ap.add_argument("--snapshot-every", type=int, default=None)
    ap.add_argument("--full-snapshot-every", type=int, default=None,
                    help="0: every snapshot full; else a multiple of --snapshot-every")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--at-samples", type=int, default=20)
    ap.add_argument("--replays", type=int, default=3,
                    help="replays from genesis, each timed (the figure is their median)")
    ap.add_argument("--path", default=None, help="keep the log in this directory")
    ap.add_argument("--reuse", action="store_true", help="measure the log at --path, do not generate")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args()
    over = {k: v for k, v in (("blocks", args.blocks), ("subnets", args.subnets),
                              ("snapshot_every", args.snapshot_every),
                              ("full_snapshot_every", args.full_snapshot_every), ("seed", args.seed))
            if v is not None}
    cfg = preset(args.preset, **over)
    progress = not args.no_progress
    out: dict[str, Any] = {"preset": args.preset, "config": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__}}
    tmp = None
    if args.path is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench-year-")
        path = os.path.join(tmp.name, "chain")
    else:
        path = args.path
    try:
        if args.reuse:
            out.update(measure(path, cfg, args, progress))
        else:
            t0, c0 = time.perf_counter(), time.process_time()
            stats = synthesize(path, cfg, progress=progress)
            out["generate"] = {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0, **stats}
            out["generate"]["blocks_per_s"] = stats["blocks"] / out["generate"]["wall_s"]
            out["rss_after_generate_mib"] = rss_mib()
            print("generated:", json.dumps(out["generate"]), file=sys.stderr, flush=True)
            # The rest is measured in a fresh process, as a user reads a log written earlier: not
            # in the generator's (its heap, and the machine just after minutes of full load).
            out.update(measure_in_child(path, args))
            out["generate"]["over_replay"] = out["generate"]["wall_s"] / out["replay"]["wall_s"]
    finally:
        if tmp is not None:
            tmp.cleanup()
    print(json.dumps(out, indent=1, default=str))


def measure_in_child(path: str, args: argparse.Namespace) -> dict[str, Any]:
    """`measure` in a new process (this script with --reuse), its JSON back."""
    argv = [sys.executable, os.path.abspath(__file__), "--reuse", "--path", path,
            "--preset", args.preset, "--at-samples", str(args.at_samples), "--replays", str(args.replays)]
    for flag, value in (("--blocks", args.blocks), ("--subnets", args.subnets),
                        ("--snapshot-every", args.snapshot_every),
                        ("--full-snapshot-every", args.full_snapshot_every), ("--seed", args.seed)):
        if value is not None:
            argv += [flag, str(value)]
    if args.no_progress:
        argv.append("--no-progress")
    done = subprocess.run(argv, stdout=subprocess.PIPE, check=True, text=True)
    child: dict[str, Any] = json.loads(done.stdout)
    return {k: v for k, v in child.items() if k not in ("preset", "config")}


def measure(path: str, cfg: Any, args: argparse.Namespace, progress: bool) -> dict[str, Any]:
    """Disk, replay from genesis (`args.replays` times), the decode-only baseline, `at(b)`."""
    out: dict[str, Any] = {}
    with ts.Chain.open(path, readonly=True) as chain:
        log = chain._log
        out["disk"] = disk(log)
        head = chain.head
        # replay from genesis (what Chain.verify does, minus the snapshot-root checks); the
        # machine's speed drifts by ±10 % from run to run, so it is timed several times
        walls, cpus = [], []
        for _ in range(max(1, args.replays)):
            t0, c0 = time.perf_counter(), time.process_time()
            engine = _core.Engine.from_genesis(log.genesis())
            for batch in _batches(log, 1, head, progress=progress, desc="replay"):
                engine.apply_records(batch)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            assert int(engine.head) == head
            root = bytes(engine.state_root()).hex()
            assert root == chain.state_root()
            print(f"replay: {walls[-1]:.1f} s", file=sys.stderr, flush=True)
            if len(walls) < args.replays:
                del engine
        t_replay, c_replay = statistics.median(walls), statistics.median(cpus)
        out["rss_after_replay_mib"] = rss_mib()
        out["rss_after_replay_split_mib"] = rss_split_mib()
        t_base, txs = scan_baseline(log)
        out["replay"] = {
            "blocks": head, "txs": txs, "wall_s": t_replay, "cpu_s": c_replay,
            "runs_wall_s": walls, "runs_cpu_s": cpus,
            "blocks_per_s": head / t_replay, "tx_per_s": txs / t_replay,
            "baseline_decode_only_s": t_base, "replay_over_baseline_speed": t_base / t_replay,
            "state_root": root,
        }
        # at(b) at random blocks, against restoring its snapshot alone; then at random blocks
        # of the recent window (cfg.recent_snapshots), where the policy keeps snapshots dense
        rng = random.Random(15)
        every, window = cfg.recent_snapshots
        ranges = {"at": (1, head)}
        if every:
            ranges["at_recent"] = (max(1, head - window), head)
        for name, (lo, hi) in ranges.items():
            samples = sorted(rng.randrange(lo, hi + 1) for _ in range(args.at_samples))
            at_s, cold_s, restore_s, tails = [], [], [], []
            for b in samples:
                t0 = time.perf_counter()
                chain.at(b)
                at_s.append(time.perf_counter() - t0)
                # the same read as the first one of a freshly opened chain (nothing restored
                # yet: a one-shot command)
                with ts.Chain.open(path, readonly=True) as fresh:
                    t0 = time.perf_counter()
                    fresh.at(b)
                    cold_s.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                found = log.latest_snapshot(b)
                if found is not None:
                    _restore_stored(log, found[1])
                restore_s.append(time.perf_counter() - t0)
                tails.append(b - (found[0] if found else 0))
            # the same blocks in random order, in one freshly opened chain
            shuffled = random.Random(16).sample(samples, len(samples))
            shuffled_s = []
            with ts.Chain.open(path, readonly=True) as fresh:
                for b in shuffled:
                    t0 = time.perf_counter()
                    fresh.at(b)
                    shuffled_s.append(time.perf_counter() - t0)
            out[name] = {"blocks": samples, "seconds": at_s, "min_s": min(at_s),
                         "shuffled_seconds": shuffled_s,
                         "shuffled_median_s": statistics.median(shuffled_s),
                         "median_s": statistics.median(at_s), "max_s": max(at_s),
                         "first_read_seconds": cold_s, "first_read_median_s": statistics.median(cold_s),
                         "baseline_restore_only_median_s": statistics.median(restore_s),
                         "tail_blocks_median": statistics.median(tails),
                         "snapshots": len(log.snapshots())}
    out["peak_rss_mib"] = rss_mib()
    return out


if __name__ == "__main__":
    main()
