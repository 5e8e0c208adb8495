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
"""

from __future__ import annotations

from typing import Final

import msgpack
import zstandard

__all__ = ["Codec", "BLOCK_DICTIONARY", "ZSTD_MAGIC"]

ZSTD_MAGIC: Final = b"\x28\xb5\x2f\xfd"
BLOCK_DICTIONARY: Final = "zstd-uids-1"
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

    def format_fields(self) -> dict[str, str]:
        """What meta/format records about the stored forms."""
        if self.version >= 2:
            return {"blocks": BLOCK_DICTIONARY, "snapshots": SNAPSHOT_COMPRESSION}
        return {}

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
