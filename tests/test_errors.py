"""The error hierarchy (taostate.errors, docs/design.md §4) and docs/ruleset.md §14 names."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from taostate import errors as E

# docs/ruleset.md §14, every name (combined rows split).
RULE_NAMES = """
AllNetworksInImmunity AlreadyDelegate AlreadyRegistered AlreadySenateMember
AlreadyTriumvirateMember ArithmeticOverflow BadOrigin BalanceBelowExistentialDeposit
CallNotSupported DuplicateProposal DuplicateVote DuplicateUids FaucetDisabled
HotkeyOriginMismatch IncorrectNetworkVersionKey InsufficientBalance InvalidDifficulty
InvalidIpAddress InvalidIpType InvalidPort InvalidSeal InvalidUid InvalidWorkBlock
MaxAllowedUIdsNotAllowed MaxWeightExceeded NetworkDoesNotExist NoValidatorPermit
NonAssociatedColdKey NotEnoughBalanceToStake NotEnoughStaketoWithdraw NotRegistered
NotSenateMember NotTriumvirateMember NotSettingEnoughWeights NotSubnetOwner
OperationNotPermittedonRootSubnet ProposalMissing WrongIndex RegistrationDisabled
ServingRateLimitExceeded SettingWeightsTooFast StakeTooLowForRoot StorageValueOutOfRange
TooEarly TooManyProposals TooManyRegistrationsThisBlock TooManyRegistrationsThisInterval
TooManySenateMembers TooManyTriumvirateMembers TooManyUids TxRateLimitExceeded
UnknownHyperparameter WeightVecNotEqualSize WrongDuration
""".split()


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
    assert sorted(E.RULE_ERRORS) == sorted(RULE_NAMES)
    for name in RULE_NAMES:
        cls = getattr(E, name)
        assert E.RULE_ERRORS[name] is cls
        assert issubclass(cls, E.TxRejected) and cls is not E.TxRejected
        assert cls.__name__ == name and cls.CODE == name
        assert cls.__doc__ and cls.HINT
        assert name in E.__all__


def test_catalogue_matches_rules_md() -> None:
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
    assert names == set(RULE_NAMES)


def test_rejected_builds_the_named_subclass() -> None:
    tx = object()
    e = E.rejected("NotEnoughBalanceToStake", "coldkey 5Grw… has 1 rao, needs 5 TAO", tx)
    assert type(e) is E.NotEnoughBalanceToStake
    assert isinstance(e, E.TxRejected) and isinstance(e, ValueError)
    assert e.code == "NotEnoughBalanceToStake" and e.tx is tx
    assert "coldkey 5Grw… has 1 rao" in str(e)
    assert "NotEnoughBalanceToStake" in str(e)
    assert E.NotEnoughBalanceToStake.HINT in str(e)  # says what to do next
    with pytest.raises(E.NotEnoughBalanceToStake):
        raise e
    for name in RULE_NAMES:
        assert type(E.rejected(name, "m")) is E.RULE_ERRORS[name]


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
    c = pickle.loads(pickle.dumps(E.LogCorrupted("bad hash", block=7)))
    assert c.block == 7 and str(c) == "bad hash"
    d = pickle.loads(pickle.dumps(E.ReplayDivergence("root differs", block=9)))
    assert d.block == 9
    i = pickle.loads(pickle.dumps(E.InvalidTransaction("Transfer.amount: bad", field="Transfer.amount")))
    assert i.field == "Transfer.amount" and str(i) == "Transfer.amount: bad"
    assert E.LogCorrupted("x").block is None
