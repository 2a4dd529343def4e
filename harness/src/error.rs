//! The one error type of setting a run up: whatever stops a run before any request is sent. The
//! program maps every one of them to exit code 2, in one place (`suite::main`).

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupError {
    /// A variable's value is wrong; the message never quotes a secret.
    Variable {
        variable: &'static str,
        message: String,
    },
    /// A case, variant or schema file, or a folder of them, is wrong.
    File { file: PathBuf, message: String },
    /// The harness's own machinery cannot start: the async runtime or the HTTP client.
    Start { what: &'static str, reason: String },
}

impl SetupError {
    /// Exit code of a run stopped by a setup error.
    pub const EXIT_CODE: u8 = 2;

    /// A variable's error.
    pub fn new(variable: &'static str, message: impl Into<String>) -> Self {
        SetupError::Variable {
            variable,
            message: message.into(),
        }
    }

    /// The variable at fault, for a variable's error.
    pub fn variable(&self) -> Option<&'static str> {
        match self {
            SetupError::Variable { variable, .. } => Some(variable),
            _ => None,
        }
    }

    /// What is wrong, without the variable, file or machinery it is about.
    pub fn message(&self) -> &str {
        match self {
            SetupError::Variable { message, .. } | SetupError::File { message, .. } => message,
            SetupError::Start { reason, .. } => reason,
        }
    }
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::Variable { variable, message } => write!(f, "{variable}: {message}"),
            SetupError::File { file, message } => write!(f, "{}: {message}", file.display()),
            SetupError::Start { what, reason } => write!(f, "cannot start {what}: {reason}"),
        }
    }
}

impl std::error::Error for SetupError {}
