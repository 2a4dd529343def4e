//! The built-in reference server: every case's path answered the way the document says.
//!
//! It is what `cargo test --test conformance` runs against when no target is given, and the
//! starting point the harness's own tests break on purpose. It is strict about requests, so a
//! harness that sent a wrong request would fail against it too, and it follows every behaviour
//! rule: the link asked for, the same link for the same request, Graph's refusals.
//!
//! It keeps its links as the published page says: one link per item, type and scope; asked again,
//! "the existing sharing link will be returned", unchanged (`200`, where a new one is `201` under
//! `graph`), whatever else the new request asks. `DELETE <item path>/permissions/{id}` removes a
//! link (`204`), so the next request for that item, type and scope gets a fresh one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::Url;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};

use crate::load::case::PathTemplate;
use crate::load::schema::Schemas;
use crate::model::profile::Profile;
use crate::model::service::Service;
use crate::verdict::behaviour::roles_of;

mod cors;
mod normal;
mod refusal;

pub use refusal::{BODY_LIMIT, Fault, Incomplete, MAX_VALUES, Refusal, incomplete, too_large};

/// The version prefix the reference server serves under, like Graph's `/beta`.
pub const PREFIX: &str = "/beta";

pub const CONTENT_TYPE: &str = "application/json; odata.metadata=minimal; charset=utf-8";

pub struct ReferenceServer {
    // Dropping the MockServer stops it.
    _server: MockServer,
    base_url: Url,
}

impl ReferenceServer {
    pub async fn start(
        templates: Vec<PathTemplate>,
        profile: Profile,
        service: Service,
        schemas: Arc<Schemas>,
    ) -> Self {
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        Mock::given(any())
            .respond_with(Reference::new(templates, profile, schemas).serving(service))
            .mount(&server)
            .await;
        let base_url = Url::parse(&format!("{}{PREFIX}", server.uri()))
            .expect("wiremock serves on an http URL");
        ReferenceServer {
            _server: server,
            base_url,
        }
    }

    pub fn base_url(&self) -> &Url {
        &self.base_url
    }
}

/// The reference implementation as a wiremock responder.
pub struct Reference {
    templates: Vec<PathTemplate>,
    profile: Profile,
    /// What a request the service lacks is refused with: [`Service::Any`] accepts everything.
    service: Service,
    schemas: Arc<Schemas>,
    /// The links held, by item path, type and scope: asked again, the same link comes back.
    links: Mutex<Links>,
}

/// The links the reference holds, and how many it ever made for each key (each new link of a
/// key gets a new id).
#[derive(Default)]
struct Links {
    held: HashMap<Key, Value>,
    made: HashMap<Key, u64>,
}

/// Item path (without `/createLink`), link type and scope.
type Key = (String, String, String);

/// One link the reference holds: the item's path (without `/createLink`) and its permission id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Held {
    pub item: String,
    pub id: String,
}

/// An answer before it is serialized, so tests can break one thing about it.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
    /// Headers besides `Content-Type`, such as a 405's `Allow`.
    pub headers: Vec<(String, String)>,
}

impl Answer {
    pub fn into_response(self) -> ResponseTemplate {
        let template = self
            .headers
            .into_iter()
            .fold(ResponseTemplate::new(self.status), |t, (name, value)| {
                t.insert_header(name.as_str(), value.as_str())
            });
        if self.status == 204 {
            return template;
        }
        template.set_body_raw(self.body.to_string().into_bytes(), &self.content_type)
    }
}

/// What the reference made of one request: the documented path it matched, whether it was
/// refused and why, and the answer. `serve` logs and counts these; the suite only sends the answer.
#[derive(Clone, Debug)]
pub struct Reply<'a> {
    /// `None` when the path matched no documented path.
    pub template: Option<&'a PathTemplate>,
    /// `None` when the request was good and got its link.
    pub refusal: Option<Refusal>,
    pub answer: Answer,
}

impl Respond for Reference {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.answer(request).into_response()
    }
}

impl Reference {
    pub fn new(templates: Vec<PathTemplate>, profile: Profile, schemas: Arc<Schemas>) -> Self {
        Reference {
            templates,
            profile,
            service: Service::Any,
            schemas,
            links: Mutex::new(Links::default()),
        }
    }

    /// The reference standing for `service`: it refuses what that service lacks.
    pub fn serving(mut self, service: Service) -> Self {
        self.service = service;
        self
    }

    /// The links held now, sorted: tests check what a run left behind.
    pub fn held(&self) -> Vec<Held> {
        let links = self.links.lock().unwrap_or_else(|e| e.into_inner());
        let mut held: Vec<Held> = links
            .held
            .iter()
            .map(|((item, _, _), p)| Held {
                item: item.clone(),
                id: p["id"].as_str().unwrap_or_default().to_owned(),
            })
            .collect();
        held.sort();
        held
    }

    /// The answer to `request`: the link, or Graph's refusal.
    pub fn answer(&self, request: &Request) -> Answer {
        self.reply(request).answer
    }

    /// The answer to `request`, with the documented path it matched and the refusal, if any.
    /// A browser's page may read it (CORS).
    pub fn reply(&self, request: &Request) -> Reply<'_> {
        let mut reply = self.reply_to(request);
        cors::allow(request, &mut reply.answer);
        reply
    }

    /// The reply to a request `serve` refused before reading its body whole (too large, too
    /// slow, cut off): the documented path it was for, and `refused` as the answer.
    pub fn refuse(&self, request: &Request, refused: Refusal) -> Reply<'_> {
        let mut answer = refused.answer();
        cors::allow(request, &mut answer);
        Reply {
            template: self.documented(&normal::path(request.url.path())),
            refusal: Some(refused),
            answer,
        }
    }

    /// The documented path `path` (brought to one form) is on, if any.
    fn documented(&self, path: &str) -> Option<&PathTemplate> {
        refusal::segments(path)
            .ok()
            .and_then(|segments| self.templates.iter().find(|t| t.matches(&segments)))
    }

    fn reply_to(&self, request: &Request) -> Reply<'_> {
        // What real clients send (`//`, `%21`) is first brought to one form: one item, one link.
        let path = &normal::path(request.url.path());
        if let Some(answer) = cors::preflight(request) {
            return Reply {
                template: self.documented(path),
                refusal: None,
                answer,
            };
        }
        if let Some(reply) = self.delete(request, path) {
            return reply;
        }
        let template = refusal::segments(path).and_then(|segments| {
            self.templates
                .iter()
                .find(|t| t.matches(&segments))
                .ok_or_else(|| refusal::unknown_path(path, self.templates.len()))
        });
        let (template, checked) = match template {
            Ok(t) => (Some(t), self.check(request)),
            Err(refused) => (None, Err(refused)),
        };
        match checked {
            Ok(body) => {
                let (new, permission) = self.link(path, &body);
                Reply {
                    template,
                    refusal: None,
                    answer: success(self.profile, new, permission),
                }
            }
            Err(refused) => Reply {
                template,
                answer: refused.answer(),
                refusal: Some(refused),
            },
        }
    }

    /// The link for a valid request: the one held for its item, type and scope, unchanged, or a
    /// new one. `true` when new.
    fn link(&self, path: &str, body: &Value) -> (bool, Value) {
        let item = path.strip_suffix("/createLink").unwrap_or(path).to_owned();
        let shown = permission(path, body);
        let text = |pointer: &str| shown.pointer(pointer).and_then(Value::as_str).unwrap_or("");
        let key = (
            item,
            text("/link/type").to_owned(),
            text("/link/scope").to_owned(),
        );
        let mut links = self.links.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = links.held.get(&key) {
            return (false, existing.clone());
        }
        let made = links.made.entry(key.clone()).or_default();
        *made += 1;
        // The first link keeps the id `permission` gives it; one made after a delete differs.
        let id = match *made {
            1 => shown["id"].as_str().unwrap_or_default().to_owned(),
            n => format!("{:016x}", fnv1a(format!("{key:?} {n}").as_bytes())),
        };
        let fresh = permission_with_id(body, &id);
        links.held.insert(key, fresh.clone());
        (true, fresh)
    }

    /// `DELETE <item path>/permissions/{id}` on a documented item: `204` and the link is gone,
    /// or `404` in Graph's error shape for an id the item does not hold. `None` for any other
    /// request.
    fn delete(&self, request: &Request, path: &str) -> Option<Reply<'_>> {
        let (item, id) = path.rsplit_once("/permissions/")?;
        let segments = refusal::segments(item).ok()?;
        let createlink: Vec<&str> = segments.iter().copied().chain(["createLink"]).collect();
        let template = self.templates.iter().find(|t| t.matches(&createlink))?;
        if request.method.as_str() != "DELETE" || id.is_empty() || id.contains('/') {
            return None;
        }
        let refused = |refused: Refusal| Reply {
            template: Some(template),
            answer: refused.answer(),
            refusal: Some(refused),
        };
        if let Err(r) = refusal::authorization(&request.headers) {
            return Some(refused(r));
        }
        let mut links = self.links.lock().unwrap_or_else(|e| e.into_inner());
        let before = links.held.len();
        links
            .held
            .retain(|(held, _, _), p| !(held == item && p["id"] == id));
        let answer = if links.held.len() < before {
            Answer {
                status: 204,
                content_type: String::new(),
                body: Value::Null,
                headers: Vec::new(),
            }
        } else {
            error(
                404,
                "itemNotFound",
                "The permission does not exist on this item.",
            )
        };
        Some(Reply {
            template: Some(template),
            refusal: None,
            answer,
        })
    }

    /// The valid request body of a request on a documented path, or why it is refused. The
    /// rules are checked in this order, and the first broken one is the refusal.
    fn check(&self, request: &Request) -> Result<Value, Refusal> {
        refusal::method(request.method.as_str())?;
        refusal::authorization(&request.headers)?;
        refusal::content_type(&request.headers)?;
        let body = refusal::body(&request.body, &self.schemas)?;
        refusal::service(&body, self.service)?;
        Ok(body)
    }
}

/// The permission the reference server creates for a valid request on `path`.
pub fn permission(path: &str, request: &Value) -> Value {
    permission_with_id(request, &format!("{:016x}", link_key(path, request)))
}

/// The permission for a valid request, under `id` (its share id and URLs are made from it).
fn permission_with_id(request: &Value, id: &str) -> Value {
    let text = |name: &str, default: &str| {
        request
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_owned()
    };
    // addressBar and adminDefault ask for the link the administrator configured: this server's
    // administrator chose a view link for the organization. No type asks for the default link,
    // which here is a view link for anyone.
    let (link_type, scope) = match text("type", "view").as_str() {
        "addressBar" | "adminDefault" => ("view".to_owned(), "organization".to_owned()),
        asked => (asked.to_owned(), text("scope", "anonymous")),
    };
    let mut permission = json!({
        "@odata.type": "#microsoft.graph.permission",
        "id": id,
        "roles": [roles_of(&link_type).unwrap_or("read")],
        "shareId": format!("s!{id}"),
        "hasPassword": request.get("password").is_some(),
        "link": {
            "@odata.type": "#microsoft.graph.sharingLink",
            "type": link_type,
            "scope": scope,
            "webUrl": format!("https://contoso.invalid/s/{id}"),
            "preventsDownload": link_type == "blocksDownload"
        }
    });
    if let Some(expiry) = request.get("expirationDateTime") {
        permission["expirationDateTime"] = expiry.clone();
    }
    if link_type == "embed" {
        permission["link"]["webHtml"] = Value::from(format!(
            "<iframe src=\"https://contoso.invalid/embed/{id}\" width=\"98\" height=\"120\" frameborder=\"0\" scrolling=\"no\"></iframe>"
        ));
    }
    permission
}

/// The id of the first link for a path, type and scope.
fn link_key(path: &str, request: &Value) -> u64 {
    let text = |name: &str| request.get(name).and_then(Value::as_str).unwrap_or("");
    fnv1a(format!("{path} {} {}", text("type"), text("scope")).as_bytes())
}

/// The success answer under `profile`: 200 and `{"value": ...}` as documented, or the live
/// service's bare permission with 201 for a new link and 200 for an existing one.
pub fn success(profile: Profile, new: bool, permission: Value) -> Answer {
    let (status, body) = match profile {
        Profile::Documented => (200, json!({ "value": permission })),
        Profile::Graph => (if new { 201 } else { 200 }, permission),
    };
    Answer {
        status,
        content_type: CONTENT_TYPE.to_owned(),
        body,
        headers: Vec::new(),
    }
}

/// Graph's error shape.
pub fn error(status: u16, code: &str, message: &str) -> Answer {
    let body = json!({
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "request-id": "00000000-0000-0000-0000-000000000000",
                "date": "2026-01-01T00:00:00"
            }
        }
    });
    Answer {
        status,
        content_type: "application/json".to_owned(),
        body,
        headers: Vec::new(),
    }
}

/// A stable hash, so repeated runs answer alike.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
