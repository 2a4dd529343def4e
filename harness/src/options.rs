//! The suite's command line: libtest's options that mean something for a conformance run, plus
//! `--fail-fast`. Options under which a run would check nothing are refused, so a CI gate
//! cannot be green by accident.

use std::path::PathBuf;

use libtest_mimic::Arguments;

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Run (or list) the trials; `baseline` is where to write the expected-failures file that
    /// would make this run pass.
    Run {
        args: Arguments,
        fail_fast: bool,
        baseline: Option<PathBuf>,
    },
    /// Print this text on stdout and end with success.
    Print(String),
    /// Refuse the command line: this message on stderr, and the exit code of a setup error
    /// (a wrong option is a usage error, like a wrong variable).
    Refuse(String),
}

/// Reads the arguments after the program name.
pub fn parse(raw: Vec<String>) -> Command {
    if raw.iter().any(|a| a == "--version" || a == "-V") {
        return Command::Print(format!(
            "createlink-conformance {}\n",
            env!("CARGO_PKG_VERSION")
        ));
    }
    if raw.iter().any(|a| a == "--help" || a == "-h") {
        return Command::Print(crate::report::HELP.to_owned());
    }
    // Under `--bench` libtest runs benchmarks only and reports every trial as ignored, with
    // exit code 0: a run that sends nothing must not read as a pass.
    if raw.iter().any(|a| a == "--bench") {
        return Command::Refuse(
            "--bench: the suite has no benchmarks, so this run would check nothing; run \
             without it (`cargo bench --bench suite` measures the harness itself)"
                .to_owned(),
        );
    }
    let mut fail_fast = false;
    let mut baseline = None;
    let mut rest = Vec::new();
    let mut raw = raw.into_iter();
    while let Some(arg) = raw.next() {
        if arg == "--fail-fast" {
            fail_fast = true;
        } else if let Some(file) = arg.strip_prefix("--write-baseline=") {
            baseline = Some(PathBuf::from(file));
        } else if arg == "--write-baseline" {
            match raw.next() {
                Some(file) => baseline = Some(PathBuf::from(file)),
                None => {
                    return Command::Refuse(
                        "--write-baseline needs the file to write, e.g. --write-baseline \
                         expected-failures.txt"
                            .to_owned(),
                    );
                }
            }
        } else {
            rest.push(arg);
        }
    }
    let program = std::env::args().next().unwrap_or_default();
    // An unknown option ends the program here, with libtest's message and exit code 2.
    let args = Arguments::from_iter(std::iter::once(program).chain(rest));
    Command::Run {
        args,
        fail_fast,
        baseline,
    }
}

/// The exit status of a program ended by a closed standard output: what a shell shows for one
/// killed by SIGPIPE.
pub const CLOSED_PIPE: i32 = 128 + 13;

/// `createlink-conformance --list | head -3`: once the reader has gone, the program ends
/// quietly instead of panicking. libtest-mimic writes its results from the main thread and
/// panics when a write fails; that one panic becomes a quiet exit. SIGPIPE itself stays ignored,
/// as Rust sets it, because the client's and the reference server's sockets rely on getting
/// EPIPE as an error rather than a signal.
pub fn end_quietly_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let text = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        let main = std::thread::current().name() == Some("main");
        if main && (text.contains("Broken pipe") || text.contains("BrokenPipe")) {
            std::process::exit(CLOSED_PIPE);
        }
        default(info);
    }));
}
