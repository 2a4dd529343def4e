//! The behaviour rules: whether an answer is the link that was asked for, and whether a refusal
//! looks like Graph's. Pure functions of the request and the parsed answer.
//!
//! Each rule's source is cited beside it (and in docs/checks.md, "Variants and behaviour rules"). The shape checks
//! belong to the schemas; a rule here only looks at values it can compare, and a value of the
//! wrong type is left to the schema problem that already names it, unless the rule needs it.

use reqwest::Url;
use serde_json::Value;

use crate::model::datetime::DateTimeOffset;
use crate::model::json_text::compact;

/// Values are shown in reports up to this many characters.
const SHOWN: usize = 200;

/// A behaviour rule. What each says and where it is written down are [`Rule::statement`] and
/// [`Rule::source`], the words its report prints, so they are said once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    LinkType,
    LinkScope,
    Roles,
    EmbedHtml,
    /// A blocksDownload link says so: `link.preventsDownload` is true.
    PreventsDownload,
    /// Every real answer has one: the URL that opens the item in the browser.
    WebUrl,
    Id,
    /// Compared as instants, so another offset or precision of the same instant passes.
    Expiration,
    /// False, null or absent all mean "no password".
    HasPassword,
    /// Same `id` and same `link.webUrl`.
    SameLink,
    /// `{"error": {"code": <non-empty string>, "message": <string>}}`.
    ErrorShape,
}

/// A rule's own words live beside its check, so that a new rule is one change in this module
/// (plus a fixture and its golden report). `report.rs` lays them out; it writes no rule prose.
impl Rule {
    /// What the rule says: the report's `rule:` line.
    pub fn statement(self) -> &'static str {
        match self {
            Rule::LinkType => "link.type is the requested type",
            Rule::LinkScope => "link.scope is the requested scope",
            Rule::Roles => {
                "roles follow link.type: view [\"read\"], edit [\"write\"], embed [\"read\"]"
            }
            Rule::EmbedHtml => "an embed link has a non-empty link.webHtml",
            Rule::PreventsDownload => "a blocksDownload link has link.preventsDownload true",
            Rule::WebUrl => "link.webUrl is an absolute http(s) URL",
            Rule::Id => "id is a non-empty string",
            Rule::Expiration => {
                "expirationDateTime is the requested instant (compared as instants)"
            }
            Rule::HasPassword => "hasPassword is true exactly when a password was sent",
            Rule::SameLink => "the same request returns the same link: same id, same link.webUrl",
            Rule::ErrorShape => "a refusal has Graph's error shape",
        }
    }

    /// Where the rule is written down: the report's `source:` line (docs/checks.md, "Variants and
    /// behaviour rules", has the links).
    pub fn source(self) -> &'static str {
        match self {
            Rule::LinkType | Rule::LinkScope => {
                "driveitem-createlink, every example request and response"
            }
            Rule::Roles => "sharingLink resource, the table of link types",
            Rule::EmbedHtml => "sharingLink resource: webHtml holds the <iframe> of an embed link",
            Rule::PreventsDownload => {
                "driveitem-createlink, Link types: blocksDownload \"creates a read-only link that \
                 blocks download\"; sharingLink resource: preventsDownload"
            }
            Rule::WebUrl => "sharingLink resource: webUrl opens the item in the browser",
            Rule::Id => "permission resource: id is the key",
            Rule::Expiration => {
                "driveitem-createlink, parameter expirationDateTime; permission resource"
            }
            Rule::HasPassword => "permission resource: hasPassword tells whether a password is set",
            Rule::SameLink => {
                "driveitem-createlink: an existing link of the same type is returned (200 OK)"
            }
            Rule::ErrorShape => "Microsoft Graph error responses: the error resource type",
        }
    }

    /// Why what came back breaks the rule, given what the rule wanted ([`Behaviour::wanted`]).
    pub fn why(self, wanted: Option<&str>) -> String {
        let wanted_or_nothing = wanted.unwrap_or("");
        match self {
            Rule::LinkType | Rule::LinkScope | Rule::Expiration => {
                format!("the request asked for {wanted_or_nothing}")
            }
            Rule::Roles => format!("a link of this type grants {wanted_or_nothing}"),
            Rule::EmbedHtml => "an embed link carries its <iframe> HTML in webHtml".to_owned(),
            Rule::PreventsDownload => {
                "a blocksDownload link cannot be used to download the item".to_owned()
            }
            Rule::WebUrl => "expected an absolute http(s) URL".to_owned(),
            Rule::Id => "expected a non-empty string".to_owned(),
            Rule::HasPassword if wanted == Some("true") => "the request set a password".to_owned(),
            Rule::HasPassword => "the request set no password: false, null or absent".to_owned(),
            Rule::SameLink => match wanted {
                Some(first) => {
                    format!("the first answer had {first}; the same link must come back")
                }
                None => "absent from the first answer too; the same link must come back".to_owned(),
            },
            Rule::ErrorShape => "a refusal is Graph's error: {\"error\": {\"code\": <non-empty \
                                 string>, \"message\": <string>}}"
                .to_owned(),
        }
    }
}

/// One broken rule: where, what came back, and what the rule wanted there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Behaviour {
    pub rule: Rule,
    /// JSON pointer into the (first) answer's body.
    pub pointer: String,
    /// What came back at `pointer`, compact JSON, cut; `None` when absent.
    pub got: Option<String>,
    /// What the rule wanted, compact JSON: the requested value, or the value the rule implies.
    /// `None` where the rule is a property rather than a value (a URL, a non-empty string).
    pub wanted: Option<String>,
}

/// The roles each link type grants, per the sharingLink resource's table.
pub fn roles_of(link_type: &str) -> Option<&'static str> {
    match link_type {
        "view" | "embed" => Some("read"),
        "edit" => Some("write"),
        _ => None,
    }
}

/// Link types whose link the organization's administrator decides (driveitem-createlink, Link
/// types: addressBar "The organization admin configures whether this link type is supported,
/// and what features are supported by this link type"; adminDefault "as determined by the
/// administrator of the organization"): the answer's type and scope are not judged.
pub fn left_to_the_administrator(link_type: &str) -> bool {
    matches!(link_type, "addressBar" | "adminDefault")
}

/// The rules for a link answer: `permission` is the permission (at `base` in the body), answering
/// `request`. A permission that is not an object is the schema's problem, not a behaviour.
pub fn link(request: &Value, base: &str, permission: &Value) -> Vec<Behaviour> {
    let mut out = Vec::new();
    if !permission.is_object() {
        return out;
    }
    let at = |path: &str| format!("{base}{path}");
    let mut broken = |rule: Rule, path: &str, got: Option<&Value>, wanted: Option<String>| {
        out.push(Behaviour {
            rule,
            pointer: at(path),
            got: got.map(show),
            wanted,
        });
    };
    let get = |path: &str| permission.pointer(path);
    let text = |path: &str| get(path).and_then(Value::as_str);

    if text("/id").is_none_or(str::is_empty) {
        broken(Rule::Id, "/id", get("/id"), None);
    }
    let asked_type = request.get("type").and_then(Value::as_str);
    let judged = !asked_type.is_some_and(left_to_the_administrator);
    for (rule, name) in [(Rule::LinkType, "type"), (Rule::LinkScope, "scope")] {
        if let Some(asked) = request.get(name).filter(|v| judged && v.is_string()) {
            let path = format!("/link/{name}");
            if get(&path) != Some(asked) {
                broken(rule, &path, get(&path), Some(show(asked)));
            }
        }
    }
    let link_type = text("/link/type");
    if let Some(role) = link_type.and_then(roles_of) {
        let wanted = Value::from(vec![role]);
        if get("/roles") != Some(&wanted) {
            broken(Rule::Roles, "/roles", get("/roles"), Some(show(&wanted)));
        }
    }
    let embed = link_type == Some("embed") || request.get("type") == Some(&Value::from("embed"));
    if embed && text("/link/webHtml").is_none_or(|h| h.trim().is_empty()) {
        broken(Rule::EmbedHtml, "/link/webHtml", get("/link/webHtml"), None);
    }
    if asked_type == Some("blocksDownload")
        && get("/link/preventsDownload") != Some(&Value::Bool(true))
    {
        let got = get("/link/preventsDownload");
        broken(
            Rule::PreventsDownload,
            "/link/preventsDownload",
            got,
            Some("true".to_owned()),
        );
    }
    if !text("/link/webUrl").is_some_and(is_web_url) {
        broken(Rule::WebUrl, "/link/webUrl", get("/link/webUrl"), None);
    }
    if let Some(asked) = request.get("expirationDateTime").and_then(Value::as_str) {
        let same = match (
            DateTimeOffset::parse(asked),
            text("/expirationDateTime").map(DateTimeOffset::parse),
        ) {
            (Ok(a), Some(Ok(b))) => a.instant() == b.instant(),
            _ => false,
        };
        if !same {
            let got = get("/expirationDateTime");
            broken(
                Rule::Expiration,
                "/expirationDateTime",
                got,
                Some(show(&asked.into())),
            );
        }
    }
    let has_password = get("/hasPassword");
    let ok = if request.get("password").is_some() {
        has_password == Some(&Value::Bool(true))
    } else {
        matches!(has_password, None | Some(Value::Null | Value::Bool(false)))
    };
    if !ok {
        let wanted = request.get("password").is_some();
        broken(
            Rule::HasPassword,
            "/hasPassword",
            has_password,
            Some(wanted.to_string()),
        );
    }
    out
}

/// The second answer to a repeated request names the same link as the first: the same `id` and
/// the same `link.webUrl`. Pointers are into the second answer.
pub fn same_link(base: &str, first: &Value, second: &Value) -> Vec<Behaviour> {
    ["/id", "/link/webUrl"]
        .into_iter()
        .filter_map(|path| {
            let (a, b) = (first.pointer(path), second.pointer(path));
            (a != b || a.is_none()).then(|| Behaviour {
                rule: Rule::SameLink,
                pointer: format!("{base}{path}"),
                got: b.map(show),
                wanted: a.map(show),
            })
        })
        .collect()
}

/// Graph's error shape, or the first place where a refusal's body departs from it.
pub fn error_shape(body: &Value) -> Option<Behaviour> {
    let broken = |pointer: &str, got: Option<&Value>| {
        Some(Behaviour {
            rule: Rule::ErrorShape,
            pointer: pointer.to_owned(),
            got: got.map(show),
            wanted: None,
        })
    };
    let Some(error) = body.get("error").filter(|e| e.is_object()) else {
        return if body.is_object() {
            broken("/error", body.get("error"))
        } else {
            broken("", Some(body))
        };
    };
    match error.get("code") {
        Some(Value::String(code)) if !code.trim().is_empty() => {}
        other => return broken("/error/code", other),
    }
    match error.get("message") {
        Some(Value::String(_)) => None,
        other => broken("/error/message", other),
    }
}

fn is_web_url(text: &str) -> bool {
    Url::parse(text).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
    })
}

fn show(value: &Value) -> String {
    // Not `cut(&value.to_string())`: a 15 MiB value would be formatted whole to show 200 bytes.
    compact(value, SHOWN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({
            "id": "abc",
            "roles": ["write"],
            "hasPassword": true,
            "expirationDateTime": "2031-01-01T00:00:00Z",
            "link": {"type": "edit", "scope": "organization", "webUrl": "https://contoso.example/s/abc"}
        })
    }

    #[test]
    fn a_matching_answer_breaks_no_rule() {
        let request = json!({"type": "edit", "scope": "organization", "password": "x",
            "expirationDateTime": "2031-01-01T01:00+01:00"});
        assert_eq!(link(&request, "", &good()), []);
    }

    #[test]
    fn each_rule_names_its_pointer() {
        let request = json!({"type": "view", "scope": "anonymous"});
        let rules: Vec<(Rule, String)> = link(&request, "/value", &good())
            .into_iter()
            .map(|b| (b.rule, b.pointer))
            .collect();
        assert_eq!(
            rules,
            [
                (Rule::LinkType, "/value/link/type".to_owned()),
                (Rule::LinkScope, "/value/link/scope".to_owned()),
                (Rule::HasPassword, "/value/hasPassword".to_owned()),
            ]
        );
    }

    #[test]
    fn the_administrators_link_types_are_judged_as_a_link_only() {
        for asked in ["addressBar", "adminDefault"] {
            let request = json!({ "type": asked, "scope": "users", "password": "x",
                "expirationDateTime": "2031-01-01T00:00:00Z" });
            assert_eq!(link(&request, "", &good()), [], "{asked}");
        }
        let request = json!({"type": "review", "scope": "organization", "password": "x",
            "expirationDateTime": "2031-01-01T00:00:00Z"});
        let rules: Vec<Rule> = link(&request, "", &good())
            .into_iter()
            .map(|b| b.rule)
            .collect();
        assert_eq!(rules, [Rule::LinkType]);
    }

    #[test]
    fn a_blocks_download_link_prevents_download() {
        let request = json!({"type": "blocksDownload", "scope": "organization", "password": "x",
            "expirationDateTime": "2031-01-01T00:00:00Z"});
        let mut answer = good();
        answer["link"]["type"] = json!("blocksDownload");
        answer["roles"] = json!(["read"]);
        let rules = |a: &Value| -> Vec<Rule> {
            link(&request, "", a).into_iter().map(|b| b.rule).collect()
        };
        assert_eq!(rules(&answer), [Rule::PreventsDownload]);
        answer["link"]["preventsDownload"] = json!(true);
        assert_eq!(rules(&answer), []);
    }

    #[test]
    fn error_shape_points_at_the_first_departure() {
        let at = |v: Value| error_shape(&v).map(|b| b.pointer);
        assert_eq!(at(json!({"error": {"code": "x", "message": ""}})), None);
        assert_eq!(at(json!([])), Some(String::new()));
        assert_eq!(at(json!({"message": "x"})), Some("/error".to_owned()));
        assert_eq!(
            at(json!({"error": {"code": "", "message": "m"}})),
            Some("/error/code".to_owned())
        );
        assert_eq!(
            at(json!({"error": {"code": "c"}})),
            Some("/error/message".to_owned())
        );
    }
}
