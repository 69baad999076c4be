//! The built-in operators, one per file. Each implements a typed operator trait of `weir-core`;
//! the API wraps closures and functions in them, and the task layer erases their types.

pub(crate) mod broadcast_process;
pub(crate) mod co_process;
pub(crate) mod filter;
pub(crate) mod flat_map;
pub(crate) mod keyed;
pub(crate) mod keyed_broadcast_process;
pub(crate) mod keyed_broadcast_snapshot;
pub(crate) mod keyed_snapshot;
pub(crate) mod map;
pub(crate) mod operator_state;
pub(crate) mod process;
pub(crate) mod reduce;
pub(crate) mod sink;
pub(crate) mod timestamps_watermarks;
pub(crate) mod window;
