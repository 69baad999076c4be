//! [`RestError`]: everything that goes wrong serving the REST API or calling it, each variant
//! naming the address (and for an answer of the server, its status and message).
//!
//! The server's own error *answers* (`{"errors": [...]}` with a status) are not errors of this
//! crate: they are built in [`crate::routes`]. A client receiving one gets [`RestError::Api`].

use std::io;

/// A result of this crate.
pub type Result<T, E = RestError> = std::result::Result<T, E>;

/// What went wrong serving or calling the REST API.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// The port is taken (another `weir run`, or another program).
    #[error(
        "the REST API cannot listen on {address}: the address is already in use; \
         pick another port with -D rest.port=<port> (-D rest.port=0 picks any free port)"
    )]
    AddressInUse { address: String, source: io::Error },
    /// Binding failed for another reason (no such interface, a privileged port, ...).
    #[error("the REST API cannot listen on {address}: {source}")]
    Bind { address: String, source: io::Error },
    /// `rest.bind-address` or `rest.port` has a malformed value (the error names the key).
    #[error(transparent)]
    Config(weir_core::Error),
    /// `rest.bind-address` / `-m` names no address that resolves.
    #[error("cannot resolve the REST address '{address}': {message}")]
    Address { address: String, message: String },
    /// The server's or the client's tokio runtime could not be built (threads, file descriptors).
    #[error("cannot start the REST API's runtime: {0}")]
    Runtime(#[source] io::Error),
    /// Nothing answers at the address.
    #[error(
        "no job manager reachable at {address}: {source} (`weir run` serves the REST API only while its job runs; \
         give its address with -m HOST:PORT)"
    )]
    Unreachable { address: String, source: io::Error },
    /// The server answered with an error status; `message` is its `errors`, joined.
    #[error("{message}")]
    Api { address: String, status: u16, message: String },
    /// The server's answer was not what the API promises (not JSON, missing fields, a broken
    /// connection midway).
    #[error("unexpected answer from the job manager at {address} to {request}: {message}")]
    Protocol { address: String, request: String, message: String },
    /// The server took longer than the client waits.
    #[error("the job manager at {address} did not answer {request} within {seconds} s")]
    Timeout { address: String, request: String, seconds: u64 },
}

impl RestError {
    /// The HTTP status of an error answer, if the server gave one.
    pub fn status(&self) -> Option<u16> {
        match self {
            RestError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the server said it does not know the job or the request (404).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether nothing answered at the address (the job manager is not, or no longer, there).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, RestError::Unreachable { .. })
    }
}
