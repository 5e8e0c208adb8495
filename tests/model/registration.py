"""Neuron registration (docs/ruleset.md §8): the burn / difficulty adjustment (§8.8), the common
checks (§8.1), ``burned_register`` (§8.2), POW ``register`` (§8.3), create-account, uid append and
replacement with ``neuron_to_prune`` (§8.4), ``sudo_register`` (§8.5) and ``root_register`` with
the senate (§8.6).
"""

from __future__ import annotations

from typing import Any

from .fixedpoint import I110F18, U64_MAX
from .governance import Governance
from .params import U16_NEURON_VECTORS
from .pow import seal
from .staking import Staking
from .state import ROOT_DELEGATE_TAKE, S_MAX, SENATE_MAX, Rejected


def adjust_value(x: int, reg: int, target: int, alpha: int, lo: int, hi: int) -> int:
    """docs/ruleset.md §8.8 ``adjust(x, min, max)`` in I110F18."""
    f = I110F18
    upd = f.div(f.mul(f.of(x), f.of(reg + target)), f.of(2 * target))
    a = f.div(f.of(alpha), f.of(U64_MAX))
    nxt = f.mul(a, f.of(x)) + f.mul(f.one - a, upd)
    if nxt >= f.of(hi):
        return hi
    if nxt <= f.of(lo):
        return lo
    return f.to_int(nxt)


def adjust_registration_terms(burn: int, difficulty: int, *, reg: int, pow_: int, brn: int,
                              target: int, alpha: int, min_burn: int, max_burn: int,
                              min_difficulty: int, max_difficulty: int) -> tuple[int, int]:
    """docs/ruleset.md §8.8 cases A–F: (new burn, new difficulty)."""
    adj_burn = adj_diff = False
    if reg > target:
        if pow_ > brn:
            adj_diff = True  # A
        elif pow_ < brn:
            adj_burn = True  # B
        else:
            adj_burn = adj_diff = True  # F
    else:
        if pow_ > brn:
            adj_burn = True  # C
        elif pow_ < brn:
            adj_diff = True  # D
        else:
            adj_burn = adj_diff = True  # E
    if adj_burn:
        burn = adjust_value(burn, reg, target, alpha, min_burn, max_burn)
    if adj_diff:
        difficulty = adjust_value(difficulty, reg, target, alpha, min_difficulty, max_difficulty)
    return burn, difficulty


class Registration(Staking, Governance):
    """The registration transactions (replacement unstakes, §7.4; the senate swap deletes votes,
    §12)."""

    # §8.4
    def create_account(self, c: bytes, h: bytes) -> None:
        if h not in self.owner:
            self.owner[h] = c
            st = self.stake.setdefault(h, {})
            st.setdefault(c, 0)

    def neuron_to_prune(self, u: int) -> int:
        nr = self.neurons[u]
        if nr.n == 0:
            return 0
        b = self.block
        imm = self.p(u, "immunity_period")
        bar = self.block_at_registration[u]
        mn = min_imm = 65535
        u_min = u_imm = 0
        for i in range(nr.n):
            p = nr.pruning_scores[i]
            immune = b - bar[i] < imm
            if p <= mn:
                if immune:
                    if p < min_imm:
                        min_imm, u_imm = p, i
                else:
                    mn, u_min = p, i
        chosen = u_imm if mn == 65535 else u_min
        nr.pruning_scores[chosen] = 65535
        return chosen

    def replace_neuron(self, u: int, uid: int, h: bytes) -> None:
        nr = self.neurons[u]
        old = nr.keys[uid]
        del nr.uids[old]
        self.is_member.get(old, set()).discard(u)
        self.coverage[f"replace_neuron:{'root' if u == 0 else 'subnet'}"] += 1
        if not self.is_member.get(old):
            if self.hotkey_stake(old):
                self.coverage["unstake_on_deregistration"] += 1
            self.unstake_all(old)
        nr.active[uid] = True
        nr.keys[uid] = h
        nr.uids[h] = uid
        self.block_at_registration.setdefault(u, {})[uid] = self.block
        self.is_member.setdefault(h, set()).add(u)

    def assign_uid(self, u: int, h: bytes) -> int:
        nr = self.neurons[u]
        n = nr.n
        if n < self.p(u, "max_allowed_uids"):
            uid = n
            nr.keys.append(h)
            nr.uids[h] = uid
            for vec in U16_NEURON_VECTORS:
                getattr(nr, vec).append(0)
            nr.emission.append(0)
            nr.active.append(True)
            nr.last_update.append(self.block)
            nr.validator_permit.append(False)
            self.block_at_registration.setdefault(u, {})[uid] = self.block
            self.is_member.setdefault(h, set()).add(u)
            return uid
        uid = self.neuron_to_prune(u)
        self.replace_neuron(u, uid, h)
        return uid

    def common_checks(self, u: int, h: bytes, pow_path: bool = False) -> None:
        """§8.1 C1–C6 (burn path, or POW path)."""
        if u == 0:
            raise Rejected("OperationNotPermittedonRootSubnet")
        if u not in self.added:
            raise Rejected("NetworkDoesNotExist")
        flag = "network_pow_registration_allowed" if pow_path else "network_registration_allowed"
        if not self.p(u, flag):
            raise Rejected("RegistrationDisabled")
        if self.registrations_this_block.get(u, 0) >= self.p(u, "max_registrations_per_block"):
            raise Rejected("TooManyRegistrationsThisBlock")
        if (self.registrations_this_interval.get(u, 0)
                >= 3 * self.p(u, "target_registrations_per_interval")):
            raise Rejected("TooManyRegistrationsThisInterval")
        if h in self.neurons[u].uids:
            raise Rejected("AlreadyRegistered")

    # §8.2
    def _tx_BurnedRegister(self, tx: Any) -> None:
        c, u, h = bytes(tx.origin), tx.netuid, bytes(tx.hotkey)
        self.common_checks(u, h)
        burn = self.p(u, "burn")
        if self.balance(c) < burn:
            raise Rejected("NotEnoughBalanceToStake")
        self.debit_check(c, burn, "NotEnoughBalanceToStake")
        self.create_account(c, h)
        if self.owner[h] != c:
            raise Rejected("NonAssociatedColdKey")
        if self.p(u, "max_allowed_uids") == 0:
            raise Rejected("NetworkDoesNotExist")
        self.free[c] = self.balance(c) - burn
        self.total_issuance -= burn
        self.assign_uid(u, h)
        self.inc16(self.burn_registrations_this_interval, u)
        self.inc16(self.registrations_this_interval, u)
        self.inc16(self.registrations_this_block, u)
        self.set_p(u, "rao_recycled_for_registration",
                   self.p(u, "rao_recycled_for_registration") + burn)

    # §8.3
    def _tx_Register(self, tx: Any) -> None:
        h, u, bn, work = bytes(tx.hotkey), tx.netuid, tx.block_number, bytes(tx.work)
        if bytes(tx.origin) != h:
            raise Rejected("HotkeyOriginMismatch")
        self.common_checks(u, h, pow_path=True)
        b = self.block
        if not bn <= b:
            raise Rejected("InvalidWorkBlock")
        if not b - bn < 3:
            raise Rejected("InvalidWorkBlock")
        if len(work) != 32:
            raise Rejected("InvalidSeal")
        if int.from_bytes(work, "big") * self.p(u, "difficulty") > (1 << 256) - 1:
            raise Rejected("InvalidDifficulty")
        if seal(self.block_hash(bn), tx.nonce, h) != work:
            raise Rejected("InvalidSeal")
        c = bytes(tx.coldkey)
        self.create_account(c, h)
        if self.owner[h] != c:
            raise Rejected("NonAssociatedColdKey")
        if self.p(u, "max_allowed_uids") == 0:
            raise Rejected("NetworkDoesNotExist")
        self.used_work[work] = b
        self.assign_uid(u, h)
        self.inc16(self.pow_registrations_this_interval, u)
        self.inc16(self.registrations_this_interval, u)
        self.inc16(self.registrations_this_block, u)
        self.coverage["pow_register"] += 1

    # §8.5
    def _tx_SudoRegister(self, tx: Any) -> None:
        if not self.is_sudo(bytes(tx.origin)):
            raise Rejected("BadOrigin")
        u, h, c = tx.netuid, bytes(tx.hotkey), bytes(tx.coldkey)
        if u == 0:
            raise Rejected("OperationNotPermittedonRootSubnet")
        if u not in self.added:
            raise Rejected("NetworkDoesNotExist")
        if h in self.neurons[u].uids:
            raise Rejected("AlreadyRegistered")
        self.create_account(c, h)
        if self.owner[h] != c:
            raise Rejected("NonAssociatedColdKey")
        if self.p(u, "max_allowed_uids") == 0:
            raise Rejected("NetworkDoesNotExist")
        if self.total_issuance + tx.stake + tx.balance > S_MAX:
            raise Rejected("ArithmeticOverflow")
        self.add_stake_to(c, h, tx.stake)
        self.credit_free(c, tx.balance)
        self.total_issuance += tx.stake + tx.balance
        self.assign_uid(u, h)

    # §8.6
    def _tx_RootRegister(self, tx: Any) -> None:
        c, h = bytes(tx.origin), bytes(tx.hotkey)
        if self.registrations_this_block.get(0, 0) >= self.p(0, "max_registrations_per_block"):
            raise Rejected("TooManyRegistrationsThisBlock")
        if (self.registrations_this_interval.get(0, 0)
                >= 3 * self.p(0, "target_registrations_per_interval")):
            raise Rejected("TooManyRegistrationsThisInterval")
        nr = self.neurons[0]
        if h in nr.uids:
            raise Rejected("AlreadyRegistered")
        self.create_account(c, h)
        if nr.n < self.p(0, "max_allowed_uids"):
            uid = self.assign_uid(0, h)
        else:
            lowest, uid = U64_MAX, 0
            for i in range(nr.n):
                st = self.hotkey_stake(nr.keys[i])
                if st < lowest:
                    lowest, uid = st, i
            if not lowest < self.hotkey_stake(h):
                raise Rejected("StakeTooLowForRoot")
            self.replace_neuron(0, uid, h)
        # senate
        if len(self.senate) >= SENATE_MAX:
            # descending by stake, stable over ascending account order
            ordered = sorted(sorted(self.senate), key=lambda m: -self.hotkey_stake(m))
            last = ordered[-1]
            if self.hotkey_stake(last) < self.hotkey_stake(h):
                if h in self.senate:
                    raise Rejected("AlreadySenateMember")
                self.senate.discard(last)
                self.senate.add(h)
                self.delete_votes(last)
                self.coverage["senate_swap"] += 1
        else:
            if h in self.senate:
                raise Rejected("AlreadySenateMember")
            self.senate.add(h)
        if h not in self.delegates:
            self.delegates[h] = ROOT_DELEGATE_TAKE
        self.inc16(self.registrations_this_interval, 0)
        self.inc16(self.registrations_this_block, 0)
