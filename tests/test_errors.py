"""The error hierarchy (taostate.errors, SPEC §4) and RULES.md §14 names."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from taostate import errors as E


def _rules_md() -> Path | None:
    here = Path(__file__).resolve().parent.parent
    for p in (here / "RULES.md", here / "docs" / "RULES.md", here.parent / "shared" / "RULES.md"):
        if p.is_file():
            return p
    return None


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
    assert sorted(E.RULE_ERRORS) == sorted(RULE_NAMES)
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
    assert path is not None, "RULES.md not found: expected ../shared/RULES.md beside the checkout"
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


RULE_NAMES = sorted(_catalogue_names())


def test_catalogue_matches_the_ruleset() -> None:
    # The classes come from the core's table; the ruleset's §14 is the independent list.
    assert len(RULE_NAMES) == 54
    assert sorted(E.RULE_ERRORS) == RULE_NAMES


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
    assert "free balance of 3.2 τ, needs 100 τ" in msg
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
