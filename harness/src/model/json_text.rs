//! Compact JSON text of a value, cut at a limit without ever formatting the whole value.
//!
//! Reports quote offending values at about 200 characters. Formatting a 16 MiB string to cut it
//! afterwards costs its size again in memory and time, for every problem it has; writing through
//! a sink that keeps only the start and counts the rest costs neither.

use std::io;

use serde_json::Value;

/// `value` as compact JSON, cut after `limit` characters with the full length in bytes noted:
/// the same text as `schema::cut(&value.to_string(), limit)`.
pub fn compact(value: &Value, limit: usize) -> String {
    let mut sink = Head {
        kept: Vec::new(),
        // A character is at most 4 bytes: this is enough for `limit` of them.
        keep: limit.saturating_mul(4),
        total: 0,
    };
    // Writing to the sink cannot fail, and serializing a Value cannot either.
    let _ = serde_json::to_writer(&mut sink, value);
    let head = String::from_utf8_lossy(&sink.kept);
    match head.char_indices().nth(limit) {
        None if sink.total == sink.kept.len() => head.into_owned(),
        None => format!("{head}… ({} bytes in all)", sink.total),
        Some((at, _)) => format!("{}… ({} bytes in all)", &head[..at], sink.total),
    }
}

/// The length in bytes of `value` as compact JSON, without building the text.
pub fn length(value: &Value) -> usize {
    let mut sink = Head {
        kept: Vec::new(),
        keep: 0,
        total: 0,
    };
    let _ = serde_json::to_writer(&mut sink, value);
    sink.total
}

/// Keeps the first `keep` bytes written and counts all of them.
struct Head {
    kept: Vec<u8>,
    keep: usize,
    total: usize,
}

impl io::Write for Head {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.keep.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&buf[..buf.len().min(room)]);
        self.total += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Cuts `text` to about `limit` characters, on a character boundary.
pub fn cut(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        None => text.to_owned(),
        Some((at, _)) => format!("{}… ({} bytes in all)", &text[..at], text.len()),
    }
}

/// What a value is, for messages: "a string", "an object".
pub fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_text_is_the_cut_of_the_whole_text() {
        for value in [
            json!(null),
            json!("short"),
            json!("é".repeat(300)),
            json!({"a": ["x".repeat(500), 1, true], "b": {"c": "\"quoted\""}}),
            json!((0..100).collect::<Vec<_>>()),
        ] {
            for limit in [0, 1, 10, 200] {
                assert_eq!(
                    compact(&value, limit),
                    cut(&value.to_string(), limit),
                    "{value} at {limit}"
                );
            }
            assert_eq!(length(&value), value.to_string().len());
        }
    }

    #[test]
    fn only_the_start_of_a_huge_value_is_kept() {
        let huge = json!("x".repeat(1 << 20));
        let text = compact(&huge, 200);
        assert!(text.len() < 300, "{}", text.len());
        assert!(
            text.ends_with(&format!("… ({} bytes in all)", (1 << 20) + 2)),
            "{text}"
        );
    }
}
