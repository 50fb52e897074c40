//! Signature V2: the request time is checked, and every sub-resource that selects the
//! operation is signed.

use std::time::{Duration, SystemTime};

use crate::harness::*;
use crate::raw::*;

async fn bucket_with_object(s: &TestServer) {
    let c = s.client();
    make_bucket(&c, "sigv2").await;
    c.put_object()
        .bucket("sigv2")
        .key("obj")
        .body(b"hello".to_vec().into())
        .send()
        .await
        .unwrap();
}

fn get_with_date(endpoint: &str, date_header: Option<(&str, String)>) -> Reply {
    let (name, date) = date_header.clone().unwrap_or(("date", String::new()));
    let (date_in_string, amz) = match name {
        "x-amz-date" => (String::new(), format!("x-amz-date:{date}\n")),
        _ => (date.clone(), String::new()),
    };
    let auth = sign_v2_header("GET", "", &date_in_string, &amz, "/sigv2/obj");
    let mut headers = vec![("authorization", auth.as_str())];
    if date_header.is_some() {
        headers.push((name, date.as_str()));
    }
    exchange(endpoint, "GET", "/sigv2/obj", &headers, b"")
}

#[tokio::test]
async fn sigv2_header_auth_checks_the_request_time() {
    let s = TestServer::start();
    bucket_with_object(&s).await;
    let ep = s.endpoint.clone();
    tokio::task::spawn_blocking(move || {
        let now = SystemTime::now();
        let fresh = get_with_date(&ep, Some(("date", http_date(now))));
        assert_eq!(fresh.status, 200, "a fresh SigV2 request works: {fresh:?}");
        assert_eq!(fresh.body, "hello");
        let amz = get_with_date(&ep, Some(("x-amz-date", http_date(now))));
        assert_eq!(amz.status, 200, "x-amz-date works too: {amz:?}");

        let stale = get_with_date(&ep, Some(("date", http_date(now - Duration::from_secs(3600)))));
        assert_eq!(stale.status_code(), (403, "RequestTimeTooSkewed"), "{stale:?}");
        let future = get_with_date(&ep, Some(("x-amz-date", http_date(now + Duration::from_secs(3600)))));
        assert_eq!(future.status_code(), (403, "RequestTimeTooSkewed"), "{future:?}");
        let missing = get_with_date(&ep, None);
        assert_eq!(missing.status_code(), (403, "AccessDenied"), "{missing:?}");
        let malformed = get_with_date(&ep, Some(("date", "yesterday-ish".to_string())));
        assert_eq!(malformed.status_code(), (403, "AccessDenied"), "{malformed:?}");
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn sigv2_presigned_put_cannot_become_put_object_tagging() {
    let s = TestServer::start();
    bucket_with_object(&s).await;
    let expires = unix_now() + 600;
    let ep = s.endpoint.clone();
    tokio::task::spawn_blocking(move || {
        let target = presign_v2("PUT", "/sigv2/obj", expires);
        let tagging = b"<Tagging><TagSet><Tag><Key>planted</Key><Value>1</Value></Tag></TagSet></Tagging>";
        let len = tagging.len().to_string();
        for extra in ["&tagging", "&tagging&tagging", "&tagging=&tagging="] {
            let r = exchange(
                &ep,
                "PUT",
                &format!("{target}{extra}"),
                &[("content-length", &len)],
                tagging,
            );
            assert!(
                r.status == 400 || r.status == 403,
                "{extra}: an unsigned sub-resource was routed: {r:?}"
            );
        }
        // The URL as signed still works.
        let r = exchange(&ep, "PUT", &target, &[("content-length", "3")], b"new");
        assert_eq!(r.status, 200, "{r:?}");
    })
    .await
    .unwrap();
    let tags = s
        .client()
        .get_object_tagging()
        .bucket("sigv2")
        .key("obj")
        .send()
        .await
        .unwrap();
    assert!(tags.tag_set().is_empty(), "tags were planted: {tags:?}");
    assert_eq!(get_bytes(&s.client(), "sigv2", "obj").await, b"new");
}

#[tokio::test]
async fn sigv2_presigned_create_bucket_cannot_become_put_bucket_cors() {
    let s = TestServer::start();
    let expires = unix_now() + 600;
    let ep = s.endpoint.clone();
    tokio::task::spawn_blocking(move || {
        let target = presign_v2("PUT", "/fresh", expires);
        let cors = b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
        let len = cors.len().to_string();
        let r = exchange(&ep, "PUT", &format!("{target}&cors&cors"), &[("content-length", &len)], cors);
        assert_eq!(r.status_code(), (400, "InvalidArgument"), "{r:?}");
        let r = exchange(&ep, "PUT", &target, &[("content-length", "0")], b"");
        assert_eq!(r.status, 200, "the URL as signed creates the bucket: {r:?}");
        let r = exchange(&ep, "PUT", &format!("{target}&cors"), &[("content-length", &len)], cors);
        assert_eq!(r.status_code(), (403, "SignatureDoesNotMatch"), "{r:?}");
    })
    .await
    .unwrap();
    let e = s.client().get_bucket_cors().bucket("fresh").send().await.unwrap_err();
    assert_eq!(code(&e), "NoSuchCORSConfiguration");
}
