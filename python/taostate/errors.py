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

The Rust binding builds rule errors through :func:`rejected`, so the core only
has to know the docs/ruleset.md name of an error.
"""

from __future__ import annotations

from typing import Any, ClassVar

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
    # docs/ruleset.md §14, one class per error name
    "AllNetworksInImmunity",
    "AlreadyDelegate",
    "AlreadyRegistered",
    "AlreadySenateMember",
    "AlreadyTriumvirateMember",
    "ArithmeticOverflow",
    "BadOrigin",
    "BalanceBelowExistentialDeposit",
    "CallNotSupported",
    "DuplicateProposal",
    "DuplicateVote",
    "DuplicateUids",
    "FaucetDisabled",
    "HotkeyOriginMismatch",
    "IncorrectNetworkVersionKey",
    "InsufficientBalance",
    "InvalidDifficulty",
    "InvalidIpAddress",
    "InvalidIpType",
    "InvalidPort",
    "InvalidSeal",
    "InvalidUid",
    "InvalidWorkBlock",
    "MaxAllowedUIdsNotAllowed",
    "MaxWeightExceeded",
    "NetworkDoesNotExist",
    "NoValidatorPermit",
    "NonAssociatedColdKey",
    "NotEnoughBalanceToStake",
    "NotEnoughStaketoWithdraw",
    "NotRegistered",
    "NotSenateMember",
    "NotTriumvirateMember",
    "NotSettingEnoughWeights",
    "NotSubnetOwner",
    "OperationNotPermittedonRootSubnet",
    "ProposalMissing",
    "WrongIndex",
    "RegistrationDisabled",
    "ServingRateLimitExceeded",
    "SettingWeightsTooFast",
    "StakeTooLowForRoot",
    "StorageValueOutOfRange",
    "TooEarly",
    "TooManyProposals",
    "TooManyRegistrationsThisBlock",
    "TooManyRegistrationsThisInterval",
    "TooManySenateMembers",
    "TooManyTriumvirateMembers",
    "TooManyUids",
    "TxRateLimitExceeded",
    "UnknownHyperparameter",
    "WeightVecNotEqualSize",
    "WrongDuration",
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


class TxRejected(TaoStateError, ValueError):
    """A well-formed transaction that the rules refuse (docs/ruleset.md §14).

    ``code`` is the docs/ruleset.md error name, ``tx`` the refused transaction (or
    None), ``detail`` the core's message. Catch a specific refusal with its
    subclass, e.g. ``except ts.errors.NotEnoughBalanceToStake``.
    """

    #: docs/ruleset.md error name of the subclass ("" on the base class).
    CODE: ClassVar[str] = ""
    #: docs/ruleset.md §14 "raised when" text.
    DESCRIPTION: ClassVar[str] = "the rules refused the transaction"
    #: What to do next.
    HINT: ClassVar[str] = ""

    code: str
    tx: Any
    detail: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.CODE = cls.__name__
        if cls.__doc__:
            cls.DESCRIPTION = " ".join(cls.__doc__.split()).rstrip(".")

    def __init__(self, message: str = "", tx: Any = None, *, code: str | None = None) -> None:
        self.code = code if code is not None else (type(self).CODE or "TxRejected")
        self.tx = tx
        self.detail = message
        super().__init__(self._format())

    def _format(self) -> str:
        text = f"{self.code}: {self.detail or self.DESCRIPTION}"
        if self.tx is not None:
            text += f" (in {type(self.tx).__name__})"
        if self.HINT:
            text += f" — {self.HINT}"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (rejected, (self.code, self.detail, self.tx))


class AllNetworksInImmunity(TxRejected):
    """`register_network` at the subnet limit with no prunable subnet."""

    HINT = "wait until a subnet leaves its immunity period, or raise subnet_limit (Sudo)"


class AlreadyDelegate(TxRejected):
    """`become_delegate` on a hotkey that is already a delegate."""

    HINT = "nothing to do: the hotkey already accepts nominations"


class AlreadyRegistered(TxRejected):
    """The hotkey is already registered on that netuid (root included)."""

    HINT = "use another hotkey or another netuid"


class AlreadySenateMember(TxRejected):
    """Senate add/swap-in of a current senator."""

    HINT = "check chain.senate() before adding"


class AlreadyTriumvirateMember(TxRejected):
    """Triumvirate add/swap-in of a current member."""

    HINT = "check chain.triumvirate() before adding"


class ArithmeticOverflow(TxRejected):
    """A checked u64 credit overflows, or `sudo_register` would raise TotalIssuance
    above 21e15 rao."""

    HINT = "use a smaller amount"


class BadOrigin(TxRejected):
    """Wrong origin: not the sudo key, not the subnet owner, an approved proposal
    with 2·ayes ≤ seats, or a proposed transaction that is not Sudo/OwnerOrSudo
    or has a non-zero origin."""

    HINT = "sign with the account the rule requires; proposed transactions use the all-zero origin"


class BalanceBelowExistentialDeposit(TxRejected):
    """A debit would leave 0 < balance < 500 rao, or a transfer target would hold
    < 500 rao."""

    HINT = "move the whole balance or leave at least 500 rao (the existential deposit)"


class CallNotSupported(TxRejected):
    """`swap_hotkey`, or setting `total_issuance`."""

    HINT = "this call is not supported by ruleset finney-2023"


class DuplicateProposal(TxRejected):
    """The same proposal is already open."""

    HINT = "vote on the open proposal instead (chain.proposals())"


class DuplicateVote(TxRejected):
    """The same vote was cast twice."""

    HINT = "nothing to do: the vote is already counted"


class DuplicateUids(TxRejected):
    """A uid is repeated in `set_weights`."""

    HINT = "send each uid at most once"


class FaucetDisabled(TxRejected):
    """`faucet` (always)."""

    HINT = "the faucet is disabled; fund accounts in the genesis"


class HotkeyOriginMismatch(TxRejected):
    """POW `register` not signed by the hotkey."""

    HINT = "sign the register transaction with the hotkey itself"


class IncorrectNetworkVersionKey(TxRejected):
    """`version_key` is below the subnet's WeightsVersionKey."""

    HINT = "send a version_key ≥ the subnet's weights_version_key"


class InsufficientBalance(TxRejected):
    """`transfer` above the free balance."""

    HINT = "transfer at most chain.balance(origin)"


class InvalidDifficulty(TxRejected):
    """`work × difficulty` ≥ 2^256."""

    HINT = "solve the PoW at the current difficulty (chain.create_pow)"


class InvalidIpAddress(TxRejected):
    """The ip violates the serving address rules of docs/ruleset.md §11."""

    HINT = "serve a routable address (not 0, not loopback, IPv4 below 2^32 − 1)"


class InvalidIpType(TxRejected):
    """`ip_type` is not 4 or 6."""

    HINT = "use ip_type 4 or 6"


class InvalidPort(TxRejected):
    """`port` is 0."""

    HINT = "serve on a non-zero port"


class InvalidSeal(TxRejected):
    """`work` is not 32 bytes or is not the seal of (block_number, nonce, hotkey)."""

    HINT = "compute the work with chain.create_pow"


class InvalidUid(TxRejected):
    """A weight target uid (root: netuid) does not exist."""

    HINT = "set weights only on existing uids (root: existing netuids)"


class InvalidWorkBlock(TxRejected):
    """The POW block is in the future or 3 or more blocks old."""

    HINT = "solve the PoW again for a recent block (chain.create_pow)"


class MaxAllowedUIdsNotAllowed(TxRejected):
    """`max_allowed_uids` ≤ SubnetworkN."""

    HINT = "choose a max_allowed_uids above the subnet's current size n"


class MaxWeightExceeded(TxRejected):
    """The normalised max weight exceeds MaxWeightsLimit."""

    HINT = "spread the weights over more uids"


class NetworkDoesNotExist(TxRejected):
    """The subnet does not exist (or its MaxAllowedUids is 0)."""

    HINT = "check chain.subnets() for existing netuids"


class NoValidatorPermit(TxRejected):
    """Non-self weights without a validator permit."""

    HINT = "only permitted validators set weights on others; wait for an epoch or add stake"


class NonAssociatedColdKey(TxRejected):
    """The coldkey does not own the hotkey (staking: and the hotkey is not a
    delegate)."""

    HINT = "sign with the hotkey's owner coldkey (chain.owner(hotkey)) or stake to a delegate"


class NotEnoughBalanceToStake(TxRejected):
    """The free balance is below the stake / burn / lock."""

    HINT = "top up the coldkey's free balance or use a smaller amount"


class NotEnoughStaketoWithdraw(TxRejected):
    """`remove_stake` of 0 or of more than is staked."""

    HINT = "remove at most chain.stake(hotkey, coldkey), and more than 0"


class NotRegistered(TxRejected):
    """No hotkey account (staking) / not registered on the netuid (weights) / on
    no network (serving)."""

    HINT = "register the hotkey first (BurnedRegister, Register or RootRegister)"


class NotSenateMember(TxRejected):
    """The caller or target is not in the senate."""

    HINT = "check chain.senate()"


class NotTriumvirateMember(TxRejected):
    """The caller or target is not in the triumvirate."""

    HINT = "check chain.triumvirate()"


class NotSettingEnoughWeights(TxRejected):
    """Fewer than min(MinAllowedWeights, n) weights."""

    HINT = "set weights on at least min_allowed_weights uids"


class NotSubnetOwner(TxRejected):
    """`dissolve_network` by an account that does not own the subnet."""

    HINT = "sign with the subnet owner (chain.subnet(netuid).owner)"


class OperationNotPermittedonRootSubnet(TxRejected):
    """Neuron registration on netuid 0."""

    HINT = "use RootRegister for the root network"


class ProposalMissing(TxRejected):
    """No such open proposal."""

    HINT = "check chain.proposals(); it may have been closed already"


class WrongIndex(TxRejected):
    """The proposal index does not match the open proposal."""

    HINT = "use the index from chain.proposals()"


class RegistrationDisabled(TxRejected):
    """This registration path is disabled on the subnet."""

    HINT = "use the other registration path, or enable it (Sudo hyperparameter)"


class ServingRateLimitExceeded(TxRejected):
    """Axon/prometheus update too soon."""

    HINT = "wait serving_rate_limit blocks between updates"


class SettingWeightsTooFast(TxRejected):
    """`set_weights` within WeightsSetRateLimit blocks."""

    HINT = "wait weights_set_rate_limit blocks after the last update"


class StakeTooLowForRoot(TxRejected):
    """The root network is full and the stake is not above the lowest."""

    HINT = "add stake to the hotkey, then retry"


class StorageValueOutOfRange(TxRejected):
    """A hyperparameter value is out of its type or bounds."""

    HINT = "see docs/ruleset.md §13 for the parameter's type and bounds"


class TooEarly(TxRejected):
    """`close` before the end block without a decision."""

    HINT = "wait until the proposal's end block, or gather more votes"


class TooManyProposals(TxRejected):
    """10 proposals are already open."""

    HINT = "close or disapprove an open proposal first"


class TooManyRegistrationsThisBlock(TxRejected):
    """The per-block registration limit is reached."""

    HINT = "retry in the next block"


class TooManyRegistrationsThisInterval(TxRejected):
    """3 × target registrations were reached in this adjustment interval."""

    HINT = "retry after the next adjustment interval"


class TooManySenateMembers(TxRejected):
    """Sudo add to a senate of 12."""

    HINT = "remove a senator first"


class TooManyTriumvirateMembers(TxRejected):
    """Sudo add to a triumvirate of 3."""

    HINT = "remove a member first"


class TooManyUids(TxRejected):
    """More weight uids than neurons."""

    HINT = "send at most n uids"


class TxRateLimitExceeded(TxRejected):
    """Coldkey rate limit, or network registration rate limit."""

    HINT = "wait tx_rate_limit (or network_rate_limit) blocks and retry"


class UnknownHyperparameter(TxRejected):
    """Unknown setter name, or a per-subnet name without netuid (or a global name
    with one)."""

    HINT = "use a name of docs/ruleset.md §13.1 with a netuid, or §13.2 without"


class WeightVecNotEqualSize(TxRejected):
    """`uids` and `values` differ in length."""

    HINT = "send one value per uid"


class WrongDuration(TxRejected):
    """The proposal duration is below 3600 blocks."""

    HINT = "propose with duration ≥ 3600"


RULE_ERRORS: dict[str, type[TxRejected]] = {
    cls.CODE: cls for cls in (
        AllNetworksInImmunity,
        AlreadyDelegate,
        AlreadyRegistered,
        AlreadySenateMember,
        AlreadyTriumvirateMember,
        ArithmeticOverflow,
        BadOrigin,
        BalanceBelowExistentialDeposit,
        CallNotSupported,
        DuplicateProposal,
        DuplicateVote,
        DuplicateUids,
        FaucetDisabled,
        HotkeyOriginMismatch,
        IncorrectNetworkVersionKey,
        InsufficientBalance,
        InvalidDifficulty,
        InvalidIpAddress,
        InvalidIpType,
        InvalidPort,
        InvalidSeal,
        InvalidUid,
        InvalidWorkBlock,
        MaxAllowedUIdsNotAllowed,
        MaxWeightExceeded,
        NetworkDoesNotExist,
        NoValidatorPermit,
        NonAssociatedColdKey,
        NotEnoughBalanceToStake,
        NotEnoughStaketoWithdraw,
        NotRegistered,
        NotSenateMember,
        NotTriumvirateMember,
        NotSettingEnoughWeights,
        NotSubnetOwner,
        OperationNotPermittedonRootSubnet,
        ProposalMissing,
        WrongIndex,
        RegistrationDisabled,
        ServingRateLimitExceeded,
        SettingWeightsTooFast,
        StakeTooLowForRoot,
        StorageValueOutOfRange,
        TooEarly,
        TooManyProposals,
        TooManyRegistrationsThisBlock,
        TooManyRegistrationsThisInterval,
        TooManySenateMembers,
        TooManyTriumvirateMembers,
        TooManyUids,
        TxRateLimitExceeded,
        UnknownHyperparameter,
        WeightVecNotEqualSize,
        WrongDuration,
    )
}
"""docs/ruleset.md §14 error name → its :class:`TxRejected` subclass."""

def rejected(code: str, message: str, tx: Any = None) -> TxRejected:
    """Build (not raise) the :class:`TxRejected` subclass named ``code``.

    An unknown ``code`` (a core newer than this package) gives a plain
    TxRejected carrying that code rather than failing.
    """
    cls = RULE_ERRORS.get(code)
    if cls is None:
        return TxRejected(message, tx, code=code)
    return cls(message, tx)


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
