"""A synthetic multi-subnet history (validators setting weights, root weights, registrations with
churn, staking, a governance motion): conservation after every block, issuance rising by exactly
what was minted, replay equal to live, and the synthesizer deterministic."""

from __future__ import annotations

import os

import taostate as ts
from taostate import _core
from taostate.synth import SynthConfig, synthesize

CFG = SynthConfig(subnets=3, uids=16, validators=4, blocks=900, tempo=49, users=24, seed=5,
                  snapshot_every=200, governance_every=400)


def test_synthetic_history_conserves_and_replays(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "c")
    stats = synthesize(path, CFG)
    assert stats["blocks"] == CFG.blocks and stats["txs"] > 1000
    with ts.Chain.open(path, readonly=True) as chain:
        log = chain._log
        engine = _core.Engine.from_genesis(log.genesis())
        epochs = drained_total = 0
        for number, record in log.iter_blocks(1, chain.head + 1):
            before = engine.total_issuance
            events = ts.queries.convert_events(engine.apply_record_events(record))
            assert engine.check_invariants() is None, number
            names = [n for n, _ in events]
            epochs += names.count("EpochRun")
            minted = sum(f["total"] for n, f in events if n == "EmissionDrained")
            minted += sum(f["amount"] for n, f in events if n == "OwnerCutPaid")
            drained_total += minted
            # without registrations (burns / sudo mints) issuance moves by exactly what was minted
            if "NeuronRegistered" not in names:
                assert engine.total_issuance - before == minted, number
        assert epochs >= CFG.subnets * (CFG.blocks // (CFG.tempo + 1)) - CFG.subnets
        assert drained_total > 0
        assert bytes(engine.state_root()).hex() == chain.state_root()
        assert chain.verify()["snapshots_checked"] == CFG.blocks // CFG.snapshot_every
        mg = chain.metagraph(1)
        assert mg.n == CFG.uids and mg.weights.shape == (CFG.uids, CFG.uids)
        assert int(mg.validator_permit.sum()) == CFG.validators
        assert (mg.incentive_u16 > 0).any() and (mg.dividends_u16 > 0).any()


def test_synth_is_deterministic(tmp_path: object) -> None:
    cfg = SynthConfig(subnets=2, uids=8, validators=2, blocks=150, tempo=20, users=8, seed=3)
    roots = []
    for name in ("a", "b"):
        path = os.path.join(str(tmp_path), name)
        synthesize(path, cfg)
        with ts.Chain.open(path, readonly=True) as chain:
            roots.append((chain.head_hash, chain.state_root()))
    assert roots[0] == roots[1]
