"""Block emission with the issuance-based halving (docs/ruleset.md §1.1), the epoch schedule and the
per-block step (§3): A1 registration-cost adjustment, A2 root epoch (§5), A3 drain (§6.3), A4 owner
cut and subnet epoch (§4).
"""

from __future__ import annotations

from .fixedpoint import I96F32
from .registration import adjust_registration_terms
from .root import root_epoch_values
from .staking import Staking
from .state import INITIAL_BLOCK_EMISSION, S_MAX
from .yuma import yuma_epoch


def block_emission(issuance: int) -> int:
    """docs/ruleset.md §1.1 in I96F32, with the reference's log2 loop."""
    if issuance >= S_MAX:
        return 0
    q = I96F32.div(I96F32.of(issuance), I96F32.of(S_MAX))
    d = I96F32.one - q
    r = I96F32.div(I96F32.one, d)
    x = r
    h = 0
    while x >= 2 * I96F32.one:
        x = (x >> 1) + (x & 1)
        h += 1
    inv = I96F32.div(I96F32.one, I96F32.of(1 << h))
    return I96F32.to_int(I96F32.mul(inv, I96F32.of(1_000_000_000)))


def blocks_until_next_epoch(netuid: int, tempo: int, block: int) -> int:
    """docs/ruleset.md §3 epoch schedule."""
    if tempo == 0:
        return 1000
    return tempo - ((block + netuid + 1) % (tempo + 1))


class Emission(Staking):
    """The block step over the state (the drain pays out through :meth:`Staking.credit`)."""

    def block_step(self, b: int) -> None:
        """docs/ruleset.md §3 A1–A4."""
        issuance_before = self.total_issuance
        # A1
        for u in sorted(self.added):
            if b - self.last_adjustment_block.get(u, 0) >= self.p(u, "adjustment_interval"):
                burn, diff = adjust_registration_terms(
                    self.p(u, "burn"), self.p(u, "difficulty"),
                    reg=self.registrations_this_interval.get(u, 0),
                    pow_=self.pow_registrations_this_interval.get(u, 0),
                    brn=self.burn_registrations_this_interval.get(u, 0),
                    target=self.p(u, "target_registrations_per_interval"),
                    alpha=self.p(u, "adjustment_alpha"), min_burn=self.p(u, "min_burn"),
                    max_burn=self.p(u, "max_burn"), min_difficulty=self.p(u, "min_difficulty"),
                    max_difficulty=self.p(u, "max_difficulty"))
                self.set_p(u, "burn", burn)
                self.set_p(u, "difficulty", diff)
                self.last_adjustment_block[u] = b
                self.registrations_this_interval[u] = 0
                self.pow_registrations_this_interval[u] = 0
                self.burn_registrations_this_interval[u] = 0
            self.registrations_this_block[u] = 0
        # A2
        if blocks_until_next_epoch(0, self.p(0, "tempo"), b) == 0:
            self.root_epoch()
        # A3
        for u in sorted(self.added):
            if u in self.loaded_emission:
                tuples = self.loaded_emission.pop(u)
                if any(h in self.delegates and v for h, _, v in tuples):
                    self.coverage["drain_to_delegate"] += 1
                for hotkey, server, validator in tuples:
                    self.credit(hotkey, server, validator)
                self.total_issuance += sum(s + v for _, s, v in tuples)
        # A4
        for u in sorted(self.added):
            if u == 0:
                continue
            e = self.emission_values.get(u, 0)
            if u in self.subnet_owner:
                fx = I96F32
                ev = fx.of(e)
                cut = fx.div(fx.mul(ev, fx.of(self.globals["subnet_owner_cut"])), fx.of(65535))
                paid = fx.to_int(cut)
                self.credit_free(self.subnet_owner[u], paid)
                self.total_issuance += paid
                self.pending_emission[u] = self.pending_emission.get(u, 0) + fx.to_int(ev - cut)
            else:
                self.pending_emission[u] = self.pending_emission.get(u, 0) + e
            if blocks_until_next_epoch(u, self.p(u, "tempo"), b) != 0:
                self.blocks_since_last_step[u] = self.blocks_since_last_step.get(u, 0) + 1
                continue
            pending = self.pending_emission.get(u, 0)
            self.pending_emission[u] = 0
            tuples = self.subnet_epoch(u, b, pending)
            self.loaded_emission[u] = tuples + self.loaded_emission.get(u, [])
            self.blocks_since_last_step[u] = 0
            self.last_mechanism_step_block[u] = b
        if self.total_issuance > S_MAX and self.total_issuance > issuance_before:
            self.minted_past_cap = True

    def subnet_epoch(self, u: int, b: int, rao_emission: int) -> list[tuple[bytes, int, int]]:
        nr = self.neurons[u]
        n = nr.n
        if n == 0:
            return []
        bar = self.block_at_registration[u]
        self.coverage["epoch"] += 1
        if any(nr.weights.get(i) for i in range(n)):
            self.coverage["epoch_with_weights"] += 1
        res = yuma_epoch(
            b, [self.hotkey_stake(h) for h in nr.keys],
            [nr.weights.get(i, []) for i in range(n)], [nr.bonds.get(i, []) for i in range(n)],
            list(nr.last_update), [bar[i] for i in range(n)], list(nr.validator_permit),
            kappa=self.p(u, "kappa"), bonds_moving_average=self.p(u, "bonds_moving_average"),
            max_allowed_validators=self.p(u, "max_allowed_validators"),
            activity_cutoff=self.p(u, "activity_cutoff"), rao_emission=rao_emission)
        if any(res.dividends):
            self.coverage["epoch_with_dividends"] += 1
        if any(res.consensus):
            self.coverage["epoch_with_consensus"] += 1
        if rao_emission:
            self.coverage["epoch_with_emission"] += 1
        nr.active = res.active
        nr.emission = res.emission
        nr.rank, nr.trust, nr.consensus = res.rank, res.trust, res.consensus
        nr.incentive, nr.dividends = res.incentive, res.dividends
        nr.validator_trust, nr.pruning_scores = res.validator_trust, res.pruning_scores
        nr.validator_permit = res.validator_permit
        for i, row in enumerate(res.bonds):
            if row is not None:
                nr.bonds[i] = row
        return [(nr.keys[i], res.server[i], res.validator[i]) for i in range(n)]

    def root_epoch(self) -> None:
        """docs/ruleset.md §5.1."""
        nr = self.neurons[0]
        if nr.n == 0:
            self.last_root_epoch = "no_validators"
            return
        netuids = sorted(self.added)
        if not netuids:
            self.last_root_epoch = "no_networks"
            return
        self.block_emission = block_emission(self.total_issuance)
        out = root_epoch_values(
            [self.hotkey_stake(h) for h in nr.keys], [nr.weights.get(i, []) for i in range(nr.n)],
            netuids, self.p(0, "kappa"), self.p(0, "rho"), self.block_emission)
        if isinstance(out, str):
            self.last_root_epoch = out
            self.coverage["root_epoch:" + out] += 1
            return
        self.last_root_epoch = "set"
        self.coverage["root_epoch:set" if any(out) else "root_epoch:zero"] += 1
        if self.block_emission < INITIAL_BLOCK_EMISSION:
            self.coverage["halved_emission"] += 1
        for u, v in zip(netuids, out):
            self.emission_values[u] = v
