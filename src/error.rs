//! The error type shared by the whole library, and how each kind maps to an exit status.

use std::io;

/// Everything that can go wrong while describing, evaluating or writing a schedule.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad input from the user: an unknown name, a malformed value or expression, an
    /// unreadable file. The message is complete and names the offending input.
    #[error("{0}")]
    Input(String),
    /// The input was valid but the result is a failure the user asked to hear about
    /// (a failed `check` assertion, a diverging training run).
    #[error("{0}")]
    Failed(String),
    /// Writing the output failed.
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl Error {
    /// Shorthand for [`Error::Input`].
    pub fn input(message: impl Into<String>) -> Self {
        Error::Input(message.into())
    }

    /// True when the error is a write into a closed pipe (`lrsched csv | head`), which
    /// ends the program quietly and successfully.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// The process exit status this error maps to: 0 for a closed pipe, 1 for a failure
    /// the user asked to be told about, 2 for bad input and anything else.
    pub fn exit_status(&self) -> u8 {
        match self {
            _ if self.is_broken_pipe() => 0,
            Error::Failed(_) => 1,
            Error::Input(_) | Error::Io(_) => 2,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
