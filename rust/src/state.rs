//! The whole chain state (docs/ruleset.md §0.6) as plain ordered data.
//!
//! Every collection is a `BTreeMap` or a `Vec`, so serialising the state (snapshot, state root) is
//! canonical and every iteration is in ascending key order (docs/ruleset.md §0.4). Per-netuid storage lives
//! in one `Subnet` record per netuid that was ever touched; a netuid "exists" iff `added` is true.
//! Values that survive `remove` (docs/ruleset.md §9.4) simply stay in the record.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A 32-byte public key (coldkey or hotkey). Ascending order = lexicographic raw bytes.
pub type AccountId = [u8; 32];
pub type Hash = [u8; 32];

pub const ROOT_NETUID: u16 = 0;
pub const EXISTENTIAL_DEPOSIT: u64 = 500;
pub const S_MAX: u64 = 21_000_000_000_000_000;
pub const SENATE_MAX: usize = 12;
pub const TRIUMVIRATE_MAX: usize = 3;
pub const MIN_MOTION_DURATION: u64 = 3_600;
pub const MAX_PROPOSALS: usize = 10;
pub const ROOT_DELEGATE_TAKE: u16 = 11_796;
pub const POW_WINDOW: u64 = 3;
pub const INITIAL_BLOCK_EMISSION: u64 = 1_000_000_000;
pub const INITIAL_LAST_LOCK_COST: u64 = 1_000_000_000_000;
pub const RULESET: &str = "finney-2023";

/// Global parameters of docs/ruleset.md §13.2 (values at genesis are the defaults).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Globals {
    pub default_take: u16,
    pub tx_rate_limit: u64,
    pub subnet_owner_cut: u16,
    pub network_min_lock_cost: u64,
    pub network_lock_reduction_interval: u64,
    pub network_rate_limit: u64,
    pub network_immunity_period: u64,
    pub subnet_limit: u16,
}

impl Default for Globals {
    fn default() -> Self {
        Globals {
            default_take: 11_796,
            tx_rate_limit: 1_000,
            subnet_owner_cut: 11_796,
            network_min_lock_cost: 1_000_000_000_000,
            network_lock_reduction_interval: 100_800,
            network_rate_limit: 7_200,
            network_immunity_period: 50_400,
            subnet_limit: 12,
        }
    }
}

/// Hyperparameters of docs/ruleset.md §13.1; `Default` is the "Default" column (nothing stored).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubnetParams {
    pub tempo: u16,
    pub kappa: u16,
    pub rho: u16,
    pub bonds_moving_average: u64,
    pub max_allowed_uids: u16,
    pub max_allowed_validators: u16,
    pub min_allowed_weights: u16,
    pub max_weights_limit: u16,
    pub activity_cutoff: u16,
    pub immunity_period: u16,
    pub weights_set_rate_limit: u64,
    pub weights_version_key: u64,
    pub serving_rate_limit: u64,
    pub max_registrations_per_block: u16,
    pub target_registrations_per_interval: u16,
    pub adjustment_interval: u16,
    pub adjustment_alpha: u64,
    pub burn: u64,
    pub min_burn: u64,
    pub max_burn: u64,
    pub difficulty: u64,
    pub min_difficulty: u64,
    pub max_difficulty: u64,
    pub network_registration_allowed: bool,
    pub network_pow_registration_allowed: bool,
    pub validator_prune_len: u64,
    pub scaling_law_power: u16,
    pub rao_recycled_for_registration: u64,
}

impl Default for SubnetParams {
    fn default() -> Self {
        SubnetParams {
            tempo: 99,
            kappa: 32_767,
            rho: 10,
            bonds_moving_average: 900_000,
            max_allowed_uids: 4_096,
            max_allowed_validators: 128,
            min_allowed_weights: 1_024,
            max_weights_limit: 1_000,
            activity_cutoff: 5_000,
            immunity_period: 4_096,
            weights_set_rate_limit: 100,
            weights_version_key: 0,
            serving_rate_limit: 50,
            max_registrations_per_block: 1,
            target_registrations_per_interval: 2,
            adjustment_interval: 100,
            adjustment_alpha: 0,
            burn: 1_000_000_000,
            min_burn: 1_000_000_000,
            max_burn: 100_000_000_000,
            difficulty: 10_000_000,
            min_difficulty: 10_000_000,
            max_difficulty: u64::MAX / 4,
            network_registration_allowed: false,
            network_pow_registration_allowed: false,
            validator_prune_len: 1,
            scaling_law_power: 50,
            rao_recycled_for_registration: 0,
        }
    }
}

/// One emission tuple of an epoch: (hotkey, server rao, validator rao).
pub type EmissionTuple = (AccountId, u64, u64);

/// All per-netuid storage. Per-uid vectors have length `n`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    pub added: bool,
    pub n: u16,
    pub modality: u16,
    pub params: SubnetParams,
    pub keys: Vec<AccountId>,
    pub uids: BTreeMap<AccountId, u16>,
    /// Not cleared by `remove` (docs/ruleset.md §9.4); may be longer than `n` on a re-created netuid.
    pub block_at_registration: Vec<u64>,
    pub weights: Vec<Vec<(u16, u16)>>,
    pub bonds: Vec<Vec<(u16, u16)>>,
    pub active: Vec<bool>,
    pub rank: Vec<u16>,
    pub trust: Vec<u16>,
    pub consensus: Vec<u16>,
    pub incentive: Vec<u16>,
    pub dividends: Vec<u16>,
    pub emission: Vec<u64>,
    pub last_update: Vec<u64>,
    pub pruning_scores: Vec<u16>,
    pub validator_trust: Vec<u16>,
    pub validator_permit: Vec<bool>,
    pub emission_values: u64,
    pub pending_emission: u64,
    pub loaded_emission: Option<Vec<EmissionTuple>>,
    pub blocks_since_last_step: u64,
    pub last_mechanism_step_block: u64,
    pub last_adjustment_block: u64,
    pub registrations_this_block: u16,
    pub registrations_this_interval: u16,
    pub pow_registrations_this_interval: u16,
    pub burn_registrations_this_interval: u16,
    pub owner: Option<AccountId>,
    pub locked: u64,
    pub registered_at: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AxonInfo {
    pub block: u64,
    pub version: u32,
    pub ip: u128,
    pub port: u16,
    pub ip_type: u8,
    pub protocol: u8,
    pub placeholder1: u8,
    pub placeholder2: u8,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrometheusInfo {
    pub block: u64,
    pub version: u32,
    pub ip: u128,
    pub port: u16,
    pub ip_type: u8,
}

/// An open governance proposal (docs/ruleset.md §12).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub hash: Hash,
    pub index: u32,
    pub proposer: AccountId,
    /// The proposed transaction exactly as it was on the wire (nested msgpack array).
    pub tx: Vec<u8>,
    pub threshold: u32,
    pub ayes: Vec<AccountId>,
    pub nays: Vec<AccountId>,
    pub end: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The block being processed (or last processed): `b` of the rules.
    pub block: u64,
    /// Last sealed block and its hash (block 0 = genesis, hash of the genesis record).
    pub head: u64,
    pub head_hash: Hash,
    /// Hashes of the most recent sealed blocks, ascending, enough for the POW window (docs/ruleset.md §8.3).
    pub recent_hashes: Vec<(u64, Hash)>,

    pub free: BTreeMap<AccountId, u64>,
    pub total_issuance: u64,
    pub block_emission: u64,
    pub total_stake: u64,
    pub sudo_key: AccountId,
    pub globals: Globals,
    pub network_last_lock_cost: u64,
    pub network_last_registered: u64,
    pub total_networks: u16,

    pub owner: BTreeMap<AccountId, AccountId>,
    /// hotkey → coldkey → stake.
    pub stake: BTreeMap<AccountId, BTreeMap<AccountId, u64>>,
    pub total_hotkey_stake: BTreeMap<AccountId, u64>,
    pub total_coldkey_stake: BTreeMap<AccountId, u64>,
    pub delegates: BTreeMap<AccountId, u16>,
    pub last_tx_block: BTreeMap<AccountId, u64>,
    /// hotkey → netuid → member flag.
    pub is_network_member: BTreeMap<AccountId, BTreeMap<u16, bool>>,
    pub used_work: BTreeMap<Hash, u64>,

    pub subnets: BTreeMap<u16, Subnet>,
    pub axons: BTreeMap<(u16, AccountId), AxonInfo>,
    pub prometheus: BTreeMap<(u16, AccountId), PrometheusInfo>,

    /// Ascending account order.
    pub senate: Vec<AccountId>,
    pub triumvirate: Vec<AccountId>,
    /// Open proposals in the order they were made.
    pub proposals: Vec<Proposal>,
    pub proposal_count: u32,
}

impl State {
    pub fn free(&self, a: &AccountId) -> u64 {
        self.free.get(a).copied().unwrap_or(0)
    }

    pub fn set_free(&mut self, a: &AccountId, v: u64) {
        if v == 0 {
            self.free.remove(a);
        } else {
            self.free.insert(*a, v);
        }
    }

    /// The subnet record if the netuid exists (docs/ruleset.md `NetworksAdded`).
    pub fn subnet(&self, netuid: u16) -> Option<&Subnet> {
        self.subnets.get(&netuid).filter(|s| s.added)
    }

    pub fn subnet_mut(&mut self, netuid: u16) -> Option<&mut Subnet> {
        self.subnets.get_mut(&netuid).filter(|s| s.added)
    }

    /// The stored record of a netuid whether or not it exists (created with defaults on demand).
    pub fn subnet_storage_mut(&mut self, netuid: u16) -> &mut Subnet {
        self.subnets.entry(netuid).or_default()
    }

    pub fn subnet_exists(&self, netuid: u16) -> bool {
        self.subnet(netuid).is_some()
    }

    /// Existing netuids, ascending (root included).
    pub fn netuids(&self) -> Vec<u16> {
        self.subnets
            .iter()
            .filter(|(_, s)| s.added)
            .map(|(k, _)| *k)
            .collect()
    }

    pub fn total_hotkey_stake(&self, h: &AccountId) -> u64 {
        self.total_hotkey_stake.get(h).copied().unwrap_or(0)
    }

    pub fn total_coldkey_stake(&self, c: &AccountId) -> u64 {
        self.total_coldkey_stake.get(c).copied().unwrap_or(0)
    }

    pub fn stake_of(&self, hotkey: &AccountId, coldkey: &AccountId) -> u64 {
        self.stake
            .get(hotkey)
            .and_then(|m| m.get(coldkey))
            .copied()
            .unwrap_or(0)
    }

    pub fn is_delegate(&self, h: &AccountId) -> bool {
        self.delegates.contains_key(h)
    }

    /// The hotkey has some true `IsNetworkMember` entry.
    pub fn is_member_anywhere(&self, h: &AccountId) -> bool {
        self.is_network_member
            .get(h)
            .is_some_and(|m| m.values().any(|v| *v))
    }

    pub fn total_locked(&self) -> u64 {
        self.subnets.values().map(|s| s.locked).sum()
    }

    pub fn total_balance(&self) -> u64 {
        self.free.values().sum()
    }

    /// Hash of sealed block k if still remembered (k ≤ head).
    pub fn block_hash(&self, k: u64) -> Option<Hash> {
        self.recent_hashes
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, h)| *h)
    }

    /// `TotalIssuance = Σ Free + Σ Stake + Σ SubnetLocked`, `TotalStake = Σ Stake` and the per-hotkey
    /// and per-coldkey stake totals (docs/ruleset.md §1.2).
    pub fn check_supply(&self) -> std::result::Result<(), String> {
        let stake: u64 = self.stake.values().flat_map(|m| m.values()).sum();
        let rhs = self.total_balance() + stake + self.total_locked();
        if self.total_issuance != rhs {
            return Err(format!(
                "TotalIssuance {} != balances + stake + locked {rhs}",
                self.total_issuance
            ));
        }
        if self.total_stake != stake {
            return Err(format!(
                "TotalStake {} != Σ Stake {stake}",
                self.total_stake
            ));
        }
        let mut by_coldkey: BTreeMap<AccountId, u64> = BTreeMap::new();
        for (h, m) in &self.stake {
            if self.total_hotkey_stake(h) != m.values().sum::<u64>() {
                return Err(format!("TotalHotkeyStake mismatch for hotkey {h:02x?}"));
            }
            for (c, x) in m {
                *by_coldkey.entry(*c).or_default() += x;
            }
        }
        for (c, x) in &by_coldkey {
            if self.total_coldkey_stake(c) != *x {
                return Err(format!("TotalColdkeyStake mismatch for coldkey {c:02x?}"));
            }
        }
        Ok(())
    }
}
