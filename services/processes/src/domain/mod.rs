//! The processes domain: values, the three aggregates (`Process`, `Backlog`,
//! `MunicipalitySettings`) with pure `decide`/`evolve`, and the scoring rules.

pub mod assessment;
pub mod backlog;
pub mod details;
pub mod lifecycle;
pub mod process;
pub mod scoring;
pub mod settings;
pub mod values;

#[cfg(test)]
mod tests;
