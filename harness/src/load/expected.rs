//! The expected-failures file (`CREATELINK_EXPECTED_FAILURES`): known gaps of an implementation.
//!
//! One entry per line; blank lines and `#` comments are ignored. An entry names
//! - a documented path (`/drives/{drivesId}/root/createLink`): every trial of that path;
//! - a trial (`POST /drives/{drivesId}/root/createLink` or `POST … embed`): that trial only;
//! - a variant (`embed`): that variant on every path.
//!
//! An entry may pin the problems it expects after ` => `, separated by ` | `, each as the digest
//! writes it (`[check] rule`): `POST … embed => [behaviour] link.type is the requested type`.
//! A pinned trial that fails with a problem not pinned fails the run, saying what changed.
//! `--write-baseline FILE` writes such a file for the run's failures (Schemathesis's baseline).
//! A comment is a `#` at the start of a line or after a space; a schema rule's `file#pointer`
//! is no comment.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::load::case::Case;
use crate::load::config::EXPECTED_FAILURES;
use crate::load::error::{SetupError, VariableFault};
use crate::load::variant::Variant;

#[derive(Clone, Debug, Default)]
pub struct ExpectedFailures {
    file: PathBuf,
    /// (line number, what it lists, its pinned problems) of every entry.
    entries: Vec<(usize, Listed, Vec<String>)>,
}

/// What separates an entry from its pinned problems, and one pinned problem from the next.
pub const PIN: &str = " => ";
pub const PIN_SEPARATOR: &str = " | ";

#[derive(Clone, Debug, PartialEq, Eq)]
enum Listed {
    Path(String),
    Trial {
        template: String,
        variant: Option<String>,
    },
    Variant(String),
}

/// Where a listed trial's entry is, for messages: `path/to/file:12`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub file: PathBuf,
    pub line: usize,
    /// The problems the entry expects; empty when it pins none (any failure is expected).
    pub pins: Vec<String>,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

impl ExpectedFailures {
    /// Reads and checks the file: every entry must name a case, a trial or a variant.
    pub fn load(file: &Path, cases: &[Case], variants: &[Variant]) -> Result<Self, SetupError> {
        let text =
            crate::load::files::read_text(file, crate::load::files::CAP).map_err(|error| {
                let fault = VariableFault::Unreadable(file.to_owned(), error);
                SetupError::in_variable(EXPECTED_FAILURES, fault)
            })?;
        Self::parse(file, &text, cases, variants)
    }

    pub fn parse(
        file: &Path,
        text: &str,
        cases: &[Case],
        variants: &[Variant],
    ) -> Result<Self, SetupError> {
        let is_path = |t: &str| cases.iter().any(|c| c.template.as_str() == t);
        let is_variant = |v: &str| variants.iter().any(|x| x.name == v);
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = without_comment(line);
            let (entry, pins) = match line.split_once(PIN.trim()) {
                Some((entry, pins)) => (
                    entry.trim(),
                    pins.split(PIN_SEPARATOR.trim())
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(str::to_owned)
                        .collect(),
                ),
                None => (line.trim(), Vec::new()),
            };
            if entry.is_empty() {
                continue;
            }
            let listed = if let Some(trial) = entry.strip_prefix("POST ") {
                let (template, variant) = match trial.trim().split_once(' ') {
                    Some((t, v)) => (t, Some(v.trim())),
                    None => (trial.trim(), None),
                };
                (is_path(template) && variant.is_none_or(is_variant)).then(|| Listed::Trial {
                    template: template.to_owned(),
                    variant: variant.map(str::to_owned),
                })
            } else if entry.starts_with('/') {
                is_path(entry).then(|| Listed::Path(entry.to_owned()))
            } else {
                is_variant(entry).then(|| Listed::Variant(entry.to_owned()))
            };
            let Some(listed) = listed else {
                // A file given by mistake (a .env file) must not have its secrets echoed.
                let entry = (!entry.contains('=')).then(|| entry.to_owned());
                let fault = VariableFault::NamesNoTrial(file.to_owned(), i + 1, entry);
                return Err(SetupError::in_variable(EXPECTED_FAILURES, fault));
            };
            entries.push((i + 1, listed, pins));
        }
        Ok(ExpectedFailures {
            file: file.to_owned(),
            entries,
        })
    }

    /// The entry that lists the trial of `case` with `variant` (`None`: the base trial), if any.
    pub fn entry(&self, case: &Case, variant: Option<&str>) -> Option<Entry> {
        let template = case.template.as_str();
        self.entries
            .iter()
            .find(|(_, listed, _)| match listed {
                Listed::Path(t) => t == template,
                Listed::Trial {
                    template: t,
                    variant: v,
                } => t == template && v.as_deref() == variant,
                Listed::Variant(v) => Some(v.as_str()) == variant,
            })
            .map(|(line, _, pins)| Entry {
                file: self.file.clone(),
                line: *line,
                pins: pins.clone(),
            })
    }
}

/// The line without its comment: from a `#` at the start or after whitespace.
fn without_comment(line: &str) -> &str {
    let mut previous = ' ';
    for (at, c) in line.char_indices() {
        if c == '#' && previous.is_whitespace() {
            return &line[..at];
        }
        previous = c;
    }
    line
}

/// One baseline line: the trial, and the problems it had, pinned.
pub fn baseline_line(trial: &str, pins: &[String]) -> String {
    if pins.is_empty() {
        trial.to_owned()
    } else {
        format!("{trial}{PIN}{}", pins.join(PIN_SEPARATOR))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_inside_a_word_is_no_comment() {
        assert_eq!(without_comment("# all"), "");
        assert_eq!(without_comment("embed # why"), "embed ");
        assert_eq!(
            without_comment("x => [schema] /a breaks schemas/a.json#/b"),
            "x => [schema] /a breaks schemas/a.json#/b"
        );
    }
}
