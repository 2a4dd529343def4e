//! The Markdown summary of a run, for people: one row per documented path, one column per
//! trial kind (the base trial, then each variant), then the first problems. GitHub shows what
//! a job appends to `$GITHUB_STEP_SUMMARY` on the job's page.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::exchange::links::Ledger;
use crate::load::case::Case;
use crate::load::variant::Variant;
use crate::model::trial::{TrialId, Verdict};

/// First problems listed under the table at most; the JUnit file and the log have them all.
const LISTED: usize = 20;

/// One trial's result: its verdict and, when it failed, its first problem's summary line.
pub struct Result {
    pub id: TrialId,
    pub verdict: Verdict,
    pub first_problem: Option<String>,
    /// Each of its problems once, as the digest counts them.
    pub kinds: Vec<String>,
    /// Each of its problems once, as an expected-failures line pins them.
    pub pins: Vec<String>,
    /// The other profile, when the trial's base answer has that profile's shape.
    pub hint: Option<crate::model::profile::Profile>,
    /// An answer was `404 Not Found` where a link or a refusal was expected.
    pub not_found: bool,
}

/// The summary as Markdown. `heading` says what ran (profile and target).
pub fn render(heading: &str, cases: &[Case], variants: &[Variant], results: &[Result]) -> String {
    let by_id: BTreeMap<TrialId, &Result> = results.iter().map(|r| (r.id, r)).collect();
    let count = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    let mut out = String::new();
    let not_offered = match count(Verdict::NotOffered) {
        0 => String::new(),
        n => format!(", {n} not sent (not on this service)"),
    };
    let _ = writeln!(
        out,
        "## createLink conformance: {} passed, {} failed, {} expected failures, {} \
         inconclusive{not_offered}\n\n{heading}\n",
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::ExpectedFailure),
        count(Verdict::Inconclusive)
    );
    out.push_str("| path | base |");
    for v in variants {
        let _ = write!(out, " {} |", v.name);
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(variants.len()));
    out.push('\n');
    for (case, c) in cases.iter().enumerate() {
        let _ = write!(out, "| `{}` |", c.template);
        for variant in std::iter::once(None).chain((0..variants.len()).map(Some)) {
            let cell = match by_id.get(&TrialId { case, variant }).map(|r| r.verdict) {
                Some(Verdict::Pass) => "pass",
                Some(Verdict::Fail) => "**fail**",
                Some(Verdict::ExpectedFailure) => "expected failure",
                Some(Verdict::NotOffered) => "not on this service",
                Some(Verdict::Inconclusive) => "inconclusive",
                None => "not run",
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    // Real failures first, then known gaps, then inconclusive trials, as the digest on stderr; each in the table's
    // order, whatever order the trials ended in.
    let failed: Vec<&Result> = [
        Verdict::Fail,
        Verdict::ExpectedFailure,
        Verdict::Inconclusive,
    ]
    .into_iter()
    .flat_map(|v| by_id.values().copied().filter(move |r| r.verdict == v))
    .collect();
    if !failed.is_empty() {
        out.push_str("\n### First problems\n\n");
        for r in failed.iter().take(LISTED) {
            let name = trial_name(cases, variants, r.id);
            let problem = r.first_problem.as_deref().unwrap_or("(no report)");
            let listed = match r.verdict {
                Verdict::ExpectedFailure => " (expected failure)",
                Verdict::Inconclusive => " (inconclusive)",
                _ => "",
            };
            let _ = writeln!(out, "- `{name}`{listed}: {}", escape(problem));
        }
        if failed.len() > LISTED {
            let _ = writeln!(out, "- … and {} more", failed.len() - LISTED);
        }
    }
    out
}

/// The run's links and retries: how many links were deleted, each one left behind (item path
/// and id, and why), and how many throttled answers were retried.
pub fn links(ledger: &Ledger) -> String {
    format!("\n### Links\n\n{}", links_text(ledger))
}

/// [`links`] as the end of the run's output on stderr says it, without the Markdown heading.
pub fn links_line(ledger: &Ledger) -> String {
    format!("createlink conformance: {}", links_text(ledger))
}

fn links_text(ledger: &Ledger) -> String {
    let mut left = ledger.left.clone();
    left.sort();
    left.dedup();
    let mut out = format!(
        "{} link{} the run created deleted, {} left behind; {} throttled answer{} retried.\n",
        ledger.deleted,
        if ledger.deleted == 1 { "" } else { "s" },
        left.len(),
        ledger.retries,
        if ledger.retries == 1 { "" } else { "s" },
    );
    for l in &left {
        let _ = writeln!(
            out,
            "- `{}/permissions/{}`: {}",
            l.item.replace('`', "%60"),
            l.id.replace('`', "%60"),
            escape(&l.why)
        );
    }
    out
}

/// `POST <template>`, then the variant's name for a variant trial.
pub fn trial_name(cases: &[Case], variants: &[Variant], id: TrialId) -> String {
    let base = cases[id.case].name();
    match id.variant {
        None => base,
        Some(v) => format!("{base} {}", variants[v].name),
    }
}

/// Report text as Markdown text: one line (`inert`), no table pipes, no HTML, no emphasis.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in crate::model::inert::escape(text).chars() {
        if matches!(c, '|' | '<' | '>' | '*' | '_' | '`' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
