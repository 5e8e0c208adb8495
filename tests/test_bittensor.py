"""The bittensor SDK (a real 2023–24 release, `taostate[bittensor]`) running on taostate's rules.

Everything below goes through the SDK's own higher-level code (`set_weights`, `metagraph.sync`,
`add_stake`, `transfer`, …); only the node layer is taostate's (`taostate.bittensor`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

import taostate as ts

os.environ.setdefault("NEST_ASYNCIO", "0")  # the SDK warns on import otherwise
with warnings.catch_warnings():  # the SDK's dependencies import deprecated APIs (pkg_resources)
    warnings.simplefilter("ignore", DeprecationWarning)
    import bittensor as bt
    from bittensor.utils.balance import Balance

    import taostate.bittensor as tsb

NETUID = 1


@pytest.fixture()
def sub() -> tsb.MockSubtensor:
    tsb.install()
    bt.MockSubtensor.reset()
    s = bt.MockSubtensor()
    yield s
    tsb.uninstall()


def u16_float32(x: np.ndarray) -> np.ndarray:
    return np.array([float(v) / 65535 for v in x], dtype=np.float32)


def test_install_swaps_the_sdk_mock_and_state_is_shared() -> None:
    tsb.install()
    try:
        assert bt.MockSubtensor is tsb.MockSubtensor
        assert bt.mock.MockSubtensor is tsb.MockSubtensor
        bt.MockSubtensor.reset()
        a, b = bt.MockSubtensor(), bt.MockSubtensor(network="mock")
        a.create_subnet(3)
        assert b.subnet_exists(3) and b.chain is a.chain
        assert isinstance(a, bt.subtensor)
    finally:
        tsb.uninstall()
    assert bt.MockSubtensor is not tsb.MockSubtensor


def test_validator_loop_matches_the_chain_and_the_pure_epoch(sub: tsb.MockSubtensor) -> None:
    """Template-style: a validator and miners with labels, axons served, permits after the first
    epoch, set_weights, a tempo, then the SDK's full metagraph equals the chain's and the epoch's."""
    sub.create_subnet(NETUID)
    validator = tsb.LabelWallet("validator")
    sub.force_register_neuron(NETUID, validator.hotkey.ss58_address,
                              validator.coldkeypub.ss58_address, stake=1_000.0, balance=10.0)
    miners = [tsb.LabelWallet(f"miner-{i}") for i in range(1, 5)]
    for i, m in enumerate(miners):
        uid = sub.force_register_neuron(NETUID, m.hotkey.ss58_address, "mock-coldkey",
                                        stake=Balance.from_tao(i), balance=100_000)
        assert uid == i + 1
        assert sub.serve(m, ip=f"10.0.0.{i + 1}", port=8091, protocol=4, netuid=NETUID)
    sub.step_to_next_epoch(NETUID)
    sub.step()
    assert sub.neuron_for_uid(0, NETUID).validator_permit

    ok, msg = sub.set_weights(wallet=validator, netuid=NETUID, uids=[1, 2, 3, 4],
                              weights=[0.1, 0.2, 0.3, 0.4], version_key=0,
                              wait_for_inclusion=True)
    assert ok, msg
    epoch_block = sub.step_to_next_epoch(NETUID)
    sub.step()

    mg = sub.metagraph(NETUID, lite=False)
    chain_mg = sub.chain.metagraph(NETUID)
    assert mg.hotkeys == ["validator-hotkey"] + [m.hotkey.ss58_address for m in miners]
    assert mg.coldkeys[1:] == ["mock-coldkey"] * 4
    assert mg.axons[2].ip == "10.0.0.2" and mg.axons[2].port == 8091
    for sdk, ours in ((mg.I, chain_mg.incentive_u16), (mg.D, chain_mg.dividends_u16),
                      (mg.C, chain_mg.consensus_u16), (mg.T, chain_mg.trust_u16)):
        assert sdk.tobytes() == u16_float32(ours).tobytes()
    assert mg.E.tobytes() == np.array([e / 1e9 for e in chain_mg.emission],
                                      dtype=np.float32).tobytes()
    assert mg.S.tobytes() == np.array([s / 1e9 for s in chain_mg.stake],
                                      dtype=np.float32).tobytes()
    assert mg.incentive[1:].sum() > 0 and mg.dividends[0] > 0
    w_row = mg.W[0]
    assert w_row[0] == 0 and abs(float(w_row.sum()) - 1) < 1e-6  # row-normalised by the SDK

    # The same epoch as a pure function of the state before it (docs/ruleset.md §4.4).
    before = sub.chain.at(epoch_block - 1)
    pre = before.metagraph(NETUID)
    params = before.subnet(NETUID)
    emitted = [f for name, f in sub.chain.events(epoch_block)
               if name == "EpochRun" and f["netuid"] == NETUID]
    assert len(emitted) == 1
    out = ts.yuma.epoch(
        block=epoch_block, stake=pre.stake, weights=pre.weights, bonds=pre.bonds,
        last_update=pre.last_update, block_at_registration=pre.block_at_registration,
        validator_permit=pre.validator_permit, kappa=params["kappa"],
        bonds_moving_average=params["bonds_moving_average"],
        max_allowed_validators=params["max_allowed_validators"],
        activity_cutoff=params["activity_cutoff"], emission=emitted[0]["rao_emission"])
    assert mg.I.tobytes() == u16_float32(out.incentive).tobytes()
    assert mg.D.tobytes() == u16_float32(out.dividends).tobytes()
    assert mg.E.tobytes() == np.array([e / 1e9 for e in out.emission], dtype=np.float32).tobytes()
    sub.chain.check_invariants()


def test_rejections_surface_as_the_sdk_reports_them(sub: tsb.MockSubtensor) -> None:
    sub.create_subnet(NETUID)
    v, m = tsb.LabelWallet("v"), tsb.LabelWallet("m")
    sub.force_register_neuron(NETUID, v.hotkey.ss58_address, v.coldkeypub.ss58_address,
                              stake=100.0, balance=1.0)
    sub.force_register_neuron(NETUID, m.hotkey.ss58_address, m.coldkeypub.ss58_address)
    sub.step(2)
    # permit: no epoch has run yet, so nobody holds a validator permit
    ok, msg = sub._do_set_weights(wallet=v, uids=[1], vals=[65535], netuid=NETUID, version_key=0)
    assert not ok and "NoValidatorPermit" in msg
    doc = msg.split("This means: `", 1)[1][:-1]
    assert msg == bt.utils.format_error_message(
        {"type": "Module", "name": "NoValidatorPermit", "docs": [doc]})  # the SDK's own wording
    # rate limit: the finney value of weights_set_rate_limit
    sub.set_hyperparameter(NETUID, "weights_set_rate_limit", 100)
    ok, msg = sub._do_set_weights(wallet=m, uids=[1], vals=[65535], netuid=NETUID, version_key=0)
    assert not ok and "SettingWeightsTooFast" in msg
    # balance: a transfer above the free balance, through the SDK's transfer extrinsic
    dest = ts.account("someone").ss58  # the SDK's transfer checks the address: no label here
    assert sub.transfer(v, dest, Balance.from_tao(0.5), wait_for_inclusion=True, prompt=False)
    assert not sub.transfer(v, dest, Balance.from_tao(5), wait_for_inclusion=True, prompt=False)
    head = sub.chain.head
    ok, _, msg = sub._do_transfer(v, dest, Balance.from_tao(5))
    assert not ok and "InsufficientBalance" in msg
    assert sub.chain.head == head + 1  # the refused extrinsic still sealed its block
    with pytest.raises(bt.errors.StakeError, match="NotEnoughBalanceToStake"):
        sub._do_stake(v, v.hotkey.ss58_address, Balance.from_tao(50))
    assert sub.get_balance(v.coldkeypub.ss58_address) == Balance.from_tao(0.5)


def test_btcli_level_flows(sub: tsb.MockSubtensor) -> None:
    sub.create_subnet(NETUID)
    owner, nominator = tsb.LabelWallet("owner"), tsb.LabelWallet("nominator")
    sub.force_set_balance(owner.coldkeypub.ss58_address, 1_000.0)
    sub.force_set_balance(nominator.coldkeypub.ss58_address, 500.0)
    issuance = sub.total_issuance()
    assert issuance == Balance.from_tao(1_500)  # force_set_balance mints (SudoSetBalance)

    # register (burn): the burn is recycled, the balance drops by it
    burn = sub.recycle(NETUID)
    assert sub.burned_register(owner, NETUID, prompt=False)
    assert sub.is_hotkey_registered(owner.hotkey.ss58_address, NETUID)
    assert sub.get_balance(owner.coldkeypub.ss58_address) == Balance.from_tao(1_000) - burn

    # stake adds (the SDK's mock overwrote)
    hk = owner.hotkey.ss58_address
    for _ in range(2):
        assert sub.add_stake(owner, hk, Balance.from_tao(10), wait_for_inclusion=True, prompt=False)
    assert sub.get_stake_for_coldkey_and_hotkey(hk, owner.coldkeypub.ss58_address) == Balance.from_tao(20)
    assert sub.unstake(owner, hk, Balance.from_tao(5), wait_for_inclusion=True, prompt=False)
    assert sub.get_total_stake_for_hotkey(hk) == Balance.from_tao(15)

    # delegate: nominate, then a nominator delegates and undelegates
    assert sub.nominate(owner, wait_for_inclusion=True)
    assert sub.is_hotkey_delegate(hk)
    assert sub.delegate(nominator, hk, Balance.from_tao(100), wait_for_inclusion=True, prompt=False)
    info = sub.get_delegate_by_hotkey(hk)
    delegated = Balance.from_tao(100) - Balance.from_rao(1000)  # the SDK keeps 1000 rao back
    assert dict(info.nominators)[nominator.coldkeypub.ss58_address] == delegated
    assert info.owner_ss58 == owner.coldkeypub.ss58_address and NETUID in info.registrations
    assert sub.undelegate(nominator, hk, Balance.from_tao(40), wait_for_inclusion=True, prompt=False)
    left = Balance.from_tao(440) + Balance.from_rao(1000)
    assert sub.get_balance(nominator.coldkeypub.ss58_address) == left

    # transfer: no fee (docs/ruleset.md §1 (c)); the SDK checks the address (no label)
    dest = ts.account("exchange").ss58
    assert sub.transfer(nominator, dest, Balance.from_tao(40), wait_for_inclusion=True,
                        prompt=False)
    assert sub.get_balance(dest) == Balance.from_tao(40)
    assert sub.get_balance(nominator.coldkeypub.ss58_address) == left - Balance.from_tao(40)
    assert sub.total_issuance() == issuance - burn
    sub.chain.check_invariants()


def test_labels_come_back_as_labels_and_ss58_as_ss58(sub: tsb.MockSubtensor) -> None:
    sub.create_subnet(NETUID)
    real = ts.account("real").ss58
    sub.force_register_neuron(NETUID, "miner-hotkey-3", real, stake=0.5)
    n = sub.neuron_for_uid(0, NETUID)
    assert (n.hotkey, n.coldkey) == ("miner-hotkey-3", real)
    assert n.stake_dict == {real: Balance.from_tao(0.5)}
    assert sub.get_hotkey_owner("miner-hotkey-3") == real


def test_block_hashes_are_the_chain_s() -> None:
    with ts.Chain.ephemeral(ts.Genesis(sudo=ts.account("s"))) as chain:
        chain.step(3)
        s = tsb.Subtensor(chain)
        assert s.get_block_hash(3) == "0x" + chain.head_hash
        assert s.get_block_hash(0) != s.get_block_hash(1)
        with pytest.raises(ValueError, match="not committed"):
            chain.block_hash(4)


def test_without_the_sdk_taostate_imports_and_says_what_to_install() -> None:
    code = ("import sys; sys.modules['bittensor'] = None\n"
            "import taostate\n"
            "try:\n    import taostate.bittensor\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'taostate[bittensor]'" in out.stdout


def keypair_wallet(uri: str) -> SimpleNamespace:
    kp = bt.Keypair.create_from_uri(uri)
    return SimpleNamespace(hotkey=kp, coldkeypub=kp, coldkey=kp)


def test_pow_register_with_the_sdk_s_own_seal(sub: tsb.MockSubtensor) -> None:
    """The SDK's seal functions, fed the facade's block hashes, solve our POW (§8.3)."""
    from bittensor.utils import registration as reg

    sub.create_subnet(NETUID)
    w = keypair_wallet("//Alice")
    block = sub.get_current_block()
    difficulty = sub.difficulty(NETUID)
    pre = reg._hash_block_with_hotkey(bytes.fromhex(sub.get_block_hash(block)[2:]),
                                      w.hotkey.public_key)
    nonce = 0
    while not reg._seal_meets_difficulty(reg._create_seal_hash(pre, nonce), difficulty, 2**256 - 1):
        nonce += 1
    pow_result = reg.POWSolution(nonce=nonce, block_number=block, difficulty=difficulty,
                                 seal=reg._create_seal_hash(pre, nonce))
    ok, err = sub._do_pow_register(NETUID, w, pow_result)
    assert ok, err
    assert sub.is_hotkey_registered(w.hotkey.ss58_address, NETUID)
    ok, err = sub._do_pow_register(NETUID, w, pow_result)  # the same work again
    assert not ok and "AlreadyRegistered" in err


def test_root_register_and_root_weights(sub: tsb.MockSubtensor) -> None:
    sub.create_subnet(NETUID)
    w = keypair_wallet("//Bob")
    sub.force_register_neuron(NETUID, w.hotkey.ss58_address, w.coldkeypub.ss58_address, stake=10.0)
    assert sub.root_register(w, wait_for_inclusion=True, prompt=False)
    assert sub.is_hotkey_registered(w.hotkey.ss58_address, 0)
    assert w.hotkey.ss58_address in sub.get_senate_members()
    assert sub.root_set_weights(w, netuids=[0, NETUID], weights=[0.25, 0.75],
                                wait_for_inclusion=True, prompt=False)
    row = sub.neuron_for_uid(0, 0).weights
    assert [u for u, _ in row] == [0, NETUID] and max(v for _, v in row) == 65535


def test_btcli_commands_run_on_the_chain(tmp_path: pytest.TempPathFactory) -> None:
    """The real `btcli` commands (bittensor.cli) with `bittensor.subtensor` made the mock."""
    tsb.install(subtensor=True)
    try:
        bt.MockSubtensor.reset()
        sub = bt.subtensor(network="mock")
        assert isinstance(sub, tsb.MockSubtensor)
        sub.create_subnet(NETUID)
        wallets = {}
        for name in ("alice", "bob"):
            w = bt.wallet(name=name, hotkey="default", path=str(tmp_path))
            w.create_new_coldkey(use_password=False, overwrite=True, suppress=True)
            w.create_new_hotkey(use_password=False, overwrite=True, suppress=True)
            sub.force_set_balance(w.coldkeypub.ss58_address, 100.0)
            wallets[name] = w
        alice, bob = wallets["alice"], wallets["bob"]

        def btcli(who: str, *args: str) -> None:
            bt.cli(args=[*args, "--wallet.path", str(tmp_path), "--wallet.name", who,
                         "--wallet.hotkey", "default", "--no_prompt", "--no_version_checking",
                         "--subtensor.network", "mock"]).run()

        burn = sub.recycle(NETUID)
        btcli("alice", "subnets", "register", "--netuid", str(NETUID))
        assert sub.is_hotkey_registered(alice.hotkey.ss58_address, NETUID)
        btcli("alice", "stake", "add", "--amount", "5")
        btcli("alice", "stake", "remove", "--amount", "2")
        hk, ck = alice.hotkey.ss58_address, alice.coldkeypub.ss58_address
        assert sub.get_stake_for_coldkey_and_hotkey(hk, ck) == Balance.from_tao(3)
        btcli("alice", "root", "nominate")
        assert sub.is_hotkey_delegate(hk)
        btcli("bob", "root", "delegate", "--delegate_ss58key", hk, "--amount", "10")
        btcli("bob", "root", "undelegate", "--delegate_ss58key", hk, "--amount", "4")
        assert sub.get_stake_for_coldkey_and_hotkey(hk, bob.coldkeypub.ss58_address) \
            == Balance.from_tao(6) - Balance.from_rao(1000)
        btcli("bob", "wallet", "transfer", "--dest", ck, "--amount", "1")
        assert sub.get_balance(ck) == Balance.from_tao(100 - 5 + 2 + 1) - burn
        assert sub.get_balance(bob.coldkeypub.ss58_address) \
            == Balance.from_tao(100 - 6 - 1) + Balance.from_rao(1000)
        sub.chain.check_invariants()
    finally:
        tsb.uninstall()


def test_readme_section_runs() -> None:
    """The README's "test your subnet against the real rules" example runs as written."""
    import pathlib
    import re

    text = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    section = text.split("## Test your subnet against the real rules", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    env: dict[str, object] = {}
    try:
        exec(compile(code.group(1), "README.md", "exec"), env)  # noqa: S102
    finally:
        tsb.uninstall()
    assert env["ok"] is True
    mg, sub = env["mg"], env["sub"]
    assert mg.D[0] > 0 and mg.I[1:].sum() > 0  # type: ignore[attr-defined]
    assert sub.chain.metagraph(1).dividends_u16[0] > 0  # type: ignore[attr-defined]


SUITE = """
import bittensor as bt
import taostate.bittensor as tsb


class MockSubtensor(bt.MockSubtensor):  # a subnet template's tests/mock.py, unchanged
    def __init__(self, netuid, n=4, wallet=None, network="mock"):
        super().__init__(network=network)
        if not self.subnet_exists(netuid):
            self.create_subnet(netuid)
        if wallet is not None:
            self.force_register_neuron(netuid=netuid, hotkey=wallet.hotkey.ss58_address,
                                       coldkey=wallet.coldkey.ss58_address,
                                       balance=100000, stake=100000)
        for i in range(1, n + 1):
            self.force_register_neuron(netuid=netuid, hotkey=f"miner-hotkey-{i}",
                                       coldkey="mock-coldkey", balance=100000, stake=100000)


def test_template_mock_runs_the_rules():
    assert issubclass(MockSubtensor, tsb.MockSubtensor)
    sub = MockSubtensor(netuid=1, wallet=tsb.LabelWallet("validator"))
    assert sub.profile == "finney"
    mg = bt.metagraph(netuid=1, network=sub.network, sync=False)
    mg.sync(subtensor=sub)
    assert mg.hotkeys == ["validator-hotkey"] + [f"miner-hotkey-{i}" for i in range(1, 5)]
    assert sub.get_balance("mock-coldkey").rao == 100000
"""


def test_pytest_plugin_runs_a_subnet_suite_unchanged(tmp_path: pytest.TempPathFactory) -> None:
    (tmp_path / "test_subnet.py").write_text(SUITE)  # type: ignore[operator]
    env = dict(os.environ, NEST_ASYNCIO="0")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-p", "taostate.bittensor.pytest_plugin", "--taostate-profile", "finney",
         "-W", "ignore::DeprecationWarning", str(tmp_path)],
        capture_output=True, text=True, cwd=str(tmp_path), env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed" in out.stdout


def test_subtensor_over_any_chain_reads_a_synthetic_history(tmp_path: pytest.TempPathFactory) -> None:
    """`Subtensor(chain)` in front of a replayed log: the SDK's metagraph is the chain's, at the
    head and at an earlier block (`metagraph(block=…)` reads `chain.at(block)`)."""
    from taostate.synth import SynthConfig, synthesize

    path = str(tmp_path / "synth")  # type: ignore[operator]
    synthesize(path, SynthConfig(subnets=2, uids=16, validators=4, blocks=800, tempo=50,
                                 users=16, snapshot_every=200))
    with ts.Chain.open(path) as chain:
        s = tsb.Subtensor(chain)
        for block in (None, 600):
            mg = s.metagraph(1, lite=False, block=block)
            ours = (chain if block is None else chain.at(block)).metagraph(1)
            assert [s.keys.account(h) for h in mg.hotkeys] == ours.hotkeys
            assert mg.I.tobytes() == u16_float32(ours.incentive_u16).tobytes()
            assert mg.D.tobytes() == u16_float32(ours.dividends_u16).tobytes()
            assert mg.S.tobytes() == np.array([x / 1e9 for x in ours.stake],
                                              dtype=np.float32).tobytes()
        assert mg.I.sum() > 0
        assert s.get_current_block() == chain.head == 800
