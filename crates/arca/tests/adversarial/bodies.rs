//! Request bodies: truncated aws-chunked streams, digests AWS requires, and clients that
//! stall mid-body or never finish a handshake.

use std::io::{Read, Write};
use std::time::{Duration, Instant, SystemTime};

use crate::harness::*;
use crate::raw::*;

/// A signed aws-chunked PUT of `data` in one chunk, with or without the final empty chunk.
fn chunked_put(endpoint: &str, target: &str, data: &[u8], finish: bool) -> Reply {
    let decoded = data.len().to_string();
    let hs = sign_v4(
        endpoint,
        "PUT",
        target,
        &[
            ("x-amz-decoded-content-length", &decoded),
            ("content-encoding", "aws-chunked"),
        ],
        &[
            "host",
            "x-amz-date",
            "x-amz-content-sha256",
            "x-amz-decoded-content-length",
            "content-encoding",
        ],
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        SystemTime::now(),
    );
    let (mut body, signature) = hs.chunk(&hs.seed_signature, data);
    if finish {
        let (last, _) = hs.chunk(&signature, b"");
        body.extend_from_slice(&last);
    }
    let len = body.len().to_string();
    let mut headers = hs.header_refs();
    headers.push(("content-length", &len));
    exchange(endpoint, "PUT", target, &headers, &body)
}

#[tokio::test]
async fn aws_chunked_body_without_its_final_chunk_is_incomplete() {
    let s = TestServer::start();
    make_bucket(&s.client(), "chunks").await;
    let ep = s.endpoint.clone();
    tokio::task::spawn_blocking(move || {
        let r = chunked_put(&ep, "/chunks/cut", b"hello, world", false);
        assert_eq!(r.status_code(), (400, "IncompleteBody"), "{r:?}");
        let r = chunked_put(&ep, "/chunks/whole", b"hello, world", true);
        assert_eq!(r.status, 200, "{r:?}");
    })
    .await
    .unwrap();
    let c = s.client();
    assert!(c.head_object().bucket("chunks").key("cut").send().await.is_err());
    assert_eq!(get_bytes(&c, "chunks", "whole").await, b"hello, world");
}

#[tokio::test]
async fn delete_objects_requires_an_integrity_header() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "del").await;
    c.put_object()
        .bucket("del")
        .key("keep")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    let body = b"<Delete><Object><Key>keep</Key></Object></Delete>";
    let req = signed("POST", &s.url("/del?delete"), &[], body, Sign::default());
    let (st, _, text) = send(req).await;
    assert_eq!((st, xml_code(&text)), (400, "InvalidRequest"), "{text}");
    assert!(text.contains("Content-MD5"), "{text}");
    assert_eq!(get_bytes(&c, "del", "keep").await, b"x");
    // The SDK sends a checksum header and succeeds.
    let del = aws_sdk_s3::types::Delete::builder()
        .objects(
            aws_sdk_s3::types::ObjectIdentifier::builder()
                .key("keep")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    c.delete_objects().bucket("del").delete(del).send().await.unwrap();
    assert!(c.head_object().bucket("del").key("keep").send().await.is_err());
}

/// Opens a signed PUT that declares 1000 bytes and sends 10.
fn stalled_put(endpoint: &str, key: &str) -> std::net::TcpStream {
    let target = format!("/stall/{key}");
    let hs = sign_v4(
        endpoint,
        "PUT",
        &target,
        &[("content-length", "1000")],
        &["host", "x-amz-date", "x-amz-content-sha256"],
        "UNSIGNED-PAYLOAD",
        SystemTime::now(),
    );
    let mut sock = connect(endpoint);
    write_head(&mut sock, endpoint, "PUT", &target, &hs.header_refs());
    sock.write_all(&[7u8; 10]).unwrap();
    sock
}

#[tokio::test]
async fn a_stalled_body_gets_request_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    let s = TestServer::start_on(&tmp.path().join("d"), &["--idle-timeout-secs", "1"]);
    make_bucket(&s.client(), "stall").await;
    let ep = s.endpoint.clone();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut sock = stalled_put(&ep, "k");
        let r = read_reply(&mut sock);
        assert_eq!(r.status_code(), (400, "RequestTimeout"), "{r:?}");
        assert!(r.head.to_lowercase().contains("connection: close"), "{r:?}");
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "answered only after {:?}",
            started.elapsed()
        );
    })
    .await
    .unwrap();
    assert!(s.client().head_object().bucket("stall").key("k").send().await.is_err());
}

#[tokio::test]
async fn stalled_clients_cannot_starve_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let s = TestServer::start_on(
        &tmp.path().join("d"),
        &["--idle-timeout-secs", "1", "--max-connections", "8"],
    );
    make_bucket(&s.client(), "stall").await;
    let ep = s.endpoint.clone();
    let pid = s.pid();
    tokio::task::spawn_blocking(move || {
        // Far more stalled uploads than the cap: the ones past it wait in the backlog.
        let socks: Vec<_> = (0..60).map(|i| stalled_put(&ep, &format!("k{i}"))).collect();
        std::thread::sleep(Duration::from_millis(500));
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count();
        assert!(fds < 8 + 40, "the server holds {fds} descriptors for 8 connections");
        // /health still answers: a slot frees as stalled bodies time out.
        let r = exchange(&ep, "GET", "/health", &[], b"");
        assert_eq!(r.status, 200, "{r:?}");
        drop(socks);
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_silent_tls_client_is_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let (cert, key) = crate::tls_pair(tmp.path());
    let s = TestServer::start_on(
        &tmp.path().join("d"),
        &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()],
    );
    let addr = s.endpoint.trim_start_matches("https://").to_string();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut sock = std::net::TcpStream::connect(&addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut buf = [0u8; 16];
        // Say nothing: the server closes the connection after its handshake timeout.
        let n = sock.read(&mut buf).unwrap_or(0);
        assert_eq!(n, 0, "the server sent data to a client that never said hello");
        let waited = started.elapsed();
        assert!(waited < Duration::from_secs(25), "held for {waited:?}");
    })
    .await
    .unwrap();
}

/// A client that sends `Expect: 100-continue` waits for the go-ahead before its body. A request
/// refused on its head alone gets the error at once, not `100 Continue` followed by a body
/// the server would only throw away; an accepted one gets `100 Continue`, then its answer.
#[tokio::test]
async fn expect_continue_uploads_that_are_refused_get_the_error_before_the_body() {
    let s = TestServer::start();
    make_bucket(&s.client(), "cont").await;
    let ep = s.endpoint.clone();
    tokio::task::spawn_blocking(move || {
        // Unsigned: refused on its head.
        let mut sock = connect(&ep);
        let len = (10 << 20).to_string();
        write_head(
            &mut sock,
            &ep,
            "PUT",
            "/cont/refused",
            &[("content-length", &len), ("expect", "100-continue")],
        );
        let r = read_reply(&mut sock);
        assert_eq!(r.status_code(), (403, "AccessDenied"), "{r:?}");
        // Signed: told to continue, then stored.
        let body = b"after the go-ahead";
        let body_len = body.len().to_string();
        let hs = sign_v4(
            &ep,
            "PUT",
            "/cont/accepted",
            &[("content-length", &body_len), ("expect", "100-continue")],
            &["host", "x-amz-date", "x-amz-content-sha256"],
            "UNSIGNED-PAYLOAD",
            SystemTime::now(),
        );
        let mut sock = connect(&ep);
        write_head(&mut sock, &ep, "PUT", "/cont/accepted", &hs.header_refs());
        let mut first = [0u8; 25];
        sock.read_exact(&mut first).unwrap();
        assert!(
            first.starts_with(b"HTTP/1.1 100 Continue"),
            "{:?}",
            String::from_utf8_lossy(&first)
        );
        sock.write_all(body).unwrap();
        let r = read_reply(&mut sock);
        assert_eq!(r.status, 200, "{r:?}");
    })
    .await
    .unwrap();
    assert!(
        s.client()
            .head_object()
            .bucket("cont")
            .key("refused")
            .send()
            .await
            .is_err()
    );
    assert_eq!(get_bytes(&s.client(), "cont", "accepted").await, b"after the go-ahead");
}

/// A PUT whose body is HTTP-chunked and carries no length of its own is refused as AWS does
/// (`411 MissingContentLength`), whatever it sends.
#[tokio::test]
async fn transfer_encoding_chunked_without_a_length_is_refused() {
    let s = TestServer::start();
    make_bucket(&s.client(), "tenc").await;
    let ep = s.endpoint.clone();
    tokio::task::spawn_blocking(move || {
        let hs = sign_v4(
            &ep,
            "PUT",
            "/tenc/k",
            &[("transfer-encoding", "chunked")],
            &["host", "x-amz-date", "x-amz-content-sha256"],
            "UNSIGNED-PAYLOAD",
            SystemTime::now(),
        );
        let mut sock = connect(&ep);
        write_head(&mut sock, &ep, "PUT", "/tenc/k", &hs.header_refs());
        sock.write_all(b"5\r\nhello\r\n0\r\n\r\n").unwrap();
        let r = read_reply(&mut sock);
        assert_eq!(r.status_code(), (411, "MissingContentLength"), "{r:?}");
    })
    .await
    .unwrap();
    assert!(s.client().head_object().bucket("tenc").key("k").send().await.is_err());
}

/// A refused `Expect: 100-continue` request whose body the client never sends ends its
/// connection: else hyper, learning late that the body was dropped, would read the client's
/// next request on that connection as the announced body, and serve the rest of it mangled
/// (a `GET` as `ET`: signature mismatch for a well-signed request).
#[tokio::test]
async fn a_refused_expect_continue_request_closes_its_connection() {
    let s = TestServer::start();
    let ep = s.endpoint.clone();
    tokio::task::spawn_blocking(move || {
        let mut sock = connect(&ep);
        write_head(
            &mut sock,
            &ep,
            "PUT",
            "/nobucket/k",
            &[("content-length", "1"), ("expect", "100-continue")],
        );
        let r = read_reply(&mut sock);
        assert_eq!(r.status, 403, "{r:?}");
        assert!(r.head.to_ascii_lowercase().contains("connection: close"), "{r:?}");
        // The client's next request on that connection gets no answer: the server closed it.
        let _ = sock.write_all(format!("GET / HTTP/1.1\r\nhost: {}\r\n\r\n", addr(&ep)).as_bytes());
        let mut rest = Vec::new();
        let _ = sock.read_to_end(&mut rest);
        assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
    })
    .await
    .unwrap();
}
