//! Axon and Prometheus serving (RULES.md §11). (to be completed)

use crate::error::{ChainError, Result};
use crate::events::Events;
use crate::state::{AccountId, State};

pub struct AxonRequest {
    pub version: u32,
    pub ip: u128,
    pub port: u16,
    pub ip_type: u8,
    pub protocol: u8,
    pub placeholder1: u8,
    pub placeholder2: u8,
}

pub fn serve_axon(_s: &mut State, _hotkey: &AccountId, _netuid: u16, _req: &AxonRequest, _ev: &mut Events) -> Result<()> {
    Err(ChainError::Fatal("not implemented yet".into()))
}

#[allow(clippy::too_many_arguments)]
pub fn serve_prometheus(_s: &mut State, _hotkey: &AccountId, _netuid: u16, _version: u32, _ip: u128, _port: u16, _ip_type: u8, _ev: &mut Events) -> Result<()> {
    Err(ChainError::Fatal("not implemented yet".into()))
}
