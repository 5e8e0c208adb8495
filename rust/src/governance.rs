//! Governance (docs/ruleset.md §12) and `sudo_set_key` (§13.3).
//!
//! Owns the triumvirate (≤ 3 accounts), the Sudo side of the senate (≤ 12 hotkeys; root
//! registration fills it, §8.6) and the open proposals with their votes.
//!
//! Invariants kept here: `State::triumvirate` and `State::senate` are in ascending account order
//! without duplicates; `State::proposals` holds the open proposals in the order they were made,
//! each hash at most once. Every transaction runs all of its checks before its first mutation, so
//! a rejected transaction changes nothing (the engine does not roll back). Sudo origins are checked
//! by `engine::dispatch` before the Sudo functions here are called, except `sudo_set_key`, whose
//! origin (`SudoKey`, not `Sudo`) is checked here.

use crate::codec;
use crate::engine;
use crate::error::{ensure, ChainError, Result, RuleError};
use crate::events::{Event, Events, Value};
use crate::snapshot::blake2b_256;
use crate::state::{
    AccountId, Hash, Proposal, State, MAX_PROPOSALS, MIN_MOTION_DURATION, SENATE_MAX,
    TRIUMVIRATE_MAX,
};
use crate::tx::{Origin, OriginRule, Tx};

/// `sudo_set_key(new)` — origin `SudoKey` only (§13.3).
pub fn sudo_set_key(
    s: &mut State,
    origin: &Origin,
    new: &AccountId,
    ev: &mut Events,
) -> Result<()> {
    // `Origin::Root` (an approved proposal) is `Sudo` but not the key itself: BadOrigin.
    let is_key = matches!(origin, Origin::Signed(a) if *a == s.sudo_key);
    ensure(is_key, RuleError::BadOrigin)?;
    let old = std::mem::replace(&mut s.sudo_key, *new);
    ev.emit(|| Event::new("KeyChanged").acct("old", &old).acct("new", new));
    Ok(())
}

/// Inserts `a` into an ascending list, keeping it ascending (the caller checked it is absent).
fn insert_sorted(list: &mut Vec<AccountId>, a: &AccountId) {
    let at = list.partition_point(|x| x < a);
    list.insert(at, *a);
}

/// Removes `a` from a list if present, keeping the order of the others.
fn remove_from(list: &mut Vec<AccountId>, a: &AccountId) {
    list.retain(|x| x != a);
}

/// `sudo_triumvirate_add_member(member)` (§12).
pub fn triumvirate_add(s: &mut State, m: &AccountId, ev: &mut Events) -> Result<()> {
    ensure(
        !s.triumvirate.contains(m),
        RuleError::AlreadyTriumvirateMember,
    )?;
    ensure(
        s.triumvirate.len() < TRIUMVIRATE_MAX,
        RuleError::TooManyTriumvirateMembers,
    )?;
    insert_sorted(&mut s.triumvirate, m);
    ev.emit(|| Event::new("TriumvirateMemberAdded").acct("member", m));
    Ok(())
}

/// `sudo_triumvirate_remove_member(member)` (§12): the account's votes go with it, as the
/// reference propagated triumvirate changes to the collective's motions.
pub fn triumvirate_remove(s: &mut State, m: &AccountId, ev: &mut Events) -> Result<()> {
    ensure(s.triumvirate.contains(m), RuleError::NotTriumvirateMember)?;
    remove_from(&mut s.triumvirate, m);
    remove_votes_of(s, m);
    ev.emit(|| Event::new("TriumvirateMemberRemoved").acct("member", m));
    Ok(())
}

/// `sudo_triumvirate_swap_member(old, new)` (§12): `old = new` is a silent success (the reference
/// returns before any membership check); otherwise `old`'s votes are deleted.
pub fn triumvirate_swap(
    s: &mut State,
    old: &AccountId,
    new: &AccountId,
    ev: &mut Events,
) -> Result<()> {
    if old == new {
        return Ok(());
    }
    ensure(s.triumvirate.contains(old), RuleError::NotTriumvirateMember)?;
    ensure(
        !s.triumvirate.contains(new),
        RuleError::AlreadyTriumvirateMember,
    )?;
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
pub fn senate_add(s: &mut State, h: &AccountId, ev: &mut Events) -> Result<()> {
    ensure(!s.senate.contains(h), RuleError::AlreadySenateMember)?;
    ensure(s.senate.len() < SENATE_MAX, RuleError::TooManySenateMembers)?;
    insert_sorted(&mut s.senate, h);
    ev.emit(|| Event::new("SenateMemberAdded").acct("hotkey", h));
    Ok(())
}

/// `sudo_senate_remove_member(hotkey)` (§12): votes already cast stay counted (the reference did
/// not propagate this path to the motions).
pub fn senate_remove(s: &mut State, h: &AccountId, ev: &mut Events) -> Result<()> {
    ensure(s.senate.contains(h), RuleError::NotSenateMember)?;
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
    ensure(s.proposals[i].index == index, RuleError::WrongIndex)?;
    Ok(i)
}

/// Drops a proposal (and with it its votes) if it is open.
fn remove_proposal(s: &mut State, hash: &Hash) {
    s.proposals.retain(|p| p.hash != *hash);
}

/// `sudo_disapprove_proposal(hash)` (§12): no existence check, the event is emitted regardless.
pub fn disapprove(s: &mut State, hash: &Hash, ev: &mut Events) -> Result<()> {
    remove_proposal(s, hash);
    ev.emit(|| Event::new("Disapproved").bytes("hash", hash));
    Ok(())
}

/// §12.1 step 3 (taostate restriction, §1 `D-proposable`): only a `Sudo` / `OwnerOrSudo`
/// transaction with an all-zero `origin` field can be proposed; it is dispatched as `Origin::Root`.
fn is_proposable(tx: &Tx) -> bool {
    let rule_ok = matches!(
        tx.call.origin_rule(),
        OriginRule::Sudo | OriginRule::OwnerOrSudo
    );
    rule_ok && tx.origin == [0; 32]
}

/// `propose(transaction, duration)` — `Signed(a)` (§12.1). `bytes` are the proposed
/// transaction's exact wire bytes, `call` their decoded form.
pub fn propose(
    s: &mut State,
    a: &AccountId,
    bytes: &[u8],
    call: &Tx,
    duration: u64,
    ev: &mut Events,
) -> Result<()> {
    ensure(s.triumvirate.contains(a), RuleError::NotTriumvirateMember)?;
    ensure(duration >= MIN_MOTION_DURATION, RuleError::WrongDuration)?;
    ensure(is_proposable(call), RuleError::BadOrigin)?;
    let hash = blake2b_256(bytes);
    ensure(find(s, &hash).is_none(), RuleError::DuplicateProposal)?;
    ensure(
        s.proposals.len() < MAX_PROPOSALS,
        RuleError::TooManyProposals,
    )?;
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
#[allow(clippy::too_many_arguments)]
pub fn vote(
    s: &mut State,
    c: &AccountId,
    hotkey: &AccountId,
    hash: &Hash,
    index: u32,
    approve: bool,
    ev: &mut Events,
) -> Result<()> {
    ensure(
        s.owner.get(hotkey) == Some(c),
        RuleError::NonAssociatedColdKey,
    )?;
    ensure(s.senate.contains(hotkey), RuleError::NotSenateMember)?;
    let i = open_proposal(s, hash, index)?;
    let p = &mut s.proposals[i];
    let (mine, other) = if approve {
        (&mut p.ayes, &mut p.nays)
    } else {
        (&mut p.nays, &mut p.ayes)
    };
    ensure(!mine.contains(hotkey), RuleError::DuplicateVote)?;
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
fn decode_stored(p: &Proposal) -> Result<Tx> {
    codec::decode_tx(&p.tx)
        .map_err(|e| ChainError::Fatal(format!("stored proposal no longer decodes: {e}")))
}

/// `close(hash, index)` — any `Signed` (§12.3). Every failure (`ProposalMissing`, `WrongIndex`,
/// `TooEarly`) is found before anything changes; once decided, the close itself succeeds
/// whatever the inner transaction does.
pub fn close(
    s: &mut State,
    _a: &AccountId,
    hash: &Hash,
    index: u32,
    ev: &mut Events,
) -> Result<()> {
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
        Some(tx) => approve(s, hash, &tx, 2 * y > seats, ev),
        None => {
            ev.emit(|| Event::new("Disapproved").bytes("hash", hash));
            remove_proposal(s, hash);
            Ok(())
        }
    }
}

/// The approve branch of §12.3: `Approved`, the inner transaction's own events (if it ran and
/// succeeded), `Executed(hash, result)`, then the proposal is removed — after the dispatch, as in
/// the reference (so an inner `sudo_disapprove_proposal` of this very hash still finds it open).
fn approve(s: &mut State, hash: &Hash, tx: &Tx, majority: bool, ev: &mut Events) -> Result<()> {
    ev.emit(|| Event::new("Approved").bytes("hash", hash));
    // Without a strict majority of the current seats the collective origin is not Sudo
    // (reference: `CouncilOrigin = EnsureProportionMoreThan<1, 2>` refused it with BadOrigin).
    let result = if majority {
        match engine::dispatch(s, tx, Origin::Root, ev) {
            Ok(()) => Value::Nil,
            // `dispatch` is atomic: a rule failure of the inner transaction changed nothing.
            Err(ChainError::Rule(e)) => Value::Str(e.code().to_string()),
            // Engine faults are not results of the motion; they abort the whole close.
            Err(other) => return Err(other),
        }
    } else {
        Value::Str(RuleError::BadOrigin.code().to_string())
    };
    ev.emit(|| {
        Event::new("Executed")
            .bytes("hash", hash)
            .value("result", result)
    });
    remove_proposal(s, hash);
    Ok(())
}

/// Deletes `member`'s votes from every open proposal (triumvirate removal / swap here, the senate
/// swap of root registration, §8.6).
pub fn remove_votes_of(s: &mut State, member: &AccountId) {
    for p in &mut s.proposals {
        remove_from(&mut p.ayes, member);
        remove_from(&mut p.nays, member);
    }
}

#[cfg(test)]
mod tests;
