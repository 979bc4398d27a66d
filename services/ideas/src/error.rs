//! Why an ideas command was refused, and the stable code each reason maps to: the reasons
//! every domain service shares ([`innohub_runtime::DomainError`]).

/// A refused ideas command. Nothing was changed.
pub type IdeasError = innohub_runtime::DomainError;
