//! The JSON Schemas of `schemas/`, compiled once per run.
//!
//! Every file carries an `$id` under [`BASE`]; the files reference each other by relative `$ref`
//! and are resolved through one in-memory registry, so nothing is ever fetched.

use std::fmt;
use std::path::{Path, PathBuf};

use jsonschema::Validator;
use serde_json::Value;

use crate::config::Profile;

/// The `$id` prefix of every schema. The `.invalid` top-level domain cannot resolve (RFC 6761),
/// which makes plain that these URIs name files of `schemas/` and are never fetched.
pub const BASE: &str = "https://createlink-conformance.invalid/schemas/";

const ENVELOPE: &str = "envelope.json";
const PERMISSION: &str = "permission.json";
const REQUEST: &str = "request.json";

/// Values longer than this are cut in reports, so no line of JSON is thousands of characters.
const VALUE_LIMIT: usize = 200;

pub struct Schemas {
    envelope: Validator,
    permission: Validator,
    request: Validator,
}

/// One schema rule that a value breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer of the offending value in the body (`""` is the whole body).
    pub pointer: String,
    /// The offending value, compact JSON, cut at about 200 characters.
    pub value: String,
    /// The schema's reason.
    pub reason: String,
    /// Where the rule lives: `schemas/<file>#<pointer>`.
    pub rule: String,
}

#[derive(Debug)]
pub struct SchemaError {
    pub file: PathBuf,
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

impl std::error::Error for SchemaError {}

impl Schemas {
    /// Loads every `*.json` of `dir` into one registry and compiles the three entry points.
    pub fn load(dir: &Path) -> Result<Self, SchemaError> {
        let err = |file: &Path, message: String| SchemaError {
            file: file.to_owned(),
            message,
        };
        let entries = std::fs::read_dir(dir).map_err(|e| err(dir, format!("cannot read: {e}")))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        let mut resources: Vec<(String, Value)> = Vec::with_capacity(files.len());
        for file in &files {
            let text = std::fs::read_to_string(file)
                .map_err(|e| err(file, format!("cannot read: {e}")))?;
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| err(file, format!("not valid JSON: {e}")))?;
            let name = file.file_name().unwrap_or_default().to_string_lossy();
            let expected_id = format!("{BASE}{name}");
            if value.get("$id").and_then(Value::as_str) != Some(expected_id.as_str()) {
                return Err(err(file, format!("\"$id\" must be {expected_id:?}")));
            }
            resources.push((expected_id, value));
        }
        let root = |name: &str| -> Result<Value, SchemaError> {
            resources
                .iter()
                .find(|(id, _)| id.ends_with(name) && id.len() == BASE.len() + name.len())
                .map(|(_, v)| v.clone())
                .ok_or_else(|| err(&dir.join(name), "missing".to_owned()))
        };
        let (envelope, permission, request) = (root(ENVELOPE)?, root(PERMISSION)?, root(REQUEST)?);
        let registry = jsonschema::Registry::new()
            .extend(resources)
            .and_then(|b| b.prepare())
            .map_err(|e| err(dir, format!("cannot build the schema registry: {e}")))?;
        let compile = |name: &str, schema: &Value| -> Result<Validator, SchemaError> {
            jsonschema::draft202012::options()
                // Draft 2020-12 treats "format" as an annotation unless asked to assert it.
                .should_validate_formats(true)
                .with_registry(&registry)
                .build(schema)
                .map_err(|e| err(&dir.join(name), format!("invalid schema: {e}")))
        };
        Ok(Schemas {
            envelope: compile(ENVELOPE, &envelope)?,
            permission: compile(PERMISSION, &permission)?,
            request: compile(REQUEST, &request)?,
        })
    }

    /// The response body's violations under `profile`, sorted by JSON pointer.
    pub fn check_response(&self, profile: Profile, body: &Value) -> Vec<Violation> {
        let validator = match profile {
            Profile::Documented => &self.envelope,
            Profile::Graph => &self.permission,
        };
        violations(validator, body)
    }

    /// A createLink request body's violations.
    pub fn check_request(&self, body: &Value) -> Vec<Violation> {
        violations(&self.request, body)
    }
}

fn violations(validator: &Validator, instance: &Value) -> Vec<Violation> {
    let mut out: Vec<Violation> = validator
        .iter_errors(instance)
        .map(|e| Violation {
            pointer: e.instance_path().as_str().to_owned(),
            value: crate::json_text::compact(e.instance(), VALUE_LIMIT),
            reason: reason(&e),
            rule: rule_location(
                e.absolute_keyword_location().map(|u| u.as_str()),
                e.schema_path().as_str(),
            ),
        })
        .collect();
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    out.dedup();
    out
}

/// The schema's reason. jsonschema's message starts with the offending value, which reports show
/// on a line of its own; a long value would push the reason itself past the cut, so it is then
/// left out of the message.
fn reason(e: &jsonschema::ValidationError<'_>) -> String {
    // The message quotes the whole value: only format it when it is short.
    let full = (crate::json_text::length(e.instance()) <= VALUE_LIMIT).then(|| e.to_string());
    if let Some(full) = full.filter(|f| f.chars().count() <= VALUE_LIMIT) {
        full
    } else {
        cut(&e.masked_with("the value").to_string(), VALUE_LIMIT)
    }
}

/// `https://createlink-conformance.invalid/schemas/sharingLink.json#/properties/type/type`
/// becomes `schemas/sharingLink.json#/properties/type/type`.
fn rule_location(absolute: Option<&str>, schema_path: &str) -> String {
    match absolute {
        Some(uri) => match uri.strip_prefix(BASE) {
            Some(rest) => format!("schemas/{rest}"),
            None => uri.to_owned(),
        },
        None => format!("#{schema_path}"),
    }
}

/// Cuts `text` to about `limit` characters, on a character boundary.
pub fn cut(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        None => text.to_owned(),
        Some((at, _)) => format!("{}… ({} bytes in all)", &text[..at], text.len()),
    }
}
