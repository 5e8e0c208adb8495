//! The row kernels against their definitions, at every SIMD level the CPU has: the 32-bit
//! product and the divider (also in `yuma/tests/arith.rs`) against 128-bit arithmetic, each
//! kernel against a scalar transcription, the strip counts of the dense median, and the copies
//! between stored rows and dense rows.

use super::*;
use crate::yuma::fx::magic_small;

/// The SIMD levels this CPU runs, lowest first.
pub(crate) fn levels() -> Vec<Simd> {
    [Simd::Portable, Simd::Avx2, Simd::Avx512]
        .into_iter()
        .filter(|&l| l <= Simd::detect())
        .collect()
}

#[test]
fn every_level_is_tested_here() {
    // The machine the tests run on decides which hand-written loops exist to test; say so
    // when it is not all of them (CI's machines have AVX-512).
    let lv = levels();
    assert_eq!(lv[0], Simd::Portable);
    assert_eq!(lv.last(), Some(&Simd::detect()));
    // A level above the CPU's is capped, never run.
    assert_eq!(Simd::Avx512.checked(), Simd::detect());
    assert_eq!(Simd::Portable.checked(), Simd::Portable);
    if lv.len() < 3 {
        eprintln!("note: this CPU runs only {lv:?}; the other kernels are not exercised");
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A proportion in [0, 2^32], often at the edges.
    fn prop(&mut self) -> u64 {
        match self.next() % 8 {
            0 => 0,
            1 => ONE,
            2 => ONE - 1 - self.next() % 3,
            3 => self.next() % 70_000,
            _ => self.next() % (ONE + 1),
        }
    }
}

fn mul_def(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) >> 32) as u64
}

fn div_def(x: u64, d: u64) -> u64 {
    let d = if d == 0 { ONE } else { d };
    ((u128::from(x) << 32) / u128::from(d)) as u64
}

#[test]
fn mul_is_the_128_bit_product() {
    let mut rng = Rng(99);
    for &(a, b) in &[(0, 0), (ONE, ONE), (ONE, 5), (7, ONE), (ONE - 1, ONE - 1)] {
        assert_eq!(mul_p(a, b), mul_def(a, b), "{a} {b}");
    }
    for _ in 0..200_000 {
        let (a, b) = (rng.prop(), rng.prop());
        assert_eq!(mul_p(a, b), mul_def(a, b), "{a} {b}");
        if a < ONE {
            assert_eq!(mul_lt(a, b), mul_def(a, b), "{a} {b}");
        }
    }
}

#[test]
fn magic_digits_match_the_wide_division() {
    let mut rng = Rng(11);
    let mut ds: Vec<u64> = vec![1, 2, 3, 5, 7, 65535, 65536, ONE - 2, ONE - 1, ONE];
    ds.extend((1..32).flat_map(|k| [(1u64 << k) - 1, 1u64 << k, (1u64 << k) + 1]));
    ds.extend((0..20_000).map(|_| 1 + rng.next() % ONE));
    ds.extend((0..20_000).map(|_| ONE - rng.next() % 1000));
    for d in ds {
        let l = 64 - (d - 1).leading_zeros();
        let mut rs = vec![0, (1u64 << l) - d, d - 1, d / 2, rng.next() % d];
        rs.retain(|&r| r < d);
        for r in rs {
            let want = ((u128::from(r) << 64) / u128::from(d)) as u64;
            assert_eq!(magic_small(d, r), want, "d = {d}, r = {r}");
        }
    }
}

#[test]
fn divisor_is_exact() {
    let mut rng = Rng(7);
    let mut ds: Vec<u64> = vec![0, 1, 2, 3, 5, 7, 65535, 65536, ONE - 1, ONE];
    ds.extend((1..=32).map(|k| 1u64 << k));
    ds.extend((1..32).map(|k| (1u64 << k) + 1));
    ds.extend((2..=32).map(|k| (1u64 << k) - 1));
    for _ in 0..4000 {
        ds.push(1 + rng.next() % (1 << (1 + rng.next() % 32)));
    }
    for &d in &ds {
        let v = Divisors::new(&[d]);
        let dd = if d == 0 { ONE } else { d };
        let mut xs = vec![0, 1.min(dd), dd, dd - 1, dd / 2, dd / 3, (dd / 3) * 2 + 1];
        xs.extend((0..60).map(|_| rng.next() % (dd + 1)));
        for x in xs {
            assert_eq!(v.div(0, x), div_def(x, d), "x = {x}, d = {d}");
            assert_eq!(Divisor::new(d).div(x), div_def(x, d));
        }
        let all = Divisors::new(&[3, d, 5]);
        assert_eq!(all.div(1, dd), ONE);
        assert_eq!(all.div(2, 4), div_def(4, 5));
    }
    assert!(std::panic::catch_unwind(|| Divisor::new(ONE + 1)).is_err());
    assert!(std::panic::catch_unwind(|| Divisors::new(&[1, ONE + 1])).is_err());
}

#[test]
fn strip_kernels_match_their_definitions() {
    for level in levels() {
        strip_kernels_match_their_definitions_at(level);
    }
}

fn strip_kernels_match_their_definitions_at(level: Simd) {
    let mut rng = Rng(31);
    for _ in 0..200 {
        let k = (rng.next() % 70) as usize;
        let strip: Vec<u32> = (0..k * LANES)
            .map(|_| match rng.next() % 4 {
                0 => 0,
                1 => u32::MAX,
                _ => (rng.next() % 1000) as u32,
            })
            .collect();
        let st: Vec<u64> = (0..k).map(|_| rng.prop()).collect();
        let mid: [u32; LANES] = std::array::from_fn(|_| (rng.next() % 1100) as u32);
        let acc = stake_at_most(level, &strip, &st, &mid);
        assert_eq!(acc, stake_at_most_scalar(&strip, &st, &mid));
        // Stakes whose total is below 2^32 also in u32.
        let st32: Vec<u32> = st.iter().map(|&x| (x / 128) as u32).collect();
        let acc32 = stake_at_most_u32(level, &strip, &st32, &mid);
        assert_eq!(acc32, stake_at_most_scalar(&strip, &st32, &mid));
        for c in 0..LANES {
            let want: u64 = (0..k)
                .filter(|&r| strip[r * LANES + c] <= mid[c])
                .map(|r| u64::from(st32[r]))
                .sum();
            assert_eq!(u64::from(acc32[c]), want);
        }
        for c in 0..LANES {
            let want: u64 = (0..k)
                .filter(|&r| strip[r * LANES + c] <= mid[c])
                .map(|r| st[r])
                .sum();
            assert_eq!(acc[c], want);
        }
        let (at_most, above) = keys_beside(&strip, &mid);
        for c in 0..LANES {
            let col = (0..k).map(|r| strip[r * LANES + c]);
            let want_at_most = col.clone().filter(|&v| v <= mid[c]).max().unwrap_or(0);
            let want_above = col.filter(|&v| v > mid[c]).min().unwrap_or(u32::MAX);
            assert_eq!((at_most[c], above[c]), (want_at_most, want_above));
        }
    }
}

#[test]
fn row_copies_match_their_definitions() {
    for level in levels() {
        row_copies_match_their_definitions_at(level);
    }
}

fn row_copies_match_their_definitions_at(level: Simd) {
    let mut rng = Rng(99);
    for round in 0..2000 {
        let n = 1 + (rng.next() % 300) as usize;
        // A stored row: each uid kept with some probability (often all, or all but a few).
        let keep = match round % 4 {
            0 => 100,
            1 => 99,
            2 => 50,
            _ => rng.next() % 100,
        };
        let mut pairs: Vec<(u16, u16)> = Vec::new();
        for j in 0..n as u16 {
            if rng.next() % 100 < keep {
                pairs.push((j, rng.next() as u16));
            }
        }
        let mut row = vec![0u16; n];
        let mut want = vec![0u16; n];
        // Sometimes break it: a swap, a repeat or a uid ≥ n.
        let broken = match (round % 7, pairs.len()) {
            (0, k) if k >= 2 => {
                let q = (rng.next() % (k as u64 - 1)) as usize;
                pairs.swap(q, q + 1);
                true
            }
            (1, k) if k >= 2 => {
                let q = (rng.next() % (k as u64 - 1)) as usize;
                pairs[q + 1].0 = pairs[q].0;
                true
            }
            (2, k) if k >= 1 => {
                let q = (rng.next() % k as u64) as usize;
                pairs[q].0 = (n + (rng.next() % 5) as usize).min(65535) as u16;
                true
            }
            _ => false,
        };
        if !broken {
            pairs.iter().for_each(|&(j, v)| want[usize::from(j)] = v);
        }
        assert_eq!(scatter_pairs(level, &pairs, &mut row), !broken, "{pairs:?}");
        assert_eq!(row, want);
        let mut portable = vec![0u16; n];
        assert_eq!(
            scatter_bytes(pairs_as_bytes(&pairs), &mut portable, Simd::Portable),
            !broken
        );
        assert_eq!(portable, want);

        // The finished row (value + 1 where an entry exists) back to pairs.
        let marked: Vec<u32> = (0..n)
            .map(|_| match rng.next() % 5 {
                0 if keep < 100 => 0,
                _ => 1 + (rng.next() % 65536) as u32,
            })
            .collect();
        let mut out = vec![(7, 7)]; // appended to
        gather_marked(level, &marked, &mut out);
        let mut want = vec![(7, 7)];
        want.extend(
            (0..n)
                .filter(|&j| marked[j] != 0)
                .map(|j| (j as u16, (marked[j] - 1) as u16)),
        );
        assert_eq!(out, want);
        let mut portable = vec![(7, 7)];
        gather_marked_portable(&marked, &mut portable);
        assert_eq!(portable, want);
        let mut dense = vec![1u16; n];
        unmark_row(&marked, &mut dense);
        let undone: Vec<u16> = marked.iter().map(|&v| v.saturating_sub(1) as u16).collect();
        assert_eq!(dense, undone);
        assert_eq!(any_nonzero(&dense), undone.iter().any(|&v| v != 0));
    }
    assert!(scatter_pairs(Simd::detect(), &[], &mut [0u16; 4]));
    assert!(!any_nonzero(&[0u16; 40]));
}

#[test]
fn kernels_match_their_scalar_definitions() {
    for level in levels() {
        kernels_match_their_scalar_definitions_at(level);
    }
}

fn kernels_match_their_scalar_definitions_at(level: Simd) {
    let mut rng = Rng(4242);
    for round in 0..300 {
        let n = 1 + (rng.next() % 300) as usize;
        let raw: Vec<u16> = (0..n)
            .map(|_| {
                if rng.next().is_multiple_of(4) {
                    0
                } else {
                    rng.next() as u16
                }
            })
            .collect();
        let mut row = vec![0u32; n];
        // The fused load + normalise with the diagonal `skip` masked.
        {
            let skip = (rng.next() % n as u64) as usize;
            let sum = row_sum(&raw) - u64::from(raw[skip]);
            let total: u64 = raw.iter().map(|&x| u64::from(x)).sum();
            assert_eq!(sum + u64::from(raw[skip]), total);
            let ai = [0, ONE, rng.prop()][round % 3];
            let (mut r0, mut mx, mut out) = (vec![5u64; n], vec![3u32; n], vec![9u32; n]);
            load_normalize(
                level,
                &raw,
                skip,
                Divisor::new(sum),
                ai,
                &mut out,
                &mut r0,
                &mut mx,
            );
            for j in 0..n {
                let x = if j == skip { 0 } else { u64::from(raw[j]) };
                let q = div_def(x, sum);
                assert_eq!(dec(out[j]), q);
                let (r, m) = if ai > 0 {
                    (5 + mul_def(ai, q), out[j].max(3))
                } else {
                    (5, 3)
                };
                assert_eq!((r0[j], mx[j]), (r, m));
            }
        }
        let mut sums = vec![1u32; n];
        assert_eq!(add_row(&raw, &mut sums), raw.iter().any(|&x| x != 0));
        assert!(sums.iter().zip(&raw).all(|(&s, &x)| s == 1 + u32::from(x)));
        let sum = load_row(&raw, &mut row);
        assert_eq!(sum, raw.iter().map(|&x| u64::from(x)).sum::<u64>());
        let ai = [0, ONE, rng.prop()][round % 3];
        let (mut r0, mut mx) = (vec![5u64; n], vec![3u32; n]);
        normalize_row(&mut row, Divisor::new(sum), ai, &mut r0, &mut mx);
        for j in 0..n {
            let q = div_def(u64::from(raw[j]), sum);
            assert_eq!(dec(row[j]), q);
            let (r, m) = if ai > 0 {
                (5 + mul_def(ai, q), row[j].max(3))
            } else {
                (5, 3)
            };
            assert_eq!((r0[j], mx[j]), (r, m));
        }
        let c: Vec<u64> = (0..n).map(|_| rng.prop()).collect();
        let mut r = vec![1u64; n];
        let vt = clip_row(level, &row, &c, ai, &mut r);
        let clipped: Vec<u64> = (0..n).map(|j| dec(row[j]).min(c[j])).collect();
        assert_eq!(vt, clipped.iter().sum::<u64>());
        for j in 0..n {
            assert_eq!(r[j], 1 + if ai > 0 { mul_def(ai, clipped[j]) } else { 0 });
        }
        let sums: Vec<u64> = (0..n)
            .map(|j| (r[j].max(1) + rng.next() % 3).min(ONE))
            .collect();
        let bsums: Vec<u64> = (0..n).map(|_| rng.next() % 3_000_000).collect();
        let bonds: Vec<u16> = (0..n)
            .map(|j| (rng.next() % (bsums[j] + 1)).min(65535) as u16)
            .collect();
        let (delta, bond) = (Divisors::new(&sums), Divisors::new(&bsums));
        let alpha = [ONE, 0, rng.next() % ONE][round % 3];
        let cols = EmaCols {
            c: &c,
            delta: &delta,
            bond: &bond,
            alpha: (alpha, ONE - alpha),
        };
        for (hw, hb) in [(true, true), (true, false), (false, true), (false, false)] {
            let erow = EmaRow {
                weights: hw.then_some((&row[..], ai)),
                bonds: hb.then_some(&bonds[..]),
            };
            let mut out = vec![9u64; n];
            ema_row(&erow, &cols, &mut out);
            for j in 0..n {
                let mut want = 0;
                if hw {
                    let x = mul_def(clipped[j], ai);
                    want += mul_def(alpha, div_def(x, sums[j]));
                }
                if hb {
                    want += mul_def(ONE - alpha, div_def(u64::from(bonds[j]), bsums[j]));
                }
                assert_eq!(out[j], want, "round {round} j {j}");
            }
        }
        for (hw, hb) in [(true, true), (true, false), (false, true), (false, false)] {
            let erow = EmaRow {
                weights: hw.then_some((&row[..], ai)),
                bonds: hb.then_some(&bonds[..]),
            };
            let mut want_vals = vec![0u64; n];
            ema_row(&erow, &cols, &mut want_vals);
            let (mut want_row, mut ws, mut wm) = (row.clone(), vec![7u64; n], vec![1u64; n]);
            let want_top = store_row(&want_vals, &mut want_row, &mut ws, &mut wm);
            let (mut got_row, mut gs, mut gm) = (row.clone(), vec![7u64; n], vec![1u64; n]);
            let mut got_vals = vec![0u64; n];
            let b = hb.then_some(&bonds[..]);
            let top = ema_store_row(
                level,
                &mut got_row,
                hw.then_some(ai),
                b,
                &cols,
                &mut got_vals,
                &mut gs,
                &mut gm,
            );
            assert_eq!(
                (top, &got_vals, &got_row),
                (want_top, &want_vals, &want_row)
            );
            assert_eq!((&gs, &gm), (&ws, &wm));
        }
        let vals: Vec<u64> = (0..n).map(|_| rng.prop()).collect();
        let (mut st, mut s, mut m) = (vec![0u32; n], vec![2u64; n], vec![4u64; n]);
        let top = store_row(&vals, &mut st, &mut s, &mut m);
        assert_eq!(top, vals.iter().copied().max().unwrap());
        for j in 0..n {
            assert_eq!(st[j], vals[j].min(u64::from(u32::MAX)) as u32);
            assert_eq!((s[j], m[j]), (2 + vals[j], vals[j].max(4)));
        }
        let colsum: Vec<u64> = vals
            .iter()
            .map(|&v| (v + rng.next() % 1000).min(ONE))
            .collect();
        let norm = Divisors::new(&colsum);
        let b: Vec<u64> = (0..n).map(|j| div_def(vals[j], colsum[j])).collect();
        let maxes: Vec<u64> = b.iter().map(|&x| (x + rng.next() % 5).min(ONE)).collect();
        let upscale = Divisors::new(&maxes);
        let inc: Vec<u64> = (0..n).map(|_| rng.prop()).collect();
        let fc = FinishCols {
            norm: &norm,
            incentive: &inc,
            upscale: &upscale,
            incentive_lt_one: inc.iter().all(|&x| x < ONE),
        };
        let want_d: u64 = (0..n).map(|j| mul_def(inc[j], b[j])).sum();
        let want_row: Vec<u32> = (0..n)
            .map(|j| ((div_def(b[j], maxes[j]) * 65535) >> 32) as u32 + u32::from(vals[j] > 0))
            .collect();
        let big: Vec<(usize, u64)> = (0..n)
            .filter(|&j| vals[j] >= u64::from(u32::MAX))
            .map(|j| (j, vals[j]))
            .collect();
        let stored: Vec<u32> = vals
            .iter()
            .map(|&v| v.min(u64::from(u32::MAX)) as u32)
            .collect();
        for store in [false, true] {
            let mut patched = stored.clone();
            assert_eq!(
                finish_row_patched(level, &mut patched, &big, &fc, store),
                want_d
            );
            assert_eq!(&patched, if store { &want_row } else { &stored });
        }
        if vals.iter().all(|&v| v < ONE) {
            let mut fr: Vec<u32> = vals.iter().map(|&v| v as u32).collect();
            assert_eq!(finish_row(level, &mut fr.clone(), &fc, false), want_d);
            assert_eq!(finish_row(level, &mut fr, &fc, true), want_d);
            assert_eq!(fr, want_row);
        }
        // The usual row (values below 2^32 − 1, incentives below 1) against the definition.
        let small: Vec<u64> = vals.iter().map(|&v| v.min(ONE - 2)).collect();
        let inc_lt: Vec<u64> = inc.iter().map(|&v| v.min(ONE - 1)).collect();
        let b: Vec<u64> = (0..n).map(|j| div_def(small[j], colsum[j])).collect();
        let fc = FinishCols {
            norm: &norm,
            incentive: &inc_lt,
            upscale: &Divisors::new(
                &b.iter()
                    .map(|&x| (x + rng.next() % 3).min(ONE))
                    .collect::<Vec<_>>(),
            ),
            incentive_lt_one: true,
        };
        let mut fr: Vec<u32> = small.iter().map(|&v| v as u32).collect();
        let d = finish_row(level, &mut fr, &fc, true);
        assert_eq!(d, (0..n).map(|j| mul_def(inc_lt[j], b[j])).sum::<u64>());
        for j in 0..n {
            let up = fc.upscale.div(j, b[j]);
            assert_eq!(
                fr[j],
                ((up * 65535) >> 32) as u32 + u32::from(small[j] > 0),
                "j {j}"
            );
        }
    }
}
