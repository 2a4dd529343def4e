//! The document's rules for a createLink request, and the refusal for each broken one.
//!
//! Each refusal says exactly what was wrong, in Graph's error shape: client developers read these
//! messages (`createlink-conformance serve`) to fix their requests. A message may quote what the
//! client sent (the path, the method, the media type, a schema violation) but never the
//! `Authorization` header or the body's `password`, so a log of them is safe to share.

use std::fmt;

use serde_json::Value;
use wiremock::http::HeaderMap;

use super::{Answer, PREFIX, error, normal};
use crate::load::schema::{Schemas, Violation};
use crate::model::duplicate_members;
use crate::model::json_text::cut;
use crate::model::media_type::MediaType;
use crate::model::service::Service;

/// Graph's challenge on a 401, as Microsoft's documentation shows it for
/// `https://graph.microsoft.com/v1.0/me` ("Extract authentication parameters from WWW-Authenticate
/// headers", MSAL.NET): the realm, where to get a token, and Graph's own application id.
pub const CHALLENGE: &str = "Bearer realm=\"\", \
     authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", \
     client_id=\"00000003-0000-0000-c000-000000000000\"";

/// Quoted request values are cut at this many characters.
const SHOWN: usize = 200;

/// The request member whose value is never quoted.
const PASSWORD: &str = "/password";

/// Which rule a refused request broke: the kinds `serve` counts in its summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// The path is no documented createLink path: 404.
    Path,
    /// The method is not POST: 405.
    Method,
    /// No `Authorization: Bearer <token>`: 401.
    Authorization,
    /// The body is not declared `application/json`: 415.
    ContentType,
    /// The body is not one JSON document: 400.
    Json,
    /// A member name occurs twice in one object: 400.
    DuplicateMember,
    /// The body breaks `schemas/request.json`: 400.
    Schema,
    /// The body asks what the served flavour (`serve --service`) does not offer: 400.
    Service,
    /// The body is larger than [`BODY_LIMIT`], or holds more than [`MAX_VALUES`] values: 413.
    TooLarge,
    /// The body did not arrive whole: too slow (`serve`'s body timeout) or cut off: 408.
    Incomplete,
}

/// The largest request body judged: a createLink request is a few hundred bytes. Larger ones are
/// refused before any parsing, so no request keeps the server (one request at a time, see
/// `serve`) busy for long.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The most JSON values of a request body that is parsed: a request has a few dozen.
pub const MAX_VALUES: usize = 10_000;

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::Path => "path",
            Fault::Method => "method",
            Fault::Authorization => "authorization",
            Fault::ContentType => "content-type",
            Fault::Json => "json",
            Fault::DuplicateMember => "duplicate-member",
            Fault::Schema => "schema",
            Fault::Service => "service",
            Fault::TooLarge => "too-large",
            Fault::Incomplete => "incomplete",
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A refused request: the broken rule, and Graph's status, code and message for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub fault: Fault,
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    fn new(fault: Fault, message: String) -> Self {
        let (status, code) = match fault {
            Fault::Path => (404, "itemNotFound"),
            Fault::Method => (405, "methodNotAllowed"),
            Fault::Authorization => (401, "InvalidAuthenticationToken"),
            Fault::ContentType => (415, "unsupportedMediaType"),
            // Graph documents no status for this; 400 is what it answers a request it cannot
            // serve as asked (docs/reference-server.md, what it checks in a request).
            Fault::Json | Fault::DuplicateMember | Fault::Schema | Fault::Service => {
                (400, "invalidRequest")
            }
            // Graph's list of error codes has none for a size: the general one.
            Fault::TooLarge => (413, "invalidRequest"),
            // Graph's code for an operation that did not complete in time.
            Fault::Incomplete => (408, "timeout"),
        };
        Refusal {
            fault,
            status,
            code,
            message,
        }
    }

    /// The refusal in Graph's error shape. A 405 names the allowed method (RFC 9110 §15.5.6), a
    /// 401 carries Graph's challenge (RFC 9110 §15.5.2 requires one).
    pub fn answer(&self) -> Answer {
        let mut answer = error(self.status, self.code, &self.message);
        match self.fault {
            Fault::Method => answer.headers.push(("allow".to_owned(), "POST".to_owned())),
            Fault::Authorization => answer
                .headers
                .push(("www-authenticate".to_owned(), CHALLENGE.to_owned())),
            _ => {}
        }
        answer
    }
}

/// The path's segments under [`PREFIX`], or the refusal of a path outside it.
pub fn segments(path: &str) -> Result<Vec<&str>, Refusal> {
    match path.strip_prefix(PREFIX) {
        Some(rest) if rest.starts_with('/') => Ok(rest[1..].split('/').collect()),
        _ => Err(Refusal::new(
            Fault::Path,
            format!(
                "{} is not under {PREFIX}: the createLink paths are served as {PREFIX}<documented \
                 path>, such as {PREFIX}/drives/{{drivesId}}/root/createLink",
                shown(path)
            ),
        )),
    }
}

/// The refusal of a path under [`PREFIX`] that no documented template matches.
pub fn unknown_path(path: &str, served: usize) -> Refusal {
    Refusal::new(
        Fault::Path,
        format!(
            "{} matches none of the {served} documented createLink paths (each a fixed sequence \
             of segments, with one non-empty segment per {{parameter}} and no trailing '/')",
            shown(path)
        ),
    )
}

pub fn method(method: &str) -> Result<(), Refusal> {
    if method == "POST" {
        return Ok(());
    }
    Err(Refusal::new(
        Fault::Method,
        format!("the method is {}; createLink takes POST", shown(method)),
    ))
}

/// `Authorization: Bearer <token>`, once, with a token of visible ASCII characters (as
/// `CREATELINK_TOKEN` is). The scheme is case-insensitive (RFC 9110 §11.1). No message quotes the
/// header: any part of it may be the secret.
pub fn authorization(headers: &HeaderMap) -> Result<(), Refusal> {
    const SEND: &str = "send `Authorization: Bearer <token>`";
    let refuse = |why: String| Err(Refusal::new(Fault::Authorization, why));
    let values: Vec<&[u8]> = headers
        .get_all("authorization")
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    let value = match values.as_slice() {
        [] => {
            return refuse(format!(
                "Access token is empty: the request has no Authorization header; {SEND}"
            ));
        }
        [one] => *one,
        many => {
            return refuse(format!(
                "the request has {} Authorization headers; {SEND}, once",
                many.len()
            ));
        }
    };
    let (scheme, token) = match value.iter().position(|&b| b == b' ') {
        Some(at) => (&value[..at], value[at..].trim_ascii_start()),
        None => (value, &b""[..]),
    };
    if !scheme.eq_ignore_ascii_case(b"Bearer") {
        return refuse(format!(
            "the Authorization header's scheme is not Bearer (the header is not shown); {SEND}"
        ));
    }
    if token.is_empty() {
        return refuse(format!(
            "Access token is empty: the Authorization header has no token after \"Bearer\"; {SEND}"
        ));
    }
    if !token.iter().all(|b| (0x21..=0x7e).contains(b)) {
        return refuse(
            "the token after \"Bearer \" contains white space, control or non-ASCII characters \
             (the token is not shown)"
                .to_owned(),
        );
    }
    Ok(())
}

/// One `Content-Type` whose media type is `application/json`, with no charset but UTF-8.
pub fn content_type(headers: &HeaderMap) -> Result<(), Refusal> {
    const SEND: &str = "send `Content-Type: application/json`";
    let refuse = |why: String| Err(Refusal::new(Fault::ContentType, why));
    let values: Vec<String> = headers
        .get_all("content-type")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let raw = match values.as_slice() {
        [] => {
            return refuse(format!(
                "the request has no Content-Type header; createLink's body is JSON: {SEND}"
            ));
        }
        [one] => one,
        many => {
            return refuse(format!(
                "the request has {} Content-Type headers ({}); {SEND}, once",
                many.len(),
                many.iter().map(|v| shown(v)).collect::<Vec<_>>().join(", ")
            ));
        }
    };
    let media_type = match MediaType::parse(raw) {
        Ok(m) => m,
        Err(why) => {
            return refuse(format!(
                "the Content-Type {} is not a media type ({why}); {SEND}",
                shown(raw)
            ));
        }
    };
    if !media_type.is_json() {
        return refuse(format!(
            "the Content-Type is {}, not application/json; {SEND}",
            shown(raw)
        ));
    }
    let charset = media_type.params.iter().find(|(name, _)| name == "charset");
    if let Some((_, charset)) = charset.filter(|(_, c)| !c.eq_ignore_ascii_case("utf-8")) {
        return refuse(format!(
            "the Content-Type {} names charset {}; a JSON body is UTF-8 (RFC 8259 §8.1)",
            shown(raw),
            shown(charset)
        ));
    }
    Ok(())
}

/// The refusal of a body over [`BODY_LIMIT`]: `Some(size)` as declared or read, `None` when a
/// chunked body passed the limit, where `serve` stopped reading it.
pub fn too_large(size: Option<u64>) -> Refusal {
    let size = match size {
        Some(bytes) => format!("is {bytes} bytes"),
        None => format!("came chunked and passed {BODY_LIMIT} bytes"),
    };
    Refusal::new(
        Fault::TooLarge,
        format!(
            "the request body {size}; this server reads at most {BODY_LIMIT} (a createLink \
             request is a few hundred)"
        ),
    )
}

/// How a request body failed to arrive whole (`serve`'s front sees it happen).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incomplete {
    /// The body timeout passed with `read` bytes in, of `declared` if a length was given.
    TooSlow { read: usize, declared: Option<u64> },
    /// The connection failed after `read` bytes: `error` is the transport's reason.
    BrokeOff {
        read: usize,
        declared: Option<u64>,
        error: String,
    },
    /// The server closed the connection (to make room, or stopping) while the body arrived.
    Closed,
}

/// The refusal of a body that did not arrive whole, saying how far it got.
pub fn incomplete(how: Incomplete) -> Refusal {
    let so_far = |read: usize, declared: Option<u64>| match declared {
        Some(n) => format!("{read} of its {n} bytes"),
        None => format!("{read} bytes"),
    };
    let message = match how {
        Incomplete::TooSlow { read, declared } => format!(
            "the request body did not arrive within the body timeout: {} had arrived; send the \
             body with the head",
            so_far(read, declared)
        ),
        Incomplete::BrokeOff {
            read,
            declared,
            error,
        } => cut(
            &format!(
                "the request body broke off after {} ({error}); nothing was answered",
                so_far(read, declared)
            ),
            300,
        ),
        Incomplete::Closed => "the connection was closed (to make room for another, or as the \
                               server stopped) while the request body was arriving; nothing was \
                               answered"
            .to_owned(),
    };
    Refusal::new(Fault::Incomplete, message)
}

/// The body as a valid createLink request: one JSON document, no name twice in one object, and
/// valid against `schemas/request.json` (every violation is named, not only the first) once its
/// `null` parameters are left out (Graph's metadata makes each one nullable).
pub fn body(bytes: &[u8], schemas: &Schemas) -> Result<Value, Refusal> {
    if bytes.len() > BODY_LIMIT {
        return Err(too_large(Some(bytes.len() as u64)));
    }
    let values = crate::model::json_count::count_values(bytes);
    if values > MAX_VALUES {
        return Err(Refusal::new(
            Fault::TooLarge,
            format!(
                "the request body holds about {values} JSON values; this server parses at most \
                 {MAX_VALUES} (a createLink request holds a few dozen)"
            ),
        ));
    }
    if bytes.trim_ascii().is_empty() {
        return Err(Refusal::new(
            Fault::Json,
            "the request body is empty; createLink takes a JSON object such as \
             {\"type\": \"view\", \"scope\": \"anonymous\"}"
                .to_owned(),
        ));
    }
    let body: Value = serde_json::from_slice(bytes)
        .map_err(|e| Refusal::new(Fault::Json, format!("the request body is not JSON: {e}")))?;
    if let Some(d) = duplicate_members::find(bytes).first() {
        return Err(Refusal::new(
            Fault::DuplicateMember,
            format!(
                "the request body has the member {} {} times in one object, at {}; receivers \
                 disagree on which one counts (RFC 8259 §4): send it once",
                shown(&d.name),
                d.count,
                d.pointer
            ),
        ));
    }
    let body = normal::without_nulls(body);
    let violations = schemas.check_request(&body);
    if violations.is_empty() {
        return Ok(body);
    }
    let each: Vec<String> = violations.iter().map(violation).collect();
    Err(Refusal::new(
        Fault::Schema,
        format!(
            "the request body breaks schemas/request.json: {}",
            each.join("; ")
        ),
    ))
}

/// The refusal of a valid body that asks what `service` lacks, citing the page that says so.
pub fn service(body: &Value, service: Service) -> Result<(), Refusal> {
    match crate::model::service::lacking(service, body) {
        None => Ok(()),
        Some(need) => Err(Refusal::new(
            Fault::Service,
            format!(
                "this server stands for {} (--service {}), and {}",
                service.label(),
                service.name(),
                need.reason()
            ),
        )),
    }
}

/// One schema violation: where, and why. The reason of a violation inside `password` quotes the
/// password, so it is replaced by the rule that was broken.
fn violation(v: &Violation) -> String {
    let at = if v.pointer.is_empty() {
        "the top level"
    } else {
        &v.pointer
    };
    let in_password = v.pointer == PASSWORD || v.pointer.starts_with("/password/");
    if in_password {
        format!(
            "at {at}: the value (not shown: a password) breaks {}",
            v.rule
        )
    } else {
        format!("at {at}: {}", v.reason)
    }
}

/// A value the client sent, quoted and cut.
fn shown(text: &str) -> String {
    cut(&format!("{text:?}"), SHOWN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::http::HeaderValue;

    fn headers(name: &'static str, values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(name, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn authorization_wants_one_bearer_token_and_never_quotes_the_header() {
        let check = |values: &[&str]| authorization(&headers("authorization", values));
        assert_eq!(check(&["Bearer abc.def-ghi"]), Ok(()));
        assert_eq!(
            check(&["bearer   abc"]),
            Ok(()),
            "the scheme is case-insensitive"
        );
        let mut non_ascii = HeaderMap::new();
        non_ascii.append(
            "authorization",
            HeaderValue::from_bytes(b"Bearer c2VjcmV0\xffLXRva2Vu").unwrap(),
        );
        for (refused, why) in [
            (check(&[]), "no Authorization header"),
            (check(&["Bearer a", "Bearer b"]), "2 Authorization headers"),
            (check(&["Basic c2VjcmV0LXRva2Vu"]), "scheme is not Bearer"),
            (check(&["c2VjcmV0LXRva2Vu"]), "scheme is not Bearer"),
            (check(&["Bearer"]), "no token after"),
            (check(&["Bearer c2VjcmV0 LXRva2Vu"]), "white space"),
            (authorization(&non_ascii), "non-ASCII"),
        ] {
            let refusal = refused.unwrap_err();
            assert_eq!((refusal.status, refusal.fault), (401, Fault::Authorization));
            assert!(refusal.message.contains(why), "{why}: {}", refusal.message);
            assert!(!refusal.message.contains("c2Vj"), "{}", refusal.message);
        }
    }

    #[test]
    fn content_type_wants_one_json_media_type_in_utf_8() {
        let check = |values: &[&str]| content_type(&headers("content-type", values));
        assert_eq!(check(&["application/json"]), Ok(()));
        assert_eq!(check(&["Application/JSON; charset=UTF-8;"]), Ok(()));
        for (values, why) in [
            (&[][..], "no Content-Type header"),
            (
                &["application/json", "application/json"],
                "2 Content-Type headers",
            ),
            (
                &["application/json; charset"],
                "\"application/json; charset\" is not a media type",
            ),
            (
                &["application/jsonx"],
                "\"application/jsonx\", not application/json",
            ),
            (
                &["application/json; charset=utf-16"],
                "names charset \"utf-16\"",
            ),
        ] {
            let refusal = check(values).unwrap_err();
            assert_eq!((refusal.status, refusal.fault), (415, Fault::ContentType));
            assert!(
                refusal.message.contains(why),
                "{values:?}: {}",
                refusal.message
            );
        }
    }

    #[test]
    fn a_401_carries_graphs_challenge() {
        let answer = authorization(&HeaderMap::new()).unwrap_err().answer();
        assert_eq!(answer.status, 401);
        assert_eq!(
            answer.headers,
            [(
                "www-authenticate".to_owned(),
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"".to_owned()
            )]
        );
        // No other refusal carries it.
        let other = content_type(&HeaderMap::new()).unwrap_err().answer();
        assert!(other.headers.is_empty(), "{:?}", other.headers);
    }

    #[test]
    fn a_405_names_the_allowed_method() {
        let answer = method("PUT").unwrap_err().answer();
        assert_eq!(answer.status, 405);
        assert_eq!(answer.headers, [("allow".to_owned(), "POST".to_owned())]);
        assert_eq!(method("POST"), Ok(()));
    }
}
