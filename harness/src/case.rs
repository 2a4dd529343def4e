//! Case files: one JSON file per documented path in `cases/`.
//!
//! ```json
//! { "path": "/drives/{drivesId}/root/createLink",
//!   "params": { "drivesId": "b!conformance-drive" },
//!   "body": { "type": "view", "scope": "anonymous" } }
//! ```
//!
//! A [`Case`] only exists once its file has been validated: the template is well-formed, the
//! defaults name exactly the template's parameters, and the body is a valid createLink request.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::SetupError;
use crate::folder::Folder;
use crate::json_text::kind as json_kind;
use crate::schema::Schemas;
use crate::template::unusable_segment;
pub use crate::template::{ACTION, PathTemplate, Segment};

/// A validated case.
#[derive(Clone, Debug)]
pub struct Case {
    pub file: PathBuf,
    pub template: PathTemplate,
    /// Default values of every parameter of the template, and of no other name.
    pub params: BTreeMap<String, String>,
    /// The request body as sent: compact JSON of an object valid against `schemas/request.json`.
    /// Kept serialized, not as a `Value`: a generated suite holds thousands of cases.
    pub body: String,
}

impl Case {
    /// The test name: the documented request line, so `cargo test -- '/drives/{drivesId}/root'`
    /// selects cases by their documented template.
    pub fn name(&self) -> String {
        format!("POST {}", self.template)
    }
}

/// A case or variant file that cannot be used: [`SetupError::File`].
pub type CaseError = SetupError;

/// The text of a case or variant file as a JSON object, or what is wrong with it.
pub fn json_object(text: &str) -> Result<serde_json::Map<String, Value>, String> {
    match serde_json::from_str(text) {
        Err(e) => Err(format!("not valid JSON: {e}")),
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!("must be a JSON object, not {}", json_kind(&other))),
    }
}

/// Parses and validates one case file's text.
pub fn parse_case(file: &Path, text: &str, schemas: &Schemas) -> Result<Case, CaseError> {
    let err = |message: String| SetupError::File {
        file: file.to_owned(),
        message,
    };
    let mut map = json_object(text).map_err(err)?;
    for key in map.keys() {
        if !matches!(key.as_str(), "path" | "params" | "body") {
            return Err(err(format!(
                "unknown member {key:?}; a case has \"path\", \"params\" and \"body\""
            )));
        }
    }
    let template = match map.remove("path") {
        Some(Value::String(raw)) => PathTemplate::parse(&raw).map_err(|e| err(e.to_string()))?,
        Some(other) => {
            return Err(err(format!(
                "\"path\" must be a string, not {}",
                json_kind(&other)
            )));
        }
        None => return Err(err("missing \"path\"".to_owned())),
    };
    let mut params = BTreeMap::new();
    match map
        .remove("params")
        .unwrap_or(Value::Object(Default::default()))
    {
        Value::Object(given) => {
            for (name, value) in given {
                let Value::String(value) = value else {
                    return Err(err(format!(
                        "\"params\".{name} must be a string, not {}",
                        json_kind(&value)
                    )));
                };
                if let Some(why) = unusable_segment(&value) {
                    return Err(err(format!("\"params\".{name}: {value:?} {why}")));
                }
                params.insert(name, value);
            }
        }
        other => {
            return Err(err(format!(
                "\"params\" must be an object, not {}",
                json_kind(&other)
            )));
        }
    }
    for name in template.params() {
        if !params.contains_key(name) {
            return Err(err(format!(
                "\"params\" has no default for {{{name}}} of {template}"
            )));
        }
    }
    if let Some(extra) = params.keys().find(|k| !template.params().any(|p| p == *k)) {
        return Err(err(format!(
            "\"params\".{extra} is not a parameter of {template}"
        )));
    }
    let body = map
        .remove("body")
        .ok_or_else(|| err("missing \"body\"".to_owned()))?;
    let problems = schemas.check_request(&body);
    if let Some(first) = problems.first() {
        return Err(err(format!(
            "\"body\" is not a valid createLink request: at {:?}: {}",
            first.pointer, first.reason
        )));
    }
    Ok(Case {
        file: file.to_owned(),
        template,
        params,
        body: body.to_string(),
    })
}

/// The `*.json` entries of a cases or variants folder, each with its text, or the error that
/// names the entry or the folder.
pub fn read_entries(folder: &Folder, what: &str) -> Result<Vec<(PathBuf, String)>, CaseError> {
    let entries = folder.json_entries().map_err(|e| SetupError::File {
        file: folder.shown(),
        message: format!("cannot read the {what} folder: {e}"),
    })?;
    entries
        .into_iter()
        .map(|entry| match entry.text {
            Ok(text) => Ok((entry.file, text)),
            Err(e) => Err(SetupError::File {
                file: entry.file,
                message: e.to_string(),
            }),
        })
        .collect()
}

/// Loads every `*.json` file of `dir`, sorted by file name, and rejects two cases for one template.
pub fn load_dir(dir: &Path, schemas: &Schemas) -> Result<Vec<Case>, CaseError> {
    load(&Folder::Disk(dir.to_owned()), schemas)
}

/// Loads every `*.json` file of `folder`, sorted by file name, and rejects two cases for one
/// template.
pub fn load(folder: &Folder, schemas: &Schemas) -> Result<Vec<Case>, CaseError> {
    let dir_err = |message: String| SetupError::File {
        file: folder.shown(),
        message,
    };
    let files = read_entries(folder, "cases")?;
    let mut cases: Vec<Case> = Vec::with_capacity(files.len());
    let mut by_template: BTreeMap<String, PathBuf> = BTreeMap::new();
    for (file, text) in files {
        let case = parse_case(&file, &text, schemas)?;
        if let Some(first) = by_template.insert(case.template.as_str().to_owned(), file.clone()) {
            return Err(SetupError::File {
                file,
                message: format!(
                    "{} is already the path of {}; one case per documented path",
                    case.template,
                    first.display()
                ),
            });
        }
        cases.push(case);
    }
    if cases.is_empty() {
        return Err(dir_err("no *.json case files".to_owned()));
    }
    Ok(cases)
}
