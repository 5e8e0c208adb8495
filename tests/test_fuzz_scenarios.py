"""Scenarios: deterministic histories through the same engine-vs-model comparison as the fuzzer
(test_fuzz.py), for paths that random search reaches rarely (and the pinned shrinks of earlier
failures): the senate, uids beyond 255, emission across a recreated netuid and past the supply cap,
governance dispatch, the root epoch's logistic edges and the registration adjustment cases.
"""

from __future__ import annotations

import pytest

import model as m
import taostate as ts
from chain_vs_model import CHEAP, COLDKEYS, HOTKEYS, RICH, SUDO, TAO, Duo
from taostate import tx


def test_accounts_lists_the_coldkey_of_a_hotkey() -> None:
    """Pinned shrink: an unfunded account that root-registers a hotkey owns it and is listed."""
    with Duo({COLDKEYS[0]: 100_000 * TAO, SUDO: TAO}, network_rate_limit=0) as d:
        d.ok(tx.RootRegister(origin=HOTKEYS[0], hotkey=COLDKEYS[0]))
        d.check()
        assert HOTKEYS[0] in d.c.accounts() and d.c.balance(HOTKEYS[0]) == 0
        d.replay()


def test_senate_swaps_and_already_member() -> None:
    senators = [ts.account(f"fuzz/s{i}") for i in range(16)]
    with Duo(RICH, **CHEAP) as d:
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[0]))
        d.sudo(0, "max_registrations_per_block", 40)
        d.sudo(0, "target_registrations_per_interval", 20)
        d.sudo(0, "max_allowed_uids", 14)
        for i, h in enumerate(senators):
            d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=h, coldkey=COLDKEYS[1],
                                 stake=(i + 1) * TAO, balance=0))
        d.step()
        for h in senators[:12]:
            d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=h))
        assert sorted(d.c.senate()) == sorted(senators[:12])
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=HOTKEYS[0]))  # no stake: no swap
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=senators[12]))  # swaps out senators[0]
        assert senators[0] not in d.c.senate() and senators[12] in d.c.senate()
        d.check(*senators)
        # root is full (14): senators[13] replaces the lowest root stake (HOTKEYS[0], 0 rao)
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=senators[13]))
        d.check(*senators)
        # tie with the lowest senator: no swap
        d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=HOTKEYS[1], coldkey=COLDKEYS[1],
                             stake=0, balance=0))
        d.ok(tx.AddStake(origin=COLDKEYS[1], hotkey=HOTKEYS[1],
                         amount=d.c.stake(sorted(d.c.senate(), key=d.c.stake)[0])))
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=HOTKEYS[1]))
        d.check(*senators)
        assert d.md.coverage["senate_swap"] >= 2
        d.replay()


def test_senator_off_root_cannot_rejoin_the_senate() -> None:
    a, b, c = HOTKEYS[:3]
    with Duo(RICH, **CHEAP) as d:
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[0]))
        d.sudo(0, "max_registrations_per_block", 10)
        d.sudo(0, "target_registrations_per_interval", 10)
        d.sudo(0, "max_allowed_uids", 2)
        for h, st_ in ((a, 1), (b, 2), (c, 3)):
            d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=h, coldkey=COLDKEYS[1],
                                 stake=st_ * TAO, balance=0))
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=a))
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=b))
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=c))  # replaces a on root; a stays senator
        assert d.c.uid(0, a) is None and a in d.c.senate()
        d.rejects(tx.RootRegister(origin=COLDKEYS[1], hotkey=a), "StakeTooLowForRoot")
        d.ok(tx.AddStake(origin=COLDKEYS[1], hotkey=a, amount=5 * TAO))
        d.rejects(tx.RootRegister(origin=COLDKEYS[1], hotkey=a), "AlreadySenateMember")
        d.check()
        d.replay()


def test_uids_beyond_255_iterate_ascending() -> None:
    """n = 280 on one subnet: epochs, permits (top 64 by stake, held by uids ≥ 256), weights to
    uids across 255/256, then pruning a full subnet."""
    keys = [ts.account(f"fuzz/u{i}") for i in range(280)]
    with Duo(RICH, **CHEAP) as d:
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[0]))
        d.sudo(1, "max_allowed_uids", 290)
        d.sudo(1, "tempo", 1)
        d.sudo(1, "weights_set_rate_limit", 0)
        d.sudo(1, "immunity_period", 0)
        d.sudo(0, "tempo", 1)
        d.sudo(0, "weights_set_rate_limit", 0)
        for i, h in enumerate(keys):
            stake = (i + 1) * TAO if i >= 200 else 0
            d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=h, coldkey=COLDKEYS[1],
                                 stake=stake, balance=0))
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=keys[279]))
        d.step(2)
        d.ok(tx.SetWeights(origin=keys[279], netuid=0, uids=[1], values=[65535]))
        d.step(3)
        d.check(*keys[250:])
        mg = d.c.metagraph(1)
        assert mg.validator_permit[256:].all() and not mg.validator_permit[:200].any()
        for v in range(216, 280):  # every permit holder votes, so consensus forms
            d.ok(tx.SetWeights(origin=keys[v], netuid=1, uids=[1, 255, 256, 270],
                               values=[100, 65535, 40000, v]))
        d.step(4)
        d.check(*keys[250:])
        assert d.c.metagraph(1).dividends_u16[256:].any()
        for i in range(10):
            d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=ts.account(f"fuzz/v{i}"),
                                 coldkey=COLDKEYS[0], stake=0, balance=0))
        d.step()
        d.check(*keys[250:])
        assert d.md.coverage["replace_neuron:subnet"] == 0
        d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=HOTKEYS[5], coldkey=COLDKEYS[0],
                             stake=0, balance=0))  # full: prunes
        assert d.md.coverage["replace_neuron:subnet"] == 1
        d.step(2)
        d.check(*keys[250:])
        d.replay()


def test_recreated_netuid_inherits_loaded_and_pending_emission() -> None:
    v, w = HOTKEYS[:2]
    with Duo(RICH, **CHEAP, subnet_limit=3) as d:
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[0]))
        d.sudo(1, "tempo", 3)
        d.sudo(1, "weights_set_rate_limit", 0)
        d.sudo(0, "tempo", 1)
        d.sudo(0, "weights_set_rate_limit", 0)
        d.sudo(5, "serving_rate_limit", 9)  # no existence check: stored for a future netuid
        d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=v, coldkey=COLDKEYS[1], stake=50 * TAO,
                             balance=0))
        d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=w, coldkey=COLDKEYS[1], stake=5 * TAO,
                             balance=0))
        d.ok(tx.BecomeDelegate(origin=COLDKEYS[1], hotkey=v))
        d.ok(tx.AddStake(origin=COLDKEYS[0], hotkey=v, amount=20 * TAO))  # a nominator
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=v))
        d.step(2)
        d.ok(tx.SetWeights(origin=v, netuid=0, uids=[0, 1], values=[1, 65535]))
        d.step(6)
        d.ok(tx.SetWeights(origin=v, netuid=1, uids=[1], values=[65535]))
        d.step(8)
        d.check()
        assert d.md.emission_values.get(1, 0) > 0
        # stop right before an epoch of netuid 1, dissolve inside the epoch's block
        while m.blocks_until_next_epoch(1, d.md.p(1, "tempo"), d.md.head + 1) != 0:
            d.step()
        d.ok(tx.DissolveNetwork(origin=COLDKEYS[0], netuid=1))
        assert d.md.loaded_emission.get(1), "the epoch's tuples wait for netuid 1 to exist"
        d.step(3)
        d.check()
        stake_v = d.c.stake(v)
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[1]))
        assert d.c.subnets() == [0, 1] and d.c.subnet(1)["owner"] == COLDKEYS[1]
        d.step(2)  # seals the block of the registration; A3 of the next drains the old tuples
        d.check()
        assert d.c.stake(v) > stake_v and 1 not in d.md.loaded_emission
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[1]))
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[1]))
        assert 5 not in d.md.added and d.md.p(5, "serving_rate_limit") == 9
        d.check()
        d.replay()


def test_emission_minted_past_the_supply_cap() -> None:
    """Consistent with docs/ruleset.md: EmissionValues are fixed between root epochs and
    sudo_register may fill the supply to exactly S_MAX, so the next blocks mint past it (engine and
    model agree)."""
    with Duo({COLDKEYS[0]: 100_000 * TAO, SUDO: m.S_MAX - 200_000 * TAO}, **CHEAP) as d:
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[0]))
        d.sudo(0, "tempo", 20)
        d.sudo(0, "weights_set_rate_limit", 0)
        d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=HOTKEYS[0], coldkey=COLDKEYS[1],
                             stake=TAO, balance=0))
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=HOTKEYS[0]))
        d.step()
        d.ok(tx.SetWeights(origin=HOTKEYS[0], netuid=0, uids=[1], values=[65535]))
        while d.md.last_root_epoch != "set":
            d.step()
        assert 0 < d.md.block_emission < 10**9
        d.ok(tx.Transfer(origin=SUDO, dest=SUDO, amount=0))  # opens the block (it mints)
        room = m.S_MAX - d.md.total_issuance
        d.rejects(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=HOTKEYS[1], coldkey=COLDKEYS[1],
                                  stake=room, balance=1), "ArithmeticOverflow")
        d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=HOTKEYS[1], coldkey=COLDKEYS[1],
                             stake=room, balance=0))
        assert d.c.total_issuance == m.S_MAX
        d.step(3)
        d.check()
        assert d.c.total_issuance > m.S_MAX and d.md.minted_past_cap
        d.replay()


def test_governance_approve_dispatch_and_vote_bookkeeping() -> None:
    zero = ts.accounts.ZERO_ACCOUNT
    s1, s2, s3, s4 = HOTKEYS[:4]
    with Duo(RICH, **CHEAP) as d:
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[0]))
        d.sudo(0, "max_registrations_per_block", 10)
        d.sudo(0, "target_registrations_per_interval", 10)
        for i, senator in enumerate((s1, s2, s3)):
            d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=senator, coldkey=COLDKEYS[1],
                                 stake=(i + 1) * TAO, balance=0))
            d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=senator))
        d.step()
        trium = COLDKEYS[0]

        def propose(inner: tx.Tx, duration: int = 3600) -> tuple[bytes, int]:
            d.ok(tx.Propose(origin=trium, transaction=inner, duration=duration))
            h = tx.proposal_hash(inner)
            return h, d.md.proposals[h]["index"]

        def vote(h: bytes, index: int, who: ts.AccountId, approve: bool) -> None:
            d.ok(tx.Vote(origin=COLDKEYS[1], hotkey=who, hash=h, index=index, approve=approve))

        # approved by 2 of 3 (threshold 2, 2·2 > 3): dispatched with Sudo origin
        set_tempo = tx.SudoSetHyperparameter(origin=zero, netuid=1, name="tempo", value=7)
        h, i = propose(set_tempo)
        d.rejects(tx.Propose(origin=trium, transaction=set_tempo, duration=3600),
                  "DuplicateProposal")
        d.rejects(tx.Close(origin=COLDKEYS[2], hash=h, index=i), "TooEarly")
        vote(h, i, s1, True)
        d.rejects(tx.Vote(origin=COLDKEYS[1], hotkey=s1, hash=h, index=i, approve=True),
                  "DuplicateVote")
        vote(h, i, s2, False)
        vote(h, i, s2, True)  # switches sides
        d.rejects(tx.Close(origin=COLDKEYS[2], hash=h, index=i + 1), "WrongIndex")
        d.ok(tx.Close(origin=COLDKEYS[2], hash=h, index=i))
        assert d.md.last_dispatch is None and d.c.subnet(1)["tempo"] == 7
        d.check()
        # an approved inner transaction that fails: the close succeeds, nothing else changes
        h, i = propose(tx.SudoSetHyperparameter(origin=zero, netuid=1, name="bogus", value=1))
        vote(h, i, s1, True)
        vote(h, i, s3, True)
        d.ok(tx.Close(origin=COLDKEYS[2], hash=h, index=i))
        assert d.md.last_dispatch == "UnknownHyperparameter"
        # the senate grows after proposing: y ≥ threshold but 2·y ≤ seats → BadOrigin result
        h, i = propose(tx.SudoRegister(origin=zero, netuid=1, hotkey=s4, coldkey=COLDKEYS[2],
                                       stake=TAO, balance=TAO))
        d.ok(tx.SudoSenateAddMember(origin=SUDO, hotkey=COLDKEYS[3]))
        vote(h, i, s1, True)
        vote(h, i, s2, True)
        d.ok(tx.Close(origin=COLDKEYS[2], hash=h, index=i))
        assert d.md.last_dispatch == "BadOrigin" and d.c.uid(1, s4) is None
        # disapproved by nays: seats − nays < threshold
        h, i = propose(tx.SudoSenateAddMember(origin=zero, hotkey=s4))
        vote(h, i, s1, False)
        vote(h, i, s2, False)
        d.ok(tx.Close(origin=COLDKEYS[2], hash=h, index=i))
        assert s4 not in d.c.senate()
        # removed senators' votes stay; triumvirate removal deletes the account's votes
        h, i = propose(tx.SudoSenateAddMember(origin=zero, hotkey=s4))
        vote(h, i, s1, True)
        d.ok(tx.SudoSenateRemoveMember(origin=SUDO, hotkey=s1))
        assert d.md.proposals[h]["ayes"] == [bytes(s1)]
        d.ok(tx.SudoTriumvirateAddMember(origin=SUDO, member=s2))
        vote(h, i, s2, True)
        d.ok(tx.SudoTriumvirateSwapMember(origin=SUDO, old=s2, new=COLDKEYS[3]))
        assert d.md.proposals[h]["ayes"] == [bytes(s1)]
        d.check()
        # proposals that may not be made
        d.rejects(tx.Propose(origin=COLDKEYS[1], transaction=set_tempo, duration=3600),
                  "NotTriumvirateMember")
        d.rejects(tx.Propose(origin=trium, transaction=set_tempo, duration=3599), "WrongDuration")
        d.rejects(tx.Propose(origin=trium, transaction=tx.SudoSetKey(origin=zero, new=trium),
                             duration=3600), "BadOrigin")
        d.rejects(tx.Propose(origin=trium, transaction=tx.SudoSetHyperparameter(
            origin=SUDO, netuid=1, name="tempo", value=3), duration=3600), "BadOrigin")
        for k in range(9):
            propose(tx.SudoSetHyperparameter(origin=zero, netuid=1, name="kappa", value=k))
        d.rejects(tx.Propose(origin=trium, transaction=set_tempo, duration=3600),
                  "TooManyProposals")
        d.ok(tx.SudoDisapproveProposal(origin=SUDO, hash=h))
        d.ok(tx.SudoDisapproveProposal(origin=SUDO, hash=h))  # no existence check
        d.check()
        assert d.md.coverage["close:approve"] == 3 and d.md.coverage["close:disapprove"] == 1
        d.replay()


def _root_economy(d: Duo, validators: list[ts.AccountId]) -> None:
    d.ok(tx.RegisterNetwork(origin=COLDKEYS[0]))
    d.ok(tx.RegisterNetwork(origin=COLDKEYS[1]))
    for u in (0, 1, 2):
        d.sudo(u, "tempo", 2)
        d.sudo(u, "weights_set_rate_limit", 0)
    d.sudo(0, "max_registrations_per_block", 10)
    d.sudo(0, "target_registrations_per_interval", 10)
    for i, h in enumerate(validators):
        d.ok(tx.SudoRegister(origin=SUDO, netuid=1, hotkey=h, coldkey=COLDKEYS[1],
                             stake=(3 + i) * TAO, balance=0))
        d.ok(tx.RootRegister(origin=COLDKEYS[1], hotkey=h))
    d.step()
    d.ok(tx.SetWeights(origin=validators[0], netuid=0, uids=[1, 2], values=[65535, 20000]))
    d.ok(tx.SetWeights(origin=validators[1], netuid=0, uids=[1], values=[3]))


@pytest.mark.parametrize(("kappa", "rho"), [(65535, 1), (0, 1), (32767, 0), (65535, 3),
                                            (1, 45), (32767, 10)])
def test_root_epoch_logistic_edges(kappa: int, rho: int) -> None:
    """kappa 65535 / rho 1 makes x = −1 for a netuid nobody weights: exp(1) is the special
    E23 = 22802600/2^23 of §5.2; rho 0 makes every x 0; large rho overflows the series."""
    with Duo(RICH, **CHEAP) as d:
        _root_economy(d, HOTKEYS[:2])
        d.sudo(0, "kappa", kappa)
        d.sudo(0, "rho", rho)
        d.step(7)
        d.check()
        assert d.md.last_root_epoch in ("set", "exp_overflow")
        d.replay()


@pytest.mark.parametrize(("burns", "pows"), [(1, 2), (2, 1), (1, 1), (0, 1), (1, 0), (0, 0),
                                             (0, 3), (3, 0), (0, 2)])
def test_registration_adjustment_cases(burns: int, pows: int) -> None:
    """§8.8 cases A–F with real burn and POW registrations in one interval of 1 block."""
    with Duo(RICH, **CHEAP) as d:
        d.ok(tx.RegisterNetwork(origin=COLDKEYS[0]))
        for name, value in [("adjustment_interval", 1), ("max_registrations_per_block", 6),
                            ("target_registrations_per_interval", 1), ("min_burn", 1),
                            ("max_burn", 10**12), ("network_pow_registration_allowed", True),
                            ("min_difficulty", 1), ("max_difficulty", 4000),
                            ("difficulty", 1000), ("adjustment_alpha", 0)]:
            d.sudo(1, name, value)
        d.step()
        for i in range(burns):
            d.ok(tx.BurnedRegister(origin=COLDKEYS[1], netuid=1, hotkey=HOTKEYS[i]))
        for i in range(pows):
            h = ts.account(f"fuzz/pow{i}")
            bn, nonce, work = d.c.create_pow(1, h)
            d.ok(tx.Register(origin=h, netuid=1, block_number=bn, nonce=nonce, work=work,
                             hotkey=h, coldkey=COLDKEYS[2]))
        d.step(2)
        d.check()
        assert d.md.coverage["pow_register"] == pows
        d.replay()
