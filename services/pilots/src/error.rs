//! Why a pilots command was refused, and the stable code each reason maps to: the reasons
//! every domain service shares ([`innohub_runtime::DomainError`]).

/// A refused pilots command. Nothing was changed.
pub type PilotsError = innohub_runtime::DomainError;
