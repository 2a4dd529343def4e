//! A front for a target: one path flooded, the others passed through (tests/isolation.rs and
//! the hostile bench).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

/// `host:port` of the base URL `serve` prints first (`http://host:port/beta`).
pub fn serve_address(url_line: &str) -> String {
    url_line
        .trim()
        .trim_start_matches("http://")
        .trim_end_matches("/beta")
        .to_owned()
}

/// Reads one message (head, and body by Content-Length) from `stream`, after `pending` bytes
/// already read; returns it and what came after it.
pub fn read_message(stream: &mut TcpStream, mut buf: Vec<u8>) -> Option<(Vec<u8>, Vec<u8>)> {
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

/// A target at `upstream` (`host:port`) behind a front that floods every request on the path
/// `flooded` (as sent, after the base path) with `103 Early Hints`, never answering; every
/// other request goes through, one at a time, on one upstream connection per client
/// connection. Returns the front's base URL.
pub fn flooding_front(upstream: String, flooded: &'static str) -> String {
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
                    if line.contains(&format!("{flooded} ")) {
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
