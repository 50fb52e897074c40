//! Accounts: the operator adds them, each owns its buckets and its IAM, and a principal of
//! one account reaches another's bucket only when both sides allow it.

use aws_sdk_s3::Client;

use crate::harness::*;

/// An account's root user's key pair, from `POST ?arca-admin=create-account`.
struct AccountKeys {
    id: String,
    access: String,
    secret: String,
}

impl AccountKeys {
    fn sign(&self, service: &'static str) -> Sign<'_> {
        Sign {
            access: &self.access,
            secret: &self.secret,
            service,
            ..Default::default()
        }
    }
}

async fn add_account(s: &TestServer, name: &str) -> AccountKeys {
    let v = create_account(s, name).await;
    AccountKeys {
        id: v["account"]["id"].as_str().unwrap().to_string(),
        access: v["access_key_id"].as_str().unwrap().to_string(),
        secret: v["secret_access_key"].as_str().unwrap().to_string(),
    }
}

/// One IAM (or STS) query request signed with `sign`: the status and body.
async fn query(s: &TestServer, sign: Sign<'_>, form: &str) -> (u16, String) {
    let (status, _, body) = send(signed("POST", &s.url("/"), &[], form.as_bytes(), sign)).await;
    (status, body)
}

fn encoded(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A user of the account `sign` signs for, with `policy` (if any) and a key: its client.
async fn user_with_policy(
    s: &TestServer,
    sign: impl Fn() -> Sign<'static>,
    name: &str,
    policy: Option<&str>,
) -> Client {
    let (st, body) = query(s, sign(), &format!("Action=CreateUser&UserName={name}")).await;
    assert_eq!(st, 200, "{body}");
    if let Some(policy) = policy {
        let form = format!(
            "Action=PutUserPolicy&UserName={name}&PolicyName=p&PolicyDocument={}",
            encoded(policy)
        );
        let (st, body) = query(s, sign(), &form).await;
        assert_eq!(st, 200, "{body}");
    }
    let (st, key) = query(s, sign(), &format!("Action=CreateAccessKey&UserName={name}")).await;
    assert_eq!(st, 200, "{key}");
    client_with(
        &s.endpoint,
        element(&key, "AccessKeyId"),
        element(&key, "SecretAccessKey"),
    )
}

fn leak<T: ?Sized>(v: Box<T>) -> &'static T {
    Box::leak(v)
}

#[tokio::test]
async fn two_accounts_see_nothing_of_each_other() {
    let s = TestServer::start();
    let operator = s.client();
    make_bucket(&operator, "ops").await;
    operator
        .put_object()
        .bucket("ops")
        .key("k")
        .body(b"ops".to_vec().into())
        .send()
        .await
        .unwrap();

    let team = add_account(&s, "team").await;
    assert_eq!(team.id.len(), 12);
    assert_ne!(team.id, "000000000000");
    let tc = client_with(&s.endpoint, &team.access, &team.secret);
    make_bucket(&tc, "team-data").await;
    tc.put_object()
        .bucket("team-data")
        .key("k")
        .body(b"team".to_vec().into())
        .send()
        .await
        .unwrap();

    // Each lists its own buckets, as their owner.
    let listed = tc.list_buckets().send().await.unwrap();
    let names: Vec<&str> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["team-data"]);
    assert_eq!(listed.owner().and_then(|o| o.display_name()), Some("team"));
    let names: Vec<String> = operator
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_string))
        .collect();
    assert_eq!(names, ["ops"]);

    // Neither reads, writes or lists the other's.
    for (client, bucket) in [(&operator, "team-data"), (&tc, "ops")] {
        let e = client.get_object().bucket(bucket).key("k").send().await.unwrap_err();
        assert_eq!(code(&e), "AccessDenied");
        let e = client
            .put_object()
            .bucket(bucket)
            .key("k")
            .body(b"x".to_vec().into())
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "AccessDenied");
        let e = client.list_objects_v2().bucket(bucket).send().await.unwrap_err();
        assert_eq!(code(&e), "AccessDenied");
        let e = client.delete_bucket().bucket(bucket).send().await.unwrap_err();
        assert_eq!(code(&e), "AccessDenied");
    }
    assert_eq!(get_bytes(&operator, "ops", "k").await, b"ops");
    assert_eq!(get_bytes(&tc, "team-data", "k").await, b"team");
    // A bucket name is global: taking another account's is BucketAlreadyExists.
    let e = tc.create_bucket().bucket("ops").send().await.unwrap_err();
    assert_eq!((code(&e), status(&e)), ("BucketAlreadyExists".to_string(), 409));
    // x-amz-expected-bucket-owner names the owning account.
    tc.head_bucket()
        .bucket("team-data")
        .expected_bucket_owner(&team.id)
        .send()
        .await
        .unwrap();
    let e = tc
        .head_bucket()
        .bucket("team-data")
        .expected_bucket_owner("000000000000")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&e), 403);

    // Each account's IAM is its own.
    let team_sign = || team.sign("iam");
    let (st, body) = query(&s, team_sign(), "Action=CreateUser&UserName=alice").await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains(&format!("arn:aws:iam::{}:user/alice", team.id)), "{body}");
    let (_, listed) = query(
        &s,
        Sign {
            service: "iam",
            ..Default::default()
        },
        "Action=ListUsers",
    )
    .await;
    assert!(!listed.contains("alice"), "{listed}");
    let (st, _) = query(
        &s,
        Sign {
            service: "iam",
            ..Default::default()
        },
        "Action=CreateUser&UserName=alice",
    )
    .await;
    assert_eq!(st, 200, "the same name in another account is another user");
    let (st, who) = query(&s, team.sign("sts"), "Action=GetCallerIdentity&Version=2011-06-15").await;
    assert_eq!(st, 200, "{who}");
    assert_eq!(element(&who, "Account"), team.id);
    assert_eq!(element(&who, "Arn"), format!("arn:aws:iam::{}:root", team.id));
    // The account's root manages its own keys: a second one, then the first deactivated.
    let (st, second) = query(&s, team_sign(), "Action=CreateAccessKey").await;
    assert_eq!(st, 200, "{second}");
    let (_, keys) = query(&s, team_sign(), "Action=ListAccessKeys").await;
    assert!(
        keys.contains(&team.access) && keys.contains(element(&second, "AccessKeyId")),
        "{keys}"
    );
    let second_client = client_with(
        &s.endpoint,
        element(&second, "AccessKeyId"),
        element(&second, "SecretAccessKey"),
    );
    let form = format!("Action=UpdateAccessKey&AccessKeyId={}&Status=Inactive", team.access);
    let second_sign = Sign {
        access: element(&second, "AccessKeyId"),
        secret: element(&second, "SecretAccessKey"),
        service: "iam",
        ..Default::default()
    };
    assert_eq!(query(&s, second_sign, &form).await.0, 200);
    let e = tc.list_buckets().send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidAccessKeyId");
    assert_eq!(get_bytes(&second_client, "team-data", "k").await, b"team");

    // Only the operator manages accounts.
    let second_s3 = Sign {
        access: element(&second, "AccessKeyId"),
        secret: element(&second, "SecretAccessKey"),
        ..Default::default()
    };
    let (st, _, _) = send(signed("GET", &s.url("/?arca-admin=accounts"), &[], b"", second_s3)).await;
    assert_eq!(st, 403);
    let (st, _, listed) = send(signed(
        "GET",
        &s.url("/?arca-admin=accounts"),
        &[],
        b"",
        Sign::default(),
    ))
    .await;
    assert_eq!(st, 200);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["000000000000", team.id.as_str()]);
    // A second account of the same name is refused; an account that still owns a bucket or
    // has users stays.
    let (st, _, _) = send(signed(
        "POST",
        &s.url("/?arca-admin=create-account"),
        &[],
        br#"{"name":"team"}"#,
        Sign::default(),
    ))
    .await;
    assert_eq!(st, 400);
    let delete = format!("/?arca-admin=delete-account&id={}", team.id);
    let (st, _, body) = send(signed("POST", &s.url(&delete), &[], b"", Sign::default())).await;
    assert_eq!(st, 400, "{body}");
    second_client
        .delete_object()
        .bucket("team-data")
        .key("k")
        .send()
        .await
        .unwrap();
    second_client.delete_bucket().bucket("team-data").send().await.unwrap();
    let second_iam = || Sign {
        access: leak(element(&second, "AccessKeyId").to_string().into_boxed_str()),
        secret: leak(element(&second, "SecretAccessKey").to_string().into_boxed_str()),
        service: "iam",
        ..Default::default()
    };
    assert_eq!(query(&s, second_iam(), "Action=DeleteUser&UserName=alice").await.0, 200);
    let (st, _, body) = send(signed("POST", &s.url(&delete), &[], b"", Sign::default())).await;
    assert_eq!(st, 200, "{body}");
    let e = second_client.list_buckets().send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidAccessKeyId", "its keys went with it");
}

#[tokio::test]
async fn cross_account_access_needs_both_sides_to_allow() {
    let s = TestServer::start();
    let operator = s.client();
    make_bucket(&operator, "shared").await;
    operator
        .put_object()
        .bucket("shared")
        .key("doc")
        .body(b"doc".to_vec().into())
        .send()
        .await
        .unwrap();
    let team = add_account(&s, "team").await;
    let team_root = client_with(&s.endpoint, &team.access, &team.secret);
    let access: &'static str = leak(team.access.clone().into_boxed_str());
    let secret: &'static str = leak(team.secret.clone().into_boxed_str());
    let team_iam = move || Sign {
        access,
        secret,
        service: "iam",
        ..Default::default()
    };
    let reads_shared = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}"#;
    let carol = user_with_policy(&s, team_iam, "carol", Some(reads_shared)).await;
    let dave = user_with_policy(&s, team_iam, "dave", None).await;

    // The user's own account allows it; the bucket's does not (no policy).
    let e = carol.get_object().bucket("shared").key("doc").send().await.unwrap_err();
    assert_eq!(code(&e), "AccessDenied");

    // The bucket policy trusts the team account: its root, and its users whose own policies
    // allow it, get in.
    let trusts_team = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow",
        "Principal":{{"AWS":"arn:aws:iam::{}:root"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}}]}}"#,
        team.id
    );
    operator
        .put_bucket_policy()
        .bucket("shared")
        .policy(&trusts_team)
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&carol, "shared", "doc").await, b"doc");
    assert_eq!(get_bytes(&team_root, "shared", "doc").await, b"doc");
    let e = dave.get_object().bucket("shared").key("doc").send().await.unwrap_err();
    assert_eq!(code(&e), "AccessDenied", "the user's own account must allow it too");
    // Only what the policy grants: no writes, no listing.
    let e = team_root
        .put_object()
        .bucket("shared")
        .key("doc")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    let e = carol.list_objects_v2().bucket("shared").send().await.unwrap_err();
    assert_eq!(code(&e), "AccessDenied");

    // An explicit Deny on the user's side wins.
    let denies = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"},
        {"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/doc"}]}"#;
    let form = format!(
        "Action=PutUserPolicy&UserName=carol&PolicyName=p&PolicyDocument={}",
        encoded(denies)
    );
    assert_eq!(query(&s, team_iam(), &form).await.0, 200);
    let e = carol.get_object().bucket("shared").key("doc").send().await.unwrap_err();
    assert_eq!(code(&e), "AccessDenied");

    // A public policy reaches other accounts only while Block Public Access lets it.
    let public = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}"#;
    let restrict_only = aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(false)
        .restrict_public_buckets(true)
        .build();
    operator
        .put_public_access_block()
        .bucket("shared")
        .public_access_block_configuration(restrict_only)
        .send()
        .await
        .unwrap();
    operator
        .put_bucket_policy()
        .bucket("shared")
        .policy(public)
        .send()
        .await
        .unwrap();
    let e = team_root
        .get_object()
        .bucket("shared")
        .key("doc")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&e),
        "AccessDenied",
        "RestrictPublicBuckets keeps other accounts out"
    );
    operator
        .delete_public_access_block()
        .bucket("shared")
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&team_root, "shared", "doc").await, b"doc");
    // The owner's own root is never a stranger to its bucket.
    assert_eq!(get_bytes(&operator, "shared", "doc").await, b"doc");
}

/// One S3 Control request on an account's Block Public Access.
async fn account_blocks(s: &TestServer, method: &str, account: &str, body: &[u8], sign: Sign<'_>) -> (u16, String) {
    let (status, _, answer) = send(signed(
        method,
        &s.url("/v20180820/configuration/publicAccessBlock"),
        &[("x-amz-account-id", account)],
        body,
        sign,
    ))
    .await;
    (status, answer)
}

fn blocks_xml(acls: bool, policy: bool, restrict: bool) -> Vec<u8> {
    format!(
        r#"<PublicAccessBlockConfiguration xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><BlockPublicAcls>{acls}</BlockPublicAcls><IgnorePublicAcls>{acls}</IgnorePublicAcls><BlockPublicPolicy>{policy}</BlockPublicPolicy><RestrictPublicBuckets>{restrict}</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#
    )
    .into_bytes()
}

#[tokio::test]
async fn an_accounts_block_public_access_covers_every_bucket_it_owns() {
    let s = TestServer::start();
    let c = s.client();
    let public = |bucket: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
        )
    };
    for bucket in ["site", "later"] {
        make_bucket(&c, bucket).await;
        c.delete_public_access_block().bucket(bucket).send().await.unwrap();
    }
    c.put_bucket_policy()
        .bucket("site")
        .policy(public("site"))
        .send()
        .await
        .unwrap();
    c.put_object()
        .bucket("site")
        .key("index.html")
        .body(b"hi".to_vec().into())
        .send()
        .await
        .unwrap();
    let anonymous = || async {
        let (st, _, _) = send(http::Request::get(s.url("/site/index.html")).body(Vec::new()).unwrap()).await;
        st
    };
    assert_eq!(anonymous().await, 200);
    let (st, body) = account_blocks(&s, "GET", "000000000000", b"", Sign::default()).await;
    assert_eq!(
        (st, xml_code(&body)),
        (404, "NoSuchPublicAccessBlockConfiguration"),
        "{body}"
    );

    // The account restricts public buckets and blocks public policies: every bucket of it.
    let (st, body) = account_blocks(
        &s,
        "PUT",
        "000000000000",
        &blocks_xml(false, true, true),
        Sign::default(),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(anonymous().await, 403);
    let e = c
        .put_bucket_policy()
        .bucket("later")
        .policy(public("later"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    let (st, body) = account_blocks(&s, "GET", "000000000000", b"", Sign::default()).await;
    assert_eq!(st, 200, "{body}");
    assert!(
        body.contains("<BlockPublicPolicy>true</BlockPublicPolicy>")
            && body.contains("<BlockPublicAcls>false</BlockPublicAcls>"),
        "{body}"
    );

    // Another account neither reads nor changes it; its own is its own.
    let created = create_account(&s, "team").await;
    let team_id = created["account"]["id"].as_str().unwrap();
    let team = Sign {
        access: created["access_key_id"].as_str().unwrap(),
        secret: created["secret_access_key"].as_str().unwrap(),
        ..Default::default()
    };
    for method in ["GET", "DELETE"] {
        let (st, _) = account_blocks(&s, method, "000000000000", b"", Sign { ..team }).await;
        assert_eq!(st, 403, "{method}");
    }
    let (st, _) = account_blocks(
        &s,
        "PUT",
        "000000000000",
        &blocks_xml(false, false, false),
        Sign { ..team },
    )
    .await;
    assert_eq!(st, 403);
    let (st, _) = account_blocks(&s, "GET", team_id, b"", Sign { ..team }).await;
    assert_eq!(st, 404);
    let (st, body) = account_blocks(
        &s,
        "PUT",
        "000000000000",
        b"<PublicAccessBlockConfiguration>",
        Sign::default(),
    )
    .await;
    assert_eq!((st, xml_code(&body)), (400, "MalformedXML"), "{body}");
    assert_eq!(anonymous().await, 403, "nothing changed");

    // Deleting it lifts the account's blocks; the buckets' own stay as they are.
    let (st, body) = account_blocks(&s, "DELETE", "000000000000", b"", Sign::default()).await;
    assert_eq!(st, 204, "{body}");
    assert_eq!(anonymous().await, 200);
    c.put_bucket_policy()
        .bucket("later")
        .policy(public("later"))
        .send()
        .await
        .unwrap();
    // Without the account header, the same path is an object of a bucket so named.
    make_bucket(&c, "v20180820").await;
    c.put_object()
        .bucket("v20180820")
        .key("configuration/publicAccessBlock")
        .body(b"an object".to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(
        get_bytes(&c, "v20180820", "configuration/publicAccessBlock").await,
        b"an object"
    );
}

#[tokio::test]
async fn a_user_signs_in_with_a_password_for_a_session_of_their_own_rights() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "docs").await;
    c.put_object()
        .bucket("docs")
        .key("guide")
        .body(b"guide".to_vec().into())
        .send()
        .await
        .unwrap();
    let iam = |form: String| {
        let s = &s;
        async move {
            let sign = Sign {
                service: "iam",
                ..Default::default()
            };
            let (st, _, body) = send(signed("POST", &s.url("/"), &[], form.as_bytes(), sign)).await;
            (st, body)
        }
    };
    let read = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs/*"}]}"#;
    assert_eq!(iam("Action=CreateUser&UserName=ana".into()).await.0, 200);
    let form = format!(
        "Action=PutUserPolicy&UserName=ana&PolicyName=read&PolicyDocument={}",
        encoded(read)
    );
    assert_eq!(iam(form).await.0, 200);
    // The password policy: length and variety.
    let (st, body) = iam("Action=CreateLoginProfile&UserName=ana&Password=short".into()).await;
    assert_eq!((st, element(&body, "Code")), (400, "PasswordPolicyViolation"), "{body}");
    let (st, body) = iam("Action=CreateLoginProfile&UserName=ana&Password=Correct-Horse-9".into()).await;
    assert_eq!(st, 200, "{body}");
    assert!(!body.contains("Correct-Horse-9"), "{body}");
    let (st, _) = iam("Action=CreateLoginProfile&UserName=ana&Password=Correct-Horse-9".into()).await;
    assert_eq!(st, 409, "one login profile per user");
    let (st, body) =
        iam("Action=CreateLoginProfile&UserName=ana&Password=Correct-Horse-9&PasswordResetRequired=true".into()).await;
    assert_eq!((st, element(&body, "Code")), (400, "ValidationError"), "{body}");

    let sign_in = |account: &str, user: &str, password: &str| {
        let body = serde_json::json!({"account": account, "user": user, "password": password}).to_string();
        let s = &s;
        async move {
            let req = http::Request::post(s.url("/?arca-sign-in"))
                .body(body.into_bytes())
                .unwrap();
            let (st, _, answer) = send(req).await;
            (st, answer)
        }
    };
    for (account, user, password) in [
        ("000000000000", "ana", "Correct-Horse-8"),
        ("000000000000", "bob", "Correct-Horse-9"),
        ("111122223333", "ana", "Correct-Horse-9"),
        ("x", "ana", "Correct-Horse-9"),
    ] {
        let (st, body) = sign_in(account, user, password).await;
        assert_eq!((st, xml_code(&body)), (403, "AccessDenied"), "{account} {user}: {body}");
    }
    let (st, answer) = sign_in("000000000000", "ana", "Correct-Horse-9").await;
    assert_eq!(st, 200, "{answer}");
    let creds: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let text = |k: &str| creds[k].as_str().unwrap().to_string();
    let ana = client_with_session(
        &s.endpoint,
        &text("access_key_id"),
        &text("secret_access_key"),
        &text("session_token"),
    );
    assert_eq!(get_bytes(&ana, "docs", "guide").await, b"guide");
    let e = ana
        .put_object()
        .bucket("docs")
        .key("guide")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied", "the user's own rights, no more");
    // The session is the user's: their policies as they are now.
    assert_eq!(
        iam("Action=DeleteUserPolicy&UserName=ana&PolicyName=read".into())
            .await
            .0,
        200
    );
    let e = ana.get_object().bucket("docs").key("guide").send().await.unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    // A new password replaces the old; deleting the profile ends password sign-in.
    assert_eq!(
        iam("Action=UpdateLoginProfile&UserName=ana&Password=Battery-Staple-7".into())
            .await
            .0,
        200
    );
    assert_eq!(sign_in("000000000000", "ana", "Correct-Horse-9").await.0, 403);
    assert_eq!(sign_in("000000000000", "ana", "Battery-Staple-7").await.0, 200);
    let (st, body) = iam("Action=DeleteUser&UserName=ana".into()).await;
    assert_eq!((st, element(&body, "Code")), (409, "DeleteConflict"), "{body}");
    assert_eq!(iam("Action=DeleteLoginProfile&UserName=ana".into()).await.0, 200);
    assert_eq!(sign_in("000000000000", "ana", "Battery-Staple-7").await.0, 403);
    let (st, body) = iam("Action=GetLoginProfile&UserName=ana".into()).await;
    assert_eq!((st, element(&body, "Code")), (404, "NoSuchEntity"), "{body}");
}
