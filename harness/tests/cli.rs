//! The suite as a user runs it: the program's exit codes and output, the expected-failures
//! file, libtest's JSON format, and cargo-nextest (listing, partitions, the JUnit file).

mod common;

use std::path::PathBuf;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::program::{self, workspace};
use common::{behaving_target, permission, trial_names};
use createlink::load::config::Profile;
use serde_json::json;
use wiremock::MockServer;

/// The token every run here sends; no output may contain it.
const SECRET: &str = "sentinel-token-d41d8cd98f00b204";
/// The one path the defective target breaks.
const BROKEN: &str = "POST /drives/{drivesId}/root/createLink";
const BROKEN_PATH: &str = "/beta/drives/b!conformance-drive/root/createLink";

/// A target that behaves on every path but one, where every request, refusals included, gets
/// a permission whose `link.type` is a number: every trial of that path fails.
fn one_broken_path() -> MockServer {
    behaving_target(Profile::Documented, |request, answer| {
        if request.url.path() == BROKEN_PATH {
            let mut broken = permission();
            broken["link"]["type"] = json!(5);
            answer.status = 200;
            answer.content_type = "application/json".to_owned();
            answer.body = json!({ "value": broken });
        }
    })
}

/// The names of the broken path's trials, sorted.
fn broken_trials() -> Vec<String> {
    trial_names()
        .into_iter()
        .filter(|n| n == BROKEN || n.starts_with(&format!("{BROKEN} ")))
        .collect()
}

/// How many trials each path has: its base trial and one per variant.
fn per_path() -> usize {
    common::plan().variants.len() + 1
}

/// `"{passed} passed; {failed} failed"` for a run in which `failed` of all trials fail.
fn tally(failed: usize) -> String {
    format!("{} passed; {failed} failed", trial_names().len() - failed)
}

/// The test names a run lists under `failures:`, sorted.
fn failures(shown: &str) -> Vec<String> {
    let mut names: Vec<String> = shown
        .split("\nfailures:\n")
        .last()
        .unwrap_or("")
        .lines()
        .map_while(|l| l.strip_prefix("    "))
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("createlink-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, text).unwrap();
    file
}

/// The program with a clean `CREATELINK_*` environment plus `vars`.
/// Every target here starts with no link, so the run may delete the links it gets under
/// documented too (`CREATELINK_FRESH_ITEMS`).
fn suite(vars: &[(&str, &str)], args: &[&str]) -> Output {
    let vars = [vars, &[("CREATELINK_FRESH_ITEMS", "1")]].concat();
    let out = program::run(SECRET, &vars, args);
    assert_no_secret(&out);
    out
}

#[track_caller]
fn assert_no_secret(out: &Output) {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(SECRET), "the token leaked:\n{all}");
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_built_in_server_passes_every_case() {
    let out = suite(&[], &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains(&tally(0)), "{shown}");
    let plan = common::plan();
    assert_eq!(
        trial_names().len(),
        plan.cases.len() * (plan.variants.len() + 1),
        "every path, each with its base trial and every variant"
    );
    assert!(shown.contains("built-in reference server"), "{shown}");
}

#[test]
fn a_defect_fails_exactly_the_case_it_touches_and_the_report_reproduces_it() {
    let server = one_broken_path();
    let base = format!("{}/beta", server.uri());
    let out = suite(&[("CREATELINK_BASE_URL", &base)], &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(101), "{shown}");
    assert!(shown.contains(&tally(per_path())), "{shown}");
    assert_eq!(failures(&shown), broken_trials(), "{shown}");
    for needle in [
        "[schema] /value/link/type",
        "value:    5",
        "rule:     schemas/sharingLink.json#",
        "curl -sS -i -X POST",
        "Bearer $CREATELINK_TOKEN",
    ] {
        assert!(shown.contains(needle), "missing {needle:?}:\n{shown}");
    }
}

#[test]
fn configuration_errors_stop_the_run_naming_the_variable() {
    let params = temp_file("typo-params.json", r#"{"driveItemID": "x"}"#);
    let params = params.to_str().unwrap();
    for (var, value, needle) in [
        (
            "CREATELINK_BASE_URL",
            "ftp://example.com",
            "CREATELINK_BASE_URL",
        ),
        ("CREATELINK_TIMEOUT_SECS", "0", "CREATELINK_TIMEOUT_SECS"),
        ("CREATELINK_PROFILE", "live", "CREATELINK_PROFILE"),
        ("CREATELINK_SERVICE", "sharepoint", "\"sharepoint\""),
        ("CREATELINK_CONCURRENCY", "many", "CREATELINK_CONCURRENCY"),
        (
            "CREATELINK_PARAMS",
            "/nonexistent/params.json",
            "/nonexistent/params.json",
        ),
        ("CREATELINK_PARAMS", params, "\"driveItemID\""),
        ("CREATELINK_TOKEN", "has space", "CREATELINK_TOKEN"),
    ] {
        let out = suite(&[(var, value)], &[]);
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(2), "{var}={value}: {shown}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with(&format!("error: {var}")), "{shown}");
        assert!(stderr.contains(needle), "{shown}");
        assert!(!stderr.contains("panicked"), "{shown}");
    }
}

#[test]
fn a_malformed_case_file_is_named() {
    let file = temp_file(
        "cases/bad.json",
        r#"{"path": "/drives/{drivesId}/root", "body": {}}"#,
    );
    let dir = file.parent().unwrap();
    let out = suite(&[("CREATELINK_CASES", dir.to_str().unwrap())], &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("bad.json") && shown.contains("must end in /createLink"),
        "{shown}"
    );
}

/// Pre-flight: a target that cannot be reached at all stops the run before any trial, with one
/// message naming the cause and the variable to check, and exit code 2, not a failed report on
/// every trial.
#[test]
fn an_unreachable_target_stops_the_run_with_one_message() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}/beta");
    let out = suite(&[("CREATELINK_BASE_URL", &base)], &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains(&format!(
            "error: CREATELINK_BASE_URL: the target does not answer, so no trial was run: cannot \
             connect to 127.0.0.1:{port}"
        )),
        "{shown}"
    );
    assert!(shown.contains("Connection refused"), "{shown}");
    assert!(!shown.contains("test result"), "{shown}");
    assert!(!shown.contains("panicked"), "{shown}");
    let lines = String::from_utf8_lossy(&out.stdout).lines().count()
        + String::from_utf8_lossy(&out.stderr).lines().count();
    assert!(lines < 100, "{lines} lines: {shown}");
    // A name that does not resolve is the same kind of stop.
    let out = suite(
        &[("CREATELINK_BASE_URL", "http://nowhere.invalid/beta")],
        &[],
    );
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("cannot connect to nowhere.invalid:80"),
        "{shown}"
    );
}

/// A target that takes connections but sends no status in time (slow on `GET`, or flooding
/// `1xx`) can be reached: the pre-flight lets the trials run, and they say what is wrong.
#[test]
fn a_target_that_connects_but_never_answers_is_judged_not_refused_as_unreachable() {
    // Holds every connection open, answering nothing, far past the 1 s timeout.
    let base = common::raw_target(|_| std::thread::sleep(std::time::Duration::from_secs(30)));
    let name = "POST /drives/{drivesId}/root/createLink";
    let out = suite(
        &[
            ("CREATELINK_BASE_URL", &base),
            ("CREATELINK_TIMEOUT_SECS", "1"),
        ],
        &[name, "--exact"],
    );
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(101), "{shown}");
    assert!(shown.contains("0 passed; 1 failed"), "{shown}");
    assert!(
        shown.contains("still waiting for the status line"),
        "{shown}"
    );
}

/// A target that goes away after the pre-flight still gets a failed trial with the reason on
/// every path, within the timeout: only the first look is a setup error.
#[test]
fn a_target_that_answers_only_the_pre_flight_fails_every_trial_with_the_reason() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Answers the first connection's request (the pre-flight), then closes the listener.
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    });
    let base = format!("http://127.0.0.1:{port}/beta");
    let out = suite(&[("CREATELINK_BASE_URL", &base)], &[]);
    server.join().unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(101), "{shown}");
    assert!(
        shown.contains(&format!("0 passed; {} failed", trial_names().len())),
        "{shown}"
    );
    assert!(shown.contains("cannot connect to 127.0.0.1"), "{shown}");
    // The digest says it once, with the count.
    assert!(
        shown.contains(&format!(
            "{:>6} × [connection] no answer: cannot connect to 127.0.0.1:{port}",
            trial_names().len()
        )),
        "{shown}"
    );
}

/// A target that answers `404` everywhere (a base URL without its `/beta`, say) gets one line
/// at the end saying so.
#[test]
fn a_target_that_answers_404_everywhere_gets_one_line_saying_so() {
    let target = common::serve(wiremock::ResponseTemplate::new(404));
    let out = suite(&[("CREATELINK_BASE_URL", &target.uri())], &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(101), "{shown}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr
            .matches("hint: every answer was 404 Not Found")
            .count(),
        1,
        "{shown}"
    );
    // One broken path is no such hint.
    let out = suite(
        &[(
            "CREATELINK_BASE_URL",
            &format!("{}/beta", one_broken_path().uri()),
        )],
        &[],
    );
    assert!(
        !text(&out).contains("every answer was 404"),
        "{}",
        text(&out)
    );
}

/// An answer in the graph profile's shape under the default profile (201 and the bare
/// permission, as the service answers) says which profile it fits, in each base trial's report
/// and once in the digest.
#[test]
fn a_graph_shaped_answer_under_the_default_profile_hints_at_the_profile() {
    let target = behaving_target(Profile::Graph, |_, _| {});
    let base = format!("{}/beta", target.uri());
    let out = suite(&[("CREATELINK_BASE_URL", &base)], &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(101), "{shown}");
    let hint = "hint: this answer has the graph profile's shape: run with CREATELINK_PROFILE=graph";
    let bases = common::plan().cases.len();
    assert_eq!(shown.matches(hint).count(), bases, "{shown}");
    assert!(
        shown.contains(&format!(
            "hint: {bases} base answers failed but would pass the other profile: this answer has \
             the graph profile's shape: run with CREATELINK_PROFILE=graph"
        )),
        "{shown}"
    );
    // The reverse: the documented shape under `graph`.
    let target = behaving_target(Profile::Documented, |_, _| {});
    let base = format!("{}/beta", target.uri());
    let out = suite(
        &[
            ("CREATELINK_BASE_URL", &base),
            ("CREATELINK_PROFILE", "graph"),
        ],
        &[],
    );
    let shown = text(&out);
    assert_eq!(
        shown
            .matches("hint: this answer has the documented profile's shape: run with CREATELINK_PROFILE=documented")
            .count(),
        bases,
        "{shown}"
    );
    // A plain defect is no hint.
    let out = suite(
        &[(
            "CREATELINK_BASE_URL",
            &format!("{}/beta", one_broken_path().uri()),
        )],
        &[],
    );
    assert!(!text(&out).contains("hint:"), "{}", text(&out));
}

/// The digest on stderr: each distinct problem once with its number of trials and up to three
/// names; real failures before known gaps.
#[test]
fn the_digest_lists_failures_before_known_gaps() {
    let server = one_broken_path();
    let listed = temp_file("digest-expected.txt", &format!("{BROKEN} embed\n"));
    let base = format!("{}/beta", server.uri());
    let out = suite(
        &[
            ("CREATELINK_BASE_URL", &base),
            ("CREATELINK_EXPECTED_FAILURES", listed.to_str().unwrap()),
        ],
        &[],
    );
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(101), "{shown}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let failed = broken_trials().len() - 1;
    let at_failed = stderr
        .find(&format!("failed: {failed} trials\n"))
        .unwrap_or_else(|| panic!("{shown}"));
    let at_gaps = stderr
        .find("known gaps (listed expected failures): 1 trial\n")
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(at_failed < at_gaps, "{shown}");
    // The base trial and every link variant but the listed embed get the broken link.
    let links = common::plan()
        .variants
        .iter()
        .filter(|v| matches!(v.kind, createlink::load::variant::Kind::Link { .. }))
        .count();
    assert!(
        stderr.contains(&format!(
            "{links:>6} × [schema] /value/link/type breaks \
             schemas/sharingLink.json#/$defs/members/properties/type/type\n         {BROKEN}\n"
        )),
        "{shown}"
    );
    assert!(
        stderr.contains(&format!("… and {} more", links - 3)),
        "{shown}"
    );
}

mod expected_failures {
    use super::*;

    fn run(list: &str) -> Output {
        let server = one_broken_path();
        let base = format!("{}/beta", server.uri());
        let file = temp_file(&format!("expected-{}.txt", list.len()), list);
        suite(
            &[
                ("CREATELINK_BASE_URL", &base),
                ("CREATELINK_EXPECTED_FAILURES", file.to_str().unwrap()),
            ],
            &[],
        )
    }

    #[test]
    fn a_path_line_covers_every_trial_of_the_path() {
        let out = run("# known gaps\n\n/drives/{drivesId}/root/createLink   # link.type\n");
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(0), "{shown}");
        assert!(
            shown.contains(&format!(
                "{} passed; 0 failed; {} ignored",
                trial_names().len() - per_path(),
                per_path()
            )),
            "{shown}"
        );
        assert!(shown.contains("expected failure, listed at"), "{shown}");
    }

    #[test]
    fn trial_lines_cover_their_trial_only() {
        let lines: Vec<String> = broken_trials()
            .into_iter()
            .filter(|n| n != BROKEN)
            .collect();
        let out = run(&lines.join("\n"));
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(101), "{shown}");
        assert!(
            shown.contains(&format!(
                "{} passed; 1 failed; {} ignored",
                trial_names().len() - per_path(),
                per_path() - 1
            )),
            "{shown}"
        );
        assert_eq!(failures(&shown), [BROKEN], "{shown}");
    }

    #[test]
    fn a_variant_line_covers_that_variant_on_every_path() {
        // The embed trials of the other paths pass although listed: each fails the run.
        let out = run("embed\n");
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(101), "{shown}");
        let embeds: Vec<String> = trial_names()
            .into_iter()
            .filter(|n| n.ends_with(" embed"))
            .collect();
        let expected: Vec<String> = {
            let mut v: Vec<String> = embeds
                .iter()
                .filter(|n| !n.starts_with(BROKEN))
                .cloned()
                .collect();
            v.extend(
                broken_trials()
                    .into_iter()
                    .filter(|n| !n.ends_with(" embed")),
            );
            v.sort();
            v
        };
        assert_eq!(failures(&shown), expected, "{shown}");
        assert!(shown.contains("1 ignored"), "{shown}");
    }

    #[test]
    fn a_listed_case_that_passes_fails_the_run() {
        let out =
            run("/drives/{drivesId}/root/createLink\nPOST /shares/{sharesId}/root/createLink\n");
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(101), "{shown}");
        assert!(shown.contains("remove that line"), "{shown}");
        assert!(shown.contains(".txt:2: remove that line"), "{shown}");
        assert_eq!(
            failures(&shown),
            ["POST /shares/{sharesId}/root/createLink"],
            "{shown}"
        );
    }

    #[test]
    fn a_line_that_names_no_case_stops_the_run() {
        let out = run("# gaps\n/drives/{driveId}/root/createLink\n");
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(2), "{shown}");
        assert!(shown.contains("CREATELINK_EXPECTED_FAILURES"), "{shown}");
        assert!(shown.contains("expected-"), "{shown}");
        assert!(shown.contains(":2:"), "{shown}");
    }
}

#[test]
fn json_format_carries_the_failure_report() {
    let server = one_broken_path();
    let base = format!("{}/beta", server.uri());
    let out = suite(
        &[("CREATELINK_BASE_URL", &base)],
        &["--format", "json", "-Z", "unstable-options"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let failed: Vec<_> = events.iter().filter(|e| e["event"] == "failed").collect();
    assert_eq!(
        failed.len(),
        broken_trials().len() + 1,
        "the broken path's trials and the failed suite:\n{stdout}"
    );
    let test = failed
        .iter()
        .find(|e| e["type"] == "test" && e["name"] == BROKEN)
        .unwrap();
    assert_eq!(test["name"], BROKEN);
    let report = test["stdout"].as_str().unwrap();
    assert!(
        report.contains("/value/link/type") && report.contains("curl"),
        "{report}"
    );
}

/// cargo-nextest, run from inside this test, with the token every run here sends.
fn nextest(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let vars = [vars, &[("CREATELINK_FRESH_ITEMS", "1")]].concat();
    let out = program::nextest(SECRET, &vars, args);
    assert_no_secret(&out);
    out
}

/// The conformance test names nextest lists, sorted.
fn listed(extra: &[&str]) -> Vec<String> {
    let mut args = vec!["list", "--test", "conformance", "--message-format", "json"];
    args.extend_from_slice(extra);
    let out = nextest(&args, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut names = Vec::new();
    for suite in list["rust-suites"].as_object().unwrap().values() {
        for (name, case) in suite["testcases"].as_object().unwrap() {
            if case["filter-match"]["status"] == "matches" {
                names.push(name.clone());
            }
        }
    }
    names.sort();
    names
}

#[test]
fn nextest_lists_exactly_the_cases_and_partitions_split_them() {
    let all = listed(&[]);
    let plan = common::plan();
    assert_eq!(all.len(), plan.cases.len() * (plan.variants.len() + 1));
    assert_eq!(all, trial_names());
    let mut first = listed(&["--partition", "count:1/2"]);
    let second = listed(&["--partition", "count:2/2"]);
    assert!(!first.is_empty() && !second.is_empty());
    first.extend(second);
    first.sort();
    assert_eq!(
        first, all,
        "the two partitions together are the suite, each case once"
    );
}

#[test]
fn nextest_runs_the_partitions_against_the_built_in_server() {
    let mut total = 0;
    for partition in ["count:1/2", "count:2/2"] {
        let out = nextest(
            &["run", "--test", "conformance", "--partition", partition],
            &[],
        );
        let shown = text(&out);
        assert!(out.status.success(), "{partition}: {shown}");
        // "Summary [   0.050s] 12 tests run: 12 passed, 11 skipped"
        let run = shown
            .lines()
            .find_map(|l| l.split_once(" tests run: ").map(|(before, _)| before))
            .and_then(|before| before.rsplit(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("no summary line: {shown}"));
        assert!(
            shown.contains(&format!("{run} tests run: {run} passed")),
            "{shown}"
        );
        total += run;
    }
    assert_eq!(
        total,
        trial_names().len(),
        "the partitions together run every trial once"
    );
}

#[test]
fn nextest_ci_profile_writes_junit_with_the_report_as_failure_text() {
    let server = one_broken_path();
    let base = format!("{}/beta", server.uri());
    // The repository's own profile, with nextest's store in a folder of this test's: any
    // CARGO_TARGET_DIR works, and the user's own target/nextest/ci/junit.xml is left alone.
    let dir = program::temp_dir("junit");
    let profile = std::fs::read_to_string(workspace().join(".config/nextest.toml")).unwrap();
    let config = dir.join("nextest.toml");
    let store = format!("[store]\ndir = {:?}\n\n", dir.join("store"));
    std::fs::write(&config, store + &profile).unwrap();
    let xfail = format!("{BROKEN} embed");
    let listed = dir.join("expected.txt");
    std::fs::write(&listed, format!("{xfail}\n")).unwrap();
    let out = nextest(
        &[
            "run",
            "--profile",
            "ci",
            "--test",
            "conformance",
            "--no-tests",
            "fail",
            "--config-file",
            config.to_str().unwrap(),
        ],
        &[
            ("CREATELINK_BASE_URL", &base),
            ("CREATELINK_EXPECTED_FAILURES", listed.to_str().unwrap()),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(100),
        "nextest's code for failed tests: {}",
        text(&out)
    );
    let junit = dir.join("store/ci/junit.xml");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(!xml.contains(SECRET), "the token is in {}", junit.display());
    let cases = junit_testcases(&xml);
    let mut names: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
    names.sort();
    // The known gap is skipped, not run: it is in no testcase, and not counted as passed.
    let run: Vec<String> = trial_names().into_iter().filter(|n| *n != xfail).collect();
    assert_eq!(names, run);
    let shown = text(&out);
    assert!(shown.contains("1 skipped"), "{shown}");
    assert!(
        !shown.contains(&format!(
            "{} passed",
            trial_names().len() - broken_trials().len() + 1
        )),
        "{shown}"
    );
    // Each report is printed once (the ci profile shows failures at the end only, and
    // libtest's own copy is one line pointing at stderr).
    let stdout = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stdout
            .matches(&format!(
                "with POST {base}/drives/b!conformance-drive/root/createLink\n"
            ))
            .count(),
        broken_trials().len() - 1,
        "{shown}"
    );
    let mut failed: Vec<&TestCase> = cases.iter().filter(|c| c.failure.is_some()).collect();
    failed.sort_by(|a, b| a.name.cmp(&b.name));
    let failed_names: Vec<&str> = failed.iter().map(|c| c.name.as_str()).collect();
    let expected: Vec<String> = broken_trials()
        .into_iter()
        .filter(|n| *n != xfail)
        .collect();
    assert_eq!(failed_names, expected, "{failed:?}");
    // The <failure> element's own text is the report, not only the captured output.
    let base_trial = failed.iter().find(|c| c.name == BROKEN).unwrap();
    let report = base_trial.failure.as_deref().unwrap();
    assert!(
        report.contains("[schema] /value/link/type") && report.contains("curl -sS"),
        "{report}"
    );
    // The message is the first problem, not the count of problems.
    assert!(
        base_trial
            .message
            .starts_with("Error: [schema] /value/link/type: 5 is not of types"),
        "{:?}",
        base_trial.message
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// One `<testcase>` of a JUnit file: its name, its `<failure>` element's text if it failed,
/// and its captured output.
#[derive(Debug)]
struct TestCase {
    name: String,
    failure: Option<String>,
    /// The `<failure message="…">` attribute.
    message: String,
    output: String,
}

/// Every testcase of `xml`, read with an XML parser (which also proves the file well-formed).
fn junit_testcases(xml: &str) -> Vec<TestCase> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cases: Vec<TestCase> = Vec::new();
    let (mut in_output, mut in_failure) = (false, false);
    loop {
        match reader.read_event().expect("junit.xml is well-formed XML") {
            Event::Start(e) => match e.name().as_ref() {
                b"testcase" => cases.push(TestCase {
                    name: attribute(&e, b"name"),
                    failure: None,
                    message: String::new(),
                    output: String::new(),
                }),
                b"failure" => {
                    let case = cases.last_mut().unwrap();
                    case.failure = Some(String::new());
                    case.message = attribute(&e, b"message");
                    in_failure = true;
                }
                b"system-out" | b"system-err" => in_output = true,
                _ => {}
            },
            // An empty element has no text and no end: a failure without a report stays empty.
            Event::Empty(e) => match e.name().as_ref() {
                b"testcase" => cases.push(TestCase {
                    name: attribute(&e, b"name"),
                    failure: None,
                    message: String::new(),
                    output: String::new(),
                }),
                b"failure" => {
                    let case = cases.last_mut().unwrap();
                    case.failure = Some(String::new());
                    case.message = attribute(&e, b"message");
                }
                _ => {}
            },
            Event::End(e) => match e.name().as_ref() {
                b"system-out" | b"system-err" => in_output = false,
                b"failure" => in_failure = false,
                _ => {}
            },
            Event::Text(t) if in_output || in_failure => {
                let text = t.decode().unwrap();
                let text = quick_xml::escape::unescape(&text).unwrap().into_owned();
                let case = cases.last_mut().unwrap();
                match (in_failure, case.failure.as_mut()) {
                    (true, Some(failure)) => failure.push_str(&text),
                    _ => case.output.push_str(&text),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    cases
}

fn attribute(e: &quick_xml::events::BytesStart, name: &[u8]) -> String {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .map(|a| a.unescape_value().unwrap().into_owned())
        .unwrap_or_default()
}

/// A concurrency past the descriptor limit is lowered, said on stderr, and fails no trial: the
/// harness's own limit is not the target's fault.
#[test]
fn a_concurrency_past_the_descriptor_limit_is_lowered_not_blamed_on_the_target() {
    let mut cmd = std::process::Command::new("sh");
    program::clean(&mut cmd);
    let out = cmd
        .args(["-c", "ulimit -n 160 && exec \"$0\"", program::BIN])
        .env("CREATELINK_CONCURRENCY", "1000000")
        .output()
        .unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains(&tally(0)), "{shown}");
    assert!(
        shown.contains("CREATELINK_CONCURRENCY lowered from 1000000 to 24: the descriptor limit (ulimit -n) is 160"),
        "{shown}"
    );
}

#[test]
fn version_and_help_say_what_the_program_is_and_its_variables() {
    let out = suite(&[], &["--version"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("createlink-conformance {}\n", env!("CARGO_PKG_VERSION"))
    );
    let out = suite(&[], &["--help"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    for variable in [
        "CREATELINK_BASE_URL",
        "CREATELINK_TOKEN",
        "CREATELINK_PARAMS",
        "CREATELINK_TIMEOUT_SECS",
        "CREATELINK_PROFILE",
        "CREATELINK_SERVICE",
        "CREATELINK_EXPECTED_FAILURES",
        "CREATELINK_CONCURRENCY",
        "CREATELINK_CASES",
        "CREATELINK_SCHEMAS",
        "CREATELINK_SUMMARY",
    ] {
        assert!(shown.contains(variable), "--help lacks {variable}: {shown}");
    }
    assert!(
        shown.contains("--test-threads"),
        "libtest's options follow: {shown}"
    );
    // The program's name and its other command; no option that does nothing here.
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("createlink-conformance: "),
        "{shown}"
    );
    assert!(
        shown.contains("createlink-conformance serve [OPTIONS]"),
        "{shown}"
    );
    assert!(shown.contains("--fail-fast"), "{shown}");
    for silent in ["--bench", "--nocapture", "--show-output", "-Z", "unstable"] {
        assert!(!shown.contains(silent), "--help offers {silent}: {shown}");
    }
}

/// Result lines are as wide as their names need: not every one padded to the longest name
/// (about 190 characters), so a short name's line fits a 100-column terminal. Names stay whole.
#[test]
fn result_lines_are_not_padded_to_the_longest_name() {
    let out = suite(&[], &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let names = trial_names();
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("test ") && !l.starts_with("test result: "))
        .collect();
    assert_eq!(lines.len(), names.len(), "{shown}");
    let mut shown_names: Vec<String> = Vec::new();
    for line in &lines {
        let (name, outcome) = line["test ".len()..].split_once(" ... ").unwrap();
        assert_eq!(outcome, "ok", "{line:?}");
        assert!(!name.ends_with(' '), "padded: {line:?}");
        assert_eq!(
            line.len(),
            "test ".len() + name.len() + " ... ok".len(),
            "{line:?}"
        );
        if name.len() <= 88 {
            assert!(line.len() <= 100, "{} columns: {line:?}", line.len());
        }
        shown_names.push(name.to_owned());
    }
    shown_names.sort();
    assert_eq!(shown_names, names);
    assert!(
        names.iter().any(|n| n.len() > 150),
        "the test needs a long name beside short ones"
    );
}

/// `--bench` makes libtest report every trial as ignored, with exit code 0: a gate that
/// checked nothing. It is refused, and nothing is sent.
#[test]
fn bench_is_refused_because_it_would_check_nothing() {
    let (target, sent) = counting_target();
    let out = suite(&[("CREATELINK_BASE_URL", &target.uri())], &["--bench"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains(
            "error: --bench: the suite has no benchmarks, so this run would check nothing"
        ),
        "{shown}"
    );
    assert!(!shown.contains("test result"), "{shown}");
    assert_eq!(sent.load(Ordering::SeqCst), 0, "--bench sent requests");
}

/// A target that answers every request `500` and counts the trials' requests.
fn counting_target() -> (MockServer, Arc<AtomicUsize>) {
    struct Counting(Arc<AtomicUsize>);
    impl wiremock::Respond for Counting {
        fn respond(&self, request: &wiremock::Request) -> wiremock::ResponseTemplate {
            // Trials POST; the pre-flight's GET is not counted.
            if request.method == wiremock::http::Method::POST {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
            wiremock::ResponseTemplate::new(500)
        }
    }
    let sent = Arc::new(AtomicUsize::new(0));
    (common::serve(Counting(Arc::clone(&sent))), sent)
}

/// A reader that stops early (`--list | head -3`, `--help | head -1`, a run piped to `head`)
/// ends the program quietly: no panic, no backtrace.
#[test]
fn a_closed_pipe_ends_the_program_quietly() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    for args in [&["--list"][..], &["--help"], &[]] {
        let mut cmd = Command::new(program::BIN);
        program::clean(&mut cmd);
        let mut child = cmd
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // The pipe's reading end is closed here, as `head` does once it has its lines.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert!(
            [Some(0), Some(141)].contains(&out.status.code()),
            "{args:?}: {:?} {stderr}",
            out.status
        );
    }
}

/// `--fail-fast`: after the first failure no further trial is sent; the rest show as ignored
/// with the reason, and the run fails.
#[test]
fn fail_fast_stops_sending_after_the_first_failure() {
    let (target, sent) = counting_target();
    let out = suite(
        &[("CREATELINK_BASE_URL", &target.uri())],
        &["--fail-fast", "--test-threads", "1", BROKEN],
    );
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(101), "{shown}");
    let selected = broken_trials().len();
    assert!(
        shown.contains(&format!("0 passed; 1 failed; {} ignored", selected - 1)),
        "{shown}"
    );
    assert!(
        shown.contains("not run: --fail-fast, and an earlier trial failed"),
        "{shown}"
    );
    // One trial ran and failed; whichever it was, it sent one request (two for a repeat).
    assert!((1..=2).contains(&sent.load(Ordering::SeqCst)), "{shown}");
}

/// `--write-baseline FILE`: the expected-failures file that makes the same run pass, one
/// trial per line with its problems pinned; run again with it, the run passes. A listed trial
/// that then fails for another reason fails the run, saying what changed.
#[test]
fn a_written_baseline_makes_the_run_pass_and_pins_each_problem() {
    let server = one_broken_path();
    let base = format!("{}/beta", server.uri());
    let dir = program::temp_dir("baseline");
    let file = dir.join("baseline.txt");
    let out = suite(
        &[("CREATELINK_BASE_URL", &base)],
        &["--write-baseline", file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    assert!(
        text(&out).contains("wrote the baseline to"),
        "{}",
        text(&out)
    );
    let written = std::fs::read_to_string(&file).unwrap();
    let mut listed: Vec<&str> = written.lines().filter(|l| !l.starts_with('#')).collect();
    // The file is in trial order; the names, sorted, are not (`expiration` sorts before
    // `expiration-offset-beyond-doc`, whose file comes first).
    listed.sort_by_key(|l| l.split(" => ").next().unwrap_or_default().to_owned());
    let trials: Vec<String> = broken_trials();
    assert_eq!(listed.len(), trials.len(), "{written}");
    for (line, trial) in listed.iter().zip(&trials) {
        assert!(line.starts_with(&format!("{trial} => [")), "{line}");
    }
    assert!(
        written.contains(&format!(
            "{BROKEN} => [schema] /value/link/type breaks \
             schemas/sharingLink.json#/$defs/members/properties/type/type\n"
        )),
        "{written}"
    );

    let out = suite(
        &[
            ("CREATELINK_BASE_URL", &base),
            ("CREATELINK_EXPECTED_FAILURES", file.to_str().unwrap()),
        ],
        &[],
    );
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains(&format!("{} ignored", trials.len())),
        "{shown}"
    );

    // The same path with one more defect: its trials fail again, naming the new problem.
    let worse = behaving_target(Profile::Documented, |request, answer| {
        if request.url.path() == BROKEN_PATH {
            let mut broken = permission();
            broken["link"]["type"] = json!(5);
            broken["id"] = json!(7);
            answer.status = 200;
            answer.content_type = "application/json".to_owned();
            answer.body = json!({ "value": broken });
        }
    });
    let out = suite(
        &[
            ("CREATELINK_BASE_URL", &format!("{}/beta", worse.uri())),
            ("CREATELINK_EXPECTED_FAILURES", file.to_str().unwrap()),
        ],
        &[],
    );
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(101), "{shown}");
    // Refusals are not judged on the permission's id: their listed problems are unchanged.
    let changed: Vec<String> = trials
        .iter()
        .filter(|t| !t.contains(" refuse-"))
        .cloned()
        .collect();
    assert_eq!(failures(&shown), changed, "{shown}");
    assert!(
        shown.contains(
            "but it fails for another reason now:\n   new:      [schema] /value/id breaks"
        ),
        "{shown}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The harness's own tests are run by people who have their service's `CREATELINK_*`
/// variables exported. Every test that starts the program clears them, so a test's verdict is
/// its own: here the tests that start it run again with such variables set, and pass.
#[test]
fn the_harness_tests_pass_with_the_callers_createlink_variables_exported() {
    if std::env::var_os("CREATELINK_SELF_TEST_POLLUTED").is_some() {
        return; // the inner run: this test does not start itself again
    }
    let this = std::env::current_exe().unwrap();
    let out = std::process::Command::new(this)
        .env("CREATELINK_SELF_TEST_POLLUTED", "1")
        .env("CREATELINK_BASE_URL", "http://127.0.0.1:9/beta")
        .env("CREATELINK_TOKEN", "a-token-of-the-callers-own-service")
        .env("CREATELINK_PROFILE", "graph")
        .env("CREATELINK_TIMEOUT_SECS", "1")
        .env("CREATELINK_CONCURRENCY", "3")
        .env("CREATELINK_EXPECTED_FAILURES", "/nonexistent/expected.txt")
        .env("CREATELINK_PARAMS", "/nonexistent/params.json")
        .env("CREATELINK_CASES", "/nonexistent/cases")
        .env("CREATELINK_SCHEMAS", "/nonexistent/schemas")
        .env("CREATELINK_SUMMARY", "/nonexistent/summary.md")
        .env("CREATELINK_SERVICE", "personal")
        .env("CREATELINK_KEEP_LINKS", "1")
        // A few that start the program, from each kind; the nextest ones rebuild and are slow.
        .args([
            "a_concurrency_past_the_descriptor_limit_is_lowered_not_blamed_on_the_target",
            "a_run_that_selects_no_trial_says_so_and_fails",
            "version_and_help_say_what_the_program_is_and_its_variables",
        ])
        .output()
        .unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("3 passed; 0 failed"), "{shown}");
}

/// A filter that selects nothing is a mistake (a typo in CI), not a pass; so is `--ignored`,
/// which selects the trials marked ignored, and none is: each says so and fails rather than
/// reporting `0 passed` as success.
#[test]
fn a_run_that_selects_no_trial_says_so_and_fails() {
    for (args, said) in [
        (
            "/drives/{driveID}/",
            "no trial matches the filter \"/drives/{driveID}/\"",
        ),
        ("--ignored", "no trial matches the options given"),
    ] {
        let out = suite(&[], &[args]);
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(4), "{shown}");
        assert!(shown.contains(said), "{shown}");
    }
}

/// With no token set the suite sends a placeholder, and the curl line sends the same.
#[test]
fn the_curl_line_sends_the_token_the_suite_sent() {
    let server = one_broken_path();
    let base = format!("{}/beta", server.uri());
    let args = ["--exact", BROKEN];
    let out = program::run_without_token(&[("CREATELINK_BASE_URL", &base)], &args);
    let shown = text(&out);
    assert!(
        shown.contains("-H 'Authorization: Bearer createlink-conformance-placeholder-token'"),
        "{shown}"
    );
    let out = suite(&[("CREATELINK_BASE_URL", &base)], &args);
    assert!(
        text(&out).contains("-H \"Authorization: Bearer $CREATELINK_TOKEN\""),
        "{}",
        text(&out)
    );
}

/// The Markdown summary, pinned whole in `tests/golden/summary.md` (the target's address
/// written as `http://127.0.0.1:PORT`); `CREATELINK_GOLDEN=overwrite` rewrites it.
#[test]
fn the_markdown_summary_has_a_row_per_path_and_a_column_per_variant() {
    let server = one_broken_path();
    let base = format!("{}/beta", server.uri());
    let dir = program::temp_dir("summary");
    let file = dir.join("summary.md");
    let listed = dir.join("expected.txt");
    std::fs::write(&listed, format!("{BROKEN} embed\n")).unwrap();
    let out = suite(
        &[
            ("CREATELINK_BASE_URL", &base),
            ("CREATELINK_SUMMARY", file.to_str().unwrap()),
            ("CREATELINK_EXPECTED_FAILURES", listed.to_str().unwrap()),
            ("GITHUB_STEP_SUMMARY", ""),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(101), "{}", text(&out));
    let summary = std::fs::read_to_string(&file)
        .unwrap()
        .replace(&server.uri(), "http://127.0.0.1:PORT");
    let golden = workspace().join("harness/tests/golden/summary.md");
    if std::env::var_os("CREATELINK_GOLDEN").is_some_and(|v| v == "overwrite") {
        std::fs::write(&golden, &summary).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    assert_eq!(
        summary,
        expected,
        "(CREATELINK_GOLDEN=overwrite rewrites {})",
        golden.display()
    );
    std::fs::remove_dir_all(&dir).ok();
}
