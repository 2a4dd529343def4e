//! The documentation's own checks: every relative link of README.md, CONTRIBUTING.md and
//! docs/*.md leads to a file that exists and, when it has a `#anchor`, to a heading of that file
//! (by GitHub's slug); README stays a short page that keeps its two commands.
//!
//! Links are found as GitHub renders them: `[text](target)`, `![alt](target)` and `[name]: target`
//! outside fenced code blocks and code spans. Links to other sites (`https:`, `mailto:`) are not
//! followed: the tests run without the internet.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

/// The clone's root, where README.md is.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the harness is a folder of the clone")
        .to_path_buf()
}

/// The pages whose links are checked, relative to the root.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![PathBuf::from("README.md"), PathBuf::from("CONTRIBUTING.md")];
    let docs = std::fs::read_dir(root().join("docs")).expect("docs/ is a folder of the clone");
    let mut more: Vec<PathBuf> = docs
        .map(|entry| entry.expect("docs/ can be listed").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .map(|path| Path::new("docs").join(path.file_name().expect("a file name")))
        .collect();
    more.sort();
    pages.extend(more);
    pages
}

/// What a link's target is, as far as the check needs it.
enum Target {
    Missing,
    /// A folder, or a file that is not Markdown: it exists, and has no headings to check.
    Other,
    Markdown(String),
}

/// The text with fenced code blocks and code spans blanked out (line breaks kept, so that line
/// numbers still count), which is where GitHub finds links and headings.
fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut fence: Option<String> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let marker: String = trimmed
            .chars()
            .take_while(|&c| c == '`' || c == '~')
            .collect();
        let opens =
            marker.len() >= 3 && marker.chars().all(|c| c == marker.chars().next().unwrap());
        match &fence {
            Some(open) => {
                if opens && marker.starts_with(open.as_str()) && trimmed.trim_end() == marker {
                    fence = None;
                }
                out.push_str(if line.ends_with('\n') { "\n" } else { "" });
            }
            None if opens => {
                fence = Some(marker);
                out.push_str(if line.ends_with('\n') { "\n" } else { "" });
            }
            None => out.push_str(line),
        }
    }
    blank_code_spans(&out)
}

/// Code spans (a run of N backticks up to the next run of exactly N) become spaces; a run with no
/// match stays as it is, as CommonMark reads it.
fn blank_code_spans(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let run_at = |i: usize| chars[i..].iter().take_while(|&&c| c == '`').count();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let n = run_at(i);
        let mut j = i + n;
        let close = loop {
            if j >= chars.len() {
                break None;
            }
            if chars[j] == '`' {
                let m = run_at(j);
                if m == n {
                    break Some(j);
                }
                j += m;
            } else {
                j += 1;
            }
        };
        match close {
            Some(j) => {
                for &c in &chars[i..j + n] {
                    out.push(if c == '\n' { '\n' } else { ' ' });
                }
                i = j + n;
            }
            None => {
                out.extend(&chars[i..i + n]);
                i += n;
            }
        }
    }
    out
}

/// Every link target of the text, with its line number (1-based).
fn links(text: &str) -> Vec<(usize, String)> {
    let prose = prose(text);
    let mut found = Vec::new();
    for (at, _) in prose.match_indices("](") {
        let rest = &prose[at + 2..];
        let target = if let Some(angled) = rest.strip_prefix('<') {
            angled.split('>').next().unwrap_or("").to_owned()
        } else {
            // Up to the `)` that closes the link, parentheses inside balanced, or a title.
            let mut depth = 0usize;
            let mut end = rest.len();
            for (i, c) in rest.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' if depth == 0 => {
                        end = i;
                        break;
                    }
                    ')' => depth -= 1,
                    c if c.is_whitespace() => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            rest[..end].to_owned()
        };
        found.push((line_of(&prose, at), target));
    }
    // Reference definitions: `[name]: target` at the start of a line.
    let mut offset = 0;
    for line in prose.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let close = trimmed.find("]:");
        if let Some(close) =
            close.filter(|_| trimmed.starts_with('[') && !trimmed.starts_with("[^"))
        {
            let target = trimmed[close + 2..].split_whitespace().next().unwrap_or("");
            let target = target.trim_start_matches('<').trim_end_matches('>');
            found.push((line_of(&prose, offset), target.to_owned()));
        }
        offset += line.len();
    }
    found.sort();
    found
}

fn line_of(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count() + 1
}

/// Whether a target leaves the repository: a URL with a scheme (`https:`, `mailto:`).
fn is_external(target: &str) -> bool {
    let before = target.split(['/', '#', '?']).next().unwrap_or("");
    before.contains(':')
}

/// A heading's anchor as GitHub makes it: the text without markup, lower case, spaces as `-`,
/// and every character that is not a letter, a digit, `-` or `_` left out.
fn slug(heading: &str) -> String {
    let text = strip_inline_links(heading);
    text.chars()
        .filter(|&c| c != '`' && c != '*')
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// `[text](target)` becomes `text`, as the rendered heading shows it.
fn strip_inline_links(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let Some(mid) = rest[open..].find("](") else {
            break;
        };
        let Some(close) = rest[open + mid..].find(')') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..open + mid]);
        rest = &rest[open + mid + close + 1..];
    }
    out.push_str(rest);
    out
}

/// The anchors a page has: its headings' slugs (a repeated one gets `-1`, `-2`, … as on GitHub),
/// and the `id`s and `name`s of its HTML anchors.
fn anchors(text: &str) -> HashSet<String> {
    let prose = prose(text);
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut anchors = HashSet::new();
    let mut previous = "";
    for line in prose.lines() {
        let trimmed = line.trim_start();
        let hashes = trimmed.chars().take_while(|&c| c == '#').count();
        let heading = if (1..=6).contains(&hashes)
            && line.len() - trimmed.len() < 4
            && (trimmed.len() == hashes || trimmed[hashes..].starts_with([' ', '\t']))
        {
            Some(trimmed[hashes..].trim().trim_end_matches('#').trim_end())
        } else if !previous.trim().is_empty()
            && !previous.trim_start().starts_with(['|', '#', '-', '*', '>'])
            && !trimmed.is_empty()
            && (trimmed.trim_end().chars().all(|c| c == '=')
                || trimmed.trim_end().chars().all(|c| c == '-'))
        {
            Some(previous.trim())
        } else {
            None
        };
        if let Some(heading) = heading {
            let base = slug(heading);
            let n = seen.entry(base.clone()).or_insert(0);
            anchors.insert(if *n == 0 { base } else { format!("{base}-{n}") });
            *n += 1;
        }
        for attribute in ["id=\"", "name=\""] {
            for (at, _) in line.match_indices(attribute) {
                let value = &line[at + attribute.len()..];
                if line[..at].contains("<a ") {
                    anchors.insert(value.split('"').next().unwrap_or("").to_owned());
                }
            }
        }
        previous = line;
    }
    anchors
}

/// The broken links of one page: `page` is its path relative to the root, `lookup` reads a
/// target (a path relative to the root). Each problem names the page, the line and the target.
fn broken_links(page: &Path, text: &str, lookup: &dyn Fn(&Path) -> Target) -> Vec<String> {
    let mut broken = Vec::new();
    let folder = page.parent().unwrap_or(Path::new(""));
    for (line, target) in links(text) {
        if is_external(&target) {
            continue;
        }
        let say = |why: &str| format!("{}:{line}: ({target}) {why}", page.display());
        let (file, anchor) = match target.split_once('#') {
            Some((file, anchor)) => (file, Some(anchor)),
            None => (target.as_str(), None),
        };
        let file = file.split('?').next().unwrap_or("");
        let (resolved, name) = if file.is_empty() {
            (Some(page.to_path_buf()), page.display().to_string())
        } else {
            (normalise(&folder.join(file)), file.to_owned())
        };
        let Some(resolved) = resolved else {
            broken.push(say("leads out of the repository"));
            continue;
        };
        let found = if file.is_empty() {
            Target::Markdown(text.to_owned())
        } else {
            lookup(&resolved)
        };
        match (found, anchor) {
            (Target::Missing, _) => broken.push(say(&format!(
                "names {}, which does not exist",
                resolved.display()
            ))),
            (_, None) | (_, Some("")) => {}
            (Target::Markdown(target_text), Some(anchor)) => {
                if !anchors(&target_text).contains(anchor) {
                    broken.push(say(&format!("{name} has no heading whose anchor is #{anchor}")));
                }
            }
            (Target::Other, Some(anchor)) => broken.push(say(&format!(
                "#{anchor} points into {name}, which is not a Markdown page, so it cannot be checked"
            ))),
        }
    }
    broken
}

/// `a/../b` as `b`; `None` when the path climbs above the root.
fn normalise(path: &Path) -> Option<PathBuf> {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().collect())
}

fn on_disk(path: &Path) -> Target {
    let full = root().join(path);
    if full.is_dir() {
        Target::Other
    } else if full.is_file() {
        if path.extension().is_some_and(|ext| ext == "md") {
            Target::Markdown(std::fs::read_to_string(&full).expect("a Markdown page is UTF-8"))
        } else {
            Target::Other
        }
    } else {
        Target::Missing
    }
}

fn read(page: &Path) -> String {
    std::fs::read_to_string(root().join(page))
        .unwrap_or_else(|e| panic!("{} cannot be read: {e}", page.display()))
}

#[test]
fn every_relative_link_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = read(&page);
        checked += links(&text).iter().filter(|(_, t)| !is_external(t)).count();
        broken.extend(broken_links(&page, &text, &on_disk));
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    // The pages link to each other: a parser that found no link would pass the check above.
    assert!(checked > 40, "only {checked} relative links found");
}

#[test]
fn every_docs_page_is_linked_from_readme() {
    let readme = read(Path::new("README.md"));
    let linked: HashSet<PathBuf> = links(&readme)
        .into_iter()
        .filter(|(_, t)| !is_external(t))
        .filter_map(|(_, t)| normalise(Path::new(t.split('#').next().unwrap_or(""))))
        .collect();
    for page in pages().into_iter().skip(1) {
        assert!(
            linked.contains(&page),
            "README.md does not link to {}",
            page.display()
        );
    }
}

#[test]
fn readme_is_a_short_page_with_its_two_commands() {
    let readme = read(Path::new("README.md"));
    let lines = readme.lines().count();
    assert!(
        lines <= 300,
        "README.md has {lines} lines; at most 300 (move the rest to docs/)"
    );
    assert!(
        readme.contains("\n## Contents\n"),
        "README.md has no table of contents"
    );
    for command in [
        "\ncargo test --test conformance   # ",
        "\ncargo test                      # ",
    ] {
        assert!(readme.contains(command), "README.md lost {command:?}");
    }
}

// The check itself, on pages made up for it: each kind of broken link is reported.

fn made_up(path: &Path) -> Target {
    match path.to_str() {
        Some("docs/guide.md") => Target::Markdown(
            "# Guide\n\n## The harness's own tests\n\n## Setup\n\n### Setup\n\nText\n---\n".into(),
        ),
        Some("docs") | Some("cases/a.json") => Target::Other,
        _ => Target::Missing,
    }
}

fn check(text: &str) -> Vec<String> {
    broken_links(Path::new("README.md"), text, &made_up)
}

#[test]
fn a_missing_file_is_reported() {
    let broken = check("See [the guide](docs/gide.md) first.\n");
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(
        broken[0]
            .starts_with("README.md:1: (docs/gide.md) names docs/gide.md, which does not exist"),
        "{broken:?}"
    );
}

#[test]
fn a_missing_anchor_is_reported() {
    let broken = check("Intro.\n\nSee [tests](docs/guide.md#the-harness-own-tests).\n");
    assert_eq!(
        broken,
        [
            "README.md:3: (docs/guide.md#the-harness-own-tests) docs/guide.md has no heading whose anchor is #the-harness-own-tests"
        ]
    );
    let broken = check("# Title\n\nSee [below](#nowhere).\n");
    assert_eq!(broken.len(), 1, "{broken:?}");
}

#[test]
fn a_link_out_of_the_repository_is_reported() {
    let broken = check("[up](../../etc/passwd)\n");
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(
        broken[0].contains("leads out of the repository"),
        "{broken:?}"
    );
}

#[test]
fn an_anchor_into_a_file_that_is_not_markdown_is_reported() {
    let broken = check("[a case](cases/a.json#L3)\n");
    assert_eq!(broken.len(), 1, "{broken:?}");
}

#[test]
fn good_links_pass() {
    let text = "# Title\n\n## Known gaps\n\n[gaps](#known-gaps), [tests](docs/guide.md#the-harnesss-own-tests), \
                [setup](docs/guide.md#setup), [again](docs/guide.md#setup-1), [text](docs/guide.md#text), \
                [docs](docs), [docs/](docs/), [case](cases/a.json), [guide](./docs/guide.md#guide), \
                [angled](<docs/guide.md>), [titled](docs/guide.md \"The guide\"), ![img](cases/a.json)\n\n\
                [ref]: docs/guide.md#setup\n";
    assert_eq!(check(text), Vec::<String>::new());
    assert_eq!(links(text).len(), 13);
}

#[test]
fn links_in_code_and_to_other_sites_are_not_followed() {
    let text = "```md\n[in a fence](missing.md)\n```\n\n  ```python\n  x[0](missing)\n  ```\n\n\
                `[in a span](missing.md)` and ``a ` [tricky](missing.md) span``, \
                a span over\nlines: `[x](missing.md)\n[y](missing.md)`.\n\n\
                [site](https://example.invalid/missing.md) [mail](mailto:someone@example.invalid) \
                [plain](http://example.invalid)\n";
    assert_eq!(check(text), Vec::<String>::new());
    // And the same links outside code are found.
    let text = "[a](missing.md) ``x`` [b](missing.md)\n";
    assert_eq!(check(text).len(), 2);
}

#[test]
fn slugs_are_githubs() {
    for (heading, slug_) in [
        ("Quick start", "quick-start"),
        ("The harness's own tests", "the-harnesss-own-tests"),
        ("From a browser (CORS)", "from-a-browser-cors"),
        ("The 401's challenge", "the-401s-challenge"),
        (
            "`--write-baseline` and known gaps",
            "--write-baseline-and-known-gaps",
        ),
        (
            "Run against [your service](x.md)",
            "run-against-your-service",
        ),
        (
            "CREATELINK_PROFILE: the *two* profiles",
            "createlink_profile-the-two-profiles",
        ),
        ("Café, naïve", "café-naïve"),
    ] {
        assert_eq!(slug(heading), slug_, "{heading:?}");
    }
    let anchors = anchors(
        "# A\n\n## A\n\n```\n# not a heading\n```\n\n#nope\n\nB\n===\n<a id=\"here\"></a>\n",
    );
    let mut anchors: Vec<_> = anchors.into_iter().collect();
    anchors.sort();
    assert_eq!(anchors, ["a", "a-1", "b", "here"]);
}
