use std::time::{Duration, SystemTime};

use crate::harness::*;

#[tokio::test]
async fn wrong_secret_unknown_key_and_anonymous() {
    let s = TestServer::start();
    make_bucket(&s.client(), "auth").await;
    let bad = client_with(&s.endpoint, ACCESS_KEY, "not-the-secret");
    let e = bad.list_objects_v2().bucket("auth").send().await.unwrap_err();
    assert_eq!(code(&e), "SignatureDoesNotMatch");
    assert_eq!(status(&e), 403);
    let unknown = client_with(&s.endpoint, "AKIDUNKNOWN", SECRET_KEY);
    let e = unknown.list_objects_v2().bucket("auth").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidAccessKeyId");
    let (st, _, body) = send(http::Request::get(s.url("/auth")).body(Vec::new()).unwrap()).await;
    assert_eq!((st, xml_code(&body)), (403, "AccessDenied"));
    let (st, _, body) = send(http::Request::put(s.url("/auth/anon")).body(b"x".to_vec()).unwrap()).await;
    assert_eq!((st, xml_code(&body)), (403, "AccessDenied"));
    let e = s
        .client()
        .head_object()
        .bucket("auth")
        .key("anon")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&e), 404, "an anonymous PUT stored nothing");
}

#[tokio::test]
async fn presigned_expiry_rules() {
    let s = TestServer::start();
    make_bucket(&s.client(), "pre").await;
    s.client()
        .put_object()
        .bucket("pre")
        .key("k")
        .body(b"v".to_vec().into())
        .send()
        .await
        .unwrap();
    let url = s.url("/pre/k");
    let expired = signed(
        "GET",
        &url,
        &[],
        b"",
        Sign {
            time: SystemTime::now() - Duration::from_secs(3600),
            presign: Some(Duration::from_secs(60)),
            ..Default::default()
        },
    );
    let (st, _, body) = send(expired).await;
    assert_eq!((st, xml_code(&body)), (403, "AccessDenied"));
    assert!(body.contains("Request has expired"), "{body}");
    let too_long = signed(
        "GET",
        &url,
        &[],
        b"",
        Sign {
            presign: Some(Duration::from_secs(8 * 24 * 3600)),
            ..Default::default()
        },
    );
    let (st, _, body) = send(too_long).await;
    assert_eq!(
        (st, xml_code(&body)),
        (400, "AuthorizationQueryParametersError"),
        "{body}"
    );
    let fine = signed(
        "GET",
        &url,
        &[],
        b"",
        Sign {
            presign: Some(Duration::from_secs(7 * 24 * 3600)),
            ..Default::default()
        },
    );
    let (st, _, body) = send(fine).await;
    assert_eq!((st, body.as_str()), (200, "v"));
}

#[tokio::test]
async fn clock_skew_is_rejected() {
    let s = TestServer::start();
    make_bucket(&s.client(), "skew").await;
    for skew in [-1200i64, 1200] {
        let t = if skew < 0 {
            SystemTime::now() - Duration::from_secs(skew.unsigned_abs())
        } else {
            SystemTime::now() + Duration::from_secs(skew as u64)
        };
        let req = signed(
            "GET",
            &s.url("/skew"),
            &[],
            b"",
            Sign {
                time: t,
                ..Default::default()
            },
        );
        let (st, _, body) = send(req).await;
        assert_eq!((st, xml_code(&body)), (403, "RequestTimeTooSkewed"), "{skew}: {body}");
    }
    let ok = signed(
        "GET",
        &s.url("/skew"),
        &[],
        b"",
        Sign {
            time: SystemTime::now() - Duration::from_secs(600),
            ..Default::default()
        },
    );
    assert_eq!(send(ok).await.0, 200);
}

#[tokio::test]
async fn payload_hash_modes() {
    let s = TestServer::start();
    make_bucket(&s.client(), "pay").await;
    let unsigned = signed(
        "PUT",
        &s.url("/pay/u"),
        &[],
        b"unsigned body",
        Sign {
            unsigned_payload: true,
            ..Default::default()
        },
    );
    assert_eq!(send(unsigned).await.0, 200);
    assert_eq!(get_bytes(&s.client(), "pay", "u").await, b"unsigned body");
    // Signed for one body, sent with another.
    let mut tampered = signed("PUT", &s.url("/pay/t"), &[], b"the signed body", Sign::default());
    *tampered.body_mut() = b"a different body".to_vec();
    let (st, _, body) = send(tampered).await;
    assert_eq!(st, 400, "{body}");
    assert_eq!(xml_code(&body), "XAmzContentSHA256Mismatch");
    let e = s
        .client()
        .head_object()
        .bucket("pay")
        .key("t")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&e), 404);
}

#[tokio::test]
async fn virtual_hosted_style_addressing() {
    let tmp = tempfile::tempdir().unwrap();
    let s = TestServer::start_on(&tmp.path().join("d"), &["--domain", "s3.arca.test"]);
    make_bucket(&s.client(), "vhost").await;
    let port = s.endpoint.rsplit(':').next().unwrap();
    let host = format!("vhost.s3.arca.test:{port}");
    // The signature covers the Host header, so sign for the virtual host and send to loopback.
    let req = signed(
        "PUT",
        &format!("http://{host}/dir/key.txt"),
        &[],
        b"virtual",
        Sign::default(),
    );
    let (parts, body) = req.into_parts();
    let client = reqwest::Client::builder()
        .resolve("vhost.s3.arca.test", format!("127.0.0.1:{port}").parse().unwrap())
        .build()
        .unwrap();
    let mut r = client.request(parts.method, parts.uri.to_string()).body(body);
    for (k, v) in parts.headers.iter() {
        r = r.header(k, v);
    }
    let resp = r.send().await.unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    assert_eq!(get_bytes(&s.client(), "vhost", "dir/key.txt").await, b"virtual");
}

#[tokio::test]
async fn a_request_signed_for_another_region_names_the_right_one() {
    let tmp = tempfile::tempdir().unwrap();
    let s = TestServer::start_on(&tmp.path().join("d"), &["--region", "eu-west-1"]);
    // `signed` signs for us-east-1.
    let (st, _, body) = send(signed("GET", &s.url("/"), &[], b"", Sign::default())).await;
    assert_eq!((st, xml_code(&body)), (400, "AuthorizationHeaderMalformed"), "{body}");
    assert!(
        body.contains("the region 'us-east-1' is wrong; expecting 'eu-west-1'"),
        "{body}"
    );
    assert!(body.contains("<Region>eu-west-1</Region>"), "{body}");
    let presigned = Sign {
        presign: Some(Duration::from_secs(60)),
        ..Default::default()
    };
    let (st, _, body) = send(signed("GET", &s.url("/"), &[], b"", presigned)).await;
    assert_eq!(
        (st, xml_code(&body)),
        (400, "AuthorizationQueryParametersError"),
        "{body}"
    );
    assert!(body.contains("<Region>eu-west-1</Region>"), "{body}");
    // Signed for the server's region, the same request is served.
    client_in(&s.endpoint, ACCESS_KEY, SECRET_KEY, "eu-west-1")
        .list_buckets()
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn expected_bucket_owner_must_be_the_owner() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "mine").await;
    make_bucket(&c, "other").await;
    c.put_object()
        .bucket("mine")
        .key("k")
        .body(b"v".to_vec().into())
        .send()
        .await
        .unwrap();
    // The header names the owning account by its id, as in AWS (not its canonical id).
    let owner = "000000000000";
    let canonical = c
        .list_buckets()
        .send()
        .await
        .unwrap()
        .owner()
        .unwrap()
        .id()
        .unwrap()
        .to_string();
    let e = c
        .head_object()
        .bucket("mine")
        .key("k")
        .expected_bucket_owner(&canonical)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&e), 403);
    c.head_object()
        .bucket("mine")
        .key("k")
        .expected_bucket_owner(owner)
        .send()
        .await
        .unwrap();
    let e = c
        .get_object()
        .bucket("mine")
        .key("k")
        .expected_bucket_owner("111122223333")
        .send()
        .await
        .unwrap_err();
    assert_eq!((code(&e), status(&e)), ("AccessDenied".to_string(), 403));
    // A refused write changes nothing.
    let e = c
        .put_object()
        .bucket("mine")
        .key("k")
        .expected_bucket_owner("111122223333")
        .body(b"changed".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    assert_eq!(get_bytes(&c, "mine", "k").await, b"v");
    // Copies check the source bucket's owner too.
    let e = c
        .copy_object()
        .bucket("other")
        .key("copy")
        .copy_source("mine/k")
        .expected_source_bucket_owner("111122223333")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    c.copy_object()
        .bucket("other")
        .key("copy")
        .copy_source("mine/k")
        .expected_source_bucket_owner(owner)
        .expected_bucket_owner(owner)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn presigned_signatures_of_the_wrong_shape_do_not_match() {
    let s = TestServer::start();
    make_bucket(&s.client(), "pre").await;
    s.client()
        .put_object()
        .bucket("pre")
        .key("k")
        .body(b"v".to_vec().into())
        .send()
        .await
        .unwrap();
    let presigned = Sign {
        presign: Some(Duration::from_secs(60)),
        ..Default::default()
    };
    let req = signed("GET", &s.url("/pre/k"), &[], b"", presigned);
    let url = req.uri().to_string();
    let (at, rest) = url.split_once("X-Amz-Signature=").unwrap();
    let sig = rest.split('&').next().unwrap();
    for tampered in [
        format!("{sig}00"),
        sig[..40].to_string(),
        "zz".repeat(32),
        String::new(),
    ] {
        let target = format!("{at}X-Amz-Signature={tampered}{}", &rest[sig.len()..]);
        let req = http::Request::get(target).body(Vec::new()).unwrap();
        let (st, _, body) = send(req).await;
        assert_eq!(
            (st, xml_code(&body)),
            (403, "SignatureDoesNotMatch"),
            "{tampered}: {body}"
        );
    }
    let (st, _, body) = send(http::Request::get(url).body(Vec::new()).unwrap()).await;
    assert_eq!((st, body.as_str()), (200, "v"));
}
