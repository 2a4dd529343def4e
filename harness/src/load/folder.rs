//! Where cases, variants and schemas come from: the copies built into the program (the
//! repository's folders at build time, see `build.rs`), or a folder on disk that
//! `CREATELINK_CASES` / `CREATELINK_SCHEMAS` names.

use std::path::{Path, PathBuf};

use crate::load::files::{self, FileError};

mod built_in {
    include!(concat!(env!("OUT_DIR"), "/built_in.rs"));
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Folder {
    /// Files built into the program: (file name, text). `label` names them in messages, as the
    /// repository's folder they were built from (`cases`).
    BuiltIn {
        label: &'static str,
        files: &'static [(&'static str, &'static str)],
    },
    Disk(PathBuf),
}

/// One `*.json` entry of a folder: how messages name it, and its text or why it has none.
pub struct Entry {
    pub file: PathBuf,
    pub text: Result<String, FileError>,
}

impl Folder {
    pub fn built_in_cases() -> Self {
        Folder::BuiltIn {
            label: "cases",
            files: built_in::CASES,
        }
    }

    pub fn built_in_schemas() -> Self {
        Folder::BuiltIn {
            label: "schemas",
            files: built_in::SCHEMAS,
        }
    }

    /// The variants of a cases folder: its `variants/` subfolder.
    pub fn variants(&self) -> Self {
        match self {
            Folder::BuiltIn { .. } => Folder::BuiltIn {
                label: "cases/variants",
                files: built_in::VARIANTS,
            },
            Folder::Disk(dir) => Folder::Disk(dir.join("variants")),
        }
    }

    /// Whether the folder is there at all (a cases folder need not have variants).
    pub fn exists(&self) -> bool {
        match self {
            Folder::BuiltIn { .. } => true,
            Folder::Disk(dir) => dir.exists(),
        }
    }

    /// How messages name the folder itself.
    pub fn shown(&self) -> PathBuf {
        match self {
            Folder::BuiltIn { label, .. } => PathBuf::from(format!("{label} (built in)")),
            Folder::Disk(dir) => dir.clone(),
        }
    }

    /// Every `*.json` entry, sorted by name. On disk, entries that are not readable regular
    /// files are kept, with the reason, so that they are reported instead of skipped.
    pub fn json_entries(&self) -> std::io::Result<Vec<Entry>> {
        match self {
            Folder::BuiltIn { label, files } => Ok(files
                .iter()
                .map(|(name, text)| Entry {
                    file: Path::new(label).join(name),
                    text: Ok((*text).to_owned()),
                })
                .collect()),
            Folder::Disk(dir) => {
                let mut paths = Vec::new();
                for entry in std::fs::read_dir(dir)? {
                    let path = entry?.path();
                    if path.extension().is_some_and(|e| e == "json") {
                        paths.push(path);
                    }
                }
                paths.sort();
                Ok(paths
                    .into_iter()
                    .map(|file| Entry {
                        text: files::read_text(&file, files::CAP),
                        file,
                    })
                    .collect())
            }
        }
    }
}
