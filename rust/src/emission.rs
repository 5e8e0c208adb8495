//! Block emission with the issuance-based halving (docs/ruleset.md §1.1) and the per-block step (§3):
//! A1 registration-cost adjustment, A2 root epoch, A3 drain, A4 generate.

use crate::error::{ChainError, Result};
use crate::events::{Event, Events};
use crate::fixedpoint::{i96_to_u64, I96F32};
use crate::registration;
use crate::root::{self, RootAbort};
use crate::staking;
use crate::state::neurons::Neurons;
use crate::state::{EmissionTuple, State, Subnet, ROOT_NETUID, S_MAX};
use crate::yuma::{self, EpochInput, EpochOutput, EpochShares};

/// `emission(I)` of docs/ruleset.md §1.1, computed in I96F32 exactly as the reference does.
pub fn block_emission(total_issuance: u64) -> u64 {
    if total_issuance >= S_MAX {
        return 0;
    }
    let q = I96F32::from_num(total_issuance) / I96F32::from_num(S_MAX);
    let d = I96F32::from_num(1) - q;
    let r = I96F32::from_num(1) / d;
    // Integer part of log2(r) as the reference computes it: halve, adding the dropped bit back.
    let mut x = r.to_bits();
    let mut h = 0u32;
    while x >= 2 << 32 {
        x = (x >> 1) + (x & 1);
        h += 1;
    }
    let unit = I96F32::from_num(1) / I96F32::from_num(1u128 << h.min(96));
    i96_to_u64(unit * I96F32::from_num(1_000_000_000u64))
}

/// `blocks_until_next_epoch(u, T, b)` (docs/ruleset.md §3).
pub fn blocks_until_next_epoch(netuid: u16, tempo: u16, block: u64) -> u64 {
    if tempo == 0 {
        return 1000;
    }
    let t = tempo as u64;
    t - ((block + netuid as u64 + 1) % (t + 1))
}

pub fn epoch_due(netuid: u16, tempo: u16, block: u64) -> bool {
    tempo != 0 && blocks_until_next_epoch(netuid, tempo, block) == 0
}

/// Runs the block step of block `state.block` (docs/ruleset.md §3).
pub fn block_step(state: &mut State, ev: &mut Events) -> Result<()> {
    registration::adjust_all(state, ev);
    let root_tempo = state
        .subnet(ROOT_NETUID)
        .map(|s| s.params.tempo)
        .unwrap_or(0);
    if state.subnet_exists(ROOT_NETUID) && epoch_due(ROOT_NETUID, root_tempo, state.block) {
        root_epoch(state, ev);
    }
    let netuids = state.netuids();
    let Some(early) = EarlyEpoch::take(state, &netuids) else {
        drain(state, ev)?;
        return generate(state, ev, &netuids, None);
    };
    // The drain and the subnets before the early one, beside its epoch (see `EarlyEpoch`). The
    // epoch, the longer of the two, runs on this thread: the other half waits to be taken by the
    // pool's other thread, which usually sleeps and takes tens of µs to wake.
    let k = netuids.partition_point(|&u| u < early.netuid);
    let (shares, before) = rayon::join(
        || early.compute(),
        || -> Result<()> {
            drain(state, ev)?;
            generate(state, ev, &netuids[..k], None)
        },
    );
    let result = early.put_back(state, shares);
    before?;
    generate(state, ev, &netuids[k..], result)
}

/// A2: the root epoch (docs/ruleset.md §5.1) sets every subnet's `EmissionValues`.
fn root_epoch(state: &mut State, ev: &mut Events) {
    let Some(root) = state.subnet(ROOT_NETUID) else {
        return;
    };
    let abort = |ev: &mut Events, a: RootAbort| {
        ev.emit(|| Event::new("RootEpochAborted").str("reason", a.reason()));
    };
    if root.n == 0 {
        return abort(ev, RootAbort::NoValidators);
    }
    let netuids = state.netuids();
    if netuids.is_empty() || state.total_networks == 0 {
        return abort(ev, RootAbort::NoNetworks);
    }
    state.block_emission = block_emission(state.total_issuance);
    let root = &state.subnets[&ROOT_NETUID];
    let stake: Vec<u64> = root
        .neurons
        .keys
        .iter()
        .map(|h| state.total_hotkey_stake(h))
        .collect();
    let weights: Vec<Vec<(usize, u16)>> = (0..root.n as usize)
        .map(|i| {
            root.neurons
                .weights
                .get(i)
                .map(|row| {
                    row.iter()
                        .filter_map(|(netuid, w)| {
                            netuids.binary_search(netuid).ok().map(|k| (k, *w))
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    let (kappa, rho) = (root.params.kappa, root.params.rho);
    match root::root_epoch_values(
        &stake,
        &weights,
        netuids.len(),
        kappa,
        rho,
        state.block_emission,
    ) {
        Ok(values) => {
            for (netuid, v) in netuids.iter().zip(values) {
                state.subnet_storage_mut(*netuid).emission_values = v;
            }
            let be = state.block_emission;
            ev.emit(|| Event::new("EmissionValuesSet").u("block_emission", be));
        }
        Err(a) => abort(ev, a),
    }
}

/// A3: credit the tuples loaded by last block's epochs (docs/ruleset.md §6.2).
fn drain(state: &mut State, ev: &mut Events) -> Result<()> {
    // Taken in one pass over the subnets (most blocks have none); crediting reads no
    // `LoadedEmission`, so taking them all first is the same as taking each in turn.
    let loaded: Vec<(u16, Vec<EmissionTuple>)> = state
        .subnets
        .iter_mut()
        .filter(|(_, s)| s.added)
        .filter_map(|(&u, s)| Some((u, s.loaded_emission.take()?)))
        .collect();
    for (netuid, tuples) in loaded {
        let mut total = 0u64;
        for (hotkey, server, validator) in &tuples {
            staking::credit_emission(state, netuid, hotkey, *server, *validator, ev)?;
            total += server + validator;
        }
        state.total_issuance = state
            .total_issuance
            .checked_add(total)
            .ok_or_else(|| ChainError::Fatal("total issuance overflow in drain".into()))?;
        ev.emit(|| {
            Event::new("EmissionDrained")
                .u("netuid", netuid)
                .u("total", total)
        });
    }
    Ok(())
}

/// A4 for `netuids` (ascending): owner cut, pending emission and the subnet epochs that are
/// due — the epoch of `early`'s netuid, if given, already computed.
fn generate(
    state: &mut State,
    ev: &mut Events,
    netuids: &[u16],
    mut early: Option<(u16, Result<EpochShares>)>,
) -> Result<()> {
    let cut_u16 = state.globals.subnet_owner_cut;
    let b = state.block;
    for &netuid in netuids {
        if netuid == ROOT_NETUID {
            continue;
        }
        let sub = state.subnet_storage_mut(netuid);
        let owner = sub.owner;
        let (paid, pending) = match owner {
            Some(_) => owner_cut(sub.emission_values, cut_u16),
            None => (0, sub.emission_values),
        };
        sub.pending_emission = sub
            .pending_emission
            .checked_add(pending)
            .ok_or_else(|| ChainError::Fatal("pending emission overflow".into()))?;
        let due = epoch_due(netuid, sub.params.tempo, b);
        if !due {
            sub.blocks_since_last_step += 1;
        }
        if let Some(o) = owner {
            if paid > 0 {
                crate::balances::credit(state, &o, paid)?;
                state.total_issuance += paid;
                ev.emit(|| {
                    Event::new("OwnerCutPaid")
                        .u("netuid", netuid)
                        .acct("coldkey", &o)
                        .u("amount", paid)
                });
            }
        }
        if !due {
            continue;
        }
        let pending = std::mem::take(&mut state.subnet_storage_mut(netuid).pending_emission);
        let tuples = match early.take_if(|(u, _)| *u == netuid) {
            Some((_, shares)) => store_epoch(state, netuid, shares?.priced(pending)),
            None => subnet_epoch(state, netuid, pending)?,
        };
        ev.emit(|| {
            Event::new("EpochRun")
                .u("netuid", netuid)
                .u("rao_emission", pending)
        });
        let paid: u128 = tuples.iter().map(|(_, s, v)| *s as u128 + *v as u128).sum();
        if paid > pending as u128 {
            continue; // safety check of docs/ruleset.md §3 A4.3, never triggered by §4
        }
        let sub = state.subnet_storage_mut(netuid);
        let mut loaded = tuples;
        if let Some(prev) = sub.loaded_emission.take() {
            loaded.extend(prev);
        }
        sub.loaded_emission = Some(loaded);
        sub.blocks_since_last_step = 0;
        sub.last_mechanism_step_block = b;
    }
    Ok(())
}

/// A4.1 with the owner cut of §6.1: `(to_u64(cut), to_u64(e − cut))` for
/// `cut = (e ⊗ cut_u16) ⊘ 65535` in I96F32. The product is exact there (e·cut_u16 < 2^80) and
/// the quotient's 32 fraction bits are cut off, so `to_u64(cut)` is `⌊e·cut_u16 / 65535⌋` and
/// `to_u64(e − cut)` is `e − ⌈e·cut_u16 / 65535⌉` (a fraction of a rao in the quotient leaves
/// a fraction below 1 in `cut`, never 0): integer divisions by a constant instead of a 128-bit
/// fixed-point one, in every block for every subnet. A unit test checks it against I96F32.
pub(crate) fn owner_cut(e: u64, cut_u16: u16) -> (u64, u64) {
    // e = hi·65535 + lo splits e·cut_u16 / 65535 into parts that fit u64.
    let (hi, lo) = (e / 65535, e % 65535);
    let c = u64::from(cut_u16);
    let (q, r) = (hi * c + lo * c / 65535, lo * c % 65535);
    (q, e - q - u64::from(r > 0))
}

/// The block-step wrapper of the subnet epoch (docs/ruleset.md §4.4): read inputs, write outputs.
pub fn subnet_epoch(
    state: &mut State,
    netuid: u16,
    rao_emission: u64,
) -> Result<Vec<EmissionTuple>> {
    let sub = &state.subnets[&netuid];
    let n = sub.n as usize;
    if n == 0 {
        return Ok(Vec::new());
    }
    let stake = epoch_stake(state, &sub.neurons);
    let out = yuma::epoch(&epoch_input(
        state.block,
        sub,
        &sub.neurons,
        &stake,
        rao_emission,
    ))?;
    Ok(store_epoch(state, netuid, out))
}

/// The stake input of an epoch: `TotalHotkeyStake` of each uid's hotkey.
fn epoch_stake(state: &State, neurons: &Neurons) -> Vec<u64> {
    neurons
        .keys
        .iter()
        .map(|h| state.total_hotkey_stake(h))
        .collect()
}

/// The epoch's inputs (docs/ruleset.md §4.4) from a subnet's record and its neurons (which the
/// early epoch holds apart from the record).
fn epoch_input<'a>(
    block: u64,
    sub: &'a Subnet,
    neurons: &'a Neurons,
    stake: &'a [u64],
    rao_emission: u64,
) -> EpochInput<'a> {
    EpochInput {
        block,
        stake,
        weights: &neurons.weights,
        bonds: &neurons.bonds,
        last_update: &neurons.last_update,
        block_at_registration: &neurons.block_at_registration[..sub.n as usize],
        validator_permit: &neurons.validator_permit,
        kappa: sub.params.kappa,
        bonds_moving_average: sub.params.bonds_moving_average,
        max_allowed_validators: sub.params.max_allowed_validators,
        activity_cutoff: sub.params.activity_cutoff,
        rao_emission,
    }
}

/// Writes an epoch's outputs into its subnet and returns the emission tuples to load.
fn store_epoch(state: &mut State, netuid: u16, mut out: EpochOutput) -> Vec<EmissionTuple> {
    let neurons = &mut state.subnet_storage_mut(netuid).neurons;
    neurons.store_epoch(&mut out);
    neurons
        .keys
        .iter()
        .zip(out.server.into_iter().zip(out.validator))
        .map(|(h, (s, v))| (*h, s, v))
        .collect()
}

/// A subnet epoch due in this block, computed on the rayon pool's other thread while the drain
/// (A3) and A4 of the subnets before it run — which is where a block with an epoch spends most
/// of its time besides the epoch (crediting last block's emission tuples). The result is the
/// one the serial order gives, because what the epoch reads cannot change in between:
///
/// * its neurons (weights, bonds, last updates, permits, registration blocks) are moved out of
///   the subnet record meanwhile, so nothing could read or write them (nothing there does);
/// * the block, the subnet's `n` and parameters are not written by A3 or A4;
/// * the stakes it read are read again afterwards, when the serial order reads them: if the
///   drain credited any of its hotkeys (a hotkey on two subnets), the epoch is run again then.
///
/// The pending emission it pays is only known in A4, so the epoch is priced then
/// ([`yuma::epoch_shares`]). Taken only on a pool thread (replay) when the pool has a second
/// thread and there are tuples to drain (otherwise nothing would run beside it).
struct EarlyEpoch {
    netuid: u16,
    neurons: Neurons,
    stake: Vec<u64>,
    block: u64,
    record: Subnet,
}

impl EarlyEpoch {
    /// The first subnet (not root, with neurons) whose epoch is due, its neurons moved out.
    fn take(state: &mut State, netuids: &[u16]) -> Option<EarlyEpoch> {
        // Only on a pool thread with a second one beside it (a replay's `apply_records`): from
        // any other thread (a live `step` called from Python) the join would hand both halves
        // to the pool and wait, which costs more than it saves.
        if rayon::current_thread_index().is_none() || rayon::current_num_threads() < 2 {
            return None;
        }
        // (`netuids` are the subnets with `added`: one pass instead of a lookup each)
        if state
            .subnets
            .values()
            .all(|s| !s.added || s.loaded_emission.is_none())
        {
            return None;
        }
        let b = state.block;
        let netuid = *netuids.iter().find(|&&u| {
            let s = &state.subnets[&u];
            u != ROOT_NETUID && s.n > 0 && epoch_due(u, s.params.tempo, b)
        })?;
        let sub = state.subnet_storage_mut(netuid);
        let neurons = std::mem::take(&mut sub.neurons);
        // the scalars the epoch reads (`n`, parameters), without the moved-out neurons
        let record = Subnet {
            n: sub.n,
            params: sub.params.clone(),
            ..Subnet::default()
        };
        let stake = epoch_stake(state, &neurons);
        Some(EarlyEpoch {
            netuid,
            neurons,
            stake,
            block: b,
            record,
        })
    }

    fn compute(&self) -> Result<EpochShares> {
        yuma::epoch_shares(&epoch_input(
            self.block,
            &self.record,
            &self.neurons,
            &self.stake,
            0,
        ))
    }

    /// Puts the neurons back; the result if the stakes it read are still the stakes.
    fn put_back(
        self,
        state: &mut State,
        shares: Result<EpochShares>,
    ) -> Option<(u16, Result<EpochShares>)> {
        let unchanged = epoch_stake(state, &self.neurons) == self.stake;
        state.subnet_storage_mut(self.netuid).neurons = self.neurons;
        unchanged.then_some((self.netuid, shares))
    }
}

#[cfg(test)]
mod tests;
