//! The IAM query API (`POST /` signed for `iam`, `docs/access-control.md`): only a valid
//! signature reaches it, what is signed is what is done, an IAM user without `iam:*` rights
//! changes nothing, and its body is bounded before its hash is checked.

use crate::harness::*;

fn iam_signed(s: &TestServer, form: &str, sign: Sign<'_>) -> http::Request<Vec<u8>> {
    signed(
        "POST",
        &s.url("/"),
        &[],
        form.as_bytes(),
        Sign { service: "iam", ..sign },
    )
}

async fn users(s: &TestServer) -> String {
    let (status, _, body) = send(iam_signed(s, "Action=ListUsers", Sign::default())).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn iam_requests_need_a_valid_signature_over_their_body() {
    let s = TestServer::start();
    let stranger = Sign {
        access: "AKIDNOSUCHKEY0000001",
        secret: "not-the-secret",
        ..Default::default()
    };
    let (status, _, body) = send(iam_signed(&s, "Action=CreateUser&UserName=eve", stranger)).await;
    assert_eq!((status, xml_code(&body)), (403, "InvalidAccessKeyId"), "{body}");
    let wrong_secret = Sign {
        secret: "not-the-secret",
        ..Default::default()
    };
    let (status, _, body) = send(iam_signed(&s, "Action=CreateUser&UserName=eve", wrong_secret)).await;
    assert_eq!((status, xml_code(&body)), (403, "SignatureDoesNotMatch"), "{body}");

    // A body changed after signing (another user name) is refused.
    let mut swapped = iam_signed(&s, "Action=CreateUser&UserName=bob", Sign::default());
    *swapped.body_mut() = b"Action=CreateUser&UserName=eve".to_vec();
    let (status, _, body) = send(swapped).await;
    assert_eq!((status, xml_code(&body)), (403, "SignatureDoesNotMatch"), "{body}");

    // Unsigned, it is not an IAM request at all, and creates nothing.
    let anonymous = http::Request::builder()
        .method("POST")
        .uri(s.url("/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"Action=CreateUser&UserName=eve".to_vec())
        .unwrap();
    let (status, _, _) = send(anonymous).await;
    assert!(status >= 400);
    assert!(!users(&s).await.contains("eve"), "no user was created");

    // A body beyond the bound is refused before its hash is computed.
    let huge = format!("Action=CreateUser&UserName=eve&Pad={}", "x".repeat(70 * 1024));
    let (status, _, _) = send(iam_signed(&s, &huge, Sign::default())).await;
    assert_eq!(status, 400);
    assert!(!users(&s).await.contains("eve"));
}

#[tokio::test]
async fn an_iam_user_without_iam_rights_changes_no_identity() {
    let s = TestServer::start();
    let (_, _, _) = send(iam_signed(&s, "Action=CreateUser&UserName=mallory", Sign::default())).await;
    let (status, _, created) = send(iam_signed(
        &s,
        "Action=CreateAccessKey&UserName=mallory",
        Sign::default(),
    ))
    .await;
    assert_eq!(status, 200, "{created}");
    let field = |name: &str| {
        let start = created.find(&format!("<{name}>")).unwrap() + name.len() + 2;
        created[start..].split('<').next().unwrap().to_string()
    };
    let (id, secret) = (field("AccessKeyId"), field("SecretAccessKey"));
    let mallory = Sign {
        access: &id,
        secret: &secret,
        ..Default::default()
    };
    for form in [
        "Action=CreateUser&UserName=eve",
        "Action=CreateAccessKey&UserName=mallory",
        "Action=PutUserPolicy&UserName=mallory&PolicyName=all&PolicyDocument=%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%7D",
        // Nor through a group or a managed policy.
        "Action=CreateGroup&GroupName=admins",
        "Action=AddUserToGroup&GroupName=admins&UserName=mallory",
        "Action=CreatePolicy&PolicyName=all&PolicyDocument=%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%7D",
        "Action=AttachUserPolicy&UserName=mallory&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Fall",
    ] {
        let (status, _, body) = send(iam_signed(
            &s,
            form,
            Sign {
                access: mallory.access,
                secret: mallory.secret,
                ..Default::default()
            },
        ))
        .await;
        assert_eq!(status, 403, "{form}: {body}");
        assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    }
    let listed = users(&s).await;
    assert!(!listed.contains("eve"));
    let (_, _, policies) = send(iam_signed(
        &s,
        "Action=ListUserPolicies&UserName=mallory",
        Sign::default(),
    ))
    .await;
    assert!(
        !policies.contains("<member>"),
        "mallory gave themselves no policy: {policies}"
    );
}

#[tokio::test]
async fn malformed_group_and_policy_requests_are_refused_and_change_nothing() {
    let s = TestServer::start();
    let doc = "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22*%22%7D%7D";
    let (status, _, body) = send(iam_signed(
        &s,
        &format!("Action=CreatePolicy&PolicyName=p&PolicyDocument={doc}"),
        Sign::default(),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    for (form, status, code) in [
        ("Action=CreateGroup&GroupName=a%2Fb", 400, "ValidationError"),
        ("Action=CreateGroup&GroupName=", 400, "ValidationError"),
        ("Action=GetPolicy&PolicyArn=not-an-arn", 400, "InvalidInput"),
        (
            "Action=GetPolicy&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Auser%2Fp",
            400,
            "InvalidInput",
        ),
        (
            "Action=GetPolicyVersion&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Fp&VersionId=v0",
            400,
            "ValidationError",
        ),
        (
            "Action=GetPolicyVersion&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Fp&VersionId=..%2F..%2Fetc",
            400,
            "ValidationError",
        ),
        (
            "Action=CreatePolicyVersion&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Fp&PolicyDocument=%7B&SetAsDefault=true",
            400,
            "MalformedPolicyDocument",
        ),
        (
            "Action=CreatePolicyVersion&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Fp&PolicyDocument=%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22*%22%7D%7D&SetAsDefault=maybe",
            400,
            "ValidationError",
        ),
        ("Action=ListPolicies&Scope=Everything", 400, "ValidationError"),
        ("Action=ListPolicies&MaxItems=1", 400, "ValidationError"),
        (
            "Action=AddUserToGroup&GroupName=nobody&UserName=nobody",
            404,
            "NoSuchEntity",
        ),
    ] {
        let (got, _, body) = send(iam_signed(&s, form, Sign::default())).await;
        assert_eq!((got, xml_code(&body)), (status, code), "{form}: {body}");
    }
    let (_, _, versions) = send(iam_signed(
        &s,
        "Action=ListPolicyVersions&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Fp",
        Sign::default(),
    ))
    .await;
    assert_eq!(versions.matches("<member>").count(), 1, "{versions}");
    let (_, _, groups) = send(iam_signed(&s, "Action=ListGroups", Sign::default())).await;
    assert!(!groups.contains("<member>"), "{groups}");
}

#[tokio::test]
async fn sts_answers_only_a_valid_signature_and_only_the_actions_it_has() {
    let s = TestServer::start();
    let sts = |form: &str, sign: Sign<'_>| {
        signed(
            "POST",
            &s.url("/"),
            &[],
            form.as_bytes(),
            Sign { service: "sts", ..sign },
        )
    };
    let (status, headers, body) = send(sts("Action=GetCallerIdentity&Version=2011-06-15", Sign::default())).await;
    assert_eq!(status, 200, "{body}");
    let id = headers["x-amz-request-id"].to_str().unwrap();
    assert!(
        body.contains(&format!("<RequestId>{id}</RequestId>")),
        "one id, header and body: {body}"
    );
    assert!(body.contains("<Arn>arn:aws:iam::000000000000:root</Arn>"), "{body}");
    assert!(body.contains("https://sts.amazonaws.com/doc/2011-06-15/"), "{body}");

    let wrong_secret = Sign {
        secret: "not-the-secret",
        ..Default::default()
    };
    let (status, _, body) = send(sts("Action=GetCallerIdentity", wrong_secret)).await;
    assert_eq!((status, xml_code(&body)), (403, "SignatureDoesNotMatch"), "{body}");
    for (form, code) in [
        ("Action=GetSessionToken", "InvalidAction"),
        ("Action=GetFederationToken&Name=x", "InvalidAction"),
        ("Action=GetCallerIdentity&DurationSeconds=900", "ValidationError"),
    ] {
        let (status, _, body) = send(sts(form, Sign::default())).await;
        assert_eq!((status, xml_code(&body)), (400, code), "{form}: {body}");
    }
    // An STS signature is no S3 signature.
    let (status, _, body) = send(signed(
        "GET",
        &s.url("/"),
        &[],
        b"",
        Sign {
            service: "sts",
            ..Default::default()
        },
    ))
    .await;
    assert_eq!((status, xml_code(&body)), (403, "AccessDenied"), "{body}");
}
