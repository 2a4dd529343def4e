//! What `serve` writes about the requests it gets: one log line each, and the summary at exit.
//!
//! Neither ever holds the bearer token or the body's password: the reference's messages never
//! quote them (see `reference::refusal`), and each line is also cleaned of the request's own
//! `Authorization` values, in case a client put its token somewhere else (the path, the body).
//! Only whole values are replaced, never pieces of one: a body that shares a few characters with
//! the token is logged as it was sent.

use std::collections::BTreeMap;
use std::fmt::Write;

use wiremock::Request;

use crate::model::template::encode_segment;
use crate::reference::{Fault, Reply};

/// The summary's name for requests on no documented path.
const UNMATCHED: &str = "(no documented path)";

/// What an `Authorization` value, or the token in it, is logged as.
pub const REDACTED: &str = "<Authorization>";

/// Requests so far: per documented path, and per broken rule with the first message as example.
#[derive(Debug, Default)]
pub struct Tally {
    paths: BTreeMap<String, PathCount>,
    faults: BTreeMap<Fault, FaultCount>,
    /// CORS preflights: granted, and counted apart from the requests they precede.
    preflights: usize,
}

#[derive(Debug, Default)]
struct PathCount {
    ok: usize,
    refused: usize,
}

#[derive(Debug)]
struct FaultCount {
    count: usize,
    example: String,
}

impl Tally {
    /// Counts `reply`, and returns its log line: method, documented path (or the path as sent,
    /// without its query, when none matched), status, and `ok` or the broken rule and message.
    pub fn record(&mut self, request: &Request, reply: &Reply<'_>) -> String {
        let secrets = credentials(request);
        // A secret longer than the text cannot be in it: most are (90 values of 600 bytes took
        // 22 ms a request, searched for in every short text).
        let redact = |text: &str| {
            secrets
                .iter()
                .filter(|s| s.len() <= text.len())
                .fold(text.to_owned(), |text, s| {
                    if text.contains(s.as_str()) {
                        text.replace(s.as_str(), REDACTED)
                    } else {
                        text
                    }
                })
        };
        let target = match reply.template {
            Some(t) => t.as_str().to_owned(),
            None => redact(request.url.path()),
        };
        if reply.refusal.is_none() && request.method.as_str() == "OPTIONS" {
            self.preflights += 1;
            return format!("OPTIONS {target} -> {} CORS preflight", reply.answer.status);
        }
        let verdict = match &reply.refusal {
            None => "ok".to_owned(),
            Some(refusal) => redact(&format!("{}: {}", refusal.fault, refusal.message)),
        };
        let count = self
            .paths
            .entry(
                reply
                    .template
                    .map_or(UNMATCHED.to_owned(), |t| t.as_str().to_owned()),
            )
            .or_default();
        match &reply.refusal {
            None => count.ok += 1,
            Some(refusal) => {
                count.refused += 1;
                self.faults
                    .entry(refusal.fault)
                    .and_modify(|f| f.count += 1)
                    .or_insert_with(|| FaultCount {
                        count: 1,
                        example: line(&redact(&refusal.message)),
                    });
            }
        }
        line(&format!(
            "{} {target} -> {} {verdict}",
            redact(request.method.as_str()),
            reply.answer.status
        ))
    }

    /// The summary printed at exit; `documented` is how many paths are served.
    pub fn summary(&self, documented: usize) -> String {
        let (ok, refused) = self
            .paths
            .values()
            .fold((0, 0), |(o, r), c| (o + c.ok, r + c.refused));
        let requested = self.paths.keys().filter(|k| *k != UNMATCHED).count();
        let total = ok + refused;
        let preflights = match self.preflights {
            0 => String::new(),
            1 => ", 1 CORS preflight".to_owned(),
            n => format!(", {n} CORS preflights"),
        };
        let mut out = format!(
            "createlink-conformance serve: {total} request{}, {ok} answered, {refused} \
             refused{preflights}\n\
             requests per path ({requested} of {documented} documented paths requested):\n",
            if total == 1 { "" } else { "s" }
        );
        // Documented paths by name, then the requests on none.
        let unmatched = self.paths.get_key_value(UNMATCHED);
        let paths = self.paths.iter().filter(|(k, _)| *k != UNMATCHED);
        for (path, c) in paths.chain(unmatched) {
            let _ = writeln!(
                out,
                "{:>7}  {path}  ({} ok, {} refused)",
                c.ok + c.refused,
                c.ok,
                c.refused
            );
        }
        if self.faults.is_empty() {
            out.push_str("violations: none\n");
        } else {
            out.push_str("violations (count, rule, first message):\n");
        }
        for (fault, f) in &self.faults {
            let _ = writeln!(out, "{:>7}  {:<16}  {}", f.count, fault.name(), f.example);
        }
        out
    }
}

/// The most characters of one log line or summary example: a request with a million
/// violations made a line of 50 MB.
const LINE_LIMIT: usize = 2000;

/// Text of the request, as one line of the log (`inert`), cut at [`LINE_LIMIT`] characters.
fn line(text: &str) -> String {
    crate::model::json_text::cut(&crate::model::inert::escape(text), LINE_LIMIT)
}

/// Every `Authorization` value of `request`, and the credential after its scheme, in each form
/// a log line may quote it (as sent, JSON- or `Debug`-escaped, percent-encoded), longest first so
/// that a value is replaced whole before the token inside it. A bare scheme is no secret.
fn credentials(request: &Request) -> Vec<String> {
    let mut secrets: Vec<String> = request
        .headers
        .get_all("authorization")
        .iter()
        .flat_map(|value| {
            let value = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
            let after_scheme = value
                .split_once(' ')
                .map(|(_, rest)| rest.trim().to_owned());
            std::iter::once(value).chain(after_scheme)
        })
        .filter(|secret| !secret.is_empty() && !secret.eq_ignore_ascii_case("bearer"))
        .flat_map(|secret| {
            let json = serde_json::to_string(&secret).unwrap_or_default();
            let debug = format!("{secret:?}");
            [
                encode_segment(&secret),
                json.trim_matches('"').to_owned(),
                debug.trim_matches('"').to_owned(),
                secret,
            ]
        })
        .collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    secrets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::{Refusal, error};
    use wiremock::http::{HeaderMap, HeaderValue, Method};

    fn request(authorization: &[&str], path: &str) -> Request {
        let mut headers = HeaderMap::new();
        for value in authorization {
            headers.append("authorization", HeaderValue::from_str(value).unwrap());
        }
        Request {
            url: format!("http://127.0.0.1{path}").parse().unwrap(),
            method: Method::POST,
            headers,
            body: Vec::new(),
        }
    }

    fn refused(message: &str) -> Reply<'static> {
        let refusal = Refusal {
            fault: Fault::Schema,
            status: 400,
            code: "invalidRequest",
            message: message.to_owned(),
        };
        Reply {
            template: None,
            answer: error(400, refusal.code, &refusal.message),
            refusal: Some(refusal),
        }
    }

    #[test]
    fn the_log_replaces_whole_authorization_values_and_nothing_else() {
        let mut tally = Tally::default();
        // A token that shares 12 characters with the body's text: the text is left alone.
        let token = "createlink-conformance-token";
        let sent = request(&[&format!("Bearer {token}")], "/beta/nowhere");
        let message = "at /type: \"conformance-unknown-type\" is not one of \"view\"";
        let line = tally.record(&sent, &refused(message));
        assert!(line.contains(message), "{line}");

        // The token itself, wherever the client put it, is replaced whole.
        for (path, message) in [
            (
                format!("/beta/x/{token}"),
                format!("\"{token}\" is no type"),
            ),
            (
                "/beta/x/y".to_owned(),
                format!("the Authorization value \"Bearer {token}\" came back"),
            ),
        ] {
            let line = tally.record(
                &request(&[&format!("Bearer {token}")], &path),
                &refused(&message),
            );
            assert!(!line.contains(token), "{line}");
            assert!(line.contains(REDACTED), "{line}");
            assert!(
                !line.contains("Bearer <"),
                "the whole value goes first: {line}"
            );
        }
        // Escaped forms too: a token with a quote, as a `Debug` or JSON string shows it.
        let quoted = r#"abc"def-0123456789"#;
        let line = tally.record(
            &request(&[&format!("Bearer {quoted}")], "/beta/x"),
            &refused(&format!("{:?}", quoted)),
        );
        assert!(!line.contains("def-0123456789"), "{line}");
        // A bare scheme is no secret: the word stays.
        let line = tally.record(
            &request(&["Bearer"], "/beta/x"),
            &refused("after \"Bearer\""),
        );
        assert!(line.contains("after \"Bearer\""), "{line}");
    }
}
