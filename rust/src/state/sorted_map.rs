//! `SortedMap<K, V>`: a small ordered map kept as one sorted `Vec` of entries, for the state's
//! per-account inner maps (`Stake[hotkey]`: coldkey → rao, `IsNetworkMember[hotkey]`: netuid →
//! flag).
//!
//! Almost every such map holds one or two entries (a hotkey's owner; the subnet it is on), and
//! there is one per hotkey ever registered: ~240 k in a Finney-scale year. A `BTreeMap` allocates
//! a whole node (11 slots) for each; here an entry costs its own size, lookups scan a few
//! adjacent entries, and restoring or copying a state allocates a fraction of the memory
//! (bench/README.md, "The year, session 7"). Iteration is in ascending key order and the serde
//! form is exactly a `BTreeMap`'s, so snapshots and the state root are unchanged.

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smallvec::SmallVec;
use std::fmt;
use std::marker::PhantomData;

/// An ordered map as a sorted vector of `(key, value)` with unique keys, its first entry stored
/// inline: a map of one entry (nearly all of them) is no allocation of its own, which is most of
/// what restoring or dropping a Finney-scale state costs (bench/README.md, "The year, session 11").
#[derive(Clone, PartialEq, Eq)]
pub struct SortedMap<K, V>(SmallVec<[(K, V); 1]>);

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap(SmallVec::new())
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    fn find(&self, k: &K) -> Result<usize, usize> {
        self.0.binary_search_by(|(x, _)| x.cmp(k))
    }

    pub fn get(&self, k: &K) -> Option<&V> {
        self.find(k).ok().map(|i| &self.0[i].1)
    }

    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.find(k).ok().map(|i| &mut self.0[i].1)
    }

    pub fn contains_key(&self, k: &K) -> bool {
        self.find(k).is_ok()
    }

    /// Sets `k` to `v`; the previous value, if any.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        match self.find(&k) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, v)),
            Err(i) => {
                self.0.insert(i, (k, v));
                None
            }
        }
    }

    /// The value of `k`, inserted as `f()` if absent.
    pub fn get_or_insert_with(&mut self, k: K, f: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&k) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (k, f()));
                i
            }
        };
        &mut self.0[i].1
    }

    pub fn remove(&mut self, k: &K) -> Option<V> {
        self.find(k).ok().map(|i| self.0.remove(i).1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries in ascending key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The entries in ascending key order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.0.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }
}

impl<K: Ord, V> std::ops::Index<&K> for SortedMap<K, V> {
    type Output = V;
    fn index(&self, k: &K) -> &V {
        self.get(k).expect("no entry for this key")
    }
}

impl<'a, K: Ord, V> IntoIterator for &'a SortedMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// What a `BTreeMap` collects: for a repeated key the last value.
impl<K: Ord, V> FromIterator<(K, V)> for SortedMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(it: I) -> Self {
        SortedMap::from_entries(it.into_iter().collect())
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// Entries in any order; a repeated key keeps its last value (as `BTreeMap` does).
    pub(crate) fn from_entries(mut v: SmallVec<[(K, V); 1]>) -> Self {
        if !v.windows(2).all(|w| w[0].0 < w[1].0) {
            v.reverse(); // the stable sort then keeps the last of equal keys first
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v.dedup_by(|later, first| later.0 == first.0);
        }
        SortedMap(v)
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for SortedMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

/// A `BTreeMap`'s serde form: the entries in ascending key order.
impl<K: Serialize, V: Serialize> Serialize for SortedMap<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Reads what a `BTreeMap` reads (entries in any order; a later duplicate key replaces the
/// earlier entry).
impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for SortedMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for Entries<K, V> {
            type Value = SortedMap<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<SortedMap<K, V>, A::Error> {
                let mut v = SmallVec::with_capacity(a.size_hint().unwrap_or(0).min(1 << 16));
                while let Some(e) = a.next_entry::<K, V>()? {
                    v.push(e);
                }
                Ok(SortedMap::from_entries(v))
            }
        }
        d.deserialize_map(Entries(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::SortedMap;
    use std::collections::BTreeMap;

    /// Every operation agrees with `BTreeMap`'s, and so does the msgpack form, both ways.
    #[test]
    fn behaves_and_encodes_like_a_btreemap() {
        let mut rng = crate::testutil::XorShift(0x2545_f491_4f6c_dd1d);
        let mut next = || rng.next();
        let mut ours: SortedMap<u16, u64> = SortedMap::new();
        let mut theirs: BTreeMap<u16, u64> = BTreeMap::new();
        for _ in 0..5000 {
            let k = (next() % 24) as u16;
            let v = next() % 1000;
            match next() % 4 {
                0 => assert_eq!(ours.insert(k, v), theirs.insert(k, v)),
                1 => assert_eq!(ours.remove(&k), theirs.remove(&k)),
                2 => *ours.get_or_insert_with(k, || v) += 1,
                _ => assert_eq!(ours.get_mut(&k).copied(), theirs.get_mut(&k).copied()),
            }
            if let Some(x) = ours.get(&k) {
                theirs.insert(k, *x); // mirror get_or_insert_with's write
            }
            assert_eq!(ours.len(), theirs.len());
            assert!(ours.iter().eq(theirs.iter()));
            assert_eq!(ours.contains_key(&k), theirs.contains_key(&k));
        }
        let bytes = rmp_serde::to_vec(&ours).unwrap();
        assert_eq!(bytes, rmp_serde::to_vec(&theirs).unwrap());
        assert_eq!(
            rmp_serde::from_slice::<SortedMap<u16, u64>>(&bytes).unwrap(),
            ours
        );
        // unsorted input with a repeated key: the last value wins, as in a BTreeMap
        let entries = vec![(5u16, 1u64), (2, 7), (5, 3), (1, 0), (2, 9)];
        let from_bt: BTreeMap<u16, u64> = entries.iter().copied().collect();
        let ours: SortedMap<u16, u64> = entries.iter().copied().collect();
        assert!(ours.iter().eq(from_bt.iter()));
        let mut raw = Vec::new();
        rmp::encode::write_map_len(&mut raw, entries.len() as u32).unwrap();
        for (k, v) in &entries {
            rmp::encode::write_uint(&mut raw, u64::from(*k)).unwrap();
            rmp::encode::write_uint(&mut raw, *v).unwrap();
        }
        let read: SortedMap<u16, u64> = rmp_serde::from_slice(&raw).unwrap();
        assert!(read.iter().eq(from_bt.iter()));
    }
}
