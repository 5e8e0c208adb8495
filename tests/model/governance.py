"""Governance (docs/ruleset.md §12) and ``sudo_set_key`` (§13.3): the triumvirate and senate
membership calls, proposals, votes, and ``close`` with the Sudo dispatch of an approved
transaction.
"""

from __future__ import annotations

import copy
from typing import Any

import msgpack  # type: ignore[import-untyped]

from .pow import blake2b_256
from .state import SENATE_MAX, ModelState, Rejected


class Governance(ModelState):
    """The governance transactions and the vote cleanup shared with root registration."""

    def _tx_SudoSetKey(self, tx: Any) -> None:
        if self.dispatching or bytes(tx.origin) != self.sudo_key:  # SudoKey only
            raise Rejected("BadOrigin")
        self.sudo_key = bytes(tx.new)

    def delete_votes(self, who: bytes) -> None:
        for p in self.proposals.values():
            p["ayes"] = [v for v in p["ayes"] if v != who]
            p["nays"] = [v for v in p["nays"] if v != who]

    def _tx_SudoTriumvirateAddMember(self, tx: Any) -> None:
        self._require_sudo(tx)
        member = bytes(tx.member)
        if member in self.triumvirate:
            raise Rejected("AlreadyTriumvirateMember")
        if len(self.triumvirate) >= 3:
            raise Rejected("TooManyTriumvirateMembers")
        self.triumvirate.append(member)

    def _tx_SudoTriumvirateRemoveMember(self, tx: Any) -> None:
        self._require_sudo(tx)
        member = bytes(tx.member)
        if member not in self.triumvirate:
            raise Rejected("NotTriumvirateMember")
        self.triumvirate.remove(member)
        self.delete_votes(member)

    def _tx_SudoTriumvirateSwapMember(self, tx: Any) -> None:
        self._require_sudo(tx)
        old, new = bytes(tx.old), bytes(tx.new)
        if old == new:
            return
        if old not in self.triumvirate:
            raise Rejected("NotTriumvirateMember")
        if new in self.triumvirate:
            raise Rejected("AlreadyTriumvirateMember")
        self.triumvirate[self.triumvirate.index(old)] = new
        self.delete_votes(old)

    def _tx_SudoSenateAddMember(self, tx: Any) -> None:
        self._require_sudo(tx)
        h = bytes(tx.hotkey)
        if h in self.senate:
            raise Rejected("AlreadySenateMember")
        if len(self.senate) >= SENATE_MAX:
            raise Rejected("TooManySenateMembers")
        self.senate.add(h)

    def _tx_SudoSenateRemoveMember(self, tx: Any) -> None:
        self._require_sudo(tx)
        h = bytes(tx.hotkey)
        if h not in self.senate:
            raise Rejected("NotSenateMember")
        self.senate.discard(h)  # votes already cast stay counted

    def _tx_SudoDisapproveProposal(self, tx: Any) -> None:
        self._require_sudo(tx)
        self.proposals.pop(bytes(tx.hash), None)

    PROPOSABLE = ("SudoRegister", "SudoSetBalance", "SudoRegisterNetwork",
                  "SudoSetHyperparameter", "SudoTriumvirateAddMember",
                  "SudoTriumvirateRemoveMember", "SudoTriumvirateSwapMember",
                  "SudoSenateAddMember", "SudoSenateRemoveMember", "SudoDisapproveProposal")

    def _tx_Propose(self, tx: Any) -> None:
        a = bytes(tx.origin)
        if a not in self.triumvirate:
            raise Rejected("NotTriumvirateMember")
        if tx.duration < 3600:
            raise Rejected("WrongDuration")
        inner = tx.transaction
        if type(inner).__name__ not in self.PROPOSABLE or bytes(inner.origin) != bytes(32):
            raise Rejected("BadOrigin")
        h = blake2b_256(msgpack.packb(inner.to_wire(), use_bin_type=True))
        if h in self.proposals:
            raise Rejected("DuplicateProposal")
        if len(self.proposals) >= 10:
            raise Rejected("TooManyProposals")
        self.proposals[h] = {
            "tx": inner, "index": self.proposal_count, "proposer": a,
            "threshold": len(self.senate) // 2 + 1, "ayes": [], "nays": [],
            "end": self.block + tx.duration}
        self.proposal_count += 1

    def _open_proposal(self, h: bytes, index: int) -> dict[str, Any]:
        p = self.proposals.get(h)
        if p is None:
            raise Rejected("ProposalMissing")
        if p["index"] != index:
            raise Rejected("WrongIndex")
        return p

    def _tx_Vote(self, tx: Any) -> None:
        c, hk = bytes(tx.origin), bytes(tx.hotkey)
        if self.owner.get(hk) != c:
            raise Rejected("NonAssociatedColdKey")
        if hk not in self.senate:
            raise Rejected("NotSenateMember")
        p = self._open_proposal(bytes(tx.hash), tx.index)
        mine, other = ("ayes", "nays") if tx.approve else ("nays", "ayes")
        if hk in p[mine]:
            raise Rejected("DuplicateVote")
        p[other] = [v for v in p[other] if v != hk]
        p[mine].append(hk)

    def _tx_Close(self, tx: Any) -> None:
        h = bytes(tx.hash)
        p = self._open_proposal(h, tx.index)
        seats, y, x, t = len(self.senate), len(p["ayes"]), len(p["nays"]), p["threshold"]
        if y >= t:
            approve = True
        elif max(seats - x, 0) < t:
            approve = False
        elif self.block < p["end"]:
            raise Rejected("TooEarly")
        else:
            approve = False
        self.proposals.pop(h, None)
        self.coverage["close:approve" if approve else "close:disapprove"] += 1
        if not approve:
            return
        if not 2 * y > seats:
            self.last_dispatch = "BadOrigin"
            return
        inner = p["tx"]
        saved = copy.deepcopy(self.__dict__)
        self.dispatching = True
        try:
            getattr(self, "_tx_" + type(inner).__name__)(inner)
            self.last_dispatch = None
        except Rejected as e:
            self.__dict__.clear()
            self.__dict__.update(saved)
            self.last_dispatch = e.code
        finally:
            self.dispatching = False
        self.coverage[f"dispatch:{self.last_dispatch or 'ok'}"] += 1
