//! Hostile targets: whatever a target echoes back, the token never reaches any output.
//!
//! One echo target answers the suite's requests in turn through every channel a report quotes
//! the answer in; the program is run as a user runs it (plain and `--format json`) and as CI
//! runs it (cargo-nextest's JUnit file), and no output holds the token or a piece of it.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::process::Output;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::program::{nextest, run, shown, temp_dir};
use common::{assert_fails, config_for, json_answer, permission, raw_target, run_one, serve};
use createlink::load::config::{Profile, TIMEOUT_SECS};
use createlink::model::redact::FRAGMENT;
use createlink::verdict::Check;
use serde_json::json;
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

/// A token shaped like a real one (long, with `.`), which every answer echoes back.
const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.hostile-sentinel-7f3a9c2e41b8d6057e1f";

/// What each channel's report says once the token is replaced: proof the echo reached the
/// report, so the absence of the token means redaction, not a channel that was never shown.
const SHOWN: [&str; 7] = [
    "message:  Token $CREATELINK_TOKEN is not valid",
    "request:  $CREATELINK_TOKEN",
    "body:     bearer $CREATELINK_TOKEN rejected",
    "location: https://login.example/callback?access_token=$CREATELINK_TOKEN",
    "got:      text/plain; token=$CREATELINK_TOKEN",
    "value:    \"$CREATELINK_TOKEN\"",
    r#"around:   {\"value\": ⟦here⟧$CREATELINK_TOKEN"#,
];

/// Answers request n with channel n mod 6, so a run of the 23 cases shows each channel.
struct Echo(AtomicUsize);

impl Respond for Echo {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        match self.0.fetch_add(1, Ordering::SeqCst) % 6 {
            // Graph's error shape, as a service that quotes the token it refuses.
            0 => json_answer(
                401,
                json!({"error": {
                    "code": "InvalidAuthenticationToken",
                    "message": format!("Token {TOKEN} is not valid"),
                    "innerError": {"request-id": TOKEN, "date": "2031-01-01T00:00:00"}
                }})
                .to_string(),
            ),
            1 => ResponseTemplate::new(500).set_body_string(format!("bearer {TOKEN} rejected")),
            2 => ResponseTemplate::new(302).insert_header(
                "location",
                format!("https://login.example/callback?access_token={TOKEN}"),
            ),
            3 => ResponseTemplate::new(200)
                .insert_header("content-type", format!("text/plain; token={TOKEN}"))
                .set_body_bytes(json!({ "value": permission() }).to_string()),
            // Two schema-invalid values: the token whole, and cut at 200 characters in its middle.
            4 => {
                let mut value = permission();
                value["roles"] = json!(TOKEN);
                value["link"]["type"] = json!(format!("{}{TOKEN}", "x".repeat(180)));
                json_answer(200, json!({ "value": value }).to_string())
            }
            _ => json_answer(200, format!("{{\"value\": {TOKEN}}}")),
        }
    }
}

fn echo_target() -> MockServer {
    serve(Echo(AtomicUsize::new(0)))
}

/// The program, with `args`, against a fresh echo target.
fn run_against_echo(args: &[&str]) -> Output {
    let server = echo_target();
    run(
        TOKEN,
        &[("CREATELINK_BASE_URL", &format!("{}/beta", server.uri()))],
        args,
    )
}

/// Fails if `text` holds the token or any piece of it that redaction promises to remove.
#[track_caller]
fn assert_no_token(what: &str, text: &str) {
    let leaked: Vec<&str> = (0..=TOKEN.len() - FRAGMENT)
        .map(|i| &TOKEN[i..i + FRAGMENT])
        .filter(|piece| text.contains(piece))
        .collect();
    assert!(
        leaked.is_empty(),
        "{what} holds pieces of the token {leaked:?}:\n{text}"
    );
}

#[track_caller]
fn assert_every_channel_shown(what: &str, text: &str) {
    let missing: Vec<&str> = SHOWN
        .iter()
        .copied()
        .filter(|s| !text.contains(s))
        .collect();
    assert!(missing.is_empty(), "{what} lacks {missing:?}:\n{text}");
}

fn all_output(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn echoed_tokens_never_reach_the_program_output() {
    let out = run_against_echo(&[]);
    assert_eq!(out.status.code(), Some(101), "{}", shown(&out));
    let text = all_output(&out);
    assert_no_token("the output", &text);
    assert_every_channel_shown("the output", &text);
}

#[test]
fn echoed_tokens_never_reach_the_json_format() {
    let out = run_against_echo(&["--format", "json", "-Z", "unstable-options"]);
    assert_no_token("the JSON output", &all_output(&out));
    // The reports as a JSON consumer reads them, escapes decoded.
    let reports: String = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|e| e["stdout"].as_str().map(str::to_owned))
        .collect();
    assert_no_token("the JSON reports", &reports);
    assert_every_channel_shown("the JSON reports", &reports);
}

#[test]
fn echoed_tokens_never_reach_the_junit_file() {
    let server = echo_target();
    let base = format!("{}/beta", server.uri());
    // A config of its own, so the JUnit file goes to a folder of this test's, not target/.
    let dir = temp_dir("hostile-junit");
    let config = dir.join("nextest.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\ndir = {:?}\n\n[profile.ci]\nfail-fast = false\n\n[profile.ci.junit]\n\
             path = \"junit.xml\"\nstore-failure-output = true\n",
            dir.join("store")
        ),
    )
    .unwrap();
    let out = nextest(
        TOKEN,
        &[("CREATELINK_BASE_URL", &base)],
        &[
            "run",
            "--profile",
            "ci",
            "--test",
            "conformance",
            "--config-file",
            config.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(100), "{}", shown(&out));
    assert_no_token("nextest's output", &all_output(&out));
    let junit = dir.join("store/ci/junit.xml");
    let xml = std::fs::read_to_string(&junit)
        .unwrap_or_else(|e| panic!("{}: {e}\n{}", junit.display(), shown(&out)));
    assert_no_token("the JUnit file", &xml);
    let text = quick_xml::escape::unescape(&xml).unwrap();
    assert_every_channel_shown("the JUnit file", &text);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_setup_error_that_quotes_the_token_does_not_print_it() {
    let dir = temp_dir("hostile-setup");
    let env_file = dir.join(".env");
    std::fs::write(&env_file, format!("CREATELINK_TOKEN={TOKEN}\n")).unwrap();
    let out = run(
        TOKEN,
        &[("CREATELINK_EXPECTED_FAILURES", env_file.to_str().unwrap())],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", shown(&out));
    let text = all_output(&out);
    assert_no_token("the setup error", &text);
    assert!(text.contains(".env:1:"), "{}", shown(&out));
    std::fs::remove_dir_all(&dir).ok();
}

// =============================================================================================
// The deadline: CREATELINK_TIMEOUT_SECS bounds the whole exchange, whatever the target sends.

/// How long a hostile raw target keeps sending before it gives up by itself: far longer than
/// the 1 s timeout these tests use, so a case that ends while the target still sends was ended
/// by the harness's deadline, not by the target.
const HOSTILE_FOR: Duration = Duration::from_secs(15);

/// Sends `piece` again and again for [`HOSTILE_FOR`], sleeping `pause` between sends. Returns
/// whether it sent until the end, which the client would only wait for without a deadline.
fn keep_sending(stream: &mut TcpStream, piece: &[u8], pause: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < HOSTILE_FOR {
        if stream.write_all(piece).is_err() {
            return false;
        }
        std::thread::sleep(pause);
    }
    true
}

static FLOOD_OUTLASTED: AtomicBool = AtomicBool::new(false);
static HEADERS_OUTLASTED: AtomicBool = AtomicBool::new(false);
static BODY_OUTLASTED: AtomicBool = AtomicBool::new(false);

/// An endless fast stream of `103 Early Hints`, never a final answer.
fn early_hints_flood(stream: &mut TcpStream) {
    let hints = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n".repeat(256);
    if keep_sending(stream, &hints, Duration::ZERO) {
        FLOOD_OUTLASTED.store(true, Ordering::SeqCst);
    }
}

/// A head that never ends: one header line every 100 ms.
fn trickled_headers(stream: &mut TcpStream) {
    if stream.write_all(b"HTTP/1.1 200 OK\r\n").is_ok()
        && keep_sending(stream, b"X-Slow: 1\r\n", Duration::from_millis(100))
    {
        HEADERS_OUTLASTED.store(true, Ordering::SeqCst);
    }
}

/// A body that never ends: one byte every 100 ms of a declared megabyte.
fn trickled_body(stream: &mut TcpStream) {
    let head =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n";
    if stream.write_all(head).is_ok() && keep_sending(stream, b" ", Duration::from_millis(100)) {
        BODY_OUTLASTED.store(true, Ordering::SeqCst);
    }
}

/// Runs the test template's case against `target` with a 1 s timeout: it fails as timed out,
/// and ended while the target was still sending.
#[track_caller]
fn assert_deadline_holds(target: fn(&mut TcpStream), outlasted: &AtomicBool) {
    let mut config = config_for(&raw_target(target), Profile::Documented);
    config.timeout = Duration::from_secs(1);
    let outcome = run_one(config);
    assert_fails(&outcome, Check::Connection, &[TIMEOUT_SECS, "within 1 s"]);
    assert_eq!(outcome.problems.len(), 1, "{}", outcome.report());
    assert!(
        !outlasted.load(Ordering::SeqCst),
        "the case waited for the target to stop sending instead of ending at its deadline"
    );
}

#[test]
fn an_endless_stream_of_early_hints_times_out() {
    assert_deadline_holds(early_hints_flood, &FLOOD_OUTLASTED);
}

#[test]
fn trickled_headers_time_out() {
    assert_deadline_holds(trickled_headers, &HEADERS_OUTLASTED);
}

#[test]
fn a_trickled_body_times_out() {
    assert_deadline_holds(trickled_body, &BODY_OUTLASTED);
}

// =============================================================================================
// The memory budget: a trial never waits for budget that it holds itself.

/// The repeat's valid answer, padded with white space to 300 KB and sent chunked (no length):
/// each answer reserves the whole budget.
fn padded_chunked_permission(stream: &mut TcpStream) {
    let permission = createlink::reference::permission(
        "/beta/drives/b!conformance-drive/root/createLink",
        &json!({"type": "view", "scope": "organization"}),
    );
    let body = format!("{{\"value\": {permission}{}}}", " ".repeat(300 * 1024));
    let mut bytes = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
        Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        .to_vec();
    for chunk in body.as_bytes().chunks(16 * 1024) {
        bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        bytes.extend_from_slice(chunk);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"0\r\n\r\n");
    common::write_all(stream, &bytes);
}

#[test]
fn the_repeat_of_a_large_chunked_answer_ends_and_passes() {
    let mut config = config_for(&raw_target(padded_chunked_permission), Profile::Documented);
    config.timeout = Duration::from_secs(2);
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let suite = createlink::suite::Suite::new(config).unwrap();
        let id = suite
            .trials()
            .into_iter()
            .find(|&id| suite.trial_name(id) == format!("POST {} repeat", common::TEMPLATE))
            .unwrap();
        let outcome = suite.run_trial(id);
        let _ = done.send((outcome.passed(), outcome.report()));
    });
    // Far past the trial's own bound (two exchanges of at most twice the timeout each): only a
    // trial waiting for itself gets here.
    let (passed, report) = result
        .recv_timeout(Duration::from_secs(30))
        .expect("the repeat trial hung waiting for the memory budget its first answer holds");
    assert!(passed, "{report}");
}

/// An answer past the free allowance, with a length: 10,000 wrongly typed roles (about 7 MiB
/// reserved each), its second half sent after a pause, so every trial's first answer has
/// reserved (or waits to) before any is complete.
fn ten_thousand_roles(stream: &mut TcpStream) {
    let mut value = permission();
    value["roles"] = json!(vec![1; 10_000]);
    let body = json!({ "value": value }).to_string();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    let whole = format!("{head}{body}");
    let (first, second) = whole.as_bytes().split_at(whole.len() / 2);
    if stream.write_all(first).is_ok() {
        std::thread::sleep(Duration::from_millis(300));
        common::write_all(stream, second);
    }
}

#[test]
fn repeats_never_wait_for_each_others_budget() {
    let mut config = config_for(&raw_target(ten_thousand_roles), Profile::Documented);
    config.timeout = Duration::from_secs(3);
    let suite = std::sync::Arc::new(createlink::suite::Suite::new(config).unwrap());
    // Every path's repeat at once: together their first answers hold more than the budget.
    let repeats: Vec<_> = suite
        .trials()
        .into_iter()
        .filter(|&id| suite.trial_name(id).ends_with(" repeat"))
        .collect();
    assert_eq!(repeats.len(), suite.cases().len());
    let threads: Vec<_> = repeats
        .into_iter()
        .map(|id| {
            let suite = std::sync::Arc::clone(&suite);
            std::thread::spawn(move || suite.run_trial(id).report())
        })
        .collect();
    for thread in threads {
        let report = thread.join().unwrap();
        assert!(!report.contains("memory budget"), "{report}");
    }
}
