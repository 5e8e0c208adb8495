"""The histories a differential run feeds both sides: random ones (``taostate.testing.histories()``),
synthetic chains recorded as ``taostate.synth`` generates them, and seeded scenario walks over the
call families the synthetic chain uses little.
"""

from __future__ import annotations

from typing import Any

import taostate as ts
import taostate.testing  # noqa: F401  (ts.testing)
from exporter import proposal_hash
from taostate import tx as T
from taostate.accounts import ZERO_ACCOUNT
from taostate.chain import Chain, Genesis


def random_histories(n: int, seed: int, max_blocks: int = 8,
                     max_txs: int = 6) -> list[ts.testing.History]:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed

    out: list[ts.testing.History] = []

    @hseed(seed)
    @settings(max_examples=n, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(ts.testing.histories(max_blocks=max_blocks, max_txs_per_block=max_txs))
    def collect(h: ts.testing.History) -> None:
        out.append(h)

    collect()
    return out


def synth_history(cfg: Any) -> ts.testing.History:
    """A `taostate.synth` chain as the history it wrote: the generator is run into a temporary
    log and every block record is read back and decoded. The generator hands wire bytes straight
    to the engine and leaves the transactions the rules refuse out of the log, so these histories
    hold accepted transactions only (the random and scenario histories cover refusals)."""
    import tempfile

    import msgpack

    from taostate import synth

    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/synth"
        synth.synthesize(path, cfg)
        with Chain.open(path, readonly=True) as chain:
            genesis = Genesis(**_genesis_fields(chain))
            blocks = [[T.decode(msgpack.packb(t, use_bin_type=True)) for t in
                       msgpack.unpackb(rec, raw=False)[3]]
                      for _, rec in chain._log.iter_blocks(1, chain.head + 1)]
    return ts.testing.History(genesis=genesis, blocks=blocks)


def _genesis_fields(chain: Chain) -> dict[str, Any]:
    """The `Genesis` a log was created with, from its stored genesis record."""
    import msgpack

    rec = msgpack.unpackb(chain._log.genesis(), raw=False)
    return {"balances": {bytes(k): int(v) for k, v in rec["balances"]}, "sudo": bytes(rec["sudo"]),
            "triumvirate": [bytes(m) for m in rec["triumvirate"]], "params": dict(rec["params"])}


def scenario_history(seed: int, blocks: int = 80, per_block: int = 6) -> ts.testing.History:
    """A seeded random walk over the call families the synthetic chain uses little: subnet
    registration and dissolution, delegation and nomination, serving, weights on small tempos,
    owner-set hyperparameters, root registration and senate motions; amounts are kept well
    above ED so the walk stays inside what both sides define alike."""
    import random

    rng = random.Random(seed)
    tag = f"refdiff/scenario/{seed}"
    owners = [ts.account(f"{tag}/owner/{i}") for i in range(3)]
    users = [ts.account(f"{tag}/user/{i}") for i in range(4)]
    hotkeys = [ts.account(f"{tag}/hotkey/{i}") for i in range(8)]
    sudo = ts.account(f"{tag}/sudo")
    tri = [ts.account(f"{tag}/triumvir/{i}") for i in range(3)]
    balances = {a: 5_000 * ts.TAO for a in owners + users}
    balances.update({sudo: 100_000 * ts.TAO, **{t: 10 * ts.TAO for t in tri}})
    params = {"network_rate_limit": rng.choice([0, 1, 5]), "network_lock_reduction_interval": 10,
              "network_min_lock_cost": 10 * ts.TAO, "subnet_limit": rng.choice([2, 3, 4]),
              "tx_rate_limit": rng.choice([0, 1, 3]), "network_immunity_period": rng.choice([0, 20])}
    genesis = Genesis(balances=balances, sudo=sudo, triumvirate=tri, params=params)
    coldkey_of = {h: rng.choice(owners + users) for h in hotkeys}
    Z = ZERO_ACCOUNT

    def pick_net() -> int:
        return rng.choice([0, 1, 1, 2, 2, 3, 4])

    def one() -> T.Tx:
        h = rng.choice(hotkeys)
        c = coldkey_of[h]
        u = rng.choice(owners + users)
        r = rng.randrange(22)
        amt = rng.choice([ts.TAO, 7 * ts.TAO, 123_456_789, 50 * ts.TAO])
        if r == 0:
            return T.RegisterNetwork(origin=rng.choice(owners))
        if r == 1:
            return T.DissolveNetwork(origin=rng.choice(owners + [sudo]), netuid=pick_net())
        if r in (2, 3):
            return T.BurnedRegister(origin=c, netuid=pick_net(), hotkey=h)
        if r == 4:
            return T.SudoRegister(origin=sudo, netuid=pick_net(), hotkey=h, coldkey=c,
                                  stake=rng.choice([0, ts.TAO, 30 * ts.TAO]),
                                  balance=rng.choice([0, ts.TAO]))
        if r == 5:
            return T.RootRegister(origin=c, hotkey=h)
        if r == 6:
            return T.BecomeDelegate(origin=c, hotkey=h)
        if r in (7, 8):
            return T.AddStake(origin=rng.choice([c, u]), hotkey=h, amount=amt)
        if r == 9:
            return T.RemoveStake(origin=rng.choice([c, u]), hotkey=h, amount=amt // 2)
        if r == 10:
            return T.Transfer(origin=u, dest=rng.choice(owners + users + hotkeys), amount=amt)
        if r in (11, 12, 13):
            n = rng.randrange(1, 3)
            uids = tuple(sorted(rng.sample(range(3), n)))
            return T.SetWeights(origin=h, netuid=pick_net(), uids=uids,
                                values=tuple(rng.randrange(1, 65536) for _ in uids),
                                version_key=0)
        if r == 14:
            return T.ServeAxon(origin=h, netuid=pick_net(), version=1, ip=0x0A000001 + rng.randrange(9),
                               port=8091, ip_type=4, protocol=rng.choice([0, 4]), placeholder1=0,
                               placeholder2=0)
        if r == 15:
            return T.ServePrometheus(origin=h, netuid=pick_net(), version=1, ip=0x0A000002,
                                     port=9090, ip_type=4)
        if r in (16, 17):
            name, value = rng.choice([("tempo", rng.choice([1, 2, 5, 9])),
                                      ("max_allowed_uids", rng.choice([3, 4, 8])),
                                      ("immunity_period", rng.choice([0, 2, 10])),
                                      ("min_allowed_weights", rng.choice([0, 1, 2])),
                                      ("min_allowed_weights", rng.choice([0, 1])),
                                      ("max_weights_limit", rng.choice([65535, 30000])),
                                      ("weights_set_rate_limit", 0),
                                      ("max_registrations_per_block", rng.choice([1, 3])),
                                      ("target_registrations_per_interval", rng.choice([1, 2])),
                                      ("adjustment_interval", rng.choice([2, 5])),
                                      ("activity_cutoff", rng.choice([3, 5000])),
                                      ("kappa", 40_000), ("rho", 12),
                                      ("max_allowed_validators", rng.choice([2, 4]))])
            return T.SudoSetHyperparameter(origin=rng.choice([sudo, rng.choice(owners)]),
                                           netuid=pick_net(), name=name, value=value)
        if r == 18:
            return T.SudoSenateAddMember(origin=sudo, hotkey=h)
        if r == 19:
            inner = T.SudoSetHyperparameter(origin=Z, netuid=pick_net(), name="tempo",
                                            value=rng.choice([3, 4]))
            return T.Propose(origin=rng.choice(tri), transaction=inner,
                             duration=rng.choice([3600, 3601]))
        if r == 20:
            return T.Vote(origin=c, hotkey=h, hash=bytes(proposal_hash(T.SudoSetHyperparameter(
                origin=Z, netuid=pick_net(), name="tempo", value=rng.choice([3, 4])))),
                index=rng.randrange(3), approve=rng.random() < 0.8)
        inner = T.SudoSetHyperparameter(origin=Z, netuid=pick_net(), name="tempo",
                                        value=rng.choice([3, 4]))
        return T.Close(origin=rng.choice(tri), hash=proposal_hash(inner), index=rng.randrange(3))

    return ts.testing.History(genesis=genesis,
                              blocks=[[one() for _ in range(rng.randrange(per_block + 1))]
                                      for _ in range(blocks)])
