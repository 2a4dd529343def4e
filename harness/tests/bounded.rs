//! Bounded reports: whatever the target sends, a trial's report lists at most
//! `verdict::MAX_LISTED` problems and quotes every value cut, so neither the output nor the
//! memory the run keeps for its reports grows with the answer.

mod common;

use common::{assert_fails, documented, json_answer, permission};
use createlink::verdict::{self, Check, MAX_LISTED, Problem};
use serde_json::json;
use wiremock::ResponseTemplate;

#[test]
fn ten_thousand_violations_are_counted_not_listed() {
    let mut value = permission();
    value["roles"] = json!(vec![1; 10_000]);
    let outcome = documented(json_answer(200, json!({ "value": value }).to_string()));
    assert_fails(
        &outcome,
        Check::Schema,
        &[
            "10000 problems with POST",
            "more of the same kinds, not listed: ",
        ],
    );
    assert_eq!(
        outcome.problems.len(),
        MAX_LISTED + 1,
        "{}",
        outcome.report()
    );
    let Some(Problem::Unlisted(counts)) = outcome.problems.last() else {
        panic!("no count of the unlisted problems:\n{}", outcome.report());
    };
    assert_eq!(counts, &[(Check::Schema, 10_000 - MAX_LISTED)]);
    assert_eq!(verdict::count(&outcome.problems), 10_000);
    assert!(
        outcome.report().len() < 32 * 1024,
        "{}",
        outcome.report().len()
    );
}

#[test]
fn every_field_of_a_graph_error_is_cut() {
    let huge = "m".repeat(1 << 20);
    let body = json!({"error": {
        "code": huge, "message": huge,
        "innerError": {"request-id": huge, "date": huge}
    }});
    let outcome = documented(json_answer(500, body.to_string()));
    assert_fails(
        &outcome,
        Check::Status,
        &[
            "code:",
            "message:",
            "request:",
            "date:",
            "… (1048576 bytes in all)",
        ],
    );
    assert!(outcome.report().len() < 4096, "{}", outcome.report().len());
}

#[test]
fn a_long_location_and_content_type_are_cut() {
    let long = "x".repeat(64 * 1024);
    let redirect = ResponseTemplate::new(302).insert_header("location", format!("/{long}"));
    let outcome = documented(redirect);
    assert_fails(&outcome, Check::Status, &["location:", "bytes in all)"]);
    assert!(outcome.report().len() < 4096, "{}", outcome.report().len());
    let typed = ResponseTemplate::new(200)
        .insert_header("content-type", format!("text/plain; x={long}"))
        .set_body_bytes(json!({ "value": permission() }).to_string());
    let outcome = documented(typed);
    assert_fails(&outcome, Check::ContentType, &["got:", "bytes in all)"]);
    assert!(outcome.report().len() < 4096, "{}", outcome.report().len());
}

#[test]
fn a_report_past_the_runs_limit_keeps_its_first_lines() {
    let report = "3 problems with POST http://h/x\n\n1. [status] expected 200 OK, got 500\n   \
                  code:     X\n\n2. [body] y\n";
    let short = createlink::report::shortened(report);
    assert!(short.starts_with("3 problems with POST http://h/x\n[status] expected 200 OK"));
    assert!(
        short.contains("the rest of this report is not kept"),
        "{short}"
    );
    assert!(!short.contains("2. [body]"), "{short}");
}

#[test]
fn a_non_2xx_body_over_the_value_cap_is_not_parsed_for_graphs_error_shape() {
    let padding = vec![0; verdict::MAX_VALUES];
    let over = json!({"error": {"code": "tooMany", "message": "m", "padding": padding}});
    assert_eq!(verdict::graph_error(over.to_string().as_bytes()), None);
    let under = json!({"error": {"code": "fine", "message": "m", "padding": [0, 0]}});
    assert!(verdict::graph_error(under.to_string().as_bytes()).is_some());
}
