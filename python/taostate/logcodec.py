"""Stored forms of log values (docs/WIRE.md "Storage"): zstd for block records and snapshots.

`log.py` stores what `Codec.block`/`Codec.snapshot` return and hands callers what
`Codec.unblock`/`Codec.unsnapshot` give back, so everything above the log sees records only (the
hash chain and the snapshot roots are over record bytes, never over stored bytes).

Format version 2:

* block record → a zstd frame (level 1, content size written, no checksum, no dictionary id)
  made with the raw-content dictionary `zstd-uids-1` when the frame is shorter than the record,
  else the record itself. The dictionary is the concatenated shortest msgpack forms of the
  integers 0‥4095: the uids of a dense weight row (0‥n−1, docs/ruleset.md §10.1) are one run of
  it, so they cost a few bytes instead of up to 3 per uid;
* snapshot → a zstd frame (level 5 with long-distance matching: window 2^27, matches from 8
  bytes; no dictionary). The same accounts recur in many maps of a state, megabytes apart, which
  only long-distance matching finds: 2.9× on a year-old Finney-scale state against 2.1× at plain
  level 3, decompressed as fast. Any zstd decoder reads these frames with its default window limit
  (2^27), so the format version is unchanged and older snapshots (plain level 3) read the same.

A frame starts with the zstd magic `28 b5 2f fd`; a block record (a msgpack array of four) with
`94` and a snapshot record with `94` too, so a value says which form it is in. Version 1 stores
every value as is (and so does this codec for a version-1 log).

Format version 3 (new logs) stores block records in groups of consecutive blocks, one LMDB value
a group, keyed by its first block: a group takes up to `BLOCK_GROUP` (64) records and is closed
early once its records reach `BLOCK_GROUP_BYTES` (128 KiB), so that appending, which rewrites the
last open group, never rewrites much. Block n's group is the one with the greatest first block ≤ n
(one cursor lookup). A group's value is one byte, the number of records in it (1–64), then a zstd
frame (the same `zstd-uids-1` dictionary and level, content size written) of the records' lengths
(u32 big-endian each) followed by the records.
Records of one group share accounts, uids and weight rows that a frame per record cannot: 2.17×
instead of 1.81× on a Finney-scale year; a value of ~36 KB leaves a fraction of its last 4 KB
overflow page unused per 64 blocks (16 a value left 0.35 GB of such waste in the year's 1.94 GB
of pages): 1.56 GB of pages for the year's blocks instead of 2.08 (bench/README.md, "The year,
session 11"). Snapshots are stored as in version 2.
"""

from __future__ import annotations

import struct
from typing import Any, Final

import msgpack
import zstandard

__all__ = ["Codec", "BLOCK_DICTIONARY", "BLOCK_GROUP", "BLOCK_GROUP_BYTES", "ZSTD_MAGIC"]

ZSTD_MAGIC: Final = b"\x28\xb5\x2f\xfd"
BLOCK_DICTIONARY: Final = "zstd-uids-1"
BLOCK_GROUP: Final = 64  # format 3: block records a stored value, at most
BLOCK_GROUP_BYTES: Final = 128 << 10  # format 3: a group is closed once its records reach this
SNAPSHOT_COMPRESSION: Final = "zstd"
BLOCK_LEVEL: Final = 1  # as small as level 19 on block records (measured), 2× faster than 3
SNAPSHOT_LEVEL: Final = 5  # with SNAPSHOT_LDM: 2.86× on the year-end state (68 MB) in ~1.0 s, 0.11 s back
SNAPSHOT_LDM: Final = {"enable_ldm": True, "window_log": 27, "ldm_min_match": 8}  # plain level 3: 2.1×


def _uids_dictionary() -> bytes:
    """`zstd-uids-1`: msgpack(0) ‖ msgpack(1) ‖ … ‖ msgpack(4095) (11 904 bytes)."""
    return b"".join(msgpack.packb(i) for i in range(4096))


class Codec:
    """Encoder/decoder of one log's stored values, by its format version (1 or 2)."""

    __slots__ = ("version", "_bc", "_bd", "_sc", "_sd")

    def __init__(self, version: int) -> None:
        self.version = version
        if version >= 2:
            d = zstandard.ZstdCompressionDict(_uids_dictionary(), dict_type=zstandard.DICT_TYPE_RAWCONTENT)
            d.precompute_compress(level=BLOCK_LEVEL)  # else each compress() digests it again
            self._bc = zstandard.ZstdCompressor(level=BLOCK_LEVEL, dict_data=d, write_checksum=False,
                                                write_content_size=True, write_dict_id=False)
            self._bd = zstandard.ZstdDecompressor(dict_data=d)
            params = zstandard.ZstdCompressionParameters.from_level(
                SNAPSHOT_LEVEL, write_checksum=False, write_content_size=True, **SNAPSHOT_LDM)
            self._sc = zstandard.ZstdCompressor(compression_params=params)
            self._sd = zstandard.ZstdDecompressor()

    @property
    def grouped(self) -> bool:
        """Whether block records are stored BLOCK_GROUP to a value (format 3)."""
        return self.version >= 3

    def format_fields(self) -> dict[str, Any]:
        """What meta/format records about the stored forms."""
        if self.version >= 3:
            return {"blocks": BLOCK_DICTIONARY, "block_group": BLOCK_GROUP, "block_group_bytes": BLOCK_GROUP_BYTES,
                    "snapshots": SNAPSHOT_COMPRESSION}
        if self.version >= 2:
            return {"blocks": BLOCK_DICTIONARY, "snapshots": SNAPSHOT_COMPRESSION}
        return {}

    def group(self, records: list[bytes]) -> bytes:
        """The stored value of a group of 1‥BLOCK_GROUP block records (format 3)."""
        if not 1 <= len(records) <= BLOCK_GROUP:
            raise ValueError(f"a group holds 1 to {BLOCK_GROUP} records, not {len(records)}")
        lengths = struct.pack(f">{len(records)}I", *map(len, records))
        frame: bytes = self._bc.compress(lengths + b"".join(records))
        return bytes([len(records)]) + frame

    @staticmethod
    def _full(count: int, size: int) -> bool:
        """Whether a group of `count` records of `size` bytes in all takes no more."""
        return count >= BLOCK_GROUP or size >= BLOCK_GROUP_BYTES

    @classmethod
    def closed(cls, records: list[bytes]) -> bool:
        """Whether a group of these records takes no more (BLOCK_GROUP records, or
        BLOCK_GROUP_BYTES of them)."""
        return cls._full(len(records), sum(map(len, records)))

    @classmethod
    def groups(cls, records: list[bytes]) -> list[list[bytes]]:
        """`records` (consecutive blocks) cut into groups: each closed as soon as it is full
        (`closed`), the last one possibly open."""
        out: list[list[bytes]] = [[]]
        size = 0
        for r in records:
            if cls._full(len(out[-1]), size):
                out.append([])
                size = 0
            out[-1].append(r)
            size += len(r)
        return out if out[0] else []

    @staticmethod
    def group_count(stored: bytes) -> int:
        """The number of records in a stored group, from its first byte (0 if it is empty)."""
        return stored[0] if stored else 0

    def ungroup(self, stored: bytes) -> list[bytes]:
        """The records of a stored group; ValueError (or zstandard.ZstdError) if it is damaged."""
        count = self.group_count(stored)
        if not 1 <= count <= BLOCK_GROUP:
            raise ValueError(f"the group's record count is {count}")
        payload: bytes = self._bd.decompress(stored[1:])
        head = 4 * count
        if len(payload) < head:
            raise ValueError("the group is shorter than its lengths")
        out, at = [], head
        for n in struct.unpack(f">{count}I", payload[:head]):
            out.append(payload[at:at + n])
            at += n
        if at != len(payload):
            raise ValueError("the group's lengths do not add up to its records")
        return out

    def records(self, stored: bytes) -> list[bytes]:
        """The block records of one stored value, in any format version."""
        return self.ungroup(stored) if self.grouped else [self.unblock(stored)]

    def block(self, record: bytes) -> bytes:
        if self.version < 2:
            return record
        frame: bytes = self._bc.compress(record)
        return frame if len(frame) < len(record) else record

    def unblock(self, stored: bytes) -> bytes:
        """The record of a stored block value; zstandard.ZstdError if the frame is broken."""
        if stored[:4] == ZSTD_MAGIC and self.version >= 2:
            out: bytes = self._bd.decompress(stored)
            return out
        return stored

    def snapshot(self, record: bytes) -> bytes:
        if self.version < 2:
            return record
        frame: bytes = self._sc.compress(record)
        return frame

    def unsnapshot(self, stored: bytes) -> bytes:
        if stored[:4] == ZSTD_MAGIC and self.version >= 2:
            out: bytes = self._sd.decompress(stored)
            return out
        return stored
