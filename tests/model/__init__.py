"""A slow, plainly written Python model of ruleset finney-2023 (docs/ruleset.md), for differential fuzzing.

Written from docs/ruleset.md alone (not from the Rust core). Everything is Python integers:

* fixed-point values are their two's-complement ``bits`` (an ``int``); each type of docs/ruleset.md
  §0.3 is a :class:`Fixed` with helpers ``mul`` (floor), ``div`` (truncation toward zero),
  conversions (floor when narrowing), ``to_int`` (floor) and ``round`` (ties away from zero);
* accounts are their 32 raw bytes;
* the state is a handful of dicts named after docs/ruleset.md §0.6.

Scope: balances (§2), staking and delegation (§7), burned/POW/sudo/root registration with
replacement, pruning and the senate (§8; the POW seal with a plain-Python Keccak-256 and the block
hashes H(k) computed from the records the model itself builds), subnets (§9), the hyperparameter setter and
`sudo_set_key` (§13.3), the calls that always fail (§13.4), weights (§10), serving (§11) and the
whole block step (§3: A1 adjustments, A2 root epoch §5, A3 drain §6.3, A4 owner cut and subnet
epoch §4), and governance (§12: triumvirate and senate membership, proposals, votes, close with
the Sudo dispatch of an approved transaction). :class:`OutOfScope` is raised for anything else.

Transactions are duck-typed: :meth:`Model.apply` reads ``type(tx).__name__`` and the attributes of
the ruleset call (``origin``, ``hotkey``, ``amount``…); accounts are anything ``bytes()`` accepts.
So the model works on ``taostate.tx`` objects without importing taostate.

One module per concept, like the Rust core's ``rust/src/``:

* pure rules — :mod:`.fixedpoint` (§0.2–0.3), :mod:`.params` (§13.1–13.2 tables), :mod:`.pow`
  (Keccak seal, BLAKE2b), :mod:`.yuma` (the subnet epoch, §4), :mod:`.root` (the root epoch, §5);
* the state — :mod:`.state` (:class:`ModelState`, §0.6, errors and shared helpers);
* the transitions, one mixin each over the state — :mod:`.balances` (§2), :mod:`.staking`
  (§6.3, §7), :mod:`.registration` (§8), :mod:`.subnets` (§9), :mod:`.weights` (§10),
  :mod:`.serving` (§11), :mod:`.governance` (§12), :mod:`.hyperparams` (§13.3–13.4),
  :mod:`.emission` (§1.1, the block step of §3);
* :mod:`.chain` — :class:`Model`, all of them together, with blocks, dispatch and queries.

This package re-exports every name the tests use, so ``import model as m; m.Model(...)`` works.
"""

from __future__ import annotations

from .chain import Model
from .emission import block_emission, blocks_until_next_epoch
from .fixedpoint import (I32F32, I64F64, I96F32, I110F18, U16_MAX, U32_MAX, U64_MAX, Fixed,
                         FixedOverflow, to_u16_proportion)
from .params import (GLOBAL_PARAMS, NO_EXISTENCE_CHECK, RESET_ON_REMOVE, ROOT_PARAMS,
                     SUBNET_PARAMS, SUBNET_STATE_DEFAULTS, U16_NEURON_VECTORS, USER_PARAMS)
from .pow import blake2b_256, keccak256, seal
from .registration import adjust_registration_terms, adjust_value
from .root import E23, ExpOverflow, fixed_exp, root_epoch_values
from .state import (ED, INITIAL_BLOCK_EMISSION, INITIAL_LAST_LOCK_COST, ROOT_DELEGATE_TAKE,
                    S_MAX, SENATE_MAX, FatalEngineError, ModelState, Neurons, OutOfScope,
                    Rejected)
from .subnets import lock_cost
from .weights import check_vec_max_limited, upscale_u16
from .yuma import EpochResult, is_topk, vec_max_upscale_to_u16, weighted_median_col, yuma_epoch

__all__ = [
    "E23", "ED", "GLOBAL_PARAMS", "I32F32", "I64F64", "I96F32", "I110F18", "INITIAL_BLOCK_EMISSION",
    "INITIAL_LAST_LOCK_COST", "NO_EXISTENCE_CHECK", "RESET_ON_REMOVE", "ROOT_DELEGATE_TAKE",
    "ROOT_PARAMS", "SENATE_MAX", "SUBNET_PARAMS", "SUBNET_STATE_DEFAULTS", "S_MAX",
    "U16_MAX", "U16_NEURON_VECTORS", "U32_MAX", "U64_MAX", "USER_PARAMS", "EpochResult",
    "ExpOverflow", "FatalEngineError", "Fixed", "FixedOverflow", "Model", "ModelState", "Neurons",
    "OutOfScope", "Rejected", "adjust_registration_terms", "adjust_value", "blake2b_256",
    "block_emission", "blocks_until_next_epoch", "check_vec_max_limited", "fixed_exp", "is_topk",
    "keccak256", "lock_cost", "root_epoch_values", "seal", "to_u16_proportion", "upscale_u16",
    "vec_max_upscale_to_u16", "weighted_median_col", "yuma_epoch",
]
