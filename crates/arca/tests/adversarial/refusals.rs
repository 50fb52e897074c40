//! Headers of features Arca does not have yet are refused with AWS's error, and nothing is
//! stored: an object asked to be encrypted, public or locked is never stored as if it were.

use crate::harness::*;

async fn put_with(s: &TestServer, key: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let req = signed(
        "PUT",
        &s.url(&format!("/refuse/{key}")),
        headers,
        b"payload",
        Sign::default(),
    );
    let (st, _, text) = send(req).await;
    (st, text)
}

#[tokio::test]
async fn object_writes_with_unhonoured_headers_are_refused() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "refuse").await;
    let ssec_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    let ssec_md5 = "hRasmdxgYDKV3nvbahU1MA==";
    // (key, headers, status, code)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "sse-kms-dsse",
            vec![("x-amz-server-side-encryption", "aws:kms:dsse")],
            501,
            "NotImplemented",
        ),
        (
            "sse-bogus",
            vec![("x-amz-server-side-encryption", "BOGUS")],
            400,
            "InvalidArgument",
        ),
        (
            // SSE-C is honoured, but never over plain HTTP (the key would travel in clear).
            "sse-c",
            vec![
                ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
                ("x-amz-server-side-encryption-customer-key", ssec_key),
                ("x-amz-server-side-encryption-customer-key-md5", ssec_md5),
            ],
            400,
            "InvalidRequest",
        ),
        (
            "acl-public",
            vec![("x-amz-acl", "public-read")],
            400,
            "AccessControlListNotSupported",
        ),
        (
            "grant",
            vec![(
                "x-amz-grant-read",
                "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"",
            )],
            400,
            "AccessControlListNotSupported",
        ),
        (
            "lock",
            vec![("x-amz-object-lock-legal-hold", "ON")],
            400,
            "InvalidRequest",
        ),
        (
            "redirect",
            vec![("x-amz-website-redirect-location", "/elsewhere")],
            501,
            "NotImplemented",
        ),
    ];
    for (key, headers, status, code) in &cases {
        let (st, text) = put_with(&s, key, headers).await;
        assert_eq!((st, xml_code(&text)), (*status, *code), "{key}: {text}");
        assert!(
            c.head_object().bucket("refuse").key(*key).send().await.is_err(),
            "{key} was stored"
        );
    }
    // The private default is what every object is anyway.
    let (st, text) = put_with(&s, "private", &[("x-amz-acl", "private")]).await;
    assert_eq!(st, 200, "{text}");
    // Multipart initiate and copy refuse the same headers.
    let req = signed(
        "POST",
        &s.url("/refuse/mp?uploads"),
        &[("x-amz-server-side-encryption", "aws:kms:dsse")],
        b"",
        Sign::default(),
    );
    let (st, _, text) = send(req).await;
    assert_eq!((st, xml_code(&text)), (501, "NotImplemented"), "{text}");
    let req = signed(
        "PUT",
        &s.url("/refuse/copy"),
        &[
            ("x-amz-copy-source", "/refuse/private"),
            ("x-amz-acl", "public-read-write"),
        ],
        b"",
        Sign::default(),
    );
    let (st, _, text) = send(req).await;
    assert_eq!((st, xml_code(&text)), (400, "AccessControlListNotSupported"), "{text}");
    assert!(c.head_object().bucket("refuse").key("copy").send().await.is_err());
}

#[tokio::test]
async fn sse_c_reads_of_unencrypted_objects_are_refused() {
    let s = TestServer::start_with(&["--sse-c-over-loopback-http"]);
    let c = s.client();
    make_bucket(&c, "refuse").await;
    c.put_object()
        .bucket("refuse")
        .key("plain")
        .body(b"plain".to_vec().into())
        .send()
        .await
        .unwrap();
    let e = c
        .get_object()
        .bucket("refuse")
        .key("plain")
        .sse_customer_algorithm("AES256")
        .sse_customer_key("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
        .sse_customer_key_md5("hRasmdxgYDKV3nvbahU1MA==")
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&e), code(&e).as_str()), (400, "InvalidRequest"));
    let message = e.into_service_error().meta().message().unwrap_or_default().to_string();
    assert!(message.contains("not applicable to this object"), "{message}");
}

#[tokio::test]
async fn create_bucket_with_unhonoured_options_is_refused() {
    let s = TestServer::start();
    let c = s.client();
    let e = c
        .create_bucket()
        .bucket("locked")
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&e), code(&e).as_str()), (501, "NotImplemented"));
    let e = c
        .create_bucket()
        .bucket("public")
        .acl(aws_sdk_s3::types::BucketCannedAcl::PublicRead)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (status(&e), code(&e).as_str()),
        (400, "InvalidBucketAclWithObjectOwnership")
    );
    assert!(c.head_bucket().bucket("locked").send().await.is_err());
    assert!(c.head_bucket().bucket("public").send().await.is_err());
    c.create_bucket()
        .bucket("plain")
        .acl(aws_sdk_s3::types::BucketCannedAcl::Private)
        .send()
        .await
        .unwrap();
}
