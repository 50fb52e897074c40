//! The admin API (`/?arca-admin=…`, `docs/lifecycle.md`): only a valid signature of the root
//! user reaches it, and the action is part of what is signed.

use crate::harness::*;

async fn lifecycle_passes(s: &TestServer) -> String {
    let (status, _, body) = send(signed("GET", &s.url("/?arca-admin=jobs"), &[], b"", Sign::default())).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn admin_requests_need_a_valid_root_signature_over_the_action() {
    let s = TestServer::start();
    let before = lifecycle_passes(&s).await;

    let anonymous = http::Request::builder()
        .method("POST")
        .uri(s.url("/?arca-admin=run-lifecycle"))
        .body(Vec::new())
        .unwrap();
    let (status, _, body) = send(anonymous).await;
    assert_eq!((status, xml_code(&body)), (403, "AccessDenied"), "{body}");

    let stranger = Sign {
        access: "AKIDNOSUCHKEY0000001",
        secret: "not-the-secret",
        ..Default::default()
    };
    let (status, _, body) = send(signed("POST", &s.url("/?arca-admin=run-lifecycle"), &[], b"", stranger)).await;
    assert_eq!((status, xml_code(&body)), (403, "InvalidAccessKeyId"), "{body}");

    // A signature for reading the jobs does not run a pass.
    let mut replayed = signed("POST", &s.url("/?arca-admin=jobs"), &[], b"", Sign::default());
    *replayed.uri_mut() = s.url("/?arca-admin=run-lifecycle").parse().unwrap();
    let (status, _, body) = send(replayed).await;
    assert_eq!((status, xml_code(&body)), (403, "SignatureDoesNotMatch"), "{body}");

    // An expired presigned admin URL is refused like any other.
    let old = Sign {
        time: std::time::SystemTime::now() - std::time::Duration::from_secs(3600),
        presign: Some(std::time::Duration::from_secs(60)),
        ..Default::default()
    };
    let (status, _, body) = send(signed("POST", &s.url("/?arca-admin=run-lifecycle"), &[], b"", old)).await;
    assert_eq!((status, xml_code(&body)), (403, "AccessDenied"), "{body}");

    assert_eq!(lifecycle_passes(&s).await, before, "no refused request ran anything");
}

#[tokio::test]
async fn explanations_are_for_the_root_user_and_simulations_are_bounded() {
    let s = TestServer::start();
    let question = br#"{"principal":"anonymous","action":"s3:GetObject","resource":"arn:aws:s3:::b/k"}"#;
    let anonymous = http::Request::builder()
        .method("POST")
        .uri(s.url("/?arca-admin=simulate"))
        .body(question.to_vec())
        .unwrap();
    let (status, _, body) = send(anonymous).await;
    assert_eq!((status, xml_code(&body)), (403, "AccessDenied"), "{body}");
    let anonymous = http::Request::builder()
        .method("GET")
        .uri(s.url("/?arca-admin=explain&request-id=0000000000000000"))
        .body(Vec::new())
        .unwrap();
    let (status, _, body) = send(anonymous).await;
    assert_eq!((status, xml_code(&body)), (403, "AccessDenied"), "{body}");

    // A body that is not the signed one is refused before it is read as a question.
    let mut swapped = signed("POST", &s.url("/?arca-admin=simulate"), &[], question, Sign::default());
    *swapped.body_mut() =
        br#"{"principal":"anonymous","action":"s3:PutObject","resource":"arn:aws:s3:::b/k"}"#.to_vec();
    let (status, _, body) = send(swapped).await;
    assert_eq!((status, xml_code(&body)), (403, "SignatureDoesNotMatch"), "{body}");

    // An oversized question is refused, not buffered.
    let huge = format!(
        r#"{{"principal":"anonymous","action":"s3:GetObject","resource":"arn:aws:s3:::b/k","context":{{"k":"{}"}}}}"#,
        "x".repeat(100 * 1024)
    );
    let (status, _, body) = send(signed(
        "POST",
        &s.url("/?arca-admin=simulate"),
        &[],
        huge.as_bytes(),
        Sign::default(),
    ))
    .await;
    assert_eq!((status, xml_code(&body)), (400, "InvalidRequest"), "{body}");
    let (status, _, body) = send(signed(
        "POST",
        &s.url("/?arca-admin=simulate"),
        &[],
        question,
        Sign::default(),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
}
