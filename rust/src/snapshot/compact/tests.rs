use super::*;
use crate::testutil::XorShift;

fn pack(v: &rmpv::Value) -> Vec<u8> {
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, v).unwrap();
    out
}

/// Every kind of msgpack value, nested, with arrays of 32 bytes among them (and arrays that are
/// not: 31 or 33 values, a value ≥ 256, a negative one, a longer encoding).
fn mixed(rng: &mut XorShift) -> rmpv::Value {
    use rmpv::Value as V;
    let bytes32 =
        |rng: &mut XorShift| V::Array((0..32).map(|_| V::from(rng.next() as u8)).collect());
    let near = |rng: &mut XorShift, n: usize| {
        V::Array((0..n).map(|_| V::from(rng.next() as u8)).collect())
    };
    let mut big = (0..32).map(|_| V::from(7u8)).collect::<Vec<_>>();
    big[5] = V::from(300u16);
    let mut negative = big.clone();
    negative[5] = V::from(-1i8);
    V::Array(vec![
        bytes32(rng),
        V::Map(vec![
            (bytes32(rng), bytes32(rng)),
            (V::from("k"), near(rng, 31)),
        ]),
        near(rng, 33),
        V::Array(big),
        V::Array(negative),
        V::Binary(vec![0xdc, 0x00, 32, 1, 2, 3]),
        V::String("dc 00 20".into()),
        V::Ext(5, vec![1, 2, 3]),
        V::F64(1.5),
        V::F32(0.5),
        V::from(-70_000i64),
        V::from(u64::MAX),
        V::Nil,
        V::Boolean(true),
        V::Array((0..40).map(|_| bytes32(rng)).collect()),
    ])
}

#[test]
fn compact_replaces_arrays_of_32_bytes_and_expand_restores_them() {
    let mut rng = XorShift(7);
    for _ in 0..200 {
        let canonical = pack(&mixed(&mut rng));
        let small = compact(&canonical).unwrap();
        assert!(small.len() < canonical.len());
        assert_eq!(expand(&small).unwrap(), canonical);
        // as many ext values as arrays of 32 bytes: 1 + 2 + 40
        let exts = small.windows(3).filter(|w| *w == EXT_HEADER).count();
        assert!(exts >= 43, "{exts}");
        // the arrays that are not 32 bytes stay
        assert!(small.windows(3).any(|w| w == [0xdc, 0x00, 33]));
    }
}

#[test]
fn an_array_in_a_longer_encoding_is_not_compacted() {
    let mut canonical = vec![0xdc, 0x00, 32];
    canonical.extend([0xcc, 0x05]); // 5 as uint 8: not its shortest encoding
    canonical.extend([1u8; 31]);
    assert_eq!(compact(&canonical).unwrap(), canonical);
    assert_eq!(array_of_32_bytes(&canonical), None);
}

#[test]
fn an_array_of_32_bytes_at_the_very_end_is_read() {
    let mut b = vec![0xdc, 0x00, 32];
    b.extend(0u8..32);
    assert_eq!(b.len(), 35);
    let (bytes, len) = array_of_32_bytes(&b).unwrap();
    assert_eq!((bytes.to_vec(), len), ((0u8..32).collect::<Vec<_>>(), 35));
    assert_eq!(array_of_32_bytes(&b[..34]), None);
}

#[test]
fn incomplete_or_trailing_input_is_refused() {
    let canonical = pack(&mixed(&mut XorShift(3)));
    let small = compact(&canonical).unwrap();
    for cut in [1, 2, 17, canonical.len() / 2, canonical.len() - 1] {
        assert_eq!(compact(&canonical[..cut]), None, "cut {cut}");
    }
    for cut in [1, 3, 20, small.len() - 1] {
        assert_eq!(expand(&small[..cut]), None, "cut {cut}");
    }
    let mut longer = canonical.clone();
    longer.push(0);
    assert_eq!(compact(&longer), None);
    assert_eq!(compact(&[0xc1]), None);
}

#[test]
fn value_len_measures_one_value_compact_or_not() {
    let canonical = pack(&mixed(&mut XorShift(11)));
    let small = compact(&canonical).unwrap();
    for b in [&canonical, &small] {
        assert_eq!(value_len(b), Some(b.len()));
        let mut two = b.clone();
        two.extend_from_slice(b);
        assert_eq!(value_len(&two), Some(b.len()));
        assert_eq!(value_len(&b[..b.len() - 1]), None);
    }
}
