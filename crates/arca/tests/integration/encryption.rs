//! Encryption at rest (SSE-S3): every object is sealed, its bytes never lie on disk in
//! plaintext, tampered bytes are an error and never data, the root key is the data folder's
//! or the operator's, and a data folder of the release before encryption still reads.

use std::path::{Path, PathBuf};

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ServerSideEncryption};

use crate::harness::*;

/// Every file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Whether any file under `dir` holds `needle`.
pub(crate) fn on_disk(dir: &Path, needle: &[u8]) -> bool {
    files_under(dir).iter().any(|f| {
        std::fs::read(f)
            .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
            .unwrap_or(false)
    })
}

/// A body whose every 4 KiB holds a findable marker.
fn marked(len: usize, marker: &str) -> Vec<u8> {
    let line = format!("{marker} ");
    line.as_bytes().iter().copied().cycle().take(len).collect()
}

#[tokio::test]
async fn every_object_is_sealed_and_says_so() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "sealed").await;
    let small = marked(3000, "SMALL-PLAINTEXT-MARKER");
    let large = marked(700_000, "LARGE-PLAINTEXT-MARKER");

    let put = c
        .put_object()
        .bucket("sealed")
        .key("small")
        .body(small.clone().into())
        .send()
        .await
        .unwrap();
    assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    // Asking for SSE-S3 is asking for what every object gets.
    let put = c
        .put_object()
        .bucket("sealed")
        .key("large")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(large.clone().into())
        .send()
        .await
        .unwrap();
    assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::Aes256));

    for (key, body) in [("small", &small), ("large", &large)] {
        let head = c.head_object().bucket("sealed").key(key).send().await.unwrap();
        assert_eq!(head.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
        assert_eq!(head.content_length(), Some(body.len() as i64));
        assert_eq!(&get_bytes(&c, "sealed", key).await, body);
    }
    // A range across two sealed chunks (64 KiB each) decrypts only those.
    let ranged = c
        .get_object()
        .bucket("sealed")
        .key("large")
        .range("bytes=65000-66000")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    let bytes = ranged.body.collect().await.unwrap().into_bytes();
    assert_eq!(&bytes[..], &large[65000..=66000]);

    // Multipart: each part sealed under the upload's key.
    let up = c
        .create_multipart_upload()
        .bucket("sealed")
        .key("multi")
        .send()
        .await
        .unwrap();
    assert_eq!(up.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    let id = up.upload_id().unwrap();
    let part1 = marked(5 * 1024 * 1024, "PART-ONE-MARKER");
    let part2 = marked(1000, "PART-TWO-MARKER");
    let mut done = Vec::new();
    for (n, body) in [(1, &part1), (2, &part2)] {
        let p = c
            .upload_part()
            .bucket("sealed")
            .key("multi")
            .upload_id(id)
            .part_number(n)
            .body(body.clone().into())
            .send()
            .await
            .unwrap();
        assert_eq!(p.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
        done.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(p.e_tag().unwrap())
                .build(),
        );
    }
    let complete = c
        .complete_multipart_upload()
        .bucket("sealed")
        .key("multi")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done)).build())
        .send()
        .await
        .unwrap();
    assert_eq!(complete.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(get_bytes(&c, "sealed", "multi").await, [part1, part2.clone()].concat());

    // A copy is sealed under a key of its own.
    let copy = c
        .copy_object()
        .bucket("sealed")
        .key("copy")
        .copy_source("sealed/small")
        .send()
        .await
        .unwrap();
    assert_eq!(copy.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert_eq!(get_bytes(&c, "sealed", "copy").await, small);

    for marker in [
        "SMALL-PLAINTEXT-MARKER",
        "LARGE-PLAINTEXT-MARKER",
        "PART-ONE-MARKER",
        "PART-TWO-MARKER",
    ] {
        assert!(
            !on_disk(&s.data, marker.as_bytes()),
            "{marker} lies on disk in plaintext"
        );
    }
}

#[tokio::test]
async fn tampered_sealed_bytes_are_an_error_never_data() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "tamper").await;
    let body = marked(300_000, "TAMPER");
    c.put_object()
        .bucket("tamper")
        .key("k")
        .body(body.clone().into())
        .send()
        .await
        .unwrap();
    let blobs: Vec<PathBuf> = files_under(&s.data.join("blobs"));
    assert_eq!(blobs.len(), 1, "one blob");
    // Flip a bit of the second frame and give it a matching CRC32C, as bitrot that a
    // checksum alone would miss (or a deliberate edit) would: only the tag catches it.
    let mut bytes = std::fs::read(&blobs[0]).unwrap();
    let frame = 64 * 1024;
    let data = frame - 4;
    bytes[frame + 100] ^= 0x01;
    let crc = arca_store::crc32c(&bytes[frame..frame + data]);
    bytes[frame + data..frame + frame].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(&blobs[0], &bytes).unwrap();

    // The first chunk is intact and reads; the second is refused, whole or by range.
    let first = c
        .get_object()
        .bucket("tamper")
        .key("k")
        .range("bytes=0-999")
        .send()
        .await
        .unwrap();
    assert_eq!(&first.body.collect().await.unwrap().into_bytes()[..], &body[..1000]);
    let ranged = c
        .get_object()
        .bucket("tamper")
        .key("k")
        .range("bytes=70000-70999")
        .send()
        .await;
    let whole = c.get_object().bucket("tamper").key("k").send().await;
    for (what, got) in [("range", ranged), ("whole", whole)] {
        match got {
            Err(_) => {}
            Ok(out) => {
                let read = out.body.collect().await;
                assert!(read.is_err(), "{what}: tampered bytes were returned as data");
            }
        }
    }
}

#[tokio::test]
async fn the_root_key_is_the_data_folders_or_the_operators() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut s = TestServer::start_on(&data, &[]);
    let c = s.client();
    make_bucket(&c, "keys").await;
    c.put_object()
        .bucket("keys")
        .key("k")
        .body(b"kept under the data folder's root key".to_vec().into())
        .send()
        .await
        .unwrap();
    s.terminate();
    let key_file = data.join("root.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key_file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "root.key is the owner's alone");

    // Another root key does not open the folder's keys: the server refuses to start rather
    // than serve objects it cannot read.
    let wrong = tmp.path().join("wrong.key");
    std::fs::write(&wrong, "11".repeat(32)).unwrap();
    let refused = spawn(&data, &["--root-key-file", wrong.to_str().unwrap()], true);
    let err = refused.expect_err("a wrong root key is refused");
    assert!(err.contains("root key"), "{err}");

    // The operator moves the key out of the data folder: the server reads it from there.
    let kept = tmp.path().join("operator.key");
    std::fs::rename(&key_file, &kept).unwrap();
    let s = TestServer::start_on(&data, &["--root-key-file", kept.to_str().unwrap()]);
    assert_eq!(
        get_bytes(&s.client(), "keys", "k").await,
        b"kept under the data folder's root key"
    );
    assert!(!key_file.exists(), "no copy of the key is made in the data folder");
}

#[tokio::test]
async fn a_data_folder_of_the_release_before_encryption_still_reads() {
    // Written by the release before encryption (format 2) with `arca cp`: small.txt (inline),
    // large.bin (one blob) and multi.bin (a two-part multipart upload).
    let tmp = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format-2-data.tar.gz");
    let untar = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(&fixture)
        .arg("-C")
        .arg(tmp.path())
        .status()
        .unwrap();
    assert!(untar.success());
    let s = TestServer::start_on(&tmp.path().join("data"), &[]);
    let c = s.client();
    let small = b"small object written by the release before encryption\n".to_vec();
    let large: Vec<u8> = (0..20000)
        .flat_map(|i| format!("block {i:08} of the large object written before encryption\n").into_bytes())
        .collect();
    let multi: Vec<u8> = (0..140000)
        .flat_map(|i| format!("part data {i:08} of the multipart object written before encryption\n").into_bytes())
        .collect();
    for (key, body) in [("small.txt", &small), ("large.bin", &large), ("multi.bin", &multi)] {
        assert_eq!(&get_bytes(&c, "old", key).await, body, "{key}");
        let head = c.head_object().bucket("old").key(key).send().await.unwrap();
        assert_eq!(head.server_side_encryption(), None, "{key} was stored as it is");
    }
    // New writes to the upgraded folder are sealed.
    let put = c
        .put_object()
        .bucket("old")
        .key("new")
        .body(b"new".to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    // A server-side copy of an old object is sealed too.
    c.copy_object()
        .bucket("old")
        .key("large-copy")
        .copy_source("old/large.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&c, "old", "large-copy").await, large);
}

/// `POST /?arca-admin=rotate-root-key` as the operator: the status and the answer.
async fn rotate(s: &TestServer, new_key_file: Option<&Path>) -> (u16, String) {
    let mut path = "/?arca-admin=rotate-root-key".to_string();
    if let Some(f) = new_key_file {
        let f = percent_encoding::utf8_percent_encode(f.to_str().unwrap(), percent_encoding::NON_ALPHANUMERIC);
        path.push_str(&format!("&new-key-file={f}"));
    }
    let (status, _, text) = send(signed("POST", &s.url(&path), &[], b"", Sign::default())).await;
    (status, text)
}

#[tokio::test]
async fn the_root_key_rotates_without_rewriting_objects() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut s = TestServer::start_on(&data, &[]);
    let c = s.client();
    make_bucket(&c, "rot").await;
    let body = marked(100_000, "ROTATE");
    c.put_object()
        .bucket("rot")
        .key("k")
        .body(body.clone().into())
        .send()
        .await
        .unwrap();
    let blobs_before: Vec<_> = files_under(&data.join("blobs"));
    let old_key = std::fs::read_to_string(data.join("root.key")).unwrap();

    let (status, answer) = rotate(&s, None).await;
    assert_eq!(status, 200, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["key_encryption_keys"], 1);
    assert_ne!(answer["fingerprint"], answer["previous_fingerprint"]);
    let new_key = std::fs::read_to_string(data.join("root.key")).unwrap();
    assert_ne!(new_key, old_key);
    assert!(!data.join("root.key.next").exists());
    assert_eq!(files_under(&data.join("blobs")), blobs_before, "no blob was rewritten");
    // Reads and writes go on, before and after a restart.
    assert_eq!(get_bytes(&c, "rot", "k").await, body);
    c.put_object()
        .bucket("rot")
        .key("after")
        .body(b"after".to_vec().into())
        .send()
        .await
        .unwrap();
    s.terminate();

    // A crash after the commit, before the new key was put in place: the next start
    // finishes the rotation.
    std::fs::write(data.join("root.key.next"), &new_key).unwrap();
    std::fs::write(data.join("root.key"), &old_key).unwrap();
    let mut s = TestServer::start_on(&data, &[]);
    assert_eq!(get_bytes(&s.client(), "rot", "k").await, body);
    assert_eq!(std::fs::read_to_string(data.join("root.key")).unwrap(), new_key);
    assert!(!data.join("root.key.next").exists());
    s.terminate();

    // A crash before the commit: the next start drops the key that opens nothing.
    std::fs::write(data.join("root.key.next"), "22".repeat(32)).unwrap();
    let s = TestServer::start_on(&data, &[]);
    assert_eq!(get_bytes(&s.client(), "rot", "after").await, b"after");
    assert_eq!(std::fs::read_to_string(data.join("root.key")).unwrap(), new_key);
    assert!(!data.join("root.key.next").exists());
}

#[tokio::test]
async fn an_operators_root_key_rotates_into_a_new_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let first = tmp.path().join("first.key");
    std::fs::write(&first, "33".repeat(32)).unwrap();
    let flag = ["--root-key-file", first.to_str().unwrap()];
    let mut s = TestServer::start_on(&data, &flag);
    let c = s.client();
    make_bucket(&c, "keyops").await;
    c.put_object()
        .bucket("keyops")
        .key("k")
        .body(b"operator".to_vec().into())
        .send()
        .await
        .unwrap();
    assert!(!data.join("root.key").exists());

    // The new key needs a file of its own, and a new one.
    let (status, text) = rotate(&s, None).await;
    assert_eq!((status, xml_code(&text)), (400, "InvalidRequest"), "{text}");
    let (status, text) = rotate(&s, Some(&first)).await;
    assert_eq!((status, xml_code(&text)), (400, "InvalidRequest"), "{text}");
    let second = tmp.path().join("second.key");
    let (status, text) = rotate(&s, Some(&second)).await;
    assert_eq!(status, 200, "{text}");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&second).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    s.terminate();

    let refused = spawn(&data, &flag, true).expect_err("the old key opens nothing now");
    assert!(refused.contains("root key"), "{refused}");
    let s = TestServer::start_on(&data, &["--root-key-file", second.to_str().unwrap()]);
    assert_eq!(get_bytes(&s.client(), "keyops", "k").await, b"operator");
}
