//! The verdict as a pure function: literal responses in, problems out, no network.
//!
//! Every table row is one response that differs from a passing one in one way, so each row's
//! problems are exactly the ones that difference should cause.

use std::sync::OnceLock;

use createlink::config::{Profile, repo_dir};
use createlink::schema::Schemas;
use createlink::verdict::{
    self, AnswerBody, Check, Exchange, GraphError, Problem, Response, StatusRule, judge_answer,
    parse_json,
};
use createlink::{reference, report};
use serde_json::{Value, json};

const JSON: &str = "application/json";

fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| Schemas::load(&repo_dir("schemas")).expect("the repo's schemas load"))
}

/// A permission the reference server would create.
fn permission() -> Value {
    reference::permission(
        "/beta/drives/b!conformance-drive/root/createLink",
        &json!({"type": "view", "scope": "anonymous", "expirationDateTime": "2031-01-01T00:00:00Z"}),
    )
}

/// The passing body of `profile`: the envelope as documented, the bare permission for graph.
fn body_for(profile: Profile, permission: Value) -> Vec<u8> {
    match profile {
        Profile::Documented => json!({ "value": permission }),
        Profile::Graph => permission,
    }
    .to_string()
    .into_bytes()
}

fn answered(status: u16, content_types: &[&str], body: impl Into<Vec<u8>>) -> Exchange {
    Exchange::Answered(Response {
        status,
        content_types: content_types.iter().map(|s| s.to_string()).collect(),
        location: None,
        body: AnswerBody::Complete(body.into()),
    })
}

fn judge(profile: Profile, exchange: &Exchange) -> Vec<Problem> {
    judge_answer(profile, schemas(), exchange)
}

/// The passing answer of `profile` with another status.
fn with_status(profile: Profile, status: u16) -> Vec<Problem> {
    judge(
        profile,
        &answered(status, &[JSON], body_for(profile, permission())),
    )
}

fn checks(problems: &[Problem]) -> Vec<Check> {
    problems.iter().map(Problem::check).collect()
}

fn schema_pointers(problems: &[Problem]) -> Vec<&str> {
    problems
        .iter()
        .filter_map(|p| match p {
            Problem::Schema(v) => Some(v.pointer.as_str()),
            _ => None,
        })
        .collect()
}

/// Panics listing every failed row, not only the first.
#[track_caller]
fn all_rows_hold(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} row(s) wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Status

#[test]
fn status_is_judged_per_profile() {
    use Profile::{Documented, Graph};
    let rows: &[(Profile, u16, bool)] = &[
        (Documented, 200, true),
        (Documented, 201, false),
        (Documented, 202, false),
        (Documented, 203, false),
        (Documented, 206, false),
        (Graph, 200, true),
        (Graph, 201, true),
        (Graph, 202, false),
        (Graph, 203, false),
    ];
    let mut failures = Vec::new();
    for &(profile, status, ok) in rows {
        let problems = with_status(profile, status);
        // A 2xx with a passing body: the status is the only thing that can be wrong.
        let expected = if ok { vec![] } else { vec![Check::Status] };
        if checks(&problems) != expected {
            failures.push(format!(
                "{} {status}: expected {expected:?}, got {problems:?}",
                profile.name()
            ));
        }
        if let Some(Problem::Status {
            expected, actual, ..
        }) = problems.first()
            && (*actual != status || *expected != StatusRule::Link(profile))
        {
            failures.push(format!(
                "{} {status}: status problem says {expected:?}/{actual}",
                profile.name()
            ));
        }
    }
    all_rows_hold(failures);
}

#[test]
fn expected_status_names_what_each_rule_accepts() {
    let said = |rule| report::expected_status(rule);
    assert!(said(StatusRule::Link(Profile::Documented)).contains("200 OK"));
    assert!(!said(StatusRule::Link(Profile::Documented)).contains("201"));
    assert!(said(StatusRule::Link(Profile::Graph)).contains("201 Created"));
    assert!(said(StatusRule::Existing(Profile::Graph)).starts_with("200 OK for the existing link"));
    assert_eq!(
        said(StatusRule::Refused(401)),
        "401 Unauthorized, a refusal"
    );
    for (rule, accepted) in [
        (StatusRule::Link(Profile::Documented), &[200][..]),
        (StatusRule::Link(Profile::Graph), &[200, 201]),
        (StatusRule::Existing(Profile::Documented), &[200]),
        (StatusRule::Existing(Profile::Graph), &[200]),
        (StatusRule::Refused(400), &[400]),
    ] {
        let got: Vec<u16> = (100..600).filter(|&s| rule.accepts(s)).collect();
        assert_eq!(got, accepted, "{rule:?}");
    }
}

/// A non-2xx answer is judged by its status alone; the body shows Graph's error or its start.
#[test]
fn a_failure_status_reports_the_error_and_nothing_else() {
    let graph_401 = br#"{"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired.","innerError":{"request-id":"r-1","date":"2022-09-28T07:58:43"}}}"#;
    // (status, Content-Type values, body, the error read from it, or the body's start)
    type Row = (
        u16,
        &'static [&'static str],
        &'static [u8],
        Option<GraphError>,
        Option<&'static str>,
    );
    let rows: &[Row] = &[
        (
            401,
            &[JSON],
            graph_401,
            Some(GraphError {
                code: "InvalidAuthenticationToken".into(),
                message: "Access token has expired.".into(),
                request_id: Some("r-1".into()),
                date: Some("2022-09-28T07:58:43".into()),
            }),
            None,
        ),
        // Neither the text/plain type nor the missing innerError adds a problem.
        (
            500,
            &["text/plain"],
            br#"{"error":{"code":"generalException","message":"Boom."}}"#,
            Some(GraphError {
                code: "generalException".into(),
                message: "Boom.".into(),
                request_id: None,
                date: None,
            }),
            None,
        ),
        (
            503,
            &[],
            b"upstream\n\tunavailable",
            None,
            Some("upstream  unavailable"),
        ),
        (404, &[JSON], b"", None, Some("(empty)")),
        (307, &[], b"", None, Some("(empty)")),
    ];
    let mut failures = Vec::new();
    for (status, types, body, error, start) in rows {
        let problems = judge(Profile::Documented, &answered(*status, types, *body));
        let expected = Problem::Status {
            expected: StatusRule::Link(Profile::Documented),
            actual: *status,
            location: None,
            error: error.clone().map(Box::new),
            body_start: start.map(str::to_owned),
        };
        if problems != [expected.clone()] {
            failures.push(format!(
                "{status}: expected [{expected:?}], got {problems:?}"
            ));
        }
    }
    all_rows_hold(failures);
}

#[test]
fn a_redirect_carries_its_location() {
    let exchange = Exchange::Answered(Response {
        status: 307,
        content_types: vec![],
        location: Some("https://elsewhere.invalid/beta/x".into()),
        body: AnswerBody::Complete(vec![]),
    });
    let problems = judge(Profile::Graph, &exchange);
    assert!(
        matches!(
            problems.as_slice(),
            [Problem::Status { actual: 307, location: Some(l), .. }] if l == "https://elsewhere.invalid/beta/x"
        ),
        "{problems:?}"
    );
}

/// A wrong 2xx still gets its content type and body judged: every problem is reported.
#[test]
fn a_wrong_success_status_does_not_hide_the_other_problems() {
    let problems = judge(
        Profile::Documented,
        &answered(201, &["text/plain"], permission().to_string()),
    );
    assert_eq!(
        checks(&problems),
        // The bare permission lacks the envelope: one schema problem, "value" is required.
        [Check::Status, Check::ContentType, Check::Schema],
        "{problems:?}"
    );
    // The 2xx body is judged below, not quoted in the status problem.
    assert!(
        matches!(
            &problems[0],
            Problem::Status {
                error: None,
                body_start: None,
                ..
            }
        ),
        "{problems:?}"
    );
}

#[test]
fn graph_error_reads_both_spellings_of_inner_error() {
    // (body, (code, message, request id) read from it)
    type Parts = Option<(&'static str, &'static str, Option<&'static str>)>;
    let rows: &[(&str, Parts)] = &[
        (
            r#"{"error":{"code":"a","message":"m","innerError":{"request-id":"1"}}}"#,
            Some(("a", "m", Some("1"))),
        ),
        (
            r#"{"error":{"code":"a","message":"m","innererror":{"request-id":"2"}}}"#,
            Some(("a", "m", Some("2"))),
        ),
        (r#"{"error":{"code":"a"}}"#, Some(("a", "", None))),
        (r#"{"error":{"message":"no code"}}"#, None),
        (r#"{"error":"flat"}"#, None),
        (r#"{"code":"a","message":"m"}"#, None),
        ("not json", None),
    ];
    let mut failures = Vec::new();
    for (body, expected) in rows {
        let got = verdict::graph_error(body.as_bytes());
        let got_parts = got
            .as_ref()
            .map(|e| (e.code.as_str(), e.message.as_str(), e.request_id.as_deref()));
        if got_parts != *expected {
            failures.push(format!("{body}: expected {expected:?}, got {got:?}"));
        }
    }
    all_rows_hold(failures);
}

// ---------------------------------------------------------------------------------------------
// Content-Type

#[test]
fn content_type_json_with_any_parameters_passes() {
    let mut failures = Vec::new();
    for value in [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
        "Application/JSON",
        "APPLICATION/JSON; CHARSET=UTF-8",
        "application/json ; charset=\"utf-8\"",
        // RFC 9110 §5.6.6: `parameters = *( OWS ";" OWS [ parameter ] )`, empty ones allowed.
        "application/json;;charset=utf-8",
        "application/json; charset=utf-8;",
    ] {
        let problems = judge(
            Profile::Documented,
            &answered(200, &[value], body_for(Profile::Documented, permission())),
        );
        if !problems.is_empty() {
            failures.push(format!("{value:?}: {problems:?}"));
        }
    }
    all_rows_hold(failures);
}

#[test]
fn content_type_other_than_json_fails_naming_what_came() {
    // (headers, text the `why` must contain)
    let rows: &[(&[&str], &str)] = &[
        (&[], "missing"),
        (&["text/plain"], "media type is text/plain"),
        (&["text/json"], "media type is text/json"),
        (
            &["application/problem+json"],
            "media type is application/problem+json",
        ),
        (&["application/jsonx"], "media type is application/jsonx"),
        (
            &["application/json-patch+json"],
            "media type is application/json-patch+json",
        ),
        (&["TEXT/Plain; charset=utf-8"], "media type is text/plain"),
        (&[""], "not a valid media type"),
        (&["application json"], "not a valid media type"),
        (&["application/json, text/plain"], "not a valid media type"),
        (
            &["application/json", "application/json"],
            "2 Content-Type headers",
        ),
    ];
    let mut failures = Vec::new();
    for (types, needle) in rows {
        let problems = judge(
            Profile::Documented,
            &answered(200, types, body_for(Profile::Documented, permission())),
        );
        let expected_actual = (!types.is_empty()).then(|| types.join(", "));
        match problems.as_slice() {
            [p @ Problem::ContentType { actual, .. }]
                if *actual == expected_actual && report::problem_text(p).contains(needle) => {}
            other => failures.push(format!("{types:?}: expected {needle:?}, got {other:?}")),
        }
    }
    all_rows_hold(failures);
}

// ---------------------------------------------------------------------------------------------
// Body: one JSON document

#[test]
fn a_body_that_is_not_one_json_document_fails_at_its_offset() {
    let good = body_for(Profile::Documented, permission());
    let good = String::from_utf8(good).unwrap();
    let truncated = &good[..good.len() / 2];
    let trailing = format!("{good}garbage");
    let two_documents = format!("{good} {good}");
    let multi_line = "{\n  \"value\": ,\n  \"x\": 1\n}";
    // (name, body, offset where parsing must stop, or None for "the end of the body")
    let rows: Vec<(&str, &str, Option<usize>)> = vec![
        ("empty", "", Some(0)),
        ("only white space", " \r\n\t ", Some(0)),
        ("not JSON", "<html>oops</html>", Some(0)),
        ("truncated", truncated, None),
        ("truncated after white space", "{\"value\": \n ", None),
        ("only an opening brace", "{", None),
        ("trailing garbage", &trailing, Some(good.len())),
        ("two documents", &two_documents, Some(good.len() + 1)),
        ("bad value on line 2", multi_line, multi_line.find(',')),
    ];
    let mut failures = Vec::new();
    for (name, body, offset) in rows {
        let offset = offset.unwrap_or(body.len());
        let problems = judge(
            Profile::Documented,
            &answered(200, &[JSON], body.as_bytes()),
        );
        match problems.as_slice() {
            [
                Problem::BodyNotJson {
                    offset: got,
                    context,
                    ..
                },
            ] if *got == offset => {
                // The context shows the bytes before and after the offset, marked.
                let expected_context = if body.trim().is_empty() {
                    String::new()
                } else {
                    let before = &body.as_bytes()[offset.saturating_sub(40)..offset];
                    let after = &body.as_bytes()[offset..(offset + 40).min(body.len())];
                    format!("{}⟦here⟧{}", before.escape_ascii(), after.escape_ascii())
                };
                if *context != expected_context {
                    failures.push(format!(
                        "{name}: context {context:?}, expected {expected_context:?}"
                    ));
                }
            }
            other => failures.push(format!(
                "{name}: expected one body problem at byte {offset}, got {other:?}"
            )),
        }
    }
    all_rows_hold(failures);
}

#[test]
fn parse_json_names_the_reason() {
    let Err(Problem::BodyNotJson { reason, .. }) = parse_json(b"") else {
        panic!("an empty body parsed");
    };
    assert!(reason.contains("empty body"), "{reason}");
    let Err(Problem::BodyNotJson { reason, .. }) = parse_json(b"{} x") else {
        panic!("trailing bytes parsed");
    };
    assert!(reason.contains("trailing characters"), "{reason}");
    let Err(Problem::BodyNotJson { reason, .. }) = parse_json(b"{\"a\": \"\xff\"}") else {
        panic!("invalid UTF-8 parsed");
    };
    assert!(reason.contains("unicode"), "{reason}");
    assert_eq!(parse_json(b" {\"a\": [1]}\n").unwrap(), json!({"a": [1]}));
}

/// The escaped context never carries raw control bytes into a report.
#[test]
fn body_context_is_escaped() {
    let problems = judge(
        Profile::Documented,
        &answered(200, &[JSON], b"{\"value\": \x01\x02}".as_slice()),
    );
    let [Problem::BodyNotJson { context, .. }] = problems.as_slice() else {
        panic!("{problems:?}");
    };
    assert!(!context.chars().any(char::is_control), "{context:?}");
    assert!(context.contains("\\x01"), "{context:?}");
}

/// `permission` as JSON text with `member` (`"name": value`) written before its own members.
fn with_member_first(member: &str, permission: &Value) -> String {
    let text = permission.to_string();
    format!("{{\"value\":{{{member},{}}}", &text[1..])
}

/// serde_json keeps the last of two equal names, so the schema sees one `roles`; the duplicate is
/// a body problem of its own, in either order.
#[test]
fn a_duplicate_member_name_is_a_body_problem_at_its_pointer() {
    let mut p = permission();
    p["roles"] = json!(["read"]);
    let duplicate = |problems: &[Problem]| {
        problems.iter().any(|p| {
            matches!(p, Problem::DuplicateMember(d)
                if d.pointer == "/value/roles" && d.name == "roles" && d.count == 2)
        })
    };
    // The valid one last: the duplicate is the only problem.
    let body = with_member_first(r#""roles":"read""#, &p);
    let problems = judge(Profile::Documented, &answered(200, &[JSON], body));
    assert!(duplicate(&problems) && problems.len() == 1, "{problems:?}");
    assert_eq!(checks(&problems), [Check::Body]);
    // The invalid one last: the schema problem too.
    p["roles"] = json!("read");
    let body = with_member_first(r#""roles":["read"]"#, &p);
    let problems = judge(Profile::Documented, &answered(200, &[JSON], body));
    assert!(duplicate(&problems), "{problems:?}");
    assert_eq!(
        checks(&problems),
        [Check::Body, Check::Schema],
        "{problems:?}"
    );
    assert_eq!(schema_pointers(&problems), ["/value/roles"]);
}

#[test]
fn a_body_over_the_limit_is_one_problem() {
    for declared in [Some(20 * 1024 * 1024), None] {
        let exchange = Exchange::Answered(Response {
            status: 200,
            content_types: vec![JSON.into()],
            location: None,
            body: AnswerBody::TooLarge {
                limit: 16 * 1024 * 1024,
                declared,
            },
        });
        let problems = judge(Profile::Documented, &exchange);
        assert_eq!(
            problems,
            [Problem::BodyTooLarge {
                limit: 16 * 1024 * 1024,
                declared
            }]
        );
    }
}

#[test]
fn no_answer_is_one_connection_problem() {
    let exchange = Exchange::Failed {
        reason: "cannot connect to 127.0.0.1:9: Connection refused".into(),
    };
    for profile in [Profile::Documented, Profile::Graph] {
        assert_eq!(
            judge(profile, &exchange),
            [Problem::Connection {
                reason: "cannot connect to 127.0.0.1:9: Connection refused".into()
            }]
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Schema

/// (name, body, pointers of the expected schema problems) under `profile`.
type ShapeRow = (&'static str, Value, &'static [&'static str]);

fn check_shapes(profile: Profile, rows: Vec<ShapeRow>) {
    let mut failures = Vec::new();
    for (name, body, pointers) in rows {
        let problems = judge(profile, &answered(200, &[JSON], body.to_string()));
        let got = schema_pointers(&problems);
        if got != pointers || problems.len() != pointers.len() {
            failures.push(format!(
                "{} / {name}: expected schema problems at {pointers:?}, got {problems:?}",
                profile.name()
            ));
        }
    }
    all_rows_hold(failures);
}

#[test]
fn the_documented_envelope_is_required() {
    check_shapes(
        Profile::Documented,
        vec![
            ("envelope", json!({ "value": permission() }), &[]),
            ("bare permission", permission(), &[""]),
            ("array", json!([permission()]), &[""]),
            ("null", json!(null), &[""]),
            ("string", json!("permission"), &[""]),
            ("number", json!(1), &[""]),
            ("empty object", json!({}), &[""]),
            (
                "value is an array",
                json!({ "value": [permission()] }),
                &["/value"],
            ),
            ("value is null", json!({ "value": null }), &["/value"]),
            ("value is a string", json!({ "value": "x" }), &["/value"]),
            // id, roles and link: one problem each, all at /value.
            (
                "value is empty",
                json!({ "value": {} }),
                &["/value", "/value", "/value"],
            ),
        ],
    );
}

#[test]
fn the_graph_profile_wants_the_bare_permission() {
    check_shapes(
        Profile::Graph,
        vec![
            ("bare permission", permission(), &[]),
            ("envelope", json!({ "value": permission() }), &["", "", ""]),
            ("array", json!([permission()]), &[""]),
            ("null", json!(null), &[""]),
        ],
    );
}

#[test]
fn each_required_property_is_required_under_both_profiles() {
    let mut failures = Vec::new();
    for name in ["id", "roles", "link"] {
        let mut p = permission();
        p.as_object_mut().unwrap().remove(name);
        for (profile, pointer) in [(Profile::Documented, "/value"), (Profile::Graph, "")] {
            let problems = judge(
                profile,
                &answered(200, &[JSON], body_for(profile, p.clone())),
            );
            match problems.as_slice() {
                [Problem::Schema(v)]
                    if v.pointer == pointer && v.reason.contains(&format!("\"{name}\"")) => {}
                other => failures.push(format!(
                    "{} without {name}: expected one problem at {pointer:?} naming it, got {other:?}",
                    profile.name()
                )),
            }
        }
    }
    all_rows_hold(failures);
}

/// A value of the wrong type breaks one rule: one problem, at its pointer, with its value.
#[test]
fn each_wrong_value_is_reported_once() {
    let rows: &[(&str, Value)] = &[
        ("/id", json!(42)),
        ("/roles", json!("read")),
        ("/roles/0", json!(null)),
        ("/link", json!("https://contoso.invalid")),
        ("/link", json!(null)),
        ("/link/scope", json!(1)),
        ("/link/application", json!([])),
        ("/grantedTo", json!("user")),
        ("/grantedToIdentitiesV2", json!({})),
        ("/hasPassword", json!("false")),
        ("/expirationDateTime", json!("yesterday")),
        ("/@odata.type", json!("#microsoft.graph.driveItem")),
        ("/link/@odata.type", json!("microsoft.graph.permission")),
    ];
    let mut failures = Vec::new();
    for (pointer, wrong) in rows {
        let mut p = permission();
        p["roles"] = json!(["read"]);
        if let Some(slot) = p.pointer_mut(pointer) {
            *slot = wrong.clone();
        } else {
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            p.pointer_mut(parent).unwrap()[key] = wrong.clone();
        }
        let problems = judge(
            Profile::Documented,
            &answered(200, &[JSON], body_for(Profile::Documented, p)),
        );
        let at = format!("/value{pointer}");
        match problems.as_slice() {
            [Problem::Schema(v)]
                if v.pointer == at
                    && serde_json::from_str::<Value>(&v.value).ok().as_ref() == Some(wrong)
                    && v.rule.starts_with("schemas/") => {}
            other => failures.push(format!(
                "{pointer} = {wrong}: expected exactly one problem at {at}, got {other:?}"
            )),
        }
    }
    all_rows_hold(failures);
}

/// The one schema problem of the graph-profile answer `p`.
fn only_violation(p: &Value) -> createlink::schema::Violation {
    let problems = judge(Profile::Graph, &answered(200, &[JSON], p.to_string()));
    match problems.as_slice() {
        [Problem::Schema(v)] => v.clone(),
        other => panic!("expected one schema problem, got {other:?}"),
    }
}

/// jsonschema names three values and "or N other candidates"; the report names them all.
#[test]
fn an_enum_problem_lists_every_allowed_value() {
    let mut p = permission();
    p["link"]["application"] = json!({"@odata.type": "#microsoft.graph.driveItem"});
    let v = only_violation(&p);
    assert_eq!(v.pointer, "/link/application/@odata.type");
    assert!(!v.reason.contains("other candidates"), "{}", v.reason);
    for name in [
        "identity",
        "sharePointGroupIdentity",
        "callRecords.userIdentity",
        "userIdentity",
    ] {
        let quoted = format!("\"#microsoft.graph.{name}\"");
        assert!(v.reason.contains(&quoted), "lacks {quoted}: {}", v.reason);
    }
}

#[test]
fn a_date_time_problem_says_what_is_wrong() {
    let mut p = permission();
    p["expirationDateTime"] = json!("2031-02-30T00:00Z");
    assert_eq!(
        only_violation(&p).reason,
        "\"2031-02-30T00:00Z\" is not an Edm.DateTimeOffset (OData ABNF dateTimeOffsetValue): \
         day 30 does not exist: 2031-02 has 28 days"
    );
}

/// jsonschema's messages start with the offending value; a long one must not push the reason out
/// of the report. The value itself is kept, cut, beside the reason.
#[test]
fn a_long_wrong_value_keeps_its_reason() {
    let long = json!({ "value": [permission(), permission()] });
    let problems = judge(
        Profile::Documented,
        &answered(200, &[JSON], long.to_string()),
    );
    let [Problem::Schema(v)] = problems.as_slice() else {
        panic!("{problems:?}");
    };
    assert_eq!(v.pointer, "/value");
    assert!(v.reason.contains("is not of type \"object\""), "{v:?}");
    assert!(
        v.value.starts_with("[{") && v.value.contains("bytes in all"),
        "{v:?}"
    );
    // A short value stays in the message, where it reads best.
    let mut p = permission();
    p["id"] = json!(5);
    let problems = judge(Profile::Graph, &answered(200, &[JSON], p.to_string()));
    let [Problem::Schema(v)] = problems.as_slice() else {
        panic!("{problems:?}");
    };
    assert_eq!(v.reason, "5 is not of type \"string\"");
}

/// Every problem of a response is reported, in check order, each once.
#[test]
fn all_problems_of_a_response_are_reported() {
    let mut p = permission();
    p.as_object_mut().unwrap().remove("id");
    p["roles"] = json!("read");
    p["hasPassword"] = json!("no");
    p["link"]["scope"] = json!(7);
    p["grantedToV2"] = json!({"siteUser": {"loginName": false}});
    p["expirationDateTime"] = json!("2031-01-01");
    let problems = judge(
        Profile::Documented,
        &answered(201, &["text/json"], body_for(Profile::Documented, p)),
    );
    assert!(
        matches!(problems[0], Problem::Status { actual: 201, .. }),
        "{problems:?}"
    );
    assert!(
        matches!(problems[1], Problem::ContentType { .. }),
        "{problems:?}"
    );
    let mut pointers = schema_pointers(&problems);
    pointers.sort_unstable();
    assert_eq!(
        pointers,
        [
            "/value",
            "/value/expirationDateTime",
            "/value/grantedToV2/siteUser/loginName",
            "/value/hasPassword",
            "/value/link/scope",
            "/value/roles",
        ],
        "{problems:?}"
    );
    assert_eq!(problems.len(), 2 + pointers.len());
    for (i, a) in problems.iter().enumerate() {
        assert!(
            !problems[i + 1..].contains(a),
            "reported twice: {a:?} in {problems:?}"
        );
    }
}

#[test]
fn the_documented_example_passes() {
    let example = json!({
        "value": {
            "@odata.type": "#microsoft.graph.permission",
            "id": "3646b6e2-b6e2-3646-e2b6-4636e2b64636",
            "expirationDateTime": "2017-01-01T00:03:08.7291689+03:00",
            "grantedTo": { "@odata.type": "microsoft.graph.identitySet" },
            "grantedToIdentities": [{ "@odata.type": "microsoft.graph.identitySet" }],
            "hasPassword": true,
            "inheritedFrom": { "@odata.type": "microsoft.graph.itemReference" },
            "invitation": { "@odata.type": "microsoft.graph.sharingInvitation" },
            "link": { "@odata.type": "microsoft.graph.sharingLink" },
            "roles": ["Roles value"],
            "shareId": "Share Id value"
        }
    });
    let problems = judge(
        Profile::Documented,
        &answered(200, &[JSON], example.to_string()),
    );
    assert!(problems.is_empty(), "{problems:?}");
    // The same permission, bare, is what the graph profile wants.
    let problems = judge(
        Profile::Graph,
        &answered(201, &[JSON], example["value"].to_string()),
    );
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn expiration_date_time_is_an_edm_date_time_offset() {
    let passing = [
        "2027-06-30T23:59Z",
        "2027-06-30T23:59+05:30",
        "10000-01-01T00:00:00Z",
        "2017-01-01T00:03:08.7291689+03:00",
        "2017-01-01T00:03:08Z",
        "2017-01-01T00:03:08.1Z",
        "2017-01-01T00:03:08.123456789012-08:00",
        "0001-01-01T00:00:00Z",
    ];
    let failing = [
        "2017-01-01T00:03:08",
        "2017-01-01 00:03:08Z",
        "2017-01-01",
        "2017-13-01T00:00:00Z",
        "2017-01-01T24:30:00Z",
        "2017-01-01T00:03:08.Z",
        "2017-01-01T00:03:08+0300",
        "2017-01-01T00:03:08.1234567890123Z",
        "2023-02-29T00:00Z",
        "1483228988",
        "",
    ];
    let mut failures = Vec::new();
    for (value, ok) in passing
        .iter()
        .map(|v| (v, true))
        .chain(failing.iter().map(|v| (v, false)))
    {
        let mut p = permission();
        p["expirationDateTime"] = json!(value);
        let problems = judge(
            Profile::Graph,
            &answered(200, &[JSON], body_for(Profile::Graph, p)),
        );
        let as_expected = if ok {
            problems.is_empty()
        } else {
            schema_pointers(&problems) == ["/expirationDateTime"] && problems.len() == 1
        };
        if !as_expected {
            failures.push(format!(
                "{value:?} should {}: {problems:?}",
                if ok { "pass" } else { "fail once" }
            ));
        }
    }
    all_rows_hold(failures);
}

/// Case files and the reference server judge a request's date-time by the same rule.
#[test]
fn a_request_date_time_is_an_edm_date_time_offset() {
    let request = |value: &str| json!({"type": "view", "expirationDateTime": value});
    let ok = schemas().check_request(&request("2027-06-30T23:59Z"));
    assert!(ok.is_empty(), "{ok:?}");
    let bad = schemas().check_request(&request("2027-06-31T23:59Z"));
    assert!(
        matches!(bad.as_slice(), [v] if v.pointer == "/expirationDateTime" && v.reason.contains("2027-06 has 30 days")),
        "{bad:?}"
    );
}

/// Checks run in order status, content type, body; one response can fail all three.
#[test]
fn problems_come_in_check_order() {
    let problems = judge(Profile::Graph, &answered(202, &["text/plain"], "oops"));
    assert_eq!(
        checks(&problems),
        [Check::Status, Check::ContentType, Check::Body],
        "{problems:?}"
    );
}

/// Millions of tiny values would take far more memory to parse than their text: such a body is
/// a `[body]` problem, not parsed. Commas inside strings do not count.
#[test]
fn a_body_of_too_many_values_is_not_parsed() {
    let many = format!("[{}0]", "0,".repeat(verdict::MAX_VALUES));
    assert!(matches!(
        parse_json(many.as_bytes()),
        Err(Problem::BodyTooManyValues { limit: verdict::MAX_VALUES, values }) if values > verdict::MAX_VALUES
    ));
    let commas_in_a_string = format!("[\"{}\"]", ",".repeat(verdict::MAX_VALUES + 1));
    assert!(parse_json(commas_in_a_string.as_bytes()).is_ok());
    let escaped_quotes = format!("[\"\\\"{}\"]", ",".repeat(verdict::MAX_VALUES + 1));
    assert!(parse_json(escaped_quotes.as_bytes()).is_ok());
}
