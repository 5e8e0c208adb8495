//! Rows with outdated entries (docs/ruleset.md §4.2 step 5): entry `(i, j)` is outdated when
//! `last_update[i] ≤ block_at_registration[j]` (uid j was re-registered after row i last set
//! weights). Rows with none are the "clean" rows of `dense.rs`, which skip these kernels. On a
//! chain where miners register every few blocks most validator rows are not clean, so the masks
//! are applied as branch-free loops over the registration blocks that the compiler vectorises
//! (issue 15: the per-entry `outdated(i, j)` test was a tenth of a Finney-scale year's replay).

use multiversion::multiversion;

/// Adds the row's entries that are not outdated (`br[j] < lu`) to column sums and returns
/// whether the raw row has any nonzero entry (outdated ones included).
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn add_row_current(b: &[u16], lu: u64, br: &[u64], sum: &mut [u32]) -> bool {
    let n = b.len();
    let (br, sum) = (&br[..n], &mut sum[..n]);
    let mut any = 0u16;
    for j in 0..n {
        any |= b[j];
        let keep = u32::from(br[j] < lu);
        sum[j] += u32::from(b[j]) * keep;
    }
    any != 0
}

/// Zeroes the outdated entries of a dense row (`br[j] ≥ lu`) and returns the sum it removed.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn clear_outdated(row: &mut [u32], lu: u64, br: &[u64]) -> u64 {
    let n = row.len();
    let br = &br[..n];
    let mut removed = 0u64;
    for j in 0..n {
        let keep = u32::from(br[j] < lu);
        let v = row[j];
        removed += u64::from(v * (1 - keep));
        row[j] = v * keep;
    }
    removed
}

/// `out` = the row with its outdated entries zeroed.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512dq+avx512vl", "x86_64+avx2+bmi2"))]
pub fn current_entries(b: &[u16], lu: u64, br: &[u64], out: &mut Vec<u16>) {
    let n = b.len();
    let br = &br[..n];
    out.clear();
    out.resize(n, 0);
    for j in 0..n {
        out[j] = b[j] * u16::from(br[j] < lu);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kernel against the per-entry test it replaces, with registration blocks on both
    /// sides of the row's last update (and equal to it: outdated).
    #[test]
    fn kernels_match_the_per_entry_test() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for n in [0usize, 1, 7, 64, 255, 256, 1000] {
            let b: Vec<u16> = (0..n)
                .map(|j| if j % 5 == 0 { 0 } else { next() as u16 })
                .collect();
            let br: Vec<u64> = (0..n).map(|_| next() % 40).collect();
            for lu in [0u64, 1, 20, 39, 40, 1000] {
                let outdated = |j: usize| lu <= br[j];
                let mut sum = vec![3u32; n];
                let any = add_row_current(&b, lu, &br, &mut sum);
                assert_eq!(any, b.iter().any(|&v| v != 0));
                for j in 0..n {
                    let add = if outdated(j) { 0 } else { u32::from(b[j]) };
                    assert_eq!(sum[j], 3 + add);
                }
                let mut row: Vec<u32> = b.iter().map(|&v| u32::from(v) << 3).collect();
                let removed = clear_outdated(&mut row, lu, &br);
                let mut want = 0u64;
                for j in 0..n {
                    let v = u32::from(b[j]) << 3;
                    if outdated(j) {
                        want += u64::from(v);
                        assert_eq!(row[j], 0);
                    } else {
                        assert_eq!(row[j], v);
                    }
                }
                assert_eq!(removed, want);
                let mut out = vec![9u16; 3];
                current_entries(&b, lu, &br, &mut out);
                let expect: Vec<u16> = (0..n).map(|j| if outdated(j) { 0 } else { b[j] }).collect();
                assert_eq!(out, expect);
            }
        }
    }
}
