//! Service flavours (`CREATELINK_SERVICE`): a run against one service sends nothing that service
//! lacks, shows those trials as ignored with the page's reason (never as passes), keeps every
//! trial name, and the built-in reference server passes every trial it sends under both profiles
//! and every flavour.
//!
//! What each service lacks is written here from the published pages' own words, not taken from
//! `model/service.rs`, so the two are checked against each other.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{config_for, plan, runtime};
use createlink::load::config::{Config, Profile};
use createlink::model::service::Service;
use createlink::reference::Reference;
use createlink::suite::{Suite, TrialId};
use libtest_mimic::Completion;
use serde_json::Value;
use wiremock::{Mock, MockServer, matchers::any};

/// The link types the pages offer on OneDrive for Business and SharePoint only
/// (driveitem-createlink, Link types).
const BUSINESS_TYPES: [&str; 5] = [
    "review",
    "blocksDownload",
    "createOnly",
    "addressBar",
    "adminDefault",
];

/// Whether a request body asks what `service` lacks, per the pages.
fn lacks(service: Service, body: &Value) -> bool {
    let text = |name: &str| body.get(name).and_then(Value::as_str);
    match service {
        Service::Any => false,
        // Scope types: organization and users "Only available in OneDrive for Business and
        // SharePoint"; the business-only link types; a password (hasPassword "For OneDrive
        // Personal only") is personal.
        Service::Personal => {
            matches!(text("scope"), Some("organization" | "users"))
                || text("type").is_some_and(|t| BUSINESS_TYPES.contains(&t))
        }
        // "Embed links are only supported for OneDrive personal"; passwords too.
        Service::Business => text("type") == Some("embed") || body.get("password").is_some(),
    }
}

/// How a trial ended.
#[derive(Debug)]
enum Ended {
    Passed,
    Ignored(String),
    /// Failed, or ignored without a reason: the failure's message, shown by `Debug`.
    #[allow(dead_code)]
    Other(String),
}

/// Runs every trial as the test binary does, and says how each ended.
fn run_all(suite: &Suite) -> Vec<(TrialId, Ended)> {
    let ids = suite.trials();
    std::thread::scope(|scope| {
        let workers: Vec<_> = ids
            .chunks(ids.len().div_ceil(16))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|&id| {
                            let ended = match suite.trial_result(id) {
                                Ok(Completion::Completed) => Ended::Passed,
                                Ok(Completion::Ignored { reason: Some(r) }) => Ended::Ignored(r),
                                Ok(Completion::Ignored { reason: None }) => {
                                    Ended::Other("ignored without a reason".to_owned())
                                }
                                Err(f) => Ended::Other(f.message().unwrap_or_default().to_owned()),
                            };
                            (id, ended)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    })
}

/// The request body trial `id` sends, as JSON (`Null` for a body that is not JSON).
fn body_of(suite: &Suite, id: TrialId) -> Value {
    let text = match id.variant {
        None => suite.cases()[id.case].body.clone(),
        Some(v) => suite.variants()[v].body_text(),
    };
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

#[test]
fn the_reference_server_passes_every_trial_under_both_profiles_and_every_service() {
    let mut wrong = Vec::new();
    for profile in [Profile::Documented, Profile::Graph] {
        for service in Service::ALL {
            let mut config = Config::defaults();
            config.profile = profile;
            config.service = service;
            let suite = Suite::new(config).unwrap();
            assert!(suite.uses_reference_server());
            let mut ignored = 0;
            for (id, result) in run_all(&suite) {
                let name = suite.trial_name(id);
                let lacking = lacks(service, &body_of(&suite, id));
                match result {
                    Ended::Passed if !lacking => {}
                    Ended::Ignored(r) if lacking && r.contains("CREATELINK_SERVICE=") => {
                        ignored += 1
                    }
                    other => wrong.push(format!(
                        "{name} ({}, {}): {other:?}",
                        profile.name(),
                        service.name()
                    )),
                }
            }
            if service == Service::Any {
                assert_eq!(ignored, 0);
            } else {
                assert!(ignored > 0, "{}: nothing ignored", service.name());
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A target that records every request and answers as the reference server that offers
/// everything: whatever reaches it is seen, and nothing is refused for its service.
fn recording_target() -> MockServer {
    let plan = plan();
    let templates = plan.cases.iter().map(|c| c.template.clone()).collect();
    let reference = Reference::new(templates, Profile::Graph, Arc::clone(&plan.schemas));
    runtime().block_on(async {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(reference)
            .mount(&server)
            .await;
        server
    })
}

#[test]
fn a_run_against_one_service_sends_nothing_that_service_lacks() {
    for service in [Service::Personal, Service::Business] {
        let server = recording_target();
        let mut config = config_for(&format!("{}/beta", server.uri()), Profile::Graph);
        config.service = service;
        let suite = Suite::new(config).unwrap();
        let results = run_all(&suite);
        let received = runtime().block_on(server.received_requests()).unwrap();
        assert!(!received.is_empty());
        for request in &received {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            assert!(
                !lacks(service, &body),
                "{}: {} reached the target with {body}",
                service.name(),
                request.url.path()
            );
        }
        // Exactly the trials that ask what the service lacks are ignored; every other one is
        // sent, and passes.
        let expected: BTreeSet<String> = suite
            .trials()
            .into_iter()
            .filter(|&id| lacks(service, &body_of(&suite, id)))
            .map(|id| suite.trial_name(id))
            .collect();
        let mut ignored = BTreeSet::new();
        for (id, result) in results {
            match result {
                Ended::Ignored(reason) => {
                    assert!(
                        reason.contains(service.name()) && reason.contains("exists only on"),
                        "{reason}"
                    );
                    ignored.insert(suite.trial_name(id));
                }
                Ended::Passed => {}
                other => panic!("{}: {other:?}", suite.trial_name(id)),
            }
        }
        assert_eq!(ignored, expected, "{}", service.name());
        // The Markdown summary counts them apart, and lists none as a problem.
        let summary = suite.summary();
        for needle in [
            format!(
                "{} passed, 0 failed, 0 expected failures, 0 inconclusive, {} not sent (not on \
                 this service)",
                suite.trials().len() - expected.len(),
                expected.len()
            ),
            format!("service `{}`", service.name()),
            "| not on this service |".to_owned(),
        ] {
            assert!(summary.contains(&needle), "{needle:?}:\n{summary}");
        }
        assert!(!summary.contains("### First problems"), "{summary}");
        // Not sent is no gap of the implementation: no digest, no baseline line.
        assert_eq!(suite.digest(), None, "{}", service.name());
        let baseline = suite.baseline();
        assert!(
            baseline.lines().all(|l| l.starts_with('#') || l.is_empty()),
            "{baseline}"
        );
        let sent = suite.trials().len() - expected.len();
        let requests: usize = suite
            .trials()
            .into_iter()
            .filter(|&id| !lacks(service, &body_of(&suite, id)))
            .map(|id| id.variant.map_or(1, |v| suite.variants()[v].requests()))
            .sum();
        // The createLink requests; the rest are the DELETEs of the links the run made.
        let posts = received
            .iter()
            .filter(|r| r.method == wiremock::http::Method::POST)
            .count();
        assert!(sent > 0 && posts == requests, "{}", service.name());
    }
}

/// A base trial sends its case's body: under personal, a seed case whose body asks the
/// organization or users scope is ignored with the page's words; the published paths' bodies are
/// sent everywhere.
#[test]
fn under_personal_a_base_trial_with_a_business_scope_is_ignored_with_the_page() {
    let mut config = Config::defaults();
    config.service = Service::Personal;
    let suite = Suite::new(config).unwrap();
    let mut ignored = 0;
    for (case, c) in suite.cases().iter().enumerate() {
        let id = TrialId {
            case,
            variant: None,
        };
        let body: Value = serde_json::from_str(&c.body).unwrap();
        match suite.not_offered(id) {
            Some(reason) => {
                ignored += 1;
                assert!(lacks(Service::Personal, &body), "{}: {reason}", c.name());
                assert!(
                    reason.starts_with("scope \"")
                        && reason.contains("exists only on OneDrive for Business and SharePoint")
                        && reason.contains("(driveitem-createlink, Scope types)"),
                    "{reason}"
                );
            }
            None => assert!(!lacks(Service::Personal, &body), "{} is sent", c.name()),
        }
        if c.source.as_deref() != Some("seed") {
            assert_eq!(suite.not_offered(id), None, "{}", c.name());
        }
    }
    assert!(ignored > 0);
}

#[test]
fn trial_names_are_the_same_under_every_service() {
    let names = |service: Service| -> Vec<String> {
        let mut config = Config::defaults();
        config.service = service;
        let plan = createlink::suite::Plan::load(config).unwrap();
        plan.trials()
            .into_iter()
            .map(|id| plan.trial_name(id))
            .collect()
    };
    let any = names(Service::Any);
    assert_eq!(any.len(), {
        let p = plan();
        p.cases.len() * (p.variants.len() + 1)
    });
    assert_eq!(names(Service::Personal), any);
    assert_eq!(names(Service::Business), any);
}
