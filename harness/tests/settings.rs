//! Settings the client cannot use are setup errors naming their variable (exit 2), not
//! failures blamed on the target, nor a panic.

mod common;

use common::program::{run, shown, temp_dir};

#[track_caller]
fn assert_setup_error(vars: &[(&str, &str)], variable: &str, needle: &str) {
    let out = run("a-token-long-enough-to-hide", vars, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", shown(&out));
    assert!(
        stderr.contains(&format!("error: {variable}: ")) && stderr.contains(needle),
        "{}",
        shown(&out)
    );
    assert!(!stderr.contains("panicked"), "{}", shown(&out));
}

#[test]
fn a_timeout_the_clock_cannot_add_is_a_setup_error() {
    assert_setup_error(
        &[("CREATELINK_TIMEOUT_SECS", "18446744073709551615")],
        "CREATELINK_TIMEOUT_SECS",
        "more than the clock can add",
    );
}

#[test]
fn a_request_url_too_long_for_the_client_is_a_setup_error() {
    let base = format!("http://127.0.0.1:9/{}", "b".repeat(70_000));
    assert_setup_error(
        &[("CREATELINK_BASE_URL", &base)],
        "CREATELINK_BASE_URL",
        "the HTTP client sends at most 65534",
    );
    let dir = temp_dir("settings-params");
    let params = dir.join("params.json");
    let long = serde_json::json!({ "drivesId": "d".repeat(70_000) });
    std::fs::write(&params, long.to_string()).unwrap();
    assert_setup_error(
        &[("CREATELINK_PARAMS", params.to_str().unwrap())],
        "CREATELINK_PARAMS",
        "shorten CREATELINK_BASE_URL or the values of CREATELINK_PARAMS",
    );
    std::fs::remove_dir_all(&dir).ok();
}
