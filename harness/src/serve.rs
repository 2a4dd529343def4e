//! `createlink-conformance serve`: the reference server as a program, for client developers.
//!
//! It answers the documented paths exactly as the suite's built-in server does (the same
//! [`Reference`]), refuses every request that breaks the document with a message saying what was
//! wrong, logs one line per request on stderr, and prints a summary when stopped.

mod front;
mod tally;

use std::ffi::OsString;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use crate::load::config::{Config, Profile, Service};
use crate::reference::{Answer, PREFIX, Reference};
use crate::suite::{Plan, setup_error};
use front::{Arrival, Limits, Respond};
use tally::Tally;

pub const USAGE: &str = "\
createlink-conformance serve: the reference createLink server, strict about requests

Usage: createlink-conformance serve [--profile documented|graph] [--service any|personal|business]
                                   [--port N] [--bind ADDR]

Options:
  --profile P   documented: 200 and {\"value\": permission}, as the API document says (default);
                graph: 201 for a new link, 200 for an existing one, the bare permission, as the
                live service answers; use it to test an official SDK, which reads the
                documented shape as an empty Permission. Overrides CREATELINK_PROFILE.
  --service S   any: accept every documented request (default); personal: stand for OneDrive
                personal; business: for OneDrive for Business and SharePoint. A request that
                service lacks (an embed link on business; the organization or users scope, a
                business-only type or a password on personal) is refused with 400 and the page's
                words. Overrides CREATELINK_SERVICE.
  --port N      the port to listen on; 0, the default, takes any free port
  --bind ADDR   the IP address to listen on (default 127.0.0.1; 0.0.0.0 or :: for all)
  -h, --help    print this text

It prints its base URL (http://ADDR:PORT/beta) as the first line on stdout, serves the documented
createLink paths under it, logs one line per request on stderr, and runs until Ctrl-C or SIGTERM,
then prints a summary of the requests and the violations on stderr.

Each client gets HTTP/1.1, 10 s to send a request head (at most 64 KiB) and 10 s more for its
body (at most 1 MiB: 413 past it); at most 512 connections are open, and past that the one
waiting longest for its client is closed.
";

/// Said at start-up and after the summary under `documented`: an SDK client sees no error, only
/// empty fields, and its developer would look for the fault in the wrong place.
pub const DOCUMENTED_NOTE: &str = "note: profile documented answers a link with 200 and \
     {\"value\": permission}, as the API document says; the official Graph SDKs (msgraph-sdk for \
     Python, the kiota and fluent JS clients) read that shape as an empty Permission and raise no \
     error. To test an SDK client, run serve --profile graph (the service's shape).";

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Serve(Options),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `None`: `CREATELINK_PROFILE`, or the default.
    pub profile: Option<Profile>,
    /// `None`: `CREATELINK_SERVICE`, or the default.
    pub service: Option<Service>,
    pub port: u16,
    pub bind: IpAddr,
}

/// Parses the arguments after `serve`. An error names the flag and what it wants.
pub fn parse_args(args: &[OsString]) -> Result<Command, String> {
    let mut options = Options {
        profile: None,
        service: None,
        port: 0,
        bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let arg = arg
            .to_str()
            .ok_or_else(|| format!("the argument {arg:?} is not valid UTF-8"))?;
        if matches!(arg, "-h" | "--help") {
            return Ok(Command::Help);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (arg, None),
        };
        let (flag, wants) = match flag {
            "--profile" => ("--profile", "documented or graph"),
            "--service" => ("--service", "any, personal or business"),
            "--port" => ("--port", "a port number from 0 to 65535"),
            "--bind" => ("--bind", "an IP address such as 127.0.0.1 or ::1"),
            _ => {
                return Err(format!(
                    "unknown argument {arg:?}; serve takes --profile, --service, --port, --bind and \
                     --help"
                ));
            }
        };
        if seen.contains(&flag) {
            return Err(format!("{flag} is given twice"));
        }
        seen.push(flag);
        let value = match inline {
            Some(value) => value,
            None => match args.next().and_then(|v| v.to_str()) {
                Some(value) => value.to_owned(),
                None => return Err(format!("{flag} needs a value: {wants}")),
            },
        };
        let bad = || format!("{flag}: expected {wants}, got {value:?}");
        match flag {
            "--profile" => {
                let known = [Profile::Documented, Profile::Graph];
                options.profile = Some(
                    known
                        .into_iter()
                        .find(|p| p.name() == value)
                        .ok_or_else(bad)?,
                );
            }
            "--service" => options.service = Some(Service::parse(&value).ok_or_else(bad)?),
            "--port" => options.port = value.parse().map_err(|_| bad())?,
            _ => {
                let bare = value.trim_start_matches('[').trim_end_matches(']');
                options.bind = bare.parse().map_err(|_| bad())?;
            }
        }
    }
    Ok(Command::Serve(options))
}

/// The reference, logging each request and counting it for the summary.
struct Logged {
    reference: Reference,
    tally: Arc<Mutex<Tally>>,
}

impl Logged {
    fn respond(&self, arrival: Arrival) -> Answer {
        let request = &arrival.request;
        let reply = match arrival.refused {
            None => self.reference.reply(request),
            Some(refused) => self.reference.refuse(request, refused),
        };
        let line = self
            .tally
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(request, &reply);
        // A closed stderr must not stop the server.
        let _ = writeln!(std::io::stderr(), "{line}");
        reply.answer
    }
}

/// `createlink-conformance serve ARGS`: 0 when stopped by a signal, 2 for a bad argument or
/// configuration, 1 when it cannot listen.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let options = match parse_args(&args) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Serve(options)) => options,
        Err(message) => {
            eprintln!("error: {message}\nRun `createlink-conformance serve --help` for usage.");
            return ExitCode::from(2);
        }
    };
    let plan = match Config::from_env().and_then(|mut config| {
        if let Some(profile) = options.profile {
            config.profile = profile;
        }
        if let Some(service) = options.service {
            config.service = service;
        }
        Plan::load(config)
    }) {
        Ok(plan) => plan,
        Err(e) => return setup_error(&e),
    };
    let address = SocketAddr::new(options.bind, options.port);
    let listener = match TcpListener::bind(address) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {address}: {e}");
            return ExitCode::from(1);
        }
    };
    match run(plan, listener) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

/// A panic inside the server is one line of the log, escaped, never a backtrace: the log is one
/// line per event.
fn one_line_panics() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_owned());
        let line = crate::model::json_text::cut(
            &crate::model::inert::escape(&format!(
                "createlink-conformance serve: a request was dropped, unanswered: {payload}"
            )),
            2000,
        );
        let _ = writeln!(std::io::stderr(), "{line}");
    }));
}

/// Serves on `listener` until a signal, then prints the summary.
fn run(plan: Plan, listener: TcpListener) -> Result<(), String> {
    one_line_panics();
    let limits = Limits::within(crate::exchange::limits::raise_descriptor_limit_to_hard());
    // Two threads take requests, two more answer them: a slow answer never holds up the rest.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let templates: Vec<_> = plan.cases.iter().map(|c| c.template.clone()).collect();
    let documented = templates.len();
    let profile = plan.config.profile;
    let service = plan.config.service;
    let tally = Arc::new(Mutex::new(Tally::default()));
    let logged = Logged {
        reference: Reference::new(templates, profile, plan.schemas).serving(service),
        tally: Arc::clone(&tally),
    };
    let respond: Respond = Arc::new(move |arrival| logged.respond(arrival));
    let counts = Arc::new(front::Counts::default());
    runtime.block_on(async {
        // Registered before the URL is printed: a client may stop the server as soon as it has
        // read the URL.
        let stop = stop_signal().map_err(|e| format!("cannot listen for signals: {e}"))?;
        let address = listener
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
        // std listens with a queue of 128: a burst of clients past that waits a second for
        // its SYN to be sent again. Listening again only lengthens the queue (Linux, BSD).
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: listen(2) on a socket this function owns.
            unsafe { libc::listen(listener.as_raw_fd(), 1024) };
        }
        let listener = listener
            .set_nonblocking(true)
            .and_then(|()| tokio::net::TcpListener::from_std(listener))
            .map_err(|e| format!("cannot listen on {address}: {e}"))?;
        let base_url = format!("http://{address}{PREFIX}");
        let mut stdout = std::io::stdout().lock();
        // A client waits for this line: it must be first, and flushed now.
        let _ = writeln!(stdout, "{base_url}").and_then(|()| stdout.flush());
        drop(stdout);
        eprintln!(
            "createlink-conformance serve: {documented} documented paths under {base_url}, \
             profile {}, service {} ({}); one line per request below; Ctrl-C or SIGTERM stops it",
            profile.name(),
            service.name(),
            service.label()
        );
        if profile == Profile::Documented {
            eprintln!("{DOCUMENTED_NOTE}");
        }
        front::serve(listener, limits, respond, Arc::clone(&counts), stop).await;
        Ok::<_, String>(())
    })?;
    // Connections still open are dropped with the runtime.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    let summary = tally
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .summary(documented);
    let _ = write!(std::io::stderr(), "{summary}");
    let _ = writeln!(std::io::stderr(), "{}", counts.line(&limits));
    if profile == Profile::Documented {
        let _ = writeln!(std::io::stderr(), "{DOCUMENTED_NOTE}");
    }
    Ok(())
}

/// A future that completes on Ctrl-C (SIGINT) or SIGTERM; both handlers are installed before it
/// returns, so a signal sent any time after is caught.
#[cfg(unix)]
fn stop_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn stop_signal() -> std::io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        parse_args(&args)
    }

    /// `--help` states the limits as text: it must say what the front applies.
    #[test]
    fn the_usage_names_the_limits_the_front_applies() {
        let limits = Limits::within(u64::MAX);
        for fact in [
            format!(
                "{} s to send a request head (at most {} KiB)",
                limits.header_timeout.as_secs(),
                limits.max_head / 1024
            ),
            format!("{} s more for its", limits.body_timeout.as_secs()),
            format!(
                "at most {} MiB: 413",
                crate::reference::BODY_LIMIT / (1024 * 1024)
            ),
            format!("at most {} connections", limits.max_connections),
        ] {
            assert!(USAGE.contains(&fact), "{fact:?} not in:\n{USAGE}");
        }
    }

    #[test]
    fn defaults_are_any_port_on_loopback() {
        assert_eq!(
            parse(&[]),
            Ok(Command::Serve(Options {
                profile: None,
                service: None,
                port: 0,
                bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            }))
        );
    }

    #[test]
    fn flags_take_a_value_after_a_space_or_an_equals_sign() {
        let Ok(Command::Serve(o)) = parse(&[
            "--profile=graph",
            "--port",
            "8080",
            "--bind",
            "[::1]",
            "--service",
            "personal",
        ]) else {
            panic!("expected options");
        };
        assert_eq!(o.profile, Some(Profile::Graph));
        assert_eq!(o.port, 8080);
        assert_eq!(o.service, Some(Service::Personal));
        assert_eq!(o.bind, "::1".parse::<IpAddr>().unwrap());
        assert_eq!(parse(&["--port", "1", "--help"]), Ok(Command::Help));
    }

    #[test]
    fn a_bad_argument_is_named() {
        for (args, named) in [
            (&["--port", "http"][..], "--port: expected a port number"),
            (&["--port", "65536"], "\"65536\""),
            (&["--port"], "--port needs a value"),
            (
                &["--profile", "Graph"],
                "--profile: expected documented or graph",
            ),
            (&["--bind", "localhost"], "--bind: expected an IP address"),
            (
                &["--service", "onedrive"],
                "--service: expected any, personal or business",
            ),
            (&["--port", "1", "--port=2"], "--port is given twice"),
            (&["--verbose"], "unknown argument \"--verbose\""),
            (&["8080"], "unknown argument \"8080\""),
        ] {
            let e = parse(args).unwrap_err();
            assert!(e.contains(named), "{args:?}: {e}");
        }
    }
}
