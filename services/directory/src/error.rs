//! Why a directory command was refused, and the stable code each reason maps to: the
//! reasons every domain service shares ([`innohub_runtime::DomainError`]).

/// A refused directory command. Nothing was changed.
pub type DirectoryError = innohub_runtime::DomainError;
