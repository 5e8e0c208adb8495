use super::*;
use crate::calls::{dispatch, Call, Tx};
use crate::codec::ParamValue;
use crate::engine::genesis_state;
use crate::hyperparams::SudoSetHyperparameter;
use crate::origin::Origin;
use crate::state::Subnet;
use crate::testutil::{genesis_bytes, names};
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
        call: Call::SudoSetHyperparameter(SudoSetHyperparameter {
            netuid: Some(netuid),
            name: name.to_string(),
            value: ParamValue::Int(value),
        }),
    };
    let v = V::Array(vec![
        V::from(14),
        V::Binary(vec![0; 32]),
        V::from(netuid),
        V::from(name),
        V::from(value),
    ]);
    let bytes = encode(&v);
    assert_eq!(crate::calls::decode_tx(&bytes).unwrap(), tx);
    (tx, bytes)
}

fn run(s: &mut State, who: AccountId, call: Call) -> Result<Vec<Event>> {
    let mut ev = Events::enabled();
    let tx = Tx { origin: who, call };
    dispatch(s, &tx, Origin::Signed(who), &mut ev)?;
    Ok(ev.list)
}

fn propose_call((tx, bytes): (Tx, Vec<u8>), duration: u64) -> Call {
    Call::Propose(Propose {
        tx: bytes,
        call: Box::new(tx),
        duration,
    })
}

/// T1 proposes `tempo = value` on subnet 1; returns the hash.
fn propose_tempo(s: &mut State, value: u64) -> Hash {
    let p = set_param(1, "tempo", value);
    let hash = blake2b_256(&p.1);
    run(s, T1, propose_call(p, 3600)).unwrap();
    hash
}

fn vote_as(s: &mut State, k: u8, hash: Hash, index: u32, approve: bool) -> Result<Vec<Event>> {
    let call = Call::Vote(Vote {
        hotkey: senator(k),
        hash,
        index,
        approve,
    });
    run(s, coldkey(k), call)
}

fn close(s: &mut State, hash: Hash, index: u32) -> Result<Vec<Event>> {
    run(s, STRANGER, Call::Close(Close { hash, index }))
}

fn field<'a>(e: &'a Event, k: &str) -> &'a Value {
    &e.fields.iter().find(|(n, _)| *n == k).unwrap().1
}

/// Runs `f`, expects rule error `e` and an untouched state.
fn rejects(s: &mut State, e: RuleError, f: impl FnOnce(&mut State) -> Result<Vec<Event>>) {
    let before = s.clone();
    assert_eq!(f(s), Err(ChainError::Rule(e.into())));
    assert_eq!(*s, before, "state changed by a rejected {e:?}");
}

#[test]
fn sudo_set_key_only_by_the_key() {
    let mut s = state(0);
    let call = || Call::SudoSetKey(SudoSetKey { new: [5; 32] });
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
    let add = |m| Call::SudoTriumvirateAddMember(SudoTriumvirateAddMember { member: m });
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
    let rm = |m| Call::SudoTriumvirateRemoveMember(SudoTriumvirateRemoveMember { member: m });
    rejects(&mut s, RuleError::NotTriumvirateMember, |s| {
        run(s, SUDO, rm([6; 32]))
    });
    let evs = run(&mut s, SUDO, rm(T1)).unwrap();
    assert_eq!(names(&evs), ["TriumvirateMemberRemoved"]);
    assert_eq!(s.triumvirate, vec![[5; 32], T2]);

    let swap = |old, new| Call::SudoTriumvirateSwapMember(SudoTriumvirateSwapMember { old, new });
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
    let rm = Call::SudoTriumvirateRemoveMember(SudoTriumvirateRemoveMember { member: senator(0) });
    run(&mut s, SUDO, rm).unwrap();
    assert!(s.proposals[0].ayes.is_empty());
    assert_eq!(s.proposals[0].nays, vec![senator(1)]);

    s.triumvirate = vec![T1, senator(1)];
    let swap = Call::SudoTriumvirateSwapMember(SudoTriumvirateSwapMember {
        old: senator(1),
        new: T2,
    });
    run(&mut s, SUDO, swap).unwrap();
    assert!(s.proposals[0].nays.is_empty());
    assert_eq!(s.triumvirate, vec![T1, T2]);
}

#[test]
fn senate_membership() {
    let mut s = state(11);
    let add = |h| Call::SudoSenateAddMember(SudoSenateAddMember { hotkey: h });
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
    let rm = |h| Call::SudoSenateRemoveMember(SudoSenateRemoveMember { hotkey: h });
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
    let call = |hash| Call::SudoDisapproveProposal(SudoDisapproveProposal { hash });
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
        call: Call::Transfer(crate::balances::Transfer {
            dest: T2,
            amount: 1,
        }),
    };
    let set_key = Tx {
        origin: [0; 32],
        call: Call::SudoSetKey(SudoSetKey { new: T2 }),
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
        call: Call::SudoSenateAddMember(SudoSenateAddMember { hotkey: T2 }),
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
        let call = Call::Vote(Vote {
            hotkey: senator(0),
            hash: h,
            index: 0,
            approve: true,
        });
        run(s, coldkey(1), call)
    });
    rejects(&mut s, RuleError::NonAssociatedColdKey, |s| {
        let call = Call::Vote(Vote {
            hotkey: [98; 32],
            hash: h,
            index: 0,
            approve: true,
        });
        run(s, coldkey(1), call)
    });
    rejects(&mut s, RuleError::NotSenateMember, |s| {
        let call = Call::Vote(Vote {
            hotkey: STRANGER,
            hash: h,
            index: 0,
            approve: true,
        });
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
    let r = super::close::<Tx>(&mut s, &STRANGER, &Close { hash: h, index: 0 }, &mut ev);
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
        Call::Vote(Vote {
            hotkey: senator(0),
            hash: h,
            index: 0,
            approve: true,
        }),
        Call::Close(Close { hash: h, index: 0 }),
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
