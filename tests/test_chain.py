"""The foundation end to end: submit/step/replay/snapshots/at/verify over the real LMDB log."""

from __future__ import annotations

import os

import pytest

import taostate as ts
from taostate import tx

from helpers import ALICE, BOB, CAROL, SUDO, genesis


def test_transfer_and_queries(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    with ts.Chain.create(path, genesis()) as chain:
        assert chain.head == 0
        assert chain.total_issuance == chain.total_balance == 111_005 * ts.TAO
        r = chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=3 * ts.TAO))
        assert (r.block, r.index) == (1, 0)
        assert r.events == [("Transfer", {"from": ALICE, "to": BOB, "amount": 3 * ts.TAO})]
        assert chain.balance(BOB) == 1_003 * ts.TAO  # pending state is visible
        assert chain.head == 0
        assert chain.step() == 1
        assert chain.head == 1
        assert chain.balance(ALICE.ss58) == 9_997 * ts.TAO  # ss58 accepted
        assert chain.balance(bytes(ALICE)) == 9_997 * ts.TAO  # raw bytes accepted
        assert ALICE in chain.accounts() and chain.accounts() == sorted(chain.accounts())
        assert chain.block_emission == ts.rules.block_emission(0) == ts.TAO
        assert chain.subnets() == [0]
        live_root = chain.state_root()
    with ts.Chain.open(path) as chain:
        assert chain.head == 1
        assert chain.state_root() == live_root
        assert chain.balance(BOB) == 1_003 * ts.TAO


def test_rejection_changes_nothing(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    with ts.Chain.create(path, genesis()) as chain:
        chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=1))
        before = chain.state_root()
        with pytest.raises(ts.errors.InsufficientBalance) as ei:
            chain.submit(tx.Transfer(origin=CAROL, dest=BOB, amount=6 * ts.TAO))
        assert ei.value.code == "InsufficientBalance"
        assert isinstance(ei.value, ts.TxRejected) and isinstance(ei.value, ValueError)
        assert ei.value.tx == tx.Transfer(origin=CAROL, dest=BOB, amount=6 * ts.TAO)
        with pytest.raises(ts.errors.BalanceBelowExistentialDeposit):
            chain.submit(tx.Transfer(origin=CAROL, dest=ts.account("new"), amount=499))
        with pytest.raises(ts.errors.BalanceBelowExistentialDeposit):  # sender left with dust
            chain.submit(tx.Transfer(origin=CAROL, dest=BOB, amount=5 * ts.TAO - 1))
        with pytest.raises(ts.InvalidTransaction, match="amount"):
            chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=-1))
        with pytest.raises(ts.InvalidTransaction, match="dest"):
            chain.submit(tx.Transfer(origin=ALICE, dest="not-an-address", amount=1))
        with pytest.raises(ts.errors.NotEnoughBalanceToStake):
            chain.submit(tx.AddStake(origin=CAROL, hotkey=ALICE, amount=10 * ts.TAO))
        assert chain.state_root() == before
        chain.step()
    with ts.Chain.open(path, readonly=True) as chain:
        assert chain.head == 1
        assert chain.events(1) == [("Transfer", {"from": ALICE, "to": BOB, "amount": 1})]


def test_replay_equals_live_and_at(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    roots = {}
    with ts.Chain.create(path, genesis(), snapshot_every=4) as chain:
        roots[0] = chain.state_root()
        for b in range(1, 12):
            chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=b * 1000))
            if b % 3 == 0:
                chain.submit(tx.Transfer(origin=BOB, dest=CAROL, amount=700))
            chain.step()
            roots[b] = chain.state_root()
        for b, root in roots.items():
            assert chain.at(b).state_root() == root, b
        assert chain.at(5).balance(BOB) == 1_000 * ts.TAO + sum(range(1, 6)) * 1000 - 700
        report = chain.verify()
        assert report["head"] == 11 and report["snapshots_checked"] == 2  # blocks 4 and 8
        with pytest.raises(ValueError):
            chain.at(12)
    # snapshot + tail equals full replay from genesis
    with ts.Chain.open(path) as chain:
        assert chain.state_root() == roots[11]


def _transfer_chain(tmp_path: object, blocks: int) -> tuple[str, dict[int, str]]:
    """A chain of `blocks` blocks with one transfer each (block b: b·1000 rao) and a snapshot
    every 4 blocks; its path and the state root after each block."""
    path = os.path.join(str(tmp_path), "c")
    roots = {}
    with ts.Chain.create(path, genesis(), snapshot_every=4) as chain:
        for b in range(1, blocks + 1):
            chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=b * 1000))
            chain.step()
            roots[b] = chain.state_root()
    return path, roots


def test_history_reads_reuse_the_restored_snapshot(tmp_path: object) -> None:
    """`at`/`events` keep the engine of the snapshot they restored and copy it for the next read
    from the same snapshot: the copies replay their tails without changing it (the same roots in
    any order of reads), and a read from another snapshot replaces it."""
    path, roots = _transfer_chain(tmp_path, 11)
    with ts.Chain.open(path, readonly=True) as chain:
        for b in (7, 5, 4, 6, 9, 11, 6, 7, 5):
            assert chain.at(b).state_root() == roots[b], b
            assert chain._restored.block == (8 if b >= 8 else 4)
        assert chain.events(6) == [("Transfer", {"from": ALICE, "to": BOB, "amount": 6000})]
        assert chain._restored.block == 4 and chain.at(4).state_root() == roots[4]
        assert chain.at(3).state_root() == roots[3] and chain._restored.block == 4  # from genesis


def test_stored_snapshots_restore_in_place(tmp_path: object) -> None:
    """A stored snapshot record restores from its bytes at the engine snapshot's offset (no copy),
    to the state its root names; a record this engine does not read is None; an offset past the
    end is a ValueError naming it."""
    from taostate import _core
    from taostate.chain import SNAPSHOT_VERSION, _pack_snapshot, _unpack_snapshot

    path, roots = _transfer_chain(tmp_path, 9)
    with ts.Chain.open(path, readonly=True) as chain:
        record = chain._log.get_snapshot(8)
        unpacked = _unpack_snapshot(record)
        assert unpacked is not None
        block, root, offset, base = unpacked
        assert block == 8 and root.hex() == roots[8] and base is None
        engine = _core.Engine.restore(record, offset)
        assert engine.state_root().hex() == roots[8] and int(engine.head) == 8
        state = record[offset:]
        assert _unpack_snapshot(_pack_snapshot(2**40, root, state)) == (2**40, root, offset + 8, None)
        for bad in (record[:-1], record[:40], b"", b"\x93\x01",
                    _pack_snapshot(8, root, state).replace(bytes([0x94, SNAPSHOT_VERSION]),
                                                           bytes([0x94, SNAPSHOT_VERSION + 1]), 1)):
            assert _unpack_snapshot(bad) is None
        with pytest.raises(ValueError, match=f"offset {len(record) + 1} is past the end"):
            _core.Engine.restore(record, len(record) + 1)


def test_ascending_reads_start_from_the_last_view(tmp_path: object) -> None:
    """`at(b)` for ascending `b` starts from a copy of the last view's engine when it lies between
    `b`'s snapshot and `b` (or before that snapshot, when the measured costs say replaying the
    blocks between is cheaper than a restore); earlier views keep their state."""
    path, roots = _transfer_chain(tmp_path, 13)
    with ts.Chain.open(path, readonly=True) as chain:
        views = {}
        for b in (1, 2, 3, 5, 6, 6, 7):
            views[b] = chain.at(b)
            assert chain._restored.view is not None and chain._restored.view[0] == b
            assert {k: v.state_root() for k, v in views.items()} == {k: roots[k] for k in views}
        assert chain._restored.block == 4  # restored once, for 5; 6 and 7 came from the views
        restored = chain._restored
        restored.restore_s, restored.block_s = 1.0, 0.001  # replaying 7 → 8 beats restoring 8
        assert chain.at(9).state_root() == roots[9] and restored.block == 4
        restored.restore_s, restored.block_s = 0.001, 1.0  # restoring 12 beats replaying 9 → 12
        assert chain.at(13).state_root() == roots[13] and restored.block == 12
        assert chain.events(13) == [("Transfer", {"from": ALICE, "to": BOB, "amount": 13000})]
        assert chain.at(13).state_root() == roots[13]  # events() did not change the view's engine
        assert views[7].state_root() == roots[7]


def test_step_many_and_empty_blocks(tmp_path: object) -> None:
    with ts.Chain.ephemeral(genesis()) as chain:
        assert chain.step(blocks=5) == 5
        assert chain.head == 5
        assert chain.at(3).block == 3
        with pytest.raises(ValueError):
            chain.step(blocks=0)


def test_close_discards_open_block(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    with ts.Chain.create(path, genesis()) as chain:
        chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=10**9))
    with ts.Chain.open(path) as chain:
        assert chain.head == 0
        assert chain.balance(BOB) == 1_000 * ts.TAO


def test_batch_commits_once(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    with ts.Chain.create(path, genesis()) as chain:
        with chain.batch(size=1000):
            for _ in range(10):
                chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=600))
                chain.step()
            assert chain.head == 10
            with ts.Chain.open(path, readonly=True) as reader:
                assert reader.head == 0  # nothing committed yet
        with ts.Chain.open(path, readonly=True) as reader:
            assert reader.head == 10
            assert reader.state_root() == chain.state_root()


def test_create_refuses_existing_and_missing(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    ts.Chain.create(path, genesis()).close()
    with pytest.raises(ts.errors.ChainExists):
        ts.Chain.create(path, genesis())
    with pytest.raises(ts.errors.ChainNotFound):
        ts.Chain.open(os.path.join(str(tmp_path), "nope"))


def test_open_twice_for_writing_is_refused(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    with ts.Chain.create(path, genesis()):
        with pytest.raises(ts.errors.LogLocked):
            ts.Chain.open(path)
        with ts.Chain.open(path, readonly=True) as r:  # readers are fine
            assert r.head == 0


@pytest.mark.parametrize("bad", [
    {"balances": {ALICE: 21_000_000 * ts.TAO, BOB: 1}},
    {"triumvirate": [ALICE, BOB, CAROL, SUDO]},
    {"triumvirate": [ALICE, ALICE]},
    {"params": {"total_issuance": 5}},
    {"params": {"network_lock_reduction_interval": 0}},
    {"params": {"tempo": 5}},
])
def test_invalid_genesis(tmp_path: object, bad: dict[str, object]) -> None:
    kw: dict[str, object] = {"balances": {ALICE: 1}, "sudo": SUDO, **bad}
    path = os.path.join(str(tmp_path), "c")
    with pytest.raises(ts.errors.InvalidGenesis):
        ts.Chain.create(path, ts.Genesis(**kw))  # type: ignore[arg-type]
    assert not os.path.exists(os.path.join(path, "data.mdb"))


def test_halving_examples() -> None:
    e = ts.rules.block_emission
    assert e(0) == 10**9
    assert e(10_500_000 * 10**9) == 500_000_000
    assert e(15_800_000 * 10**9) == 250_000_000
    assert e(21_000_000 * 10**9) == 0
    assert e(2**64 - 1) == 0
    table = [(0, 1_000_000_000), (10_500_000_000_000_000, 500_000_000),
             (15_750_000_000_000_000, 250_000_000), (18_375_000_000_000_000, 125_000_000),
             (19_687_500_000_000_000, 62_500_000), (20_343_750_000_000_000, 31_250_000),
             (20_671_875_000_000_000, 15_625_000), (20_835_937_500_000_000, 7_812_500),
             (20_917_968_750_000_000, 3_906_250), (20_958_984_375_000_000, 1_953_125),
             (20_979_492_187_500_000, 976_562), (20_999_999_960_884_452, 1),
             (20_999_999_980_442_226, 0)]
    for issuance, emission in table:
        assert e(issuance) == emission, issuance
    for (i, em), (_, prev) in zip(table[1:11], table[0:10]):
        assert e(i - 1) == prev, i  # exact thresholds: one rao less is still the previous level


def test_batch_commits_sealed_blocks_when_the_block_raises(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    with ts.Chain.create(path, genesis()) as chain:
        with pytest.raises(ts.errors.InsufficientBalance):
            with chain.batch(size=1000):
                chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=600))
                chain.step()
                chain.submit(tx.Transfer(origin=CAROL, dest=BOB, amount=10**15))
        assert chain.head == 1
        chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=700))  # the engine and log agree
        chain.step()
        root = chain.state_root()
    with ts.Chain.open(path, readonly=True) as reader:
        assert reader.head == 2 and reader.state_root() == root


def test_recent_snapshot_policy_keeps_a_dense_window(tmp_path: object) -> None:
    """`recent_snapshots=(every, window)`: extra snapshots near the head, thinned as it moves on;
    the `snapshot_every` grid stays; the policy survives reopening; at(b) agrees with replay."""
    path = os.path.join(str(tmp_path), "c")
    with ts.Chain.create(path, genesis(), snapshot_every=10, recent_snapshots=(2, 6)) as chain:
        with chain.batch(size=7):
            for _ in range(30):
                chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=600))
                chain.step()
        assert chain._log.snapshots() == [10, 20, 24, 26, 28, 30]
    with ts.Chain.open(path) as chain:
        for _ in range(5):
            chain.step()
        assert chain._log.snapshots() == [10, 20, 28, 30, 32, 34]  # thinned when 34 was written
        assert chain.verify()["snapshots_checked"] == 6
        full = ts._core.Engine.from_genesis(chain._log.genesis())
        full.apply_records([rec for _, rec in chain._log.iter_blocks(1, 34)])
        assert chain.at(33).state_root() == bytes(full.state_root()).hex()


def test_delta_snapshots(tmp_path: object) -> None:
    """`full_snapshot_every`: the grid's snapshots of those blocks hold the whole state, the grid's
    others are deltas from the full one before them, the recent window's (off the grid) are whole;
    every read and `verify` agree with the live roots, after reopening the first grid snapshot is
    full again, and a delta whose base is gone is skipped like any unreadable snapshot (the read
    replays from an earlier one)."""
    from taostate.chain import _unpack_snapshot

    path = os.path.join(str(tmp_path), "c")
    roots = {}

    def run(chain: ts.Chain, first: int, last: int) -> None:
        for b in range(first, last + 1):
            chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=b * 1000))
            chain.step()
            roots[b] = chain.state_root()

    def bases(chain: ts.Chain) -> dict[int, int | None]:
        out = {}
        for b in chain._log.snapshots():
            snap = _unpack_snapshot(chain._log.get_snapshot(b))
            assert snap is not None and snap.block == b
            out[b] = snap.base
        return out

    with ts.Chain.create(path, genesis(), snapshot_every=4, full_snapshot_every=12,
                         recent_snapshots=(2, 6)) as chain:
        run(chain, 1, 40)
        assert bases(chain) == {4: None, 8: 4, 12: None, 16: 12, 20: 12, 24: None, 28: 24, 32: 24,
                                34: None, 36: None, 38: None, 40: 36}
    with ts.Chain.open(path) as chain:
        run(chain, 41, 56)  # 44: full (no base held after open), 52 from 48, 56 from 48
        assert {b: v for b, v in bases(chain).items() if b > 40} == {44: None, 50: None, 48: None,
                                                                     52: 48, 54: None, 56: 48}
        assert chain.verify()["snapshots_checked"] == len(chain._log.snapshots())
    with ts.Chain.open(path, readonly=True) as chain:
        for b in (56, 3, 5, 13, 17, 25, 39, 1, 24, 47, 30, 53):
            assert chain.at(b).state_root() == roots[b], b
    with ts.Chain.open(path) as chain:
        assert chain._log.drop_snapshot(24)
    with ts.Chain.open(path, readonly=True) as chain:
        for b in (33, 30, 28, 25):  # the deltas of 24 are skipped: from 20 (a delta of 12)
            assert chain.at(b).state_root() == roots[b], b


def test_delta_snapshot_policy_is_checked(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    for bad in (10, -8, 4.0, True):
        with pytest.raises(ValueError, match="full_snapshot_every must be a multiple of snapshot_every"):
            ts.Chain.create(path, genesis(), snapshot_every=4, full_snapshot_every=bad)  # type: ignore[arg-type]
        assert not os.path.exists(path)
    with ts.Chain.create(path, genesis(), snapshot_every=4) as chain:
        with pytest.raises(ValueError, match="multiple of snapshot_every"):
            chain.set_snapshot_policy(full_snapshot_every=6)
        chain.set_snapshot_policy(full_snapshot_every=8)
        chain.step(blocks=8)
        assert chain._log.snapshots() == [4, 8]


def test_engine_restore_delta_checks_its_inputs() -> None:
    from taostate import _core
    from taostate.errors import LogFormatError

    with ts.Chain.ephemeral(genesis()) as chain:
        base = chain._engine
        base_bytes = bytes(base.snapshot())
        kept = _core.fork_engine(base)
        chain.submit(tx.Transfer(origin=ALICE, dest=BOB, amount=5_000))
        chain.step()
        delta = bytes(chain._engine.snapshot_delta(kept))
        again = _core.Engine.restore_delta(base_bytes, delta)
        assert again.state_root() == chain._engine.state_root()
        with pytest.raises(LogFormatError, match="made from the state of block 0, applied to that of block 1"):
            _core.Engine.restore_delta(bytes(chain._engine.snapshot()), delta)
        with pytest.raises(LogFormatError, match="delta snapshot"):
            _core.Engine.restore_delta(base_bytes, delta[:-1])
        with pytest.raises(ValueError, match=f"offset {len(delta) + 1} is past the end of the delta"):
            _core.Engine.restore_delta(base_bytes, delta, 0, len(delta) + 1)
