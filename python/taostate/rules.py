"""Pure rule functions of docs/ruleset.md, the same Rust code the engine runs."""

from __future__ import annotations

from ._core import (
    adjust_registration_terms,
    block_emission,
    blocks_until_next_epoch,
    hyperparameters,
    lock_cost,
)

__all__ = ["adjust_registration_terms", "block_emission", "blocks_until_next_epoch", "hyperparameters",
           "lock_cost"]
