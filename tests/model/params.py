"""The parameter tables (docs/ruleset.md §13.1, §13.2): per-subnet hyperparameters with their type,
default and who may set them, the values ``init_new_network`` writes, the root subnet's genesis
values, and the global parameters.
"""

from __future__ import annotations

from .fixedpoint import U16_MAX, U64_MAX

# name: (type, Default, User (after init_new_network), who)   who: "S" Sudo, "O" OwnerOrSudo
SUBNET_PARAMS: dict[str, tuple[str, int | bool, str]] = {
    "tempo": ("u16", 99, "S"),
    "kappa": ("u16", 32_767, "S"),
    "rho": ("u16", 10, "S"),
    "bonds_moving_average": ("u64", 900_000, "S"),
    "max_allowed_uids": ("u16", 4_096, "S"),
    "max_allowed_validators": ("u16", 128, "S"),
    "min_allowed_weights": ("u16", 1_024, "O"),
    "max_weights_limit": ("u16", 1_000, "O"),
    "activity_cutoff": ("u16", 5_000, "O"),
    "immunity_period": ("u16", 4_096, "O"),
    "weights_set_rate_limit": ("u64", 100, "O"),
    "weights_version_key": ("u64", 0, "O"),
    "serving_rate_limit": ("u64", 50, "O"),
    "max_registrations_per_block": ("u16", 1, "S"),
    "target_registrations_per_interval": ("u16", 2, "S"),
    "adjustment_interval": ("u16", 100, "S"),
    "adjustment_alpha": ("u64", 0, "S"),
    "min_burn": ("u64", 1_000_000_000, "S"),
    "max_burn": ("u64", 100_000_000_000, "S"),
    "difficulty": ("u64", 10_000_000, "S"),
    "min_difficulty": ("u64", 10_000_000, "S"),
    "max_difficulty": ("u64", U64_MAX // 4, "S"),
    "network_registration_allowed": ("bool", False, "S"),
    "network_pow_registration_allowed": ("bool", False, "S"),
    "validator_prune_len": ("u64", 1, "S"),
    "scaling_law_power": ("u16", 50, "S"),
    "rao_recycled_for_registration": ("u64", 0, "S"),
}
# Stored per-subnet values that are not settable but live beside the parameters.
SUBNET_STATE_DEFAULTS: dict[str, int] = {"burn": 1_000_000_000}
NO_EXISTENCE_CHECK = {"network_registration_allowed", "network_pow_registration_allowed",
                      "serving_rate_limit"}
USER_PARAMS: dict[str, int | bool] = {
    "tempo": 360, "network_registration_allowed": True, "max_allowed_uids": 256,
    "max_allowed_validators": 64, "min_allowed_weights": 1, "max_weights_limit": 65_535,
    "adjustment_interval": 360, "target_registrations_per_interval": 1, "adjustment_alpha": 58_000,
    "immunity_period": 5_000, "min_burn": 1, "min_difficulty": U64_MAX, "max_difficulty": U64_MAX,
}
ROOT_PARAMS: dict[str, int | bool] = {
    "tempo": 100, "max_allowed_uids": 64, "max_allowed_validators": 64, "min_allowed_weights": 0,
    "max_weights_limit": 65_535, "network_registration_allowed": True,
    "target_registrations_per_interval": 1,
}
RESET_ON_REMOVE = ("tempo", "kappa", "difficulty", "max_allowed_uids", "immunity_period",
                   "activity_cutoff", "max_weights_limit", "min_allowed_weights")

GLOBAL_PARAMS: dict[str, tuple[str, int]] = {
    "default_take": ("u16", 11_796),
    "tx_rate_limit": ("u64", 1_000),
    "subnet_owner_cut": ("u16", 11_796),
    "network_min_lock_cost": ("u64", 1_000_000_000_000),
    "network_lock_reduction_interval": ("u64", 100_800),
    "network_rate_limit": ("u64", 7_200),
    "network_immunity_period": ("u64", 50_400),
    "subnet_limit": ("u16", 12),
}

U16_NEURON_VECTORS = ("rank", "trust", "consensus", "incentive", "dividends", "validator_trust",
                      "pruning_scores")


def _fits(kind: str, value: int | bool) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    return 0 <= value <= (U16_MAX if kind == "u16" else U64_MAX)
