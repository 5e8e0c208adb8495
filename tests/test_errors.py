"""The error hierarchy (taostate.errors, docs/design.md §4) and docs/ruleset.md §14 names."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from taostate import errors as E

# The classes come from the core's table (rust/src/error.rs); the ruleset's §14 is the
# independent list they are checked against.
RULE_NAMES = sorted(E.RULE_ERRORS)


def _rules_md() -> Path | None:
    """The checkout's own ruleset document (docs/ruleset.md beside tests/)."""
    path = Path(__file__).resolve().parent.parent / "docs" / "ruleset.md"
    return path if path.is_file() else None


def test_hierarchy() -> None:
    assert issubclass(E.InvalidTransaction, E.TaoStateError)
    assert issubclass(E.InvalidTransaction, ValueError)
    assert issubclass(E.InvalidGenesis, E.InvalidTransaction)
    assert issubclass(E.TxRejected, E.TaoStateError) and issubclass(E.TxRejected, ValueError)
    for cls in (E.ChainExists, E.ChainNotFound, E.LogLocked, E.LogCorrupted, E.LogFormatError):
        assert issubclass(cls, E.LogError) and issubclass(cls, E.TaoStateError)
    assert issubclass(E.ReplayDivergence, E.TaoStateError)
    assert not issubclass(E.LogError, ValueError)


def test_one_class_per_rules_error() -> None:
    for name in RULE_NAMES:
        cls = getattr(E, name)
        assert E.RULE_ERRORS[name] is cls
        assert issubclass(cls, E.TxRejected) and cls is not E.TxRejected
        assert cls.__name__ == name and cls.CODE == name
        assert cls.__doc__ and cls.HINT
        assert name in E.__all__


def _catalogue_names() -> set[str]:
    """The error names of the ruleset's §14 catalogue (combined rows split)."""
    path = _rules_md()
    assert path is not None, "docs/ruleset.md not found in the checkout"
    text = path.read_text(encoding="utf-8")
    section = text.split("## 14. Error catalogue", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        m = re.match(r"\|\s*([A-Za-z][^|]*?)\s*\|", line)
        if not m or m.group(1) in ("Error",) or set(m.group(1)) <= set("-"):
            continue
        parts = [p.strip() for p in m.group(1).split("/")]
        first = parts[0]
        for p in parts:
            if p.startswith("…"):  # "TooManyRegistrationsThisBlock / …ThisInterval"
                stem = re.match(r"[A-Z][a-z]+(?:[A-Z][a-z]+)*?(?=This)", first)
                assert stem
                p = stem.group(0) + p[1:]
            names.add(p)
    return names


def test_catalogue_matches_the_ruleset() -> None:
    assert len(RULE_NAMES) == 54
    assert set(RULE_NAMES) == _catalogue_names()


def test_rejected_builds_the_named_subclass() -> None:
    tx = object()
    e = E.rejected("NotEnoughBalanceToStake", "coldkey 5Grw… has 1 rao, needs 5 TAO", tx)
    assert type(e) is E.NotEnoughBalanceToStake
    assert isinstance(e, E.TxRejected) and isinstance(e, ValueError)
    assert e.code == "NotEnoughBalanceToStake" and e.tx is tx
    assert "coldkey 5Grw… has 1 rao" in str(e)
    assert E.NotEnoughBalanceToStake.HINT in str(e)  # says what to do next
    with pytest.raises(E.NotEnoughBalanceToStake):
        raise e
    for name in RULE_NAMES:
        assert type(E.rejected(name, "m")) is E.RULE_ERRORS[name]


def test_message_names_the_tx_accounts_and_amounts() -> None:
    from taostate import tx as T
    from taostate.accounts import AccountId

    alice, bob = AccountId(b"\x01" * 32), AccountId(b"\x02" * 32)
    tx = T.AddStake(alice, bob, 100 * 10**9)
    e = E.rejected("NotEnoughBalanceToStake", tx=tx, account=alice.public_key,
                   needed=100 * 10**9, available=3_200_000_000)
    assert e.account == alice and e.needed == 100 * 10**9 and e.available == 3_200_000_000
    assert e.netuid is None and e.context == {
        "account": alice, "needed": 100 * 10**9, "available": 3_200_000_000}
    msg = str(e)
    assert msg.startswith(f"AddStake by {alice.ss58[:12]}…: "), msg
    assert "the signer has a free balance of 3.2 τ, needs 100 τ" in msg
    assert msg.count("NotEnoughBalanceToStake") == 0  # the class name says it once, in repr/traceback
    # the tx can be attached after the core built the error (as Chain.submit does)
    late = E.rejected("NotEnoughBalanceToStake", account=alice.public_key, needed=5, available=1)
    late.tx = tx
    assert str(late).startswith("AddStake by ")
    # a template alternative that needs a missing field falls back to the next one
    assert "is not registered" in str(E.rejected("NotRegistered", account=bob.public_key))
    assert "on netuid 3" in str(E.rejected("NotRegistered", account=bob.public_key, netuid=3))
    # no template fits: the description and the fields that are there
    d = str(E.rejected("CallNotSupported", netuid=4))
    assert "netuid 4" in d and E.CallNotSupported.DESCRIPTION in d
    with pytest.raises(TypeError):
        E.rejected("WrongIndex", colour=3)


def test_rejected_unknown_code_still_works() -> None:
    e = E.rejected("SomethingNew", "from a newer core")
    assert type(e) is E.TxRejected and e.code == "SomethingNew"
    assert "SomethingNew: from a newer core" in str(e)


def test_default_message_is_the_description() -> None:
    e = E.BadOrigin()
    assert e.code == "BadOrigin" and e.tx is None
    assert "origin" in str(e).lower()


def test_errors_pickle() -> None:
    e = E.rejected("WrongIndex", "proposal 0xab has index 3, not 2")
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is E.WrongIndex and str(back) == str(e) and back.code == "WrongIndex"
    r = E.rejected("SettingWeightsTooFast", account=b"\x05" * 32, netuid=3, last=10, limit=100,
                   block=50)
    rb = pickle.loads(pickle.dumps(r))
    assert type(rb) is E.SettingWeightsTooFast and rb.context == r.context and str(rb) == str(r)
    assert rb.account is not None and bytes(rb.account) == b"\x05" * 32
    c = pickle.loads(pickle.dumps(E.LogCorrupted("bad hash", block=7)))
    assert c.block == 7 and str(c) == "bad hash"
    d = pickle.loads(pickle.dumps(E.ReplayDivergence("root differs", block=9)))
    assert d.block == 9
    i = pickle.loads(pickle.dumps(E.InvalidTransaction("Transfer.amount: bad", field="Transfer.amount")))
    assert i.field == "Transfer.amount" and str(i) == "Transfer.amount: bad"
    assert E.LogCorrupted("x").block is None


# --------------------------------------------------------------------------- #
# Messages of real rejections: the tx kind, the accounts, the numbers.


def _short(a: object) -> str:
    return E.short_account(a)


def _refused(chain: object, t: object, cls: type[E.TxRejected]) -> E.TxRejected:
    with pytest.raises(cls) as ei:
        chain.submit(t)  # type: ignore[attr-defined]
    e = ei.value
    assert e.tx is t
    msg = str(e)
    assert msg.startswith(f"{type(t).__name__} by {_short(t.origin)}: "), msg  # type: ignore[attr-defined]
    assert cls.HINT in msg and msg.count(cls.__name__) == 0
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is cls and back.context == e.context and str(back) == msg
    return e


def test_real_rejections_name_accounts_and_numbers() -> None:
    import taostate as ts
    from taostate import tx

    from helpers import ALICE, BOB, CAROL, DAVE, SUDO, genesis

    hot = ts.account("errors/hot")
    with ts.Chain.ephemeral(genesis(network_rate_limit=0, tx_rate_limit=3)) as chain:
        # balance: CAROL holds 5 τ
        e = _refused(chain, tx.Transfer(CAROL, BOB, 7 * ts.TAO), E.InsufficientBalance)
        assert (e.account, e.available, e.needed) == (CAROL, 5 * ts.TAO, 7 * ts.TAO)
        assert "the signer has a free balance of 5 τ, needs 7 τ" in str(e)
        # registration: a burn above the free balance, on netuid 1
        chain.submit(tx.RegisterNetwork(origin=ALICE))
        chain.submit(tx.Transfer(ALICE, DAVE, 900_000_000))
        e = _refused(chain, tx.BurnedRegister(DAVE, 1, hot), E.NotEnoughBalanceToStake)
        assert (e.account, e.available, e.needed) == (DAVE, 900_000_000, ts.TAO)
        assert "the signer has a free balance of 0.9 τ, needs 1 τ" in str(e)
        e = _refused(chain, tx.SudoSetHyperparameter(SUDO, 1, "burn", 5), E.UnknownHyperparameter)
        assert (e.name, e.netuid) == ("burn", 1) and "no hyperparameter burn" in str(e)
        chain.submit(tx.BurnedRegister(origin=ALICE, netuid=1, hotkey=hot))
        e = _refused(chain, tx.BurnedRegister(ALICE, 1, ts.account("errors/other")),
                     E.TooManyRegistrationsThisBlock)
        assert (e.available, e.limit, e.netuid) == (1, 1, 1)
        assert "1 registrations on netuid 1 this block, limit 1" in str(e)
        chain.step()
        e = _refused(chain, tx.BurnedRegister(ALICE, 1, hot), E.AlreadyRegistered)
        assert (e.account, e.netuid) == (hot, 1) and "is already registered on netuid 1" in str(e)
        # stake
        e = _refused(chain, tx.AddStake(CAROL, hot, ts.TAO), E.NonAssociatedColdKey)
        assert (e.account, e.hotkey) == (CAROL, hot) and _short(hot) in str(e)
        chain.submit(tx.AddStake(origin=ALICE, hotkey=hot, amount=100 * ts.TAO))
        # rate limit: ALICE staked at block 2, tx_rate_limit 3
        e = _refused(chain, tx.RemoveStake(ALICE, hot, ts.TAO), E.TxRateLimitExceeded)
        assert (e.account, e.last, e.limit, e.block) == (ALICE, 2, 3, 2)
        assert "last acted at block 2; tx_rate_limit is 3 blocks, now block 2" in str(e)
        chain.step(blocks=4)
        e = _refused(chain, tx.RemoveStake(ALICE, hot, 101 * ts.TAO), E.NotEnoughStaketoWithdraw)
        assert (e.available, e.needed, e.hotkey) == (100 * ts.TAO, 101 * ts.TAO, hot)
        assert "has 100 τ staked on" in str(e) and "cannot remove 101 τ" in str(e)
        # weights
        e = _refused(chain, tx.SetWeights(hot, 1, [0, 1], [1]), E.WeightVecNotEqualSize)
        assert (e.available, e.needed, e.netuid) == (2, 1, None) and "2 uids but 1 values" in str(e)
        e = _refused(chain, tx.SetWeights(hot, 1, [0, 1], [1, 1]), E.TooManyUids)
        assert (e.available, e.limit, e.netuid) == (2, 1, 1)
        assert "2 uids, netuid 1 has 1 neurons" in str(e)
        e = _refused(chain, tx.SetWeights(BOB, 1, [0], [1]), E.NotRegistered)
        assert (e.account, e.netuid) == (BOB, 1) and "the signer is not registered on netuid 1" in str(e)
        assert f"{_short(BOB)} is not registered" in str(E.rejected("NotRegistered", **e.context))
        e = _refused(chain, tx.SetWeights(hot, 7, [0], [1]), E.NetworkDoesNotExist)
        assert e.netuid == 7 and "netuid 7 does not exist" in str(e)
        # hyperparameters
        e = _refused(chain, tx.SudoSetHyperparameter(SUDO, 1, "tempo", 1 << 20), E.StorageValueOutOfRange)
        assert (e.name, e.available) == ("tempo", 1 << 20) and f"tempo = {1 << 20} is out of range" in str(e)
