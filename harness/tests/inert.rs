//! Outputs are inert: whatever text a target sends, a report and the Markdown summary show its
//! control characters escaped, so it cannot forge a result line, a heading, or drive a terminal.

mod common;

use common::{config_for, documented, json_answer, permission, serve};
use createlink::load::config::Profile;
use createlink::suite::Suite;
use serde_json::json;

const FORGED: &str = "\ntest result: ok. 299 passed; 0 failed\n\u{1b}[2J\r## forged\u{202e}";

#[track_caller]
fn assert_inert(what: &str, text: &str) {
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("test result") || l.starts_with("## forged")),
        "{what} holds a forged line:\n{text}"
    );
    assert!(
        !text.contains(['\u{1b}', '\r', '\u{202e}']),
        "{what} holds raw control characters:\n{text:?}"
    );
}

#[test]
fn a_graph_error_message_cannot_forge_lines_in_a_report() {
    let body = json!({"error": {"code": FORGED, "message": FORGED,
        "innerError": {"request-id": FORGED, "date": FORGED}}});
    let outcome = documented(json_answer(500, body.to_string()));
    let report = outcome.report();
    assert!(
        report.contains("\\ntest result: ok. 299 passed"),
        "{report}"
    );
    assert_inert("the report", &report);
}

#[test]
fn member_names_cannot_forge_lines_in_a_report_or_the_summary() {
    let mut value = permission();
    value[FORGED] = json!(1);
    // The name twice: a duplicate member and an unknown member of the permission.
    let text = json!({ "value": value }).to_string().replacen(
        '{',
        &format!("{{{}: 1, ", json!(FORGED)),
        2,
    );
    let server = serve(json_answer(200, text));
    let suite = Suite::new(config_for(
        &format!("{}/beta", server.uri()),
        Profile::Documented,
    ))
    .unwrap();
    let id = suite.trials()[0];
    let Err(failed) = suite.trial_result(id) else {
        panic!("the trial passed");
    };
    let report = failed.message().unwrap_or_default().to_owned();
    assert!(report.contains("\\r## forged"), "{report}");
    assert_inert("the report", &report);
    let summary = suite.summary();
    assert_inert("the summary", &summary);
    let headings: Vec<&str> = summary.lines().filter(|l| l.starts_with('#')).collect();
    // Its own three: the title, "First problems" and "Links"; none forged.
    assert_eq!(headings.len(), 3, "{summary}");
}
