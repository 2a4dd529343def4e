//! Generated sweeps of the pure verdict, no network: every documented place of the permission
//! (from the property table `tests/data/graph-properties.json`, independent of `schemas/`) ×
//! every wrong value, `null`, annotations and `@odata.type` names; every status under every rule;
//! a body of too many values. Each answer is a literal judged by `createlink::verdict`.
//!
//! Rows written by hand live in `tests/verdicts/*.json` (run by `tests/verdicts.rs`); what needs a
//! socket is in `tests/transport.rs`.

mod common;

use std::sync::OnceLock;

use common::Rows;
use common::model::{Kind, NAMESPACE, PERMISSION, Place, model, wrong_values};
use createlink::load::config::{Profile, repo_dir};
use createlink::load::schema::{Schemas, Violation};
use createlink::report;
use createlink::verdict::{
    self, AnswerBody, Exchange, Problem, Response, StatusRule, judge_answer, parse_json,
};
use serde_json::{Value, json};

const PROFILES: [Profile; 2] = [Profile::Documented, Profile::Graph];

fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| Schemas::load(&repo_dir("schemas")).expect("the repo's schemas load"))
}

/// The problems of a `status` answer, as `application/json`, with `body`.
fn judge(profile: Profile, status: u16, body: &Value) -> Vec<Problem> {
    let response = Response {
        status,
        content_types: vec!["application/json".to_owned()],
        location: None,
        body: AnswerBody::Complete(body.to_string().into_bytes()),
    };
    judge_answer(profile, schemas(), &Exchange::Answered(response))
}

/// The passing body of `profile`: the permission in the envelope as documented, bare for graph.
fn body_for(profile: Profile, permission: Value) -> Value {
    match profile {
        Profile::Documented => json!({ "value": permission }),
        Profile::Graph => permission,
    }
}

/// `Ok` when there is no problem.
fn none(problems: Vec<Problem>) -> Result<(), String> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("expected a pass, got {problems:?}"))
    }
}

/// `Ok` when the documented answer with `permission` passes.
fn passes(permission: Value) -> Result<(), String> {
    none(judge(
        Profile::Documented,
        200,
        &body_for(Profile::Documented, permission),
    ))
}

/// The one problem of the documented answer with `permission`: a schema problem at `pointer`
/// (below the envelope's `value`).
fn fails_once_at(permission: Value, pointer: &str) -> Result<Violation, String> {
    let at = format!("/value{pointer}");
    match judge(
        Profile::Documented,
        200,
        &body_for(Profile::Documented, permission),
    )
    .as_slice()
    {
        [Problem::Schema(v)] if v.pointer == at => Ok(v.clone()),
        other => Err(format!(
            "expected exactly one schema problem at {at}, got {other:?}"
        )),
    }
}

fn places() -> Vec<Place> {
    model().places(PERMISSION)
}

fn full_permission() -> Value {
    model().full(PERMISSION)
}

/// The places that hold an object, with the name of its declared type.
fn object_places() -> impl Iterator<Item = (Place, &'static str)> {
    places().into_iter().filter_map(|p| match p.kind {
        Kind::Object(t) => Some((p, t)),
        _ => None,
    })
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
    for (k, v) in members.as_object().into_iter().flatten() {
        object.insert(k.clone(), v.clone());
    }
    permission
}

fn shown(pointer: &str) -> &str {
    if pointer.is_empty() {
        "(root)"
    } else {
        pointer
    }
}

#[test]
fn the_sweeps_reach_every_documented_type() {
    // A guard on the sweeps: a type left out of the property table would be left out of them.
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
// Status

/// Every status from 100 to 599 with the profile's passing body: the profile's statuses pass,
/// every other one is exactly one status problem, whatever else the body holds.
#[test]
fn every_status_is_judged_by_the_rule_of_the_profile() {
    let mut rows = Rows::default();
    for profile in PROFILES {
        let accepted: &[u16] = match profile {
            Profile::Documented => &[200],
            Profile::Graph => &[200, 201],
        };
        let body = body_for(profile, full_permission());
        for status in 100..600 {
            let problems = judge(profile, status, &body);
            let outcome = match problems.as_slice() {
                [] if accepted.contains(&status) => Ok(()),
                [
                    Problem::Status {
                        expected, actual, ..
                    },
                ] if !accepted.contains(&status)
                    && *expected == StatusRule::Link(profile)
                    && *actual == status =>
                {
                    Ok(())
                }
                other => Err(format!("got {other:?}")),
            };
            rows.check(|| format!("{} {status}", profile.name()), outcome);
        }
    }
    rows.hold();
}

#[test]
fn every_status_rule_accepts_exactly_its_statuses() {
    let mut rows = Rows::default();
    for (rule, accepted) in [
        (StatusRule::Link(Profile::Documented), &[200][..]),
        (StatusRule::Link(Profile::Graph), &[200, 201]),
        (StatusRule::Existing(Profile::Documented), &[200]),
        (StatusRule::Existing(Profile::Graph), &[200]),
        (StatusRule::Refused(400), &[400]),
        (StatusRule::Refused(401), &[401]),
    ] {
        let got: Vec<u16> = (100..600).filter(|&s| rule.accepts(s)).collect();
        let outcome = if got == accepted {
            Ok(())
        } else {
            Err(format!("accepts {got:?}, not {accepted:?}"))
        };
        rows.check(|| format!("{rule:?}"), outcome);
    }
    rows.hold();
}

// =============================================================================================
// What passes

#[test]
fn the_fully_populated_and_the_minimal_permission_pass_under_both_profiles() {
    let full = full_permission();
    // Every optional property left out: only the required ones, empty.
    let mut minimal = full.clone();
    if let Some(members) = minimal.as_object_mut() {
        members.retain(|k, _| matches!(k.as_str(), "id" | "roles" | "link"));
    }
    minimal["link"] = json!({});
    minimal["roles"] = json!([]);
    let mut rows = Rows::default();
    for (name, permission) in [("fully populated", full), ("minimal", minimal)] {
        // The documented profile's 200; graph's 201 (the 200 is swept with every status above).
        for (profile, status) in [(Profile::Documented, 200), (Profile::Graph, 201)] {
            let problems = judge(profile, status, &body_for(profile, permission.clone()));
            rows.check(
                || format!("{name} under {}", profile.name()),
                none(problems),
            );
        }
    }
    rows.hold();
}

#[test]
fn null_passes_for_every_nullable_property() {
    let mut rows = Rows::default();
    for p in places().into_iter().filter(|p| p.nullable) {
        let permission = replaced(full_permission(), &p.pointer, Value::Null);
        rows.check(|| format!("{} = null", p.pointer), passes(permission));
    }
    assert!(rows.count() > 80, "{} nullable places", rows.count());
    rows.hold();
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
    let mut rows = Rows::default();
    for (p, _) in object_places() {
        let permission = extended(full_permission(), &p.pointer, &additions);
        rows.check(|| format!("at {}", shown(&p.pointer)), passes(permission));
    }
    // Beside the envelope's `value`, too.
    let envelope = extended(json!({ "value": full_permission() }), "", &additions);
    let problems = judge(Profile::Documented, 200, &envelope);
    rows.check(|| "beside value".to_owned(), none(problems));
    rows.hold();
}

#[test]
fn odata_type_with_or_without_hash_passes_everywhere() {
    let mut rows = Rows::default();
    for (p, t) in object_places() {
        for hash in ["#", ""] {
            let name = format!("{hash}{NAMESPACE}{t}");
            let permission = extended(
                full_permission(),
                &p.pointer,
                &json!({ "@odata.type": name }),
            );
            rows.check(
                || format!("{name:?} at {}", shown(&p.pointer)),
                passes(permission),
            );
        }
    }
    rows.hold();
}

// =============================================================================================
// What fails

#[test]
fn a_wrong_odata_type_fails_at_its_pointer_everywhere() {
    let mut rows = Rows::default();
    for (p, _) in object_places() {
        for wrong in [json!("#microsoft.graph.driveItem"), json!(7)] {
            let permission = extended(
                full_permission(),
                &p.pointer,
                &json!({ "@odata.type": wrong }),
            );
            let at = format!("{}/@odata.type", p.pointer);
            rows.check(
                || format!("{wrong} at {}", shown(&p.pointer)),
                fails_once_at(permission, &at).map(drop),
            );
        }
    }
    rows.hold();
}

/// One row per (place, wrong value): every documented property of the permission and of every
/// nested type, wherever the type occurs, with a value of another JSON type (and `null` where it
/// is not allowed) breaks the type rule once, at its pointer, and the problem shows the value.
#[test]
fn a_wrong_type_anywhere_fails_at_exactly_its_pointer() {
    let mut rows = Rows::default();
    for p in places().into_iter().filter(|p| !p.pointer.is_empty()) {
        for wrong in wrong_values(&p.kind, p.nullable) {
            let permission = replaced(full_permission(), &p.pointer, wrong.clone());
            let outcome = fails_once_at(permission, &p.pointer).and_then(|v| {
                let value = serde_json::from_str::<Value>(&v.value).ok();
                if value.as_ref() == Some(&wrong) && v.reason.contains("is not of type") {
                    Ok(())
                } else {
                    Err(format!("not the type rule with the value {wrong}: {v:?}"))
                }
            });
            rows.check(|| format!("{} = {wrong}", p.pointer), outcome);
        }
    }
    assert!(rows.count() > 150, "{} rows", rows.count());
    rows.hold();
}

/// Millions of tiny values would take far more memory to parse than their text: such a body is
/// a `[body]` problem, not parsed. Commas inside strings do not count.
#[test]
fn a_body_of_too_many_values_is_not_parsed() {
    let many = format!("[{}0]", "0,".repeat(verdict::MAX_VALUES));
    // An upper bound, counted without parsing: one more than the commas and opening brackets.
    let values = verdict::MAX_VALUES + 2;
    let problems = judge_answer(
        Profile::Documented,
        schemas(),
        &Exchange::Answered(Response {
            status: 200,
            content_types: vec!["application/json".to_owned()],
            location: None,
            body: AnswerBody::Complete(many.into_bytes()),
        }),
    );
    let expected = Problem::BodyTooManyValues {
        limit: verdict::MAX_VALUES,
        values,
    };
    assert_eq!(problems, [expected]);
    // No golden file holds a body this large: the whole wording is pinned here.
    assert_eq!(
        report::problem_text(&problems[0]),
        "[body] about 100002 JSON values; the harness judges at most 100000 (a permission has a \
         few dozen), so the body was not parsed\n"
    );
    let commas_in_a_string = format!("[\"{}\"]", ",".repeat(verdict::MAX_VALUES + 1));
    assert!(parse_json(commas_in_a_string.as_bytes()).is_ok());
    let escaped_quotes = format!("[\"\\\"{}\"]", ",".repeat(verdict::MAX_VALUES + 1));
    assert!(parse_json(escaped_quotes.as_bytes()).is_ok());
}

/// Case files and the reference server judge a request's date-time by the rule answers are
/// judged by: every `expirationDateTime` of `tests/verdicts/date-time.json`, sent in a request,
/// passes or fails as it does in the answer, for the same reason.
#[test]
fn every_date_time_of_the_answer_table_is_judged_alike_in_a_request() {
    let path = repo_dir("harness/tests/verdicts/date-time.json");
    let text = std::fs::read_to_string(&path).expect("tests/verdicts/date-time.json");
    let table: Value = serde_json::from_str(&text).expect("date-time.json is JSON");
    let mut rows = Rows::default();
    let documented = table["tests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|row| row.get("profile").is_none());
    for row in documented {
        let value = &row["answer"]["set"]["/value/expirationDateTime"];
        assert!(value.is_string(), "a row without a date-time: {row}");
        let permission = json!({"id": "a", "roles": [], "link": {}, "expirationDateTime": value});
        let in_answer = judge(
            Profile::Documented,
            200,
            &body_for(Profile::Documented, permission),
        );
        let in_request =
            schemas().check_request(&json!({"type": "view", "expirationDateTime": value}));
        let outcome = match (in_answer.as_slice(), in_request.as_slice()) {
            ([], []) => Ok(()),
            ([Problem::Schema(a)], [r])
                if r.pointer == "/expirationDateTime" && r.reason == a.reason =>
            {
                Ok(())
            }
            (a, r) => Err(format!("in an answer {a:?}, in a request {r:?}")),
        };
        rows.check(|| format!("{value}"), outcome);
    }
    assert!(rows.count() > 20, "{} date-times", rows.count());
    rows.hold();
}
