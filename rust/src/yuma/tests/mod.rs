//! The epoch's tests: the literal port of the reference (`reference.rs`) is the oracle that whole
//! epochs are checked against, in both layouts, every execution mode and every SIMD level the
//! CPU has (`layouts.rs`); the worked vectors of docs/ruleset.md §15 and the primitives
//! (`vectors.rs`); the bit arithmetic of `fx` against the `fixed` crate (`arith.rs`); input
//! validation and edge cases (`inputs.rs`). Shared here: a deterministic generator, the test
//! case type, random cases and the test-side entry points that force a layout or a mode.

use std::ops::Range;

use super::*;
use crate::error::ChainError;
use crate::fixedpoint::I32F32;

mod arith;
mod inputs;
mod layouts;
mod reference;
mod vectors;

use super::exec::ColAcc;
use super::fx::enc;
use super::median::consensus;
use super::primitives::normalize_fixed;
use reference::{literal_epoch, Sparse};

/// The SIMD levels this CPU runs, lowest first.
fn levels() -> Vec<Simd> {
    [Simd::Portable, Simd::Avx2, Simd::Avx512]
        .into_iter()
        .filter(|&l| l <= Simd::detect())
        .collect()
}

/// One thread at the given SIMD level.
fn at_level(simd: Simd) -> Exec {
    Exec {
        simd,
        ..Exec::sequential()
    }
}

/// [`epoch_rows`] with an explicit execution mode (the layout chosen as in production).
fn epoch_exec<W, B>(p: &EpochParams<'_>, weights: &W, bonds: &B, exec: Exec) -> Result<Computed>
where
    W: RowSource + ?Sized,
    B: RowSource + ?Sized,
{
    p.validate(weights.rows(), bonds.rows())?;
    run_epoch(p, weights, bonds, exec, Layout::choose(p, weights, bonds))
}

/// [`epoch_exec`] on a forced layout.
fn epoch_layout<W, B>(
    p: &EpochParams<'_>,
    weights: &W,
    bonds: &B,
    exec: Exec,
    layout: Layout,
) -> Result<Computed>
where
    W: RowSource + ?Sized,
    B: RowSource + ?Sized,
{
    p.validate(weights.rows(), bonds.rows())?;
    run_epoch(p, weights, bonds, exec, layout)
}

fn strip_zero(o: EpochOutput) -> EpochOutput {
    EpochOutput {
        bonds: o
            .bonds
            .into_iter()
            .map(|b| match b {
                BondsRow::Replace(r) => {
                    BondsRow::Replace(r.into_iter().filter(|e| e.1 != 0).collect())
                }
                other => other,
            })
            .collect(),
        ..o
    }
}

/// Deterministic xorshift generator (no `rand` dependency).
struct Rng(std::cell::Cell<u64>);
impl Rng {
    fn new(seed: u64) -> Self {
        Rng(std::cell::Cell::new(seed))
    }
    fn next(&self) -> u64 {
        let mut x = self.0.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0.set(x);
        x
    }
    fn below(&self, k: u64) -> u64 {
        self.next() % k.max(1)
    }
    fn chance(&self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn fixed(x: f64) -> I32F32 {
    I32F32::from_num(x) // decimal → I32F32, round to nearest (§0.3)
}

struct Case {
    block: u64,
    stake: Vec<u64>,
    weights: Vec<Vec<(u16, u16)>>,
    bonds: Vec<Vec<(u16, u16)>>,
    last_update: Vec<u64>,
    block_at_registration: Vec<u64>,
    permit: Vec<bool>,
    kappa: u16,
    bma: u64,
    max_validators: u16,
    cutoff: u16,
    emission: u64,
}

impl Case {
    /// The §15 defaults: kappa 32767, BMA 900000, cutoff 5000, 10^9 rao, registration 0.
    fn new(n: usize, stake: Vec<u64>, max_validators: u16) -> Self {
        Case {
            block: 1,
            stake,
            weights: vec![vec![]; n],
            bonds: vec![vec![]; n],
            last_update: vec![0; n],
            block_at_registration: vec![0; n],
            permit: vec![false; n],
            kappa: 32767,
            bma: 900_000,
            max_validators,
            cutoff: 5000,
            emission: 1_000_000_000,
        }
    }
    fn input(&self) -> EpochInput<'_> {
        EpochInput {
            block: self.block,
            stake: &self.stake,
            weights: &self.weights,
            bonds: &self.bonds,
            last_update: &self.last_update,
            block_at_registration: &self.block_at_registration,
            validator_permit: &self.permit,
            kappa: self.kappa,
            bonds_moving_average: self.bma,
            max_allowed_validators: self.max_validators,
            activity_cutoff: self.cutoff,
            rao_emission: self.emission,
        }
    }
    fn run(&self) -> EpochOutput {
        epoch(&self.input()).expect("epoch")
    }
    /// Feeds the outputs of an epoch into the next call, as the chain stores them.
    fn absorb(&mut self, out: &EpochOutput) {
        for (i, row) in out.bonds.iter().enumerate() {
            match row {
                BondsRow::Replace(r) => self.bonds[i] = r.clone(),
                BondsRow::Clear => self.bonds[i].clear(),
                BondsRow::Unchanged => {}
            }
        }
        self.permit = out.validator_permit.clone();
    }
}

fn bonds_col(out: &EpochOutput, col: u16, rows: Range<usize>) -> Vec<u16> {
    rows.map(|i| match &out.bonds[i] {
        BondsRow::Replace(r) => r.iter().find(|e| e.0 == col).map_or(0, |e| e.1),
        other => panic!("row {i} not replaced: {other:?}"),
    })
    .collect()
}

fn random_case(rng: &Rng, n: usize) -> Case {
    let block = 1 + rng.below(20_000);
    let mut c = Case::new(n, vec![], 1 + rng.below(n as u64 + 2) as u16);
    c.block = block;
    c.stake = (0..n)
        .map(|_| match rng.below(4) {
            0 => 0,
            1 => rng.below(10),
            2 => rng.below(1 << 40),
            _ => rng.below(21_000_000_000_000_000),
        })
        .collect();
    if rng.chance(5) {
        c.stake = vec![0; n];
    }
    let row = |rng: &Rng, density: u64| -> Vec<(u16, u16)> {
        let mut uids: Vec<u16> = (0..n as u16).filter(|_| rng.chance(density)).collect();
        for k in (1..uids.len()).rev() {
            uids.swap(k, rng.below(k as u64 + 1) as usize); // any stored order
        }
        uids.into_iter()
            .map(|j| {
                let v = match rng.below(6) {
                    0 => 0,
                    1 => 65535,
                    _ => rng.below(65536) as u16,
                };
                (j, v)
            })
            .collect()
    };
    let (wd, bd) = (rng.below(101), rng.below(101));
    c.weights = (0..n).map(|_| row(rng, wd)).collect();
    c.bonds = (0..n).map(|_| row(rng, bd)).collect();
    c.last_update = (0..n).map(|_| rng.below(block + 1)).collect();
    c.block_at_registration = (0..n).map(|_| rng.below(block + 1)).collect();
    c.permit = (0..n).map(|_| rng.chance(70)).collect();
    c.kappa = match rng.below(4) {
        0 => 32767,
        1 => 0,
        2 => 65535,
        _ => rng.below(65536) as u16,
    };
    c.bma = match rng.below(3) {
        0 => 900_000,
        1 => 1_000_000,
        _ => rng.below(1_000_001),
    };
    c.cutoff = rng.below(5001) as u16;
    c.emission = rng.below(u64::MAX);
    c
}

fn params<'a>(c: &'a Case) -> EpochParams<'a> {
    EpochParams {
        block: c.block,
        stake: &c.stake,
        last_update: &c.last_update,
        block_at_registration: &c.block_at_registration,
        validator_permit: &c.permit,
        kappa: c.kappa,
        bonds_moving_average: c.bma,
        max_allowed_validators: c.max_validators,
        activity_cutoff: c.cutoff,
        rao_emission: c.emission,
    }
}

fn check_against_literal(c: &Case) {
    let expected = literal_epoch(&c.input());
    assert_eq!(c.run(), expected, "n = {}", c.stake.len());
    let p = params(c);
    for exec in [Exec::sequential(), Exec::parallel(3), Exec::parallel(64)] {
        let got = epoch_exec(&p, &c.weights[..], &c.bonds[..], exec).unwrap();
        assert_eq!(got.into_output(), expected, "exec {exec:?}");
    }
    // Both layouts, including the stored (j, 0) bond entries; the dense one (copied from
    // the stored rows, as the engine does) with every level of hand-written SIMD loops.
    for layout in [Layout::Sparse, Layout::Dense] {
        for level in levels() {
            let got = epoch_layout(&p, &c.weights[..], &c.bonds[..], at_level(level), layout);
            assert_eq!(got.unwrap().into_output(), expected, "{layout:?} {level:?}");
        }
    }
}
