//! Bucket policies and Block Public Access, with the SDK for the owner and plain HTTP (as
//! curl or a browser sends it) for anonymous readers.

use aws_sdk_s3::types::PublicAccessBlockConfiguration;

use crate::harness::*;

const PUBLIC_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow",
    "Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::site/*"]}]}"#;

async fn anonymous_get(s: &TestServer, path: &str) -> (u16, String) {
    let (status, _, body) = send(http::Request::get(s.url(path)).body(Vec::new()).unwrap()).await;
    (status, body)
}

fn blocks(on: bool) -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(on)
        .ignore_public_acls(on)
        .block_public_policy(on)
        .restrict_public_buckets(on)
        .build()
}

#[tokio::test]
async fn public_read_through_a_policy_once_block_public_access_allows_it() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "site").await;
    c.put_object()
        .bucket("site")
        .key("index.html")
        .body(b"<h1>hi</h1>".to_vec().into())
        .send()
        .await
        .unwrap();

    // A new bucket blocks everything public, and says so.
    let pab = c.get_public_access_block().bucket("site").send().await.unwrap();
    let conf = pab.public_access_block_configuration().unwrap();
    assert_eq!(conf.block_public_policy(), Some(true));
    assert_eq!(conf.restrict_public_buckets(), Some(true));
    let e = c
        .put_bucket_policy()
        .bucket("site")
        .policy(PUBLIC_READ)
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&e), code(&e).as_str()), (403, "AccessDenied"));
    let e = c.get_bucket_policy().bucket("site").send().await.unwrap_err();
    assert_eq!(code(&e), "NoSuchBucketPolicy", "the refused policy was not stored");
    assert_eq!(anonymous_get(&s, "/site/index.html").await.0, 403);

    // Lift the blocks; the public policy goes in and anyone can read.
    c.put_public_access_block()
        .bucket("site")
        .public_access_block_configuration(blocks(false))
        .send()
        .await
        .unwrap();
    c.put_bucket_policy()
        .bucket("site")
        .policy(PUBLIC_READ)
        .send()
        .await
        .unwrap();
    let stored = c.get_bucket_policy().bucket("site").send().await.unwrap();
    assert_eq!(stored.policy(), Some(PUBLIC_READ));
    let status_now = c.get_bucket_policy_status().bucket("site").send().await.unwrap();
    assert_eq!(status_now.policy_status().unwrap().is_public(), Some(true));
    assert_eq!(
        anonymous_get(&s, "/site/index.html").await,
        (200, "<h1>hi</h1>".to_string())
    );

    // Only what the policy allows: no listing, no writes, no deletes.
    assert_eq!(anonymous_get(&s, "/site").await.0, 403);
    let (st, _, body) = send(http::Request::put(s.url("/site/evil")).body(b"x".to_vec()).unwrap()).await;
    assert_eq!((st, xml_code(&body)), (403, "AccessDenied"));
    let (st, _, _) = send(
        http::Request::delete(s.url("/site/index.html"))
            .body(Vec::new())
            .unwrap(),
    )
    .await;
    assert_eq!(st, 403);
    assert_eq!(anonymous_get(&s, "/site/index.html").await.0, 200);

    // RestrictPublicBuckets turns the public policy off for anonymous readers again.
    c.put_public_access_block()
        .bucket("site")
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous_get(&s, "/site/index.html").await.0, 403);

    // With the blocks deleted and the policy deleted, the bucket is private again.
    c.delete_public_access_block().bucket("site").send().await.unwrap();
    let e = c.get_public_access_block().bucket("site").send().await.unwrap_err();
    assert_eq!(code(&e), "NoSuchPublicAccessBlockConfiguration");
    assert_eq!(anonymous_get(&s, "/site/index.html").await.0, 200);
    c.delete_bucket_policy().bucket("site").send().await.unwrap();
    assert_eq!(anonymous_get(&s, "/site/index.html").await.0, 403);
    let e = c.get_bucket_policy_status().bucket("site").send().await.unwrap_err();
    assert_eq!(code(&e), "NoSuchBucketPolicy");
}

#[tokio::test]
async fn an_explicit_deny_binds_the_owner_but_never_locks_them_out() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "vault").await;
    c.put_object()
        .bucket("vault")
        .key("keep")
        .body(b"v".to_vec().into())
        .send()
        .await
        .unwrap();
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoDeletes","Effect":"Deny",
        "Principal":{"AWS":"*"},"Action":["s3:DeleteObject","s3:PutBucketPolicy","s3:DeleteBucketPolicy"],
        "Resource":["arn:aws:s3:::vault","arn:aws:s3:::vault/*"]}]}"#;
    c.put_bucket_policy().bucket("vault").policy(deny).send().await.unwrap();
    let status_now = c.get_bucket_policy_status().bucket("vault").send().await.unwrap();
    assert_eq!(status_now.policy_status().unwrap().is_public(), Some(false));
    let e = c.delete_object().bucket("vault").key("keep").send().await.unwrap_err();
    assert_eq!((status(&e), code(&e).as_str()), (403, "AccessDenied"));
    assert_eq!(get_bytes(&c, "vault", "keep").await, b"v", "reads are not denied");
    // The owner can still remove the policy that denies them, and then delete.
    c.delete_bucket_policy().bucket("vault").send().await.unwrap();
    c.delete_object().bucket("vault").key("keep").send().await.unwrap();
}

#[tokio::test]
async fn conditions_on_the_source_address_and_malformed_policies() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "lan").await;
    c.put_object()
        .bucket("lan")
        .key("k")
        .body(b"v".to_vec().into())
        .send()
        .await
        .unwrap();
    // Not public (pinned to addresses), so Block Public Access lets it in.
    let loopback_only = |net: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
            "Resource":"arn:aws:s3:::lan/*","Condition":{{"IpAddress":{{"aws:SourceIp":"{net}"}}}}}}]}}"#
        )
    };
    c.put_public_access_block()
        .bucket("lan")
        .public_access_block_configuration(blocks(false))
        .send()
        .await
        .unwrap();
    c.put_bucket_policy()
        .bucket("lan")
        .policy(loopback_only("127.0.0.0/8"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous_get(&s, "/lan/k").await.0, 200);
    c.put_bucket_policy()
        .bucket("lan")
        .policy(loopback_only("192.0.2.0/24"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous_get(&s, "/lan/k").await.0, 403);

    for (bad, message) in [
        ("{not json", "Policies must be valid JSON"),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::lan/*"}]}"#,
            "Missing required field Principal",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}"#,
            "Policy has invalid resource",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:Fly","Resource":"arn:aws:s3:::lan/*"}]}"#,
            "Policy has invalid action",
        ),
    ] {
        let e = c
            .put_bucket_policy()
            .bucket("lan")
            .policy(bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!((status(&e), code(&e).as_str()), (400, "MalformedPolicy"), "{bad}");
        let text = format!("{e:?}");
        assert!(text.contains(message), "{message} in {text}");
    }
    let kept = c.get_bucket_policy().bucket("lan").send().await.unwrap();
    assert!(
        kept.policy().unwrap().contains("192.0.2.0/24"),
        "a refused policy changes nothing"
    );
}

#[tokio::test]
async fn requests_signed_for_iam_reach_only_the_iam_api() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "scoped").await;
    let iam = Sign {
        service: "iam",
        ..Default::default()
    };
    let form = b"Action=CreateUser&UserName=scope-test&Version=2010-05-08";
    let create = signed(
        "POST",
        &s.url("/"),
        &[("content-type", "application/x-www-form-urlencoded; charset=utf-8")],
        form,
        Sign {
            service: "iam",
            ..Default::default()
        },
    );
    let (st, _, body) = send(create).await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("<UserName>scope-test</UserName>"), "{body}");
    let (st, _, body) = send(signed(
        "POST",
        &s.url("/"),
        &[],
        form,
        Sign {
            service: "iam",
            ..Default::default()
        },
    ))
    .await;
    assert_eq!(st, 409, "{body}");
    assert!(body.contains("<Code>EntityAlreadyExists</Code>"), "{body}");
    // The root key signing an S3 request for the wrong service gets nothing.
    let (st, _, body) = send(signed("GET", &s.url("/scoped"), &[], b"", iam)).await;
    assert_eq!((st, xml_code(&body)), (403, "AccessDenied"));
}

/// Sends one IAM query request as the root user; returns the status and body.
async fn iam(s: &TestServer, form: &str) -> (u16, String) {
    let sign = Sign {
        service: "iam",
        ..Default::default()
    };
    let (status, _, body) = send(signed("POST", &s.url("/"), &[], form.as_bytes(), sign)).await;
    (status, body)
}

#[tokio::test]
async fn a_users_copies_and_bulk_deletes_are_checked_key_by_key() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "team").await;
    for key in ["shared/a", "secret/s", "out/old"] {
        c.put_object()
            .bucket("team")
            .key(key)
            .body(b"v".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    assert_eq!(iam(&s, "Action=CreateUser&UserName=bob").await.0, 200);
    let (st, created) = iam(&s, "Action=CreateAccessKey&UserName=bob").await;
    assert_eq!(st, 200, "{created}");
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::team/shared/*"},
        {"Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::team/out/*"}]}"#;
    let encoded: String = percent_encoding::utf8_percent_encode(policy, percent_encoding::NON_ALPHANUMERIC).to_string();
    let (st, body) = iam(
        &s,
        &format!("Action=PutUserPolicy&UserName=bob&PolicyName=p&PolicyDocument={encoded}"),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    let bob = client_with(
        &s.endpoint,
        element(&created, "AccessKeyId"),
        element(&created, "SecretAccessKey"),
    );

    bob.copy_object()
        .bucket("team")
        .key("out/copy")
        .copy_source("team/shared/a")
        .send()
        .await
        .unwrap();
    let e = bob
        .copy_object()
        .bucket("team")
        .key("out/leak")
        .copy_source("team/secret/s")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied", "copying needs read access to the source");
    let e = c.head_object().bucket("team").key("out/leak").send().await.unwrap_err();
    assert_eq!(status(&e), 404);

    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    let ids = |keys: &[&str]| {
        Delete::builder()
            .set_objects(Some(
                keys.iter()
                    .map(|k| ObjectIdentifier::builder().key(*k).build().unwrap())
                    .collect(),
            ))
            .build()
            .unwrap()
    };
    // As in S3, each key is decided on its own: the refused one is an AccessDenied entry of
    // the result, the others are deleted.
    let out = bob
        .delete_objects()
        .bucket("team")
        .delete(ids(&["out/old", "secret/s", "out/copy"]))
        .send()
        .await
        .unwrap();
    let errors: Vec<(&str, &str)> = out
        .errors()
        .iter()
        .map(|e| (e.key().unwrap_or(""), e.code().unwrap_or("")))
        .collect();
    assert_eq!(errors, [("secret/s", "AccessDenied")]);
    let deleted: Vec<&str> = out.deleted().iter().filter_map(|d| d.key()).collect();
    assert_eq!(deleted, ["out/old", "out/copy"]);
    assert_eq!(get_bytes(&c, "team", "secret/s").await, b"v", "the refused key is kept");
    let e = c.head_object().bucket("team").key("out/old").send().await.unwrap_err();
    assert_eq!(status(&e), 404);
    // Quiet mode still reports the refusals.
    let out = bob
        .delete_objects()
        .bucket("team")
        .delete(
            Delete::builder()
                .objects(ObjectIdentifier::builder().key("secret/s").build().unwrap())
                .quiet(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.errors().len(), 1);
    assert_eq!(get_bytes(&c, "team", "secret/s").await, b"v");
}

#[tokio::test]
async fn every_denial_is_explained_to_the_admin_and_simulations_answer_the_same() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "vault").await;
    c.put_object()
        .bucket("vault")
        .key("doc")
        .body(b"v".to_vec().into())
        .send()
        .await
        .unwrap();
    let bucket_policy = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"OnlyFromTheOffice","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::vault/*",
         "Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}"#;
    c.put_bucket_policy()
        .bucket("vault")
        .policy(bucket_policy)
        .send()
        .await
        .unwrap();
    assert_eq!(iam(&s, "Action=CreateUser&UserName=vic").await.0, 200);
    let (_, created) = iam(&s, "Action=CreateAccessKey&UserName=vic").await;
    let read = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::vault/*"}]}"#;
    let encoded: String = percent_encoding::utf8_percent_encode(read, percent_encoding::NON_ALPHANUMERIC).to_string();
    let (st, body) = iam(
        &s,
        &format!("Action=PutUserPolicy&UserName=vic&PolicyName=read&PolicyDocument={encoded}"),
    )
    .await;
    assert_eq!(st, 200, "{body}");

    // Denied (the test runs from 127.0.0.1): the client sees AccessDenied and nothing more.
    let vic = || Sign {
        access: element(&created, "AccessKeyId"),
        secret: element(&created, "SecretAccessKey"),
        ..Default::default()
    };
    let (status, headers, body) = send(signed("GET", &s.url("/vault/doc"), &[], b"", vic())).await;
    assert_eq!((status, xml_code(&body)), (403, "AccessDenied"), "{body}");
    assert!(
        !body.contains("OnlyFromTheOffice") && !body.contains("SourceIp"),
        "{body}"
    );
    let id = headers["x-amz-request-id"].to_str().unwrap().to_string();

    let admin = |path: String, body: Vec<u8>, method: &'static str| {
        let s = &s;
        async move {
            let (status, _, answer) = send(signed(method, &s.url(&path), &[], &body, Sign::default())).await;
            (status, answer)
        }
    };
    let (status, explained) = admin(format!("/?arca-admin=explain&request-id={id}"), Vec::new(), "GET").await;
    assert_eq!(status, 200, "{explained}");
    let explained: serde_json::Value = serde_json::from_str(&explained).unwrap();
    let e = &explained[0];
    assert_eq!(e["decision"], "denied");
    assert_eq!(e["principal"], "arn:aws:iam::000000000000:user/vic");
    assert_eq!(e["resource"], "arn:aws:s3:::vault/doc");
    assert_eq!(e["reason"], "an explicit Deny of the bucket policy");
    assert_eq!(e["policies"][0]["source"], "bucket policy of vault");
    assert_eq!(e["policies"][0]["statements"][0]["sid"], "OnlyFromTheOffice");
    assert_eq!(e["policies"][0]["statements"][0]["outcome"], "applies");
    assert_eq!(e["policies"][1]["source"], "user policy read");
    assert_eq!(e["policies"][1]["allows"], true);

    // Unknown ids are refused; only the root user may ask.
    let (status, _) = admin(
        "/?arca-admin=explain&request-id=0000000000000000".into(),
        Vec::new(),
        "GET",
    )
    .await;
    assert_eq!(status, 400);
    let (status, _, _) = send(signed(
        "GET",
        &s.url(&format!("/?arca-admin=explain&request-id={id}")),
        &[],
        b"",
        vic(),
    ))
    .await;
    assert_eq!(status, 403, "an IAM user may not read explanations");

    // From the office, the same request is allowed; the statement misses on its condition.
    let question = serde_json::json!({
        "principal": "arn:aws:iam::000000000000:user/vic",
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::vault/doc",
        "context": {"aws:SourceIp": "203.0.113.7"},
    });
    let (status, answer) = admin(
        "/?arca-admin=simulate".into(),
        question.to_string().into_bytes(),
        "POST",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["decision"], "allowed");
    assert_eq!(
        answer["policies"][0]["statements"][0]["outcome"],
        "condition NotIpAddress aws:SourceIp does not hold"
    );
    let anonymous =
        serde_json::json!({"principal": "anonymous", "action": "s3:GetObject", "resource": "arn:aws:s3:::vault/doc"});
    let (_, answer) = admin(
        "/?arca-admin=simulate".into(),
        anonymous.to_string().into_bytes(),
        "POST",
    )
    .await;
    assert!(answer.contains("\"denied\""), "{answer}");
    for bad in [
        r#"{"principal":"arn:aws:iam::000000000000:user/nobody","action":"s3:GetObject","resource":"*"}"#,
        r#"{"principal":"anonymous","action":"GetObject","resource":"*"}"#,
        r#"{"principal":"anonymous","action":"s3:GetObject","resource":"*","extra":1}"#,
        "not json",
    ] {
        let (status, answer) = admin("/?arca-admin=simulate".into(), bad.as_bytes().to_vec(), "POST").await;
        assert_eq!(status, 400, "{bad}: {answer}");
    }
}
