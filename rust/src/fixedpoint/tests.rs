use super::*;

#[test]
fn multiply_floors_divide_truncates() {
    let a = I32F32::from_bits(-3);
    let half = I32F32::from_bits(1 << 31);
    assert_eq!((a * half).to_bits(), -2);
    assert_eq!((a / I32F32::from_num(2)).to_bits(), -1);
}

#[test]
fn narrowing_floors() {
    let tenth = I64F64::from_num(1) / I64F64::from_num(10);
    assert_eq!(i64f64_to_i32f32(tenth).to_bits(), 429_496_729);
    assert_eq!(i64f64_to_i32f32(I64F64::from_bits(-5)).to_bits(), -1);
    // vector 15.2: ⌊0.0999999998603 ⊗ 10^9⌋ = 99 999 999
    let t96 = I96F32::from_num(i64f64_to_i32f32(tenth));
    assert_eq!(
        i96_to_u64(t96 * I96F32::from_num(1_000_000_000u64)),
        99_999_999
    );
}
