//! What the benchmarks share: generated cases, and the suite program started as a child whose
//! exit code, peak memory and thread count are read.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// `n` cases made from the documented ones, each under its own prefix (`/{prefix}{k}`) so
/// templates stay distinct. No variants: the folder runs base trials only.
pub fn generate_cases(to: &Path, n: usize, prefix: &str) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cases");
    std::fs::create_dir_all(to).unwrap();
    let mut originals: Vec<PathBuf> = std::fs::read_dir(from)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    originals.sort();
    for i in 0..n {
        let text = std::fs::read_to_string(&originals[i % originals.len()]).unwrap();
        let mut case: serde_json::Value = serde_json::from_str(&text).unwrap();
        let path = case["path"].as_str().unwrap().to_owned();
        let copy = i / originals.len();
        case["path"] = format!("/{prefix}{copy}{path}").into();
        // Each copy names items of its own, as a generated suite of distinct items would: paths
        // that name one item share its links, and their trials run one after another.
        if let Some(serde_json::Value::Object(params)) = case.get_mut("params") {
            for value in params.values_mut() {
                if let Some(text) = value.as_str() {
                    *value = format!("{text}-{copy}").into();
                }
            }
        }
        std::fs::write(to.join(format!("case-{i:05}.json")), case.to_string()).unwrap();
    }
    to.to_owned()
}

/// The suite program built by this bench's profile, with none of this process's `CREATELINK_*`
/// settings: each run sets its own.
pub fn suite_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_createlink-conformance"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("CREATELINK_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// Waits for `pid`, a child of this process, and returns its exit code and resource usage (CPU
/// time of it and of the descendants it reaped; peak RSS in KiB on Linux).
pub fn wait4(pid: libc::pid_t) -> (i32, libc::rusage) {
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it in for our own child.
    let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut rusage) };
    assert_eq!(reaped, pid, "wait4 failed");
    (libc::WEXITSTATUS(status), rusage)
}

/// The highest numbers the lines of `/proc/<pid>/status` showed after each of `fields`
/// (`"Threads:"`, or `"VmHWM:"` in KiB) while the process ran, sampled every 2 ms until it exits.
///
/// For peak memory, VmHWM rather than wait4's `ru_maxrss`: that counts this process's memory at
/// fork time too (it survives exec).
pub fn status_max<const N: usize>(pid: libc::pid_t, fields: [&str; N]) -> [u64; N] {
    let mut max = [0; N];
    while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
        if status.contains("State:\tZ") {
            break;
        }
        for (field, max) in fields.iter().zip(&mut max) {
            if let Some(n) = status
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            {
                *max = n.max(*max);
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    max
}
