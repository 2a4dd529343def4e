//! `createlink-conformance serve`, run as a client developer runs it: the built binary on a free
//! loopback port, driven with a real HTTP client. Good requests get the documented answers, bad
//! ones are refused in Graph's error shape and logged, the summary counts them at SIGTERM, and the
//! token and the password never reach the output. The whole suite passes against it.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::program::{self, BIN, shown};
use createlink::load::variant::{Kind, Payload};
use createlink::verdict::behaviour::error_shape;
use serde_json::{Value, json};
use tokio::runtime::Runtime;

/// The bearer token the tests send; it must never be printed.
const TOKEN: &str = "serve-test-token-7f3a9c2e5b81";
/// A password the tests send; it must never be printed either.
const PASSWORD: &str = "serve-test-password-c4d9e1";
/// A documented path and a request on it, with its parameter filled in.
const TEMPLATE: &str = "/drives/{drivesId}/root/createLink";
const PATH: &str = "/drives/b!serve-drive/root/createLink";

/// How long the server may take to print its URL, and to exit after SIGTERM.
const START: Duration = Duration::from_secs(30);
const EXIT: Duration = Duration::from_secs(10);

/// A running `serve`; dropping it kills the process, so a failed test leaves nothing behind.
struct Server {
    child: Child,
    base_url: String,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
}

/// What `serve` printed, once stopped.
struct Stopped {
    status: ExitStatus,
    /// Everything after the URL line.
    stdout: String,
    stderr: String,
}

impl Server {
    /// Starts `serve ARGS` with a clean `CREATELINK_*` environment plus `vars`, and waits for its
    /// first line.
    fn start(vars: &[(&str, &str)], args: &[&str]) -> Server {
        let mut cmd = Command::new(BIN);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("CREATELINK_") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd
            .arg("serve")
            .args(args)
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Both pipes are drained all along, so a chatty server never blocks on a full pipe.
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            stderr.read_to_string(&mut text).ok();
            text
        });
        let (first, line) = mpsc::channel();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let stdout = std::thread::spawn(move || {
            let mut url = String::new();
            stdout.read_line(&mut url).ok();
            first.send(url).ok();
            let mut rest = String::new();
            stdout.read_to_string(&mut rest).ok();
            rest
        });
        let mut server = Server {
            child,
            base_url: String::new(),
            stdout: Some(stdout),
            stderr: Some(stderr),
        };
        let url = line.recv_timeout(START).unwrap_or_default();
        if !url.ends_with('\n') {
            let stopped = server.kill();
            panic!(
                "serve printed no URL line within {START:?} (got {url:?}); status {:?}\n{}",
                stopped.status, stopped.stderr
            );
        }
        server.base_url = url.trim_end().to_owned();
        server
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Sends `signal` and waits, bounded, for the process to exit.
    fn stop(mut self, signal: libc::c_int) -> Stopped {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) on our own child's pid, which has not been waited for yet.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill failed");
        let deadline = Instant::now() + EXIT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return self.output(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let stopped = self.kill();
        panic!(
            "serve did not exit within {EXIT:?} of signal {signal}\n{}",
            stopped.stderr
        );
    }

    fn kill(&mut self) -> Stopped {
        self.child.kill().ok();
        let status = self.child.wait().unwrap();
        self.output(status)
    }

    fn output(&mut self, status: ExitStatus) -> Stopped {
        let join = |h: Option<JoinHandle<String>>| h.map(|h| h.join().unwrap()).unwrap_or_default();
        Stopped {
            status,
            stdout: join(self.stdout.take()),
            stderr: join(self.stderr.take()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}

/// One request, as a client sends it.
struct Sent {
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
}

/// One answer.
struct Got {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

fn bearer() -> (&'static str, String) {
    ("authorization", format!("Bearer {TOKEN}"))
}

fn json_type() -> (&'static str, String) {
    ("content-type", "application/json".to_owned())
}

/// A good request on `path`: POST, the token, JSON, `body`.
fn good(path: &str, body: Value) -> Sent {
    Sent {
        method: "POST",
        path: path.to_owned(),
        headers: vec![bearer(), json_type()],
        body: Some(body.to_string()),
    }
}

/// A request that differs from a good one by `change`.
fn changed(change: impl FnOnce(&mut Sent)) -> Sent {
    let mut sent = good(PATH, json!({"type": "view", "scope": "anonymous"}));
    change(&mut sent);
    sent
}

/// A real HTTP client on a runtime of its own, over loopback.
struct Client {
    runtime: Runtime,
    client: reqwest::Client,
}

impl Client {
    fn new() -> Client {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // reqwest is built without a crypto provider (Cargo.toml); the harness installs ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Client { runtime, client }
    }

    fn send(&self, server: &Server, sent: &Sent) -> Got {
        let method = reqwest::Method::from_bytes(sent.method.as_bytes()).unwrap();
        let mut request = self.client.request(method, server.url(&sent.path));
        for (name, value) in &sent.headers {
            request = request.header(*name, value);
        }
        if let Some(body) = &sent.body {
            request = request.body(body.clone());
        }
        self.runtime.block_on(async {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let bytes = response.bytes().await.unwrap();
            // A 204 has no body.
            let body = serde_json::from_slice(if bytes.is_empty() { b"null" } else { &bytes })
                .unwrap_or_else(|e| {
                    panic!(
                        "{status}: not JSON ({e}): {}",
                        String::from_utf8_lossy(&bytes)
                    )
                });
            Got {
                status,
                headers,
                body,
            }
        })
    }
}

/// The permission of a documented (`{"value": ...}`) answer.
fn value(got: &Got) -> &Value {
    assert_eq!(got.status, 200, "{}", got.body);
    &got.body["value"]
}

#[track_caller]
fn assert_json(got: &Got) {
    let content_type = got.headers["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
}

/// A refusal: `status`, Graph's error shape with its inner error, a message naming `needle`.
#[track_caller]
fn assert_refused(got: &Got, status: u16, needle: &str) {
    assert_eq!(got.status, status, "{}", got.body);
    assert_json(got);
    assert_eq!(error_shape(&got.body), None, "{}", got.body);
    let inner = &got.body["error"]["innerError"];
    assert!(
        inner["request-id"].is_string() && inner["date"].is_string(),
        "{}",
        got.body
    );
    let message = got.body["error"]["message"].as_str().unwrap();
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

/// The per-request log lines of `stderr`: those with an arrow.
fn log_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(" -> ")).collect()
}

#[track_caller]
fn assert_no_secret(stopped: &Stopped) {
    for secret in [TOKEN, PASSWORD] {
        for (name, text) in [("stdout", &stopped.stdout), ("stderr", &stopped.stderr)] {
            assert!(!text.contains(secret), "{secret} in {name}:\n{text}");
        }
    }
}

#[test]
fn good_requests_get_the_documented_answers_and_bad_ones_are_refused_and_logged() {
    // The flag wins over the variable.
    let server = Server::start(
        &[("CREATELINK_PROFILE", "graph")],
        &["--profile", "documented", "--port", "0"],
    );
    assert!(
        server.base_url.starts_with("http://127.0.0.1:") && server.base_url.ends_with("/beta"),
        "{}",
        server.base_url
    );
    let client = Client::new();
    // Each request with the start of its log line after the arrow.
    let mut log: Vec<String> = Vec::new();
    let mut send = |sent: Sent, logged: &str| {
        let got = client.send(&server, &sent);
        log.push(format!("{} -> {} {logged}", sent.method, got.status));
        got
    };

    // Good requests: the link asked for, roles per type, embed's iframe, the same link again.
    let view = send(
        good(PATH, json!({"type": "view", "scope": "anonymous"})),
        "ok",
    );
    assert_json(&view);
    let permission = value(&view);
    assert_eq!(permission["link"]["type"], "view");
    assert_eq!(permission["link"]["scope"], "anonymous");
    assert_eq!(permission["roles"], json!(["read"]));
    assert_eq!(permission["hasPassword"], false);

    let edit = send(
        good(PATH, json!({"type": "edit", "scope": "organization"})),
        "ok",
    );
    let permission = value(&edit);
    assert_eq!(permission["link"]["type"], "edit");
    assert_eq!(permission["link"]["scope"], "organization");
    assert_eq!(permission["roles"], json!(["write"]));

    let embed = send(
        good(PATH, json!({"type": "embed", "scope": "anonymous"})),
        "ok",
    );
    let html = value(&embed)["link"]["webHtml"].as_str().unwrap();
    assert!(html.starts_with("<iframe"), "{html}");

    // The existing link comes back unchanged, whatever else the request asks; deleted, the
    // next request gets a fresh one; an unknown id is 404 in Graph's error shape.
    let secret = json!({"type": "view", "scope": "anonymous", "password": PASSWORD});
    let existing = send(good(PATH, secret.clone()), "ok");
    assert_eq!(value(&existing), value(&view));
    let item = PATH.strip_suffix("/createLink").unwrap();
    let id = value(&view)["id"].as_str().unwrap().to_owned();
    let delete = |id: &str| Sent {
        method: "DELETE",
        path: format!("{item}/permissions/{id}"),
        headers: vec![bearer()],
        body: None,
    };
    let deleted = send(delete(&id), "ok");
    assert_eq!(deleted.status, 204);
    let unknown = send(delete(&id), "ok");
    assert_refused(&unknown, 404, "does not exist");
    let with_password = send(good(PATH, secret), "ok");
    assert_eq!(value(&with_password)["hasPassword"], true);
    assert_ne!(value(&with_password)["id"], id.as_str());

    let again = send(
        good(PATH, json!({"type": "edit", "scope": "organization"})),
        "ok",
    );
    assert_eq!(value(&again)["id"], value(&edit)["id"]);
    assert_eq!(
        value(&again)["link"]["webUrl"],
        value(&edit)["link"]["webUrl"]
    );

    // Bad requests, one fault each: the status, the message, and the log's rule name.
    let refusals: Vec<(Sent, u16, &str, &str)> = vec![
        (
            changed(|s| {
                s.method = "GET";
                s.body = None;
            }),
            405,
            "method",
            "\"GET\"",
        ),
        (
            changed(|s| s.path = "/drives/b!serve-drive/createLink".to_owned()),
            404,
            "path",
            "/beta/drives/b!serve-drive/createLink",
        ),
        (
            // A token in the path is not printed either.
            changed(|s| s.path = format!("/nowhere/{TOKEN}?query=1")),
            404,
            "path",
            "matches none of the 29 documented createLink paths",
        ),
        (
            changed(|s| s.headers.retain(|(n, _)| *n != "authorization")),
            401,
            "authorization",
            "no Authorization header",
        ),
        (
            changed(|s| s.headers[0] = ("authorization", format!("Basic {TOKEN}"))),
            401,
            "authorization",
            "scheme is not Bearer",
        ),
        (
            changed(|s| s.headers[0] = ("authorization", "Bearer ".to_owned())),
            401,
            "authorization",
            "no token",
        ),
        (
            changed(|s| s.headers[1] = ("content-type", "text/plain".to_owned())),
            415,
            "content-type",
            "\"text/plain\", not application/json",
        ),
        (
            changed(|s| s.headers.truncate(1)),
            415,
            "content-type",
            "no Content-Type header",
        ),
        (
            changed(|s| s.body = Some("{\"type\": \"view\", ".to_owned())),
            400,
            "json",
            "not JSON: EOF while parsing",
        ),
        (
            changed(|s| s.body = Some(String::new())),
            400,
            "json",
            "the request body is empty",
        ),
        (
            changed(|s| s.body = Some(json!({"type": "conformance-unknown-type"}).to_string())),
            400,
            "schema",
            "at /type: \"conformance-unknown-type\" is not one of \"view\"",
        ),
        (
            changed(|s| s.body = Some(json!({"type": "view", "colour": "red"}).to_string())),
            400,
            "schema",
            "'colour' was unexpected",
        ),
        (
            changed(|s| s.body = Some(json!({"password": [PASSWORD]}).to_string())),
            400,
            "schema",
            "at /password: the value (not shown: a password)",
        ),
        (
            changed(|s| s.body = Some("{\"type\": \"view\", \"type\": \"edit\"}".to_owned())),
            400,
            "duplicate-member",
            "the member \"type\" 2 times",
        ),
    ];
    let refused = refusals.len();
    for (sent, status, fault, needle) in refusals {
        let got = send(sent, &format!("{fault}: "));
        assert_refused(&got, status, needle);
        assert!(!got.body.to_string().contains(PASSWORD), "{}", got.body);
        if status == 405 {
            assert_eq!(got.headers["allow"], "POST");
        }
    }

    let stopped = server.stop(libc::SIGTERM);
    assert_eq!(stopped.status.code(), Some(0), "{}", stopped.stderr);
    assert_eq!(stopped.stdout, "", "only the URL goes to stdout");
    assert_no_secret(&stopped);
    // Where a client developer looks, at start-up and under the summary: an SDK would read this
    // profile's answers as empty Permissions.
    let note = stopped
        .stderr
        .lines()
        .filter(|l| l.starts_with("note: profile documented"));
    let note: Vec<&str> = note.collect();
    assert_eq!(note.len(), 2, "{}", stopped.stderr);
    assert!(
        note[0].contains("read that shape as an empty Permission")
            && note[0].contains("--profile graph"),
        "{}",
        note[0]
    );
    assert_eq!(stopped.stderr.lines().last(), Some(note[1]));

    // One line per request, in order: method, documented path or the path sent, status, verdict.
    let lines = log_lines(&stopped.stderr);
    assert_eq!(lines.len(), log.len(), "{}", stopped.stderr);
    for (line, expected) in lines.iter().zip(&log) {
        let (method, rest) = expected.split_once(' ').unwrap();
        assert!(
            line.starts_with(method) && line.contains(rest),
            "{line:?} is not {expected:?}"
        );
    }
    assert!(
        lines[0].starts_with(&format!("POST {TEMPLATE} -> 200 ok")),
        "{}",
        lines[0]
    );
    assert!(
        lines.iter().any(|l| l.starts_with("POST /beta/nowhere/")),
        "an unmatched path is logged as sent:\n{}",
        stopped.stderr
    );
    assert!(
        !stopped.stderr.contains("query=1"),
        "the query is not logged"
    );

    // The summary: requests per path, and every violation with a count and an example.
    let summary = stopped.stderr.split("requests per path").nth(1).unwrap();
    let total = log.len();
    let ok = total - refused;
    let matched = total - 2;
    for needle in [
        format!("{total} requests, {ok} answered, {refused} refused"),
        "(1 of 29 documented paths requested)".to_owned(),
        format!(
            "{matched:>7}  {TEMPLATE}  ({ok} ok, {} refused)",
            refused - 2
        ),
        "      2  (no documented path)  (0 ok, 2 refused)".to_owned(),
        "      1  method            the method is \"GET\"".to_owned(),
        "      2  path              ".to_owned(),
        "      3  authorization     ".to_owned(),
        "      2  content-type      ".to_owned(),
        "      2  json              ".to_owned(),
        "      3  schema            ".to_owned(),
        "      1  duplicate-member  ".to_owned(),
    ] {
        assert!(
            stopped.stderr.contains(&needle),
            "summary lacks {needle:?}:\n{summary}"
        );
    }
}

#[test]
fn under_graph_a_new_link_is_201_and_the_same_link_again_200_with_the_bare_permission() {
    let server = Server::start(&[("CREATELINK_PROFILE", "graph")], &[]);
    let client = Client::new();
    let request = || good(PATH, json!({"type": "view", "scope": "organization"}));
    let first = client.send(&server, &request());
    let second = client.send(&server, &request());
    assert_eq!((first.status, second.status), (201, 200), "{}", second.body);
    for got in [&first, &second] {
        assert_json(got);
        assert!(got.body.get("value").is_none(), "{}", got.body);
        assert_eq!(got.body["link"]["type"], "view");
        assert_eq!(got.body["link"]["scope"], "organization");
        assert_eq!(got.body["roles"], json!(["read"]));
    }
    assert_eq!(first.body["id"], second.body["id"]);
    // A refusal is the same under either profile.
    let refused = client.send(&server, &changed(|s| s.headers.truncate(0)));
    assert_refused(&refused, 401, "no Authorization header");

    let stopped = server.stop(libc::SIGINT);
    assert_eq!(stopped.status.code(), Some(0), "{}", stopped.stderr);
    let lines = log_lines(&stopped.stderr);
    assert_eq!(
        lines[..2],
        [
            format!("POST {TEMPLATE} -> 201 ok"),
            format!("POST {TEMPLATE} -> 200 ok")
        ]
    );
    assert_eq!(lines.len(), 3, "{}", stopped.stderr);
    assert_no_secret(&stopped);
    assert!(
        !stopped.stderr.contains("note: profile"),
        "{}",
        stopped.stderr
    );
}

/// A header of an answer, as text.
fn header<'a>(got: &'a Got, name: &str) -> &'a str {
    got.headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", got.headers))
        .to_str()
        .unwrap()
}

/// The requests official clients were seen sending, exactly: each is served as the document's
/// spelling of it is, and `b!x` is one item whichever way it is written.
#[test]
fn what_official_clients_send_is_served_as_what_it_means() {
    let server = Server::start(&[], &["--profile", "graph"]);
    let client = Client::new();
    let sdk = |path: &str, body: &str| Sent {
        method: "POST",
        path: path.to_owned(),
        headers: vec![
            ("accept", "application/json".to_owned()),
            json_type(),
            bearer(),
            (
                "user-agent",
                "python-httpx/0.28.1 kiota-python/1.16.0".to_owned(),
            ),
        ],
        body: Some(body.to_owned()),
    };
    // msgraph-sdk 1.65 for Python, as shipped, with its base URL set to serve's URL plus '/':
    // `drives.by_drive_id("b!x").items.by_drive_item_id("01ABC").create_link.post(...)`.
    let python = r#"{"retainInheritedPermissions": false, "scope": "anonymous", "sendNotification": false, "type": "view"}"#;
    let first = client.send(
        &server,
        &sdk("//drives/b%21x/items/01ABC/createLink", python),
    );
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(
        (&first.body["link"]["type"], &first.body["link"]["scope"]),
        (&json!("view"), &json!("anonymous"))
    );
    // The same item and link, written as the document writes it.
    let plain = client.send(&server, &sdk("/drives/b!x/items/01ABC/createLink", python));
    assert_eq!(plain.status, 200, "the same link: {}", plain.body);
    assert_eq!(plain.body["id"], first.body["id"]);
    // Another item is another link.
    let other = client.send(
        &server,
        &sdk("/drives/b%21y/items/01ABC/createLink", python),
    );
    assert_eq!(other.status, 201, "{}", other.body);
    assert_ne!(other.body["id"], first.body["id"]);

    // The kiota TypeScript serializer (@microsoft/kiota-serialization-json 1.0.0-preview.109)
    // writing a body whose other properties were set to null: the same as leaving them out.
    let omitted = client.send(&server, &good(PATH, json!({"type": "edit"})));
    assert_eq!(omitted.status, 201, "{}", omitted.body);
    let kiota = r#"{"expirationDateTime":null,"password":null,"recipients":null,"retainInheritedPermissions":null,"scope":null,"sendNotification":null,"type":"edit"}"#;
    let nulls = client.send(&server, &sdk(PATH, kiota));
    assert_eq!(nulls.status, 200, "the same link: {}", nulls.body);
    assert_eq!(nulls.body["id"], omitted.body["id"]);
    assert_eq!(nulls.body["hasPassword"], false);
    assert!(
        nulls.body.get("expirationDateTime").is_none(),
        "{}",
        nulls.body
    );
    // A null inside a parameter is still refused: only a parameter may be null.
    let inner = client.send(
        &server,
        &good(PATH, json!({"type": "view", "recipients": [null]})),
    );
    assert_refused(&inner, 400, "at /recipients/0");

    // A browser page on another origin: Chromium's preflight for a fetch with a bearer token
    // and a JSON body, then the request itself.
    let origin = "http://127.0.0.1:8719";
    let preflight = client.send(
        &server,
        &Sent {
            method: "OPTIONS",
            path: PATH.to_owned(),
            headers: vec![
                ("origin", origin.to_owned()),
                ("access-control-request-method", "POST".to_owned()),
                (
                    "access-control-request-headers",
                    "authorization,content-type".to_owned(),
                ),
            ],
            body: None,
        },
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(header(&preflight, "access-control-allow-origin"), origin);
    assert_eq!(
        header(&preflight, "access-control-allow-methods"),
        "POST, DELETE"
    );
    let allowed = header(&preflight, "access-control-allow-headers").to_ascii_lowercase();
    assert!(
        allowed.contains("authorization") && allowed.contains("content-type"),
        "{allowed}"
    );
    let mut from_page = good(PATH, json!({"type": "view"}));
    from_page.headers.push(("origin", origin.to_owned()));
    let answered = client.send(&server, &from_page);
    assert_eq!(answered.status, 201, "{}", answered.body);
    assert_eq!(header(&answered, "access-control-allow-origin"), origin);
    // An OPTIONS without an Origin is no preflight: createLink takes POST.
    let bare = client.send(
        &server,
        &Sent {
            method: "OPTIONS",
            path: PATH.to_owned(),
            headers: Vec::new(),
            body: None,
        },
    );
    assert_refused(&bare, 405, "\"OPTIONS\"");

    // A 401 carries Graph's challenge, and a page may read the refusal.
    let mut no_token = changed(|s| s.headers.retain(|(n, _)| *n != "authorization"));
    no_token.headers.push(("origin", origin.to_owned()));
    let refused = client.send(&server, &no_token);
    assert_refused(&refused, 401, "no Authorization header");
    assert_eq!(
        header(&refused, "www-authenticate"),
        "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\""
    );
    assert_eq!(header(&refused, "access-control-allow-origin"), origin);
    assert!(header(&refused, "access-control-expose-headers").contains("WWW-Authenticate"));

    // A token that shares most of its characters with the body's text: the log keeps the text.
    let shares = changed(|s| {
        s.headers[0] = ("authorization", "Bearer x-conformance-unknown-7".to_owned());
        s.body = Some(json!({"type": "conformance-unknown-type"}).to_string());
    });
    assert_refused(
        &client.send(&server, &shares),
        400,
        "conformance-unknown-type",
    );

    let stopped = server.stop(libc::SIGTERM);
    assert_eq!(stopped.status.code(), Some(0), "{}", stopped.stderr);
    assert_no_secret(&stopped);
    let lines = log_lines(&stopped.stderr);
    assert_eq!(
        lines[..3],
        [
            "POST /drives/{drivesId}/items/{driveItemId}/createLink -> 201 ok",
            "POST /drives/{drivesId}/items/{driveItemId}/createLink -> 200 ok",
            "POST /drives/{drivesId}/items/{driveItemId}/createLink -> 201 ok",
        ],
        "{}",
        stopped.stderr
    );
    assert!(
        lines.contains(&format!("OPTIONS {TEMPLATE} -> 204 CORS preflight").as_str()),
        "{}",
        stopped.stderr
    );
    assert!(
        stopped
            .stderr
            .contains("at /type: \"conformance-unknown-type\" is not one of"),
        "{}",
        stopped.stderr
    );
    assert!(
        stopped.stderr.contains(", 1 CORS preflight\n"),
        "{}",
        stopped.stderr
    );
}

/// The suite's verdict on `serve` under `profile`: every trial passes, and `serve`'s summary counts
/// exactly the requests the suite sends, and the refusals its variants ask for.
fn suite_passes_against_serve(profile: &str) {
    let server = Server::start(&[], &["--profile", profile]);
    // `serve` starts with no link: under documented, where every answer is 200, that lets the
    // run delete the links it got (CREATELINK_FRESH_ITEMS).
    let out = program::run(
        TOKEN,
        &[
            ("CREATELINK_BASE_URL", &server.base_url),
            ("CREATELINK_PROFILE", profile),
            ("CREATELINK_FRESH_ITEMS", "1"),
        ],
        &[],
    );
    let stopped = server.stop(libc::SIGTERM);
    let trials = common::trial_names().len();
    assert!(
        out.status.success()
            && String::from_utf8_lossy(&out.stdout).contains(&format!("{trials} passed; 0 failed")),
        "{}\n--- serve's stderr\n{}",
        shown(&out),
        stopped.stderr
    );
    assert_eq!(stopped.status.code(), Some(0), "{}", stopped.stderr);
    assert!(!stopped.stderr.contains(TOKEN), "{}", stopped.stderr);

    let plan = common::plan();
    let per_path: usize = 1 + plan.variants.iter().map(|v| v.requests()).sum::<usize>();
    let paths = plan.cases.len();
    // The suite's trials POST; its other requests are the pre-flight `GET` of the base URL and
    // a DELETE of each link the run made, every one answered 204, so no link is left.
    let lines = log_lines(&stopped.stderr);
    let posts = lines.iter().filter(|l| l.starts_with("POST ")).count();
    assert_eq!(posts, per_path * paths, "{}", stopped.stderr);
    let deletes: Vec<&&str> = lines.iter().filter(|l| l.starts_with("DELETE ")).collect();
    assert!(
        !deletes.is_empty() && deletes.iter().all(|l| l.contains("-> 204 ok")),
        "{}",
        stopped.stderr
    );
    assert_eq!(lines.len(), posts + deletes.len() + 1, "{}", stopped.stderr);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(" 0 left behind"), "{err}");
    // A request is counted under the first case whose template it matches: the seed's
    // /drives/{drivesId}/items/{driveItemId} and the published /drives/{driveId}/items/{itemId}
    // are one shape, so that line counts the requests of both.
    let shape = |t: &createlink::load::case::PathTemplate| -> Vec<String> {
        t.segments()
            .iter()
            .map(|s| match s {
                createlink::load::case::Segment::Literal(l) => l.clone(),
                createlink::load::case::Segment::Param(_) => "{}".to_owned(),
            })
            .collect()
    };
    for (i, case) in plan.cases.iter().enumerate() {
        let same = plan
            .cases
            .iter()
            .filter(|c| shape(&c.template) == shape(&case.template))
            .count();
        let first = plan
            .cases
            .iter()
            .position(|c| shape(&c.template) == shape(&case.template));
        if first != Some(i) {
            continue;
        }
        let line = format!("  {}  (", case.template.as_str());
        let count = stopped
            .stderr
            .lines()
            .find(|l| l.contains(&line))
            .and_then(|l| l.split_whitespace().next()?.parse::<usize>().ok());
        // The DELETEs of its links are counted there too.
        assert!(
            count.is_some_and(|n| n >= per_path * same),
            "{line:?}:\n{}",
            stopped.stderr
        );
    }
    let mut faults = std::collections::BTreeMap::<&str, usize>::new();
    for v in &plan.variants {
        let fault = match &v.kind {
            Kind::Link { .. } => continue,
            Kind::Refusal {
                authorization: false,
                ..
            } => "authorization",
            Kind::Refusal {
                body: Payload::Raw(_),
                ..
            } => "json",
            Kind::Refusal { .. } => "schema",
        };
        *faults.entry(fault).or_default() += paths;
    }
    assert!(!faults.is_empty());
    for (fault, count) in faults {
        let line = format!("{count:>7}  {fault:<16}  ");
        assert!(
            stopped.stderr.contains(&line),
            "{line:?}:\n{}",
            stopped.stderr
        );
    }
}

#[test]
fn the_suite_passes_against_serve_under_the_documented_profile() {
    suite_passes_against_serve("documented");
}

#[test]
fn the_suite_passes_against_serve_under_the_graph_profile() {
    suite_passes_against_serve("graph");
}

/// `serve ARGS` with `vars`, for the runs that stop before serving.
fn serve_once(vars: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut all = vec!["serve"];
    all.extend_from_slice(args);
    program::run(TOKEN, vars, &all)
}

#[test]
fn help_prints_the_usage() {
    let out = serve_once(&[], &["--help"]);
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    let usage = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--profile",
        "--port",
        "--bind",
        "CREATELINK_PROFILE",
        "SIGTERM",
    ] {
        assert!(usage.contains(flag), "{usage}");
    }
}

#[test]
fn a_bad_flag_or_variable_is_named_with_exit_code_2() {
    for (vars, args, named) in [
        (
            &[][..],
            &["--port", "eighty"][..],
            "--port: expected a port number",
        ),
        (
            &[],
            &["--profile", "live"],
            "--profile: expected documented or graph",
        ),
        (
            &[],
            &["--bind", "localhost"],
            "--bind: expected an IP address",
        ),
        (&[], &["--port"], "--port needs a value"),
        (&[], &["--verbose"], "unknown argument \"--verbose\""),
        (
            &[("CREATELINK_PROFILE", "live")],
            &[],
            "CREATELINK_PROFILE: unknown profile \"live\"",
        ),
    ] {
        let out = serve_once(vars, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", shown(&out));
        assert!(stderr.contains(named), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(out.stdout.is_empty(), "{}", shown(&out));
    }
}

#[test]
fn a_port_in_use_is_named_with_exit_code_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = serve_once(&[], &["--port", &port]);
    assert_eq!(out.status.code(), Some(1), "{}", shown(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
}

/// `--service` stands for one service: what that service lacks is refused with 400 in Graph's
/// shape, citing the page; what it offers is answered; the flag wins over the variable.
#[test]
fn serve_refuses_what_its_service_lacks_citing_the_page() {
    let client = Client::new();
    let personal = Server::start(
        &[("CREATELINK_SERVICE", "business")],
        &["--service", "personal"],
    );
    let on_personal = |body: Value| client.send(&personal, &good(PATH, body));
    for (body, needle) in [
        (
            json!({"type": "edit", "scope": "organization"}),
            "scope \"organization\" exists only on OneDrive for Business and SharePoint",
        ),
        (
            json!({"type": "review", "scope": "anonymous"}),
            "type \"review\" exists only on OneDrive for Business and SharePoint",
        ),
    ] {
        let got = on_personal(body);
        assert_refused(&got, 400, needle);
        assert_refused(&got, 400, "driveitem-createlink");
    }
    assert_eq!(
        value(&on_personal(json!({"type": "embed"})))["link"]["type"],
        "embed"
    );
    let stopped = personal.stop(libc::SIGTERM);
    assert!(
        stopped.stderr.contains("service personal"),
        "{}",
        stopped.stderr
    );
    // The summary counts the refusals under their own rule.
    assert!(
        stopped.stderr.contains("      2  service "),
        "{}",
        stopped.stderr
    );

    let business = Server::start(&[("CREATELINK_SERVICE", "business")], &[]);
    let got = client.send(&business, &good(PATH, json!({"type": "embed"})));
    assert_refused(
        &got,
        400,
        "type \"embed\" exists only on OneDrive personal: \"Embed links are only supported for \
         OneDrive personal.\" (driveitem-createlink, Example 3)",
    );
    let got = client.send(
        &business,
        &good(PATH, json!({"type": "edit", "scope": "users"})),
    );
    assert_eq!(value(&got)["link"]["scope"], "users");
    let stopped = business.stop(libc::SIGTERM);
    assert_eq!(stopped.status.code(), Some(0), "{}", stopped.stderr);
    assert!(stopped.stderr.contains("service"), "{}", stopped.stderr);
}
