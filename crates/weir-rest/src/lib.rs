//! # weir-rest: the job manager's REST API and its client
//!
//! The control plane of a running job, over HTTP with Flink's paths and JSON shapes, so that a
//! Flink user's `curl` habits and scripts carry over:
//!
//! | request | answer |
//! |---|---|
//! | `GET /jobs` | `{"jobs": [{"id", "status"}]}` |
//! | `GET /jobs/overview` | `{"jobs": [<job details>]}` |
//! | `GET /jobs/:id` | `jid`, `name`, `state`, `start-time`, `end-time` (-1 while running), `duration` |
//! | `PATCH /jobs/:id[?mode=cancel]` | 202 `{}`: the job is being cancelled |
//! | `GET /jobs/:id/checkpoints` | `counts`, `latest`, `history` |
//! | `GET /jobs/:id/checkpoints/config` | `mode`, `interval`, `timeout`, ... (404 without checkpointing) |
//! | `POST /jobs/:id/savepoints` `{"target-directory", "cancel-job"}` | 202 `{"request-id"}` |
//! | `POST /jobs/:id/stop` `{"targetDirectory", "drain"}` | 202 `{"request-id"}` |
//! | `GET /jobs/:id/savepoints/:triggerid` | `{"status": {"id"}, "operation": {"location" \| "failure-cause"}}` |
//!
//! Errors are `{"errors": ["message"]}`: 400 for a malformed id or body or a savepoint without
//! a directory, 404 for an unknown job or request id, 409 when the job's state forbids the
//! request (ended, or not checkpointing).
//!
//! - [`server`]: [`RestServer`], the API on a thread of its own, and the address it binds
//!   (`rest.bind-address`, `rest.port`);
//! - [`registry`]: [`JobRegistry`], the jobs it serves;
//! - [`routes`]: one module per resource;
//! - [`json`]: the request and response shapes, shared by server and client;
//! - [`client`]: [`RestClient`], a blocking client for the CLI;
//! - [`error`](mod@error): [`RestError`].
//!
//! DESIGN §2 places the REST API in the `weir` binary's crate; it is a crate of its own so that
//! a job binary of its own (`StreamExecutionEnvironment::from_args`) can serve it too, and so
//! that the API is tested without the CLI. `weir` depends on it, it on `weir-runtime`.
//!
//! It is **not** the job manager (it asks [`weir_runtime::JobClient`]s, which decide nothing),
//! nor authenticated or encrypted: it binds 127.0.0.1 by default, and whoever reaches it can
//! cancel jobs. Its I/O: one TCP listener (server) or outgoing connections (client).

pub mod client;
pub mod error;
pub mod json;
pub mod registry;
pub mod routes;
pub mod server;

pub use client::RestClient;
pub use error::{RestError, Result};
pub use registry::{Awaited, JobRegistry};
pub use server::{RestServer, bind_address, resolve};
