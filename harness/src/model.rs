//! Data types and pure rules, below every stage: the profiles and services, the token and its
//! redaction, path templates, media types, date-times, bounded JSON text, value counts,
//! duplicate member names, trial ids, inert text, sharing URLs. No I/O.

mod cursor;
pub mod datetime;
pub mod duplicate_members;
pub mod inert;
pub mod json_count;
pub mod json_text;
pub mod media_type;
pub mod profile;
pub mod redact;
pub mod service;
pub mod sharing_url;
pub mod template;
pub mod token;
pub mod trial;
