//! The one error type of the core.
//!
//! `Rule` errors are the named errors of docs/ruleset.md §14: a valid transaction the rules refuse. Their
//! `code()` is exactly the docs/ruleset.md name, which the binding layer maps to the Python class of the
//! same name in `taostate.errors`. The other variants are faults of the input bytes or the engine.

use std::fmt;

/// Every rule error of docs/ruleset.md §14, spelled as there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleError {
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
}

impl RuleError {
    /// The docs/ruleset.md name of the error (the Python class name).
    pub fn code(self) -> &'static str {
        rule_error_name(self)
    }
}

fn rule_error_name(e: RuleError) -> &'static str {
    use RuleError::*;
    match e {
        AllNetworksInImmunity => "AllNetworksInImmunity",
        AlreadyDelegate => "AlreadyDelegate",
        AlreadyRegistered => "AlreadyRegistered",
        AlreadySenateMember => "AlreadySenateMember",
        AlreadyTriumvirateMember => "AlreadyTriumvirateMember",
        ArithmeticOverflow => "ArithmeticOverflow",
        BadOrigin => "BadOrigin",
        BalanceBelowExistentialDeposit => "BalanceBelowExistentialDeposit",
        CallNotSupported => "CallNotSupported",
        DuplicateProposal => "DuplicateProposal",
        DuplicateVote => "DuplicateVote",
        DuplicateUids => "DuplicateUids",
        FaucetDisabled => "FaucetDisabled",
        HotkeyOriginMismatch => "HotkeyOriginMismatch",
        IncorrectNetworkVersionKey => "IncorrectNetworkVersionKey",
        InsufficientBalance => "InsufficientBalance",
        InvalidDifficulty => "InvalidDifficulty",
        InvalidIpAddress => "InvalidIpAddress",
        InvalidIpType => "InvalidIpType",
        InvalidPort => "InvalidPort",
        InvalidSeal => "InvalidSeal",
        InvalidUid => "InvalidUid",
        InvalidWorkBlock => "InvalidWorkBlock",
        MaxAllowedUIdsNotAllowed => "MaxAllowedUIdsNotAllowed",
        MaxWeightExceeded => "MaxWeightExceeded",
        NetworkDoesNotExist => "NetworkDoesNotExist",
        NoValidatorPermit => "NoValidatorPermit",
        NonAssociatedColdKey => "NonAssociatedColdKey",
        NotEnoughBalanceToStake => "NotEnoughBalanceToStake",
        NotEnoughStaketoWithdraw => "NotEnoughStaketoWithdraw",
        NotRegistered => "NotRegistered",
        NotSenateMember => "NotSenateMember",
        NotTriumvirateMember => "NotTriumvirateMember",
        NotSettingEnoughWeights => "NotSettingEnoughWeights",
        NotSubnetOwner => "NotSubnetOwner",
        OperationNotPermittedonRootSubnet => "OperationNotPermittedonRootSubnet",
        ProposalMissing => "ProposalMissing",
        WrongIndex => "WrongIndex",
        RegistrationDisabled => "RegistrationDisabled",
        ServingRateLimitExceeded => "ServingRateLimitExceeded",
        SettingWeightsTooFast => "SettingWeightsTooFast",
        StakeTooLowForRoot => "StakeTooLowForRoot",
        StorageValueOutOfRange => "StorageValueOutOfRange",
        TooEarly => "TooEarly",
        TooManyProposals => "TooManyProposals",
        TooManyRegistrationsThisBlock => "TooManyRegistrationsThisBlock",
        TooManyRegistrationsThisInterval => "TooManyRegistrationsThisInterval",
        TooManySenateMembers => "TooManySenateMembers",
        TooManyTriumvirateMembers => "TooManyTriumvirateMembers",
        TooManyUids => "TooManyUids",
        TxRateLimitExceeded => "TxRateLimitExceeded",
        UnknownHyperparameter => "UnknownHyperparameter",
        WeightVecNotEqualSize => "WeightVecNotEqualSize",
        WrongDuration => "WrongDuration",
    }
}

/// Everything the core can fail with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainError {
    /// A rule of docs/ruleset.md refused a well-formed transaction; nothing changed.
    Rule(RuleError),
    /// Transaction bytes that do not decode to a transaction of docs/design.md §3 (field named in
    /// the text).
    InvalidTransaction(String),
    /// A genesis record that is not valid (docs/ruleset.md §9.5).
    InvalidGenesis(String),
    /// A block record that cannot be applied: undecodable, wrong number, broken hash chain.
    Corrupted { block: u64, reason: String },
    /// A record or snapshot version / ruleset this engine does not know.
    Format(String),
    /// A value that the pure functions (`ts.yuma`, `ts.rules`) refuse (name of the argument).
    InvalidArgument(String),
    /// An invariant of the engine broke (fixed-point overflow docs/ruleset.md §0.3 calls fatal).
    Fatal(String),
}

impl From<RuleError> for ChainError {
    fn from(e: RuleError) -> Self {
        ChainError::Rule(e)
    }
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainError::Rule(e) => write!(f, "{}", e.code()),
            ChainError::InvalidTransaction(m) => write!(f, "invalid transaction: {m}"),
            ChainError::InvalidGenesis(m) => write!(f, "invalid genesis: {m}"),
            ChainError::Corrupted { block, reason } => write!(f, "block {block}: {reason}"),
            ChainError::Format(m) => write!(f, "{m}"),
            ChainError::InvalidArgument(m) => write!(f, "{m}"),
            ChainError::Fatal(m) => write!(f, "engine invariant broken: {m}"),
        }
    }
}

impl std::error::Error for ChainError {}

pub type Result<T> = std::result::Result<T, ChainError>;

/// Shorthand used by the rules: `ensure(cond, RuleError::X)?`.
#[inline]
pub fn ensure(cond: bool, e: RuleError) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(ChainError::Rule(e))
    }
}
