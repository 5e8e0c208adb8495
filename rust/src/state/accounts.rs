//! `AccountMap<V>`: the state's account-keyed maps (free balances, owners, stake totals, …), a hash
//! map built for replay that looks like an ordered map from outside.
//!
//! Replay does a few lookups on 32-byte keys per transaction; in a `BTreeMap` each one is a dozen
//! 32-byte `memcmp`s down the tree, in a hash map it is one hash and usually one compare. The hash
//! is rustc-hash's `FxHasher` with its fixed seed (no per-process random state), so the map's
//! internal layout is the same on every run — but nothing observable depends on that layout:
//!
//! * every iteration the rules, the snapshot or the binding make is in ascending key order
//!   (docs/ruleset.md §0.4) through [`AccountMap::iter_sorted`] / [`AccountMap::keys_sorted`];
//! * the only unordered access is [`AccountMap::values_unordered`], for reductions whose result
//!   does not depend on order (sums, `any`);
//! * the serde form is exactly a `BTreeMap`'s (a map with the entries in ascending key order), so
//!   snapshot bytes and the state root are unchanged.

use super::AccountId;
use rustc_hash::FxBuildHasher;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::hash_map::{self, HashMap};
use std::fmt;
use std::marker::PhantomData;

/// A map from account to `V` with `BTreeMap`-like methods and ordered iteration only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AccountMap<V>(HashMap<AccountId, V, FxBuildHasher>);

impl<V> AccountMap<V> {
    pub fn new() -> Self {
        AccountMap(HashMap::with_hasher(FxBuildHasher))
    }

    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        AccountMap(HashMap::with_capacity_and_hasher(n, FxBuildHasher))
    }

    pub fn get(&self, k: &AccountId) -> Option<&V> {
        self.0.get(k)
    }

    pub fn get_mut(&mut self, k: &AccountId) -> Option<&mut V> {
        self.0.get_mut(k)
    }

    pub fn contains_key(&self, k: &AccountId) -> bool {
        self.0.contains_key(k)
    }

    pub fn insert(&mut self, k: AccountId, v: V) -> Option<V> {
        self.0.insert(k, v)
    }

    pub fn remove(&mut self, k: &AccountId) -> Option<V> {
        self.0.remove(k)
    }

    pub fn entry(&mut self, k: AccountId) -> hash_map::Entry<'_, AccountId, V> {
        self.0.entry(k)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries in ascending key order (docs/ruleset.md §0.4).
    pub fn iter_sorted(&self) -> Vec<(&AccountId, &V)> {
        let mut v: Vec<(&AccountId, &V)> = self.0.iter().collect();
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        v
    }

    /// The keys in ascending order.
    pub fn keys_sorted(&self) -> Vec<AccountId> {
        let mut v: Vec<AccountId> = self.0.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// The entries, consumed, in no particular order: only to build another map from them.
    pub fn into_unordered(self) -> impl Iterator<Item = (AccountId, V)> {
        self.0.into_iter()
    }

    /// The values in no particular order: only for reductions that do not depend on order (sums,
    /// `any`). Anything whose result or side effects follow the order uses `iter_sorted`.
    pub fn values_unordered(&self) -> impl Iterator<Item = &V> {
        self.0.values()
    }
}

impl<V> std::ops::Index<&AccountId> for AccountMap<V> {
    type Output = V;
    fn index(&self, k: &AccountId) -> &V {
        self.0.get(k).expect("no entry for this account")
    }
}

impl<V> FromIterator<(AccountId, V)> for AccountMap<V> {
    fn from_iter<I: IntoIterator<Item = (AccountId, V)>>(it: I) -> Self {
        AccountMap(it.into_iter().collect())
    }
}

impl<V: fmt::Debug> fmt::Debug for AccountMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter_sorted()).finish()
    }
}

/// A `BTreeMap`'s serde form: the entries in ascending key order.
impl<V: Serialize> Serialize for AccountMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let entries = self.iter_sorted();
        let mut m = s.serialize_map(Some(entries.len()))?;
        for (k, v) in entries {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Reads what a `BTreeMap` reads (a later duplicate key replaces the earlier entry, as there).
impl<'de, V: Deserialize<'de>> Deserialize<'de> for AccountMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Entries<V> {
            type Value = AccountMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map keyed by 32-byte accounts")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<AccountMap<V>, A::Error> {
                let mut m = HashMap::with_capacity_and_hasher(
                    a.size_hint().unwrap_or(0).min(1 << 20),
                    FxBuildHasher,
                );
                while let Some((k, v)) = a.next_entry::<AccountId, V>()? {
                    m.insert(k, v);
                }
                Ok(AccountMap(m))
            }
        }
        d.deserialize_map(Entries(PhantomData))
    }
}
