//! Verdict tables as data: each `tests/verdicts/*.json` is one trial, run through the crate's
//! own libtest-mimic loop. A fixture gives a profile, the trial (a base trial, or a variant of
//! `cases/variants/`), the answers, and the problems expected as `{check, pointer}`; beside it,
//! `<name>.txt` is the whole report, compared byte for byte (the golden file).
//!
//! ```json
//! { "description": "a 201 under the documented profile",
//!   "profile": "documented", "variant": "edit-organization",
//!   "answers": [{ "status": 201, "contentType": ["application/json"], "body": {"value": {}} }],
//!   "problems": [{ "check": "status" }, { "check": "schema", "pointer": "/value" }] }
//! ```
//!
//! An answer is `{status, contentType: [..], location, body | bodyText | tooLarge: {limit,
//! declared}}`, or `{failed: "reason"}` for no answer. `CREATELINK_GOLDEN=overwrite cargo test
//! --test verdicts` rewrites the `.txt` files, so a wording change shows up as a diff.

use std::path::{Path, PathBuf};

use createlink::config::{Config, Profile};
use createlink::request::PreparedRequest;
use createlink::suite::Plan;
use createlink::variant::Kind;
use createlink::verdict::{self, AnswerBody, Exchange, Expect, Problem, Response};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

const URL: &str = "http://127.0.0.1:8080/beta/drives/b!conformance-drive/root/createLink";

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/verdicts");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let plan = std::sync::Arc::new(Plan::load(Config::defaults()).unwrap());
    let mut trials: Vec<Trial> = files
        .into_iter()
        .map(|file| {
            let name = file.file_stem().unwrap().to_string_lossy().into_owned();
            let plan = std::sync::Arc::clone(&plan);
            Trial::test(name, move || run(&plan, &file))
        })
        .collect();
    trials.push(Trial::test("readme-examples", readme_examples));
    libtest_mimic::run(&args, trials).exit_code()
}

fn run(plan: &Plan, file: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let fixture: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let profile = match fixture["profile"].as_str() {
        Some("graph") => Profile::Graph,
        Some("documented") | None => Profile::Documented,
        Some(other) => return Err(format!("unknown profile {other:?}").into()),
    };
    let mut request = PreparedRequest {
        url: URL.parse().unwrap(),
        body: plan
            .cases
            .iter()
            .find(|c| c.template.as_str() == "/drives/{drivesId}/root/createLink")
            .ok_or("no case for /drives/{drivesId}/root/createLink")?
            .body
            .clone(),
        authorization: true,
        times: 1,
        placeholder_token: false,
    };
    let variant = match fixture["variant"].as_str() {
        None => None,
        Some(name) => Some(
            plan.variants
                .iter()
                .find(|v| v.name == name)
                .ok_or_else(|| format!("no variant {name:?}"))?,
        ),
    };
    if let Some(v) = variant {
        request = request.with_variant(v);
    }
    let expect = match variant.map(|v| &v.kind) {
        None => Expect::Base,
        Some(Kind::Link { body, .. }) => Expect::Link { request: body },
        Some(Kind::Refusal { status, .. }) => Expect::Refusal { status: *status },
    };
    let answers: Vec<Exchange> = fixture["answers"]
        .as_array()
        .ok_or("\"answers\" must be an array")?
        .iter()
        .map(exchange)
        .collect::<Result<_, _>>()?;
    let refs: Vec<&Exchange> = answers.iter().collect();
    let problems = verdict::judge(profile, &plan.schemas, expect, &refs);
    let got: Vec<(String, String)> = problems.iter().map(summary).collect();
    let wanted: Vec<(String, String)> = fixture["problems"]
        .as_array()
        .ok_or("\"problems\" must be an array")?
        .iter()
        .map(|p| {
            (
                p["check"].as_str().unwrap_or_default().to_owned(),
                p["pointer"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let report = createlink::report::render(&problems, &request);
    if got != wanted {
        return Err(format!(
            "{}\nexpected problems {wanted:?}\ngot {got:?}\n{report}",
            fixture["description"]
        )
        .into());
    }
    golden(&file.with_extension("txt"), &report)
}

/// `(check, pointer)` of a problem; the pointer is empty where the problem has none.
fn summary(problem: &Problem) -> (String, String) {
    (
        problem.check().name().to_owned(),
        problem.pointer().unwrap_or_default().to_owned(),
    )
}

fn exchange(answer: &Value) -> Result<Exchange, Failed> {
    if let Some(reason) = answer["failed"].as_str() {
        return Ok(Exchange::Failed {
            reason: reason.to_owned(),
        });
    }
    let body = if let Some(large) = answer.get("tooLarge") {
        AnswerBody::TooLarge {
            limit: large["limit"].as_u64().unwrap_or(16 << 20),
            declared: large["declared"].as_u64(),
        }
    } else if let Some(text) = answer["bodyText"].as_str() {
        AnswerBody::Complete(text.as_bytes().to_vec())
    } else {
        AnswerBody::Complete(
            answer
                .get("body")
                .map_or_else(Vec::new, |b| b.to_string().into_bytes()),
        )
    };
    Ok(Exchange::Answered(Response {
        status: answer["status"]
            .as_u64()
            .ok_or("an answer needs a \"status\"")? as u16,
        content_types: answer["contentType"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        location: answer["location"].as_str().map(str::to_owned),
        body,
    }))
}

fn golden(file: &Path, report: &str) -> Result<(), Failed> {
    if std::env::var_os("CREATELINK_GOLDEN").is_some_and(|v| v == "overwrite") {
        std::fs::write(file, report).map_err(|e| format!("{}: {e}", file.display()))?;
        return Ok(());
    }
    let expected = std::fs::read_to_string(file).unwrap_or_default();
    if expected == report {
        Ok(())
    } else {
        Err(format!(
            "the report differs from {} (CREATELINK_GOLDEN=overwrite rewrites it):\n--- got\n{report}\n--- expected\n{expected}",
            file.display()
        )
        .into())
    }
}

/// README.md's two example reports are the pinned ones, so the README cannot drift from what
/// the harness prints.
fn readme_examples() -> Result<(), Failed> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../README.md")).map_err(|e| e.to_string())?;
    let examples = [
        (
            "---- POST /drives/{drivesId}/root/createLink ----\n",
            "tests/verdicts/readme-reading-a-failure.txt",
            ("127.0.0.1:18931", "127.0.0.1:8080"),
        ),
        (
            "---- POST /drives/{drivesId}/root/createLink edit-organization ----\n",
            "tests/golden/behaviour-link-type.txt",
            ("", ""),
        ),
    ];
    for (heading, golden, (from, to)) in examples {
        let start = readme
            .find(heading)
            .ok_or_else(|| format!("README.md has no {heading:?}"))?
            + heading.len();
        let end = start
            + readme[start..]
                .find("\n```")
                .ok_or("the README example does not end")?;
        let shown = readme[start..end].trim_end_matches("\nfailures:\n    POST /drives/{drivesId}/root/createLink\n\ntest result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 298 filtered out; finished in 0.00s");
        let shown = if from.is_empty() {
            shown.to_owned()
        } else {
            shown.replace(from, to)
        };
        let pinned = std::fs::read_to_string(root.join(golden)).map_err(|e| e.to_string())?;
        if shown.trim_end() != pinned.trim_end() {
            return Err(format!(
                "README.md's example under {heading:?} differs from {golden}:\n--- README\n{shown}\n--- {golden}\n{pinned}"
            )
            .into());
        }
    }
    Ok(())
}
