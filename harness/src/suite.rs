//! The conformance suite: cases turned into libtest-mimic trials, run against the target.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use reqwest::Url;

use crate::case::{self, Case};
use crate::client::Executor;
use crate::config::{CONCURRENCY, Config, Profile, SUMMARY};
use crate::error::SetupError;
use crate::expected::{Entry, ExpectedFailures};
use crate::limits;
use crate::redact::{Redactor, Unhidden};
use crate::reference::ReferenceServer;
use crate::report;
use crate::request::PreparedRequest;
use crate::schema::Schemas;
use crate::summary;
use crate::trial::Verdict;
use crate::variant::{self, Kind, Variant};
use crate::verdict::{self, Expect, Problem};

pub use crate::trial::TrialId;

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
    /// Bytes of failure reports handed to libtest-mimic so far, which keeps them to the end.
    kept: std::sync::atomic::AtomicUsize,
}

/// What one case came to.
#[derive(Debug)]
pub struct CaseOutcome {
    pub request: PreparedRequest,
    pub problems: Vec<Problem>,
}

impl CaseOutcome {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn report(&self) -> String {
        report::render(&self.problems, &self.request)
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
        CaseOutcome {
            problems: verdict::judge_answer(self.config.profile, &self.schemas, exchange),
            request,
        }
    }

    /// Sends trial `id`'s request (twice for a repeat) and judges the answers (blocking).
    pub fn run_trial(&self, id: TrialId) -> CaseOutcome {
        let request = self.trial_request(id);
        let sent = self.executor.send_all(&request);
        let exchanges: Vec<&verdict::Exchange> = sent.iter().map(|s| &**s).collect();
        let expect = match id.variant.map(|v| &self.variants[v].kind) {
            None => Expect::Base,
            Some(Kind::Link { body, .. }) => Expect::Link { request: body },
            Some(Kind::Refusal { status, .. }) => Expect::Refusal { status: *status },
        };
        CaseOutcome {
            problems: verdict::judge(self.config.profile, &self.schemas, expect, &exchanges),
            request,
        }
    }

    /// The trial result of `id`, taking the expected-failures file into account.
    pub fn trial_result(&self, id: TrialId) -> Result<Completion, Failed> {
        let outcome = self.run_trial(id);
        let variant = id.variant.map(|v| self.variants[v].name.as_str());
        let result = settle(&outcome, self.expected.entry(&self.cases[id.case], variant))
            .map(|c| self.redactor.completion(c))
            .map_err(|f| self.redactor.failed(f))
            .map_err(|f| self.keep(f));
        let verdict = match &result {
            Ok(Completion::Completed) => Verdict::Pass,
            Ok(_) => Verdict::ExpectedFailure,
            Err(_) => Verdict::Fail,
        };
        // nextest runs each trial as a process of its own and reads a failure's description
        // from standard error, from a line starting "Error: ", for its JUnit <failure> text;
        // it has no expected-failure status, so the reason goes there too.
        if std::env::var_os("NEXTEST").is_some() {
            match &result {
                Err(failed) => eprintln!("Error: {}", failed.message().unwrap_or_default()),
                Ok(Completion::Ignored {
                    reason: Some(reason),
                }) => eprintln!("note: {reason}"),
                Ok(_) => {}
            }
        }
        let first_problem = outcome.problems.first().map(|_| {
            self.redactor
                .redact(report::first_line_of_first_problem(&outcome.report()))
        });
        self.results
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(summary::Result {
                id,
                verdict,
                first_problem,
            });
        result
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
        let heading = self.redactor.redact(&format!(
            "Profile `{}`, target `{}`.",
            self.profile().name(),
            self.base_url
        ));
        let results = self.results.lock().unwrap_or_else(|e| e.into_inner());
        summary::render(&heading, &self.cases, &self.variants, &results)
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
                crate::config::BASE_URL
            } else {
                crate::params::PARAMS
            };
            return Err(SetupError::in_variable(
                variable,
                crate::error::VariableFault::UrlTooLong {
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
    match (outcome.passed(), entry) {
        (true, None) => Ok(Completion::Completed),
        (false, None) => Err(outcome.report().into()),
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
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.iter().any(|a| a == "--version" || a == "-V") {
        println!("createlink-conformance {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    if raw.iter().any(|a| a == "--help" || a == "-h") {
        // Ours first; libtest's options follow, printed by its own parser.
        println!("{}", report::HELP);
    }
    let mut args = Arguments::from_args();
    let mut plan = match Config::from_env().and_then(Plan::load) {
        Ok(plan) => plan,
        Err(e) => return setup_error(&e),
    };
    let named: Vec<(TrialId, String)> = plan
        .trials()
        .into_iter()
        .map(|id| (id, plan.trial_name(id)))
        .collect();
    if args.list {
        // Listing must print nothing but the list (nextest parses it) and start no server.
        let trials = named
            .into_iter()
            .map(|(_, name)| Trial::test(name, || Ok(())))
            .collect();
        return libtest_mimic::run(&args, trials).exit_code();
    }
    // Before any server or client starts: a filter that selects nothing sends nothing.
    let selected = named
        .iter()
        .filter(|(_, name)| !args.is_filtered_out(&Trial::test(name.clone(), || Ok(()))))
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
    if let Some(unhidden) = suite.unhidden_token() {
        eprintln!("{}", unhidden.note());
    }
    eprintln!(
        "createlink conformance: {} paths, {} variant{}, {} trials, profile {}, target {}{}",
        suite.cases.len(),
        suite.variants.len(),
        if suite.variants.len() == 1 { "" } else { "s" },
        named.len(),
        suite.profile().name(),
        suite.redactor.redact(suite.base_url().as_str()),
        if suite.uses_reference_server() {
            " (the built-in reference server: set CREATELINK_BASE_URL to test an implementation)"
        } else {
            ""
        }
    );
    let mut named = named;
    // Trials are handed to the test threads in order: the ones that send more requests go first,
    // so a repeat never starts last and stretches the run by a round trip.
    named.sort_by_key(|(id, _)| {
        std::cmp::Reverse(id.variant.map_or(1, |v| suite.variants[v].requests()))
    });
    let trials: Vec<Trial> = named
        .into_iter()
        .map(|(id, name)| {
            let suite = Arc::clone(&suite);
            Trial::ignorable_test(name, move || suite.trial_result(id))
        })
        .collect();
    // One thread per selected trial, up to the concurrency limit: every request can be in
    // flight at once, and a generated suite of thousands starts no more threads than that.
    args.test_threads = Some(match args.test_threads {
        Some(_) => concurrency,
        None => selected.clamp(1, concurrency),
    });
    let conclusion = libtest_mimic::run(&args, trials);
    write_summary(&suite);
    conclusion.exit_code()
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
