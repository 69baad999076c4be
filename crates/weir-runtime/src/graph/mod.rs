//! The three graphs of a job (DESIGN §1):
//! - the **stream graph** ([`stream_graph`]): one node per operator, as the API recorded it;
//! - the **job graph** ([`job_graph`]): nodes fused into chains ([`chaining`] decides where);
//! - the **execution graph** ([`execution_graph`]): every job vertex expanded to its parallel
//!   subtasks and the channels between them, ready to deploy.

pub(crate) mod chaining;
pub(crate) mod execution_graph;
pub(crate) mod job_graph;
pub(crate) mod stream_graph;
