"""Axon and Prometheus serving (docs/ruleset.md §11)."""

from __future__ import annotations

from typing import Any

from .state import ModelState, Rejected


class Serving(ModelState):
    """``serve_axon`` and ``serve_prometheus`` with their shared checks."""

    # §11
    def _serve_checks(self, h: bytes, u: int, ip: int, port: int, ip_type: int,
                      store: dict[tuple[int, bytes], dict[str, int]]) -> None:
        if not self.is_member.get(h):
            raise Rejected("NotRegistered")
        if ip_type not in (4, 6):
            raise Rejected("InvalidIpType")
        bad = ip == 0
        if ip_type == 4:
            bad = bad or not ip < 4_294_967_295 or ip == 0x7F000001
        else:
            bad = bad or ip == (1 << 128) - 1 or ip == 1
        if bad:
            raise Rejected("InvalidIpAddress")
        prev = store.get((u, h), {}).get("block", 0)
        lim = self.p(u, "serving_rate_limit")
        if not (lim == 0 or prev == 0 or self.block - prev >= lim):
            raise Rejected("ServingRateLimitExceeded")
        if port == 0:
            raise Rejected("InvalidPort")

    def _tx_ServeAxon(self, tx: Any) -> None:
        h = bytes(tx.origin)
        self._serve_checks(h, tx.netuid, tx.ip, tx.port, tx.ip_type, self.axons)
        self.axons[(tx.netuid, h)] = {
            "block": self.block, "version": tx.version, "ip": tx.ip, "port": tx.port,
            "ip_type": tx.ip_type, "protocol": tx.protocol, "placeholder1": tx.placeholder1,
            "placeholder2": tx.placeholder2}

    def _tx_ServePrometheus(self, tx: Any) -> None:
        h = bytes(tx.origin)
        self._serve_checks(h, tx.netuid, tx.ip, tx.port, tx.ip_type, self.prometheus)
        self.prometheus[(tx.netuid, h)] = {
            "block": self.block, "version": tx.version, "ip": tx.ip, "port": tx.port,
            "ip_type": tx.ip_type}
