//! Case files: one JSON file per documented path in `cases/`.
//!
//! ```json
//! { "source": "seed",
//!   "path": "/drives/{drivesId}/root/createLink",
//!   "params": { "drivesId": "b!conformance-drive" },
//!   "body": { "type": "view", "scope": "anonymous" } }
//! ```
//!
//! A [`Case`] only exists once its file has been validated: the template is well-formed, the
//! defaults name exactly the template's parameters, and the body is a valid createLink request.
//! `source` names where the path is written down: `seed` (the API document), or the published
//! page (`driveitem-createlink`, `listitem-createlink`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::load::error::{CaseFault, FileFault, SetupError};
use crate::load::folder::Folder;
use crate::load::schema::Schemas;
use crate::model::json_text::kind as json_kind;
use crate::model::service::{self, Only};
use crate::model::template::unusable_segment;
pub use crate::model::template::{ACTION, PathTemplate, Segment};

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
    /// Where the path is written down, when the file says.
    pub source: Option<String>,
    /// The service the body is available on, when only one offers it.
    pub only: Option<Only>,
}

impl Case {
    /// The test name: the documented request line, so `cargo test -- '/drives/{drivesId}/root'`
    /// selects cases by their documented template.
    pub fn name(&self) -> String {
        format!("POST {}", self.template)
    }
}

/// The text of a case or variant file as a JSON object, or what is wrong with it.
pub fn json_object(text: &str) -> Result<serde_json::Map<String, Value>, FileFault> {
    match serde_json::from_str(text) {
        Err(e) => Err(FileFault::NotJson(e)),
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(FileFault::NotAnObject(json_kind(&other))),
    }
}

/// Parses and validates one case file's text.
pub fn parse_case(file: &Path, text: &str, schemas: &Schemas) -> Result<Case, SetupError> {
    let err = |fault: CaseFault| SetupError::in_file(file, fault);
    let mut map = json_object(text).map_err(|fault| SetupError::in_file(file, fault))?;
    if let Some(key) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "source" | "path" | "params" | "body"))
    {
        return Err(err(CaseFault::UnknownMember(key.clone())));
    }
    let template = match map.remove("path") {
        Some(Value::String(raw)) => {
            PathTemplate::parse(&raw).map_err(|e| err(CaseFault::Path(e)))?
        }
        Some(other) => return Err(err(CaseFault::PathNotAString(json_kind(&other)))),
        None => return Err(err(CaseFault::NoPath)),
    };
    let mut params = BTreeMap::new();
    match map
        .remove("params")
        .unwrap_or(Value::Object(Default::default()))
    {
        Value::Object(given) => {
            for (name, value) in given {
                let Value::String(value) = value else {
                    return Err(err(CaseFault::ParamNotAString(name, json_kind(&value))));
                };
                if let Some(fault) = unusable_segment(&value) {
                    return Err(err(CaseFault::ParamNotASegment(name, value, fault)));
                }
                params.insert(name, value);
            }
        }
        other => return Err(err(CaseFault::ParamsNotAnObject(json_kind(&other)))),
    }
    if let Some(name) = template.params().find(|p| !params.contains_key(*p)) {
        return Err(err(CaseFault::NoDefault(
            name.to_owned(),
            template.to_string(),
        )));
    }
    if let Some(extra) = params.keys().find(|k| !template.params().any(|p| p == *k)) {
        return Err(err(CaseFault::NotAParameter(
            extra.clone(),
            template.to_string(),
        )));
    }
    let source = match map.remove("source") {
        None => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
        Some(other) => return Err(err(CaseFault::SourceNotAString(json_kind(&other)))),
    };
    let body = map.remove("body").ok_or_else(|| err(CaseFault::NoBody))?;
    if let Some(first) = schemas.check_request(&body).into_iter().next() {
        return Err(err(CaseFault::InvalidBody(first.pointer, first.reason)));
    }
    let only = match service::available_on(&body) {
        Ok(service::Service::Any) => None,
        Ok(only) => {
            let need = service::needs(&body).into_iter().next();
            need.map(|n| Only {
                service: only,
                reason: n.reason(),
            })
        }
        Err((a, b)) => return Err(err(CaseFault::NoServiceOffers(a, b))),
    };
    Ok(Case {
        file: file.to_owned(),
        template,
        params,
        body: body.to_string(),
        source,
        only,
    })
}

/// The `*.json` entries of a cases or variants folder (`what` says which), each with its text,
/// or the error that names the entry or the folder.
pub fn read_entries(
    folder: &Folder,
    what: &'static str,
) -> Result<Vec<(PathBuf, String)>, SetupError> {
    let entries = folder.json_entries().map_err(|error| {
        SetupError::in_file(&folder.shown(), FileFault::FolderUnreadable(what, error))
    })?;
    entries
        .into_iter()
        .map(|entry| match entry.text {
            Ok(text) => Ok((entry.file, text)),
            Err(e) => Err(SetupError::in_file(&entry.file, FileFault::Unreadable(e))),
        })
        .collect()
}

/// Loads every `*.json` file of `dir`, sorted by file name, and rejects two cases for one template.
pub fn load_dir(dir: &Path, schemas: &Schemas) -> Result<Vec<Case>, SetupError> {
    load(&Folder::Disk(dir.to_owned()), schemas)
}

/// Loads every `*.json` file of `folder`, sorted by file name, and rejects two cases for one
/// template.
pub fn load(folder: &Folder, schemas: &Schemas) -> Result<Vec<Case>, SetupError> {
    let files = read_entries(folder, "cases")?;
    let mut cases: Vec<Case> = Vec::with_capacity(files.len());
    let mut by_template: BTreeMap<String, PathBuf> = BTreeMap::new();
    for (file, text) in files {
        let case = parse_case(&file, &text, schemas)?;
        if let Some(first) = by_template.insert(case.template.as_str().to_owned(), file.clone()) {
            return Err(SetupError::in_file(
                &file,
                CaseFault::SamePath(case.template.to_string(), first),
            ));
        }
        cases.push(case);
    }
    if cases.is_empty() {
        return Err(SetupError::in_file(&folder.shown(), CaseFault::NoCases));
    }
    Ok(cases)
}
