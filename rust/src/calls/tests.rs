use super::*;
use crate::codec::encode_block;

fn tx_bytes(v: rmpv::Value) -> Vec<u8> {
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &v).unwrap();
    out
}

fn acct(b: u8) -> rmpv::Value {
    rmpv::Value::Binary(vec![b; 32])
}

#[test]
fn transfer_round_trips_through_a_block() {
    use rmpv::Value as V;
    let t = tx_bytes(V::Array(vec![V::from(1), acct(1), acct(2), V::from(5u64)]));
    let rec = encode_block(7, &[9; 32], &[t.clone(), t]);
    let b = codec::decode_block::<Tx>(&rec).unwrap();
    assert_eq!(b.number, 7);
    assert_eq!(b.parent_hash, [9; 32]);
    assert_eq!(b.txs.len(), 2);
    assert_eq!(
        b.txs[0].call,
        Call::Transfer(balances::Transfer {
            dest: [2; 32],
            amount: 5
        })
    );
}

#[test]
fn errors_name_the_field() {
    use rmpv::Value as V;
    let t = tx_bytes(V::Array(vec![V::from(1), acct(1), acct(2), V::from(-1)]));
    assert!(decode_tx(&t).unwrap_err().contains("Transfer.amount"));
    let t = tx_bytes(V::Array(vec![V::from(99), acct(1)]));
    assert!(decode_tx(&t).unwrap_err().contains("unknown kind"));
    let t = tx_bytes(V::Array(vec![
        V::from(1),
        V::Binary(vec![1; 31]),
        acct(2),
        V::from(1),
    ]));
    assert!(decode_tx(&t).unwrap_err().contains("Transfer.origin"));
}

#[test]
fn non_canonical_encodings_are_refused() {
    // amount 5 written as a uint64 instead of a positive fixint
    let mut t = vec![0x94, 0x01, 0xc4, 32];
    t.extend([1u8; 32]);
    t.extend([0xc4, 32]);
    t.extend([2u8; 32]);
    let ok = [t.clone(), vec![0x05]].concat();
    assert!(decode_tx(&ok).is_ok());
    let long = [t, vec![0xcf, 0, 0, 0, 0, 0, 0, 0, 5]].concat();
    assert!(decode_tx(&long).unwrap_err().contains("shortest"));
}

/// u16 arrays (weight rows) take a fast path for the three shortest encodings; every other form
/// still goes through the checked reader and is refused naming the element.
#[test]
fn u16_arrays_accept_exactly_the_shortest_encodings() {
    // [11, origin, netuid 1, uids, values [], version_key 0] with uids = [0, <element>]
    let weights = |element: &[u8]| {
        let mut t = vec![0x96, 11, 0xc4, 32];
        t.extend([1u8; 32]);
        t.extend([0x01, 0x92, 0x00]);
        t.extend(element);
        t.extend([0x90, 0x00]);
        t
    };
    let uids = |t: &[u8]| match decode_tx(t).map(|tx| tx.call) {
        Ok(Call::SetWeights(w)) => Ok(w.uids),
        Ok(c) => panic!("{c:?}"),
        Err(e) => Err(e),
    };
    for (bytes, v) in [
        (&[0x00][..], 0u16),
        (&[0x7f], 127),
        (&[0xcc, 0x80], 128),
        (&[0xcc, 0xff], 255),
        (&[0xcd, 0x01, 0x00], 256),
        (&[0xcd, 0xff, 0xff], 65535),
    ] {
        assert_eq!(uids(&weights(bytes)), Ok(vec![0, v]), "{bytes:02x?}");
    }
    for (bytes, why) in [
        (&[0xcc, 0x05][..], "shortest"),
        (&[0xcd, 0x00, 0xff], "shortest"),
        (&[0xce, 0, 0, 0, 5], "shortest"),
        (&[0xd0, 0x05], "shortest"),
        (&[0xce, 0, 1, 0, 0], "out of range"),
        (&[0xff], "out of range"),
        (&[0xc0], "expected an unsigned integer"),
    ] {
        let e = uids(&weights(bytes)).unwrap_err();
        assert!(
            e.contains("SetWeights.uids[1]") && e.contains(why),
            "{bytes:02x?}: {e}"
        );
    }
    let mut cut = weights(&[0xcd, 0x01, 0x00]);
    cut.truncate(cut.len() - 3);
    assert!(decode_tx(&cut).unwrap_err().contains("SetWeights.uids[1]"));
}

#[test]
fn propose_keeps_the_exact_inner_bytes() {
    use rmpv::Value as V;
    let inner = V::Array(vec![V::from(15), acct(0), acct(3)]);
    let inner_bytes = tx_bytes(inner.clone());
    let t = tx_bytes(V::Array(vec![V::from(22), acct(1), inner, V::from(3600)]));
    match decode_tx(&t).unwrap().call {
        Call::Propose(governance::Propose { tx, duration, .. }) => {
            assert_eq!(tx, inner_bytes);
            assert_eq!(duration, 3600);
        }
        c => panic!("{c:?}"),
    }
}

#[test]
fn the_table_gives_each_wire_kind_its_name_arity_and_origin_rule() {
    use rmpv::Value as V;
    // docs/WIRE.md: (kind, name, number of fields after `origin`), fixed forever.
    let wire = [
        (1, "Transfer", 2),
        (2, "AddStake", 2),
        (3, "RemoveStake", 2),
        (4, "BecomeDelegate", 1),
        (5, "RegisterNetwork", 0),
        (6, "DissolveNetwork", 1),
        (7, "BurnedRegister", 2),
        (8, "Register", 6),
        (9, "SudoRegister", 5),
        (10, "RootRegister", 1),
        (11, "SetWeights", 4),
        (12, "ServeAxon", 8),
        (13, "ServePrometheus", 5),
        (14, "SudoSetHyperparameter", 3),
        (15, "SudoSetKey", 1),
        (16, "SudoTriumvirateAddMember", 1),
        (17, "SudoTriumvirateRemoveMember", 1),
        (18, "SudoTriumvirateSwapMember", 2),
        (19, "SudoSenateAddMember", 1),
        (20, "SudoSenateRemoveMember", 1),
        (21, "SudoDisapproveProposal", 1),
        (22, "Propose", 2),
        (23, "Vote", 4),
        (24, "Close", 2),
        (25, "SwapHotkey", 2),
        (26, "Faucet", 3),
        (27, "SudoSetBalance", 2),
        (28, "SudoRegisterNetwork", 1),
    ];
    for k in 0..=255u8 {
        let row = wire.iter().find(|w| w.0 == k).map(|w| (w.1, w.2));
        assert_eq!(shape(k), row, "kind {k}");
    }
    let t = tx_bytes(V::Array(vec![V::from(15), acct(1), acct(3)]));
    let call = decode_tx(&t).unwrap().call;
    assert_eq!(
        call,
        Call::SudoSetKey(governance::SudoSetKey { new: [3; 32] })
    );
    assert_eq!(
        (call.kind(), call.name(), call.origin_rule()),
        (15, "SudoSetKey", OriginRule::SudoKey)
    );
    let t = tx_bytes(V::Array(vec![V::from(28), acct(1), V::from(7)]));
    let call = decode_tx(&t).unwrap().call;
    assert_eq!(
        call,
        Call::SudoRegisterNetwork(subnets::SudoRegisterNetwork { netuid: 7 })
    );
    assert_eq!(
        (call.kind(), call.name(), call.origin_rule()),
        (28, "SudoRegisterNetwork", OriginRule::Sudo)
    );
}
