use std::time::{Duration, SystemTime};

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, Delete, MetadataDirective, ObjectAttributes, ObjectIdentifier, Tag, Tagging,
};

use crate::harness::*;

#[tokio::test]
async fn put_get_head_with_metadata_and_headers() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    let put = c
        .put_object()
        .bucket("bkt")
        .key("docs/report.txt")
        .body(b"hello arca".to_vec().into())
        .content_type("text/plain")
        .content_encoding("identity")
        .content_disposition("attachment; filename=\"r.txt\"")
        .content_language("en")
        .cache_control("max-age=60")
        .expires(DateTime::from_secs(2_000_000_000))
        .metadata("color", "blue")
        .metadata("owner", "ops")
        .send()
        .await
        .unwrap();
    let md5 = hex::encode(<md5::Md5 as md5::Digest>::digest(b"hello arca"));
    assert_eq!(put.e_tag(), Some(format!("\"{md5}\"").as_str()));
    let got = c
        .get_object()
        .bucket("bkt")
        .key("docs/report.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("text/plain"));
    assert_eq!(got.content_encoding(), Some("identity"));
    assert_eq!(got.content_disposition(), Some("attachment; filename=\"r.txt\""));
    assert_eq!(got.content_language(), Some("en"));
    assert_eq!(got.cache_control(), Some("max-age=60"));
    assert_eq!(got.metadata().unwrap().get("color").map(String::as_str), Some("blue"));
    assert_eq!(got.content_length(), Some(10));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"hello arca");
    let head = c
        .head_object()
        .bucket("bkt")
        .key("docs/report.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(10));
    assert_eq!(head.metadata().unwrap().get("owner").map(String::as_str), Some("ops"));
    assert_eq!(head.expires_string(), Some("Wed, 18 May 2033 03:33:20 GMT"));
}

#[tokio::test]
async fn large_object_round_trip_and_overwrite() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    let big = bytes_of(3 * 1024 * 1024 + 17, 1);
    c.put_object()
        .bucket("bkt")
        .key("big")
        .body(big.clone().into())
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&c, "bkt", "big").await, big);
    let small = bytes_of(100, 2);
    c.put_object()
        .bucket("bkt")
        .key("big")
        .body(small.clone().into())
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&c, "bkt", "big").await, small);
    let empty = c
        .put_object()
        .bucket("bkt")
        .key("empty")
        .body(Vec::new().into())
        .send()
        .await
        .unwrap();
    assert_eq!(empty.e_tag(), Some("\"d41d8cd98f00b204e9800998ecf8427e\""));
    assert!(get_bytes(&c, "bkt", "empty").await.is_empty());
}

#[tokio::test]
async fn ranges_suffix_open_and_unsatisfiable() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    let data = bytes_of(200_000, 3);
    c.put_object()
        .bucket("bkt")
        .key("r")
        .body(data.clone().into())
        .send()
        .await
        .unwrap();
    for (range, lo, hi) in [
        ("bytes=0-9", 0usize, 10usize),
        ("bytes=100-199999", 100, 200_000),
        ("bytes=150000-", 150_000, 200_000),
        ("bytes=-500", 199_500, 200_000),
        ("bytes=65530-65545", 65_530, 65_546),
        ("bytes=199990-300000", 199_990, 200_000),
    ] {
        let r = c.get_object().bucket("bkt").key("r").range(range).send().await.unwrap();
        assert_eq!(
            r.content_range(),
            Some(format!("bytes {}-{}/200000", lo, hi - 1).as_str()),
            "{range}"
        );
        assert_eq!(r.content_length(), Some((hi - lo) as i64));
        assert_eq!(
            r.body.collect().await.unwrap().into_bytes().as_ref(),
            &data[lo..hi],
            "{range}"
        );
    }
    let e = c
        .get_object()
        .bucket("bkt")
        .key("r")
        .range("bytes=300000-")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidRange");
    assert_eq!(status(&e), 416);
}

#[tokio::test]
async fn conditional_gets() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    let put = c
        .put_object()
        .bucket("bkt")
        .key("k")
        .body(b"v1".to_vec().into())
        .send()
        .await
        .unwrap();
    let etag = put.e_tag().unwrap().to_string();
    c.get_object()
        .bucket("bkt")
        .key("k")
        .if_match(&etag)
        .send()
        .await
        .unwrap();
    let e = c
        .get_object()
        .bucket("bkt")
        .key("k")
        .if_match("\"nope\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&e), 412);
    let e = c
        .get_object()
        .bucket("bkt")
        .key("k")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&e), 304);
    c.get_object()
        .bucket("bkt")
        .key("k")
        .if_none_match("\"other\"")
        .send()
        .await
        .unwrap();
    let future = DateTime::from(SystemTime::now() + Duration::from_secs(3600));
    let past = DateTime::from(SystemTime::now() - Duration::from_secs(3600));
    let e = c
        .get_object()
        .bucket("bkt")
        .key("k")
        .if_modified_since(future)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&e), 304);
    c.get_object()
        .bucket("bkt")
        .key("k")
        .if_modified_since(past)
        .send()
        .await
        .unwrap();
    let e = c
        .get_object()
        .bucket("bkt")
        .key("k")
        .if_unmodified_since(past)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&e), 412);
    // If-Match true wins over If-Unmodified-Since false (RFC 9110 precedence).
    c.get_object()
        .bucket("bkt")
        .key("k")
        .if_match(&etag)
        .if_unmodified_since(past)
        .send()
        .await
        .unwrap();
    let e = c
        .head_object()
        .bucket("bkt")
        .key("k")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&e), 304);
}

#[tokio::test]
async fn response_header_overrides() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    c.put_object()
        .bucket("bkt")
        .key("k")
        .body(b"x".to_vec().into())
        .content_type("text/plain")
        .send()
        .await
        .unwrap();
    let r = c
        .get_object()
        .bucket("bkt")
        .key("k")
        .response_content_type("application/json")
        .response_content_disposition("inline")
        .response_cache_control("no-cache")
        .send()
        .await
        .unwrap();
    assert_eq!(r.content_type(), Some("application/json"));
    assert_eq!(r.content_disposition(), Some("inline"));
    assert_eq!(r.cache_control(), Some("no-cache"));
}

#[tokio::test]
async fn conditional_writes() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    c.put_object()
        .bucket("bkt")
        .key("once")
        .if_none_match("*")
        .body(b"first".to_vec().into())
        .send()
        .await
        .unwrap();
    let e = c
        .put_object()
        .bucket("bkt")
        .key("once")
        .if_none_match("*")
        .body(b"second".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "PreconditionFailed");
    assert_eq!(get_bytes(&c, "bkt", "once").await, b"first");
    let head = c.head_object().bucket("bkt").key("once").send().await.unwrap();
    let etag = head.e_tag().unwrap().to_string();
    let e = c
        .put_object()
        .bucket("bkt")
        .key("once")
        .if_match("\"0000\"")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "PreconditionFailed");
    c.put_object()
        .bucket("bkt")
        .key("once")
        .if_match(&etag)
        .body(b"third".to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&c, "bkt", "once").await, b"third");
    let e = c
        .put_object()
        .bucket("bkt")
        .key("absent")
        .if_match(&etag)
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NoSuchKey");
}

#[tokio::test]
async fn delete_and_delete_objects() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    for i in 0..5 {
        c.put_object()
            .bucket("bkt")
            .key(format!("k{i}"))
            .body(vec![i as u8; 40_000].into())
            .send()
            .await
            .unwrap();
    }
    c.delete_object().bucket("bkt").key("k0").send().await.unwrap();
    // Deleting a missing key succeeds, as on AWS.
    c.delete_object().bucket("bkt").key("never").send().await.unwrap();
    c.delete_object()
        .bucket("bkt")
        .key("k1")
        .version_id("null")
        .send()
        .await
        .unwrap();
    let del = Delete::builder()
        .objects(ObjectIdentifier::builder().key("k2").build().unwrap())
        .objects(
            ObjectIdentifier::builder()
                .key("k3")
                .version_id("null")
                .build()
                .unwrap(),
        )
        .objects(ObjectIdentifier::builder().key("missing").build().unwrap())
        .build()
        .unwrap();
    let out = c.delete_objects().bucket("bkt").delete(del).send().await.unwrap();
    assert_eq!(out.deleted().len(), 3);
    let quiet = Delete::builder()
        .objects(ObjectIdentifier::builder().key("k4").build().unwrap())
        .quiet(true)
        .build()
        .unwrap();
    let out = c.delete_objects().bucket("bkt").delete(quiet).send().await.unwrap();
    assert!(out.deleted().is_empty());
    let list = c.list_objects_v2().bucket("bkt").send().await.unwrap();
    assert_eq!(list.key_count(), Some(0));
    let e = c.get_object().bucket("bkt").key("k4").send().await.unwrap_err();
    assert_eq!(code(&e), "NoSuchKey");
    let e = c
        .delete_object()
        .bucket("bkt")
        .key("k")
        .version_id("3HL4kqtJlcpXroDTDmJ")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidArgument");
}

#[tokio::test]
async fn copy_object_directives_and_conditions() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "src").await;
    make_bucket(&c, "dst").await;
    let data = bytes_of(150_000, 9);
    c.put_object()
        .bucket("src")
        .key("a")
        .body(data.clone().into())
        .content_type("image/png")
        .metadata("m", "1")
        .tagging("t=1")
        .send()
        .await
        .unwrap();
    let copied = c
        .copy_object()
        .bucket("dst")
        .key("copy")
        .copy_source("src/a")
        .send()
        .await
        .unwrap();
    let etag = copied.copy_object_result().unwrap().e_tag().unwrap().to_string();
    assert_eq!(get_bytes(&c, "dst", "copy").await, data);
    let h = c.head_object().bucket("dst").key("copy").send().await.unwrap();
    assert_eq!(h.content_type(), Some("image/png"));
    assert_eq!(h.metadata().unwrap().get("m").map(String::as_str), Some("1"));
    assert_eq!(h.e_tag(), Some(etag.as_str()));
    c.copy_object()
        .bucket("dst")
        .key("replaced")
        .copy_source("src/a")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("text/plain")
        .metadata("m", "2")
        .send()
        .await
        .unwrap();
    let h = c.head_object().bucket("dst").key("replaced").send().await.unwrap();
    assert_eq!(h.content_type(), Some("text/plain"));
    assert_eq!(h.metadata().unwrap().get("m").map(String::as_str), Some("2"));
    // Copy onto itself without changes is illegal; with REPLACE it changes metadata only.
    let e = c
        .copy_object()
        .bucket("src")
        .key("a")
        .copy_source("src/a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidRequest");
    c.copy_object()
        .bucket("src")
        .key("a")
        .copy_source("src/a")
        .metadata_directive(MetadataDirective::Replace)
        .metadata("m", "self")
        .send()
        .await
        .unwrap();
    let h = c.head_object().bucket("src").key("a").send().await.unwrap();
    assert_eq!(h.metadata().unwrap().get("m").map(String::as_str), Some("self"));
    assert_eq!(get_bytes(&c, "src", "a").await, data);
    let e = c
        .copy_object()
        .bucket("dst")
        .key("x")
        .copy_source("src/a")
        .copy_source_if_match("\"bad\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "PreconditionFailed");
    let e = c
        .copy_object()
        .bucket("dst")
        .key("x")
        .copy_source("src/none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NoSuchKey");
    // Keys with spaces and unicode copy too (the SDK URL-encodes the source).
    c.put_object()
        .bucket("src")
        .key("dir/naïve file.txt")
        .body(b"u".to_vec().into())
        .send()
        .await
        .unwrap();
    c.copy_object()
        .bucket("dst")
        .key("u")
        .copy_source("src/dir/na%C3%AFve%20file.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&c, "dst", "u").await, b"u");
}

#[tokio::test]
async fn object_tagging_and_attributes() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    c.put_object()
        .bucket("bkt")
        .key("k")
        .tagging("a=1&b=two%20words")
        .body(b"data".to_vec().into())
        .send()
        .await
        .unwrap();
    let t = c.get_object_tagging().bucket("bkt").key("k").send().await.unwrap();
    let mut tags: Vec<(String, String)> = t.tag_set().iter().map(|t| (t.key().into(), t.value().into())).collect();
    tags.sort();
    assert_eq!(tags, [("a".into(), "1".into()), ("b".into(), "two words".into())]);
    let g = c.get_object().bucket("bkt").key("k").send().await.unwrap();
    assert_eq!(g.tag_count(), Some(2));
    // HEAD reports the count too (the SDK's HeadObjectOutput has no field for it: raw check).
    let (st, head, _) = send(signed("HEAD", &s.url("/bkt/k"), &[], b"", Sign::default())).await;
    assert_eq!(st, 200);
    assert_eq!(head.get("x-amz-tagging-count").map(|v| v.to_str().unwrap()), Some("2"));
    c.put_object_tagging()
        .bucket("bkt")
        .key("k")
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("x").value("y").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.get_object_tagging()
            .bucket("bkt")
            .key("k")
            .send()
            .await
            .unwrap()
            .tag_set()
            .len(),
        1
    );
    let too_many = (0..11).fold(Tagging::builder(), |b, i| {
        b.tag_set(Tag::builder().key(format!("k{i}")).value("v").build().unwrap())
    });
    let e = c
        .put_object_tagging()
        .bucket("bkt")
        .key("k")
        .tagging(too_many.build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidTag");
    c.delete_object_tagging().bucket("bkt").key("k").send().await.unwrap();
    assert!(
        c.get_object_tagging()
            .bucket("bkt")
            .key("k")
            .send()
            .await
            .unwrap()
            .tag_set()
            .is_empty()
    );
    let attrs = c
        .get_object_attributes()
        .bucket("bkt")
        .key("k")
        .object_attributes(ObjectAttributes::ObjectSize)
        .object_attributes(ObjectAttributes::Etag)
        .object_attributes(ObjectAttributes::StorageClass)
        .send()
        .await
        .unwrap();
    assert_eq!(attrs.object_size(), Some(4));
    // Bare, as AWS returns it in GetObjectAttributes.
    assert_eq!(
        attrs.e_tag(),
        Some(hex::encode(<md5::Md5 as md5::Digest>::digest(b"data")).as_str())
    );
}

#[tokio::test]
async fn streaming_uploads_with_every_checksum() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    let data = bytes_of(300_000, 4);
    for alg in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ] {
        let key = format!("obj-{}", alg.as_str());
        // A ByteStream from a file is sent aws-chunked with a trailing checksum.
        let path = std::env::temp_dir().join(format!("arca-cs-{}-{}", std::process::id(), alg.as_str()));
        std::fs::write(&path, &data).unwrap();
        let body = ByteStream::from_path(&path).await.unwrap();
        let put = c
            .put_object()
            .bucket("bkt")
            .key(&key)
            .checksum_algorithm(alg.clone())
            .body(body)
            .send()
            .await
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        let got = c
            .get_object()
            .bucket("bkt")
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        let (sent, returned) = match alg {
            ChecksumAlgorithm::Crc32 => (put.checksum_crc32(), got.checksum_crc32().map(str::to_string)),
            ChecksumAlgorithm::Crc32C => (put.checksum_crc32_c(), got.checksum_crc32_c().map(str::to_string)),
            ChecksumAlgorithm::Crc64Nvme => (put.checksum_crc64_nvme(), got.checksum_crc64_nvme().map(str::to_string)),
            ChecksumAlgorithm::Sha1 => (put.checksum_sha1(), got.checksum_sha1().map(str::to_string)),
            _ => (put.checksum_sha256(), got.checksum_sha256().map(str::to_string)),
        };
        assert!(sent.is_some(), "{alg:?}: no checksum in PUT response");
        assert_eq!(sent.map(str::to_string), returned, "{alg:?}");
        assert_eq!(
            got.body.collect().await.unwrap().into_bytes().as_ref(),
            &data[..],
            "{alg:?}"
        );
    }
}

#[tokio::test]
async fn wrong_checksum_and_content_md5_are_rejected() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    c.put_object()
        .bucket("bkt")
        .key("k")
        .body(b"original".to_vec().into())
        .send()
        .await
        .unwrap();
    let e = c
        .put_object()
        .bucket("bkt")
        .key("k")
        .checksum_crc32("AAAAAA==")
        .body(b"changed".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "BadDigest");
    // A value of the wrong length is a wrong value too (what AWS answers).
    let e = c
        .put_object()
        .bucket("bkt")
        .key("k")
        .checksum_sha256(base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            [7u8; 64],
        ))
        .body(b"changed".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!((code(&e), status(&e)), ("BadDigest".to_string(), 400));
    let e = c
        .put_object()
        .bucket("bkt")
        .key("k")
        .content_md5("1B2M2Y8AsgTpgAmY7PhCfg==")
        .body(b"changed".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "BadDigest");
    let e = c
        .put_object()
        .bucket("bkt")
        .key("k")
        .content_md5("not-base64!")
        .body(b"changed".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidDigest");
    assert_eq!(get_bytes(&c, "bkt", "k").await, b"original");
}

#[tokio::test]
async fn presigned_get_and_put() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    let cfg = PresigningConfig::expires_in(Duration::from_secs(300)).unwrap();
    let put = c
        .put_object()
        .bucket("bkt")
        .key("via-url")
        .presigned(cfg.clone())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let r = http.put(put.uri()).body("presigned body").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let get = c
        .get_object()
        .bucket("bkt")
        .key("via-url")
        .presigned(cfg)
        .await
        .unwrap();
    let r = http.get(get.uri()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "presigned body");
    // Tampering with the URL breaks the signature.
    let r = http.get(get.uri().replace("via-url", "other")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("SignatureDoesNotMatch"));
}

#[tokio::test]
async fn dangerous_keys_are_just_keys() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    for key in [
        "../../etc/passwd",
        "a/../../b",
        "./x",
        "//double//slash",
        "ünïcødé/ключ/鍵",
        "with space+plus%percent",
    ] {
        c.put_object()
            .bucket("bkt")
            .key(key)
            .body(key.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
        assert_eq!(get_bytes(&c, "bkt", key).await, key.as_bytes(), "{key}");
    }
    let keys: Vec<String> = c
        .list_objects_v2()
        .bucket("bkt")
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    assert!(keys.contains(&"../../etc/passwd".to_string()));
    // Nothing was written outside the data folder.
    assert!(!s.data.parent().unwrap().join("etc").exists());
}

#[tokio::test]
async fn headers_of_later_features_are_accepted() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    c.put_object()
        .bucket("bkt")
        .key("k")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    c.delete_object()
        .bucket("bkt")
        .key("k")
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap();
    let del = Delete::builder()
        .objects(ObjectIdentifier::builder().key("k").build().unwrap())
        .build()
        .unwrap();
    c.delete_objects()
        .bucket("bkt")
        .delete(del)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap();
    c.list_objects_v2()
        .bucket("bkt")
        .fetch_owner(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn declared_oversize_put_is_refused_before_reading() {
    let s = TestServer::start();
    make_bucket(&s.client(), "bkt").await;
    // Claims 6 GiB; the server must answer without waiting for the bytes.
    let req = signed(
        "PUT",
        &s.url("/bkt/huge"),
        &[("content-length", "6442450944")],
        b"",
        Sign {
            unsigned_payload: true,
            ..Default::default()
        },
    );
    let endpoint = s.endpoint.clone();
    let resp = tokio::task::spawn_blocking(move || raw_exchange(&endpoint, &req, b"", false))
        .await
        .unwrap();
    assert!(resp.starts_with("HTTP/1.1 400"), "{resp}");
    assert!(resp.contains("EntityTooLarge"), "{resp}");
}

#[tokio::test]
async fn aws_chunked_is_not_stored_as_a_content_encoding() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    for (sent, stored) in [
        ("gzip, aws-chunked", Some("gzip")),
        ("aws-chunked", None),
        ("br", Some("br")),
    ] {
        let req = signed(
            "PUT",
            &s.url("/bkt/k"),
            &[("content-encoding", sent)],
            b"body",
            Sign {
                unsigned_payload: true,
                ..Default::default()
            },
        );
        let (st, _, body) = send(req).await;
        assert_eq!(st, 200, "{sent}: {body}");
        let head = c.head_object().bucket("bkt").key("k").send().await.unwrap();
        assert_eq!(head.content_encoding(), stored, "{sent}");
    }
}

#[tokio::test]
async fn metadata_round_trips_as_sent_and_non_ascii_comes_back_encoded() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    let sent = [
        ("q", "=?UTF-8?Q?caf=C3=A9?="),
        ("b", "=?UTF-8?B?Y2Fmw6k=?="),
        ("lookalike", "=?not an encoded word"),
        ("plain", "just ascii"),
    ];
    let mut headers: Vec<(String, String)> = sent
        .iter()
        .map(|(k, v)| (format!("x-amz-meta-{k}"), v.to_string()))
        .collect();
    headers.push(("content-length".into(), "1".into()));
    let refs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (st, _, body) = send(signed(
        "PUT",
        &s.url("/bkt/k"),
        &refs,
        b"x",
        Sign {
            unsigned_payload: true,
            ..Default::default()
        },
    ))
    .await;
    assert_eq!(st, 200, "{body}");
    let (st, head, _) = send(signed("HEAD", &s.url("/bkt/k"), &[], b"", Sign::default())).await;
    assert_eq!(st, 200);
    for (k, v) in sent {
        assert_eq!(head.get(format!("x-amz-meta-{k}")).unwrap().to_str().unwrap(), v, "{k}");
    }
}
