//! Imported chain state in a genesis record (docs/ruleset.md §9.5, deviation `D-genesis`): the
//! subnets, their neurons and the stakes of their hotkeys, as a real chain had them at the
//! genesis block `b₀` (`codec::Genesis::block`). `engine::genesis_state` makes the rest of the
//! genesis state (balances, sudo, triumvirate, the root network) and then calls [`import`].
//!
//! Every value is checked before it is used; a record that breaks a rule is `InvalidGenesis`
//! naming the field, and no state is made from it. The imported state obeys the supply rule of
//! docs/ruleset.md §1.2 by construction: `TotalIssuance` = Σ balances + Σ stakes + Σ locks.

use crate::codec::{Genesis, GenesisNeuron, GenesisSubnet};
use crate::error::ChainError;
use crate::params::SubnetParams;
use crate::staking;
use crate::state::{State, ROOT_NETUID, S_MAX};
use crate::subnets::{init_new_network, USER_SUBNET_TEMPO};
use crate::Result as R;

fn bad<T>(m: String) -> R<T> {
    Err(ChainError::InvalidGenesis(m))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Adds the imported subnets and stakes of `g` to the genesis state `s` (which holds the
/// balances: `s.total_issuance` is their sum) and raises `TotalIssuance` by the stakes and locks.
pub fn import(s: &mut State, g: &Genesis) -> R<()> {
    let mut added: u64 = 0;
    for (i, sub) in g.subnets.iter().enumerate() {
        let path = format!("genesis.subnets[{i}]");
        import_subnet(s, g.block, sub, &path)?;
        added = added
            .checked_add(sub.locked)
            .ok_or_else(|| ChainError::InvalidGenesis(format!("{path}.locked: overflow")))?;
    }
    for (i, (h, c, v)) in g.stakes.iter().enumerate() {
        let path = format!("genesis.stakes[{i}]");
        if !s.owner.contains_key(h) {
            return bad(format!(
                "{path}: hotkey {} is not a neuron of an imported subnet (stake is held on \
                 registered hotkeys)",
                hex(h)
            ));
        }
        // A stake of 0 is kept: the chain stores explicit zero entries (docs/ruleset.md §7).
        if s.stakes_of(h).and_then(|m| m.get(c)).is_some() {
            return bad(format!(
                "{path}: hotkey {} / coldkey {} appears twice",
                hex(h),
                hex(c)
            ));
        }
        staking::increase_stake(s, c, h, *v)
            .map_err(|_| ChainError::InvalidGenesis(format!("{path}: the stakes overflow u64")))?;
        added = added.checked_add(*v).ok_or_else(|| {
            ChainError::InvalidGenesis(format!("{path}: the stakes overflow u64"))
        })?;
    }
    s.total_issuance = s
        .total_issuance
        .checked_add(added)
        .filter(|t| *t <= S_MAX)
        .ok_or_else(|| {
            ChainError::InvalidGenesis(
                "genesis: balances + stakes + locks exceed the 21M TAO supply cap".into(),
            )
        })?;
    Ok(())
}

fn import_subnet(s: &mut State, block: u64, g: &GenesisSubnet, path: &str) -> R<()> {
    let netuid = g.netuid;
    if netuid == ROOT_NETUID {
        return bad(format!(
            "{path}.netuid: 0 is the root network, made by the genesis itself"
        ));
    }
    if s.subnet_exists(netuid) {
        return bad(format!("{path}.netuid: subnet {netuid} appears twice"));
    }
    init_new_network(s, netuid, USER_SUBNET_TEMPO);
    let sub = s.subnet_storage_mut(netuid);
    for (name, v) in &g.params {
        let p = SubnetParams::row(name).ok_or_else(|| {
            ChainError::InvalidGenesis(format!(
                "{path}.params.{name}: not a subnet hyperparameter (docs/ruleset.md §13.1)"
            ))
        })?;
        let x = p.fit(*v).filter(|x| p.in_bounds(*x)).ok_or_else(|| {
            ChainError::InvalidGenesis(format!(
                "{path}.params.{name}: {v:?} is out of range for the parameter"
            ))
        })?;
        sub.params.store(name, x);
    }
    let max = sub.params.max_allowed_uids as usize;
    if g.neurons.len() > max {
        return bad(format!(
            "{path}.neurons: {} neurons, more than max_allowed_uids = {max}",
            g.neurons.len()
        ));
    }
    if g.locked > 0 && g.owner.is_none() {
        return bad(format!("{path}.locked: a lock needs an owner"));
    }
    sub.owner = g.owner;
    sub.locked = g.locked;
    sub.emission_values = g.emission_value;
    sub.pending_emission = g.pending_emission;
    sub.registered_at = block;
    sub.last_adjustment_block = block;
    sub.last_mechanism_step_block = block;
    let n = g.neurons.len();
    for (uid, nr) in g.neurons.iter().enumerate() {
        let p = format!("{path}.neurons[{uid}]");
        check_neuron(s, block, n, nr, netuid, &p)?;
        add_neuron(s, netuid, nr);
    }
    Ok(())
}

fn check_neuron(
    s: &State,
    block: u64,
    n: usize,
    nr: &GenesisNeuron,
    netuid: u16,
    p: &str,
) -> R<()> {
    let taken = s
        .subnet(netuid)
        .and_then(|x| x.neurons.uids.get(&nr.hotkey));
    if taken.is_some() {
        return bad(format!(
            "{p}.hotkey: {} has another uid of this subnet",
            hex(&nr.hotkey)
        ));
    }
    if let Some(c) = s.owner.get(&nr.hotkey) {
        if *c != nr.coldkey {
            return bad(format!(
                "{p}.coldkey: hotkey {} is owned by coldkey {} in another imported subnet",
                hex(&nr.hotkey),
                hex(c)
            ));
        }
    }
    for (name, b) in [
        ("registered_at", nr.registered_at),
        ("last_update", nr.last_update),
        ("axon.block", nr.axon.as_ref().map_or(0, |a| a.block)),
        (
            "prometheus.block",
            nr.prometheus.as_ref().map_or(0, |a| a.block),
        ),
    ] {
        if b > block {
            return bad(format!(
                "{p}.{name}: block {b} is after the genesis block {block}"
            ));
        }
    }
    for (name, row) in [("weights", &nr.weights), ("bonds", &nr.bonds)] {
        for (k, (uid, _)) in row.iter().enumerate() {
            if *uid as usize >= n {
                return bad(format!(
                    "{p}.{name}[{k}]: uid {uid} is not a uid of the subnet (n = {n})"
                ));
            }
            if k > 0 && row[k - 1].0 >= *uid {
                return bad(format!(
                    "{p}.{name}[{k}]: uids must be strictly ascending ({} then {uid})",
                    row[k - 1].0
                ));
            }
        }
    }
    Ok(())
}

/// Appends the neuron as the next uid (docs/ruleset.md §8.4 **append**) and writes its imported
/// values over the append defaults.
fn add_neuron(s: &mut State, netuid: u16, nr: &GenesisNeuron) {
    let h = nr.hotkey;
    s.owner.insert(h, nr.coldkey);
    s.is_network_member
        .entry(h)
        .or_default()
        .insert(netuid, true);
    if let Some(a) = &nr.axon {
        s.axons.insert((netuid, h), a.clone());
    }
    if let Some(pr) = &nr.prometheus {
        s.prometheus.insert((netuid, h), pr.clone());
    }
    let sub = s.subnet_storage_mut(netuid);
    let i = sub.append_neuron(&h, nr.registered_at) as usize;
    let ns = &mut sub.neurons;
    ns.weights[i] = nr.weights.clone();
    ns.bonds[i] = nr.bonds.clone();
    ns.last_update[i] = nr.last_update;
    ns.active[i] = nr.active;
    ns.validator_permit[i] = nr.validator_permit;
    ns.rank[i] = nr.rank;
    ns.trust[i] = nr.trust;
    ns.consensus[i] = nr.consensus;
    ns.incentive[i] = nr.incentive;
    ns.dividends[i] = nr.dividends;
    ns.emission[i] = nr.emission;
    ns.validator_trust[i] = nr.validator_trust;
    ns.pruning_scores[i] = nr.pruning_score;
}

#[cfg(test)]
mod tests;
