//! ACLs (`docs/access-control.md#acls-and-object-ownership`): malformed or unresolvable ACLs
//! are refused with S3's errors and change nothing, and setting an ACL needs the right to set
//! it even on a write the requester may make.

use crate::harness::*;

const OWNER_ONLY: &str = "<Grant>";

type Headers<'a> = Vec<(&'a str, &'a str)>;

async fn object_acl(s: &TestServer) -> String {
    let (status, _, body) = send(signed("GET", &s.url("/open/k?acl"), &[], b"", Sign::default())).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn open_bucket(s: &TestServer) {
    let c = s.client();
    make_acl_bucket(s, "open").await;
    c.put_object()
        .bucket("open")
        .key("k")
        .body(b"v".to_vec().into())
        .send()
        .await
        .unwrap();
}

fn policy_body(owner: &str, grants: &str) -> Vec<u8> {
    format!(
        r#"<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>{owner}</ID></Owner><AccessControlList>{grants}</AccessControlList></AccessControlPolicy>"#
    )
    .into_bytes()
}

fn grant(grantee: &str, permission: &str) -> String {
    format!(
        r#"<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" {grantee}</Grantee><Permission>{permission}</Permission></Grant>"#
    )
}

#[tokio::test]
async fn malformed_and_unresolvable_acls_change_nothing() {
    let s = TestServer::start();
    open_bucket(&s).await;
    let before = object_acl(&s).await;
    assert_eq!(before.matches(OWNER_ONLY).count(), 1, "{before}");
    let owner = before
        .split("<ID>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let user = |id: &str| format!(r#"xsi:type="CanonicalUser"><ID>{id}</ID>"#);
    let email = r#"xsi:type="AmazonCustomerByEmail"><EmailAddress>a@example.com</EmailAddress>"#;
    let everyone = r#"xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>"#;
    let many: String = (0..101).map(|_| grant(everyone, "READ")).collect();
    let cases: Vec<(&str, Headers, Vec<u8>, u16, &str)> = vec![
        (
            "not XML",
            vec![],
            b"<AccessControlPolicy><Owner>".to_vec(),
            400,
            "MalformedXML",
        ),
        (
            "by email",
            vec![],
            policy_body(&owner, &grant(email, "READ")),
            400,
            "UnresolvableGrantByEmailAddress",
        ),
        (
            "unknown account",
            vec![],
            policy_body(&owner, &grant(&user(&"f".repeat(64)), "READ")),
            400,
            "InvalidArgument",
        ),
        (
            "bad permission",
            vec![],
            policy_body(&owner, &grant(everyone, "EVERYTHING")),
            400,
            "MalformedACLError",
        ),
        (
            "another owner",
            vec![],
            policy_body(&"e".repeat(64), &grant(everyone, "READ")),
            403,
            "AccessDenied",
        ),
        (
            "101 grants",
            vec![],
            policy_body(&owner, &many),
            400,
            "MalformedACLError",
        ),
        ("nothing", vec![], Vec::new(), 400, "MissingSecurityHeader"),
        (
            "canned and grant",
            vec![
                ("x-amz-acl", "public-read"),
                (
                    "x-amz-grant-read",
                    "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"",
                ),
            ],
            Vec::new(),
            400,
            "InvalidRequest",
        ),
        (
            "bad canned",
            vec![("x-amz-acl", "everyone-everything")],
            Vec::new(),
            400,
            "InvalidArgument",
        ),
        (
            "bad group",
            vec![("x-amz-grant-read", "uri=\"http://example.com/all\"")],
            Vec::new(),
            400,
            "InvalidArgument",
        ),
        (
            "unquoted junk",
            vec![("x-amz-grant-read", "everyone")],
            Vec::new(),
            400,
            "InvalidArgument",
        ),
    ];
    for (what, headers, body, status, code) in &cases {
        let (st, _, answer) = send(signed("PUT", &s.url("/open/k?acl"), headers, body, Sign::default())).await;
        assert_eq!((st, xml_code(&answer)), (*status, *code), "{what}: {answer}");
    }
    assert_eq!(
        object_acl(&s).await.matches(OWNER_ONLY).count(),
        1,
        "nothing was granted"
    );
    let (st, _, _) = send(http::Request::get(s.url("/open/k")).body(Vec::new()).unwrap()).await;
    assert_eq!(st, 403);
}

#[tokio::test]
async fn writing_an_acl_needs_the_right_to_set_it() {
    let s = TestServer::start();
    open_bucket(&s).await;
    let iam = |form: &str| {
        signed(
            "POST",
            &s.url("/"),
            &[],
            form.as_bytes(),
            Sign {
                service: "iam",
                ..Default::default()
            },
        )
    };
    assert_eq!(send(iam("Action=CreateUser&UserName=writer")).await.0, 200);
    let policy = "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3APutObject%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Aopen%2F*%22%7D%7D";
    let (st, _, body) = send(iam(&format!(
        "Action=PutUserPolicy&UserName=writer&PolicyName=put&PolicyDocument={policy}"
    )))
    .await;
    assert_eq!(st, 200, "{body}");
    let (_, _, key) = send(iam("Action=CreateAccessKey&UserName=writer")).await;
    let writer = Sign {
        access: element(&key, "AccessKeyId"),
        secret: element(&key, "SecretAccessKey"),
        ..Default::default()
    };
    let put = |key: &str, headers: &[(&str, &str)]| {
        signed("PUT", &s.url(&format!("/open/{key}")), headers, b"w", Sign { ..writer })
    };
    let (st, _, body) = send(put("public", &[("x-amz-acl", "public-read")])).await;
    assert_eq!((st, xml_code(&body)), (403, "AccessDenied"), "{body}");
    let (st, _, body) = send(put(
        "granted",
        &[(
            "x-amz-grant-read",
            "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"",
        )],
    ))
    .await;
    assert_eq!((st, xml_code(&body)), (403, "AccessDenied"), "{body}");
    let c = s.client();
    for key in ["public", "granted"] {
        assert!(
            c.head_object().bucket("open").key(key).send().await.is_err(),
            "{key} was stored"
        );
    }
    let (st, _, body) = send(signed(
        "PUT",
        &s.url("/open/k?acl"),
        &[("x-amz-acl", "public-read")],
        b"",
        Sign { ..writer },
    ))
    .await;
    assert_eq!((st, xml_code(&body)), (403, "AccessDenied"), "{body}");
    // Without an ACL the write is the user's to make.
    let (st, _, body) = send(put("plain", &[])).await;
    assert_eq!(st, 200, "{body}");
}
