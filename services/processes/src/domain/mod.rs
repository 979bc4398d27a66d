//! The processes domain: the four aggregates (`Process`, `Backlog`, `MunicipalitySettings`,
//! `Umbrella`)
//! with pure `decide`/`evolve`, their validated values, and the ONE mapping between them and
//! the contract's messages (each value's `From`/`TryFrom`, each event enum's `DomainEvent`).
//! The scores derived from the values are `innohub_priority`'s.

pub mod assessment;
pub mod backlog;
pub mod details;
pub mod lifecycle;
pub mod process;
pub mod scoring;
pub mod settings;
pub mod umbrella;
pub mod values;

#[cfg(test)]
pub(crate) mod tests;
