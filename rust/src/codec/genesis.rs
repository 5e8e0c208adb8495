//! The genesis record's wire form (docs/design.md §2, docs/WIRE.md "Genesis record"): decoding
//! into [`Genesis`], every field checked for its type and shape, errors naming the field
//! (`genesis.subnets[1].neurons[7].weights[3]: …`). The rules on the values (the supply cap,
//! uids in range, …) are `crate::genesis`'s.
//!
//! Every key but `sudo` is optional: a record written before `block`, `stakes` and `subnets`
//! existed decodes as a genesis at block 0 with no subnet but the root network.

use super::{at, d, Rd, R};
use crate::params::ParamValue;
use crate::state::{AccountId, AxonInfo, PrometheusInfo, RULESET};
use std::collections::BTreeMap;

/// The decoded genesis record (docs/design.md §2).
#[derive(Clone, Debug, Default)]
pub struct Genesis {
    /// The record is the state after this block (0: a new chain); the first block record is
    /// `block + 1`.
    pub block: u64,
    pub balances: Vec<(AccountId, u64)>,
    pub sudo: AccountId,
    pub triumvirate: Vec<AccountId>,
    pub params: BTreeMap<String, ParamValue>,
    /// `(hotkey, coldkey, rao)`: the stakes of the imported subnets' hotkeys.
    pub stakes: Vec<(AccountId, AccountId, u64)>,
    pub subnets: Vec<GenesisSubnet>,
}

/// An imported subnet: its parameters and its neurons by uid.
#[derive(Clone, Debug, Default)]
pub struct GenesisSubnet {
    pub netuid: u16,
    pub params: BTreeMap<String, ParamValue>,
    pub owner: Option<AccountId>,
    pub locked: u64,
    pub emission_value: u64,
    pub pending_emission: u64,
    pub neurons: Vec<GenesisNeuron>,
}

/// One uid of an imported subnet (uid = its index in `GenesisSubnet::neurons`).
#[derive(Clone, Debug, Default)]
pub struct GenesisNeuron {
    pub hotkey: AccountId,
    pub coldkey: AccountId,
    pub registered_at: u64,
    pub last_update: u64,
    pub active: bool,
    pub validator_permit: bool,
    pub rank: u16,
    pub trust: u16,
    pub consensus: u16,
    pub incentive: u16,
    pub dividends: u16,
    pub emission: u64,
    pub validator_trust: u16,
    pub pruning_score: u16,
    pub weights: Vec<(u16, u16)>,
    pub bonds: Vec<(u16, u16)>,
    pub axon: Option<AxonInfo>,
    pub prometheus: Option<PrometheusInfo>,
}

/// The number of fields of a neuron on the wire (a positional array, docs/WIRE.md).
pub const NEURON_FIELDS: u32 = 18;

fn map_len(rd: &mut Rd<'_>, what: &str) -> R<u32> {
    d::read_map_len(&mut rd.buf).map_err(|_| format!("{what}: expected a map"))
}

/// `path` before a relative error message (`"weights: …"` → `"genesis.subnets[0].neurons[1].weights: …"`).
fn under(path: &str) -> impl Fn(String) -> String + '_ {
    move |e| format!("{path}.{e}")
}

fn params(rd: &mut Rd<'_>, path: &str) -> R<BTreeMap<String, ParamValue>> {
    let m = map_len(rd, path)?;
    let mut out = BTreeMap::new();
    for _ in 0..m {
        let k = rd.str(at("name")).map_err(under(path))?.to_string();
        let v = rd
            .param_value(at("value"))
            .map_err(|e| format!("{path}.{e} (parameter {k:?})"))?;
        if out.insert(k.clone(), v).is_some() {
            return Err(format!("{path}: parameter {k:?} appears twice"));
        }
    }
    Ok(out)
}

fn pairs(rd: &mut Rd<'_>, name: &'static str) -> R<Vec<(u16, u16)>> {
    let m = rd.array(at(name))?;
    let mut out = Vec::with_capacity(m as usize);
    for k in 0..m {
        if rd.array(at(name))? != 2 {
            return Err(format!("{name}[{k}]: each entry is [uid, value]"));
        }
        let uid = rd
            .u16(at(name))
            .map_err(|e| format!("{name}[{k}].uid{}", &e[name.len()..]))?;
        let v = rd
            .u16(at(name))
            .map_err(|e| format!("{name}[{k}].value{}", &e[name.len()..]))?;
        out.push((uid, v));
    }
    Ok(out)
}

fn axon(rd: &mut Rd<'_>) -> R<Option<AxonInfo>> {
    if rd.nil() {
        return Ok(None);
    }
    if rd.array(at("axon"))? != 8 {
        return Err("axon: [block, version, ip, port, ip_type, protocol, placeholder1, placeholder2] or nil".into());
    }
    Ok(Some(AxonInfo {
        block: rd.u64(at("axon.block"))?,
        version: rd.u32(at("axon.version"))?,
        ip: u128::from_be_bytes(rd.fixed::<16>(at("axon.ip"))?),
        port: rd.u16(at("axon.port"))?,
        ip_type: rd.u8(at("axon.ip_type"))?,
        protocol: rd.u8(at("axon.protocol"))?,
        placeholder1: rd.u8(at("axon.placeholder1"))?,
        placeholder2: rd.u8(at("axon.placeholder2"))?,
    }))
}

fn prometheus(rd: &mut Rd<'_>) -> R<Option<PrometheusInfo>> {
    if rd.nil() {
        return Ok(None);
    }
    if rd.array(at("prometheus"))? != 5 {
        return Err("prometheus: [block, version, ip, port, ip_type] or nil".into());
    }
    Ok(Some(PrometheusInfo {
        block: rd.u64(at("prometheus.block"))?,
        version: rd.u32(at("prometheus.version"))?,
        ip: u128::from_be_bytes(rd.fixed::<16>(at("prometheus.ip"))?),
        port: rd.u16(at("prometheus.port"))?,
        ip_type: rd.u8(at("prometheus.ip_type"))?,
    }))
}

/// `[hotkey, coldkey, registered_at, last_update, active, validator_permit, rank, trust,
/// consensus, incentive, dividends, emission, validator_trust, pruning_score, weights, bonds,
/// axon, prometheus]`; errors relative to the neuron.
fn neuron(rd: &mut Rd<'_>) -> R<GenesisNeuron> {
    let n = rd.array(at("neuron"))?;
    if n != NEURON_FIELDS {
        return Err(format!(
            "neuron: an array of {NEURON_FIELDS} fields (docs/WIRE.md), got {n}"
        ));
    }
    Ok(GenesisNeuron {
        hotkey: rd.acct(at("hotkey"))?,
        coldkey: rd.acct(at("coldkey"))?,
        registered_at: rd.u64(at("registered_at"))?,
        last_update: rd.u64(at("last_update"))?,
        active: rd.bool(at("active"))?,
        validator_permit: rd.bool(at("validator_permit"))?,
        rank: rd.u16(at("rank"))?,
        trust: rd.u16(at("trust"))?,
        consensus: rd.u16(at("consensus"))?,
        incentive: rd.u16(at("incentive"))?,
        dividends: rd.u16(at("dividends"))?,
        emission: rd.u64(at("emission"))?,
        validator_trust: rd.u16(at("validator_trust"))?,
        pruning_score: rd.u16(at("pruning_score"))?,
        weights: pairs(rd, "weights")?,
        bonds: pairs(rd, "bonds")?,
        axon: axon(rd)?,
        prometheus: prometheus(rd)?,
    })
}

fn subnet(rd: &mut Rd<'_>, path: &str) -> R<GenesisSubnet> {
    let m = map_len(rd, path)?;
    let mut s = GenesisSubnet::default();
    let mut seen: Vec<&str> = Vec::new();
    for _ in 0..m {
        let key = rd.str(at("key")).map_err(under(path))?;
        if seen.contains(&key) {
            return Err(format!("{path}: duplicate key {key:?}"));
        }
        seen.push(key);
        let here = under(path);
        match key {
            "netuid" => s.netuid = rd.u16(at("netuid")).map_err(&here)?,
            "params" => s.params = params(rd, &format!("{path}.params"))?,
            "owner" => {
                s.owner = if rd.nil() {
                    None
                } else {
                    Some(rd.acct(at("owner")).map_err(&here)?)
                }
            }
            "locked" => s.locked = rd.u64(at("locked")).map_err(&here)?,
            "emission_value" => s.emission_value = rd.u64(at("emission_value")).map_err(&here)?,
            "pending_emission" => {
                s.pending_emission = rd.u64(at("pending_emission")).map_err(&here)?
            }
            "neurons" => {
                let n = rd.array(at("neurons")).map_err(&here)?;
                for uid in 0..n {
                    let p = format!("{path}.neurons[{uid}]");
                    s.neurons.push(neuron(rd).map_err(under(&p))?);
                }
            }
            other => return Err(format!("{path}: unknown key {other:?}")),
        }
    }
    if !seen.contains(&"netuid") {
        return Err(format!("{path}: missing key \"netuid\""));
    }
    Ok(s)
}

pub fn decode_genesis(bytes: &[u8]) -> R<Genesis> {
    let mut rd = Rd::new(bytes);
    let n = map_len(&mut rd, "genesis")?;
    let mut g = Genesis::default();
    let mut seen = Vec::new();
    for _ in 0..n {
        let key = rd.str(at("genesis key"))?;
        if seen.contains(&key) {
            return Err(format!("genesis: duplicate key {key:?}"));
        }
        seen.push(key);
        match key {
            "block" => g.block = rd.u64(at("genesis.block"))?,
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
                g.params = params(&mut rd, "genesis.params")?;
            }
            "stakes" => {
                let m = rd.array(at("genesis.stakes"))?;
                for i in 0..m {
                    let p = format!("genesis.stakes[{i}]");
                    if rd.array(at("entry")).map_err(under(&p))? != 3 {
                        return Err(format!("{p}: each entry is [hotkey, coldkey, rao]"));
                    }
                    let h = rd.acct(at("hotkey")).map_err(under(&p))?;
                    let c = rd.acct(at("coldkey")).map_err(under(&p))?;
                    let v = rd.u64(at("rao")).map_err(under(&p))?;
                    g.stakes.push((h, c, v));
                }
            }
            "subnets" => {
                let m = rd.array(at("genesis.subnets"))?;
                for i in 0..m {
                    g.subnets
                        .push(subnet(&mut rd, &format!("genesis.subnets[{i}]"))?);
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
