//! Isolation: a hostile exchange on one path never fails a trial on another path.
//!
//! The target floods every request on one path with `103 Early Hints` and never answers; every
//! other request goes through to the reference server. The suite runs whole, with a CPU hog
//! beside it: only that path's trials may fail.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::behaving_target;
use createlink::config::{Config, Profile};
use createlink::suite::Suite;

/// The path whose requests are flooded, as sent.
const FLOODED: &str = "/drives/b!conformance-drive/root/createLink";

/// Reads one message (head, and body by Content-Length) from `stream`, after `pending` bytes
/// already read; returns it and what came after it.
fn read_message(stream: &mut TcpStream, mut buf: Vec<u8>) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            let total = end + 4 + length;
            if buf.len() >= total {
                let rest = buf.split_off(total);
                return Some((buf, rest));
            }
        }
        let n = stream.read(&mut chunk).ok().filter(|&n| n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Floods requests on [`FLOODED`]; passes every other request through to `upstream`, one
/// request at a time, on one upstream connection per client connection.
fn front(upstream: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let upstream = upstream.clone();
            std::thread::spawn(move || {
                let mut client = client;
                let Ok(mut server) = TcpStream::connect(&upstream) else {
                    return;
                };
                let (mut pending, mut from_server) = (Vec::new(), Vec::new());
                loop {
                    let Some((request, rest)) = read_message(&mut client, pending) else {
                        return;
                    };
                    pending = rest;
                    let line = String::from_utf8_lossy(&request[..request.len().min(512)])
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    if line.contains(&format!("{FLOODED} ")) {
                        let hints =
                            b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
                                .repeat(256);
                        for _ in 0..200_000 {
                            if client.write_all(&hints).is_err() {
                                return;
                            }
                        }
                        return;
                    }
                    if server.write_all(&request).is_err() {
                        return;
                    }
                    let Some((answer, rest)) = read_message(&mut server, from_server) else {
                        return;
                    };
                    from_server = rest;
                    if client.write_all(&answer).is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{address}/beta")
}

#[test]
fn a_flood_on_one_path_fails_no_trial_on_another() {
    let reference = behaving_target(Profile::Documented, |_, _| {});
    let upstream = reference.address().to_string();
    let mut config = Config::defaults();
    config.base_url = Some(front(upstream).parse().unwrap());
    config.timeout = Duration::from_secs(2);
    let suite = Arc::new(Suite::new(config).unwrap());
    // A loaded machine: one thread spinning beside the suite.
    let stop = Arc::new(AtomicBool::new(false));
    let spinning = Arc::clone(&stop);
    let hog = std::thread::spawn(move || {
        while !spinning.load(Ordering::Relaxed) {
            std::hint::spin_loop();
        }
    });
    // The trials as the program runs them: 64 at a time.
    let ids = suite.trials();
    let queue = Arc::new(std::sync::Mutex::new(ids.clone()));
    let threads: Vec<_> = (0..64)
        .map(|_| {
            let (suite, queue) = (Arc::clone(&suite), Arc::clone(&queue));
            std::thread::spawn(move || {
                let mut failed = Vec::new();
                loop {
                    let next = queue.lock().unwrap().pop();
                    let Some(id) = next else { break };
                    let outcome = suite.run_trial(id);
                    if !outcome.passed() {
                        failed.push((suite.trial_name(id), outcome.report()));
                    }
                }
                failed
            })
        })
        .collect();
    let failed: Vec<(String, String)> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    stop.store(true, Ordering::Relaxed);
    hog.join().unwrap();
    let elsewhere: Vec<&(String, String)> = failed
        .iter()
        .filter(|(name, _)| !name.starts_with("POST /drives/{drivesId}/root/createLink"))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "{} trials failed on other paths; the first:\n{}",
        elsewhere.len(),
        elsewhere.first().map_or("", |f| f.1.as_str())
    );
    assert!(!failed.is_empty(), "no trial on the flooded path failed");
}
