//! Targets that keep their links as the published page says (one link per item, type and scope;
//! the existing link returned unchanged), with and without `DELETE`, throttling or not: the
//! verdicts depend on neither the order nor the concurrency of the trials, links from before the
//! run are kept, and every link the run created is deleted where the target allows it.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use common::{config_for, plan, serve};
use createlink::load::config::Profile;
use createlink::reference::{Answer, Held, Reference};
use createlink::suite::{CaseOutcome, Plan, Suite, TrialId};
use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

/// How a target throttles.
#[derive(Clone, Copy, PartialEq)]
enum Throttle {
    Never,
    /// The first time each request arrives: `429` with `Retry-After` (no wait).
    EachRequestOnce,
    /// Every request: `429`, with `Retry-After`.
    Always,
}

/// The reference server, sharing its links with the test, maybe without `DELETE`, maybe
/// throttling.
struct Keeper {
    reference: Arc<Reference>,
    delete: bool,
    throttle: Throttle,
    arrivals: Mutex<HashMap<String, usize>>,
    /// The old built-in server's departure: an existing link rewritten to match each request.
    rewrite: bool,
}

impl Respond for Keeper {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let fingerprint = format!(
            "{} {} {}",
            request.method,
            request.url,
            String::from_utf8_lossy(&request.body)
        );
        let arrival = {
            let mut arrivals = self.arrivals.lock().unwrap();
            let n = arrivals.entry(fingerprint).or_default();
            *n += 1;
            *n
        };
        let throttled = match self.throttle {
            Throttle::Never => false,
            // A repeated request arrives twice: each of its sends is throttled once.
            Throttle::EachRequestOnce => arrival % 2 == 1,
            Throttle::Always => true,
        };
        if throttled {
            let mut answer = createlink::reference::error(429, "TooManyRequests", "Slow down.");
            // Seconds, or an HTTP date (one in the past: no wait), as Graph may send. Backing off
            // without one (seconds each) is tested in `retry`'s unit tests.
            let after = match arrival % 4 {
                1 => "0",
                _ => "Thu, 01 Jan 1970 00:00:00 GMT",
            };
            answer
                .headers
                .push(("retry-after".to_owned(), after.to_owned()));
            return answer.into_response();
        }
        if !self.delete && request.method.as_str() == "DELETE" {
            let mut answer =
                createlink::reference::error(405, "methodNotAllowed", "Links are forever here.");
            answer.headers.push(("allow".to_owned(), "POST".to_owned()));
            return answer.into_response();
        }
        let mut answer = self.reference.answer(request);
        if self.rewrite {
            rewrite(request, &mut answer);
        }
        answer.into_response()
    }
}

/// What the built-in server did before: the existing link's `hasPassword` and
/// `expirationDateTime` follow each new request.
fn rewrite(request: &Request, answer: &mut Answer) {
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return;
    };
    let permission = match answer.body.get_mut("value") {
        Some(p) => p,
        None => &mut answer.body,
    };
    if answer.status != 200 || permission.get("id").is_none() {
        return;
    }
    permission["hasPassword"] = json!(body.get("password").is_some());
    match body.get("expirationDateTime") {
        Some(at) => permission["expirationDateTime"] = at.clone(),
        None => {
            if let Some(p) = permission.as_object_mut() {
                p.remove("expirationDateTime");
            }
        }
    }
}

struct Target {
    reference: Arc<Reference>,
    _server: wiremock::MockServer,
    url: String,
}

fn target(profile: Profile, delete: bool, throttle: Throttle, rewrite: bool) -> Target {
    let plan = plan();
    let templates = plan.cases.iter().map(|c| c.template.clone()).collect();
    let reference = Arc::new(Reference::new(templates, profile, plan.schemas));
    let server = serve(Keeper {
        reference: Arc::clone(&reference),
        delete,
        throttle,
        arrivals: Mutex::new(HashMap::new()),
        rewrite,
    });
    Target {
        reference,
        url: format!("{}/beta", server.uri()),
        _server: server,
    }
}

/// A trial's verdict as the program would give it.
fn verdict(outcome: &CaseOutcome) -> &'static str {
    match (outcome.failed(), outcome.inconclusive.is_some()) {
        (true, _) => "fail",
        (false, true) => "inconclusive",
        (false, false) => "pass",
    }
}

/// The trials of two paths that share the item `{driveItemId}` (their default parameters name
/// the same item) and of one that does not: every variant of each.
fn trials(suite: &Suite) -> Vec<TrialId> {
    let shared = [
        "/drives/{drivesId}/items/{driveItemId}/createLink",
        "/shares/{sharesId}/items/{driveItemId}/createLink",
        "/drives/{drivesId}/root/createLink",
    ];
    suite
        .trials()
        .into_iter()
        .filter(|id| shared.contains(&suite.cases()[id.case].template.as_str()))
        .collect()
}

/// The suite against `url`, from the repository's plan loaded once for the test binary.
fn suite(url: &str, profile: Profile) -> Suite {
    static PLAN: OnceLock<Plan> = OnceLock::new();
    let plan = PLAN.get_or_init(plan);
    let mut config = config_for(url, profile);
    // Two paths that name their item by `{driveItemId}` name the same item.
    config
        .params
        .values
        .insert("driveItemId".to_owned(), "01SHAREDITEM".to_owned());
    Suite::from_plan(Plan {
        config,
        schemas: Arc::clone(&plan.schemas),
        cases: plan.cases.clone(),
        variants: plan.variants.clone(),
        expected: plan.expected.clone(),
    })
    .unwrap()
}

/// One run: each trial's verdict by name, and the suite (for its summary).
fn run(url: &str, profile: Profile, threads: usize) -> (BTreeMap<String, String>, Suite) {
    let suite = suite(url, profile);
    let ids = trials(&suite);
    let outcomes = suite.run_scheduled(&ids, threads);
    let verdicts = ids
        .iter()
        .zip(&outcomes)
        .map(|(&id, o)| {
            let name = suite.trial_name(id);
            let shown = match o.failed() {
                true => format!("fail:\n{}", o.report()),
                false => verdict(o).to_owned(),
            };
            (name, shown)
        })
        .collect();
    (verdicts, suite)
}

#[test]
fn against_a_target_that_keeps_its_links_twenty_runs_agree_and_none_fails() {
    let mut wrong = Vec::new();
    for profile in [Profile::Documented, Profile::Graph] {
        for delete in [true, false] {
            for threads in [64, 1] {
                let mut first: Option<BTreeMap<String, String>> = None;
                // With DELETE the run leaves the target as it found it: one target for all.
                let shared = delete.then(|| target(profile, true, Throttle::Never, false));
                for n in 0..20 {
                    let own;
                    let t = match &shared {
                        Some(t) => t,
                        None => {
                            own = target(profile, false, Throttle::Never, false);
                            &own
                        }
                    };
                    let (verdicts, _) = run(&t.url, profile, threads);
                    let label = format!(
                        "{} {} DELETE, {threads} threads, run {n}",
                        profile.name(),
                        if delete { "with" } else { "without" }
                    );
                    let failed: Vec<_> = verdicts
                        .iter()
                        .filter(|(_, v)| v.starts_with("fail"))
                        .collect();
                    if !failed.is_empty() {
                        wrong.push(format!("{label}: failed {failed:#?}"));
                    }
                    let inconclusive = verdicts.values().filter(|v| *v == "inconclusive").count();
                    if delete && inconclusive > 0 {
                        wrong.push(format!("{label}: {inconclusive} inconclusive"));
                    }
                    if !delete && inconclusive == 0 {
                        wrong.push(format!("{label}: no trial saw an existing link"));
                    }
                    match &first {
                        None => first = Some(verdicts),
                        Some(f) if *f != verdicts => {
                            wrong.push(format!("{label}: verdicts differ from run 0"))
                        }
                        Some(_) => {}
                    }
                    if delete {
                        let left = t.reference.held();
                        if !left.is_empty() {
                            wrong.push(format!("{label}: links left on the target: {left:?}"));
                        }
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn links_from_before_the_run_are_kept_and_make_trials_inconclusive_not_failed() {
    for profile in [Profile::Documented, Profile::Graph] {
        let t = target(profile, true, Throttle::Never, false);
        // Someone's links on an item the run uses: left by an earlier run that kept its links.
        let before: Vec<Held> = {
            let mut config = config_for(&t.url, profile);
            config.keep_links = true;
            let suite = Suite::new(config).unwrap();
            let ids = trials(&suite);
            let earlier: Vec<TrialId> = ids
                .iter()
                .copied()
                .filter(|id| {
                    id.case == ids[0].case
                        && id.variant.is_some_and(|v| {
                            let name = &suite.variants()[v].name;
                            name == "view-anonymous" || name == "users-email"
                        })
                })
                .collect();
            assert_eq!(earlier.len(), 2);
            let outcomes = suite.run_scheduled(&earlier, 2);
            assert!(outcomes.iter().all(CaseOutcome::passed));
            assert!(
                suite.summary().contains("2 left behind"),
                "{}",
                suite.summary()
            );
            t.reference.held()
        };
        assert_eq!(before.len(), 2);
        let mut config = config_for(&t.url, profile);
        // Under graph the status says which links are the run's; under documented the run
        // must be told that the items held nothing, and here they do: it is not told.
        config.fresh_items = false;
        let suite = Suite::new(config).unwrap();
        let ids = trials(&suite);
        let outcomes = suite.run_scheduled(&ids, 64);
        let held = t.reference.held();
        for link in &before {
            assert!(held.contains(link), "{} lost {link:?}", profile.name());
        }
        if profile == Profile::Documented {
            // Every answer is 200: the run cannot tell these links from new ones, so it judges
            // them as its own (README, Cleanup), but it deletes none of them.
            assert!(
                suite
                    .summary()
                    .contains("\n0 links the run created deleted")
            );
            continue;
        }
        let failed: Vec<String> = ids
            .iter()
            .zip(&outcomes)
            .filter(|(_, o)| o.failed())
            .map(|(&id, o)| format!("{}:\n{}", suite.trial_name(id), o.report()))
            .collect();
        assert!(failed.is_empty(), "{}", failed.join("\n"));
        let inconclusive: Vec<&CaseOutcome> = outcomes
            .iter()
            .filter(|o| o.inconclusive.is_some())
            .collect();
        assert!(!inconclusive.is_empty(), "{}", profile.name());
        let reason = inconclusive[0].inconclusive.as_deref().unwrap();
        assert!(
            reason.contains("existing link") && reason.contains("delete that link"),
            "{reason}"
        );
        if profile == Profile::Graph {
            // Every link the run created (201) is gone; only the two from before remain.
            assert_eq!(held.len(), 2, "{held:?}");
        }
    }
}

#[test]
fn a_target_that_throttles_each_request_once_passes_and_the_retries_are_counted() {
    for threads in [64, 1] {
        let t = target(Profile::Graph, true, Throttle::EachRequestOnce, false);
        let (verdicts, suite) = run(&t.url, Profile::Graph, threads);
        let failed: Vec<_> = verdicts.iter().filter(|(_, v)| *v != "pass").collect();
        assert!(failed.is_empty(), "{failed:#?}");
        let summary = suite.summary();
        // Every request was throttled once: each createLink request and each DELETE.
        let sends: usize = trials(&suite).iter().map(|&id| suite.requests(id)).sum();
        let retried = summary
            .split(" throttled answers retried")
            .next()
            .and_then(|s| s.rsplit(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        assert!(retried > sends, "{summary}");
        assert!(t.reference.held().is_empty(), "{:?}", t.reference.held());
    }
}

#[test]
fn a_target_that_always_throttles_fails_within_the_bound_naming_429() {
    use createlink::exchange::retry::{MAX_WAIT, TRIES};
    for threads in [64, 1] {
        let t = target(Profile::Graph, true, Throttle::Always, false);
        let suite = suite(&t.url, Profile::Graph);
        let ids: Vec<TrialId> = trials(&suite)
            .into_iter()
            .filter(|id| id.variant.is_none())
            .collect();
        let start = std::time::Instant::now();
        let outcomes = suite.run_scheduled(&ids, threads);
        let took = start.elapsed();
        let bound =
            (MAX_WAIT * (TRIES as u32 - 1) + std::time::Duration::from_secs(5)) * ids.len() as u32;
        assert!(took < bound, "{took:?}");
        for o in &outcomes {
            let report = o.report();
            assert!(o.failed(), "{report}");
            assert!(
                report.contains("429 on 3 of 3 tries") && report.contains("waited 0.0 s, 0.0 s"),
                "{report}"
            );
        }
        assert!(t.reference.held().is_empty());
    }
}

/// Probes the link store of the target at `url` as the published page describes it, and says
/// how it departs: an existing link comes back unchanged (200 under graph), a deleted one is
/// gone (204, then 404 in Graph's error shape) and the next request makes a new one (201).
fn link_store_departures(url: &str) -> Vec<String> {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let path = format!("{url}/drives/b!probe/root");
    let send = |method: reqwest::Method, url: String, body: Option<Value>| {
        runtime.block_on(async {
            let mut request = client
                .request(method, url)
                .header("authorization", "Bearer probe");
            if let Some(body) = body {
                request = request
                    .header("content-type", "application/json")
                    .body(body.to_string());
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let bytes = response.bytes().await.unwrap();
            (
                status,
                serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
            )
        })
    };
    let post = |body: Value| {
        send(
            reqwest::Method::POST,
            format!("{path}/createLink"),
            Some(body),
        )
    };
    let mut departures = Vec::new();
    let (status, first) = post(json!({"type": "view", "scope": "anonymous"}));
    if status != 201 {
        departures.push(format!("a new link answered {status}"));
    }
    let (status, again) = post(json!({"type": "view", "scope": "anonymous",
        "password": "p", "expirationDateTime": "2031-01-01T00:00:00Z"}));
    if status != 200 || again != first {
        departures.push(format!(
            "the existing link came back {status} as {again}, not unchanged as {first}"
        ));
    }
    let id = first["id"].as_str().unwrap_or_default();
    let delete = || {
        send(
            reqwest::Method::DELETE,
            format!("{path}/permissions/{id}"),
            None,
        )
    };
    let (status, _) = delete();
    if status != 204 {
        departures.push(format!("DELETE answered {status}"));
    }
    let (status, body) = delete();
    if status != 404 || body["error"]["code"] != "itemNotFound" {
        departures.push(format!("DELETE of a deleted link answered {status} {body}"));
    }
    let (status, fresh) = post(json!({"type": "view", "scope": "anonymous", "password": "p"}));
    if status != 201 || fresh["id"] == first["id"] || fresh["hasPassword"] != true {
        departures.push(format!("after DELETE: {status} {fresh}"));
    }
    departures
}

#[test]
fn the_reference_keeps_links_as_the_page_says_and_the_old_rewriting_server_is_caught() {
    let faithful = target(Profile::Graph, true, Throttle::Never, false);
    assert_eq!(link_store_departures(&faithful.url), Vec::<String>::new());
    let rewriting = target(Profile::Graph, true, Throttle::Never, true);
    let departures = link_store_departures(&rewriting.url);
    assert!(
        departures.len() == 1 && departures[0].contains("not unchanged"),
        "{departures:?}"
    );
}

/// A sharing URL is a credential: a failing report, its summary line and the failure text
/// (what nextest's JUnit file holds) show a `webUrl` as scheme, host and length only.
#[test]
fn reports_and_the_summary_show_a_sharing_url_as_scheme_host_and_length() {
    let server = common::behaving_target(Profile::Graph, |request, answer| {
        // A new webUrl each time: the repeat's two answers differ, and the report quotes both.
        if let Some(link) = answer.body.get_mut("link") {
            let n = request.body.len() + answer.status as usize;
            link["webUrl"] = json!(format!("https://contoso.invalid/s/SECRET-{n}"));
        }
    });
    let suite = suite(&format!("{}/beta", server.uri()), Profile::Graph);
    let repeat = suite
        .trials()
        .into_iter()
        .find(|id| {
            id.variant
                .is_some_and(|v| suite.variants()[v].name == "repeat")
        })
        .unwrap();
    let report = suite.run_trial(repeat).report();
    assert!(report.contains("webUrl"), "{report}");
    let Err(failure) = suite.trial_result(repeat) else {
        panic!("the repeat passed: {report}");
    };
    let summary = suite.summary();
    for text in [
        report.as_str(),
        failure.message().unwrap(),
        summary.as_str(),
    ] {
        assert!(!text.contains("SECRET"), "{text}");
    }
    assert!(
        report.contains("https://contoso.invalid/…[") && summary.contains("contoso.invalid/…"),
        "{report}\n{summary}"
    );
}
