//! Documented path templates (`/drives/{drivesId}/items/{driveItemId}/createLink`) and how a
//! parameter's value becomes one path segment.

use std::collections::BTreeSet;
use std::fmt;

/// The last segment of every documented path.
pub const ACTION: &str = "createLink";

/// A documented path template such as `/drives/{drivesId}/items/{driveItemId}/createLink`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathTemplate {
    raw: String,
    segments: Vec<Segment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    Param(String),
}

/// A path template that cannot be parsed: the template as written, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    pub path: String,
    pub fault: TemplateFault,
}

/// What is wrong with a path template; a `String` is the segment or parameter at fault. The
/// words are in `load/error.rs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateFault {
    NoLeadingSlash,
    EmptySegment,
    /// A segment that opens `{` and does not close it.
    Unclosed(String),
    /// A `{parameter}` whose name is not an ASCII letter then letters or digits.
    BadName(String),
    /// A parameter's name, given twice.
    Twice(String),
    DotSegment(String),
    /// A literal segment with a character that a URL would not carry as written.
    BadLiteral(String),
    /// The last segment is not [`ACTION`].
    NoAction,
}

impl PathTemplate {
    pub fn parse(raw: &str) -> Result<Self, TemplateError> {
        let err = |fault| TemplateError {
            path: raw.to_owned(),
            fault,
        };
        let Some(rest) = raw.strip_prefix('/') else {
            return Err(err(TemplateFault::NoLeadingSlash));
        };
        let mut segments = Vec::new();
        let mut seen = BTreeSet::new();
        for part in rest.split('/') {
            if part.is_empty() {
                return Err(err(TemplateFault::EmptySegment));
            }
            if let Some(name) = part.strip_prefix('{') {
                let Some(name) = name.strip_suffix('}') else {
                    return Err(err(TemplateFault::Unclosed(part.to_owned())));
                };
                let mut chars = name.chars();
                let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                    && chars.all(|c| c.is_ascii_alphanumeric());
                if !well_formed {
                    return Err(err(TemplateFault::BadName(part.to_owned())));
                }
                if !seen.insert(name.to_owned()) {
                    return Err(err(TemplateFault::Twice(name.to_owned())));
                }
                segments.push(Segment::Param(name.to_owned()));
            } else if part == "." || part == ".." {
                // URLs resolve dot-segments away: the request would leave the base URL.
                return Err(err(TemplateFault::DotSegment(part.to_owned())));
            } else if !part.bytes().all(is_literal_byte) {
                return Err(err(TemplateFault::BadLiteral(part.to_owned())));
            } else {
                segments.push(Segment::Literal(part.to_owned()));
            }
        }
        if segments.last() != Some(&Segment::Literal(ACTION.to_owned())) {
            return Err(err(TemplateFault::NoAction));
        }
        Ok(PathTemplate {
            raw: raw.to_owned(),
            segments,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Param(name) => Some(name.as_str()),
            Segment::Literal(_) => None,
        })
    }

    /// Whether a request path (already split, percent-encoded segments) fits this template.
    pub fn matches(&self, path_segments: &[&str]) -> bool {
        path_segments.len() == self.segments.len()
            && self
                .segments
                .iter()
                .zip(path_segments)
                .all(|(s, p)| match s {
                    Segment::Literal(l) => l == p,
                    Segment::Param(_) => !p.is_empty(),
                })
    }
}

/// RFC 3986's `pchar` without `%`: a literal segment is sent as written, so it may hold nothing
/// that a URL parser would encode, decode or treat as a separator (`\\` is one for http URLs).
fn is_literal_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b)
}

impl fmt::Display for PathTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Why a value cannot be a path segment (the words are in `load/error.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentFault {
    /// An empty value would merge two segments.
    Empty,
    /// URL parsers treat `.` and `..` (encoded or not, per the WHATWG URL standard) as path
    /// navigation, so no encoding of them reaches the server as a segment.
    DotSegment,
}

/// Why `value` cannot be a path segment, if it cannot.
pub fn unusable_segment(value: &str) -> Option<SegmentFault> {
    if value.is_empty() {
        Some(SegmentFault::Empty)
    } else if value.bytes().all(|b| b == b'.') && value.len() <= 2 {
        Some(SegmentFault::DotSegment)
    } else {
        None
    }
}

/// Percent-encodes a path-parameter value as one path segment. Everything but RFC 3986's
/// unreserved characters, sub-delims, ':' and '@' is encoded, so '/', '?', '#', '%', space and
/// non-ASCII never change the shape of the path. Values that no encoding can carry are refused
/// when they are read (see [`unusable_segment`]).
pub fn encode_segment(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, SEGMENT).to_string()
}

/// What [`encode_segment`] encodes: all but the unreserved characters, the sub-delims, ':' and '@'.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_parsed_strictly() {
        let t = PathTemplate::parse("/drives/{drivesId}/items/{driveItemId}/createLink").unwrap();
        assert_eq!(t.params().collect::<Vec<_>>(), ["drivesId", "driveItemId"]);
        for bad in [
            "drives/{drivesId}/createLink",
            "/drives/{drivesId}/root",
            "/drives/{drivesId}/root/createLink/",
            "/drives//createLink",
            "/drives/{drives Id}/createLink",
            "/drives/{drivesId/createLink",
            "/drives/x{drivesId}/createLink",
            "/drives/{1d}/createLink",
            "/a/{x}/b/{x}/createLink",
            "/drives/../../../admin/createLink",
            "/drives/./createLink",
            "/drives/a\\b/createLink",
            "/drives/é/createLink",
            "/drives/a%2Fb/createLink",
            "/drives/a?b/createLink",
        ] {
            assert!(PathTemplate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn templates_match_concrete_paths() {
        let t = PathTemplate::parse("/drives/{drivesId}/root/createLink").unwrap();
        assert!(t.matches(&["drives", "b%21x", "root", "createLink"]));
        assert!(!t.matches(&["drives", "", "root", "createLink"]));
        assert!(!t.matches(&["drives", "x", "items", "createLink"]));
        assert!(!t.matches(&["drives", "x", "root"]));
    }

    #[test]
    fn reserved_and_non_ascii_characters_are_encoded() {
        assert_eq!(encode_segment("a/b?c#d%e f"), "a%2Fb%3Fc%23d%25e%20f");
        assert_eq!(encode_segment("é"), "%C3%A9");
        assert_eq!(encode_segment("b!x,y:z@w"), "b!x,y:z@w");
        assert_eq!(encode_segment("a.b"), "a.b");
        assert_eq!(encode_segment("..."), "...");
        for bad in ["", ".", ".."] {
            assert!(unusable_segment(bad).is_some(), "{bad:?}");
        }
        assert!(unusable_segment("...").is_none());
    }
}
