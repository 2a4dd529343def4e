//! What `serve` writes about the requests it gets: one log line each, and the summary at exit.
//!
//! Neither ever holds the bearer token or the body's password: the reference's messages never
//! quote them (see `reference::refusal`), and each line is also redacted with the request's own
//! `Authorization` values, in case a client put its token somewhere else (the path, the body).

use std::collections::BTreeMap;
use std::fmt::Write;

use wiremock::Request;

use crate::config::Token;
use crate::redact::Redactor;
use crate::reference::{Fault, Reply};

/// The summary's name for requests on no documented path.
const UNMATCHED: &str = "(no documented path)";

/// Requests so far: per documented path, and per broken rule with the first message as example.
#[derive(Debug, Default)]
pub struct Tally {
    paths: BTreeMap<String, PathCount>,
    faults: BTreeMap<Fault, FaultCount>,
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
        let redactors = credentials(request);
        let redact = |text: &str| {
            redactors
                .iter()
                .fold(text.to_owned(), |text, r| r.redact(&text))
        };
        let target = match reply.template {
            Some(t) => t.as_str().to_owned(),
            None => redact(request.url.path()),
        };
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
        let mut out = format!(
            "createlink-conformance serve: {total} request{}, {ok} answered, {refused} refused\n\
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
    crate::json_text::cut(&crate::inert::escape(text), LINE_LIMIT)
}

/// Redactors for every `Authorization` value of `request`, whole and after its scheme.
fn credentials(request: &Request) -> Vec<Redactor> {
    request
        .headers
        .get_all("authorization")
        .iter()
        .flat_map(|value| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            let after_scheme = value
                .split_once(' ')
                .map(|(_, rest)| rest.trim().to_owned());
            std::iter::once(value).chain(after_scheme)
        })
        .map(|secret| Redactor::new(&Token::new(secret)))
        .collect()
}
