//! The deadline guard: no write starts too close to the invocation's deadline,
//! and a running one is cut before it, so the answer still goes out.

use std::time::Duration;

use tokio::time::Instant;
use tracing::Instrument as _;

use crate::record::{Record, Written};

use super::{WriteError, Writer};

/// No write starts with less than this left before the invocation's deadline.
pub const START_RESERVE: Duration = Duration::from_millis(1000);
/// A running write is cut this long before the deadline, so the answer still goes out.
pub const FINISH_RESERVE: Duration = Duration::from_millis(300);

impl Writer {
    /// Writes one record unless the deadline is near, and cuts it short before
    /// the deadline, so the answer still goes out and nothing is lost silently.
    /// `source_owner` is the lambda account, expected to own source buckets.
    pub async fn write_before(
        &self,
        record: Record,
        deadline: Instant,
        source_owner: Option<&str>,
    ) -> Result<Written, WriteError> {
        if Instant::now() + self.settings.start_reserve >= deadline {
            return Err(WriteError::DeadlineNear {
                reserve_ms: self.settings.start_reserve.as_millis(),
            });
        }
        let cut = deadline
            .checked_sub(self.settings.finish_reserve)
            .unwrap_or(deadline);
        let span = tracing::info_span!("write", id = %record.id);
        match tokio::time::timeout_at(cut, self.write(record, source_owner).instrument(span)).await
        {
            Ok(result) => result,
            Err(_) => Err(WriteError::TimedOut),
        }
    }
}
