//! Where the token is hidden and where it is not: the banner and the summary heading hide a
//! token inside the base URL; a short or common token is left alone, and the run says so once.

mod common;

use common::program::{run, shown, temp_dir};
use common::{json_answer, serve};

const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.unhidden-sentinel-5c1e";

#[test]
fn a_token_in_the_base_url_is_hidden_in_the_banner_and_the_summary_heading() {
    let server = serve(json_answer(500, "{}"));
    let dir = temp_dir("unhidden-summary");
    let summary = dir.join("summary.md");
    let out = run(
        TOKEN,
        &[
            (
                "CREATELINK_BASE_URL",
                &format!("{}/beta/{TOKEN}", server.uri()),
            ),
            ("CREATELINK_SUMMARY", summary.to_str().unwrap()),
        ],
        &["--exact", "POST /drives/{drivesId}/root/createLink"],
    );
    assert_eq!(out.status.code(), Some(101), "{}", shown(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/beta/$CREATELINK_TOKEN"), "{stderr}");
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(written.contains("/beta/$CREATELINK_TOKEN"), "{written}");
    for text in [shown(&out), written] {
        assert!(!text.contains(TOKEN), "{text}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_short_token_is_not_hidden_and_the_run_says_so_once() {
    let server = serve(json_answer(
        500,
        "{\"error\": {\"code\": \"test\", \"message\": \"test\"}}",
    ));
    let base = format!("{}/beta", server.uri());
    let out = run("test", &[("CREATELINK_BASE_URL", &base)], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("CREATELINK_TOKEN is not hidden").count(),
        1,
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("code:     test"), "{stdout}");
    assert!(!stdout.contains("$CREATELINK_TOKEN\n"), "{stdout}");
}

#[test]
fn a_common_token_is_not_hidden_and_the_curl_line_still_reproduces() {
    let server = serve(json_answer(500, "{}"));
    let base = format!("{}/beta", server.uri());
    let out = run("application/json", &[("CREATELINK_BASE_URL", &base)], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the suite's own text"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("-H 'Content-Type: application/json'"),
        "{stdout}"
    );
}
