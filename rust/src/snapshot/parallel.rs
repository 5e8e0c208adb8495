//! Reading a snapshot on several threads (issue 15: `at(b)` restores a year-end state of 51 MB).
//!
//! Three maps are most of a large state: `Owner`, `Stake` and `TotalHotkeyStake` name every
//! hotkey ever registered (~85 % of a Finney-scale year's end state). Each is one value of the
//! state's array, so [`decode`] finds where they lie ([`compact::value_len`]: a walk over the
//! headers, far cheaper than reading), reads each on its own rayon task, and reads the rest of the
//! state — the same bytes with those three values replaced by empty maps — on another. The
//! result is exactly the sequential reader's (the maps are independent values; `Stake` and
//! `TotalHotkeyStake` are merged as `HotkeyStakes::deserialize_fields` merges them).

use super::{account_maps, compact};
use crate::codec::serde_reader::{self, Error};
use crate::state::{HotkeyStakes, State};
use std::ops::Range;

type R<T> = std::result::Result<T, Error>;

/// `[version, ruleset, state]`.
type Snapshot = (u32, String, State);

/// `[version, ruleset, state]` as `serde_reader::from_slice` reads it, the big maps in parallel;
/// None where the bytes are not laid out as this engine writes them (the caller then reads them
/// sequentially, which reports what is wrong).
pub fn decode(bytes: &[u8]) -> Option<R<Snapshot>> {
    let parts = Parts::split(bytes)?;
    Some(read(&parts, &parts.rest()))
}

/// The three big maps of snapshot `base` with everything else from `rest` (a snapshot whose three
/// maps are empty: a delta's), read in parallel as `decode` reads one snapshot, and `base`'s
/// head; None where `base` is not laid out as this engine writes snapshots.
pub fn decode_maps_with_rest(base: &[u8], rest: &[u8]) -> Option<R<(u64, Snapshot)>> {
    let parts = Parts::split(base)?;
    let head = serde_reader::from_slice::<u64>(parts.head);
    Some(head.and_then(|head| Ok((head, read(&parts, rest)?))))
}

/// The state of the three maps in `parts` and the rest of it in `rest`.
fn read(parts: &Parts<'_>, rest: &[u8]) -> R<Snapshot> {
    // `Stake` (one allocation a hotkey) takes longest: it starts first, the other thread takes the
    // rest in turn, and whichever finishes first takes what is left (rayon's stealing).
    // Each map read directly where it is in the compact form, else by serde (`account_maps`).
    let (stakes, (owner, (totals, rest))) = rayon::join(
        || direct_or_serde(parts.stake, account_maps::stakes),
        || {
            rayon::join(
                || direct_or_serde(parts.owner, account_maps::owner),
                || {
                    rayon::join(
                        || direct_or_serde(parts.totals, account_maps::totals),
                        || serde_reader::from_slice::<Snapshot>(rest),
                    )
                },
            )
        },
    );
    let (version, ruleset, mut state) = rest?;
    state.owner = owner?;
    state.stake = HotkeyStakes::with_totals(stakes?, totals?);
    Ok((version, ruleset, state))
}

fn direct_or_serde<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    direct: impl FnOnce(&[u8]) -> Option<T>,
) -> R<T> {
    direct(bytes).map_or_else(|| serde_reader::from_slice(bytes), Ok)
}

/// A snapshot cut at the three big maps.
struct Parts<'a> {
    bytes: &'a [u8],
    /// The state's `head`.
    head: &'a [u8],
    owner: &'a [u8],
    stake: &'a [u8],
    totals: &'a [u8],
    /// Where the three maps lie in `bytes`, together.
    maps: Range<usize>,
}

/// An empty msgpack map.
const EMPTY_MAP: u8 = 0x80;

impl<'a> Parts<'a> {
    fn split(bytes: &'a [u8]) -> Option<Parts<'a>> {
        // `Owner` is the last field before the `..stake` row, whose two values follow it.
        let owner_at = State::HEAD_FIELDS.len().checked_sub(1)?;
        if State::HEAD_FIELDS.last() != Some(&"owner")
            || State::HEAD_FIELDS.get(1) != Some(&"head")
            || HotkeyStakes::FIELDS != 2
        {
            return None;
        }
        // [version, ruleset, state]; the state an array 16 of its fields
        let [0x93, ..] = bytes else { return None };
        let mut p = 1;
        for _ in 0..2 {
            compact::next_value(bytes, &mut p)?;
        }
        let [0xdc, _, _, ..] = bytes.get(p..)? else {
            return None;
        };
        p += 3;
        let mut head = &bytes[..0];
        for i in 0..owner_at {
            let v = compact::next_value(bytes, &mut p)?;
            if i == 1 {
                head = v;
            }
        }
        let start = p;
        let owner = compact::next_value(bytes, &mut p)?;
        let stake = compact::next_value(bytes, &mut p)?;
        let totals = compact::next_value(bytes, &mut p)?;
        Some(Parts {
            bytes,
            head,
            owner,
            stake,
            totals,
            maps: start..p,
        })
    }

    /// The snapshot with each of the three maps replaced by an empty one.
    fn rest(&self) -> Vec<u8> {
        let Range { start, end } = self.maps;
        let mut rest = Vec::with_capacity(self.bytes.len() - (end - start) + 3);
        rest.extend_from_slice(&self.bytes[..start]);
        rest.extend_from_slice(&[EMPTY_MAP; 3]);
        rest.extend_from_slice(&self.bytes[end..]);
        rest
    }
}
