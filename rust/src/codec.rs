//! msgpack wire forms (docs/design.md §2, docs/WIRE.md): transaction fields, block records;
//! genesis records in `codec/genesis.rs`.
//!
//! The transaction layout per kind comes from the call table (`calls.rs`): each call's argument
//! struct is declared once with `call_args!`, which gives it its `Args` reader over `Field`s.
//!
//! Reading uses `rmp`'s low-level decoder straight over the byte slice: no intermediate value tree,
//! no allocation for fixed-size fields, which keeps replay fast. Errors name the field.

use crate::state::{AccountId, Hash};
use rmp::decode::{self as d, NumValueReadError};

pub const RECORD_VERSION: u64 = 1;

type R<T> = std::result::Result<T, String>;

pub use crate::params::ParamValue;

mod genesis;
pub use genesis::{decode_genesis, Genesis, GenesisNeuron, GenesisSubnet, NEURON_FIELDS};
pub mod serde_reader;

/// Where a value sits, e.g. ("Transfer", "amount"); formatted only when an error is reported, so
/// the hot decoding path allocates nothing.
pub type W = (&'static str, &'static str);

fn show(w: W) -> String {
    if w.0.is_empty() {
        w.1.to_string()
    } else {
        format!("{}.{}", w.0, w.1)
    }
}

/// A location without a class name.
pub const fn at(field: &'static str) -> W {
    ("", field)
}

/// A cursor over the input bytes.
pub struct Rd<'a> {
    buf: &'a [u8],
    whole: &'a [u8],
}

impl<'a> Rd<'a> {
    fn new(b: &'a [u8]) -> Self {
        Rd { buf: b, whole: b }
    }
    /// Bytes read so far.
    pub fn pos(&self) -> usize {
        self.whole.len() - self.buf.len()
    }
    /// The bytes read since position `start` (e.g. a nested transaction's exact wire form).
    pub fn since(&self, start: usize) -> &'a [u8] {
        &self.whole[start..self.pos()]
    }
    fn peek(&self) -> Option<u8> {
        self.buf.first().copied()
    }
    /// Every value has exactly one wire form (the shortest, as msgpack writers produce): a
    /// transaction has one byte string and so one proposal hash.
    fn canonical(&self, start: usize, expected: usize, what: W) -> R<()> {
        if self.pos() - start != expected {
            return Err(format!(
                "{}: non-canonical msgpack (not the shortest encoding)",
                show(what)
            ));
        }
        Ok(())
    }
    pub fn array(&mut self, what: W) -> R<u32> {
        // a fixarray (< 16 elements): pairs, tuples, short rows
        if let [b @ 0x90..=0x9f, ..] = *self.buf {
            self.buf = &self.buf[1..];
            return Ok(u32::from(b & 0x0f));
        }
        let start = self.pos();
        let n = d::read_array_len(&mut self.buf)
            .map_err(|_| format!("{}: expected an array", show(what)))?;
        self.canonical(start, header_len(n as u64, 16), what)?;
        Ok(n)
    }
    /// A map header: the number of key-value pairs.
    fn map(&mut self, what: W) -> R<u32> {
        let start = self.pos();
        let n = d::read_map_len(&mut self.buf)
            .map_err(|_| format!("{}: expected a map", show(what)))?;
        self.canonical(start, header_len(n as u64, 16), what)?;
        Ok(n)
    }
    fn uint<T: num_traits::FromPrimitive + Into<u64> + Copy>(&mut self, what: W, ty: &str) -> R<T> {
        if let Some((v, len)) = self.shortest_uint() {
            if let Some(t) = T::from_u64(v) {
                self.buf = &self.buf[len..];
                return Ok(t);
            }
        }
        let start = self.pos();
        let v = d::read_int::<T, _>(&mut self.buf).map_err(|e| match e {
            NumValueReadError::OutOfRange => {
                format!("{}: integer out of range for {ty}", show(what))
            }
            _ => format!("{}: expected an unsigned integer ({ty})", show(what)),
        })?;
        self.canonical(start, uint_len(v.into()), what)?;
        Ok(v)
    }
    pub fn u64(&mut self, what: W) -> R<u64> {
        self.uint::<u64>(what, "u64")
    }
    fn u32(&mut self, what: W) -> R<u32> {
        self.uint::<u32>(what, "u32")
    }
    fn u16(&mut self, what: W) -> R<u16> {
        self.uint::<u16>(what, "u16")
    }
    pub fn u8(&mut self, what: W) -> R<u8> {
        self.uint::<u8>(what, "u8")
    }
    fn bool(&mut self, what: W) -> R<bool> {
        d::read_bool(&mut self.buf).map_err(|_| format!("{}: expected a bool", show(what)))
    }
    fn bin(&mut self, what: W) -> R<&'a [u8]> {
        let start = self.pos();
        let n = d::read_bin_len(&mut self.buf)
            .map_err(|_| format!("{}: expected bytes (bin)", show(what)))? as usize;
        self.canonical(start, header_len(n as u64, 0), what)?;
        if self.buf.len() < n {
            return Err(format!("{}: truncated", show(what)));
        }
        let (h, t) = self.buf.split_at(n);
        self.buf = t;
        Ok(h)
    }
    fn str(&mut self, what: W) -> R<&'a str> {
        let start = self.pos();
        let n = d::read_str_len(&mut self.buf)
            .map_err(|_| format!("{}: expected a string", show(what)))? as usize;
        self.canonical(start, str_header_len(n as u64), what)?;
        if self.buf.len() < n {
            return Err(format!("{}: truncated", show(what)));
        }
        let (h, t) = self.buf.split_at(n);
        self.buf = t;
        std::str::from_utf8(h).map_err(|_| format!("{}: not valid UTF-8", show(what)))
    }
    fn fixed<const N: usize>(&mut self, what: W) -> R<[u8; N]> {
        let b = self.bin(what)?;
        b.try_into()
            .map_err(|_| format!("{}: expected {N} bytes, got {}", show(what), b.len()))
    }
    pub fn acct(&mut self, what: W) -> R<AccountId> {
        // bin 8 of length 32 is the one wire form of an account: read it straight
        if let [0xc4, 32, rest @ ..] = self.buf {
            if let Some(a) = rest.first_chunk::<32>() {
                self.buf = &rest[32..];
                return Ok(*a);
            }
        }
        self.fixed::<32>(what)
    }
    fn u16_array(&mut self, what: W) -> R<Vec<u16>> {
        let n = self.array(what)?;
        let mut out = Vec::with_capacity((n as usize).min(self.buf.len()));
        for i in 0..n {
            if let Some(v) = self.canonical_u16() {
                out.push(v);
                continue;
            }
            // An element's error names its index: "SetWeights.uids[1]: …".
            out.push(self.u16(what).map_err(|e| {
                let name = show(what);
                format!("{name}[{i}]{}", &e[name.len()..])
            })?);
        }
        Ok(out)
    }
    /// The three shortest encodings of a u16 (positive fixint, uint 8 ≥ 0x80, uint 16 ≥ 0x100)
    /// read straight from the bytes — exactly what `u16` accepts; anything else (including every
    /// error) is left to `u16`. Dense weight rows are 512 of these per transaction.
    fn canonical_u16(&mut self) -> Option<u16> {
        let (v, len) = match *self.buf {
            [b @ 0x00..=0x7f, ..] => (b as u16, 1),
            [0xcc, b @ 0x80..=0xff, ..] => (b as u16, 2),
            [0xcd, hi, lo, ..] if hi != 0 => (u16::from_be_bytes([hi, lo]), 3),
            _ => return None,
        };
        self.buf = &self.buf[len..];
        Some(v)
    }
    /// The next value if it is an unsigned integer in its shortest encoding, with its length
    /// (nothing is consumed): the checked path's result for every input it accepts.
    fn shortest_uint(&self) -> Option<(u64, usize)> {
        let b = self.buf;
        let be = |n: usize| -> Option<u64> {
            let bytes = b.get(1..1 + n)?;
            Some(bytes.iter().fold(0u64, |acc, x| acc << 8 | u64::from(*x)))
        };
        let (v, len) = match *b.first()? {
            x @ 0x00..=0x7f => (u64::from(x), 1),
            0xcc => (be(1)?, 2),
            0xcd => (be(2)?, 3),
            0xce => (be(4)?, 5),
            0xcf => (be(8)?, 9),
            _ => return None,
        };
        (uint_len(v) == len).then_some((v, len))
    }
    fn nil(&mut self) -> bool {
        if self.peek() == Some(0xc0) {
            self.buf = &self.buf[1..];
            true
        } else {
            false
        }
    }
    fn param_value(&mut self, what: W) -> R<ParamValue> {
        match self.peek() {
            Some(0xc2) | Some(0xc3) => Ok(ParamValue::Bool(self.bool(what)?)),
            _ => Ok(ParamValue::Int(self.u64(what)?)),
        }
    }
}

/// Length of the shortest msgpack encoding of an unsigned integer.
fn uint_len(v: u64) -> usize {
    match v {
        0..=0x7f => 1,
        0x80..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// Header length of an array (`fix_max` = 16 elements fit the fix form) or bin (no fix form:
/// `fix_max` = 0) of length n.
fn header_len(n: u64, fix_max: u64) -> usize {
    match n {
        _ if n < fix_max => 1,
        _ if fix_max == 0 && n <= 0xff => 2,
        _ if n <= 0xffff => 3,
        _ => 5,
    }
}

fn str_header_len(n: u64) -> usize {
    match n {
        0..=31 => 1,
        32..=0xff => 2,
        0x100..=0xffff => 3,
        _ => 5,
    }
}

/// A value of one transaction field, read in its one canonical wire form. `what` names the field
/// in errors, e.g. `("Transfer", "amount")`.
pub trait Field: Sized {
    fn read(rd: &mut Rd<'_>, what: W) -> R<Self>;
}

impl Field for [u8; 32] {
    fn read(rd: &mut Rd<'_>, what: W) -> R<Self> {
        rd.fixed::<32>(what)
    }
}
impl Field for u64 {
    fn read(rd: &mut Rd<'_>, what: W) -> R<Self> {
        rd.u64(what)
    }
}
impl Field for u32 {
    fn read(rd: &mut Rd<'_>, what: W) -> R<Self> {
        rd.u32(what)
    }
}
impl Field for u16 {
    fn read(rd: &mut Rd<'_>, what: W) -> R<Self> {
        rd.u16(what)
    }
}
impl Field for u8 {
    fn read(rd: &mut Rd<'_>, what: W) -> R<Self> {
        rd.u8(what)
    }
}
impl Field for bool {
    fn read(rd: &mut Rd<'_>, what: W) -> R<Self> {
        rd.bool(what)
    }
}
/// Bytes (bin), e.g. POW `work`.
impl Field for Vec<u8> {
    fn read(rd: &mut Rd<'_>, what: W) -> R<Self> {
        Ok(rd.bin(what)?.to_vec())
    }
}
/// An array of u16 (uids, weight values).
impl Field for Vec<u16> {
    fn read(rd: &mut Rd<'_>, what: W) -> R<Self> {
        rd.u16_array(what)
    }
}
/// An IP address: 16 bytes, big-endian.
impl Field for u128 {
    fn read(rd: &mut Rd<'_>, what: W) -> R<Self> {
        Ok(u128::from_be_bytes(rd.fixed::<16>(what)?))
    }
}
impl Field for String {
    fn read(rd: &mut Rd<'_>, what: W) -> R<Self> {
        Ok(rd.str(what)?.to_string())
    }
}
/// A netuid or nil.
impl Field for Option<u16> {
    fn read(rd: &mut Rd<'_>, what: W) -> R<Self> {
        if rd.nil() {
            Ok(None)
        } else {
            Ok(Some(rd.u16(what)?))
        }
    }
}
impl Field for ParamValue {
    fn read(rd: &mut Rd<'_>, what: W) -> R<Self> {
        rd.param_value(what)
    }
}

/// The arguments of one call (after `kind` and `origin` on the wire), read in order. `name` is
/// the call's name for errors; `depth` is the nesting depth of the transaction being read.
pub trait Args: Sized {
    /// The number of wire fields.
    const ARITY: u32;
    fn read(rd: &mut Rd<'_>, name: &'static str, depth: u32) -> R<Self>;
}

/// Declares a call's argument struct once: its fields in wire order (docs/WIRE.md), the struct
/// and its `Args` reader. Used by the rule files next to their rule function.
macro_rules! call_args {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident: $t:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            $($(#[$fm])* pub $f: $t,)*
        }
        impl $crate::codec::Args for $name {
            const ARITY: u32 = 0 $(+ { let _ = stringify!($f); 1 })*;
            #[allow(unused_variables)]
            fn read(
                rd: &mut $crate::codec::Rd<'_>,
                name: &'static str,
                depth: u32,
            ) -> ::std::result::Result<Self, String> {
                Ok($name {
                    $($f: <$t as $crate::codec::Field>::read(rd, (name, stringify!($f)))?,)*
                })
            }
        }
    };
}
pub(crate) use call_args;

/// A transaction as read from the wire (the call table, `calls::Tx`, implements it).
pub trait Transaction: Sized {
    fn read(rd: &mut Rd<'_>, depth: u32) -> R<Self>;
}

/// Decodes one transaction that must span all of `bytes`.
pub fn decode_tx<T: Transaction>(bytes: &[u8]) -> R<T> {
    let mut rd = Rd::new(bytes);
    let tx = T::read(&mut rd, 0)?;
    if !rd.buf.is_empty() {
        return Err(format!("transaction: {} trailing bytes", rd.buf.len()));
    }
    Ok(tx)
}

/// A decoded block record: its transactions with their byte spans in the record.
pub struct BlockRecord<T> {
    pub number: u64,
    pub parent_hash: Hash,
    pub txs: Vec<T>,
}

pub fn decode_block<T: Transaction>(bytes: &[u8]) -> R<BlockRecord<T>> {
    let mut rd = Rd::new(bytes);
    if rd.array(at("block record"))? != 4 {
        return Err("block record: expected [version, number, parent_hash, txs]".into());
    }
    let version = rd.u64(at("block record version"))?;
    if version != RECORD_VERSION {
        return Err(format!(
            "unknown block record version {version} (this engine reads version {RECORD_VERSION})"
        ));
    }
    let number = rd.u64(at("block number"))?;
    let parent_hash = rd.fixed::<32>(at("parent_hash"))?;
    let n = rd.array(at("txs"))?;
    let mut txs = Vec::with_capacity(n.min(1 << 16) as usize);
    for i in 0..n {
        txs.push(T::read(&mut rd, 0).map_err(|e| format!("transaction {i}: {e}"))?);
    }
    if !rd.buf.is_empty() {
        return Err(format!("{} trailing bytes after the record", rd.buf.len()));
    }
    Ok(BlockRecord {
        number,
        parent_hash,
        txs,
    })
}

/// The block number of a record and its transactions as the byte strings they were submitted
/// as (each one decoded, so a malformed record is refused): a fork re-submits another line's
/// transactions one by one (`fork.rs`).
pub fn block_tx_bytes<T: Transaction>(bytes: &[u8]) -> R<(u64, Vec<&[u8]>)> {
    let mut rd = Rd::new(bytes);
    if rd.array(at("block record"))? != 4 {
        return Err("block record: expected [version, number, parent_hash, txs]".into());
    }
    let version = rd.u64(at("block record version"))?;
    if version != RECORD_VERSION {
        return Err(format!("unknown block record version {version}"));
    }
    let number = rd.u64(at("block number"))?;
    rd.fixed::<32>(at("parent_hash"))?;
    let n = rd.array(at("txs"))?;
    let mut txs = Vec::with_capacity(n.min(1 << 16) as usize);
    for i in 0..n {
        let start = rd.pos();
        T::read(&mut rd, 0).map_err(|e| format!("transaction {i}: {e}"))?;
        txs.push(&bytes[start..rd.pos()]);
    }
    if !rd.buf.is_empty() {
        return Err(format!("{} trailing bytes after the record", rd.buf.len()));
    }
    Ok((number, txs))
}

/// Writes `[1, number, parent_hash, [tx…]]` around already-encoded transactions.
pub fn encode_block(number: u64, parent_hash: &Hash, txs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + txs.iter().map(|t| t.len()).sum::<usize>());
    // Writing into a Vec cannot fail.
    rmp::encode::write_array_len(&mut out, 4).expect("vec write");
    rmp::encode::write_uint(&mut out, RECORD_VERSION).expect("vec write");
    rmp::encode::write_uint(&mut out, number).expect("vec write");
    rmp::encode::write_bin(&mut out, parent_hash).expect("vec write");
    rmp::encode::write_array_len(&mut out, txs.len() as u32).expect("vec write");
    for t in txs {
        out.extend_from_slice(t);
    }
    out
}
