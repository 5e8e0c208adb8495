//! What-if forks: another line's transactions played into a copy of the engine.
//!
//! A fork is an `Engine` clone (a deep copy of the state after some block). `resubmit` plays one
//! block record of the line it was forked from as the live engine would have: the block step
//! (docs/ruleset.md §3), then each transaction through the same checks as `Engine::submit`; the ones
//! the fork's rules refuse (its state differs, e.g. a hyperparameter was changed) are skipped and
//! reported, changing nothing (docs/ruleset.md §0.5); then the block is sealed. The fork's record
//! holds only the accepted transactions, so it is a valid record of the fork's own line.

use crate::codec;
use crate::engine::Engine;
use crate::error::{ChainError, Result};

/// What `resubmit` did with one record.
#[derive(Debug)]
pub struct Resubmitted {
    /// The fork's sealed record for the block.
    pub record: Vec<u8>,
    /// (index in the source record, the rule that refused it), ascending.
    pub rejected: Vec<(usize, ChainError)>,
}

/// Plays `record` (a block of the source line, numbered `engine.head() + 1`) into `engine`. If a
/// block is already open in the fork (transactions submitted ahead, e.g. overrides) the source's
/// transactions follow them in the same block.
pub fn resubmit(engine: &mut Engine, record: &[u8]) -> Result<Resubmitted> {
    let (number, txs) = codec::block_tx_bytes::<crate::calls::Tx>(record)
        .map_err(|e| ChainError::InvalidArgument(format!("not a block record: {e}")))?;
    let next = engine.head() + 1;
    if number != next {
        return Err(ChainError::InvalidArgument(format!(
            "the record is block {number} but the fork's next block is {next}"
        )));
    }
    engine.open_block()?;
    let mut rejected = Vec::new();
    for (i, tx) in txs.into_iter().enumerate() {
        match engine.submit(tx) {
            Ok(_) => {}
            Err(e @ ChainError::Rule(_)) => rejected.push((i, e)),
            Err(e) => return Err(e),
        }
    }
    Ok(Resubmitted {
        record: engine.seal()?,
        rejected,
    })
}

#[cfg(test)]
mod tests;
