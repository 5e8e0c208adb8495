//! taostate core: a pure, deterministic state machine for the Bittensor `finney-2023` ruleset.
//!
//! Nothing in this crate outside `py/` knows about Python, files, clocks or randomness. The same
//! block records give the same state (and `state_root`) on every machine: all collections that are
//! iterated are ordered (`BTreeMap`, `Vec`), and all arithmetic is integer or fixed point.
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod balances;
pub mod codec;
pub mod emission;
pub mod engine;
pub mod error;
pub mod events;
pub mod fixedpoint;
pub mod governance;
pub mod hyperparams;
pub mod neurons;
pub mod params;
pub mod pow;
pub mod registration;
pub mod root;
pub mod serving;
pub mod snapshot;
pub mod staking;
pub mod state;
pub mod subnets;
#[cfg(test)]
mod testutil;
pub mod tx;
pub mod weights;
pub mod yuma;

#[cfg(feature = "python")]
mod py;

pub use error::{ChainError, Result, RuleError};
