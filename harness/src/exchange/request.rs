//! The request a case sends: URL, headers and body, and its `curl` rendering.

use std::collections::BTreeMap;

use reqwest::Url;

use crate::load::case::Case;
use crate::load::variant::Variant;
use crate::model::template::{Segment, encode_segment};
use crate::model::token::{PLACEHOLDER_TOKEN, TOKEN};

/// Everything about a trial's request except the token, which is added only when it is sent.
#[derive(Clone, Debug)]
pub struct PreparedRequest {
    /// POST for createLink; DELETE for the cleanup of a link (`permissions/{id}`).
    pub method: reqwest::Method,
    pub url: Url,
    /// The body exactly as sent: compact JSON, or a variant's text that is not JSON.
    pub body: String,
    /// Whether `Authorization: Bearer <token>` is sent.
    pub authorization: bool,
    /// How many times the request is sent, one after the other (a repeat sends it twice).
    pub times: usize,
    /// Whether the token sent is the placeholder (no `CREATELINK_TOKEN`): then the `curl` line
    /// writes it out, since it is no secret and the variable would be unset.
    pub placeholder_token: bool,
}

impl PreparedRequest {
    /// The case's request against `base`, with `overrides` taking precedence over its defaults.
    pub fn new(base: &Url, case: &Case, overrides: &BTreeMap<String, String>) -> Self {
        let mut path = base.path().trim_end_matches('/').to_owned();
        for segment in case.template.segments() {
            path.push('/');
            match segment {
                Segment::Literal(text) => path.push_str(text),
                Segment::Param(name) => {
                    let value = overrides
                        .get(name)
                        .or_else(|| case.params.get(name))
                        .map_or("", String::as_str);
                    path.push_str(&encode_segment(value));
                }
            }
        }
        let mut url = base.clone();
        url.set_path(&path);
        PreparedRequest {
            method: reqwest::Method::POST,
            url,
            body: case.body.clone(),
            authorization: true,
            times: 1,
            placeholder_token: false,
        }
    }

    /// `DELETE <item path>/permissions/{id}`: removes the link `id` this request created.
    pub fn deletion(&self, id: &str) -> Self {
        let mut url = self.url.clone();
        let item = url.path().strip_suffix("/createLink").unwrap_or(url.path());
        url.set_path(&format!("{item}/permissions/{}", encode_segment(id)));
        PreparedRequest {
            method: reqwest::Method::DELETE,
            url,
            body: String::new(),
            authorization: true,
            times: 1,
            placeholder_token: self.placeholder_token,
        }
    }

    /// The case's URL with the variant's request.
    pub fn with_variant(mut self, variant: &Variant) -> Self {
        self.body = variant.body_text();
        self.authorization = variant.authorization();
        self.times = variant.requests();
        self
    }

    /// A shell command that sends exactly this request. The token is written as a reference to
    /// the environment variable, never as its value.
    pub fn curl(&self) -> String {
        let authorization = if self.authorization && self.placeholder_token {
            format!("-H 'Authorization: Bearer {PLACEHOLDER_TOKEN}' \\\n  ")
        } else if self.authorization {
            format!("-H \"Authorization: Bearer ${TOKEN}\" \\\n  ")
        } else {
            String::new()
        };
        let command = format!(
            "curl -sS -i -X POST {} \\\n  {authorization}-H 'Content-Type: application/json' \\\n  --data-raw {}",
            shell_quote(self.url.as_str()),
            shell_quote(&self.body)
        );
        match self.times {
            1 => command,
            n => format!(
                "for i in $(seq {n}); do\n  {}\ndone",
                command.replace('\n', "\n  ")
            ),
        }
    }
}

/// Single-quotes for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
