//! Delta snapshots: a state as its changes from a base state (issue 15: `at(b)` anywhere in a
//! Finney-scale year within the log's disk budget; docs/WIRE.md "Delta snapshots").
//!
//! Three maps are most of a large state and change little: `Owner`, `Stake` and
//! `TotalHotkeyStake` name every hotkey ever registered (~247 000 at a year's end), and between
//! two snapshots 10 000 blocks apart ~9 000 of their entries change (the hotkeys an epoch paid,
//! the new ones). A delta holds everything else in full — it is the state's snapshot with those
//! three maps empty — and of the three maps only the entries that differ from the base's (set)
//! and the keys that are gone (removed): ~3.5 MB stored against 14–23 MB for the full snapshot.
//!
//! `[DELTA_VERSION, base_head, rest, owner_set, owner_removed, stake_set, stake_removed]` in
//! compact form (`compact`), where `rest` is the engine snapshot (`[version, ruleset, state]`)
//! with the three maps empty, `owner_set` `[[hotkey, coldkey], …]`, `stake_set` `[[hotkey,
//! coldkeys or nil, total or nil], …]` (a hotkey's `Stake` map and `TotalHotkeyStake`, each nil
//! where the rules' map has no entry), the removed lists hotkeys, all ascending.

use super::{compact, parallel};
use crate::codec::serde_reader;
use crate::error::{ChainError, Result};
use crate::state::{AccountId, HotkeyStake, SortedMap, State};

/// The version of the delta layout `encode` writes and `apply` reads.
pub const DELTA_VERSION: u32 = 1;

type StakeEntry = (AccountId, Option<SortedMap<AccountId, u64>>, Option<u64>);

/// `now` as changes from `base`. `now`'s three maps are moved out while the rest of it is
/// encoded (not written only to be cut out again: ~0.9 s at a year's end) and put back.
pub fn encode(base: &State, now: &mut State) -> Vec<u8> {
    let (owner, stake) = (
        std::mem::take(&mut now.owner),
        std::mem::take(&mut now.stake),
    );
    let rest = super::encode(now);
    (now.owner, now.stake) = (owner, stake);
    let now = &*now;
    let owner_set: Vec<(&AccountId, &AccountId)> = now
        .owner
        .iter_sorted()
        .into_iter()
        .filter(|(k, v)| base.owner.get(k) != Some(v))
        .collect();
    let owner_removed = gone(base.owner.keys_sorted(), |k| now.owner.contains_key(k));
    let stake_set: Vec<_> = now
        .stake
        .iter_sorted()
        .into_iter()
        .filter(|(k, v)| base.stake.get(k) != Some(v))
        .map(|(k, v)| (k, &v.coldkeys, v.total))
        .collect();
    let stake_removed = gone(base.stake.keys_sorted(), |k| now.stake.contains_key(k));
    let mut out = Vec::with_capacity(rest.len() + 64 * (owner_set.len() + stake_set.len()));
    rmp::encode::write_array_len(&mut out, 7).expect("writing to a Vec");
    write(&mut out, &DELTA_VERSION);
    write(&mut out, &base.head);
    out.extend_from_slice(&rest);
    write(&mut out, &owner_set);
    write(&mut out, &owner_removed);
    write(&mut out, &stake_set);
    write(&mut out, &stake_removed);
    compact::compact(&out).expect("one complete msgpack value")
}

/// The keys of `base` (ascending) that `now` does not have.
fn gone(base: Vec<AccountId>, has: impl Fn(&AccountId) -> bool) -> Vec<AccountId> {
    base.into_iter().filter(|k| !has(k)).collect()
}

/// The state a delta made from the state of snapshot `base` stands for; `ChainError::Format` if
/// either does not decode or the delta was made from another base. The base's three big maps
/// and the delta's rest of the state are read in parallel (`parallel::decode_maps_with_rest`):
/// the base's own rest is never read.
pub fn apply(base: &[u8], delta: &[u8]) -> Result<State> {
    let values =
        split(delta).ok_or_else(|| bad("not a delta snapshot (truncated or malformed)"))?;
    let version: u32 = value(values[0])?;
    if version != DELTA_VERSION {
        return Err(bad(&format!(
            "version {version}; this engine reads version {DELTA_VERSION}"
        )));
    }
    let made_from: u64 = value(values[1])?;
    let (head, mut state) = match parallel::decode_maps_with_rest(base, values[2]) {
        Some(Ok((head, (version, ruleset, state)))) => {
            super::check(version, &ruleset)?;
            (head, state)
        }
        // not as this engine writes it: read both in full, which reports what is wrong
        _ => {
            let mut state = super::decode(values[2])?;
            let base = super::decode(base)?;
            (state.owner, state.stake) = (base.owner, base.stake);
            (base.head, state)
        }
    };
    if made_from != head {
        return Err(bad(&format!(
            "made from the state of block {made_from}, applied to that of block {head}"
        )));
    }
    let owner_set: Vec<(AccountId, AccountId)> = value(values[3])?;
    let owner_removed: Vec<AccountId> = value(values[4])?;
    let stake_set: Vec<StakeEntry> = value(values[5])?;
    let stake_removed: Vec<AccountId> = value(values[6])?;
    for k in &owner_removed {
        state.owner.remove(k);
    }
    for (k, v) in owner_set {
        state.owner.insert(k, v);
    }
    for k in &stake_removed {
        state.stake.remove(k);
    }
    for (k, coldkeys, total) in stake_set {
        state.stake.insert(k, HotkeyStake { coldkeys, total });
    }
    Ok(state)
}

fn bad(what: &str) -> ChainError {
    ChainError::Format(format!("delta snapshot: {what}"))
}

/// One value of a delta, by the fast reader.
fn value<'de, T: serde::Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
    serde_reader::from_slice(bytes).map_err(|e| bad(&e.to_string()))
}

/// The seven values of a delta.
fn split(delta: &[u8]) -> Option<[&[u8]; 7]> {
    let [0x97, ..] = delta else { return None };
    let mut p = 1;
    let mut values = [&delta[..0]; 7];
    for v in values.iter_mut() {
        *v = compact::next_value(delta, &mut p)?;
    }
    (p == delta.len()).then_some(values)
}

/// Appends `v` in `rmp-serde`'s form.
fn write<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    rmp_serde::encode::write(out, v).expect("plain ordered data serialises");
}

#[cfg(test)]
mod tests;
