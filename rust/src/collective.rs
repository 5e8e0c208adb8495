//! Membership lists and their votes (docs/ruleset.md §12), shared by `governance` (the Sudo
//! membership calls, triumvirate removal) and `registration` (the senate swap of root
//! registration, §8.6).
//!
//! Invariants kept here: member lists (`State::triumvirate`, `State::senate`) are in ascending
//! account order without duplicates; removing a member from the vote lists keeps the order of the
//! other votes.

use crate::state::{AccountId, State};

/// Inserts `a` into an ascending list, keeping it ascending (the caller checked it is absent).
pub fn insert_sorted(list: &mut Vec<AccountId>, a: &AccountId) {
    let at = list.partition_point(|x| x < a);
    list.insert(at, *a);
}

/// Removes `a` from a list if present, keeping the order of the others.
pub fn remove_from(list: &mut Vec<AccountId>, a: &AccountId) {
    list.retain(|x| x != a);
}

/// Deletes `member`'s votes from every open proposal (triumvirate removal / swap, the senate
/// swap of root registration, §8.6).
pub fn remove_votes_of(s: &mut State, member: &AccountId) {
    for p in &mut s.proposals {
        remove_from(&mut p.ayes, member);
        remove_from(&mut p.nays, member);
    }
}

/// Inserts a hotkey into the senate keeping ascending account order.
pub fn senate_insert(s: &mut State, hotkey: &AccountId) {
    let pos = s.senate.binary_search(hotkey).unwrap_or_else(|p| p);
    s.senate.insert(pos, *hotkey);
}
