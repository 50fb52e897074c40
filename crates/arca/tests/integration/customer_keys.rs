//! SSE-C: objects sealed under keys the customer brings with every request. The key travels
//! over TLS only, opens what it sealed and nothing else, and never lies on disk; copies and
//! multipart uploads move between encryption modes as AWS's do.

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ServerSideEncryption};
use base64::Engine;
use md5::{Digest, Md5};

use crate::harness::*;

/// A customer key of 32 `byte`s as SSE-C headers carry it: the key and its MD5, base64.
pub(crate) struct CustomerKey {
    pub(crate) raw: [u8; 32],
    pub(crate) key: String,
    pub(crate) md5: String,
}

pub(crate) fn customer_key(byte: u8) -> CustomerKey {
    let raw = [byte; 32];
    let b64 = base64::engine::general_purpose::STANDARD;
    CustomerKey {
        raw,
        key: b64.encode(raw),
        md5: b64.encode(Md5::digest(raw)),
    }
}

/// Sets the SSE-C headers of any fluent builder that has them.
macro_rules! with_key {
    ($builder:expr, $k:expr) => {
        $builder
            .sse_customer_algorithm("AES256")
            .sse_customer_key(&$k.key)
            .sse_customer_key_md5(&$k.md5)
    };
}

/// A server that takes customer keys over plain HTTP from loopback (tests only; the HTTPS
/// path is `keys_travel_over_tls_only`).
fn server() -> TestServer {
    TestServer::start_with(&["--sse-c-over-loopback-http"])
}

async fn get_with(c: &Client, bucket: &str, key: &str, k: &CustomerKey) -> Vec<u8> {
    let r = with_key!(c.get_object().bucket(bucket).key(key), k)
        .send()
        .await
        .unwrap();
    assert_eq!(r.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(r.sse_customer_key_md5(), Some(k.md5.as_str()));
    assert_eq!(
        r.server_side_encryption(),
        None,
        "SSE-C answers carry no x-amz-server-side-encryption"
    );
    r.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test]
async fn a_customer_key_opens_what_it_sealed_and_nothing_else() {
    let s = server();
    let c = s.client();
    make_bucket(&c, "ssec").await;
    let k = customer_key(1);
    let wrong = customer_key(2);
    let small = b"SSE-C-SMALL-PLAINTEXT ".repeat(100);
    let large = b"SSE-C-LARGE-PLAINTEXT ".repeat(40_000);
    for (name, body) in [("small", &small), ("large", &large)] {
        let put = with_key!(c.put_object().bucket("ssec").key(name).body(body.clone().into()), k)
            .send()
            .await
            .unwrap();
        assert_eq!(put.sse_customer_algorithm(), Some("AES256"));
        assert_eq!(put.sse_customer_key_md5(), Some(k.md5.as_str()));
        assert_eq!(put.server_side_encryption(), None);
        // The ETag is not the MD5 of the plaintext (a listing must not reveal it).
        let etag = put.e_tag().unwrap().trim_matches('"').to_string();
        assert_ne!(etag, hex::encode(Md5::digest(body)), "{name}");

        assert_eq!(&get_with(&c, "ssec", name, &k).await, body, "{name}");
        let head = with_key!(c.head_object().bucket("ssec").key(name), k)
            .send()
            .await
            .unwrap();
        assert_eq!(head.content_length(), Some(body.len() as i64));
        assert_eq!(head.e_tag().unwrap().trim_matches('"'), etag);
        assert_eq!(head.sse_customer_key_md5(), Some(k.md5.as_str()));

        // Without the key: 400 InvalidRequest; with another: 403 AccessDenied. HEAD alike.
        let e = c.get_object().bucket("ssec").key(name).send().await.unwrap_err();
        assert_eq!((status(&e), code(&e).as_str()), (400, "InvalidRequest"), "{name}");
        let e = with_key!(c.get_object().bucket("ssec").key(name), wrong)
            .send()
            .await
            .unwrap_err();
        assert_eq!((status(&e), code(&e).as_str()), (403, "AccessDenied"), "{name}");
        let e = c.head_object().bucket("ssec").key(name).send().await.unwrap_err();
        assert_eq!(status(&e), 400);
        let e = with_key!(c.head_object().bucket("ssec").key(name), wrong)
            .send()
            .await
            .unwrap_err();
        assert_eq!(status(&e), 403);
        // A condition is not a way to test an ETag without the key.
        let e = c
            .get_object()
            .bucket("ssec")
            .key(name)
            .if_match(&etag)
            .send()
            .await
            .unwrap_err();
        assert_eq!(status(&e), 400);
        let e = c
            .get_object_attributes()
            .bucket("ssec")
            .key(name)
            .object_attributes(aws_sdk_s3::types::ObjectAttributes::Etag)
            .send()
            .await
            .unwrap_err();
        assert_eq!(status(&e), 400);
    }
    // A range opens only what it touches, with the key.
    let r = with_key!(
        c.get_object().bucket("ssec").key("large").range("bytes=100000-100099"),
        k
    )
    .send()
    .await
    .unwrap();
    let got = r.body.collect().await.unwrap().into_bytes();
    assert_eq!(&got[..], &large[100_000..100_100]);

    // A key for an object that has none is refused, as AWS does.
    c.put_object()
        .bucket("ssec")
        .key("plain")
        .body(b"sse-s3".to_vec().into())
        .send()
        .await
        .unwrap();
    let e = with_key!(c.get_object().bucket("ssec").key("plain"), k)
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&e), code(&e).as_str()), (400, "InvalidRequest"));

    // The listing shows the same (keyed) ETags and nothing of the key.
    let list = c.list_objects_v2().bucket("ssec").send().await.unwrap();
    let listed: Vec<_> = list.contents().iter().map(|o| o.e_tag().unwrap().to_string()).collect();
    assert!(!listed.contains(&format!("\"{}\"", hex::encode(Md5::digest(&small)))));

    // Neither the key, nor its MD5, nor the plaintext lie anywhere in the data folder.
    let on_disk = |needle: &[u8]| crate::encryption::on_disk(&s.data, needle);
    assert!(!on_disk(&k.raw), "the customer key is on disk");
    assert!(!on_disk(k.key.as_bytes()), "the base64 key is on disk");
    assert!(!on_disk(k.md5.as_bytes()), "the key's MD5 is on disk");
    assert!(!on_disk(&Md5::digest(k.raw)), "the key's raw MD5 is on disk");
    assert!(!on_disk(b"SSE-C-SMALL-PLAINTEXT"), "plaintext on disk");
    assert!(!on_disk(b"SSE-C-LARGE-PLAINTEXT"), "plaintext on disk");
}

#[tokio::test]
async fn malformed_keys_and_mixed_modes_get_awss_errors() {
    let s = server();
    let c = s.client();
    make_bucket(&c, "bad").await;
    let k = customer_key(3);
    let b64 = base64::engine::general_purpose::STANDARD;
    let short = b64.encode([3u8; 16]);
    let short_md5 = b64.encode(Md5::digest([3u8; 16]));
    // (what, algorithm, key, key MD5, AWS's code)
    type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>, &'a str);
    let cases: Vec<Case> = vec![
        ("no algorithm", None, Some(&k.key), Some(&k.md5), "InvalidArgument"),
        (
            "other algorithm",
            Some("AES128"),
            Some(&k.key),
            Some(&k.md5),
            "InvalidEncryptionAlgorithmError",
        ),
        ("no key", Some("AES256"), None, Some(&k.md5), "InvalidArgument"),
        ("no MD5", Some("AES256"), Some(&k.key), None, "InvalidArgument"),
        (
            "128-bit key",
            Some("AES256"),
            Some(&short),
            Some(&short_md5),
            "InvalidArgument",
        ),
        (
            "wrong MD5",
            Some("AES256"),
            Some(&k.key),
            Some(&short_md5),
            "InvalidArgument",
        ),
    ];
    for (what, algorithm, key, md5, want) in cases {
        let e = c
            .put_object()
            .bucket("bad")
            .key("k")
            .body(b"x".to_vec().into())
            .set_sse_customer_algorithm(algorithm.map(str::to_string))
            .set_sse_customer_key(key.map(str::to_string))
            .set_sse_customer_key_md5(md5.map(str::to_string))
            .send()
            .await
            .unwrap_err();
        assert_eq!((status(&e), code(&e).as_str()), (400, want), "{what}");
    }
    // SSE-C and another mode at once.
    let e = with_key!(
        c.put_object()
            .bucket("bad")
            .key("k")
            .body(b"x".to_vec().into())
            .server_side_encryption(ServerSideEncryption::Aes256),
        k
    )
    .send()
    .await
    .unwrap_err();
    assert_eq!((status(&e), code(&e).as_str()), (400, "InvalidArgument"));
    // Nothing was written by any of them.
    let e = c.head_object().bucket("bad").key("k").send().await.unwrap_err();
    assert_eq!(status(&e), 404);
}

#[tokio::test]
async fn keys_travel_over_tls_only() {
    // Plain HTTP without the operator's loopback allowance: refused, as AWS does.
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "tls").await;
    let k = customer_key(4);
    let e = with_key!(c.put_object().bucket("tls").key("k").body(b"x".to_vec().into()), k)
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&e), code(&e).as_str()), (400, "InvalidRequest"));
    let e = c.head_object().bucket("tls").key("k").send().await.unwrap_err();
    assert_eq!(status(&e), 404, "nothing was stored");

    // Over HTTPS the same request works.
    let (s, c, _) = crate::server::https_server();
    make_bucket(&c, "tls").await;
    with_key!(
        c.put_object().bucket("tls").key("k").body(b"over tls".to_vec().into()),
        k
    )
    .send()
    .await
    .unwrap();
    assert_eq!(get_with(&c, "tls", "k", &k).await, b"over tls");
    drop(s);
}

async fn complete(c: &Client, bucket: &str, key: &str, id: &str, etags: &[String]) -> String {
    let parts = CompletedMultipartUpload::builder()
        .set_parts(Some(
            etags
                .iter()
                .enumerate()
                .map(|(i, e)| CompletedPart::builder().part_number(i as i32 + 1).e_tag(e).build())
                .collect(),
        ))
        .build();
    let done = c
        .complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(id)
        .multipart_upload(parts)
        .send()
        .await
        .unwrap();
    done.e_tag().unwrap().to_string()
}

#[tokio::test]
async fn multipart_uploads_and_part_copies_under_customer_keys() {
    let s = server();
    let c = s.client();
    make_bucket(&c, "mpu").await;
    let k = customer_key(5);
    let src_key = customer_key(6);
    let wrong = customer_key(7);
    let part1 = bytes_of(5 * 1024 * 1024, 1);
    let source = bytes_of(300_000, 2);
    with_key!(
        c.put_object().bucket("mpu").key("source").body(source.clone().into()),
        src_key
    )
    .send()
    .await
    .unwrap();

    let up = with_key!(c.create_multipart_upload().bucket("mpu").key("big"), k)
        .send()
        .await
        .unwrap();
    assert_eq!(up.sse_customer_key_md5(), Some(k.md5.as_str()));
    let id = up.upload_id().unwrap().to_string();
    let part = |n: i32, body: &[u8]| {
        c.upload_part()
            .bucket("mpu")
            .key("big")
            .upload_id(&id)
            .part_number(n)
            .body(body.to_vec().into())
    };
    // A part without the upload's key, or with another, is refused.
    let e = part(1, &part1).send().await.unwrap_err();
    assert_eq!((status(&e), code(&e).as_str()), (400, "InvalidRequest"));
    let e = with_key!(part(1, &part1), wrong).send().await.unwrap_err();
    assert_eq!((status(&e), code(&e).as_str()), (400, "InvalidRequest"));
    let p1 = with_key!(part(1, &part1), k).send().await.unwrap();
    assert_eq!(p1.sse_customer_key_md5(), Some(k.md5.as_str()));
    assert_ne!(p1.e_tag().unwrap().trim_matches('"'), hex::encode(Md5::digest(&part1)));

    // Part 2 is copied from an object under another customer key: both keys are needed.
    let copy = || {
        c.upload_part_copy()
            .bucket("mpu")
            .key("big")
            .upload_id(&id)
            .part_number(2)
            .copy_source("mpu/source")
    };
    let e = with_key!(copy(), k).send().await.unwrap_err();
    assert_eq!(
        (status(&e), code(&e).as_str()),
        (400, "InvalidRequest"),
        "no source key"
    );
    let p2 = with_key!(copy(), k)
        .copy_source_sse_customer_algorithm("AES256")
        .copy_source_sse_customer_key(&src_key.key)
        .copy_source_sse_customer_key_md5(&src_key.md5)
        .send()
        .await
        .unwrap();
    let etags = vec![
        p1.e_tag().unwrap().to_string(),
        p2.copy_part_result().unwrap().e_tag().unwrap().to_string(),
    ];
    // Completing needs no key; one brought must be the upload's.
    let parts = CompletedMultipartUpload::builder()
        .set_parts(Some(vec![
            CompletedPart::builder().part_number(1).e_tag(&etags[0]).build(),
        ]))
        .build();
    let e = with_key!(
        c.complete_multipart_upload()
            .bucket("mpu")
            .key("big")
            .upload_id(&id)
            .multipart_upload(parts),
        wrong
    )
    .send()
    .await
    .unwrap_err();
    assert_eq!((status(&e), code(&e).as_str()), (400, "InvalidRequest"));
    let etag = complete(&c, "mpu", "big", &id, &etags).await;
    assert!(etag.ends_with("-2\""), "{etag}");

    let mut whole = part1.clone();
    whole.extend_from_slice(&source);
    assert_eq!(get_with(&c, "mpu", "big", &k).await, whole);
    let e = c.get_object().bucket("mpu").key("big").send().await.unwrap_err();
    assert_eq!(status(&e), 400);
    let by_part = with_key!(c.get_object().bucket("mpu").key("big").part_number(2), k)
        .send()
        .await
        .unwrap();
    assert_eq!(by_part.body.collect().await.unwrap().into_bytes().to_vec(), source);
}

#[tokio::test]
async fn copies_move_objects_between_encryption_modes() {
    let s = server();
    let c = s.client();
    make_bucket(&c, "copies").await;
    let a = customer_key(8);
    let b = customer_key(9);
    let body = bytes_of(100_000, 3);
    with_key!(c.put_object().bucket("copies").key("a").body(body.clone().into()), a)
        .send()
        .await
        .unwrap();
    let copy = |to: &str| c.copy_object().bucket("copies").key(to).copy_source("copies/a");
    let from_a = |b: aws_sdk_s3::operation::copy_object::builders::CopyObjectFluentBuilder| {
        b.copy_source_sse_customer_algorithm("AES256")
            .copy_source_sse_customer_key(&a.key)
            .copy_source_sse_customer_key_md5(&a.md5)
    };

    // The source's key is needed to read it, and must be the right one.
    let e = copy("x").send().await.unwrap_err();
    assert_eq!((status(&e), code(&e).as_str()), (400, "InvalidRequest"));
    let e = copy("x")
        .copy_source_sse_customer_algorithm("AES256")
        .copy_source_sse_customer_key(&b.key)
        .copy_source_sse_customer_key_md5(&b.md5)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&e), 403);

    // SSE-C (key a) → SSE-C (key b): a's key no longer opens it, b's does.
    let out = with_key!(from_a(copy("to-b")), b).send().await.unwrap();
    assert_eq!(out.sse_customer_key_md5(), Some(b.md5.as_str()));
    assert_eq!(get_with(&c, "copies", "to-b", &b).await, body);
    let e = with_key!(c.get_object().bucket("copies").key("to-b"), a)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&e), 403);

    // SSE-C → SSE-S3: readable without a key, and its ETag is the MD5 again.
    let out = from_a(copy("to-s3")).send().await.unwrap();
    assert_eq!(out.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(
        out.copy_object_result().unwrap().e_tag().unwrap().trim_matches('"'),
        hex::encode(Md5::digest(&body))
    );
    assert_eq!(get_bytes(&c, "copies", "to-s3").await, body);

    // SSE-S3 → SSE-C, and an SSE-C object rekeyed onto itself.
    let out = with_key!(
        c.copy_object().bucket("copies").key("back").copy_source("copies/to-s3"),
        a
    )
    .send()
    .await
    .unwrap();
    assert_eq!(out.server_side_encryption(), None);
    assert_eq!(get_with(&c, "copies", "back", &a).await, body);
    with_key!(from_a(copy("a")), b).send().await.unwrap();
    assert_eq!(get_with(&c, "copies", "a", &b).await, body);
    let e = with_key!(c.get_object().bucket("copies").key("a"), a)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&e), 403, "the old key no longer opens the rekeyed object");
}

#[tokio::test]
async fn blocking_encryption_types_is_refused_not_ignored() {
    // AWS's BlockedEncryptionTypes (SSE-C off per bucket) is not built: a configuration that
    // asks for it is refused, so nobody believes SSE-C is blocked when it is not.
    let s = server();
    let c = s.client();
    make_bucket(&c, "blocked").await;
    let xml = br#"<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes></Rule></ServerSideEncryptionConfiguration>"#;
    let req = signed("PUT", &s.url("/blocked?encryption"), &[], xml, Sign::default());
    let (st, _, body) = send(req).await;
    assert_eq!((st, xml_code(&body)), (400, "MalformedXML"), "{body}");
}
