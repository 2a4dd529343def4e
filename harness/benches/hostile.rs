//! `cargo bench --bench hostile`: peak memory and wall time of the suite program against
//! hostile targets, at concurrency 64. The figures are printed, never asserted.
//!
//! 1. 64 concurrent answers, each a 15 MiB schema-invalid string.
//! 2. An endless chunked body on 64 cases.
//! 3. An endless fast stream of `103 Early Hints` on the 23 cases, `CREATELINK_TIMEOUT_SECS=1`.
//! 4. The cases of issue 18, each its own row: a valid answer padded to 300 KB and sent chunked
//!    (the repeat hung on it), 10k violations on every path, 15 MiB Graph error messages, 126
//!    nested long names in 16 MiB, an object of 500k members (and one of 45k, under the value
//!    cap, which is parsed), a flood on one path (the others
//!    answered by `serve`), and `serve` itself under 2000 slow clients at `ulimit -n 256`.
//! 5. `serve` against the costliest requests within its limits, with a good request meanwhile.
//!
//! `cargo bench --bench hostile -- serve` runs the rows about `serve` alone.

mod common;
// The raw loopback target of the harness's own tests (one thread a connection, the request read
// before `answer` writes).
#[path = "../tests/common/mod.rs"]
mod tests_common;

use common::{generate_cases, status_max, suite_command, wait4};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tests_common::front::flooding_front;
use tests_common::raw_target as target;

fn main() {
    // `cargo bench --bench hostile -- serve`: the rows about `serve` alone.
    if std::env::args().skip(1).any(|a| a == "serve") {
        println!(
            "| target | cases | timeout | wall | peak RSS | exit | failed (elsewhere) |\n\
             |---|---:|---:|---:|---:|---:|---:|"
        );
        serve_under_slow_clients();
        serve_costly_requests();
        return;
    }
    let work = std::env::temp_dir().join(format!("createlink-hostile-{}", std::process::id()));
    let cases = generate_cases(&work.join("cases-64"), 64, "hostile");
    println!(
        "| target | cases | timeout | wall | peak RSS | exit | failed (elsewhere) |\n\
         |---|---:|---:|---:|---:|---:|---:|"
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
    let padded = target(padded_chunked);
    run(
        "valid answer padded to 300 KB, chunked (the repeat)",
        &padded,
        None,
        580,
        "2",
    );
    let violations = target(ten_thousand_violations);
    run("10k violations on every path", &violations, None, 580, "30");
    let messages = target(huge_error_message);
    run(
        "400 with a 15 MiB error message",
        &messages,
        Some(&cases),
        64,
        "30",
    );
    let deep = target(deep_long_names);
    run(
        "126 nested long names, 16 MiB",
        &deep,
        Some(&cases),
        64,
        "30",
    );
    let members = target(many_members);
    run(
        "object of 500k members, 5.9 MB",
        &members,
        Some(&cases),
        64,
        "30",
    );
    let parsed = target(members_under_the_cap);
    run(
        "object of 45k members, 0.5 MB (parsed)",
        &parsed,
        Some(&cases),
        64,
        "30",
    );
    let roles = target(wrong_roles_at_the_cap);
    run(
        "99k wrongly typed roles, 0.2 MB (a violation a value)",
        &roles,
        Some(&cases),
        64,
        "30",
    );
    flood_on_one_path();
    serve_under_slow_clients();
    serve_costly_requests();
    std::fs::remove_dir_all(&work).ok();
}

/// The flooded path of the flood row, as sent.
const FLOODED: &str = "/drives/b!conformance-drive/root/createLink";

/// The whole suite against `serve` behind a front that floods one path.
fn flood_on_one_path() {
    let mut upstream = suite_command()
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start serve");
    let mut url = String::new();
    BufReader::new(upstream.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let address = tests_common::front::serve_address(&url);
    let base = flooding_front(address, FLOODED);
    run("flood on one path, serve elsewhere", &base, None, 580, "2");
    upstream.kill().ok();
    upstream.wait().ok();
}

/// `serve` at `ulimit -n 256` while 2000 clients trickle their heads: its peak memory, and
/// whether a good request is answered during and after.
// The child is reaped by kill and wait.
#[allow(clippy::zombie_processes)]
fn serve_under_slow_clients() {
    let (mut serve, pid, address) = start_serve("ulimit -n 256 && ");
    let sampler = std::thread::spawn(move || status_max(pid, ["VmHWM:"]));
    let start = Instant::now();
    let mut slow: Vec<TcpStream> = (0..2000)
        .filter_map(|_| TcpStream::connect(&address).ok())
        .collect();
    let connected = slow.len();
    for _ in 0..10 {
        slow.retain_mut(|s| s.write_all(b"X").is_ok());
        std::thread::sleep(Duration::from_millis(200));
    }
    let during = answers(&address);
    let opened = slow.len();
    drop(slow);
    std::thread::sleep(Duration::from_millis(500));
    let after = answers(&address);
    let shown = |answered: Option<Duration>| match answered {
        Some(took) => format!("in {:.0} ms", took.as_secs_f64() * 1000.0),
        None => "no".to_owned(),
    };
    let (during, after) = (shown(during), shown(after));
    let wall = start.elapsed();
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    serve.wait().ok();
    let [peak_kib] = sampler.join().unwrap();
    println!(
        "| serve, 2000 slow clients ({connected} connected, {opened} open after 2 s), ulimit -n \
         256 | - | - | {:.2} s | {:.1} MiB | answers during: {during}, after: {after} | - |",
        wall.as_secs_f64(),
        peak_kib as f64 / 1024.0
    );
}

/// `serve`, started by `sh` after `setup` (such as a `ulimit`): the child, its pid and address.
fn start_serve(setup: &str) -> (std::process::Child, libc::pid_t, String) {
    let bin = env!("CARGO_BIN_EXE_createlink-conformance");
    let mut serve = std::process::Command::new("sh")
        .args(["-c", &format!("{setup}exec \"$0\" serve"), bin])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start serve");
    let pid = serve.id() as libc::pid_t;
    let mut url = String::new();
    BufReader::new(serve.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let address = tests_common::front::serve_address(&url);
    (serve, pid, address)
}

/// The costliest requests within `serve`'s limits, 20 of each on 4 connections at once: how
/// long each took, and how long a good request on a fifth connection took meanwhile.
// The child is reaped by kill and wait.
#[allow(clippy::zombie_processes)]
fn serve_costly_requests() {
    let (mut serve, pid, address) = start_serve("");
    let head_of_tokens: String = (0..90)
        .map(|i| format!("Authorization: Bearer {i:03}{}\r\n", "/\\\"%".repeat(150)))
        .collect();
    let recipients = format!(
        "{{\"type\":\"view\",\"scope\":\"users\",\"recipients\":[{}1]}}",
        "1,".repeat(9_990)
    );
    let long_strings = format!(
        "{{\"type\":\"view\",\"x\":[{}\"\"]}}",
        format!("\"{}\",", "a".repeat(100_000)).repeat(10)
    );
    let rows: [(&str, String, String); 3] = [
        (
            "90 Authorization values in a 54 KiB head",
            head_of_tokens,
            "{}".to_owned(),
        ),
        (
            "9,990 wrongly typed recipients (a violation a value)",
            String::new(),
            recipients,
        ),
        ("1 MiB of long strings", String::new(), long_strings),
    ];
    for (name, headers, body) in rows {
        let request = format!(
            "POST /beta/drives/b!d/root/createLink HTTP/1.1\r\nHost: x\r\n{headers}\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n\
             {body}",
            body.len()
        );
        let started = Instant::now();
        let senders: Vec<_> = (0..4)
            .map(|_| {
                let (address, request) = (address.clone(), request.clone());
                std::thread::spawn(move || {
                    let mut slowest = Duration::ZERO;
                    for _ in 0..5 {
                        let began = Instant::now();
                        let mut stream = TcpStream::connect(&address).unwrap();
                        stream.write_all(request.as_bytes()).unwrap();
                        let mut answer = Vec::new();
                        let _ = stream.read_to_end(&mut answer);
                        slowest = slowest.max(began.elapsed());
                    }
                    slowest
                })
            })
            .collect();
        let good = answers(&address);
        let slowest = senders
            .into_iter()
            .map(|s| s.join().unwrap())
            .max()
            .unwrap_or_default();
        let wall = started.elapsed();
        // The high-water mark so far: each row's peak includes the rows before.
        let peak_kib = tests_common::program::peak_kib(pid as u32).unwrap_or(0);
        println!(
            "| serve, 20 × {name} | - | - | {:.2} s (slowest {:.1} ms) | {:.1} MiB | a good \
             request meanwhile: {} | - |",
            wall.as_secs_f64(),
            slowest.as_secs_f64() * 1000.0,
            peak_kib as f64 / 1024.0,
            good.map_or("no answer".to_owned(), |d| format!(
                "{:.1} ms",
                d.as_secs_f64() * 1000.0
            ))
        );
    }
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    serve.wait().ok();
}

/// How long `serve` at `address` took to answer a request, if it did within 2 s.
fn answers(address: &str) -> Option<Duration> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(address).ok()?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "POST /beta/drives/b!d/root/createLink HTTP/1.1\r\nHost: x\r\n\
                   Authorization: Bearer bench-token-123456\r\nContent-Type: application/json\r\n\
                   Content-Length: 2\r\nConnection: close\r\n\r\n{}";
    stream.write_all(request.as_bytes()).ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    head.starts_with(b"HTTP/1.1 ").then(|| started.elapsed())
}

// The child is reaped by wait4.
#[allow(clippy::zombie_processes)]
fn run(name: &str, base: &str, cases: Option<&Path>, n: usize, timeout: &str) {
    let mut cmd = suite_command();
    if let Some(dir) = cases {
        cmd.env("CREATELINK_CASES", dir);
    }
    let start = Instant::now();
    let mut child = cmd
        .env("CREATELINK_BASE_URL", base)
        .env("CREATELINK_TIMEOUT_SECS", timeout)
        .env("CREATELINK_CONCURRENCY", "64")
        .args(["--format", "terse"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the suite");
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).ok();
        text
    });
    let sampler = std::thread::spawn(move || status_max(pid, ["VmHWM:"]));
    let (status, _) = wait4(pid);
    let [peak_kib] = sampler.join().unwrap();
    let wall = start.elapsed();
    // The names under libtest's last "failures:" heading.
    let out = reader.join().unwrap();
    let failed: Vec<&str> = out
        .rsplit_once("\nfailures:\n")
        .map(|(_, list)| {
            list.lines()
                .take_while(|l| l.starts_with("    "))
                .map(str::trim)
                .collect()
        })
        .unwrap_or_default();
    let elsewhere = failed
        .iter()
        .filter(|n| !n.starts_with("POST /drives/{drivesId}/root/createLink"))
        .count();
    println!(
        "| {name} | {n} | {timeout} s | {:.2} s | {:.1} MiB | {status} | {} ({elsewhere}) |",
        wall.as_secs_f64(),
        peak_kib as f64 / 1024.0,
        failed.len(),
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

/// The permission of the test template, as the reference server answers a view link.
fn valid_permission() -> String {
    createlink::reference::permission(
        "/beta/drives/b!conformance-drive/root/createLink",
        &serde_json::json!({"type": "view", "scope": "organization"}),
    )
    .to_string()
}

/// A 200 answer of `body`, chunked in 16 KiB pieces; the connection closes after it.
fn chunked_answer(stream: &mut TcpStream, status: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    for chunk in body.chunks(16 * 1024) {
        let piece = format!("{:x}\r\n", chunk.len());
        if stream.write_all(piece.as_bytes()).is_err()
            || stream.write_all(chunk).is_err()
            || stream.write_all(b"\r\n").is_err()
        {
            return;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
}

fn padded_chunked(stream: &mut TcpStream) {
    static BODY: OnceLock<String> = OnceLock::new();
    let body = BODY.get_or_init(|| {
        format!(
            "{{\"value\": {}{}}}",
            valid_permission(),
            " ".repeat(300 * 1024)
        )
    });
    chunked_answer(stream, "200 OK", body.as_bytes());
}

fn ten_thousand_violations(stream: &mut TcpStream) {
    static BODY: OnceLock<String> = OnceLock::new();
    let body = BODY.get_or_init(|| {
        let mut value: serde_json::Value = serde_json::from_str(&valid_permission()).unwrap();
        value["roles"] = serde_json::json!(vec![1; 10_000]);
        serde_json::json!({ "value": value }).to_string()
    });
    json_answer(stream, body);
}

fn huge_error_message(stream: &mut TcpStream) {
    static BODY: OnceLock<String> = OnceLock::new();
    let body = BODY.get_or_init(|| {
        serde_json::json!({"error": {"code": "badRequest", "message": "m".repeat(15 << 20)}})
            .to_string()
    });
    let head = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

fn deep_long_names(stream: &mut TcpStream) {
    static BODY: OnceLock<String> = OnceLock::new();
    let body = BODY.get_or_init(|| {
        let name = "n".repeat((16 << 20) / 127);
        format!(
            "{}{{\"a\": 1, \"a\": 2}}{}",
            format!("{{\"{name}\": ").repeat(126),
            "}".repeat(126)
        )
    });
    json_answer(stream, body);
}

fn many_members(stream: &mut TcpStream) {
    static BODY: OnceLock<String> = OnceLock::new();
    json_answer(stream, BODY.get_or_init(|| object_of_members(500_000)));
}

/// Just under the value cap: parsed and judged, so its reservation is what judging costs.
fn members_under_the_cap(stream: &mut TcpStream) {
    static BODY: OnceLock<String> = OnceLock::new();
    json_answer(stream, BODY.get_or_init(|| object_of_members(45_000)));
}

/// `{"value": {"m0":0, "m1":0, …}}` with `n` members.
fn object_of_members(n: usize) -> String {
    let members: Vec<String> = (0..n).map(|i| format!("\"m{i}\":0")).collect();
    format!("{{\"value\": {{{}}}}}", members.join(","))
}

/// A violation for every value, just under the value cap: the costliest body per byte to judge.
fn wrong_roles_at_the_cap(stream: &mut TcpStream) {
    static BODY: OnceLock<String> = OnceLock::new();
    let body = BODY.get_or_init(|| {
        let mut value: serde_json::Value = serde_json::from_str(&valid_permission()).unwrap();
        value["roles"] = serde_json::json!(vec![1; 99_000]);
        serde_json::json!({ "value": value }).to_string()
    });
    json_answer(stream, body);
}
