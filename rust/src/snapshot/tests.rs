use super::*;

#[test]
fn round_trip_and_root() {
    let mut s = State::default();
    s.set_free(&[3; 32], 77);
    s.total_issuance = 77;
    let b = encode(&s);
    let back = decode(&b).unwrap();
    assert_eq!(back, s);
    assert_eq!(state_root(&back), state_root(&s));
    s.set_free(&[3; 32], 78);
    assert_ne!(state_root(&back), state_root(&s));
    assert!(decode(&b[..b.len() - 1]).is_err());
}

/// Transaction bytes `[kind, origin, args…]` (docs/WIRE.md).
fn tx(kind: u64, origin: [u8; 32], args: Vec<rmpv::Value>) -> Vec<u8> {
    let mut a = vec![
        rmpv::Value::from(kind),
        rmpv::Value::Binary(origin.to_vec()),
    ];
    a.extend(args);
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &rmpv::Value::Array(a)).unwrap();
    out
}

/// A small history through the engine's wire interface: two user subnets with neurons,
/// weights and epochs, a root validator, changed hyperparameters and globals, and a dissolved
/// subnet whose leftovers (`BlockAtRegistration`, parameters) stay in the state.
pub(crate) fn pinned_history() -> crate::engine::Engine {
    use crate::testutil::{genesis_bytes, SUDO};
    use rmpv::Value as V;
    let (alice, bob) = ([0xA1; 32], [0xB0; 32]);
    let k = |b: u8| V::Binary(vec![b; 32]);
    let set = |netuid: Option<u16>, name: &str, v: V| {
        let n = netuid.map_or(V::Nil, V::from);
        tx(14, SUDO, vec![n, V::from(name), v])
    };
    let g = genesis_bytes(
        &[(alice, 10_000_000_000_000), (bob, 5_000_000_000)],
        &[("network_rate_limit", 0), ("tx_rate_limit", 0)],
    );
    let mut e = crate::engine::Engine::from_genesis(&g).unwrap();
    let mut block1 = vec![tx(5, alice, vec![]), tx(5, alice, vec![])];
    for netuid in [1u16, 2] {
        for (name, v) in [
            ("tempo", 3u64),
            ("weights_set_rate_limit", 0),
            ("max_registrations_per_block", 8),
            ("target_registrations_per_interval", 8),
        ] {
            block1.push(set(Some(netuid), name, V::from(v)));
        }
    }
    block1.push(set(None, "subnet_owner_cut", V::from(1_000)));
    block1.push(set(Some(0), "weights_set_rate_limit", V::from(0)));
    block1.push(set(Some(0), "tempo", V::from(3)));
    block1.push(set(
        Some(1),
        "network_pow_registration_allowed",
        V::from(true),
    ));
    for (i, h) in [10u8, 11, 12, 13].into_iter().enumerate() {
        let stake = V::from(1_000_000_000 * (i as u64 + 1));
        block1.push(tx(
            9,
            SUDO,
            vec![V::from(1), k(h), k(0xC0 + h), stake, V::from(0)],
        ));
    }
    for h in [20u8, 21] {
        let (stake, balance) = (V::from(500_000_000u64), V::from(7_000));
        block1.push(tx(
            9,
            SUDO,
            vec![V::from(2), k(h), k(0xC0 + h), stake, balance],
        ));
    }
    for t in &block1 {
        e.submit(t).unwrap();
    }
    e.seal().unwrap();
    e.submit(&tx(7, bob, vec![V::from(1), k(14)])).unwrap();
    e.submit(&tx(10, [0xC0 + 13; 32], vec![k(13)])).unwrap();
    e.submit(&tx(4, [0xC0 + 11; 32], vec![k(11)])).unwrap();
    e.submit(&tx(2, alice, vec![k(11), V::from(3_000_000_000u64)]))
        .unwrap();
    e.seal().unwrap();
    for b in 3..=40u64 {
        let uids = V::Array((0..5u16).map(V::from).collect());
        let values = V::Array(
            (0..5u64)
                .map(|j| V::from(1 + (b * 7 + j * 13) % 100))
                .collect(),
        );
        // Validator permits come with subnet 1's first epoch with neurons (block 5).
        for h in [10u8, 11, 13].into_iter().filter(|_| b > 5) {
            let args = vec![V::from(1), uids.clone(), values.clone(), V::from(0)];
            e.submit(&tx(11, [h; 32], args)).unwrap();
        }
        if b == 6 {
            let root_w = vec![
                V::from(0),
                V::Array(vec![V::from(1), V::from(2)]),
                V::Array(vec![V::from(3), V::from(1)]),
                V::from(0),
            ];
            e.submit(&tx(11, [13; 32], root_w)).unwrap();
        }
        if b == 30 {
            e.submit(&tx(6, alice, vec![V::from(2)])).unwrap();
        }
        e.seal().unwrap();
    }
    e.check_invariants().unwrap();
    e
}

/// The snapshot bytes of a fixed history are pinned: any change to the state's field layout or
/// encoding (which would change every state root and orphan stored snapshots) fails here. The
/// canonical bytes inside (`compact::expand`) are still those of version 1 (pinned before
/// version 2 existed), but for the version number.
#[test]
fn snapshot_bytes_are_pinned() {
    let e = pinned_history();
    let s = &e.state;
    assert!(!s.subnet_exists(2) && s.subnets[&2].neurons.block_at_registration.len() == 2);
    let sub = &s.subnets[&1];
    assert!(
        sub.neurons.bonds.iter().any(|r| !r.is_empty()),
        "epochs ran"
    );
    assert!(
        sub.neurons.emission.iter().any(|x| *x > 0),
        "emission reached subnet 1"
    );
    let snap = e.snapshot().unwrap();
    assert_eq!(decode(&snap).unwrap(), *s);
    let hex = |h: Hash| h.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(
        hex(blake2b_256(&snap)),
        "243157c3584e59855ffd006aac6724cb012203c63c37bfa3627884e72e442b26"
    );
    let mut canonical = compact::expand(&snap).unwrap();
    assert_eq!(canonical[..2], [0x93, 2]);
    canonical[1] = 1;
    assert_eq!(
        hex(blake2b_256(&canonical)),
        "7dac44f5411a1ca2a5f5626b8b3efb72ee669854d6a64603908bf00061f3e8fa"
    );
    assert_eq!(decode(&canonical).unwrap(), *s, "version 1 is still read");
    assert_eq!(
        hex(e.state_root()),
        "65c610e19883f3ee893fdee2e7adffee71c54bddc614f99f6102f0df44c0eeec"
    );
}

/// The pinned history's snapshot is read by the fast reader itself (not its `rmp-serde`
/// fallback), to the same state.
#[test]
fn fast_reader_reads_the_snapshot() {
    let e = pinned_history();
    let snap = e.snapshot().unwrap();
    let (v, r, s): (u32, String, State) = serde_reader::from_slice(&snap).unwrap();
    assert_eq!((v, r.as_str(), &s), (SNAPSHOT_VERSION, RULESET, &e.state));
    let slow: (u32, String, State) =
        rmp_serde::from_slice(&compact::expand(&snap).unwrap()).unwrap();
    assert_eq!(slow.2, s);
    assert!(
        snap.windows(3)
            .filter(|w| *w == compact::EXT_HEADER)
            .count()
            > 10
    );
}

/// A snapshot in longer encodings than `encode` writes is refused by the fast reader and still
/// read (by `rmp-serde`); malformed ones fail with `rmp-serde`'s error.
#[test]
fn decode_falls_back_to_rmp_serde() {
    let s = State {
        block: 5,
        ..State::default()
    };
    let snap = encode(&s);
    // [1, "finney-2023", [block, …]]: the state's array 16 header, then `block` as a fixint
    let at = 1 + 1 + 1 + RULESET.len() + 3;
    assert_eq!(snap[at], 5);
    let mut long = snap[..at].to_vec();
    long.extend([0xcc, 5]);
    long.extend(&snap[at + 1..]);
    assert!(serde_reader::from_slice::<(u32, String, State)>(&long).is_err());
    assert_eq!(decode(&long).unwrap(), s);
    for bad in [&snap[..snap.len() - 1], &snap[..at], &[0x93, 1][..]] {
        let want = rmp_serde::from_slice::<(u32, String, State)>(bad).unwrap_err();
        match decode(bad) {
            Err(ChainError::Format(m)) => {
                assert_eq!(m, format!("snapshot does not decode: {want}"))
            }
            other => panic!("{other:?}"),
        }
    }
}

/// Every kind of value the state holds, each field non-empty (axons with their `u128` addresses,
/// open proposals, options set), is read by the fast reader itself.
#[test]
fn fast_reader_reads_every_field() {
    use crate::state::{AxonInfo, PrometheusInfo, Proposal};
    let mut s = pinned_history().state;
    let (k, ip) = ([0x9c; 32], u128::MAX - 0xcc);
    s.axons.insert(
        (1, k),
        AxonInfo {
            block: 7,
            version: 70_000,
            ip,
            port: 8091,
            ip_type: 6,
            protocol: 4,
            placeholder1: 0,
            placeholder2: 255,
        },
    );
    s.prometheus.insert(
        (1, k),
        PrometheusInfo {
            block: 8,
            version: 1,
            ip: 0x7f00_0001,
            port: 9090,
            ip_type: 4,
        },
    );
    s.proposals.push(Proposal {
        hash: [0xcc; 32],
        index: 3,
        proposer: k,
        tx: vec![0x93, 0x01, 0xcc, 0xff],
        threshold: 2,
        ayes: vec![k, [0x80; 32]],
        nays: vec![[0x7f; 32]],
        end: u64::MAX,
    });
    s.senate.push(k);
    s.triumvirate.push(k);
    s.used_work.insert([0xab; 32], 12);
    let sub = s.subnets.get_mut(&1).unwrap();
    sub.loaded_emission = Some(vec![(k, 1, u64::MAX)]);
    sub.owner = Some(k);
    let snap = encode(&s);
    let (_, _, back): (u32, String, State) = serde_reader::from_slice(&snap).unwrap();
    assert_eq!(back, s);
}

fn hex32(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// BLAKE2b-256 (unkeyed, 32-byte digest: Python's `hashlib.blake2b(x, digest_size=32)`) on known
/// inputs, and the several-at-once form equal to one at a time for every length class (empty,
/// one block, block boundaries, several blocks) and for groups not a multiple of four lanes.
#[test]
fn blake2b_256_known_answers_and_many_equals_one_by_one() {
    assert_eq!(
        hex32(&blake2b_256(b"")),
        "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
    );
    assert_eq!(
        hex32(&blake2b_256(b"abc")),
        "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
    );
    let data: Vec<u8> = (0..6000u32).map(|i| (i * 131 % 251) as u8).collect();
    let lens = [0usize, 1, 3, 127, 128, 129, 255, 256, 257, 1000, 4999];
    for group in 0..=9 {
        let inputs: Vec<&[u8]> = (0..group)
            .map(|k| &data[k..k + lens[(k * 7 + group) % lens.len()]])
            .collect();
        let many = blake2b_256_many(&inputs);
        let one: Vec<Hash> = inputs.iter().map(|d| blake2b_256(d)).collect();
        assert_eq!(many, one, "group of {group}");
    }
}

/// The parallel reader (the big maps on their own tasks) reads the same state as the sequential
/// one, from compact and from canonical (version 1) bytes, and declines bytes not laid out as a
/// state (the sequential reader then reports the error).
#[test]
fn parallel_reader_reads_what_the_sequential_one_reads() {
    let e = pinned_history();
    assert!(!e.state.owner.is_empty() && !e.state.stake.is_empty());
    let snap = e.snapshot().unwrap();
    let mut canonical = compact::expand(&snap).unwrap();
    canonical[1] = 1;
    for bytes in [&snap, &canonical] {
        let (_, _, par) = parallel::decode(bytes).unwrap().unwrap();
        let (_, _, seq): (u32, String, State) = serde_reader::from_slice(bytes).unwrap();
        assert_eq!(par, seq);
        assert_eq!(par, e.state);
    }
    assert!(!matches!(
        parallel::decode(&snap[..snap.len() / 2]),
        Some(Ok(_))
    ));
    assert!(parallel::decode(&[0x93, 1][..]).is_none());
    // a hotkey with a total but no `Stake` entry, and one with both
    let mut s = e.state.clone();
    s.stake.entry([0x42; 32]).or_default().total = Some(9);
    let (_, _, par) = parallel::decode(&encode(&s)).unwrap().unwrap();
    assert_eq!(par, s);
}

/// A per-uid column of exactly 32 small integers is written like an account (an array of 32
/// integers < 256) and so compacted too: it reads back as the same column, through both readers.
#[test]
fn a_column_of_32_small_values_round_trips() {
    let mut s = pinned_history().state;
    let sub = s.subnets.get_mut(&1).unwrap();
    while sub.n < 32 {
        let uid = sub.n;
        sub.append_neuron(&[0x50 + uid as u8; 32], 9);
    }
    for (uid, v) in sub.neurons.validator_trust.iter_mut().enumerate() {
        *v = (uid * 7 % 256) as u16;
    }
    let snap = encode(&s);
    let canonical = compact::expand(&snap).unwrap();
    let column = &s.subnets[&1].neurons.validator_trust;
    let written = rmp_serde::to_vec(column).unwrap();
    assert_eq!(written[..3], [0xdc, 0x00, 32]);
    let mut as_ext = compact::EXT_HEADER.to_vec();
    as_ext.extend(column.iter().map(|&v| v as u8));
    let has = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    assert!(has(&canonical, &written) && has(&snap, &as_ext) && !has(&snap, &written));
    assert_eq!(decode(&snap).unwrap(), s);
    let (_, _, par) = parallel::decode(&snap).unwrap().unwrap();
    assert_eq!(par, s);
}
