//! The whole chain state (docs/ruleset.md §0.6) as plain data with a canonical serialisation.
//!
//! Every collection is a `BTreeMap`, a `Vec`, an [`AccountMap`] (a hash map on accounts that
//! serialises as a `BTreeMap` and is iterated only in ascending key order) or a [`SortedMap`] (a
//! sorted `Vec` of entries, serialised as a `BTreeMap`); `Stake` and `TotalHotkeyStake` share one
//! map entry per hotkey ([`HotkeyStake`]) and are serialised as the rules' two maps, so serialising the
//! state (snapshot, state root) is canonical and every iteration is in ascending key order
//! (docs/ruleset.md §0.4). Per-netuid storage lives
//! in one `Subnet` record per netuid that was ever touched; a netuid "exists" iff `added` is true.
//! Values that survive `remove` (docs/ruleset.md §9.4) simply stay in the record.

pub mod accounts;
pub mod hotkey_stake;
pub mod neurons;
pub mod sorted_map;

pub use accounts::AccountMap;
pub use hotkey_stake::{HotkeyStake, HotkeyStakes};
pub use sorted_map::SortedMap;

use neurons::{next_field, Neurons};
use serde::de::SeqAccess;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::params::{Globals, SubnetParams};

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

/// One emission tuple of an epoch: (hotkey, server rao, validator rao).
pub type EmissionTuple = (AccountId, u64, u64);

/// `pub field: type` rows with one `..field: T` row → the struct, and its serde impls that
/// encode it as one flat sequence: the fields before, the `T::FIELDS` fields `T` writes
/// (`serialize_fields`, `deserialize_fields`), the fields after — the layout the state root and
/// stored snapshots were made with (`Subnet`: `Neurons`' columns; `State`: `Stake` and
/// `TotalHotkeyStake` from one map). The derives are the caller's.
macro_rules! flat_record {
    (
        $(#[$meta:meta])*
        pub struct $S:ident {
            $( $(#[$hmeta:meta])* pub $h:ident : $ht:ty, )*
            ..$nf:ident : $nt:ty,
            $( $(#[$tmeta:meta])* pub $t:ident : $tt:ty, )*
        }
    ) => {
        $(#[$meta])*
        pub struct $S {
            $( $(#[$hmeta])* pub $h: $ht, )*
            pub $nf: $nt,
            $( $(#[$tmeta])* pub $t: $tt, )*
        }

        impl $S {
            /// The fields before the `..` row, in serialisation order (the `..` row's
            /// `FIELDS` values follow them).
            #[allow(dead_code)]
            pub const HEAD_FIELDS: &'static [&'static str] = &[$(stringify!($h),)*];
        }

        impl Serialize for $S {
            fn serialize<Z: serde::Serializer>(&self, z: Z) -> std::result::Result<Z::Ok, Z::Error> {
                let len = [$(stringify!($h),)* $(stringify!($t),)*].len() + <$nt>::FIELDS;
                let mut s = z.serialize_struct(stringify!($S), len)?;
                $( s.serialize_field(stringify!($h), &self.$h)?; )*
                self.$nf.serialize_fields(&mut s)?;
                $( s.serialize_field(stringify!($t), &self.$t)?; )*
                s.end()
            }
        }

        impl<'de> Deserialize<'de> for $S {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                struct Seq;
                impl<'de> serde::de::Visitor<'de> for Seq {
                    type Value = $S;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str(concat!("struct ", stringify!($S), " as a sequence"))
                    }
                    fn visit_seq<A: SeqAccess<'de>>(
                        self,
                        mut seq: A,
                    ) -> std::result::Result<$S, A::Error> {
                        let at = &mut 0;
                        Ok($S {
                            $( $h: next_field(&mut seq, at, &self)?, )*
                            $nf: <$nt>::deserialize_fields(&mut seq, at, &self)?,
                            $( $t: next_field(&mut seq, at, &self)?, )*
                        })
                    }
                }
                d.deserialize_struct(stringify!($S), &[], Seq)
            }
        }
    };
}

flat_record! {
    /// All per-netuid storage.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct Subnet {
        pub added: bool,
        pub n: u16,
        pub modality: u16,
        pub params: SubnetParams,
        ..neurons: Neurons,
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
}

impl Subnet {
    /// **append** of §8.4: uid = n, every per-uid vector grows by one.
    pub fn append_neuron(&mut self, hotkey: &AccountId, block: u64) -> u16 {
        let uid = self.n;
        self.n = uid + 1;
        self.neurons.append(uid, hotkey, block);
        uid
    }
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

flat_record! {
    /// The whole chain state.
    #[derive(Debug, Default, PartialEq, Eq)]
    pub struct State {
        /// The block being processed (or last processed): `b` of the rules.
        pub block: u64,
        /// Last sealed block and its hash (block 0 = genesis, hash of the genesis record).
        pub head: u64,
        pub head_hash: Hash,
        /// Hashes of the most recent sealed blocks, ascending, enough for the POW window (docs/ruleset.md §8.3).
        pub recent_hashes: Vec<(u64, Hash)>,

        pub free: AccountMap<u64>,
        pub total_issuance: u64,
        pub block_emission: u64,
        pub total_stake: u64,
        pub sudo_key: AccountId,
        pub globals: Globals,
        pub network_last_lock_cost: u64,
        pub network_last_registered: u64,
        pub total_networks: u16,

        pub owner: AccountMap<AccountId>,
        // hotkey → (coldkey → stake, and the hotkey's total): `Stake` and `TotalHotkeyStake` of
        // the rules in one map (`HotkeyStake`), serialised as those two maps
        ..stake: HotkeyStakes,
        pub total_coldkey_stake: AccountMap<u64>,
        pub delegates: AccountMap<u16>,
        pub last_tx_block: AccountMap<u64>,
        /// hotkey → netuid → member flag.
        pub is_network_member: AccountMap<SortedMap<u16, bool>>,
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
}

/// A copy made on the rayon pool: the per-hotkey maps (one allocation per hotkey ever registered)
/// beside everything else — forks and `at(b)` copy whole states (a Finney-scale year's end: ~100
/// MiB, 0.08 s on one core). Every field is listed (no `..`), so a new one cannot be forgotten.
impl Clone for State {
    fn clone(&self) -> Self {
        let ((stake, is_network_member), (owner, subnets)) = rayon::join(
            || rayon::join(|| self.stake.clone(), || self.is_network_member.clone()),
            || rayon::join(|| self.owner.clone(), || self.subnets.clone()),
        );
        State {
            block: self.block,
            head: self.head,
            head_hash: self.head_hash,
            recent_hashes: self.recent_hashes.clone(),
            free: self.free.clone(),
            total_issuance: self.total_issuance,
            block_emission: self.block_emission,
            total_stake: self.total_stake,
            sudo_key: self.sudo_key,
            globals: self.globals.clone(),
            network_last_lock_cost: self.network_last_lock_cost,
            network_last_registered: self.network_last_registered,
            total_networks: self.total_networks,
            owner,
            stake,
            total_coldkey_stake: self.total_coldkey_stake.clone(),
            delegates: self.delegates.clone(),
            last_tx_block: self.last_tx_block.clone(),
            is_network_member,
            used_work: self.used_work.clone(),
            subnets,
            axons: self.axons.clone(),
            prometheus: self.prometheus.clone(),
            senate: self.senate.clone(),
            triumvirate: self.triumvirate.clone(),
            proposals: self.proposals.clone(),
            proposal_count: self.proposal_count,
        }
    }
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
        self.stake.get(h).and_then(|e| e.total).unwrap_or(0)
    }

    /// The `Stake` map of the rules: (hotkey, coldkey → stake), ascending hotkey.
    pub fn stake_maps_sorted(&self) -> Vec<(&AccountId, &SortedMap<AccountId, u64>)> {
        hotkey_stake::coldkey_maps(&self.stake)
    }

    /// `Stake[hotkey]` if the hotkey has that entry.
    pub fn stakes_of(&self, hotkey: &AccountId) -> Option<&SortedMap<AccountId, u64>> {
        self.stake.get(hotkey).and_then(|e| e.coldkeys.as_ref())
    }

    pub fn total_coldkey_stake(&self, c: &AccountId) -> u64 {
        self.total_coldkey_stake.get(c).copied().unwrap_or(0)
    }

    pub fn stake_of(&self, hotkey: &AccountId, coldkey: &AccountId) -> u64 {
        self.stakes_of(hotkey)
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
        self.free.values_unordered().sum()
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
        let stake: u64 = self
            .stake
            .values_unordered()
            .filter_map(|e| e.coldkeys.as_ref())
            .flat_map(|m| m.values())
            .sum();
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
        for (h, m) in self.stake_maps_sorted() {
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
