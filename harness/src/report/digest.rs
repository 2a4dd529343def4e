//! The end-of-run digest: each distinct problem once, with how many trials have it and a few
//! of their names, so one cause reads as one line rather than fifty reports. Real failures come
//! first, then known gaps (listed expected failures), then inconclusive trials; the Markdown
//! summary keeps that order.

use std::fmt::Write as _;

use crate::model::trial::Verdict;

/// Trial names shown under each problem at most.
const NAMES: usize = 3;
/// Distinct problems listed per group at most; the reports above have the rest.
const LISTED: usize = 20;

/// One trial that did not pass: its name, its verdict and the digest lines of its problems
/// ([`crate::report::digest_line`]), each once.
pub struct Entry<'a> {
    pub name: &'a str,
    pub verdict: Verdict,
    pub kinds: &'a [String],
}

/// The digest, or `None` when every trial passed. `hint` is a line to end with (the profile
/// hint, the "404 everywhere" hint).
pub fn render(entries: &[Entry<'_>], hints: &[String]) -> Option<String> {
    if entries.is_empty() && hints.is_empty() {
        return None;
    }
    let mut out = String::from(
        "\ncreatelink conformance: digest (each problem once; a trial may have several)\n",
    );
    for (verdict, heading) in [
        (Verdict::Fail, "failed"),
        (
            Verdict::ExpectedFailure,
            "known gaps (listed expected failures)",
        ),
        (
            Verdict::Inconclusive,
            "inconclusive (neither passed nor failed)",
        ),
    ] {
        let group: Vec<&Entry<'_>> = entries.iter().filter(|e| e.verdict == verdict).collect();
        if group.is_empty() {
            continue;
        }
        let trials = group.len();
        let _ = writeln!(
            out,
            "{heading}: {trials} trial{}",
            if trials == 1 { "" } else { "s" }
        );
        let kinds = grouped(&group);
        for (kind, names) in kinds.iter().take(LISTED) {
            let n = names.len();
            let _ = writeln!(out, "  {n:>4} × {kind}");
            for name in names.iter().take(NAMES) {
                let _ = writeln!(out, "         {name}");
            }
            if n > NAMES {
                let _ = writeln!(out, "         … and {} more", n - NAMES);
            }
        }
        if kinds.len() > LISTED {
            let _ = writeln!(
                out,
                "         … and {} more distinct problems",
                kinds.len() - LISTED
            );
        }
    }
    for hint in hints {
        let _ = writeln!(out, "hint: {hint}");
    }
    Some(out)
}

/// Each distinct problem with the names of the trials that have it, most trials first, then
/// in the order first met (trial order), so the same run gives the same digest.
fn grouped<'a>(group: &[&Entry<'a>]) -> Vec<(&'a str, Vec<&'a str>)> {
    let mut kinds: Vec<(&'a str, Vec<&'a str>)> = Vec::new();
    for entry in group {
        for kind in entry.kinds {
            match kinds.iter_mut().find(|(k, _)| *k == kind.as_str()) {
                Some((_, names)) => names.push(entry.name),
                None => kinds.push((kind.as_str(), vec![entry.name])),
            }
        }
    }
    // A stable sort keeps the first-met order among equal counts.
    kinds.sort_by_key(|(_, names)| std::cmp::Reverse(names.len()));
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_come_before_known_gaps_and_each_problem_is_counted_once() {
        let status = vec!["[status] expected 200 OK, got 201 Created".to_owned()];
        let both = vec![status[0].clone(), "[schema] /value is absent".to_owned()];
        let entries = [
            Entry {
                name: "POST /b",
                verdict: Verdict::ExpectedFailure,
                kinds: &status,
            },
            Entry {
                name: "POST /a",
                verdict: Verdict::Fail,
                kinds: &both,
            },
            Entry {
                name: "POST /c",
                verdict: Verdict::Fail,
                kinds: &status,
            },
            Entry {
                name: "POST /d",
                verdict: Verdict::Fail,
                kinds: &status,
            },
            Entry {
                name: "POST /e",
                verdict: Verdict::Fail,
                kinds: &status,
            },
        ];
        let text = render(&entries, &["one hint".to_owned()]).unwrap();
        let failed = text.find("failed: 4 trials").unwrap();
        let gaps = text
            .find("known gaps (listed expected failures): 1 trial")
            .unwrap();
        assert!(failed < gaps, "{text}");
        assert!(
            text.contains(
                "     4 × [status] expected 200 OK, got 201 Created\n         POST /a\n         \
                 POST /c\n         POST /d\n         … and 1 more\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("     1 × [schema] /value is absent\n         POST /a\n"),
            "{text}"
        );
        assert!(text.ends_with("hint: one hint\n"), "{text}");
    }

    #[test]
    fn nothing_to_say_is_no_digest() {
        assert!(render(&[], &[]).is_none());
    }
}
