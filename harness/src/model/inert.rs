//! Text from a target or a client, made inert for the outputs that show it.
//!
//! Reports, the Markdown summary, nextest's JUnit file and `serve`'s log are read by people on
//! terminals and by programs that split on lines: libtest's `test result:` line, a Markdown
//! heading, `serve`'s `violations: none`. A Graph error `message` or a member name holding a
//! newline could write such a line, and an escape sequence could rewrite a terminal. Every
//! control character, and the Unicode characters that break or reorder lines, is shown as an
//! escape instead (`\n`, `\r`, `\t`, `\u{1b}`), so one piece of text is one line, as written.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every character [`is_active`] escaped; borrowed when there is none.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_active) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_active(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Control characters (C0, DEL, C1), the line and paragraph separators, and the bidirectional
/// overrides and isolates, which reorder what a reader sees ("Trojan Source").
pub fn is_active(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_characters_are_escaped_and_the_rest_kept() {
        for (text, shown) in [
            ("plain ⟦text⟧ é", "plain ⟦text⟧ é"),
            ("a\nb\r\nc\td", "a\\nb\\r\\nc\\td"),
            ("\u{1b}[2J\u{7}", "\\u{1b}[2J\\u{7}"),
            ("\u{85}\u{2028}\u{202e}x", "\\u{85}\\u{2028}\\u{202e}x"),
            (
                "\ntest result: ok. 1 passed",
                "\\ntest result: ok. 1 passed",
            ),
        ] {
            assert_eq!(escape(text), shown, "{text:?}");
            assert!(!escape(text).contains('\n'));
        }
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
    }
}
