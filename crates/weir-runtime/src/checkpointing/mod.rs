//! Checkpoints in the running job (DESIGN §7): the barrier protocol on the subtasks and its
//! driver on the job manager.
//!
//! - [`alignment`]: which input channels a subtask may read while a barrier is being aligned
//!   (exactly-once blocks, at-least-once does not), as pure logic;
//! - [`messages`]: commands from the job manager to subtasks and their reports back;
//! - [`task_side`]: what a subtask does when a checkpoint reaches it — the synchronous snapshot
//!   of its chain, forwarding the barrier, and handing the rest to the snapshot thread;
//! - [`snapshot_thread`]: the asynchronous part — producing deferred bytes, writing state files
//!   to checkpoint storage — and the acknowledgement with the files' handles;
//! - [`job_side`]: the job manager's driver of `weir-checkpoint`'s coordinator: it ticks it,
//!   feeds it acknowledgements, and carries out its actions (trigger sources, write `_metadata`,
//!   notify, delete);
//! - [`overview`]: what the job's clients see of its checkpoints while it runs;
//! - [`restore`]: turning a loaded checkpoint into what each operator instance and source
//!   subtask starts from;
//! - [`restore_check`]: the dry run of a restore, by the same rules, for
//!   `weir checkpoints check-restore`.
//!
//! The protocol's decisions are not made here: they are `weir-checkpoint`'s. This module only
//! moves messages and bytes between the coordinator, the subtasks and the storage.

pub(crate) mod alignment;
pub(crate) mod job_side;
pub(crate) mod messages;
pub(crate) mod overview;
pub(crate) mod restore;
pub(crate) mod restore_check;
pub(crate) mod snapshot_thread;
pub(crate) mod task_side;
