use crate::engine::Engine;
use crate::error::ChainError;
use crate::testutil::{transfer, SUDO};
use rmpv::Value as V;

fn acct(b: u8) -> V {
    V::Binary(vec![b; 32])
}

fn pairs(p: &[(u16, u16)]) -> V {
    V::Array(
        p.iter()
            .map(|(u, w)| V::Array(vec![V::from(*u), V::from(*w)]))
            .collect(),
    )
}

/// A neuron on the wire (docs/WIRE.md): hotkey [h;32], coldkey [c;32].
fn neuron(h: u8, c: u8, reg: u64, last: u64, permit: bool, w: &[(u16, u16)]) -> V {
    let mut f = vec![acct(h), acct(c), V::from(reg), V::from(last), V::from(true)];
    f.push(V::from(permit));
    f.extend([1u64, 2, 3, 4, 5, 600, 7, 8].map(V::from)); // rank … pruning_score
    f.extend([pairs(w), pairs(&[(0, 9)]), V::Nil, V::Nil]);
    V::Array(f)
}

fn record(block: u64, subnet: V, stakes: &[(u8, u8, u64)]) -> Vec<u8> {
    let stakes = stakes
        .iter()
        .map(|(h, c, v)| V::Array(vec![acct(*h), acct(*c), V::from(*v)]))
        .collect();
    let m = V::Map(vec![
        (V::from("block"), V::from(block)),
        (
            V::from("balances"),
            V::Array(vec![V::Array(vec![acct(50), V::from(10_000u64)])]),
        ),
        (V::from("sudo"), V::Binary(SUDO.to_vec())),
        (V::from("stakes"), V::Array(stakes)),
        (V::from("subnets"), V::Array(vec![subnet])),
    ]);
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &m).expect("vec write");
    out
}

fn subnet(netuid: u16, neurons: Vec<V>) -> V {
    V::Map(vec![
        (V::from("netuid"), V::from(netuid)),
        (
            V::from("params"),
            V::Map(vec![(V::from("tempo"), V::from(9u64))]),
        ),
        (V::from("pending_emission"), V::from(1_000_000u64)),
        (V::from("neurons"), V::Array(neurons)),
    ])
}

fn two_neurons() -> Vec<V> {
    vec![
        neuron(10, 20, 100, 990, true, &[(0, 30_000), (1, 35_535)]),
        neuron(11, 21, 500, 900, false, &[]),
    ]
}

#[test]
fn imported_subnet_and_start_block() {
    let g = record(
        1000,
        subnet(3, two_neurons()),
        &[(10, 20, 5_000), (10, 22, 7), (11, 21, 40)],
    );
    let e = Engine::from_genesis(&g).unwrap();
    let s = &e.state;
    assert_eq!((e.head(), s.block), (1000, 1000));
    assert_eq!(s.recent_hashes.len(), 1);
    assert_eq!(s.recent_hashes[0].0, 1000);
    assert_eq!(s.total_issuance, 10_000 + 5_000 + 7 + 40);
    e.check_invariants().unwrap();
    let sub = s.subnet(3).unwrap();
    assert_eq!(
        (sub.n, sub.params.tempo, sub.pending_emission),
        (2, 9, 1_000_000)
    );
    let ns = &sub.neurons;
    assert_eq!(ns.keys, vec![[10; 32], [11; 32]]);
    assert_eq!(ns.block_at_registration, vec![100, 500]);
    assert_eq!(ns.last_update, vec![990, 900]);
    assert_eq!(ns.validator_permit, vec![true, false]);
    assert_eq!(ns.weights[0], vec![(0, 30_000), (1, 35_535)]);
    assert_eq!(ns.bonds[1], vec![(0, 9)]);
    assert_eq!(
        (ns.rank[1], ns.emission[0], ns.pruning_scores[1]),
        (1, 600, 8)
    );
    assert_eq!(s.owner[&[11; 32]], [21; 32]);
    assert_eq!(s.total_hotkey_stake(&[10; 32]), 5_007);
    assert_eq!(s.total_networks, 2);

    // The next block is 1001; the epoch of netuid 3 (tempo 9) is due when (b + 3 + 1) % 10 == 9
    // (docs/ruleset.md §3): at 1005, whatever the chain's length since genesis.
    let mut live = e.clone();
    live.submit(&transfer(50, 51, 1_000)).unwrap();
    let rec = live.seal().unwrap();
    assert_eq!(live.head(), 1001);
    let mut replay = Engine::from_genesis(&g).unwrap();
    replay.apply_record(&rec, false).unwrap();
    assert_eq!(replay.state_root(), live.state_root());
    for _ in 0..5 {
        live.seal().unwrap();
    }
    assert_eq!(live.head(), 1006);
    let sub = live.state.subnet(3).unwrap();
    assert_eq!(
        sub.last_mechanism_step_block, 1005,
        "the epoch ran at the absolute block 1005"
    );
    assert_eq!(
        sub.neurons.validator_permit,
        vec![true, true],
        "the epoch gave both permits"
    );
    live.check_invariants().unwrap();
}

fn invalid(g: &[u8]) -> String {
    match Engine::from_genesis(g) {
        Err(ChainError::InvalidGenesis(m)) => m,
        other => panic!("expected InvalidGenesis, got {other:?}"),
    }
}

#[test]
fn bad_imports_name_the_field() {
    let ok = two_neurons();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            record(1000, subnet(0, ok.clone()), &[]),
            "genesis.subnets[0].netuid",
        ),
        (
            record(1000, subnet(3, ok.clone()), &[(12, 20, 5)]),
            "genesis.stakes[0]: hotkey 0c0c",
        ),
        (
            record(1000, subnet(3, ok.clone()), &[(10, 20, 0), (10, 20, 0)]),
            "genesis.stakes[1]: hotkey 0a0a",
        ),
        (
            record(950, subnet(3, ok.clone()), &[]),
            "genesis.subnets[0].neurons[0].last_update",
        ),
        (
            record(
                1000,
                subnet(3, vec![neuron(10, 20, 1, 1, true, &[(2, 1)])]),
                &[],
            ),
            "genesis.subnets[0].neurons[0].weights[0]: uid 2",
        ),
        (
            record(
                1000,
                subnet(3, vec![ok[0].clone(), neuron(10, 20, 1, 1, true, &[])]),
                &[],
            ),
            "genesis.subnets[0].neurons[1].hotkey",
        ),
        (
            record(
                1000,
                subnet(3, vec![neuron(10, 20, 1, 1, true, &[(1, 1), (0, 1)])]),
                &[],
            ),
            "genesis.subnets[0].neurons[0].weights[0]: uid 1",
        ),
        (
            record(1000, subnet(3, vec![V::Array(vec![acct(1)])]), &[]),
            "genesis.subnets[0].neurons[0].neuron: an array of 18",
        ),
        (
            record(1000, subnet(3, ok.clone()), &[(10, 20, u64::MAX)]),
            "supply cap",
        ),
    ];
    for (g, want) in cases {
        let m = invalid(&g);
        assert!(m.contains(want), "{m:?} should name {want:?}");
    }
    let mut p = subnet(3, ok);
    if let V::Map(m) = &mut p {
        m[1].1 = V::Map(vec![(V::from("tempo"), V::from(70_000u64))]);
    }
    let m = invalid(&record(1000, p, &[]));
    assert!(m.contains("genesis.subnets[0].params.tempo"), "{m}");
}
