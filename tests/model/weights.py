"""``set_weights`` (docs/ruleset.md §10): subnet weights (§10.1) and root weights (netuid 0), with
the u16 upscale and the max-weight limit check of §4.3.
"""

from __future__ import annotations

from typing import Any

from .fixedpoint import I32F32
from .state import ModelState, Rejected
from .yuma import vec_max_upscale_to_u16


def upscale_u16(values: list[int]) -> list[int]:
    """vec_max_upscale_to_u16 of a u16 vector (each w first becomes I32F32(w))."""
    return vec_max_upscale_to_u16([I32F32.of(w) for w in values])


def check_vec_max_limited(w: list[int], limit: int) -> bool:
    """docs/ruleset.md §4.3."""
    if not w:
        return True
    x = I32F32.normalise([I32F32.of(v) for v in w])
    return max(x) <= I32F32.div(I32F32.of(limit), I32F32.of(65535))


class Weights(ModelState):
    """The weights transaction."""

    # §10.1
    def _tx_SetWeights(self, tx: Any) -> None:
        h, u = bytes(tx.origin), tx.netuid
        uids, values = list(tx.uids), list(tx.values)
        if len(uids) != len(values):
            raise Rejected("WeightVecNotEqualSize")
        if u not in self.added:
            raise Rejected("NetworkDoesNotExist")
        nr = self.neurons[u]
        if u == 0:
            if any(x not in self.added for x in uids):
                raise Rejected("InvalidUid")
        elif len(uids) > nr.n:
            raise Rejected("TooManyUids")
        if h not in nr.uids:
            raise Rejected("NotRegistered")
        me = nr.uids[h]
        vk = self.p(u, "weights_version_key")
        if not (vk == 0 or tx.version_key >= vk):
            raise Rejected("IncorrectNetworkVersionKey")
        lu = nr.last_update[me]
        if not (lu == 0 or self.block - lu >= self.p(u, "weights_set_rate_limit")):
            raise Rejected("SettingWeightsTooFast")
        self_weight = len(uids) == 1 and uids[0] == me
        if u != 0 and not (self_weight or nr.validator_permit[me]):
            raise Rejected("NoValidatorPermit")
        if len(set(uids)) != len(uids):
            raise Rejected("DuplicateUids")
        if u != 0 and any(x >= nr.n for x in uids):
            raise Rejected("InvalidUid")
        if not (u != 0 and self_weight):
            if len(uids) < min(self.p(u, "min_allowed_weights"), nr.n):
                raise Rejected("NotSettingEnoughWeights")
        up = upscale_u16(values)
        mwl = self.p(u, "max_weights_limit")
        if not (self_weight or mwl == 65535):
            if not check_vec_max_limited(up, mwl):
                raise Rejected("MaxWeightExceeded")
        nr.weights[me] = list(zip(uids, up))
        nr.last_update[me] = self.block
