//! CORS, so a browser app can call the reference as it calls Graph (Fetch standard, "CORS
//! protocol").
//!
//! A browser sends a createLink request (JSON, a bearer token) only after a preflight `OPTIONS`
//! with an `Origin` says it may, and shows the answer to the page only when the answer names the
//! page's origin. Every preflight is granted, on any path: a browser hides a refused preflight's
//! answer from the page, so a wrong path is better refused by the request itself, whose `404`
//! the page can read.

use wiremock::Request;
use wiremock::http::HeaderMap;

use super::Answer;

/// What the reference answers: createLink, and deleting a link.
pub const METHODS: &str = "POST, DELETE";

/// Always allowed, whatever the preflight asks: the token and the JSON body.
const HEADERS: &str = "Authorization, Content-Type";

/// The answer headers a page may read besides the safelisted ones: where a link is, Graph's
/// request ids, a 401's challenge, a 405's `Allow`, a 429's wait.
const EXPOSED: &str =
    "Location, request-id, client-request-id, WWW-Authenticate, Allow, Retry-After";

/// How long a browser may reuse a preflight's grant, in seconds.
const MAX_AGE: &str = "600";

/// The `204` for a preflight (`OPTIONS` with an `Origin`), or `None` for any other request.
pub fn preflight(request: &Request) -> Option<Answer> {
    if request.method.as_str() != "OPTIONS" {
        return None;
    }
    let origin = origin(&request.headers)?;
    // The SDKs add headers of their own (`client-request-id`, `SdkVersion`, `x-ms-…`): each
    // name the preflight asks for is granted, as long as it is a header name.
    let asked = request
        .headers
        .get_all("access-control-request-headers")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|name| !name.is_empty() && name.bytes().all(is_token_byte))
        .filter(|name| {
            !HEADERS
                .split(", ")
                .any(|always| always.eq_ignore_ascii_case(name))
        });
    let headers = std::iter::once(HEADERS)
        .chain(asked)
        .collect::<Vec<_>>()
        .join(", ");
    Some(Answer {
        status: 204,
        content_type: String::new(),
        body: serde_json::Value::Null,
        headers: vec![
            ("access-control-allow-origin".to_owned(), origin),
            (
                "access-control-allow-methods".to_owned(),
                METHODS.to_owned(),
            ),
            ("access-control-allow-headers".to_owned(), headers),
            ("access-control-max-age".to_owned(), MAX_AGE.to_owned()),
            ("vary".to_owned(), "Origin".to_owned()),
        ],
    })
}

/// Lets the page that sent `request` read `answer`: its origin is named, when it sent one (a
/// preflight's answer names it already).
pub fn allow(request: &Request, answer: &mut Answer) {
    let named = answer
        .headers
        .iter()
        .any(|(name, _)| name == "access-control-allow-origin");
    if named {
        return;
    }
    if let Some(origin) = origin(&request.headers) {
        answer.headers.extend([
            ("access-control-allow-origin".to_owned(), origin),
            (
                "access-control-expose-headers".to_owned(),
                EXPOSED.to_owned(),
            ),
            ("vary".to_owned(), "Origin".to_owned()),
        ]);
    }
}

/// The request's one `Origin`, echoed back rather than `*` so that a page that sends
/// credentials is served too. Any value a header can carry is a valid answer to it.
fn origin(headers: &HeaderMap) -> Option<String> {
    let mut values = headers.get_all("origin").iter();
    let origin = values.next()?.to_str().ok()?;
    (values.next().is_none() && !origin.is_empty()).then(|| origin.to_owned())
}

/// RFC 9110's `tchar`: the bytes of a header name.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::http::{HeaderName, HeaderValue, Method};

    fn request(method: &str, headers: &[(&'static str, &str)]) -> Request {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        Request {
            url: "http://127.0.0.1/beta/drives/b!x/root/createLink"
                .parse()
                .unwrap(),
            method: Method::from_bytes(method.as_bytes()).unwrap(),
            headers: map,
            body: Vec::new(),
        }
    }

    fn header<'a>(answer: &'a Answer, name: &str) -> Option<&'a str> {
        let mut found = answer.headers.iter().filter(|(n, _)| n == name);
        let value = found.next().map(|(_, v)| v.as_str());
        assert!(found.next().is_none(), "{name} twice");
        value
    }

    #[test]
    fn a_preflight_is_granted_with_the_methods_and_the_headers_asked_for() {
        // As Chromium sends it before a fetch with a bearer token and a JSON body.
        let asked = request(
            "OPTIONS",
            &[
                ("origin", "http://127.0.0.1:8000"),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization,client-request-id,content-type,sdkversion",
                ),
            ],
        );
        let answer = preflight(&asked).unwrap();
        assert_eq!(answer.status, 204);
        assert_eq!(
            header(&answer, "access-control-allow-origin"),
            Some("http://127.0.0.1:8000")
        );
        assert_eq!(
            header(&answer, "access-control-allow-methods"),
            Some("POST, DELETE")
        );
        assert_eq!(
            header(&answer, "access-control-allow-headers"),
            Some("Authorization, Content-Type, client-request-id, sdkversion")
        );
        // No header names asked: the two the reference needs are still named.
        let bare = preflight(&request("OPTIONS", &[("origin", "null")])).unwrap();
        assert_eq!(
            header(&bare, "access-control-allow-headers"),
            Some("Authorization, Content-Type")
        );
        assert_eq!(header(&bare, "access-control-allow-origin"), Some("null"));
    }

    #[test]
    fn only_an_options_with_an_origin_is_a_preflight() {
        assert!(preflight(&request("OPTIONS", &[])).is_none());
        assert!(preflight(&request("POST", &[("origin", "http://a.example")])).is_none());
        let two = [
            ("origin", "http://a.example"),
            ("origin", "http://b.example"),
        ];
        assert!(preflight(&request("OPTIONS", &two)).is_none());
    }

    #[test]
    fn an_answer_names_the_origin_only_when_one_was_sent() {
        let mut answer = super::super::error(401, "InvalidAuthenticationToken", "no token");
        allow(&request("POST", &[]), &mut answer);
        assert!(answer.headers.is_empty(), "{:?}", answer.headers);
        allow(
            &request("POST", &[("origin", "http://127.0.0.1:8000")]),
            &mut answer,
        );
        assert_eq!(
            header(&answer, "access-control-allow-origin"),
            Some("http://127.0.0.1:8000")
        );
        assert!(
            header(&answer, "access-control-expose-headers")
                .unwrap()
                .contains("WWW-Authenticate")
        );
        // Once: `header` finds each name once.
        let from_page = request("OPTIONS", &[("origin", "http://127.0.0.1:8000")]);
        let mut granted = preflight(&from_page).unwrap();
        allow(&from_page, &mut granted);
        assert_eq!(
            header(&granted, "access-control-allow-origin"),
            Some("http://127.0.0.1:8000")
        );
        assert_eq!(header(&granted, "vary"), Some("Origin"));
    }
}
