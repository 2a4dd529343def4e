//! Verdict tables as data, in the shape of JSON-Schema-Test-Suite: each `tests/verdicts/*.json`
//! is one trial, run through the crate's own libtest-mimic loop. Beside it, `<name>.txt` is the
//! golden report, compared byte for byte; `CREATELINK_GOLDEN=overwrite cargo test --test
//! verdicts` rewrites the golden files, so a wording change shows up as a diff to review.
//!
//! A single case judges one trial's answers, and its golden file is the report:
//!
//! ```json
//! { "description": "a 201 under the documented profile",
//!   "profile": "documented", "variant": "edit-organization",
//!   "answers": [{ "status": 201, "contentType": ["application/json"], "body": {"value": {}} }],
//!   "problems": [{ "check": "status" }, { "check": "schema", "pointer": "/value" }] }
//! ```
//!
//! A table judges many answers to one trial, a row each, and its golden file holds every row's
//! report under `=== <row description>`. A row says how its answer differs from the table's:
//!
//! ```json
//! { "description": "which status passes", "profile": "documented",
//!   "permission": { "id": "abc", "roles": ["read"], "link": {} },
//!   "tests": [
//!     { "description": "201", "answer": { "status": 201 }, "problems": [{ "check": "status" }] },
//!     { "description": "graph: 201", "profile": "graph", "answer": { "status": 201 },
//!       "problems": [] },
//!     { "description": "id = 42", "answer": { "set": { "/value/id": 42 } },
//!       "problems": [{ "check": "schema", "pointer": "/value/id" }] } ] }
//! ```
//!
//! - `profile` (`documented` or `graph`) and `variant` (a file of `cases/variants/`; without it,
//!   the base trial) are the file's. A row may name its own `profile`: that is how one table
//!   covers both profiles.
//! - A table's `answer` is where each row starts from. `permission` instead stands for the passing
//!   answer of the row's profile: 200, `application/json`, and the permission inside the
//!   documented envelope (`{"value": …}`), or bare under `graph`.
//! - A row's `answer` replaces members of that one (one body member replaces another); `answers`
//!   instead lists every answer in full, as a single case does.
//! - An answer is `{"failed": reason}` for no answer, else `status`, `contentType` (every header
//!   value; none when left out), `location`, and one body: `body` (JSON), `bodyText` (UTF-8),
//!   `bodyBytes` (a string of characters U+0000 to U+00FF, a byte each) or `tooLarge`
//!   (`{limit, declared}`: not read). `set` (`{pointer: value}`) and `remove` (`[pointer]`) change a
//!   JSON `body`, removals first; a pointer's parent must exist.
//! - `problems` are the problems expected, in report order, as `{check, pointer}`; `pointer` is
//!   left out where the problem has none, and is `""` for the whole body.
//!
//! A malformed fixture fails its trial, naming the file and what is wrong. The trial
//! `runner-self-test` shows the runner can fail: a wrong expected problem, a wrong golden report
//! and malformed fixtures all make a fixture fail, saying why.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use createlink::exchange::request::PreparedRequest;
use createlink::load::config::{Config, Profile};
use createlink::load::variant::Kind;
use createlink::suite::Plan;
use createlink::verdict::{self, AnswerBody, Check, Exchange, Expect, Problem, Response};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{Map, Value, json};

const URL: &str = "http://127.0.0.1:8080/beta/drives/b!conformance-drive/root/createLink";
const TEMPLATE: &str = "/drives/{drivesId}/root/createLink";
const BODIES: [&str; 4] = ["body", "bodyText", "bodyBytes", "tooLarge"];
const HEADING: &str = "=== ";

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/verdicts");
    let plan = Arc::new(Plan::load(Config::defaults()).expect("the repository's folders load"));
    let mut trials: Vec<Trial> = files(&dir, "json")
        .into_iter()
        .map(|file| {
            let name = file
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            let plan = Arc::clone(&plan);
            Trial::test(name, move || run_file(&plan, &file))
        })
        .collect();
    trials.push(Trial::test("readme-examples", readme_examples));
    trials.push(Trial::test(
        "every-golden-report-has-its-fixture",
        move || orphans(&dir),
    ));
    trials.push(Trial::test("runner-self-test", move || self_test(&plan)));
    libtest_mimic::run(&args, trials).exit_code()
}

/// The files of `dir` ending in `.extension`, sorted.
fn files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    files
}

fn run_file(plan: &Plan, file: &Path) -> Result<(), Failed> {
    let named = |e: String| format!("{}: {e}", file.display());
    let text = std::fs::read_to_string(file).map_err(|e| named(e.to_string()))?;
    let report = verify(plan, &text).map_err(named)?;
    let golden = file.with_extension("txt");
    let named = |e: String| {
        format!(
            "{} (CREATELINK_GOLDEN=overwrite rewrites it): {e}",
            golden.display()
        )
    };
    if std::env::var_os("CREATELINK_GOLDEN").is_some_and(|v| v == "overwrite") {
        return std::fs::write(&golden, &report).map_err(|e| named(e.to_string()).into());
    }
    let expected = std::fs::read_to_string(&golden).map_err(|e| named(e.to_string()))?;
    Ok(compare(&expected, &report).map_err(named)?)
}

/// Judges every row of a fixture: the report (every row's, for a table) when each row's problems
/// are the ones expected, else what is wrong.
fn verify(plan: &Plan, text: &str) -> Result<String, String> {
    let fixture = parse(plan, text).map_err(|e| format!("malformed fixture: {e}"))?;
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for row in &fixture.rows {
        let answers: Vec<&Exchange> = row.answers.iter().collect();
        let problems = verdict::judge(row.profile, &plan.schemas, fixture.expect, &answers);
        let report = createlink::report::render(&problems, &fixture.request);
        let got: Vec<Expected> = problems.iter().map(expected).collect();
        if got != row.problems {
            failures.push(format!(
                "--- {:?} (profile {}): expected {}, got {}\n{report}",
                row.description,
                row.profile.name(),
                shown(&row.problems),
                shown(&got)
            ));
        }
        reports.push(if fixture.table {
            format!("{HEADING}{}\n{report}", row.description)
        } else {
            report
        });
    }
    if failures.is_empty() {
        Ok(reports.join("\n"))
    } else {
        Err(format!(
            "{} of {} row(s) wrong:\n{}",
            failures.len(),
            fixture.rows.len(),
            failures.join("\n")
        ))
    }
}

/// `Err` naming the first line where `got` differs from the golden report, and its row.
fn compare(expected: &str, got: &str) -> Result<(), String> {
    if expected == got {
        return Ok(());
    }
    let (mut want, mut have) = (expected.lines(), got.lines());
    let mut row = None;
    for n in 1.. {
        let (a, b) = (want.next(), have.next());
        if let Some(heading) = b.and_then(|l| l.strip_prefix(HEADING)) {
            row = Some(heading);
        }
        if a != b || a.is_none() {
            let line =
                |l: Option<&str>| l.map_or_else(|| "(the end)".to_owned(), |l| format!("{l:?}"));
            let mut why = format!(
                "the report differs at line {n}{}:\n  expected {}\n  got      {}",
                row.map(|r| format!(", in the row {r:?}"))
                    .unwrap_or_default(),
                line(a),
                line(b)
            );
            if row.is_none() {
                why.push_str(&format!("\n--- got\n{got}\n--- expected\n{expected}"));
            }
            return Err(why);
        }
    }
    unreachable!("the loop returns at the first difference")
}

// =============================================================================================
// The fixture format

/// A problem as a fixture states it: its check's name and its pointer.
type Expected = (String, Option<String>);

fn expected(problem: &Problem) -> Expected {
    (
        problem.check().name().to_owned(),
        problem.pointer().map(str::to_owned),
    )
}

fn shown(problems: &[Expected]) -> String {
    let each: Vec<String> = problems
        .iter()
        .map(|(check, pointer)| match pointer {
            Some(p) => format!("{check} at {p:?}"),
            None => check.clone(),
        })
        .collect();
    format!("[{}]", each.join(", "))
}

struct Fixture<'p> {
    table: bool,
    expect: Expect<'p>,
    request: PreparedRequest,
    rows: Vec<Row>,
}

struct Row {
    description: String,
    profile: Profile,
    answers: Vec<Exchange>,
    problems: Vec<Expected>,
}

type Object = Map<String, Value>;

fn parse<'p>(plan: &'p Plan, text: &str) -> Result<Fixture<'p>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let file = object(&value, "the fixture")?;
    let table = file.contains_key("tests");
    let allowed: &[&str] = if table {
        &[
            "description",
            "profile",
            "variant",
            "answer",
            "permission",
            "tests",
        ]
    } else {
        &["description", "profile", "variant", "answers", "problems"]
    };
    only(file, "the fixture", allowed)?;
    let description = string(file, "description", "the fixture")?;
    let profile = profile_in(file, "the fixture")?.ok_or("the fixture has no \"profile\"")?;
    let (expect, request) = trial(plan, file.get("variant"))?;
    let rows = if table {
        rows(file, profile)?
    } else {
        vec![Row {
            description: description.to_owned(),
            profile,
            answers: answer_list(file.get("answers"), "the fixture")?,
            problems: problems(file, "the fixture")?,
        }]
    };
    Ok(Fixture {
        table,
        expect,
        request,
        rows,
    })
}

/// What the trial expects, and the request the reports show.
fn trial<'p>(
    plan: &'p Plan,
    variant: Option<&Value>,
) -> Result<(Expect<'p>, PreparedRequest), String> {
    let case = plan
        .cases
        .iter()
        .find(|c| c.template.as_str() == TEMPLATE)
        .ok_or_else(|| format!("no case for {TEMPLATE}"))?;
    let request = PreparedRequest {
        method: reqwest::Method::POST,
        url: URL.parse().map_err(|e| format!("{URL}: {e}"))?,
        body: case.body.clone(),
        authorization: true,
        times: 1,
        placeholder_token: false,
    };
    let Some(name) = variant else {
        return Ok((Expect::Base, request));
    };
    let name = name.as_str().ok_or("\"variant\" must be a string")?;
    let v = plan
        .variants
        .iter()
        .find(|v| v.name == name)
        .ok_or_else(|| format!("no variant {name:?} in cases/variants/"))?;
    let expect = match &v.kind {
        Kind::Link { body, .. } => Expect::Link { request: body },
        Kind::Refusal { status, .. } => Expect::Refusal { status: *status },
    };
    Ok((expect, request.with_variant(v)))
}

fn rows(file: &Object, profile: Profile) -> Result<Vec<Row>, String> {
    let tests = file["tests"]
        .as_array()
        .filter(|t| !t.is_empty())
        .ok_or("\"tests\" must be a non-empty array of rows")?;
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for (i, test) in tests.iter().enumerate() {
        let what = format!("tests[{i}]");
        let row = object(test, &what)?;
        only(
            row,
            &what,
            &["description", "profile", "answer", "answers", "problems"],
        )?;
        let description = string(row, "description", &what)?;
        if !seen.insert(description) {
            return Err(format!("two rows are described as {description:?}"));
        }
        let what = format!("the row {description:?}");
        let profile = profile_in(row, &what)?.unwrap_or(profile);
        let answers = match (row.get("answer"), row.get("answers")) {
            (Some(_), Some(_)) => {
                return Err(format!("{what}: give \"answer\" or \"answers\", not both"));
            }
            (None, Some(list)) => answer_list(Some(list), &what)?,
            (over, None) => vec![exchange(&merged(file, profile, over, &what)?, &what)?],
        };
        rows.push(Row {
            description: description.to_owned(),
            profile,
            answers,
            problems: problems(row, &what)?,
        });
    }
    Ok(rows)
}

fn profile_in(of: &Object, what: &str) -> Result<Option<Profile>, String> {
    match of.get("profile") {
        None => Ok(None),
        Some(p) => match p.as_str() {
            Some("documented") => Ok(Some(Profile::Documented)),
            Some("graph") => Ok(Some(Profile::Graph)),
            _ => Err(format!(
                "{what}: \"profile\" is \"documented\" or \"graph\", not {p}"
            )),
        },
    }
}

/// The table's answer under `profile` with the row's `over` members in place of its own.
fn merged(
    file: &Object,
    profile: Profile,
    over: Option<&Value>,
    what: &str,
) -> Result<Object, String> {
    let mut answer = match (file.get("answer"), file.get("permission")) {
        (Some(_), Some(_)) => {
            return Err("a table gives \"answer\" or \"permission\", not both".into());
        }
        (Some(a), None) => object(a, "the table's \"answer\"")?.clone(),
        (None, Some(p)) => {
            let body = match profile {
                Profile::Documented => json!({ "value": p }),
                Profile::Graph => p.clone(),
            };
            let passing = json!({"status": 200, "contentType": ["application/json"], "body": body});
            object(&passing, "the passing answer")?.clone()
        }
        (None, None) if over.is_some() => Object::new(),
        (None, None) => {
            return Err(format!(
                "{what} has no answer, and the table no \"answer\" or \"permission\""
            ));
        }
    };
    if let Some(over) = over {
        let over = object(over, &format!("{what}: \"answer\""))?;
        if BODIES.iter().any(|b| over.contains_key(*b)) {
            answer.retain(|k, _| !BODIES.contains(&k.as_str()));
        }
        answer.extend(over.clone());
    }
    Ok(answer)
}

fn answer_list(answers: Option<&Value>, what: &str) -> Result<Vec<Exchange>, String> {
    let list = answers
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| format!("{what}: \"answers\" must be a non-empty array"))?;
    list.iter()
        .enumerate()
        .map(|(i, a)| {
            let what = format!("{what}, answers[{i}]");
            exchange(object(a, &what)?, &what)
        })
        .collect()
}

fn exchange(answer: &Object, what: &str) -> Result<Exchange, String> {
    only(
        answer,
        what,
        &[
            "status",
            "contentType",
            "location",
            "body",
            "bodyText",
            "bodyBytes",
            "tooLarge",
            "set",
            "remove",
            "failed",
        ],
    )?;
    if let Some(reason) = answer.get("failed") {
        return match (reason.as_str(), answer.len()) {
            (Some(reason), 1) => Ok(Exchange::Failed {
                reason: reason.to_owned(),
            }),
            _ => Err(format!(
                "{what}: a failed exchange is only {{\"failed\": \"<reason>\"}}"
            )),
        };
    }
    let status = answer
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (100..600).contains(s))
        .ok_or_else(|| format!("{what}: \"status\" must be a number from 100 to 599"))?;
    let content_types = match answer.get("contentType") {
        None => Vec::new(),
        Some(Value::Array(values)) => values
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| format!("{what}: \"contentType\" must be an array of strings"))?,
        Some(_) => return Err(format!("{what}: \"contentType\" must be an array")),
    };
    let location = match answer.get("location") {
        None => None,
        Some(Value::String(l)) => Some(l.clone()),
        Some(_) => return Err(format!("{what}: \"location\" must be a string")),
    };
    Ok(Exchange::Answered(Response {
        status,
        content_types,
        location,
        body: body(answer, what)?,
    }))
}

fn body(answer: &Object, what: &str) -> Result<AnswerBody, String> {
    let given: Vec<&str> = BODIES
        .into_iter()
        .filter(|b| answer.contains_key(*b))
        .collect();
    let edits = answer.contains_key("set") || answer.contains_key("remove");
    if edits && given != ["body"] {
        return Err(format!(
            "{what}: \"set\" and \"remove\" change a JSON \"body\", and there is none"
        ));
    }
    let text = |name: &str| {
        answer[name]
            .as_str()
            .ok_or_else(|| format!("{what}: \"{name}\" must be a string"))
    };
    Ok(match given.as_slice() {
        ["body"] => {
            let mut body = answer["body"].clone();
            edit(&mut body, answer).map_err(|e| format!("{what}: {e}"))?;
            AnswerBody::Complete(body.to_string().into_bytes())
        }
        ["bodyText"] => AnswerBody::Complete(text("bodyText")?.as_bytes().to_vec()),
        ["bodyBytes"] => AnswerBody::Complete(
            text("bodyBytes")?
                .chars()
                .map(|c| u8::try_from(c).ok())
                .collect::<Option<_>>()
                .ok_or_else(|| format!("{what}: \"bodyBytes\" has a character past U+00FF"))?,
        ),
        ["tooLarge"] => {
            let large = object(&answer["tooLarge"], &format!("{what}: \"tooLarge\""))?;
            only(large, "\"tooLarge\"", &["limit", "declared"])?;
            let number = |name: &str| match large.get(name) {
                None => Ok(None),
                Some(n) => n
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| format!("{what}: \"tooLarge\": \"{name}\" must be a number")),
            };
            AnswerBody::TooLarge {
                limit: number("limit")?
                    .ok_or_else(|| format!("{what}: \"tooLarge\" needs a \"limit\""))?,
                declared: number("declared")?,
            }
        }
        [] => return Err(format!("{what} has no body: give one of {BODIES:?}")),
        many => return Err(format!("{what} has one body, not {many:?}")),
    })
}

/// Applies an answer's `remove` and `set` to its JSON body.
fn edit(body: &mut Value, answer: &Object) -> Result<(), String> {
    if let Some(pointers) = answer.get("remove") {
        let pointers = pointers
            .as_array()
            .ok_or("\"remove\" must be an array of pointers")?;
        for pointer in pointers {
            let pointer = pointer.as_str().ok_or("\"remove\" must list strings")?;
            let (parent, name) = parent(body, pointer)?;
            parent
                .as_object_mut()
                .and_then(|o| o.remove(&name))
                .ok_or_else(|| format!("remove {pointer:?}: the body has no such member"))?;
        }
    }
    if let Some(values) = answer.get("set") {
        let values = object(values, "\"set\"")?;
        for (pointer, value) in values {
            let (parent, name) = parent(body, pointer)?;
            match parent {
                Value::Object(o) => {
                    o.insert(name, value.clone());
                }
                Value::Array(items) => {
                    *name
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| items.get_mut(i))
                        .ok_or_else(|| format!("set {pointer:?}: no such item"))? = value.clone();
                }
                _ => {
                    return Err(format!(
                        "set {pointer:?}: its parent is not an object or an array"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The value holding the member `pointer` names, and that member's name.
fn parent<'b>(body: &'b mut Value, pointer: &str) -> Result<(&'b mut Value, String), String> {
    let (parent, name) = pointer
        .rsplit_once('/')
        .filter(|_| pointer.starts_with('/'))
        .ok_or_else(|| format!("{pointer:?} is not a JSON pointer to a member"))?;
    let name = name.replace("~1", "/").replace("~0", "~");
    let holder = body
        .pointer_mut(parent)
        .ok_or_else(|| format!("{pointer:?}: the body has nothing at {parent:?}"))?;
    Ok((holder, name))
}

fn problems(of: &Object, what: &str) -> Result<Vec<Expected>, String> {
    let list = of
        .get("problems")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{what}: \"problems\" must be an array (empty for a pass)"))?;
    let names: Vec<&str> = Check::ALL.iter().map(|c| c.name()).collect();
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            let what = format!("{what}, problems[{i}]");
            let p = object(p, &what)?;
            only(p, &what, &["check", "pointer"])?;
            let check = string(p, "check", &what)?;
            if !names.contains(&check) {
                return Err(format!(
                    "{what}: unknown check {check:?}; the checks are {names:?}"
                ));
            }
            let pointer = match p.get("pointer") {
                None => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return Err(format!("{what}: \"pointer\" must be a string")),
            };
            Ok((check.to_owned(), pointer))
        })
        .collect()
}

fn object<'v>(value: &'v Value, what: &str) -> Result<&'v Object, String> {
    value
        .as_object()
        .ok_or_else(|| format!("{what} must be a JSON object, not {value}"))
}

fn string<'v>(of: &'v Object, name: &str, what: &str) -> Result<&'v str, String> {
    of.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{what} needs a string \"{name}\""))
}

/// `Err` naming the first member of `of` that is not `allowed`.
fn only(of: &Object, what: &str, allowed: &[&str]) -> Result<(), String> {
    match of.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(format!(
            "{what} has an unknown member {k:?}; its members are {allowed:?}"
        )),
    }
}

// =============================================================================================
// The runner's own checks

/// A golden report without its fixture is one no trial compares: a renamed or deleted fixture
/// left it behind.
fn orphans(dir: &Path) -> Result<(), Failed> {
    let orphans: Vec<String> = files(dir, "txt")
        .into_iter()
        .filter(|golden| !golden.with_extension("json").is_file())
        .map(|golden| golden.display().to_string())
        .collect();
    if orphans.is_empty() {
        Ok(())
    } else {
        Err(format!("golden reports without a fixture: {orphans:?}").into())
    }
}

/// The runner can fail: a fixture that holds passes, and the same fixture with a wrong expected
/// problem, a wrong golden report or a malformed part fails, saying why.
fn self_test(plan: &Plan) -> Result<(), Failed> {
    let good = json!({
        "description": "the runner's self-test",
        "profile": "documented",
        "permission": {"id": "abc", "roles": ["read"], "link": {"type": "view", "scope": "anonymous"}},
        "tests": [
            {"description": "passes", "problems": []},
            {"description": "a 201", "answer": {"status": 201}, "problems": [{"check": "status"}]}
        ]
    });
    let report = verify(plan, &good.to_string())
        .map_err(|e| format!("the self-test's own fixture fails: {e}"))?;
    compare(&report, &report)?;
    let mut wrong = Vec::new();
    let golden = report.replace("got 201 Created", "got 202 Accepted");
    match compare(&golden, &report) {
        Err(e) if e.contains("in the row \"a 201\"") => {}
        other => wrong.push(format!("a wrong golden report: {other:?}")),
    }
    // (a change to the good fixture, what its failure must say)
    type Change = fn(&mut Value);
    let changes: [(Change, &str); 14] = [
        (
            |f| f["tests"][1]["problems"][0]["check"] = json!("content-type"),
            "--- \"a 201\" (profile documented): expected [content-type], got [status]",
        ),
        (|f| f["tests"][1]["problems"] = json!([]), "\"a 201\""),
        (
            |f| f["tests"][0]["problems"] = json!([{"check": "schema", "pointer": ""}]),
            "\"passes\"",
        ),
        (
            |f| f["tests"][1]["problems"][0]["pointer"] = json!(""),
            "\"a 201\"",
        ),
        (
            |f| f["tests"][1]["problems"][0]["check"] = json!("statuss"),
            "unknown check \"statuss\"",
        ),
        (
            |f| f["tests"][1]["problem"] = json!([]),
            "unknown member \"problem\"",
        ),
        (|f| f["profile"] = json!("beta"), "\"profile\""),
        (
            |f| f["variant"] = json!("no-such-variant"),
            "no-such-variant",
        ),
        (
            |f| f["tests"][1]["description"] = json!("passes"),
            "two rows are described as \"passes\"",
        ),
        (
            |f| f["tests"][1]["answer"] = json!({"set": {"/value/nothing/here": 1}}),
            "\"/value/nothing\"",
        ),
        (
            |f| f["tests"][1]["answer"] = json!({"status": "201"}),
            "\"status\" must be a number",
        ),
        (
            |f| f["tests"][1]["answer"] = json!({"body": {}, "bodyText": ""}),
            "one body",
        ),
        (|f| f["tests"][1]["answers"] = json!([]), "not both"),
        (|f| f["tests"] = json!([]), "non-empty array of rows"),
    ];
    for (i, (change, says)) in changes.iter().enumerate() {
        let mut fixture = good.clone();
        change(&mut fixture);
        match verify(plan, &fixture.to_string()) {
            Err(e) if e.contains(says) => {}
            other => wrong.push(format!(
                "change {i} should fail saying {says:?}, got {other:?}"
            )),
        }
    }
    match verify(plan, "{\"description\": ") {
        Err(e) if e.contains("not JSON") => {}
        other => wrong.push(format!("text that is not JSON: {other:?}")),
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("\n").into())
    }
}

/// The two example reports of the documentation are the pinned ones, so the pages cannot drift
/// from what the harness prints: README.md's "Reading a failure" and docs/checks.md's behaviour
/// report.
fn readme_examples() -> Result<(), Failed> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let examples = [
        (
            "README.md",
            "---- POST /drives/{drivesId}/root/createLink ----\n",
            "tests/verdicts/readme-reading-a-failure.txt",
            ("127.0.0.1:18931", "127.0.0.1:8080"),
        ),
        (
            "docs/checks.md",
            "---- POST /drives/{drivesId}/root/createLink edit-organization ----\n",
            "tests/golden/behaviour-link-type.txt",
            ("", ""),
        ),
    ];
    for (page, heading, golden, (from, to)) in examples {
        let text = std::fs::read_to_string(root.join("..").join(page))
            .map_err(|e| format!("{page}: {e}"))?;
        let start = text
            .find(heading)
            .ok_or_else(|| format!("{page} has no {heading:?}"))?
            + heading.len();
        let end = start
            + text[start..]
                .find("\n```")
                .ok_or_else(|| format!("the example in {page} does not end"))?;
        let shown = text[start..end].trim_end_matches("\nfailures:\n    POST /drives/{drivesId}/root/createLink\n\ntest result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 298 filtered out; finished in 0.00s");
        let shown = if from.is_empty() {
            shown.to_owned()
        } else {
            shown.replace(from, to)
        };
        let pinned = std::fs::read_to_string(root.join(golden)).map_err(|e| e.to_string())?;
        if shown.trim_end() != pinned.trim_end() {
            return Err(format!(
                "{page}'s example under {heading:?} differs from {golden}:\n--- {page}\n{shown}\n--- {golden}\n{pinned}"
            )
            .into());
        }
    }
    Ok(())
}
