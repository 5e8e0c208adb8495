"""A reader of the chain's SCALE-encoded `get_neurons` answer (the bittensor runtime API
`NeuronInfoRuntimeApi.get_neurons(netuid)`, subtensor 2023–24): the bytes a node returns, as the
SDK's `NeuronInfo.list_from_vec_u8` and the `bt-decode` package read them, into plain ints.

Only what `Genesis.from_neurons` needs: no float conversion (u16 ratios stay u16, emission and
stake stay rao), and the axon's `block`, which the SDK's `AxonInfo` drops, is kept. Layout of one
`NeuronInfo` (SCALE: little-endian fixed ints, `Compact<…>` variable length, `Vec` = compact
length + items):

    hotkey [u8; 32], coldkey [u8; 32], uid Compact<u16>, netuid Compact<u16>, active bool,
    axon_info {block u64, version u32, ip u128, port u16, ip_type u8, protocol u8,
               placeholder1 u8, placeholder2 u8},
    prometheus_info {block u64, version u32, ip u128, port u16, ip_type u8},
    stake Vec<(AccountId, Compact<u64>)>, rank, emission (u64), incentive, consensus, trust,
    validator_trust, dividends: Compact<u16> (emission Compact<u64>), last_update Compact<u64>,
    validator_permit bool, weights Vec<(Compact<u16>, Compact<u16>)>, bonds (the same),
    pruning_score Compact<u16>
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidGenesis

__all__ = ["RawNeuron", "decode_neurons"]


@dataclass
class RawNeuron:
    """One decoded `NeuronInfo`, every value as the chain stores it."""

    hotkey: bytes
    coldkey: bytes
    uid: int
    netuid: int
    active: bool
    axon: dict[str, int]
    prometheus: dict[str, int]
    stake: dict[bytes, int]
    rank: int
    emission: int
    incentive: int
    consensus: int
    trust: int
    validator_trust: int
    dividends: int
    last_update: int
    validator_permit: bool
    weights: list[tuple[int, int]] = field(default_factory=list)
    bonds: list[tuple[int, int]] = field(default_factory=list)
    pruning_score: int = 0


class _Reader:
    __slots__ = ("b", "i")

    def __init__(self, b: bytes) -> None:
        self.b, self.i = b, 0

    def take(self, n: int, what: str) -> bytes:
        if self.i + n > len(self.b):
            raise InvalidGenesis(f"get_neurons answer: truncated in {what} at byte {self.i}",
                                 field="neurons")
        out = self.b[self.i:self.i + n]
        self.i += n
        return out

    def fixed(self, fmt: str, what: str) -> int:
        v: int = struct.unpack("<" + fmt, self.take(struct.calcsize(fmt), what))[0]
        return v

    def u128(self, what: str) -> int:
        return int.from_bytes(self.take(16, what), "little")

    def bool(self, what: str) -> bool:
        v = self.take(1, what)[0]
        if v > 1:
            raise InvalidGenesis(f"get_neurons answer: {what} is {v}, not a bool (byte {self.i - 1})",
                                 field="neurons")
        return v == 1

    def compact(self, what: str, bits: int) -> int:
        first = self.take(1, what)[0]
        mode = first & 3
        if mode == 0:
            v = first >> 2
        elif mode == 1:
            v = int.from_bytes(bytes([first]) + self.take(1, what), "little") >> 2
        elif mode == 2:
            v = int.from_bytes(bytes([first]) + self.take(3, what), "little") >> 2
        else:
            v = int.from_bytes(self.take((first >> 2) + 4, what), "little")
        if v >= 1 << bits:
            raise InvalidGenesis(f"get_neurons answer: {what} = {v} does not fit u{bits}",
                                 field="neurons")
        return v

    def pairs(self, what: str) -> list[tuple[int, int]]:
        return [(self.compact(what, 16), self.compact(what, 16))
                for _ in range(self.compact(what, 32))]


def _neuron(r: _Reader) -> RawNeuron:
    hotkey, coldkey = r.take(32, "hotkey"), r.take(32, "coldkey")
    uid, netuid = r.compact("uid", 16), r.compact("netuid", 16)
    active = r.bool("active")
    axon = {"block": r.fixed("Q", "axon"), "version": r.fixed("I", "axon"), "ip": r.u128("axon"),
            "port": r.fixed("H", "axon"), "ip_type": r.fixed("B", "axon"),
            "protocol": r.fixed("B", "axon"), "placeholder1": r.fixed("B", "axon"),
            "placeholder2": r.fixed("B", "axon")}
    prometheus = {"block": r.fixed("Q", "prometheus"), "version": r.fixed("I", "prometheus"),
                  "ip": r.u128("prometheus"), "port": r.fixed("H", "prometheus"),
                  "ip_type": r.fixed("B", "prometheus")}
    stake: dict[bytes, int] = {}
    for _ in range(r.compact("stake", 32)):
        c = r.take(32, "stake")
        stake[c] = stake.get(c, 0) + r.compact("stake", 64)
    values: dict[str, Any] = {}
    for name, bits in (("rank", 16), ("emission", 64), ("incentive", 16), ("consensus", 16),
                       ("trust", 16), ("validator_trust", 16), ("dividends", 16),
                       ("last_update", 64)):
        values[name] = r.compact(name, bits)
    permit = r.bool("validator_permit")
    weights, bonds = r.pairs("weights"), r.pairs("bonds")
    return RawNeuron(hotkey=hotkey, coldkey=coldkey, uid=uid, netuid=netuid, active=active,
                     axon=axon, prometheus=prometheus, stake=stake, validator_permit=permit,
                     weights=weights, bonds=bonds, pruning_score=r.compact("pruning_score", 16),
                     **values)


def decode_neurons(data: bytes | str | list[int]) -> list[RawNeuron]:
    """The neurons of a `get_neurons` answer: its bytes, their hex (with or without ``0x``), or
    the list of byte values the node's `neuronInfo_getNeurons` RPC returns (and the SDK passes
    to `NeuronInfo.list_from_vec_u8`). Malformed input raises InvalidGenesis saying where."""
    if isinstance(data, list):
        if not all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x < 256 for x in data):
            raise InvalidGenesis("get_neurons answer: a list must hold byte values (0..255)", field="neurons")
        data = bytes(data)
    if isinstance(data, str):
        text = data.strip()
        text = text[2:] if text[:2] in ("0x", "0X") else text
        try:
            data = bytes.fromhex(text)
        except ValueError as e:
            raise InvalidGenesis(f"get_neurons answer: not hex ({e})", field="neurons") from None
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidGenesis(f"get_neurons answer: expected bytes or hex, got {type(data).__name__}",
                             field="neurons")
    r = _Reader(bytes(data))
    out = [_neuron(r) for _ in range(r.compact("neurons", 32))]
    if r.i != len(r.b):
        raise InvalidGenesis(f"get_neurons answer: {len(r.b) - r.i} trailing bytes after "
                             f"{len(out)} neurons", field="neurons")
    return out
