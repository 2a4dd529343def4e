//! The JSON Schemas of `schemas/`, compiled once per run.
//!
//! Every file carries an `$id` under [`BASE`]; the files reference each other by relative `$ref`
//! and are resolved through one in-memory registry, so nothing is ever fetched.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use crate::load::error::{FileFault, SchemaFault, SetupError};
use crate::load::folder::Folder;
use crate::model::datetime::DateTimeOffset;
use crate::model::json_text::{self, cut};
use crate::model::profile::Profile;

/// The `$id` prefix of every schema. The `.invalid` top-level domain cannot resolve (RFC 6761),
/// which makes plain that these URIs name files of `schemas/` and are never fetched.
pub const BASE: &str = "https://createlink-conformance.invalid/schemas/";

/// The `format` of every date-time in `schemas/`: Graph's metadata declares them
/// `Edm.DateTimeOffset`, which the OData ABNF allows without seconds (`2027-06-30T23:59Z`) and
/// JSON Schema's RFC 3339 `date-time` does not. Checked by [`DateTimeOffset::parse`].
pub const DATE_TIME_FORMAT: &str = "edm-date-time-offset";

/// The `format` that holds for a type name in the `microsoft.graph` namespace that
/// `graphTypes.json` does not list in `knownTypes`: such an `@odata.type` passes, since the
/// service adds types over time.
pub const UNKNOWN_TYPE_FORMAT: &str = "graph-type-unknown";

/// The file whose `knownTypes` lists every type name Graph's metadata knows.
const GRAPH_TYPES: &str = "graphTypes.json";

const ENVELOPE: &str = "envelope.json";
const PERMISSION: &str = "permission.json";
const REQUEST: &str = "request.json";

/// Values longer than this are cut in reports, so no line of JSON is thousands of characters.
const VALUE_LIMIT: usize = 200;

/// Pointers longer than this are cut: a deep body with long names has pointers of megabytes.
pub const POINTER_LIMIT: usize = 400;

/// The most violations kept of one document; the rest are only counted. A body of a million
/// wrongly typed values would otherwise keep a million reports' worth of text.
pub const MAX_KEPT: usize = 20;

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

impl Schemas {
    /// Loads every `*.json` of `dir` into one registry and compiles the three entry points.
    pub fn load(dir: &Path) -> Result<Self, SetupError> {
        Self::from_folder(&Folder::Disk(dir.to_owned()))
    }

    /// Loads every `*.json` of `folder` into one registry and compiles the three entry points.
    pub fn from_folder(folder: &Folder) -> Result<Self, SetupError> {
        let dir = folder.shown();
        let dir = dir.as_path();
        let entries = folder
            .json_entries()
            .map_err(|e| SetupError::in_file(dir, SchemaFault::FolderUnreadable(e)))?;
        let mut resources: Vec<(String, Value)> = Vec::with_capacity(entries.len());
        for entry in entries {
            let file = &entry.file;
            let text = entry
                .text
                .map_err(|e| SetupError::in_file(file, FileFault::Unreadable(e)))?;
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| SetupError::in_file(file, FileFault::NotJson(e)))?;
            let name = file.file_name().unwrap_or_default().to_string_lossy();
            let expected = format!("{BASE}{name}");
            if value.get("$id").and_then(Value::as_str) != Some(expected.as_str()) {
                return Err(SetupError::in_file(file, SchemaFault::WrongId(expected)));
            }
            resources.push((expected, value));
        }
        let root = |name: &str| -> Result<Value, SetupError> {
            resources
                .iter()
                .find(|(id, _)| id.ends_with(name) && id.len() == BASE.len() + name.len())
                .map(|(_, v)| v.clone())
                .ok_or_else(|| SetupError::in_file(&dir.join(name), SchemaFault::Missing))
        };
        let (envelope, permission, request) = (root(ENVELOPE)?, root(PERMISSION)?, root(REQUEST)?);
        let known = known_types(&resources)
            .ok_or_else(|| SetupError::in_file(&dir.join(GRAPH_TYPES), SchemaFault::KnownTypes))?;
        let registry = jsonschema::Registry::new()
            .extend(resources)
            .and_then(|b| b.prepare())
            .map_err(|e| SetupError::in_file(dir, SchemaFault::Registry(Box::new(e))))?;
        let compile = |name: &str, schema: &Value| -> Result<Validator, SetupError> {
            let known = Arc::clone(&known);
            jsonschema::draft202012::options()
                // Draft 2020-12 treats "format" as an annotation unless asked to assert it.
                .should_validate_formats(true)
                .with_format(DATE_TIME_FORMAT, |text| DateTimeOffset::parse(text).is_ok())
                .with_format(UNKNOWN_TYPE_FORMAT, move |text| {
                    !known.contains(text.strip_prefix('#').unwrap_or(text))
                })
                // A misspelt format would otherwise check nothing, silently.
                .should_ignore_unknown_formats(false)
                .with_registry(&registry)
                .build(schema)
                .map_err(|e| {
                    SetupError::in_file(&dir.join(name), SchemaFault::Invalid(Box::new(e)))
                })
        };
        Ok(Schemas {
            envelope: compile(ENVELOPE, &envelope)?,
            permission: compile(PERMISSION, &permission)?,
            request: compile(REQUEST, &request)?,
        })
    }

    /// The response body's violations under `profile`, sorted by JSON pointer: at most
    /// [`MAX_KEPT`] of them.
    pub fn check_response(&self, profile: Profile, body: &Value) -> Vec<Violation> {
        self.count_response(profile, body).0
    }

    /// [`Schemas::check_response`], and how many more violations there are past those kept.
    pub fn count_response(&self, profile: Profile, body: &Value) -> (Vec<Violation>, usize) {
        let validator = match profile {
            Profile::Documented => &self.envelope,
            Profile::Graph => &self.permission,
        };
        violations(validator, body)
    }

    /// A createLink request body's violations: at most [`MAX_KEPT`] of them.
    pub fn check_request(&self, body: &Value) -> Vec<Violation> {
        violations(&self.request, body).0
    }
}

/// The names `graphTypes.json` lists in `knownTypes`; none when the folder has no such file, and
/// `None` when the list is not an array of strings.
fn known_types(resources: &[(String, Value)]) -> Option<Arc<HashSet<String>>> {
    let file = resources
        .iter()
        .find(|(id, _)| id.strip_prefix(BASE) == Some(GRAPH_TYPES));
    let Some((_, file)) = file else {
        return Some(Arc::default());
    };
    let names = file.get("knownTypes")?.as_array()?;
    let names: Option<HashSet<String>> = names
        .iter()
        .map(|n| n.as_str().map(str::to_owned))
        .collect();
    names.map(Arc::new)
}

/// The first [`MAX_KEPT`] violations in the validator's order, sorted by pointer, and how many
/// more there are (counted, never built).
fn violations(validator: &Validator, instance: &Value) -> (Vec<Violation>, usize) {
    let mut errors = validator.iter_errors(instance);
    let mut out: Vec<Violation> = errors
        .by_ref()
        .take(MAX_KEPT)
        .map(|e| Violation {
            pointer: cut(e.instance_path().as_str(), POINTER_LIMIT),
            value: crate::model::json_text::compact(e.instance(), VALUE_LIMIT),
            reason: reason(&e),
            rule: rule_location(
                e.absolute_keyword_location().map(|u| u.as_str()),
                e.schema_path().as_str(),
            ),
        })
        .collect();
    let more = errors.count();
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    out.dedup();
    (out, more)
}

/// The schema's reason. jsonschema's message starts with the offending value, which reports show
/// on a line of its own; a long value would push the reason itself past the cut, so it is then
/// left out of the message. Two reasons are the harness's own: an enum lists every allowed value
/// (jsonschema shows three and "or N other candidates"), and a date-time says what is wrong.
fn reason(e: &ValidationError<'_>) -> String {
    match e.kind() {
        ValidationErrorKind::Enum { options } => {
            format!("{} is not one of {}", subject(e), listed(options))
        }
        ValidationErrorKind::Format { format } if format == DATE_TIME_FORMAT => {
            let why = match e.instance().as_str().map(DateTimeOffset::parse) {
                Some(Err(why)) => why,
                _ => "not a string".to_owned(),
            };
            format!(
                "{} is not an Edm.DateTimeOffset (OData ABNF dateTimeOffsetValue): {why}",
                subject(e)
            )
        }
        _ => {
            // The message quotes the whole value: only format it when it is short.
            let full = (json_text::length(e.instance()) <= VALUE_LIMIT).then(|| e.to_string());
            match full.filter(|f| f.chars().count() <= VALUE_LIMIT) {
                Some(full) => full,
                None => cut(&e.masked_with("the value").to_string(), VALUE_LIMIT),
            }
        }
    }
}

/// The offending value as the start of a reason, or "the value" when it is too long to lead one.
fn subject(e: &ValidationError<'_>) -> String {
    if json_text::length(e.instance()) <= VALUE_LIMIT / 2 {
        e.instance().to_string()
    } else {
        "the value".to_owned()
    }
}

/// `"a", "b" or "c"`: every option, however many.
fn listed(options: &Value) -> String {
    let all: Vec<String> = match options {
        Value::Array(items) => items.iter().map(Value::to_string).collect(),
        other => vec![other.to_string()],
    };
    match all.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => all.concat(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder of the three entry points, the request's date-time in `format`.
    fn schemas_with_date_time_format(format: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("createlink-schema-{}-{format}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, schema) in [
            (ENVELOPE, serde_json::json!({})),
            (PERMISSION, serde_json::json!({})),
            (
                REQUEST,
                serde_json::json!({"properties": {"expirationDateTime": {"format": format}}}),
            ),
        ] {
            let mut schema = schema;
            schema["$id"] = Value::from(format!("{BASE}{name}"));
            std::fs::write(dir.join(name), schema.to_string()).unwrap();
        }
        dir
    }

    #[test]
    fn the_date_time_format_is_known_and_a_misspelt_one_is_an_error() {
        let good = schemas_with_date_time_format(DATE_TIME_FORMAT);
        let schemas = Schemas::load(&good).unwrap();
        let request = |v: &str| serde_json::json!({ "expirationDateTime": v });
        assert!(
            schemas
                .check_request(&request("2027-06-30T23:59Z"))
                .is_empty()
        );
        assert_eq!(schemas.check_request(&request("2027-06-30")).len(), 1);
        let misspelt = schemas_with_date_time_format("edm-date-time-ofset");
        let err = Schemas::load(&misspelt)
            .err()
            .expect("a misspelt format loads");
        assert!(err.message().contains("edm-date-time-ofset"), "{err}");
        for dir in [good, misspelt] {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    #[test]
    fn an_unknown_type_is_one_known_types_does_not_list_and_a_bad_list_is_named() {
        let dir =
            std::env::temp_dir().join(format!("createlink-schema-{}-known", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in [ENVELOPE, PERMISSION, REQUEST] {
            let schema = serde_json::json!({ "$id": format!("{BASE}{name}") });
            std::fs::write(dir.join(name), schema.to_string()).unwrap();
        }
        let write_types = |known: Value| {
            let file = serde_json::json!({
                "$id": format!("{BASE}{GRAPH_TYPES}"),
                "$defs": {"unknown": {"format": UNKNOWN_TYPE_FORMAT}},
                "knownTypes": known
            });
            std::fs::write(dir.join(GRAPH_TYPES), file.to_string()).unwrap();
        };
        write_types(serde_json::json!(["microsoft.graph.user"]));
        let known = known_types(&[(
            format!("{BASE}{GRAPH_TYPES}"),
            serde_json::json!({"knownTypes": ["microsoft.graph.user"]}),
        )])
        .unwrap();
        assert!(known.contains("microsoft.graph.user"));
        assert!(Schemas::load(&dir).is_ok());
        write_types(serde_json::json!(5));
        let err = Schemas::load(&dir).err().expect("a bad list loads");
        assert!(
            err.to_string().contains(GRAPH_TYPES) && err.message().contains("knownTypes"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
