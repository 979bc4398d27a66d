//! The funding domain: the aggregates `Fund`, `FundPeriod` and `Application` with pure
//! `decide`/`evolve`, their validated values (money among them), and the ONE mapping between
//! them and the contract's messages (each value's `From`/`TryFrom`, each event enum's
//! `DomainEvent`). A council's decision is the one rule that spans two aggregates: the
//! application decides it and, for a grant, its period commits the money
//! ([`application::Application::decide_with_period`]).

pub mod application;
pub mod fund;
pub mod period;
pub mod values;

#[cfg(test)]
mod tests;
