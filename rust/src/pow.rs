//! Proof-of-work seals for POW registration (RULES.md §8.3): the seal formula, the difficulty
//! test and a deterministic solver.
//!
//! `pre = Keccak-256(H(block_number) ‖ hotkey)`, `seal = Keccak-256(SHA-256(nonce_le_8 ‖ pre))`,
//! where Keccak-256 is the original Keccak (Ethereum's), not NIST SHA3-256. A seal `W` (read as a
//! big-endian 256-bit integer) meets difficulty `D` iff `W · D ≤ 2^256 − 1`. Everything here is
//! pure; which block hash `H(k)` is depends on the engine (`registration::seal_block_hash`).

use crate::state::{AccountId, Hash};
use sha2::{Digest, Sha256};
use sha3::Keccak256;

/// `Keccak-256(H(block_number) ‖ hotkey)`: the part of the seal that does not depend on the
/// nonce (the reference's `hash_block_and_hotkey`).
pub fn pre_hash(block_hash: &Hash, hotkey: &AccountId) -> Hash {
    let mut k = Keccak256::new();
    k.update(block_hash);
    k.update(hotkey);
    k.finalize().into()
}

/// The seal of a nonce given the pre-hash: `Keccak-256(SHA-256(nonce_le_8 ‖ pre))`.
pub fn seal_from_pre(pre: &Hash, nonce: u64) -> Hash {
    let mut s = Sha256::new();
    s.update(nonce.to_le_bytes());
    s.update(pre);
    let inner: Hash = s.finalize().into();
    Keccak256::digest(inner).into()
}

/// `seal(block_number, nonce, hotkey)` of RULES.md §8.3, given `H(block_number)`.
pub fn seal(block_hash: &Hash, hotkey: &AccountId, nonce: u64) -> Hash {
    seal_from_pre(&pre_hash(block_hash, hotkey), nonce)
}

/// `W · difficulty ≤ 2^256 − 1` with `W` the big-endian 256-bit integer `work`: the product must
/// not overflow 256 bits (the reference's `overflowing_mul` test). Schoolbook multiply of four
/// 64-bit limbs by one 64-bit factor, carrying in u128; the product fits iff no carry is left.
pub fn meets_difficulty(work: &Hash, difficulty: u64) -> bool {
    let mut carry: u128 = 0;
    // Least significant limb first: the last 8 bytes of the big-endian number.
    for chunk in work.rchunks_exact(8) {
        let limb = u64::from_be_bytes(chunk.try_into().expect("8-byte chunk")) as u128;
        let product = limb * difficulty as u128 + carry;
        carry = product >> 64;
    }
    carry == 0
}

/// Searches nonces `start_nonce, start_nonce + 1, …` (wrapping at `u64::MAX`), at most
/// `max_tries` of them, for the first seal meeting `difficulty`. Returns `(nonce, seal)`.
/// Deterministic: the same inputs always give the same answer.
pub fn create_pow(
    block_hash: &Hash,
    hotkey: &AccountId,
    difficulty: u64,
    start_nonce: u64,
    max_tries: u64,
) -> Option<(u64, Hash)> {
    let pre = pre_hash(block_hash, hotkey);
    (0..max_tries)
        .map(|i| start_nonce.wrapping_add(i))
        .map(|nonce| (nonce, seal_from_pre(&pre, nonce)))
        .find(|(_, work)| meets_difficulty(work, difficulty))
}

#[cfg(test)]
mod tests {
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
}
