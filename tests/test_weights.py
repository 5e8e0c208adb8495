"""set_weights through the Python API (docs/ruleset.md §10): checks in order, max-upscaled storage."""

from __future__ import annotations

import numpy as np
import pytest

import taostate as ts
from taostate import tx

from helpers import ALICE, BOB, SUDO, genesis

HOTS = [ts.account(f"weights/hot/{i}") for i in range(3)]


def _subnet(chain: ts.Chain) -> None:
    chain.submit(tx.RegisterNetwork(origin=ALICE))
    for name, value in (("max_registrations_per_block", 3), ("target_registrations_per_interval", 3),
                        ("weights_set_rate_limit", 2), ("tempo", 1)):
        chain.submit(tx.SudoSetHyperparameter(origin=SUDO, netuid=1, name=name, value=value))
    for hk in HOTS:
        chain.submit(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=hk, coldkey=BOB, stake=ts.TAO, balance=0))
    chain.step(blocks=4)  # epochs ran: every neuron has a validator permit (3 ≤ 64)


def test_weights_are_stored_max_upscaled_in_submission_order() -> None:
    with ts.Chain.ephemeral(genesis(network_rate_limit=0)) as chain:
        _subnet(chain)
        assert chain.metagraph(1).validator_permit.all()
        r = chain.submit(tx.SetWeights(origin=HOTS[0], netuid=1, uids=[2, 1], values=[32767, 32767],
                                       version_key=0))
        assert r.events == [("WeightsSet", {"netuid": 1, "uid": 0})]
        w = chain.metagraph(1).weights
        assert w.dtype == np.uint16 and w[0].tolist() == [0, 65535, 65535]
        assert chain.metagraph(1).last_update[0] == chain.block


def test_weight_errors_in_order() -> None:
    with ts.Chain.ephemeral(genesis(network_rate_limit=0)) as chain:
        _subnet(chain)
        hk = HOTS[1]
        cases = [
            (dict(netuid=1, uids=[0, 1], values=[1]), ts.errors.WeightVecNotEqualSize),
            (dict(netuid=7, uids=[0], values=[1]), ts.errors.NetworkDoesNotExist),
            (dict(netuid=1, uids=[0, 1, 2, 0], values=[1, 1, 1, 1]), ts.errors.TooManyUids),
            (dict(netuid=1, uids=[0, 0], values=[1, 1]), ts.errors.DuplicateUids),
            (dict(netuid=1, uids=[0, 5], values=[1, 1]), ts.errors.InvalidUid),
            (dict(netuid=0, uids=[9], values=[1]), ts.errors.InvalidUid),  # root: netuids
        ]
        root = None
        for kwargs, err in cases:
            with pytest.raises(err):
                chain.submit(tx.SetWeights(origin=hk, version_key=0, **kwargs))  # type: ignore[arg-type]
            root = root or chain.state_root()
            assert chain.state_root() == root
        with pytest.raises(ts.errors.NotRegistered):
            chain.submit(tx.SetWeights(origin=ALICE, netuid=1, uids=[0], values=[1], version_key=0))
        chain.submit(tx.SetWeights(origin=hk, netuid=1, uids=[0], values=[1], version_key=0))
        with pytest.raises(ts.errors.SettingWeightsTooFast):
            chain.submit(tx.SetWeights(origin=hk, netuid=1, uids=[0], values=[1], version_key=0))
        chain.submit(tx.SudoSetHyperparameter(origin=SUDO, netuid=1, name="weights_version_key", value=5))
        chain.step(blocks=2)
        with pytest.raises(ts.errors.IncorrectNetworkVersionKey):
            chain.submit(tx.SetWeights(origin=hk, netuid=1, uids=[0], values=[1], version_key=4))
        chain.submit(tx.SudoSetHyperparameter(origin=SUDO, netuid=1, name="max_weights_limit", value=40000))
        with pytest.raises(ts.errors.MaxWeightExceeded):
            chain.submit(tx.SetWeights(origin=hk, netuid=1, uids=[0, 2], values=[65535, 1], version_key=5))
        chain.submit(tx.SetWeights(origin=hk, netuid=1, uids=[0, 2], values=[1, 1], version_key=5))
