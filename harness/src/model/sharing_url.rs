//! A sharing URL is a credential: whoever holds an anonymous link's `webUrl` can open the item,
//! and CI logs are read by many. Reports, the summary and JUnit show a link's `webUrl` (and the
//! `src` of an embed link's `webHtml`) as its scheme, host and length only, which is enough to
//! see which service answered and that the URL is not empty, and nothing to open.

use serde_json::Value;

use crate::model::profile::Profile;

/// The sharing URLs of a link answer's body (`{"value": …}` under documented).
pub fn of_answer(profile: Profile, body: &[u8]) -> Vec<String> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let permission = match profile {
        Profile::Documented => value.get("value").unwrap_or(&Value::Null),
        Profile::Graph => &value,
    };
    let link = permission.get("link").unwrap_or(&Value::Null);
    let mut urls: Vec<String> = Vec::new();
    if let Some(url) = link.get("webUrl").and_then(Value::as_str) {
        urls.push(url.to_owned());
    }
    if let Some(html) = link.get("webHtml").and_then(Value::as_str) {
        urls.extend(
            html.split("src=\"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next())
                .map(str::to_owned),
        );
    }
    urls.retain(|u| origin(u).is_some());
    urls
}

/// `scheme://host` of an absolute URL with something after its host.
fn origin(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+')
    {
        return None;
    }
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    (host_end > 0).then(|| &url[..scheme.len() + 3 + host_end])
}

/// How a sharing URL is shown: `https://host/…[N chars]`.
pub fn shown(url: &str) -> String {
    match origin(url) {
        Some(origin) => format!("{origin}/…[{} chars]", url.chars().count()),
        None => format!("…[{} chars]", url.chars().count()),
    }
}

/// `text` with every sharing URL of `urls` shown as [`shown`]: wherever the URL's
/// `scheme://host` occurs (also written with `\/`, as in JSON), the rest of that URL-like run
/// of characters goes, so a URL cut short by a report's cut is hidden too.
pub fn hide(text: &str, urls: &[String]) -> String {
    let mut out = text.to_owned();
    for url in urls {
        let Some(origin) = origin(url) else { continue };
        let replacement = shown(url);
        for form in [origin.to_owned(), origin.replace('/', "\\/")] {
            let mut from = 0;
            while let Some(at) = out[from..].find(&form).map(|i| i + from) {
                let end = url_end(&out, at + form.len());
                out.replace_range(at..end, &replacement);
                from = at + replacement.len();
            }
        }
    }
    out
}

/// Where the URL-like run of characters starting at `start` ends.
fn url_end(text: &str, start: usize) -> usize {
    text[start..]
        .char_indices()
        .find(|&(_, c)| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | ','))
        .map_or(text.len(), |(i, _)| start + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sharing_url_shows_its_scheme_host_and_length_only() {
        let url = "https://contoso.sharepoint.com/:w:/g/EaBcD?e=xyz";
        let urls = vec![url.to_owned()];
        let text = format!(
            "/link/webUrl is \"{url}\"; json {}; cut https://contoso.sharepoint.com/:w:/g/Ea…",
            url.replace('/', "\\/")
        );
        let hidden = hide(&text, &urls);
        assert!(
            !hidden.contains("EaBcD") && !hidden.contains("/g/"),
            "{hidden}"
        );
        assert!(
            hidden.contains("\"https://contoso.sharepoint.com/…[48 chars]\""),
            "{hidden}"
        );
    }

    #[test]
    fn webhtml_sources_count_as_sharing_urls() {
        let body = br#"{"link": {"webUrl": "https://a.invalid/s/1",
            "webHtml": "<iframe src=\"https://a.invalid/embed/1\"></iframe>"}}"#;
        assert_eq!(
            of_answer(Profile::Graph, body),
            vec!["https://a.invalid/s/1", "https://a.invalid/embed/1"]
        );
    }
}
