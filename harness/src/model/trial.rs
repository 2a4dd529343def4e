//! A trial: one documented path with its case's own request (the base trial) or a variant's.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TrialId {
    /// Index into the loaded cases.
    pub case: usize,
    /// Index into the loaded variants; `None` for the base trial.
    pub variant: Option<usize>,
}

/// How a trial ended, after the expected-failures file is taken into account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// Failed, and listed as an expected failure.
    ExpectedFailure,
    /// Not sent: the run's service lacks what the trial asks (`CREATELINK_SERVICE`).
    NotOffered,
    /// Neither passed nor failed: it needed a link of its own and got an existing one.
    Inconclusive,
}
