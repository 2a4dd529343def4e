//! https targets: an untrusted certificate fails each case saying how to trust a private CA,
//! and `SSL_CERT_FILE` makes it trusted. The target is a TLS server on 127.0.0.1 with the
//! self-signed certificate of `tests/data/tls` (made for these tests, valid until 2126).

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use common::permission;
use common::program::{run, shown};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

const TRIAL: &str = "POST /drives/{drivesId}/root/createLink";

fn tls_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/tls")
}

/// Answers every request with the documented answer over TLS; returns the base URL.
fn https_target() -> String {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(tls_dir().join("cert.pem"))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let key = PrivateKeyDer::from_pem_file(tls_dir().join("key.pem")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/beta", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = Arc::clone(&config);
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                // Read to the end of the head; the small JSON body follows in the same flight.
                while !head.ends_with(b"\r\n\r\n") {
                    if tls.read(&mut byte).unwrap_or(0) == 0 {
                        return; // the client refused the certificate
                    }
                    head.push(byte[0]);
                }
                let body = serde_json::json!({ "value": permission() }).to_string();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes());
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    url
}

/// The pre-flight meets the certificate first: the run stops before any trial, with one message
/// naming CREATELINK_BASE_URL and how to trust a private CA.
#[test]
fn an_untrusted_certificate_stops_the_run_saying_how_to_trust_a_private_ca() {
    let base = https_target();
    let out = run(
        "t0ken",
        &[("CREATELINK_BASE_URL", &base)],
        &["--exact", TRIAL],
    );
    let text = shown(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("CREATELINK_BASE_URL: the target does not answer, so no trial was run"),
        "{text}"
    );
    assert!(text.contains("is not trusted"), "{text}");
    assert!(
        text.contains("SSL_CERT_FILE") && text.contains("SSL_CERT_DIR"),
        "{text}"
    );
}

#[test]
fn ssl_cert_file_makes_a_private_ca_trusted() {
    let base = https_target();
    let cert = tls_dir().join("cert.pem");
    let out = run(
        "t0ken",
        &[
            ("CREATELINK_BASE_URL", &base),
            ("SSL_CERT_FILE", cert.to_str().unwrap()),
        ],
        &["--exact", TRIAL],
    );
    let text = shown(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("1 passed; 0 failed"), "{text}");
}

/// A machine without a CA store (here: one made empty through the same variables) still runs
/// the built-in server, over http, which needs no trust roots.
#[test]
fn http_targets_need_no_ca_store() {
    let dir = common::program::temp_dir("no-ca-store");
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let out = run(
        "t0ken",
        &[
            ("SSL_CERT_FILE", empty.to_str().unwrap()),
            ("SSL_CERT_DIR", dir.to_str().unwrap()),
        ],
        &["--exact", TRIAL],
    );
    let text = shown(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
}
