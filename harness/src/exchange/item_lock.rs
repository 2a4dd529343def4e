//! Under nextest every trial is a process of its own, so the in-process schedule cannot order
//! trials that share an item. There, a trial that asks for a link holds an exclusive `flock(2)`
//! on a file named after the target and the item, from its request to its cleanup: trials on
//! one item run one at a time, in whatever order nextest starts them, and each gets a fresh link
//! where the target deletes. The lock goes with the process, so a killed trial frees it.

use std::fs::File;
use std::os::fd::AsRawFd;

/// The lock of `item` on `target`, held until dropped; `None` when no lock file can be made
/// (the trial then runs unlocked, as it would in one process without a schedule).
pub fn hold(target: &str, item: &str) -> Option<File> {
    let hash = format!("{target} {item}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    let file = std::env::temp_dir().join(format!("createlink-item-{hash:016x}.lock"));
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(file)
        .ok()?;
    // SAFETY: flock on a descriptor this function owns; it blocks until the lock is free.
    let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
    (locked == 0).then_some(file)
}
