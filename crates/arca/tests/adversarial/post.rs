//! Browser POST uploads: authenticated from the fields before the file, the file streamed.

use std::io::Write;

use crate::harness::*;
use crate::raw::*;

const BOUNDARY: &str = "----arcaBoundary7MA4YWxkTrZu0gW";

fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

#[tokio::test]
async fn anonymous_post_is_refused_before_its_file_is_read() {
    let s = TestServer::start();
    make_bucket(&s.client(), "forms").await;
    let ep = s.endpoint.clone();
    tokio::task::spawn_blocking(move || {
        // A form that announces a 64 MiB file and sends 1 MiB of it: the answer must come
        // now, not after the server has read (and held) the rest.
        let file_len = 64 * 1024 * 1024;
        let form = form(&[("key", "anon.bin")], &[], BOUNDARY);
        let head_len = form.len() - format!("\r\n--{BOUNDARY}--\r\n").len();
        let total = head_len + file_len + format!("\r\n--{BOUNDARY}--\r\n").len();
        let mut sock = connect(&ep);
        let ct = content_type();
        let len = total.to_string();
        write_head(
            &mut sock,
            &ep,
            "POST",
            "/forms",
            &[("content-type", &ct), ("content-length", &len)],
        );
        sock.write_all(&form[..head_len]).unwrap();
        sock.write_all(&vec![b'x'; 1024 * 1024]).unwrap();
        let r = read_reply(&mut sock);
        assert_eq!(r.status_code(), (403, "AccessDenied"), "{r:?}");
    })
    .await
    .unwrap();
    assert!(
        s.client()
            .head_object()
            .bucket("forms")
            .key("anon.bin")
            .send()
            .await
            .is_err()
    );
}

fn post(endpoint: &str, bucket: &str, body: &[u8]) -> Reply {
    let ct = content_type();
    let len = body.len().to_string();
    exchange(
        endpoint,
        "POST",
        &format!("/{bucket}"),
        &[("content-type", &ct), ("content-length", &len)],
        body,
    )
}

#[tokio::test]
async fn post_file_streams_and_keeps_to_the_content_length_range() {
    let s = TestServer::start();
    make_bucket(&s.client(), "forms").await;
    let ep = s.endpoint.clone();
    let big = bytes_of(3 * 1024 * 1024 + 17, 5);
    let upload = big.clone();
    tokio::task::spawn_blocking(move || {
        let range = r#",["content-length-range",0,1048576]"#;
        let r = post(
            &ep,
            "forms",
            &post_form("forms", "capped.bin", range, &upload, BOUNDARY),
        );
        assert_eq!(r.status_code(), (400, "EntityTooLarge"), "{r:?}");
        let range = r#",["content-length-range",10,8388608]"#;
        let r = post(&ep, "forms", &post_form("forms", "small.bin", range, b"tiny", BOUNDARY));
        assert_eq!(r.status_code(), (400, "EntityTooSmall"), "{r:?}");
        let r = post(&ep, "forms", &post_form("forms", "whole.bin", range, &upload, BOUNDARY));
        assert_eq!(r.status, 204, "{r:?}");
    })
    .await
    .unwrap();
    let c = s.client();
    assert!(c.head_object().bucket("forms").key("capped.bin").send().await.is_err());
    assert!(c.head_object().bucket("forms").key("small.bin").send().await.is_err());
    assert_eq!(get_bytes(&c, "forms", "whole.bin").await, big);
}

#[tokio::test]
async fn post_fields_before_the_file_are_bounded() {
    let s = TestServer::start();
    make_bucket(&s.client(), "forms").await;
    let ep = s.endpoint.clone();
    tokio::task::spawn_blocking(move || {
        let padding = "p".repeat(30 * 1024);
        let body = form(&[("key", "k"), ("x-ignore-padding", &padding)], b"data", BOUNDARY);
        let r = post(&ep, "forms", &body);
        assert_eq!(r.status_code(), (400, "MaxPostPreDataLengthExceededError"), "{r:?}");
    })
    .await
    .unwrap();
}
