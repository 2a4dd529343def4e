//! `cargo bench --bench suite`: what the suite costs, as a table.
//!
//! 1. Latency floor: the whole suite (every trial: 23 paths, each with its base trial and every
//!    variant) against a target that behaves like the reference server and delays every answer
//!    by D.
//! 2. Overhead: the whole suite against the built-in reference server.
//! 3. Scale: 23, 230 and 2,300 generated cases (base trials only) against the delaying target.
//! 4. Memory: the peak resident memory (VmHWM) of the suite process in each run.
//! 5. Build: a cold `cargo test --test conformance --no-run` and a cold
//!    `cargo install --locked --path harness`, each into an empty target directory (skip both
//!    with `-- --skip-build`).
//!
//! Every run is the suite program built by this bench's profile, started as a process, as CI
//! starts it. The figures are printed, never asserted: a slow machine fails nothing.

mod common;

use common::{generate_cases, status_max, suite_command, wait4};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use createlink::reference::Reference;
use wiremock::Request;
use wiremock::http::{HeaderMap, HeaderName, HeaderValue, Method};

const DELAY: Duration = Duration::from_millis(300);
/// Runs per figure; the median is reported.
const REPEAT: usize = 5;

fn main() {
    let skip_build = std::env::args().any(|a| a == "--skip-build");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let target = DelayTarget::start(DELAY);
    let work = std::env::temp_dir().join(format!("createlink-bench-{}", std::process::id()));

    println!(
        "createlink-conformance benchmark: {cores} cores, delay D = {} ms, median of {REPEAT} runs\n",
        DELAY.as_millis()
    );
    println!(
        "| run | trials | wall | per trial | wall / ideal | in flight (max) | threads (max) | peak RSS |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");

    let plan = createlink::suite::Plan::load(createlink::load::config::Config::defaults()).unwrap();
    let trials = plan.trials();
    let requests: usize = trials
        .iter()
        .map(|id| id.variant.map_or(1, |v| plan.variants[v].requests()))
        .sum();
    // The target starts with no link: under documented (every answer 200) the run may delete
    // the links it gets, as it would against the built-in server.
    let delayed = [
        ("CREATELINK_BASE_URL", target.url.as_str()),
        ("CREATELINK_FRESH_ITEMS", "1"),
    ];
    let schedule = Schedule::of(&target.url);
    let floor = median(&target, &delayed, trials.len());
    let rounds = requests.div_ceil(64) as u32;
    row(
        "whole suite, D = 300 ms",
        trials.len(),
        &floor,
        Some(DELAY * rounds),
    );
    let with_deletes = (requests + schedule.links).div_ceil(64) as u32;
    println!(
        "| (the same run against the ideal with its DELETEs) | | | | {:.2} | | | |",
        floor.wall.as_secs_f64() / (DELAY * with_deletes).as_secs_f64()
    );

    let overhead = median(&target, &[], trials.len());
    row(
        "whole suite, built-in server",
        trials.len(),
        &overhead,
        None,
    );

    for n in [23, 230, 2300] {
        let dir = generate_cases(&work.join(format!("cases-{n}")), n, "bench");
        let vars = [
            ("CREATELINK_BASE_URL", target.url.as_str()),
            ("CREATELINK_CASES", dir.to_str().unwrap()),
            ("CREATELINK_FRESH_ITEMS", "1"),
        ];
        let run = median(&target, &vars, n);
        let rounds = n.div_ceil(64) as u32; // the default concurrency
        row(
            &format!("scale, D = {} ms", DELAY.as_millis()),
            n,
            &run,
            Some(DELAY * rounds),
        );
    }
    println!(
        "\nwall / ideal: the ideal is one delay D per round of at most 64 requests in flight \
              (the default CREATELINK_CONCURRENCY); 1.00 is the floor. The whole suite is {} \
              trials sending {requests} createLink requests (the repeat variant sends two), \
              {rounds} rounds, and {} DELETEs, one per link it creates ({with_deletes} rounds \
              with them); the scale rows run base trials only (their folders have no variants). \
              The longest chain of trials that must run one after another (they could share a \
              link) is {} trials, {} requests with their DELETEs: at least {:.1} s at D.",
        trials.len(),
        schedule.links,
        schedule.trials,
        schedule.requests,
        (DELAY * schedule.requests as u32).as_secs_f64()
    );

    if skip_build {
        println!("\nbuild: skipped (--skip-build)");
    } else {
        build(&work);
    }
    std::fs::remove_dir_all(&work).ok();
}

/// What the suite's schedule asks of a run (`createlink::exchange::schedule`).
struct Schedule {
    /// The links the run creates, each deleted after its trial: one per link trial.
    links: usize,
    /// The longest chain, in trials and in requests (createLink and DELETE).
    trials: usize,
    requests: usize,
}

impl Schedule {
    fn of(url: &str) -> Self {
        let mut config = createlink::load::config::Config::defaults();
        config.base_url = Some(url.parse().unwrap());
        let suite = createlink::suite::Suite::new(config).unwrap();
        let ids = suite.trials();
        let schedule = suite.schedule(&ids);
        let sends = |i: usize| {
            let id = ids[i];
            suite.requests(id) + usize::from(suite.link_key(id).is_some())
        };
        Schedule {
            links: ids
                .iter()
                .filter(|&&id| suite.link_key(id).is_some())
                .count(),
            trials: schedule.longest_chain(),
            requests: schedule.longest_chain_by(sends),
        }
    }
}

struct Run {
    wall: Duration,
    peak_rss_kib: u64,
    max_threads: usize,
    max_in_flight: usize,
}

fn median(target: &DelayTarget, vars: &[(&str, &str)], cases: usize) -> Run {
    let mut runs: Vec<Run> = (0..REPEAT)
        .map(|_| run_suite(target, vars, cases))
        .collect();
    runs.sort_by_key(|r| r.wall);
    runs.swap_remove(REPEAT / 2)
}

fn row(name: &str, cases: usize, run: &Run, ideal: Option<Duration>) {
    let wall = run.wall.as_secs_f64();
    let ratio = ideal.map_or("-".to_owned(), |d| format!("{:.2}", wall / d.as_secs_f64()));
    println!(
        "| {name} | {cases} | {:.3} s | {:.2} ms | {ratio} | {} | {} | {:.1} MiB |",
        wall,
        wall * 1000.0 / cases as f64,
        run.max_in_flight,
        run.max_threads,
        run.peak_rss_kib as f64 / 1024.0
    );
}

/// Runs the suite program once and checks that every case passed.
// The child is reaped by wait4 below.
#[allow(clippy::zombie_processes)]
fn run_suite(target: &DelayTarget, vars: &[(&str, &str)], cases: usize) -> Run {
    target.reset();
    let start = Instant::now();
    let mut child = suite_command()
        .envs(vars.iter().copied())
        .args(["--format", "terse"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the suite");
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).ok();
        out
    });
    let sampler = std::thread::spawn(move || status_max(pid, ["VmHWM:", "Threads:"]));
    let (status, _) = wait4(pid);
    let wall = start.elapsed();
    let out = reader.join().unwrap();
    let expected = format!("{cases} passed; 0 failed");
    assert!(
        status == 0 && out.contains(&expected),
        "the suite did not pass:\n{out}"
    );
    let [peak_rss_kib, max_threads] = sampler.join().unwrap();
    Run {
        wall,
        peak_rss_kib,
        max_threads: max_threads as usize,
        max_in_flight: target.max_in_flight.load(Ordering::SeqCst),
    }
}

/// The two cold builds a user or a CI job without a cache waits for, each into an empty target
/// directory that is deleted afterwards: `cargo test --test conformance --no-run` (the debug
/// build the tests run) and `cargo install --locked --path harness` (the release build).
/// Downloads are not counted: both run `--locked` on the registry cache `cargo bench` filled.
fn build(work: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (target_dir, install_root) = (work.join("cold-target"), work.join("cold-install"));
    println!(
        "\nbuild, cold (empty target directory; load average before: {}):",
        load_average()
    );
    cold_build(
        "`cargo test --test conformance --no-run`",
        &["test", "--locked", "--test", "conformance", "--no-run"],
        &root,
        &target_dir,
    );
    std::fs::remove_dir_all(&target_dir).ok();
    let root_arg = install_root.to_str().expect("a UTF-8 temporary path");
    cold_build(
        "`cargo install --locked --path harness`",
        &[
            "install", "--locked", "--path", "harness", "--root", root_arg,
        ],
        &root,
        &target_dir,
    );
    std::fs::remove_dir_all(&target_dir).ok();
    std::fs::remove_dir_all(&install_root).ok();
}

/// Runs one cargo command into `target_dir` and prints its wall time, the CPU time of cargo and
/// every compiler it started (wait4 counts reaped descendants; the figure a busy machine
/// inflates least) and the number of crates compiled.
// The child is reaped by wait4 below, which also gives its CPU time.
#[allow(clippy::zombie_processes)]
fn cold_build(name: &str, args: &[&str], root: &Path, target_dir: &Path) {
    let mut cmd = Command::new(env!("CARGO"));
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if (k.starts_with("CARGO_") && k != "CARGO_HOME") || k.starts_with("RUSTFLAGS") {
            cmd.env_remove(&k);
        }
    }
    let log = target_dir.with_extension("log");
    let start = Instant::now();
    let child = cmd
        .args(args)
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("create the build log"))
        .spawn()
        .expect("run cargo");
    let (status, rusage) = wait4(child.id() as libc::pid_t);
    let wall = start.elapsed();
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    let compiled = log
        .lines()
        .filter(|l| l.trim_start().starts_with("Compiling "))
        .count();
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = seconds(rusage.ru_utime) + seconds(rusage.ru_stime);
    println!(
        "- {name}: {:.0} s wall, {cpu:.0} s CPU, {compiled} crates compiled{}",
        wall.as_secs_f64(),
        if status == 0 { "" } else { " (FAILED)" }
    );
}

/// The first three fields of /proc/loadavg: how busy the machine was, beside the build times.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// A target that answers every request as the reference server does, after a fixed delay,
/// counting requests in flight. One thread per connection, keep-alive honoured, loopback only.
struct DelayTarget {
    url: String,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

impl DelayTarget {
    fn start(delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/beta", listener.local_addr().unwrap());
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let plan =
            createlink::suite::Plan::load(createlink::load::config::Config::defaults()).unwrap();
        // Every generated case lives under a /benchN prefix; the reference server knows the
        // documented templates, so the prefix is taken off before it answers.
        let reference = Arc::new(Reference::new(
            plan.cases.iter().map(|c| c.template.clone()).collect(),
            createlink::load::config::Profile::Documented,
            plan.schemas.clone(),
        ));
        let (now, max) = (in_flight.clone(), max_in_flight.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (now, max, reference) = (now.clone(), max.clone(), reference.clone());
                std::thread::spawn(move || serve(stream, delay, &now, &max, &reference));
            }
        });
        DelayTarget {
            url,
            in_flight,
            max_in_flight,
        }
    }

    fn reset(&self) {
        self.max_in_flight
            .store(self.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

fn serve(
    stream: TcpStream,
    delay: Duration,
    now: &AtomicUsize,
    max: &AtomicUsize,
    reference: &Reference,
) {
    stream.set_nodelay(true).ok();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return; // the client closed the connection
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
            return;
        };
        let method: Method = method.parse().unwrap();
        let path = match target.strip_prefix("/beta/bench") {
            Some(rest) => format!("/beta{}", &rest[rest.find('/').unwrap_or(rest.len())..]),
            None => target.to_owned(),
        };
        let mut headers = HeaderMap::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                let name = HeaderName::from_bytes(name.trim().as_bytes()).unwrap();
                headers.append(name, HeaderValue::from_str(value.trim()).unwrap());
            }
        }
        let length = headers
            .get("content-length")
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let in_flight = now.fetch_add(1, Ordering::SeqCst) + 1;
        max.fetch_max(in_flight, Ordering::SeqCst);
        let request = Request {
            url: format!("http://localhost{path}").parse().unwrap(),
            method,
            headers,
            body,
        };
        let answer = reference.answer(&request);
        std::thread::sleep(delay);
        now.fetch_sub(1, Ordering::SeqCst);
        let body = answer.body.to_string();
        let bytes = match answer.status {
            // A deleted link: no content.
            204 => "HTTP/1.1 204 X\r\n\r\n".to_owned(),
            status => format!(
                "HTTP/1.1 {status} X\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n{body}",
                answer.content_type,
                body.len()
            ),
        };
        if writer.write_all(bytes.as_bytes()).is_err() {
            return;
        }
    }
}
