//! A conformance harness for Microsoft Graph's `createLink` action (beta).
//!
//! The lifecycle of a run, one module a step ([`suite::main`] strings them together):
//!
//! 1. configuration: `CREATELINK_*` variables → [`config::Config`];
//! 2. plan: cases, variants, schemas, expected failures → [`suite::Plan`];
//! 3. trials: each path's base trial and its variants → [`trial::TrialId`], run by libtest-mimic;
//! 4. request: the trial's URL, headers and body → [`request::PreparedRequest`];
//! 5. exchange: sent within the deadline and memory budget → [`verdict::Exchange`] ([`client`]);
//! 6. verdict: a pure function of the request and the answers → [`verdict::Problem`]s
//!    ([`verdict::judge`], with [`behaviour`] and [`schema`]);
//! 7. report: the problems as text, redacted → [`report`], [`redact`], [`summary`].
//!
//! Modules, bottom-up: leaves hold data types and pure rules ([`profile`], [`service`], [`token`],
//! [`template`], [`media_type`], [`datetime`], [`json_text`], [`json_count`],
//! [`duplicate_members`], [`files`], [`inert`], [`budget`], [`limits`], [`trial`], [`schedule`],
//! [`links`], [`sharing_url`]); above them loading ([`folder`], [`config`], [`params`],
//! [`schema`], [`case`], [`variant`], [`expected`]), the verdict ([`behaviour`], [`verdict`]),
//! the request and the client ([`request`], [`retry`], [`client`], [`item_lock`]), the reference server ([`reference`](mod@reference),
//! [`serve`]), the words ([`report`], [`redact`], [`summary`]), and the suite loop on top
//! ([`suite`]). `python3 .ci/module-cycles` shows that no module imports upward.
//!
//! Adding a check touches one verdict module, one fixture and one golden report: a behaviour
//! rule is a [`behaviour::Rule`] with its test and its words (statement, source, why) in
//! `behaviour.rs`; a shape rule is a line of `schemas/`, which needs no code at all. Then
//! `tests/verdicts/<name>.json` gives an answer that breaks it, and
//! `CREATELINK_GOLDEN=overwrite cargo test --test verdicts` writes `<name>.txt` for review.

pub mod behaviour;
pub mod budget;
pub mod case;
pub mod client;
pub mod config;
mod cursor;
pub mod datetime;
pub mod digest;
pub mod duplicate_members;
pub mod error;
pub mod expected;
pub mod files;
pub mod folder;
pub mod inert;
pub mod item_lock;
pub mod json_count;
pub mod json_text;
pub mod limits;
pub mod links;
pub mod media_type;
pub mod options;
pub mod params;
pub mod profile;
pub mod redact;
pub mod reference;
pub mod report;
pub mod request;
pub mod retry;
pub mod schedule;
pub mod schema;
pub mod serve;
pub mod service;
pub mod sharing_url;
pub mod suite;
pub mod summary;
pub mod template;
pub mod token;
pub mod trial;
pub mod unpadded;
pub mod variant;
pub mod verdict;
