//! The directory domain: the two aggregates (`Municipality`, `Network`) with pure
//! `decide`/`evolve`, their validated values, and the ONE mapping between them and the
//! contract's messages (each value's `From`/`TryFrom`, each event enum's `DomainEvent`).

pub mod municipality;
pub mod network;
pub mod values;

#[cfg(test)]
mod tests;
