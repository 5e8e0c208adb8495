//! `HotkeyStake`: a hotkey's `Stake[hotkey]` (coldkey → rao) and `TotalHotkeyStake[hotkey]` in one
//! entry of one account map, so that crediting emission — replay's hottest path, a few lookups per
//! credited tuple in maps of every hotkey ever registered (~240 k by a Finney-scale year's end,
//! beyond the cache) — finds both with one lookup (bench/README.md, "The year, session 8").
//!
//! The rules keep two maps, and so does the serde form: the state's `..stake` row writes two fields
//! (`serialize_fields`: the entries that exist in each, exactly as the two `BTreeMap`s they
//! replace), so snapshots and the state root are unchanged; `deserialize_fields` fills the map from
//! `Stake` (`HotkeyStake`'s `Deserialize`) and merges `TotalHotkeyStake` in.

use super::neurons::next_field;
use super::{AccountId, AccountMap, SortedMap};
use serde::de::{Expected, SeqAccess};
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One hotkey's entries: each is absent when the rules' map has no entry for the hotkey.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HotkeyStake {
    /// `Stake[hotkey]`: coldkey → rao.
    pub coldkeys: Option<SortedMap<AccountId, u64>>,
    /// `TotalHotkeyStake[hotkey]`.
    pub total: Option<u64>,
}

/// Read from a `Stake[hotkey]` map (the snapshot's `Stake`), straight into the state's map; the
/// totals are merged in afterwards (`deserialize_fields`).
impl<'de> Deserialize<'de> for HotkeyStake {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(HotkeyStake {
            coldkeys: Some(SortedMap::deserialize(d)?),
            total: None,
        })
    }
}

impl HotkeyStake {
    /// `Stake[hotkey]`, created empty if absent.
    pub fn coldkeys_mut(&mut self) -> &mut SortedMap<AccountId, u64> {
        self.coldkeys.get_or_insert_with(SortedMap::new)
    }

    /// `TotalHotkeyStake[hotkey]`, created as 0 if absent.
    pub fn total_mut(&mut self) -> &mut u64 {
        self.total.get_or_insert(0)
    }
}

/// The state's map of [`HotkeyStake`] entries.
pub type HotkeyStakes = AccountMap<HotkeyStake>;

/// The two fields of the state's serde form this map is (`flat_record!` in `state.rs`).
impl HotkeyStakes {
    pub const FIELDS: usize = 2;

    /// `Stake`, then `TotalHotkeyStake`.
    pub fn serialize_fields<S: SerializeStruct>(&self, s: &mut S) -> Result<(), S::Error> {
        s.serialize_field("stake", &StakeColdkeys(self))?;
        s.serialize_field("total_hotkey_stake", &StakeTotals(self))
    }

    /// Reads `Stake` into the map, then adds `TotalHotkeyStake` to its entries.
    pub fn deserialize_fields<'de, A: SeqAccess<'de>>(
        seq: &mut A,
        at: &mut usize,
        expected: &dyn Expected,
    ) -> Result<Self, A::Error> {
        let stakes: HotkeyStakes = next_field(seq, at, expected)?;
        let totals: AccountMap<u64> = next_field(seq, at, expected)?;
        Ok(Self::with_totals(stakes, totals))
    }

    /// `stakes` as read from `Stake`, with `TotalHotkeyStake` added to its entries.
    pub fn with_totals(mut stakes: HotkeyStakes, totals: AccountMap<u64>) -> Self {
        for (h, t) in totals.into_unordered() {
            stakes.entry(h).or_default().total = Some(t);
        }
        stakes
    }
}

/// `Stake` as the rules' map: the hotkeys with a coldkey map, ascending.
struct StakeColdkeys<'a>(&'a HotkeyStakes);

/// `TotalHotkeyStake` as the rules' map: the hotkeys with a total, ascending.
struct StakeTotals<'a>(&'a HotkeyStakes);

impl Serialize for StakeColdkeys<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let entries = coldkey_maps(self.0);
        let mut m = s.serialize_map(Some(entries.len()))?;
        for (h, v) in entries {
            m.serialize_entry(h, v)?;
        }
        m.end()
    }
}

impl Serialize for StakeTotals<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let entries: Vec<_> = self
            .0
            .iter_sorted()
            .into_iter()
            .filter_map(|(h, e)| e.total.map(|t| (h, t)))
            .collect();
        let mut m = s.serialize_map(Some(entries.len()))?;
        for (h, v) in entries {
            m.serialize_entry(h, &v)?;
        }
        m.end()
    }
}

/// The entries with a coldkey map, ascending hotkey.
pub(super) fn coldkey_maps(stakes: &HotkeyStakes) -> Vec<(&AccountId, &SortedMap<AccountId, u64>)> {
    stakes
        .iter_sorted()
        .into_iter()
        .filter_map(|(h, e)| e.coldkeys.as_ref().map(|m| (h, m)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The two maps' serde forms are the rules' `BTreeMap`s, whichever entries a hotkey has, and
    /// reading them back gives the same map.
    #[test]
    fn serialised_as_the_two_maps_of_the_rules() {
        let (a, b, c, d) = ([3u8; 32], [1u8; 32], [2u8; 32], [0xccu8; 32]);
        let mut stakes = HotkeyStakes::new();
        let both = stakes.entry(a).or_default();
        both.coldkeys_mut().insert(d, 7);
        both.coldkeys_mut().insert(b, 0);
        *both.total_mut() += 7;
        *stakes.entry(b).or_default().total_mut() += 0; // a total without a stake map
        stakes.entry(c).or_default().coldkeys_mut(); // an empty stake map without a total

        let stake_ref: BTreeMap<AccountId, BTreeMap<AccountId, u64>> =
            BTreeMap::from([(a, BTreeMap::from([(b, 0), (d, 7)])), (c, BTreeMap::new())]);
        let totals_ref: BTreeMap<AccountId, u64> = BTreeMap::from([(a, 7), (b, 0)]);
        let stake_bytes = rmp_serde::to_vec(&StakeColdkeys(&stakes)).unwrap();
        let totals_bytes = rmp_serde::to_vec(&StakeTotals(&stakes)).unwrap();
        assert_eq!(stake_bytes, rmp_serde::to_vec(&stake_ref).unwrap());
        assert_eq!(totals_bytes, rmp_serde::to_vec(&totals_ref).unwrap());

        // in a state: the two maps side by side where the rules' state has them, read back whole
        let state = crate::state::State {
            stake: stakes,
            ..Default::default()
        };
        let bytes = rmp_serde::to_vec(&state).unwrap();
        let pair = [stake_bytes, totals_bytes].concat();
        assert!(bytes.windows(pair.len()).any(|w| w == pair));
        let back: crate::state::State = rmp_serde::from_slice(&bytes).unwrap();
        assert!(back == state);
        assert!(
            crate::codec::serde_reader::from_slice::<crate::state::State>(&bytes).unwrap() == state
        );
    }
}
