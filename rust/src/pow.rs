//! Proof-of-work seals (RULES.md §8.3). (to be completed)
