//! The pilots domain: the aggregate `Pilot` with pure `decide`/`evolve`, its validated
//! values, and the ONE mapping between them and the contract's messages (each value's
//! `From`/`TryFrom`, the event enum's `DomainEvent`).

pub mod pilot;
pub mod values;

#[cfg(test)]
mod tests;
