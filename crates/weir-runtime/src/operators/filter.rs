//! `filter`: keeps the records the predicate accepts, in place.

use std::sync::Arc;
use weir_core::operator::OneInputOperator;
use weir_core::record::Batch;
use weir_core::{Output, Result};

pub(crate) struct FilterOperator<F> {
    pub(crate) predicate: Arc<F>,
}

impl<T, F> OneInputOperator<T, T> for FilterOperator<F>
where
    F: Fn(&T) -> bool + Send + Sync,
{
    fn process_batch(&mut self, mut batch: Batch<T>, out: &mut Output<T>) -> Result<()> {
        let keep = &*self.predicate;
        batch.retain(|record| keep(&record.value));
        out.emit_batch(batch);
        Ok(())
    }
}
