//! Bad input gets AWS's error code and changes nothing.

use crate::harness::*;

#[tokio::test]
async fn key_and_metadata_limits() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "lim").await;
    let long = "k".repeat(1025);
    let e = c
        .put_object()
        .bucket("lim")
        .key(&long)
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "KeyTooLongError");
    let max = "k".repeat(1024);
    c.put_object()
        .bucket("lim")
        .key(&max)
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    let e = c
        .put_object()
        .bucket("lim")
        .key("m")
        .metadata("big", "v".repeat(2100))
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "MetadataTooLarge");
    let e = c
        .put_object()
        .bucket("lim")
        .key("m")
        .storage_class(aws_sdk_s3::types::StorageClass::from("FANCY"))
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidStorageClass");
    let e = c
        .put_object()
        .bucket("lim")
        .key("t")
        .tagging("a=1&a=2")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidTag");
    let list = c.list_objects_v2().bucket("lim").send().await.unwrap();
    assert_eq!(list.key_count(), Some(1), "only the 1024-byte key was stored");
}

#[tokio::test]
async fn malformed_xml_changes_nothing() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "xml").await;
    c.put_object()
        .bucket("xml")
        .key("keep")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    for body in [
        &b"<Delete><Object><Key>keep</Key></Object>"[..],
        b"not xml at all",
        b"<Delete><Object><Key>keep</Key></Object></Delete><extra>",
    ] {
        let md5 = base64_md5(body);
        let req = signed(
            "POST",
            &s.url("/xml?delete"),
            &[("content-md5", &md5)],
            body,
            Sign::default(),
        );
        let (st, _, text) = send(req).await;
        assert_eq!((st, xml_code(&text)), (400, "MalformedXML"), "{text}");
    }
    let req = signed(
        "PUT",
        &s.url("/xml?tagging"),
        &[],
        b"<Tagging><TagSet><Tag><Key>a</Key>",
        Sign::default(),
    );
    let (st, _, text) = send(req).await;
    assert_eq!((st, xml_code(&text)), (400, "MalformedXML"), "{text}");
    assert_eq!(get_bytes(&c, "xml", "keep").await, b"x");
    // More than 1000 keys in one DeleteObjects.
    let mut many = String::from("<Delete>");
    for i in 0..1001 {
        many.push_str(&format!("<Object><Key>k{i}</Key></Object>"));
    }
    many.push_str("</Delete>");
    let md5 = base64_md5(many.as_bytes());
    let req = signed(
        "POST",
        &s.url("/xml?delete"),
        &[("content-md5", &md5)],
        many.as_bytes(),
        Sign::default(),
    );
    let (st, _, text) = send(req).await;
    assert_eq!((st, xml_code(&text)), (400, "MalformedXML"), "{text}");
}

#[tokio::test]
async fn xml_bodies_with_wrong_digests_change_nothing() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "xml").await;
    for k in ["keep", "other"] {
        c.put_object()
            .bucket("xml")
            .key(k)
            .body(b"x".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    // The digest of the list the client meant ("other"); the body names "keep" (corrupted).
    let meant = b"<Delete><Object><Key>other</Key></Object></Delete>";
    let sent = b"<Delete><Object><Key>keep</Key></Object></Delete>";
    let wrong_md5 = base64_md5(meant);
    let crc = |b: &[u8]| {
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            (crc32_ieee(b)).to_be_bytes(),
        )
    };
    let cases: [(&str, String); 3] = [
        ("content-md5", wrong_md5),
        ("x-amz-checksum-crc32", crc(meant)),
        ("x-amz-checksum-sha256", sha256_b64(meant)),
    ];
    for (header, value) in &cases {
        let req = signed(
            "POST",
            &s.url("/xml?delete"),
            &[(header, value.as_str())],
            sent,
            Sign::default(),
        );
        let (st, _, text) = send(req).await;
        assert_eq!((st, xml_code(&text)), (400, "BadDigest"), "{header}: {text}");
    }
    let tagging = b"<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>";
    let req = signed(
        "PUT",
        &s.url("/xml/keep?tagging"),
        &[("x-amz-checksum-sha256", &sha256_b64(b"something else"))],
        tagging,
        Sign::default(),
    );
    let (st, _, text) = send(req).await;
    assert_eq!((st, xml_code(&text)), (400, "BadDigest"), "{text}");
    let req = signed(
        "PUT",
        &s.url("/xml?cors"),
        &[("content-md5", &base64_md5(b"x"))],
        b"<CORSConfiguration/>",
        Sign::default(),
    );
    let (st, _, text) = send(req).await;
    assert_eq!((st, xml_code(&text)), (400, "BadDigest"), "{text}");
    // Nothing changed; with the right digests the same requests work.
    assert_eq!(get_bytes(&c, "xml", "keep").await, b"x");
    let tags = c.get_object_tagging().bucket("xml").key("keep").send().await.unwrap();
    assert!(tags.tag_set().is_empty());
    for (header, value) in [("content-md5", base64_md5(sent)), ("x-amz-checksum-crc32", crc(sent))] {
        let req = signed(
            "POST",
            &s.url("/xml?delete"),
            &[(header, value.as_str())],
            sent,
            Sign::default(),
        );
        let (st, _, text) = send(req).await;
        assert_eq!(st, 200, "{header}: {text}");
    }
    assert!(c.head_object().bucket("xml").key("keep").send().await.is_err());
}

/// CRC-32 (IEEE), bit by bit: the test's own, so that it checks the server, not a library.
fn crc32_ieee(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn sha256_b64(b: &[u8]) -> String {
    use sha2::Digest;
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, sha2::Sha256::digest(b))
}

fn base64_md5(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(<md5::Md5 as md5::Digest>::digest(b))
}

/// Sends a signed PUT whose body stops after `send_bytes` of the declared length.
fn truncated_put(endpoint: &str, path: &str, body: &[u8], send_bytes: usize) {
    let url = format!("{endpoint}{path}");
    let req = signed(
        "PUT",
        &url,
        &[("content-length", &body.len().to_string())],
        body,
        Sign {
            unsigned_payload: true,
            ..Default::default()
        },
    );
    let resp = raw_exchange(endpoint, &req, &body[..send_bytes], true);
    assert!(
        !resp.starts_with("HTTP/1.1 200"),
        "a truncated body was accepted: {resp}"
    );
}

#[tokio::test]
async fn truncated_bodies_leave_no_trace() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "trunc").await;
    c.put_object()
        .bucket("trunc")
        .key("existing")
        .body(b"old".to_vec().into())
        .send()
        .await
        .unwrap();
    let ep = s.endpoint.clone();
    tokio::task::spawn_blocking(move || {
        truncated_put(&ep, "/trunc/new-small", &bytes_of(1000, 1), 500);
        truncated_put(&ep, "/trunc/new-big", &bytes_of(3_000_000, 2), 1_000_000);
        truncated_put(&ep, "/trunc/existing", &bytes_of(2_000_000, 3), 10);
    })
    .await
    .unwrap();
    let list = c.list_objects_v2().bucket("trunc").send().await.unwrap();
    let keys: Vec<&str> = list.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["existing"]);
    assert_eq!(get_bytes(&c, "trunc", "existing").await, b"old");
}

#[tokio::test]
async fn oversized_headers_are_refused_and_server_survives() {
    let s = TestServer::start();
    make_bucket(&s.client(), "hdr").await;
    let huge = "x".repeat(200 * 1024);
    let r = reqwest::Client::new()
        .get(s.url("/hdr"))
        .header("x-amz-meta-huge", huge)
        .send()
        .await;
    // The server may also simply close the connection.
    if let Ok(resp) = r {
        assert!(resp.status().is_client_error(), "{}", resp.status());
    }
    s.client().head_bucket().bucket("hdr").send().await.unwrap();
}

#[tokio::test]
async fn corrupt_blob_is_an_error_not_wrong_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("d");
    let mut s = TestServer::start_on(&data_dir, &[]);
    let c = s.client();
    make_bucket(&c, "rot").await;
    let data = bytes_of(500_000, 11);
    c.put_object()
        .bucket("rot")
        .key("k")
        .body(data.clone().into())
        .send()
        .await
        .unwrap();
    s.terminate();
    // Flip one bit in the only blob file.
    let blob = walk_files(&data_dir.join("blobs"))
        .into_iter()
        .next()
        .expect("one blob");
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[300_000] ^= 0x10;
    std::fs::write(&blob, bytes).unwrap();
    let s = TestServer::start_on(&data_dir, &[]);
    let c = s.client();
    // The first block is intact; the damaged one is refused.
    let head = c
        .get_object()
        .bucket("rot")
        .key("k")
        .range("bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(head.body.collect().await.unwrap().into_bytes().as_ref(), &data[..100]);
    match c.get_object().bucket("rot").key("k").send().await {
        Err(_) => {}
        Ok(r) => {
            let body = r.body.collect().await;
            assert!(body.is_err(), "corrupt bytes were served as data");
        }
    }
}

/// Every file under `dir`, recursively.
pub(crate) fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk_files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Errors s3s raises by code alone (a bucket name it cannot route) still carry AWS's message,
/// and every error body names the request id its headers carry.
#[tokio::test]
async fn error_bodies_have_a_message_and_the_request_id() {
    let s = TestServer::start();
    for bucket in ["b", "a..b", "Upper-Case"] {
        let req = signed("PUT", &s.url(&format!("/{bucket}")), &[], b"", Sign::default());
        let (st, headers, text) = send(req).await;
        assert_eq!((st, xml_code(&text)), (400, "InvalidBucketName"), "{text}");
        assert!(
            text.contains("<Message>The specified bucket is not valid.</Message>"),
            "{text}"
        );
        let id = headers["x-amz-request-id"].to_str().unwrap();
        assert!(text.contains(&format!("<RequestId>{id}</RequestId>")), "{text}");
    }
    let (st, headers, text) = send(signed("GET", &s.url("/nobucket/k"), &[], b"", Sign::default())).await;
    assert_eq!((st, xml_code(&text)), (404, "NoSuchBucket"), "{text}");
    let id = headers["x-amz-request-id"].to_str().unwrap();
    assert!(text.contains(&format!("<RequestId>{id}</RequestId>")), "{text}");
    assert_eq!(text.matches("<Message>").count(), 1, "{text}");
}

/// An error s3s raises before reading the body (an invalid bucket name, a bad signature)
/// still reaches a client that is busy sending a large body: the server reads the rest
/// instead of resetting the connection under it (which clients report as a broken pipe).
#[test]
fn early_errors_reach_a_client_still_sending_its_body() {
    use std::io::{Read, Write};
    let s = TestServer::start();
    let body = vec![7u8; 24 << 20];
    for (path, secret, code) in [
        ("/ab/k", SECRET_KEY, "InvalidBucketName"),
        ("/nobucket/k", "not-the-secret", "SignatureDoesNotMatch"),
    ] {
        let req = signed(
            "PUT",
            &s.url(path),
            &[("content-length", &body.len().to_string())],
            &body,
            Sign {
                secret,
                unsigned_payload: true,
                ..Default::default()
            },
        );
        let addr = s.endpoint.trim_start_matches("http://").to_string();
        let mut sock = std::net::TcpStream::connect(&addr).unwrap();
        sock.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
        let mut head = format!("PUT {path} HTTP/1.1\r\nhost: {addr}\r\n");
        for (k, v) in req.headers() {
            if k != "host" {
                head.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap()));
            }
        }
        head.push_str("\r\n");
        sock.write_all(head.as_bytes()).unwrap();
        // All of it must go: a reset here is the bug.
        sock.write_all(&body).expect("the server stopped reading mid-body");
        let mut resp = vec![0u8; 4096];
        let n = sock.read(&mut resp).expect("the connection was reset");
        let text = String::from_utf8_lossy(&resp[..n]);
        assert!(text.contains(&format!("<Code>{code}</Code>")), "{text}");
    }
}
