//! Snapshot encoding of the whole state and the state root.
//!
//! The state is serialised with `rmp-serde`; every collection in it is ordered, so the bytes are
//! canonical and `state_root = BLAKE2b-256(state bytes)` is the same on every machine. A snapshot
//! is those bytes in their compact form (`compact`: accounts and hashes as 32-byte ext values,
//! version 2); reading goes through the fast reader of `codec::serde_reader` first (issue 15:
//! restore for `at(b)`).

use crate::codec::serde_reader;
use crate::error::{ChainError, Result};
use crate::state::{Hash, State, RULESET};

mod account_maps;
pub mod compact;
pub mod delta;
mod parallel;

/// The version `encode` writes: 2 = compact accounts (`compact`). Version 1 (the canonical bytes
/// as they are) is still read.
pub const SNAPSHOT_VERSION: u32 = 2;

/// The versions `decode` reads.
const READS: [u32; 2] = [1, SNAPSHOT_VERSION];

/// The parameters of every hash in taostate: BLAKE2b, 32-byte digest, no key.
fn blake2b_256_params() -> blake2b_simd::Params {
    let mut p = blake2b_simd::Params::new();
    p.hash_length(32);
    p
}

fn to_hash(h: &blake2b_simd::Hash) -> Hash {
    h.as_bytes().try_into().expect("a 32-byte digest")
}

pub fn blake2b_256(data: &[u8]) -> Hash {
    to_hash(&blake2b_256_params().hash(data))
}

/// `blake2b_256` of each input, several at once (`blake2b_simd::many`: with AVX2, four inputs
/// in the lanes of one register — ~2.4× one by one on block records).
pub fn blake2b_256_many(inputs: &[&[u8]]) -> Vec<Hash> {
    let params = blake2b_256_params();
    let mut jobs: Vec<blake2b_simd::many::HashManyJob> = inputs
        .iter()
        .map(|d| blake2b_simd::many::HashManyJob::new(&params, d))
        .collect();
    blake2b_simd::many::hash_many(jobs.iter_mut());
    jobs.iter().map(|j| to_hash(&j.to_hash())).collect()
}

fn state_bytes(state: &State) -> Vec<u8> {
    // Serialising plain ordered data into a Vec cannot fail.
    rmp_serde::to_vec(state).expect("state serialises")
}

pub fn state_root(state: &State) -> Hash {
    blake2b_256(&state_bytes(state))
}

/// `[version, ruleset, state]` in compact form.
pub fn encode(state: &State) -> Vec<u8> {
    let canonical =
        rmp_serde::to_vec(&(SNAPSHOT_VERSION, RULESET, state)).expect("state serialises");
    compact::compact(&canonical).expect("rmp-serde writes one complete msgpack value")
}

/// Reads a snapshot with the fast reader (`codec::serde_reader`: the shortest encodings, which
/// `encode` writes, and compact accounts; the big maps on other threads, `parallel`), and if
/// that fails, its canonical form with `rmp-serde`
/// — so what is accepted, and every error, is `rmp-serde`'s.
pub fn decode(bytes: &[u8]) -> Result<State> {
    let fast = match parallel::decode(bytes) {
        Some(Ok(v)) => Ok(v),
        _ => serde_reader::from_slice(bytes),
    };
    let (version, ruleset, state): (u32, String, State) = match fast {
        Ok(v) => v,
        Err(_) => {
            let canonical = compact::expand(bytes);
            rmp_serde::from_slice(canonical.as_deref().unwrap_or(bytes))
                .map_err(|e| ChainError::Format(format!("snapshot does not decode: {e}")))?
        }
    };
    check(version, &ruleset)?;
    Ok(state)
}

/// A snapshot's version and ruleset are ones this engine reads.
fn check(version: u32, ruleset: &str) -> Result<()> {
    if !READS.contains(&version) {
        return Err(ChainError::Format(format!(
            "snapshot version {version}; this engine reads versions 1 and {SNAPSHOT_VERSION}"
        )));
    }
    if ruleset != RULESET {
        return Err(ChainError::Format(format!(
            "snapshot of ruleset {ruleset:?}; this engine implements {RULESET:?}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
