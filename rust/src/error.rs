//! The one error type of the core, and the one table of rule errors.
//!
//! `Rule` errors are the named errors of docs/ruleset.md §14: a valid transaction the rules refuse.
//! Each is declared once, in [`rule_errors!`] below: its docs/ruleset.md name (the Python class
//! name in `taostate.errors`), what it means, what to do about it, and the message template that
//! the binding fills from the [`Context`] a rule attaches at the failing check (the accounts and
//! numbers that failed it). The other variants are faults of the input bytes or the engine.

use std::fmt;

/// A 32-byte account (the same as `state::AccountId`; spelled out so this base module imports
/// nothing).
type Account = [u8; 32];

/// Declares [`RuleError`] and its catalogue from one row per error.
///
/// `says` is the message template: `{field}` names a [`Context`] field, `{field:tao}` formats
/// rao as τ and `{field:rao}` as rao; `|` separates alternatives, the first whose fields are all
/// present is used (none: the `doc` line and the present fields).
macro_rules! rule_errors {
    ($($name:ident { doc: $doc:literal, hint: $hint:literal, says: $says:literal, },)*) => {
        /// Every rule error of docs/ruleset.md §14, spelled as there.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum RuleError {
            $(#[doc = $doc] $name,)*
        }

        impl RuleError {
            /// Every rule error, in declaration order.
            pub const ALL: &'static [RuleError] = &[$(RuleError::$name,)*];

            /// The docs/ruleset.md name of the error (the Python class name).
            pub fn code(self) -> &'static str {
                match self {
                    $(RuleError::$name => stringify!($name),)*
                }
            }

            /// When the rules raise it (docs/ruleset.md §14).
            pub fn doc(self) -> &'static str {
                match self {
                    $(RuleError::$name => $doc,)*
                }
            }

            /// What the sender can do about it.
            pub fn hint(self) -> &'static str {
                match self {
                    $(RuleError::$name => $hint,)*
                }
            }

            /// The message template filled from the [`Context`].
            pub fn says(self) -> &'static str {
                match self {
                    $(RuleError::$name => $says,)*
                }
            }
        }
    };
}

rule_errors! {
    AllNetworksInImmunity {
        doc: "`register_network` at the subnet limit with no prunable subnet.",
        hint: "wait until a subnet leaves its immunity period, or raise subnet_limit (Sudo)",
        says: "all {limit} subnets are still in their immunity period",
    },
    AlreadyDelegate {
        doc: "`become_delegate` on a hotkey that is already a delegate.",
        hint: "nothing to do: the hotkey already accepts nominations",
        says: "{account} is already a delegate",
    },
    AlreadyRegistered {
        doc: "The hotkey is already registered on that netuid (root included).",
        hint: "use another hotkey or another netuid",
        says: "{account} is already registered on netuid {netuid}",
    },
    AlreadySenateMember {
        doc: "Senate add/swap-in of a current senator.",
        hint: "check chain.senate() before adding",
        says: "{account} is already a senator",
    },
    AlreadyTriumvirateMember {
        doc: "Triumvirate add/swap-in of a current member.",
        hint: "check chain.triumvirate() before adding",
        says: "{account} is already in the triumvirate",
    },
    ArithmeticOverflow {
        doc: "A checked u64 credit overflows, or `sudo_register` would raise TotalIssuance above 21e15 rao.",
        hint: "use a smaller amount",
        says: "{account} holds {available:tao}; adding {needed:tao} overflows|adding {needed:tao} overflows",
    },
    BadOrigin {
        doc: "Wrong origin: not the sudo key, not the subnet owner, an approved proposal with 2·ayes ≤ seats, or a proposed transaction that is not Sudo/OwnerOrSudo or has a non-zero origin.",
        hint: "sign with the account the rule requires; proposed transactions use the all-zero origin",
        says: "{account} may not make this call",
    },
    BalanceBelowExistentialDeposit {
        doc: "A debit would leave 0 < balance < 500 rao, or a transfer target would hold < 500 rao.",
        hint: "move the whole balance or leave at least 500 rao (the existential deposit)",
        says: "{account} would be left with {available:rao}, below the existential deposit of {needed:rao}|would leave {available:rao}, below the existential deposit of {needed:rao}",
    },
    CallNotSupported {
        doc: "`swap_hotkey`, or setting `total_issuance`.",
        hint: "this call is not supported by ruleset finney-2023",
        says: "",
    },
    DuplicateProposal {
        doc: "The same proposal is already open.",
        hint: "vote on the open proposal instead (chain.proposals())",
        says: "",
    },
    DuplicateVote {
        doc: "The same vote was cast twice.",
        hint: "nothing to do: the vote is already counted",
        says: "{account} already voted this way",
    },
    DuplicateUids {
        doc: "A uid is repeated in `set_weights`.",
        hint: "send each uid at most once",
        says: "uid {uid} appears more than once",
    },
    FaucetDisabled {
        doc: "`faucet` (always).",
        hint: "the faucet is disabled; fund accounts in the genesis",
        says: "",
    },
    HotkeyOriginMismatch {
        doc: "POW `register` not signed by the hotkey.",
        hint: "sign the register transaction with the hotkey itself",
        says: "signed by {account}, not by the hotkey {hotkey}",
    },
    IncorrectNetworkVersionKey {
        doc: "`version_key` is below the subnet's WeightsVersionKey.",
        hint: "send a version_key ≥ the subnet's weights_version_key",
        says: "version_key {available} is below netuid {netuid}'s weights_version_key {needed}",
    },
    InsufficientBalance {
        doc: "`transfer` above the free balance.",
        hint: "transfer at most chain.balance(origin)",
        says: "{account} has a free balance of {available:tao}, needs {needed:tao}",
    },
    InvalidDifficulty {
        doc: "`work × difficulty` ≥ 2^256.",
        hint: "solve the PoW at the current difficulty (chain.create_pow)",
        says: "the work does not meet netuid {netuid}'s difficulty {needed}",
    },
    InvalidIpAddress {
        doc: "The ip violates the serving address rules of docs/ruleset.md §11.",
        hint: "serve a routable address (not 0, not loopback, IPv4 below 2^32 − 1)",
        says: "",
    },
    InvalidIpType {
        doc: "`ip_type` is not 4 or 6.",
        hint: "use ip_type 4 or 6",
        says: "ip_type {available} is neither 4 nor 6",
    },
    InvalidPort {
        doc: "`port` is 0.",
        hint: "serve on a non-zero port",
        says: "",
    },
    InvalidSeal {
        doc: "`work` is not 32 bytes or is not the seal of (block_number, nonce, hotkey).",
        hint: "compute the work with chain.create_pow",
        says: "",
    },
    InvalidUid {
        doc: "A weight target uid (root: netuid) does not exist.",
        hint: "set weights only on existing uids (root: existing netuids)",
        says: "uid {uid} does not exist on netuid {netuid} (it has {limit} uids)|netuid {uid} does not exist",
    },
    InvalidWorkBlock {
        doc: "The POW block is in the future or 3 or more blocks old.",
        hint: "solve the PoW again for a recent block (chain.create_pow)",
        says: "the work is for block {available}, the chain is at block {block}",
    },
    MaxAllowedUIdsNotAllowed {
        doc: "`max_allowed_uids` ≤ SubnetworkN.",
        hint: "choose a max_allowed_uids above the subnet's current size n",
        says: "max_allowed_uids {available} is not above the {limit} neurons of netuid {netuid}",
    },
    MaxWeightExceeded {
        doc: "The normalised max weight exceeds MaxWeightsLimit.",
        hint: "spread the weights over more uids",
        says: "the largest normalised weight {available} exceeds netuid {netuid}'s max_weights_limit {limit}",
    },
    NetworkDoesNotExist {
        doc: "The subnet does not exist (or its MaxAllowedUids is 0).",
        hint: "check chain.subnets() for existing netuids",
        says: "netuid {netuid} does not exist",
    },
    NoValidatorPermit {
        doc: "Non-self weights without a validator permit.",
        hint: "only permitted validators set weights on others; wait for an epoch or add stake",
        says: "{account} has no validator permit on netuid {netuid}",
    },
    NonAssociatedColdKey {
        doc: "The coldkey does not own the hotkey (staking: and the hotkey is not a delegate).",
        hint: "sign with the hotkey's owner coldkey (chain.owner(hotkey)) or stake to a delegate",
        says: "{account} does not own the hotkey {hotkey}",
    },
    NotEnoughBalanceToStake {
        doc: "The free balance is below the stake / burn / lock.",
        hint: "top up the coldkey's free balance or use a smaller amount",
        says: "{account} has a free balance of {available:tao}, needs {needed:tao}",
    },
    NotEnoughStaketoWithdraw {
        doc: "`remove_stake` of 0 or of more than is staked.",
        hint: "remove at most chain.stake(hotkey, coldkey), and more than 0",
        says: "{account} has {available:tao} staked on {hotkey}, cannot remove {needed:tao}",
    },
    NotRegistered {
        doc: "No hotkey account (staking) / not registered on the netuid (weights) / on no network (serving).",
        hint: "register the hotkey first (BurnedRegister, Register or RootRegister)",
        says: "{account} is not registered on netuid {netuid}|{account} is not registered",
    },
    NotSenateMember {
        doc: "The caller or target is not in the senate.",
        hint: "check chain.senate()",
        says: "{account} is not a senator",
    },
    NotTriumvirateMember {
        doc: "The caller or target is not in the triumvirate.",
        hint: "check chain.triumvirate()",
        says: "{account} is not in the triumvirate",
    },
    NotSettingEnoughWeights {
        doc: "Fewer than min(MinAllowedWeights, n) weights.",
        hint: "set weights on at least min_allowed_weights uids",
        says: "{available} weights on netuid {netuid}, needs at least {needed}",
    },
    NotSubnetOwner {
        doc: "`dissolve_network` by an account that does not own the subnet.",
        hint: "sign with the subnet owner (chain.subnet(netuid).owner)",
        says: "{account} does not own netuid {netuid}",
    },
    OperationNotPermittedonRootSubnet {
        doc: "Neuron registration on netuid 0.",
        hint: "use RootRegister for the root network",
        says: "",
    },
    ProposalMissing {
        doc: "No such open proposal.",
        hint: "check chain.proposals(); it may have been closed already",
        says: "",
    },
    WrongIndex {
        doc: "The proposal index does not match the open proposal.",
        hint: "use the index from chain.proposals()",
        says: "index {available} given, the proposal has index {needed}",
    },
    RegistrationDisabled {
        doc: "This registration path is disabled on the subnet.",
        hint: "use the other registration path, or enable it (Sudo hyperparameter)",
        says: "this registration path is disabled on netuid {netuid}",
    },
    ServingRateLimitExceeded {
        doc: "Axon/prometheus update too soon.",
        hint: "wait serving_rate_limit blocks between updates",
        says: "{account} last served on netuid {netuid} at block {last}; serving_rate_limit is {limit} blocks, now block {block}",
    },
    SettingWeightsTooFast {
        doc: "`set_weights` within WeightsSetRateLimit blocks.",
        hint: "wait weights_set_rate_limit blocks after the last update",
        says: "{account} last set weights on netuid {netuid} at block {last}; weights_set_rate_limit is {limit} blocks, now block {block}",
    },
    StakeTooLowForRoot {
        doc: "The root network is full and the stake is not above the lowest.",
        hint: "add stake to the hotkey, then retry",
        says: "{account} has {available:tao} stake, not above the lowest root stake {needed:tao}",
    },
    StorageValueOutOfRange {
        doc: "A hyperparameter value is out of its type or bounds.",
        hint: "see docs/ruleset.md §13 for the parameter's type and bounds",
        says: "{name} = {available} is out of range|the value of {name} is out of range",
    },
    TooEarly {
        doc: "`close` before the end block without a decision.",
        hint: "wait until the proposal's end block, or gather more votes",
        says: "the proposal ends at block {needed}, now block {block}",
    },
    TooManyProposals {
        doc: "10 proposals are already open.",
        hint: "close or disapprove an open proposal first",
        says: "{limit} proposals are already open",
    },
    TooManyRegistrationsThisBlock {
        doc: "The per-block registration limit is reached.",
        hint: "retry in the next block",
        says: "{available} registrations on netuid {netuid} this block, limit {limit}",
    },
    TooManyRegistrationsThisInterval {
        doc: "3 × target registrations were reached in this adjustment interval.",
        hint: "retry after the next adjustment interval",
        says: "{available} registrations on netuid {netuid} this interval, limit {limit}",
    },
    TooManySenateMembers {
        doc: "Sudo add to a senate of 12.",
        hint: "remove a senator first",
        says: "the senate is full ({limit} seats)",
    },
    TooManyTriumvirateMembers {
        doc: "Sudo add to a triumvirate of 3.",
        hint: "remove a member first",
        says: "the triumvirate is full ({limit} seats)",
    },
    TooManyUids {
        doc: "More weight uids than neurons.",
        hint: "send at most n uids",
        says: "{available} uids, netuid {netuid} has {limit} neurons",
    },
    TxRateLimitExceeded {
        doc: "Coldkey rate limit, or network registration rate limit.",
        hint: "wait tx_rate_limit (or network_rate_limit) blocks and retry",
        says: "{account} last acted at block {last}; tx_rate_limit is {limit} blocks, now block {block}|the last subnet was registered at block {last}; network_rate_limit is {limit} blocks, now block {block}",
    },
    UnknownHyperparameter {
        doc: "Unknown setter name, or a per-subnet name without netuid (or a global name with one).",
        hint: "use a name of docs/ruleset.md §13.1 with a netuid, or §13.2 without",
        says: "no hyperparameter {name} (with this netuid)",
    },
    WeightVecNotEqualSize {
        doc: "`uids` and `values` differ in length.",
        hint: "send one value per uid",
        says: "{available} uids but {needed} values",
    },
    WrongDuration {
        doc: "The proposal duration is below 3600 blocks.",
        hint: "propose with duration ≥ 3600",
        says: "duration {available} blocks, the minimum is {needed}",
    },

}

/// What failed the check: the accounts and numbers a rule saw when it refused. Every field is
/// optional; a rule sets those that apply. Amounts of balance and stake are rao.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// The account whose state failed the check (a coldkey, hotkey or member).
    pub account: Option<Account>,
    /// The hotkey involved, when `account` is its coldkey (or the hotkey a signer is not).
    pub hotkey: Option<Account>,
    pub netuid: Option<u16>,
    pub uid: Option<u16>,
    /// What the check required (an amount, a count, a block).
    pub needed: Option<u64>,
    /// What there was.
    pub available: Option<u64>,
    /// The limit in force (a count, a number of blocks).
    pub limit: Option<u64>,
    /// The current block.
    pub block: Option<u64>,
    /// The block of the last action a rate limit counts from.
    pub last: Option<u64>,
    /// A name (of a hyperparameter).
    pub name: Option<String>,
}

/// A rule refusal: which rule, and (when the check supplied it) the [`Context`].
///
/// Two rejections are equal when the same rule refused: the context describes the refusal, it
/// does not make it a different outcome.
#[derive(Clone, Debug)]
pub struct Rejection {
    pub error: RuleError,
    pub context: Option<Box<Context>>,
}

impl PartialEq for Rejection {
    fn eq(&self, other: &Self) -> bool {
        self.error == other.error
    }
}

impl Eq for Rejection {}

impl From<RuleError> for Rejection {
    fn from(error: RuleError) -> Self {
        Rejection {
            error,
            context: None,
        }
    }
}

macro_rules! setters {
    ($($(#[$m:meta])* $field:ident: $ty:ty => $conv:expr;)*) => {
        impl Rejection {
            $($(#[$m])* pub fn $field(mut self, v: $ty) -> Self {
                self.ctx().$field = Some($conv(v));
                self
            })*
        }
        impl RuleError {
            $($(#[$m])* pub fn $field(self, v: $ty) -> Rejection {
                Rejection::from(self).$field(v)
            })*
        }
    };
}

setters! {
    /// The account whose state failed the check.
    account: &Account => |a: &Account| *a;
    /// The hotkey involved.
    hotkey: &Account => |a: &Account| *a;
    netuid: u16 => |v| v;
    uid: u16 => |v| v;
    /// What the check required.
    needed: u64 => |v| v;
    /// What there was.
    available: u64 => |v| v;
    /// The limit in force.
    limit: u64 => |v| v;
    /// The current block.
    block: u64 => |v| v;
    /// The block a rate limit counts from.
    last: u64 => |v| v;
    /// A hyperparameter name.
    name: &str => |v: &str| v.to_string();
}

impl Rejection {
    /// The docs/ruleset.md name of the error.
    pub fn code(&self) -> &'static str {
        self.error.code()
    }

    fn ctx(&mut self) -> &mut Context {
        self.context.get_or_insert_with(Default::default)
    }
}

/// Everything the core can fail with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainError {
    /// A rule of docs/ruleset.md refused a well-formed transaction; nothing changed.
    Rule(Rejection),
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

impl ChainError {
    /// Names `account` in a rejection's context when the failing check did not.
    pub fn for_account(mut self, account: &Account) -> Self {
        if let ChainError::Rule(r) = &mut self {
            r.ctx().account.get_or_insert(*account);
        }
        self
    }

    /// Adds to a rejection's context (other errors pass through unchanged).
    pub fn with_context(self, f: impl FnOnce(Rejection) -> Rejection) -> Self {
        match self {
            ChainError::Rule(r) => ChainError::Rule(f(r)),
            other => other,
        }
    }

    /// Names `netuid` in a rejection's context when the failing check did not.
    pub fn in_netuid(mut self, netuid: u16) -> Self {
        if let ChainError::Rule(r) = &mut self {
            r.ctx().netuid.get_or_insert(netuid);
        }
        self
    }
}

impl From<RuleError> for ChainError {
    fn from(e: RuleError) -> Self {
        ChainError::Rule(e.into())
    }
}

impl From<Rejection> for ChainError {
    fn from(e: Rejection) -> Self {
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
        Err(e.into())
    }
}

/// `ensure` with context, built only when the check fails:
/// `ensure_with(free >= amount, || RuleError::X.account(c).needed(amount).available(free))?`.
#[inline]
pub fn ensure_with(cond: bool, e: impl FnOnce() -> Rejection) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(ChainError::Rule(e()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_complete_and_names_are_unique() {
        assert_eq!(RuleError::ALL.len(), 54);
        let mut names: Vec<_> = RuleError::ALL.iter().map(|e| e.code()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RuleError::ALL.len());
        for e in RuleError::ALL {
            assert!(!e.doc().is_empty() && !e.hint().is_empty(), "{e:?}");
            assert_eq!(format!("{e:?}"), e.code());
        }
    }

    #[test]
    fn context_is_attached_but_equality_is_by_rule() {
        let r = RuleError::NotEnoughBalanceToStake
            .account(&[7; 32])
            .needed(100)
            .available(3);
        let c = r.context.as_deref().expect("context");
        assert_eq!(
            (c.account, c.needed, c.available, c.netuid),
            (Some([7; 32]), Some(100), Some(3), None)
        );
        assert_eq!(
            ChainError::from(r),
            RuleError::NotEnoughBalanceToStake.into()
        );
        assert_ne!(
            ChainError::from(RuleError::InsufficientBalance),
            RuleError::NotEnoughBalanceToStake.into()
        );
        assert_eq!(ensure_with(true, || unreachable!()), Ok(()));
    }
}
