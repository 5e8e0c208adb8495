//! refdiff harness: runs histories exported by `tools/refdiff/refdiff.py` through the reference
//! chain's own pallet (opentensor/subtensor at f7b34e3ac8a3) and writes the state after every
//! block as JSON. `tools/refdiff/prepare.py` copies this file into a reference checkout as
//! `pallets/subtensor/tests/refdiff.rs`; it is not compiled as part of taostate.
//!
//! The runtime below has the shape of the reference's test mock but the parameters of the
//! reference's real runtime (`runtime/src/lib.rs`: the `SubtensorInitial*` constants,
//! existential deposit 500, System as the account store, a triumvirate collective whose
//! approved motions call `SubtensorModule::sudo`, a senate membership of at most 12).
//!
//!     REFDIFF_IN=histories.json REFDIFF_OUT=out.jsonl \
//!         cargo test --test refdiff -- --nocapture
//!
//! Input: `{"histories": [{"genesis": {...}, "blocks": [[call, ...], ...]}, ...]}` where a call
//! is `{"call": name, "origin": hex32, "sudo": bool, "args": [...]}` (accounts as 64 hex
//! digits, u128/u64 as decimal strings or numbers), or `{"call": "skip"}` for a transaction the
//! exporter decided the reference cannot express (the comparer accounts for it). Output: one
//! JSON line per history: `{"blocks": [{"block", "outcomes", "state"}, ...]}`, block 0 being
//! the genesis state; every map is keyed and sorted by string.

#![recursion_limit = "512"]

use frame_support::{
    dispatch::{Dispatchable, GetDispatchInfo},
    parameter_types,
    traits::{ConstU32, ConstU64, Everything, Hooks},
    weights::Weight,
};
use frame_system::{EnsureNever, EnsureRoot, RawOrigin};
use pallet_collective::MemberCount;
use serde_json::{json, Map, Value};
use sp_core::{Get, H256, U256};
use sp_runtime::{
    testing::Header,
    traits::{BlakeTwo256, Hash as HashT, IdentityLookup},
    DispatchError, DispatchResult,
};
use std::io::Write;

type UncheckedExtrinsic = frame_system::mocking::MockUncheckedExtrinsic<Test>;
type Block = frame_system::mocking::MockBlock<Test>;
type AccountId = U256;

frame_support::construct_runtime!(
    pub enum Test where
        Block = Block,
        NodeBlock = Block,
        UncheckedExtrinsic = UncheckedExtrinsic,
    {
        System: frame_system::{Pallet, Call, Config, Storage, Event<T>},
        Balances: pallet_balances::{Pallet, Call, Config<T>, Storage, Event<T>},
        SubtensorModule: pallet_subtensor::{Pallet, Call, Storage, Event<T>},
        Triumvirate: pallet_collective::<Instance1>::{Pallet, Call, Storage, Origin<T>, Event<T>, Config<T>},
        TriumvirateMembers: pallet_membership::<Instance1>::{Pallet, Call, Storage, Event<T>, Config<T>},
        SenateMembers: pallet_membership::<Instance2>::{Pallet, Call, Storage, Event<T>, Config<T>},
    }
);

parameter_types! {
    pub const BlockHashCount: u64 = 250;
}

impl frame_system::Config for Test {
    type BaseCallFilter = Everything;
    type BlockWeights = ();
    type BlockLength = ();
    type DbWeight = ();
    type RuntimeOrigin = RuntimeOrigin;
    type RuntimeCall = RuntimeCall;
    type Index = u64;
    type BlockNumber = u64;
    type Hash = H256;
    type Hashing = BlakeTwo256;
    type AccountId = U256;
    type Lookup = IdentityLookup<Self::AccountId>;
    type Header = Header;
    type RuntimeEvent = RuntimeEvent;
    type BlockHashCount = BlockHashCount;
    type Version = ();
    type PalletInfo = PalletInfo;
    type AccountData = pallet_balances::AccountData<u64>;
    type OnNewAccount = ();
    type OnKilledAccount = ();
    type SystemWeightInfo = ();
    type SS58Prefix = ();
    type OnSetCode = ();
    type MaxConsumers = ConstU32<16>;
}

// The real runtime: ED 500, System as the account store.
impl pallet_balances::Config for Test {
    type MaxLocks = ConstU32<50>;
    type MaxReserves = ();
    type ReserveIdentifier = [u8; 8];
    type Balance = u64;
    type RuntimeEvent = RuntimeEvent;
    type DustRemoval = ();
    type ExistentialDeposit = ConstU64<500>;
    type AccountStore = System;
    type WeightInfo = ();
}

parameter_types! {
    pub const CouncilMotionDuration: u64 = 3600; // 12 * HOURS at 12 s blocks
    pub const CouncilMaxProposals: u32 = 10;
    pub const CouncilMaxMembers: u32 = 3;
    pub const SenateMaxMembers: u32 = 12;
}

use pallet_collective::{CanPropose, CanVote, GetVotingMembers};
pub struct CanProposeToTriumvirate;
impl CanPropose<AccountId> for CanProposeToTriumvirate {
    fn can_propose(account: &AccountId) -> bool {
        Triumvirate::is_member(account)
    }
}
pub struct CanVoteToTriumvirate;
impl CanVote<AccountId> for CanVoteToTriumvirate {
    fn can_vote(_: &AccountId) -> bool {
        false
    }
}

use pallet_subtensor::{CollectiveInterface, MemberManagement};
pub struct ManageSenateMembers;
impl MemberManagement<AccountId> for ManageSenateMembers {
    fn add_member(account: &AccountId) -> DispatchResult {
        SenateMembers::add_member(RawOrigin::Root.into(), *account)
    }
    fn remove_member(account: &AccountId) -> DispatchResult {
        SenateMembers::remove_member(RawOrigin::Root.into(), *account)
    }
    fn swap_member(rm: &AccountId, add: &AccountId) -> DispatchResult {
        Triumvirate::remove_votes(rm)?;
        SenateMembers::swap_member(RawOrigin::Root.into(), *rm, *add)
    }
    fn is_member(account: &AccountId) -> bool {
        SenateMembers::members().contains(account)
    }
    fn members() -> Vec<AccountId> {
        SenateMembers::members().into()
    }
    fn max_members() -> u32 {
        SenateMaxMembers::get()
    }
}

pub struct GetSenateMemberCount;
impl GetVotingMembers<MemberCount> for GetSenateMemberCount {
    fn get_count() -> MemberCount {
        SenateMembers::members().len() as u32
    }
}
impl Get<MemberCount> for GetSenateMemberCount {
    fn get() -> MemberCount {
        SenateMaxMembers::get()
    }
}

pub struct TriumvirateVotes;
impl CollectiveInterface<AccountId, H256, u32> for TriumvirateVotes {
    fn remove_votes(hotkey: &AccountId) -> Result<bool, DispatchError> {
        Triumvirate::remove_votes(hotkey)
    }
    fn add_vote(hotkey: &AccountId, proposal: H256, index: u32, approve: bool) -> Result<bool, DispatchError> {
        Triumvirate::do_vote(*hotkey, proposal, index, approve)
    }
}

type EnsureMajoritySenate =
    pallet_collective::EnsureProportionMoreThan<AccountId, TriumvirateCollective, 1, 2>;

type TriumvirateCollective = pallet_collective::Instance1;
impl pallet_collective::Config<TriumvirateCollective> for Test {
    type RuntimeOrigin = RuntimeOrigin;
    type Proposal = RuntimeCall;
    type RuntimeEvent = RuntimeEvent;
    type MotionDuration = CouncilMotionDuration;
    type MaxProposals = CouncilMaxProposals;
    type MaxMembers = GetSenateMemberCount;
    type DefaultVote = pallet_collective::PrimeDefaultVote;
    type WeightInfo = pallet_collective::weights::SubstrateWeight<Test>;
    type SetMembersOrigin = EnsureNever<AccountId>;
    type CanPropose = CanProposeToTriumvirate;
    type CanVote = CanVoteToTriumvirate;
    type GetVotingMembers = GetSenateMemberCount;
}

impl pallet_membership::Config<pallet_membership::Instance1> for Test {
    type RuntimeEvent = RuntimeEvent;
    type AddOrigin = EnsureRoot<AccountId>;
    type RemoveOrigin = EnsureRoot<AccountId>;
    type SwapOrigin = EnsureRoot<AccountId>;
    type ResetOrigin = EnsureRoot<AccountId>;
    type PrimeOrigin = EnsureRoot<AccountId>;
    type MembershipInitialized = Triumvirate;
    type MembershipChanged = Triumvirate;
    type MaxMembers = CouncilMaxMembers;
    type WeightInfo = pallet_membership::weights::SubstrateWeight<Test>;
}

impl pallet_membership::Config<pallet_membership::Instance2> for Test {
    type RuntimeEvent = RuntimeEvent;
    type AddOrigin = EnsureRoot<AccountId>;
    type RemoveOrigin = EnsureRoot<AccountId>;
    type SwapOrigin = EnsureRoot<AccountId>;
    type ResetOrigin = EnsureRoot<AccountId>;
    type PrimeOrigin = EnsureRoot<AccountId>;
    type MembershipInitialized = ();
    type MembershipChanged = ();
    type MaxMembers = SenateMaxMembers;
    type WeightInfo = pallet_membership::weights::SubstrateWeight<Test>;
}

// The reference runtime's SubtensorInitial* constants (runtime/src/lib.rs).
parameter_types! {
    pub const SubtensorInitialRho: u16 = 10;
    pub const SubtensorInitialKappa: u16 = 32_767;
    pub const SubtensorInitialMaxAllowedUids: u16 = 4096;
    pub const SubtensorInitialIssuance: u64 = 0;
    pub const SubtensorInitialMinAllowedWeights: u16 = 1024;
    pub const SubtensorInitialEmissionValue: u16 = 0;
    pub const SubtensorInitialMaxWeightsLimit: u16 = 1000;
    pub const SubtensorInitialValidatorPruneLen: u64 = 1;
    pub const SubtensorInitialScalingLawPower: u16 = 50;
    pub const SubtensorInitialMaxAllowedValidators: u16 = 128;
    pub const SubtensorInitialTempo: u16 = 99;
    pub const SubtensorInitialDifficulty: u64 = 10_000_000;
    pub const SubtensorInitialAdjustmentInterval: u16 = 100;
    pub const SubtensorInitialAdjustmentAlpha: u64 = 0;
    pub const SubtensorInitialTargetRegistrationsPerInterval: u16 = 2;
    pub const SubtensorInitialImmunityPeriod: u16 = 4096;
    pub const SubtensorInitialActivityCutoff: u16 = 5000;
    pub const SubtensorInitialMaxRegistrationsPerBlock: u16 = 1;
    pub const SubtensorInitialPruningScore : u16 = u16::MAX;
    pub const SubtensorInitialBondsMovingAverage: u64 = 900_000;
    pub const SubtensorInitialDefaultTake: u16 = 11_796;
    pub const SubtensorInitialWeightsVersionKey: u64 = 0;
    pub const SubtensorInitialMinDifficulty: u64 = 10_000_000;
    pub const SubtensorInitialMaxDifficulty: u64 = u64::MAX / 4;
    pub const SubtensorInitialServingRateLimit: u64 = 50;
    pub const SubtensorInitialBurn: u64 = 1_000_000_000;
    pub const SubtensorInitialMinBurn: u64 = 1_000_000_000;
    pub const SubtensorInitialMaxBurn: u64 = 100_000_000_000;
    pub const SubtensorInitialTxRateLimit: u64 = 1000;
    pub const SubtensorInitialRAORecycledForRegistration: u64 = 0;
    pub const SubtensorInitialSenateRequiredStakePercentage: u64 = 1;
    pub const SubtensorInitialNetworkImmunity: u64 = 7 * 7200;
    pub const SubtensorInitialMinAllowedUids: u16 = 128;
    pub const SubtensorInitialMinLockCost: u64 = 1_000_000_000_000;
    pub const SubtensorInitialSubnetOwnerCut: u16 = 11_796;
    pub const SubtensorInitialSubnetLimit: u16 = 12;
    pub const SubtensorInitialNetworkLockReductionInterval: u64 = 14 * 7200;
    pub const SubtensorInitialNetworkRateLimit: u64 = 7200;
}

impl pallet_subtensor::Config for Test {
    type RuntimeEvent = RuntimeEvent;
    type SudoRuntimeCall = RuntimeCall;
    type Currency = Balances;
    type CouncilOrigin = EnsureMajoritySenate;
    type SenateMembers = ManageSenateMembers;
    type TriumvirateInterface = TriumvirateVotes;
    type InitialRho = SubtensorInitialRho;
    type InitialKappa = SubtensorInitialKappa;
    type InitialMaxAllowedUids = SubtensorInitialMaxAllowedUids;
    type InitialBondsMovingAverage = SubtensorInitialBondsMovingAverage;
    type InitialIssuance = SubtensorInitialIssuance;
    type InitialMinAllowedWeights = SubtensorInitialMinAllowedWeights;
    type InitialEmissionValue = SubtensorInitialEmissionValue;
    type InitialMaxWeightsLimit = SubtensorInitialMaxWeightsLimit;
    type InitialValidatorPruneLen = SubtensorInitialValidatorPruneLen;
    type InitialScalingLawPower = SubtensorInitialScalingLawPower;
    type InitialTempo = SubtensorInitialTempo;
    type InitialDifficulty = SubtensorInitialDifficulty;
    type InitialAdjustmentInterval = SubtensorInitialAdjustmentInterval;
    type InitialAdjustmentAlpha = SubtensorInitialAdjustmentAlpha;
    type InitialTargetRegistrationsPerInterval = SubtensorInitialTargetRegistrationsPerInterval;
    type InitialImmunityPeriod = SubtensorInitialImmunityPeriod;
    type InitialActivityCutoff = SubtensorInitialActivityCutoff;
    type InitialMaxRegistrationsPerBlock = SubtensorInitialMaxRegistrationsPerBlock;
    type InitialPruningScore = SubtensorInitialPruningScore;
    type InitialMaxAllowedValidators = SubtensorInitialMaxAllowedValidators;
    type InitialDefaultTake = SubtensorInitialDefaultTake;
    type InitialWeightsVersionKey = SubtensorInitialWeightsVersionKey;
    type InitialMaxDifficulty = SubtensorInitialMaxDifficulty;
    type InitialMinDifficulty = SubtensorInitialMinDifficulty;
    type InitialServingRateLimit = SubtensorInitialServingRateLimit;
    type InitialBurn = SubtensorInitialBurn;
    type InitialMaxBurn = SubtensorInitialMaxBurn;
    type InitialMinBurn = SubtensorInitialMinBurn;
    type InitialTxRateLimit = SubtensorInitialTxRateLimit;
    type InitialRAORecycledForRegistration = SubtensorInitialRAORecycledForRegistration;
    type InitialSenateRequiredStakePercentage = SubtensorInitialSenateRequiredStakePercentage;
    type InitialNetworkImmunityPeriod = SubtensorInitialNetworkImmunity;
    type InitialNetworkMinAllowedUids = SubtensorInitialMinAllowedUids;
    type InitialNetworkMinLockCost = SubtensorInitialMinLockCost;
    type InitialNetworkLockReductionInterval = SubtensorInitialNetworkLockReductionInterval;
    type InitialSubnetOwnerCut = SubtensorInitialSubnetOwnerCut;
    type InitialSubnetLimit = SubtensorInitialSubnetLimit;
    type InitialNetworkRateLimit = SubtensorInitialNetworkRateLimit;
}

use pallet_subtensor::Call as SCall;

// ------------------------------------------------------------------------------------------ //
// JSON helpers

fn acct(v: &Value) -> AccountId {
    let s = v.as_str().expect("account: hex string");
    let bytes: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect();
    assert_eq!(bytes.len(), 32, "account: 32 bytes");
    U256::from_big_endian(&bytes)
}

fn hex_of(a: &AccountId) -> String {
    let mut b = [0u8; 32];
    a.to_big_endian(&mut b);
    b.iter().map(|x| format!("{:02x}", x)).collect()
}

fn h256(v: &Value) -> H256 {
    let s = v.as_str().expect("hash: hex string");
    let bytes: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect();
    H256::from_slice(&bytes)
}

fn int(v: &Value) -> u128 {
    match v {
        Value::String(s) => s.parse().expect("integer string"),
        Value::Number(n) => n.as_u64().expect("u64") as u128,
        Value::Bool(b) => *b as u128,
        _ => panic!("integer expected, got {v}"),
    }
}

fn u64a(a: &[Value], i: usize) -> u64 {
    int(&a[i]) as u64
}
fn u16a(a: &[Value], i: usize) -> u16 {
    int(&a[i]) as u16
}
fn u16s(v: &Value) -> Vec<u16> {
    v.as_array().expect("list").iter().map(|x| int(x) as u16).collect()
}

// ------------------------------------------------------------------------------------------ //
// calls

/// Harness-side state a history carries between blocks: the sudo key (pallet-sudo is not in
/// the pallet under test; `Sudo` calls from the key run with the Root origin) and the map from
/// taostate proposal hashes to the reference's (deviation D-proposal-hash).
struct Ctx {
    sudo: AccountId,
    hashes: Vec<(H256, H256)>,
}

impl Ctx {
    fn map_hash(&self, h: H256) -> H256 {
        self.hashes.iter().find(|(t, _)| *t == h).map(|(_, r)| *r).unwrap_or(h)
    }
}

fn build(c: &Value, ctx: &Ctx) -> RuntimeCall {
    let name = c["call"].as_str().expect("call name");
    let a: &[Value] = c["args"].as_array().map(|v| v.as_slice()).unwrap_or(&[]);
    let s = |call: SCall<Test>| RuntimeCall::SubtensorModule(call);
    match name {
        "transfer" => RuntimeCall::Balances(pallet_balances::Call::transfer { dest: acct(&a[0]), value: u64a(a, 1) }),
        "add_stake" => s(SCall::add_stake { hotkey: acct(&a[0]), amount_staked: u64a(a, 1) }),
        "remove_stake" => s(SCall::remove_stake { hotkey: acct(&a[0]), amount_unstaked: u64a(a, 1) }),
        "become_delegate" => s(SCall::become_delegate { hotkey: acct(&a[0]) }),
        "register_network" => s(SCall::register_network {}),
        "dissolve_network" => s(SCall::dissolve_network { netuid: u16a(a, 0) }),
        "burned_register" => s(SCall::burned_register { netuid: u16a(a, 0), hotkey: acct(&a[1]) }),
        "sudo_register" => s(SCall::sudo_register {
            netuid: u16a(a, 0), hotkey: acct(&a[1]), coldkey: acct(&a[2]), stake: u64a(a, 3), balance: u64a(a, 4),
        }),
        "root_register" => s(SCall::root_register { hotkey: acct(&a[0]) }),
        "set_weights" => s(SCall::set_weights {
            netuid: u16a(a, 0), dests: u16s(&a[1]), weights: u16s(&a[2]), version_key: u64a(a, 3),
        }),
        "serve_axon" => s(SCall::serve_axon {
            netuid: u16a(a, 0), version: int(&a[1]) as u32, ip: int(&a[2]), port: u16a(a, 3),
            ip_type: int(&a[4]) as u8, protocol: int(&a[5]) as u8, placeholder1: int(&a[6]) as u8,
            placeholder2: int(&a[7]) as u8,
        }),
        "serve_prometheus" => s(SCall::serve_prometheus {
            netuid: u16a(a, 0), version: int(&a[1]) as u32, ip: int(&a[2]), port: u16a(a, 3), ip_type: int(&a[4]) as u8,
        }),
        "vote" => s(SCall::vote { hotkey: acct(&a[0]), proposal: ctx.map_hash(h256(&a[1])), index: int(&a[2]) as u32, approve: int(&a[3]) != 0 }),
        "close" => RuntimeCall::Triumvirate(pallet_collective::Call::close {
            proposal_hash: ctx.map_hash(h256(&a[0])), index: int(&a[1]) as u32,
            proposal_weight_bound: Weight::from_parts(u64::MAX / 4, u64::MAX / 4), length_bound: u32::MAX,
        }),
        "sudo_disapprove_proposal" => RuntimeCall::Triumvirate(pallet_collective::Call::disapprove_proposal { proposal_hash: ctx.map_hash(h256(&a[0])) }),
        "sudo_triumvirate_add_member" => RuntimeCall::TriumvirateMembers(pallet_membership::Call::add_member { who: acct(&a[0]) }),
        "sudo_triumvirate_remove_member" => RuntimeCall::TriumvirateMembers(pallet_membership::Call::remove_member { who: acct(&a[0]) }),
        "sudo_triumvirate_swap_member" => RuntimeCall::TriumvirateMembers(pallet_membership::Call::swap_member { remove: acct(&a[0]), add: acct(&a[1]) }),
        "sudo_senate_add_member" => RuntimeCall::SenateMembers(pallet_membership::Call::add_member { who: acct(&a[0]) }),
        "sudo_senate_remove_member" => RuntimeCall::SenateMembers(pallet_membership::Call::remove_member { who: acct(&a[0]) }),
        "propose" => {
            let inner = build(&c["inner"], ctx);
            let motion = s(SCall::sudo { call: Box::new(inner) });
            RuntimeCall::Triumvirate(pallet_collective::Call::propose {
                proposal: Box::new(motion), length_bound: u32::MAX, duration: u64a(a, 0),
            })
        }
        other => setter(other, a).unwrap_or_else(|| panic!("unknown call {other}")),
    }
}

fn setter(name: &str, a: &[Value]) -> Option<RuntimeCall> {
    let n = || u16a(a, 0);
    let v64 = || u64a(a, 1);
    let v16 = || u16a(a, 1);
    let vb = || int(&a[1]) != 0;
    let g64 = || u64a(a, 0);
    let g16 = || u16a(a, 0);
    let call = match name {
        "sudo_set_default_take" => SCall::sudo_set_default_take { default_take: g16() },
        "sudo_set_tx_rate_limit" => SCall::sudo_set_tx_rate_limit { tx_rate_limit: g64() },
        "sudo_set_subnet_owner_cut" => SCall::sudo_set_subnet_owner_cut { cut: g16() },
        "sudo_set_network_rate_limit" => SCall::sudo_set_network_rate_limit { rate_limit: g64() },
        "sudo_set_network_immunity_period" => SCall::sudo_set_network_immunity_period { immunity_period: g64() },
        "sudo_set_network_min_lock_cost" => SCall::sudo_set_network_min_lock_cost { lock_cost: g64() },
        "sudo_set_subnet_limit" => SCall::sudo_set_subnet_limit { max_subnets: g16() },
        "sudo_set_lock_reduction_interval" => SCall::sudo_set_lock_reduction_interval { interval: g64() },
        "sudo_set_serving_rate_limit" => SCall::sudo_set_serving_rate_limit { netuid: n(), serving_rate_limit: v64() },
        "sudo_set_max_burn" => SCall::sudo_set_max_burn { netuid: n(), max_burn: v64() },
        "sudo_set_min_burn" => SCall::sudo_set_min_burn { netuid: n(), min_burn: v64() },
        "sudo_set_max_difficulty" => SCall::sudo_set_max_difficulty { netuid: n(), max_difficulty: v64() },
        "sudo_set_min_difficulty" => SCall::sudo_set_min_difficulty { netuid: n(), min_difficulty: v64() },
        "sudo_set_weights_set_rate_limit" => SCall::sudo_set_weights_set_rate_limit { netuid: n(), weights_set_rate_limit: v64() },
        "sudo_set_weights_version_key" => SCall::sudo_set_weights_version_key { netuid: n(), weights_version_key: v64() },
        "sudo_set_bonds_moving_average" => SCall::sudo_set_bonds_moving_average { netuid: n(), bonds_moving_average: v64() },
        "sudo_set_max_allowed_validators" => SCall::sudo_set_max_allowed_validators { netuid: n(), max_allowed_validators: v16() },
        "sudo_set_difficulty" => SCall::sudo_set_difficulty { netuid: n(), difficulty: v64() },
        "sudo_set_adjustment_interval" => SCall::sudo_set_adjustment_interval { netuid: n(), adjustment_interval: v16() },
        "sudo_set_target_registrations_per_interval" => SCall::sudo_set_target_registrations_per_interval { netuid: n(), target_registrations_per_interval: v16() },
        "sudo_set_activity_cutoff" => SCall::sudo_set_activity_cutoff { netuid: n(), activity_cutoff: v16() },
        "sudo_set_rho" => SCall::sudo_set_rho { netuid: n(), rho: v16() },
        "sudo_set_kappa" => SCall::sudo_set_kappa { netuid: n(), kappa: v16() },
        "sudo_set_max_allowed_uids" => SCall::sudo_set_max_allowed_uids { netuid: n(), max_allowed_uids: v16() },
        "sudo_set_min_allowed_weights" => SCall::sudo_set_min_allowed_weights { netuid: n(), min_allowed_weights: v16() },
        "sudo_set_validator_prune_len" => SCall::sudo_set_validator_prune_len { netuid: n(), validator_prune_len: v64() },
        "sudo_set_scaling_law_power" => SCall::sudo_set_scaling_law_power { netuid: n(), scaling_law_power: v16() },
        "sudo_set_immunity_period" => SCall::sudo_set_immunity_period { netuid: n(), immunity_period: v16() },
        "sudo_set_max_weight_limit" => SCall::sudo_set_max_weight_limit { netuid: n(), max_weight_limit: v16() },
        "sudo_set_max_registrations_per_block" => SCall::sudo_set_max_registrations_per_block { netuid: n(), max_registrations_per_block: v16() },
        "sudo_set_tempo" => SCall::sudo_set_tempo { netuid: n(), tempo: v16() },
        "sudo_set_rao_recycled" => SCall::sudo_set_rao_recycled { netuid: n(), rao_recycled: v64() },
        "sudo_set_registration_allowed" => SCall::sudo_set_registration_allowed { netuid: n(), registration_allowed: vb() },
        "sudo_set_network_pow_registration_allowed" => SCall::sudo_set_network_pow_registration_allowed { netuid: n(), registration_allowed: vb() },
        "sudo_set_adjustment_alpha" => SCall::sudo_set_adjustment_alpha { netuid: n(), adjustment_alpha: v64() },
        _ => return None,
    };
    Some(RuntimeCall::SubtensorModule(call))
}

fn error_name(e: DispatchError) -> String {
    match e {
        DispatchError::Module(m) => m.message.unwrap_or("?").to_string(),
        DispatchError::BadOrigin => "BadOrigin".into(),
        other => format!("{:?}", other),
    }
}

fn run_call(c: &Value, ctx: &mut Ctx) -> String {
    let name = c["call"].as_str().expect("call name");
    if name == "skip" {
        return "skip".into();
    }
    let who = acct(&c["origin"]);
    if name == "sudo_set_key" {
        if who != ctx.sudo {
            return "err:BadOrigin".into();
        }
        ctx.sudo = acct(&c["args"][0]);
        return "ok".into();
    }
    let call = build(c, ctx);
    let proposal_hash = match &call {
        RuntimeCall::Triumvirate(pallet_collective::Call::propose { proposal, .. }) => {
            Some(BlakeTwo256::hash_of(proposal.as_ref()))
        }
        _ => None,
    };
    let _ = call.get_dispatch_info();
    let origin: RuntimeOrigin = if c["sudo"].as_bool().unwrap_or(false) && who == ctx.sudo {
        RawOrigin::Root.into()
    } else {
        RawOrigin::Signed(who).into()
    };
    match call.dispatch(origin) {
        Ok(_) => {
            if let (Some(r), Some(t)) = (proposal_hash, c.get("ts_hash")) {
                ctx.hashes.push((h256(t), r));
            }
            "ok".into()
        }
        Err(e) => format!("err:{}", error_name(e.error)),
    }
}

// ------------------------------------------------------------------------------------------ //
// state

fn uvec<T: Into<Value> + Clone>(v: Vec<T>) -> Value {
    Value::Array(v.into_iter().map(Into::into).collect())
}

/// A storage value the pallet keeps private (`pub(super)`), read by its key: every map read
/// here uses the `Identity` hasher, so the key is the prefix followed by the encoded keys.
fn raw<V: codec::Decode>(item: &[u8], keys: &[u16]) -> Option<V> {
    let mut key = frame_support::storage::storage_prefix(b"SubtensorModule", item).to_vec();
    for k in keys {
        key.extend_from_slice(&k.to_le_bytes());
    }
    frame_support::storage::unhashed::get::<V>(&key)
}

/// pallet-collective's `Votes` (private fields), read through its encoding.
#[derive(codec::Decode)]
struct VotesMirror {
    index: u32,
    threshold: u32,
    ayes: Vec<AccountId>,
    nays: Vec<AccountId>,
    end: u64,
}
use codec::Decode;

fn state() -> Value {
    use pallet_subtensor::*;
    type S = Pallet<Test>;
    let mut free = Map::new();
    for (a, info) in frame_system::Account::<Test>::iter() {
        if info.data.free != 0 {
            free.insert(hex_of(&a), json!(info.data.free));
        }
    }
    let mut stake = Map::new();
    for (h, c, v) in Stake::<Test>::iter() {
        if v != 0 {
            stake.insert(format!("{}/{}", hex_of(&h), hex_of(&c)), json!(v));
        }
    }
    let mut owners = Map::new();
    for (h, c) in Owner::<Test>::iter() {
        owners.insert(hex_of(&h), json!(hex_of(&c)));
    }
    let mut delegates = Map::new();
    for (h, t) in Delegates::<Test>::iter() {
        delegates.insert(hex_of(&h), json!(t));
    }
    let mut subnets = Map::new();
    let mut netuids: Vec<u16> = NetworksAdded::<Test>::iter().filter(|(_, v)| *v).map(|(k, _)| k).collect();
    netuids.sort();
    for netuid in netuids {
        let n = SubnetworkN::<Test>::get(netuid);
        let mut keys = Vec::new();
        let mut weights = Vec::new();
        let mut bonds = Vec::new();
        let mut reg = Vec::new();
        for uid in 0..n {
            keys.push(json!(hex_of(&raw::<AccountId>(b"Keys", &[netuid, uid]).unwrap_or_default())));
            weights.push(json!(raw::<Vec<(u16, u16)>>(b"Weights", &[netuid, uid]).unwrap_or_default()));
            bonds.push(json!(raw::<Vec<(u16, u16)>>(b"Bonds", &[netuid, uid]).unwrap_or_default()));
            reg.push(json!(BlockAtRegistration::<Test>::get(netuid, uid)));
        }
        let loaded: Vec<Value> = raw::<Vec<(AccountId, u64, u64)>>(b"LoadedEmission", &[netuid])
            .unwrap_or_default()
            .into_iter()
            .map(|(h, s, v)| json!([hex_of(&h), s, v]))
            .collect();
        let owner = if SubnetOwner::<Test>::contains_key(netuid) {
            json!(hex_of(&SubnetOwner::<Test>::get(netuid)))
        } else {
            Value::Null
        };
        subnets.insert(format!("{:05}", netuid), json!({
            "n": n, "keys": keys, "weights": weights, "bonds": bonds, "block_at_registration": reg,
            "active": uvec(S::get_active(netuid)), "rank": uvec(S::get_rank(netuid)),
            "trust": uvec(S::get_trust(netuid)), "consensus": uvec(S::get_consensus(netuid)),
            "incentive": uvec(S::get_incentive(netuid)), "dividends": uvec(S::get_dividends(netuid)),
            "emission": uvec(S::get_emission(netuid)), "last_update": uvec(S::get_last_update(netuid)),
            "pruning_scores": uvec(S::get_pruning_score(netuid)),
            "validator_trust": uvec(S::get_validator_trust(netuid)),
            "validator_permit": uvec(S::get_validator_permit(netuid)),
            "loaded_emission": loaded,
            "pending_emission": PendingEmission::<Test>::get(netuid),
            "emission_value": EmissionValues::<Test>::get(netuid),
            "blocks_since_last_step": BlocksSinceLastStep::<Test>::get(netuid),
            "last_mechanism_step_block": LastMechansimStepBlock::<Test>::get(netuid),
            "last_adjustment_block": LastAdjustmentBlock::<Test>::get(netuid),
            "registrations_this_block": RegistrationsThisBlock::<Test>::get(netuid),
            "registrations_this_interval": RegistrationsThisInterval::<Test>::get(netuid),
            "pow_registrations_this_interval": POWRegistrationsThisInterval::<Test>::get(netuid),
            "burn_registrations_this_interval": BurnRegistrationsThisInterval::<Test>::get(netuid),
            "owner": owner, "locked": SubnetLocked::<Test>::get(netuid),
            "registered_at": NetworkRegisteredAt::<Test>::get(netuid),
            "modality": NetworkModality::<Test>::get(netuid),
            "tempo": Tempo::<Test>::get(netuid), "kappa": Kappa::<Test>::get(netuid), "rho": Rho::<Test>::get(netuid),
            "bonds_moving_average": BondsMovingAverage::<Test>::get(netuid),
            "max_allowed_uids": MaxAllowedUids::<Test>::get(netuid),
            "max_allowed_validators": MaxAllowedValidators::<Test>::get(netuid),
            "min_allowed_weights": MinAllowedWeights::<Test>::get(netuid),
            "max_weights_limit": MaxWeightsLimit::<Test>::get(netuid),
            "activity_cutoff": ActivityCutoff::<Test>::get(netuid),
            "immunity_period": ImmunityPeriod::<Test>::get(netuid),
            "weights_set_rate_limit": WeightsSetRateLimit::<Test>::get(netuid),
            "weights_version_key": WeightsVersionKey::<Test>::get(netuid),
            "serving_rate_limit": ServingRateLimit::<Test>::get(netuid),
            "max_registrations_per_block": MaxRegistrationsPerBlock::<Test>::get(netuid),
            "target_registrations_per_interval": TargetRegistrationsPerInterval::<Test>::get(netuid),
            "adjustment_interval": AdjustmentInterval::<Test>::get(netuid),
            "adjustment_alpha": AdjustmentAlpha::<Test>::get(netuid),
            "burn": Burn::<Test>::get(netuid), "min_burn": MinBurn::<Test>::get(netuid), "max_burn": MaxBurn::<Test>::get(netuid),
            "difficulty": Difficulty::<Test>::get(netuid),
            "min_difficulty": MinDifficulty::<Test>::get(netuid), "max_difficulty": MaxDifficulty::<Test>::get(netuid),
            "network_registration_allowed": NetworkRegistrationAllowed::<Test>::get(netuid),
            "network_pow_registration_allowed": NetworkPowRegistrationAllowed::<Test>::get(netuid),
            "validator_prune_len": ValidatorPruneLen::<Test>::get(netuid),
            "scaling_law_power": ScalingLawPower::<Test>::get(netuid),
            "rao_recycled_for_registration": RAORecycledForRegistration::<Test>::get(netuid),
        }));
    }
    // The price a register_network would pay in the next block (what taostate's lock_cost()
    // reports after sealing block b).
    let b = System::block_number();
    System::set_block_number(b + 1);
    let lock_cost_next = S::get_network_lock_cost();
    System::set_block_number(b);
    let proposals: Vec<Value> = Triumvirate::proposals()
        .into_iter()
        .map(|h| {
            let v = Triumvirate::voting(h).expect("voting of an open proposal");
            let v = VotesMirror::decode(&mut &codec::Encode::encode(&v)[..]).expect("votes");
            json!({"index": v.index, "threshold": v.threshold,
                   "ayes": v.ayes.iter().map(hex_of).collect::<Vec<_>>(),
                   "nays": v.nays.iter().map(hex_of).collect::<Vec<_>>(), "end": v.end})
        })
        .collect();
    json!({
        "free": free, "stake": stake, "owners": owners, "delegates": delegates, "subnets": subnets,
        "total_stake": TotalStake::<Test>::get(), "total_issuance": TotalIssuance::<Test>::get(),
        "block_emission": BlockEmission::<Test>::get(), "total_networks": TotalNetworks::<Test>::get(),
        "senate": SenateMembers::members().iter().map(hex_of).collect::<Vec<_>>(),
        "triumvirate": Triumvirate::members().iter().map(hex_of).collect::<Vec<_>>(),
        "proposals": proposals,
        "network_last_lock_cost": NetworkLastLockCost::<Test>::get(),
        "network_last_registered": NetworkLastRegistered::<Test>::get(),
        "lock_cost": lock_cost_next,
    })
}

// ------------------------------------------------------------------------------------------ //
// genesis and blocks

fn genesis(g: &Value) -> Ctx {
    // The root network as the reference created it (its migration), i.e. docs/ruleset.md §9.5.
    pallet_subtensor::migration::migrate_create_root_network::<Test>();
    let root = || -> RuntimeOrigin { RawOrigin::Root.into() };
    for entry in g["balances"].as_array().expect("balances") {
        let who = acct(&entry[0]);
        let v = int(&entry[1]) as u64;
        Balances::set_balance(root(), who, v, 0).expect("genesis balance");
    }
    pallet_subtensor::TotalIssuance::<Test>::put(Balances::total_issuance());
    for m in g["triumvirate"].as_array().expect("triumvirate") {
        TriumvirateMembers::add_member(root(), acct(m)).expect("genesis triumvirate");
    }
    if let Some(params) = g["params"].as_array() {
        for p in params {
            let call = setter(p["call"].as_str().expect("setter"), p["args"].as_array().expect("args"))
                .expect("genesis setter");
            call.dispatch(root()).expect("genesis parameter");
        }
    }
    Ctx { sudo: acct(&g["sudo"]), hashes: Vec::new() }
}

fn run_history(h: &Value) -> Value {
    let mut ext: sp_io::TestExternalities =
        frame_system::GenesisConfig::default().build_storage::<Test>().unwrap().into();
    ext.execute_with(|| {
        System::set_block_number(0);
        let mut ctx = genesis(&h["genesis"]);
        let mut out = vec![json!({"block": 0, "outcomes": [], "state": state()})];
        for (i, txs) in h["blocks"].as_array().expect("blocks").iter().enumerate() {
            let b = i as u64 + 1;
            // The reference order: finalize the previous block, open block b, run its hooks.
            SubtensorModule::on_finalize(b - 1);
            System::on_finalize(b - 1);
            System::reset_events();
            System::set_block_number(b);
            System::on_initialize(b);
            Triumvirate::on_initialize(b);
            SubtensorModule::on_initialize(b);
            let outcomes: Vec<String> = txs.as_array().expect("txs").iter().map(|c| run_call(c, &mut ctx)).collect();
            out.push(json!({"block": b, "outcomes": outcomes, "state": state()}));
        }
        json!({"blocks": out})
    })
}

#[test]
fn refdiff() {
    let (Ok(input), Ok(output)) = (std::env::var("REFDIFF_IN"), std::env::var("REFDIFF_OUT")) else {
        eprintln!("refdiff: set REFDIFF_IN and REFDIFF_OUT to run histories");
        return;
    };
    let text = std::fs::read_to_string(&input).expect("REFDIFF_IN");
    let doc: Value = serde_json::from_str(&text).expect("history JSON");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&output).expect("REFDIFF_OUT"));
    let histories = doc["histories"].as_array().expect("histories");
    for h in histories {
        // A panic inside the reference (e.g. an arithmetic overflow check) is an outcome too.
        let r = std::panic::catch_unwind(|| run_history(h)).unwrap_or_else(|e| {
            let msg = e.downcast_ref::<String>().cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            json!({"panic": msg})
        });
        writeln!(out, "{}", r).expect("write");
    }
    eprintln!("refdiff: {} histories -> {}", histories.len(), output);
}
