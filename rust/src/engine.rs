//! The engine: the block lifecycle — genesis, the open (pending) block, submitting a transaction
//! into it, sealing, replay of block records. Transactions are applied by `calls::dispatch`.
//!
//! A block is: block step (docs/ruleset.md §3), then its transactions in order. The live engine may run
//! one open block ahead of the log; `seal` produces the record that the caller (Python) commits.

use crate::calls::{dispatch, Tx};
use crate::codec::{self, BlockRecord, Genesis};
use crate::emission;
use crate::error::ChainError;
use crate::events::{Event, Events};
use crate::hyperparams;
use crate::origin::Origin;
use crate::snapshot::{self, blake2b_256, blake2b_256_many};
use crate::state::{
    Hash, State, Subnet, SubnetParams, INITIAL_BLOCK_EMISSION, INITIAL_LAST_LOCK_COST, POW_WINDOW,
    ROOT_NETUID, S_MAX, TRIUMVIRATE_MAX,
};
use crate::Result as R;
use rayon::prelude::*;

/// The block that is open (its step ran) but not yet sealed.
#[derive(Clone, Debug, Default)]
struct OpenBlock {
    txs: Vec<Vec<u8>>,
    events: Vec<Event>,
}

/// `apply_records` hashes and decodes the records ahead of the ones being applied in chunks of
/// about this many bytes (`PREPARE_GROUP` to `PREPARE_RECORDS` records), one rayon task per
/// group of `PREPARE_GROUP` records (hashed together by `blake2b_256_many`). Each chunk is one
/// `rayon::join`, whose wake-ups cost: 128 records a chunk replayed late-year blocks in ~0.9× the
/// time of 32 (bench/README.md, session 7); 512 was no better.
const PREPARE_BYTES: usize = 1 << 20;
const PREPARE_RECORDS: usize = 128;
const PREPARE_GROUP: usize = 4;

/// A block record's hash (BLAKE2b-256 of its bytes) and its decoding, computed from the bytes
/// alone — so on another thread, ahead of applying it.
struct Prepared {
    hash: Hash,
    decoded: std::result::Result<BlockRecord<Tx>, String>,
}

impl Prepared {
    fn new(record: &[u8]) -> Self {
        Self::with_hash(record, blake2b_256(record))
    }

    fn with_hash(record: &[u8], hash: Hash) -> Self {
        Prepared {
            hash,
            decoded: codec::decode_block::<Tx>(record),
        }
    }

    /// A group of records: hashed together, then decoded one by one.
    fn group(records: &[&[u8]]) -> Vec<Self> {
        let hashes = blake2b_256_many(records);
        records
            .iter()
            .zip(hashes)
            .map(|(r, h)| Self::with_hash(r, h))
            .collect()
    }
}

/// `Clone` is a deep copy of the state (and of an open block): what-if forks (`fork.rs`).
#[derive(Clone, Debug)]
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
    // Imported subnets and stakes, and the genesis block b₀ (0 unless the record says so).
    crate::genesis::import(&mut s, &g)?;
    let h = blake2b_256(bytes);
    (s.block, s.head, s.head_hash) = (g.block, g.block, h);
    s.recent_hashes = vec![(g.block, h)];
    Ok(s)
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
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

    /// The engine of a delta snapshot (`snapshot::delta`) made from the state of snapshot `base`.
    pub fn restore_delta(base: &[u8], delta: &[u8]) -> R<Engine> {
        Ok(Engine {
            state: snapshot::delta::apply(base, delta)?,
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

    /// A delta snapshot of the committed state as changes from `base`'s (`snapshot::delta`).
    pub fn snapshot_delta(&mut self, base: &Engine) -> R<Vec<u8>> {
        if self.open.is_some() || base.open.is_some() {
            return Err(ChainError::InvalidArgument(
                "a block is open: seal it (step) before taking a snapshot".into(),
            ));
        }
        Ok(snapshot::delta::encode(&base.state, &mut self.state))
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

    /// Validates and applies one transaction in the open block (opening it if needed); returns its
    /// events. The bytes are decoded first, so malformed bytes do not open the block.
    pub fn submit(&mut self, tx_bytes: &[u8]) -> R<Vec<Event>> {
        let tx: Tx = codec::decode_tx(tx_bytes).map_err(ChainError::InvalidTransaction)?;
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
        self.finish_hashed(number, blake2b_256(record));
    }

    fn finish_hashed(&mut self, number: u64, h: Hash) {
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
        self.apply_prepared(&Prepared::new(record), with_events)
    }

    /// Replays a record whose hash and decoding were done beforehand (`Prepared::new`); the checks
    /// and errors are `apply_record`'s, in its order.
    fn apply_prepared(&mut self, p: &Prepared, with_events: bool) -> R<Vec<Event>> {
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
        let rec = p.decoded.as_ref().map_err(|e| corrupt(e.clone()))?;
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
        self.finish_hashed(expected, p.hash);
        Ok(ev.list)
    }

    /// Replays many records in order (stops at the first error, which names the block: the same
    /// error `apply_record` one by one gives). The records are hashed and decoded a chunk ahead on
    /// the rayon pool (pure work on the bytes) while the chunk before is applied; the state is
    /// changed by one task at a time, in record order.
    pub fn apply_records<'a>(&mut self, records: impl IntoIterator<Item = &'a [u8]>) -> R<()> {
        let records: Vec<&[u8]> = records.into_iter().collect();
        // one task per group: a thread that is done applying helps preparing the next chunk
        let prepare = |c: &[&[u8]]| -> Vec<Prepared> {
            c.par_chunks(PREPARE_GROUP)
                .flat_map_iter(Prepared::group)
                .collect()
        };
        let bytes: usize = records.iter().map(|r| r.len()).sum();
        // whole groups, so that no chunk ends with a group too small for four lanes
        let per_chunk = (PREPARE_BYTES * records.len() / bytes.max(1))
            .clamp(PREPARE_GROUP, PREPARE_RECORDS)
            .next_multiple_of(PREPARE_GROUP);
        let mut chunks = records.chunks(per_chunk);
        let Some(first) = chunks.next() else {
            return Ok(());
        };
        let mut current = prepare(first);
        loop {
            let next = chunks.next();
            let chunk = std::mem::take(&mut current);
            let engine = &mut *self;
            let (applied, prepared) = rayon::join(
                // the chunk is freed on the pool thread too, not between the joins
                move || -> R<()> {
                    for p in &chunk {
                        engine.apply_prepared(p, false)?;
                    }
                    Ok(())
                },
                || next.map(prepare),
            );
            applied?;
            match prepared {
                Some(p) => current = p,
                None => return Ok(()),
            }
        }
    }

    /// `TotalIssuance = Σ Free + Σ Stake + Σ SubnetLocked` and the stake totals (docs/ruleset.md §1.2).
    pub fn check_invariants(&self) -> std::result::Result<(), String> {
        self.state.check_supply()
    }
}

#[cfg(test)]
mod tests;
