use super::*;

fn unhex(s: &str) -> Hash {
    let v: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect();
    v.try_into().unwrap()
}

const HOTKEY: AccountId = [1; 32];
const ZERO: Hash = [0; 32];

#[test]
fn keccak_is_the_original_variant() {
    let empty: Hash = Keccak256::digest(b"").into();
    assert_eq!(
        empty,
        unhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
    );
}

#[test]
fn pre_hash_vector_15_13() {
    assert_eq!(
        pre_hash(&ZERO, &HOTKEY),
        unhex("d5f4f7e1d989848480236fb0a5f808d5877abf778364ae50845234dd6c1e80fc")
    );
}

#[test]
fn seal_nonce_0_vector_15_13() {
    let s = seal(&ZERO, &HOTKEY, 0);
    assert_eq!(
        s,
        unhex("0c01140c2140983c69a6bf1c009d2f6b66ca9e60cf53b7783e5cd1ac070c5d46")
    );
    // "valid for difficulty ≤ 21"
    assert!(meets_difficulty(&s, 21));
    assert!(!meets_difficulty(&s, 22));
}

#[test]
fn first_nonce_for_difficulty_1000_is_2535() {
    let (nonce, work) = create_pow(&ZERO, &HOTKEY, 1000, 0, 10_000).unwrap();
    assert_eq!(nonce, 2535);
    assert_eq!(
        work,
        unhex("003e3837aa8821c287b31a16ed677fe0a11f11568302948b0dbaacf76b5a3b87")
    );
    assert_eq!(seal(&ZERO, &HOTKEY, 2535), work);
    // the search is sequential from start_nonce and bounded by max_tries
    assert_eq!(
        create_pow(&ZERO, &HOTKEY, 1000, 2535, 1),
        Some((2535, work))
    );
    assert_eq!(create_pow(&ZERO, &HOTKEY, 1000, 0, 2535), None);
}

#[test]
fn difficulty_boundaries() {
    let max = [0xff; 32];
    assert!(meets_difficulty(&max, 0));
    assert!(meets_difficulty(&max, 1));
    assert!(!meets_difficulty(&max, 2));
    assert!(meets_difficulty(&ZERO, u64::MAX));
    // W = 2^192 (top limb 1): W · D < 2^256 iff D < 2^64, always true for a u64 D.
    let mut w = ZERO;
    w[7] = 1;
    assert!(meets_difficulty(&w, u64::MAX));
    // W = 2^193: W · 2^63 = 2^256 overflows; W · (2^63 − 1) fits.
    w[7] = 2;
    assert!(!meets_difficulty(&w, 1 << 63));
    assert!(meets_difficulty(&w, (1 << 63) - 1));
    // a carry out of a low limb must propagate: W = 2^192 − 1 times 2 still fits,
    // W = 2^256 − 2^192 + … times 2 does not
    let mut low = [0xff; 32];
    low[..8].copy_from_slice(&[0; 8]);
    assert!(meets_difficulty(&low, 2));
    let mut high = ZERO;
    high[0] = 0x80;
    assert!(!meets_difficulty(&high, 2));
    assert!(meets_difficulty(&high, 1));
}
