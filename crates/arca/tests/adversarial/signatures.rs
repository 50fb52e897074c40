//! A signature covers what it claims to cover, and nothing unsigned steers the request.

use std::time::{Duration, SystemTime};

use crate::harness::*;
use crate::raw::*;

/// Object `secret` in bucket `private`, and an empty bucket `public`.
async fn two_buckets(s: &TestServer) {
    let c = s.client();
    make_bucket(&c, "private").await;
    make_bucket(&c, "public").await;
    c.put_object()
        .bucket("private")
        .key("secret")
        .body(b"top secret".to_vec().into())
        .send()
        .await
        .unwrap();
}

async fn exists(s: &TestServer, bucket: &str, key: &str) -> bool {
    s.client().head_object().bucket(bucket).key(key).send().await.is_ok()
}

fn presigned_target(s: &TestServer, method: &str, path: &str) -> String {
    presigned_for(s, method, path, 600)
}

/// The path and query of a presigned request valid `secs` seconds.
fn presigned_for(s: &TestServer, method: &str, path: &str, secs: u64) -> String {
    let req = signed(
        method,
        &s.url(path),
        &[],
        b"",
        Sign {
            presign: Some(Duration::from_secs(secs)),
            ..Default::default()
        },
    );
    req.uri().path_and_query().unwrap().to_string()
}

#[tokio::test]
async fn presigned_put_with_unsigned_copy_source_is_refused() {
    let s = TestServer::start();
    two_buckets(&s).await;
    let target = presigned_target(&s, "PUT", "/public/upload.bin");
    let ep = s.endpoint.clone();
    let r = tokio::task::spawn_blocking(move || {
        exchange(
            &ep,
            "PUT",
            &target,
            &[("x-amz-copy-source", "/private/secret"), ("content-length", "0")],
            b"",
        )
    })
    .await
    .unwrap();
    assert_eq!(r.status_code(), (403, "AccessDenied"), "{r:?}");
    assert!(r.body.contains("not signed"), "{r:?}");
    assert!(!exists(&s, "public", "upload.bin").await, "the copy happened");
}

#[tokio::test]
async fn unsigned_amz_headers_are_refused_with_header_auth() {
    let s = TestServer::start();
    two_buckets(&s).await;
    for (name, value) in [
        ("x-amz-copy-source", "/private/secret"),
        ("x-amz-meta-planted", "1"),
        ("x-amz-tagging", "planted=1"),
        ("x-amz-storage-class", "STANDARD_IA"),
    ] {
        let req = signed("PUT", &s.url("/public/h.bin"), &[], b"data", Sign::default());
        let mut headers = owned_headers(&req);
        headers.push((name.into(), value.into()));
        headers.push(("content-length".into(), "4".into()));
        let ep = s.endpoint.clone();
        let r = tokio::task::spawn_blocking(move || exchange(&ep, "PUT", "/public/h.bin", &refs(&headers), b"data"))
            .await
            .unwrap();
        assert_eq!(r.status_code(), (403, "AccessDenied"), "{name}: {r:?}");
        assert!(!exists(&s, "public", "h.bin").await, "{name}: stored anyway");
    }
    // The same request with the header signed goes through.
    let req = signed(
        "PUT",
        &s.url("/public/h.bin"),
        &[("x-amz-meta-planted", "1")],
        b"data",
        Sign::default(),
    );
    let (st, _, text) = send(req).await;
    assert_eq!(st, 200, "{text}");
}

/// A GET of `path` whose signature covers everything but `host`.
fn get_signed_without_host(endpoint: &str, path: &str) -> HandSigned {
    let signed = ["x-amz-date", "x-amz-content-sha256"];
    sign_v4(endpoint, "GET", path, &[], &signed, &hex_sha256(b""), SystemTime::now())
}

#[tokio::test]
async fn a_signature_without_host_is_refused() {
    let s = TestServer::start();
    two_buckets(&s).await;
    let ep = s.endpoint.clone();
    let r = tokio::task::spawn_blocking(move || {
        let hs = get_signed_without_host(&ep, "/private/secret");
        exchange(&ep, "GET", "/private/secret", &hs.header_refs(), b"")
    })
    .await
    .unwrap();
    assert_eq!(r.status_code(), (403, "AccessDenied"), "{r:?}");
    assert!(!r.body.contains("top secret"));
}

#[tokio::test]
async fn a_request_signed_without_host_cannot_be_replayed_onto_another_virtual_host() {
    let tmp = tempfile::tempdir().unwrap();
    let s = TestServer::start_on(&tmp.path().join("d"), &["--domain", "s3.test"]);
    two_buckets(&s).await;
    let ep = s.endpoint.clone();
    let r = tokio::task::spawn_blocking(move || {
        // Signed (without host) for a GET of `public/secret`, sent to `private.s3.test`.
        let hs = get_signed_without_host(&ep, "/secret");
        let mut headers = hs.header_refs();
        headers.retain(|(k, _)| *k != "host");
        headers.push(("host", "private.s3.test"));
        exchange(&ep, "GET", "/secret", &headers, b"")
    })
    .await
    .unwrap();
    assert_eq!(r.status_code(), (403, "AccessDenied"), "{r:?}");
}

#[tokio::test]
async fn query_and_header_authentication_together_are_refused() {
    let s = TestServer::start();
    two_buckets(&s).await;
    let target = presigned_target(&s, "GET", "/private/secret");
    let header = signed("GET", &s.url("/public"), &[], b"", Sign::default());
    let mut headers = owned_headers(&header);
    headers.retain(|(k, _)| k != "host");
    let ep = s.endpoint.clone();
    let r = tokio::task::spawn_blocking(move || exchange(&ep, "GET", &target, &refs(&headers), b""))
        .await
        .unwrap();
    assert_eq!(r.status_code(), (400, "InvalidArgument"), "{r:?}");
    assert!(r.body.contains("Only one auth mechanism allowed"), "{r:?}");
}

#[tokio::test]
async fn presign_expiry_cap_applies_to_the_decoded_parameter() {
    let s = TestServer::start();
    two_buckets(&s).await;
    let target = presigned_for(&s, "GET", "/private/secret", 8 * 24 * 3600);
    assert!(target.contains("X-Amz-Expires=691200"), "{target}");
    let ep = s.endpoint.clone();
    for dodge in [target.clone(), target.replace("X-Amz-Expires", "X-Amz-%45xpires")] {
        let ep = ep.clone();
        let r = tokio::task::spawn_blocking(move || exchange(&ep, "GET", &dodge, &[], b""))
            .await
            .unwrap();
        assert_eq!(r.status_code(), (400, "AuthorizationQueryParametersError"), "{r:?}");
    }
}

/// Out of range is AWS's `400 AuthorizationQueryParametersError` with AWS's message for each
/// case (that code is a 400 in AWS's error table); a lifetime of 0 is simply expired: `403
/// AccessDenied`, as is a URL past its lifetime (`integration::auth`).
#[tokio::test]
async fn presign_expiry_out_of_range_answers_as_aws_does() {
    let s = TestServer::start();
    two_buckets(&s).await;
    let presign = |secs: u64| presigned_for(&s, "GET", "/private/secret", secs);
    let valid = presign(600);
    let cases = [
        (presign(0), 403, "AccessDenied", "Request has expired"),
        (
            presign(604_801),
            400,
            "AuthorizationQueryParametersError",
            "the given X-Amz-Expires must be less than 604800 seconds",
        ),
        (
            valid.replace("X-Amz-Expires=600", "X-Amz-Expires=-7"),
            400,
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be non-negative",
        ),
        (
            valid.replace("X-Amz-Expires=600", "X-Amz-Expires=ten"),
            400,
            "AuthorizationQueryParametersError",
            "X-Amz-Expires should be a number",
        ),
    ];
    for (target, status, code, message) in cases {
        let ep = s.endpoint.clone();
        let r = tokio::task::spawn_blocking(move || exchange(&ep, "GET", &target, &[], b""))
            .await
            .unwrap();
        assert_eq!(r.status_code(), (status, code), "{r:?}");
        assert!(r.body.contains(message), "{r:?}");
        assert!(!r.body.contains("top secret"));
    }
}

#[tokio::test]
async fn debug_logging_never_prints_a_computed_signature() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("server.log");
    let mut child = std::process::Command::new(server_binary())
        .args(["server", "--address", "127.0.0.1:0", "--data"])
        .arg(tmp.path().join("d"))
        .env("ARCA_LOG", "trace")
        .env("ARCA_ROOT_ACCESS_KEY", ACCESS_KEY)
        .env("ARCA_ROOT_SECRET_KEY", SECRET_KEY)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let endpoint = {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        // Keep reading: a closed pipe would fail the server's next line.
        std::thread::spawn(move || for _ in lines {});
        first.trim().trim_start_matches("arca listening on ").to_string()
    };
    // A correctly signed request, and the same one with its signature changed: a log that
    // printed the expected signature of the second would print the first one's signature.
    let good = signed("GET", &format!("{endpoint}/"), &[], b"", Sign::default());
    let mut headers = owned_headers(&good);
    headers.retain(|(k, _)| k != "host");
    let auth = &mut headers.iter_mut().find(|(k, _)| k == "authorization").unwrap().1;
    let signature = auth.rsplit("Signature=").next().unwrap().to_string();
    *auth = auth.replace(&signature, &"0".repeat(64));
    let ep = endpoint.clone();
    let r = tokio::task::spawn_blocking(move || exchange(&ep, "GET", "/", &refs(&headers), b""))
        .await
        .unwrap();
    assert_eq!(r.status_code(), (403, "SignatureDoesNotMatch"), "{r:?}");
    std::thread::sleep(Duration::from_millis(300));
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("signature mismatch"),
        "the trace log is on: {}",
        &text[..text.len().min(2000)]
    );
    assert!(!text.contains(&signature), "the log holds the expected signature");
}

/// Every comparison of a signature in the patched s3s is constant-time: a source check, as
/// timing cannot be measured reliably in a test.
#[test]
fn signature_comparisons_in_s3s_are_constant_time() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../vendor/s3s/src");
    let mut offenders = Vec::new();
    for file in [
        "ops/signature.rs",
        "http/aws_chunked_stream.rs",
        "sig_v4/upload_stream.rs",
    ] {
        let text = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
        // Only the code before the unit tests.
        let code = text.split("#[cfg(test)]").next().unwrap();
        for (n, line) in code.lines().enumerate() {
            let l = line.trim();
            if l.starts_with("//") {
                continue;
            }
            // String literals (header names) are not values being compared.
            let code: String = l.split('"').step_by(2).collect();
            let compares = code.contains(" == ") || code.contains(" != ");
            if compares && code.to_lowercase().contains("signature") {
                offenders.push(format!("{file}:{}: {l}", n + 1));
            }
        }
    }
    assert!(offenders.is_empty(), "non-constant-time comparisons: {offenders:#?}");
}
