"""The reference-free parts of the differential harness (tools/refdiff/refdiff.py): the list of
normalisations equals the deviation table of docs/ruleset.md §1, the exporter's decisions, and
the comparer (fed taostate's own run as the "reference", then a perturbed copy)."""

from __future__ import annotations

import copy
import importlib.util
import pathlib
import re
import sys
from typing import Any

import pytest

import taostate as ts
from taostate import tx as T
from taostate.accounts import ZERO_ACCOUNT
from taostate.testing import History

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _load() -> Any:
    path = ROOT / "tools" / "refdiff" / "refdiff.py"
    spec = importlib.util.spec_from_file_location("refdiff", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["refdiff"] = mod
    spec.loader.exec_module(mod)
    return mod


R = _load()
A, B, H = ts.account("rd/a"), ts.account("rd/b"), ts.account("rd/h")


def _table_ids() -> list[str]:
    text = (ROOT / "docs" / "ruleset.md").read_text()
    section = text.split("## 1. ", 1)[1].split("\n### 1.1", 1)[0]
    return re.findall(r"^\| `(D-[a-z0-9-]+)` \|", section, re.M)


def test_normalisations_are_the_ruleset_deviation_table() -> None:
    ids = _table_ids()
    assert len(ids) == len(set(ids)) >= 20
    assert sorted(R.NORMALISATIONS) == sorted(ids)
    for dev, norm in R.NORMALISATIONS.items():
        assert norm.kind in ("input", "compare", "unobservable"), dev
        assert norm.how, dev


def test_exporter_names_the_deviation_of_every_call_it_does_not_send() -> None:
    cases = {
        T.SwapHotkey(origin=A, hotkey=H, new_hotkey=B): "D-swap-hotkey",
        T.SudoSetHyperparameter(origin=A, netuid=None, name="total_issuance", value=5):
            "D-total-issuance-setter",
        T.SudoSetHyperparameter(origin=A, netuid=1, name="max_allowed_uids", value=40_000):
            "D-param-bounds",
        T.SudoSetHyperparameter(origin=A, netuid=1, name="tempo", value=70_000):
            "D-generic-setter",
        T.SudoSetHyperparameter(origin=A, netuid=1, name="subnet_limit", value=3):
            "D-generic-setter",
        T.DissolveNetwork(origin=ZERO_ACCOUNT, netuid=0): "D-ownerless",
        T.Propose(origin=A, transaction=T.Transfer(origin=A, dest=B, amount=1), duration=100):
            "D-proposable",
        T.SudoSetBalance(origin=A, who=B, free=5): "D-sudo-mint",
        T.SudoRegisterNetwork(origin=A, netuid=7): "D-sudo-mint",
    }
    for t, dev in cases.items():
        out = R.export_tx(t)
        assert out == {"call": "skip", "deviation": dev}, t
        assert dev in R.NORMALISATIONS
    sent = R.export_tx(T.SudoSetHyperparameter(origin=A, netuid=1, name="max_weights_limit",
                                               value=7))
    assert sent == {"call": "sudo_set_max_weight_limit", "origin": bytes(A).hex(), "sudo": True,
                    "args": ["1", "7"]}
    inner = T.SudoSetHyperparameter(origin=ZERO_ACCOUNT, netuid=2, name="tempo", value=9)
    p = R.export_tx(T.Propose(origin=A, transaction=inner, duration=100))
    assert p["call"] == "propose" and p["inner"]["call"] == "sudo_set_tempo"
    assert p["ts_hash"] == R.proposal_hash(inner).hex()


def test_sanitise_drops_pow_registration_and_dust_genesis_balances() -> None:
    g = ts.Genesis(balances={A: 499, B: 10 * ts.TAO}, sudo=A)
    work = T.Register(origin=A, netuid=1, block_number=0, nonce=0, work=bytes(32), hotkey=H,
                      coldkey=A)
    keep = T.Transfer(origin=B, dest=A, amount=ts.TAO)
    h = R.sanitise(History(genesis=g, blocks=[[work, keep]]))
    assert dict(h.genesis.balances) == {B: 10 * ts.TAO}
    assert h.blocks == [[keep]]


def _as_reference(h: History) -> tuple[dict[str, Any], Any, dict[str, Any]]:
    mine = R.run_taostate(h)
    blocks = [{"block": 0, "outcomes": [], "state": copy.deepcopy(mine.states[0])}]
    for b, outs in enumerate(mine.outcomes, start=1):
        blocks.append({"block": b, "outcomes": list(outs), "state": copy.deepcopy(mine.states[b])})
    return {"blocks": blocks}, mine, R.export_history(h)


@pytest.fixture(scope="module")
def run() -> tuple[History, dict[str, Any], Any, dict[str, Any]]:
    g = ts.Genesis(balances={A: 1000 * ts.TAO, B: 10 * ts.TAO}, sudo=A,
                   params={"network_rate_limit": 0, "network_min_lock_cost": ts.TAO,
                           "network_lock_reduction_interval": 1})
    h = History(genesis=g, blocks=[
        [T.Transfer(origin=A, dest=B, amount=ts.TAO), T.RegisterNetwork(origin=A)],
        [T.BurnedRegister(origin=A, netuid=1, hotkey=H), T.AddStake(origin=A, hotkey=H,
                                                                     amount=5 * ts.TAO)],
        [T.RemoveStake(origin=B, hotkey=H, amount=1)],
    ])
    ref, mine, exported = _as_reference(h)
    return h, ref, mine, exported


def test_comparer_agrees_with_an_identical_run(run: Any) -> None:
    h, ref, mine, exported = run
    v = R.compare(h, ref, mine, exported)
    assert (v.status, v.blocks, v.txs) == ("agree", 3, 5)


def test_comparer_reports_first_state_difference_with_both_values(run: Any) -> None:
    h, ref, mine, exported = run
    bad = copy.deepcopy(ref)
    bad["blocks"][2]["state"]["subnets"]["00001"]["burn"] += 1
    bad["blocks"][3]["state"]["subnets"]["00001"]["burn"] += 1
    v = R.compare(h, bad, mine, exported)
    burn = mine.states[2]["subnets"]["00001"]["burn"]
    assert v.status == "diverged"
    assert v.detail == (f"block 2 (state): subnets.00001.burn: reference={burn + 1!r} "
                        f"taostate={burn!r}")


def test_comparer_reports_an_outcome_difference(run: Any) -> None:
    h, ref, mine, exported = run
    bad = copy.deepcopy(ref)
    assert bad["blocks"][3]["outcomes"] == ["err:NonAssociatedColdKey"]
    bad["blocks"][3]["outcomes"] = ["ok"]
    v = R.compare(h, bad, mine, exported)
    assert v.status == "diverged" and v.detail.startswith("block 3, tx 0 RemoveStake(")
    assert v.detail.endswith("outcome: reference='ok' taostate='err:NonAssociatedColdKey'")


def test_issuance_is_compared_as_supply(run: Any) -> None:
    h, ref, mine, exported = run
    bad = copy.deepcopy(ref)
    for blk in bad["blocks"]:
        blk["state"]["total_issuance"] += 7  # the reference's own counter is not compared
    assert R.compare(h, bad, mine, exported).status == "agree"
    bad["blocks"][1]["state"]["free"][bytes(B).hex()] += 7
    v = R.compare(h, bad, mine, exported)
    assert v.status == "diverged" and "total_issuance" in v.detail


def test_synth_history_replays_to_the_generated_chain(tmp_path: pathlib.Path) -> None:
    """`--synth` histories are read back from a generated log: replaying one through a fresh chain
    reaches the generator's own state root, block for block."""
    from taostate.synth import SynthConfig, synthesize

    cfg = SynthConfig(subnets=2, uids=8, validators=2, blocks=120, tx_per_block=3, users=8,
                      tempo=15, seed=4, snapshot_every=10_000, governance_every=60)
    h = R.synth_history(cfg)
    assert len(h.blocks) == cfg.blocks and sum(map(len, h.blocks)) > cfg.blocks
    synthesize(tmp_path / "g", cfg)
    with ts.Chain.open(tmp_path / "g", readonly=True) as generated, ts.Chain.ephemeral(h.genesis) as chain:
        for block in h.blocks:
            for t in block:
                chain.submit(t)
            chain.step()
        assert chain.head == generated.head == cfg.blocks
        assert chain.state_root() == generated.state_root()
