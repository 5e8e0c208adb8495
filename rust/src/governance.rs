//! Governance (RULES.md §12) and `sudo_set_key` (§13.3).
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

/// §12.1 step 3 (taostate restriction, §1 row q): only a `Sudo` / `OwnerOrSudo` transaction
/// with an all-zero `origin` field can be proposed; it is dispatched as `Origin::Root`.
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
mod tests {
    use super::*;
    use crate::engine::{dispatch, genesis_state};
    use crate::state::Subnet;
    use crate::testutil::{genesis_bytes, names};
    use crate::tx::{Call, ParamValue};
    use rmpv::Value as V;

    const SUDO: AccountId = [1; 32];
    const T1: AccountId = [10; 32];
    const T2: AccountId = [11; 32];
    const STRANGER: AccountId = [99; 32];

    /// Senate hotkey k (coldkey `coldkey(k)`).
    fn senator(k: u8) -> AccountId {
        [20 + k; 32]
    }

    fn coldkey(k: u8) -> AccountId {
        [60 + k; 32]
    }

    /// Genesis, block 100, triumvirate {T1, T2}, `senators` senate hotkeys with owners, subnet 1
    /// (tempo 360).
    fn state(senators: u8) -> State {
        let mut s = genesis_state(&genesis_bytes(&[(SUDO, 1_000)], &[])).unwrap();
        s.block = 100;
        s.triumvirate = vec![T1, T2];
        for k in 0..senators {
            s.senate.push(senator(k));
            s.owner.insert(senator(k), coldkey(k));
        }
        let mut sub = Subnet {
            added: true,
            ..Default::default()
        };
        sub.params.tempo = 360;
        s.subnets.insert(1, sub);
        s.total_networks = 2;
        s
    }

    fn encode(v: &V) -> Vec<u8> {
        let mut out = Vec::new();
        rmpv::encode::write_value(&mut out, v).unwrap();
        out
    }

    /// A proposable `sudo_set_hyperparameter(netuid, name, value)`: the Tx and its wire bytes.
    fn set_param(netuid: u16, name: &str, value: u64) -> (Tx, Vec<u8>) {
        let tx = Tx {
            origin: [0; 32],
            call: Call::SudoSetHyperparameter {
                netuid: Some(netuid),
                name: name.to_string(),
                value: ParamValue::Int(value),
            },
        };
        let v = V::Array(vec![
            V::from(14),
            V::Binary(vec![0; 32]),
            V::from(netuid),
            V::from(name),
            V::from(value),
        ]);
        let bytes = encode(&v);
        assert_eq!(codec::decode_tx(&bytes).unwrap(), tx);
        (tx, bytes)
    }

    fn run(s: &mut State, who: AccountId, call: Call) -> Result<Vec<Event>> {
        let mut ev = Events::enabled();
        let tx = Tx { origin: who, call };
        dispatch(s, &tx, Origin::Signed(who), &mut ev)?;
        Ok(ev.list)
    }

    fn propose_call((tx, bytes): (Tx, Vec<u8>), duration: u64) -> Call {
        Call::Propose {
            tx: bytes,
            call: Box::new(tx),
            duration,
        }
    }

    /// T1 proposes `tempo = value` on subnet 1; returns the hash.
    fn propose_tempo(s: &mut State, value: u64) -> Hash {
        let p = set_param(1, "tempo", value);
        let hash = blake2b_256(&p.1);
        run(s, T1, propose_call(p, 3600)).unwrap();
        hash
    }

    fn vote_as(s: &mut State, k: u8, hash: Hash, index: u32, approve: bool) -> Result<Vec<Event>> {
        let call = Call::Vote {
            hotkey: senator(k),
            hash,
            index,
            approve,
        };
        run(s, coldkey(k), call)
    }

    fn close(s: &mut State, hash: Hash, index: u32) -> Result<Vec<Event>> {
        run(s, STRANGER, Call::Close { hash, index })
    }

    fn field<'a>(e: &'a Event, k: &str) -> &'a Value {
        &e.fields.iter().find(|(n, _)| *n == k).unwrap().1
    }

    /// Runs `f`, expects rule error `e` and an untouched state.
    fn rejects(s: &mut State, e: RuleError, f: impl FnOnce(&mut State) -> Result<Vec<Event>>) {
        let before = s.clone();
        assert_eq!(f(s), Err(ChainError::Rule(e)));
        assert_eq!(*s, before, "state changed by a rejected {e:?}");
    }

    #[test]
    fn sudo_set_key_only_by_the_key() {
        let mut s = state(0);
        let call = || Call::SudoSetKey { new: [5; 32] };
        rejects(&mut s, RuleError::BadOrigin, |s| run(s, T1, call()));
        rejects(&mut s, RuleError::BadOrigin, |s| {
            let tx = Tx {
                origin: [0; 32],
                call: call(),
            };
            dispatch(s, &tx, Origin::Root, &mut Events::enabled()).map(|_| vec![])
        });
        let evs = run(&mut s, SUDO, call()).unwrap();
        assert_eq!(s.sudo_key, [5; 32]);
        assert_eq!(evs[0].name, "KeyChanged");
        assert_eq!(field(&evs[0], "old"), &Value::Account(SUDO));
        assert_eq!(field(&evs[0], "new"), &Value::Account([5; 32]));
        rejects(&mut s, RuleError::BadOrigin, |s| run(s, SUDO, call()));
    }

    #[test]
    fn triumvirate_membership() {
        let mut s = state(0);
        let add = |m| Call::SudoTriumvirateAddMember { member: m };
        rejects(&mut s, RuleError::BadOrigin, |s| run(s, T1, add([5; 32])));
        rejects(&mut s, RuleError::AlreadyTriumvirateMember, |s| {
            run(s, SUDO, add(T2))
        });
        run(&mut s, SUDO, add([5; 32])).unwrap();
        assert_eq!(s.triumvirate, vec![[5; 32], T1, T2]);
        rejects(&mut s, RuleError::TooManyTriumvirateMembers, |s| {
            run(s, SUDO, add([6; 32]))
        });
        // Already-member is checked before the size limit.
        rejects(&mut s, RuleError::AlreadyTriumvirateMember, |s| {
            run(s, SUDO, add(T1))
        });
        let rm = |m| Call::SudoTriumvirateRemoveMember { member: m };
        rejects(&mut s, RuleError::NotTriumvirateMember, |s| {
            run(s, SUDO, rm([6; 32]))
        });
        let evs = run(&mut s, SUDO, rm(T1)).unwrap();
        assert_eq!(names(&evs), ["TriumvirateMemberRemoved"]);
        assert_eq!(s.triumvirate, vec![[5; 32], T2]);

        let swap = |old, new| Call::SudoTriumvirateSwapMember { old, new };
        let before = s.clone();
        assert!(run(&mut s, SUDO, swap([7; 32], [7; 32]))
            .unwrap()
            .is_empty());
        assert_eq!(s, before);
        rejects(&mut s, RuleError::NotTriumvirateMember, |s| {
            run(s, SUDO, swap([7; 32], [8; 32]))
        });
        rejects(&mut s, RuleError::AlreadyTriumvirateMember, |s| {
            run(s, SUDO, swap([5; 32], T2))
        });
        let evs = run(&mut s, SUDO, swap(T2, [3; 32])).unwrap();
        assert_eq!(names(&evs), ["TriumvirateMembersSwapped"]);
        assert_eq!(s.triumvirate, vec![[3; 32], [5; 32]]);
    }

    #[test]
    fn triumvirate_removal_and_swap_delete_votes() {
        let mut s = state(3);
        // senator 0 is also a triumvirate member.
        s.triumvirate = vec![T1, senator(0)];
        let h = propose_tempo(&mut s, 7);
        vote_as(&mut s, 0, h, 0, true).unwrap();
        vote_as(&mut s, 1, h, 0, false).unwrap();
        let rm = Call::SudoTriumvirateRemoveMember { member: senator(0) };
        run(&mut s, SUDO, rm).unwrap();
        assert!(s.proposals[0].ayes.is_empty());
        assert_eq!(s.proposals[0].nays, vec![senator(1)]);

        s.triumvirate = vec![T1, senator(1)];
        let swap = Call::SudoTriumvirateSwapMember {
            old: senator(1),
            new: T2,
        };
        run(&mut s, SUDO, swap).unwrap();
        assert!(s.proposals[0].nays.is_empty());
        assert_eq!(s.triumvirate, vec![T1, T2]);
    }

    #[test]
    fn senate_membership() {
        let mut s = state(11);
        let add = |h| Call::SudoSenateAddMember { hotkey: h };
        rejects(&mut s, RuleError::BadOrigin, |s| run(s, T1, add([2; 32])));
        rejects(&mut s, RuleError::AlreadySenateMember, |s| {
            run(s, SUDO, add(senator(3)))
        });
        let evs = run(&mut s, SUDO, add([2; 32])).unwrap();
        assert_eq!(names(&evs), ["SenateMemberAdded"]);
        assert_eq!(s.senate[0], [2; 32]);
        assert!(s.senate.windows(2).all(|w| w[0] < w[1]));
        rejects(&mut s, RuleError::TooManySenateMembers, |s| {
            run(s, SUDO, add([3; 32]))
        });
        let rm = |h| Call::SudoSenateRemoveMember { hotkey: h };
        rejects(&mut s, RuleError::NotSenateMember, |s| {
            run(s, SUDO, rm([3; 32]))
        });
        // A removed senator's vote stays counted.
        let h = propose_tempo(&mut s, 7);
        vote_as(&mut s, 4, h, 0, true).unwrap();
        let evs = run(&mut s, SUDO, rm(senator(4))).unwrap();
        assert_eq!(names(&evs), ["SenateMemberRemoved"]);
        assert_eq!(s.proposals[0].ayes, vec![senator(4)]);
        assert_eq!(s.senate.len(), 11);
    }

    #[test]
    fn sudo_disapprove_removes_an_open_proposal_and_always_emits() {
        let mut s = state(2);
        let h = propose_tempo(&mut s, 7);
        vote_as(&mut s, 0, h, 0, true).unwrap();
        let call = |hash| Call::SudoDisapproveProposal { hash };
        rejects(&mut s, RuleError::BadOrigin, |s| run(s, T1, call(h)));
        let evs = run(&mut s, SUDO, call(h)).unwrap();
        assert_eq!(names(&evs), ["Disapproved"]);
        assert!(s.proposals.is_empty());
        let before = s.clone();
        let evs = run(&mut s, SUDO, call(h)).unwrap();
        assert_eq!(names(&evs), ["Disapproved"]);
        assert_eq!(field(&evs[0], "hash"), &Value::Bytes(h.to_vec()));
        assert_eq!(s, before);
    }

    #[test]
    fn propose_checks_in_order() {
        let mut s = state(5);
        let p = || set_param(1, "tempo", 7);
        rejects(&mut s, RuleError::NotTriumvirateMember, |s| {
            run(s, STRANGER, propose_call(p(), 3600))
        });
        rejects(&mut s, RuleError::WrongDuration, |s| {
            run(s, T1, propose_call(p(), 3599))
        });
        // A Signed call, the SudoKey-only call and a non-zero origin field are not proposable.
        let transfer = Tx {
            origin: [0; 32],
            call: Call::Transfer {
                dest: T2,
                amount: 1,
            },
        };
        let set_key = Tx {
            origin: [0; 32],
            call: Call::SudoSetKey { new: T2 },
        };
        let mut signed = p().0;
        signed.origin = SUDO;
        for tx in [transfer, set_key, signed] {
            rejects(&mut s, RuleError::BadOrigin, |s| {
                run(s, T1, propose_call((tx, vec![1, 2, 3]), 3600))
            });
        }
        // A Sudo-only call and an unknown hyperparameter name qualify.
        let add = Tx {
            origin: [0; 32],
            call: Call::SudoSenateAddMember { hotkey: T2 },
        };
        run(&mut s, T1, propose_call((add, vec![9]), 3600)).unwrap();
        run(&mut s, T1, propose_call(set_param(1, "nope", 1), 3600)).unwrap();

        let evs = run(&mut s, T2, propose_call(p(), 5000)).unwrap();
        let hash = blake2b_256(&p().1);
        let pr = s.proposals.last().unwrap().clone();
        assert_eq!(
            (pr.index, pr.threshold, pr.end, pr.hash),
            (2, 3, 5100, hash)
        );
        assert_eq!((pr.proposer, pr.tx), (T2, p().1));
        assert_eq!(s.proposal_count, 3);
        assert_eq!(evs[0].name, "Proposed");
        let f = |k| field(&evs[0], k).clone();
        assert_eq!(f("account"), Value::Account(T2));
        assert_eq!(f("index"), Value::U64(2));
        assert_eq!(f("hash"), Value::Bytes(hash.to_vec()));
        assert_eq!(f("threshold"), Value::U64(3));
        rejects(&mut s, RuleError::DuplicateProposal, |s| {
            run(s, T1, propose_call(p(), 4000))
        });
        for v in 0..7 {
            run(&mut s, T1, propose_call(set_param(1, "kappa", v), 3600)).unwrap();
        }
        assert_eq!(s.proposals.len(), 10);
        // Duplicate is checked before the limit.
        rejects(&mut s, RuleError::DuplicateProposal, |s| {
            run(s, T1, propose_call(p(), 4000))
        });
        rejects(&mut s, RuleError::TooManyProposals, |s| {
            run(s, T1, propose_call(set_param(1, "kappa", 99), 3600))
        });
    }

    #[test]
    fn threshold_is_half_the_senate_plus_one() {
        for (n, t) in [
            (0u8, 1u32),
            (1, 1),
            (2, 2),
            (3, 2),
            (4, 3),
            (11, 6),
            (12, 7),
        ] {
            let mut s = state(n);
            propose_tempo(&mut s, 7);
            assert_eq!(s.proposals[0].threshold, t, "senate of {n}");
        }
    }

    #[test]
    fn vote_checks_and_effects() {
        let mut s = state(3);
        s.owner.insert(STRANGER, coldkey(0)); // owned hotkey that is not a senator
        let h = propose_tempo(&mut s, 7);
        rejects(&mut s, RuleError::NonAssociatedColdKey, |s| {
            let call = Call::Vote {
                hotkey: senator(0),
                hash: h,
                index: 0,
                approve: true,
            };
            run(s, coldkey(1), call)
        });
        rejects(&mut s, RuleError::NonAssociatedColdKey, |s| {
            let call = Call::Vote {
                hotkey: [98; 32],
                hash: h,
                index: 0,
                approve: true,
            };
            run(s, coldkey(1), call)
        });
        rejects(&mut s, RuleError::NotSenateMember, |s| {
            let call = Call::Vote {
                hotkey: STRANGER,
                hash: h,
                index: 0,
                approve: true,
            };
            run(s, coldkey(0), call)
        });
        rejects(&mut s, RuleError::ProposalMissing, |s| {
            vote_as(s, 0, [7; 32], 0, true)
        });
        rejects(&mut s, RuleError::WrongIndex, |s| vote_as(s, 0, h, 1, true));
        vote_as(&mut s, 0, h, 0, true).unwrap();
        rejects(&mut s, RuleError::DuplicateVote, |s| {
            vote_as(s, 0, h, 0, true)
        });
        vote_as(&mut s, 1, h, 0, true).unwrap();
        // Changing a vote moves it to the other list.
        let evs = vote_as(&mut s, 0, h, 0, false).unwrap();
        assert_eq!(s.proposals[0].ayes, vec![senator(1)]);
        assert_eq!(s.proposals[0].nays, vec![senator(0)]);
        rejects(&mut s, RuleError::DuplicateVote, |s| {
            vote_as(s, 0, h, 0, false)
        });
        assert_eq!(evs[0].name, "Voted");
        let f = |k| field(&evs[0], k).clone();
        assert_eq!(f("hotkey"), Value::Account(senator(0)));
        assert_eq!(f("hash"), Value::Bytes(h.to_vec()));
        assert_eq!(f("approve"), Value::Bool(false));
        assert_eq!((f("yes"), f("no")), (Value::U64(1), Value::U64(1)));
    }

    #[test]
    fn close_errors_change_nothing() {
        let mut s = state(3);
        let h = propose_tempo(&mut s, 7);
        rejects(&mut s, RuleError::ProposalMissing, |s| close(s, [7; 32], 0));
        rejects(&mut s, RuleError::WrongIndex, |s| close(s, h, 1));
        vote_as(&mut s, 0, h, 0, true).unwrap();
        // 1 aye of threshold 2, no nays: undecided before the end.
        rejects(&mut s, RuleError::TooEarly, |s| close(s, h, 0));
        s.block = 3699;
        rejects(&mut s, RuleError::TooEarly, |s| close(s, h, 0));
    }

    #[test]
    fn approved_proposal_sets_a_hyperparameter_as_root() {
        let mut s = state(3);
        let h = propose_tempo(&mut s, 7);
        vote_as(&mut s, 0, h, 0, true).unwrap();
        vote_as(&mut s, 2, h, 0, true).unwrap();
        let evs = close(&mut s, h, 0).unwrap();
        assert_eq!(
            names(&evs),
            ["Closed", "Approved", "HyperparameterSet", "Executed"]
        );
        assert_eq!(field(&evs[0], "yes"), &Value::U64(2));
        assert_eq!(field(&evs[0], "no"), &Value::U64(0));
        assert_eq!(field(&evs[3], "result"), &Value::Nil);
        assert_eq!(field(&evs[3], "hash"), &Value::Bytes(h.to_vec()));
        assert_eq!(s.subnets[&1].params.tempo, 7);
        assert!(s.proposals.is_empty());
        rejects(&mut s, RuleError::ProposalMissing, |s| close(s, h, 0));
    }

    #[test]
    fn failing_inner_transaction_is_reported_and_close_succeeds() {
        let mut s = state(1);
        let p = set_param(42, "tempo", 7); // netuid 42 does not exist
        let h = blake2b_256(&p.1);
        run(&mut s, T1, propose_call(p, 3600)).unwrap();
        vote_as(&mut s, 0, h, 0, true).unwrap();
        let mut expect = s.clone();
        expect.proposals.clear();
        let evs = close(&mut s, h, 0).unwrap();
        assert_eq!(names(&evs), ["Closed", "Approved", "Executed"]);
        assert_eq!(
            field(&evs[2], "result"),
            &Value::Str("NetworkDoesNotExist".into())
        );
        assert_eq!(s, expect);
        assert!(!s.subnets.contains_key(&42));
    }

    #[test]
    fn approval_without_majority_of_seats_is_bad_origin() {
        // Threshold 1 from a senate of 1; the senate then grows to 4: 2·1 ≤ 4.
        let mut s = state(1);
        let h = propose_tempo(&mut s, 7);
        vote_as(&mut s, 0, h, 0, true).unwrap();
        for k in 1..4 {
            s.senate.push(senator(k));
        }
        let evs = close(&mut s, h, 0).unwrap();
        assert_eq!(names(&evs), ["Closed", "Approved", "Executed"]);
        assert_eq!(field(&evs[2], "result"), &Value::Str("BadOrigin".into()));
        assert_eq!(s.subnets[&1].params.tempo, 360);
        assert!(s.proposals.is_empty());
    }

    #[test]
    fn early_disapproval() {
        // 3 seats, threshold 2: two nays leave 1 < 2 possible ayes.
        let mut s = state(3);
        let h = propose_tempo(&mut s, 7);
        vote_as(&mut s, 0, h, 0, false).unwrap();
        rejects(&mut s, RuleError::TooEarly, |s| close(s, h, 0));
        vote_as(&mut s, 1, h, 0, false).unwrap();
        let evs = close(&mut s, h, 0).unwrap();
        assert_eq!(names(&evs), ["Closed", "Disapproved"]);
        assert_eq!(field(&evs[0], "yes"), &Value::U64(0));
        assert_eq!(field(&evs[0], "no"), &Value::U64(2));
        assert!(s.proposals.is_empty());
        assert_eq!(s.subnets[&1].params.tempo, 360);
    }

    #[test]
    fn end_of_duration_disapproves_abstentions() {
        let mut s = state(3);
        let h = propose_tempo(&mut s, 7);
        vote_as(&mut s, 0, h, 0, true).unwrap();
        s.block = 3700; // end = 100 + 3600
        let evs = close(&mut s, h, 0).unwrap();
        assert_eq!(names(&evs), ["Closed", "Disapproved"]);
        assert_eq!(field(&evs[0], "yes"), &Value::U64(1));
        assert_eq!(field(&evs[0], "no"), &Value::U64(0));
        assert!(s.proposals.is_empty());
        assert_eq!(s.subnets[&1].params.tempo, 360);
    }

    #[test]
    fn unknown_hyperparameter_fails_at_execution() {
        let mut s = state(1);
        let p = set_param(1, "nope", 7);
        let h = blake2b_256(&p.1);
        run(&mut s, T1, propose_call(p, 3600)).unwrap();
        vote_as(&mut s, 0, h, 0, true).unwrap();
        let evs = close(&mut s, h, 0).unwrap();
        assert_eq!(
            field(&evs[2], "result"),
            &Value::Str("UnknownHyperparameter".into())
        );
    }

    #[test]
    fn huge_duration_saturates_the_end_block() {
        let mut s = state(1);
        run(&mut s, T1, propose_call(set_param(1, "tempo", 7), u64::MAX)).unwrap();
        assert_eq!(s.proposals[0].end, u64::MAX);
    }

    #[test]
    fn undecodable_stored_proposal_is_an_engine_fault_that_changes_nothing() {
        let mut s = state(1);
        let h = propose_tempo(&mut s, 7);
        vote_as(&mut s, 0, h, 0, true).unwrap();
        s.proposals[0].tx = vec![0xc1];
        let before = s.clone();
        let mut ev = Events::enabled();
        let r = super::close(&mut s, &STRANGER, &h, 0, &mut ev);
        assert!(matches!(r, Err(ChainError::Fatal(_))));
        assert_eq!(s, before);
        assert!(ev.is_empty());
    }

    #[test]
    fn remove_votes_of_clears_every_open_proposal() {
        let mut s = state(3);
        let h1 = propose_tempo(&mut s, 7);
        let h2 = propose_tempo(&mut s, 8);
        vote_as(&mut s, 0, h1, 0, true).unwrap();
        vote_as(&mut s, 0, h2, 1, false).unwrap();
        vote_as(&mut s, 1, h2, 1, false).unwrap();
        remove_votes_of(&mut s, &senator(0));
        assert!(s.proposals[0].ayes.is_empty());
        assert_eq!(s.proposals[1].nays, vec![senator(1)]);
    }

    #[test]
    fn non_signed_origins_cannot_propose_vote_or_close() {
        let mut s = state(1);
        let h = propose_tempo(&mut s, 7);
        let calls = [
            propose_call(set_param(1, "kappa", 1), 3600),
            Call::Vote {
                hotkey: senator(0),
                hash: h,
                index: 0,
                approve: true,
            },
            Call::Close { hash: h, index: 0 },
        ];
        for call in calls {
            rejects(&mut s, RuleError::BadOrigin, |s| {
                let tx = Tx {
                    origin: [0; 32],
                    call,
                };
                dispatch(s, &tx, Origin::Root, &mut Events::enabled()).map(|_| vec![])
            });
        }
    }
}
