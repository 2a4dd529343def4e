//! The run's memory budget: how many bytes of answers may be held at once, across all cases.
//!
//! Each case may hold a small answer ([`FREE`] bytes) without asking, so ordinary answers never
//! wait. A larger one reserves, in one step, what it may come to: its declared length (or the
//! 16 MiB limit when it has none), [`FACTOR`] times over, for what judging builds from it. One
//! step, and nothing else held from the budget while waiting, means two cases can never each
//! hold part and wait for the other's. The reservation is kept until the answer
//! is judged and dropped.
//!
//! A case that waits for budget is not at fault: the time it waits does not count against its
//! deadline (see [`Pause`]), so the harness's own limit never fails a case. It only makes the
//! run slower when many huge answers arrive at once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Bytes of answers held at once, across the run. With [`FREE`] bytes for each case in flight,
/// hyper's buffers and large blocks returned when freed (`limits::return_large_blocks`), peak
/// memory stays under 256 MiB.
pub const TOTAL: usize = 96 * 1024 * 1024;

/// How many times its own size an answer may take while it is judged: its bytes, serde_json's
/// copy of each string, and a parsed tree of at most `verdict::MAX_VALUES` values (about 80 MiB
/// at worst). Six times 16 MiB is the whole budget: the largest answers are judged one at a time.
pub const FACTOR: usize = 6;

/// What an answer may hold without reserving: ordinary answers are a few KiB.
pub const FREE: usize = 256 * 1024;

#[derive(Clone)]
pub struct Budget(Arc<Semaphore>);

impl Default for Budget {
    fn default() -> Self {
        Budget(Arc::new(Semaphore::new(TOTAL)))
    }
}

impl Budget {
    /// Reserves room for an answer of at most `bytes` bytes and its parsed tree, waiting until
    /// it is free. Never more than the whole budget, so one answer alone always gets it.
    pub async fn reserve(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let wanted = bytes.saturating_mul(FACTOR).min(TOTAL);
        let permits = u32::try_from(wanted).unwrap_or(u32::MAX);
        // The semaphore is never closed, so this only fails if it were.
        Arc::clone(&self.0).acquire_many_owned(permits).await.ok()
    }
}

/// Time an exchange spent waiting for budget, shared with the thread that keeps its deadline.
#[derive(Default)]
pub struct Pause(Mutex<(Duration, Option<Instant>)>);

impl Pause {
    /// Runs `wait`, counting its time as paused; returns how long it took.
    pub async fn over<T>(&self, wait: impl Future<Output = T>) -> (T, Duration) {
        let start = Instant::now();
        self.set(|p| p.1 = Some(start));
        let value = wait.await;
        let took = start.elapsed();
        self.set(|p| *p = (p.0 + took, None));
        (value, took)
    }

    /// The time paused so far, including a wait still going on.
    pub fn total(&self) -> Duration {
        let (done, since) = *self.0.lock().unwrap_or_else(|e| e.into_inner());
        done + since.map_or(Duration::ZERO, |s| s.elapsed())
    }

    fn set(&self, f: impl FnOnce(&mut (Duration, Option<Instant>))) {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reservation_waits_until_the_budget_is_free_and_pauses_the_clock() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let budget = Budget::default();
            let first = budget.reserve(TOTAL).await.unwrap();
            let pause = Pause::default();
            let second = budget.clone();
            let release = async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                drop(first);
            };
            let ((permit, waited), ()) =
                tokio::join!(pause.over(second.reserve(TOTAL / 12)), release);
            assert_eq!(permit.unwrap().num_permits(), TOTAL / 12 * FACTOR);
            assert!(waited >= Duration::from_millis(50) && pause.total() == waited);
        });
    }
}
