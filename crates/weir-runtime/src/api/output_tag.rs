//! `OutputTag`: names a side output and its record type.

use std::marker::PhantomData;

/// The name and type of a side output. An operator emits to it with `ctx.output(&tag, value)`;
/// the stream of those records is `stream.get_side_output(&tag)`.
///
/// The type is part of the tag's identity: two tags with the same name and different types are
/// different side outputs.
pub struct OutputTag<T> {
    id: String,
    key: String,
    _records: PhantomData<fn() -> T>,
}

impl<T> OutputTag<T> {
    pub fn new(id: impl Into<String>) -> Self {
        let id = id.into();
        let key = format!("{id}:{}", std::any::type_name::<T>());
        OutputTag { id, key, _records: PhantomData }
    }

    /// The name given to the tag.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The identity the runtime routes by: name and type.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }
}

impl<T> Clone for OutputTag<T> {
    fn clone(&self) -> Self {
        OutputTag { id: self.id.clone(), key: self.key.clone(), _records: PhantomData }
    }
}

impl<T> std::fmt::Debug for OutputTag<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OutputTag({})", self.key)
    }
}
