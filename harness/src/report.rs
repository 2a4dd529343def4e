//! The failure report of a case: what each problem is, where, and how to reproduce it.

pub mod digest;
pub mod summary;
pub mod unpadded;

use std::fmt::Write as _;

use crate::exchange::request::PreparedRequest;
use crate::model::inert::escape;
use crate::model::profile::Profile;
use crate::verdict::behaviour::Behaviour;
use crate::verdict::{self, ContentTypeFault, Problem, StatusRule};

/// The whole report: every problem once, in check order, then the `curl` line.
pub fn render(problems: &[Problem], request: &PreparedRequest) -> String {
    render_with_hint(problems, None, request)
}

/// [`render`], with a `hint:` line after the problems when `hint` says something.
pub fn render_with_hint(
    problems: &[Problem],
    hint: Option<&str>,
    request: &PreparedRequest,
) -> String {
    let mut out = String::new();
    let count = verdict::count(problems);
    let _ = writeln!(
        out,
        "{count} problem{} with POST {}",
        if count == 1 { "" } else { "s" },
        request.url
    );
    for (i, problem) in problems.iter().enumerate() {
        if let Problem::Unlisted(counts) = problem {
            let _ = writeln!(out, "\n{}", unlisted(counts));
            continue;
        }
        let _ = write!(out, "\n{}. [{}] ", i + 1, problem.check().name());
        describe(&mut out, problem);
    }
    if let Some(hint) = hint {
        let _ = writeln!(out, "hint: {hint}");
    }
    let _ = write!(
        out,
        "\nreproduce with{}:\n  {}\n",
        if request.times > 1 {
            " (the same request, sent twice)"
        } else {
            ""
        },
        request.curl().replace('\n', "\n  ")
    );
    out
}

/// The most bytes of failure reports a run keeps in full: libtest-mimic holds every failure's
/// text until the run ends, so past this the reports are [`shortened`].
pub const KEPT_LIMIT: usize = 32 * 1024 * 1024;

/// A report past [`KEPT_LIMIT`]: its count line and first problem's summary, and why.
pub fn shortened(report: &str) -> String {
    format!(
        "{}\n{}\n(the rest of this report is not kept: the run's reports reached {} MiB; run this \
         trial alone, with a filter on its name, for the whole report)\n",
        first_line(report),
        first_line_of_first_problem(report),
        KEPT_LIMIT / (1024 * 1024)
    )
}

/// `and 999 more of the same kinds, not listed: 998 [schema], 1 [body]`.
fn unlisted(counts: &[(verdict::Check, usize)]) -> String {
    let total: usize = counts.iter().map(|c| c.1).sum();
    let each: Vec<String> = counts
        .iter()
        .map(|(check, n)| format!("{n} [{}]", check.name()))
        .collect();
    format!(
        "and {total} more of the same kinds, not listed: {}",
        each.join(", ")
    )
}

/// One problem as the report writes it, without its number.
pub fn problem_text(problem: &Problem) -> String {
    if let Problem::Unlisted(counts) = problem {
        return unlisted(counts);
    }
    let mut out = String::new();
    let _ = write!(out, "[{}] ", problem.check().name());
    describe(&mut out, problem);
    out
}

/// One problem: its summary line, then indented details.
fn describe(out: &mut String, problem: &Problem) {
    if let Problem::OnRepeat(inner) = problem {
        let _ = write!(out, "second answer: ");
        return describe(out, inner);
    }
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
            let _ = writeln!(
                out,
                "expected {}, got {}",
                expected_status(*expected),
                status_line(*actual)
            );
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
        Problem::ContentType { actual, fault } => {
            let why = match fault {
                ContentTypeFault::Missing => "missing; expected application/json".to_owned(),
                ContentTypeFault::Several(n) => {
                    format!("{n} Content-Type headers; expected exactly one, application/json")
                }
                ContentTypeFault::Invalid(e) => {
                    format!("not a valid media type ({e}); expected application/json")
                }
                ContentTypeFault::NotJson(essence) => {
                    format!("media type is {essence}; expected application/json")
                }
            };
            let _ = writeln!(out, "{}", escape(&why));
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
        Problem::BodyEncoded { coding } => {
            let _ = writeln!(
                out,
                "the body is encoded ({coding}), though the request asked for none \
                 (Accept-Encoding: identity); not decoded, not judged"
            );
            detail(out, "got:", &format!("Content-Encoding: {coding}"));
        }
        Problem::BodyTooManyValues { limit, values } => {
            let _ = writeln!(
                out,
                "about {values} JSON values; the harness judges at most {limit} (a permission has a \
                 few dozen), so the body was not parsed"
            );
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
        Problem::BodyNumberOutOfRange { offset, context } => {
            let _ = writeln!(
                out,
                "a number beyond the range of a 64-bit float (IEEE 754 double); parsers that read \
                 JSON numbers as doubles cannot hold it (RFC 8259 §6)"
            );
            detail(out, "at byte:", &offset.to_string());
            detail(out, "around:", context);
        }
        Problem::DuplicateMember(d) => {
            let _ = writeln!(
                out,
                "{}: the name {:?} occurs {} times in one object",
                escape(&d.pointer),
                d.name,
                d.count
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
            let _ = writeln!(
                out,
                "{}: {}",
                escape(pointer),
                escape(first_line(&v.reason))
            );
            detail(out, "pointer:", pointer);
            detail(out, "value:", &v.value);
            detail(out, "rule:", &v.rule);
        }
        Problem::Behaviour(b) => behaviour(out, b),
        Problem::Unlisted(counts) => {
            let _ = writeln!(out, "{}", unlisted(counts));
        }
        Problem::OnRepeat(_) => unreachable!("handled above"),
    }
}

/// One problem as the digest counts it: its check and rule, without the values that differ
/// from answer to answer, so the same mistake on fifty paths is one line. A connection problem
/// keeps its reason (cut), which says what to fix.
pub fn digest_line(problem: &Problem) -> String {
    match problem {
        Problem::Connection { reason } => {
            format!("{}: {}", pin_line(problem), json_text_cut(reason))
        }
        Problem::OnRepeat(inner) => format!("second answer: {}", digest_line(inner)),
        _ => pin_line(problem),
    }
}

/// One problem as an expected-failures line pins it: its check and rule, nothing that changes
/// from run to run (a connection's reason names a port).
pub fn pin_line(problem: &Problem) -> String {
    let check = problem.check().name();
    let what = match problem {
        Problem::OnRepeat(inner) => return format!("second answer: {}", pin_line(inner)),
        Problem::Connection { .. } => "no answer".to_owned(),
        Problem::Status {
            expected, actual, ..
        } => format!(
            "expected {}, got {}",
            expected_status(*expected),
            status_line(*actual)
        ),
        Problem::ContentType { fault, .. } => match fault {
            ContentTypeFault::Missing => "missing".to_owned(),
            ContentTypeFault::Several(_) => "more than one Content-Type header".to_owned(),
            ContentTypeFault::Invalid(_) => "not a valid media type".to_owned(),
            ContentTypeFault::NotJson(essence) => format!("media type is {essence}"),
        },
        Problem::BodyTooLarge { limit, .. } => {
            format!("body larger than {} MiB", limit / (1024 * 1024))
        }
        Problem::BodyTooManyValues { limit, .. } => format!("more than {limit} JSON values"),
        Problem::BodyNotJson { .. } => "not one JSON document".to_owned(),
        Problem::BodyEncoded { coding } => format!("the body is encoded ({coding})"),
        Problem::BodyNumberOutOfRange { .. } => {
            "a number beyond the range of a 64-bit float".to_owned()
        }
        // The kinds past the listed ones are not known one by one: a pin says only that there
        // were more.
        Problem::Unlisted(_) => "more problems than the report lists".to_owned(),
        Problem::DuplicateMember(d) => {
            format!("{}: the name {:?} occurs more than once", d.pointer, d.name)
        }
        Problem::Schema(v) => {
            let pointer = if v.pointer.is_empty() {
                "(the whole body)"
            } else {
                &v.pointer
            };
            format!("{pointer} breaks {}", v.rule)
        }
        Problem::Behaviour(b) => b.rule.statement().to_owned(),
    };
    format!("[{check}] {what}")
}

/// A reason cut for one digest line: the client's reasons can be long.
fn json_text_cut(reason: &str) -> String {
    let line = first_line(reason);
    match line.char_indices().nth(160) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_owned(),
    }
}

/// libtest's failure message under nextest, where the report goes to stderr once.
pub const NEXTEST_FAILED: &str = "failed: the report is on stderr, after `Error:`";

/// The first lines of a baseline file: what it is and what wrote it.
pub fn baseline_heading(profile: Profile, target: &str, failed: usize) -> String {
    format!(
        "# createlink-conformance baseline: the {failed} trial{} that did not pass, profile {}, \
         target {target}.\n# Use it as CREATELINK_EXPECTED_FAILURES: a listed trial that fails \
         with a problem not pinned after `=>`\n# fails the run, and one that passes fails it too \
         (remove its line).\n",
        if failed == 1 { "" } else { "s" },
        profile.name()
    )
}

/// The hint for a base answer that fails under the run's profile but has `other`'s shape.
pub fn profile_hint(other: Profile) -> String {
    format!(
        "this answer has the {} profile's shape: run with CREATELINK_PROFILE={}",
        other.name(),
        other.name()
    )
}

/// The digest's line for an inconclusive trial: each report says which link and item.
pub const INCONCLUSIVE: &str = "an existing link came back where the trial needed one of its \
     own: use items that hold no such link, or delete them";

/// The hint for a target that answered `404` to every trial.
pub const ALL_NOT_FOUND: &str = "every answer was 404 Not Found: does CREATELINK_BASE_URL end \
     with the version prefix the paths hang from (e.g. https://host/beta), and do \
     CREATELINK_PARAMS name items that exist?";

/// The status a rule accepts, as written in reports.
pub fn expected_status(rule: StatusRule) -> String {
    match rule {
        StatusRule::Link(Profile::Documented) => "200 OK (profile documented)".to_owned(),
        StatusRule::Link(Profile::Graph) => "200 OK or 201 Created (profile graph)".to_owned(),
        StatusRule::Existing(profile) => {
            format!("200 OK for the existing link (profile {})", profile.name())
        }
        StatusRule::Refused(status) => format!("{}, a refusal", status_line(status)),
    }
}

/// `[behaviour] <pointer> is <got>; <what the rule wanted>`, then the rule and its source.
fn behaviour(out: &mut String, b: &Behaviour) {
    let pointer = if b.pointer.is_empty() {
        "the body"
    } else {
        &b.pointer
    };
    let got = match &b.got {
        Some(value) => format!("{pointer} is {value}"),
        None => format!("{pointer} is absent"),
    };
    let why = b.rule.why(b.wanted.as_deref());
    let _ = writeln!(out, "{}; {}", escape(&got), escape(&why));
    detail(
        out,
        "pointer:",
        if b.pointer.is_empty() {
            "(the whole body)"
        } else {
            &b.pointer
        },
    );
    detail(out, "rule:", b.rule.statement());
    detail(out, "source:", b.rule.source());
}

/// A detail line: whatever `text` holds, one line (see `inert`).
fn detail(out: &mut String, label: &str, text: &str) {
    let _ = writeln!(out, "   {label:<10}{}", escape(text));
}

/// The summary line of a report's first problem (`1. [status] expected …`), or its first line.
pub fn first_line_of_first_problem(report: &str) -> &str {
    report
        .lines()
        .find(|l| l.starts_with("1. "))
        .map_or_else(|| first_line(report), |l| &l[3..])
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

/// `--help`: what the program does, its options and its variables. Only the libtest options
/// that change a conformance run are listed; the others (`--nocapture`, `--show-output`,
/// `--test`, `-Z`) are still accepted, since runners such as nextest pass them.
pub const HELP: &str = "\
createlink-conformance: the conformance suite for Microsoft Graph's createLink (beta).

Usage:
  createlink-conformance [OPTIONS] [FILTER]   run the suite (or: cargo test --test conformance --)
  createlink-conformance serve [OPTIONS]       run the reference server (see `serve --help`)

Runs 20 trials on each of 29 paths (the seed API document's 23, the published pages' 6)
against CREATELINK_BASE_URL, or against the built-in reference server when it is unset.
`createlink-conformance serve` runs that server on its own (see `serve --help`).

Variables (all optional):
  CREATELINK_BASE_URL           base URL of the implementation, e.g. https://host/beta
  CREATELINK_TOKEN              bearer token sent with each request; never printed
  CREATELINK_PARAMS             JSON file of path-parameter values
  CREATELINK_TIMEOUT_SECS       deadline of each exchange, in seconds (default 30)
  CREATELINK_PROFILE            documented (default) or graph (the published pages, the SDKs)
  CREATELINK_SERVICE            any (default), personal or business: what that service lacks
                                is not sent, and its trials show as ignored with the reason
  CREATELINK_EXPECTED_FAILURES  file of known failures: paths, trial names or variants
  CREATELINK_CONCURRENCY        most requests in flight (default 64)
  CREATELINK_CASES              folder of case files instead of the built-in ones
  CREATELINK_SCHEMAS            folder of schemas instead of the built-in ones
  CREATELINK_SUMMARY            file to append a Markdown summary to (else GITHUB_STEP_SUMMARY)
  CREATELINK_KEEP_LINKS         1: delete no link the run created (default 0: delete them)
  CREATELINK_FRESH_ITEMS        1: the items held no link before the run (lets documented delete)
Relative paths are relative to the clone's root under cargo, else to the working directory.

Options:
  [FILTER]                run the trials whose names contain FILTER
  --exact                 FILTER must match a whole trial name
  --skip FILTER           leave out the trials whose names contain FILTER (repeatable)
  --list                  list the trial names and send nothing
  --fail-fast             after the first failure, start no further trial (they show as ignored)
  --write-baseline FILE   write the expected-failures file that would make this run pass
  --test-threads N        most trials at once (default CREATELINK_CONCURRENCY)
  --format pretty|terse|json, -q   how results are printed (-q is --format terse)
  --color auto|always|never        colour of the results
  --logfile PATH          write the results to PATH instead of stdout
  --ignored, --include-ignored     libtest's: no trial is marked ignored, so --ignored selects none
  -h, --help / -V, --version

Exit codes: 0 every trial passed or failed as expected, 101 a trial failed, 2 a variable, file
or option is wrong, or the options would check nothing (nothing was sent), 4 no trial matches
the filter or options.
";
