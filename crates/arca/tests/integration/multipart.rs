use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart};

use crate::harness::*;

const MIB: usize = 1024 * 1024;

async fn upload_parts(
    c: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    id: &str,
    parts: &[Vec<u8>],
) -> Vec<CompletedPart> {
    let mut tasks = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let c = c.clone();
        let (b, k, id, p) = (bucket.to_string(), key.to_string(), id.to_string(), p.clone());
        tasks.push(tokio::spawn(async move {
            let r = c
                .upload_part()
                .bucket(b)
                .key(k)
                .upload_id(id)
                .part_number(i as i32 + 1)
                .body(p.into())
                .send()
                .await
                .unwrap();
            CompletedPart::builder()
                .part_number(i as i32 + 1)
                .e_tag(r.e_tag().unwrap())
                .build()
        }));
    }
    let mut done = Vec::new();
    for t in tasks {
        done.push(t.await.unwrap());
    }
    done
}

#[tokio::test]
async fn parallel_multipart_upload_and_part_reads() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    let parts: Vec<Vec<u8>> = vec![bytes_of(5 * MIB, 1), bytes_of(5 * MIB, 2), bytes_of(1234, 3)];
    let up = c
        .create_multipart_upload()
        .bucket("bkt")
        .key("mp")
        .content_type("video/mp4")
        .metadata("k", "v")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let done = upload_parts(&c, "bkt", "mp", id, &parts).await;
    let listed = c
        .list_parts()
        .bucket("bkt")
        .key("mp")
        .upload_id(id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.parts().len(), 3);
    let uploads = c.list_multipart_uploads().bucket("bkt").send().await.unwrap();
    assert_eq!(uploads.uploads().len(), 1);
    let out = c
        .complete_multipart_upload()
        .bucket("bkt")
        .key("mp")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(done.clone()))
                .build(),
        )
        .send()
        .await
        .unwrap();
    // ETag: MD5 of the concatenated binary part MD5s, then "-N".
    let mut cat = Vec::new();
    for p in &parts {
        cat.extend_from_slice(&<md5::Md5 as md5::Digest>::digest(p));
    }
    let want = format!("\"{}-3\"", hex::encode(<md5::Md5 as md5::Digest>::digest(&cat)));
    assert_eq!(out.e_tag(), Some(want.as_str()));
    let whole: Vec<u8> = parts.concat();
    assert_eq!(get_bytes(&c, "bkt", "mp").await, whole);
    let h = c.head_object().bucket("bkt").key("mp").send().await.unwrap();
    assert_eq!(h.content_type(), Some("video/mp4"));
    assert_eq!(h.metadata().unwrap().get("k").map(String::as_str), Some("v"));
    let p2 = c
        .get_object()
        .bucket("bkt")
        .key("mp")
        .part_number(2)
        .send()
        .await
        .unwrap();
    assert_eq!(p2.parts_count(), Some(3));
    assert_eq!(p2.content_length(), Some(5 * MIB as i64));
    assert_eq!(p2.body.collect().await.unwrap().into_bytes().as_ref(), &parts[1][..]);
    let e = c
        .get_object()
        .bucket("bkt")
        .key("mp")
        .part_number(4)
        .send()
        .await
        .unwrap_err();
    assert_eq!((code(&e), status(&e)), ("InvalidPartNumber".to_string(), 400));
    // A range across the part boundary.
    let r = c
        .get_object()
        .bucket("bkt")
        .key("mp")
        .range(format!("bytes={}-{}", 5 * MIB - 10, 5 * MIB + 9))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.body.collect().await.unwrap().into_bytes().as_ref(),
        &whole[5 * MIB - 10..5 * MIB + 10]
    );
    let uploads = c.list_multipart_uploads().bucket("bkt").send().await.unwrap();
    assert!(uploads.uploads().is_empty());
    let e = c
        .list_parts()
        .bucket("bkt")
        .key("mp")
        .upload_id(id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NoSuchUpload");
}

#[tokio::test]
async fn complete_rejects_bad_part_lists() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    let up = c.create_multipart_upload().bucket("bkt").key("k").send().await.unwrap();
    let id = up.upload_id().unwrap();
    let parts = vec![bytes_of(1000, 1), bytes_of(1000, 2)];
    let done = upload_parts(&c, "bkt", "k", id, &parts).await;
    let complete = |ps: Vec<CompletedPart>| {
        c.complete_multipart_upload()
            .bucket("bkt")
            .key("k")
            .upload_id(id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(ps)).build())
            .send()
    };
    let e = complete(done.clone()).await.unwrap_err();
    assert_eq!(code(&e), "EntityTooSmall");
    let e = complete(vec![done[1].clone(), done[0].clone()]).await.unwrap_err();
    assert_eq!(code(&e), "InvalidPartOrder");
    let wrong = CompletedPart::builder()
        .part_number(1)
        .e_tag("\"00000000000000000000000000000000\"")
        .build();
    let e = complete(vec![wrong]).await.unwrap_err();
    assert_eq!(code(&e), "InvalidPart");
    let missing = CompletedPart::builder()
        .part_number(7)
        .e_tag(done[0].e_tag().unwrap())
        .build();
    let e = complete(vec![missing]).await.unwrap_err();
    assert_eq!(code(&e), "InvalidPart");
    // A single small part is a valid (last) part.
    complete(vec![done[0].clone()]).await.unwrap();
    assert_eq!(get_bytes(&c, "bkt", "k").await, parts[0]);
    let e = c
        .upload_part()
        .bucket("bkt")
        .key("k")
        .upload_id("nope")
        .part_number(1)
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NoSuchUpload");
    let up = c
        .create_multipart_upload()
        .bucket("bkt")
        .key("k2")
        .send()
        .await
        .unwrap();
    let e = c
        .upload_part()
        .bucket("bkt")
        .key("k2")
        .upload_id(up.upload_id().unwrap())
        .part_number(10001)
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidArgument");
}

#[tokio::test]
async fn abort_discards_upload() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    let up = c.create_multipart_upload().bucket("bkt").key("k").send().await.unwrap();
    let id = up.upload_id().unwrap();
    upload_parts(&c, "bkt", "k", id, &[bytes_of(100_000, 1)]).await;
    c.abort_multipart_upload()
        .bucket("bkt")
        .key("k")
        .upload_id(id)
        .send()
        .await
        .unwrap();
    let e = c
        .list_parts()
        .bucket("bkt")
        .key("k")
        .upload_id(id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NoSuchUpload");
    let e = c.head_object().bucket("bkt").key("k").send().await.unwrap_err();
    assert_eq!(status(&e), 404);
}

#[tokio::test]
async fn upload_part_copy_with_ranges() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    let src = bytes_of(6 * MIB + 100, 5);
    c.put_object()
        .bucket("bkt")
        .key("src")
        .body(src.clone().into())
        .send()
        .await
        .unwrap();
    let up = c
        .create_multipart_upload()
        .bucket("bkt")
        .key("dst")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let p1 = c
        .upload_part_copy()
        .bucket("bkt")
        .key("dst")
        .upload_id(id)
        .part_number(1)
        .copy_source("bkt/src")
        .copy_source_range(format!("bytes=0-{}", 5 * MIB - 1))
        .send()
        .await
        .unwrap();
    let p2 = c
        .upload_part_copy()
        .bucket("bkt")
        .key("dst")
        .upload_id(id)
        .part_number(2)
        .copy_source("bkt/src")
        .copy_source_range(format!("bytes={}-{}", 5 * MIB, src.len() - 1))
        .send()
        .await
        .unwrap();
    let parts = vec![
        CompletedPart::builder()
            .part_number(1)
            .e_tag(p1.copy_part_result().unwrap().e_tag().unwrap())
            .build(),
        CompletedPart::builder()
            .part_number(2)
            .e_tag(p2.copy_part_result().unwrap().e_tag().unwrap())
            .build(),
    ];
    c.complete_multipart_upload()
        .bucket("bkt")
        .key("dst")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&c, "bkt", "dst").await, src);
    let e = c
        .upload_part_copy()
        .bucket("bkt")
        .key("dst")
        .upload_id("whatever")
        .part_number(1)
        .copy_source("bkt/src")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NoSuchUpload");
}

#[tokio::test]
async fn multipart_checksums_composite_and_full_object() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    for (alg, kind) in [
        (ChecksumAlgorithm::Crc32, ChecksumType::Composite),
        (ChecksumAlgorithm::Sha256, ChecksumType::Composite),
        (ChecksumAlgorithm::Crc64Nvme, ChecksumType::FullObject),
        (ChecksumAlgorithm::Crc32C, ChecksumType::FullObject),
    ] {
        let key = format!("{}-{}", alg.as_str(), kind.as_str());
        let up = c
            .create_multipart_upload()
            .bucket("bkt")
            .key(&key)
            .checksum_algorithm(alg.clone())
            .checksum_type(kind.clone())
            .send()
            .await
            .unwrap();
        let id = up.upload_id().unwrap();
        let parts = [bytes_of(5 * MIB, 7), bytes_of(777, 8)];
        let mut done = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            let r = c
                .upload_part()
                .bucket("bkt")
                .key(&key)
                .upload_id(id)
                .part_number(i as i32 + 1)
                .checksum_algorithm(alg.clone())
                .body(p.clone().into())
                .send()
                .await
                .unwrap();
            done.push(
                CompletedPart::builder()
                    .part_number(i as i32 + 1)
                    .e_tag(r.e_tag().unwrap())
                    .set_checksum_crc32(r.checksum_crc32().map(str::to_string))
                    .set_checksum_crc32_c(r.checksum_crc32_c().map(str::to_string))
                    .set_checksum_crc64_nvme(r.checksum_crc64_nvme().map(str::to_string))
                    .set_checksum_sha256(r.checksum_sha256().map(str::to_string))
                    .build(),
            );
        }
        let out = c
            .complete_multipart_upload()
            .bucket("bkt")
            .key(&key)
            .upload_id(id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done)).build())
            .send()
            .await
            .unwrap();
        assert_eq!(out.checksum_type(), Some(&kind), "{key}");
        let got = c
            .get_object()
            .bucket("bkt")
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        let value = got
            .checksum_crc32()
            .or(got.checksum_crc32_c())
            .or(got.checksum_crc64_nvme())
            .or(got.checksum_sha256())
            .map(str::to_string);
        assert!(value.is_some(), "{key}: no checksum returned");
        if kind == ChecksumType::Composite {
            assert!(value.as_deref().unwrap().ends_with("-2"), "{key}: {value:?}");
        }
        // Full-object checksums are validated by the SDK against the bytes it receives.
        assert_eq!(got.body.collect().await.unwrap().into_bytes().len(), 5 * MIB + 777);
    }
}

#[tokio::test]
async fn list_multipart_uploads_markers_and_delimiter() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    let mut ids = Vec::new();
    for key in ["a/1", "a/2", "b", "b", "c/x/1"] {
        let up = c.create_multipart_upload().bucket("bkt").key(key).send().await.unwrap();
        ids.push((key.to_string(), up.upload_id().unwrap().to_string()));
    }
    let all = c.list_multipart_uploads().bucket("bkt").send().await.unwrap();
    let keys: Vec<&str> = all.uploads().iter().filter_map(|u| u.key()).collect();
    assert_eq!(keys, ["a/1", "a/2", "b", "b", "c/x/1"]);
    let grouped = c
        .list_multipart_uploads()
        .bucket("bkt")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = grouped.uploads().iter().filter_map(|u| u.key()).collect();
    let prefixes: Vec<&str> = grouped.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(keys, ["b", "b"]);
    assert_eq!(prefixes, ["a/", "c/"]);
    // Page through one upload at a time with key and upload-id markers.
    let mut seen = Vec::new();
    let (mut key_marker, mut id_marker) = (None::<String>, None::<String>);
    loop {
        let r = c
            .list_multipart_uploads()
            .bucket("bkt")
            .max_uploads(1)
            .set_key_marker(key_marker.clone())
            .set_upload_id_marker(id_marker.clone())
            .send()
            .await
            .unwrap();
        for u in r.uploads() {
            seen.push((u.key().unwrap().to_string(), u.upload_id().unwrap().to_string()));
        }
        if !r.is_truncated().unwrap_or(false) {
            break;
        }
        key_marker = r.next_key_marker().map(str::to_string);
        id_marker = r.next_upload_id_marker().map(str::to_string);
    }
    let mut want = ids.clone();
    want.sort();
    assert_eq!(seen, want);
    let prefixed = c
        .list_multipart_uploads()
        .bucket("bkt")
        .prefix("a/")
        .send()
        .await
        .unwrap();
    assert_eq!(prefixed.uploads().len(), 2);
}

#[tokio::test]
async fn conditional_complete_multipart_upload() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    c.put_object()
        .bucket("bkt")
        .key("exists")
        .body(b"old".to_vec().into())
        .send()
        .await
        .unwrap();
    let start = |key: &'static str| {
        let c = c.clone();
        async move {
            let id = c
                .create_multipart_upload()
                .bucket("bkt")
                .key(key)
                .send()
                .await
                .unwrap()
                .upload_id()
                .unwrap()
                .to_string();
            let done = upload_parts(&c, "bkt", key, &id, &[b"new".to_vec()]).await;
            (id, CompletedMultipartUpload::builder().set_parts(Some(done)).build())
        }
    };
    let (id, parts) = start("exists").await;
    let e = c
        .complete_multipart_upload()
        .bucket("bkt")
        .key("exists")
        .upload_id(&id)
        .if_none_match("*")
        .multipart_upload(parts.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "PreconditionFailed");
    assert_eq!(get_bytes(&c, "bkt", "exists").await, b"old");
    let etag = c
        .head_object()
        .bucket("bkt")
        .key("exists")
        .send()
        .await
        .unwrap()
        .e_tag()
        .unwrap()
        .to_string();
    c.complete_multipart_upload()
        .bucket("bkt")
        .key("exists")
        .upload_id(&id)
        .if_match(&etag)
        .multipart_upload(parts)
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&c, "bkt", "exists").await, b"new");
    let (id, parts) = start("fresh").await;
    c.complete_multipart_upload()
        .bucket("bkt")
        .key("fresh")
        .upload_id(&id)
        .if_none_match("*")
        .multipart_upload(parts)
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&c, "bkt", "fresh").await, b"new");
}

#[tokio::test]
async fn complete_retried_after_success_answers_the_same() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    let up = c.create_multipart_upload().bucket("bkt").key("k").send().await.unwrap();
    let id = up.upload_id().unwrap();
    let part = c
        .upload_part()
        .bucket("bkt")
        .key("k")
        .upload_id(id)
        .part_number(1)
        .body(b"only part".to_vec().into())
        .send()
        .await
        .unwrap();
    let parts = CompletedMultipartUpload::builder()
        .parts(
            CompletedPart::builder()
                .part_number(1)
                .e_tag(part.e_tag().unwrap())
                .build(),
        )
        .build();
    let complete = || {
        c.complete_multipart_upload()
            .bucket("bkt")
            .key("k")
            .upload_id(id)
            .multipart_upload(parts.clone())
            .send()
    };
    let first = complete().await.unwrap();
    // The client lost the first answer and asks again.
    let again = complete().await.unwrap();
    assert_eq!(again.e_tag(), first.e_tag());
    assert_eq!(again.location(), first.location());
    assert_eq!(get_bytes(&c, "bkt", "k").await, b"only part");
    // Once the key holds something else, the upload is simply gone.
    c.put_object()
        .bucket("bkt")
        .key("k")
        .body(b"newer".to_vec().into())
        .send()
        .await
        .unwrap();
    let e = complete().await.unwrap_err();
    assert_eq!(code(&e), "NoSuchUpload");
}
