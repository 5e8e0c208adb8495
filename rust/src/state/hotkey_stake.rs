//! `HotkeyStake`: a hotkey's `Stake[hotkey]` (coldkey → rao) and `TotalHotkeyStake[hotkey]` in one
//! entry of one account map, so that crediting emission — replay's hottest path, a few lookups per
//! credited tuple in maps of every hotkey ever registered (~240 k by a Finney-scale year's end,
//! beyond the cache) — finds both with one lookup (bench/README.md, "The year, session 8").
//!
//! The rules keep two maps, and so does the serde form: [`StakeColdkeys`] and [`StakeTotals`]
//! serialise the entries that exist in each, exactly as the two `BTreeMap`s they replace, so
//! snapshots and the state root are unchanged; reading them back fills the map from `Stake`
//! (`HotkeyStake`'s `Deserialize`) and merges `TotalHotkeyStake` in ([`merge_totals`]).

use super::{AccountId, AccountMap, SortedMap};
use serde::ser::SerializeMap;
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
/// totals are merged in afterwards ([`merge_totals`]).
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

/// Adds the snapshot's `TotalHotkeyStake` to the entries read from its `Stake`.
pub fn merge_totals(stakes: &mut HotkeyStakes, totals: AccountMap<u64>) {
    for (h, t) in totals.into_unordered() {
        stakes.entry(h).or_default().total = Some(t);
    }
}

/// `Stake` as the rules' map: the hotkeys with a coldkey map, ascending.
pub struct StakeColdkeys<'a>(pub &'a HotkeyStakes);

/// `TotalHotkeyStake` as the rules' map: the hotkeys with a total, ascending.
pub struct StakeTotals<'a>(pub &'a HotkeyStakes);

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

        let mut back: HotkeyStakes = rmp_serde::from_slice(&stake_bytes).unwrap();
        merge_totals(&mut back, rmp_serde::from_slice(&totals_bytes).unwrap());
        assert!(back == stakes);
    }
}
