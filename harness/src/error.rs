//! The one error type of setting a run up: whatever stops a run before any request is sent. The
//! program maps every one of them to exit code 2, in one place (`suite::main`).

use std::fmt;
use std::path::PathBuf;

use crate::files::FileError;
use crate::template::{ACTION, SegmentFault, TemplateError, TemplateFault};

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

// The words of the leaves' faults that setup errors carry: a file's (`files`) and a path
// template's (`template`).

impl std::error::Error for FileError {}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Io(reason) => write!(f, "cannot read: {reason}"),
            FileError::NotAFile(kind) => write!(f, "is {kind}, not a regular file"),
            FileError::TooLarge { cap } => {
                write!(f, "is larger than {} KiB; not read further", cap / 1024)
            }
            FileError::NotUtf8 => write!(f, "is not UTF-8 text"),
        }
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TemplateFault::*;
        let path = &self.path;
        match &self.fault {
            NoLeadingSlash => write!(f, "path {path:?} must start with '/'"),
            EmptySegment => write!(f, "path {path:?} has an empty segment"),
            Unclosed(part) => write!(
                f,
                "path {path:?}: segment {part:?} opens '{{' but does not close it"
            ),
            BadName(part) => write!(
                f,
                "path {path:?}: parameter {part:?} must be {{name}} with an ASCII letter then \
                 letters or digits"
            ),
            Twice(name) => write!(f, "path {path:?}: parameter {{{name}}} appears twice"),
            DotSegment(part) => write!(
                f,
                "path {path:?}: segment {part:?} is a dot-segment, which URLs resolve away (the \
                 request would not go to this path)"
            ),
            BadLiteral(part) => write!(
                f,
                "path {path:?}: segment {part:?} must be a literal (letters, digits and \
                 -._~!$&'()*+,;=:@) or a whole {{parameter}}"
            ),
            NoAction => write!(f, "path {path:?} must end in /{ACTION}"),
        }
    }
}

impl fmt::Display for SegmentFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SegmentFault::Empty => write!(f, "is empty; a path segment needs a value"),
            SegmentFault::DotSegment => write!(
                f,
                "is a dot-segment ('.' or '..'), which URLs resolve away instead of sending"
            ),
        }
    }
}
