//! A parsed `Content-Type` value, per RFC 9110 (§8.3.1 and §5.6.6):
//!
//! ```text
//! media-type = type "/" subtype parameters
//! parameters = *( OWS ";" OWS [ parameter ] )
//! parameter  = parameter-name "=" parameter-value
//! ```
//!
//! The parameter after each `;` is optional, so empty parameters (`application/json;;charset=utf-8`,
//! a trailing `;`) are valid; RFC 7231, which RFC 9110 replaced, required one after each `;`.
//!
//! A prefix test would take `application/jsonx` or `application/json-patch+json` for JSON; the
//! parser compares the essence (`type/subtype`) exactly, case-insensitively.

use crate::model::cursor::Cursor;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaType {
    /// Lower-cased.
    pub essence_type: String,
    /// Lower-cased.
    pub subtype: String,
    /// Names lower-cased, values as sent (unquoted).
    pub params: Vec<(String, String)>,
}

impl MediaType {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut p = Cursor::new(raw);
        p.skip_ows();
        let essence_type = p.token().ok_or_else(|| "no type before '/'".to_owned())?;
        if !p.eat(b'/') {
            return Err(format!("expected '/' after {essence_type:?}"));
        }
        let subtype = p.token().ok_or_else(|| "no subtype after '/'".to_owned())?;
        let mut params = Vec::new();
        loop {
            p.skip_ows();
            if p.done() {
                break;
            }
            if !p.eat(b';') {
                return Err(format!(
                    "expected ';' or the end at byte {}, found {:?}",
                    p.at,
                    p.rest()
                ));
            }
            p.skip_ows();
            // `[ parameter ]`: nothing, or only white space, up to the next ';' or the end.
            if p.done() || p.peek() == Some(b';') {
                continue;
            }
            let name = p.token().ok_or_else(|| {
                format!(
                    "expected a parameter name or ';' at byte {}, found {:?}",
                    p.at,
                    p.rest()
                )
            })?;
            if !p.eat(b'=') {
                return Err(format!("parameter {name:?} has no '='"));
            }
            let value = if p.peek() == Some(b'"') {
                p.quoted()?
            } else {
                p.token()
                    .ok_or_else(|| format!("parameter {name:?} has no value"))?
            };
            params.push((name.to_ascii_lowercase(), value));
        }
        Ok(MediaType {
            essence_type: essence_type.to_ascii_lowercase(),
            subtype: subtype.to_ascii_lowercase(),
            params,
        })
    }

    /// `type/subtype`, lower-cased.
    pub fn essence(&self) -> String {
        format!("{}/{}", self.essence_type, self.subtype)
    }

    pub fn is_json(&self) -> bool {
        self.essence_type == "application" && self.subtype == "json"
    }
}

/// The rules of RFC 9110 that a media type needs.
impl Cursor<'_> {
    /// `OWS = *( SP / HTAB )`
    fn skip_ows(&mut self) {
        self.take_while(|b| matches!(b, b' ' | b'\t'));
    }

    /// `token = 1*tchar`
    fn token(&mut self) -> Option<String> {
        let token = self.take_while(is_tchar);
        (!token.is_empty()).then(|| String::from_utf8_lossy(token).into_owned())
    }

    /// `quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE`
    fn quoted(&mut self) -> Result<String, String> {
        let start = self.at;
        self.at += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(format!("unterminated quoted string at byte {start}")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escaped = self
                        .peek()
                        .ok_or_else(|| format!("unterminated quoted string at byte {start}"))?;
                    out.push(escaped);
                    self.at += 1;
                }
                Some(b) => {
                    out.push(b);
                    self.at += 1;
                }
            }
        }
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_with_any_parameters_is_json() {
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
            "application/json ; charset=\"utf-8\"",
            "application/json;",
            "application/json;;charset=utf-8",
            "application/json; ; charset=utf-8 ;",
            "application/json;charset=utf-8;;",
            "application/json;\t;odata.metadata=minimal",
        ] {
            let m = MediaType::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert!(m.is_json(), "{ok}");
        }
        let m = MediaType::parse("application/json;odata.metadata=minimal;IEEE754Compatible=false")
            .unwrap();
        assert_eq!(m.params[1], ("ieee754compatible".into(), "false".into()));
    }

    #[test]
    fn other_types_are_not_json() {
        for other in [
            "text/plain",
            "text/json",
            "application/problem+json",
            "application/jsonx",
            "application/json-patch+json",
            "application/xml",
        ] {
            assert!(!MediaType::parse(other).unwrap().is_json(), "{other}");
        }
    }

    #[test]
    fn malformed_values_are_errors() {
        for bad in [
            "",
            "application",
            "application/",
            "/json",
            "application/json charset=utf-8",
            "application/json; charset",
            "application/json; charset=\"utf-8",
            "application json",
            "application/json;=utf-8",
            "application/json;; charset",
            "application/json; charset =utf-8",
            "application/json,",
        ] {
            assert!(MediaType::parse(bad).is_err(), "{bad:?}");
        }
    }
}
