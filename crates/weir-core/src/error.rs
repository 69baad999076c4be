//! weir-core's error type, shared by the traits defined here.
//!
//! Errors are classified for failover (see [`ErrorKind`]): the job manager decides between
//! restarting and failing from the kind, never from the message.

use std::fmt;

/// Where an error comes from, which decides what failover does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The user's code or data: a panicking function, a malformed record, a bad configuration.
    User,
    /// Something outside weir: a file, a network peer, a broker.
    External,
    /// A bug or broken invariant inside weir.
    Internal,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::User => "user",
            ErrorKind::External => "external",
            ErrorKind::Internal => "internal",
        })
    }
}

/// An error raised by an operator, a source, a sink or the configuration.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A user function returned an error.
    #[error("{0}")]
    User(Box<dyn std::error::Error + Send + Sync>),
    /// A configuration value is missing or malformed; the message names the key and the value.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// An I/O error, with what was being done and where.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A source or sink could not go on; the message names the connector and the place.
    #[error("{connector}: {message}")]
    Connector { connector: &'static str, message: String },
    /// Input data is malformed (a record a source cannot decode); the message names where.
    /// Restarting does not help: it is classed as a user error.
    #[error("{connector}: malformed input: {message}")]
    InvalidData { connector: &'static str, message: String },
    /// A key could not be serialized for hashing into a key group.
    #[error("cannot serialize a key for its key group: {0}")]
    KeySerialization(String),
    /// A window assigner, trigger or evictor was defined with arguments it cannot work with
    /// (a zero size, an offset as large as the slide, ...); `what` names the definition.
    #[error("{what}: {message}")]
    InvalidWindow { what: &'static str, message: String },
    /// A record cannot be given a window: event-time windows need a timestamp and the record has
    /// none, or its window would reach past the range of timestamps (`i64` milliseconds).
    #[error("{assigner}: {message}")]
    Unassignable { assigner: &'static str, message: String },
    /// The state a checkpoint or savepoint holds for operator `uid` cannot be read by the
    /// operator that has this uid now (another operator or other state types under the same
    /// uid, or a damaged file).
    #[error(
        "the state of operator '{uid}' in snapshot {checkpoint_id} cannot be read by this job's operator with that uid: \
         {problem} (if the uid now names a different operator, give it a new uid; to drop the old state, restore \
         with --allow-non-restored-state after removing or renaming the operator)"
    )]
    IncompatibleState { uid: String, checkpoint_id: u64, problem: String },
    /// The job was cancelled while this work was under way.
    #[error("cancelled")]
    Cancelled,
    /// A broken invariant inside weir.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Wraps any error a user function returns.
    pub fn user(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::User(error.into())
    }

    /// An I/O error with its context (what was done, on which path).
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }

    /// `error`, raised while restoring operator `uid` from snapshot `checkpoint_id`, as an
    /// [`Error::IncompatibleState`]; cancellation passes through unchanged.
    pub fn incompatible_state(uid: &str, checkpoint_id: u64, error: Error) -> Self {
        let problem = match error {
            Error::Cancelled | Error::IncompatibleState { .. } => return error,
            Error::Internal(problem) => problem,
            other => other.to_string(),
        };
        Error::IncompatibleState { uid: uid.to_string(), checkpoint_id, problem }
    }

    /// How failover should treat this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::User(_)
            | Error::Config(_)
            | Error::InvalidData { .. }
            | Error::KeySerialization(_)
            | Error::InvalidWindow { .. }
            | Error::Unassignable { .. }
            | Error::IncompatibleState { .. } => ErrorKind::User,
            Error::Io { .. } | Error::Connector { .. } => ErrorKind::External,
            Error::Cancelled | Error::Internal(_) => ErrorKind::Internal,
        }
    }
}

/// The result of fallible work in weir-core's traits.
pub type Result<T, E = Error> = std::result::Result<T, E>;
