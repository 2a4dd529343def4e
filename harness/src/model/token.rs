//! The bearer token: a type that cannot be printed by accident.

use std::fmt;

/// The variable the token comes from; reports write the token as a reference to it.
pub const TOKEN: &str = "CREATELINK_TOKEN";

/// Sent when `CREATELINK_TOKEN` is unset: the reference server wants some bearer token.
pub const PLACEHOLDER_TOKEN: &str = "createlink-conformance-placeholder-token";

/// The bearer token. It has no `Display`, and its `Debug` is redacted, so it cannot end up in a
/// report by accident: the only way out is [`Token::expose`], used to build the header.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(value: impl Into<String>) -> Self {
        Token(value.into())
    }

    pub fn placeholder() -> Self {
        Token(PLACEHOLDER_TOKEN.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether this is the placeholder sent when `CREATELINK_TOKEN` is unset: no secret.
    pub fn is_placeholder(&self) -> bool {
        self.0 == PLACEHOLDER_TOKEN
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}
