//! Result lines without libtest-mimic's padding. libtest-mimic pads every result line's name to
//! the longest selected name: the seed's deepest path makes that about 190 characters, so every
//! line of a whole run was 210 columns wide, the short names' lines mostly spaces. libtest-mimic
//! has no option for it; the lines pass through a filter instead, which keeps each name whole
//! (filters and `--exact` still match the full names) and drops only the padding, so a line is
//! as wide as its name needs.

use std::borrow::Cow;
use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::thread::JoinHandle;

/// `test <name><padding> ... <outcome>` without the padding; any other text as it is.
pub fn unpad(text: &str) -> Cow<'_, str> {
    let Some(rest) = text.strip_prefix("test ") else {
        return Cow::Borrowed(text);
    };
    // The padding ends where " ... " begins: a trial name holds no "  ... ".
    let Some(at) = rest.find(" ... ") else {
        return Cow::Borrowed(text);
    };
    let name = rest[..at].trim_end_matches(' ');
    if name.len() == at {
        return Cow::Borrowed(text);
    }
    Cow::Owned(format!("test {name}{}", &rest[at..]))
}

/// While it lives, the process's standard output goes through [`unpad`]; dropping it flushes
/// what is left and puts standard output back.
pub struct Unpadded {
    saved: RawFd,
    filter: Option<JoinHandle<()>>,
}

/// Whether standard output is a terminal, as libtest-mimic's colour choice asks: once the
/// filter is in place it is a pipe.
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

impl Unpadded {
    /// Puts the filter in front of standard output; `None` (output unchanged) when the
    /// descriptors cannot be had.
    pub fn start() -> Option<Self> {
        let _ = std::io::stdout().flush();
        let mut ends = [0; 2];
        // SAFETY: plain descriptor calls; each result is checked, and every descriptor made here
        // is owned by exactly one `File` or closed below.
        unsafe {
            if libc::pipe(ends.as_mut_ptr()) != 0 {
                return None;
            }
            let saved = libc::dup(1);
            if saved < 0 || libc::dup2(ends[1], 1) < 0 {
                libc::close(ends[0]);
                libc::close(ends[1]);
                if saved >= 0 {
                    libc::close(saved);
                }
                return None;
            }
            libc::close(ends[1]);
            let read = File::from_raw_fd(ends[0]);
            let out = File::from_raw_fd(libc::dup(saved));
            let filter = std::thread::spawn(move || pass(read, out));
            Some(Unpadded {
                saved,
                filter: Some(filter),
            })
        }
    }
}

impl Drop for Unpadded {
    fn drop(&mut self) {
        let _ = std::io::stdout().flush();
        // SAFETY: `saved` is the descriptor `start` duplicated; putting it back on 1 closes the
        // pipe's last writing end, so the filter reads to its end and stops.
        unsafe {
            libc::dup2(self.saved, 1);
            libc::close(self.saved);
        }
        if let Some(filter) = self.filter.take() {
            let _ = filter.join();
        }
    }
}

/// Copies `read` to `out` through [`unpad`], a line at a time, and also a line's start as soon
/// as it comes (`test <name> ... ` is written before the trial ends). Stops quietly when the
/// reader of `out` has gone: the next write to the pipe then fails, and the program ends as for
/// any closed standard output.
fn pass(mut read: File, mut out: File) {
    let mut buffer = [0u8; 8192];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let n = match read.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buffer[..n]);
        // Whole lines, then a line's start if it is a result line's prefix.
        let cut = match pending.iter().rposition(|&b| b == b'\n') {
            Some(at) => at + 1,
            None if pending.ends_with(b" ... ") => pending.len(),
            None => continue,
        };
        let text = String::from_utf8_lossy(&pending[..cut]).into_owned();
        let shown: String = text
            .split_inclusive('\n')
            .map(|line| unpad(line).into_owned())
            .collect();
        if out.write_all(shown.as_bytes()).is_err() {
            return;
        }
        pending.drain(..cut);
    }
    let _ = out.write_all(&pending);
}

#[cfg(test)]
mod tests {
    use super::unpad;

    #[test]
    fn only_the_padding_goes() {
        assert_eq!(
            unpad("test POST /a/createLink embed          ... ok\n"),
            "test POST /a/createLink embed ... ok\n"
        );
        assert_eq!(unpad("test POST /a ... "), "test POST /a ... ");
        assert_eq!(unpad("test POST /a      ... "), "test POST /a ... ");
        assert_eq!(
            unpad("test POST /a   ... ignored, expected failure ... listed\n"),
            "test POST /a ... ignored, expected failure ... listed\n"
        );
        for same in [
            "running 580 tests\n",
            "test result: ok. 1 passed\n",
            "failures:\n",
        ] {
            assert_eq!(unpad(same), same);
        }
    }
}
