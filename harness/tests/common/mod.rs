//! Targets with one defect each, and the assertions the harness's own tests share.
//!
//! Every target listens on 127.0.0.1 only.

#![allow(dead_code)] // Each test file uses its own part of this module.

pub mod front;
pub mod model;
pub mod program;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use std::sync::Arc;

use createlink::load::config::{Config, Profile, repo_dir};
use createlink::load::schema::Schemas;
use createlink::reference::{self, Answer, Reference};
use createlink::suite::{CaseOutcome, Plan, Suite};
use createlink::verdict::Check;
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};

/// The documented template the single-case tests use.
pub const TEMPLATE: &str = "/drives/{drivesId}/root/createLink";

/// Starts mock servers; they then run on their own threads, independent of any suite's runtime.
pub fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// A target that answers every request with `template` (a fixed answer, or a responder).
pub fn serve(template: impl Respond + 'static) -> MockServer {
    runtime().block_on(async {
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        Mock::given(any())
            .respond_with(template)
            .mount(&server)
            .await;
        server
    })
}

/// One change to the reference server's answer: the single defect of a target.
pub type Mutation = fn(&Request, &mut Answer);

/// The reference implementation with one defect applied to every answer.
struct Broken {
    reference: Reference,
    mutate: Mutation,
}

impl Respond for Broken {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut answer = match undecorated(request) {
            Some(request) => self.reference.answer(&request),
            None => self.reference.answer(request),
        };
        (self.mutate)(request, &mut answer);
        answer.into_response()
    }
}

/// A mutation that gives links new ids writes them as `<id>~<n>`: a DELETE of such an id is
/// the DELETE of `<id>` to the reference, so the link the reference holds is really removed.
pub const DECORATION: char = '~';

fn undecorated(request: &Request) -> Option<Request> {
    let path = request.url.path();
    let (item, id) = path.rsplit_once("/permissions/")?;
    let (id, _) = id.split_once(DECORATION)?;
    let mut plain = request.clone();
    plain.url.set_path(&format!("{item}/permissions/{id}"));
    Some(plain)
}

/// A target that behaves like the reference server under `profile`, but for `mutate`.
pub fn behaving_target(profile: Profile, mutate: Mutation) -> MockServer {
    let plan = plan();
    let templates = plan.cases.iter().map(|c| c.template.clone()).collect();
    let reference = Reference::new(templates, profile, Arc::clone(&plan.schemas));
    serve(Broken { reference, mutate })
}

/// The repository's cases, variants and schemas, as a run loads them.
pub fn plan() -> Plan {
    Plan::load(Config::defaults()).unwrap()
}

/// Every trial name of the repository's suite, sorted.
pub fn trial_names() -> Vec<String> {
    let plan = plan();
    let mut names: Vec<String> = plan
        .trials()
        .into_iter()
        .map(|id| plan.trial_name(id))
        .collect();
    names.sort();
    names
}

pub fn schemas() -> Schemas {
    Schemas::load(&repo_dir("schemas")).unwrap()
}

/// The permission the reference server answers with, for the test template.
pub fn permission() -> Value {
    reference::permission(
        "/beta/drives/b!conformance-drive/root/createLink",
        &json!({"type": "view", "scope": "anonymous", "expirationDateTime": "2031-01-01T00:00:00Z"}),
    )
}

/// The document's own example response body, verbatim.
pub fn documented_example() -> &'static str {
    r##"{
  "value": {
    "@odata.type": "#microsoft.graph.permission",
    "id": "3646b6e2-b6e2-3646-e2b6-4636e2b64636",
    "expirationDateTime": "2017-01-01T00:03:08.7291689+03:00",
    "grantedTo": {
      "@odata.type": "microsoft.graph.identitySet"
    },
    "grantedToIdentities": [
      {
        "@odata.type": "microsoft.graph.identitySet"
      }
    ],
    "hasPassword": true,
    "inheritedFrom": {
      "@odata.type": "microsoft.graph.itemReference"
    },
    "invitation": {
      "@odata.type": "microsoft.graph.sharingInvitation"
    },
    "link": {
      "@odata.type": "microsoft.graph.sharingLink"
    },
    "roles": [
      "Roles value"
    ],
    "shareId": "Share Id value"
  }
}"##
}

/// A 200 `application/json` answer with `body` as its bytes.
pub fn json_answer(status: u16, body: impl Into<Vec<u8>>) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.into(), "application/json")
}

/// The documented answer (`{"value": permission}`) with the given permission.
pub fn enveloped(permission: Value) -> ResponseTemplate {
    json_answer(200, json!({ "value": permission }).to_string())
}

pub fn config_for(base_url: &str, profile: Profile) -> Config {
    let mut config = Config::defaults();
    config.base_url = Some(base_url.parse().unwrap());
    config.profile = profile;
    config.timeout = Duration::from_secs(5);
    // Every target of these tests starts empty: the links the run gets are its own.
    config.fresh_items = true;
    config
}

/// Runs the test template's case against `base_url`.
pub fn run_one(config: Config) -> CaseOutcome {
    let suite = Suite::new(config).unwrap();
    let case = suite
        .cases()
        .iter()
        .find(|c| c.template.as_str() == TEMPLATE)
        .unwrap();
    suite.run_base(case)
}

/// Runs the test template's case against a target serving `template`, under `profile`.
pub fn outcome_of(template: ResponseTemplate, profile: Profile) -> CaseOutcome {
    let server = serve(template);
    run_one(config_for(&format!("{}/beta", server.uri()), profile))
}

pub fn documented(template: ResponseTemplate) -> CaseOutcome {
    outcome_of(template, Profile::Documented)
}

/// Asserts the case failed with a problem of `check` whose report mentions every `needle`.
#[track_caller]
pub fn assert_fails(outcome: &CaseOutcome, check: Check, needles: &[&str]) {
    let report = outcome.report();
    assert!(
        outcome.problems.iter().any(|p| p.check() == check),
        "expected a [{}] problem, got:\n{report}",
        check.name()
    );
    for needle in needles {
        assert!(
            report.contains(needle),
            "report lacks {needle:?}:\n{report}"
        );
    }
}

#[track_caller]
pub fn assert_passes(outcome: &CaseOutcome) {
    assert!(
        outcome.passed(),
        "expected a pass, got:\n{}",
        outcome.report()
    );
}

/// A raw TCP target for what an HTTP server library will not do: `answer` gets the request
/// bytes read so far and the stream, once per connection, on its own thread.
pub fn raw_target(answer: fn(&mut TcpStream)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                read_request(&mut stream);
                answer(&mut stream);
            });
        }
    });
    format!("http://{addr}/beta")
}

/// Reads one request's head and body (by Content-Length) so the client is not cut off mid-send.
fn read_request(stream: &mut TcpStream) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = front::read_message(stream, Vec::new());
}

/// Writes raw bytes as the answer and closes.
pub fn write_all(stream: &mut TcpStream, bytes: &[u8]) {
    let _ = stream.write_all(bytes);
    let _ = stream.flush();
}

/// A table's outcome: how many rows ran, and what each failed row says.
#[derive(Default)]
pub struct Rows {
    count: usize,
    failures: Vec<String>,
}

impl Rows {
    /// How many rows ran so far.
    pub fn count(&self) -> usize {
        self.count
    }

    pub fn check(&mut self, row: impl FnOnce() -> String, outcome: Result<(), String>) {
        self.count += 1;
        if let Err(e) = outcome {
            self.failures.push(format!("{}: {e}", row()));
        }
    }

    /// Panics listing every failed row.
    #[track_caller]
    pub fn hold(self) {
        assert!(self.count > 0, "no rows");
        let n = self.failures.len();
        assert!(
            n == 0,
            "{n} of {} rows wrong:\n{}",
            self.count,
            self.failures.join("\n")
        );
    }
}
