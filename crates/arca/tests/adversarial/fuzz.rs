//! Property-based fuzzing of everything Arca parses before it trusts a request: SigV4 and
//! SigV2 canonicalisation, presigned-query parsing, browser POST forms and XML bodies.
//!
//! Each case drives the S3 service exactly as the server wires it (`arca_server::s3_service`)
//! in process, so thousands of requests run in seconds. The properties: no panic, an answer
//! within a deadline, and no unauthenticated or tampered request ever succeeds. Bodies arrive
//! in arbitrarily small pieces, as a slow or hostile client would send them.
//!
//! CI runs a bounded number of cases; `PROPTEST_CASES=100000 cargo test --test adversarial
//! fuzz` fuzzes for longer.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use proptest::prelude::*;
use s3s::service::S3Service;

use crate::harness::{ACCESS_KEY, SECRET_KEY};
use crate::raw::{authorization_v4, base64, form, hex_sha256};

/// Longest any one request may take in process.
const DEADLINE: Duration = Duration::from_secs(5);

struct Fixture {
    service: S3Service,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let service = runtime.block_on(async {
            let store = arca_store::Store::open(&dir.path().join("data")).unwrap();
            let creds = arca_server::credentials::RootCredentials {
                access_key: ACCESS_KEY.into(),
                secret_key: SECRET_KEY.into(),
                owner_id: "0".repeat(64),
            };
            let data = dir.path().join("data");
            let service = arca_server::s3_service(store, &data, "us-east-1", None, &creds, 900, None)
                .await
                .unwrap();
            let mut create = http::Request::builder().method("PUT").uri("/fuzz");
            for (k, v) in sign("PUT", "/fuzz", &[], &hex_sha256(b"")) {
                create = create.header(k, v);
            }
            let resp = service.call(create.body(s3s::Body::empty()).unwrap()).await.unwrap();
            assert_eq!(resp.status(), 200, "the fuzz bucket is created");
            service
        });
        Fixture {
            service,
            runtime,
            _dir: dir,
        }
    })
}

/// A request body that arrives in the given pieces.
struct Pieces(VecDeque<Bytes>);

impl futures::Stream for Pieces {
    type Item = Result<Bytes, s3s::StdError>;
    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.get_mut().0.pop_front().map(Ok))
    }
}

impl s3s::stream::ByteStream for Pieces {}

/// Splits `body` at the given cut points (taken modulo its length).
fn pieces(body: &[u8], cuts: &[usize]) -> Pieces {
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    at.push(0);
    at.push(body.len());
    at.sort_unstable();
    at.dedup();
    Pieces(
        at.windows(2)
            .map(|w| Bytes::copy_from_slice(&body[w[0]..w[1]]))
            .collect(),
    )
}

/// Calls the service; the status, or a panic-free failure of the connection (0).
fn call(method: &str, target: &str, headers: &[(String, String)], body: Pieces) -> u16 {
    let f = fixture();
    let mut req = http::Request::builder().method(method).uri(target);
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let Ok(req) = req.body(s3s::Body::from(Box::pin(body) as s3s::stream::DynByteStream)) else {
        return 0; // not a request hyper could have produced
    };
    let started = Instant::now();
    let status = f.runtime.block_on(async {
        let resp = tokio::time::timeout(DEADLINE, f.service.call(req))
            .await
            .expect("answered within the deadline");
        match resp {
            Ok(mut r) => {
                // Read the body too: some errors surface only while streaming.
                let status = r.status().as_u16();
                let _ = tokio::time::timeout(DEADLINE, async {
                    use http_body_util::BodyExt;
                    let _ = r.body_mut().collect().await;
                })
                .await;
                status
            }
            Err(_) => 0,
        }
    });
    assert!(started.elapsed() < DEADLINE * 2);
    status
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9._~-]{1,12}",
        "[ -~]{0,16}",
        "%[0-9A-Fa-f]{2}[a-z]{0,4}",
        Just("..".to_string()),
        Just("%2F..%2F..%2Fetc%2Fpasswd".to_string()),
    ]
}

fn query() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        Just("tagging"),
        Just("cors"),
        Just("uploads"),
        Just("uploadId"),
        Just("partNumber"),
        Just("delete"),
        Just("acl"),
        Just("versionId"),
        Just("X-Amz-Algorithm"),
        Just("X-Amz-Credential"),
        Just("X-Amz-Date"),
        Just("X-Amz-Expires"),
        Just("X-Amz-SignedHeaders"),
        Just("X-Amz-Signature"),
        Just("X-Amz-%45xpires"),
        Just("AWSAccessKeyId"),
        Just("Expires"),
        Just("Signature"),
        Just("list-type"),
        Just("prefix"),
        Just("delimiter"),
    ]
    .prop_map(str::to_string);
    proptest::collection::vec((prop_oneof![name, token()], token()), 0..6)
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        Just("authorization"),
        Just("x-amz-date"),
        Just("date"),
        Just("x-amz-content-sha256"),
        Just("x-amz-decoded-content-length"),
        Just("content-encoding"),
        Just("content-md5"),
        Just("content-type"),
        Just("content-length"),
        Just("x-amz-copy-source"),
        Just("x-amz-trailer"),
        Just("x-amz-checksum-crc32"),
        Just("x-amz-server-side-encryption"),
        Just("x-amz-acl"),
        Just("range"),
        Just("expect"),
    ]
    .prop_map(str::to_string);
    let value = prop_oneof![
        token(),
        Just("AWS4-HMAC-SHA256 Credential=AKIDARCATEST0000001/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00".to_string()),
        Just(format!("AWS {ACCESS_KEY}:AAAA")),
        Just("STREAMING-AWS4-HMAC-SHA256-PAYLOAD".to_string()),
        Just("STREAMING-UNSIGNED-PAYLOAD-TRAILER".to_string()),
        Just("UNSIGNED-PAYLOAD".to_string()),
        Just("multipart/form-data; boundary=b".to_string()),
        Just("aws-chunked".to_string()),
    ];
    proptest::collection::vec((name, value), 0..6)
}

fn target(bucket_path: &str, q: &[(String, String)]) -> String {
    let path: String = bucket_path
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '?' && c != '#' {
                c.to_string()
            } else {
                "%20".to_string()
            }
        })
        .collect();
    let query: Vec<String> = q
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace([' ', '#', '&'], "%20")))
        .collect();
    if query.is_empty() {
        format!("/{path}")
    } else {
        format!("/{path}?{}", query.join("&"))
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Unsigned, half-signed and wrongly signed requests of every shape: never a success.
    #[test]
    fn unauthenticated_requests_never_succeed(
        method in prop_oneof![Just("GET"), Just("PUT"), Just("POST"), Just("DELETE"), Just("HEAD")],
        path in prop_oneof![Just("fuzz/key".to_string()), Just("fuzz".to_string()), token()],
        q in query(),
        hs in headers(),
        body in proptest::collection::vec(any::<u8>(), 0..256),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let status = call(method, &target(&path, &q), &hs, pieces(&body, &cuts));
        prop_assert!(!(200..300).contains(&status), "{method} {path} {q:?} {hs:?} -> {status}");
    }

    /// A correctly signed request with one byte of its signature, one signed header or its
    /// query changed afterwards: never a success.
    #[test]
    fn tampered_sigv4_requests_never_succeed(
        key in "[a-z0-9/]{1,20}",
        q in query(),
        meta in "[a-z0-9]{0,12}",
        tamper in 0usize..3,
        flip in 0usize..64,
    ) {
        let path = format!("fuzz/{key}");
        let target = target(&path, &q);
        let mut hs = sign_v4_for_fuzz("GET", &target, &[("x-amz-meta-m", &meta)]);
        match tamper {
            0 => {
                let auth = &mut hs.iter_mut().find(|(k, _)| k == "authorization").unwrap().1;
                let at = auth.len() - 64 + flip;
                let c = if &auth[at..at + 1] == "0" { "1" } else { "0" };
                auth.replace_range(at..at + 1, c);
            }
            1 => hs.iter_mut().find(|(k, _)| k == "x-amz-meta-m").unwrap().1.push('x'),
            _ => hs.push(("x-amz-meta-unsigned".into(), "1".into())),
        }
        let status = call("GET", &target, &hs, pieces(b"", &[]));
        prop_assert!(!(200..300).contains(&status), "{target} tamper {tamper} -> {status}");
    }

    /// Browser POST forms of every shape, cut into pieces: never a success without a valid
    /// policy signature, and always an answer.
    #[test]
    fn malformed_post_forms_never_succeed(
        fields in proptest::collection::vec((token(), token()), 0..8),
        file in proptest::collection::vec(any::<u8>(), 0..512),
        boundary in "[a-zA-Z0-9'()+_,./:=?-]{1,40}",
        truncate in any::<usize>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..32),
    ) {
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut body = form(&refs, &file, &boundary);
        body.truncate(truncate % (body.len() + 1));
        let hs = vec![
            ("content-type".to_string(), format!("multipart/form-data; boundary={boundary}")),
            ("content-length".to_string(), body.len().to_string()),
        ];
        let status = call("POST", "/fuzz", &hs, pieces(&body, &cuts));
        prop_assert!(!(200..300).contains(&status), "{fields:?} -> {status}");
    }

    /// Signed requests whose XML bodies are random or cut: answered, never a panic; a
    /// DeleteObjects that deletes nothing it was not asked to.
    #[test]
    fn signed_xml_bodies_are_parsed_safely(
        which in 0usize..5,
        xml in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..400).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
            xml_document(),
        ],
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
    ) {
        let (method, target) = [
            ("PUT", "/fuzz?cors"),
            ("PUT", "/fuzz?tagging"),
            ("POST", "/fuzz?delete"),
            ("PUT", "/fuzz/key?tagging"),
            ("POST", "/fuzz/key?uploadId=nope"),
        ][which];
        let mut hs = sign_v4_for_fuzz_body(method, target, xml.as_bytes());
        hs.push(("content-md5".into(), base64(&md5_of(xml.as_bytes()))));
        let status = call(method, target, &hs, pieces(xml.as_bytes(), &cuts));
        prop_assert!(status != 0 && status != 500, "{method} {target} {xml:?} -> {status}");
    }
}

fn xml_document() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "[a-zA-Z]{1,8}".prop_map(|t| format!("<{t}>x</{t}>")),
        Just("<Key>../../etc/passwd</Key>".to_string()),
        Just("<Object><Key>a</Key></Object>".to_string()),
        Just("<Tag><Key>k</Key><Value>v</Value></Tag>".to_string()),
        Just("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>".to_string()),
        Just("&e;".to_string()),
        Just("<![CDATA[".to_string()),
        Just("<Part><PartNumber>1</PartNumber><ETag>\"x\"</ETag></Part>".to_string()),
    ];
    let root = prop_oneof![
        Just("Delete"),
        Just("Tagging"),
        Just("TagSet"),
        Just("CORSConfiguration"),
        Just("CORSRule"),
        Just("CompleteMultipartUpload"),
    ];
    (root, proptest::collection::vec(leaf, 0..12), any::<bool>()).prop_map(|(root, leaves, close)| {
        let inner: String = leaves.concat();
        if close {
            format!("<{root}>{inner}</{root}>")
        } else {
            format!("<{root}>{inner}")
        }
    })
}

fn md5_of(b: &[u8]) -> Vec<u8> {
    <md5::Md5 as md5::Digest>::digest(b).to_vec()
}

fn sign_v4_for_fuzz(method: &str, target: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    sign(method, target, extra, &hex_sha256(b""))
}

fn sign_v4_for_fuzz_body(method: &str, target: &str, body: &[u8]) -> Vec<(String, String)> {
    sign(method, target, &[], &hex_sha256(body))
}

/// SigV4 header auth for the in-process service (host `fuzz.test`), every header signed.
fn sign(method: &str, target: &str, extra: &[(&str, &str)], payload: &str) -> Vec<(String, String)> {
    let (amz_date, _) = crate::raw::amz_dates(SystemTime::now());
    let mut hs: Vec<(String, String)> = vec![
        ("host".into(), "fuzz.test".into()),
        ("x-amz-date".into(), amz_date.clone()),
        ("x-amz-content-sha256".into(), payload.to_string()),
    ];
    hs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let names: Vec<String> = hs.iter().map(|(k, _)| k.clone()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (authorization, _) = authorization_v4(method, target, &hs, &names, payload, &amz_date);
    hs.push(("authorization".into(), authorization));
    hs
}

/// Parsing the fields of a POST form is linear in their size, however they are cut: a form
/// four times larger, sent a byte at a time, costs about four times as much, not sixteen
/// (the parser before the fix re-parsed the whole buffer for every piece).
#[test]
fn post_form_parsing_is_linear_in_the_body() {
    let cost = |field_bytes: usize| {
        let padding = "p".repeat(field_bytes);
        let body = form(&[("key", "k"), ("x-ignore-padding", &padding)], b"", "b");
        let cuts: Vec<usize> = (1..body.len()).collect();
        let hs = vec![
            (
                "content-type".to_string(),
                "multipart/form-data; boundary=b".to_string(),
            ),
            ("content-length".to_string(), body.len().to_string()),
        ];
        (0..3)
            .map(|_| {
                let started = Instant::now();
                let status = call("POST", "/fuzz", &hs, pieces(&body, &cuts));
                assert_eq!(status, 403, "an anonymous form is refused");
                started.elapsed()
            })
            .min()
            .unwrap()
    };
    let _warm = cost(1024);
    let small = cost(4 * 1024);
    let large = cost(16 * 1024);
    let ratio = large.as_secs_f64() / small.as_secs_f64();
    assert!(
        ratio < 9.0,
        "4x the form cost {ratio:.1}x the time ({small:?} -> {large:?})"
    );
}
