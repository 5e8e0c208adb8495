//! One subnet epoch as the engine runs it: `yuma::epoch` on the rows a subnet stores (sparse
//! `(uid, u16)` lists), no Python, no numpy: what each epoch of a replay costs.
//!
//! The Finney shape of docs/design.md §7 (256 uids, 64 validators weighting every uid, bonds in
//! their steady state after three epochs), built like `bench_epoch.py`'s case. Also times the same
//! epoch with fewer weights per validator (where the sparse layout is chosen).
//!
//!     cargo bench --bench epoch_core
//!
//! Prints the best per-epoch time of several batches (the machine may be shared).

use std::hint::black_box;
use std::time::Instant;

use _core::yuma::{epoch, BondsRow, EpochInput};

/// xorshift64 (deterministic inputs; no `rand` dependency).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

struct Subnet {
    stake: Vec<u64>,
    weights: Vec<Vec<(u16, u16)>>,
    bonds: Vec<Vec<(u16, u16)>>,
    last_update: Vec<u64>,
    block_at_registration: Vec<u64>,
    permit: Vec<bool>,
}

impl Subnet {
    /// n uids; the first `validators` weight `per_row` uids each (max-upscaled as stored).
    fn new(n: usize, validators: usize, per_row: usize, seed: u64) -> Self {
        let mut rng = Rng(seed);
        let mut stake: Vec<u64> = (0..n)
            .map(|_| rng.range(1_000_000_000, 1_000_000_000_000))
            .collect();
        for s in stake.iter_mut().take(validators) {
            *s += rng.range(10_000_000_000_000, 1_000_000_000_000_000);
        }
        let mut weights = vec![Vec::new(); n];
        for row in weights.iter_mut().take(validators) {
            let mut uids: Vec<u16> = (0..n as u16).collect();
            for k in (1..n).rev() {
                uids.swap(k, rng.range(0, k as u64 + 1) as usize);
            }
            uids.truncate(per_row);
            uids.sort_unstable();
            let raw: Vec<u64> = uids.iter().map(|_| rng.range(1, 65536)).collect();
            let max = *raw.iter().max().expect("a weight");
            *row = uids
                .into_iter()
                .zip(raw)
                .map(|(j, w)| (j, ((w * 65535 + max / 2) / max) as u16))
                .collect();
        }
        let mut s = Subnet {
            stake,
            weights,
            bonds: vec![Vec::new(); n],
            last_update: vec![990; n],
            block_at_registration: vec![0; n],
            permit: (0..n).map(|i| i < validators).collect(),
        };
        for _ in 0..3 {
            s.step();
        }
        s
    }

    fn input(&self) -> EpochInput<'_> {
        EpochInput {
            block: 1000,
            stake: &self.stake,
            weights: &self.weights,
            bonds: &self.bonds,
            last_update: &self.last_update,
            block_at_registration: &self.block_at_registration,
            validator_permit: &self.permit,
            kappa: 32767,
            bonds_moving_average: 900_000,
            max_allowed_validators: 64,
            activity_cutoff: 5000,
            rao_emission: 1_000_000_000,
        }
    }

    /// One epoch, absorbed as the engine stores it.
    fn step(&mut self) {
        let out = epoch(&self.input()).expect("valid subnet");
        for (row, b) in self.bonds.iter_mut().zip(out.bonds) {
            match b {
                BondsRow::Replace(r) => *row = r,
                BondsRow::Clear => row.clear(),
                BondsRow::Unchanged => {}
            }
        }
        self.permit = out.validator_permit;
    }
}

fn best_time(f: impl Fn(), batches: usize, calls: usize) -> f64 {
    (0..batches)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..calls {
                f();
            }
            t.elapsed().as_secs_f64() / calls as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    println!("one subnet epoch from stored rows (yuma::epoch), best of 7 batches");
    for (per_row, label) in [
        (256, "every uid (Finney)"),
        (64, "64 uids"),
        (16, "16 uids"),
    ] {
        let s = Subnet::new(256, 64, per_row, 42);
        let stored: usize = s.weights.iter().chain(&s.bonds).map(Vec::len).sum();
        let t = best_time(
            || drop(black_box(epoch(&s.input()).expect("valid"))),
            7,
            2000,
        );
        println!(
            "  256 uids / 64 validators, weights on {label:<18} ({stored:>5} stored entries): {:>6.1} µs",
            t * 1e6
        );
    }
}
