//! The service flavours: what the published createLink pages make available where.
//!
//! OneDrive personal and OneDrive for Business / SharePoint each lack part of the request: a
//! run against one (`CREATELINK_SERVICE`, `serve --service`) must not send, or accept, what that
//! service does not offer. What a request body needs is read from its parameters here, each with
//! the sentence of the page that says so, so the suite, the variant files and the reference
//! server agree on one table.

use serde_json::Value;

/// The variable that names the service a run targets.
pub const SERVICE: &str = "CREATELINK_SERVICE";

/// A service flavour, or `Any` for a run (or a request) not tied to one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Service {
    /// Every request is sent and accepted, as before flavours existed.
    #[default]
    Any,
    /// OneDrive personal.
    Personal,
    /// OneDrive for Business and SharePoint.
    Business,
}

impl Service {
    pub const ALL: [Service; 3] = [Service::Any, Service::Personal, Service::Business];

    pub fn name(self) -> &'static str {
        match self {
            Service::Any => "any",
            Service::Personal => "personal",
            Service::Business => "business",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The service as the pages name it.
    pub fn label(self) -> &'static str {
        match self {
            Service::Any => "every service",
            Service::Personal => "OneDrive personal",
            Service::Business => "OneDrive for Business and SharePoint",
        }
    }

    /// Whether a run against `self` sends a request available on `only`.
    pub fn offers(self, only: Service) -> bool {
        self == Service::Any || only == Service::Any || self == only
    }
}

/// Where one request parameter is available, and the page's words for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    /// What the request asks: `scope "users"`, `type "embed"`, `password`.
    pub what: String,
    pub only: Service,
    /// The page's sentence, verbatim.
    pub says: &'static str,
    /// The page and its section.
    pub page: &'static str,
}

impl Need {
    /// Why a trial that asks this is not sent under another service: the ignored trial's reason.
    pub fn reason(&self) -> String {
        reason(&self.what, self.only, self.says, self.page)
    }
}

/// A request available on one service only, with the reason its trial is ignored elsewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Only {
    pub service: Service,
    pub reason: String,
}

/// Why a run against `service` does not send a request available as `only` says.
pub fn not_offered(only: Option<&Only>, service: Service) -> Option<&str> {
    only.filter(|o| !service.offers(o.service))
        .map(|o| o.reason.as_str())
}

/// `<what> exists only on <service>: "<sentence>" (<page>)`.
pub fn reason(what: &str, only: Service, says: &str, page: &str) -> String {
    format!(
        "{what} exists only on {}: \"{says}\" ({page})",
        only.label()
    )
}

const SCOPES: &str = "driveitem-createlink, Scope types";
const TYPES: &str = "driveitem-createlink, Link types";
const BUSINESS_SCOPE: &str = "Only available in OneDrive for Business and SharePoint.";

/// Every parameter of `body` that only one service offers, in the order type, scope, password.
pub fn needs(body: &Value) -> Vec<Need> {
    let text = |name: &str| body.get(name).and_then(Value::as_str);
    let mut out = Vec::new();
    if let Some(link_type) = text("type") {
        let business = |says| Some((Service::Business, says));
        let found = match link_type {
            "embed" => Some((
                Service::Personal,
                "Embed links are only supported for OneDrive personal.",
            )),
            "review" => business(
                "This option is only available for files in OneDrive for Business and SharePoint.",
            ),
            "blocksDownload" => business(
                "This option is only available for files in OneDrive for Business and SharePoint.",
            ),
            "createOnly" => business(
                "This option is only available for folders in OneDrive for Business and \
                 SharePoint.",
            ),
            "addressBar" | "adminDefault" => {
                business("Only available in OneDrive for Business and SharePoint.")
            }
            _ => None,
        };
        if let Some((only, says)) = found {
            let page = if link_type == "embed" {
                "driveitem-createlink, Example 3"
            } else {
                TYPES
            };
            out.push(Need {
                what: format!("type {link_type:?}"),
                only,
                says,
                page,
            });
        }
    }
    if let Some(scope @ ("organization" | "users")) = text("scope") {
        out.push(Need {
            what: format!("scope {scope:?}"),
            only: Service::Business,
            says: BUSINESS_SCOPE,
            page: SCOPES,
        });
    }
    if body.get("password").is_some() {
        out.push(Need {
            what: "password".to_owned(),
            only: Service::Personal,
            says: "For OneDrive Personal only.",
            page: "permission resource, hasPassword",
        });
    }
    out
}

/// The one service `body` is available on (`Any` when every service offers it), or what the
/// body asks of two needs that no single service meets.
pub fn available_on(body: &Value) -> Result<Service, (String, String)> {
    let needs = needs(body);
    let mut first: Option<&Need> = None;
    for need in &needs {
        match first {
            None => first = Some(need),
            Some(f) if f.only != need.only => return Err((f.what.clone(), need.what.clone())),
            Some(_) => {}
        }
    }
    Ok(first.map_or(Service::Any, |n| n.only))
}

/// The first need of `body` that `service` does not offer.
pub fn lacking(service: Service, body: &Value) -> Option<Need> {
    needs(body).into_iter().find(|n| !service.offers(n.only))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_round_trip_and_unknown_names_are_none() {
        for s in Service::ALL {
            assert_eq!(Service::parse(s.name()), Some(s));
        }
        assert_eq!(Service::parse("Personal"), None);
        assert_eq!(Service::default(), Service::Any);
    }

    #[test]
    fn a_body_is_available_where_each_of_its_parameters_is() {
        let on = |body: Value| available_on(&body);
        assert_eq!(
            on(json!({"type": "view", "scope": "anonymous"})),
            Ok(Service::Any)
        );
        assert_eq!(on(json!({})), Ok(Service::Any));
        assert_eq!(on(json!({"type": "embed"})), Ok(Service::Personal));
        assert_eq!(on(json!({"password": "x"})), Ok(Service::Personal));
        for t in [
            "review",
            "blocksDownload",
            "createOnly",
            "addressBar",
            "adminDefault",
        ] {
            assert_eq!(on(json!({ "type": t })), Ok(Service::Business), "{t}");
        }
        assert_eq!(
            on(json!({"type": "view", "scope": "users"})),
            Ok(Service::Business)
        );
        assert_eq!(
            on(json!({"type": "embed", "scope": "organization"})),
            Err((
                "type \"embed\"".to_owned(),
                "scope \"organization\"".to_owned()
            ))
        );
    }

    #[test]
    fn a_service_lacks_what_only_the_other_offers() {
        let body = json!({"type": "edit", "scope": "organization"});
        assert_eq!(lacking(Service::Any, &body), None);
        assert_eq!(lacking(Service::Business, &body), None);
        let need = lacking(Service::Personal, &body).unwrap();
        assert_eq!(
            need.reason(),
            "scope \"organization\" exists only on OneDrive for Business and SharePoint: \"Only \
             available in OneDrive for Business and SharePoint.\" (driveitem-createlink, Scope \
             types)"
        );
        assert!(lacking(Service::Business, &json!({"type": "embed"})).is_some());
    }
}
