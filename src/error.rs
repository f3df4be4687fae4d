//! The library's one error type.
//!
//! Every error names what it is about: a file, a line of a CSV, a model file and what is wrong with
//! it. The binary prints these with their whole context chain and maps them to exit codes.

use std::path::PathBuf;

/// Errors raised by the slant library. Non-exhaustive: a later version may add kinds, so a
/// match needs a catch-all arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O failure on a named file.
    #[error("{path}: {err}")]
    Io { path: PathBuf, err: std::io::Error },

    /// A data file (target, lexicon, residue list, CSV) that does not parse.
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: u64,
        message: String,
    },

    /// A model file that is not a usable slant model.
    #[error("{path}: {message}")]
    Model { path: PathBuf, message: String },

    /// Options or data that cannot work together (for example one class in a label column).
    #[error("{0}")]
    Invalid(String),

    /// An error reported by linfa's traits.
    #[error(transparent)]
    Linfa(#[from] linfa::Error),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, err: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            err,
        }
    }

    pub(crate) fn parse(path: impl Into<PathBuf>, line: u64, message: impl Into<String>) -> Self {
        Error::Parse {
            path: path.into(),
            line,
            message: message.into(),
        }
    }

    pub(crate) fn model(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Model {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Shorthand for results of this library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
