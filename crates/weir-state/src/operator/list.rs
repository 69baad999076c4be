//! [`OperatorListState`]: a subtask's list of elements (split or union).

/// A subtask's operator list state.
pub struct OperatorListState<'a, V> {
    list: &'a mut Vec<V>,
}

impl<'a, V> OperatorListState<'a, V> {
    pub(crate) fn new(list: &'a mut Vec<V>) -> Self {
        OperatorListState { list }
    }

    pub fn get(&self) -> &[V] {
        self.list
    }

    pub fn add(&mut self, value: V) {
        self.list.push(value);
    }

    /// Replaces the list.
    pub fn update(&mut self, values: Vec<V>) {
        *self.list = values;
    }

    /// Removes the elements and returns them.
    pub fn take(&mut self) -> Vec<V> {
        std::mem::take(self.list)
    }

    pub fn clear(&mut self) {
        self.list.clear();
    }
}
