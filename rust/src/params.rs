//! The parameter tables (docs/ruleset.md §13.1, §13.2): each per-subnet hyperparameter and each
//! global parameter is declared once, as one row of [`params!`], with its type, default, bounds,
//! setter origin and extra check.
//!
//! A row generates the field of `SubnetParams` / `Globals` (in row order, which is the order of
//! the state encoding: never reorder rows), its `Default`, the row of the public table
//! [`SUBNET_PARAMS`] / [`GLOBAL_PARAMS`] and the by-name access ([`SubnetParams::get`],
//! [`SubnetParams::store`], [`SubnetParams::values`], likewise for `Globals`). The setter rules of
//! §13.3 (`crate::hyperparams`) and the binding's `subnet_info` and `hyperparameters()` read
//! these tables; nothing else lists the parameters.

use crate::codec::ParamValue;
use serde::{Deserialize, Serialize};

/// The value type of a parameter (docs/ruleset.md §13.1 "type").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Bool,
    U16,
    U64,
}

impl Ty {
    pub const fn name(self) -> &'static str {
        match self {
            Ty::Bool => "bool",
            Ty::U16 => "u16",
            Ty::U64 => "u64",
        }
    }
}

/// Who may set a parameter with `sudo_set_hyperparameter` (docs/ruleset.md §13.1 "who"):
/// S = Sudo only, O = OwnerOrSudo(netuid). Global parameters are all Sudo-only (§13.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setter {
    Sudo,
    OwnerOrSudo,
}

impl Setter {
    pub const fn name(self) -> &'static str {
        match self {
            Setter::Sudo => "Sudo",
            Setter::OwnerOrSudo => "OwnerOrSudo",
        }
    }
}

/// An extra check of docs/ruleset.md §13.1 that compares the value with other state (the
/// constant bounds are [`Param::min`] / [`Param::max`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    None,
    /// value > `SubnetworkN`, else `MaxAllowedUIdsNotAllowed` (checked before the bounds).
    AboveNeuronCount,
    /// value ≤ the subnet's `MaxAllowedUids`, else `StorageValueOutOfRange`.
    AtMostMaxAllowedUids,
}

impl Check {
    pub const fn name(self) -> Option<&'static str> {
        match self {
            Check::None => None,
            Check::AboveNeuronCount => Some("above_neuron_count"),
            Check::AtMostMaxAllowedUids => Some("at_most_max_allowed_uids"),
        }
    }
}

/// One row of a parameter table. Values are carried as u64 (a bool as 0 / 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub ty: Ty,
    pub default: u64,
    /// Inclusive bounds of a set value (the type's range unless the ruleset narrows it).
    pub min: u64,
    pub max: u64,
    /// `None`: stored but not settable (`UnknownHyperparameter`).
    pub setter: Option<Setter>,
    /// The setter checks that the subnet exists (§13.3 step 3); false for global parameters.
    pub needs_subnet: bool,
    pub check: Check,
}

impl Param {
    const fn new(name: &'static str, ty: Ty, default: u64, max: u64) -> Param {
        Param {
            name,
            ty,
            default,
            min: 0,
            max,
            setter: None,
            needs_subnet: true,
            check: Check::None,
        }
    }
    const fn sudo(self) -> Param {
        Param {
            setter: Some(Setter::Sudo),
            ..self
        }
    }
    const fn owner_or_sudo(self) -> Param {
        Param {
            setter: Some(Setter::OwnerOrSudo),
            ..self
        }
    }
    const fn not_settable(self) -> Param {
        Param {
            setter: None,
            ..self
        }
    }
    const fn min(self, min: u64) -> Param {
        Param { min, ..self }
    }
    const fn max(self, max: u64) -> Param {
        Param { max, ..self }
    }
    const fn without_subnet(self) -> Param {
        Param {
            needs_subnet: false,
            ..self
        }
    }
    const fn check(self, check: Check) -> Param {
        Param { check, ..self }
    }

    /// The value as this parameter's type (a bool as 0 / 1), if it is of that type (§13.3 step 4).
    pub fn fit(&self, v: ParamValue) -> Option<u64> {
        match (self.ty, v) {
            (Ty::Bool, ParamValue::Bool(b)) => Some(b as u64),
            (Ty::U16, ParamValue::Int(x)) => (x <= u16::MAX as u64).then_some(x),
            (Ty::U64, ParamValue::Int(x)) => Some(x),
            _ => None,
        }
    }

    /// The value is within the bounds of the row (§13.3 step 5, after the [`Check`]).
    pub fn in_bounds(&self, x: u64) -> bool {
        (self.min..=self.max).contains(&x)
    }

    /// A stored u64 as the parameter's wire value.
    pub fn value(&self, x: u64) -> ParamValue {
        match self.ty {
            Ty::Bool => ParamValue::Bool(x != 0),
            Ty::U16 | Ty::U64 => ParamValue::Int(x),
        }
    }
}

/// A Rust field type of a parameter.
trait FieldType: Copy {
    const TY: Ty;
    const MAX: u64;
    fn to_u64(self) -> u64;
    /// From a value that [`Param::fit`] accepted.
    fn from_u64(x: u64) -> Self;
}

impl FieldType for bool {
    const TY: Ty = Ty::Bool;
    const MAX: u64 = 1;
    fn to_u64(self) -> u64 {
        self as u64
    }
    fn from_u64(x: u64) -> Self {
        x != 0
    }
}

impl FieldType for u16 {
    const TY: Ty = Ty::U16;
    const MAX: u64 = u16::MAX as u64;
    fn to_u64(self) -> u64 {
        self as u64
    }
    fn from_u64(x: u64) -> Self {
        // `Param::fit` bounds every u16 parameter by u16::MAX.
        x as u16
    }
}

impl FieldType for u64 {
    const TY: Ty = Ty::U64;
    const MAX: u64 = u64::MAX;
    fn to_u64(self) -> u64 {
        self
    }
    fn from_u64(x: u64) -> Self {
        x
    }
}

/// `name: type = default, setter[.rule(…)…];` rows → the struct, its `Default`, its table and
/// its by-name access.
macro_rules! params {
    (
        $(#[$meta:meta])*
        pub struct $S:ident, $TABLE:ident {
            $( $name:ident : $ty:ty = $default:expr , $setter:ident $( . $rule:ident ( $($arg:expr),* ) )* ; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $S {
            $( pub $name: $ty, )*
        }

        impl Default for $S {
            fn default() -> Self {
                $S { $( $name: $default, )* }
            }
        }

        /// The rows, in field (and encoding) order.
        pub const $TABLE: &[Param] = &[
            $(
                Param::new(
                    stringify!($name),
                    <$ty as FieldType>::TY,
                    ($default) as u64,
                    <$ty as FieldType>::MAX,
                )
                .$setter()
                $( .$rule($($arg),*) )*,
            )*
        ];

        impl $S {
            /// The table row of a name.
            pub fn row(name: &str) -> Option<&'static Param> {
                $TABLE.iter().find(|p| p.name == name)
            }

            /// The stored value of a name (a bool as 0 / 1).
            pub fn get(&self, name: &str) -> Option<u64> {
                match name {
                    $( stringify!($name) => Some(FieldType::to_u64(self.$name)), )*
                    _ => None,
                }
            }

            /// Stores a value that [`Param::fit`] accepted for this name (unchecked); false for an unknown name.
            pub fn store(&mut self, name: &str, x: u64) -> bool {
                match name {
                    $( stringify!($name) => self.$name = FieldType::from_u64(x), )*
                    _ => return false,
                }
                true
            }

            /// Every row with its stored value, in table order.
            pub fn values(&self) -> impl Iterator<Item = (&'static Param, ParamValue)> {
                let xs = [ $( FieldType::to_u64(self.$name), )* ];
                $TABLE.iter().zip(xs).map(|(p, x)| (p, p.value(x)))
            }
        }
    };
}

params! {
    /// Hyperparameters of docs/ruleset.md §13.1; `Default` is the "Default" column (nothing stored).
    pub struct SubnetParams, SUBNET_PARAMS {
        tempo: u16 = 99, sudo;
        kappa: u16 = 32_767, sudo;
        rho: u16 = 10, sudo;
        bonds_moving_average: u64 = 900_000, sudo.max(1_000_000);
        max_allowed_uids: u16 = 4_096, sudo.check(Check::AboveNeuronCount).max(32_768);
        max_allowed_validators: u16 = 128, sudo.check(Check::AtMostMaxAllowedUids);
        min_allowed_weights: u16 = 1_024, owner_or_sudo;
        max_weights_limit: u16 = 1_000, owner_or_sudo;
        activity_cutoff: u16 = 5_000, owner_or_sudo;
        immunity_period: u16 = 4_096, owner_or_sudo;
        weights_set_rate_limit: u64 = 100, owner_or_sudo;
        weights_version_key: u64 = 0, owner_or_sudo;
        serving_rate_limit: u64 = 50, owner_or_sudo.without_subnet();
        max_registrations_per_block: u16 = 1, sudo;
        target_registrations_per_interval: u16 = 2, sudo.min(1);
        adjustment_interval: u16 = 100, sudo;
        adjustment_alpha: u64 = 0, sudo;
        burn: u64 = 1_000_000_000, not_settable;
        min_burn: u64 = 1_000_000_000, sudo;
        max_burn: u64 = 100_000_000_000, sudo;
        difficulty: u64 = 10_000_000, sudo;
        min_difficulty: u64 = 10_000_000, sudo;
        max_difficulty: u64 = u64::MAX / 4, sudo;
        network_registration_allowed: bool = false, sudo.without_subnet();
        network_pow_registration_allowed: bool = false, sudo.without_subnet();
        validator_prune_len: u64 = 1, sudo;
        scaling_law_power: u16 = 50, sudo.max(100);
        rao_recycled_for_registration: u64 = 0, sudo;
    }
}

params! {
    /// Global parameters of docs/ruleset.md §13.2 (values at genesis are the defaults; all
    /// Sudo-only and settable in a genesis). `total_issuance` is a known global name that is not
    /// a parameter (`crate::hyperparams`).
    pub struct Globals, GLOBAL_PARAMS {
        default_take: u16 = 11_796, sudo.without_subnet();
        tx_rate_limit: u64 = 1_000, sudo.without_subnet();
        subnet_owner_cut: u16 = 11_796, sudo.without_subnet();
        network_min_lock_cost: u64 = 1_000_000_000_000, sudo.without_subnet();
        network_lock_reduction_interval: u64 = 100_800, sudo.without_subnet().min(1);
        network_rate_limit: u64 = 7_200, sudo.without_subnet();
        network_immunity_period: u64 = 50_400, sudo.without_subnet();
        subnet_limit: u16 = 12, sudo.without_subnet();
    }
}

#[cfg(test)]
mod tests;
