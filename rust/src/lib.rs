//! taostate core: a pure, deterministic state machine for the Bittensor `finney-2023` ruleset.
//!
//! Nothing in this crate outside `py/` knows about Python, files, clocks or randomness. The same
//! block records give the same state (and `state_root`) on every machine: all collections that are
//! iterated are ordered (`BTreeMap`, `Vec`, or the account maps' sorted iteration,
//! `state::AccountMap`), and all arithmetic is integer or fixed point.
//!
//! Layers, lowest first; a module imports only from layers below it (no import cycle):
//!
//! 1. `error`, `fixedpoint`, `params`, `root`, `yuma` — the error enum, fixed-point helpers, the
//!    hyperparameter table, and the root and subnet epochs as pure functions of their inputs.
//! 2. `state` (with `state::neurons`, the per-uid columns the epoch writes) — the state types.
//! 3. `events`, `pow`, `snapshot`, `origin`, `codec`, `collective` — event sink, proof of work,
//!    snapshot/state root, origins and origin rules, wire fields and records, membership lists
//!    and votes.
//! 4. `balances`, `serving`, `hyperparams` — rules on free balances, serving, parameters.
//! 5. `staking`, `subnets`, `weights` — rules that move balances or read the epoch.
//! 6. `registration`, `governance` — registration (root: the senate through `collective`), and
//!    proposals, which are generic over the proposed call and never dispatch it.
//! 7. `emission` — the block step (A1–A4), using registration, staking and the epochs.
//! 8. `calls` — the call table: `Call`, its wire kinds, origin rules, argument structs and rule
//!    functions, the transaction reader and `dispatch` (it runs approved motions as Root).
//! 9. `genesis`, `engine` — imported subnets in a genesis record; the block lifecycle: genesis,
//!    open, submit, seal, replay of records.
//! 10. `fork`, `history` — what-if forks (another line's records re-submitted into an engine
//!     copy) and history rows gathered after each replayed block.
//! 11. `py` (feature `python`) — the binding, converting only.
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod balances;
pub mod calls;
pub mod codec;
pub mod collective;
pub mod emission;
pub mod engine;
pub mod error;
pub mod events;
pub mod fixedpoint;
pub mod fork;
pub mod genesis;
pub mod governance;
pub mod history;
pub mod hyperparams;
pub mod origin;
pub mod params;
pub mod pow;
pub mod registration;
pub mod root;
pub mod serving;
pub mod snapshot;
pub mod staking;
pub mod state;
/// The per-uid columns of a subnet: a part of the state (`state::neurons`).
pub use state::neurons;
pub mod subnets;
#[cfg(test)]
mod testutil;
pub mod weights;
pub mod yuma;

#[cfg(feature = "python")]
mod py;

pub use error::{ChainError, Result, RuleError};
