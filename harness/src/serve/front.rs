//! `serve`'s HTTP front: its own accept loop and HTTP/1.1 connections, so that no client can
//! stop the server or keep it from others for long.
//!
//! wiremock's `MockServer`, which served before, ends its accept loop at the first accept error
//! (EMFILE included), has no header timeout and reads a whole body into memory; none of that is
//! configurable. Here:
//! - an accept error never ends the loop: past the descriptor limit the connection waiting
//!   longest for its client is closed to make room, and the loop backs off and tries again;
//! - at most [`Limits::max_connections`] connections are open; past that the one waiting longest
//!   for its client (a slow head, a slow body, an idle keep-alive), once it has waited [`GRACE`],
//!   is closed, or, when every one is being answered, the new one waits in the listen queue;
//! - a request head must arrive within [`Limits::header_timeout`] and be at most
//!   [`Limits::max_head`] bytes, and its body within [`Limits::body_timeout`];
//! - a body over [`BODY_LIMIT`] is never held: one declared larger is refused before it is read
//!   (what arrives is read and dropped, so the client can read the `413`), and a chunked one as
//!   soon as it passes the limit.
//!
//! The reference is unchanged: each request reaches it as wiremock's `Request`, the type it judges
//! inside the suite's built-in server.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use wiremock::Request;

use crate::reference::{Answer, BODY_LIMIT, Incomplete, Refusal, error, incomplete, too_large};

/// What the front allows each client.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// From a connection's start, or the end of its last answer, to the end of a request head.
    pub header_timeout: Duration,
    /// From the end of a request head to the end of its body.
    pub body_timeout: Duration,
    /// The most bytes of a request head (request line and headers): past it, `431`.
    pub max_head: usize,
    /// The most connections open at once.
    pub max_connections: usize,
}

impl Limits {
    /// The limits `serve` runs with, within `descriptors` (the descriptor limit): a few kept for
    /// the process itself, the rest for connections, up to 512.
    pub fn within(descriptors: u64) -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            // A Graph token is a few KiB; servers commonly allow 8–64 KiB of head.
            max_head: 64 * 1024,
            max_connections: descriptors.saturating_sub(16).clamp(1, 512) as usize,
        }
    }
}

/// A request as it reached the front: its body whole, or `refused` before it was whole (then
/// `request.body` is empty).
pub struct Arrival {
    pub request: Request,
    pub refused: Option<Refusal>,
}

/// What answers a request (and logs it): the reference, behind `serve`'s log.
pub type Respond = Arc<dyn Fn(Arrival) -> Answer + Send + Sync>;

/// What the front did to connections, for the summary.
#[derive(Debug, Default)]
pub struct Counts {
    pub accepted: AtomicU64,
    /// Closed at the connection or descriptor limit, to make room.
    pub evicted: AtomicU64,
    /// Closed for no whole request head within the header timeout.
    pub slow_heads: AtomicU64,
    pub accept_errors: AtomicU64,
}

impl Counts {
    /// The summary's line about connections.
    pub fn line(&self, limits: &Limits) -> String {
        let mut line = format!(
            "connections: {} accepted (at most {} open at once)",
            self.accepted.load(Ordering::Relaxed),
            limits.max_connections
        );
        for (count, what) in [
            (
                &self.evicted,
                "closed to make room, waiting longest for their client",
            ),
            (
                &self.slow_heads,
                &format!(
                    "closed with no whole request head within {:?}",
                    limits.header_timeout
                ),
            ),
            (&self.accept_errors, "accept errors"),
        ] {
            match count.load(Ordering::Relaxed) {
                0 => {}
                n => line.push_str(&format!("; {n} {what}")),
            }
        }
        line
    }
}

/// Serves `listener` until `stop` completes, counting in `counts` what it does to connections.
pub async fn serve(
    listener: TcpListener,
    limits: Limits,
    respond: Respond,
    counts: Arc<Counts>,
    stop: impl Future<Output = ()>,
) {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let waiting = Arc::new(Waiting::default());
    let notices = Arc::new(Notices::default());
    tokio::pin!(stop);
    let mut next_id = 0u64;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                counts.accept_errors.fetch_add(1, Ordering::Relaxed);
                // Out of descriptors: free one. Any accept error: the listener stays, and the
                // loop tries again after a pause rather than spinning on the error.
                let closing = waiting.close_longest(&counts);
                let freed = closing == Closing::Closed;
                // With a descriptor freed, the next accept can succeed as soon as the closed
                // connection's task has dropped its socket.
                let pause = match closing {
                    Closing::Closed => Duration::from_millis(5),
                    Closing::Wait(grace) => grace,
                    Closing::NoneWaits => Duration::from_millis(100),
                };
                notices.say(
                    Notice::AcceptError,
                    &format!(
                        "accepting a connection failed ({e}); the server keeps listening{}",
                        if freed {
                            " and closed the connection waiting longest for its client"
                        } else {
                            ""
                        }
                    ),
                );
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = &mut stop => break,
                }
                continue;
            }
        };
        let room = room(&open, &waiting, &counts, &notices, &limits);
        let permit = tokio::select! {
            permit = room => permit,
            () = &mut stop => break,
        };
        counts.accepted.fetch_add(1, Ordering::Relaxed);
        next_id += 1;
        let connection = Connection {
            id: next_id,
            limits,
            respond: Arc::clone(&respond),
            waiting: Arc::clone(&waiting),
            counts: Arc::clone(&counts),
            notices: Arc::clone(&notices),
        };
        // Registered here, not in its task: a connection accepted next must find this one among
        // those it may close, even before this one's task has run.
        let closed = waiting.open(next_id);
        tokio::spawn(connection.run(stream, permit, closed));
    }
}

/// A place for one more connection: a free one, or, at the limit, one made by closing the
/// connection waiting longest for its client. When every connection is being answered, the new
/// one waits (in the listen queue) until one of them waits for its client again.
async fn room(
    open: &Arc<Semaphore>,
    waiting: &Waiting,
    counts: &Counts,
    notices: &Notices,
    limits: &Limits,
) -> OwnedSemaphorePermit {
    let mut said = false;
    loop {
        if let Ok(permit) = Arc::clone(open).try_acquire_owned() {
            return permit;
        }
        // Registered before looking, so a connection that starts waiting after is not missed.
        let changed = waiting.changed.notified();
        let closing = waiting.close_longest(counts);
        if let Closing::Wait(grace) = closing {
            tokio::select! {
                permit = Arc::clone(open).acquire_owned() => if let Ok(permit) = permit {
                    return permit;
                },
                () = tokio::time::sleep(grace) => {}
            }
            continue;
        }
        if closing == Closing::Closed {
            notices.say(
                Notice::Full,
                &format!(
                    "{} connections open, the most it keeps: closed the one waiting longest for \
                     its client",
                    limits.max_connections
                ),
            );
            // Its task drops the connection, and the permit with it, at once.
            if let Ok(permit) = Arc::clone(open).acquire_owned().await {
                return permit;
            }
            continue;
        }
        if !said {
            said = true;
            notices.say(
                Notice::Busy,
                &format!(
                    "{} connections open, all being answered: a new one waits in the listen \
                     queue",
                    limits.max_connections
                ),
            );
        }
        tokio::select! {
            permit = Arc::clone(open).acquire_owned() => if let Ok(permit) = permit {
                return permit;
            },
            () = changed => {}
        }
    }
}

/// One client connection and what it shares with the accept loop.
struct Connection {
    id: u64,
    limits: Limits,
    respond: Respond,
    waiting: Arc<Waiting>,
    counts: Arc<Counts>,
    notices: Arc<Notices>,
}

impl Connection {
    async fn run(self, stream: TcpStream, _permit: OwnedSemaphorePermit, closed: Arc<Notify>) {
        let this = Arc::new(self);
        let service = {
            let this = Arc::clone(&this);
            service_fn(move |request| {
                let this = Arc::clone(&this);
                async move {
                    let answer = this.exchange(request).await;
                    this.waiting.wait(this.id);
                    Ok::<_, Infallible>(answer)
                }
            })
        };
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(this.limits.header_timeout)
            .max_buf_size(this.limits.max_head)
            // A client may shut its side down once its request is sent (`nc -N`, some proxies):
            // it still gets its answer. The timeouts bound what it can hold.
            .half_close(true);
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        tokio::select! {
            ended = connection => if let Err(e) = ended {
                this.ended_badly(&e);
            },
            () = closed.notified() => {}
        }
        this.waiting.close(this.id);
    }

    /// A connection that ended in an error: a head too slow is counted (and said now and then),
    /// a head hyper refused (`400`, `431`) is a request, so it gets its log line.
    fn ended_badly(&self, e: &hyper::Error) {
        if e.is_timeout() {
            self.counts.slow_heads.fetch_add(1, Ordering::Relaxed);
            self.notices.say(
                Notice::SlowHead,
                &format!(
                    "closed a connection with no whole request head within {:?}",
                    self.limits.header_timeout
                ),
            );
        } else if e.is_parse_too_large() {
            log(&format!(
                "(a request head over {} bytes) -> 431 refused before it was read whole",
                self.limits.max_head
            ));
        } else if e.is_parse() {
            log(&crate::model::json_text::cut(
                &crate::model::inert::escape(&format!("(not an HTTP/1.1 request) -> 400 {e}")),
                200,
            ));
        }
    }

    /// Reads `request`'s body within the limits, has it answered, and returns the answer.
    async fn exchange(&self, request: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
        let (parts, mut body) = request.into_parts();
        let declared = parts
            .headers
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        // Until the body is whole, a connection closed to make room leaves a log line.
        let unanswered = Unanswered {
            request: Some(head_of(&parts)),
            respond: &self.respond,
        };
        let deadline = tokio::time::Instant::now() + self.limits.body_timeout;
        let mut refused = None;
        let mut body_bytes = Vec::new();
        if let Some(size) = declared.filter(|&n| n > BODY_LIMIT as u64) {
            refused = Some(too_large(Some(size)));
            // A client waiting for `100 Continue` sends nothing more; any other is sending the
            // body now, and would miss the answer if the connection closed under it.
            if !expects_continue(&parts.headers) {
                drain(&mut body, deadline).await;
            }
        } else {
            match read(&mut body, deadline, declared).await {
                Ok(bytes) => body_bytes = bytes,
                Err(refusal) => refused = Some(refusal),
            }
        }
        let mut head = unanswered.into_request();
        head.body = body_bytes;
        self.waiting.busy(self.id);
        let close = refused.is_some();
        let arrival = Arrival {
            request: head,
            refused,
        };
        let respond = Arc::clone(&self.respond);
        // The reference's work is short (the body is at most 1 MiB and 10k values), but it is
        // work: off the runtime's threads, so answering never holds up reading and accepting.
        let answer = tokio::task::spawn_blocking(move || respond(arrival))
            .await
            .unwrap_or_else(|_| error(500, "generalException", "no answer"));
        response(answer, close)
    }
}

/// The request, without its body, as the reference reads it.
fn head_of(parts: &hyper::http::request::Parts) -> Request {
    // A request target in origin form (`/beta/...`) has no host; as wiremock did, the URL is
    // made on `localhost`. One that is no URL at all (`*`) is judged as `/`.
    let url = match parts.uri.authority() {
        Some(_) => parts.uri.to_string(),
        None => format!("http://localhost{}", parts.uri),
    };
    Request {
        url: url
            .parse()
            .unwrap_or_else(|_| "http://localhost/".parse().expect("a valid URL")),
        method: parts.method.clone(),
        headers: parts.headers.clone(),
        body: Vec::new(),
    }
}

fn expects_continue(headers: &hyper::HeaderMap) -> bool {
    headers
        .get(hyper::header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
}

/// The body, whole, by `deadline`; or the refusal: too large, too slow, or cut off.
async fn read(
    body: &mut Incoming,
    deadline: tokio::time::Instant,
    declared: Option<u64>,
) -> Result<Vec<u8>, Refusal> {
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0).min(64 * 1024) as usize);
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                let read = bytes.len();
                return Err(incomplete(Incomplete::TooSlow { read, declared }));
            }
            Ok(None) => return Ok(bytes),
            Ok(Some(Err(e))) => {
                let (read, error) = (bytes.len(), e.to_string());
                return Err(incomplete(Incomplete::BrokeOff {
                    read,
                    declared,
                    error,
                }));
            }
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > BODY_LIMIT {
                drain(body, deadline).await;
                return Err(too_large(None));
            }
            bytes.extend_from_slice(&data);
        }
    }
}

/// Reads and drops what arrives of a refused body until its end, the deadline, or 64 MiB: the
/// client can then read the answer, and nothing is held.
async fn drain(body: &mut Incoming, deadline: tokio::time::Instant) {
    let mut left: u64 = 64 * 1024 * 1024;
    while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(deadline, body.frame()).await {
        if let Ok(data) = frame.into_data() {
            left = left.saturating_sub(data.len() as u64);
            if left == 0 {
                return;
            }
        }
    }
}

/// The reference's answer as an HTTP response; `close` ends the connection after it (a body
/// not read whole leaves the connection in no state for another request).
fn response(answer: Answer, close: bool) -> hyper::Response<Full<Bytes>> {
    let mut builder = hyper::Response::builder().status(answer.status);
    for (name, value) in &answer.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if close {
        builder = builder.header(hyper::header::CONNECTION, "close");
    }
    let body = if answer.status == 204 {
        Bytes::new()
    } else {
        builder = builder.header(hyper::header::CONTENT_TYPE, answer.content_type.as_str());
        Bytes::from(answer.body.to_string())
    };
    // Only a header the reference made could be refused here: say so in Graph's error shape,
    // whose own headers are always valid, rather than panic.
    builder
        .body(Full::new(body))
        .unwrap_or_else(|e| response(error(500, "generalException", &e.to_string()), true))
}

/// A request whose body was still arriving: if the connection is closed under it (to make
/// room, or at shutdown), it is logged as incomplete all the same, one line per request.
struct Unanswered<'a> {
    request: Option<Request>,
    respond: &'a Respond,
}

impl Unanswered<'_> {
    /// The request, whole now: nothing is logged on its behalf when this is dropped.
    fn into_request(mut self) -> Request {
        self.request.take().expect("set when made, taken only here")
    }
}

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if let Some(request) = self.request.take() {
            (self.respond)(Arrival {
                request,
                refused: Some(incomplete(Incomplete::Closed)),
            });
        }
    }
}

/// The connections waiting for their client (for a head, a body, or idle), oldest wait first,
/// and how to close each.
#[derive(Default)]
struct Waiting {
    inner: Mutex<WaitingInner>,
    /// Told each time a connection starts waiting for its client.
    changed: Notify,
}

#[derive(Default)]
struct WaitingInner {
    next: u64,
    /// Wait number → connection id and when the wait began, in the order the waits began.
    order: BTreeMap<u64, (u64, Instant)>,
    /// Connection id → its current wait number, if waiting, and what closes it.
    connections: HashMap<u64, (Option<u64>, Arc<Notify>)>,
}

impl Waiting {
    fn lock(&self) -> std::sync::MutexGuard<'_, WaitingInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new connection: waiting for its first head. Returns what says it must close.
    fn open(&self, id: u64) -> Arc<Notify> {
        let closed = Arc::new(Notify::new());
        let mut inner = self.lock();
        inner.connections.insert(id, (None, Arc::clone(&closed)));
        inner.begin(id);
        closed
    }

    /// The connection waits for its client again (its answer is written).
    fn wait(&self, id: u64) {
        self.lock().begin(id);
        self.changed.notify_waiters();
    }

    /// The connection has a whole request and is being answered: not to be closed.
    fn busy(&self, id: u64) {
        let mut inner = self.lock();
        if let Some(wait) = inner.connections.get_mut(&id).and_then(|(w, _)| w.take()) {
            inner.order.remove(&wait);
        }
    }

    fn close(&self, id: u64) {
        let mut inner = self.lock();
        if let Some((Some(wait), _)) = inner.connections.remove(&id) {
            inner.order.remove(&wait);
        }
    }

    /// Closes the connection that has waited longest for its client, if it has waited at least
    /// [`GRACE`], and counts it in `counts`: `Closed`, `NoneWaits`, or `Wait` the time until it
    /// has.
    fn close_longest(&self, counts: &Counts) -> Closing {
        let mut inner = self.lock();
        let Some((&wait, &(id, since))) = inner.order.first_key_value() else {
            return Closing::NoneWaits;
        };
        let waited = since.elapsed();
        if waited < GRACE {
            return Closing::Wait(GRACE - waited);
        }
        inner.order.remove(&wait);
        if let Some((_, closed)) = inner.connections.remove(&id) {
            closed.notify_one();
        }
        counts.evicted.fetch_add(1, Ordering::Relaxed);
        Closing::Closed
    }
}

/// How long a connection waits for its client before it may be closed to make room. A
/// connection starts waiting as soon as its answer is handed to hyper, which writes it within
/// microseconds: the grace keeps that answer whole, and gives a new client time to send its head.
const GRACE: Duration = Duration::from_millis(100);

/// What [`Waiting::close_longest`] did.
#[derive(Debug, PartialEq, Eq)]
enum Closing {
    Closed,
    NoneWaits,
    /// The longest wait is within [`GRACE`] for this much longer.
    Wait(Duration),
}

impl WaitingInner {
    fn begin(&mut self, id: u64) {
        let wait = self.next;
        self.next += 1;
        if let Some((slot, _)) = self.connections.get_mut(&id) {
            if let Some(old) = slot.replace(wait) {
                self.order.remove(&old);
            }
            self.order.insert(wait, (id, Instant::now()));
        }
    }
}

/// What the front says about connections, which can happen thousands of times a second: the
/// first of each kind at once, then at most one line per kind every 5 s, with the count since.
#[derive(Default)]
struct Notices {
    last: Mutex<HashMap<Notice, (Instant, u64)>>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Notice {
    AcceptError,
    Full,
    Busy,
    SlowHead,
}

impl Notices {
    fn say(&self, kind: Notice, text: &str) {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match last.get_mut(&kind) {
            Some((at, since)) if now.duration_since(*at) < Duration::from_secs(5) => *since += 1,
            Some((at, since)) => {
                let more = std::mem::take(since);
                *at = now;
                match more {
                    0 => log(text),
                    n => log(&format!(
                        "{text} (and {n} more like it since the last such line)"
                    )),
                }
            }
            None => {
                last.insert(kind, (now, 0));
                log(text);
            }
        }
    }
}

/// One line of `serve`'s log; a closed stderr must not stop the server.
fn log(text: &str) {
    let _ = writeln!(std::io::stderr(), "createlink-conformance serve: {text}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::{SocketAddr, TcpStream};

    /// A front on loopback with `limits`, answering `{}` (after 600 ms on `/slow`) and keeping a
    /// line for each arrival. Stopped when dropped.
    struct Front {
        address: SocketAddr,
        arrivals: Arc<Mutex<Vec<String>>>,
        counts: Arc<Counts>,
        _stop: tokio::sync::oneshot::Sender<()>,
        _runtime: tokio::runtime::Runtime,
    }

    fn short(max_connections: usize) -> Limits {
        Limits {
            header_timeout: Duration::from_millis(400),
            body_timeout: Duration::from_millis(400),
            max_head: 16 * 1024,
            max_connections,
        }
    }

    impl Front {
        fn start(limits: Limits) -> Front {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let address = listener.local_addr().unwrap();
            listener.set_nonblocking(true).unwrap();
            let arrivals = Arc::new(Mutex::new(Vec::new()));
            let kept = Arc::clone(&arrivals);
            let respond: Respond = Arc::new(move |arrival| {
                let (line, answer) = match arrival.refused {
                    None => {
                        let request = arrival.request;
                        if request.url.path() == "/slow" {
                            std::thread::sleep(Duration::from_millis(600));
                        }
                        let line = format!("whole {} {}", request.url.path(), request.body.len());
                        let answer = crate::reference::error(200, "none", "answered");
                        (line, answer)
                    }
                    Some(refusal) => (
                        format!("{} {}", refusal.fault, refusal.message),
                        refusal.answer(),
                    ),
                };
                kept.lock().unwrap().push(line);
                answer
            });
            let counts = Arc::new(Counts::default());
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let served = Arc::clone(&counts);
            runtime.spawn(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                let stopped = async {
                    let _ = stopped.await;
                };
                serve(listener, limits, respond, served, stopped).await;
            });
            Front {
                address,
                arrivals,
                counts,
                _stop: stop,
                _runtime: runtime,
            }
        }

        fn connect(&self) -> TcpStream {
            let stream = TcpStream::connect(self.address).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            stream
        }

        fn arrivals(&self) -> Vec<String> {
            self.arrivals.lock().unwrap().clone()
        }
    }

    /// Everything the server sends until it closes (or 5 s pass).
    fn answer(stream: &mut TcpStream) -> String {
        let mut text = Vec::new();
        let _ = stream.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    }

    fn post(path: &str, extra: &str, body: &str) -> String {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n{extra}\r\n{body}",
            body.len()
        )
    }

    /// Whether the server has closed `stream` (what it sent before is read and dropped), waiting
    /// at most `within`.
    fn closed(stream: &mut TcpStream, within: Duration) -> bool {
        stream.set_read_timeout(Some(within)).unwrap();
        loop {
            match stream.read(&mut [0u8; 4096]) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) => {
                    return !matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    );
                }
            }
        }
    }

    #[test]
    fn a_whole_request_is_answered_and_the_connection_kept() {
        let front = Front::start(short(4));
        let mut stream = front.connect();
        for _ in 0..2 {
            stream.write_all(post("/x", "", "{}").as_bytes()).unwrap();
            let mut head = [0u8; 12];
            stream.read_exact(&mut head).unwrap();
            assert_eq!(&head, b"HTTP/1.1 200");
            std::thread::sleep(Duration::from_millis(50));
            let mut rest = [0u8; 4096];
            let _ = stream.read(&mut rest).unwrap();
        }
        assert_eq!(front.arrivals(), ["whole /x 2", "whole /x 2"]);
    }

    #[test]
    fn a_client_that_shuts_its_side_after_the_request_gets_the_answer() {
        let front = Front::start(short(4));
        let mut stream = front.connect();
        stream.write_all(post("/x", "", "{}").as_bytes()).unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let text = answer(&mut stream);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert_eq!(front.arrivals(), ["whole /x 2"]);
    }

    #[test]
    fn a_head_too_slow_is_closed_and_counted() {
        let front = Front::start(short(4));
        let mut stream = front.connect();
        stream.write_all(b"POST /x HTTP/1.1\r\nHo").unwrap();
        // Read until closed (or 5 s, when the count below stays 0).
        assert_eq!(answer(&mut stream), "");
        assert_eq!(front.counts.slow_heads.load(Ordering::Relaxed), 1);
        assert!(front.arrivals().is_empty());
    }

    #[test]
    fn a_body_too_slow_is_refused_408_and_the_connection_closed() {
        let front = Front::start(short(4));
        let mut stream = front.connect();
        stream
            .write_all(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\"")
            .unwrap();
        let text = answer(&mut stream);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(text.contains("connection: close"), "{text}");
        let arrivals = front.arrivals();
        assert_eq!(arrivals.len(), 1);
        assert!(
            arrivals[0].starts_with("incomplete the request body did not arrive")
                && arrivals[0].contains("2 of its 10 bytes"),
            "{arrivals:?}"
        );
    }

    #[test]
    fn a_body_declared_over_the_limit_is_refused_413_unread() {
        let front = Front::start(short(4));
        // Waiting for `100 Continue`: refused at once, and no `100` is sent.
        let mut stream = front.connect();
        stream
            .write_all(
                post("/x", "Expect: 100-continue\r\n", "")
                    .replace("Content-Length: 0", "Content-Length: 2000000000")
                    .as_bytes(),
            )
            .unwrap();
        let text = answer(&mut stream);
        assert!(text.starts_with("HTTP/1.1 413"), "{text}");
        // Sent with its head: what arrives is read and dropped, so the client reads the 413.
        let mut stream = front.connect();
        let body = " ".repeat(BODY_LIMIT + 1);
        stream.write_all(post("/x", "", &body).as_bytes()).unwrap();
        let text = answer(&mut stream);
        assert!(text.starts_with("HTTP/1.1 413"), "{text}");
        let arrivals = front.arrivals();
        assert_eq!(arrivals.len(), 2, "{arrivals:?}");
        assert!(arrivals[0].starts_with("too-large the request body is 2000000000 bytes"));
        assert!(arrivals[1].starts_with(&format!(
            "too-large the request body is {} bytes",
            BODY_LIMIT + 1
        )));
    }

    #[test]
    fn a_chunked_body_is_refused_413_once_past_the_limit() {
        let front = Front::start(short(4));
        let mut stream = front.connect();
        stream
            .write_all(b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap();
        let chunk = format!("10000\r\n{}\r\n", "a".repeat(0x10000));
        // 17 chunks of 64 KiB pass 1 MiB; the rest is read and dropped.
        for _ in 0..24 {
            stream.write_all(chunk.as_bytes()).unwrap();
        }
        stream.write_all(b"0\r\n\r\n").unwrap();
        let text = answer(&mut stream);
        assert!(text.starts_with("HTTP/1.1 413"), "{text}");
        assert_eq!(
            front.arrivals(),
            [format!(
                "too-large the request body came chunked and passed {BODY_LIMIT} bytes; this \
                 server reads at most {BODY_LIMIT} (a createLink request is a few hundred)"
            )]
        );
    }

    #[test]
    fn a_head_over_the_limit_is_refused_431() {
        let front = Front::start(short(4));
        let mut stream = front.connect();
        let big = format!("X-Big: {}\r\n", "a".repeat(20 * 1024));
        stream.write_all(post("/x", &big, "{}").as_bytes()).unwrap();
        let text = answer(&mut stream);
        assert!(text.starts_with("HTTP/1.1 431"), "{text}");
        assert!(front.arrivals().is_empty());
    }

    #[test]
    fn a_client_leaving_mid_body_is_one_arrival() {
        let front = Front::start(short(4));
        {
            let mut stream = front.connect();
            stream
                .write_all(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"ty")
                .unwrap();
        }
        std::thread::sleep(Duration::from_millis(200));
        let arrivals = front.arrivals();
        assert_eq!(arrivals.len(), 1, "{arrivals:?}");
        assert!(
            arrivals[0].starts_with("incomplete the request body broke off after 4 of its 100"),
            "{arrivals:?}"
        );
    }

    #[test]
    fn at_the_connection_limit_the_one_waiting_longest_is_closed() {
        let front = Front::start(short(2));
        let mut oldest = front.connect();
        std::thread::sleep(Duration::from_millis(50));
        let mut newer = front.connect();
        newer.write_all(b"POST /x HTTP/1.1\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let mut third = front.connect();
        third.write_all(post("/x", "", "{}").as_bytes()).unwrap();
        let mut head = [0u8; 12];
        third.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
        assert!(closed(&mut oldest, Duration::from_millis(200)));
        assert!(!closed(&mut newer, Duration::from_millis(50)));
        assert_eq!(front.counts.evicted.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_connection_is_not_closed_to_make_room_within_its_grace() {
        let front = Front::start(short(1));
        let mut first = front.connect();
        let mut second = front.connect();
        second.write_all(post("/x", "", "{}").as_bytes()).unwrap();
        // The first has waited for its client less than the grace: it stays open for now.
        assert!(!closed(&mut first, GRACE / 4));
        let mut head = [0u8; 12];
        second.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
        assert!(closed(&mut first, Duration::from_millis(100)));
    }

    #[test]
    fn a_connection_being_answered_is_never_closed_to_make_room() {
        // The header timeout is long: room is made as soon as the answer is written.
        let front = Front::start(Limits {
            header_timeout: Duration::from_secs(30),
            ..short(1)
        });
        let mut busy = front.connect();
        busy.write_all(post("/slow", "", "{}").as_bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let mut next = front.connect();
        next.write_all(post("/x", "Connection: close\r\n", "{}").as_bytes())
            .unwrap();
        let mut head = [0u8; 12];
        busy.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
        // The slow one's connection is now waiting for its client: it makes room for the next.
        // Were it left open, `next` would wait the 30 s header timeout, past the 5 s read.
        let text = answer(&mut next);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(closed(&mut busy, Duration::from_millis(100)));
        assert_eq!(front.arrivals(), ["whole /slow 2", "whole /x 2"]);
    }
}
