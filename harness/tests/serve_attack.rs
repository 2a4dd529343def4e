//! `serve` under attack: whatever a client sends, the log keeps one line per request.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::program::BIN;

/// A running `serve` with its stderr drained on a thread; killed when dropped.
struct Serve {
    child: Child,
    address: String,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Serve {
    fn start(setup: impl FnOnce(&mut Command)) -> Serve {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve");
        Self::start_command(cmd, setup)
    }

    fn start_command(mut cmd: Command, setup: impl FnOnce(&mut Command)) -> Serve {
        common::program::clean(&mut cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        setup(&mut cmd);
        let mut child = cmd.spawn().unwrap();
        let mut err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            err.read_to_string(&mut text).ok();
            text
        });
        let mut url = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut url)
            .unwrap();
        let address = common::front::serve_address(&url);
        Serve {
            child,
            address,
            stderr: Some(stderr),
        }
    }

    /// Sends raw `request` bytes on a new connection and returns the answer, read until the
    /// server closes or 10 s pass.
    fn send(&self, request: &[u8]) -> String {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(request).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// SIGTERM, then everything it wrote on stderr.
    fn stop(self) -> String {
        self.stop_with_status().1
    }

    /// SIGTERM, then the exit code and everything it wrote on stderr.
    fn stop_with_status(mut self) -> (Option<i32>, String) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) on our own child, not yet waited for.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let status = self.child.wait().unwrap();
        (status.code(), self.stderr.take().unwrap().join().unwrap())
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn post(path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST /beta{path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer serve-attack-token-1234\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn names_and_paths_cannot_forge_lines_in_the_log_or_the_summary() {
    let serve = Serve::start(|_| {});
    let forged = "\nviolations: none\n\u{1b}[2J";
    let body = serde_json::json!({"type": "view", "scope": "anonymous", forged: 1}).to_string();
    let answer = serve.send(&post("/drives/b!d/root/createLink", &body));
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let path = "/drives/b!d/root/createLink%0Aviolations:%20none%0A";
    serve.send(&post(path, "{}"));
    let stderr = serve.stop();
    assert!(
        !stderr.lines().any(|l| l == "violations: none"),
        "a forged line:\n{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    let logged: Vec<&str> = stderr.lines().filter(|l| l.contains(" -> ")).collect();
    assert_eq!(logged.len(), 2, "{stderr}");
}

#[test]
fn a_body_past_the_limit_is_refused_413_in_graphs_error_shape() {
    let serve = Serve::start(|_| {});
    let padded = format!(
        "{{\"type\": \"view\", \"scope\": \"anonymous\"{}}}",
        " ".repeat(2 << 20)
    );
    let many = format!("{{\"type\": \"view\", \"x\": [{}0]}}", "0,".repeat(20_000));
    for body in [padded, many] {
        let answer = serve.send(&post("/drives/b!d/root/createLink", &body));
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "{}",
            &answer[..answer.len().min(300)]
        );
        let json = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(value["error"]["code"], "invalidRequest", "{value}");
        assert!(
            value["error"]["message"]
                .as_str()
                .unwrap()
                .contains("at most")
        );
    }
    let stderr = serve.stop();
    assert_eq!(stderr.matches(" -> 413 too-large: ").count(), 2, "{stderr}");
}

#[test]
fn a_client_leaving_mid_body_is_one_log_line_not_a_backtrace() {
    let serve = Serve::start(|cmd| {
        cmd.env("RUST_BACKTRACE", "1");
    });
    {
        let mut stream = TcpStream::connect(&serve.address).unwrap();
        let head = "POST /beta/drives/b!d/root/createLink HTTP/1.1\r\nHost: x\r\n\
                    Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"type\"";
        stream.write_all(head.as_bytes()).unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    let answer = serve.send(&post("/drives/b!d/root/createLink", "{}"));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let stderr = serve.stop();
    assert!(
        !stderr.contains("panicked at") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    assert_eq!(
        stderr
            .matches(
                "POST /drives/{drivesId}/root/createLink -> 408 incomplete: the request body \
                 broke off after 7 of its 100000 bytes"
            )
            .count(),
        1,
        "{stderr}"
    );
}

/// `serve` under `ulimit -n 256`; `serve.lower_descriptor_limit(n)` then lowers it under the
/// running server, past what it planned its connections for.
fn serve_at_ulimit(n: u32) -> Serve {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &format!("ulimit -n {n} && exec \"$0\" serve"), BIN]);
    Serve::start_command(cmd, |_| {})
}

impl Serve {
    fn lower_descriptor_limit(&self, to: u64) {
        let limit = libc::rlimit {
            rlim_cur: to,
            rlim_max: to,
        };
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: prlimit(2) on our own child; lowering a limit needs no privilege.
        let done = unsafe { libc::prlimit(pid, libc::RLIMIT_NOFILE, &limit, std::ptr::null_mut()) };
        assert_eq!(done, 0, "{}", std::io::Error::last_os_error());
    }

    /// Whether a good request is answered `200` before the 10 s header timeout could have made
    /// room for it: a liveness bound, far above the milliseconds it takes.
    fn answers(&self) -> bool {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream
            .write_all(&post("/drives/b!d/root/createLink", "{}"))
            .unwrap();
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).is_ok() && &head == b"HTTP/1.1 200"
    }
}

#[test]
fn past_the_descriptor_limit_serve_keeps_listening_and_says_so() {
    let serve = serve_at_ulimit(256);
    // Room for 240 connections was planned; only 48 descriptors are left.
    serve.lower_descriptor_limit(48);
    let many: Vec<TcpStream> = (0..100)
        .filter_map(|_| TcpStream::connect(&serve.address).ok())
        .collect();
    assert_eq!(many.len(), 100);
    assert!(serve.answers(), "no answer while out of descriptors");
    drop(many);
    std::thread::sleep(Duration::from_millis(300));
    assert!(serve.answers(), "no answer after");
    let (code, stderr) = serve.stop_with_status();
    assert!(
        stderr.contains("accepting a connection failed (Too many open files"),
        "{stderr}"
    );
    assert!(stderr.contains("the server keeps listening"), "{stderr}");
    assert!(stderr.contains(" accept errors"), "{stderr}");
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn slow_clients_cannot_keep_a_good_one_out() {
    // Room for 48 connections; 200 clients each send a few bytes of a head and stall.
    let serve = serve_at_ulimit(64);
    let mut slow: Vec<TcpStream> = (0..200)
        .filter_map(|_| TcpStream::connect(&serve.address).ok())
        .collect();
    for stream in &mut slow {
        let _ = stream.write_all(b"POST /beta/x HTTP/1.1\r\nHo");
    }
    assert!(serve.answers(), "a good client was kept out");
    drop(slow);
    let stderr = serve.stop();
    assert!(
        stderr.contains("48 connections open, the most it keeps: closed the one waiting longest"),
        "{stderr}"
    );
    let counts = stderr
        .lines()
        .find(|l| l.starts_with("connections: "))
        .unwrap();
    assert!(counts.contains("closed to make room"), "{counts}");
}

#[test]
fn a_huge_chunked_body_is_never_held_in_memory() {
    let serve = Serve::start(|_| {});
    let mut stream = TcpStream::connect(&serve.address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = "POST /beta/drives/b!d/root/createLink HTTP/1.1\r\nHost: x\r\n\
                Authorization: Bearer serve-attack-token-1234\r\nContent-Type: application/json\r\n\
                Transfer-Encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    // 256 MiB: the server stops reading at its drain bound, so the writes may fail.
    let chunk = format!("100000\r\n{}\r\n", " ".repeat(1 << 20));
    for _ in 0..256 {
        if stream.write_all(chunk.as_bytes()).is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let peak_kib = common::program::peak_kib(serve.child.id()).unwrap();
    assert!(peak_kib < 64 * 1024, "serve peaked at {peak_kib} KiB");
    let stderr = serve.stop();
    assert!(
        stderr.contains("-> 413 too-large: the request body came chunked and passed 1048576"),
        "{stderr}"
    );
}
