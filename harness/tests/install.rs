//! The program as an installed tool: cases and schemas are built in, so it runs the whole suite
//! from any folder; relative paths mean the same file under cargo's commands; folders on disk
//! replace the built-in ones when named.

mod common;

use std::process::Command;

use common::program::{BIN, run, shown, temp_dir, workspace};
use common::trial_names;

/// The program copied out of the build, run from an empty folder with none of cargo's
/// variables: what `cargo install` gives a user.
#[test]
fn the_binary_runs_the_whole_suite_from_any_folder() {
    let dir = temp_dir("installed");
    let bin = dir.join("createlink-conformance");
    std::fs::copy(BIN, &bin).unwrap();
    let mut cmd = Command::new(&bin);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("CARGO") || k.starts_with("CREATELINK_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd.current_dir(&dir).output().unwrap();
    let text = shown(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!("{} passed; 0 failed", trial_names().len())),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The built-in copies are the repository's folders, file for file.
#[test]
fn the_built_in_cases_variants_and_schemas_are_the_repository_folders() {
    use createlink::load::folder::Folder;
    let names = |folder: &Folder| -> Vec<(String, String)> {
        folder
            .json_entries()
            .unwrap()
            .into_iter()
            .map(|e| {
                (
                    e.file.file_name().unwrap().to_string_lossy().into_owned(),
                    e.text.unwrap(),
                )
            })
            .collect()
    };
    let root = workspace();
    for (built_in, dir) in [
        (Folder::built_in_cases(), root.join("cases")),
        (
            Folder::built_in_cases().variants(),
            root.join("cases/variants"),
        ),
        (Folder::built_in_schemas(), root.join("schemas")),
    ] {
        assert_eq!(
            names(&built_in),
            names(&Folder::Disk(dir.clone())),
            "{}",
            dir.display()
        );
    }
}

/// `CREATELINK_PARAMS=harness/tests/data/params.json`, given from the clone's root, names that
/// file under cargo (whose test processes run in `harness/`); a missing file is named by its
/// absolute path.
#[test]
fn relative_paths_are_relative_to_the_clone_under_cargo() {
    let out = run(
        "t0ken",
        &[("CREATELINK_PARAMS", "harness/tests/data/params.json")],
        &["--exact", "POST /drives/{drivesId}/root/createLink"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    let out = run(
        "t0ken",
        &[("CREATELINK_PARAMS", "no-such-params.json")],
        &[],
    );
    let text = shown(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    let tried = workspace()
        .canonicalize()
        .unwrap()
        .join("no-such-params.json");
    assert!(text.contains(&tried.display().to_string()), "{text}");
}

/// `CREATELINK_SCHEMAS` replaces the built-in schemas: a folder without the entry points stops
/// the run, naming what is missing.
#[test]
fn a_schemas_folder_on_disk_replaces_the_built_in_one() {
    let dir = temp_dir("schemas-folder");
    for entry in std::fs::read_dir(workspace().join("schemas")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let out = run(
        "t0ken",
        &[("CREATELINK_SCHEMAS", dir.to_str().unwrap())],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    std::fs::remove_file(dir.join("envelope.json")).unwrap();
    let out = run(
        "t0ken",
        &[("CREATELINK_SCHEMAS", dir.to_str().unwrap())],
        &[],
    );
    let text = shown(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("envelope.json: missing"), "{text}");
    let out = run("t0ken", &[("CREATELINK_SCHEMAS", "no-such-folder")], &[]);
    let text = shown(&out);
    assert!(
        text.contains("CREATELINK_SCHEMAS:") && text.contains("no-such-folder is not a directory"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
