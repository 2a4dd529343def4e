//! A conformance harness for Microsoft Graph's `createLink` action (beta).
//!
//! The interesting part is [`check::judge`], a pure function from a trial's answers to its problems
//! (the behaviour rules are in [`behaviour`]);
//! the rest loads data ([`config`], [`case`], [`schema`]), sends requests ([`request`],
//! [`runner`]), serves a reference implementation ([`reference`]) and reports ([`report`]).

pub mod behaviour;
pub mod budget;
pub mod case;
pub mod check;
pub mod config;
mod cursor;
pub mod datetime;
pub mod duplicate_members;
pub mod expected;
pub mod files;
pub mod folder;
pub mod json_text;
pub mod limits;
pub mod media_type;
pub mod profile;
pub mod redact;
pub mod reference;
pub mod report;
pub mod request;
pub mod runner;
pub mod schema;
pub mod serve;
pub mod suite;
pub mod summary;
pub mod template;
pub mod token;
pub mod trial;
pub mod variant;
