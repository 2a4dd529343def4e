//! Request variants: one JSON file each in `cases/variants/`, run on every documented path.
//!
//! A variant replaces the case's request with its own and says what a conforming answer is: the
//! link that was asked for, or Graph's refusal. The file's name is the variant's name, the last
//! word of its trial names (`POST /drives/{drivesId}/root/createLink edit-organization`).
//!
//! ```json
//! { "description": "An edit link for the organization.",
//!   "body": { "type": "edit", "scope": "organization" } }
//!
//! { "description": "The same request twice: the existing link comes back.",
//!   "body": { "type": "view", "scope": "organization" }, "repeat": true }
//!
//! { "description": "No Authorization header.",
//!   "body": { "type": "view", "scope": "anonymous" },
//!   "refusal": { "status": 401, "authorization": false } }
//!
//! { "description": "A body that is not JSON.",
//!   "rawBody": "{\"type\": \"view\", ", "refusal": { "status": 400 } }
//! ```
//!
//! A variant declares where the published pages make it available, with the page's sentence:
//! `"service": {"on": "business", "says": "Only available in OneDrive for Business and
//! SharePoint.", "page": "driveitem-createlink, Scope types"}` (`on` is `any`, `personal` or
//! `business`). Loading checks the declaration against what the body asks ([`service::needs`]);
//! a file without one is available where its body is. A run against one service
//! (`CREATELINK_SERVICE`) does not send the variants it lacks.
//!
//! A refusal differs from a good request in exactly one respect, which loading enforces: no
//! `Authorization` header (with a valid body), a body that is not JSON, or a JSON body that breaks
//! `schemas/request.json`. Otherwise a failing trial could not say what the target got wrong.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::load::error::{Difference, SetupError, VariantFault};
use crate::load::folder::Folder;
use crate::load::schema::Schemas;
use crate::model::json_text::kind as json_kind;
use crate::model::service::{self, Only, Service};

/// The folder of variants inside a cases folder.
pub const FOLDER: &str = "variants";

#[derive(Clone, Debug)]
pub struct Variant {
    /// The file's stem: lower-case ASCII words joined by `-`.
    pub name: String,
    pub file: PathBuf,
    pub description: String,
    pub kind: Kind,
    /// Where the variant is available, and why: `None` on every service.
    pub only: Option<Only>,
}

/// What a variant sends and what answer conforms. Only refusals may drop the token or send a
/// body that is not a valid request, and only links may be repeated.
#[derive(Clone, Debug)]
pub enum Kind {
    /// A valid request, answered with the link it asks for. `repeat` sends it twice, one after
    /// the other, and the second answer must be the same link.
    Link { body: Value, repeat: bool },
    /// A request Graph refuses with `status`, in its error shape.
    Refusal {
        status: u16,
        authorization: bool,
        body: Payload,
    },
}

#[derive(Clone, Debug)]
pub enum Payload {
    Json(Value),
    /// Sent as is, as `application/json`: text that is not JSON.
    Raw(String),
}

impl Variant {
    /// Whether the trial sends the `Authorization` header.
    pub fn authorization(&self) -> bool {
        match &self.kind {
            Kind::Link { .. } => true,
            Kind::Refusal { authorization, .. } => *authorization,
        }
    }

    /// The request body as sent.
    pub fn body_text(&self) -> String {
        match &self.kind {
            Kind::Link { body, .. }
            | Kind::Refusal {
                body: Payload::Json(body),
                ..
            } => body.to_string(),
            Kind::Refusal {
                body: Payload::Raw(text),
                ..
            } => text.clone(),
        }
    }

    /// Why a run against `service` does not send this variant; `None` when it does.
    pub fn not_offered(&self, service: Service) -> Option<&str> {
        service::not_offered(self.only.as_ref(), service)
    }

    /// How many requests the trial sends.
    pub fn requests(&self) -> usize {
        match &self.kind {
            Kind::Link { repeat: true, .. } => 2,
            _ => 1,
        }
    }
}

/// The members a variant file may have.
const MEMBERS: &[&str] = &[
    "description",
    "body",
    "rawBody",
    "repeat",
    "refusal",
    "service",
];

/// Parses and validates one variant file's text; `name` is the file's stem.
pub fn parse_variant(
    file: &Path,
    name: &str,
    text: &str,
    schemas: &Schemas,
) -> Result<Variant, SetupError> {
    let err = |fault: VariantFault| SetupError::in_file(file, fault);
    let well_named = name.split('-').all(|w| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    if !well_named {
        return Err(err(VariantFault::BadName(name.to_owned())));
    }
    let mut map =
        crate::load::case::json_object(text).map_err(|fault| SetupError::in_file(file, fault))?;
    if let Some(key) = map.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
        return Err(err(VariantFault::UnknownMember(key.clone(), MEMBERS)));
    }
    let description = match map.remove("description") {
        Some(Value::String(text)) if !text.trim().is_empty() => text,
        Some(Value::String(_)) | None => return Err(err(VariantFault::NoDescription)),
        Some(other) => return Err(err(VariantFault::DescriptionNotAString(json_kind(&other)))),
    };
    let body = match (map.remove("body"), map.remove("rawBody")) {
        (Some(_), Some(_)) => return Err(err(VariantFault::TwoBodies)),
        (None, None) => return Err(err(VariantFault::NoBody)),
        (Some(json), None) => Payload::Json(json),
        (None, Some(Value::String(text))) => {
            if serde_json::from_str::<Value>(&text).is_ok() {
                return Err(err(VariantFault::RawBodyIsJson));
            }
            Payload::Raw(text)
        }
        (None, Some(other)) => return Err(err(VariantFault::RawBodyNotAString(json_kind(&other)))),
    };
    let repeat = match map.remove("repeat") {
        None => false,
        Some(Value::Bool(b)) => b,
        Some(other) => return Err(err(VariantFault::RepeatNotABoolean(json_kind(&other)))),
    };
    let valid_body = |body: &Value| match schemas.check_request(body).into_iter().next() {
        None => Ok(()),
        Some(v) => Err(VariantFault::InvalidBody(v.pointer, v.reason)),
    };
    let declared = map
        .remove("service")
        .map(parse_service)
        .transpose()
        .map_err(err)?;
    let kind = match map.remove("refusal") {
        None => {
            let Payload::Json(body) = body else {
                return Err(err(VariantFault::RawBodyForLink));
            };
            valid_body(&body).map_err(err)?;
            Kind::Link { body, repeat }
        }
        Some(refusal) => {
            if repeat {
                return Err(err(VariantFault::RepeatedRefusal));
            }
            let (status, authorization) = parse_refusal(refusal).map_err(err)?;
            // Exactly one respect in which the request is wrong.
            let differences: Vec<Difference> = [
                (!authorization).then_some(Difference::NoAuthorization),
                matches!(body, Payload::Raw(_)).then_some(Difference::NotJson),
                matches!(&body, Payload::Json(b) if valid_body(b).is_err())
                    .then_some(Difference::BreaksSchema),
            ]
            .into_iter()
            .flatten()
            .collect();
            if differences.len() != 1 {
                return Err(err(VariantFault::Differences(differences)));
            }
            Kind::Refusal {
                status,
                authorization,
                body,
            }
        }
    };
    let sent = match &kind {
        Kind::Link { body, .. }
        | Kind::Refusal {
            body: Payload::Json(body),
            ..
        } => Some(body),
        Kind::Refusal { .. } => None,
    };
    let only = availability(sent, declared).map_err(err)?;
    Ok(Variant {
        name: name.to_owned(),
        file: file.to_owned(),
        description,
        kind,
        only,
    })
}

/// A `"service"` declaration: the service, the page's sentence, and the page.
struct Declared {
    on: Service,
    says: String,
    page: String,
}

fn parse_service(value: Value) -> Result<Declared, VariantFault> {
    let Value::Object(mut map) = value else {
        return Err(VariantFault::ServiceNotAnObject(json_kind(&value)));
    };
    if let Some(key) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "on" | "says" | "page"))
    {
        return Err(VariantFault::ServiceMember(key.clone()));
    }
    let mut text = |name: &'static str| match map.remove(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        _ => Err(VariantFault::ServiceNeeds(name)),
    };
    let (on, says, page) = (text("on")?, text("says")?, text("page")?);
    let on = Service::parse(&on).ok_or(VariantFault::UnknownService(on))?;
    Ok(Declared { on, says, page })
}

/// Where a variant sending `body` is available: what its body needs ([`service::needs`]), which
/// a declaration must state, in the declaration's words.
fn availability(
    body: Option<&Value>,
    declared: Option<Declared>,
) -> Result<Option<Only>, VariantFault> {
    let needed = match body.map(service::available_on) {
        None => Service::Any,
        Some(Ok(service)) => service,
        Some(Err((a, b))) => return Err(VariantFault::NoServiceOffers(a, b)),
    };
    if let Some(d) = &declared {
        if d.on != needed {
            return Err(VariantFault::ServiceDisagrees(d.on.name(), needed.name()));
        }
    }
    if needed == Service::Any {
        return Ok(None);
    }
    let need = body
        .map(service::needs)
        .and_then(|n| n.into_iter().next())
        .expect("a body available on one service has a need");
    let reason = match declared {
        Some(d) => service::reason(&need.what, d.on, &d.says, &d.page),
        None => need.reason(),
    };
    Ok(Some(Only {
        service: needed,
        reason,
    }))
}

/// `{"status": 4xx, "authorization": bool}`; `authorization` defaults to true.
fn parse_refusal(value: Value) -> Result<(u16, bool), VariantFault> {
    let Value::Object(mut map) = value else {
        return Err(VariantFault::RefusalNotAnObject(json_kind(&value)));
    };
    if let Some(key) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "status" | "authorization"))
    {
        return Err(VariantFault::RefusalMember(key.clone()));
    }
    let status = match map.remove("status") {
        Some(Value::Number(n)) => match n.as_u64().filter(|s| (400..500).contains(s)) {
            Some(s) => s as u16,
            None => return Err(VariantFault::StatusNot4xx(n)),
        },
        Some(other) => return Err(VariantFault::StatusNotANumber(json_kind(&other))),
        None => return Err(VariantFault::NoStatus),
    };
    let authorization = match map.remove("authorization") {
        None => true,
        Some(Value::Bool(b)) => b,
        Some(other) => return Err(VariantFault::AuthorizationNotABoolean(json_kind(&other))),
    };
    Ok((status, authorization))
}

/// Loads every `*.json` file of `dir`, sorted by name. A missing folder means no variants, so a
/// folder of generated cases runs its base trials only.
pub fn load_dir(dir: &Path, schemas: &Schemas) -> Result<Vec<Variant>, SetupError> {
    load(&Folder::Disk(dir.to_owned()), schemas)
}

/// Loads every `*.json` file of `folder` (a cases folder's [`Folder::variants`]), sorted by
/// name; none when the folder is missing.
pub fn load(folder: &Folder, schemas: &Schemas) -> Result<Vec<Variant>, SetupError> {
    if !folder.exists() {
        return Ok(Vec::new());
    }
    crate::load::case::read_entries(folder, "variants")?
        .into_iter()
        .map(|(file, text)| {
            let name = file
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            parse_variant(&file, &name, &text, schemas)
        })
        .collect()
}
