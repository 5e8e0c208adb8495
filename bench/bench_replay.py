"""Replay benchmark (docs/design.md §7): a log of one million transfers.

Measures, in one run:
  * append: submitting + sealing through `Chain` from Python in batches (tx/s);
  * replay: `Chain.verify()`-style full replay from genesis out of LMDB (tx/s);
  * baseline: a bare Python loop that only reads the same records with py-lmdb and msgpack-decodes
    them (tx/s);
and prints the ratio replay / baseline.  Usage: python bench/bench_replay.py [--txs N] [--per-block K]
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import tempfile
import time

import lmdb
import msgpack

import taostate as ts
from taostate import tx
from taostate.chain import _replay_to


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--txs", type=int, default=1_000_000)
    ap.add_argument("--per-block", type=int, default=1000)
    ap.add_argument("--accounts", type=int, default=1000)
    args = ap.parse_args()
    accts = [ts.account(f"bench/{i}") for i in range(args.accounts)]
    genesis = ts.Genesis(balances={a: 10_000 * ts.TAO for a in accts}, sudo=accts[0])
    blocks = args.txs // args.per_block
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "chain")
        # pre-build the transactions so the append figure is the chain's, not object construction
        txs = [tx.Transfer(origin=accts[i % args.accounts], dest=accts[(i * 7 + 1) % args.accounts],
                           amount=1000 + i % 97) for i in range(args.per_block)]
        t0 = time.perf_counter()
        with ts.Chain.create(path, genesis, snapshot_every=10**12) as chain, chain.batch(size=100):
            for _ in range(blocks):
                chain.submit_many(txs)
                chain.step()
        t_append = time.perf_counter() - t0
        n = blocks * args.per_block

        with ts.Chain.open(path, readonly=True) as chain:
            log = chain._log
            t0 = time.perf_counter()
            engine = _replay_to(log, log.head())
            t_replay = time.perf_counter() - t0
            assert int(engine.head) == blocks

        env = lmdb.open(path, max_dbs=8, readonly=True, lock=False, subdir=True)
        db = env.open_db(b"blocks")
        t0 = time.perf_counter()
        count = 0
        with env.begin(db=db) as txn:
            for key, value in txn.cursor():
                struct.unpack(">Q", key)
                rec = msgpack.unpackb(value, raw=False)
                count += len(rec[3])
        t_base = time.perf_counter() - t0
        env.close()
        assert count == n
    out = {
        "transactions": n, "blocks": blocks,
        "append_tx_per_s": n / t_append, "replay_tx_per_s": n / t_replay,
        "baseline_tx_per_s": n / t_base, "replay_over_baseline": t_base / t_replay,
        "append_s": t_append, "replay_s": t_replay, "baseline_s": t_base,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
