//! Sends requests: one tokio runtime and one HTTP client for the whole run.
//!
//! `CREATELINK_TIMEOUT_SECS` bounds each whole exchange, from connect to the last body byte, and
//! it is kept twice: by reqwest's total timeout on the runtime, and by the calling test thread,
//! on the OS clock. The second is needed because a target that sends an endless fast stream of
//! `1xx` heads keeps one runtime worker inside hyper's parser for seconds at a time: hyper skips
//! every informational head it has buffered (up to about 400 KB of them per read) before it
//! reads again, and tokio's cooperative budget counts reads, not work, so the task yields only
//! after 128 such reads. Timers on that runtime, reqwest's included, fire only then.

use std::error::Error as _;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::time::{Duration, Instant};

use reqwest::header::{
    ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue, LOCATION,
};
use reqwest::{Client, Url};
use tokio::runtime::{Handle, Runtime};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::timeout_at;

use crate::exchange::budget::{self, Budget, FREE, Pause, TooLong};
use crate::load::error::{SetupError, StartFault};
use crate::model::json_count::Counter;

use crate::exchange::request::PreparedRequest;
use crate::load::config::{Config, TIMEOUT_SECS, Token};
use crate::verdict::{AnswerBody, Exchange, Response};

/// Bodies are read up to this many bytes; a larger one fails its case without being buffered.
pub const BODY_LIMIT: u64 = 16 * 1024 * 1024;

/// The most runtime workers: one per request in flight up to this many.
const MAX_WORKERS: usize = 256;

/// How much longer than the timeout the test thread waits before it gives up on an exchange
/// itself: reqwest's own timeout, with its more precise reason, normally comes first.
const GRACE: Duration = Duration::from_millis(250);

pub struct Executor {
    // The client's pooled connections belong to this runtime; both live for the whole run.
    // An `Option` only so that `drop` can shut it down without waiting (see there).
    runtime: Option<Runtime>,
    handle: Handle,
    sender: Arc<Sender>,
}

/// What a request needs on the runtime: shared by the exchanges in flight.
struct Sender {
    client: Client,
    /// Keeps no connection: a retry's request always goes on a new one.
    fresh: Client,
    authorization: HeaderValue,
    timeout: Duration,
    budget: Budget,
}

/// An exchange, holding its share of the memory budget until it is judged and dropped.
pub struct Sent {
    exchange: Exchange,
    _budget: Option<OwnedSemaphorePermit>,
    /// The answer's `Retry-After` header, for the throttling layer (`retry`).
    pub retry_after: Option<String>,
    /// What of `_budget` this answer does not need: kept for the trial's later answers.
    spare: usize,
}

/// What a trial's exchange may use of the budget its earlier answers hold.
#[derive(Clone, Copy, Default)]
struct Share {
    /// Bytes its earlier answers reserved for it (see [`Sent::spare`]).
    spare: usize,
    /// Whether its earlier answers hold any budget: then it must never wait for more.
    holding: bool,
    /// Answers still to come after this one.
    later: usize,
}

impl Drop for Sent {
    /// A large answer's bytes go first, then its reservation, and the pages its judging used go
    /// back to the system (`limits::return_free_pages`), so the budget bounds what stays.
    fn drop(&mut self) {
        if let Some(permit) = self._budget.take() {
            self.exchange = Exchange::Failed {
                reason: String::new(),
            };
            drop(permit);
            crate::exchange::limits::return_free_pages();
        }
    }
}

impl Deref for Sent {
    type Target = Exchange;

    fn deref(&self) -> &Exchange {
        &self.exchange
    }
}

/// Why an exchange ended without a complete answer.
enum Failure {
    Http(reqwest::Error),
    /// The deadline passed while waiting for what the text names.
    Late(&'static str),
    /// The memory budget stayed full past its bound.
    Budget(TooLong),
    /// Failed before any byte of an answer, and again when retried on a new connection: both.
    Retried(reqwest::Error, reqwest::Error),
}

impl Executor {
    pub fn new(config: &Config) -> Result<Self, SetupError> {
        // rustls is built with ring instead of reqwest's default aws-lc (see Cargo.toml); it
        // has to be installed as the process default once. A second install is a no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            // A worker for each request in flight: a target that floods `1xx` heads keeps its
            // worker inside hyper's parser for up to seconds (see above), and tasks queued on
            // that worker wait for it. With two workers, a flood on one path's 13 trials failed
            // 30 to 55 trials on other paths at a 2 s timeout (tests/isolation.rs); with one
            // worker per request in flight, none. Idle workers cost a parked thread each.
            .worker_threads(config.concurrency().clamp(2, MAX_WORKERS))
            .enable_all()
            .build()
            .map_err(|e| SetupError::Start(StartFault::Runtime(e)))?;
        let loopback = config
            .base_url
            .as_ref()
            .is_none_or(|u| matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")));
        let http_only = config
            .base_url
            .as_ref()
            .is_none_or(|u| u.scheme() == "http");
        // Two clients alike but for the connections they keep (see `Sender::fresh`).
        let build = |idle: usize| {
            let mut builder = Client::builder()
                // A 3xx is a result to report, not a hop to take.
                .redirect(reqwest::redirect::Policy::none())
                // No reqwest timeout: the exchange keeps its own deadline, which stops while it
                // waits for the memory budget (see `budget`).
                .connect_timeout(config.timeout.min(Duration::from_secs(10)))
                // Sockets kept for reuse count against the descriptor limit (`limits`): at most
                // one per request in flight.
                .pool_max_idle_per_host(idle)
                .tcp_nodelay(true);
            if loopback {
                // A proxy from the environment must not intercept the built-in or a local server.
                builder = builder.no_proxy();
            }
            if http_only {
                // No https request will be made: trust no root rather than load the system's, so
                // a machine without a CA store (a slim CI container) runs http targets too.
                builder = builder.tls_certs_only(std::iter::empty());
            }
            builder
                .build()
                .map_err(|e| SetupError::Start(StartFault::HttpClient(chain(&e))))
        };
        let client = build(config.concurrency())?;
        let fresh = build(0)?;
        Ok(Executor {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            sender: Arc::new(Sender {
                client,
                fresh,
                authorization: authorization(&config.token),
                timeout: config.timeout,
                budget: Budget::default(),
            }),
        })
    }

    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Sends the request and reads the answer, blocking the calling (test) thread at most the
    /// timeout (and `GRACE`), whatever the target does.
    pub fn send(&self, request: &PreparedRequest) -> Sent {
        self.send_sharing(request, Share::default())
    }

    /// [`Executor::send`] as one of a trial's answers, with what its earlier ones hold.
    fn send_sharing(&self, request: &PreparedRequest, share: Share) -> Sent {
        let (done, result) = sync_channel(1);
        let sender = Arc::clone(&self.sender);
        let owned = request.clone();
        let pause = Arc::new(Pause::default());
        let paused = Arc::clone(&pause);
        let start = Instant::now();
        let task = self.handle().spawn(async move {
            let _ = done.send(sender.send(&owned, &paused, share).await);
        });
        // Time spent waiting for budget moved the deadline, by at most the timeout (the wait's
        // own bound): so this loop ends within twice the timeout and the grace.
        let limit = || self.sender.timeout + GRACE + pause.total().min(self.sender.timeout);
        loop {
            match result.recv_timeout(limit().saturating_sub(start.elapsed())) {
                Ok(sent) => return sent,
                Err(RecvTimeoutError::Timeout) if start.elapsed() < limit() => {}
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        task.abort();
        Sent {
            exchange: Exchange::Failed {
                reason: self.sender.too_late(&request.url),
            },
            _budget: None,
            retry_after: None,
            spare: 0,
        }
    }
}

impl Executor {
    /// Sends the request as many times as it says, one after the other: a repeat's second
    /// request starts once the first answer is in, as a client calling again would. Every
    /// answer's budget is kept until the trial is judged; the first reservation is made for
    /// every answer to come (see `Sender::exchange`).
    pub fn send_all(&self, request: &PreparedRequest) -> Vec<Sent> {
        let mut sent: Vec<Sent> = Vec::with_capacity(request.times);
        for i in 0..request.times {
            let share = Share::after(&sent, request.times - i - 1);
            sent.push(self.send_sharing(request, share));
        }
        sent
    }

    /// [`Executor::send_all`], each request retried while throttled (see `retry`), with what
    /// the throttling cost. The budget is shared between a trial's answers as there.
    pub fn send_all_retrying(&self, request: &PreparedRequest) -> (Vec<Sent>, Vec<Throttled>) {
        let mut sent: Vec<Sent> = Vec::with_capacity(request.times);
        let mut throttled = Vec::with_capacity(request.times);
        for i in 0..request.times {
            let share = Share::after(&sent, request.times - i - 1);
            let (answer, cost) = crate::exchange::retry::send(
                request,
                |r| self.send_sharing(r, share),
                std::thread::sleep,
            );
            sent.push(answer);
            throttled.push(cost);
        }
        (sent, throttled)
    }
}

impl Share {
    /// The share of a trial's next answer, after its answers `sent`, with `later` still to come.
    fn after(sent: &[Sent], later: usize) -> Self {
        Share {
            spare: sent.last().map_or(0, |s| s.spare),
            holding: sent.iter().any(|s| s._budget.is_some()),
            later,
        }
    }
}

pub use crate::exchange::retry::Throttled;

impl crate::exchange::retry::RetryAfter for Sent {
    fn retry_after(&self) -> Option<&str> {
        self.retry_after.as_deref()
    }
}

impl Executor {
    /// The pre-flight: one `GET` of `url`, without the token, within the timeout. Any answer,
    /// whatever its status, shows the target can be reached, and so does a connection on which
    /// no status came in time (a target slow on `GET`, or flooding `1xx`): the trials say the
    /// rest. `Err` is the reason no connection could be made (refused, DNS, TLS, a connect that
    /// timed out), worded as a trial's `[connection]` problem is.
    pub fn reach(&self, url: &Url) -> Result<(), String> {
        let sender = Arc::clone(&self.sender);
        let url = url.clone();
        self.handle.block_on(async move {
            let asking = sender.client.get(url.clone()).send();
            match tokio::time::timeout(sender.timeout, asking).await {
                Err(_) if connects(&url, sender.timeout).await => Ok(()),
                Err(_) => Err(sender.timed_out(&url, "still waiting for the status line")),
                Ok(Err(e)) => Err(sender.describe(&url, &e)),
                Ok(Ok(_)) => Ok(()),
            }
        })
    }
}

/// Whether a TCP connection to `url`'s host and port is made within `timeout`.
async fn connects(url: &Url, timeout: Duration) -> bool {
    let Some(port) = url.port_or_known_default() else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    // An IPv6 host is written in brackets; tokio reads the bare address.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let connecting = tokio::net::TcpStream::connect((host, port));
    matches!(tokio::time::timeout(timeout, connecting).await, Ok(Ok(_)))
}

impl Drop for Executor {
    /// Connections still busy with a hostile target (a `1xx` flood) hold their worker until
    /// hyper yields; a plain drop of the runtime would wait for that, keeping the process alive
    /// long past its last case. Nothing left on the runtime matters once the run is over.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Sender {
    async fn send(&self, request: &PreparedRequest, pause: &Pause, share: Share) -> Sent {
        let mut budget = None;
        let mut retry_after = None;
        let mut spare = share.spare;
        let exchange = match self
            .exchange(
                request,
                pause,
                share,
                &mut budget,
                &mut retry_after,
                &mut spare,
            )
            .await
        {
            Ok(response) => Exchange::Answered(response),
            Err(Failure::Http(e)) => Exchange::Failed {
                reason: self.describe(&request.url, &e),
            },
            Err(Failure::Retried(first, again)) => Exchange::Failed {
                reason: format!(
                    "{} (on a new connection, after the first attempt failed before any byte of \
                     an answer, as on a kept-alive connection the target closes: {})",
                    self.describe(&request.url, &again),
                    chain(&first)
                ),
            },
            Err(Failure::Late(what)) => Exchange::Failed {
                reason: self.timed_out(&request.url, &format!("still waiting for {what}")),
            },
            Err(Failure::Budget(TooLong(waited))) => Exchange::Failed {
                reason: format!(
                    "the answer from {} was not read to its end: the harness waited {} s for \
                     room in its own memory budget, held by other trials' large answers; this is \
                     the harness's limit, not a fault of the target: lower CREATELINK_CONCURRENCY",
                    target(&request.url),
                    waited.as_secs_f64()
                ),
            },
        };
        Sent {
            exchange,
            _budget: budget,
            retry_after,
            spare,
        }
    }

    async fn exchange(
        &self,
        request: &PreparedRequest,
        pause: &Pause,
        share: Share,
        budget: &mut Option<OwnedSemaphorePermit>,
        retry_after: &mut Option<String>,
        spare: &mut usize,
    ) -> Result<Response, Failure> {
        let mut deadline = tokio::time::Instant::now() + self.timeout;
        let build = |client: &Client| {
            let mut builder = client
                .request(request.method.clone(), request.url.clone())
                // No content coding: without it any coding is acceptable (RFC 9110 §12.5.3),
                // and an encoded answer is named by its coding rather than judged as bytes.
                .header(ACCEPT_ENCODING, "identity");
            if request.method == reqwest::Method::POST {
                builder = builder
                    .header(CONTENT_TYPE, "application/json")
                    .body(request.body.clone());
            }
            match request.authorization {
                true => builder.header(AUTHORIZATION, self.authorization.clone()),
                false => builder,
            }
        };
        let late = |_| Failure::Late("the status line and headers");
        let mut response = match timeout_at(deadline, build(&self.client).send()).await {
            Err(elapsed) => return Err(late(elapsed)),
            Ok(Ok(response)) => response,
            // A kept-alive connection the target closed as the request went out: HTTP/1.1
            // allows that (RFC 9112 §9.3.1), and a client retries on a new connection.
            Ok(Err(first)) if before_any_answer(&first) => {
                match timeout_at(deadline, build(&self.fresh).send()).await {
                    Err(elapsed) => return Err(late(elapsed)),
                    Ok(Ok(response)) => response,
                    Ok(Err(again)) => return Err(Failure::Retried(first, again)),
                }
            }
            Ok(Err(e)) => return Err(Failure::Http(e)),
        };
        let headers = response.headers();
        let content_types = headers
            .get_all(CONTENT_TYPE)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let location = headers
            .get(LOCATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        *retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let coding: Vec<String> = headers
            .get_all(CONTENT_ENCODING)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
            .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity"))
            .collect();
        let status = response.status().as_u16();
        let declared = response.content_length();
        let body = if !coding.is_empty() {
            AnswerBody::Encoded {
                coding: crate::model::json_text::cut(&coding.join(", "), 200),
            }
        } else if declared.is_some_and(|n| n > BODY_LIMIT) {
            AnswerBody::TooLarge {
                limit: BODY_LIMIT,
                declared,
            }
        } else {
            let mut bytes = Vec::with_capacity(declared.unwrap_or(0) as usize);
            let mut values = Counter::default();
            let mut reserved = false;
            let mut too_large = false;
            loop {
                let next = timeout_at(deadline, response.chunk())
                    .await
                    .map_err(|_| Failure::Late("the rest of the body"))?;
                let Some(chunk) = next.map_err(Failure::Http)? else {
                    break;
                };
                if (bytes.len() + chunk.len()) as u64 > BODY_LIMIT {
                    too_large = true;
                    break;
                }
                values.feed(&chunk);
                if !reserved && budget::cost(bytes.len() + chunk.len(), values.count()) > FREE {
                    reserved = true;
                    let most = declared.unwrap_or(BODY_LIMIT).min(BODY_LIMIT) as usize;
                    let need = budget::worst(most);
                    if need <= share.spare {
                        // Reserved by the trial's first answer, for this one.
                        *spare = share.spare - need;
                    } else if share.holding {
                        // Never wait while holding: two trials could each hold and wait for
                        // the other's. More than the first answer reserved for this one is
                        // taken only if free; else this answer is judged beyond the budget
                        // (at most one answer a trial, see README, Performance).
                        *budget = self.budget.try_reserve(need - share.spare);
                        *spare = 0;
                    } else {
                        // One step for this answer and the trial's later ones alike.
                        let wanted = need.saturating_mul(1 + share.later);
                        let (permit, waited) =
                            pause.over(self.budget.reserve(wanted, self.timeout)).await;
                        let permit = permit.map_err(Failure::Budget)?;
                        *spare = permit.num_permits().saturating_sub(need);
                        *budget = Some(permit);
                        deadline += waited;
                    }
                }
                bytes.extend_from_slice(&chunk);
            }
            if too_large {
                AnswerBody::TooLarge {
                    limit: BODY_LIMIT,
                    declared,
                }
            } else {
                AnswerBody::Complete(bytes)
            }
        };
        Ok(Response {
            status,
            content_types,
            location,
            body,
        })
    }

    /// The reason of an exchange the test thread gave up on.
    fn too_late(&self, url: &Url) -> String {
        self.timed_out(url, "the exchange was still going on")
    }

    fn timed_out(&self, url: &Url, why: &str) -> String {
        format!(
            "no complete answer from {} within {} s ({TIMEOUT_SECS}): {why}",
            target(url),
            self.timeout.as_secs_f64(),
        )
    }

    fn describe(&self, url: &Url, e: &reqwest::Error) -> String {
        let target = target(url);
        if e.is_timeout() {
            self.timed_out(url, &chain(e))
        } else if e.is_connect() && chain(e).contains("invalid peer certificate") {
            format!(
                "the TLS certificate of {target} is not trusted: {}; to trust a private CA, set \
                 SSL_CERT_FILE to its PEM file or SSL_CERT_DIR to a folder of PEM files",
                chain(e)
            )
        } else if e.is_connect() && out_of_descriptors(e) {
            format!(
                "cannot connect to {target}: the harness ran out of file descriptors (ulimit -n), \
                 which is not the target's fault; raise ulimit -n or lower \
                 CREATELINK_CONCURRENCY: {}",
                chain(e)
            )
        } else if e.is_connect() {
            format!("cannot connect to {target}: {}", chain(e))
        } else if e.is_body() || e.is_decode() {
            format!(
                "the answer from {target} broke off while reading its body: {}",
                chain(e)
            )
        } else {
            format!("request to {target} failed: {}", chain(e))
        }
    }
}

/// `host:port`, as reasons name the target.
fn target(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        _ => url.to_string(),
    }
}

fn authorization(token: &Token) -> HeaderValue {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        // Config rejects tokens with bytes a header cannot carry; this is only reached by a
        // hand-built Config, and must not print the token.
        .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid-token"));
    value.set_sensitive(true);
    value
}

/// Whether the error is this process's own descriptor limit (EMFILE, ENFILE).
fn out_of_descriptors(e: &reqwest::Error) -> bool {
    let mut source = e.source();
    while let Some(s) = source {
        let code = s
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::raw_os_error);
        if matches!(code, Some(libc::EMFILE | libc::ENFILE)) {
            return true;
        }
        source = s.source();
    }
    false
}

/// Whether the request failed on a connection the target closed or reset before any byte of
/// an answer: what a kept-alive connection closed by the target as the request went out looks
/// like. A new connection cannot have been reused, and connect errors are not this.
fn before_any_answer(e: &reqwest::Error) -> bool {
    if e.is_timeout() || e.is_connect() {
        return false;
    }
    let mut source = e.source();
    while let Some(s) = source {
        let reset = s.downcast_ref::<std::io::Error>().is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
            )
        });
        // hyper's `IncompleteMessage`, which it does not export but names so.
        if reset || s.to_string() == "connection closed before message completed" {
            return true;
        }
        source = s.source();
    }
    false
}

/// The error's sources, outermost first, each said once (hyper repeats its inner errors).
fn chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        parts.push(e.to_string());
    }
    parts.join(": ")
}
