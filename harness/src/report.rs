//! The failure report of a case: what each problem is, where, and how to reproduce it.

use std::fmt::Write as _;

use crate::check::Problem;
use crate::request::PreparedRequest;

/// The whole report: every problem once, in check order, then the `curl` line.
pub fn render(problems: &[Problem], request: &PreparedRequest) -> String {
    let mut out = String::new();
    let count = problems.len();
    let _ = writeln!(
        out,
        "{count} problem{} with POST {}",
        if count == 1 { "" } else { "s" },
        request.url
    );
    for (i, problem) in problems.iter().enumerate() {
        let _ = write!(out, "\n{}. [{}] ", i + 1, problem.check().name());
        describe(&mut out, problem);
    }
    let _ = write!(
        out,
        "\nreproduce with:\n  {}\n",
        request.curl().replace('\n', "\n  ")
    );
    out
}

/// One problem: its summary line, then indented details.
fn describe(out: &mut String, problem: &Problem) {
    let detail = |out: &mut String, label: &str, text: &str| {
        let _ = writeln!(out, "   {label:<10}{text}");
    };
    match problem {
        Problem::Connection { reason } => {
            let _ = writeln!(out, "no answer");
            detail(out, "reason:", reason);
        }
        Problem::Status {
            expected,
            actual,
            location,
            error,
            body_start,
        } => {
            let _ = writeln!(out, "expected {expected}, got {}", status_line(*actual));
            if (300..400).contains(actual) {
                let to = location.as_deref().unwrap_or("(no Location header)");
                detail(
                    out,
                    "location:",
                    &format!("{to} (redirects are not followed)"),
                );
            }
            if let Some(e) = error {
                detail(out, "code:", &e.code);
                detail(out, "message:", &e.message);
                if let Some(id) = &e.request_id {
                    detail(out, "request:", id);
                }
                if let Some(date) = &e.date {
                    detail(out, "date:", date);
                }
            }
            if let Some(start) = body_start {
                detail(out, "body:", start);
            }
        }
        Problem::ContentType { actual, why } => {
            let _ = writeln!(out, "{why}");
            detail(
                out,
                "got:",
                actual.as_deref().unwrap_or("(no Content-Type header)"),
            );
        }
        Problem::BodyTooLarge { limit, declared } => {
            let _ = writeln!(
                out,
                "body larger than {} MiB; not read further",
                limit / (1024 * 1024)
            );
            if let Some(n) = declared {
                detail(out, "length:", &format!("Content-Length: {n}"));
            }
        }
        Problem::BodyNotJson {
            reason,
            offset,
            context,
        } => {
            let _ = writeln!(out, "not one JSON document");
            detail(out, "reason:", reason);
            if !context.is_empty() {
                detail(out, "at byte:", &offset.to_string());
                detail(out, "around:", context);
            }
        }
        Problem::DuplicateMember(d) => {
            let _ = writeln!(
                out,
                "{}: the name {:?} occurs {} times in one object",
                d.pointer, d.name, d.count
            );
            detail(out, "pointer:", &d.pointer);
            detail(
                out,
                "why:",
                "names must be unique (RFC 8259 §4): clients differ in which one they keep; \
                 the schema check judged the last",
            );
        }
        Problem::Schema(v) => {
            let pointer = if v.pointer.is_empty() {
                "(the whole body)"
            } else {
                &v.pointer
            };
            let _ = writeln!(out, "{pointer}: {}", first_line(&v.reason));
            detail(out, "pointer:", pointer);
            detail(out, "value:", &v.value);
            detail(out, "rule:", &v.rule);
        }
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

pub fn status_line(status: u16) -> String {
    match reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}
