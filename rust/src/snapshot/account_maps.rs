//! The three big maps of a compact snapshot (`Owner`, `Stake`, `TotalHotkeyStake`) read straight
//! from their bytes, without serde.
//!
//! They are most of a Finney-scale state (1.2 M accounts at a year's end) and their layout is
//! fixed: a map keyed by 32-byte accounts (each the ext value of `compact`), whose values are an
//! account, an unsigned integer, or such a map of integers. Through serde each account is 32
//! separate byte reads and each integer a call through the visitor machinery; here an account is
//! one 35-byte compare-and-copy and a map one loop (bench/README.md, "The year, session 11").
//!
//! A reader accepts only exactly what the serde reader (`codec::serde_reader`) reads from the
//! compact form — canonical map headers and integers, every account an ext value, the value
//! ending at the end of its bytes — and returns the same map (a later duplicate key replacing an
//! earlier one, as there). On anything else it returns None and the caller reads the bytes with
//! serde, which accepts the other forms (version 1's arrays) or says what is wrong.

use super::compact::EXT_HEADER;
use crate::state::{AccountId, AccountMap, HotkeyStake, HotkeyStakes, SortedMap};
use smallvec::SmallVec;

/// `Owner`: hotkey → coldkey.
pub fn owner(bytes: &[u8]) -> Option<AccountMap<AccountId>> {
    account_map(bytes, |c| c.account())
}

/// `TotalHotkeyStake`: hotkey → rao.
pub fn totals(bytes: &[u8]) -> Option<AccountMap<u64>> {
    account_map(bytes, |c| c.uint())
}

/// `Stake`: hotkey → (coldkey → rao), as `HotkeyStake`'s `Deserialize` reads it (no totals yet).
pub fn stakes(bytes: &[u8]) -> Option<HotkeyStakes> {
    account_map(bytes, |c| {
        let n = c.map_len()?;
        let mut entries = SmallVec::with_capacity(n.min(c.left() / ENTRY_MIN));
        for _ in 0..n {
            entries.push((c.account()?, c.uint()?));
        }
        Some(HotkeyStake {
            coldkeys: Some(SortedMap::from_entries(entries)),
            total: None,
        })
    })
}

/// The fewest bytes a map entry takes (a 35-byte account and a one-byte integer): bounds the
/// capacity reserved for a declared length, whatever the header says.
const ENTRY_MIN: usize = 36;

/// A map keyed by accounts whose values `value` reads, filling all of `bytes`.
fn account_map<'a, V>(
    bytes: &'a [u8],
    value: impl Fn(&mut Cursor<'a>) -> Option<V>,
) -> Option<AccountMap<V>> {
    let mut c = Cursor { b: bytes, p: 0 };
    let n = c.map_len()?;
    let mut map = AccountMap::with_capacity(n.min(c.left() / ENTRY_MIN));
    for _ in 0..n {
        let k = c.account()?;
        let v = value(&mut c)?;
        map.insert(k, v);
    }
    (c.p == bytes.len()).then_some(map)
}

/// A position in msgpack bytes.
struct Cursor<'a> {
    b: &'a [u8],
    p: usize,
}

impl Cursor<'_> {
    fn left(&self) -> usize {
        self.b.len() - self.p
    }

    fn take<const N: usize>(&mut self) -> Option<&[u8; N]> {
        let w = self.b.get(self.p..)?.first_chunk::<N>()?;
        self.p += N;
        Some(w)
    }

    /// A map header in its shortest form (as `codec::Rd::map` requires).
    fn map_len(&mut self) -> Option<usize> {
        let m = *self.b.get(self.p)?;
        let n = match m {
            0x80..=0x8f => {
                self.p += 1;
                usize::from(m & 0x0f)
            }
            0xde => {
                let &[_, a, b] = self.take::<3>()?;
                Some(usize::from(u16::from_be_bytes([a, b]))).filter(|&n| n >= 16)?
            }
            0xdf => {
                let &[_, a, b, c, d] = self.take::<5>()?;
                let n = u32::from_be_bytes([a, b, c, d]);
                usize::try_from(n).ok().filter(|&n| n > 0xffff)?
            }
            _ => return None,
        };
        Some(n)
    }

    /// An account as the compact form's ext value.
    fn account(&mut self) -> Option<AccountId> {
        let w = self.take::<35>()?;
        (w[..3] == EXT_HEADER).then(|| *w[3..].first_chunk::<32>().expect("35 − 3 bytes"))
    }

    /// An unsigned integer in its shortest form (as `codec::Rd::shortest_uint` requires).
    fn uint(&mut self) -> Option<u64> {
        let m = *self.b.get(self.p)?;
        let (v, min) = match m {
            0x00..=0x7f => {
                self.p += 1;
                return Some(u64::from(m));
            }
            0xcc => (u64::from(self.take::<2>()?[1]), 0x80),
            0xcd => {
                let &[_, a, b] = self.take::<3>()?;
                (u64::from(u16::from_be_bytes([a, b])), 0x100)
            }
            0xce => {
                let &[_, a, b, c, d] = self.take::<5>()?;
                (u64::from(u32::from_be_bytes([a, b, c, d])), 0x1_0000)
            }
            0xcf => {
                let w = self.take::<9>()?;
                let v = u64::from_be_bytes(*w[1..].first_chunk::<8>().expect("9 − 1 bytes"));
                (v, 0x1_0000_0000)
            }
            _ => return None,
        };
        (v >= min).then_some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::serde_reader;
    use crate::snapshot::compact;
    use serde::de::DeserializeOwned;
    use serde::Serialize;
    use std::collections::BTreeMap;

    fn acct(i: u64) -> AccountId {
        let mut a = [0u8; 32];
        a[..8].copy_from_slice(&i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
        a[31] = (i % 251) as u8;
        a
    }

    /// The compact bytes of `value` as the engine writes them.
    fn compact_bytes<T: Serialize>(value: &T) -> Vec<u8> {
        compact::compact(&rmp_serde::to_vec(value).unwrap()).unwrap()
    }

    /// The direct reader and serde agree: both read it, to the same map, or the direct one
    /// declines (serde then reads it or says why not).
    fn agree<T, F>(bytes: &[u8], direct: F) -> Option<T>
    where
        T: DeserializeOwned + PartialEq + std::fmt::Debug,
        F: Fn(&[u8]) -> Option<T>,
    {
        let ours = direct(bytes);
        if let Some(m) = &ours {
            assert_eq!(Some(m), serde_reader::from_slice::<T>(bytes).ok().as_ref());
        }
        ours
    }

    fn entries<V: Copy>(m: &AccountMap<V>) -> BTreeMap<AccountId, V> {
        m.iter_sorted().into_iter().map(|(k, v)| (*k, *v)).collect()
    }

    #[test]
    fn reads_what_serde_reads() {
        // sizes on both sides of each map header's and integer's length boundaries
        for n in [0u64, 1, 15, 16, 300] {
            let owner: BTreeMap<AccountId, AccountId> =
                (0..n).map(|i| (acct(i), acct(i + 7))).collect();
            let totals: BTreeMap<AccountId, u64> = (0..n)
                .map(|i| {
                    (
                        acct(i),
                        [0, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x1_0000, u64::MAX][i as usize % 8],
                    )
                })
                .collect();
            let stake: BTreeMap<AccountId, BTreeMap<AccountId, u64>> = (0..n)
                .map(|i| {
                    (
                        acct(i),
                        (0..i % 18)
                            .map(|j| (acct(1000 + j), (i * j) << 20))
                            .collect(),
                    )
                })
                .collect();
            let read = agree(&compact_bytes(&owner), super::owner).unwrap();
            assert_eq!(entries(&read), owner);
            let read = agree(&compact_bytes(&totals), super::totals).unwrap();
            assert_eq!(entries(&read), totals);
            let read = agree(&compact_bytes(&stake), stakes).unwrap();
            assert_eq!(read.len(), stake.len());
            for (h, cs) in &stake {
                let got = read.get(h).unwrap().coldkeys.as_ref().unwrap();
                assert!(got
                    .iter()
                    .map(|(k, v)| (*k, *v))
                    .eq(cs.iter().map(|(k, v)| (*k, *v))));
            }
        }
    }

    #[test]
    fn declines_what_it_does_not_read_exactly() {
        let totals: BTreeMap<AccountId, u64> = (0..3).map(|i| (acct(i), 300 + i)).collect();
        let good = compact_bytes(&totals);
        assert!(agree(&good, super::totals).is_some());
        // version 1's arrays: serde reads them, the direct reader leaves them to it
        let v1 = rmp_serde::to_vec(&totals).unwrap();
        assert!(super::totals(&v1).is_none());
        assert!(serde_reader::from_slice::<AccountMap<u64>>(&v1).is_ok());
        // a non-shortest integer (300 as u32), a non-shortest header, trailing and missing bytes
        let at = 1 + 35;
        let mut long_int = good[..at].to_vec();
        long_int.extend_from_slice(&[0xce, 0, 0, 1, 44]);
        long_int.extend_from_slice(&good[at + 3..]);
        let mut long_header = vec![0xde, 0, 3];
        long_header.extend_from_slice(&good[1..]);
        for bad in [&long_int[..], &long_header, &good[..good.len() - 1]] {
            assert!(agree(bad, super::totals).is_none());
            assert!(serde_reader::from_slice::<AccountMap<u64>>(bad).is_err());
        }
        // bytes after the map (never so in a snapshot: each map is cut at its end) are left to
        // serde too
        let mut trailing = good.clone();
        trailing.push(0xc0);
        assert!(super::totals(&trailing).is_none());
        // a repeated key: the later value wins in both
        let mut dup = vec![0x82];
        for v in [1u8, 2] {
            dup.extend_from_slice(&EXT_HEADER);
            dup.extend_from_slice(&acct(5));
            dup.push(v);
        }
        assert_eq!(agree(&dup, super::totals).unwrap().get(&acct(5)), Some(&2));
    }
}
