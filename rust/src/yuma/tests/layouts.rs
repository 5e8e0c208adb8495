//! Whole epochs against the literal reference: random and multi-epoch cases through both
//! layouts, every execution mode and every SIMD level; dense and compressed sources against
//! stored lists; the dense path with the dense bonds output.

use super::*;

#[test]
fn random_epochs_match_literal_reference() {
    let rng = Rng::new(0xDEADBEEF);
    for round in 0..1500 {
        let n = match round % 50 {
            0 => 0,
            1 => 1,
            2..=5 => 60 + rng.below(200) as usize,
            _ => 1 + rng.below(24) as usize,
        };
        let c = random_case(&rng, n);
        check_against_literal(&c);
    }
}

#[test]
fn multi_epoch_feedback_matches_literal_reference() {
    let rng = Rng::new(4242);
    for _ in 0..20 {
        let n = 2 + rng.below(40) as usize;
        let mut c = random_case(&rng, n);
        for step in 0..8 {
            c.block += 1 + rng.below(400);
            // Some validators update their weights; LU follows.
            for i in 0..n {
                if rng.chance(40) {
                    c.last_update[i] = c.block;
                }
            }
            if step == 4 {
                c.block_at_registration[rng.below(n as u64) as usize] = c.block;
                // a replacement
            }
            check_against_literal(&c);
            let out = c.run();
            c.absorb(&out);
        }
    }
}

#[test]
fn dense_and_csr_sources_agree_with_lists() {
    let rng = Rng::new(31337);
    for _ in 0..200 {
        let n = 1 + rng.below(30) as usize;
        let c = random_case(&rng, n);
        let p = params(&c);
        // Dense forms (0 and absent are the same thing) and CSR forms.
        let dense = |rows: &[Vec<(u16, u16)>]| {
            let mut d = vec![0u16; n * n];
            rows.iter()
                .enumerate()
                .for_each(|(i, r)| r.iter().for_each(|&(j, v)| d[i * n + j as usize] = v));
            d
        };
        let csr = |rows: &[Vec<(u16, u16)>]| {
            let mut indptr = vec![0u64];
            let (mut cols, mut vals) = (vec![], vec![]);
            for r in rows {
                cols.extend(r.iter().map(|e| e.0));
                vals.extend(r.iter().map(|e| e.1));
                indptr.push(cols.len() as u64);
            }
            (indptr, cols, vals)
        };
        let (wd, bd) = (dense(&c.weights), dense(&c.bonds));
        let (wi, wc, wv) = csr(&c.weights);
        let (bi, bc, bv) = csr(&c.bonds);
        let ws = CsrRows::new("weights", &wi, &wc, &wv).unwrap();
        let bs = CsrRows::new("bonds", &bi, &bc, &bv).unwrap();
        let (wdr, bdr) = (DenseRows { data: &wd, n }, DenseRows { data: &bd, n });
        let want = epoch_rows(&p, &c.weights[..], &c.bonds[..]).unwrap();
        let want_out = want.into_output();
        let got_dense = epoch_rows(&p, &wdr, &bdr).unwrap();
        let mut dense_bonds = vec![0u16; n * n];
        got_dense.write_dense_bonds(&bdr, &mut dense_bonds, false);
        assert_eq!(
            strip_zero(got_dense.into_output()),
            strip_zero(want_out.clone())
        );
        let got_csr = epoch_rows(&p, &ws, &bs).unwrap();
        let mut csr_bonds = vec![0u16; n * n];
        got_csr.write_dense_bonds(&bs, &mut csr_bonds, false);
        assert_eq!(got_csr.into_output(), want_out);
        assert_eq!(dense_bonds, csr_bonds);
    }
}

#[test]
fn large_dense_epoch_parallel_equals_sequential() {
    let n = 700;
    let rng = Rng::new(5);
    let mut c = Case::new(n, (0..n).map(|_| rng.below(1 << 50)).collect(), 128);
    c.block = 1000;
    c.permit = (0..n).map(|_| rng.chance(60)).collect();
    c.last_update = (0..n).map(|_| 900 + rng.below(100)).collect();
    c.weights = (0..n)
        .map(|_| {
            (0..n as u16)
                .map(|j| (j, rng.below(65536) as u16))
                .collect()
        })
        .collect();
    c.bonds = (0..n)
        .map(|_| {
            (0..n as u16)
                .filter(|_| rng.chance(50))
                .map(|j| (j, rng.below(65536) as u16))
                .collect()
        })
        .collect();
    let p = params(&c);
    let seq = epoch_exec(&p, &c.weights[..], &c.bonds[..], Exec::sequential())
        .unwrap()
        .into_output();
    for parts in [2, 7, 64] {
        let par = epoch_exec(&p, &c.weights[..], &c.bonds[..], Exec::parallel(parts)).unwrap();
        assert_eq!(par.into_output(), seq);
    }
    assert_eq!(literal_epoch(&c.input()), seq);
}

#[test]
fn dense_path_matches_literal_reference() {
    // The dense path (both matrices dense) against the literal transcription, for every
    // execution mode; small subnets hit the rare cases (a_i = 1, a row of one entry, moving
    // averages of exactly 1.0).
    let rng = Rng::new(777);
    let dense = |rows: &[Vec<(u16, u16)>], n: usize| {
        let mut d = vec![0u16; n * n];
        rows.iter()
            .enumerate()
            .for_each(|(i, r)| r.iter().for_each(|&(j, v)| d[i * n + j as usize] = v));
        d
    };
    for round in 0..600 {
        let n = match round % 10 {
            0 => 60 + rng.below(250) as usize,
            1..=4 => 1 + rng.below(4) as usize,
            _ => 1 + rng.below(40) as usize,
        };
        let mut c = random_case(&rng, n);
        if round % 3 == 0 {
            c.bma = rng.below(3) * 500_000;
        }
        for _ in 0..3 {
            let want = strip_zero(literal_epoch(&c.input()));
            let p = params(&c);
            let (wd, bd) = (dense(&c.weights, n), dense(&c.bonds, n));
            let (wdr, bdr) = (DenseRows { data: &wd, n }, DenseRows { data: &bd, n });
            let sparse = epoch_rows(&p, &c.weights[..], &c.bonds[..]).unwrap();
            let mut want_bonds = vec![0u16; n * n];
            sparse.write_dense_bonds(&bdr, &mut want_bonds, false);
            // Sequentially, also with each lower level of hand-written SIMD loops.
            for level in levels() {
                let got = epoch_exec(&p, &wdr, &bdr, at_level(level)).unwrap();
                assert_eq!(strip_zero(got.into_output()), want, "{level:?}");
            }
            for exec in [Exec::sequential(), Exec::parallel(3), Exec::parallel(64)] {
                let got = epoch_exec(&p, &wdr, &bdr, exec).unwrap();
                let mut got_bonds = vec![7u16; n * n];
                got.write_dense_bonds(&bdr, &mut got_bonds, false);
                assert_eq!(got_bonds, want_bonds, "n = {n}, exec {exec:?}");
                let mut onto_zeros = vec![0u16; n * n];
                got.write_dense_bonds(&bdr, &mut onto_zeros, true);
                assert_eq!(onto_zeros, want_bonds, "n = {n}, exec {exec:?}");
                assert_eq!(
                    strip_zero(got.into_output()),
                    want,
                    "n = {n}, exec {exec:?}"
                );
            }
            let out = c.run();
            c.absorb(&out);
            c.block += 1 + rng.below(50);
        }
    }
}
