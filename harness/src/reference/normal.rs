//! What real clients send, brought to one form before the reference looks at it.
//!
//! Official SDKs send requests that mean the same as the document's, spelt differently:
//!
//! - the Python SDKs (msgraph-sdk 1.65, msgraph-beta-sdk 1.66) join a base URL that ends in `/`
//!   and a path that starts with one, so they ask for `/beta//drives/…`;
//! - they percent-encode every `!` in a parameter, so the item `b!x` arrives as `b%21x`; RFC 3986
//!   §6.2.2.2 makes the two the same segment, so they must be the same item and the same link;
//! - the kiota TypeScript serializer writes `null` for a property set to null, and Graph's metadata
//!   makes every createLink parameter nullable: `null` is the parameter left out.

use serde_json::Value;

/// The path in one form: runs of `/` are one `/`, and each segment is percent-decoded and
/// encoded again where it must be (everything but RFC 3986's `pchar`, and `%` itself), in upper
/// case. A path already in that form, as every documented path is, comes back unchanged.
pub fn path(raw: &str) -> String {
    let mut collapsed = String::with_capacity(raw.len());
    for c in raw.chars() {
        if !(c == '/' && collapsed.ends_with('/')) {
            collapsed.push(c);
        }
    }
    let mut out = String::with_capacity(collapsed.len());
    for (i, segment) in collapsed.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        encode(&decode(segment), &mut out);
    }
    out
}

/// `body` without its top-level members whose value is `null`: each is a parameter left out.
pub fn without_nulls(body: Value) -> Value {
    match body {
        Value::Object(mut members) => {
            members.retain(|_, v| !v.is_null());
            Value::Object(members)
        }
        other => other,
    }
}

/// The bytes a segment stands for. A `%` not followed by two hex digits is kept as it is.
fn decode(segment: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(segment).collect()
}

/// RFC 3986's `pchar` as it is, every other byte percent-encoded in upper case.
fn encode(bytes: &[u8], out: &mut String) {
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repeated_slashes_are_one_and_segments_are_decoded_once() {
        for (raw, normal) in [
            // As the Python SDK sends it with a base URL ending in '/'.
            (
                "/beta//drives/b%21x/items/01ABC/createLink",
                "/beta/drives/b!x/items/01ABC/createLink",
            ),
            (
                "/beta/drives/b!x/root/createLink",
                "/beta/drives/b!x/root/createLink",
            ),
            (
                "//beta///drives//b!x/root/createLink",
                "/beta/drives/b!x/root/createLink",
            ),
            // Encoded where it must be: '/', '%', space, non-ASCII; hex in upper case.
            (
                "/beta/drives/a%2fb%25c%20d%c3%a9/x",
                "/beta/drives/a%2Fb%25c%20d%C3%A9/x",
            ),
            ("/beta/drives/%41%7e/x", "/beta/drives/A~/x"),
            // A stray '%' is a literal '%'.
            ("/beta/drives/50%/x%zz", "/beta/drives/50%25/x%25zz"),
            // A trailing slash stays: it is no documented path.
            (
                "/beta/drives/b!x/root/createLink/",
                "/beta/drives/b!x/root/createLink/",
            ),
            (
                "/beta/drives/b!x/root/createLink//",
                "/beta/drives/b!x/root/createLink/",
            ),
            ("/", "/"),
            ("", ""),
        ] {
            assert_eq!(path(raw), normal, "{raw}");
            assert_eq!(path(normal), normal, "{normal} is its own normal form");
        }
    }

    #[test]
    fn a_null_parameter_is_left_out() {
        // As the kiota TypeScript serializer writes a request whose other properties are null.
        let sent = json!({"type": "view", "scope": null, "password": null, "recipients": null});
        assert_eq!(without_nulls(sent), json!({"type": "view"}));
        // Only parameters: a null inside one is the schema's business.
        let nested = json!({"recipients": [{"email": null}]});
        assert_eq!(without_nulls(nested.clone()), nested);
        assert_eq!(without_nulls(json!([null])), json!([null]));
    }
}
