"""One small synthetic history shared by the fork, frame and plot tests (built once per module)."""

from __future__ import annotations

import hashlib
import os

from taostate.synth import SynthConfig, synthesize

# 3 subnets × 16 uids, tempo 49 (an epoch every 50 blocks per subnet), a snapshot every 500 blocks
CFG = SynthConfig(subnets=3, uids=16, validators=4, blocks=3_800, tempo=49, users=24, seed=11,
                  snapshot_every=500, governance_every=1_500)


def build(directory: str, cfg: SynthConfig = CFG) -> str:
    path = os.path.join(directory, "chain")
    synthesize(path, cfg)
    return path


def log_digest(path: str) -> str:
    """SHA-256 over every file of the LMDB environment except its lock file."""
    h = hashlib.sha256()
    for name in sorted(os.listdir(path)):
        if name.endswith(("lock.mdb", ".lock")):
            continue
        with open(os.path.join(path, name), "rb") as f:
            h.update(name.encode() + b"\0" + f.read())
    return h.hexdigest()
