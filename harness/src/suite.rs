//! The conformance suite: cases turned into libtest-mimic trials, run against the target.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use libtest_mimic::{ColorSetting, Completion, Failed, FormatSetting, Trial};
use reqwest::Url;

use crate::exchange::client::Executor;
use crate::exchange::limits;
use crate::exchange::links::{self, Ledger, Origin};
use crate::exchange::request::PreparedRequest;
use crate::exchange::schedule::{self, LinkKey, Schedule};
use crate::load::case::{self, Case};
use crate::load::config::{BASE_URL, CONCURRENCY, Config, Profile, SUMMARY};
use crate::load::error::{SetupError, VariableFault};
use crate::load::expected::{self, Entry, ExpectedFailures};
use crate::load::schema::Schemas;
use crate::load::variant::{self, Kind, Variant};
use crate::model::redact::{Redactor, Unhidden};
use crate::model::service::{self, SERVICE, Service};
use crate::model::trial::Verdict;
use crate::options;
use crate::reference::ReferenceServer;
use crate::report;
use crate::report::digest;
use crate::report::summary;
use crate::report::unpadded::{self, Unpadded};
use crate::verdict::{self, Expect, Problem};

pub use crate::model::trial::TrialId;

/// Everything a run needs, built once and shared by the trials.
pub struct Suite {
    config: Config,
    schemas: Arc<Schemas>,
    cases: Vec<Case>,
    variants: Vec<Variant>,
    expected: ExpectedFailures,
    executor: Executor,
    redactor: Redactor,
    /// Why the token is left in the output, when it is.
    unhidden: Option<Unhidden>,
    base_url: Url,
    // Kept alive for the run when there is no target.
    reference: Option<ReferenceServer>,
    /// Each trial's result as it ends, for the Markdown summary.
    results: Mutex<Vec<summary::Result>>,
    /// The links the run got, deleted and left behind.
    links: Mutex<Ledger>,
    /// Bytes of failure reports handed to libtest-mimic so far, which keeps them to the end.
    kept: std::sync::atomic::AtomicUsize,
}

/// What one case came to.
#[derive(Debug)]
pub struct CaseOutcome {
    pub request: PreparedRequest,
    pub problems: Vec<Problem>,
    /// A failed base answer that the other profile would pass: the profile to suggest.
    pub hint: Option<Profile>,
    /// Why the trial can be neither passed nor failed (it needed a link of its own and got an
    /// existing one), and what to do.
    pub inconclusive: Option<String>,
    /// Lines said before the problems: throttling.
    pub notes: Vec<String>,
    /// The answers' sharing URLs, which the report shows only in part (`sharing_url`).
    pub sharing_urls: Vec<String>,
}

impl CaseOutcome {
    fn new(request: PreparedRequest, problems: Vec<Problem>) -> Self {
        CaseOutcome {
            request,
            problems,
            hint: None,
            inconclusive: None,
            notes: Vec::new(),
            sharing_urls: Vec::new(),
        }
    }

    fn with_sharing_urls(mut self, profile: Profile, exchanges: &[&verdict::Exchange]) -> Self {
        for exchange in exchanges {
            if let Some(body) = small_success_body(exchange) {
                self.sharing_urls
                    .extend(crate::model::sharing_url::of_answer(profile, body));
            }
        }
        self
    }

    /// No problem, and conclusive.
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && self.inconclusive.is_none()
    }

    pub fn failed(&self) -> bool {
        !self.problems.is_empty()
    }

    pub fn report(&self) -> String {
        let hint = self.hint.map(report::profile_hint);
        let report = report::render_with_hint(&self.problems, hint.as_deref(), &self.request);
        let report = match self.notes.is_empty() {
            true => report,
            false => format!("{}\n{report}", self.notes.join("\n")),
        };
        crate::model::sharing_url::hide(&report, &self.sharing_urls)
    }

    /// Each problem once, as an expected-failures line pins it.
    pub fn pins(&self) -> Vec<String> {
        let mut pins: Vec<String> = Vec::new();
        for pin in self.problems.iter().map(report::pin_line) {
            if !pins.contains(&pin) {
                pins.push(pin);
            }
        }
        pins
    }

    /// The problems `entry` does not pin.
    fn unpinned(&self, entry: &Entry) -> Vec<String> {
        let mut pins = self.pins();
        pins.retain(|p| !entry.pins.contains(p));
        pins
    }
}

/// Files and settings that hold no network state; enough to list the trials.
pub struct Plan {
    pub config: Config,
    pub schemas: Arc<Schemas>,
    pub cases: Vec<Case>,
    pub variants: Vec<Variant>,
    pub expected: ExpectedFailures,
}

impl Plan {
    /// Loads schemas, cases, variants and the expected-failures file, and checks the parameter
    /// overrides.
    pub fn load(config: Config) -> Result<Self, SetupError> {
        let schemas = Arc::new(Schemas::from_folder(&config.schemas)?);
        let cases = case::load(&config.cases, &schemas)?;
        let variants = variant::load(&config.cases.variants(), &schemas)?;
        let known: Vec<&str> = cases.iter().flat_map(|c| c.template.params()).collect();
        config.params.check_names(&known)?;
        check_url_lengths(&config, &cases)?;
        let expected = match &config.expected_failures {
            Some(file) => ExpectedFailures::load(file, &cases, &variants)?,
            None => ExpectedFailures::default(),
        };
        Ok(Plan {
            config,
            schemas,
            cases,
            variants,
            expected,
        })
    }

    /// Every trial, path by path: the base trial, then each variant.
    pub fn trials(&self) -> Vec<TrialId> {
        trials(self.cases.len(), self.variants.len())
    }

    pub fn trial_name(&self, id: TrialId) -> String {
        trial_name(&self.cases, &self.variants, id)
    }
}

fn trials(cases: usize, variants: usize) -> Vec<TrialId> {
    (0..cases)
        .flat_map(|case| {
            std::iter::once(None)
                .chain((0..variants).map(Some))
                .map(move |variant| TrialId { case, variant })
        })
        .collect()
}

/// `POST <template>` for a base trial, `POST <template> <variant>` for a variant's, so a filter
/// on the path selects all of a path's trials and one on the variant's name all of its paths.
fn trial_name(cases: &[Case], variants: &[Variant], id: TrialId) -> String {
    summary::trial_name(cases, variants, id)
}

impl Suite {
    pub fn new(config: Config) -> Result<Self, SetupError> {
        Self::from_plan(Plan::load(config)?)
    }

    /// Starts the client, and the reference server when the configuration names no target.
    pub fn from_plan(plan: Plan) -> Result<Self, SetupError> {
        let Plan {
            config,
            schemas,
            cases,
            variants,
            expected,
        } = plan;
        let executor = Executor::new(&config)?;
        let (base_url, reference) = match &config.base_url {
            Some(url) => (url.clone(), None),
            None => {
                let templates = cases.iter().map(|c| c.template.clone()).collect();
                let server = executor.handle().block_on(ReferenceServer::start(
                    templates,
                    config.profile,
                    config.service,
                    schemas.clone(),
                ));
                (server.base_url().clone(), Some(server))
            }
        };
        let (redactor, unhidden) = Redactor::for_run(
            &config.token,
            own_text(&config, &cases, &variants)
                .iter()
                .map(String::as_str),
        );
        Ok(Suite {
            redactor,
            unhidden,
            config,
            schemas,
            cases,
            variants,
            expected,
            executor,
            base_url,
            reference,
            results: Mutex::new(Vec::new()),
            links: Mutex::new(Ledger::default()),
            kept: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    pub fn cases(&self) -> &[Case] {
        &self.cases
    }

    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    pub fn profile(&self) -> Profile {
        self.config.profile
    }

    /// Why the token is left in the output, when it is: said once on stderr.
    pub fn unhidden_token(&self) -> Option<Unhidden> {
        self.unhidden
    }

    pub fn uses_reference_server(&self) -> bool {
        self.reference.is_some()
    }

    pub fn executor(&self) -> &Executor {
        &self.executor
    }

    pub fn variants(&self) -> &[Variant] {
        &self.variants
    }

    /// Every trial, path by path: the base trial, then each variant.
    pub fn trials(&self) -> Vec<TrialId> {
        trials(self.cases.len(), self.variants.len())
    }

    pub fn trial_name(&self, id: TrialId) -> String {
        trial_name(&self.cases, &self.variants, id)
    }

    pub fn service(&self) -> Service {
        self.config.service
    }

    /// Why trial `id` is not sent under this run's service (`CREATELINK_SERVICE`), or `None`
    /// when it is. A variant's trial sends the variant's body, a base trial the case's.
    pub fn not_offered(&self, id: TrialId) -> Option<&str> {
        let service = self.config.service;
        match id.variant {
            None => service::not_offered(self.cases[id.case].only.as_ref(), service),
            Some(v) => self.variants[v].not_offered(service),
        }
    }

    /// The request `case` sends to this run's target.
    pub fn request(&self, case: &Case) -> PreparedRequest {
        let mut request = PreparedRequest::new(&self.base_url, case, &self.config.params.values);
        request.placeholder_token = self.config.token.is_placeholder();
        request
    }

    /// The request trial `id` sends to this run's target.
    pub fn trial_request(&self, id: TrialId) -> PreparedRequest {
        let request = self.request(&self.cases[id.case]);
        match id.variant {
            None => request,
            Some(v) => request.with_variant(&self.variants[v]),
        }
    }

    /// Sends `case`'s base request and judges the answer (blocking).
    pub fn run_base(&self, case: &Case) -> CaseOutcome {
        let request = self.request(case);
        let exchange = self.executor.send(&request);
        self.judge_answer(request, &exchange)
    }

    /// Judges one answer to a base request.
    pub fn judge_answer(
        &self,
        request: PreparedRequest,
        exchange: &verdict::Exchange,
    ) -> CaseOutcome {
        let problems = verdict::judge_answer(self.config.profile, &self.schemas, exchange);
        let hint = self.profile_hint(&problems, Expect::Base, &[exchange]);
        let mut outcome =
            CaseOutcome::new(request, problems).with_sharing_urls(self.config.profile, &[exchange]);
        outcome.hint = hint;
        outcome
    }

    /// The link key of trial `id`, `None` for a refusal (it creates nothing).
    pub fn link_key(&self, id: TrialId) -> Option<LinkKey> {
        let case = &self.cases[id.case];
        let request = self.trial_request(id);
        let body = match id.variant.map(|v| &self.variants[v].kind) {
            None => serde_json::from_str(&case.body).ok()?,
            Some(Kind::Link { body, .. }) => body.clone(),
            Some(Kind::Refusal { .. }) => return None,
        };
        Some(LinkKey::new(&case.template, request.url.path(), &body))
    }

    /// The schedule of `ids` (in plan order): which must wait for which.
    pub fn schedule(&self, ids: &[TrialId]) -> Schedule {
        let keys: Vec<Option<LinkKey>> = ids.iter().map(|&id| self.link_key(id)).collect();
        Schedule::new(&keys)
    }

    /// Runs `ids` on `threads` threads as the schedule says, and returns each outcome, in the
    /// order of `ids`: what the program does, for tests that judge outcomes.
    pub fn run_scheduled(&self, ids: &[TrialId], threads: usize) -> Vec<CaseOutcome> {
        let outcomes: Mutex<Vec<Option<CaseOutcome>>> =
            Mutex::new((0..ids.len()).map(|_| None).collect());
        self.schedule(ids).execute(
            threads,
            |i| self.requests(ids[i]),
            |i| self.run_trial(ids[i]),
            |i, outcome| outcomes.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(outcome),
        );
        outcomes
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .flatten()
            .collect()
    }

    /// How many createLink requests trial `id` sends.
    pub fn requests(&self, id: TrialId) -> usize {
        id.variant.map_or(1, |v| self.variants[v].requests())
    }

    /// Sends trial `id`'s request (twice for a repeat), waiting out throttling, judges the
    /// answers, and deletes the links it created (blocking).
    pub fn run_trial(&self, id: TrialId) -> CaseOutcome {
        let request = self.trial_request(id);
        // Under nextest each trial is a process: trials on one item take turns through a lock
        // file instead of the schedule (`item_lock`).
        let _turn = match self.link_key(id) {
            Some(key) if std::env::var_os("NEXTEST").is_some() => {
                crate::exchange::item_lock::hold(self.base_url.as_str(), &key.item)
            }
            _ => None,
        };
        let (sent, throttled) = self.executor.send_all_retrying(&request);
        let exchanges: Vec<&verdict::Exchange> = sent.iter().map(|s| &**s).collect();
        let kind = id.variant.map(|v| &self.variants[v].kind);
        let expect = match kind {
            None => Expect::Base,
            Some(Kind::Link { body, .. }) => Expect::Link { request: body },
            Some(Kind::Refusal { status, .. }) => Expect::Refusal { status: *status },
        };
        let problems = verdict::judge(self.config.profile, &self.schemas, expect, &exchanges);
        let hint = self.profile_hint(&problems, expect, &exchanges);
        let mut outcome =
            CaseOutcome::new(request, problems).with_sharing_urls(self.config.profile, &exchanges);
        outcome.hint = hint;
        let retries: usize = throttled.iter().map(|t| t.retries()).sum();
        outcome
            .notes
            .extend(throttled.iter().filter_map(|t| t.describe()));
        let key = self.link_key(id);
        let asked = key
            .as_ref()
            .map(|k| (k.link_type.clone(), k.scope.clone()))
            .unwrap_or_default();
        let links: Vec<(String, u16)> = match key {
            Some(_) => exchanges.iter().filter_map(|e| self.link_of(e)).collect(),
            None => Vec::new(),
        };
        drop(exchanges);
        drop(sent);
        let item = outcome
            .request
            .url
            .path()
            .strip_suffix("/createLink")
            .unwrap_or(outcome.request.url.path())
            .to_owned();
        let ownable = self.config.fresh_items || self.reference.is_some();
        let origins: Vec<Origin> = {
            let mut ledger = self.links.lock().unwrap_or_else(|e| e.into_inner());
            ledger.retries += retries;
            links
                .iter()
                .map(|(link, status)| {
                    ledger.record(self.config.profile, ownable, &item, &asked, link, *status)
                })
                .collect()
        };
        if self.asks_more_than_type_and_scope(id) && origins.first() == Some(&Origin::Existing) {
            let (link, status) = &links[0];
            outcome.inconclusive = Some(format!(
                "inconclusive: this trial asks for more than a type and a scope, and the target \
                 answered {status} with an existing link (id {}) on {item}, which need not \
                 have what was asked; use an item that holds no such link (CREATELINK_PARAMS), \
                 or delete that link, and run again",
                links::shown(link)
            ));
            // What an existing link need not match is not judged; its shape still is.
            outcome
                .problems
                .retain(|p| p.check() != verdict::Check::Behaviour);
        }
        // Links left behind are listed at the end of the run, not in the trial's report: they
        // are no fault of the target's.
        for ((link, _), origin) in links.iter().zip(&origins) {
            self.clean_up(&outcome.request, &item, link, *origin);
        }
        outcome
    }

    /// The id and status of a link answer.
    fn link_of(&self, exchange: &verdict::Exchange) -> Option<(String, u16)> {
        let body = small_success_body(exchange)?;
        let verdict::Exchange::Answered(r) = exchange else {
            return None;
        };
        links::link_id(self.config.profile, body).map(|id| (id, r.status))
    }

    /// Whether trial `id` can only be judged on a link of its own: it asks for more than a
    /// type and a scope, which an existing link need not have.
    fn asks_more_than_type_and_scope(&self, id: TrialId) -> bool {
        match id.variant.map(|v| &self.variants[v].kind) {
            None => serde_json::from_str(&self.cases[id.case].body)
                .is_ok_and(|b| schedule::asks_more_than_type_and_scope(&b)),
            Some(Kind::Link { body, .. }) => schedule::asks_more_than_type_and_scope(body),
            Some(Kind::Refusal { .. }) => false,
        }
    }

    /// Deletes link `link` of `item` when the run created it and may delete it, else records
    /// it as left behind.
    fn clean_up(&self, request: &PreparedRequest, item: &str, link: &str, origin: Origin) {
        let why = match origin {
            Origin::Existing => return,
            Origin::Unknown => {
                "under the documented profile every answer is 200, so the run cannot tell \
                 that it made this link (set CREATELINK_FRESH_ITEMS=1 when the items held no \
                 link before the run)"
                    .to_owned()
            }
            Origin::Created if self.config.keep_links => "CREATELINK_KEEP_LINKS=1".to_owned(),
            Origin::Created => {
                let deletion = request.deletion(link);
                let (sent, throttled) = crate::exchange::retry::send(
                    &deletion,
                    |r| self.executor.send(r),
                    std::thread::sleep,
                );
                let mut ledger = self.links.lock().unwrap_or_else(|e| e.into_inner());
                ledger.retries += throttled.retries();
                match &*sent {
                    verdict::Exchange::Answered(r) if (200..300).contains(&r.status) => {
                        ledger.deleted(item, link);
                        return;
                    }
                    verdict::Exchange::Answered(r) => format!("DELETE answered {}", r.status),
                    verdict::Exchange::Failed { reason } => format!("DELETE failed: {reason}"),
                }
            }
        };
        self.links
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .leave(item, link, why);
    }

    /// The other profile, when a base answer fails this run's profile and would pass that one:
    /// the commonest first mistake is running the default profile against a service that
    /// answers as Graph does (or the reverse). Only base answers: a variant's rules are the
    /// same under both profiles, so its shape says nothing more.
    fn profile_hint(
        &self,
        problems: &[Problem],
        expect: Expect<'_>,
        exchanges: &[&verdict::Exchange],
    ) -> Option<Profile> {
        let other = match self.config.profile {
            Profile::Documented => Profile::Graph,
            Profile::Graph => Profile::Documented,
        };
        (matches!(expect, Expect::Base)
            && !problems.is_empty()
            && verdict::judge(other, &self.schemas, expect, exchanges).is_empty())
        .then_some(other)
    }

    /// The trial result of `id`, taking the expected-failures file into account.
    pub fn trial_result(&self, id: TrialId) -> Result<Completion, Failed> {
        if let Some(reason) = self.not_offered(id) {
            // Ignored, never passed: the service lacks what the trial asks, so it is not sent.
            let reason = format!(
                "not sent: {SERVICE}={}, and {reason}",
                self.config.service.name()
            );
            if std::env::var_os("NEXTEST").is_some() {
                eprintln!("note: {reason}");
            }
            self.record(summary::Result {
                id,
                verdict: Verdict::NotOffered,
                first_problem: None,
                kinds: Vec::new(),
                pins: Vec::new(),
                hint: None,
                not_found: false,
            });
            return Ok(Completion::ignored_with(reason));
        }
        let outcome = self.run_trial(id);
        let variant = id.variant.map(|v| self.variants[v].name.as_str());
        let result = settle(&outcome, self.expected.entry(&self.cases[id.case], variant))
            .map(|c| self.redactor.completion(c))
            .map_err(|f| self.redactor.failed(f))
            .map_err(|f| self.keep(f));
        let verdict = match &result {
            Ok(Completion::Completed) => Verdict::Pass,
            Ok(_) if outcome.problems.is_empty() => Verdict::Inconclusive,
            Ok(_) => Verdict::ExpectedFailure,
            Err(_) => Verdict::Fail,
        };
        // nextest runs each trial as a process of its own and reads a failure's description
        // from standard error, from a line starting "Error: ", for its JUnit <failure> text;
        // it has no expected-failure status, so the reason goes there too.
        // Its first line becomes the JUnit `message`: the first problem, not the count. The
        // report is printed there only; libtest's own copy on stdout is one line pointing to it.
        let result = if std::env::var_os("NEXTEST").is_some() {
            match result {
                Err(failed) => {
                    let report = failed.message().unwrap_or_default();
                    eprintln!(
                        "Error: {}\n{report}",
                        report::first_line_of_first_problem(report)
                    );
                    Err(report::NEXTEST_FAILED.into())
                }
                Ok(Completion::Ignored {
                    reason: Some(reason),
                }) => {
                    eprintln!("note: {reason}");
                    Ok(Completion::ignored_with(reason))
                }
                other => other,
            }
        } else {
            result
        };
        let first_problem = outcome.problems.first().map(|_| {
            self.redactor
                .redact(report::first_line_of_first_problem(&outcome.report()))
        });
        let mut kinds: Vec<String> = Vec::new();
        if verdict == Verdict::Inconclusive {
            kinds.push(report::INCONCLUSIVE.to_owned());
        }
        for problem in &outcome.problems {
            let kind = self.redactor.redact(&report::digest_line(problem));
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        let pins = outcome
            .pins()
            .iter()
            .map(|p| self.redactor.redact(p))
            .collect();
        let not_found = outcome
            .problems
            .iter()
            .any(|p| matches!(p, Problem::Status { actual: 404, .. }));
        self.record(summary::Result {
            id,
            verdict,
            first_problem,
            kinds,
            pins,
            hint: outcome.hint,
            not_found,
        });
        result
    }

    fn record(&self, result: summary::Result) {
        self.results
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(result);
    }

    /// The end-of-run digest, for stderr: `None` when every trial that ran passed.
    pub fn digest(&self) -> Option<String> {
        let results = self.results.lock().unwrap_or_else(|e| e.into_inner());
        let names: Vec<String> = results.iter().map(|r| self.trial_name(r.id)).collect();
        let mut order: Vec<usize> = (0..results.len()).collect();
        // Trial order, not the order trials ended in: the same run gives the same digest.
        order.sort_by_key(|&i| results[i].id);
        let entries: Vec<digest::Entry<'_>> = order
            .into_iter()
            .filter(|&i| !matches!(results[i].verdict, Verdict::Pass | Verdict::NotOffered))
            .map(|i| digest::Entry {
                name: &names[i],
                verdict: results[i].verdict,
                kinds: &results[i].kinds,
            })
            .collect();
        let mut hints = Vec::new();
        let hinted = results.iter().filter_map(|r| r.hint).collect::<Vec<_>>();
        if let Some(&other) = hinted.first() {
            hints.push(format!(
                "{} base answer{} failed but would pass the other profile: {}",
                hinted.len(),
                if hinted.len() == 1 { "" } else { "s" },
                report::profile_hint(other)
            ));
        }
        if !results.is_empty() && results.iter().all(|r| r.not_found) {
            hints.push(report::ALL_NOT_FOUND.to_owned());
        }
        digest::render(&entries, &hints)
    }

    /// The expected-failures file that would make this run pass: each trial that did not pass,
    /// with its problems pinned, in trial order.
    pub fn baseline(&self) -> String {
        let results = self.results.lock().unwrap_or_else(|e| e.into_inner());
        // A trial not sent under the run's service is not a gap of the implementation, nor is
        // one the target's earlier links left inconclusive.
        let mut failed: Vec<&summary::Result> = results
            .iter()
            .filter(|r| {
                !matches!(
                    r.verdict,
                    Verdict::Pass | Verdict::NotOffered | Verdict::Inconclusive
                )
            })
            .collect();
        failed.sort_by_key(|r| r.id);
        let mut out = self.redactor.redact(&report::baseline_heading(
            self.profile(),
            self.base_url.as_str(),
            failed.len(),
        ));
        for r in failed {
            out.push_str(&expected::baseline_line(&self.trial_name(r.id), &r.pins));
            out.push('\n');
        }
        out
    }

    /// `failed`, or its first lines once the run's reports reached [`report::KEPT_LIMIT`].
    fn keep(&self, failed: Failed) -> Failed {
        let Some(message) = failed.message() else {
            return failed;
        };
        let before = self
            .kept
            .fetch_add(message.len(), std::sync::atomic::Ordering::Relaxed);
        if before + message.len() <= report::KEPT_LIMIT {
            return failed;
        }
        report::shortened(message).into()
    }

    /// The Markdown summary of the trials that ran so far.
    pub fn summary(&self) -> String {
        let service = match self.config.service {
            Service::Any => String::new(),
            s => format!(", service `{}`", s.name()),
        };
        let heading = self.redactor.redact(&format!(
            "Profile `{}`{service}, target `{}`.",
            self.profile().name(),
            self.base_url
        ));
        let results = self.results.lock().unwrap_or_else(|e| e.into_inner());
        let ledger = self.links.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = summary::render(&heading, &self.cases, &self.variants, &results);
        out.push_str(&summary::links(&ledger));
        out
    }

    /// The links left behind and the retries, for the end of the run's output.
    pub fn links_summary(&self) -> String {
        summary::links_line(&self.links.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The body of a 2xx answer of at most [`crate::exchange::budget::FREE`] bytes. A link answer is a few
/// KiB; a larger body is not parsed again after judging, so memory stays within the budget (its
/// link, if any, is not cleaned up, and its URLs are not known).
fn small_success_body(exchange: &verdict::Exchange) -> Option<&[u8]> {
    match exchange {
        verdict::Exchange::Answered(verdict::Response {
            status: 200..=299,
            body: verdict::AnswerBody::Complete(body),
            ..
        }) if body.len() <= crate::exchange::budget::FREE => Some(body),
        _ => None,
    }
}

/// The longest request URL the HTTP client sends: `http::Uri` refuses longer ones, and every
/// request would fail as a connection problem, blamed on the target.
pub const MAX_URL: usize = u16::MAX as usize - 1;

/// Every case's request URL fits [`MAX_URL`], with the base URL of the run (or the built-in
/// server's, at most this long).
fn check_url_lengths(config: &Config, cases: &[Case]) -> Result<(), SetupError> {
    let built_in = Url::parse("http://127.0.0.1:65535/beta").expect("a valid URL");
    let base = config.base_url.as_ref().unwrap_or(&built_in);
    for case in cases {
        let url = PreparedRequest::new(base, case, &config.params.values).url;
        if url.as_str().len() > MAX_URL {
            let variable = if config.params.values.is_empty() {
                crate::load::config::BASE_URL
            } else {
                crate::load::params::PARAMS
            };
            return Err(SetupError::in_variable(
                variable,
                crate::load::error::VariableFault::UrlTooLong {
                    template: case.template.as_str().to_owned(),
                    length: url.as_str().len(),
                    base: base.as_str().len(),
                    limit: MAX_URL,
                },
            ));
        }
    }
    Ok(())
}

/// The text every run prints whatever the target: trial names, and each trial's `curl` line
/// (path, parameters, body) against a neutral base URL. A token found in it is not hidden.
fn own_text(config: &Config, cases: &[Case], variants: &[Variant]) -> Vec<String> {
    let neutral = Url::parse("http://host.invalid/").expect("a valid URL");
    let mut texts = vec![report::HELP.to_owned()];
    for id in trials(cases.len(), variants.len()) {
        texts.push(trial_name(cases, variants, id));
        let request = PreparedRequest::new(&neutral, &cases[id.case], &config.params.values);
        let request = match id.variant {
            None => request,
            Some(v) => request.with_variant(&variants[v]),
        };
        texts.push(request.curl());
    }
    texts
}

/// Turns an outcome into a trial result: an expected failure does not fail the run, and an
/// expected failure that passes does, so the fix is noticed and the entry removed.
pub fn settle(outcome: &CaseOutcome, entry: Option<Entry>) -> Result<Completion, Failed> {
    if let (false, Some(reason)) = (outcome.failed(), &outcome.inconclusive) {
        return Ok(Completion::ignored_with(reason.clone()));
    }
    match (outcome.passed(), entry) {
        (true, None) => Ok(Completion::Completed),
        (false, None) => Err(outcome.report().into()),
        (false, Some(entry)) if !entry.pins.is_empty() && !outcome.unpinned(&entry).is_empty() => {
            let new = outcome.unpinned(&entry);
            let gone: Vec<&String> = {
                let now = outcome.pins();
                entry.pins.iter().filter(|p| !now.contains(p)).collect()
            };
            let mut text = format!(
                "listed as an expected failure at {entry}, but it fails for another reason now:\n"
            );
            for pin in &new {
                text.push_str(&format!("   new:      {pin}\n"));
            }
            for pin in gone {
                text.push_str(&format!("   gone:     {pin}\n"));
            }
            text.push_str("update that line (--write-baseline FILE writes them all) or fix the new problem\n\n");
            text.push_str(&outcome.report());
            Err(text.into())
        }
        (false, Some(entry)) => {
            let count = verdict::count(&outcome.problems);
            Ok(Completion::ignored_with(format!(
                "expected failure, listed at {entry} ({count} problem{}: first [{}])",
                if count == 1 { "" } else { "s" },
                outcome.problems[0].check().name()
            )))
        }
        (true, Some(entry)) => Err(format!(
            "passed, but is listed as an expected failure at {entry}: remove that line, the \
             implementation conforms here now"
        )
        .into()),
    }
}

/// The `conformance` test target's `main`.
pub fn main() -> ExitCode {
    limits::return_large_blocks();
    options::end_quietly_on_closed_pipe();
    let (mut args, fail_fast, baseline) = match options::parse(std::env::args().skip(1).collect()) {
        options::Command::Run {
            args,
            fail_fast,
            baseline,
        } => (
            args,
            fail_fast,
            baseline.map(|f| crate::load::config::absolute(&f)),
        ),
        options::Command::Print(text) => {
            // A reader that has gone (`--help | head -1`) is no error.
            let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
            return ExitCode::SUCCESS;
        }
        options::Command::Refuse(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(SetupError::EXIT_CODE);
        }
    };
    let mut plan = match Config::from_env().and_then(Plan::load) {
        Ok(plan) => plan,
        Err(e) => return setup_error(&e),
    };
    let named: Vec<(TrialId, String)> = plan
        .trials()
        .into_iter()
        .map(|id| (id, plan.trial_name(id)))
        .collect();
    // nextest runs each trial as a process of its own and has no expected-failure outcome: a
    // listed trial that failed as expected would count as passed. So under nextest (which sets
    // NEXTEST=1 when it lists the trials and when it runs them) a listed trial carries libtest's
    // ignored flag, and nextest shows it as skipped; `--run-ignored all` runs it.
    let under_nextest = std::env::var_os("NEXTEST").is_some();
    let known_gap = |id: TrialId| {
        under_nextest
            && plan
                .expected
                .entry(
                    &plan.cases[id.case],
                    id.variant.map(|v| plan.variants[v].name.as_str()),
                )
                .is_some()
    };
    let flagged: Vec<bool> = named.iter().map(|(id, _)| known_gap(*id)).collect();
    let placeholder = |name: &str, gap: bool| Trial::test(name, || Ok(())).with_ignored_flag(gap);
    if args.list {
        // Listing must print nothing but the list (nextest parses it) and start no server.
        let trials = named
            .iter()
            .zip(&flagged)
            .map(|((_, name), gap)| placeholder(name, *gap))
            .collect();
        return libtest_mimic::run(&args, trials).exit_code();
    }
    // Before any server or client starts: a filter that selects nothing sends nothing.
    let selected = named
        .iter()
        .zip(&flagged)
        .filter(|((_, name), gap)| {
            let trial = placeholder(name, **gap);
            !args.is_filtered_out(&trial) && !args.is_ignored(&trial)
        })
        .count();
    if selected == 0 {
        // A typo in a CI filter must not pass silently; 4 is nextest's code for "no tests".
        eprintln!(
            "error: no trial matches {}; `--list` shows the {} trial names",
            args.filter.as_deref().map_or_else(
                || "the options given".to_owned(),
                |f| format!("the filter {f:?}")
            ),
            named.len()
        );
        return ExitCode::from(NO_TRIALS);
    }
    let built_in = plan.config.base_url.is_none();
    let (wanted, source) = match args.test_threads {
        Some(n) => (n, "--test-threads"),
        None => (plan.config.concurrency(), CONCURRENCY),
    };
    // A request in flight holds a socket, and the client keeps up to one idle socket a request
    // for reuse; with the built-in server both ends of each are in this process.
    let (concurrency, lowered) = limits::cap_concurrency(wanted, if built_in { 4 } else { 2 });
    if let Some(limit) = lowered {
        eprintln!(
            "createlink conformance: {source} lowered from {wanted} to {concurrency}: the \
             descriptor limit (ulimit -n) is {limit}, two per request in flight (its socket and \
             one kept for reuse){}",
            if built_in {
                ", four with the built-in server"
            } else {
                ""
            }
        );
    }
    // The client keeps no more idle sockets than there are requests in flight.
    plan.config.concurrency = std::num::NonZeroUsize::new(concurrency);
    let suite = match Suite::from_plan(plan) {
        Ok(suite) => Arc::new(suite),
        Err(e) => return setup_error(&e),
    };
    // The pre-flight: a target that cannot be reached at all is one message, not a failed
    // report on every trial.
    let reached = match suite.uses_reference_server() {
        true => Ok(()),
        false => suite.executor().reach(suite.base_url()),
    };
    if let Err(reason) = reached {
        let fault = VariableFault::Unreachable(reason);
        return setup_error(&SetupError::in_variable(BASE_URL, fault));
    }
    if let Some(unhidden) = suite.unhidden_token() {
        eprintln!("{}", unhidden.note());
    }
    eprintln!(
        "createlink conformance: {} paths, {} variant{}, {} trials, profile {}{}, target {}{}",
        suite.cases.len(),
        suite.variants.len(),
        if suite.variants.len() == 1 { "" } else { "s" },
        named.len(),
        suite.profile().name(),
        match suite.service() {
            Service::Any => String::new(),
            s => format!(
                ", service {} (what {} lacks is ignored, not sent)",
                s.name(),
                s.label()
            ),
        },
        suite.redactor.redact(suite.base_url().as_str()),
        if suite.uses_reference_server() {
            " (the built-in reference server: set CREATELINK_BASE_URL to test an implementation)"
        } else {
            ""
        }
    );
    // Trials that could share a link wait for each other (`schedule`). The schedule runs the
    // selected trials on a pool of its own, as many threads as requests may be in flight, each
    // trial as soon as those it waits for are done; libtest-mimic, on one thread, takes each
    // result in turn and reports it. Trials filtered out, or that libtest would leave ignored
    // (a known gap under nextest), are not in the schedule, so nothing waits for them.
    let (selected_ids, others): (Vec<_>, Vec<_>) =
        named
            .into_iter()
            .zip(flagged)
            .partition(|((_, name), gap)| {
                let trial = placeholder(name, *gap);
                !args.is_filtered_out(&trial) && !args.is_ignored(&trial)
            });
    let ids: Vec<TrialId> = selected_ids.iter().map(|((id, _), _)| *id).collect();
    let threads = match args.test_threads {
        Some(_) => concurrency,
        // One thread per selected trial, up to the concurrency limit: every request can be in
        // flight at once, and a generated suite of thousands starts no more threads than that.
        None => selected.clamp(1, concurrency),
    };
    let results = Arc::new(Results::new(ids.len()));
    // `--fail-fast`: after a failure, trials not yet started are not sent (those in flight end
    // as usual), as nextest's option of that name does.
    let failed = Arc::new(AtomicBool::new(false));
    let pool = {
        let (suite, results, ids) = (Arc::clone(&suite), Arc::clone(&results), ids.clone());
        std::thread::spawn(move || {
            suite.schedule(&ids).execute(
                threads,
                |i| suite.requests(ids[i]),
                // A panic is the trial's failure, as libtest-mimic would make it: its result
                // must come, or the report would wait for it for ever.
                |i| {
                    if fail_fast && failed.load(Ordering::SeqCst) {
                        return Ok(Completion::ignored_with(
                            "not run: --fail-fast, and an earlier trial failed",
                        ));
                    }
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        suite.trial_result(ids[i])
                    }))
                    .unwrap_or_else(|panic| {
                        let what = panic
                            .downcast_ref::<&str>()
                            .map(|s| (*s).to_owned())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_default();
                        Err(format!("the harness panicked: {what}").into())
                    });
                    if result.is_err() {
                        failed.store(true, Ordering::SeqCst);
                    }
                    result
                },
                |i, result| results.put(i, result),
            );
        })
    };
    let trials: Vec<Trial> = selected_ids
        .into_iter()
        .enumerate()
        .map(|(i, ((_, name), gap))| {
            let results = Arc::clone(&results);
            Trial::ignorable_test(name, move || results.take(i)).with_ignored_flag(gap)
        })
        .chain(others.into_iter().map(|((id, name), gap)| {
            let suite = Arc::clone(&suite);
            Trial::ignorable_test(name, move || suite.trial_result(id)).with_ignored_flag(gap)
        }))
        .collect();
    args.test_threads = Some(1);
    // Result lines as wide as their names need, not all padded to the longest (`unpadded`):
    // only libtest's pretty lines on standard output; nextest runs one trial a process.
    let pretty = matches!(args.format, None | Some(FormatSetting::Pretty))
        && !args.quiet
        && args.logfile.is_none()
        && !under_nextest;
    if pretty && args.color.is_none() && unpadded::stdout_is_terminal() {
        // Behind the filter standard output is a pipe: keep the colours a terminal gets.
        args.color = Some(ColorSetting::Always);
    }
    let unpadded = pretty.then(Unpadded::start).flatten();
    let conclusion = libtest_mimic::run(&args, trials);
    drop(unpadded);
    // Every selected trial was taken, so the pool is done; a panic in it was a trial's.
    let _ = pool.join();
    // Under nextest each process runs one trial: a digest of one is noise.
    if !under_nextest {
        eprint!("{}", suite.links_summary());
        if let Some(digest) = suite.digest() {
            eprint!("{digest}");
        }
    }
    write_summary(&suite);
    if let Some(file) = &baseline {
        match std::fs::write(file, suite.baseline()) {
            Ok(()) => eprintln!(
                "createlink conformance: wrote the baseline to {}: set \
                 CREATELINK_EXPECTED_FAILURES to it to make this run pass",
                file.display()
            ),
            Err(e) => eprintln!(
                "createlink conformance: cannot write the baseline to {}: {e}",
                file.display()
            ),
        }
    }
    conclusion.exit_code()
}

/// The trials' results as the schedule's pool delivers them, each taken by its libtest-mimic
/// trial.
struct Results {
    slots: Mutex<Vec<Option<Result<Completion, Failed>>>>,
    delivered: std::sync::Condvar,
}

impl Results {
    fn new(n: usize) -> Self {
        Results {
            slots: Mutex::new((0..n).map(|_| None).collect()),
            delivered: std::sync::Condvar::new(),
        }
    }

    fn put(&self, i: usize, result: Result<Completion, Failed>) {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
        self.delivered.notify_all();
    }

    /// Waits for trial `i`'s result. Every selected trial is run by the pool, so it comes.
    fn take(&self, i: usize) -> Result<Completion, Failed> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(result) = slots[i].take() {
                return result;
            }
            slots = self
                .delivered
                .wait(slots)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// The exit code of a run that selects no trial.
pub const NO_TRIALS: u8 = 4;

/// Appends the Markdown summary to `$CREATELINK_SUMMARY`, else `$GITHUB_STEP_SUMMARY`, when
/// either is set. Not under nextest, which runs each trial as a process of its own: there the
/// summary would be one table per trial.
fn write_summary(suite: &Suite) {
    if std::env::var_os("NEXTEST").is_some() {
        return;
    }
    let Some(file) = [SUMMARY, "GITHUB_STEP_SUMMARY"]
        .into_iter()
        .find_map(|v| std::env::var_os(v).filter(|f| !f.is_empty()))
    else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .and_then(|mut f| std::io::Write::write_all(&mut f, suite.summary().as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "createlink conformance: cannot append the summary to {}: {e}",
            std::path::Path::new(&file).display()
        );
    }
}

/// Every setup error ends the run here, the suite's and the reference server's: one message,
/// redacted, and one exit code.
pub fn setup_error(e: &SetupError) -> ExitCode {
    eprintln!("error: {}", Redactor::from_env().redact(&e.to_string()));
    ExitCode::from(SetupError::EXIT_CODE)
}
