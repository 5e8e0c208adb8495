"""Hypothesis strategies for fuzzing taostate and the tools you build on it.

Requires `hypothesis` (``pip install taostate[test]``)::

    from hypothesis import given
    import taostate as ts
    from taostate.testing import histories

    @given(histories())
    def test_replay_is_deterministic(history):
        with ts.Chain.ephemeral(history.genesis) as chain:
            history.apply(chain)
            assert chain.verify()["state_root"] == chain.state_root()

Strategies
----------
:func:`accounts`      accounts biased toward a small shared pool, so transactions meet each other
:func:`amounts`       rao amounts biased toward the boundaries the rules care about
:func:`transactions`  any transaction class of :mod:`taostate.tx`, well-typed by construction
:func:`geneses`       valid :class:`taostate.Genesis` records
:func:`histories`     a genesis plus a list of blocks of transactions (:class:`History`)

Every generated transaction is *well-typed* (it constructs, encodes and decodes: ``ts.tx.decode(
t.to_msgpack()) == t``), not necessarily *accepted*: the rules may refuse it, which is what makes it
useful for fuzzing. Submitting one to a chain either succeeds or raises a
:class:`taostate.TxRejected` subclass. Everything shrinks toward small, simple values: the first
account of the pool, amount 0, netuid 0/1, short vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Union

from hypothesis import strategies as st

from . import _core
from . import tx as _tx
from .accounts import ZERO_ACCOUNT, AccountId, AccountLike, account, to_account
from .balance import TAO
from .chain import Chain, Genesis, Receipt
from .errors import TxRejected

__all__ = [
    "ED",
    "GLOBAL_HYPERPARAMETERS",
    "S_MAX",
    "SUBNET_HYPERPARAMETERS",
    "U64_MAX",
    "History",
    "accounts",
    "amounts",
    "geneses",
    "histories",
    "transactions",
]

ED: Final = 500
"""The existential deposit (rao), docs/ruleset.md §2."""
S_MAX: Final = 21_000_000 * TAO
"""The supply cap (rao), docs/ruleset.md §0.1."""
U64_MAX: Final = 2**64 - 1

SUBNET_HYPERPARAMETERS: Final[dict[str, str]] = {
    p["name"]: p["type"] for p in _core.hyperparameters() if p["scope"] == "subnet" and p["setter"]
}
"""Per-subnet settable parameters (docs/ruleset.md §13.1) and their types (from the core's table)."""

GLOBAL_HYPERPARAMETERS: Final[dict[str, str]] = {
    p["name"]: p["type"] for p in _core.hyperparameters() if p["scope"] == "global"
}
"""Global parameters (docs/ruleset.md §13.2) and their types; all may be set in a genesis."""

_OTHER_NAMES: Final = ("total_issuance", "burn", "senate_required_stake_percentage", "")
_PROPOSABLE: Final = ("SudoRegister", "SudoSetHyperparameter", "SudoTriumvirateAddMember",
                      "SudoTriumvirateRemoveMember", "SudoTriumvirateSwapMember",
                      "SudoSenateAddMember", "SudoSenateRemoveMember", "SudoDisapproveProposal")

_AccountStrategy = st.SearchStrategy[AccountId]
KindLike = Union[type[_tx.Tx], str]


# --------------------------------------------------------------------------------------------- #
# accounts and amounts


def _one_in(n: int) -> st.SearchStrategy[bool]:
    """True about once in ``n`` draws; shrinks to False (hypothesis favours the ends of an integer
    range, so the rare case is a middle value)."""
    return st.integers(0, n - 1).map(lambda r: r == n // 2)


def _pool(pool: int | Sequence[AccountLike], prefix: str) -> list[AccountId]:
    if isinstance(pool, int):
        if pool < 1:
            raise ValueError("accounts(pool=n) needs n ≥ 1")
        return [account(f"{prefix}{i}") for i in range(pool)]
    members = [to_account(a, "pool") for a in pool]
    if not members:
        raise ValueError("accounts(pool=...) needs at least one account")
    return members


def accounts(pool: int | Sequence[AccountLike] = 6, *, fresh: bool = True,
             prefix: str = "testing/") -> st.SearchStrategy[AccountId]:
    """Accounts drawn mostly from a small pool, so that generated transactions meet each other.

    ``pool`` is a number n (the dev accounts ``ts.account(f"{prefix}{i}")``, i < n) or an explicit
    sequence of accounts. With ``fresh`` (default), about one draw in ten is instead an arbitrary
    32-byte key nobody has seen (an unknown hotkey, an empty destination …). Shrinks toward the
    first account of the pool.
    """
    members = _pool(pool, prefix)
    from_pool = st.sampled_from(members)
    if not fresh:
        return from_pool
    new_key = st.binary(min_size=32, max_size=32).map(AccountId)
    return _one_in(10).flatmap(lambda rare: new_key if rare else from_pool)


def _near(values: Iterable[int], lo: int, hi: int) -> list[int]:
    out = set()
    for v in values:
        for d in (-ED - 1, -ED, -ED + 1, -2, -1, 0, 1, 2, ED - 1, ED, ED + 1):
            if lo <= v + d <= hi:
                out.add(v + d)
    return sorted(out)


def amounts(*, max_value: int = U64_MAX, around: Iterable[int] = ()) -> st.SearchStrategy[int]:
    """Rao amounts in ``[0, max_value]``, biased toward the boundaries of the rules.

    About two draws in three come from the boundary set: 0, 1, 2, the existential deposit ±1
    (499, 500, 501), 1 TAO, the supply cap 21e15, ``u64::MAX``, ``max_value`` itself, and each
    value of ``around`` (e.g. a balance, a stake, the burn) ±{0, 1, 2, ED − 1, ED, ED + 1}. The
    rest are uniform in a small range (≤ 10 TAO) or the whole range. Shrinks toward 0.
    """
    if not 0 <= max_value <= U64_MAX:
        raise ValueError("amounts(max_value=...) must be a u64")
    base = [0, 1, 2, ED - 1, ED, ED + 1, TAO, 10 * TAO, S_MAX, U64_MAX, max_value,
            *list(around)]
    anchors = _near(base, 0, max_value)
    return st.one_of(
        st.sampled_from(anchors),
        st.sampled_from(anchors),
        st.integers(0, min(max_value, 10 * TAO)),
        st.integers(0, max_value),
    )


_accounts = accounts
_amounts = amounts

# --------------------------------------------------------------------------------------------- #
# transactions

_U16S_SMALL: Final = st.integers(0, 8) | st.integers(0, 0xFFFF)


def _netuids() -> st.SearchStrategy[int]:
    return st.one_of(st.integers(0, 4), st.integers(0, 4), st.integers(0, 0xFFFF))


def _u64_small() -> st.SearchStrategy[int]:
    return st.one_of(st.integers(0, 16), st.sampled_from([100, 360, 3600, 7200, U64_MAX]),
                     st.integers(0, U64_MAX))


def _ips() -> st.SearchStrategy[int]:
    edges = [0, 1, 2, 0x7F000001, 0xC0A80001, 2**32 - 2, 2**32 - 1, 2**32, 2**128 - 2,
             2**128 - 1]
    return st.one_of(st.sampled_from(edges), st.integers(1, 2**32 - 1),
                     st.integers(0, 2**128 - 1))


def _hp_values(kind: str | None) -> st.SearchStrategy[bool | int]:
    ints = st.one_of(st.integers(0, 16), st.sampled_from([100, 360, 1000, 32768, 32769, 65535,
                                                          65536, 10**6, 10**6 + 1, U64_MAX]),
                     st.integers(0, U64_MAX))
    if kind == "bool":
        return st.one_of(st.booleans(), st.booleans(), ints)
    return st.one_of(ints, ints, ints, st.booleans())


@st.composite
def _hyperparameter(draw: st.DrawFn, origin: st.SearchStrategy[AccountId],
                    netuids: st.SearchStrategy[int]) -> _tx.SudoSetHyperparameter:
    r = draw(st.integers(0, 9))
    if r < 7:
        name = draw(st.sampled_from(sorted(SUBNET_HYPERPARAMETERS)))
        netuid: int | None = draw(netuids)
        kind: str | None = SUBNET_HYPERPARAMETERS[name]
    elif r < 9:
        name = draw(st.sampled_from(sorted(GLOBAL_HYPERPARAMETERS)))
        netuid = None
        kind = GLOBAL_HYPERPARAMETERS[name]
    else:  # unknown, not settable, or the wrong scope
        name = draw(st.sampled_from([*_OTHER_NAMES, *sorted(SUBNET_HYPERPARAMETERS),
                                     *sorted(GLOBAL_HYPERPARAMETERS)]))
        netuid = draw(st.none() | netuids)
        kind = None
    return _tx.SudoSetHyperparameter(origin=draw(origin), netuid=netuid, name=name,
                                     value=draw(_hp_values(kind)))


def _class(kind: KindLike) -> type[_tx.Tx]:
    if isinstance(kind, str):
        for cls in _tx.KINDS.values():
            if kind in (cls.__name__, cls.CALL):
                return cls
        raise ValueError(f"transactions(kinds=...): unknown transaction {kind!r}")
    if isinstance(kind, type) and issubclass(kind, _tx.Tx) and kind in _tx.KINDS.values():
        return kind
    raise ValueError(f"transactions(kinds=...): {kind!r} is not a class of taostate.tx")


def transactions(kinds: Iterable[KindLike] | None = None, *,
                 accounts: _AccountStrategy | None = None,
                 netuids: st.SearchStrategy[int] | None = None,
                 amounts: st.SearchStrategy[int] | None = None,
                 sudo: _AccountStrategy | None = None,
                 origins: _AccountStrategy | None = None) -> st.SearchStrategy[_tx.Tx]:
    """Any transaction of :mod:`taostate.tx` (or only those of ``kinds``: classes or names such as
    ``"AddStake"`` / ``"add_stake"``), well-typed by construction.

    ``accounts`` draws every account field (origin, hotkey, dest …; default :func:`accounts`),
    ``netuids`` the netuids (default: mostly 0–4), ``amounts`` every rao amount (default
    :func:`amounts`), ``sudo`` the origin of Sudo calls (default: ``accounts``), ``origins`` the
    origin of every other call (default: ``accounts``). A ``Propose``
    wraps a Sudo-kind transaction whose origin is (mostly) the all-zero account; weights are short
    vectors of small uids; hyperparameter names include unknown ones and values include misfits —
    so the rules have something to refuse.
    """
    acct = accounts if accounts is not None else _accounts()
    nets = netuids if netuids is not None else _netuids()
    amt = amounts if amounts is not None else _amounts()
    sud = sudo if sudo is not None else acct
    orig = origins if origins is not None else acct
    classes = sorted({_class(k) for k in (kinds if kinds is not None else _tx.KINDS.values())},
                     key=lambda c: c.KIND)
    if not classes:
        raise ValueError("transactions(kinds=...) needs at least one kind")
    hashes = st.one_of(st.binary(min_size=32, max_size=32),
                       st.sampled_from([bytes(32), b"\xff" * 32]))
    work = st.one_of(st.binary(min_size=32, max_size=32), st.binary(max_size=40))

    def nested() -> st.SearchStrategy[_tx.Tx]:
        zero_or_any = _one_in(5).flatmap(lambda rare: acct if rare else st.just(ZERO_ACCOUNT))
        return transactions(_PROPOSABLE, accounts=acct, netuids=nets, amounts=amt,
                            sudo=zero_or_any)

    weights = st.integers(0, 6).flatmap(lambda n: st.tuples(
        st.lists(_U16S_SMALL, min_size=n, max_size=n),
        st.integers(0, 9).flatmap(
            lambda r: st.lists(st.integers(0, 0xFFFF), min_size=n, max_size=n) if r != 5
            else st.lists(st.integers(0, 0xFFFF), max_size=7))))

    def build(cls: type[_tx.Tx]) -> st.SearchStrategy[_tx.Tx]:
        name = cls.__name__
        sudo_kind = name.startswith("Sudo")
        origin = sud if sudo_kind else orig
        if name == "SudoSetHyperparameter":
            return _hyperparameter(origin, nets)
        if name == "SetWeights":
            return st.builds(
                lambda o, n, uv, vk: _tx.SetWeights(origin=o, netuid=n, uids=uv[0],
                                                    values=uv[1], version_key=vk),
                orig, nets, weights, _u64_small())
        if name == "Propose":
            return st.builds(_tx.Propose, origin=orig, transaction=st.deferred(nested),
                             duration=st.one_of(st.sampled_from([0, 3599, 3600, 3601]),
                                                _u64_small()))
        fields: dict[str, st.SearchStrategy[Any]] = {"origin": origin}
        for f in cls._NAMES[1:]:
            fields[f] = _field(f, acct, nets, amt, hashes, work)
        return st.builds(cls, **fields)

    return st.one_of([build(c) for c in classes])


def _field(name: str, acct: _AccountStrategy, nets: st.SearchStrategy[int],
           amt: st.SearchStrategy[int], hashes: st.SearchStrategy[bytes],
           work: st.SearchStrategy[bytes]) -> st.SearchStrategy[Any]:
    if name in ("dest", "hotkey", "coldkey", "new", "member", "old", "new_hotkey"):
        return acct
    if name in ("amount", "stake", "balance"):
        return amt
    if name == "netuid":
        return nets
    if name in ("block_number", "nonce"):
        return _u64_small()
    if name == "work":
        return work
    if name == "hash":
        return hashes
    if name == "index":
        return st.one_of(st.integers(0, 4), st.integers(0, 2**32 - 1))
    if name == "approve":
        return st.booleans()
    if name == "version":
        return st.one_of(st.integers(0, 4), st.integers(0, 2**32 - 1))
    if name == "ip":
        return _ips()
    if name == "port":
        return st.one_of(st.sampled_from([0, 1, 8091, 0xFFFF]), st.integers(0, 0xFFFF))
    if name == "ip_type":
        return st.one_of(st.sampled_from([4, 6]), st.sampled_from([4, 6]), st.integers(0, 255))
    if name in ("protocol", "placeholder1", "placeholder2"):
        return st.integers(0, 255)
    raise AssertionError(f"taostate.testing: no strategy for field {name!r}")  # pragma: no cover


# --------------------------------------------------------------------------------------------- #
# geneses and histories


def _global_params() -> st.SearchStrategy[dict[str, int]]:
    small = {
        "default_take": st.one_of(st.just(11_796), st.integers(0, 0xFFFF)),
        "tx_rate_limit": st.sampled_from([0, 1, 2, 1000]),
        "subnet_owner_cut": st.one_of(st.just(11_796), st.integers(0, 0xFFFF)),
        "network_min_lock_cost": st.sampled_from([0, 1, ED, TAO, 100 * TAO]),
        "network_lock_reduction_interval": st.sampled_from([1, 2, 100, 100_800]),
        "network_rate_limit": st.sampled_from([0, 1, 3, 7200]),
        "network_immunity_period": st.sampled_from([0, 1, 10, 50_400]),
        "subnet_limit": st.sampled_from([0, 1, 2, 3, 12]),
    }
    return st.fixed_dictionaries({}, optional=small)


@st.composite
def geneses(draw: st.DrawFn, *, accounts: _AccountStrategy | None = None, max_accounts: int = 6,
            params: bool = True) -> Genesis:
    """A valid :class:`taostate.Genesis`.

    Up to ``max_accounts`` funded accounts (drawn from ``accounts``, default the pool of
    :func:`accounts` without fresh keys) with boundary-biased balances whose sum stays within the
    supply cap; a sudo key (usually funded); a triumvirate of up to three distinct accounts; and,
    with ``params``, a random subset of the global parameters of docs/ruleset.md §13.2 with valid
    values that make subnets cheap and quick to create (small lock costs and rate limits) more often
    than not.
    """
    acct = accounts if accounts is not None else _accounts(fresh=False)
    keys = draw(st.lists(acct, min_size=1, max_size=max(1, max_accounts), unique=True))
    balances: dict[AccountId, int] = {}
    room = S_MAX
    for k in keys:
        v = min(room, draw(st.one_of(
            st.sampled_from([0, ED - 1, ED, 10 * TAO, 1000 * TAO, 100_000 * TAO, S_MAX // 2]),
            st.integers(0, 10_000 * TAO))))
        balances[k] = v
        room -= v
    sudo = draw(st.one_of(st.sampled_from(keys), acct))
    triumvirate = draw(st.lists(acct, max_size=3, unique=True))
    chosen = draw(_global_params()) if params else {}
    return Genesis(balances=balances, sudo=sudo, triumvirate=triumvirate, params=chosen)


@dataclass(frozen=True)
class History:
    """A genesis and the transactions of each block after it (block ``i + 1`` is ``blocks[i]``).

    Transactions are well-typed, not necessarily accepted: :meth:`apply` submits them all,
    collecting rejections.
    """

    genesis: Genesis
    blocks: list[list[_tx.Tx]] = field(default_factory=list)

    def apply(self, chain: Chain,
              on_result: Callable[[_tx.Tx, Receipt | TxRejected], None] | None = None,
              ) -> list[list[Receipt | TxRejected]]:
        """Submit every block's transactions to ``chain`` (a chain created from ``self.genesis``)
        and seal each block with ``chain.step()``. Returns, per block, each transaction's
        :class:`Receipt` or the :class:`TxRejected` it raised (any other exception propagates);
        ``on_result(tx, outcome)`` is called after each submission."""
        out: list[list[Receipt | TxRejected]] = []
        for txs in self.blocks:
            results: list[Receipt | TxRejected] = []
            for t in txs:
                outcome: Receipt | TxRejected
                try:
                    outcome = chain.submit(t)
                except TxRejected as e:
                    outcome = e
                results.append(outcome)
                if on_result is not None:
                    on_result(t, outcome)
            chain.step()
            out.append(results)
        return out

    @property
    def transactions(self) -> list[_tx.Tx]:
        """All transactions in order."""
        return [t for txs in self.blocks for t in txs]


@st.composite
def histories(draw: st.DrawFn, *, genesis: st.SearchStrategy[Genesis] | None = None,
              max_blocks: int = 8, max_txs_per_block: int = 6,
              kinds: Iterable[KindLike] | None = None) -> History:
    """A :class:`History`: a genesis (default :func:`geneses`) and up to ``max_blocks`` blocks of
    up to ``max_txs_per_block`` transactions (of ``kinds``, default all) each.

    The transactions are mostly signed by the genesis's own accounts (its funded accounts, its sudo
    key, its triumvirate; Sudo calls mostly by the sudo key) and name those accounts plus a few
    hotkeys, so that transfers, stakes, registrations and sudo calls act on funded state; netuids
    are mostly 0–4.
    """
    g = draw(genesis if genesis is not None else geneses())
    people = sorted({to_account(k, "balances") for k in g.balances}
                    | {to_account(g.sudo, "sudo")}
                    | {to_account(m, "triumvirate") for m in g.triumvirate})
    hotkeys = [account(f"testing/hotkey/{i}") for i in range(4)]
    acct = _accounts(people + hotkeys)
    sudo = _one_in(5).flatmap(lambda rare: acct if rare else st.just(to_account(g.sudo, "sudo")))
    signers = _one_in(4).flatmap(lambda rare: acct if rare else st.sampled_from(people))
    balances = [int(v) for v in g.balances.values()]
    txs = transactions(kinds, accounts=acct, sudo=sudo, origins=signers,
                       amounts=_amounts(around=balances[:8]))
    n_blocks = draw(st.integers(0, max_blocks))
    blocks = [draw(st.lists(txs, max_size=max_txs_per_block)) for _ in range(n_blocks)]
    return History(genesis=g, blocks=blocks)
