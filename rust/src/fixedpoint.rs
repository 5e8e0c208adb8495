//! Fixed-point types of docs/ruleset.md §0.3, from the `fixed` crate.
//!
//! The `fixed` crate (1.x) has exactly the reference (`substrate-fixed` 0.5.9) semantics the rules
//! rely on: add/sub exact, multiply floors (toward −∞), divide truncates toward zero, conversion to
//! fewer fractional bits floors. `tests` below pin each of these.

pub use fixed::types::{I110F18, I32F32, I64F64, I96F32};

/// `to_u64` of docs/ruleset.md: ⌊value⌋ of a non-negative value (negative → 0, too large → saturate).
#[inline]
pub fn i96_to_u64(x: I96F32) -> u64 {
    let v = x.to_bits() >> 32;
    v.clamp(0, u64::MAX as i128) as u64
}

#[inline]
pub fn i64f64_to_u64(x: I64F64) -> u64 {
    let v = x.to_bits() >> 64;
    v.clamp(0, u64::MAX as i128) as u64
}

#[inline]
pub fn i110_to_u64(x: I110F18) -> u64 {
    let v = x.to_bits() >> 18;
    v.clamp(0, u64::MAX as i128) as u64
}

/// I64F64 → I32F32 (fewer fractional bits: floor), saturating at the I32F32 range.
#[inline]
pub fn i64f64_to_i32f32(x: I64F64) -> I32F32 {
    I32F32::saturating_from_num(x)
}

#[cfg(test)]
mod tests;
