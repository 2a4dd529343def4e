//! The suite as a user runs it: the program's exit codes and output, the expected-failures
//! file, libtest's JSON format, and cargo-nextest (listing, partitions, the JUnit file).

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::program::{self, workspace};
use common::{enveloped, permission, runtime};
use serde_json::json;
use wiremock::matchers::{any, path};
use wiremock::{Mock, MockServer};

/// The token every run here sends; no output may contain it.
const SECRET: &str = "sentinel-token-d41d8cd98f00b204";
/// The one path the defective target breaks.
const BROKEN: &str = "POST /drives/{drivesId}/root/createLink";
const BROKEN_PATH: &str = "/beta/drives/b!conformance-drive/root/createLink";

/// A target that answers every path correctly but one, where `link.type` is a number.
fn one_broken_path() -> MockServer {
    runtime().block_on(async {
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        let mut broken = permission();
        broken["link"]["type"] = json!(5);
        Mock::given(path(BROKEN_PATH))
            .respond_with(enveloped(broken))
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(any())
            .respond_with(enveloped(permission()))
            .mount(&server)
            .await;
        server
    })
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
fn suite(vars: &[(&str, &str)], args: &[&str]) -> Output {
    let out = program::run(SECRET, vars, args);
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
    assert!(shown.contains("23 passed; 0 failed"), "{shown}");
    assert!(shown.contains("built-in reference server"), "{shown}");
}

#[test]
fn a_defect_fails_exactly_the_case_it_touches_and_the_report_reproduces_it() {
    let server = one_broken_path();
    let base = format!("{}/beta", server.uri());
    let out = suite(&[("CREATELINK_BASE_URL", &base)], &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(101), "{shown}");
    assert!(shown.contains("22 passed; 1 failed"), "{shown}");
    assert!(
        shown.contains(&format!("failures:\n    {BROKEN}\n")),
        "{shown}"
    );
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
    let params = temp_file("typo-params.json", r#"{"driveId": "x"}"#);
    let params = params.to_str().unwrap();
    for (var, value, needle) in [
        (
            "CREATELINK_BASE_URL",
            "ftp://example.com",
            "CREATELINK_BASE_URL",
        ),
        ("CREATELINK_TIMEOUT_SECS", "0", "CREATELINK_TIMEOUT_SECS"),
        ("CREATELINK_PROFILE", "live", "CREATELINK_PROFILE"),
        ("CREATELINK_CONCURRENCY", "many", "CREATELINK_CONCURRENCY"),
        (
            "CREATELINK_PARAMS",
            "/nonexistent/params.json",
            "/nonexistent/params.json",
        ),
        ("CREATELINK_PARAMS", params, "\"driveId\""),
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

#[test]
fn an_unreachable_target_fails_every_case_with_the_reason() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}/beta");
    let out = suite(&[("CREATELINK_BASE_URL", &base)], &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(101), "{shown}");
    assert!(shown.contains("0 passed; 23 failed"), "{shown}");
    assert!(shown.contains("cannot connect to 127.0.0.1"), "{shown}");
    assert!(!shown.contains("panicked"), "{shown}");
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
    fn a_listed_failure_does_not_fail_the_run() {
        for line in [BROKEN, "/drives/{drivesId}/root/createLink"] {
            let out = run(&format!("# known gaps\n\n{line}   # link.type\n"));
            let shown = text(&out);
            assert_eq!(out.status.code(), Some(0), "{shown}");
            assert!(shown.contains("22 passed; 0 failed; 1 ignored"), "{shown}");
            assert!(shown.contains("expected failure, listed at"), "{shown}");
        }
    }

    #[test]
    fn a_listed_case_that_passes_fails_the_run() {
        let out = run(&format!(
            "{BROKEN}\nPOST /shares/{{sharesId}}/root/createLink\n"
        ));
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(101), "{shown}");
        assert!(shown.contains("remove that line"), "{shown}");
        assert!(shown.contains(":2"), "{shown}");
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
        2,
        "one failed test and the failed suite:\n{stdout}"
    ); // test + suite
    let test = failed.iter().find(|e| e["type"] == "test").unwrap();
    assert_eq!(test["name"], BROKEN);
    let report = test["stdout"].as_str().unwrap();
    assert!(
        report.contains("/value/link/type") && report.contains("curl"),
        "{report}"
    );
}

/// cargo-nextest, run from inside this test, with the token every run here sends.
fn nextest(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let out = program::nextest(SECRET, vars, args);
    assert_no_secret(&out);
    out
}

/// Where cargo builds, so where nextest writes its JUnit file.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace().join("target"), PathBuf::from)
}

/// The test names the case files define, sorted, as the harness itself loads them.
fn case_names() -> Vec<String> {
    let schemas = createlink::schema::Schemas::load(&workspace().join("schemas")).unwrap();
    let cases = createlink::case::load_dir(&workspace().join("cases"), &schemas).unwrap();
    let mut names: Vec<String> = cases.iter().map(|c| c.name()).collect();
    names.sort();
    names
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
    assert_eq!(all.len(), 23);
    assert_eq!(all, case_names());
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
    assert_eq!(total, 23, "the partitions together run every case once");
}

#[test]
fn nextest_ci_profile_writes_junit_with_one_testcase_per_path() {
    let server = one_broken_path();
    let base = format!("{}/beta", server.uri());
    let out = nextest(
        &[
            "run",
            "--profile",
            "ci",
            "--test",
            "conformance",
            "--no-tests",
            "fail",
        ],
        &[("CREATELINK_BASE_URL", &base)],
    );
    assert_eq!(
        out.status.code(),
        Some(100),
        "nextest's code for failed tests: {}",
        text(&out)
    );
    let junit = target_dir().join("nextest/ci/junit.xml");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(!xml.contains(SECRET), "the token is in {}", junit.display());
    let cases = junit_testcases(&xml);
    let mut names: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
    names.sort();
    assert_eq!(names, case_names());
    let failed: Vec<&TestCase> = cases.iter().filter(|c| c.failure.is_some()).collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].name, BROKEN);
    let text = failed[0].failure.as_deref().unwrap();
    assert!(
        text.contains("/value/link/type") && text.contains("curl -sS"),
        "{text}"
    );
}

/// One `<testcase>` of a JUnit file: its name, and its failure text if it failed.
#[derive(Debug)]
struct TestCase {
    name: String,
    failure: Option<String>,
}

/// Every testcase of `xml`, read with an XML parser (which also proves the file well-formed).
/// A failure's text is its `message` attribute and the output nextest stores beside it.
fn junit_testcases(xml: &str) -> Vec<TestCase> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cases: Vec<TestCase> = Vec::new();
    let mut in_output = false;
    loop {
        match reader.read_event().expect("junit.xml is well-formed XML") {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testcase" => cases.push(TestCase {
                    name: attribute(&e, b"name"),
                    failure: None,
                }),
                b"failure" => cases.last_mut().unwrap().failure = Some(attribute(&e, b"message")),
                b"system-out" | b"system-err" => in_output = true,
                _ => {}
            },
            Event::End(e) if matches!(e.name().as_ref(), b"system-out" | b"system-err") => {
                in_output = false;
            }
            Event::Text(t) if in_output => {
                let text = t.decode().unwrap();
                let text = quick_xml::escape::unescape(&text).unwrap().into_owned();
                if let Some(failure) = cases.last_mut().and_then(|c| c.failure.as_mut()) {
                    failure.push_str(&text);
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
