//! The verdict: a pure function from what came back to the list of problems.
//!
//! Nothing here touches the network, so every check is unit-testable with a literal response.

pub mod behaviour;

use serde_json::Value;

use crate::load::schema::{Schemas, Violation};
use crate::model::duplicate_members::{self, DuplicateMember};
use crate::model::json_text::cut;
use crate::model::media_type::MediaType;
use crate::model::profile::Profile;
use behaviour::Behaviour;

/// What the target answered, as far as the checks need it.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    /// Every `Content-Type` header value, in order.
    pub content_types: Vec<String>,
    pub location: Option<String>,
    pub body: AnswerBody,
}

#[derive(Clone, Debug)]
pub enum AnswerBody {
    Complete(Vec<u8>),
    /// Not read past `limit` bytes; `declared` is the Content-Length, when one was sent.
    TooLarge {
        limit: u64,
        declared: Option<u64>,
    },
    /// Sent with a content coding (`Content-Encoding`, as sent) although the request asked for
    /// none (`Accept-Encoding: identity`): not decoded, not judged.
    Encoded {
        coding: String,
    },
}

/// How a case's exchange ended.
#[derive(Clone, Debug)]
pub enum Exchange {
    Answered(Response),
    /// No complete answer: refused, reset, timed out, or a body cut off mid-way.
    Failed {
        reason: String,
    },
}

/// Which check a problem belongs to; the name printed in reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    Connection,
    Status,
    ContentType,
    Body,
    Schema,
    Behaviour,
}

impl Check {
    /// Every check, in the order reports list them.
    pub const ALL: [Check; 6] = [
        Check::Connection,
        Check::Status,
        Check::ContentType,
        Check::Body,
        Check::Schema,
        Check::Behaviour,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Check::Connection => "connection",
            Check::Status => "status",
            Check::ContentType => "content-type",
            Check::Body => "body",
            Check::Schema => "schema",
            Check::Behaviour => "behaviour",
        }
    }
}

/// What is wrong with the `Content-Type` of an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentTypeFault {
    Missing,
    /// More than one header.
    Several(usize),
    /// Not a media type; the parser's reason.
    Invalid(String),
    /// A media type other than `application/json`: its essence, lower-cased.
    NotJson(String),
}

/// Graph's error shape: `{"error": {"code", "message", "innerError": {"request-id", "date"}}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphError {
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    pub date: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Connection {
        reason: String,
    },
    Status {
        expected: StatusRule,
        actual: u16,
        location: Option<String>,
        error: Option<Box<GraphError>>,
        /// The start of the body, when it is not Graph's error shape.
        body_start: Option<String>,
    },
    ContentType {
        /// What came back: `None` when the header is missing.
        actual: Option<String>,
        fault: ContentTypeFault,
    },
    BodyTooLarge {
        limit: u64,
        declared: Option<u64>,
    },
    /// A body with a content coding, though the request asked for `identity`.
    BodyEncoded {
        coding: String,
    },
    /// More JSON values than [`MAX_VALUES`]: not parsed, so memory stays bounded.
    BodyTooManyValues {
        limit: usize,
        values: usize,
    },
    BodyNotJson {
        reason: String,
        /// Byte offset where parsing stopped.
        offset: usize,
        /// The bytes around `offset`, escaped.
        context: String,
    },
    /// A number beyond the range of a 64-bit float: valid JSON grammar, but no parser that
    /// reads numbers as doubles (serde_json, JavaScript) can hold it (RFC 8259 §6).
    BodyNumberOutOfRange {
        /// Byte offset where parsing stopped: just after the number.
        offset: usize,
        /// The bytes around `offset`, escaped.
        context: String,
    },
    /// A name that occurs more than once in one object of the body.
    DuplicateMember(DuplicateMember),
    Schema(Violation),
    Behaviour(Behaviour),
    /// A problem of the second answer of a repeated request.
    OnRepeat(Box<Problem>),
    /// Problems past the [`MAX_LISTED`] listed ones: how many of each check, in check order.
    Unlisted(Vec<(Check, usize)>),
}

/// The most problems one trial lists; the rest are counted by check. A report stays readable,
/// and the memory the run keeps for it (libtest-mimic holds every failure to the end) bounded.
pub const MAX_LISTED: usize = 20;

/// Values quoted from the answer (a Graph error's fields, a `Location`) are cut at this many
/// characters: a 15 MiB `message` is a 15 MiB report line otherwise.
pub const FIELD_LIMIT: usize = 200;

impl Problem {
    /// The JSON pointer into the body the problem is about, where it has one.
    pub fn pointer(&self) -> Option<&str> {
        match self {
            Problem::Schema(v) => Some(&v.pointer),
            Problem::Behaviour(b) => Some(&b.pointer),
            Problem::DuplicateMember(d) => Some(&d.pointer),
            Problem::OnRepeat(inner) => inner.pointer(),
            _ => None,
        }
    }

    pub fn check(&self) -> Check {
        match self {
            Problem::Connection { .. } => Check::Connection,
            Problem::Status { .. } => Check::Status,
            Problem::ContentType { .. } => Check::ContentType,
            Problem::BodyTooLarge { .. }
            | Problem::BodyEncoded { .. }
            | Problem::BodyTooManyValues { .. }
            | Problem::BodyNotJson { .. }
            | Problem::BodyNumberOutOfRange { .. }
            | Problem::DuplicateMember(_) => Check::Body,
            Problem::Schema(_) => Check::Schema,
            Problem::Behaviour(_) => Check::Behaviour,
            Problem::OnRepeat(inner) => inner.check(),
            Problem::Unlisted(counts) => counts.first().map_or(Check::Body, |c| c.0),
        }
    }

    /// How many problems this stands for: one, or the count of the unlisted ones.
    pub fn count(&self) -> usize {
        match self {
            Problem::Unlisted(counts) => counts.iter().map(|c| c.1).sum(),
            Problem::OnRepeat(inner) => inner.count(),
            _ => 1,
        }
    }
}

/// How many problems `problems` stand for, the unlisted ones included.
pub fn count(problems: &[Problem]) -> usize {
    problems.iter().map(Problem::count).sum()
}

/// The first [`MAX_LISTED`] problems, and one [`Problem::Unlisted`] counting the rest (those
/// past the limit and those counted already) by check, in the order of [`Check`].
fn capped(problems: Vec<Problem>) -> Vec<Problem> {
    let mut listed = Vec::new();
    let mut counts: Vec<(Check, usize)> = Vec::new();
    let mut add = |check: Check, n: usize| match counts.iter_mut().find(|c| c.0 == check) {
        Some(c) => c.1 += n,
        None => counts.push((check, n)),
    };
    for problem in problems {
        let unlisted = match &problem {
            Problem::Unlisted(c) => Some(c),
            Problem::OnRepeat(inner) => match &**inner {
                Problem::Unlisted(c) => Some(c),
                _ => None,
            },
            _ => None,
        };
        match unlisted {
            Some(c) => c.iter().for_each(|&(check, n)| add(check, n)),
            None if listed.len() < MAX_LISTED => listed.push(problem),
            None => add(problem.check(), 1),
        }
    }
    counts.retain(|c| c.1 > 0);
    counts.sort_by_key(|c| Check::ALL.iter().position(|o| *o == c.0));
    if !counts.is_empty() {
        listed.push(Problem::Unlisted(counts));
    }
    listed
}

/// Which status a conforming answer has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusRule {
    /// A created or existing link: `200` as documented; `201` or `200` under `graph`.
    Link(Profile),
    /// The answer to a request repeated: the existing link, `200` under both profiles (graph:
    /// "200 OK if an existing link is returned", driveitem-createlink).
    Existing(Profile),
    /// A refusal, with exactly this status.
    Refused(u16),
}

impl StatusRule {
    pub fn accepts(self, status: u16) -> bool {
        match self {
            StatusRule::Link(Profile::Graph) => status == 200 || status == 201,
            StatusRule::Link(Profile::Documented) | StatusRule::Existing(_) => status == 200,
            StatusRule::Refused(expected) => status == expected,
        }
    }
}

/// What a trial asks of its answers.
#[derive(Clone, Copy, Debug)]
pub enum Expect<'a> {
    /// A base trial: the design card's checks (status, Content-Type, schema).
    Base,
    /// A variant that asks for a link with this request body: the base checks and the behaviour
    /// rules on every answer; with two answers, the second must return the same link.
    Link { request: &'a Value },
    /// A variant that Graph refuses with `status`, in its error shape.
    Refusal { status: u16 },
}

/// All problems of one trial's exchanges (two for a repeated request, else one).
pub fn judge(
    profile: Profile,
    schemas: &Schemas,
    expect: Expect<'_>,
    exchanges: &[&Exchange],
) -> Vec<Problem> {
    let Some(&first) = exchanges.first() else {
        return Vec::new();
    };
    capped(all_problems(
        profile,
        schemas,
        expect,
        first,
        exchanges.get(1).copied(),
    ))
}

fn all_problems(
    profile: Profile,
    schemas: &Schemas,
    expect: Expect<'_>,
    first: &Exchange,
    second: Option<&Exchange>,
) -> Vec<Problem> {
    match expect {
        Expect::Base => answer(profile, schemas, StatusRule::Link(profile), first).0,
        Expect::Refusal { status } => refusal(status, first),
        Expect::Link { request } => {
            let (mut problems, first_body) =
                linked(profile, schemas, StatusRule::Link(profile), request, first);
            if let Some(second) = second {
                let (again, second_body) = linked(
                    profile,
                    schemas,
                    StatusRule::Existing(profile),
                    request,
                    second,
                );
                problems.extend(again.into_iter().map(|p| Problem::OnRepeat(Box::new(p))));
                if let (Some(a), Some(b)) = (&first_body, &second_body) {
                    let (pointer, a, b) = (
                        permission_pointer(profile),
                        permission(profile, a),
                        permission(profile, b),
                    );
                    problems.extend(
                        behaviour::same_link(pointer, a, b)
                            .into_iter()
                            .map(Problem::Behaviour),
                    );
                }
            }
            problems
        }
    }
}

/// The card's checks, then the behaviour rules on the permission when the body is JSON.
fn linked(
    profile: Profile,
    schemas: &Schemas,
    rule: StatusRule,
    request: &Value,
    exchange: &Exchange,
) -> (Vec<Problem>, Option<Value>) {
    let (mut problems, body) = answer(profile, schemas, rule, exchange);
    if let Some(body) = &body {
        problems.extend(
            behaviour::link(
                request,
                permission_pointer(profile),
                permission(profile, body),
            )
            .into_iter()
            .map(Problem::Behaviour),
        );
    }
    (problems, body)
}

/// Where the permission is in a body: inside `value` as documented, the whole body under graph.
fn permission_pointer(profile: Profile) -> &'static str {
    match profile {
        Profile::Documented => "/value",
        Profile::Graph => "",
    }
}

fn permission(profile: Profile, body: &Value) -> &Value {
    match profile {
        Profile::Documented => body.get("value").unwrap_or(&Value::Null),
        Profile::Graph => body,
    }
}

/// All problems of one answer to a base request, in the order status, content-type, body, schema.
pub fn judge_answer(profile: Profile, schemas: &Schemas, exchange: &Exchange) -> Vec<Problem> {
    judge(profile, schemas, Expect::Base, &[exchange])
}

/// The card's checks of one answer, and its body when that is one JSON document of a success.
fn answer(
    profile: Profile,
    schemas: &Schemas,
    rule: StatusRule,
    exchange: &Exchange,
) -> (Vec<Problem>, Option<Value>) {
    let response = match exchange {
        Exchange::Failed { reason } => {
            return (
                vec![Problem::Connection {
                    reason: reason.clone(),
                }],
                None,
            );
        }
        Exchange::Answered(response) => response,
    };
    let mut problems = Vec::new();
    let success = (200..300).contains(&response.status);
    if !rule.accepts(response.status) {
        problems.push(status_problem(rule, response, success));
        // Only a success answers with a permission: the content type and body of a 3xx, 4xx or
        // 5xx would only repeat the status problem in other words.
        if !success {
            return (problems, None);
        }
    }
    let body = json_body(response, &mut problems).map(|(bytes, value)| {
        // `value` kept the last of each duplicate name: the schema judges that one.
        let (duplicates, more) = duplicate_members::count(bytes);
        problems.extend(duplicates.into_iter().map(Problem::DuplicateMember));
        if more > 0 {
            problems.push(Problem::Unlisted(vec![(Check::Body, more)]));
        }
        let (violations, more) = schemas.count_response(profile, &value);
        problems.extend(violations.into_iter().map(Problem::Schema));
        if more > 0 {
            problems.push(Problem::Unlisted(vec![(Check::Schema, more)]));
        }
        value
    });
    (problems, body)
}

/// The checks every judged answer gets past its status: one JSON Content-Type, and a body of
/// one JSON document within the limits. Returns the body's bytes and value when it is one.
fn json_body<'a>(response: &'a Response, problems: &mut Vec<Problem>) -> Option<(&'a [u8], Value)> {
    if let Some(problem) = content_type_problem(&response.content_types) {
        problems.push(problem);
    }
    match &response.body {
        AnswerBody::TooLarge { limit, declared } => {
            problems.push(Problem::BodyTooLarge {
                limit: *limit,
                declared: *declared,
            });
            None
        }
        AnswerBody::Encoded { coding } => {
            problems.push(Problem::BodyEncoded {
                coding: coding.clone(),
            });
            None
        }
        AnswerBody::Complete(bytes) => match parse_json(bytes) {
            Err(problem) => {
                problems.push(problem);
                None
            }
            Ok(value) => Some((bytes.as_slice(), value)),
        },
    }
}

fn status_problem(rule: StatusRule, response: &Response, success: bool) -> Problem {
    let (error, body_start) = match &response.body {
        AnswerBody::Complete(bytes) => match graph_error(bytes) {
            Some(error) => (Some(Box::new(error)), None),
            // A 2xx body is judged by the body check, in full.
            None if success => (None, None),
            None => (None, Some(body_start(bytes))),
        },
        AnswerBody::Encoded { coding } => (None, Some(format!("(encoded: {coding})"))),
        AnswerBody::TooLarge { .. } => (None, None),
    };
    Problem::Status {
        expected: rule,
        actual: response.status,
        location: response.location.as_deref().map(|l| cut(l, FIELD_LIMIT)),
        error,
        body_start,
    }
}

/// A refusal: exactly the expected status, a JSON Content-Type and Graph's error shape, under
/// both profiles (Graph's "Error responses" page).
fn refusal(status: u16, exchange: &Exchange) -> Vec<Problem> {
    let response = match exchange {
        Exchange::Failed { reason } => {
            return vec![Problem::Connection {
                reason: reason.clone(),
            }];
        }
        Exchange::Answered(response) => response,
    };
    let rule = StatusRule::Refused(status);
    if !rule.accepts(response.status) {
        // What else the answer holds says nothing once it is not the refusal asked for.
        let success = (200..300).contains(&response.status);
        return vec![status_problem(rule, response, success)];
    }
    let mut problems = Vec::new();
    if let Some((_, value)) = json_body(response, &mut problems) {
        problems.extend(behaviour::error_shape(&value).map(Problem::Behaviour));
    }
    problems
}

fn content_type_problem(values: &[String]) -> Option<Problem> {
    let fault = match values {
        [] => ContentTypeFault::Missing,
        [one] => match MediaType::parse(one) {
            Err(e) => ContentTypeFault::Invalid(e),
            Ok(m) if m.is_json() => return None,
            Ok(m) => ContentTypeFault::NotJson(m.essence()),
        },
        many => ContentTypeFault::Several(many.len()),
    };
    Some(Problem::ContentType {
        actual: (!values.is_empty()).then(|| cut(&values.join(", "), FIELD_LIMIT)),
        fault,
    })
}

pub use crate::model::json_count::MAX_VALUES;
use crate::model::json_count::count_values;

/// Exactly one JSON document: empty, truncated and trailing bytes all fail.
pub fn parse_json(bytes: &[u8]) -> Result<Value, Problem> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::BodyNotJson {
            reason: "empty body; expected one JSON document".to_owned(),
            offset: 0,
            context: String::new(),
        });
    }
    let values = count_values(bytes);
    if values > MAX_VALUES {
        return Err(Problem::BodyTooManyValues {
            limit: MAX_VALUES,
            values,
        });
    }
    serde_json::from_slice(bytes).map_err(|e| {
        // At EOF serde_json's column is that of the last byte read; parsing stopped after it.
        let offset = if e.is_eof() {
            bytes.len()
        } else {
            byte_offset(bytes, e.line(), e.column()).min(bytes.len())
        };
        if e.is_syntax() && e.to_string().starts_with("number out of range") {
            return Problem::BodyNumberOutOfRange {
                offset,
                context: around(bytes, offset),
            };
        }
        Problem::BodyNotJson {
            reason: e.to_string(),
            offset,
            context: around(bytes, offset),
        }
    })
}

/// serde_json reports 1-based lines and columns; columns count bytes.
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    (start + column).saturating_sub(1)
}

/// Up to 40 bytes either side of `offset`, escaped, with `⟦here⟧` at the offset.
fn around(bytes: &[u8], offset: usize) -> String {
    let from = offset.saturating_sub(40);
    let to = (offset + 40).min(bytes.len());
    format!(
        "{}⟦here⟧{}",
        escape(&bytes[from..offset]),
        escape(&bytes[offset..to])
    )
}

fn escape(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

fn body_start(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(empty)".to_owned();
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(400)]);
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cut(flat.trim(), 200)
}

/// Reads Graph's error shape, accepting both spellings of `innerError`; each field cut at
/// [`FIELD_LIMIT`] characters. A body of more than [`MAX_VALUES`] values is not parsed.
pub fn graph_error(bytes: &[u8]) -> Option<GraphError> {
    if count_values(bytes) > MAX_VALUES {
        return None;
    }
    let value: Value = serde_json::from_slice(bytes).ok()?;
    let error = value.get("error")?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(|t| cut(t, FIELD_LIMIT));
    let code = text(error.get("code"))?;
    let message = text(error.get("message")).unwrap_or_default();
    let inner = error.get("innerError").or_else(|| error.get("innererror"));
    Some(GraphError {
        code,
        message,
        request_id: text(inner.and_then(|i| i.get("request-id"))),
        date: text(inner.and_then(|i| i.get("date"))),
    })
}
