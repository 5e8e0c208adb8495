//! Governance (docs/ruleset.md §12) and `sudo_set_key` (§13.3).
//!
//! Owns the triumvirate (≤ 3 accounts), the Sudo side of the senate (≤ 12 hotkeys; root
//! registration fills it, §8.6) and the open proposals with their votes.
//!
//! Invariants kept here: `State::triumvirate` and `State::senate` are in ascending account order
//! without duplicates; `State::proposals` holds the open proposals in the order they were made,
//! each hash at most once. Every transaction runs all of its checks before its first mutation, so
//! a rejected transaction changes nothing (the engine does not roll back). Origins (`Sudo`, and
//! `SudoKey` for `sudo_set_key`) are checked by `calls::dispatch` before the functions here run.
//!
//! Governance never dispatches: it is generic over the proposed call (`ProposedCall`, substrate's
//! `Dispatchable`), and `close` hands an approved call back as `Motion::Execute`; the call table
//! (`calls.rs`) runs it as `Origin::Root` and then calls `executed`.

use crate::collective::{insert_sorted, remove_from, remove_votes_of};
use crate::error::{ensure, ensure_with, ChainError, Result, RuleError};
use crate::events::{Event, Events, Value};
use crate::origin::OriginRule;
use crate::snapshot::blake2b_256;
use crate::state::{
    AccountId, Hash, Proposal, State, MAX_PROPOSALS, MIN_MOTION_DURATION, SENATE_MAX,
    TRIUMVIRATE_MAX,
};

crate::codec::call_args! {
    /// The arguments of `sudo_set_key` (§13.3).
    pub struct SudoSetKey {
        pub new: AccountId,
    }
}

crate::codec::call_args! {
    /// The arguments of `sudo_triumvirate_add_member` (§12).
    pub struct SudoTriumvirateAddMember {
        pub member: AccountId,
    }
}

crate::codec::call_args! {
    /// The arguments of `sudo_triumvirate_remove_member` (§12).
    pub struct SudoTriumvirateRemoveMember {
        pub member: AccountId,
    }
}

crate::codec::call_args! {
    /// The arguments of `sudo_triumvirate_swap_member` (§12).
    pub struct SudoTriumvirateSwapMember {
        pub old: AccountId,
        pub new: AccountId,
    }
}

crate::codec::call_args! {
    /// The arguments of `sudo_senate_add_member` (§12).
    pub struct SudoSenateAddMember {
        pub hotkey: AccountId,
    }
}

crate::codec::call_args! {
    /// The arguments of `sudo_senate_remove_member` (§12).
    pub struct SudoSenateRemoveMember {
        pub hotkey: AccountId,
    }
}

crate::codec::call_args! {
    /// The arguments of `sudo_disapprove_proposal` (§12).
    pub struct SudoDisapproveProposal {
        pub hash: Hash,
    }
}

/// The arguments of `propose` (§12.1). `tx` holds the proposed transaction's exact wire bytes
/// (the proposal hash is over them), `call` their decoded form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Propose<T> {
    pub tx: Vec<u8>,
    pub call: Box<T>,
    pub duration: u64,
}

crate::codec::call_args! {
    /// The arguments of `vote` (§12.2).
    pub struct Vote {
        pub hotkey: AccountId,
        pub hash: Hash,
        pub index: u32,
        pub approve: bool,
    }
}

crate::codec::call_args! {
    /// The arguments of `close` (§12.3).
    pub struct Close {
        pub hash: Hash,
        pub index: u32,
    }
}

/// What governance needs of a proposed transaction (the call table's `Tx` implements it): its
/// origin rule and `origin` field (§12.1 step 3), and its decoding from the stored wire bytes.
pub trait ProposedCall: Sized {
    fn origin_rule(&self) -> OriginRule;
    fn origin_field(&self) -> &AccountId;
    fn decode(bytes: &[u8]) -> std::result::Result<Self, String>;
}

/// `sudo_set_key(new)` — origin `SudoKey` only (§13.3; checked by the dispatcher: `Origin::Root`
/// is `Sudo` but not the key itself).
pub fn sudo_set_key(s: &mut State, x: &SudoSetKey, ev: &mut Events) -> Result<()> {
    let new = &x.new;
    let old = std::mem::replace(&mut s.sudo_key, *new);
    ev.emit(|| Event::new("KeyChanged").acct("old", &old).acct("new", new));
    Ok(())
}

/// `sudo_triumvirate_add_member(member)` (§12).
pub fn triumvirate_add(s: &mut State, x: &SudoTriumvirateAddMember, ev: &mut Events) -> Result<()> {
    let m = &x.member;
    ensure_with(!s.triumvirate.contains(m), || {
        RuleError::AlreadyTriumvirateMember.account(m)
    })?;
    ensure_with(s.triumvirate.len() < TRIUMVIRATE_MAX, || {
        RuleError::TooManyTriumvirateMembers.limit(TRIUMVIRATE_MAX as u64)
    })?;
    insert_sorted(&mut s.triumvirate, m);
    ev.emit(|| Event::new("TriumvirateMemberAdded").acct("member", m));
    Ok(())
}

/// `sudo_triumvirate_remove_member(member)` (§12): the account's votes go with it, as the
/// reference propagated triumvirate changes to the collective's motions.
pub fn triumvirate_remove(
    s: &mut State,
    x: &SudoTriumvirateRemoveMember,
    ev: &mut Events,
) -> Result<()> {
    let m = &x.member;
    ensure_with(s.triumvirate.contains(m), || {
        RuleError::NotTriumvirateMember.account(m)
    })?;
    remove_from(&mut s.triumvirate, m);
    remove_votes_of(s, m);
    ev.emit(|| Event::new("TriumvirateMemberRemoved").acct("member", m));
    Ok(())
}

/// `sudo_triumvirate_swap_member(old, new)` (§12): `old = new` is a silent success (the reference
/// returns before any membership check); otherwise `old`'s votes are deleted.
pub fn triumvirate_swap(
    s: &mut State,
    x: &SudoTriumvirateSwapMember,
    ev: &mut Events,
) -> Result<()> {
    let (old, new) = (&x.old, &x.new);
    if old == new {
        return Ok(());
    }
    ensure_with(s.triumvirate.contains(old), || {
        RuleError::NotTriumvirateMember.account(old)
    })?;
    ensure_with(!s.triumvirate.contains(new), || {
        RuleError::AlreadyTriumvirateMember.account(new)
    })?;
    remove_from(&mut s.triumvirate, old);
    insert_sorted(&mut s.triumvirate, new);
    remove_votes_of(s, old);
    ev.emit(|| {
        Event::new("TriumvirateMembersSwapped")
            .acct("old", old)
            .acct("new", new)
    });
    Ok(())
}

/// `sudo_senate_add_member(hotkey)` (§12).
pub fn senate_add(s: &mut State, x: &SudoSenateAddMember, ev: &mut Events) -> Result<()> {
    let h = &x.hotkey;
    ensure_with(!s.senate.contains(h), || {
        RuleError::AlreadySenateMember.account(h)
    })?;
    ensure_with(s.senate.len() < SENATE_MAX, || {
        RuleError::TooManySenateMembers.limit(SENATE_MAX as u64)
    })?;
    insert_sorted(&mut s.senate, h);
    ev.emit(|| Event::new("SenateMemberAdded").acct("hotkey", h));
    Ok(())
}

/// `sudo_senate_remove_member(hotkey)` (§12): votes already cast stay counted (the reference did
/// not propagate this path to the motions).
pub fn senate_remove(s: &mut State, x: &SudoSenateRemoveMember, ev: &mut Events) -> Result<()> {
    let h = &x.hotkey;
    ensure_with(s.senate.contains(h), || {
        RuleError::NotSenateMember.account(h)
    })?;
    remove_from(&mut s.senate, h);
    ev.emit(|| Event::new("SenateMemberRemoved").acct("hotkey", h));
    Ok(())
}

/// Position of the open proposal with this hash.
fn find(s: &State, hash: &Hash) -> Option<usize> {
    s.proposals.iter().position(|p| p.hash == *hash)
}

/// The open proposal `hash` whose index is `index`: `ProposalMissing`, then `WrongIndex`.
fn open_proposal(s: &State, hash: &Hash, index: u32) -> Result<usize> {
    let i = find(s, hash).ok_or(RuleError::ProposalMissing)?;
    ensure_with(s.proposals[i].index == index, || {
        RuleError::WrongIndex
            .available(index as u64)
            .needed(s.proposals[i].index as u64)
    })?;
    Ok(i)
}

/// Drops a proposal (and with it its votes) if it is open.
fn remove_proposal(s: &mut State, hash: &Hash) {
    s.proposals.retain(|p| p.hash != *hash);
}

/// `sudo_disapprove_proposal(hash)` (§12): no existence check, the event is emitted regardless.
pub fn disapprove(s: &mut State, x: &SudoDisapproveProposal, ev: &mut Events) -> Result<()> {
    let hash = &x.hash;
    remove_proposal(s, hash);
    ev.emit(|| Event::new("Disapproved").bytes("hash", hash));
    Ok(())
}

/// §12.1 step 3 (taostate restriction, §1 `D-proposable`): only a `Sudo` / `OwnerOrSudo`
/// transaction with an all-zero `origin` field can be proposed; it is dispatched as `Origin::Root`.
fn is_proposable<T: ProposedCall>(tx: &T) -> bool {
    let rule_ok = matches!(tx.origin_rule(), OriginRule::Sudo | OriginRule::OwnerOrSudo);
    rule_ok && *tx.origin_field() == [0; 32]
}

/// `propose(transaction, duration)` — `Signed(a)` (§12.1).
pub fn propose<T: ProposedCall>(
    s: &mut State,
    a: &AccountId,
    x: &Propose<T>,
    ev: &mut Events,
) -> Result<()> {
    let (bytes, call, duration) = (&x.tx[..], &*x.call, x.duration);
    ensure_with(s.triumvirate.contains(a), || {
        RuleError::NotTriumvirateMember.account(a)
    })?;
    ensure_with(duration >= MIN_MOTION_DURATION, || {
        RuleError::WrongDuration
            .available(duration)
            .needed(MIN_MOTION_DURATION)
    })?;
    ensure(is_proposable(call), RuleError::BadOrigin)?;
    let hash = blake2b_256(bytes);
    ensure(find(s, &hash).is_none(), RuleError::DuplicateProposal)?;
    ensure_with(s.proposals.len() < MAX_PROPOSALS, || {
        RuleError::TooManyProposals.limit(MAX_PROPOSALS as u64)
    })?;
    // The threshold is fixed now, from the senate size at proposal time (|senate| ≤ 12).
    let threshold = (s.senate.len() / 2 + 1) as u32;
    let index = s.proposal_count;
    // 2^32 proposals cannot happen (each takes a transaction); wrapping is the reference's
    // release-build arithmetic on the same u32 counter.
    s.proposal_count = index.wrapping_add(1);
    // u64 blocks: a huge duration saturates to "never ends" instead of wrapping to the past.
    let end = s.block.saturating_add(duration);
    s.proposals.push(Proposal {
        hash,
        index,
        proposer: *a,
        tx: bytes.to_vec(),
        threshold,
        ayes: Vec::new(),
        nays: Vec::new(),
        end,
    });
    ev.emit(|| {
        Event::new("Proposed")
            .acct("account", a)
            .u("index", index)
            .bytes("hash", &hash)
            .u("threshold", threshold)
    });
    Ok(())
}

/// `vote(hotkey, hash, index, approve)` — `Signed(c)` (§12.2).
pub fn vote(s: &mut State, c: &AccountId, x: &Vote, ev: &mut Events) -> Result<()> {
    let (hotkey, hash, index, approve) = (&x.hotkey, &x.hash, x.index, x.approve);
    ensure_with(s.owner.get(hotkey) == Some(c), || {
        RuleError::NonAssociatedColdKey.account(c).hotkey(hotkey)
    })?;
    ensure_with(s.senate.contains(hotkey), || {
        RuleError::NotSenateMember.account(hotkey)
    })?;
    let i = open_proposal(s, hash, index)?;
    let p = &mut s.proposals[i];
    let (mine, other) = if approve {
        (&mut p.ayes, &mut p.nays)
    } else {
        (&mut p.nays, &mut p.ayes)
    };
    ensure_with(!mine.contains(hotkey), || {
        RuleError::DuplicateVote.account(hotkey)
    })?;
    mine.push(*hotkey);
    // `swap_remove`, as the reference did: the order of the vote lists is part of the state.
    if let Some(pos) = other.iter().position(|x| x == hotkey) {
        other.swap_remove(pos);
    }
    let (yes, no) = (p.ayes.len() as u64, p.nays.len() as u64);
    ev.emit(|| {
        Event::new("Voted")
            .acct("hotkey", hotkey)
            .bytes("hash", hash)
            .bool("approve", approve)
            .u("yes", yes)
            .u("no", no)
    });
    Ok(())
}

/// What `close` decides (§12.3 steps 2–5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Approve,
    Disapprove,
}

/// §12.3 steps 2–5 from the counts: `seats` senators now, `y` ayes, `x` nays, threshold `t`.
fn decide(seats: u64, y: u64, x: u64, t: u64, ended: bool) -> Result<Outcome> {
    if y >= t {
        return Ok(Outcome::Approve);
    }
    // Even if every seat not voting nay voted aye, the threshold could not be met.
    if seats.saturating_sub(x) < t {
        return Ok(Outcome::Disapprove);
    }
    ensure(ended, RuleError::TooEarly)?;
    // Abstentions take the prime's default vote; without a prime that is nay, so the ayes stay
    // `y < t`: disapprove.
    Ok(Outcome::Disapprove)
}

/// The proposed transaction back from its stored bytes. They were decoded once when proposed, so
/// a failure is an engine fault; `close` calls this before its first event or mutation.
fn decode_stored<T: ProposedCall>(p: &Proposal) -> Result<T> {
    T::decode(&p.tx)
        .map_err(|e| ChainError::Fatal(format!("stored proposal no longer decodes: {e}")))
}

/// What `close` hands back to the dispatcher (revm's `NewFrame`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Motion<T> {
    /// Disapproved: `Disapproved` was emitted and the proposal removed; nothing runs.
    Dropped,
    /// Approved: `Closed` and `Approved` were emitted. The dispatcher runs `tx` as `Origin::Root`
    /// if `majority` (a strict majority of the current seats; otherwise the collective origin is
    /// not Sudo and the result is `BadOrigin`), then calls `executed` with the result.
    Execute { hash: Hash, tx: T, majority: bool },
}

/// `close(hash, index)` — any `Signed` (§12.3). Every failure (`ProposalMissing`, `WrongIndex`,
/// `TooEarly`) is found before anything changes; once decided, the close itself succeeds
/// whatever the inner transaction does.
pub fn close<T: ProposedCall>(
    s: &mut State,
    _a: &AccountId,
    x: &Close,
    ev: &mut Events,
) -> Result<Motion<T>> {
    let (hash, index) = (&x.hash, x.index);
    let i = open_proposal(s, hash, index)?;
    let p = &s.proposals[i];
    let seats = s.senate.len() as u64;
    let (y, x) = (p.ayes.len() as u64, p.nays.len() as u64);
    let outcome = decide(seats, y, x, p.threshold as u64, s.block >= p.end)?;
    let inner = match outcome {
        Outcome::Approve => Some(decode_stored(p)?),
        Outcome::Disapprove => None,
    };
    ev.emit(|| {
        Event::new("Closed")
            .bytes("hash", hash)
            .u("yes", y)
            .u("no", x)
    });
    match inner {
        Some(tx) => {
            ev.emit(|| Event::new("Approved").bytes("hash", hash));
            Ok(Motion::Execute {
                hash: *hash,
                tx,
                majority: 2 * y > seats,
            })
        }
        None => {
            ev.emit(|| Event::new("Disapproved").bytes("hash", hash));
            remove_proposal(s, hash);
            Ok(Motion::Dropped)
        }
    }
}

/// The end of the approve branch of §12.3, after the dispatcher ran the approved transaction
/// (its own events, if it succeeded, come between `Approved` and this): `Executed(hash, result)`,
/// then the proposal is removed — after the dispatch, as in the reference (so an inner
/// `sudo_disapprove_proposal` of this very hash still finds it open).
pub fn executed(
    s: &mut State,
    hash: &Hash,
    result: std::result::Result<(), RuleError>,
    ev: &mut Events,
) {
    let result = match result {
        Ok(()) => Value::Nil,
        Err(e) => Value::Str(e.code().to_string()),
    };
    ev.emit(|| {
        Event::new("Executed")
            .bytes("hash", hash)
            .value("result", result)
    });
    remove_proposal(s, hash);
}

#[cfg(test)]
mod tests;
