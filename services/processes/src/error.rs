//! Why a processes command was refused, and the stable code each reason maps to.

use innohub_runtime::{ErrorCode, HasErrorCode};

/// A refused command. Nothing was changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProcessError {
    /// An input field broke its rule.
    #[error("{field}: {message}")]
    Invalid {
        /// The input field, in the API's spelling.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The command breaks a lifecycle rule in the record's current state.
    #[error("{0}")]
    Rule(String),
    /// The caller may see the record but not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such record (or the caller may not know of it).
    #[error("not found")]
    NotFound,
}

impl ProcessError {
    /// An invalid field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ProcessError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The input field at fault, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ProcessError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl HasErrorCode for ProcessError {
    fn code(&self) -> ErrorCode {
        match self {
            ProcessError::Invalid { .. } | ProcessError::Rule(_) => ErrorCode::BadUserInput,
            ProcessError::Forbidden(_) => ErrorCode::Forbidden,
            ProcessError::NotFound => ErrorCode::NotFound,
        }
    }
}

/// A stored event that breaks a domain rule is unreadable, never misread.
impl From<ProcessError> for innohub_runtime::DecodeError {
    fn from(e: ProcessError) -> Self {
        innohub_runtime::DecodeError::new(e)
    }
}
