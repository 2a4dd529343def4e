//! The variant files of `cases/variants/`: together they cover what the behaviour rules need,
//! a malformed one is named with the reason, and a new one is a new trial on every path.

use std::collections::BTreeSet;

use createlink::load::config::{Config, repo_dir};
use createlink::load::schema::Schemas;
use createlink::load::variant::{self, Kind, Payload, Variant};
use createlink::suite::Suite;
use serde_json::Value;

fn schemas() -> Schemas {
    Schemas::load(&repo_dir("schemas")).unwrap()
}

fn repo_variants() -> Vec<Variant> {
    variant::load_dir(&repo_dir("cases").join(variant::FOLDER), &schemas()).unwrap()
}

/// Everything the variants send, as `member=value` words, plus `repeat` and `refusal:<status>`.
fn coverage(variants: &[Variant]) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for v in variants {
        match &v.kind {
            Kind::Link { body, repeat } => {
                if *repeat {
                    seen.insert("repeat".to_owned());
                }
                if body.get("type").is_none() && body.get("scope").is_none() {
                    seen.insert("default-link".to_owned());
                }
                for (name, value) in body.as_object().unwrap() {
                    match value {
                        Value::String(s) if name == "type" || name == "scope" => {
                            seen.insert(format!("{name}={s}"));
                        }
                        Value::Array(items) => {
                            for item in items {
                                for key in item.as_object().unwrap().keys() {
                                    seen.insert(format!("{name}.{key}"));
                                }
                            }
                        }
                        _ => {
                            seen.insert(name.clone());
                        }
                    }
                }
            }
            Kind::Refusal {
                status,
                authorization,
                body,
            } => {
                let why = match (authorization, body) {
                    (false, _) => "no-token",
                    (true, Payload::Raw(_)) => "not-json",
                    (true, Payload::Json(b)) if b["type"].is_string() => "unknown-type",
                    (true, Payload::Json(_)) => "invalid-body",
                };
                seen.insert(format!("refusal:{status}:{why}"));
            }
        }
    }
    seen
}

#[test]
fn the_variants_cover_every_behaviour_the_rules_check() {
    let seen = coverage(&repo_variants());
    let required = [
        "type=view",
        "type=edit",
        "type=embed",
        "type=review",
        "type=blocksDownload",
        "type=createOnly",
        "type=addressBar",
        "type=adminDefault",
        "default-link",
        "scope=anonymous",
        "scope=organization",
        "scope=users",
        "recipients.email",
        "recipients.alias",
        "recipients.objectId",
        "expirationDateTime",
        "password",
        "message",
        "retainInheritedPermissions",
        "sendNotification",
        "repeat",
        "refusal:401:no-token",
        "refusal:400:not-json",
        "refusal:400:unknown-type",
    ];
    let missing: Vec<_> = required.iter().filter(|r| !seen.contains(**r)).collect();
    assert!(
        missing.is_empty(),
        "no variant covers {missing:?}; seen {seen:?}"
    );
    // Only documented parameters are sent.
    let documented = [
        "type",
        "scope",
        "expirationDateTime",
        "password",
        "message",
        "recipients",
        "retainInheritedPermissions",
        "sendNotification",
    ];
    for v in repo_variants() {
        if let Kind::Link { body, .. }
        | Kind::Refusal {
            body: Payload::Json(body),
            ..
        } = &v.kind
        {
            for key in body.as_object().unwrap().keys() {
                assert!(documented.contains(&key.as_str()), "{}: {key}", v.name);
            }
        }
    }
}

#[test]
fn malformed_variant_files_are_named_with_the_reason() {
    let rows = [
        ("Edit.json", "{}", "lower-case ASCII words"),
        ("x.json", "[]", "must be a JSON object"),
        ("x.json", r#"{"body": {}}"#, "needs a \"description\""),
        (
            "x.json",
            r#"{"description": "d", "body": {}, "extra": 1}"#,
            "unknown member \"extra\"",
        ),
        ("x.json", r#"{"description": "d"}"#, "missing \"body\""),
        (
            "x.json",
            r#"{"description": "d", "body": {}, "rawBody": "x"}"#,
            "both",
        ),
        (
            "x.json",
            r#"{"description": "d", "body": {"type": "nope"}}"#,
            "not a valid createLink request",
        ),
        (
            "x.json",
            r#"{"description": "d", "rawBody": "{"}"#,
            "only for a refusal",
        ),
        (
            "x.json",
            r#"{"description": "d", "rawBody": "{}", "refusal": {"status": 400}}"#,
            "is valid JSON",
        ),
        (
            "x.json",
            r#"{"description": "d", "body": {}, "refusal": {"status": 200}}"#,
            "4xx",
        ),
        (
            "x.json",
            r#"{"description": "d", "body": {}, "refusal": {}}"#,
            "needs a \"status\"",
        ),
        (
            "x.json",
            r#"{"description": "d", "body": {}, "refusal": {"status": 400}}"#,
            "has none",
        ),
        (
            "x.json",
            r#"{"description": "d", "rawBody": "{", "refusal": {"status": 400, "authorization": false}}"#,
            "no Authorization header and a body that is not JSON",
        ),
        (
            "x.json",
            r#"{"description": "d", "body": {}, "repeat": "yes"}"#,
            "\"repeat\" must be a boolean",
        ),
        (
            "x.json",
            r#"{"description": "d", "body": {}, "repeat": true, "refusal": {"status": 401, "authorization": false}}"#,
            "a refusal is sent once",
        ),
        (
            "x.json",
            r#"{"description": "d", "body": {}, "service": "any"}"#,
            "\"service\" must be an object",
        ),
        (
            "x.json",
            r#"{"description": "d", "body": {}, "service": {"on": "any", "says": "s"}}"#,
            "\"service\" needs \"page\"",
        ),
        (
            "x.json",
            r#"{"description": "d", "body": {}, "service": {"on": "any", "says": "s", "page": "p", "x": 1}}"#,
            "unknown member \"x\"",
        ),
        (
            "x.json",
            r#"{"description": "d", "body": {}, "service": {"on": "sharepoint", "says": "s", "page": "p"}}"#,
            "\"service\".on is \"sharepoint\"",
        ),
        (
            "x.json",
            r#"{"description": "d", "body": {"type": "embed"}, "service": {"on": "any", "says": "s", "page": "p"}}"#,
            "\"service\".on says \"any\", but the body is available on \"personal\"",
        ),
        (
            "x.json",
            r#"{"description": "d", "body": {"type": "view", "scope": "users"}, "service": {"on": "personal", "says": "s", "page": "p"}}"#,
            "available on \"business\"",
        ),
        (
            "x.json",
            r#"{"description": "d", "body": {"type": "embed", "scope": "users"}}"#,
            "asks type \"embed\" and scope \"users\", which no one service offers together",
        ),
    ];
    let schemas = schemas();
    let mut wrong = Vec::new();
    for (file, text, reason) in rows {
        let dir = createlink::load::files::TempDir::new("variants");
        std::fs::write(dir.join(file), text).unwrap();
        match variant::load_dir(&dir, &schemas) {
            Ok(_) => wrong.push(format!("{text}: loaded")),
            Err(e) => {
                let shown = e.to_string();
                if !shown.contains(file) || !shown.contains(reason) {
                    wrong.push(format!("{text}: {shown}"));
                }
            }
        }
        std::fs::remove_dir_all(&dir).ok();
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_new_variant_file_is_a_new_trial_on_every_path_without_code_changes() {
    let dir = createlink::load::files::TempDir::new("variants");
    for entry in std::fs::read_dir(repo_dir("cases")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::create_dir(dir.join(variant::FOLDER)).unwrap();
    std::fs::write(
        dir.join(variant::FOLDER).join("review-users.json"),
        r#"{"description": "A review link.", "body": {"type": "review", "scope": "organization"}}"#,
    )
    .unwrap();
    let mut config = Config::defaults();
    config.cases = createlink::load::folder::Folder::Disk(dir.to_path_buf());
    let suite = Suite::new(config).unwrap();
    let ids = suite.trials();
    assert_eq!(ids.len(), suite.cases().len() * 2);
    for id in ids.into_iter().filter(|id| id.variant.is_some()) {
        let name = suite.trial_name(id);
        assert!(name.ends_with(" review-users"), "{name}");
        let outcome = suite.run_trial(id);
        assert!(outcome.passed(), "{}", outcome.report());
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Each repository variant declares where it is available, with the page's sentence, and a run
/// against one service drops exactly the variants declared for the other.
#[test]
fn every_variant_declares_its_service_with_the_pages_words() {
    use createlink::model::service::Service;
    let dir = repo_dir("cases").join(variant::FOLDER);
    for v in repo_variants() {
        let text = std::fs::read_to_string(dir.join(format!("{}.json", v.name))).unwrap();
        let file: Value = serde_json::from_str(&text).unwrap();
        let declared = &file["service"];
        for member in ["on", "says", "page"] {
            assert!(declared[member].is_string(), "{}: service.{member}", v.name);
        }
        let on = Service::parse(declared["on"].as_str().unwrap()).unwrap();
        for run in Service::ALL {
            let sent = v.not_offered(run).is_none();
            assert_eq!(sent, run.offers(on), "{} under {}", v.name, run.name());
            if let Some(reason) = v.not_offered(run) {
                let says = declared["says"].as_str().unwrap();
                assert!(
                    reason.contains(says) && reason.contains(on.label()),
                    "{reason}"
                );
            }
        }
    }
}

/// The expiration variant sends the documented form; its sibling the same instant in an offset
/// the document does not write, and says so in its name.
#[test]
fn expiration_is_sent_as_documented_and_beyond_it_under_its_own_name() {
    use createlink::model::datetime::DateTimeOffset;
    let expiry = |name: &str| -> String {
        let v = repo_variants()
            .into_iter()
            .find(|v| v.name == name)
            .unwrap();
        let Kind::Link { body, .. } = v.kind else {
            panic!("{name} is a link")
        };
        body["expirationDateTime"].as_str().unwrap().to_owned()
    };
    let (documented, beyond) = (expiry("expiration"), expiry("expiration-offset-beyond-doc"));
    // yyyy-MM-ddTHH:mm:ssZ
    assert_eq!(documented.len(), 20, "{documented}");
    assert!(
        documented.ends_with('Z') && !beyond.ends_with('Z'),
        "{beyond}"
    );
    assert_eq!(
        DateTimeOffset::parse(&documented).unwrap().instant(),
        DateTimeOffset::parse(&beyond).unwrap().instant()
    );
}
