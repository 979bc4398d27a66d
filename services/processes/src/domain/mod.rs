//! The processes domain: the three aggregates (`Process`, `Backlog`, `MunicipalitySettings`)
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
pub mod values;

#[cfg(test)]
pub(crate) mod tests;
