"""A full filesystem is reported as a full disk: `DiskFull` naming the free space, nothing committed
lost, nothing of the failed write kept, and the chain continues once space is freed.

Run on a real small filesystem (a tmpfs of a few MiB mounted for the test; mounting needs root),
so the failure comes from the kernel through LMDB and the real append path."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest

import taostate as ts
from taostate import tx

from helpers import ALICE, BOB, genesis


@pytest.fixture
def small_fs(tmp_path: object) -> Iterator[str]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = os.path.join(str(tmp_path), "fs")
    os.mkdir(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", mnt], check=False)


def _fill(path: str, leave: int) -> None:
    """Write a ballast file so that about `leave` bytes stay free."""
    st = os.statvfs(os.path.dirname(path))
    free = st.f_bavail * st.f_frsize
    with open(path, "wb") as f:
        f.write(b"\0" * max(free - leave, 0))


def test_full_disk_is_reported_and_the_chain_continues(small_fs: str) -> None:
    path = os.path.join(small_fs, "chain")
    ballast = os.path.join(small_fs, "ballast")
    with ts.Chain.create(path, genesis(), snapshot_every=10**9) as chain:
        for i in range(3):
            chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=1000 + i))
            chain.step()
        _fill(ballast, 64 << 10)
        sent = 0
        with pytest.raises(ts.errors.DiskFull) as ei:
            for _ in range(100_000):
                with chain.batch(size=50):
                    for _ in range(50):
                        chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=7))
                        chain.step()
                sent += 50
        err = ei.value
        msg = str(err)
        assert "filesystem holding the log is full" in msg and "free" in msg
        assert "Input/output error" not in msg.split("(LMDB said")[0]
        assert err.free_bytes is not None and err.free_bytes < 16 << 20
        assert isinstance(err, ts.LogError)
        head = chain.head
        assert head == 3 + sent  # the failed batch was not kept; everything before it is there
        assert f"ends at block {head}" in msg
        assert chain.balance(BOB) == 1_000 * ts.TAO + 1000 + 1001 + 1002 + 7 * sent
        os.remove(ballast)  # space freed: the same chain appends again
        for _ in range(20):
            chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=7))
            chain.step()
        assert chain.head == head + 20
        chain.verify()
    with ts.Chain.open(path, readonly=True) as chain:
        assert chain.head == head + 20
        assert chain.balance(BOB) == 1_000 * ts.TAO + 1000 + 1001 + 1002 + 7 * (sent + 20)
        assert chain.verify()["head"] == head + 20
