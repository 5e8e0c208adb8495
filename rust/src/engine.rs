//! The engine: genesis, the open (pending) block, sealing, replay of block records, dispatch.
//!
//! A block is: block step (docs/ruleset.md §3), then its transactions in order. The live engine may run
//! one open block ahead of the log; `seal` produces the record that the caller (Python) commits.

use crate::codec::{self, Genesis};
use crate::emission;
use crate::error::{ensure, ChainError, Result, RuleError};
use crate::events::{Event, Events};
use crate::governance;
use crate::hyperparams::{self, is_sudo};
use crate::registration;
use crate::serving;
use crate::snapshot::{self, blake2b_256};
use crate::staking;
use crate::state::{
    Hash, State, Subnet, SubnetParams, INITIAL_BLOCK_EMISSION, INITIAL_LAST_LOCK_COST, POW_WINDOW,
    ROOT_NETUID, S_MAX, TRIUMVIRATE_MAX,
};
use crate::subnets;
use crate::tx::{Call, Origin, Tx};
use crate::weights;
use crate::{balances, Result as R};

/// The block that is open (its step ran) but not yet sealed.
#[derive(Debug, Default)]
struct OpenBlock {
    txs: Vec<Vec<u8>>,
    events: Vec<Event>,
}

#[derive(Debug)]
pub struct Engine {
    pub state: State,
    open: Option<OpenBlock>,
}

/// The state at genesis (docs/ruleset.md §9.5).
pub fn genesis_state(bytes: &[u8]) -> R<State> {
    let g: Genesis = codec::decode_genesis(bytes).map_err(ChainError::InvalidGenesis)?;
    let bad = |m: String| ChainError::InvalidGenesis(m);
    let mut s = State {
        block_emission: INITIAL_BLOCK_EMISSION,
        network_last_lock_cost: INITIAL_LAST_LOCK_COST,
        sudo_key: g.sudo,
        ..Default::default()
    };
    let mut total: u64 = 0;
    for (a, v) in &g.balances {
        if s.free.contains_key(a) {
            return Err(bad(format!(
                "genesis.balances: account {} appears twice",
                hex(a)
            )));
        }
        total = total
            .checked_add(*v)
            .filter(|t| *t <= S_MAX)
            .ok_or_else(
                || bad("genesis.balances: the sum exceeds the 21M TAO supply cap".into()),
            )?;
        s.set_free(a, *v);
    }
    s.total_issuance = total;
    if g.triumvirate.len() > TRIUMVIRATE_MAX {
        return Err(bad(format!(
            "genesis.triumvirate: {} members, at most {TRIUMVIRATE_MAX}",
            g.triumvirate.len()
        )));
    }
    for (i, m) in g.triumvirate.iter().enumerate() {
        if g.triumvirate[..i].contains(m) {
            return Err(bad(format!(
                "genesis.triumvirate: {} appears twice",
                hex(m)
            )));
        }
    }
    s.triumvirate = g.triumvirate.clone();
    s.triumvirate.sort();
    for (name, v) in &g.params {
        hyperparams::set_genesis_param(&mut s, name, *v)?;
    }
    let root = SubnetParams {
        tempo: 100,
        max_allowed_uids: 64,
        max_allowed_validators: 64,
        min_allowed_weights: 0,
        max_weights_limit: 65535,
        network_registration_allowed: true,
        target_registrations_per_interval: 1,
        ..Default::default()
    };
    s.subnets.insert(
        ROOT_NETUID,
        Subnet {
            added: true,
            params: root,
            ..Default::default()
        },
    );
    s.total_networks = 1;
    let h = blake2b_256(bytes);
    s.head_hash = h;
    s.recent_hashes = vec![(0, h)];
    Ok(s)
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
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

fn signed(origin: &Origin) -> Result<&crate::state::AccountId> {
    match origin {
        Origin::Signed(a) => Ok(a),
        Origin::Root => Err(ChainError::Rule(RuleError::BadOrigin)),
    }
}

fn dispatch_inner(state: &mut State, tx: &Tx, origin: Origin, ev: &mut Events) -> Result<()> {
    use Call::*;
    let sudo = |state: &State| ensure(is_sudo(state, &origin), RuleError::BadOrigin);
    match &tx.call {
        Transfer { dest, amount } => balances::transfer(state, signed(&origin)?, dest, *amount, ev),
        AddStake { hotkey, amount } => {
            staking::add_stake(state, signed(&origin)?, hotkey, *amount, ev)
        }
        RemoveStake { hotkey, amount } => {
            staking::remove_stake(state, signed(&origin)?, hotkey, *amount, ev)
        }
        BecomeDelegate { hotkey } => staking::become_delegate(state, signed(&origin)?, hotkey, ev),
        RegisterNetwork => subnets::register_network(state, signed(&origin)?, ev),
        DissolveNetwork { netuid } => {
            subnets::dissolve_network(state, signed(&origin)?, *netuid, ev)
        }
        BurnedRegister { netuid, hotkey } => {
            registration::burned_register(state, signed(&origin)?, *netuid, hotkey, ev)
        }
        Register {
            netuid,
            block_number,
            nonce,
            work,
            hotkey,
            coldkey,
        } => registration::register_pow(
            state,
            signed(&origin)?,
            *netuid,
            *block_number,
            *nonce,
            work,
            hotkey,
            coldkey,
            ev,
        ),
        SudoRegister {
            netuid,
            hotkey,
            coldkey,
            stake,
            balance,
        } => {
            sudo(state)?;
            registration::sudo_register(state, *netuid, hotkey, coldkey, *stake, *balance, ev)
        }
        RootRegister { hotkey } => registration::root_register(state, signed(&origin)?, hotkey, ev),
        SetWeights {
            netuid,
            uids,
            values,
            version_key,
        } => weights::set_weights(
            state,
            signed(&origin)?,
            *netuid,
            uids,
            values,
            *version_key,
            ev,
        ),
        ServeAxon {
            netuid,
            version,
            ip,
            port,
            ip_type,
            protocol,
            placeholder1,
            placeholder2,
        } => {
            let info = serving::AxonRequest {
                version: *version,
                ip: *ip,
                port: *port,
                ip_type: *ip_type,
                protocol: *protocol,
                placeholder1: *placeholder1,
                placeholder2: *placeholder2,
            };
            serving::serve_axon(state, signed(&origin)?, *netuid, &info, ev)
        }
        ServePrometheus {
            netuid,
            version,
            ip,
            port,
            ip_type,
        } => serving::serve_prometheus(
            state,
            signed(&origin)?,
            *netuid,
            *version,
            *ip,
            *port,
            *ip_type,
            ev,
        ),
        SudoSetHyperparameter {
            netuid,
            name,
            value,
        } => hyperparams::sudo_set_hyperparameter(state, &origin, *netuid, name, *value, ev),
        SudoSetKey { new } => governance::sudo_set_key(state, &origin, new, ev),
        SudoTriumvirateAddMember { member } => {
            sudo(state)?;
            governance::triumvirate_add(state, member, ev)
        }
        SudoTriumvirateRemoveMember { member } => {
            sudo(state)?;
            governance::triumvirate_remove(state, member, ev)
        }
        SudoTriumvirateSwapMember { old, new } => {
            sudo(state)?;
            governance::triumvirate_swap(state, old, new, ev)
        }
        SudoSenateAddMember { hotkey } => {
            sudo(state)?;
            governance::senate_add(state, hotkey, ev)
        }
        SudoSenateRemoveMember { hotkey } => {
            sudo(state)?;
            governance::senate_remove(state, hotkey, ev)
        }
        SudoDisapproveProposal { hash } => {
            sudo(state)?;
            governance::disapprove(state, hash, ev)
        }
        Propose {
            tx: bytes,
            call,
            duration,
        } => governance::propose(state, signed(&origin)?, bytes, call, *duration, ev),
        Vote {
            hotkey,
            hash,
            index,
            approve,
        } => governance::vote(state, signed(&origin)?, hotkey, hash, *index, *approve, ev),
        Close { hash, index } => governance::close(state, signed(&origin)?, hash, *index, ev),
        SwapHotkey { .. } => {
            signed(&origin)?;
            Err(RuleError::CallNotSupported.into())
        }
        SudoSetBalance { who, free } => {
            sudo(state)?;
            balances::sudo_set_balance(state, who, *free, ev)
        }
        SudoRegisterNetwork { netuid } => {
            sudo(state)?;
            subnets::sudo_register_network(state, *netuid, ev)
        }
        Faucet { .. } => {
            signed(&origin)?;
            Err(RuleError::FaucetDisabled.into())
        }
    }
}

impl Engine {
    pub fn from_genesis(bytes: &[u8]) -> R<Engine> {
        Ok(Engine {
            state: genesis_state(bytes)?,
            open: None,
        })
    }

    pub fn restore(snapshot_bytes: &[u8]) -> R<Engine> {
        Ok(Engine {
            state: snapshot::decode(snapshot_bytes)?,
            open: None,
        })
    }

    pub fn head(&self) -> u64 {
        self.state.head
    }

    pub fn head_hash(&self) -> Hash {
        self.state.head_hash
    }

    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Snapshot of the committed state; refused while a block is open.
    pub fn snapshot(&self) -> R<Vec<u8>> {
        if self.open.is_some() {
            return Err(ChainError::InvalidArgument(
                "a block is open: seal it (step) before taking a snapshot".into(),
            ));
        }
        Ok(snapshot::encode(&self.state))
    }

    pub fn state_root(&self) -> Hash {
        snapshot::state_root(&self.state)
    }

    /// Runs the block step of the next block (once).
    pub fn open_block(&mut self) -> R<()> {
        if self.open.is_some() {
            return Ok(());
        }
        let mut ev = Events::enabled();
        self.state.block = self.state.head + 1;
        emission::block_step(&mut self.state, &mut ev)?;
        self.open = Some(OpenBlock {
            txs: Vec::new(),
            events: ev.list,
        });
        Ok(())
    }

    /// Validates and applies one transaction in the open block; returns its events.
    pub fn submit(&mut self, tx_bytes: &[u8]) -> R<Vec<Event>> {
        let tx = codec::decode_tx(tx_bytes).map_err(ChainError::InvalidTransaction)?;
        self.open_block()?;
        let mut ev = Events::enabled();
        dispatch(&mut self.state, &tx, Origin::Signed(tx.origin), &mut ev)?;
        let open = self.open.as_mut().expect("opened above");
        open.txs.push(tx_bytes.to_vec());
        open.events.extend(ev.list.iter().cloned());
        Ok(ev.list)
    }

    /// Number of transactions in the open block (0 if none is open).
    pub fn pending_len(&self) -> usize {
        self.open.as_ref().map_or(0, |o| o.txs.len())
    }

    /// Events of the open block so far.
    pub fn pending_events(&self) -> &[Event] {
        self.open.as_ref().map_or(&[], |o| &o.events)
    }

    /// Seals the open block (opening an empty one if none) and returns its record bytes.
    pub fn seal(&mut self) -> R<Vec<u8>> {
        self.open_block()?;
        let open = self.open.take().expect("opened above");
        let number = self.state.block;
        let record = codec::encode_block(number, &self.state.head_hash, &open.txs);
        self.finish_block(number, &record);
        Ok(record)
    }

    fn finish_block(&mut self, number: u64, record: &[u8]) {
        let h = blake2b_256(record);
        let s = &mut self.state;
        s.head = number;
        s.head_hash = h;
        s.recent_hashes.push((number, h));
        let keep = POW_WINDOW as usize + 1;
        if s.recent_hashes.len() > keep {
            s.recent_hashes.drain(..s.recent_hashes.len() - keep);
        }
    }

    /// Replays one committed block record; events are collected only if `with_events`.
    pub fn apply_record(&mut self, record: &[u8], with_events: bool) -> R<Vec<Event>> {
        if self.open.is_some() {
            return Err(ChainError::InvalidArgument(
                "a block is open; replay only applies committed records to a sealed state".into(),
            ));
        }
        let expected = self.state.head + 1;
        let corrupt = |reason: String| ChainError::Corrupted {
            block: expected,
            reason,
        };
        let rec = codec::decode_block(record).map_err(corrupt)?;
        if rec.number != expected {
            return Err(corrupt(format!(
                "record says block {}, expected block {expected} (records reordered or missing)",
                rec.number
            )));
        }
        if rec.parent_hash != self.state.head_hash {
            return Err(corrupt(format!(
                "parent hash {} does not match block {}'s hash {} (the log was altered)",
                hex(&rec.parent_hash),
                expected - 1,
                hex(&self.state.head_hash)
            )));
        }
        let mut ev = if with_events {
            Events::enabled()
        } else {
            Events::disabled()
        };
        self.state.block = expected;
        emission::block_step(&mut self.state, &mut ev)?;
        for (i, tx) in rec.txs.iter().enumerate() {
            dispatch(&mut self.state, tx, Origin::Signed(tx.origin), &mut ev).map_err(|e| {
                corrupt(format!(
                    "transaction {i} was rejected on replay ({e}); a committed block only holds \
                     accepted transactions"
                ))
            })?;
        }
        self.finish_block(expected, record);
        Ok(ev.list)
    }

    /// Replays many records in order (stops at the first error, which names the block).
    pub fn apply_records<'a>(&mut self, records: impl IntoIterator<Item = &'a [u8]>) -> R<()> {
        for r in records {
            self.apply_record(r, false)?;
        }
        Ok(())
    }

    /// `TotalIssuance = Σ Free + Σ Stake + Σ SubnetLocked` and the stake totals (docs/ruleset.md §1.2).
    pub fn check_invariants(&self) -> std::result::Result<(), String> {
        self.state.check_supply()
    }
}

#[cfg(test)]
mod tests;
