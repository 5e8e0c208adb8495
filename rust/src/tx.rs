//! Transactions of ruleset finney-2023 (docs/WIRE.md): one variant per docs/ruleset.md call.
//!
//! `kind` numbers are fixed forever; `codec.rs` reads them from msgpack.

use crate::state::{AccountId, Hash};

/// A hyperparameter value as it is on the wire: a bool or an unsigned integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamValue {
    Bool(bool),
    Int(u64),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    Transfer {
        dest: AccountId,
        amount: u64,
    },
    AddStake {
        hotkey: AccountId,
        amount: u64,
    },
    RemoveStake {
        hotkey: AccountId,
        amount: u64,
    },
    BecomeDelegate {
        hotkey: AccountId,
    },
    RegisterNetwork,
    DissolveNetwork {
        netuid: u16,
    },
    BurnedRegister {
        netuid: u16,
        hotkey: AccountId,
    },
    Register {
        netuid: u16,
        block_number: u64,
        nonce: u64,
        work: Vec<u8>,
        hotkey: AccountId,
        coldkey: AccountId,
    },
    SudoRegister {
        netuid: u16,
        hotkey: AccountId,
        coldkey: AccountId,
        stake: u64,
        balance: u64,
    },
    RootRegister {
        hotkey: AccountId,
    },
    SetWeights {
        netuid: u16,
        uids: Vec<u16>,
        values: Vec<u16>,
        version_key: u64,
    },
    ServeAxon {
        netuid: u16,
        version: u32,
        ip: u128,
        port: u16,
        ip_type: u8,
        protocol: u8,
        placeholder1: u8,
        placeholder2: u8,
    },
    ServePrometheus {
        netuid: u16,
        version: u32,
        ip: u128,
        port: u16,
        ip_type: u8,
    },
    SudoSetHyperparameter {
        netuid: Option<u16>,
        name: String,
        value: ParamValue,
    },
    SudoSetKey {
        new: AccountId,
    },
    SudoTriumvirateAddMember {
        member: AccountId,
    },
    SudoTriumvirateRemoveMember {
        member: AccountId,
    },
    SudoTriumvirateSwapMember {
        old: AccountId,
        new: AccountId,
    },
    SudoSenateAddMember {
        hotkey: AccountId,
    },
    SudoSenateRemoveMember {
        hotkey: AccountId,
    },
    SudoDisapproveProposal {
        hash: Hash,
    },
    /// `tx` holds the nested transaction's exact wire bytes (the proposal hash is over them).
    Propose {
        tx: Vec<u8>,
        call: Box<Tx>,
        duration: u64,
    },
    Vote {
        hotkey: AccountId,
        hash: Hash,
        index: u32,
        approve: bool,
    },
    Close {
        hash: Hash,
        index: u32,
    },
    SwapHotkey {
        hotkey: AccountId,
        new_hotkey: AccountId,
    },
    SudoSetBalance {
        who: AccountId,
        free: u64,
    },
    SudoRegisterNetwork {
        netuid: u16,
    },
    Faucet {
        block_number: u64,
        nonce: u64,
        work: Vec<u8>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tx {
    pub origin: AccountId,
    pub call: Call,
}

/// Who may dispatch a call (docs/ruleset.md §0.5); used by `propose` (§12.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OriginRule {
    Signed,
    SudoKey,
    Sudo,
    OwnerOrSudo,
}

impl Call {
    pub fn kind(&self) -> u8 {
        use Call::*;
        match self {
            Transfer { .. } => 1,
            AddStake { .. } => 2,
            RemoveStake { .. } => 3,
            BecomeDelegate { .. } => 4,
            RegisterNetwork => 5,
            DissolveNetwork { .. } => 6,
            BurnedRegister { .. } => 7,
            Register { .. } => 8,
            SudoRegister { .. } => 9,
            RootRegister { .. } => 10,
            SetWeights { .. } => 11,
            ServeAxon { .. } => 12,
            ServePrometheus { .. } => 13,
            SudoSetHyperparameter { .. } => 14,
            SudoSetKey { .. } => 15,
            SudoTriumvirateAddMember { .. } => 16,
            SudoTriumvirateRemoveMember { .. } => 17,
            SudoTriumvirateSwapMember { .. } => 18,
            SudoSenateAddMember { .. } => 19,
            SudoSenateRemoveMember { .. } => 20,
            SudoDisapproveProposal { .. } => 21,
            Propose { .. } => 22,
            Vote { .. } => 23,
            Close { .. } => 24,
            SwapHotkey { .. } => 25,
            Faucet { .. } => 26,
            SudoSetBalance { .. } => 27,
            SudoRegisterNetwork { .. } => 28,
        }
    }

    pub fn origin_rule(&self) -> OriginRule {
        use Call::*;
        match self {
            SudoRegister { .. }
            | SudoTriumvirateAddMember { .. }
            | SudoTriumvirateRemoveMember { .. }
            | SudoTriumvirateSwapMember { .. }
            | SudoSenateAddMember { .. }
            | SudoSenateRemoveMember { .. }
            | SudoDisapproveProposal { .. }
            | SudoSetBalance { .. }
            | SudoRegisterNetwork { .. } => OriginRule::Sudo,
            SudoSetHyperparameter { .. } => OriginRule::OwnerOrSudo,
            SudoSetKey { .. } => OriginRule::SudoKey,
            _ => OriginRule::Signed,
        }
    }
}

/// The origin a call is dispatched with (docs/ruleset.md §0.5): a signed account, or `Root` — the origin
/// of a transaction dispatched by an approved proposal, which passes every `Sudo` check but is not
/// the `SudoKey`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Signed(AccountId),
    Root,
}
