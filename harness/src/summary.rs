//! The Markdown summary of a run, for people: one row per documented path, one column per
//! trial kind (the base trial, then each variant), then the first problems. GitHub shows what
//! a job appends to `$GITHUB_STEP_SUMMARY` on the job's page.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::case::Case;
use crate::trial::{TrialId, Verdict};
use crate::variant::Variant;

/// First problems listed under the table at most; the JUnit file and the log have them all.
const LISTED: usize = 20;

/// One trial's result: its verdict and, when it failed, its first problem's summary line.
pub struct Result {
    pub id: TrialId,
    pub verdict: Verdict,
    pub first_problem: Option<String>,
}

/// The summary as Markdown. `heading` says what ran (profile and target).
pub fn render(heading: &str, cases: &[Case], variants: &[Variant], results: &[Result]) -> String {
    let by_id: BTreeMap<TrialId, &Result> = results.iter().map(|r| (r.id, r)).collect();
    let count = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## createLink conformance: {} passed, {} failed, {} expected failures\n\n{heading}\n",
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::ExpectedFailure)
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
                None => "not run",
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    // In the table's order, whatever order the trials ended in.
    let failed: Vec<&Result> = by_id
        .values()
        .copied()
        .filter(|r| r.verdict != Verdict::Pass)
        .collect();
    if !failed.is_empty() {
        out.push_str("\n### First problems\n\n");
        for r in failed.iter().take(LISTED) {
            let name = trial_name(cases, variants, r.id);
            let problem = r.first_problem.as_deref().unwrap_or("(no report)");
            let listed = if r.verdict == Verdict::ExpectedFailure {
                " (expected failure)"
            } else {
                ""
            };
            let _ = writeln!(out, "- `{name}`{listed}: {}", escape(problem));
        }
        if failed.len() > LISTED {
            let _ = writeln!(out, "- … and {} more", failed.len() - LISTED);
        }
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
    for c in crate::inert::escape(text).chars() {
        if matches!(c, '|' | '<' | '>' | '*' | '_' | '`' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
