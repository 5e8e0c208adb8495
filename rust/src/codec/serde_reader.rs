//! A serde `Deserializer` over [`Rd`] for the msgpack that `rmp-serde` writes: the snapshot reader
//! of `Engine::restore` (issue 15, docs/design.md §7).
//!
//! The state is mostly long arrays of small values — per-uid `u16`/`u64`/`bool` columns, dense
//! weights and bonds rows of `(u16, u16)` pairs, 32-byte accounts encoded as arrays of 32 `u8` —
//! and `rmp-serde` decodes each element through its general marker dispatch. Here every value is
//! read with `Rd`'s fast paths for the shortest encodings (the ones `rmp-serde` writes), each serde
//! call is monomorphic and inlined, and anything else is an error: only the shortest encodings of
//! unsigned integers, bools, nil, strings, 16-byte bins (`u128`), arrays (sequences, tuples and
//! structs) and maps are accepted. The caller (`snapshot::decode`) falls back to `rmp-serde` on any
//! error, so the set of accepted snapshots and every error message stay `rmp-serde`'s.

use super::{at, show, Rd, W};
use crate::snapshot::compact::{self, ACCOUNT_EXT};
use serde::de::{self, DeserializeSeed, Visitor};
use serde::Deserialize;
use std::fmt;

const WHERE: W = at("snapshot");

/// Why the fast reader stopped (the caller retries with `rmp-serde`).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

impl From<String> for Error {
    fn from(s: String) -> Self {
        Error(s)
    }
}

type R<T> = std::result::Result<T, Error>;

/// Reads one `T` from the start of `bytes` (trailing bytes are not looked at, as in
/// `rmp_serde::from_slice`).
pub fn from_slice<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> R<T> {
    T::deserialize(&mut Reader { rd: Rd::new(bytes) })
}

struct Reader<'de> {
    rd: Rd<'de>,
}

impl<'de> Reader<'de> {
    fn unsupported(&self) -> Error {
        Error(format!(
            "{}: value at byte {} is not read by the fast reader",
            show(WHERE),
            self.rd.pos()
        ))
    }

    /// An unsigned integer in its shortest encoding.
    #[inline]
    fn uint(&mut self) -> R<u64> {
        match self.rd.shortest_uint() {
            Some((v, len)) => {
                self.rd.buf = &self.rd.buf[len..];
                Ok(v)
            }
            None => Err(self.unsupported()),
        }
    }

    /// The 32 bytes of the next value if it is an array of 32 integers < 256 in their shortest
    /// encodings (an account or a hash: serde writes `[u8; 32]` as a tuple) or the ext value that
    /// stands for one in a compact snapshot (`snapshot::compact`); nothing is consumed otherwise.
    #[inline]
    fn bytes_32(&mut self) -> Option<[u8; 32]> {
        if let [0xc7, 32, ACCOUNT_EXT, rest @ ..] = self.rd.buf {
            let bytes = *rest.first_chunk::<32>()?;
            self.rd.buf = &rest[32..];
            return Some(bytes);
        }
        let (bytes, len) = compact::array_of_32_bytes(self.rd.buf)?;
        self.rd.buf = &self.rd.buf[len..];
        Some(bytes)
    }

    /// An array (a sequence, tuple or struct), or an array of 32 bytes as [`Reader::bytes_32`]
    /// reads it, through `visitor.visit_seq`.
    #[inline]
    fn array<V: Visitor<'de>>(&mut self, visitor: V) -> R<V::Value> {
        let maybe_32 = matches!(
            self.rd.buf,
            [0xc7, 32, ACCOUNT_EXT, ..] | [0xdc, 0x00, 32, ..]
        );
        if let Some(bytes) = maybe_32.then(|| self.bytes_32()).flatten() {
            let mut seq = Bytes32 { bytes, next: 0 };
            let v = visitor.visit_seq(&mut seq)?;
            if seq.next != 32 {
                return Err(Error(format!(
                    "{}: {} values left over",
                    show(WHERE),
                    32 - seq.next
                )));
            }
            return Ok(v);
        }
        let n = self.rd.array(WHERE)?;
        self.seq(n, visitor)
    }

    /// `visit_seq` over the next `n` values, which it must all read.
    fn seq<V: Visitor<'de>>(&mut self, n: u32, visitor: V) -> R<V::Value> {
        let mut seq = Elements { de: self, left: n };
        let v = visitor.visit_seq(&mut seq)?;
        if seq.left != 0 {
            return Err(Error(format!(
                "{}: {} values left over",
                show(WHERE),
                seq.left
            )));
        }
        Ok(v)
    }
}

/// The remaining values of an array, or the remaining key-value pairs of a map.
struct Elements<'a, 'de> {
    de: &'a mut Reader<'de>,
    left: u32,
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> R<Option<T::Value>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left as usize)
    }
}

/// The 32 values of an array of 32 bytes.
struct Bytes32 {
    bytes: [u8; 32],
    next: usize,
}

impl<'de> de::SeqAccess<'de> for Bytes32 {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> R<Option<T::Value>> {
        let Some(&b) = self.bytes.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        seed.deserialize(Byte(b)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(32 - self.next)
    }
}

/// One value of an array of 32 bytes: an unsigned integer < 256, read as the reader reads one
/// (`Reader::deserialize_u8` and the other integer types; `Option` and newtypes around it).
struct Byte(u8);

impl<'de> de::Deserializer<'de> for Byte {
    type Error = Error;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> R<V::Value> {
        visitor.visit_u8(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> R<V::Value> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> R<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> de::MapAccess<'de> for Elements<'_, 'de> {
    type Error = Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> R<Option<K::Value>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }

    #[inline]
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> R<V::Value> {
        seed.deserialize(&mut *self.de)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left as usize)
    }
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = Error;

    /// Only type-driven reading: a value whose type does not say what to expect is refused.
    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> R<V::Value> {
        Err(self.unsupported())
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> R<V::Value> {
        visitor.visit_bool(self.rd.bool(WHERE)?)
    }

    #[inline]
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> R<V::Value> {
        // account bytes: a positive fixint or uint 8 ≥ 0x80
        match *self.rd.buf {
            [b @ 0x00..=0x7f, ..] => {
                self.rd.buf = &self.rd.buf[1..];
                visitor.visit_u8(b)
            }
            [0xcc, b @ 0x80..=0xff, ..] => {
                self.rd.buf = &self.rd.buf[2..];
                visitor.visit_u8(b)
            }
            _ => visitor.visit_u64(self.uint()?),
        }
    }

    #[inline]
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> R<V::Value> {
        match self.rd.canonical_u16() {
            Some(v) => visitor.visit_u16(v),
            None => visitor.visit_u64(self.uint()?),
        }
    }

    #[inline]
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> R<V::Value> {
        visitor.visit_u64(self.uint()?)
    }

    #[inline]
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> R<V::Value> {
        visitor.visit_u64(self.uint()?)
    }

    /// `rmp-serde` writes a `u128` as a bin of its 16 big-endian bytes.
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> R<V::Value> {
        visitor.visit_u128(u128::from_be_bytes(self.rd.fixed::<16>(WHERE)?))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> R<V::Value> {
        visitor.visit_borrowed_str(self.rd.str(WHERE)?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> R<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> R<V::Value> {
        if self.rd.nil() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> R<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    #[inline]
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> R<V::Value> {
        self.array(visitor)
    }

    #[inline]
    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> R<V::Value> {
        self.array(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> R<V::Value> {
        self.deserialize_seq(visitor)
    }

    /// Structs are written as arrays of their fields (`rmp-serde`'s compact form).
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> R<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> R<V::Value> {
        let n = self.rd.map(WHERE)?;
        let mut map = Elements { de: self, left: n };
        let v = visitor.visit_map(&mut map)?;
        if map.left != 0 {
            return Err(Error(format!(
                "{}: {} entries left over",
                show(WHERE),
                map.left
            )));
        }
        Ok(v)
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 f32 f64 char bytes byte_buf unit unit_struct enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests;
