//! A conformance harness for Microsoft Graph's `createLink` action (beta).
//!
//! The folders are the stages of a run, bottom-up; each imports only from the ones below it
//! (`python3 .ci/module-cycles` checks, by stage and by module):
//!
//! 1. [`model`]: data types and pure rules shared by every stage (profiles, services, the token
//!    and its redaction, path templates, trial ids, bounded JSON text);
//! 2. [`load`]: `CREATELINK_*` variables → [`load::config::Config`]; cases, variants, schemas,
//!    expected failures → the plan; the one setup error ([`load::error`]);
//! 3. [`verdict`]: a pure function of the request and the answers → [`verdict::Problem`]s
//!    ([`verdict::judge`], with [`verdict::behaviour`] and the schemas);
//! 4. [`exchange`]: the trial's request ([`exchange::request::PreparedRequest`]), sent within
//!    the deadline and memory budget ([`exchange::client`]) → [`verdict::Exchange`]; throttling,
//!    the schedule, the links the run made;
//! 5. [`report`]: the problems as text, redacted; the summary and the digest.
//!
//! Beside them, the reference server ([`reference`](mod@reference)), and on top the two programs:
//! the suite ([`suite`], with its command line in [`options`]), which strings the stages
//! together, and [`serve`], the reference server as a program.
//!
//! Adding a check touches one verdict module, one fixture and one golden report: a behaviour
//! rule is a [`verdict::behaviour::Rule`] with its test and its words (statement, source, why)
//! in `verdict/behaviour.rs`; a shape rule is a line of `schemas/`, which needs no code at all.
//! Then `tests/verdicts/<name>.json` gives an answer that breaks it, and
//! `CREATELINK_GOLDEN=overwrite cargo test --test verdicts` writes `<name>.txt` for review.

pub mod exchange;
pub mod load;
pub mod model;
pub mod options;
pub mod reference;
pub mod report;
pub mod serve;
pub mod suite;
pub mod verdict;
