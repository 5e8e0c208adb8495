use super::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// The values `rmp-serde` writes read back equal through the fast reader.
fn round_trip<T: Serialize + for<'de> Deserialize<'de> + PartialEq + fmt::Debug>(v: &T) {
    let bytes = rmp_serde::to_vec(v).unwrap();
    let back: T = from_slice(&bytes).unwrap();
    assert_eq!(&back, v);
}

#[test]
fn every_shortest_integer_encoding() {
    let edges = [
        0u64,
        0x7f,
        0x80,
        0xff,
        0x100,
        0xffff,
        0x1_0000,
        0xffff_ffff,
        0x1_0000_0000,
        u64::MAX,
    ];
    round_trip(&edges.to_vec());
    let small: Vec<u16> = edges
        .iter()
        .filter_map(|x| u16::try_from(*x).ok())
        .collect();
    assert_eq!(small, [0, 0x7f, 0x80, 0xff, 0x100, 0xffff]);
    round_trip(&small);
    round_trip(&small.iter().map(|x| (*x, *x)).collect::<Vec<_>>());
    round_trip(&[0u8, 0x7f, 0x80, 0xff]);
    round_trip(&vec![0u32, 0x80, 0xffff_ffff]);
}

#[test]
fn the_state_types() {
    // accounts (arrays of 32 u8), maps keyed by tuples, options, u128 (bin 16), strings, bools
    type Axon = (u128, Option<u64>, bool);
    let mut m: BTreeMap<(u16, [u8; 32]), Axon> = BTreeMap::new();
    m.insert((1, [0xA1; 32]), (u128::MAX - 5, None, true));
    m.insert((300, [7; 32]), (1 << 100, Some(1 << 40), false));
    round_trip(&m);
    round_trip(&(1u32, "finney-2023".to_string(), vec![Some([9u8; 32]), None]));
    // 15 / 16 elements: the last fixarray and the first array 16; same for maps
    round_trip(&vec![3u64; 15]);
    round_trip(&vec![3u64; 16]);
    round_trip(&(0..16u16).map(|i| (i, i)).collect::<BTreeMap<_, _>>());
    round_trip(&vec![vec![(1u16, 2u16); 256]; 70_000 / 256]);
}

/// Only the shortest encodings are read: anything else is an error here (and `snapshot::decode`
/// then reads it with `rmp-serde`, which accepts it).
#[test]
fn longer_encodings_are_refused() {
    for (bytes, want) in [
        (&[0x91, 0xcc, 0x05][..], 5u64),       // uint 8 for a fixint
        (&[0x91, 0xcd, 0x00, 0x80][..], 0x80), // uint 16 for a uint 8
        (&[0xdc, 0x00, 0x01, 0x05][..], 5),    // array 16 of 1 element
        (&[0x91, 0xcf, 0, 0, 0, 0, 0, 0, 1, 0][..], 0x100), // uint 64 for a uint 16
    ] {
        assert!(from_slice::<Vec<u64>>(bytes).is_err(), "{bytes:02x?}");
        assert_eq!(
            rmp_serde::from_slice::<Vec<u64>>(bytes).unwrap(),
            vec![want]
        );
    }
    // u16 through its own fast path
    assert!(from_slice::<Vec<u16>>(&[0x91, 0xcd, 0x00, 0x05]).is_err());
}

#[test]
fn malformed_input_is_an_error() {
    let ok = rmp_serde::to_vec(&vec![(1u16, 2u16), (3, 300)]).unwrap();
    assert_eq!(
        from_slice::<Vec<(u16, u16)>>(&ok).unwrap(),
        [(1, 2), (3, 300)]
    );
    for cut in 0..ok.len() {
        assert!(
            from_slice::<Vec<(u16, u16)>>(&ok[..cut]).is_err(),
            "cut {cut}"
        );
    }
    // a pair of three, a u16 out of range, a negative number, a float, a string for a number
    for bad in [
        &[0x91, 0x93, 1, 2, 3][..],
        &[0x91, 0x92, 1, 0xce, 0, 1, 0, 0],
        &[0x91, 0x92, 1, 0xff],
        &[0x91, 0x92, 1, 0xca, 0, 0, 0, 0],
        &[0x91, 0x92, 1, 0xa1, b'x'],
    ] {
        assert!(from_slice::<Vec<(u16, u16)>>(bad).is_err(), "{bad:02x?}");
        assert!(
            rmp_serde::from_slice::<Vec<(u16, u16)>>(bad).is_err(),
            "{bad:02x?}"
        );
    }
    // a u128 must be exactly 16 bytes
    assert!(from_slice::<u128>(&[0xc4, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
}

/// Accounts (`[u8; 32]`) have their own fast path: every byte value, the fix and uint 8 forms
/// mixed, and an account too close to the end for the fast path's window.
#[test]
fn accounts() {
    let mut a = [0u8; 32];
    for (i, x) in a.iter_mut().enumerate() {
        *x = (i as u8).wrapping_mul(37) ^ 0x5a;
    }
    assert!(a.iter().any(|x| *x >= 0x80) && a.iter().any(|x| *x < 0x80));
    for acct in [a, [0; 32], [0x7f; 32], [0x80; 32], [0xff; 32]] {
        round_trip(&acct); // alone: shorter than the window
        round_trip(&(acct, 5u64)); // one byte more
        round_trip(&vec![acct; 3]);
    }
    for b in 0..=255u8 {
        round_trip(&([b; 32], 0u64, 0u64));
    }
    // a byte in uint 8 form below 0x80 is not the shortest encoding
    let mut long = rmp_serde::to_vec(&([1u8; 32], [[0u8; 32]; 2])).unwrap();
    assert_eq!(&long[1..5], &[0xdc, 0x00, 32, 1]);
    long.splice(4..5, [0xcc, 1]);
    assert!(from_slice::<([u8; 32], [[u8; 32]; 2])>(&long).is_err());
    assert_eq!(
        rmp_serde::from_slice::<([u8; 32], [[u8; 32]; 2])>(&long).unwrap(),
        ([1u8; 32], [[0u8; 32]; 2])
    );
}

/// The element-by-element parse the account fast path must agree with: the 32 values and the
/// bytes they take, or None.
fn account_reference(buf: &[u8]) -> Option<([u8; 32], usize)> {
    if buf.len() < 67 || buf[..3] != [0xdc, 0x00, 32] {
        return None;
    }
    let (mut out, mut p) = ([0u8; 32], 3);
    for o in out.iter_mut() {
        match buf[p..] {
            [b @ 0x00..=0x7f, ..] => (*o, p) = (b, p + 1),
            [0xcc, b @ 0x80..=0xff, ..] => (*o, p) = (b, p + 2),
            _ => return None,
        }
    }
    Some((out, p))
}

/// The account fast path against the plain element-by-element parse, on valid encodings rich in 0xcc
/// (runs of the value 0xcc, odd and even) and on random windows of the bytes that matter.
#[test]
fn account_fast_path_agrees_with_the_reference() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet = [0x00u8, 0x01, 0x7f, 0x80, 0x81, 0xcc, 0xcc, 0xcc, 0xcd, 0xff];
    for round in 0..20_000 {
        let mut buf = vec![0xdc, 0x00, 32];
        if round % 2 == 0 {
            // a valid account, then random trailing bytes
            let mut acct = [0u8; 32];
            for x in acct.iter_mut() {
                let r = rnd();
                *x = if r % 3 == 0 {
                    0xcc
                } else {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                };
            }
            let enc = rmp_serde::to_vec(&acct).unwrap();
            buf = enc;
        }
        while buf.len() < 3 + 64 + (rnd() % 4) as usize {
            let r = rnd();
            buf.push(if r % 4 == 0 {
                r as u8 >> 1
            } else {
                alphabet[(r >> 8) as usize % alphabet.len()]
            });
        }
        let want = account_reference(&buf);
        let mut rd = Reader { rd: Rd::new(&buf) };
        let got = rd.bytes_32().map(|a| (a, rd.rd.pos()));
        assert_eq!(got, want, "{buf:02x?}");
        if round % 2 == 0 {
            assert!(got.is_some());
        } else if got.is_none() {
            assert_eq!(rd.rd.pos(), 0, "nothing consumed");
        }
    }
}
