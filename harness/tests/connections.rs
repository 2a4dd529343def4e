//! Connections and encodings: a kept-alive connection the target closes as a request goes out
//! is retried once on a new one; the harness asks for no content coding, and an answer with one
//! is reported by its coding, never as "not JSON".

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::{
    assert_fails, assert_passes, config_for, documented, enveloped, permission, raw_target,
    run_one, serve,
};
use createlink::load::config::Profile;
use createlink::verdict::Check;
use serde_json::json;
use wiremock::{Request, ResponseTemplate};

/// Answers the first request of a connection and keeps it open; closes it, unanswered, as soon
/// as the next request arrives: a keep-alive timeout racing the client's next request.
fn closes_on_reuse(stream: &mut TcpStream) {
    let body = json!({ "value": permission() }).to_string();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    if stream.write_all(head.as_bytes()).is_err() || stream.write_all(body.as_bytes()).is_err() {
        return;
    }
    let mut next = [0u8; 1];
    let _ = stream.read(&mut next);
}

#[test]
fn a_request_on_a_kept_alive_connection_closed_before_any_answer_is_retried_once() {
    let config = config_for(&raw_target(closes_on_reuse), Profile::Documented);
    let suite = createlink::suite::Suite::new(config).unwrap();
    let case = suite
        .cases()
        .iter()
        .find(|c| c.template.as_str() == common::TEMPLATE)
        .unwrap();
    for attempt in 0..3 {
        let outcome = suite.run_base(case);
        assert!(outcome.passed(), "request {attempt}:\n{}", outcome.report());
    }
}

/// A target that closes every connection without answering: the retry fails too, and the
/// report says both.
fn never_answers(stream: &mut TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

#[test]
fn a_retry_that_fails_too_says_so() {
    let outcome = run_one(config_for(&raw_target(never_answers), Profile::Documented));
    assert_fails(
        &outcome,
        Check::Connection,
        &["on a new connection, after the first attempt failed before any byte"],
    );
}

#[test]
fn the_harness_asks_for_no_content_coding() {
    let asks = |request: &Request| {
        let identity = request
            .headers
            .get("accept-encoding")
            .is_some_and(|v| v == "identity");
        if identity {
            enveloped(permission())
        } else {
            ResponseTemplate::new(406)
        }
    };
    let server = serve(asks);
    assert_passes(&run_one(config_for(
        &format!("{}/beta", server.uri()),
        Profile::Documented,
    )));
}

#[test]
fn an_encoded_answer_is_reported_by_its_coding() {
    for coding in ["gzip", "deflate", "br"] {
        // A label on a plain body counts as much as a real coding: the body is not judged.
        let answer = enveloped(permission()).insert_header("content-encoding", coding);
        let outcome = documented(answer);
        assert_fails(
            &outcome,
            Check::Body,
            &[
                &format!("the body is encoded ({coding})"),
                &format!("Content-Encoding: {coding}"),
            ],
        );
        assert!(!outcome.report().contains("not one JSON document"));
    }
}
