//! [`RestClient`]: a small blocking client of the REST API, for the `weir` CLI verbs (`list`,
//! `cancel`, `stop`, `savepoint`) and for tests. Typed: each call returns the shapes of
//! [`crate::json`], and an error answer becomes [`RestError::Api`] with the server's message.
//!
//! It speaks plain HTTP/1.1, one connection per request, with hyper's low-level client on a
//! single-threaded tokio runtime of its own (axum already compiles both, so the client adds no
//! crate). It is **not** a general HTTP client: no TLS, no redirects, no retries; the CLI
//! polls with it. Its I/O: TCP connections to the one address it was given.

use crate::error::{RestError, Result};
use crate::json::{
    CheckpointConfigInfo, CheckpointingStatistics, ErrorResponse, JobDetails, JobIdsWithStatus, JobsOverview,
    SavepointInfo, SavepointTriggerRequest, StopWithSavepointRequest, TriggerResponse,
};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// How long one request may take, connecting included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A client of the REST API at one address; see the module docs.
#[derive(Debug)]
pub struct RestClient {
    /// `host:port`.
    address: String,
    runtime: tokio::runtime::Runtime,
    timeout: Duration,
}

impl RestClient {
    /// A client of the API at `address` (`host:port`). Connects only when asked something.
    pub fn new(address: impl Into<String>) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(RestError::Runtime)?;
        Ok(RestClient { address: address.into(), runtime, timeout: REQUEST_TIMEOUT })
    }

    /// The address it talks to (`host:port`).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// `GET /jobs`.
    pub fn job_ids(&self) -> Result<JobIdsWithStatus> {
        self.call(Method::GET, "/jobs", None::<&()>)
    }

    /// `GET /jobs/overview`: every job with name, status and times.
    pub fn jobs(&self) -> Result<JobsOverview> {
        self.call(Method::GET, "/jobs/overview", None::<&()>)
    }

    /// `GET /jobs/:id`.
    pub fn job(&self, job_id: &str) -> Result<JobDetails> {
        self.call(Method::GET, &format!("/jobs/{}", segment(job_id)), None::<&()>)
    }

    /// `PATCH /jobs/:id?mode=cancel`: asks for the job to be cancelled; returns at once.
    pub fn cancel(&self, job_id: &str) -> Result<()> {
        let _: serde_json::Value =
            self.call(Method::PATCH, &format!("/jobs/{}?mode=cancel", segment(job_id)), None::<&()>)?;
        Ok(())
    }

    /// `GET /jobs/:id/checkpoints`.
    pub fn checkpoints(&self, job_id: &str) -> Result<CheckpointingStatistics> {
        self.call(Method::GET, &format!("/jobs/{}/checkpoints", segment(job_id)), None::<&()>)
    }

    /// `GET /jobs/:id/checkpoints/config`.
    pub fn checkpoint_config(&self, job_id: &str) -> Result<CheckpointConfigInfo> {
        self.call(Method::GET, &format!("/jobs/{}/checkpoints/config", segment(job_id)), None::<&()>)
    }

    /// `POST /jobs/:id/savepoints`: returns the request id to poll with.
    pub fn trigger_savepoint(&self, job_id: &str, target_directory: Option<&str>, cancel_job: bool) -> Result<String> {
        let body = SavepointTriggerRequest {
            target_directory: target_directory.map(str::to_string),
            cancel_job,
            format_type: None,
        };
        let answer: TriggerResponse =
            self.call(Method::POST, &format!("/jobs/{}/savepoints", segment(job_id)), Some(&body))?;
        Ok(answer.request_id)
    }

    /// `POST /jobs/:id/stop`: returns the request id to poll with.
    pub fn stop_with_savepoint(&self, job_id: &str, target_directory: Option<&str>, drain: bool) -> Result<String> {
        let body = StopWithSavepointRequest {
            target_directory: target_directory.map(str::to_string),
            drain,
            format_type: None,
        };
        let answer: TriggerResponse =
            self.call(Method::POST, &format!("/jobs/{}/stop", segment(job_id)), Some(&body))?;
        Ok(answer.request_id)
    }

    /// `GET /jobs/:id/savepoints/:triggerid`.
    pub fn savepoint_status(&self, job_id: &str, request_id: &str) -> Result<SavepointInfo> {
        let path = format!("/jobs/{}/savepoints/{}", segment(job_id), segment(request_id));
        self.call(Method::GET, &path, None::<&()>)
    }

    /// One request with an optional JSON body; the answer parsed as `T`, or the error answer.
    fn call<T: DeserializeOwned>(&self, method: Method, path: &str, body: Option<&impl Serialize>) -> Result<T> {
        let request_text = format!("{method} {path}");
        let protocol = |message: String| RestError::Protocol {
            address: self.address.clone(),
            request: request_text.clone(),
            message,
        };
        let body = match body {
            Some(body) => serde_json::to_vec(body).map_err(|e| protocol(format!("cannot encode the request: {e}")))?,
            None => Vec::new(),
        };
        let (status, answer) = self.send(method, path, body, &request_text)?;
        if status.is_success() {
            return serde_json::from_slice(&answer).map_err(|e| {
                protocol(format!("{e} in {}", String::from_utf8_lossy(&answer).chars().take(200).collect::<String>()))
            });
        }
        let message = match serde_json::from_slice::<ErrorResponse>(&answer) {
            Ok(error) if !error.errors.is_empty() => error.errors.join("; "),
            _ => format!("{status} from {request_text}: {}", String::from_utf8_lossy(&answer).trim()),
        };
        Err(RestError::Api { address: self.address.clone(), status: status.as_u16(), message })
    }

    /// Sends one request on a new connection and reads the whole answer.
    fn send(&self, method: Method, path: &str, body: Vec<u8>, request_text: &str) -> Result<(StatusCode, Bytes)> {
        let address = self.address.clone();
        let protocol = |message: String| RestError::Protocol {
            address: address.clone(),
            request: request_text.to_string(),
            message,
        };
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.address)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| protocol(format!("cannot build the request: {e}")))?;
        let exchange = async {
            let stream = tokio::net::TcpStream::connect(&self.address)
                .await
                .map_err(|source| RestError::Unreachable { address: self.address.clone(), source })?;
            let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| protocol(e.to_string()))?;
            // The connection is driven while the request is; it ends with the exchange.
            let driver = tokio::spawn(connection);
            let response = sender.send_request(request).await.map_err(|e| protocol(e.to_string()))?;
            let status = response.status();
            let answer = response.into_body().collect().await.map_err(|e| protocol(e.to_string()))?.to_bytes();
            driver.abort();
            Ok((status, answer))
        };
        self.runtime.block_on(async {
            tokio::time::timeout(self.timeout, exchange).await.unwrap_or_else(|_| {
                Err(RestError::Timeout {
                    address: self.address.clone(),
                    request: request_text.to_string(),
                    seconds: self.timeout.as_secs(),
                })
            })
        })
    }
}

/// An id as one path segment: ids are hex digits, but a user may type anything, and it must
/// reach the server as the one segment it is (for an answer naming it), not as a path.
fn segment(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_stay_one_path_segment() {
        assert_eq!(super::segment("0123abcd"), "0123abcd");
        assert_eq!(super::segment("../x y"), "..%2Fx%20y");
    }
}
