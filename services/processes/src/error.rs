//! Why a processes command was refused, and the stable code each reason maps to: the
//! reasons every domain service shares ([`innohub_runtime::DomainError`]).

/// A refused processes command. Nothing was changed.
pub type ProcessError = innohub_runtime::DomainError;
