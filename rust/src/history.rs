//! History as columns: the metagraph of chosen subnets, per-subnet and chain-level series, gathered
//! in one replay pass.
//!
//! A `Collector` is fed the committed records of a block range after the engine was brought to the
//! block before it; after each block it looks at the state and, when the block is a sample, appends
//! one row per uid (`Level::Neurons`), per subnet (`Level::Subnets`) or one row (`Level::Chain`) to
//! plain column vectors. Samples are every epoch of each subnet (the block whose step ran the
//! subnet's epoch, docs/ruleset.md §3 A4; for the root network the blocks where its epoch is due, §5.1)
//! or every `k` blocks from the first block of the range. Hotkeys and coldkeys are interned: a
//! column holds indices into `accounts`. Reading never changes the state.

use crate::emission::epoch_due;
use crate::engine::Engine;
use crate::error::{ChainError, Result};
use crate::state::{AccountId, State, Subnet, ROOT_NETUID};
use std::collections::BTreeMap;

/// Which rows a sample appends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Neurons,
    Subnets,
    Chain,
}

/// When a block is a sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Every {
    /// After each epoch of each chosen subnet (not for `Level::Chain`).
    Epoch,
    /// Every k ≥ 1 blocks, starting with the range's first block.
    Blocks(u64),
}

/// One row per uid and sample: the metagraph fields of `Engine`'s `metagraph(netuid)`.
#[derive(Debug, Default)]
pub struct NeuronRows {
    pub block: Vec<u64>,
    pub netuid: Vec<u16>,
    pub uid: Vec<u16>,
    pub hotkey: Vec<u32>,
    pub coldkey: Vec<u32>,
    pub stake: Vec<u64>,
    pub rank: Vec<u16>,
    pub trust: Vec<u16>,
    pub consensus: Vec<u16>,
    pub incentive: Vec<u16>,
    pub dividends: Vec<u16>,
    pub validator_trust: Vec<u16>,
    pub emission: Vec<u64>,
    pub active: Vec<bool>,
    pub validator_permit: Vec<bool>,
    pub last_update: Vec<u64>,
    pub block_at_registration: Vec<u64>,
    pub pruning_score: Vec<u16>,
}

/// One row per subnet and sample.
#[derive(Debug, Default)]
pub struct SubnetRows {
    pub block: Vec<u64>,
    pub netuid: Vec<u16>,
    pub n: Vec<u16>,
    pub emission_value: Vec<u64>,
    pub pending_emission: Vec<u64>,
    pub locked: Vec<u64>,
    /// Σ total stake of the subnet's hotkeys.
    pub stake: Vec<u64>,
    /// Registrations in the blocks since the subnet's previous row (this block's when every=1).
    pub registrations: Vec<u64>,
    pub burn: Vec<u64>,
    pub difficulty: Vec<u64>,
    pub tempo: Vec<u16>,
}

/// One row per sample.
#[derive(Debug, Default)]
pub struct ChainRows {
    pub block: Vec<u64>,
    pub total_issuance: Vec<u64>,
    pub block_emission: Vec<u64>,
    pub total_stake: Vec<u64>,
    pub total_balance: Vec<u64>,
    pub total_locked: Vec<u64>,
    pub subnets: Vec<u16>,
    /// Registrations (all subnets, root included) since the previous row.
    pub registrations: Vec<u64>,
}

#[derive(Debug)]
pub struct Collector {
    level: Level,
    netuids: Option<Vec<u16>>,
    every: Every,
    start: u64,
    pub accounts: Vec<AccountId>,
    index: BTreeMap<AccountId, u32>,
    pub neurons: NeuronRows,
    pub subnets: SubnetRows,
    pub chain: ChainRows,
    registrations: BTreeMap<u16, u64>,
    chain_registrations: u64,
}

impl Collector {
    /// `netuids`: the subnets to sample (None: every existing subnet but the root network, as
    /// they exist at each block). `start`: the first block that will be fed.
    pub fn new(level: Level, netuids: Option<Vec<u16>>, every: Every, start: u64) -> Result<Self> {
        let bad = |m: &str| Err(ChainError::InvalidArgument(m.to_string()));
        if every == Every::Blocks(0) {
            return bad("every: a sample every k blocks needs k ≥ 1");
        }
        if level == Level::Chain && every == Every::Epoch {
            return bad("every: chain-level series are sampled every k blocks, not per epoch");
        }
        if start == 0 {
            return bad("start: the first block of a range is ≥ 1 (block 0 is genesis)");
        }
        let netuids = netuids.map(|mut v| {
            v.sort_unstable();
            v.dedup();
            v
        });
        Ok(Collector {
            level,
            netuids,
            every,
            start,
            accounts: Vec::new(),
            index: BTreeMap::new(),
            neurons: NeuronRows::default(),
            subnets: SubnetRows::default(),
            chain: ChainRows::default(),
            registrations: BTreeMap::new(),
            chain_registrations: 0,
        })
    }

    /// Rows gathered so far.
    pub fn rows(&self) -> usize {
        match self.level {
            Level::Neurons => self.neurons.block.len(),
            Level::Subnets => self.subnets.block.len(),
            Level::Chain => self.chain.block.len(),
        }
    }

    /// Applies committed records in order (replay, no events), observing after each block.
    pub fn feed<'a>(
        &mut self,
        engine: &mut Engine,
        records: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<()> {
        for r in records {
            engine.apply_record(r, false)?;
            self.observe(&engine.state);
        }
        Ok(())
    }

    fn every_k(&self, block: u64) -> bool {
        match self.every {
            Every::Blocks(k) => block >= self.start && (block - self.start).is_multiple_of(k),
            Every::Epoch => false,
        }
    }

    /// Whether `block` is a sample of `netuid` (the state is the one after `block`).
    fn due(&self, netuid: u16, sub: &Subnet, block: u64) -> bool {
        match self.every {
            Every::Blocks(_) => self.every_k(block),
            Every::Epoch if netuid == ROOT_NETUID => epoch_due(netuid, sub.params.tempo, block),
            Every::Epoch => sub.last_mechanism_step_block == block,
        }
    }

    fn chosen(&self, s: &State) -> Vec<u16> {
        match &self.netuids {
            Some(v) => v.iter().copied().filter(|n| s.subnet_exists(*n)).collect(),
            None => s
                .netuids()
                .into_iter()
                .filter(|n| *n != ROOT_NETUID)
                .collect(),
        }
    }

    /// Looks at the state after block `s.head`.
    pub fn observe(&mut self, s: &State) {
        let block = s.head;
        if self.level == Level::Chain {
            let regs: u64 = s
                .subnets
                .values()
                .filter(|x| x.added)
                .map(|x| x.registrations_this_block as u64)
                .sum();
            self.chain_registrations += regs;
            if self.every_k(block) {
                let c = &mut self.chain;
                c.block.push(block);
                c.total_issuance.push(s.total_issuance);
                c.block_emission.push(s.block_emission);
                c.total_stake.push(s.total_stake);
                c.total_balance.push(s.total_balance());
                c.total_locked.push(s.total_locked());
                c.subnets.push(s.netuids().len() as u16);
                c.registrations
                    .push(std::mem::take(&mut self.chain_registrations));
            }
            return;
        }
        for netuid in self.chosen(s) {
            let sub = &s.subnets[&netuid];
            if self.level == Level::Subnets {
                *self.registrations.entry(netuid).or_default() +=
                    sub.registrations_this_block as u64;
            }
            if !self.due(netuid, sub, block) {
                continue;
            }
            match self.level {
                Level::Neurons => self.neuron_rows(s, netuid, sub, block),
                Level::Subnets => self.subnet_row(s, netuid, sub, block),
                Level::Chain => unreachable!("handled above"),
            }
        }
    }

    fn intern(&mut self, a: &AccountId) -> u32 {
        if let Some(i) = self.index.get(a) {
            return *i;
        }
        let i = self.accounts.len() as u32;
        self.accounts.push(*a);
        self.index.insert(*a, i);
        i
    }

    fn neuron_rows(&mut self, s: &State, netuid: u16, sub: &Subnet, block: u64) {
        let n = sub.n as usize;
        for uid in 0..n {
            let hotkey = sub.neurons.keys[uid];
            let coldkey = s.owner.get(&hotkey).copied().unwrap_or([0; 32]);
            let (h, c) = (self.intern(&hotkey), self.intern(&coldkey));
            let r = &mut self.neurons;
            let at = |v: &[u16]| v.get(uid).copied().unwrap_or(0);
            r.block.push(block);
            r.netuid.push(netuid);
            r.uid.push(uid as u16);
            r.hotkey.push(h);
            r.coldkey.push(c);
            r.stake.push(s.total_hotkey_stake(&hotkey));
            r.rank.push(at(&sub.neurons.rank));
            r.trust.push(at(&sub.neurons.trust));
            r.consensus.push(at(&sub.neurons.consensus));
            r.incentive.push(at(&sub.neurons.incentive));
            r.dividends.push(at(&sub.neurons.dividends));
            r.validator_trust.push(at(&sub.neurons.validator_trust));
            r.pruning_score.push(at(&sub.neurons.pruning_scores));
            r.emission
                .push(sub.neurons.emission.get(uid).copied().unwrap_or(0));
            r.active
                .push(sub.neurons.active.get(uid).copied().unwrap_or(false));
            r.validator_permit.push(
                sub.neurons
                    .validator_permit
                    .get(uid)
                    .copied()
                    .unwrap_or(false),
            );
            r.last_update
                .push(sub.neurons.last_update.get(uid).copied().unwrap_or(0));
            r.block_at_registration.push(
                sub.neurons
                    .block_at_registration
                    .get(uid)
                    .copied()
                    .unwrap_or(0),
            );
        }
    }

    fn subnet_row(&mut self, s: &State, netuid: u16, sub: &Subnet, block: u64) {
        let stake: u64 = sub
            .neurons
            .keys
            .iter()
            .map(|h| s.total_hotkey_stake(h))
            .sum();
        let regs = self.registrations.insert(netuid, 0).unwrap_or(0);
        let r = &mut self.subnets;
        r.block.push(block);
        r.netuid.push(netuid);
        r.n.push(sub.n);
        r.emission_value.push(sub.emission_values);
        r.pending_emission.push(sub.pending_emission);
        r.locked.push(sub.locked);
        r.stake.push(stake);
        r.registrations.push(regs);
        r.burn.push(sub.params.burn);
        r.difficulty.push(sub.params.difficulty);
        r.tempo.push(sub.params.tempo);
    }
}

#[cfg(test)]
mod tests;
