//! The behaviour rules, over loopback: a target that behaves like the reference server but for
//! exactly one defect fails exactly the variant trials that defect touches, and no base trial;
//! answers that differ from the reference only in allowed ways pass every trial; a canned stub
//! passes the base trials and fails on every path.
//!
//! Which trials a defect touches is computed from the variant files (a predicate on what each
//! variant asks), so a new variant file is covered by these tables without a code change.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

use common::{behaving_target, config_for, documented_example, json_answer, serve};
use createlink::load::config::Profile;
use createlink::load::variant::{Kind, Payload, Variant};
use createlink::reference::{self, Answer};
use createlink::suite::{Suite, TrialId};
use createlink::verdict::behaviour;
use serde_json::{Value, json};
use wiremock::Request;

/// The names of the trials that fail against `base_url` under `profile`, and all trial names.
fn failing(base_url: &str, profile: Profile) -> (BTreeSet<String>, Suite) {
    let suite = Suite::new(config_for(base_url, profile)).unwrap();
    let ids = suite.trials();
    let failed = ids
        .iter()
        .zip(suite.run_scheduled(&ids, 16))
        .filter(|(_, outcome)| outcome.failed())
        .map(|(&id, _)| suite.trial_name(id))
        .collect();
    (failed, suite)
}

/// The names of the variant trials whose variant satisfies `touched`, on every path.
fn trials_of(suite: &Suite, touched: fn(&Variant) -> bool) -> BTreeSet<String> {
    suite
        .trials()
        .into_iter()
        .filter(|id| id.variant.is_some_and(|v| touched(&suite.variants()[v])))
        .map(|id| suite.trial_name(id))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// What a variant asks, for the predicates.

fn link_body(v: &Variant) -> Option<&Value> {
    match &v.kind {
        Kind::Link { body, .. } => Some(body),
        Kind::Refusal { .. } => None,
    }
}

fn asks(v: &Variant, name: &str) -> Option<String> {
    link_body(v)?
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn is_link(v: &Variant) -> bool {
    link_body(v).is_some()
}

/// Whether the request leaves the link's type and scope to the administrator: not judged.
fn administrators(v: &Variant) -> bool {
    asks(v, "type").is_some_and(|t| behaviour::left_to_the_administrator(&t))
}

/// Whether the reference answers `v` with a link type the sharingLink table gives roles for:
/// the default link, and the administrator's, are view links there.
fn roles_judged(v: &Variant) -> bool {
    is_link(v)
        && (administrators(v) || asks(v, "type").is_none_or(|t| behaviour::roles_of(&t).is_some()))
}

fn is_repeat(v: &Variant) -> bool {
    matches!(v.kind, Kind::Link { repeat: true, .. })
}

fn is_refusal(v: &Variant) -> bool {
    !is_link(v)
}

fn refusal_without_token(v: &Variant) -> bool {
    matches!(
        v.kind,
        Kind::Refusal {
            authorization: false,
            ..
        }
    )
}

fn refusal_not_json(v: &Variant) -> bool {
    matches!(
        v.kind,
        Kind::Refusal {
            body: Payload::Raw(_),
            ..
        }
    )
}

fn refusal_invalid_json(v: &Variant) -> bool {
    matches!(
        v.kind,
        Kind::Refusal {
            authorization: true,
            body: Payload::Json(_),
            ..
        }
    )
}

// ---------------------------------------------------------------------------------------------
// Mutations of the reference answer.

/// The permission inside a success answer, enveloped or bare.
fn permission_mut(answer: &mut Answer) -> Option<&mut Value> {
    if !(200..300).contains(&answer.status) {
        return None;
    }
    if answer.body.get("value").is_some() {
        answer.body.get_mut("value")
    } else {
        Some(&mut answer.body)
    }
}

/// Replaces the value at `pointer` where the answer has one; adds nothing.
fn set(answer: &mut Answer, pointer: &str, value: Value) {
    if let Some(slot) = permission_mut(answer).and_then(|p| p.pointer_mut(pointer)) {
        *slot = value;
    }
}

fn remove(answer: &mut Answer, parent: &str, member: &str) {
    if let Some(Value::Object(map)) = permission_mut(answer).and_then(|p| p.pointer_mut(parent)) {
        map.remove(member);
    }
}

/// The documented success answer for `request`, as if the target had accepted it.
fn accept(request: &Request, answer: &mut Answer) {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or_else(|_| json!({}));
    let permission = reference::permission(
        request.url.path(),
        &json!({"type": body
        .get("type")
        .and_then(Value::as_str)
        .filter(|t| *t == "view" || *t == "edit")
        .unwrap_or("view")}),
    );
    *answer = reference::success(Profile::Documented, true, permission);
}

fn request_sets(request: &Request, name: &str) -> bool {
    serde_json::from_slice::<Value>(&request.body).is_ok_and(|b| b.get(name).is_some())
}

struct Defect {
    name: &'static str,
    profile: Profile,
    mutate: common::Mutation,
    touched: fn(&Variant) -> bool,
}

fn defects() -> Vec<Defect> {
    use Profile::{Documented, Graph};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    vec![
        Defect {
            name: "rule 1: link.type is always view",
            profile: Documented,
            mutate: |_, a| set(a, "/link/type", json!("view")),
            touched: |v| asks(v, "type").is_some_and(|t| t != "view") && !administrators(v),
        },
        Defect {
            name: "rule 1: link.scope is always anonymous",
            profile: Graph,
            mutate: |_, a| set(a, "/link/scope", json!("anonymous")),
            touched: |v| asks(v, "scope").is_some_and(|s| s != "anonymous") && !administrators(v),
        },
        Defect {
            name: "rule 2: roles are always read",
            profile: Documented,
            mutate: |_, a| set(a, "/roles", json!(["read"])),
            touched: |v| asks(v, "type").as_deref() == Some("edit"),
        },
        Defect {
            name: "rule 2: roles are always write",
            profile: Graph,
            mutate: |_, a| set(a, "/roles", json!(["write"])),
            touched: |v| roles_judged(v) && asks(v, "type").as_deref() != Some("edit"),
        },
        Defect {
            name: "rule 2: roles carry an extra role",
            profile: Documented,
            mutate: |_, a| set(a, "/roles", json!(["read", "write"])),
            touched: roles_judged,
        },
        Defect {
            name: "rule 3: an embed link has no webHtml",
            profile: Documented,
            mutate: |_, a| remove(a, "/link", "webHtml"),
            touched: |v| asks(v, "type").as_deref() == Some("embed"),
        },
        Defect {
            name: "rule 3: an embed link's webHtml is empty",
            profile: Graph,
            mutate: |_, a| {
                if permission_mut(a)
                    .and_then(|p| p.pointer("/link/webHtml"))
                    .is_some()
                {
                    set(a, "/link/webHtml", json!(""));
                }
            },
            touched: |v| asks(v, "type").as_deref() == Some("embed"),
        },
        Defect {
            name: "rule 9: a blocksDownload link does not prevent download",
            profile: Documented,
            mutate: |_, a| set(a, "/link/preventsDownload", json!(false)),
            touched: |v| asks(v, "type").as_deref() == Some("blocksDownload"),
        },
        Defect {
            name: "rule 9: preventsDownload is left out",
            profile: Graph,
            mutate: |_, a| remove(a, "/link", "preventsDownload"),
            touched: |v| asks(v, "type").as_deref() == Some("blocksDownload"),
        },
        Defect {
            name: "rule 4: link.webUrl is relative",
            profile: Documented,
            mutate: |_, a| set(a, "/link/webUrl", json!("/s/abc")),
            touched: is_link,
        },
        Defect {
            name: "rule 4: link.webUrl is an ftp URL",
            profile: Graph,
            mutate: |_, a| set(a, "/link/webUrl", json!("ftp://contoso.invalid/s/abc")),
            touched: is_link,
        },
        Defect {
            name: "rule 4: id is empty",
            profile: Documented,
            mutate: |_, a| set(a, "/id", json!("")),
            touched: is_link,
        },
        Defect {
            name: "rule 5: expirationDateTime is an hour later",
            profile: Documented,
            mutate: |_, a| set(a, "/expirationDateTime", json!("2031-01-01T01:00:00Z")),
            touched: |v| asks(v, "expirationDateTime").is_some(),
        },
        Defect {
            name: "rule 5: expirationDateTime is left out",
            profile: Graph,
            mutate: |_, a| remove(a, "", "expirationDateTime"),
            touched: |v| asks(v, "expirationDateTime").is_some(),
        },
        Defect {
            name: "rule 6: hasPassword is always false",
            profile: Documented,
            mutate: |_, a| set(a, "/hasPassword", json!(false)),
            touched: |v| asks(v, "password").is_some(),
        },
        Defect {
            name: "rule 6: hasPassword is true without a password",
            profile: Graph,
            mutate: |_, a| set(a, "/hasPassword", json!(true)),
            touched: |v| is_link(v) && asks(v, "password").is_none(),
        },
        Defect {
            name: "rule 7: every request creates a new link",
            profile: Documented,
            mutate: |_, a| {
                let n = COUNTER.fetch_add(1, Ordering::Relaxed);
                if let Some(id) =
                    permission_mut(a).and_then(|p| p["id"].as_str().map(str::to_owned))
                {
                    set(a, "/id", json!(format!("{id}{}{n}", common::DECORATION)));
                }
            },
            touched: is_repeat,
        },
        Defect {
            name: "rule 7: every request gets a new webUrl",
            profile: Graph,
            mutate: |_, a| {
                let n = COUNTER.fetch_add(1, Ordering::Relaxed);
                set(
                    a,
                    "/link/webUrl",
                    json!(format!("https://contoso.invalid/s/{n}")),
                );
            },
            touched: is_repeat,
        },
        Defect {
            name: "rule 7: an existing link is answered 201 (graph)",
            profile: Graph,
            mutate: |_, a| {
                if a.status == 200 {
                    a.status = 201;
                }
            },
            touched: is_repeat,
        },
        Defect {
            name: "rule 8: a request without a token is accepted",
            profile: Documented,
            mutate: |r, a| {
                if !r.headers.contains_key("authorization") {
                    accept(r, a);
                }
            },
            touched: refusal_without_token,
        },
        Defect {
            name: "rule 8: a request without a token is answered 403",
            profile: Graph,
            mutate: |_, a| {
                if a.status == 401 {
                    a.status = 403;
                }
            },
            touched: refusal_without_token,
        },
        Defect {
            name: "rule 8: a body that is not JSON is accepted",
            profile: Documented,
            mutate: |r, a| {
                if serde_json::from_slice::<Value>(&r.body).is_err() {
                    accept(r, a);
                }
            },
            touched: refusal_not_json,
        },
        Defect {
            name: "rule 8: an unknown type is accepted",
            profile: Documented,
            mutate: |r, a| {
                if a.status == 400 && serde_json::from_slice::<Value>(&r.body).is_ok() {
                    accept(r, a);
                }
            },
            touched: refusal_invalid_json,
        },
        Defect {
            name: "rule 8: refusals are not in Graph's error shape",
            profile: Graph,
            mutate: |_, a| {
                if a.status >= 400 {
                    a.body = json!({"message": "no"});
                }
            },
            touched: is_refusal,
        },
        Defect {
            name: "rule 8: refusals have an empty error code",
            profile: Documented,
            mutate: |_, a| {
                if a.status >= 400 {
                    a.body["error"]["code"] = json!("");
                }
            },
            touched: is_refusal,
        },
        Defect {
            name: "rule 8: refusals are text/plain",
            profile: Documented,
            mutate: |_, a| {
                if a.status >= 400 {
                    a.content_type = "text/plain".to_owned();
                }
            },
            touched: is_refusal,
        },
        Defect {
            name: "the password is checked only when sent",
            profile: Documented,
            mutate: |r, a| {
                if request_sets(r, "password") {
                    set(a, "/hasPassword", Value::Null);
                }
            },
            touched: |v| asks(v, "password").is_some(),
        },
    ]
}

#[test]
fn each_behaviour_defect_fails_exactly_the_variant_trials_it_touches() {
    let mut wrong = Vec::new();
    for defect in defects() {
        let server = behaving_target(defect.profile, defect.mutate);
        let (failed, suite) = failing(&format!("{}/beta", server.uri()), defect.profile);
        let expected = trials_of(&suite, defect.touched);
        assert!(!expected.is_empty(), "{}: touches no trial", defect.name);
        if failed != expected {
            let missed: Vec<_> = expected.difference(&failed).collect();
            let extra: Vec<_> = failed.difference(&expected).collect();
            wrong.push(format!(
                "--- {} ({}): not failed {missed:?}; failed too {extra:?}",
                defect.name,
                defect.profile.name()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Answers that differ from the reference server's only in ways the rules allow.
#[test]
fn valid_but_unusual_answers_pass_every_trial() {
    let rows: Vec<(&str, Profile, common::Mutation)> = vec![
        ("the reference itself", Profile::Documented, |_, _| {}),
        ("the reference itself", Profile::Graph, |_, _| {}),
        (
            "expirationDateTime in another offset",
            Profile::Documented,
            |_, a| set(a, "/expirationDateTime", json!("2031-01-01T05:30:00+05:30")),
        ),
        (
            "expirationDateTime without seconds, in another offset",
            Profile::Graph,
            |_, a| set(a, "/expirationDateTime", json!("2030-12-31T19:00-05:00")),
        ),
        (
            "expirationDateTime with a 7-digit fraction of zeros",
            Profile::Graph,
            |_, a| {
                set(
                    a,
                    "/expirationDateTime",
                    json!("2031-01-01T00:00:00.0000000Z"),
                )
            },
        ),
        (
            "hasPassword null without a password",
            Profile::Documented,
            |r, a| {
                if !request_sets(r, "password") {
                    set(a, "/hasPassword", Value::Null);
                }
            },
        ),
        (
            "hasPassword absent without a password",
            Profile::Graph,
            |r, a| {
                if !request_sets(r, "password") {
                    remove(a, "", "hasPassword");
                }
            },
        ),
        (
            "every link answered 200, as existing (graph)",
            Profile::Graph,
            |_, a| {
                if a.status == 201 {
                    a.status = 200;
                }
            },
        ),
        (
            "errors with innererror, extra members and odata content type",
            Profile::Documented,
            |_, a| {
                if a.status >= 400 {
                    a.body["error"]["innererror"] = json!({"request-id": "r"});
                    a.body["error"]["details"] = json!([]);
                    a.content_type = "application/json; odata.metadata=minimal".to_owned();
                }
            },
        ),
        (
            "the administrator's links and the default link are edit links for specific people",
            Profile::Graph,
            |r, a| {
                let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
                let asked = body.get("type").and_then(Value::as_str);
                let left = asked.is_some_and(behaviour::left_to_the_administrator)
                    || (body.is_object() && asked.is_none() && body.get("scope").is_none());
                if left {
                    set(a, "/link/type", json!("edit"));
                    set(a, "/link/scope", json!("users"));
                    set(a, "/roles", json!(["write"]));
                }
            },
        ),
        (
            "review, blocksDownload and createOnly links grant write",
            Profile::Documented,
            |r, a| {
                let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
                let asked = body.get("type").and_then(Value::as_str);
                if asked.is_some_and(|t| {
                    behaviour::roles_of(t).is_none() && t != "addressBar" && t != "adminDefault"
                }) {
                    set(a, "/roles", json!(["write"]));
                }
            },
        ),
        ("an empty error message", Profile::Graph, |_, a| {
            if a.status >= 400 {
                a.body["error"]["message"] = json!("");
            }
        }),
        (
            "an http webUrl with a query and extra link members",
            Profile::Documented,
            |_, a| {
                set(a, "/link/webUrl", json!("http://contoso.invalid/s/x?e=1"));
                if let Some(Value::Object(link)) = permission_mut(a).and_then(|p| p.get_mut("link"))
                {
                    link.insert("preventsDownload".into(), json!(true));
                    link.insert("configuratorUrl".into(), Value::Null);
                }
            },
        ),
    ];
    let mut wrong = Vec::new();
    for (name, profile, mutate) in rows {
        let server = behaving_target(profile, mutate);
        let (failed, _) = failing(&format!("{}/beta", server.uri()), profile);
        if !failed.is_empty() {
            wrong.push(format!(
                "--- {name} ({}): failed {failed:?}",
                profile.name()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A canned stub answers every request with one body: it passes the card's base checks, and
/// fails a variant trial on every path. The document's own example fails every variant trial.
#[test]
fn a_fixed_answer_passes_the_base_trials_and_fails_on_every_path() {
    let fixed = [
        ("the document's example", documented_example().to_owned()),
        (
            "an empty permission",
            json!({"value": {"id": "", "roles": [], "link": {}}}).to_string(),
        ),
        (
            "an edit link for the organization",
            json!({"value": {"id": "x", "roles": ["write"], "link": {"type": "edit",
                "scope": "organization", "webUrl": "https://contoso.invalid/s/x"}}})
            .to_string(),
        ),
    ];
    for (name, body) in fixed {
        let server = serve(json_answer(200, body));
        let (failed, suite) = failing(&format!("{}/beta", server.uri()), Profile::Documented);
        let ids = suite.trials();
        let base: Vec<String> = names(&suite, &ids, |id| id.variant.is_none());
        assert!(
            base.iter().all(|n| !failed.contains(n)),
            "{name}: a base trial failed: {failed:?}"
        );
        for case in 0..suite.cases().len() {
            let of_path = names(&suite, &ids, |id| id.case == case && id.variant.is_some());
            assert!(
                of_path.iter().any(|n| failed.contains(n)),
                "{name}: no variant trial of {} failed",
                suite.cases()[case].template
            );
        }
        if name == "the document's example" {
            let variants = names(&suite, &ids, |id| id.variant.is_some());
            let passed: Vec<_> = variants.iter().filter(|n| !failed.contains(*n)).collect();
            assert!(
                passed.is_empty(),
                "{name}: variant trials passed: {passed:?}"
            );
        }
    }
}

fn names(suite: &Suite, ids: &[TrialId], keep: impl Fn(&TrialId) -> bool) -> Vec<String> {
    ids.iter()
        .filter(|id| keep(id))
        .map(|&id| suite.trial_name(id))
        .collect()
}

/// Whole behaviour reports, compared with `tests/golden/*.txt` (the target's address written as
/// `http://127.0.0.1:PORT`). `CREATELINK_GOLDEN=overwrite cargo test --test behaviour` rewrites
/// them, so a wording change shows up as a diff to review.
#[test]
fn behaviour_reports_match_their_golden_files() {
    let rows: Vec<(&str, Profile, common::Mutation, &str)> = vec![
        (
            "behaviour-link-type",
            Profile::Documented,
            |_, a| set(a, "/link/type", json!("view")),
            "POST /drives/{drivesId}/root/createLink edit-organization",
        ),
        (
            "behaviour-repeat",
            Profile::Graph,
            |_, a| {
                static N: AtomicU64 = AtomicU64::new(0);
                let n = N.fetch_add(1, Ordering::Relaxed);
                set(a, "/id", json!(format!("link-{n}")));
                if a.status == 200 {
                    a.status = 201;
                }
            },
            "POST /drives/{drivesId}/root/createLink repeat",
        ),
        (
            "behaviour-refusal",
            Profile::Documented,
            |_, a| {
                if a.status == 401 {
                    a.body = json!({"error": {"message": "Access token is empty."}});
                }
            },
            "POST /drives/{drivesId}/root/createLink refuse-no-token",
        ),
    ];
    let mut wrong = Vec::new();
    for (golden, profile, mutate, trial) in rows {
        let server = behaving_target(profile, mutate);
        // A token of the user's own, as the README's report shows: written as the variable.
        let base = format!("{}/beta", server.uri());
        let mut config = createlink::load::config::Config::from_lookup(|name| match name {
            "CREATELINK_BASE_URL" => Some(base.clone().into()),
            "CREATELINK_TOKEN" => Some("t0ken".into()),
            _ => None,
        })
        .unwrap();
        config.profile = profile;
        let suite = Suite::new(config).unwrap();
        let id = suite
            .trials()
            .into_iter()
            .find(|&id| suite.trial_name(id) == trial)
            .unwrap();
        let report = suite
            .run_trial(id)
            .report()
            .replace(&server.uri(), "http://127.0.0.1:PORT");
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(format!("{golden}.txt"));
        if std::env::var_os("CREATELINK_GOLDEN").is_some_and(|v| v == "overwrite") {
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, &report).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&file).unwrap_or_default();
        if report != expected {
            wrong.push(format!(
                "--- {} differs; got:\n{report}\n--- expected:\n{expected}",
                file.display()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{}\n(CREATELINK_GOLDEN=overwrite rewrites the files)",
        wrong.join("\n")
    );
}
