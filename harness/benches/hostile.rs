//! `cargo bench --bench hostile`: peak memory and wall time of the suite program against
//! hostile targets, at concurrency 64. The figures are printed, never asserted.
//!
//! 1. 64 concurrent answers, each a 15 MiB schema-invalid string.
//! 2. An endless chunked body on 64 cases.
//! 3. An endless fast stream of `103 Early Hints` on the 23 cases, `CREATELINK_TIMEOUT_SECS=1`.

mod common;

use common::generate_cases;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_createlink-conformance");

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
        299,
        "1",
    );
    std::fs::remove_dir_all(&work).ok();
}

// The child is reaped by wait4, which also gives its peak memory.
#[allow(clippy::zombie_processes)]
fn run(name: &str, base: &str, cases: Option<&Path>, n: usize, timeout: &str) {
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("CREATELINK_") {
            cmd.env_remove(k);
        }
    }
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
    // wait4's ru_maxrss would count this process's memory at fork time too (it survives exec);
    // the child's own high-water mark is VmHWM, read until it exits.
    let sampler = std::thread::spawn(move || peak_kib(pid));
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it in for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4 failed");
    println!(
        "| {name} | {n} | {timeout} s | {:.2} s | {:.1} MiB | {} |",
        start.elapsed().as_secs_f64(),
        sampler.join().unwrap() as f64 / 1024.0,
        libc::WEXITSTATUS(status)
    );
}

/// The highest VmHWM `/proc/<pid>/status` showed while the process ran, in KiB.
fn peak_kib(pid: libc::pid_t) -> u64 {
    let mut max = 0;
    while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
        if let Some(kib) = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        {
            max = max.max(kib);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    max
}

/// A raw loopback target: `answer` writes to each connection, on its own thread, after the
/// request has been read. Stops with the bench process.
fn target(answer: fn(&mut TcpStream)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/beta", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                read_request(&mut stream);
                answer(&mut stream);
            });
        }
    });
    url
}

fn read_request(stream: &mut TcpStream) {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n @ 1..) = stream.read(&mut chunk) {
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return;
            }
        }
    }
}

fn huge_invalid_string(stream: &mut TcpStream) {
    // One body for every connection, so the target's own memory stays small.
    static BODY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = BODY.get_or_init(|| format!("{{\"value\": \"{}\"}}", "x".repeat(15 << 20)));
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

fn many_tiny_values(stream: &mut TcpStream) {
    static BODY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = BODY.get_or_init(|| format!("[{}0]", "0,".repeat((16 << 20) / 2 - 2)));
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
