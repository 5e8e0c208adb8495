//! Events: facts named in the past tense (docs/ruleset.md names), collected only when asked for.
//!
//! Replay does not need events, so `Events::disabled()` makes `emit` a no-op that never builds the
//! event (the closure is not called).

use crate::state::AccountId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    U64(u64),
    Account(AccountId),
    Bytes(Vec<u8>),
    Str(String),
    Bool(bool),
    Nil,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub name: &'static str,
    pub fields: Vec<(&'static str, Value)>,
}

impl Event {
    pub fn new(name: &'static str) -> Self {
        Event {
            name,
            fields: Vec::new(),
        }
    }
    pub fn u(mut self, k: &'static str, v: impl Into<u64>) -> Self {
        self.fields.push((k, Value::U64(v.into())));
        self
    }
    pub fn acct(mut self, k: &'static str, v: &AccountId) -> Self {
        self.fields.push((k, Value::Account(*v)));
        self
    }
    pub fn bytes(mut self, k: &'static str, v: &[u8]) -> Self {
        self.fields.push((k, Value::Bytes(v.to_vec())));
        self
    }
    pub fn str(mut self, k: &'static str, v: &str) -> Self {
        self.fields.push((k, Value::Str(v.to_string())));
        self
    }
    pub fn bool(mut self, k: &'static str, v: bool) -> Self {
        self.fields.push((k, Value::Bool(v)));
        self
    }
    pub fn value(mut self, k: &'static str, v: Value) -> Self {
        self.fields.push((k, v));
        self
    }
}

/// An event sink that may be switched off.
#[derive(Debug, Default)]
pub struct Events {
    enabled: bool,
    pub list: Vec<Event>,
}

impl Events {
    pub fn enabled() -> Self {
        Events {
            enabled: true,
            list: Vec::new(),
        }
    }
    pub fn disabled() -> Self {
        Events {
            enabled: false,
            list: Vec::new(),
        }
    }
    #[inline]
    pub fn emit(&mut self, f: impl FnOnce() -> Event) {
        if self.enabled {
            self.list.push(f());
        }
    }
    /// Drops the events emitted after `mark` (a transaction that failed after emitting).
    pub fn truncate(&mut self, mark: usize) {
        self.list.truncate(mark);
    }
    pub fn len(&self) -> usize {
        self.list.len()
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

impl AsRef<[Event]> for Events {
    fn as_ref(&self) -> &[Event] {
        &self.list
    }
}
