//! The harness's own resource limits, so they never show up as a target's failure.
//!
//! Each request in flight holds one socket, two with the built-in server (both ends are in this
//! process). Past the descriptor limit, `connect` fails with "Too many open files", which would
//! read as a connection problem of the target. So the soft limit is first raised as far as the
//! hard limit allows, then the concurrency is capped to what fits.

/// Descriptors kept for everything else: standard streams, the runtime, files being read.
const RESERVED: u64 = 64;

/// The concurrency to run at: `wanted`, or less when the descriptor limit cannot hold it. Also
/// returns the limit when it lowered the concurrency, for the message that says so.
pub fn cap_concurrency(wanted: usize, sockets_per_request: usize) -> (usize, Option<u64>) {
    let needed = (wanted as u64)
        .saturating_mul(sockets_per_request as u64)
        .saturating_add(RESERVED);
    let limit = raise_descriptor_limit(needed);
    let fits = (limit.saturating_sub(RESERVED) / sockets_per_request.max(1) as u64).max(1);
    if (wanted as u64) <= fits {
        (wanted, None)
    } else {
        (fits as usize, Some(limit))
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the soft limit in force after.
pub fn raise_descriptor_limit_to_hard() -> u64 {
    raise_descriptor_limit(u64::MAX)
}

/// Raises the soft `RLIMIT_NOFILE` towards `needed`, up to the hard limit; returns the soft
/// limit in force afterwards.
fn raise_descriptor_limit(needed: u64) -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return u64::MAX; // No limit can be read: none is assumed, as the system would.
    }
    if limit.rlim_cur == libc::RLIM_INFINITY {
        return u64::MAX;
    }
    if limit.rlim_cur < needed {
        let raised = libc::rlimit {
            rlim_cur: needed.min(limit.rlim_max),
            rlim_max: limit.rlim_max,
        };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return raised.rlim_cur;
        }
    }
    limit.rlim_cur
}

/// Makes every allocation of 1 MiB or more its own mapping, returned to the system when freed.
///
/// glibc otherwise raises its mmap threshold to the size of the largest block freed (up to
/// 32 MiB), after which 15 MiB answers are carved from per-thread arenas that keep their pages:
/// measured, 64 judged 15 MiB answers then left 890 MiB resident although the memory budget
/// let only one be held at a time. Setting the threshold turns that adjustment off.
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Returns the free pages of every arena to the system. Judging a large answer builds its tree
/// from small blocks on its test thread's arena, and glibc keeps an arena's freed pages: with
/// 64 test threads taking turns on large answers, each arena would keep the largest tree it
/// ever held. Called after a large answer is dropped (`client::Sent`), so rarely.
pub fn return_free_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_concurrency_that_fits_is_kept() {
        assert_eq!(cap_concurrency(4, 2), (4, None));
    }
}
