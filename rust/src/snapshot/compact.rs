//! The compact form of snapshot bytes (engine snapshot version 2, docs/WIRE.md "Snapshots").
//!
//! `rmp-serde` writes a 32-byte account or hash (`[u8; 32]`) as an array of 32 integers: the
//! header `dc 00 20`, then each byte as a positive fixint or, from 0x80, as `cc` and the byte —
//! ~51 bytes an account, read back one element at a time. A Finney-scale state is mostly accounts
//! (the owner, stake and stake-total maps name every hotkey ever registered: 1.2 M accounts in a
//! year's end state of 72 MB), so restoring it was mostly that element-by-element reading.
//!
//! The compact form replaces each such array — any array of exactly 32 values that are all
//! unsigned integers < 256 in their shortest encoding — by the msgpack ext value of type
//! [`ACCOUNT_EXT`] holding the 32 bytes (`c7 20 20` + the bytes: 35 bytes). Nothing else changes,
//! and the canonical bytes (those the state root hashes) are exactly [`expand`] of the compact
//! ones. The snapshot reader (`codec::serde_reader`) reads the ext value wherever an array is
//! expected, as the 32 values it stands for.

/// The ext type of a compacted array of 32 bytes (msgpack application types are 0–127).
pub const ACCOUNT_EXT: u8 = 32;

/// `c7 20 20`: ext 8, length 32, type [`ACCOUNT_EXT`].
pub const EXT_HEADER: [u8; 3] = [0xc7, 32, ACCOUNT_EXT];

/// `dc 00 20`: array 16 of 32 values.
const ARRAY_HEADER: [u8; 3] = [0xdc, 0x00, 32];

/// The 32 bytes of an array of 32 shortest-encoded integers < 256 at the start of `b`, and the
/// array's length in bytes; None if `b` does not start with one.
pub fn array_of_32_bytes(b: &[u8]) -> Option<([u8; 32], usize)> {
    let w: &[u8; 3 + 64] = match b.first_chunk() {
        Some(w) => w,
        // the shortest such array (every byte < 0x80) is 35 bytes
        None => return short_array_of_32_bytes(b),
    };
    if w[..3] != ARRAY_HEADER {
        return None;
    }
    // Branch-free per byte: account bytes are random.
    let (mut out, mut p, mut ok) = ([0u8; 32], 3usize, true);
    for o in out.iter_mut() {
        let (b, next) = (w[p], w[p + 1]);
        let long = b == 0xcc;
        ok &= b < 0x80 || (long && next >= 0x80);
        *o = if long { next } else { b };
        p += 1 + usize::from(long);
    }
    ok.then_some((out, p))
}

/// [`array_of_32_bytes`] near the end of the input (fewer than 67 bytes left).
fn short_array_of_32_bytes(b: &[u8]) -> Option<([u8; 32], usize)> {
    let mut padded = [0u8; 3 + 64];
    padded[..b.len()].copy_from_slice(b);
    // padding zeros read as fixints, so a match must also end within the input
    array_of_32_bytes(&padded).filter(|&(_, len)| len <= b.len())
}

/// The compact form of canonical msgpack `src` (one value); None if `src` is not one complete
/// msgpack value.
pub fn compact(src: &[u8]) -> Option<Vec<u8>> {
    transcode(src, Direction::Compact)
}

/// The canonical form of compact `src`: every [`ACCOUNT_EXT`] value back to its array.
pub fn expand(src: &[u8]) -> Option<Vec<u8>> {
    transcode(src, Direction::Expand)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Compact,
    Expand,
}

/// Copies one msgpack value from `src`, rewriting the arrays of 32 bytes one way or the other.
/// Containers only add their element count to the number of values still to copy, so there is
/// no recursion.
fn transcode(src: &[u8], dir: Direction) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(src.len());
    let (mut p, mut pending) = (0usize, 1u64);
    while pending > 0 {
        pending -= 1;
        let rest = src.get(p..)?;
        if dir == Direction::Compact {
            if let Some((bytes, len)) = array_of_32_bytes(rest) {
                out.extend_from_slice(&EXT_HEADER);
                out.extend_from_slice(&bytes);
                p += len;
                continue;
            }
        } else if rest.starts_with(&EXT_HEADER) {
            let bytes = rest.get(3..35)?;
            out.extend_from_slice(&ARRAY_HEADER);
            for &b in bytes {
                if b >= 0x80 {
                    out.push(0xcc);
                }
                out.push(b);
            }
            p += 35;
            continue;
        }
        let (len, children) = value_head(rest)?;
        out.extend_from_slice(rest.get(..len)?);
        p += len;
        pending = pending.checked_add(children)?;
    }
    (p == src.len()).then_some(out)
}

/// The length in bytes of the msgpack value at the start of `b` (compact or not); None if `b`
/// does not start with a complete one.
pub fn value_len(b: &[u8]) -> Option<usize> {
    let (mut p, mut pending) = (0usize, 1u64);
    while pending > 0 {
        pending -= 1;
        let rest = b.get(p..)?;
        // an account of version 1 at once, not as 33 values
        if let [0xdc, 0x00, 32, ..] = rest {
            if let Some((_, len)) = array_of_32_bytes(rest) {
                p += len;
                continue;
            }
        }
        let (len, children) = value_head(rest)?;
        p += len;
        pending = pending.checked_add(children)?;
    }
    (p <= b.len()).then_some(p)
}

/// The msgpack value at byte `*p` of `bytes`, moving `*p` past it; None if there is no complete
/// one there.
pub fn next_value<'a>(bytes: &'a [u8], p: &mut usize) -> Option<&'a [u8]> {
    let start = *p;
    let end = start.checked_add(value_len(bytes.get(start..)?)?)?;
    *p = end;
    bytes.get(start..end)
}

/// For the value at the start of `b`: the bytes to copy as they are (its header and, for a
/// scalar, string, bin or ext, its payload) and the number of values that follow as its elements.
fn value_head(b: &[u8]) -> Option<(usize, u64)> {
    let m = *b.first()?;
    let be = |n: usize| -> Option<usize> {
        let v = b.get(1..1 + n)?;
        Some(v.iter().fold(0usize, |a, &x| (a << 8) | usize::from(x)))
    };
    Some(match m {
        0x00..=0x7f | 0xc0 | 0xc2 | 0xc3 | 0xe0..=0xff => (1, 0),
        0x80..=0x8f => (1, 2 * u64::from(m & 0x0f)),
        0x90..=0x9f => (1, u64::from(m & 0x0f)),
        0xa0..=0xbf => (1 + usize::from(m & 0x1f), 0),
        0xc4 | 0xd9 => (2 + be(1)?, 0),
        0xc5 | 0xda => (3 + be(2)?, 0),
        0xc6 | 0xdb => (5 + be(4)?, 0),
        0xc7 => (3 + be(1)?, 0),
        0xc8 => (4 + be(2)?, 0),
        0xc9 => (6 + be(4)?, 0),
        0xca | 0xce | 0xd2 => (5, 0),
        0xcb | 0xcf | 0xd3 => (9, 0),
        0xcc | 0xd0 => (2, 0),
        0xcd | 0xd1 => (3, 0),
        0xd4 => (3, 0),
        0xd5 => (4, 0),
        0xd6 => (6, 0),
        0xd7 => (10, 0),
        0xd8 => (18, 0),
        0xdc => (3, be(2)? as u64),
        0xdd => (5, be(4)? as u64),
        0xde => (3, 2 * be(2)? as u64),
        0xdf => (5, 2 * be(4)? as u64),
        0xc1 => return None, // never used
    })
}

#[cfg(test)]
mod tests;
