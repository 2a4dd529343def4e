//! The suite as a program, run as a user or CI runs it: the binary itself, and cargo-nextest.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_createlink-conformance");

/// Removes every `CREATELINK_*` variable of this process from `cmd`'s environment: a test's
/// verdict must not depend on what the person running the tests has exported.
pub fn clean(cmd: &mut Command) -> &mut Command {
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("CREATELINK_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// The program with a clean `CREATELINK_*` environment, `CREATELINK_TOKEN=token`, plus `vars`.
pub fn run(token: &str, vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    clean(&mut cmd)
        .env("CREATELINK_TOKEN", token)
        .envs(vars.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

/// The program with a clean `CREATELINK_*` environment and no token, plus `vars`.
pub fn run_without_token(vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    clean(&mut cmd)
        .envs(vars.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

/// cargo-nextest, run from inside a test. Cargo's variables for this test process are removed:
/// with them, the inner cargo would see a changed environment and rebuild crates.
pub fn nextest(token: &str, vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO"));
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        let cargo_var = k.starts_with("CARGO_") && k != "CARGO_HOME" && k != "CARGO_TARGET_DIR";
        let rust_var = k.starts_with("RUST") && !k.starts_with("RUSTUP");
        if cargo_var || rust_var || k == "OUT_DIR" || k.starts_with("CREATELINK_") {
            cmd.env_remove(&k);
        }
    }
    let out = cmd
        .env("CREATELINK_TOKEN", token)
        .envs(vars.iter().copied())
        .current_dir(workspace())
        .arg("nextest")
        .args(args)
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("no such command"),
        "these tests need cargo-nextest: cargo install cargo-nextest --locked"
    );
    out
}

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Exit status, stdout and stderr, for assertion messages.
pub fn shown(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A fresh folder of this test's own, removed when the returned guard drops.
pub fn temp_dir(name: &str) -> createlink::load::files::TempDir {
    createlink::load::files::TempDir::new(name)
}

/// The peak resident memory of process `pid` so far, in KiB (`VmHWM` in /proc), if it runs.
pub fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    line.split_whitespace().next()?.parse().ok()
}
