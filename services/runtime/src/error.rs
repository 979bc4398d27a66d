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

/// Errors that know which stable code they map to.
pub trait HasErrorCode {
    /// The code for this error.
    fn code(&self) -> ErrorCode;
}
