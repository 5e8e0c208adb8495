//! Helpers shared by the core's unit tests (compiled only for `cargo test`).

use crate::error::{ChainError, Result, RuleError};
use crate::events::Event;
use crate::state::State;
use rmpv::Value as V;

/// The sudo key of every test genesis.
pub const SUDO: [u8; 32] = [1; 32];

/// A genesis record (docs/design.md §2) with `balances`, sudo [`SUDO`], no triumvirate and global
/// `params`.
pub fn genesis_bytes(balances: &[([u8; 32], u64)], params: &[(&str, u64)]) -> Vec<u8> {
    let bal = balances
        .iter()
        .map(|(a, v)| V::Array(vec![V::Binary(a.to_vec()), V::from(*v)]))
        .collect();
    let params = params
        .iter()
        .map(|(name, v)| (V::from(*name), V::from(*v)))
        .collect();
    let m = V::Map(vec![
        (V::from("balances"), V::Array(bal)),
        (V::from("sudo"), V::Binary(SUDO.to_vec())),
        (V::from("triumvirate"), V::Array(vec![])),
        (V::from("params"), V::Map(params)),
        (V::from("ruleset"), V::from("finney-2023")),
    ]);
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &m).expect("vec write");
    out
}

/// The result a rejected call returns.
/// The wire bytes of `Transfer` (kind 1) from account `[from; 32]` to `[to; 32]`.
pub fn transfer(from: u8, to: u8, amount: u64) -> Vec<u8> {
    let v = V::Array(vec![
        V::from(1),
        V::Binary(vec![from; 32]),
        V::Binary(vec![to; 32]),
        V::from(amount),
    ]);
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &v).unwrap();
    out
}

pub fn rule(e: RuleError) -> Result<()> {
    Err(ChainError::Rule(e.into()))
}

/// Event names in order.
pub fn names<E: AsRef<[Event]> + ?Sized>(ev: &E) -> Vec<&'static str> {
    ev.as_ref().iter().map(|e| e.name).collect()
}

/// Issuance = free + stake + locks, and the stake totals (docs/ruleset.md §1.2).
pub fn assert_supply(s: &State) {
    if let Err(e) = s.check_supply() {
        panic!("{e}");
    }
}

/// A deterministic xorshift64 generator for tests (no `rand` dependency); the seed must not be 0.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
