//! The one redaction point: every text the harness writes about a target (reports, ignored
//! reasons, setup errors) passes through a [`Redactor`] on its way out.
//!
//! A target can echo the bearer token anywhere: in Graph's error `message`, a `Location`, a
//! `Content-Type`, a schema-invalid value, the bytes around a parse error. Rather than trust each
//! of those places to leave it out, the finished text is cleaned once:
//!
//! - the token, and every piece of it at least [`FRAGMENT`] bytes long, becomes
//!   `$CREATELINK_TOKEN`. Pieces matter because reports cut long values (at about 200
//!   characters, or 40 bytes either side of a parse error), and a cut can fall inside the token;
//! - the token is also found in the escaped forms reports print it in (JSON strings, also with
//!   `/` written `\/` as PHP does, the `\"`-escaped bytes around a parse error, a
//!   percent-encoded URL);
//! - a token that the run's own text holds a piece of (it is under [`FRAGMENT`] bytes, or
//!   occurs in trial names, paths, `curl` lines) is not hidden: hiding it would mangle every
//!   report. [`Redactor::for_run`] says so, and the run says it once on stderr.
//! - URL userinfo (`scheme://user:password@host`) is dropped, leaving `scheme://host`.

use std::collections::HashSet;

use libtest_mimic::{Completion, Failed};

use crate::model::template::encode_segment;
use crate::model::token::{TOKEN, Token};

/// What the token is replaced with: the variable a reader sets to reproduce the request.
pub const REPLACEMENT: &str = "$CREATELINK_TOKEN";

/// The shortest piece of the token that is redacted on its own. Shorter pieces are too likely
/// to occur by chance in ordinary text, and too short to help anyone guess the token.
pub const FRAGMENT: usize = 12;

/// Why a run's token is left in its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unhidden {
    /// Under [`FRAGMENT`] bytes: ordinary text holds it by chance.
    Short,
    /// A piece of it is in the run's own text (trial names, paths, `curl` lines).
    Common,
}

impl Unhidden {
    /// The note a run prints once on stderr; it never quotes the token.
    pub fn note(self) -> String {
        let why = match self {
            Unhidden::Short => format!("it is shorter than {FRAGMENT} characters"),
            Unhidden::Common => {
                "the suite's own text (trial names, paths, the curl lines) holds a piece of it"
                    .to_owned()
            }
        };
        format!(
            "createlink conformance: {TOKEN} is not hidden in the output: {why}, so hiding it \
             would mangle the reports. A real bearer token is long; a placeholder \
             needs no hiding"
        )
    }
}

#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Every `FRAGMENT`-byte window of every form of the token (the whole form when shorter).
    windows: HashSet<Vec<u8>>,
    /// The window length: `FRAGMENT`, or the shortest form's length when that is shorter.
    width: usize,
}

impl Redactor {
    /// A redactor for `token`. The placeholder token is no secret, and its words
    /// ("createlink-conformance") occur in ordinary output, so it is left alone.
    pub fn new(token: &Token) -> Self {
        if token.is_placeholder() {
            return Redactor::default();
        }
        Self::for_secret(token.expose())
    }

    /// A redactor for the raw `CREATELINK_TOKEN` of the process environment, valid or not: a
    /// configuration error can quote a file that holds it (`/proc/self/environ`, a `.env`)
    /// before the configuration is known to be good.
    pub fn from_env() -> Self {
        match std::env::var_os(TOKEN) {
            Some(raw) => Self::new(&Token::new(raw.to_string_lossy())),
            None => Redactor::default(),
        }
    }

    /// The redactor of a run whose own text (trial names, paths, `curl` lines) is `texts`; a
    /// token that is short, or a piece of which these hold, is not hidden, and says why.
    pub fn for_run<'t>(
        token: &Token,
        texts: impl IntoIterator<Item = &'t str>,
    ) -> (Self, Option<Unhidden>) {
        if token.is_placeholder() {
            return (Redactor::default(), None);
        }
        if token.expose().len() < FRAGMENT {
            return (Redactor::default(), Some(Unhidden::Short));
        }
        let redactor = Self::for_secret(token.expose());
        if texts.into_iter().any(|t| redactor.finds(t)) {
            return (Redactor::default(), Some(Unhidden::Common));
        }
        (redactor, None)
    }

    /// Whether `text` holds a piece of the token this would replace.
    fn finds(&self, text: &str) -> bool {
        self.width > 0
            && text
                .as_bytes()
                .windows(self.width)
                .any(|w| self.windows.contains(w))
    }

    fn for_secret(secret: &str) -> Self {
        let json = serde_json::to_string(secret).unwrap_or_default();
        let json = json.trim_matches('"');
        let forms: Vec<String> = vec![
            secret.to_owned(),
            json.to_owned(),
            // PHP's json_encode escapes every `/` by default.
            json.replace('/', "\\/"),
            secret.as_bytes().escape_ascii().to_string(),
            encode_segment(secret),
        ];
        let width = forms
            .iter()
            .map(String::len)
            .min()
            .unwrap_or(0)
            .min(FRAGMENT);
        if width == 0 {
            return Redactor::default();
        }
        let windows = forms
            .iter()
            .flat_map(|f| f.as_bytes().windows(width).map(<[u8]>::to_vec))
            .collect();
        Redactor { windows, width }
    }

    /// `text` with the token and URL userinfo removed.
    pub fn redact(&self, text: &str) -> String {
        strip_userinfo(&self.replace_token(text))
    }

    fn replace_token(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        if self.windows.is_empty() || bytes.len() < self.width {
            return text.to_owned();
        }
        // The byte ranges covered by windows of the token, widened to whole characters and
        // merged, so each run of the secret is replaced once.
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for (i, window) in bytes.windows(self.width).enumerate() {
            if !self.windows.contains(window) {
                continue;
            }
            let (start, end) = (
                floor_char_boundary(text, i),
                ceil_char_boundary(text, i + self.width),
            );
            match runs.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => runs.push((start, end)),
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end) in runs {
            out.push_str(&text[at..start]);
            out.push_str(REPLACEMENT);
            at = end;
        }
        out.push_str(&text[at..]);
        out
    }

    /// A trial's ignored reason, redacted.
    pub fn completion(&self, completion: Completion) -> Completion {
        match completion {
            Completion::Ignored {
                reason: Some(reason),
            } => Completion::ignored_with(self.redact(&reason)),
            other => other,
        }
    }

    /// A trial's failure report, redacted.
    pub fn failed(&self, failed: Failed) -> Failed {
        match failed.message() {
            Some(message) => self.redact(message).into(),
            None => failed,
        }
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i.min(text.len())
}

/// Drops the userinfo of every URL in `text`: `https://user:pw@host/x` becomes `https://host/x`.
/// A URL is a scheme (a letter, then letters, digits, `+`, `-`, `.`) followed by `://`; its
/// authority ends at `/`, `?`, `#`, white space or a quote.
pub fn strip_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        rest = after;
        let scheme = before[..at]
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .next()
            .unwrap_or("");
        if !scheme.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let authority_end = rest
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`') || c.is_whitespace()
            })
            .unwrap_or(rest.len());
        if let Some(userinfo_end) = rest[..authority_end].rfind('@') {
            rest = &rest[userinfo_end + 1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "eyJ0eXAiOiJKV1QiLCJub25jZSI6IkFRQUJBQUFBQUFE";

    fn redactor() -> Redactor {
        Redactor::new(&Token::new(SECRET))
    }

    #[test]
    fn every_occurrence_of_the_token_is_replaced() {
        let text = format!("Token {SECRET} is not valid; request {SECRET}x{SECRET}");
        let out = redactor().redact(&text);
        assert_eq!(
            out,
            "Token $CREATELINK_TOKEN is not valid; request $CREATELINK_TOKENx$CREATELINK_TOKEN"
        );
    }

    #[test]
    fn a_piece_of_the_token_left_by_a_cut_is_replaced() {
        let cut = format!("\"abc{}… (1000 bytes in all)", &SECRET[..20]);
        assert_eq!(
            redactor().redact(&cut),
            "\"abc$CREATELINK_TOKEN… (1000 bytes in all)"
        );
        let around = format!("{}⟦here⟧{}", &SECRET[5..30], "tail");
        assert_eq!(redactor().redact(&around), "$CREATELINK_TOKEN⟦here⟧tail");
        // A piece shorter than FRAGMENT is no secret worth hiding and is left.
        let short = &SECRET[..FRAGMENT - 1];
        assert_eq!(redactor().redact(short), short);
    }

    #[test]
    fn escaped_forms_of_the_token_are_replaced() {
        let quoted = r#"to"k\en'with-quotes-and-backslashes"#;
        let r = Redactor::new(&Token::new(quoted));
        let json = serde_json::to_string(quoted).unwrap();
        assert_eq!(r.redact(&json), "\"$CREATELINK_TOKEN\"");
        let escaped = quoted.as_bytes().escape_ascii().to_string();
        assert_eq!(r.redact(&escaped), REPLACEMENT);
        let encoded = format!("http://h/x?t={}", encode_segment(quoted));
        assert_eq!(r.redact(&encoded), "http://h/x?t=$CREATELINK_TOKEN");
    }

    #[test]
    fn the_json_escape_of_slash_is_replaced() {
        let token = "abc/def/ghi/jkl/mno/pqr/stu/vwx/yz0/123";
        let r = Redactor::new(&Token::new(token));
        let php = token.replace('/', "\\/");
        assert_eq!(r.redact(&format!("body: {php}")), "body: $CREATELINK_TOKEN");
    }

    #[test]
    fn a_short_or_common_token_is_not_hidden_and_says_why() {
        let names = ["POST /drives/{drivesId}/root/createLink edit-organization"];
        for (token, unhidden) in [
            ("test", Some(Unhidden::Short)),
            ("createLink", Some(Unhidden::Short)),
            ("x/root/createLink edit-y", Some(Unhidden::Common)),
            (SECRET, None),
        ] {
            let (r, why) = Redactor::for_run(&Token::new(token), names);
            assert_eq!(why, unhidden, "{token}");
            let hidden = r.redact(&format!("<{token}>")) == format!("<{REPLACEMENT}>");
            assert_eq!(hidden, unhidden.is_none(), "{token}");
            if let Some(why) = why {
                assert!(!why.note().contains(token), "{}", why.note());
            }
        }
        let (_, why) = Redactor::for_run(&Token::placeholder(), names);
        assert_eq!(why, None, "the placeholder needs no note");
    }

    #[test]
    fn a_short_token_is_still_replaced_whole() {
        let r = Redactor::new(&Token::new("abc"));
        assert_eq!(
            r.redact("xabcx abc"),
            "x$CREATELINK_TOKENx $CREATELINK_TOKEN"
        );
    }

    #[test]
    fn non_ascii_text_around_the_token_survives() {
        let text = format!("é{SECRET}ü and ⟦{SECRET}⟧");
        assert_eq!(
            redactor().redact(&text),
            "é$CREATELINK_TOKENü and ⟦$CREATELINK_TOKEN⟧"
        );
        let odd = Redactor::new(&Token::new("ééééééééééééé"));
        assert_eq!(odd.redact("aéééééééééééééb"), "a$CREATELINK_TOKENb");
    }

    #[test]
    fn the_placeholder_token_is_not_redacted() {
        let r = Redactor::new(&Token::placeholder());
        let text = "createlink-conformance-placeholder-token at createlink-conformance.invalid";
        assert_eq!(r.redact(text), text);
    }

    #[test]
    fn url_userinfo_is_removed_anywhere_in_text() {
        for (text, expected) in [
            ("https://user:pw@host/x", "https://host/x"),
            ("see http://user@host:8080?q", "see http://host:8080?q"),
            ("'ftp://a:b@c@d#f' and x://e", "'ftp://d#f' and x://e"),
            (
                "https://host/path@not-userinfo",
                "https://host/path@not-userinfo",
            ),
            ("mail me@example.com", "mail me@example.com"),
            ("://user:pw@host", "://user:pw@host"),
            (
                "two: http://a:b@h1 http://c:d@h2/",
                "two: http://h1 http://h2/",
            ),
        ] {
            assert_eq!(strip_userinfo(text), expected, "{text}");
        }
        assert_eq!(
            Redactor::default().redact("http://u:p@h"),
            "http://h",
            "even with no token"
        );
    }

    #[test]
    fn trial_results_are_redacted() {
        let r = redactor();
        let failed = r.failed(Failed::from(format!("message: {SECRET}")));
        assert_eq!(failed.message(), Some("message: $CREATELINK_TOKEN"));
        let ignored = r.completion(Completion::ignored_with(format!("x {SECRET}")));
        assert!(
            matches!(ignored, Completion::Ignored { reason: Some(r) } if r == "x $CREATELINK_TOKEN")
        );
    }
}
