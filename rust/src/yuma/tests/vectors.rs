//! The worked vectors of docs/ruleset.md §15 and the §4.3 primitives: each vector through the
//! public epoch, the median characterisation against the reference recursion.

use super::*;

#[test]
fn v15_1_one_neuron() {
    let mut c = Case::new(1, vec![1], 100);
    c.weights = vec![vec![(0, 65535)]];
    c.last_update = vec![1];
    let out = c.run();
    for v in [
        &out.rank,
        &out.trust,
        &out.consensus,
        &out.incentive,
        &out.dividends,
        &out.validator_trust,
    ] {
        assert_eq!(v, &vec![0]);
    }
    assert_eq!(out.emission, vec![1_000_000_000]);
    assert_eq!(out.validator, vec![1_000_000_000]);
    assert_eq!(out.server, vec![0]);
    assert_eq!(out.pruning_scores, vec![65535]);
    assert_eq!(out.validator_permit, vec![true]);
    assert_eq!(out.active, vec![true]);
    assert_eq!(out.bonds, vec![BondsRow::Replace(vec![])]);
}

#[test]
fn v15_2_ten_self_weights() {
    let mut c = Case::new(10, vec![1; 10], 100);
    c.weights = (0..10).map(|i| vec![(i, 65535)]).collect();
    c.last_update = vec![1; 10];
    let out = c.run();
    for v in [
        &out.rank,
        &out.trust,
        &out.consensus,
        &out.incentive,
        &out.dividends,
        &out.validator_trust,
    ] {
        assert_eq!(v, &vec![0; 10]);
    }
    assert_eq!(out.pruning_scores, vec![65535; 10]);
    assert_eq!(out.emission, vec![99_999_999; 10]);
    assert_eq!(out.validator, vec![99_999_999; 10]);
    assert_eq!(out.server, vec![0; 10]);
}

#[test]
fn v15_3_bonds_sequence() {
    let mut c = Case::new(8, vec![1, 2, 3, 4, 0, 0, 0, 0], 8);
    // b = 0: no weights, no permits yet, last_update 0.
    c.block = 0;
    let out = c.run();
    assert_eq!(
        out.emission,
        vec![
            99_999_999,
            199_999_999,
            299_999_999,
            399_999_999,
            0,
            0,
            0,
            0
        ]
    );
    assert_eq!(out.validator_permit, vec![true; 8]);
    assert_eq!(out.bonds, vec![BondsRow::Replace(vec![]); 8]);
    check_against_literal(&c);
    c.absorb(&out);
    // b = 1: uids 0–3 weight uids 4–7.
    c.block = 1;
    for i in 0..4 {
        c.weights[i] = vec![(4, 16383), (5, 32767), (6, 49149), (7, 65535)];
    }
    c.last_update = vec![1, 1, 1, 1, 0, 0, 0, 0];
    let out = c.run();
    assert_eq!(out.consensus[4..], [6553, 13107, 19660, 26214]);
    assert_eq!(out.incentive, vec![0, 0, 0, 0, 6553, 13107, 19660, 26214]);
    assert_eq!(out.dividends, vec![6553, 13106, 19660, 26214, 0, 0, 0, 0]);
    assert_eq!(
        out.emission,
        vec![49999998, 99999999, 150000000, 200000001, 49998779, 100000610, 149996337, 200004272]
    );
    assert_eq!(bonds_col(&out, 4, 0..4), vec![16383, 32767, 49151, 65535]);
    check_against_literal(&c);
    c.absorb(&out);
    // b = 2: uid 0 switches to a self-weight only.
    c.block = 2;
    c.weights[0] = vec![(0, 65535)];
    let out = c.run();
    assert_eq!(
        out.emission,
        vec![44998351, 101110561, 151667215, 202223870, 49998779, 100000610, 149996337, 200004272]
    );
    assert_eq!(bonds_col(&out, 4, 0..4), vec![14582, 32767, 49151, 65535]);
    check_against_literal(&c);
}

#[test]
fn v15_3_later_blocks_drift() {
    // Continue §15.3: uid 1, then uid 2 switch to self-weight, then uid 2 weights only uid 7.
    let mut c = Case::new(8, vec![1, 2, 3, 4, 0, 0, 0, 0], 8);
    c.block = 0;
    let out = c.run();
    c.absorb(&out);
    for i in 0..4 {
        c.weights[i] = vec![(4, 16383), (5, 32767), (6, 49149), (7, 65535)];
    }
    c.last_update = vec![1, 1, 1, 1, 0, 0, 0, 0];
    type Change = (u64, usize, Vec<(u16, u16)>);
    let changes: [Change; 4] = [
        (1, 0, c.weights[0].clone()),
        (2, 0, vec![(0, 65535)]),
        (3, 1, vec![(1, 65535)]),
        (4, 2, vec![(2, 65535)]),
    ];
    let mut previous_col4 = vec![];
    for (block, uid, row) in changes.into_iter().chain([(5, 2, vec![(7, 65535)])]) {
        c.block = block;
        c.weights[uid] = row;
        let out = c.run();
        check_against_literal(&c);
        let col4 = bonds_col(&out, 4, 0..4);
        assert_ne!(
            col4, previous_col4,
            "bonds drift through their u16 round trip"
        );
        previous_col4 = col4;
        c.absorb(&out);
    }
}

#[test]
fn v15_4_inactive_validator_shrinks_until_it_sets_weights() {
    let mut c = Case::new(4, vec![1, 1, 1, 1], 4);
    c.weights[0] = vec![(2, 65535), (3, 65535)];
    c.weights[1] = vec![(2, 65535), (3, 65535)];
    let mut dividends = vec![];
    let mut bonds0 = vec![];
    for block in [1, 2, 3, 3000, 5003, 5004, 5005, 6000, 6001] {
        c.block = block;
        if block == 6001 {
            c.last_update[0] = 6001; // uid 0 sets weights again
        }
        if block <= 3 {
            c.last_update[0] = block;
            c.last_update[1] = block;
        } else {
            c.last_update[1] = block;
        }
        let out = c.run();
        check_against_literal(&c);
        dividends.push(out.dividends[0]);
        bonds0.push(bonds_col(&out, 2, 0..1)[0]);
        // LU_0 = 3: inactive once 3 + 5000 < b.
        let expected_active = block <= 5003 || block == 6001;
        assert_eq!(out.active[0], expected_active, "block {block}");
        c.absorb(&out);
    }
    // Past the cutoff (blocks 5004–6000) uid 0's dividends and bonds shrink; once it sets
    // weights again they recover.
    assert!(
        dividends[5] < dividends[4] && dividends[6] < dividends[5] && dividends[7] < dividends[6]
    );
    assert!(bonds0[6] < bonds0[4] && bonds0[7] < bonds0[6]);
    assert!(dividends[8] > dividends[7]);
    assert!(bonds0[8] > bonds0[7]);
}

#[test]
fn v15_5_weighted_median() {
    let rows = |r: [[f64; 3]; 4]| -> Sparse {
        r.iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .filter(|(_, &v)| v != 0.0)
                    .map(|(j, &v)| (j as u16, fixed(v)))
                    .collect()
            })
            .collect()
    };
    let expect = |v: [f64; 3]| -> Vec<I32F32> { v.iter().map(|&x| fixed(x)).collect() };
    let stake: Vec<I32F32> = [0.0, 0.75, 0.25, 0.0].iter().map(|&x| fixed(x)).collect();
    let w = rows([
        [0.0, 0.1, 0.0],
        [0.0, 0.2, 0.4],
        [0.0, 0.3, 0.1],
        [0.0, 0.4, 0.5],
    ]);
    let cases = [
        (0.24, [0.0, 0.3, 0.4]),
        (0.26, [0.0, 0.2, 0.4]),
        (0.76, [0.0, 0.2, 0.1]),
    ];
    for (kappa, want) in cases {
        assert_eq!(
            weighted_median_col(&stake, &w, 3, fixed(kappa)),
            expect(want),
            "κ {kappa}"
        );
        assert_eq!(
            fast_median(&stake, &w, 3, fixed(kappa)),
            expect(want),
            "fast κ {kappa}"
        );
    }
    let stake: Vec<I32F32> = [0.0, 0.3, 0.2, 0.5].iter().map(|&x| fixed(x)).collect();
    let w = rows([
        [0.0, 0.1, 0.0],
        [0.0, 0.2, 0.4],
        [0.0, 0.3, 0.1],
        [0.0, 0.0, 0.5],
    ]);
    assert_eq!(
        weighted_median_col(&stake, &w, 3, fixed(0.51)),
        expect([0.0, 0.0, 0.4])
    );
    assert_eq!(
        fast_median(&stake, &w, 3, fixed(0.51)),
        expect([0.0, 0.0, 0.4])
    );
    let zero = vec![I32F32::ZERO; 4];
    assert_eq!(
        weighted_median_col(&zero, &w, 3, fixed(0.51)),
        vec![I32F32::ZERO; 3]
    );
    assert_eq!(
        fast_median(&zero, &w, 3, fixed(0.51)),
        vec![I32F32::ZERO; 3]
    );
}

/// The epoch's median (`consensus`) on arbitrary non-negative scores ≤ 1 given as I32F32
/// rows; the scores go through the same u32 encoding as normalised weights.
fn fast_median(stake: &[I32F32], w: &Sparse, columns: usize, kappa: I32F32) -> Vec<I32F32> {
    let n = stake.len().max(columns);
    let mut rows = Rows::with_capacities((0..n).map(|i| w.get(i).map_or(0, Vec::len)));
    let a: Vec<u64> = (0..n)
        .map(|i| stake.get(i).map_or(0, |s| s.to_bits() as u64))
        .collect();
    let mut acc = ColAcc::new(n);
    for (i, row) in w.iter().enumerate() {
        let mut sorted = row.clone();
        sorted.sort_by_key(|e| e.0);
        let s = rows.off[i];
        for (q, &(j, v)) in sorted.iter().enumerate() {
            let v = v.to_bits() as u64;
            rows.cols[s + q] = j;
            rows.vals[s + q] = enc(v);
            if a[i] > 0 {
                acc.max[j as usize] = acc.max[j as usize].max(v);
            }
        }
        rows.len[i] = sorted.len();
    }
    let mut out = consensus(&rows, &a, &acc, kappa.to_bits() as u64, Exec::sequential());
    out.truncate(columns);
    out.into_iter()
        .map(|x| I32F32::from_bits(x as i64))
        .collect()
}

#[test]
fn fast_median_matches_reference_recursion() {
    let rng = Rng::new(777);
    for round in 0..3000 {
        let n = 1 + rng.below(if round % 10 == 0 { 300 } else { 40 }) as usize;
        // A few distinct levels make ties common; some columns get many entries.
        let levels = 1 + rng.below(12);
        let stake: Vec<I32F32> = (0..n)
            .map(|_| {
                if rng.chance(30) {
                    I32F32::ZERO
                } else {
                    I32F32::from_bits(1 + rng.below(1 << 30) as i64)
                }
            })
            .collect();
        let density = rng.below(101);
        let w: Sparse = (0..n)
            .map(|_| {
                (0..n as u16)
                    .filter(|_| rng.chance(density))
                    .map(|j| {
                        let v = if rng.chance(50) {
                            (rng.below(levels) << 28).min(fx::ONE)
                        } else {
                            rng.below(fx::ONE - 1)
                        };
                        (j, I32F32::from_bits(v as i64))
                    })
                    .collect()
            })
            .collect();
        let kappa = I32F32::from_bits(match rng.below(4) {
            0 => 2_147_450_879,
            1 => 0,
            2 => fx::ONE as i64,
            _ => rng.below(fx::ONE + 1000) as i64,
        });
        // Normalise stakes first, as the epoch's `a` is.
        let mut a = stake.clone();
        normalize_fixed(&mut a);
        let want = weighted_median_col(&a, &w, n, kappa);
        assert_eq!(fast_median(&a, &w, n, kappa), want, "round {round}");
    }
}

#[test]
fn v15_6_vec_max_upscale_to_u16() {
    let f = |v: &[f64]| -> Vec<I32F32> { v.iter().map(|&x| fixed(x)).collect() };
    let cases: [(Vec<I32F32>, Vec<u16>); 5] = [
        (
            f(&[
                0.000001, 0.000006, 0.000007, 0.0001, 0.001, 0.01, 0.1, 0.2, 0.3, 0.4,
            ]),
            vec![0, 1, 1, 16, 164, 1638, 16384, 32768, 49151, 65535],
        ),
        (
            f(&[0.0, 0.5, 1.0, 1.5, 2.0, 32768.0, 32769.0]),
            vec![0, 1, 2, 3, 4, 65533, 65535],
        ),
        (f(&[0.0, 0.000016, 1.0]), vec![0, 1, 65535]),
        (f(&[1e-9, 1e-9]), vec![65535, 65535]),
        (
            vec![
                I32F32::ZERO,
                I32F32::ONE,
                fixed(32768.0),
                fixed(32769.0),
                I32F32::MAX,
            ],
            vec![0, 0, 1, 1, 65535],
        ),
    ];
    for (input, want) in cases {
        assert_eq!(vec_max_upscale_to_u16(&input), want);
    }
    assert_eq!(vec_max_upscale_to_u16(&[]), Vec::<u16>::new());
    assert_eq!(vec_max_upscale_to_u16(&[I32F32::ZERO; 3]), vec![0; 3]);
    assert_eq!(vec_max_upscale_u16(&[65534]), vec![65535]);
    assert_eq!(vec_max_upscale_u16(&[0, 1, 65534]), vec![0, 1, 65535]);
    assert_eq!(vec_max_upscale_u16(&[32767, 32767]), vec![65535, 65535]); // §10.1 example

    // The u16 form is the I32F32 one of the converted input, for maxima on both sides of 32 768.
    let mut rng = crate::testutil::XorShift(0x2545_f491_4f6c_dd1d);
    for len in (1..300).chain([0]) {
        let top = [0u64, 1, 2, 255, 32_767, 32_768, 32_769, 65_534, 65_535][len % 9] + 1;
        let v: Vec<u16> = (0..len).map(|_| (rng.next() % top) as u16).collect();
        let fixed: Vec<I32F32> = v.iter().map(|&w| I32F32::from_num(w)).collect();
        assert_eq!(
            vec_max_upscale_u16(&v),
            vec_max_upscale_to_u16(&fixed),
            "{v:?}"
        );
    }
    for m in 1..=u16::MAX {
        let v = [0, 1, m / 3, m / 2, m - 1, m];
        let fixed: Vec<I32F32> = v.iter().map(|&w| I32F32::from_num(w)).collect();
        assert_eq!(
            vec_max_upscale_u16(&v),
            vec_max_upscale_to_u16(&fixed),
            "{v:?}"
        );
    }
}

#[test]
fn check_vec_max_limited_cases() {
    assert!(check_vec_max_limited(&[], 0));
    assert!(check_vec_max_limited(&[0, 0], 0));
    assert!(check_vec_max_limited(&[65535, 65535], 32768));
    assert!(!check_vec_max_limited(&[65535, 65535], 32767));
    assert!(check_vec_max_limited(&[65535], 65535));
    assert!(!check_vec_max_limited(&[65535, 1], 65534));
    // Against the reference formula on random vectors.
    let rng = Rng::new(99);
    for _ in 0..2000 {
        let w: Vec<u16> = (0..1 + rng.below(20))
            .map(|_| rng.below(65536) as u16)
            .collect();
        let limit = rng.below(65536) as u16;
        let mut x: Vec<I32F32> = w.iter().map(|&v| I32F32::from_num(v)).collect();
        normalize_fixed(&mut x);
        let max = x.iter().max().copied().unwrap();
        let want = max <= I32F32::from_num(limit) / I32F32::from_num(65535);
        assert_eq!(check_vec_max_limited(&w, limit), want);
    }
}

#[test]
fn v15_7_sparse_ema() {
    let alpha = fixed(0.1);
    let tol = 1e-6;
    let rows = |r: &[[f64; 3]]| -> Sparse {
        r.iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .filter(|(_, &v)| v != 0.0)
                    .map(|(j, &v)| (j as u16, fixed(v)))
                    .collect()
            })
            .collect()
    };
    let close = |got: &Sparse, want: &[&[(u16, f64)]]| {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g.len(), w.len(), "{g:?} vs {w:?}");
            for (&(gj, gv), &(wj, wv)) in g.iter().zip(w.iter()) {
                assert_eq!(gj, wj);
                assert!((gv.to_num::<f64>() - wv).abs() < tol, "{gv} vs {wv}");
            }
        }
    };
    let old = rows(&[
        [0.0, 2.0, 3.0],
        [4.0, 0.0, 6.0],
        [7.0, 8.0, 0.0],
        [10.0, 11.0, 12.0],
    ]);
    let new = rows(&[
        [10.0, 20.0, 0.0],
        [40.0, 0.0, 60.0],
        [0.0, 80.0, 90.0],
        [100.0, 110.0, 120.0],
    ]);
    let got = mat_ema_sparse(&new, &old, 3, alpha);
    close(
        &got,
        &[
            &[(0, 1.0), (1, 3.8), (2, 2.7)],
            &[(0, 7.6), (2, 11.4)],
            &[(0, 6.3), (1, 15.2), (2, 9.0)],
            &[(0, 19.0), (1, 20.9), (2, 22.8)],
        ],
    );
    let empty: Sparse = vec![vec![]; 4];
    let got = mat_ema_sparse(&new, &empty, 3, alpha);
    close(
        &got,
        &[
            &[(0, 1.0), (1, 2.0)],
            &[(0, 4.0), (2, 6.0)],
            &[(1, 8.0), (2, 9.0)],
            &[(0, 10.0), (1, 11.0), (2, 12.0)],
        ],
    );
    let old: Sparse = vec![vec![(0, fixed(1.0))], vec![]];
    let new: Sparse = vec![vec![], vec![(1, fixed(2.0))]];
    close(
        &mat_ema_sparse(&new, &old, 2, alpha),
        &[&[(0, 0.9)], &[(1, 0.2)]],
    );
}
