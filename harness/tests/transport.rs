//! What needs a socket: the transport faults (oversized, endless, stalled and cut-off bodies,
//! resets, refused connections, timeouts), the URL sent (the base URL's prefix, parameter
//! encoding), the client reading an answer off the wire as sent, and the built-in reference
//! server over raw HTTP. Every target listens on 127.0.0.1.
//!
//! The verdict itself is judged on literal answers elsewhere: hand-written rows in
//! `tests/verdicts/*.json`, generated sweeps in `tests/sweeps.rs`.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{
    TEMPLATE, assert_fails, assert_passes, config_for, documented, enveloped, json_answer,
    permission, raw_target, run_one, runtime, serve, write_all,
};
use createlink::exchange::client::BODY_LIMIT;
use createlink::exchange::request::PreparedRequest;
use createlink::load::config::{Config, Profile, TIMEOUT_SECS, repo_dir};
use createlink::load::schema::Schemas;
use createlink::reference;
use createlink::suite::Suite;
use createlink::verdict::{self, AnswerBody, Check, Exchange, Problem, Response};
use serde_json::json;
use wiremock::matchers::{any, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A target with `mocks` mounted.
fn start(mocks: Vec<Mock>) -> MockServer {
    runtime().block_on(async {
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        for mock in mocks {
            mock.mount(&server).await;
        }
        server
    })
}

// =============================================================================================
// What the client reads off the wire

/// What the client made of the answer of a target serving `template`, for the test template's
/// case.
fn received(template: ResponseTemplate) -> Exchange {
    let server = serve(template);
    let suite = Suite::new(config_for(
        &format!("{}/beta", server.uri()),
        Profile::Documented,
    ))
    .unwrap();
    let case = suite
        .cases()
        .iter()
        .find(|c| c.template.as_str() == TEMPLATE)
        .unwrap();
    let request = PreparedRequest::new(suite.base_url(), case, &BTreeMap::new());
    Exchange::clone(&suite.executor().send(&request))
}

/// The tables of `tests/verdicts/` judge literal answers. This is why that is enough: what the
/// client hands the verdict is the answer as the target sent it, header for header, byte for
/// byte.
#[test]
fn the_client_hands_the_verdict_the_answer_as_sent() {
    let body = json!({ "value": permission() }).to_string();
    let location = "https://login.example/authorize";
    // (name, what the target sends, status, Content-Type values, Location, body)
    type Row<'a> = (
        &'a str,
        ResponseTemplate,
        u16,
        &'a [&'a str],
        Option<&'a str>,
        Vec<u8>,
    );
    let rows: Vec<Row> = vec![
        (
            "a redirect without a body",
            ResponseTemplate::new(302).insert_header("Location", location),
            302,
            &[],
            Some(location),
            vec![],
        ),
        (
            "JSON with parameters",
            ResponseTemplate::new(200).set_body_raw(
                body.clone(),
                "application/json;odata.metadata=minimal;charset=utf-8",
            ),
            200,
            &["application/json;odata.metadata=minimal;charset=utf-8"],
            None,
            body.clone().into_bytes(),
        ),
        (
            "no Content-Type",
            ResponseTemplate::new(200).set_body_bytes(body.clone()),
            200,
            &[],
            None,
            body.clone().into_bytes(),
        ),
        (
            "two Content-Type headers",
            ResponseTemplate::new(200)
                .set_body_bytes(body.clone())
                .append_header("Content-Type", "application/json")
                .append_header("Content-Type", "text/plain"),
            200,
            &["application/json", "text/plain"],
            None,
            body.clone().into_bytes(),
        ),
        (
            "an HTML error page",
            ResponseTemplate::new(502).set_body_raw("<html>\nBad gateway\n</html>", "text/html"),
            502,
            &["text/html"],
            None,
            b"<html>\nBad gateway\n</html>".to_vec(),
        ),
        (
            "204 No Content",
            ResponseTemplate::new(204),
            204,
            &[],
            None,
            vec![],
        ),
        (
            "bytes that are not UTF-8, and a name twice",
            ResponseTemplate::new(200)
                .set_body_raw(b"{\"a\": \"\xff\", \"a\": 1}".to_vec(), "application/json"),
            200,
            &["application/json"],
            None,
            b"{\"a\": \"\xff\", \"a\": 1}".to_vec(),
        ),
    ];
    let mut failures = Vec::new();
    for (name, template, status, types, location, body) in rows {
        // Each side as `status [Content-Type values] Location body`, the body escaped.
        let sent = format!("{status} {types:?} {location:?} {}", body.escape_ascii());
        let received = match received(template) {
            Exchange::Answered(Response {
                status,
                content_types,
                location,
                body: AnswerBody::Complete(body),
            }) => format!(
                "{status} {content_types:?} {location:?} {}",
                body.escape_ascii()
            ),
            other => format!("{other:?}"),
        };
        if received != sent {
            failures.push(format!(
                "--- {name}:
  sent     {sent}
  received {received}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// =============================================================================================
// The URL sent

/// The path must keep the base URL's prefix whether or not it ends in '/': the target answers
/// only on the exact path and 404s everything else.
#[test]
fn the_base_url_prefix_is_kept_with_or_without_a_trailing_slash() {
    let mut failures = Vec::new();
    for (prefix, trailing) in [
        ("/beta", ""),
        ("/beta", "/"),
        ("/api/graph/beta", ""),
        ("/api/graph/beta", "/"),
        ("", ""),
        ("", "/"),
    ] {
        let exact = format!("{prefix}/drives/b!conformance-drive/root/createLink");
        let server = start(vec![
            Mock::given(path(exact.as_str()))
                .respond_with(enveloped(permission()))
                .with_priority(1),
            Mock::given(any())
                .respond_with(reference::error(404, "itemNotFound", "wrong path").into_response())
                .with_priority(2),
        ]);
        let base = format!("{}{prefix}{trailing}", server.uri());
        let outcome = run_one(config_for(&base, Profile::Documented));
        if !outcome.passed() || outcome.request.url.path() != exact {
            failures.push(format!(
                "base {base:?} should reach {exact}:\n{}",
                outcome.report()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Serves the passing answer on `exact` only (404 elsewhere), runs the case with `drivesId` set to
/// `value`, and says what went wrong, if anything.
fn sent_as(value: &str, exact: &str) -> Option<String> {
    let server = start(vec![
        Mock::given(path(exact))
            .respond_with(enveloped(permission()))
            .with_priority(1),
        Mock::given(any())
            .respond_with(reference::error(404, "itemNotFound", "wrong path").into_response())
            .with_priority(2),
    ]);
    let mut config = config_for(&format!("{}/beta", server.uri()), Profile::Documented);
    config
        .params
        .values
        .insert("drivesId".to_owned(), value.to_owned());
    let outcome = run_one(config);
    (!outcome.passed())
        .then(|| format!("{value:?} should arrive as {exact}:\n{}", outcome.report()))
}

/// Parameter values are percent-encoded as one segment; the target answers only on that path.
#[test]
fn parameter_values_that_need_encoding_are_sent_as_one_segment() {
    let failures: Vec<String> = [
        ("a/b?c#d%e f é", "a%2Fb%3Fc%23d%25e%20f%20%C3%A9"),
        ("b!x,y:z@w", "b!x,y:z@w"),
        ("~ok.", "~ok."),
    ]
    .into_iter()
    .filter_map(|(value, encoded)| {
        sent_as(value, &format!("/beta/drives/{encoded}/root/createLink"))
    })
    .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// =============================================================================================
// Size, time and connection

fn oversized_answer(length: usize) -> Vec<u8> {
    let mut body = json!({ "value": permission() }).to_string().into_bytes();
    body.resize(length, b' ');
    body
}

#[test]
fn a_body_over_16_mib_with_content_length_fails_unread() {
    let length = BODY_LIMIT as usize + 1;
    let outcome = documented(json_answer(200, oversized_answer(length)));
    assert_fails(
        &outcome,
        Check::Body,
        &[
            "body larger than 16 MiB; not read further",
            &format!("Content-Length: {length}"),
        ],
    );
    assert_eq!(outcome.problems.len(), 1, "{}", outcome.report());
}

#[test]
fn a_body_of_exactly_16_mib_passes() {
    let outcome = documented(json_answer(200, oversized_answer(BODY_LIMIT as usize)));
    assert_passes(&outcome);
}

/// Set once the endless target has written its whole (64 MiB) body: a client that buffered
/// bodies whole would read that far; one that stops at the limit closes long before.
static ENDLESS_BODY_WRITTEN: AtomicBool = AtomicBool::new(false);

fn endless_chunked_body(stream: &mut TcpStream) {
    let head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    let mut chunk = format!("{:x}\r\n", 1 << 20).into_bytes();
    chunk.extend(std::iter::repeat_n(b' ', 1 << 20));
    chunk.extend_from_slice(b"\r\n");
    for _ in 0..64 {
        if stream.write_all(&chunk).is_err() {
            return;
        }
    }
    if stream.write_all(b"0\r\n\r\n").is_ok() {
        ENDLESS_BODY_WRITTEN.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_chunked_body_over_16_mib_fails_without_being_buffered_whole() {
    let base = raw_target(endless_chunked_body);
    let outcome = run_one(config_for(&base, Profile::Documented));
    assert_fails(
        &outcome,
        Check::Body,
        &["body larger than 16 MiB; not read further"],
    );
    assert_eq!(outcome.problems.len(), 1, "{}", outcome.report());
    assert!(
        !outcome.report().contains("Content-Length"),
        "{}",
        outcome.report()
    );
    assert!(
        !ENDLESS_BODY_WRITTEN.load(Ordering::SeqCst),
        "the client read the whole 64 MiB body instead of stopping at the limit"
    );
}

fn assert_timed_out(base: &str) {
    let mut config = config_for(base, Profile::Documented);
    config.timeout = Duration::from_secs(1);
    let outcome = run_one(config);
    assert_fails(&outcome, Check::Connection, &[TIMEOUT_SECS, "within 1 s"]);
    assert_eq!(outcome.problems.len(), 1, "{}", outcome.report());
}

#[test]
fn a_slow_target_times_out() {
    let server = serve(enveloped(permission()).set_delay(Duration::from_secs(5)));
    assert_timed_out(&format!("{}/beta", server.uri()));
}

fn head_then_stall(stream: &mut TcpStream) {
    write_all(
        stream,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"value\"",
    );
    std::thread::sleep(Duration::from_secs(3));
}

#[test]
fn a_target_that_stalls_mid_body_times_out() {
    assert_timed_out(&raw_target(head_then_stall));
}

/// Closes after reading the request, without a byte of answer.
fn close_without_answer(_: &mut TcpStream) {}

fn cut_off_body(stream: &mut TcpStream) {
    write_all(
        stream,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"value\": {",
    );
}

fn garbage_instead_of_http(stream: &mut TcpStream) {
    write_all(stream, b"SSH-2.0-OpenSSH_9.6\r\n");
}

/// Accepts and drops each connection without reading the request: the unread bytes make the
/// kernel answer with a reset.
fn resetting_target() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            // Wait until the request is there, so closing resets instead of merely closing.
            let mut byte = [0u8; 1];
            let _ = stream.peek(&mut byte);
            drop(stream);
        }
    });
    format!("http://{addr}/beta")
}

/// A port nothing listens on: bound, then freed.
fn refused_target() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/beta")
}

#[test]
fn no_complete_answer_fails_with_the_reason() {
    let rows: Vec<(&str, String, Vec<String>)> = vec![
        (
            "closed without an answer",
            raw_target(close_without_answer),
            vec![],
        ),
        (
            "reset",
            resetting_target(),
            vec!["Connection reset by peer".to_owned()],
        ),
        (
            "body cut off",
            raw_target(cut_off_body),
            vec!["broke off while reading its body".to_owned()],
        ),
        ("not HTTP", raw_target(garbage_instead_of_http), vec![]),
        (
            "refused",
            refused_target(),
            vec!["cannot connect to".to_owned()],
        ),
    ];
    let mut failures = Vec::new();
    for (name, base, needles) in rows {
        let address = base.trim_start_matches("http://").trim_end_matches("/beta");
        let outcome = run_one(config_for(&base, Profile::Documented));
        let reason = match outcome.problems.as_slice() {
            [Problem::Connection { reason }] => reason.as_str(),
            _ => "",
        };
        // Every reason names the target; a panic or a Debug dump is not a reason.
        let missing: Vec<&str> = needles
            .iter()
            .map(String::as_str)
            .chain([address])
            .filter(|n| !reason.contains(n))
            .collect();
        let dump = reason.contains("panicked") || reason.contains("Error {");
        if reason.is_empty() || !missing.is_empty() || dump {
            failures.push(format!(
                "--- {name}: expected one connection problem whose reason has {missing:?}:\n{}",
                outcome.report()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// =============================================================================================
// The built-in reference server

#[test]
fn the_reference_server_passes_every_case_under_both_profiles() {
    for profile in [Profile::Documented, Profile::Graph] {
        let mut config = Config::defaults();
        config.profile = profile;
        let suite = Suite::new(config).unwrap();
        assert!(suite.uses_reference_server());
        assert_eq!(suite.cases().len(), common::plan().cases.len());
        for case in suite.cases() {
            let outcome = suite.run_base(case);
            assert!(
                outcome.passed(),
                "{} under {}:\n{}",
                case.name(),
                profile.name(),
                outcome.report()
            );
        }
    }
}

/// One HTTP/1.1 exchange over a plain socket: (status, Content-Type, body).
fn raw_http(base: &reqwest::Url, head: &str, body: &[u8]) -> (u16, String, Vec<u8>) {
    let host = format!(
        "{}:{}",
        base.host_str().unwrap(),
        base.port_or_known_default().unwrap()
    );
    let mut stream = TcpStream::connect(&host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let request = format!(
        "{head}\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = String::from_utf8_lossy(&answer[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let content_type = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        })
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    (status, content_type, answer[end + 4..].to_vec())
}

/// A raw request to the reference server and the answer it must get.
struct RawCase {
    name: &'static str,
    method: &'static str,
    /// After the server's `/beta` prefix, or the whole path when `no_prefix`.
    path: &'static str,
    no_prefix: bool,
    headers: &'static [&'static str],
    body: &'static [u8],
    status: u16,
    /// Graph's error code, for a refusal.
    code: Option<&'static str>,
}

const GOOD_PATH: &str = "/drives/b!x/items/item-1/createLink";
const GOOD_BODY: &[u8] = br#"{"type":"view","scope":"anonymous"}"#;
const BEARER: &str = "Authorization: Bearer t0ken";
const JSON_TYPE: &str = "Content-Type: application/json";

/// A good request but for what the row changes.
const GOOD: RawCase = RawCase {
    name: "a good request",
    method: "POST",
    path: GOOD_PATH,
    no_prefix: false,
    headers: &[BEARER, JSON_TYPE],
    body: GOOD_BODY,
    status: 200,
    code: None,
};

const fn refused(name: &'static str, status: u16, code: &'static str) -> RawCase {
    RawCase {
        name,
        status,
        code: Some(code),
        ..GOOD
    }
}

#[test]
fn the_reference_server_refuses_bad_requests_with_graph_errors() {
    let unauthorized = |name, headers| RawCase {
        headers,
        ..refused(name, 401, "InvalidAuthenticationToken")
    };
    let invalid = |name, body| RawCase {
        body,
        ..refused(name, 400, "invalidRequest")
    };
    let rows = [
        GOOD,
        unauthorized("no Authorization", &[JSON_TYPE]),
        unauthorized(
            "an empty bearer token",
            &["Authorization: Bearer ", JSON_TYPE],
        ),
        unauthorized(
            "Basic instead of Bearer",
            &["Authorization: Basic dXNlcjpwdw==", JSON_TYPE],
        ),
        RawCase {
            path: "/drives/b!x/createLink",
            ..refused("an undocumented path", 404, "itemNotFound")
        },
        RawCase {
            path: "/drives/b!x/root/createLink",
            no_prefix: true,
            ..refused("no version prefix", 404, "itemNotFound")
        },
        RawCase {
            method: "GET",
            body: b"",
            headers: &[BEARER],
            ..refused("GET", 405, "methodNotAllowed")
        },
        RawCase {
            headers: &[BEARER, "Content-Type: text/plain"],
            ..refused("a text/plain request", 415, "unsupportedMediaType")
        },
        invalid("a body that is not JSON", b"type=view"),
        invalid(
            "an unknown parameter",
            br#"{"type":"view","expiry":"tomorrow"}"#,
        ),
        invalid("a parameter of the wrong type", br#"{"type":["view"]}"#),
    ];
    let suite = Suite::new(Config::defaults()).unwrap();
    let base = suite.base_url().clone();
    let prefix = base.path().trim_end_matches('/');
    let schemas = Schemas::load(&repo_dir("schemas")).unwrap();
    let mut failures = Vec::new();
    for row in rows {
        let path = if row.no_prefix {
            row.path.to_owned()
        } else {
            format!("{prefix}{}", row.path)
        };
        let head = std::iter::once(format!("{} {path} HTTP/1.1", row.method))
            .chain(row.headers.iter().map(|h| h.to_string()))
            .collect::<Vec<_>>()
            .join("\r\n");
        let (status, content_type, body) = raw_http(&base, &head, row.body);
        let error = verdict::graph_error(&body);
        let as_expected = status == row.status
            && error.as_ref().map(|e| e.code.as_str()) == row.code
            && error.as_ref().is_none_or(|e| !e.message.is_empty());
        // A success must itself pass the checks; a refusal must be JSON too.
        let judged = verdict::judge_answer(
            Profile::Documented,
            &schemas,
            &Exchange::Answered(Response {
                status,
                content_types: vec![content_type.clone()],
                location: None,
                body: AnswerBody::Complete(body.clone()),
            }),
        );
        let consistent = if row.status == 200 {
            judged.is_empty()
        } else {
            content_type.starts_with("application/json")
        };
        if !as_expected || !consistent {
            failures.push(format!(
                "--- {}: expected {} {:?}, got {status} {content_type:?} {}\n{judged:?}",
                row.name,
                row.status,
                row.code,
                String::from_utf8_lossy(&body)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
