//! The ideas domain: the five aggregates (`Challenge`, `Idea`, `IdeaCriteria`, `Workshop`,
//! `ActionItem`) with pure `decide`/`evolve`, their validated values, and the ONE mapping
//! between them and the contract's messages (each value's `From`/`TryFrom`, each event
//! enum's `DomainEvent`).

pub mod action_item;
pub mod challenge;
pub mod criteria;
pub mod idea;
pub mod values;
pub mod workshop;

#[cfg(test)]
mod tests;
