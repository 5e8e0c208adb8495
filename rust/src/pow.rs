//! Proof-of-work seals for POW registration (docs/ruleset.md §8.3): the seal formula, the difficulty
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

/// `seal(block_number, nonce, hotkey)` of docs/ruleset.md §8.3, given `H(block_number)`.
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
mod tests;
