//! The case files of `cases/`: the seed's 23 paths and the published pages' 6, each naming its
//! source, and data-driven.

use std::collections::BTreeSet;

use createlink::load::case::{self, Segment};
use createlink::load::config::{Config, repo_dir};
use createlink::load::schema::Schemas;
use createlink::suite::Suite;

fn schemas() -> Schemas {
    Schemas::load(&repo_dir("schemas")).unwrap()
}

/// The paths of the published pages, with their parameter names, by page.
const PUBLISHED: [(&str, &str); 6] = [
    (
        "driveitem-createlink",
        "/drives/{driveId}/items/{itemId}/createLink",
    ),
    (
        "driveitem-createlink",
        "/groups/{groupId}/drive/items/{itemId}/createLink",
    ),
    (
        "driveitem-createlink",
        "/me/drive/items/{itemId}/createLink",
    ),
    (
        "driveitem-createlink",
        "/sites/{siteId}/drive/items/{itemId}/createLink",
    ),
    (
        "driveitem-createlink",
        "/users/{userId}/drive/items/{itemId}/createLink",
    ),
    (
        "listitem-createlink",
        "/sites/{siteId}/lists/{listId}/items/{listItemId}/createLink",
    ),
];

#[test]
fn every_case_names_its_source_and_the_published_paths_are_cases() {
    let cases = case::load_dir(&repo_dir("cases"), &schemas()).unwrap();
    let mut published: Vec<(&str, &str)> = cases
        .iter()
        .filter(|c| c.source.as_deref() != Some("seed"))
        .map(|c| {
            let source = c.source.as_deref();
            (
                source.unwrap_or_else(|| panic!("{}: no source", c.file.display())),
                c.template.as_str(),
            )
        })
        .collect();
    published.sort_unstable();
    let mut wanted = PUBLISHED.to_vec();
    wanted.sort_unstable();
    assert_eq!(published, wanted);
    // Each published case is its own item against a target: no default value is shared.
    let values: Vec<&String> = cases
        .iter()
        .filter(|c| c.source.as_deref() != Some("seed"))
        .flat_map(|c| c.params.values())
        .collect();
    let distinct: BTreeSet<&String> = values.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        values.len(),
        "two published cases share a value"
    );
}

#[test]
fn the_seed_cases_are_23_distinct_documented_templates() {
    let all = case::load_dir(&repo_dir("cases"), &schemas()).unwrap();
    let cases: Vec<_> = all
        .iter()
        .filter(|c| c.source.as_deref() == Some("seed"))
        .collect();
    assert_eq!(cases.len(), 23);
    let templates: BTreeSet<&str> = all.iter().map(|c| c.template.as_str()).collect();
    assert_eq!(templates.len(), all.len(), "two cases share a template");
    // The parameter names the API document uses.
    let documented = [
        "drivesId",
        "sharesId",
        "workbooksId",
        "groupId",
        "driveItemId",
        "channelId",
        "itemActivityOLDId",
        "siteId",
        "baseItemId",
        "itemActivityStatId",
        "itemActivityId",
    ];
    for case in cases {
        let t = case.template.as_str();
        assert!(t.starts_with('/') && t.ends_with("/createLink"), "{t}");
        for segment in case.template.segments() {
            match segment {
                Segment::Param(name) => assert!(documented.contains(&name.as_str()), "{t}: {name}"),
                Segment::Literal(text) => assert!(!text.contains(['{', '}']), "{t}: {text}"),
            }
        }
        // The raw text is exactly what the segments spell: no stray braces or spaces.
        let rebuilt: String = case
            .template
            .segments()
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => format!("/{l}"),
                Segment::Param(p) => format!("/{{{p}}}"),
            })
            .collect();
        assert_eq!(rebuilt, t);
        assert_eq!(case.name(), format!("POST {t}"));
    }
}

#[test]
fn malformed_case_files_are_named_with_the_reason() {
    let dir = createlink::load::files::TempDir::new("cases");
    let schemas = schemas();
    for (text, reason) in [
        ("{", "not valid JSON"),
        ("[]", "must be a JSON object"),
        (r#"{"body": {}}"#, "missing \"path\""),
        (r#"{"path": 5, "body": {}}"#, "\"path\" must be a string"),
        (r#"{"path": "/a/createLink"}"#, "missing \"body\""),
        (
            r#"{"path": "/a/{x}/createLink", "body": {}}"#,
            "no default for {x}",
        ),
        (
            r#"{"path": "/a/createLink", "params": {"x": "1"}, "body": {}}"#,
            "not a parameter",
        ),
        (
            r#"{"path": "/a/{x}/createLink", "params": {"x": 1}, "body": {}}"#,
            "must be a string",
        ),
        (
            r#"{"path": "/a/createLink", "body": {"type": 5}}"#,
            "not a valid createLink request",
        ),
        (
            r#"{"path": "/a/createLink", "body": {"kind": "view"}}"#,
            "not a valid createLink request",
        ),
        (
            r#"{"path": "/a/createLink", "body": {}, "extra": 1}"#,
            "unknown member \"extra\"",
        ),
        (
            r#"{"path": "/a/{b c}/createLink", "body": {}}"#,
            "parameter",
        ),
        (
            r#"{"path": "/drives/../../../admin/createLink", "body": {}}"#,
            "is a dot-segment",
        ),
    ] {
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("broken.json");
        std::fs::write(&file, text).unwrap();
        let e = case::load_dir(&dir, &schemas).unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains("broken.json"), "{text}: {shown}");
        assert!(shown.contains(reason), "{text}: {shown}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_new_case_file_is_a_new_trial_without_code_changes() {
    let dir = createlink::load::files::TempDir::new("newcase");
    for entry in std::fs::read_dir(repo_dir("cases")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(
        dir.join("zz-new.json"),
        r#"{"path": "/sites/{siteId}/drive/root/createLink",
            "params": {"siteId": "contoso"},
            "body": {"type": "edit", "scope": "organization"}}"#,
    )
    .unwrap();
    let mut config = Config::defaults();
    config.cases = createlink::load::folder::Folder::Disk(dir.to_path_buf());
    let suite = Suite::new(config).unwrap();
    let repo = case::load_dir(&repo_dir("cases"), &schemas())
        .unwrap()
        .len();
    assert_eq!(suite.cases().len(), repo + 1);
    let new = suite
        .cases()
        .iter()
        .find(|c| c.template.as_str() == "/sites/{siteId}/drive/root/createLink")
        .unwrap();
    let outcome = suite.run_base(new);
    assert!(outcome.passed(), "{}", outcome.report());
    std::fs::remove_dir_all(&dir).ok();
}

/// Every `*.json` entry of the cases folder is loaded or reported: none is skipped silently, and
/// none blocks (a FIFO) or exhausts memory (a device).
#[test]
fn case_folder_entries_that_are_not_files_are_reported() {
    let schemas = schemas();
    type Make = fn(&std::path::Path);
    let kinds: [(&str, Make, &str); 5] = [
        (
            "a directory",
            |p| std::fs::create_dir(p).unwrap(),
            "is a directory",
        ),
        (
            "a FIFO",
            |p| {
                let ok = std::process::Command::new("mkfifo")
                    .arg(p)
                    .status()
                    .unwrap();
                assert!(ok.success());
            },
            "is a FIFO",
        ),
        (
            "a dangling link",
            |p| std::os::unix::fs::symlink(p.with_extension("missing"), p).unwrap(),
            "cannot read",
        ),
        (
            "a link loop",
            |p| std::os::unix::fs::symlink(p, p).unwrap(),
            "cannot read",
        ),
        (
            "a device",
            |p| std::os::unix::fs::symlink("/dev/zero", p).unwrap(),
            "is a device",
        ),
    ];
    for (i, (what, make, reason)) in kinds.into_iter().enumerate() {
        let dir = createlink::load::files::TempDir::new(&format!("entries-{i}"));
        for entry in std::fs::read_dir(repo_dir("cases")).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
            }
        }
        make(&dir.join("odd.json"));
        let shown = case::load_dir(&dir, &schemas).unwrap_err().to_string();
        assert!(
            shown.contains("odd.json") && shown.contains(reason),
            "{what}: {shown}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// `CREATELINK_PARAMS` knows the published pages' parameter names: a value given once is used by
/// every case whose template has that name, and by no other.
#[test]
fn the_params_file_knows_the_published_names() {
    let dir = createlink::load::files::TempDir::new("published-params");
    let file = dir.join("params.json");
    std::fs::write(
        &file,
        r#"{"itemId": "01MYITEM", "listItemId": "42", "userId": "me-too", "driveId": "b!mine"}"#,
    )
    .unwrap();
    let config = Config::from_lookup(|name| match name {
        "CREATELINK_PARAMS" => Some(file.clone().into_os_string()),
        _ => None,
    })
    .unwrap();
    let suite = Suite::new(config).unwrap();
    let mut with_item = 0;
    for case in suite.cases() {
        let path = suite.request(case).url.path().to_owned();
        let has = |name: &str| case.template.params().any(|p| p == name);
        assert_eq!(has("itemId"), path.contains("/items/01MYITEM/"), "{path}");
        assert_eq!(has("listItemId"), path.contains("/items/42/"), "{path}");
        assert_eq!(has("userId"), path.contains("/users/me-too/"), "{path}");
        assert_eq!(has("driveId"), path.contains("/drives/b!mine/"), "{path}");
        with_item += usize::from(has("itemId"));
    }
    assert_eq!(with_item, 5);
    std::fs::remove_dir_all(&dir).ok();
}
