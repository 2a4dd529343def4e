//! Targets with exactly one defect fail, naming it; targets that differ from the documented
//! answer only in allowed ways pass. Everything runs over loopback HTTP through the suite.
//!
//! Tables run through one server each (see [`judge_rows`]), and every row that does not hold is
//! listed by name when a table fails, not only the first.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::model::{Kind, NAMESPACE, PERMISSION, Place, model, wrong_values};
use common::{
    TEMPLATE, assert_fails, assert_passes, config_for, documented, documented_example, enveloped,
    json_answer, outcome_of, permission, raw_target, run_one, runtime, serve, write_all,
};
use createlink::client::BODY_LIMIT;
use createlink::config::{Config, Profile, TIMEOUT_SECS, repo_dir};
use createlink::reference;
use createlink::request::PreparedRequest;
use createlink::schema::Schemas;
use createlink::suite::{CaseOutcome, Suite};
use createlink::verdict::{self, AnswerBody, Check, Exchange, Problem, Response};
use serde_json::{Value, json};
use wiremock::matchers::{any, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

// =============================================================================================
// Running tables: one server, one suite, one request per row.

/// Serves row `i` of a table at `/beta/drives/{i}/root/createLink`.
struct Rows(Vec<ResponseTemplate>);

impl Respond for Rows {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        request
            .url
            .path_segments()
            .and_then(|mut s| s.nth(2))
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| self.0.get(i))
            .cloned()
            .unwrap_or_else(|| reference::error(404, "itemNotFound", "no such row").into_response())
    }
}

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

/// The test template's case, run once per row, each against its own answer.
fn judge_rows(profile: Profile, templates: Vec<ResponseTemplate>) -> Vec<CaseOutcome> {
    let count = templates.len();
    let server = start(vec![Mock::given(any()).respond_with(Rows(templates))]);
    let suite = Suite::new(config_for(&format!("{}/beta", server.uri()), profile)).unwrap();
    let case = suite
        .cases()
        .iter()
        .find(|c| c.template.as_str() == TEMPLATE)
        .unwrap();
    (0..count)
        .map(|i| {
            let row = BTreeMap::from([("drivesId".to_owned(), i.to_string())]);
            let request = PreparedRequest::new(suite.base_url(), case, &row);
            let exchange = suite.executor().send(&request);
            suite.judge_answer(request, &exchange)
        })
        .collect()
}

/// What a row expects of its outcome; `Err` says what differs.
type Expectation = Box<dyn Fn(&CaseOutcome) -> Result<(), String>>;

struct Row {
    name: String,
    answer: ResponseTemplate,
    expect: Expectation,
}

fn row(name: impl Into<String>, answer: ResponseTemplate, expect: Expectation) -> Row {
    Row {
        name: name.into(),
        answer,
        expect,
    }
}

/// Runs a table and fails listing every row whose outcome is not as expected.
#[track_caller]
fn check_rows(profile: Profile, rows: Vec<Row>) {
    assert!(!rows.is_empty());
    let (names_and_checks, answers): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .map(|r| ((r.name, r.expect), r.answer))
        .unzip();
    let outcomes = judge_rows(profile, answers);
    let failures: Vec<String> = names_and_checks
        .iter()
        .zip(&outcomes)
        .filter_map(|((name, expect), outcome)| {
            expect(outcome)
                .err()
                .map(|why| format!("--- row {name:?} ({}): {why}", profile.name()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows wrong:\n{}",
        failures.len(),
        outcomes.len(),
        failures.join("\n")
    );
}

fn passes() -> Expectation {
    Box::new(|o| {
        if o.passed() {
            Ok(())
        } else {
            Err(format!("expected a pass, got:\n{}", o.report()))
        }
    })
}

/// Exactly one problem, of `check`, whose report mentions every needle.
fn only(check: Check, needles: &[&str]) -> Expectation {
    let needles: Vec<String> = needles.iter().map(|s| s.to_string()).collect();
    Box::new(move |o| {
        let report = o.report();
        if o.problems.len() != 1 || o.problems[0].check() != check {
            return Err(format!(
                "expected exactly one [{}] problem, got:\n{report}",
                check.name()
            ));
        }
        mentions(&report, &needles)
    })
}

/// At least a problem of `check`, and the report mentions every needle.
fn among(check: Check, needles: &[&str]) -> Expectation {
    let needles: Vec<String> = needles.iter().map(|s| s.to_string()).collect();
    Box::new(move |o| {
        let report = o.report();
        if !o.problems.iter().any(|p| p.check() == check) {
            return Err(format!(
                "expected a [{}] problem, got:\n{report}",
                check.name()
            ));
        }
        mentions(&report, &needles)
    })
}

/// Exactly one problem: the status, read as Graph's error shape, whose code and message the report
/// shows.
fn graph_error(status: u16, code: &'static str, message: &'static str) -> Expectation {
    Box::new(move |o| match o.problems.as_slice() {
        [
            Problem::Status {
                actual,
                error: Some(e),
                ..
            },
        ] if *actual == status && e.code == code && e.message == message => {
            mentions(&o.report(), &[code.to_owned(), message.to_owned()])
        }
        _ => Err(format!(
            "expected one status problem {status} with error {code:?} {message:?}, got:\n{}",
            o.report()
        )),
    })
}

/// Exactly one problem: a schema problem at `pointer` whose reason mentions `reason`.
fn only_schema_at(pointer: String, reason: &'static str) -> Expectation {
    Box::new(move |o| match o.problems.as_slice() {
        [Problem::Schema(v)] if v.pointer == pointer && v.reason.contains(reason) => Ok(()),
        _ => Err(format!(
            "expected exactly one schema problem at {pointer:?} ({reason:?}), got:\n{}",
            o.report()
        )),
    })
}

fn mentions(report: &str, needles: &[String]) -> Result<(), String> {
    match needles.iter().find(|n| !report.contains(n.as_str())) {
        None => Ok(()),
        Some(n) => Err(format!("report lacks {n:?}:\n{report}")),
    }
}

// =============================================================================================
// The permission resource, as the documented property table describes it
// (tests/data/graph-properties.json, independent of schemas/), so the tables below reach every
// documented property of every nested type, wherever it occurs.

fn places() -> Vec<Place> {
    model().places(PERMISSION)
}

fn full_permission() -> Value {
    model().full(PERMISSION)
}

/// `permission` with the value at `pointer` (which must exist) replaced.
fn replaced(mut permission: Value, pointer: &str, value: Value) -> Value {
    *permission
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in the permission")) = value;
    permission
}

/// `permission` with `members` added to the object at `pointer`.
fn extended(mut permission: Value, pointer: &str, members: &Value) -> Value {
    let object = permission
        .pointer_mut(pointer)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {pointer}"));
    for (k, v) in members.as_object().unwrap() {
        object.insert(k.clone(), v.clone());
    }
    permission
}

/// The places that hold an object, with the name of its declared type.
fn object_places() -> impl Iterator<Item = (Place, &'static str)> {
    places().into_iter().filter_map(|p| match p.kind {
        Kind::Object(t) => Some((p, t)),
        _ => None,
    })
}

fn shown(pointer: &str) -> &str {
    if pointer.is_empty() {
        "(root)"
    } else {
        pointer
    }
}

#[test]
fn the_description_reaches_every_documented_type() {
    // A guard on the tables: a type left out of the description would be left out of them.
    let mut names: Vec<&str> = object_places().map(|(_, t)| t).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names,
        [
            "identity",
            "identitySet",
            "itemReference",
            "permission",
            "sharePointGroupIdentity",
            "sharePointIdentity",
            "sharePointIdentitySet",
            "sharepointIds",
            "sharingInvitation",
            "sharingLink",
        ]
    );
}

// =============================================================================================
// Passing targets: differences the document and the service allow.

#[test]
fn the_documented_example_verbatim_passes() {
    assert_passes(&documented(json_answer(200, documented_example())));
}

#[test]
fn a_fully_populated_permission_passes_under_both_profiles() {
    let full = full_permission();
    assert_passes(&documented(enveloped(full.clone())));
    assert_passes(&outcome_of(
        json_answer(201, full.to_string()),
        Profile::Graph,
    ));
}

#[test]
fn json_content_types_with_parameters_pass() {
    let body = json!({ "value": permission() }).to_string();
    let rows = [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
        "Application/JSON",
        "application/json; charset=\"utf-8\"",
        // Empty parameters: RFC 9110 §5.6.6 (`*( OWS ";" OWS [ parameter ] )`).
        "application/json;;charset=utf-8",
    ]
    .into_iter()
    .map(|ct| {
        row(
            ct,
            ResponseTemplate::new(200).set_body_raw(body.clone(), ct),
            passes(),
        )
    })
    .collect();
    check_rows(Profile::Documented, rows);
}

#[test]
fn null_passes_for_every_nullable_property() {
    let rows: Vec<Row> = places()
        .into_iter()
        .filter(|p| p.nullable)
        .map(|p| {
            let body = replaced(full_permission(), &p.pointer, Value::Null);
            row(format!("{} = null", p.pointer), enveloped(body), passes())
        })
        .collect();
    assert!(rows.len() > 80, "{}", rows.len());
    check_rows(Profile::Documented, rows);
}

#[test]
fn every_optional_property_may_be_left_out() {
    let mut minimal = full_permission();
    minimal
        .as_object_mut()
        .unwrap()
        .retain(|k, _| matches!(k.as_str(), "id" | "roles" | "link"));
    minimal["link"] = json!({});
    minimal["roles"] = json!([]);
    assert_passes(&documented(enveloped(minimal)));
}

#[test]
fn annotations_and_unknown_members_pass_everywhere() {
    let additions = json!({
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#microsoft.graph.permission",
        "@deprecated.GrantedTo": "GrantedTo has been deprecated. Refer to GrantedToV2",
        "id@odata.type": "#String",
        "email": "adele@contoso.invalid",
        "futureMember": {"nested": [1, null, {"deep": true}]}
    });
    let mut rows: Vec<Row> = object_places()
        .map(|(p, _)| {
            let body = extended(full_permission(), &p.pointer, &additions);
            row(
                format!("annotations and unknown members at {}", shown(&p.pointer)),
                enveloped(body),
                passes(),
            )
        })
        .collect();
    // Beside the envelope's `value`, too.
    let mut envelope = json!({ "value": full_permission() });
    envelope = extended(envelope, "", &additions);
    rows.push(row(
        "annotations and unknown members beside value",
        json_answer(200, envelope.to_string()),
        passes(),
    ));
    check_rows(Profile::Documented, rows);
}

#[test]
fn odata_type_with_or_without_hash_passes_everywhere() {
    let rows = object_places()
        .flat_map(|(p, t)| {
            ["#", ""].map(|hash| {
                let name = format!("{hash}{NAMESPACE}{t}");
                let body = extended(
                    full_permission(),
                    &p.pointer,
                    &json!({ "@odata.type": name }),
                );
                row(
                    format!("@odata.type {name:?} at {}", shown(&p.pointer)),
                    enveloped(body),
                    passes(),
                )
            })
        })
        .collect();
    check_rows(Profile::Documented, rows);
}

/// Polymorphism: `@odata.type` may name a type the metadata derives from the declared one, in
/// v1.0 or beta, in a sub-namespace too.
#[test]
fn derived_odata_types_pass_where_their_base_is_declared() {
    let rows = [
        ("/link/application", "#microsoft.graph.userIdentity"),
        (
            "/link/application",
            "microsoft.graph.callRecords.userIdentity",
        ),
        ("/grantedTo/user", "#microsoft.graph.emailIdentity"),
        ("/grantedTo/user", "#microsoft.graph.groupIdentity"),
        ("/grantedTo", "#microsoft.graph.chatMessageFromIdentitySet"),
        (
            "/invitation/invitedBy",
            "microsoft.graph.customEmojiFromIdentitySet",
        ),
        ("/grantedTo", "#microsoft.graph.sharePointIdentitySet"),
    ]
    .into_iter()
    .map(|(pointer, name)| {
        let body = extended(full_permission(), pointer, &json!({ "@odata.type": name }));
        row(format!("{name} at {pointer}"), enveloped(body), passes())
    })
    .collect();
    check_rows(Profile::Documented, rows);
}

/// Where `@odata.type` names a derived type the schemas model, its own members are checked.
#[test]
fn a_derived_types_own_member_of_the_wrong_type_fails() {
    let rows = [
        (
            "/grantedTo",
            "#microsoft.graph.sharePointIdentitySet",
            "siteUser",
            json!(42),
        ),
        (
            "/grantedTo",
            "microsoft.graph.sharePointIdentitySet",
            "sharePointGroup",
            json!("x"),
        ),
        (
            "/link/application",
            "#microsoft.graph.sharePointIdentity",
            "loginName",
            json!(7),
        ),
        (
            "/grantedTo/user",
            "#microsoft.graph.sharePointGroupIdentity",
            "title",
            json!(false),
        ),
    ]
    .into_iter()
    .map(|(pointer, name, member, wrong)| {
        let members = json!({ "@odata.type": name, member: wrong });
        let body = extended(full_permission(), pointer, &members);
        row(
            format!("{name} at {pointer} with {member} = {wrong}"),
            enveloped(body),
            only_schema_at(format!("/value{pointer}/{member}"), "is not of type"),
        )
    })
    .collect();
    check_rows(Profile::Documented, rows);
}

#[test]
fn edm_date_time_offsets_pass() {
    let rows = [
        // Seconds are optional in the OData ABNF's dateTimeOffsetValue.
        "2027-06-30T23:59Z",
        "2027-06-30T23:59-07:00",
        "2017-01-01T00:03:08.7291689+03:00",
        "2017-01-01T00:03:08Z",
        "2017-01-01T00:03:08.1Z",
        "2017-01-01T00:03:08.123-08:00",
        "2017-01-01T00:03:08.123456789012+00:00",
        "0001-01-01T00:00:00Z",
    ]
    .into_iter()
    .map(|value| {
        let body = replaced(permission(), "/expirationDateTime", json!(value));
        row(value, enveloped(body), passes())
    })
    .collect();
    check_rows(Profile::Documented, rows);
}

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
// Status

#[test]
fn a_wrong_status_fails_and_says_what_came_back() {
    let body = json!({ "value": permission() }).to_string();
    let location = "http://127.0.0.1:9/beta/elsewhere";
    let rows = vec![
        row(
            "201",
            json_answer(201, body.clone()),
            only(Check::Status, &["201 Created", "200 OK (profile documented)"]),
        ),
        row(
            "202",
            json_answer(202, body.clone()),
            only(Check::Status, &["202 Accepted"]),
        ),
        // No body and no type: the status is what the report leads with.
        row(
            "204",
            ResponseTemplate::new(204),
            among(Check::Status, &["204 No Content"]),
        ),
        row(
            "307",
            ResponseTemplate::new(307).insert_header("Location", location),
            only(
                Check::Status,
                &[
                    "307 Temporary Redirect",
                    location,
                    "redirects are not followed",
                ],
            ),
        ),
        row(
            "308 without Location",
            ResponseTemplate::new(308),
            only(Check::Status, &["308 Permanent Redirect", "no Location header"]),
        ),
        row(
            "401",
            reference::error(401, "InvalidAuthenticationToken", "Access token has expired.").into_response(),
            graph_error(401, "InvalidAuthenticationToken", "Access token has expired."),
        ),
        row(
            "500",
            reference::error(500, "generalException", "An unexpected error occurred.").into_response(),
            graph_error(500, "generalException", "An unexpected error occurred."),
        ),
        row(
            "500 with innererror and a text body type",
            ResponseTemplate::new(500).set_body_raw(
                r#"{"error":{"code":"serviceNotAvailable","message":"Try later.","innererror":{"date":"2022-09-28T07:58:43"}}}"#,
                "text/plain",
            ),
            graph_error(500, "serviceNotAvailable", "Try later."),
        ),
        row(
            "502 with an HTML body",
            ResponseTemplate::new(502).set_body_raw("<html>\nBad gateway\n</html>", "text/html"),
            only(Check::Status, &["502 Bad Gateway", "<html> Bad gateway </html>"]),
        ),
    ];
    check_rows(Profile::Documented, rows);
}

#[test]
fn the_graph_profile_accepts_200_and_201_with_the_bare_permission() {
    let rows = vec![
        row("201", json_answer(201, permission().to_string()), passes()),
        row("200", json_answer(200, permission().to_string()), passes()),
        row(
            "201 example",
            json_answer(
                201,
                serde_json::from_str::<Value>(documented_example()).unwrap()["value"].to_string(),
            ),
            passes(),
        ),
        row(
            "202",
            json_answer(202, permission().to_string()),
            only(
                Check::Status,
                &["202 Accepted", "200 OK or 201 Created (profile graph)"],
            ),
        ),
        row(
            "204",
            ResponseTemplate::new(204),
            among(Check::Status, &["204 No Content"]),
        ),
    ];
    check_rows(Profile::Graph, rows);
}

/// The documented envelope is a defect under graph: the root lacks the permission's members.
#[test]
fn the_envelope_fails_under_the_graph_profile() {
    let outcome = outcome_of(enveloped(permission()), Profile::Graph);
    let reasons: Vec<&str> = outcome
        .problems
        .iter()
        .map(|p| match p {
            Problem::Schema(v) if v.pointer.is_empty() => v.reason.as_str(),
            _ => "",
        })
        .collect();
    for name in ["\"id\"", "\"roles\"", "\"link\""] {
        assert!(
            reasons.iter().any(|r| r.contains(name)),
            "no root problem naming {name}:\n{}",
            outcome.report()
        );
    }
    assert_eq!(outcome.problems.len(), 3, "{}", outcome.report());
}

// =============================================================================================
// Content-Type

#[test]
fn a_content_type_other_than_json_fails() {
    let body = json!({ "value": permission() }).to_string();
    let mut rows = vec![row(
        "missing",
        ResponseTemplate::new(200).set_body_bytes(body.clone()),
        only(
            Check::ContentType,
            &[
                "missing; expected application/json",
                "(no Content-Type header)",
            ],
        ),
    )];
    for ct in [
        "text/plain",
        "text/json",
        "application/problem+json",
        "application/jsonx",
        "application/json-patch+json",
        "text/plain; charset=utf-8",
    ] {
        let essence = ct.split(';').next().unwrap();
        rows.push(row(
            ct,
            ResponseTemplate::new(200).set_body_raw(body.clone(), ct),
            only(
                Check::ContentType,
                &[&format!(
                    "media type is {essence}; expected application/json"
                )],
            ),
        ));
    }
    check_rows(Profile::Documented, rows);
}

// =============================================================================================
// Body: one JSON document

#[test]
fn a_body_that_is_not_one_json_document_fails() {
    let good = json!({ "value": permission() }).to_string();
    let cut = good.len() / 2;
    let rows = vec![
        ("empty", String::new(), vec!["empty body"]),
        ("white space only", " \n ".to_owned(), vec!["empty body"]),
        (
            "not JSON",
            "<html>createLink</html>".to_owned(),
            vec!["expected value", "at byte:  0"],
        ),
        (
            "truncated",
            good[..cut].to_owned(),
            vec!["EOF while parsing"],
        ),
        (
            "trailing garbage",
            format!("{good}garbage"),
            vec!["trailing characters", "⟦here⟧garbage"],
        ),
        (
            "a second document",
            format!("{good}\n{good}"),
            vec!["trailing characters"],
        ),
    ]
    .into_iter()
    .map(|(name, body, needles)| {
        let mut needles = needles;
        needles.push("not one JSON document");
        row(name, json_answer(200, body), only(Check::Body, &needles))
    })
    .collect();
    check_rows(Profile::Documented, rows);
}

/// RFC 8259 §4: receivers differ on duplicate names, so each is a defect, even where the one
/// serde_json keeps (the last) is valid.
#[test]
fn a_duplicate_member_name_fails_at_its_pointer() {
    let good = json!({ "value": permission() }).to_string();
    // `members` written first in the object that starts with `start`, before its own members.
    let first_in =
        |start: &str, members: &str| good.replacen(start, &format!("{start}{members},"), 1);
    let rows = vec![
        (
            first_in("{\"value\":{", r#""roles":"read""#),
            "/value/roles",
            "\"roles\" occurs 2 times",
        ),
        (
            first_in("\"link\":{", r#""type":"edit""#),
            "/value/link/type",
            "\"type\" occurs 2 times",
        ),
        (
            first_in("{", r#""value":null"#),
            "/value",
            "\"value\" occurs 2 times",
        ),
    ]
    .into_iter()
    .map(|(body, pointer, says)| {
        row(
            pointer,
            json_answer(200, body),
            only(
                Check::Body,
                &[&format!("{pointer}: the name"), says, "RFC 8259"],
            ),
        )
    })
    .collect();
    check_rows(Profile::Documented, rows);
}

// =============================================================================================
// Schema: the envelope, required members, types, formats, @odata.type

#[test]
fn a_missing_or_wrong_envelope_fails_at_the_root() {
    let p = permission();
    let rows = vec![
        (
            "bare permission",
            p.clone(),
            "",
            "\"value\" is a required property",
        ),
        (
            "array",
            json!([p.clone()]),
            "",
            "the value is not of type \"object\"",
        ),
        ("null", json!(null), "", "is not of type \"object\""),
        (
            "string",
            json!("permission"),
            "",
            "is not of type \"object\"",
        ),
        (
            "empty object",
            json!({}),
            "",
            "\"value\" is a required property",
        ),
        (
            "value is an array",
            json!({ "value": [p] }),
            "/value",
            "is not of type \"object\"",
        ),
        (
            "value is null",
            json!({ "value": null }),
            "/value",
            "is not of type \"object\"",
        ),
    ]
    .into_iter()
    .map(|(name, body, pointer, reason)| {
        row(
            name,
            json_answer(200, body.to_string()),
            only_schema_at(pointer.to_owned(), reason),
        )
    })
    .collect();
    check_rows(Profile::Documented, rows);
}

#[test]
fn each_required_property_missing_fails() {
    for profile in [Profile::Documented, Profile::Graph] {
        let at = match profile {
            Profile::Documented => "/value",
            Profile::Graph => "",
        };
        let rows = ["id", "roles", "link"]
            .into_iter()
            .map(|name| {
                let mut p = full_permission();
                p.as_object_mut().unwrap().remove(name);
                let body = match profile {
                    Profile::Documented => json!({ "value": p }),
                    Profile::Graph => p,
                };
                let reason: &'static str = match name {
                    "id" => "\"id\" is a required property",
                    "roles" => "\"roles\" is a required property",
                    _ => "\"link\" is a required property",
                };
                row(
                    format!("without {name}"),
                    json_answer(200, body.to_string()),
                    only_schema_at(at.to_owned(), reason),
                )
            })
            .collect();
        check_rows(profile, rows);
    }
}

/// One row per (place, wrong value): every documented property of the permission and of every
/// nested type, wherever the type occurs, with a value of another JSON type.
#[test]
fn a_wrong_type_anywhere_fails_at_exactly_its_pointer() {
    let rows: Vec<Row> = places()
        .into_iter()
        .filter(|p| !p.pointer.is_empty())
        .flat_map(|p| {
            wrong_values(&p.kind, p.nullable)
                .into_iter()
                .map(move |wrong| {
                    let body = replaced(full_permission(), &p.pointer, wrong.clone());
                    row(
                        format!("{} = {wrong}", p.pointer),
                        enveloped(body),
                        only_schema_at(format!("/value{}", p.pointer), "is not of type"),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(rows.len() > 150, "{}", rows.len());
    check_rows(Profile::Documented, rows);
}

#[test]
fn a_bad_date_time_fails_saying_why() {
    // (value, what the reason says is wrong)
    let rows = [
        ("2017-01-01T00:03:08", "'Z', '+hh:mm' or '-hh:mm'"),
        ("2017-01-01 00:03:08Z", "'T' between the date and the time"),
        ("2017-01-01", "'T' between the date and the time"),
        ("2017-13-01T00:00:00Z", "month 13"),
        ("2017-02-29T00:00Z", "2017-02 has 28 days"),
        ("2017-01-01T00:03:08.Z", "1 to 12 digits"),
        // RFC 3339 allows any number of fraction digits; Edm.DateTimeOffset at most 12.
        ("2017-01-01T00:03:08.1234567890123Z", "13 digits"),
        ("2017-01-01T00:03:08+0300", "':' in the offset"),
        ("next year", "a year of 4 or more digits"),
        ("", "a year of 4 or more digits"),
    ]
    .into_iter()
    .map(|(value, why)| {
        let body = replaced(full_permission(), "/expirationDateTime", json!(value));
        row(
            format!("{value:?}"),
            enveloped(body),
            only_schema_at("/value/expirationDateTime".to_owned(), why),
        )
    })
    .collect();
    check_rows(Profile::Documented, rows);
}

#[test]
fn a_wrong_odata_type_fails_at_its_pointer() {
    let mut rows: Vec<Row> = object_places()
        .flat_map(|(p, _)| {
            [json!("#microsoft.graph.driveItem"), json!(7)].map(|wrong| {
                let body = extended(
                    full_permission(),
                    &p.pointer,
                    &json!({ "@odata.type": wrong }),
                );
                row(
                    format!("@odata.type {wrong} at {}", shown(&p.pointer)),
                    enveloped(body),
                    only_schema_at(format!("/value{}/@odata.type", p.pointer), ""),
                )
            })
        })
        .collect();
    // Another documented type in the wrong place, and near misses of the right name.
    for (pointer, wrong) in [
        ("", "#microsoft.graph.sharingLink"),
        ("", "#Microsoft.Graph.Permission"),
        ("", "##microsoft.graph.permission"),
        ("", "permission"),
        ("/link", "microsoft.graph.permission"),
        ("/grantedTo", "#microsoft.graph.identity"),
        (
            "/grantedToV2/siteUser",
            "#microsoft.graph.sharePointGroupIdentity",
        ),
        (
            "/inheritedFrom/sharepointIds",
            "#microsoft.graph.itemReference",
        ),
    ] {
        let body = extended(full_permission(), pointer, &json!({ "@odata.type": wrong }));
        rows.push(row(
            format!("@odata.type {wrong:?} at {}", shown(pointer)),
            enveloped(body),
            only_schema_at(format!("/value{pointer}/@odata.type"), ""),
        ));
    }
    check_rows(Profile::Documented, rows);
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
        assert_eq!(suite.cases().len(), 23);
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
