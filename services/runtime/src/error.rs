//! Stable error codes: every error that leaves a service is mapped to exactly one of these.

use std::fmt;

/// The codes clients see in `extensions.code` (GraphQL) or the gRPC status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The input broke a rule; nothing was changed.
    BadUserInput,
    /// No valid token.
    Unauthenticated,
    /// The caller may see the record but lacks the role for the action.
    Forbidden,
    /// The record does not exist, or the caller may not know that it does.
    NotFound,
    /// A concurrent change won; retrying may succeed.
    Conflict,
    /// The caller sent too many requests; retry after the time the response names.
    RateLimited,
    /// Something broke on our side; details are in the logs, never in the response.
    Internal,
}

impl ErrorCode {
    /// The wire spelling, e.g. `BAD_USER_INPUT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a domain service refused a command, in the reasons every service shares, each with
/// its stable code. Nothing was changed. Each service names it after itself
/// (`ProcessError`, `DirectoryError`) in its `error.rs`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DomainError {
    /// An input field broke its rule.
    #[error("{field}: {message}")]
    Invalid {
        /// The input field, in the API's spelling.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The command breaks a rule in the record's current state.
    #[error("{0}")]
    Rule(String),
    /// The caller may see the record but not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such record (or the caller may not know of it).
    #[error("not found")]
    NotFound,
    /// Something the command needs failed (e.g. another service did not answer); logged,
    /// sent as "internal error".
    #[error("{0}")]
    Internal(String),
}

impl DomainError {
    /// An invalid field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The input field at fault, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            DomainError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl HasErrorCode for DomainError {
    fn code(&self) -> ErrorCode {
        match self {
            DomainError::Invalid { .. } | DomainError::Rule(_) => ErrorCode::BadUserInput,
            DomainError::Forbidden(_) => ErrorCode::Forbidden,
            DomainError::NotFound => ErrorCode::NotFound,
            DomainError::Internal(_) => ErrorCode::Internal,
        }
    }
}

/// A stored event that breaks a domain rule is unreadable, never misread.
impl From<DomainError> for crate::DecodeError {
    fn from(e: DomainError) -> Self {
        crate::DecodeError::new(e)
    }
}

/// Errors that know which stable code they map to.
pub trait HasErrorCode {
    /// The code for this error.
    fn code(&self) -> ErrorCode;
}
