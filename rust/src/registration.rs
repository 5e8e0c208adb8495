//! Neuron registration (docs/ruleset.md §8): the per-block burn / difficulty adjustment (A1, §8.8) and
//! the registration transactions — `burned_register` (§8.2), POW `register` (§8.3),
//! `sudo_register` (§8.5) and `root_register` (§8.6) — with the common checks (§8.1),
//! create-account, uid append / replacement with `neuron_to_prune` (§8.4) and the counters (§8.7).
//!
//! Owns `Owner` creation, `Keys`/`Uids`/`BlockAtRegistration`, the growth of every per-uid
//! vector (kept at length n: weights and bonds rows included), `IsNetworkMember` writes, the
//! registration counters (u16, saturating), `RAORecycledForRegistration`, `UsedWork`, and the
//! senate seats filled by root registration. A rejected registration changes nothing: each
//! transaction decides everything (including its `Slot`) before its first write.

use crate::balances;
use crate::collective::{self, senate_insert};
use crate::error::{ensure, ensure_with, ChainError, Result, RuleError};
use crate::events::{Event, Events};
use crate::fixedpoint::{i110_to_u64, I110F18};
use crate::pow;
use crate::staking;
use crate::state::{
    AccountId, Hash, State, Subnet, POW_WINDOW, ROOT_DELEGATE_TAKE, ROOT_NETUID, SENATE_MAX, S_MAX,
};

/// Inputs of `adjust_registration_terms` besides the current burn and difficulty.
#[derive(Clone, Copy, Debug)]
pub struct AdjustInput {
    pub registrations: u16,
    pub pow_registrations: u16,
    pub burn_registrations: u16,
    pub target: u16,
    pub adjustment_alpha: u64,
    pub min_burn: u64,
    pub max_burn: u64,
    pub min_difficulty: u64,
    pub max_difficulty: u64,
}

/// `adjust(x, min, max)` of docs/ruleset.md §8.8 in I110F18.
fn adjust(x: u64, min: u64, max: u64, a: &AdjustInput) -> u64 {
    let reg = a.registrations as u32;
    let t = a.target as u32;
    let ix = I110F18::from_num(x);
    let upd = (ix * I110F18::from_num(reg + t)) / I110F18::from_num(2 * t);
    let alpha = I110F18::from_num(a.adjustment_alpha) / I110F18::from_num(u64::MAX);
    let next = alpha * ix + (I110F18::from_num(1) - alpha) * upd;
    if next >= I110F18::from_num(max) {
        max
    } else if next <= I110F18::from_num(min) {
        min
    } else {
        i110_to_u64(next)
    }
}

/// The six cases of docs/ruleset.md §8.8. Returns the new (burn, difficulty).
pub fn adjust_registration_terms(
    burn: u64,
    difficulty: u64,
    a: &AdjustInput,
) -> Result<(u64, u64)> {
    if a.target == 0 {
        return Err(ChainError::InvalidArgument(
            "target must be at least 1 (TargetRegistrationsPerInterval ≥ 1)".into(),
        ));
    }
    let over = a.registrations > a.target;
    let (pow, brn) = (a.pow_registrations, a.burn_registrations);
    let (adj_burn, adj_diff) = match (over, pow.cmp(&brn)) {
        (true, std::cmp::Ordering::Greater) => (false, true), // A
        (true, std::cmp::Ordering::Less) => (true, false),    // B
        (true, std::cmp::Ordering::Equal) => (true, true),    // F
        (false, std::cmp::Ordering::Greater) => (true, false), // C
        (false, std::cmp::Ordering::Less) => (false, true),   // D
        (false, std::cmp::Ordering::Equal) => (true, true),   // E
    };
    let b = if adj_burn {
        adjust(burn, a.min_burn, a.max_burn, a)
    } else {
        burn
    };
    let d = if adj_diff {
        adjust(difficulty, a.min_difficulty, a.max_difficulty, a)
    } else {
        difficulty
    };
    Ok((b, d))
}

/// A1 of the block step for every existing netuid (ascending, root included).
pub fn adjust_all(state: &mut State, ev: &mut Events) {
    let b = state.block;
    // Every block: the subnets in place (ascending netuid), without a lookup per netuid.
    for (&netuid, sub) in state.subnets.iter_mut().filter(|(_, s)| s.added) {
        let p = &sub.params;
        if b.saturating_sub(sub.last_adjustment_block) >= p.adjustment_interval as u64 {
            let input = AdjustInput {
                registrations: sub.registrations_this_interval,
                pow_registrations: sub.pow_registrations_this_interval,
                burn_registrations: sub.burn_registrations_this_interval,
                target: p.target_registrations_per_interval.max(1),
                adjustment_alpha: p.adjustment_alpha,
                min_burn: p.min_burn,
                max_burn: p.max_burn,
                min_difficulty: p.min_difficulty,
                max_difficulty: p.max_difficulty,
            };
            // target ≥ 1 is enforced by the setter and the defaults, so this cannot fail.
            if let Ok((burn, difficulty)) = adjust_registration_terms(p.burn, p.difficulty, &input)
            {
                sub.params.burn = burn;
                sub.params.difficulty = difficulty;
                ev.emit(|| {
                    Event::new("RegistrationTermsAdjusted")
                        .u("netuid", netuid)
                        .u("burn", burn)
                        .u("difficulty", difficulty)
                });
            }
            sub.last_adjustment_block = b;
            sub.registrations_this_interval = 0;
            sub.pow_registrations_this_interval = 0;
            sub.burn_registrations_this_interval = 0;
        }
        sub.registrations_this_block = 0;
    }
}

// ---------------------------------------------------------------------------------------------
// Registration transactions (docs/ruleset.md §8.1–§8.7).
//
// Every transaction is split into a check phase that reads the state and decides everything
// (including where the hotkey goes, `Slot`) and an effect phase that cannot fail on a rule.
// Steps that "act" before a later check (create-account, the unstake of a replaced root hotkey
// seen by the senate rule) are evaluated on their hypothetical result during the checks.
// ---------------------------------------------------------------------------------------------

/// The two neuron-registration paths of §8.1 (check C3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RegPath {
    Burn,
    Pow,
}

/// C4 and C5 of §8.1 (also steps 1–2 of `root_register`). `3·T` is computed in u32 (§0.1).
fn check_registration_limits(sub: &Subnet) -> Result<()> {
    let p = &sub.params;
    ensure_with(
        sub.registrations_this_block < p.max_registrations_per_block,
        || {
            RuleError::TooManyRegistrationsThisBlock
                .available(sub.registrations_this_block as u64)
                .limit(p.max_registrations_per_block as u64)
        },
    )?;
    let interval_limit = 3 * p.target_registrations_per_interval as u32;
    ensure_with(
        (sub.registrations_this_interval as u32) < interval_limit,
        || {
            RuleError::TooManyRegistrationsThisInterval
                .available(sub.registrations_this_interval as u64)
                .limit(interval_limit as u64)
        },
    )
}

/// C1–C6 of docs/ruleset.md §8.1 for the burn and POW paths; returns the subnet.
fn common_checks<'a>(
    s: &'a State,
    netuid: u16,
    hotkey: &AccountId,
    path: RegPath,
) -> Result<&'a Subnet> {
    ensure(
        netuid != ROOT_NETUID,
        RuleError::OperationNotPermittedonRootSubnet,
    )?;
    let sub = s
        .subnet(netuid)
        .ok_or_else(|| RuleError::NetworkDoesNotExist.netuid(netuid))?;
    let allowed = match path {
        RegPath::Burn => sub.params.network_registration_allowed,
        RegPath::Pow => sub.params.network_pow_registration_allowed,
    };
    ensure_with(allowed, || RuleError::RegistrationDisabled.netuid(netuid))?;
    check_registration_limits(sub).map_err(|e| e.in_netuid(netuid))?;
    ensure_with(!sub.neurons.uids.contains_key(hotkey), || {
        RuleError::AlreadyRegistered.account(hotkey).netuid(netuid)
    })?;
    Ok(sub)
}

/// "create-account and `Owner[hotkey] = coldkey`": create-account acts first, so the owner the
/// check sees is the stored one, or `coldkey` itself for a new hotkey.
fn check_owner_after_create_account(
    s: &State,
    coldkey: &AccountId,
    hotkey: &AccountId,
) -> Result<()> {
    let owner = s.owner.get(hotkey).unwrap_or(coldkey);
    ensure_with(owner == coldkey, || {
        RuleError::NonAssociatedColdKey
            .account(coldkey)
            .hotkey(hotkey)
    })
}

/// `MaxAllowedUids ≠ 0` (a subnet without slots reports `NetworkDoesNotExist`, §1
/// `D-zero-max-uids`).
fn check_has_slots(sub: &Subnet) -> Result<()> {
    ensure(
        sub.params.max_allowed_uids != 0,
        RuleError::NetworkDoesNotExist,
    )
}

/// create-account(c, h) of docs/ruleset.md §8.4: a new hotkey is bound to `coldkey` forever, with an
/// explicit zero stake entry.
pub fn create_account(s: &mut State, coldkey: &AccountId, hotkey: &AccountId) {
    if !s.owner.contains_key(hotkey) {
        s.owner.insert(*hotkey, *coldkey);
        s.stake
            .entry(*hotkey)
            .or_default()
            .coldkeys_mut()
            .get_or_insert_with(*coldkey, || 0);
    }
}

/// Where a registration puts its hotkey, decided during the checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    /// `uid = n`, the subnet grows by one.
    Append(u16),
    /// The neuron `old` at `uid` is replaced. `pruned`: chosen by `neuron_to_prune`, which marks
    /// `PruningScores[uid] = 65535` (the root path chooses by stake and marks nothing).
    Replace {
        uid: u16,
        old: AccountId,
        pruned: bool,
    },
}

impl Slot {
    fn uid(&self) -> u16 {
        match self {
            Slot::Append(uid) | Slot::Replace { uid, .. } => *uid,
        }
    }
}

/// `neuron_to_prune()` of docs/ruleset.md §8.4 as a pure function over the first `n` uids (without the
/// `PruningScores[chosen] = 65535` write). Non-immune uids compete on `p ≤ min`, so among equal
/// minima the later uid wins; an immune uid is only considered while `p ≤ min` and must beat
/// the immune minimum strictly. If no non-immune uid scored below 65 535, the immune candidate
/// (uid 0 if none) is chosen. Missing vector entries read as 0.
pub fn neuron_to_prune(
    pruning_scores: &[u16],
    block_at_registration: &[u64],
    n: u16,
    immunity_period: u16,
    block: u64,
) -> u16 {
    let (mut min, mut min_imm) = (u16::MAX, u16::MAX);
    let (mut u_min, mut u_imm) = (0u16, 0u16);
    for i in 0..n {
        let p = pruning_scores.get(i as usize).copied().unwrap_or(0);
        let registered = block_at_registration.get(i as usize).copied().unwrap_or(0);
        let immune = block.saturating_sub(registered) < immunity_period as u64;
        if p > min {
            continue;
        }
        if immune {
            if p < min_imm {
                (min_imm, u_imm) = (p, i);
            }
        } else {
            (min, u_min) = (p, i);
        }
    }
    if min == u16::MAX {
        u_imm
    } else {
        u_min
    }
}

fn hotkey_at(sub: &Subnet, uid: u16) -> Result<AccountId> {
    sub.neurons
        .keys
        .get(uid as usize)
        .copied()
        .ok_or_else(|| ChainError::Fatal(format!("no hotkey stored at uid {uid} < n")))
}

/// §8.4 "Assign uid" for a user subnet: append below `MaxAllowedUids`, else replace the neuron
/// chosen by `neuron_to_prune`.
fn subnet_slot(s: &State, sub: &Subnet) -> Result<Slot> {
    if sub.n < sub.params.max_allowed_uids {
        return Ok(Slot::Append(sub.n));
    }
    let uid = neuron_to_prune(
        &sub.neurons.pruning_scores,
        &sub.neurons.block_at_registration,
        sub.n,
        sub.params.immunity_period,
        s.block,
    );
    let old = hotkey_at(sub, uid)?;
    Ok(Slot::Replace {
        uid,
        old,
        pruned: true,
    })
}

/// True iff replacing `old` on `netuid` leaves it on no network, so its stake is returned (§7.4).
fn unstakes_on_replace(s: &State, netuid: u16, old: &AccountId) -> bool {
    !s.is_network_member
        .get(old)
        .is_some_and(|m| m.iter().any(|(n, member)| *member && *n != netuid))
}

fn set_membership(s: &mut State, hotkey: &AccountId, netuid: u16) {
    s.is_network_member
        .entry(*hotkey)
        .or_default()
        .insert(netuid, true);
}

/// Deletes `IsNetworkMember[hotkey][netuid]` (an emptied map is dropped, so the state stays
/// canonical).
fn remove_membership(s: &mut State, hotkey: &AccountId, netuid: u16) {
    if let Some(m) = s.is_network_member.get_mut(hotkey) {
        m.remove(&netuid);
        if m.is_empty() {
            s.is_network_member.remove(hotkey);
        }
    }
}

/// **append** of §8.4: uid = n, every per-uid vector grows by one.
fn append_neuron(s: &mut State, netuid: u16, uid: u16, hotkey: &AccountId) {
    let b = s.block;
    let sub = s.subnet_storage_mut(netuid);
    debug_assert_eq!(uid, sub.n, "append takes uid n");
    sub.append_neuron(hotkey, b);
    set_membership(s, hotkey, netuid);
}

/// **replace** of §8.4 (`replace_neuron`). Keeps the uid's weights and bonds rows, `LastUpdate`,
/// `ValidatorPermit`, `Rank`…`Emission`, `PruningScores` and axon info (reference quirks).
fn replace_neuron(
    s: &mut State,
    netuid: u16,
    uid: u16,
    old: &AccountId,
    hotkey: &AccountId,
    ev: &mut Events,
) -> Result<()> {
    remove_membership(s, old, netuid);
    if !s.is_member_anywhere(old) {
        // Moves existing stake back to free balances: it cannot overflow under the supply
        // invariant (docs/ruleset.md §1.2), so a failure here is an engine fault, not a rule error.
        staking::unstake_all(s, old, ev)
            .map_err(|e| ChainError::Fatal(format!("unstake of a replaced hotkey failed: {e}")))?;
    }
    let b = s.block;
    let sub = s.subnet_storage_mut(netuid);
    sub.neurons.replace(uid, old, hotkey, b);
    set_membership(s, hotkey, netuid);
    Ok(())
}

/// Applies a slot decided by the checks; returns the uid.
fn assign_uid(
    s: &mut State,
    netuid: u16,
    hotkey: &AccountId,
    slot: Slot,
    ev: &mut Events,
) -> Result<u16> {
    match slot {
        Slot::Append(uid) => append_neuron(s, netuid, uid, hotkey),
        Slot::Replace { uid, old, pruned } => {
            if pruned {
                let neurons = &mut s.subnet_storage_mut(netuid).neurons;
                neurons.set_pruning_score(uid, u16::MAX);
            }
            replace_neuron(s, netuid, uid, &old, hotkey, ev)?;
        }
    }
    Ok(slot.uid())
}

fn bump(counter: &mut u16) {
    *counter = counter.saturating_add(1);
}

fn emit_registered(ev: &mut Events, netuid: u16, uid: u16, hotkey: &AccountId) {
    ev.emit(|| {
        Event::new("NeuronRegistered")
            .u("netuid", netuid)
            .u("uid", uid)
            .acct("hotkey", hotkey)
    });
}

crate::codec::call_args! {
    /// The arguments of `burned_register` (docs/ruleset.md §8.2).
    pub struct BurnedRegister {
        pub netuid: u16,
        pub hotkey: AccountId,
    }
}

crate::codec::call_args! {
    /// The arguments of POW `register` (docs/ruleset.md §8.3).
    pub struct Register {
        pub netuid: u16,
        pub block_number: u64,
        pub nonce: u64,
        pub work: Vec<u8>,
        pub hotkey: AccountId,
        pub coldkey: AccountId,
    }
}

crate::codec::call_args! {
    /// The arguments of `sudo_register` (docs/ruleset.md §8.5).
    pub struct SudoRegister {
        pub netuid: u16,
        pub hotkey: AccountId,
        pub coldkey: AccountId,
        pub stake: u64,
        pub balance: u64,
    }
}

crate::codec::call_args! {
    /// The arguments of `root_register` (docs/ruleset.md §8.6).
    pub struct RootRegister {
        pub hotkey: AccountId,
    }
}

/// `burned_register(netuid, hotkey)` — `Signed(c)`, docs/ruleset.md §8.2. The burn is recycled:
/// it leaves `Free[c]` and `TotalIssuance`.
pub fn burned_register(
    s: &mut State,
    c: &AccountId,
    x: &BurnedRegister,
    ev: &mut Events,
) -> Result<()> {
    let (netuid, hotkey) = (x.netuid, &x.hotkey);
    let sub = common_checks(s, netuid, hotkey, RegPath::Burn)?;
    let burn = sub.params.burn;
    let free = s.free(c);
    ensure_with(free >= burn, || {
        RuleError::NotEnoughBalanceToStake
            .account(c)
            .available(free)
            .needed(burn)
    })?;
    balances::check_ed_after_debit(free, burn).map_err(|e| e.for_account(c))?;
    check_owner_after_create_account(s, c, hotkey)?;
    check_has_slots(sub)?;
    let issuance = s
        .total_issuance
        .checked_sub(burn)
        .ok_or_else(|| ChainError::Fatal("TotalIssuance below a free balance".into()))?;
    let slot = subnet_slot(s, sub)?;

    balances::debit(s, c, burn);
    s.total_issuance = issuance;
    create_account(s, c, hotkey);
    let uid = assign_uid(s, netuid, hotkey, slot, ev)?;
    let sub = s.subnet_storage_mut(netuid);
    bump(&mut sub.burn_registrations_this_interval);
    bump(&mut sub.registrations_this_interval);
    bump(&mut sub.registrations_this_block);
    // A counter, not a balance: saturating as in the reference (`increase_rao_recycled`).
    let recycled = &mut sub.params.rao_recycled_for_registration;
    *recycled = recycled.saturating_add(burn);
    emit_registered(ev, netuid, uid, hotkey);
    Ok(())
}

/// `H(k)` of the seal (docs/ruleset.md §8.3): 32 zero bytes for the block being processed, else the
/// hash of sealed block k (block 0: of the genesis record) if it is still remembered.
pub fn seal_block_hash(s: &State, k: u64) -> Option<Hash> {
    if k == s.block {
        Some([0; 32])
    } else {
        s.block_hash(k)
    }
}

/// Steps 7–11 of §8.3: the work block is recent, the work meets the difficulty and is the seal.
fn check_work(
    s: &State,
    difficulty: u64,
    block_number: u64,
    nonce: u64,
    work: &[u8],
    hotkey: &AccountId,
) -> Result<Hash> {
    let b = s.block;
    ensure_with(block_number <= b && b - block_number < POW_WINDOW, || {
        RuleError::InvalidWorkBlock.available(block_number).block(b)
    })?;
    let work: Hash = work.try_into().map_err(|_| RuleError::InvalidSeal)?;
    ensure_with(pow::meets_difficulty(&work, difficulty), || {
        RuleError::InvalidDifficulty.needed(difficulty)
    })?;
    // The engine remembers the last POW_WINDOW + 1 sealed hashes, so a block in the window
    // always has one.
    let h = seal_block_hash(s, block_number)
        .ok_or_else(|| ChainError::Fatal(format!("hash of block {block_number} not remembered")))?;
    ensure(pow::seal(&h, hotkey, nonce) == work, RuleError::InvalidSeal)?;
    Ok(work)
}

/// `register(netuid, block_number, nonce, work, hotkey, coldkey)` (POW) — `Signed(signer)`,
/// docs/ruleset.md §8.3. No cost; the work is recorded in `UsedWork` but never checked (quirk).
pub fn register_pow(
    s: &mut State,
    signer: &AccountId,
    x: &Register,
    ev: &mut Events,
) -> Result<()> {
    let (netuid, block_number, nonce) = (x.netuid, x.block_number, x.nonce);
    let (work, hotkey, coldkey) = (&x.work[..], &x.hotkey, &x.coldkey);
    ensure_with(signer == hotkey, || {
        RuleError::HotkeyOriginMismatch
            .account(signer)
            .hotkey(hotkey)
    })?;
    let sub = common_checks(s, netuid, hotkey, RegPath::Pow)?;
    let work = check_work(s, sub.params.difficulty, block_number, nonce, work, hotkey)
        .map_err(|e| e.in_netuid(netuid))?;
    check_owner_after_create_account(s, coldkey, hotkey)?;
    check_has_slots(sub)?;
    let slot = subnet_slot(s, sub)?;

    s.used_work.insert(work, s.block);
    create_account(s, coldkey, hotkey);
    let uid = assign_uid(s, netuid, hotkey, slot, ev)?;
    let sub = s.subnet_storage_mut(netuid);
    bump(&mut sub.pow_registrations_this_interval);
    bump(&mut sub.registrations_this_interval);
    bump(&mut sub.registrations_this_block);
    emit_registered(ev, netuid, uid, hotkey);
    Ok(())
}

/// Step 6 of §8.5: `TotalIssuance + stake + balance ≤ S_MAX`, and every sum the mint touches
/// fits u64. Returns the new `TotalIssuance`.
fn check_sudo_mint(
    s: &State,
    hotkey: &AccountId,
    coldkey: &AccountId,
    stake: u64,
    balance: u64,
) -> Result<u64> {
    let overflow = || ChainError::from(RuleError::ArithmeticOverflow);
    let issuance = s
        .total_issuance
        .checked_add(stake)
        .and_then(|x| x.checked_add(balance))
        .filter(|x| *x <= S_MAX)
        .ok_or_else(overflow)?;
    let sums = [
        s.free(coldkey).checked_add(balance),
        s.total_stake.checked_add(stake),
        s.total_hotkey_stake(hotkey).checked_add(stake),
        s.total_coldkey_stake(coldkey).checked_add(stake),
        s.stake_of(hotkey, coldkey).checked_add(stake),
    ];
    ensure(
        sums.iter().all(Option::is_some),
        RuleError::ArithmeticOverflow,
    )?;
    Ok(issuance)
}

/// `sudo_register(netuid, hotkey, coldkey, stake, balance)` — `Sudo` (checked by the caller),
/// docs/ruleset.md §8.5. Mints `stake` (as stake of coldkey on hotkey) and `balance` (free); no
/// registration flags, limits or counters.
pub fn sudo_register(s: &mut State, x: &SudoRegister, ev: &mut Events) -> Result<()> {
    let (netuid, hotkey, coldkey) = (x.netuid, &x.hotkey, &x.coldkey);
    let (stake, balance) = (x.stake, x.balance);
    ensure(
        netuid != ROOT_NETUID,
        RuleError::OperationNotPermittedonRootSubnet,
    )?;
    let sub = s
        .subnet(netuid)
        .ok_or_else(|| RuleError::NetworkDoesNotExist.netuid(netuid))?;
    ensure_with(!sub.neurons.uids.contains_key(hotkey), || {
        RuleError::AlreadyRegistered.account(hotkey).netuid(netuid)
    })?;
    check_owner_after_create_account(s, coldkey, hotkey)?;
    check_has_slots(sub)?;
    let issuance = check_sudo_mint(s, hotkey, coldkey, stake, balance)?;
    let slot = subnet_slot(s, sub)?;

    create_account(s, coldkey, hotkey);
    if stake > 0 {
        staking::increase_stake(s, coldkey, hotkey, stake)?; // checked above: cannot fail
    }
    balances::credit(s, coldkey, balance)?; // checked above: cannot fail
    s.total_issuance = issuance;
    let uid = assign_uid(s, netuid, hotkey, slot, ev)?;
    emit_registered(ev, netuid, uid, hotkey);
    Ok(())
}

/// Step 5 of §8.6: append below `MaxAllowedUids[0]`, else replace the first uid (ascending)
/// with the lowest `TotalHotkeyStake`, which must be strictly below the new hotkey's stake.
fn root_slot(s: &State, root: &Subnet, hotkey: &AccountId) -> Result<Slot> {
    if root.n < root.params.max_allowed_uids {
        return Ok(Slot::Append(root.n));
    }
    let (mut lowest, mut uid) = (u64::MAX, 0u16);
    for (i, h) in root.neurons.keys.iter().take(root.n as usize).enumerate() {
        let stake = s.total_hotkey_stake(h);
        if stake < lowest {
            (lowest, uid) = (stake, i as u16);
        }
    }
    let mine = s.total_hotkey_stake(hotkey);
    ensure_with(lowest < mine, || {
        RuleError::StakeTooLowForRoot
            .account(hotkey)
            .available(mine)
            .needed(lowest)
    })?;
    let old = hotkey_at(root, uid)?;
    Ok(Slot::Replace {
        uid,
        old,
        pruned: false,
    })
}

/// What step 6 of §8.6 does to the senate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SenateChange {
    Unchanged,
    Add,
    /// Replace this member (the lowest-stake one) by the new hotkey.
    Swap(AccountId),
}

/// Step 6 of §8.6, decided on the stakes as they will be after step 5: a root hotkey replaced
/// in step 5 and left on no network has been unstaked (its total is then 0).
fn plan_senate(s: &State, hotkey: &AccountId, slot: &Slot) -> Result<SenateChange> {
    let unstaked = match slot {
        Slot::Replace { old, .. } if unstakes_on_replace(s, ROOT_NETUID, old) => Some(*old),
        _ => None,
    };
    let stake = |a: &AccountId| {
        if unstaked == Some(*a) {
            0
        } else {
            s.total_hotkey_stake(a)
        }
    };
    let already = s.senate.contains(hotkey);
    if s.senate.len() < SENATE_MAX {
        ensure_with(!already, || RuleError::AlreadySenateMember.account(hotkey))?;
        return Ok(SenateChange::Add);
    }
    // The last element of a stable sort by stake descending over ascending accounts: the lowest
    // stake, ties → the greatest account.
    let Some(last) = s
        .senate
        .iter()
        .max_by_key(|a| (std::cmp::Reverse(stake(a)), **a))
    else {
        return Ok(SenateChange::Unchanged);
    };
    if stake(last) < stake(hotkey) {
        ensure_with(!already, || RuleError::AlreadySenateMember.account(hotkey))?;
        return Ok(SenateChange::Swap(*last));
    }
    Ok(SenateChange::Unchanged)
}

fn apply_senate(s: &mut State, change: SenateChange, hotkey: &AccountId, ev: &mut Events) {
    match change {
        SenateChange::Unchanged => {}
        SenateChange::Add => {
            senate_insert(s, hotkey);
            ev.emit(|| Event::new("SenateMemberAdded").acct("hotkey", hotkey));
        }
        SenateChange::Swap(last) => {
            s.senate.retain(|m| *m != last);
            senate_insert(s, hotkey);
            ev.emit(|| {
                Event::new("SenateMembersSwapped")
                    .acct("old", &last)
                    .acct("new", hotkey)
            });
            collective::remove_votes_of(s, &last);
        }
    }
}

/// `root_register(hotkey)` — `Signed(c)`, docs/ruleset.md §8.6. No cost and no ownership check
/// (quirk); the hotkey becomes a delegate with the hard-coded take 11 796 if it is not one.
pub fn root_register(
    s: &mut State,
    c: &AccountId,
    x: &RootRegister,
    ev: &mut Events,
) -> Result<()> {
    let hotkey = &x.hotkey;
    // The root network exists from genesis and cannot be dissolved (it has no owner).
    let root = s
        .subnet(ROOT_NETUID)
        .ok_or(RuleError::NetworkDoesNotExist)?;
    check_registration_limits(root).map_err(|e| e.in_netuid(ROOT_NETUID))?;
    ensure_with(!root.neurons.uids.contains_key(hotkey), || {
        RuleError::AlreadyRegistered
            .account(hotkey)
            .netuid(ROOT_NETUID)
    })?;
    // 4. create-account changes no stake, so the checks below read the stored stakes.
    let slot = root_slot(s, root, hotkey)?;
    let senate = plan_senate(s, hotkey, &slot)?;

    create_account(s, c, hotkey);
    let uid = assign_uid(s, ROOT_NETUID, hotkey, slot, ev)?;
    apply_senate(s, senate, hotkey, ev);
    s.delegates.entry(*hotkey).or_insert(ROOT_DELEGATE_TAKE);
    let root = s.subnet_storage_mut(ROOT_NETUID);
    bump(&mut root.registrations_this_interval);
    bump(&mut root.registrations_this_block);
    emit_registered(ev, ROOT_NETUID, uid, hotkey);
    Ok(())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tx_tests;
