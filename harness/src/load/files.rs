//! Reading the files a run is given: regular files only, up to a size cap.
//!
//! A path given by mistake must fail at once with a reason, not hang or exhaust memory: a FIFO
//! with no writer blocks `open` forever, `/dev/zero` never ends, a directory or a symlink loop
//! is not a file. The kind is checked before the file is opened, and reading stops one byte past
//! the cap.

use std::fs::FileType;
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The cap for the params, expected-failures, case, variant and schema files: each is a few KiB.
pub const CAP: u64 = 1024 * 1024;

/// Why a file cannot be read. Its message (in `load/error.rs`) does not name the file: its caller does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// Missing, unreadable, a dangling link or a loop of links: the system's reason.
    Io(String),
    /// Not a regular file: what it is instead.
    NotAFile(&'static str),
    TooLarge {
        cap: u64,
    },
    NotUtf8,
}

/// The text of the regular file at `path` (links followed), if it is at most `cap` bytes.
pub fn read_text(path: &Path, cap: u64) -> Result<String, FileError> {
    let io = |e: std::io::Error| FileError::Io(e.to_string());
    let kind = std::fs::metadata(path).map_err(io)?.file_type();
    if !kind.is_file() {
        return Err(FileError::NotAFile(describe(kind)));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > cap {
        return Err(FileError::TooLarge { cap });
    }
    String::from_utf8(bytes).map_err(|_| FileError::NotUtf8)
}

fn describe(kind: FileType) -> &'static str {
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

/// A folder of its own under the system's temporary directory, removed when dropped. Its name
/// holds the process id and a counter, so parallel tests never share one. For tests and the
/// benchmarks; the harness itself writes no files but the summary.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("createlink-{name}-{}-{n}", std::process::id()));
        // A folder left by an earlier process with the same id is stale.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_up_to_the_cap_are_read() {
        let dir = TempDir::new("files");
        let file = dir.path().join("a.json");
        std::fs::write(&file, "{}").unwrap();
        assert_eq!(read_text(&file, 2).unwrap(), "{}");
        assert_eq!(read_text(&file, 1), Err(FileError::TooLarge { cap: 1 }));
        assert_eq!(
            read_text(dir.path(), CAP),
            Err(FileError::NotAFile("a directory"))
        );
        assert_eq!(
            read_text(Path::new("/dev/zero"), CAP),
            Err(FileError::NotAFile("a device"))
        );
        let fifo = dir.path().join("fifo.json");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(read_text(&fifo, CAP), Err(FileError::NotAFile("a FIFO")));
        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink(dir.path().join("missing"), &dangling).unwrap();
        assert!(matches!(read_text(&dangling, CAP), Err(FileError::Io(_))));
        let looped = dir.path().join("loop.json");
        std::os::unix::fs::symlink(&looped, &looped).unwrap();
        assert!(matches!(read_text(&looped, CAP), Err(FileError::Io(_))));
        let binary = dir.path().join("binary.json");
        std::fs::write(&binary, [0xff, 0xfe]).unwrap();
        assert_eq!(read_text(&binary, CAP), Err(FileError::NotUtf8));
    }
}
