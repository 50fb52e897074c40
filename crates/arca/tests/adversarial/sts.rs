//! STS AssumeRole and role sessions (`docs/access-control.md#roles-and-sts`): malformed
//! requests change nothing, a session's token is bound to its own key, and a session can do
//! nothing its role may not — not even through IAM or another AssumeRole.

use crate::harness::*;

fn encoded(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn query(
    s: &TestServer,
    service: &'static str,
    form: &str,
    extra: &[(&str, &str)],
    sign: Sign<'_>,
) -> http::Request<Vec<u8>> {
    signed("POST", &s.url("/"), extra, form.as_bytes(), Sign { service, ..sign })
}

const ASSUME: &str =
    "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Freader&RoleSessionName=s1";

#[tokio::test]
async fn sessions_are_bound_to_their_key_and_to_their_role() {
    let s = TestServer::start();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"sts:AssumeRole"}]}"#;
    let read = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    for form in [
        format!(
            "Action=CreateRole&RoleName=reader&AssumeRolePolicyDocument={}",
            encoded(trust)
        ),
        format!(
            "Action=PutRolePolicy&RoleName=reader&PolicyName=read&PolicyDocument={}",
            encoded(read)
        ),
        format!(
            "Action=CreateRole&RoleName=admin&AssumeRolePolicyDocument={}",
            encoded(&trust.replace("000000000000\"", "arn:aws:iam::000000000000:root\""))
        ),
    ] {
        let (st, _, body) = send(query(&s, "iam", &form, &[], Sign::default())).await;
        assert_eq!(st, 200, "{form}: {body}");
    }

    // Malformed AssumeRole requests.
    for (form, code) in [
        (format!("{ASSUME}&ExternalId=x"), "ValidationError"),
        (format!("{ASSUME}&Policy=%7B%7D"), "ValidationError"),
        (format!("{ASSUME}&DurationSeconds=899"), "ValidationError"),
        (format!("{ASSUME}&DurationSeconds=many"), "ValidationError"),
        (
            ASSUME.replace("RoleSessionName=s1", "RoleSessionName=a%2Fb"),
            "ValidationError",
        ),
        (
            ASSUME.replace("RoleSessionName=s1", "RoleSessionName=x"),
            "ValidationError",
        ),
        (ASSUME.replace("role%2Freader", "user%2Freader"), "ValidationError"),
        ("Action=GetSessionToken&Version=2011-06-15".to_string(), "InvalidAction"),
    ] {
        let (st, _, body) = send(query(&s, "sts", &form, &[], Sign::default())).await;
        assert!(st >= 400, "{form}: {body}");
        assert!(body.contains(&format!("<Code>{code}</Code>")), "{form}: {body}");
    }

    let (st, _, first) = send(query(&s, "sts", ASSUME, &[], Sign::default())).await;
    assert_eq!(st, 200, "{first}");
    let (_, _, second) = send(query(&s, "sts", ASSUME, &[], Sign::default())).await;
    let key = element(&first, "AccessKeyId").to_string();
    let secret = element(&first, "SecretAccessKey").to_string();
    let token = element(&first, "SessionToken").to_string();
    let as_session = || Sign {
        access: &key,
        secret: &secret,
        ..Default::default()
    };
    // Another session's token does not go with this key.
    let (st, _, body) = send(signed(
        "GET",
        &s.url("/"),
        &[("x-amz-security-token", element(&second, "SessionToken"))],
        b"",
        as_session(),
    ))
    .await;
    assert_eq!((st, xml_code(&body)), (400, "InvalidToken"), "{body}");
    let (st, _, body) = send(query(
        &s,
        "iam",
        "Action=ListUsers",
        &[("x-amz-security-token", element(&second, "SessionToken"))],
        as_session(),
    ))
    .await;
    assert_eq!(st, 403, "{body}");
    assert!(body.contains("<Code>InvalidClientTokenId</Code>"), "{body}");

    // With its own token the session may read, and nothing of IAM or of another role.
    for (service, form) in [
        ("iam", "Action=CreateUser&UserName=mallory".to_string()),
        (
            "iam",
            format!(
                "Action=PutRolePolicy&RoleName=reader&PolicyName=all&PolicyDocument={}",
                encoded(&read.replace("s3:GetObject", "*"))
            ),
        ),
        ("sts", ASSUME.replace("reader", "admin")),
    ] {
        let (st, _, body) = send(query(
            &s,
            service,
            &form,
            &[("x-amz-security-token", &token)],
            as_session(),
        ))
        .await;
        assert_eq!(st, 403, "{form}: {body}");
        assert!(body.contains("<Code>AccessDenied</Code>"), "{form}: {body}");
    }
    let (_, _, users) = send(query(&s, "iam", "Action=ListUsers", &[], Sign::default())).await;
    assert!(!users.contains("mallory"), "{users}");
    let (_, _, policies) = send(query(
        &s,
        "iam",
        "Action=ListRolePolicies&RoleName=reader",
        &[],
        Sign::default(),
    ))
    .await;
    assert!(!policies.contains("<member>all</member>"), "{policies}");
}
