"""The exception hierarchy of taostate (docs/design.md §4).

```
TaoStateError
├── InvalidTransaction (ValueError)   malformed input caught before the core
│   └── InvalidGenesis                 a genesis that cannot be a chain's block 0
├── TxRejected (ValueError)           a well-formed transaction the rules refuse
│   └── one subclass per docs/ruleset.md §14 error name (e.g. NotEnoughBalanceToStake)
├── LogError                          ChainExists, ChainNotFound, LogLocked,
│                                      LogCorrupted, LogFormatError
└── ReplayDivergence                  verify() found a root or hash that differs
```

The rule errors are declared once, in the core's table (``rust/src/error.rs``):
this module makes one :class:`TxRejected` subclass per row at import
(``_core.rule_errors()``), and the binding builds them through :func:`rejected`
with the context the failing check recorded: the accounts and the numbers.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING, Any, ClassVar

from . import _core

if TYPE_CHECKING:
    from .accounts import AccountId

__all__ = [
    "TaoStateError",
    "InvalidTransaction",
    "InvalidGenesis",
    "TxRejected",
    "LogError",
    "ChainExists",
    "ChainNotFound",
    "LogLocked",
    "LogCorrupted",
    "LogFormatError",
    "ReplayDivergence",
    "RULE_ERRORS",
    "rejected",
    # and one class per docs/ruleset.md §14 error name, appended below from the core's table
]



class TaoStateError(Exception):
    """Base class of every error taostate raises on purpose."""


class InvalidTransaction(TaoStateError, ValueError):
    """Malformed input caught before the core: a type, a range, a bad ss58
    address, an unknown field, undecodable wire bytes.

    ``field`` names the offending field (e.g. ``"Transfer.amount"``) when known.
    """

    field: str | None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_invalid, (type(self), str(self), self.field))


def _rebuild_invalid(
    cls: type[InvalidTransaction], message: str, field: str | None
) -> InvalidTransaction:
    return cls(message, field=field)


class InvalidGenesis(InvalidTransaction):
    """A genesis record that cannot start a chain (docs/ruleset.md §9.5): duplicate or too
    many triumvirate members, issuance above the supply cap, unknown params."""


# --------------------------------------------------------------------------- #
# Rule errors

RULE_ERRORS: dict[str, type[TxRejected]] = {}
"""docs/ruleset.md §14 error name → its :class:`TxRejected` subclass (filled as
the subclasses are made)."""

#: The context fields a rejection may carry (``rust/src/error.rs`` ``Context``).
CONTEXT_FIELDS: tuple[str, ...] = (
    "account", "hotkey", "netuid", "uid", "needed", "available", "limit", "block", "last", "name",
)


def short_account(a: object) -> str:
    """An account as the CLI shows it: the first 12 ss58 characters and ``…``."""
    s = str(getattr(a, "ss58", a))
    return s if len(s) <= 13 else s[:12] + "…"


def tao_text(rao: int) -> str:
    """Rao as τ, exact and without trailing zeros: ``3200000000`` → ``"3.2 τ"``."""
    whole, frac = divmod(abs(rao), 1_000_000_000)
    sign = "-" if rao < 0 else ""
    f = f"{frac:09d}".rstrip("0")
    return f"{sign}{whole}.{f} τ" if f else f"{sign}{whole} τ"


class _Says(string.Formatter):
    """Fills a message template: ``{x:tao}`` is rao as τ, ``{x:rao}`` rao, accounts short."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "tao":
            return tao_text(int(value))
        if format_spec == "rao":
            return f"{int(value)} rao"
        if isinstance(value, bytes) or hasattr(value, "ss58"):
            return short_account(value)
        return str(format(value, format_spec))


_SAYS = _Says()


def _fill(template: str, context: dict[str, Any]) -> str | None:
    """The first ``|``-alternative of ``template`` whose fields are all in ``context``."""
    for alt in template.split("|") if template else ():
        try:
            return _SAYS.vformat(alt, (), context)
        except KeyError:
            continue
    return None


class TxRejected(TaoStateError, ValueError):
    """A well-formed transaction that the rules refuse (docs/ruleset.md §14).

    ``code`` is the docs/ruleset.md error name, ``tx`` the refused transaction
    (or None). The check that failed records what it saw: ``account`` (the
    account whose state failed it), ``hotkey``, ``netuid``, ``uid``, ``needed``,
    ``available`` (rao for balances and stakes, else counts), ``limit``,
    ``block``, ``last`` (the block a rate limit counts from) and ``name``; the
    fields that do not apply are None. The message is built from them, e.g.
    ``AddStake by 5F3sa2TJAWMq…: the signer has a free balance of 3.2 τ,
    needs 100 τ — top up …``. Catch a specific refusal with its subclass, e.g.
    ``except ts.errors.NotEnoughBalanceToStake``.
    """

    #: docs/ruleset.md error name of the subclass ("" on the base class).
    CODE: ClassVar[str] = ""
    #: docs/ruleset.md §14 "raised when" text.
    DESCRIPTION: ClassVar[str] = "the rules refused the transaction"
    #: What to do next.
    HINT: ClassVar[str] = ""
    #: The message template (see ``rust/src/error.rs``).
    SAYS: ClassVar[str] = ""

    code: str
    tx: Any
    detail: str
    account: AccountId | None
    hotkey: AccountId | None
    netuid: int | None
    uid: int | None
    needed: int | None
    available: int | None
    limit: int | None
    block: int | None
    last: int | None
    name: str | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.CODE = cls.__name__
        if cls.__doc__:
            cls.DESCRIPTION = " ".join(cls.__doc__.split()).rstrip(".")
        RULE_ERRORS.setdefault(cls.CODE, cls)

    def __init__(
        self, message: str = "", tx: Any = None, *, code: str | None = None, **context: Any
    ) -> None:
        unknown = set(context) - set(CONTEXT_FIELDS)
        if unknown:
            raise TypeError(f"unknown context field(s) {sorted(unknown)}; known: {CONTEXT_FIELDS}")
        super().__init__(message)
        self.code = code if code is not None else (type(self).CODE or "TxRejected")
        self.tx = tx
        self.detail = message
        for f in CONTEXT_FIELDS:
            v = context.get(f)
            if f in ("account", "hotkey") and v is not None:
                from .accounts import to_account

                v = to_account(v, f)
            setattr(self, f, v)

    @property
    def context(self) -> dict[str, Any]:
        """The context fields that are set."""
        return {f: v for f in CONTEXT_FIELDS if (v := getattr(self, f)) is not None}

    def __str__(self) -> str:
        ctx = self.context
        origin = getattr(self.tx, "origin", None) if self.tx is not None else None
        if origin is not None:  # the message already names the signer once, up front
            ctx = {k: "the signer" if k in ("account", "hotkey") and v == origin else v
                   for k, v in ctx.items()}
        body = self.detail or _fill(self.SAYS, ctx)
        if not body:
            body = self.DESCRIPTION
            if ctx:
                shown = (_SAYS.format_field(v, "") for v in ctx.values())
                body += " (" + ", ".join(f"{k} {v}" for k, v in zip(ctx, shown)) + ")"
        if type(self) is TxRejected:  # an unknown code (a core newer than this package)
            body = f"{self.code}: {body}"
        if self.tx is not None:
            who = f" by {short_account(origin)}" if origin is not None else ""
            body = f"{type(self.tx).__name__}{who}: {body}"
        if self.HINT:
            body += f" — {self.HINT}"
        return body

    def __reduce__(self) -> tuple[Any, ...]:
        ctx = {k: bytes(v) if k in ("account", "hotkey") else v for k, v in self.context.items()}
        return (_rebuild_rejected, (self.code, self.detail, self.tx, ctx))


def _rebuild_rejected(code: str, message: str, tx: Any, context: dict[str, Any]) -> TxRejected:
    return rejected(code, message, tx, **context)


def rejected(code: str, message: str = "", tx: Any = None, **context: Any) -> TxRejected:
    """Build (not raise) the :class:`TxRejected` subclass named ``code`` with
    the ``context`` fields of the failing check.

    An unknown ``code`` (a core newer than this package) gives a plain
    TxRejected carrying that code rather than failing.
    """
    cls = RULE_ERRORS.get(code)
    if cls is None:
        return TxRejected(message, tx, code=code, **context)
    return cls(message, tx, **context)


for _name, _doc, _hint, _says in _core.rule_errors():
    globals()[_name] = type(
        _name,
        (TxRejected,),
        {"__doc__": _doc, "HINT": _hint, "SAYS": _says, "__module__": __name__,
         "__qualname__": _name},
    )
    __all__.append(_name)
del _name, _doc, _hint, _says

if TYPE_CHECKING:
    # The rule-error classes exist at run time (made above from the core's table); to the type
    # checker each is a TxRejected subclass: `from taostate.errors import NotEnoughBalanceToStake`.
    def __getattr__(name: str) -> type[TxRejected]: ...


# --------------------------------------------------------------------------- #
# Log errors


class LogError(TaoStateError):
    """A problem with the LMDB event log."""


class ChainExists(LogError):
    """``create`` found a chain already stored at that path."""


class ChainNotFound(LogError):
    """``open`` found no chain at that path."""


class LogLocked(LogError):
    """Another writer (in this process or another one) holds the log."""


class LogCorrupted(LogError):
    """The log holds bytes that cannot be what was written: a broken hash chain,
    an undecodable record, a missing block. ``block`` names it when known."""

    block: int | None

    def __init__(self, message: str, block: int | None = None) -> None:
        super().__init__(message)
        self.block = block

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.block))


class LogFormatError(LogError):
    """The log was written in another format, version or ruleset."""


class ReplayDivergence(TaoStateError):
    """``verify()`` found a state root or block hash that differs from the one
    recorded; ``block`` is the first block where it does."""

    block: int | None

    def __init__(self, message: str, block: int | None = None) -> None:
        super().__init__(message)
        self.block = block

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.block))
