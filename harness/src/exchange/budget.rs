//! The run's memory budget: how many bytes of answers may be held at once, across all cases.
//!
//! Each case may hold a small answer (one whose [`cost`] is at most [`FREE`] bytes) without
//! asking, so ordinary answers never wait. A larger one reserves, in one step, the most it may
//! come to: the [`worst`] cost of its declared length (or of the 16 MiB limit when it has
//! none). The cost counts what judging builds, which grows with the number of values more than
//! with the bytes. One step, and nothing else held from the budget while waiting, means two
//! cases can never each hold part and wait for the other's. The reservation is kept until the answer
//! is judged and dropped.
//!
//! A trial that sends twice (the repeat) holds its first answer's reservation while the second
//! answer arrives, so its first reservation is made for both, in the same one step; the second
//! answer never waits while the trial holds budget (it takes more only if it is free: see
//! [`Budget::try_reserve`]). Otherwise two repeats could each hold a first answer and wait for
//! room for their second, for ever.
//!
//! A case that waits for budget is not at fault: the time it waits does not count against its
//! deadline (see [`Pause`]). The wait itself is bounded ([`Budget::reserve`]'s `within`): past
//! it, the case fails saying that the harness's own limit, not the target, ended it. So every
//! exchange ends within twice the timeout, whatever the target and the other cases send.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::model::json_count::MAX_VALUES;

/// Bytes of answers held at once, across the run. With [`FREE`] bytes for each case in flight,
/// hyper's buffers and large blocks returned when freed (`limits::return_large_blocks`), peak
/// memory stays under 256 MiB.
pub const TOTAL: usize = 96 * 1024 * 1024;

/// How many times its bytes an answer takes while it is judged, beside its values: the bytes,
/// serde_json's copy of each string, and what the duplicate-name scan keeps of names.
pub const BYTE_COPIES: usize = 3;

/// What one parsed value may take while judged: a `serde_json::Value` (32 bytes) in its
/// parent's array or map node, a member's name, the duplicate-name scan's entry, and a schema
/// violation, which jsonschema builds for every broken value before the first is read
/// (`Validator::iter_errors` collects them all). Measured: 249,000 wrongly typed roles (a
/// 487 KiB body) took 100 MiB to judge, 413 bytes a value.
pub const PER_VALUE: usize = 480;

/// What an answer may cost without reserving: ordinary answers are a few KiB and cost ten
/// times that.
pub const FREE: usize = 256 * 1024;

/// What judging an answer of `bytes` bytes and at most `values` values costs in memory. A
/// body of more than [`MAX_VALUES`] is not parsed: then only its bytes count.
pub fn cost(bytes: usize, values: usize) -> usize {
    if values > MAX_VALUES {
        return bytes;
    }
    bytes
        .saturating_mul(BYTE_COPIES)
        .saturating_add(values.saturating_mul(PER_VALUE))
}

/// The most an answer of at most `bytes` bytes may cost: a value every two bytes (`0,`), as
/// many as are parsed. For the 16 MiB limit, 93.8 MiB: within the budget.
pub fn worst(bytes: usize) -> usize {
    bytes
        .saturating_mul(BYTE_COPIES)
        .saturating_add((bytes / 2 + 1).min(MAX_VALUES).saturating_mul(PER_VALUE))
}

#[derive(Clone)]
pub struct Budget(Arc<Semaphore>);

impl Default for Budget {
    fn default() -> Self {
        Budget(Arc::new(Semaphore::new(TOTAL)))
    }
}

impl Budget {
    /// Reserves `bytes` (an answer's [`worst`] cost), waiting until they are free, for at most
    /// `within`. Never more than the whole budget, so one trial alone always gets what it asks
    /// for. `Err` after `within` without the room.
    pub async fn reserve(
        &self,
        bytes: usize,
        within: Duration,
    ) -> Result<OwnedSemaphorePermit, TooLong> {
        let wanted = bytes.min(TOTAL);
        let permits = u32::try_from(wanted).unwrap_or(u32::MAX);
        let acquire = Arc::clone(&self.0).acquire_many_owned(permits);
        match tokio::time::timeout(within, acquire).await {
            Ok(Ok(permit)) => Ok(permit),
            // The semaphore is never closed; a closed one would never give room either.
            Ok(Err(_)) | Err(_) => Err(TooLong(within)),
        }
    }
}

impl Budget {
    /// Reserves `bytes` (at most the whole budget) if they are free now; never waits.
    pub fn try_reserve(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let permits = u32::try_from(bytes.min(TOTAL)).unwrap_or(u32::MAX);
        Arc::clone(&self.0).try_acquire_many_owned(permits).ok()
    }
}

/// The memory budget stayed full for this long: the harness's limit, not the target's fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLong(pub Duration);

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

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_reservation_waits_until_the_budget_is_free_and_pauses_the_clock() {
        runtime().block_on(async {
            let budget = Budget::default();
            let first = budget.reserve(TOTAL, Duration::from_secs(5)).await.unwrap();
            let pause = Pause::default();
            let second = budget.clone();
            let release = async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                drop(first);
            };
            let within = Duration::from_secs(5);
            let ((permit, waited), ()) =
                tokio::join!(pause.over(second.reserve(TOTAL / 12, within)), release);
            assert_eq!(permit.unwrap().num_permits(), TOTAL / 12);
            assert!(waited >= Duration::from_millis(50) && pause.total() == waited);
        });
    }

    #[test]
    fn the_worst_answer_fits_the_budget_and_a_permission_needs_none() {
        let limit = 16 * 1024 * 1024;
        assert!(worst(limit) <= TOTAL, "{}", worst(limit));
        assert!(cost(4096, 100) <= FREE);
        // Values count more than bytes: 64 KiB of `0,` is far past what its bytes suggest.
        assert!(cost(64 * 1024, 32 * 1024) > 20 * FREE);
        assert_eq!(
            cost(limit, MAX_VALUES + 1),
            limit,
            "a body not parsed costs its bytes"
        );
    }

    #[test]
    fn a_trial_never_waits_for_what_it_holds_itself() {
        runtime().block_on(async {
            let budget = Budget::default();
            let within = Duration::from_secs(5);
            // A first answer without a length reserves the whole budget…
            let first = budget.reserve(TOTAL * 2, within).await.unwrap();
            assert_eq!(first.num_permits(), TOTAL);
            // …and the same trial's second answer does not wait for more: none is free.
            assert!(budget.try_reserve(FREE).is_none());
            // Another trial waits, and gives up at its bound.
            let other = budget.reserve(FREE, Duration::from_millis(50)).await;
            assert_eq!(other.unwrap_err(), TooLong(Duration::from_millis(50)));
            drop(first);
            assert!(budget.try_reserve(FREE).is_some());
            assert!(budget.reserve(FREE, within).await.is_ok());
        });
    }
}
