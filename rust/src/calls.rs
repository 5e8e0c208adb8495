//! The call table (docs/WIRE.md, docs/ruleset.md §0.5): for each call its wire kind (fixed
//! forever), name, origin rule, argument struct and rule function — one row each, in `calls!`.
//!
//! From that one list come the `Call` enum, `Call::{kind, name, origin_rule}`, the transaction
//! reader (`Tx: codec::Transaction`: kind → name and arity → argument struct) and `dispatch`,
//! which checks the row's origin rule once (`origin::ensure_origin`) and calls the rule function
//! with the call's argument struct. An approved proposal comes back from `governance::close` as a
//! `Motion` and is run here as `Origin::Root`, so governance never calls the dispatcher.

use crate::codec::{self, Args, Rd, Transaction};
use crate::error::{ChainError, Result, RuleError};
use crate::events::Events;
use crate::governance::{self, Motion, ProposedCall};
use crate::origin::{ensure_origin, signed, Origin, OriginRule};
use crate::state::{AccountId, State};
use crate::{balances, hyperparams, registration, serving, staking, subnets, weights};

/// A transaction: the `origin` field and the call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tx {
    pub origin: AccountId,
    pub call: Call,
}

/// Calls its rule function with the shape its origin rule gives: `Signed` rules get the signer,
/// `Sudo`/`SudoKey` rules run after `ensure_origin`, `OwnerOrSudo` rules get the origin.
macro_rules! invoke {
    (Signed, $f:path, $s:ident, $o:ident, $a:ident, $ev:ident) => {
        $f($s, signed(&$o)?, $a, $ev)
    };
    (OwnerOrSudo, $f:path, $s:ident, $o:ident, $a:ident, $ev:ident) => {
        $f($s, &$o, $a, $ev)
    };
    ($rule:ident, $f:path, $s:ident, $o:ident, $a:ident, $ev:ident) => {{
        ensure_origin(OriginRule::$rule, &$o, $s)?;
        $f($s, $a, $ev)
    }};
}

/// A row's argument struct: `$m::$name` (the call's name, in its rule function's module), or
/// the type the row names.
macro_rules! args_ty {
    ($m:ident $name:ident) => {
        $m::$name
    };
    ($m:ident $name:ident $args:ty) => {
        $args
    };
}

macro_rules! calls {
    ($($kind:literal $name:ident $(($args:ty))? $rule:ident $m:ident::$f:ident,)*) => {
        calls!(@rows $($kind $name (args_ty!($m $name $($args)?)) $rule $m::$f,)*);
    };
    (@rows $($kind:literal $name:ident ($args:ty) $rule:ident $m:ident::$f:ident,)*) => {
        /// One variant per call of docs/ruleset.md, holding its argument struct.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Call {
            $($name($args),)*
        }

        impl Call {
            /// The wire kind (docs/WIRE.md).
            pub fn kind(&self) -> u8 {
                match self {
                    $(Call::$name(_) => $kind,)*
                }
            }

            /// The call's name (the Python class name).
            pub fn name(&self) -> &'static str {
                match self {
                    $(Call::$name(_) => stringify!($name),)*
                }
            }

            /// Who may dispatch the call (docs/ruleset.md §0.5).
            pub fn origin_rule(&self) -> OriginRule {
                match self {
                    $(Call::$name(_) => OriginRule::$rule,)*
                }
            }
        }

        /// (name, number of arguments after `origin`) of a wire kind.
        fn shape(kind: u8) -> Option<(&'static str, u32)> {
            match kind {
                $($kind => Some((stringify!($name), <$args as Args>::ARITY)),)*
                _ => None,
            }
        }

        /// Reads the arguments of a call of this kind (`shape` accepted the kind).
        fn read_call(
            kind: u8,
            rd: &mut Rd<'_>,
            name: &'static str,
            depth: u32,
        ) -> WireResult<Call> {
            match kind {
                $($kind => Ok(Call::$name(<$args as Args>::read(rd, name, depth)?)),)*
                _ => unreachable!("shape covers every kind"),
            }
        }

        fn dispatch_inner(
            state: &mut State,
            tx: &Tx,
            origin: Origin,
            ev: &mut Events,
        ) -> Result<()> {
            match &tx.call {
                $(Call::$name(args) => invoke!($rule, $m::$f, state, origin, args, ev),)*
            }
        }
    };
}

type WireResult<T> = std::result::Result<T, String>;

calls! {
//  The argument struct of a call is named after it and lives beside its rule function.
//  kind  name                         origin        rule function
    1     Transfer                     Signed        balances::transfer,
    2     AddStake                     Signed        staking::add_stake,
    3     RemoveStake                  Signed        staking::remove_stake,
    4     BecomeDelegate               Signed        staking::become_delegate,
    5     RegisterNetwork              Signed        subnets::register_network,
    6     DissolveNetwork              Signed        subnets::dissolve_network,
    7     BurnedRegister               Signed        registration::burned_register,
    8     Register                     Signed        registration::register_pow,
    9     SudoRegister                 Sudo          registration::sudo_register,
    10    RootRegister                 Signed        registration::root_register,
    11    SetWeights                   Signed        weights::set_weights,
    12    ServeAxon                    Signed        serving::serve_axon,
    13    ServePrometheus              Signed        serving::serve_prometheus,
    14    SudoSetHyperparameter        OwnerOrSudo   hyperparams::sudo_set_hyperparameter,
    15    SudoSetKey                   SudoKey       governance::sudo_set_key,
    16    SudoTriumvirateAddMember     Sudo          governance::triumvirate_add,
    17    SudoTriumvirateRemoveMember  Sudo          governance::triumvirate_remove,
    18    SudoTriumvirateSwapMember    Sudo          governance::triumvirate_swap,
    19    SudoSenateAddMember          Sudo          governance::senate_add,
    20    SudoSenateRemoveMember       Sudo          governance::senate_remove,
    21    SudoDisapproveProposal       Sudo          governance::disapprove,
    22    Propose(governance::Propose<Tx>) Signed    governance::propose,
    23    Vote                         Signed        governance::vote,
    24    Close(governance::Close)     Signed        self::close,
    25    SwapHotkey                   Signed        self::swap_hotkey,
    26    Faucet                       Signed        self::faucet,
}

/// Applies one transaction: the origin rule, then the call's checks and effects. Every call
/// either succeeds or returns the first failing check's error having changed nothing.
pub fn dispatch(state: &mut State, tx: &Tx, origin: Origin, ev: &mut Events) -> Result<()> {
    let mark = ev.len();
    let r = dispatch_inner(state, tx, origin, ev);
    if r.is_err() {
        ev.truncate(mark);
    }
    r
}

/// `close(hash, index)` (§12.3): `governance::close` decides; an approved motion's transaction
/// runs here as `Origin::Root` between its `Approved` and `Executed` events.
fn close(
    state: &mut State,
    a: &AccountId,
    args: &governance::Close,
    ev: &mut Events,
) -> Result<()> {
    match governance::close::<Tx>(state, a, args, ev)? {
        Motion::Dropped => Ok(()),
        Motion::Execute { hash, tx, majority } => {
            // Without a strict majority of the current seats the collective origin is not Sudo
            // (reference: `CouncilOrigin = EnsureProportionMoreThan<1, 2>` refused it with
            // BadOrigin).
            let result = if majority {
                match dispatch(state, &tx, Origin::Root, ev) {
                    Ok(()) => Ok(()),
                    // `dispatch` is atomic: a rule failure of the inner transaction changed
                    // nothing.
                    Err(ChainError::Rule(e)) => Err(e.error),
                    // Engine faults are not results of the motion; they abort the whole close.
                    Err(other) => return Err(other),
                }
            } else {
                Err(RuleError::BadOrigin)
            };
            governance::executed(state, &hash, result, ev);
            Ok(())
        }
    }
}

impl ProposedCall for Tx {
    fn origin_rule(&self) -> OriginRule {
        self.call.origin_rule()
    }
    fn origin_field(&self) -> &AccountId {
        &self.origin
    }
    fn decode(bytes: &[u8]) -> WireResult<Self> {
        codec::decode_tx(bytes)
    }
}

impl Transaction for Tx {
    fn read(rd: &mut Rd<'_>, depth: u32) -> WireResult<Tx> {
        let len = rd.array(codec::at("transaction"))?;
        if len == 0 {
            return Err("transaction: empty array".into());
        }
        let kind = rd.u8(codec::at("transaction.kind"))?;
        let (name, nargs) =
            shape(kind).ok_or_else(|| format!("transaction.kind: unknown kind {kind}"))?;
        if len != nargs + 2 {
            return Err(format!(
                "{name}: expected {} fields after kind, got {}",
                nargs + 1,
                len - 1
            ));
        }
        let origin = rd.acct((name, "origin"))?;
        let call = read_call(kind, rd, name, depth)?;
        Ok(Tx { origin, call })
    }
}

/// `Propose`'s wire form: the nested transaction (its exact bytes are kept: the proposal hash is
/// over them), then `duration`. A proposal cannot nest another `Propose`.
impl Args for governance::Propose<Tx> {
    const ARITY: u32 = 2;
    fn read(rd: &mut Rd<'_>, name: &'static str, depth: u32) -> WireResult<Self> {
        if depth > 0 {
            return Err("Propose.transaction: a proposal cannot nest another Propose".into());
        }
        let start = rd.pos();
        let inner = Tx::read(rd, depth + 1).map_err(|e| format!("Propose.transaction: {e}"))?;
        let tx = rd.since(start).to_vec();
        Ok(governance::Propose {
            tx,
            call: Box::new(inner),
            duration: rd.u64((name, "duration"))?,
        })
    }
}

/// Decodes one transaction that must span all of `bytes`.
pub fn decode_tx(bytes: &[u8]) -> WireResult<Tx> {
    codec::decode_tx(bytes)
}

codec::call_args! {
    /// `swap_hotkey(hotkey, new_hotkey)`: not supported (docs/ruleset.md §13.4).
    pub struct SwapHotkey {
        pub hotkey: AccountId,
        pub new_hotkey: AccountId,
    }
}

codec::call_args! {
    /// `faucet(block_number, nonce, work)`: disabled on this chain (docs/ruleset.md §13.4).
    pub struct Faucet {
        pub block_number: u64,
        pub nonce: u64,
        pub work: Vec<u8>,
    }
}

fn swap_hotkey(_: &mut State, _: &AccountId, _: &SwapHotkey, _: &mut Events) -> Result<()> {
    Err(RuleError::CallNotSupported.into())
}

fn faucet(_: &mut State, _: &AccountId, _: &Faucet, _: &mut Events) -> Result<()> {
    Err(RuleError::FaucetDisabled.into())
}

#[cfg(test)]
mod tests;
