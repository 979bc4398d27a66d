//! Why a funding command was refused, and the stable code each reason maps to: the reasons
//! every domain service shares ([`innohub_runtime::DomainError`]).

/// A refused funding command. Nothing was changed.
pub type FundingError = innohub_runtime::DomainError;
