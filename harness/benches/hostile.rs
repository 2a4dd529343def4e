//! `cargo bench --bench hostile`: peak memory and wall time of the suite program against
//! hostile targets, at concurrency 64. The figures are printed, never asserted.
//!
//! 1. 64 concurrent answers, each a 15 MiB schema-invalid string.
//! 2. An endless chunked body on 64 cases.
//! 3. An endless fast stream of `103 Early Hints` on the 23 cases, `CREATELINK_TIMEOUT_SECS=1`.

mod common;
// The raw loopback target of the harness's own tests (one thread a connection, the request read
// before `answer` writes).
#[path = "../tests/common/mod.rs"]
mod tests_common;

use common::{generate_cases, status_max, suite_command, wait4};
use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;
use tests_common::raw_target as target;

fn main() {
    let work = std::env::temp_dir().join(format!("createlink-hostile-{}", std::process::id()));
    let cases = generate_cases(&work.join("cases-64"), 64, "hostile");
    println!(
        "| target | cases | timeout | wall | peak RSS | exit |\n|---|---:|---:|---:|---:|---:|"
    );
    let huge = target(huge_invalid_string);
    run(
        "64 × 15 MiB schema-invalid string",
        &huge,
        Some(&cases),
        64,
        "30",
    );
    let tiny = target(many_tiny_values);
    run(
        "64 × 16 MiB of tiny values ([0,0,…])",
        &tiny,
        Some(&cases),
        64,
        "30",
    );
    let endless = target(endless_chunked);
    run("endless chunked body", &endless, Some(&cases), 64, "30");
    let flood = target(early_hints_flood);
    run(
        "endless 103 Early Hints, whole suite",
        &flood,
        None,
        580,
        "1",
    );
    std::fs::remove_dir_all(&work).ok();
}

// The child is reaped by wait4.
#[allow(clippy::zombie_processes)]
fn run(name: &str, base: &str, cases: Option<&Path>, n: usize, timeout: &str) {
    let mut cmd = suite_command();
    if let Some(dir) = cases {
        cmd.env("CREATELINK_CASES", dir);
    }
    let start = Instant::now();
    let child = cmd
        .env("CREATELINK_BASE_URL", base)
        .env("CREATELINK_TIMEOUT_SECS", timeout)
        .env("CREATELINK_CONCURRENCY", "64")
        .args(["--format", "terse"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the suite");
    let pid = child.id() as libc::pid_t;
    let sampler = std::thread::spawn(move || status_max(pid, ["VmHWM:"]));
    let (status, _) = wait4(pid);
    let [peak_kib] = sampler.join().unwrap();
    println!(
        "| {name} | {n} | {timeout} s | {:.2} s | {:.1} MiB | {status} |",
        start.elapsed().as_secs_f64(),
        peak_kib as f64 / 1024.0,
    );
}

fn huge_invalid_string(stream: &mut TcpStream) {
    // One body for every connection, so the target's own memory stays small.
    static BODY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = BODY.get_or_init(|| format!("{{\"value\": \"{}\"}}", "x".repeat(15 << 20)));
    json_answer(stream, body);
}

fn many_tiny_values(stream: &mut TcpStream) {
    static BODY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = BODY.get_or_init(|| format!("[{}0]", "0,".repeat((16 << 20) / 2 - 2)));
    json_answer(stream, body);
}

/// A 200 answer with a JSON `body`; the connection closes after it.
fn json_answer(stream: &mut TcpStream, body: &str) {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

fn endless_chunked(stream: &mut TcpStream) {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    let mut chunk = format!("{:x}\r\n", 1 << 20).into_bytes();
    chunk.extend(std::iter::repeat_n(b' ', 1 << 20));
    chunk.extend_from_slice(b"\r\n");
    if stream.write_all(head.as_bytes()).is_ok() {
        while stream.write_all(&chunk).is_ok() {}
    }
}

fn early_hints_flood(stream: &mut TcpStream) {
    let hints = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n".repeat(256);
    while stream.write_all(&hints).is_ok() {}
}
