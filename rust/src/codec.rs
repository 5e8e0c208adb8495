//! msgpack wire forms (docs/design.md §2, docs/WIRE.md): transactions, block records, genesis
//! records.
//!
//! Reading uses `rmp`'s low-level decoder straight over the byte slice: no intermediate value tree,
//! no allocation for fixed-size fields, which keeps replay fast. Errors name the field.

use crate::state::{AccountId, Hash, RULESET};
use crate::tx::{Call, ParamValue, Tx};
use rmp::decode::{self as d, NumValueReadError};
use std::collections::BTreeMap;

pub const RECORD_VERSION: u64 = 1;

type R<T> = std::result::Result<T, String>;

/// Where a value sits, e.g. ("Transfer", "amount"); formatted only when an error is reported, so
/// the hot decoding path allocates nothing.
type W = (&'static str, &'static str);

fn show(w: W) -> String {
    if w.0.is_empty() {
        w.1.to_string()
    } else {
        format!("{}.{}", w.0, w.1)
    }
}

/// A location without a class name.
const fn at(field: &'static str) -> W {
    ("", field)
}

/// A cursor over the input bytes.
struct Rd<'a> {
    buf: &'a [u8],
    whole: &'a [u8],
}

impl<'a> Rd<'a> {
    fn new(b: &'a [u8]) -> Self {
        Rd { buf: b, whole: b }
    }
    fn pos(&self) -> usize {
        self.whole.len() - self.buf.len()
    }
    fn peek(&self) -> Option<u8> {
        self.buf.first().copied()
    }
    /// Every value has exactly one wire form (the shortest, as msgpack writers produce): a
    /// transaction has one byte string and so one proposal hash.
    fn canonical(&self, start: usize, expected: usize, what: W) -> R<()> {
        if self.pos() - start != expected {
            return Err(format!(
                "{}: not in the shortest msgpack encoding",
                show(what)
            ));
        }
        Ok(())
    }
    fn array(&mut self, what: W) -> R<u32> {
        let start = self.pos();
        let n = d::read_array_len(&mut self.buf)
            .map_err(|_| format!("{}: expected an array", show(what)))?;
        self.canonical(start, header_len(n as u64, 16), what)?;
        Ok(n)
    }
    fn uint<T: num_traits::FromPrimitive + Into<u64> + Copy>(&mut self, what: W, ty: &str) -> R<T> {
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
    fn u64(&mut self, what: W) -> R<u64> {
        self.uint::<u64>(what, "u64")
    }
    fn u32(&mut self, what: W) -> R<u32> {
        self.uint::<u32>(what, "u32")
    }
    fn u16(&mut self, what: W) -> R<u16> {
        self.uint::<u16>(what, "u16")
    }
    fn u8(&mut self, what: W) -> R<u8> {
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
    fn acct(&mut self, what: W) -> R<AccountId> {
        self.fixed::<32>(what)
    }
    fn u16_array(&mut self, what: W) -> R<Vec<u16>> {
        let n = self.array(what)?;
        (0..n).map(|_| self.u16(what)).collect()
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

/// (class name, number of arguments after `origin`) per kind.
fn kind_shape(kind: u8) -> Option<(&'static str, u32)> {
    Some(match kind {
        1 => ("Transfer", 2),
        2 => ("AddStake", 2),
        3 => ("RemoveStake", 2),
        4 => ("BecomeDelegate", 1),
        5 => ("RegisterNetwork", 0),
        6 => ("DissolveNetwork", 1),
        7 => ("BurnedRegister", 2),
        8 => ("Register", 6),
        9 => ("SudoRegister", 5),
        10 => ("RootRegister", 1),
        11 => ("SetWeights", 4),
        12 => ("ServeAxon", 8),
        13 => ("ServePrometheus", 5),
        14 => ("SudoSetHyperparameter", 3),
        15 => ("SudoSetKey", 1),
        16 => ("SudoTriumvirateAddMember", 1),
        17 => ("SudoTriumvirateRemoveMember", 1),
        18 => ("SudoTriumvirateSwapMember", 2),
        19 => ("SudoSenateAddMember", 1),
        20 => ("SudoSenateRemoveMember", 1),
        21 => ("SudoDisapproveProposal", 1),
        22 => ("Propose", 2),
        23 => ("Vote", 4),
        24 => ("Close", 2),
        25 => ("SwapHotkey", 2),
        26 => ("Faucet", 3),
        _ => return None,
    })
}

fn ip(rd: &mut Rd, what: W) -> R<u128> {
    Ok(u128::from_be_bytes(rd.fixed::<16>(what)?))
}

fn read_tx(rd: &mut Rd, depth: u32) -> R<Tx> {
    let len = rd.array(at("transaction"))?;
    if len == 0 {
        return Err("transaction: empty array".into());
    }
    let kind = rd.u8(at("transaction.kind"))?;
    let (name, nargs) =
        kind_shape(kind).ok_or_else(|| format!("transaction.kind: unknown kind {kind}"))?;
    if len != nargs + 2 {
        return Err(format!(
            "{name}: expected {} fields after kind, got {}",
            nargs + 1,
            len - 1
        ));
    }
    let origin = rd.acct((name, "origin"))?;
    let call = match kind {
        1 => Call::Transfer {
            dest: rd.acct((name, "dest"))?,
            amount: rd.u64((name, "amount"))?,
        },
        2 => Call::AddStake {
            hotkey: rd.acct((name, "hotkey"))?,
            amount: rd.u64((name, "amount"))?,
        },
        3 => Call::RemoveStake {
            hotkey: rd.acct((name, "hotkey"))?,
            amount: rd.u64((name, "amount"))?,
        },
        4 => Call::BecomeDelegate {
            hotkey: rd.acct((name, "hotkey"))?,
        },
        5 => Call::RegisterNetwork,
        6 => Call::DissolveNetwork {
            netuid: rd.u16((name, "netuid"))?,
        },
        7 => Call::BurnedRegister {
            netuid: rd.u16((name, "netuid"))?,
            hotkey: rd.acct((name, "hotkey"))?,
        },
        8 => Call::Register {
            netuid: rd.u16((name, "netuid"))?,
            block_number: rd.u64((name, "block_number"))?,
            nonce: rd.u64((name, "nonce"))?,
            work: rd.bin((name, "work"))?.to_vec(),
            hotkey: rd.acct((name, "hotkey"))?,
            coldkey: rd.acct((name, "coldkey"))?,
        },
        9 => Call::SudoRegister {
            netuid: rd.u16((name, "netuid"))?,
            hotkey: rd.acct((name, "hotkey"))?,
            coldkey: rd.acct((name, "coldkey"))?,
            stake: rd.u64((name, "stake"))?,
            balance: rd.u64((name, "balance"))?,
        },
        10 => Call::RootRegister {
            hotkey: rd.acct((name, "hotkey"))?,
        },
        11 => Call::SetWeights {
            netuid: rd.u16((name, "netuid"))?,
            uids: rd.u16_array((name, "uids"))?,
            values: rd.u16_array((name, "values"))?,
            version_key: rd.u64((name, "version_key"))?,
        },
        12 => Call::ServeAxon {
            netuid: rd.u16((name, "netuid"))?,
            version: rd.u32((name, "version"))?,
            ip: ip(rd, (name, "ip"))?,
            port: rd.u16((name, "port"))?,
            ip_type: rd.u8((name, "ip_type"))?,
            protocol: rd.u8((name, "protocol"))?,
            placeholder1: rd.u8((name, "placeholder1"))?,
            placeholder2: rd.u8((name, "placeholder2"))?,
        },
        13 => Call::ServePrometheus {
            netuid: rd.u16((name, "netuid"))?,
            version: rd.u32((name, "version"))?,
            ip: ip(rd, (name, "ip"))?,
            port: rd.u16((name, "port"))?,
            ip_type: rd.u8((name, "ip_type"))?,
        },
        14 => Call::SudoSetHyperparameter {
            netuid: if rd.nil() {
                None
            } else {
                Some(rd.u16((name, "netuid"))?)
            },
            name: rd.str((name, "name"))?.to_string(),
            value: rd.param_value((name, "value"))?,
        },
        15 => Call::SudoSetKey {
            new: rd.acct((name, "new"))?,
        },
        16 => Call::SudoTriumvirateAddMember {
            member: rd.acct((name, "member"))?,
        },
        17 => Call::SudoTriumvirateRemoveMember {
            member: rd.acct((name, "member"))?,
        },
        18 => Call::SudoTriumvirateSwapMember {
            old: rd.acct((name, "old"))?,
            new: rd.acct((name, "new"))?,
        },
        19 => Call::SudoSenateAddMember {
            hotkey: rd.acct((name, "hotkey"))?,
        },
        20 => Call::SudoSenateRemoveMember {
            hotkey: rd.acct((name, "hotkey"))?,
        },
        21 => Call::SudoDisapproveProposal {
            hash: rd.fixed::<32>((name, "hash"))?,
        },
        22 => {
            if depth > 0 {
                return Err("Propose.transaction: a proposal cannot nest another Propose".into());
            }
            let start = rd.pos();
            let inner = read_tx(rd, depth + 1).map_err(|e| format!("Propose.transaction: {e}"))?;
            let bytes = rd.whole[start..rd.pos()].to_vec();
            Call::Propose {
                tx: bytes,
                call: Box::new(inner),
                duration: rd.u64((name, "duration"))?,
            }
        }
        23 => Call::Vote {
            hotkey: rd.acct((name, "hotkey"))?,
            hash: rd.fixed::<32>((name, "hash"))?,
            index: rd.u32((name, "index"))?,
            approve: rd.bool((name, "approve"))?,
        },
        24 => Call::Close {
            hash: rd.fixed::<32>((name, "hash"))?,
            index: rd.u32((name, "index"))?,
        },
        25 => Call::SwapHotkey {
            hotkey: rd.acct((name, "hotkey"))?,
            new_hotkey: rd.acct((name, "new_hotkey"))?,
        },
        26 => Call::Faucet {
            block_number: rd.u64((name, "block_number"))?,
            nonce: rd.u64((name, "nonce"))?,
            work: rd.bin((name, "work"))?.to_vec(),
        },
        _ => unreachable!("kind_shape covers every kind"),
    };
    Ok(Tx { origin, call })
}

/// Decodes one transaction that must span all of `bytes`.
pub fn decode_tx(bytes: &[u8]) -> R<Tx> {
    let mut rd = Rd::new(bytes);
    let tx = read_tx(&mut rd, 0)?;
    if !rd.buf.is_empty() {
        return Err(format!("transaction: {} trailing bytes", rd.buf.len()));
    }
    Ok(tx)
}

/// A decoded block record: its transactions with their byte spans in the record.
pub struct BlockRecord {
    pub number: u64,
    pub parent_hash: Hash,
    pub txs: Vec<Tx>,
}

pub fn decode_block(bytes: &[u8]) -> R<BlockRecord> {
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
        txs.push(read_tx(&mut rd, 0).map_err(|e| format!("transaction {i}: {e}"))?);
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

/// The decoded genesis record (docs/design.md §2).
#[derive(Clone, Debug, Default)]
pub struct Genesis {
    pub balances: Vec<(AccountId, u64)>,
    pub sudo: AccountId,
    pub triumvirate: Vec<AccountId>,
    pub params: BTreeMap<String, ParamValue>,
}

pub fn decode_genesis(bytes: &[u8]) -> R<Genesis> {
    let mut rd = Rd::new(bytes);
    let n = d::read_map_len(&mut rd.buf).map_err(|_| "genesis: expected a map".to_string())?;
    let mut g = Genesis::default();
    let mut seen = Vec::new();
    for _ in 0..n {
        let key = rd.str(at("genesis key"))?;
        if seen.contains(&key) {
            return Err(format!("genesis: duplicate key {key:?}"));
        }
        seen.push(key);
        match key {
            "balances" => {
                let m = rd.array(at("genesis.balances"))?;
                for _ in 0..m {
                    if rd.array(at("genesis.balances entry"))? != 2 {
                        return Err("genesis.balances: each entry is [account, rao]".into());
                    }
                    let a = rd.acct(at("genesis.balances account"))?;
                    let v = rd.u64(at("genesis.balances amount"))?;
                    g.balances.push((a, v));
                }
            }
            "sudo" => g.sudo = rd.acct(at("genesis.sudo"))?,
            "triumvirate" => {
                let m = rd.array(at("genesis.triumvirate"))?;
                for _ in 0..m {
                    g.triumvirate
                        .push(rd.acct(at("genesis.triumvirate member"))?);
                }
            }
            "params" => {
                let m = d::read_map_len(&mut rd.buf)
                    .map_err(|_| "genesis.params: expected a map".to_string())?;
                for _ in 0..m {
                    let k = rd.str(at("genesis.params name"))?.to_string();
                    let v = rd
                        .param_value(at("genesis.params value"))
                        .map_err(|e| format!("{e} (parameter {k:?})"))?;
                    g.params.insert(k, v);
                }
            }
            "ruleset" => {
                let r = rd.str(at("genesis.ruleset"))?;
                if r != RULESET {
                    return Err(format!(
                        "genesis.ruleset is {r:?}; this engine implements {RULESET:?}"
                    ));
                }
            }
            other => return Err(format!("genesis: unknown key {other:?}")),
        }
    }
    if !seen.contains(&"sudo") {
        return Err("genesis: missing key \"sudo\"".into());
    }
    if !rd.buf.is_empty() {
        return Err("genesis: trailing bytes".into());
    }
    Ok(g)
}

#[cfg(test)]
mod tests;
