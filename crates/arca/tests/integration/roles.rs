//! IAM roles and STS AssumeRole: who the trust policy lets in gets temporary credentials
//! with the role's permissions, which S3 accepts (with their session token) until they expire.

use aws_sdk_s3::Client;

use crate::harness::*;

/// One IAM or STS query request signed with `sign`: the status and body.
async fn query(s: &TestServer, sign: Sign<'_>, form: &str) -> (u16, String) {
    let (status, _, body) = send(signed("POST", &s.url("/"), &[], form.as_bytes(), sign)).await;
    (status, body)
}

fn encoded(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn root(service: &'static str) -> Sign<'static> {
    Sign {
        service,
        ..Default::default()
    }
}

/// A session's credentials, from an AssumeRole answer.
struct SessionKeys {
    access: String,
    secret: String,
    token: String,
}

impl SessionKeys {
    fn of(answer: &str) -> Self {
        SessionKeys {
            access: element(answer, "AccessKeyId").to_string(),
            secret: element(answer, "SecretAccessKey").to_string(),
            token: element(answer, "SessionToken").to_string(),
        }
    }

    fn client(&self, s: &TestServer) -> Client {
        client_with_session(&s.endpoint, &self.access, &self.secret, &self.token)
    }
}

/// A user of the first account with a key: its key pair.
async fn user(s: &TestServer, name: &str, policy: Option<&str>) -> (String, String) {
    assert_eq!(
        query(s, root("iam"), &format!("Action=CreateUser&UserName={name}"))
            .await
            .0,
        200
    );
    if let Some(p) = policy {
        let form = format!(
            "Action=PutUserPolicy&UserName={name}&PolicyName=p&PolicyDocument={}",
            encoded(p)
        );
        assert_eq!(query(s, root("iam"), &form).await.0, 200);
    }
    let (_, key) = query(s, root("iam"), &format!("Action=CreateAccessKey&UserName={name}")).await;
    (
        element(&key, "AccessKeyId").to_string(),
        element(&key, "SecretAccessKey").to_string(),
    )
}

const READS_DOCS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs/*"}]}"#;

#[tokio::test]
async fn an_assumed_role_reads_what_the_role_may_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let s = TestServer::start_on(&tmp.path().join("data"), &["--sts-min-session-seconds", "1"]);
    let c = s.client();
    make_bucket(&c, "docs").await;
    c.put_object()
        .bucket("docs")
        .key("guide")
        .body(b"guide".to_vec().into())
        .send()
        .await
        .unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/dev"},"Action":"sts:AssumeRole"}]}"#;
    let form = format!(
        "Action=CreateRole&RoleName=reader&AssumeRolePolicyDocument={}&MaxSessionDuration=7200",
        encoded(trust)
    );
    let (st, created) = query(&s, root("iam"), &form).await;
    assert_eq!(st, 200, "{created}");
    assert_eq!(element(&created, "Arn"), "arn:aws:iam::000000000000:role/reader");
    let form = format!(
        "Action=PutRolePolicy&RoleName=reader&PolicyName=read&PolicyDocument={}",
        encoded(READS_DOCS)
    );
    assert_eq!(query(&s, root("iam"), &form).await.0, 200);
    let (dev_key, dev_secret) = user(&s, "dev", None).await;
    let (eve_key, eve_secret) = user(&s, "eve", None).await;
    let as_ = |key: &'static str, secret: &'static str| Sign {
        access: key,
        secret,
        service: "sts",
        ..Default::default()
    };
    let dev: (&'static str, &'static str) = (dev_key.leak(), dev_secret.leak());
    let eve: (&'static str, &'static str) = (eve_key.leak(), eve_secret.leak());
    let assume = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Freader&RoleSessionName=build-42";

    // The trust policy names dev, not eve.
    let (st, body) = query(&s, as_(eve.0, eve.1), assume).await;
    assert_eq!((st, element(&body, "Code")), (403, "AccessDenied"), "{body}");
    let (st, answer) = query(&s, as_(dev.0, dev.1), assume).await;
    assert_eq!(st, 200, "{answer}");
    assert_eq!(
        element(&answer, "Arn"),
        "arn:aws:sts::000000000000:assumed-role/reader/build-42"
    );
    let keys = SessionKeys::of(&answer);
    assert!(keys.access.starts_with("ASIA"));
    let session = keys.client(&s);
    assert_eq!(get_bytes(&session, "docs", "guide").await, b"guide");
    let e = session
        .put_object()
        .bucket("docs")
        .key("guide")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied", "only what the role may");
    let e = session.list_buckets().send().await.unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    // STS knows who the session is.
    let whoami = Sign {
        access: &keys.access,
        secret: &keys.secret,
        service: "sts",
        ..Default::default()
    };
    let (st, _, who) = send(signed(
        "POST",
        &s.url("/"),
        &[("x-amz-security-token", &keys.token)],
        b"Action=GetCallerIdentity&Version=2011-06-15",
        whoami,
    ))
    .await;
    assert_eq!(st, 200, "{who}");
    assert_eq!(
        element(&who, "Arn"),
        "arn:aws:sts::000000000000:assumed-role/reader/build-42"
    );

    // The administrator can ask what the role may, before anyone assumes it.
    for (action, decision) in [("s3:GetObject", "allowed"), ("s3:PutObject", "denied")] {
        let question = serde_json::json!({
            "principal": "arn:aws:iam::000000000000:role/reader",
            "action": action,
            "resource": "arn:aws:s3:::docs/guide",
        });
        let (st, _, answer) = send(signed(
            "POST",
            &s.url("/?arca-admin=simulate"),
            &[],
            question.to_string().as_bytes(),
            Sign::default(),
        ))
        .await;
        assert_eq!(st, 200, "{answer}");
        let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["decision"], decision, "{action}: {answer}");
    }

    // The token is part of the credentials: without it, or changed, nothing is allowed.
    let e = client_with(&s.endpoint, &keys.access, &keys.secret)
        .get_object()
        .bucket("docs")
        .key("guide")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidToken");
    let mut tampered = keys.token.clone();
    tampered.replace_range(10..11, if &tampered[10..11] == "A" { "B" } else { "A" });
    let e = client_with_session(&s.endpoint, &keys.access, &keys.secret, &tampered)
        .get_object()
        .bucket("docs")
        .key("guide")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidToken");

    // The role's policies are read afresh: removing them takes the session's rights away.
    let form = "Action=DeleteRolePolicy&RoleName=reader&PolicyName=read";
    assert_eq!(query(&s, root("iam"), form).await.0, 200);
    let e = session
        .get_object()
        .bucket("docs")
        .key("guide")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    let form = format!(
        "Action=PutRolePolicy&RoleName=reader&PolicyName=read&PolicyDocument={}",
        encoded(READS_DOCS)
    );
    assert_eq!(query(&s, root("iam"), &form).await.0, 200);

    // A short session expires: then its credentials are refused as expired.
    let (st, answer) = query(&s, as_(dev.0, dev.1), &format!("{assume}&DurationSeconds=2")).await;
    assert_eq!(st, 200, "{answer}");
    let short = SessionKeys::of(&answer).client(&s);
    assert_eq!(get_bytes(&short, "docs", "guide").await, b"guide");
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let e = short.get_object().bucket("docs").key("guide").send().await.unwrap_err();
    assert_eq!((code(&e), status(&e)), ("ExpiredToken".to_string(), 400));
    // Longer than the role allows is refused.
    let (st, body) = query(&s, as_(dev.0, dev.1), &format!("{assume}&DurationSeconds=7201")).await;
    assert_eq!((st, element(&body, "Code")), (400, "ValidationError"), "{body}");
}

#[tokio::test]
async fn a_role_trusting_an_account_needs_the_callers_own_permission() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "docs").await;
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"sts:AssumeRole"}]}"#;
    let form = format!(
        "Action=CreateRole&RoleName=ops&AssumeRolePolicyDocument={}",
        encoded(trust)
    );
    assert_eq!(query(&s, root("iam"), &form).await.0, 200);
    let may_assume = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::000000000000:role/ops"}]}"#;
    let (with_key, with_secret) = user(&s, "with", Some(may_assume)).await;
    let (without_key, without_secret) = user(&s, "without", None).await;
    let assume = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fops&RoleSessionName=s1";
    let sign = |key: &str, secret: &str| {
        signed(
            "POST",
            &s.url("/"),
            &[],
            assume.as_bytes(),
            Sign {
                access: key,
                secret,
                service: "sts",
                ..Default::default()
            },
        )
    };
    let (st, _, body) = send(sign(&with_key, &with_secret)).await;
    assert_eq!(st, 200, "{body}");
    let (st, _, body) = send(sign(&without_key, &without_secret)).await;
    assert_eq!(
        st, 403,
        "the account is trusted; the user's own policies must allow it: {body}"
    );
    // The account's root user may, as its own account allows it everything.
    let (st, _, body) = send(signed("POST", &s.url("/"), &[], assume.as_bytes(), root("sts"))).await;
    assert_eq!(st, 200, "{body}");
    // Malformed trust policies and unknown roles are refused.
    let bad = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}]}"#;
    let form = format!(
        "Action=UpdateAssumeRolePolicy&RoleName=ops&PolicyDocument={}",
        encoded(bad)
    );
    let (st, body) = query(&s, root("iam"), &form).await;
    assert_eq!((st, element(&body, "Code")), (400, "MalformedPolicyDocument"), "{body}");
    let (st, body) = query(
        &s,
        root("sts"),
        "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fnone&RoleSessionName=s1",
    )
    .await;
    assert_eq!((st, element(&body, "Code")), (403, "AccessDenied"), "{body}");
    // A role goes once its policies are gone.
    let (st, body) = query(&s, root("iam"), "Action=DeleteRole&RoleName=ops").await;
    assert_eq!(st, 200, "{body}");
}
