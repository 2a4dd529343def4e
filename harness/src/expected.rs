//! The expected-failures file (`CREATELINK_EXPECTED_FAILURES`): known gaps of an implementation.
//!
//! One test name (`POST /drives/{drivesId}/root/createLink`) or documented template
//! (`/drives/{drivesId}/root/createLink`) per line; blank lines and `#` comments are ignored.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::case::Case;
use crate::config::EXPECTED_FAILURES;

#[derive(Clone, Debug, Default)]
pub struct ExpectedFailures {
    file: PathBuf,
    /// (line number, template) of every entry.
    entries: Vec<(usize, String)>,
}

/// Where a listed case's entry is, for messages: `path/to/file:12`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub file: PathBuf,
    pub line: usize,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

impl ExpectedFailures {
    /// Reads and checks the file: every entry must name one of `cases`.
    pub fn load(file: &Path, cases: &[Case]) -> Result<Self, String> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("{EXPECTED_FAILURES}: cannot read {}: {e}", file.display()))?;
        Self::parse(file, &text, cases)
    }

    pub fn parse(file: &Path, text: &str, cases: &[Case]) -> Result<Self, String> {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let entry = line
                .split_once('#')
                .map_or(line, |(before, _)| before)
                .trim();
            if entry.is_empty() {
                continue;
            }
            let template = entry.strip_prefix("POST ").map_or(entry, str::trim);
            if !cases.iter().any(|c| c.template.as_str() == template) {
                return Err(format!(
                    "{EXPECTED_FAILURES}: {}:{}: {entry:?} names no case; write a test name such \
                     as \"POST /drives/{{drivesId}}/root/createLink\" or its path template",
                    file.display(),
                    i + 1
                ));
            }
            entries.push((i + 1, template.to_owned()));
        }
        Ok(ExpectedFailures {
            file: file.to_owned(),
            entries,
        })
    }

    /// The entry that lists `case`, if any.
    pub fn entry(&self, case: &Case) -> Option<Entry> {
        self.entries
            .iter()
            .find(|(_, t)| t == case.template.as_str())
            .map(|(line, _)| Entry {
                file: self.file.clone(),
                line: *line,
            })
    }
}
