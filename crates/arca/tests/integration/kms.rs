//! The KMS API through hand-signed requests (its state survives `kill -9`, bad requests get
//! KMS's errors) and through the AWS SDK for Rust's KMS client; SSE-KMS on S3 objects, with
//! and without S3 Bucket Keys. (boto3 and the AWS CLI drive the whole API in
//! `tests/clients/test_kms.py`.)

use serde_json::{Value, json};

use crate::harness::*;

/// Sends KMS `operation` with `body`, signed for `kms` by the test's root key.
async fn kms(s: &TestServer, operation: &str, body: &Value) -> (u16, Value) {
    let target = format!("TrentService.{operation}");
    let text = body.to_string();
    let req = signed(
        "POST",
        &s.url("/"),
        &[
            ("x-amz-target", target.as_str()),
            ("content-type", "application/x-amz-json-1.1"),
        ],
        text.as_bytes(),
        Sign {
            service: "kms",
            ..Sign::default()
        },
    );
    let (status, _, answer) = send(req).await;
    (status, serde_json::from_str(&answer).unwrap_or(Value::String(answer)))
}

#[tokio::test]
async fn kms_keys_aliases_and_rotations_survive_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut s = TestServer::start_on(&data, &[]);
    let (status, created) = kms(&s, "CreateKey", &json!({ "Description": "durable" })).await;
    assert_eq!(status, 200, "{created}");
    let key = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    let (status, _) = kms(
        &s,
        "CreateAlias",
        &json!({ "AliasName": "alias/durable", "TargetKeyId": key }),
    )
    .await;
    assert_eq!(status, 200);
    let (_, before) = kms(
        &s,
        "Encrypt",
        &json!({ "KeyId": "alias/durable", "Plaintext": "YmVmb3Jl" }),
    )
    .await;
    let (status, _) = kms(&s, "RotateKeyOnDemand", &json!({ "KeyId": key })).await;
    assert_eq!(status, 200);
    let (_, after) = kms(&s, "Encrypt", &json!({ "KeyId": key, "Plaintext": "YWZ0ZXI=" })).await;
    let (status, _) = kms(&s, "DisableKey", &json!({ "KeyId": key })).await;
    assert_eq!(status, 200);
    // Every answer above came after its commit: nothing of it may be lost.
    s.kill9();

    let s = TestServer::start_on(&data, &[]);
    let (_, described) = kms(&s, "DescribeKey", &json!({ "KeyId": "alias/durable" })).await;
    assert_eq!(described["KeyMetadata"]["KeyId"], key.as_str());
    assert_eq!(described["KeyMetadata"]["KeyState"], "Disabled");
    let (status, _) = kms(&s, "EnableKey", &json!({ "KeyId": key })).await;
    assert_eq!(status, 200);
    for (blob, plain) in [(&before, "YmVmb3Jl"), (&after, "YWZ0ZXI=")] {
        let (status, out) = kms(&s, "Decrypt", &json!({ "CiphertextBlob": blob["CiphertextBlob"] })).await;
        assert_eq!((status, out["Plaintext"].as_str()), (200, Some(plain)), "{out}");
    }
}

#[tokio::test]
async fn bad_kms_requests_get_kms_errors_and_change_nothing() {
    let s = TestServer::start();
    // Unsigned: refused before the body is read.
    let (status, _, _) = send(
        http::Request::builder()
            .method("POST")
            .uri(s.url("/"))
            .header("x-amz-target", "TrentService.CreateKey")
            .header("content-type", "application/x-amz-json-1.1")
            .body(b"{}".to_vec())
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    // Signed with another secret.
    let req = signed(
        "POST",
        &s.url("/"),
        &[("x-amz-target", "TrentService.CreateKey")],
        b"{}",
        Sign {
            service: "kms",
            secret: "not-the-secret-key-0000000000000000000000",
            ..Sign::default()
        },
    );
    let (status, _, _) = send(req).await;
    assert_eq!(status, 403);
    let cases = [
        (
            "CreateKey",
            json!({ "KeySpec": "RSA_4096" }),
            "UnsupportedOperationException",
        ),
        (
            "CreateKey",
            json!({ "Policy": "{not json" }),
            "MalformedPolicyDocumentException",
        ),
        ("Frobnicate", json!({}), "UnknownOperationException"),
        (
            "Encrypt",
            json!({ "KeyId": "alias/none", "Plaintext": "eA==" }),
            "NotFoundException",
        ),
        (
            "Decrypt",
            json!({ "CiphertextBlob": "AAAA" }),
            "InvalidCiphertextException",
        ),
        (
            "Decrypt",
            json!({ "CiphertextBlob": "not base64!" }),
            "ValidationException",
        ),
        (
            "GenerateRandom",
            json!({ "NumberOfBytes": 5000 }),
            "ValidationException",
        ),
        (
            "CreateAlias",
            json!({ "AliasName": "alias/../x", "TargetKeyId": "alias/none" }),
            "NotFoundException",
        ),
        ("ListKeys", json!({ "DryRun": true }), "UnsupportedOperationException"),
    ];
    for (operation, body, expected) in cases {
        let (status, answer) = kms(&s, operation, &body).await;
        assert_eq!(
            (status, answer["__type"].as_str()),
            (400, Some(expected)),
            "{operation} {body}: {answer}"
        );
    }
    let (status, answer) = kms(&s, "ListKeys", &json!({})).await;
    assert_eq!(
        (status, answer["Keys"].as_array().map(Vec::len)),
        (200, Some(0)),
        "nothing was made"
    );
    // A body past the limit is refused, not read to the end.
    let big = json!({ "Description": "x".repeat(200 * 1024) });
    let (status, answer) = kms(&s, "CreateKey", &big).await;
    assert!(status == 400 || status == 413, "{status} {answer}");
}

#[tokio::test]
async fn sse_kms_objects_through_the_sdk_follow_their_keys_state() {
    use aws_sdk_s3::types::ServerSideEncryption;

    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "sse-kms").await;
    let (_, created) = kms(&s, "CreateKey", &json!({})).await;
    let (key, arn) = (
        created["KeyMetadata"]["KeyId"].as_str().unwrap().to_string(),
        created["KeyMetadata"]["Arn"].as_str().unwrap().to_string(),
    );
    let body = bytes_of(200_000, 9);
    let put = c
        .put_object()
        .bucket("sse-kms")
        .key("k")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(&key)
        .body(body.clone().into())
        .send()
        .await
        .unwrap();
    assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
    assert_eq!(put.ssekms_key_id(), Some(arn.as_str()));
    assert_eq!(get_bytes(&c, "sse-kms", "k").await, body);

    // Scheduled for deletion: unreadable; cancelled and enabled: readable again.
    let (scheduled, _) = kms(
        &s,
        "ScheduleKeyDeletion",
        &json!({ "KeyId": key, "PendingWindowInDays": 7 }),
    )
    .await;
    assert_eq!(scheduled, 200);
    let e = c.get_object().bucket("sse-kms").key("k").send().await.unwrap_err();
    assert_eq!(
        (status(&e), code(&e)),
        (400, "KMS.KMSInvalidStateException".to_string())
    );
    kms(&s, "CancelKeyDeletion", &json!({ "KeyId": key })).await;
    let e = c.get_object().bucket("sse-kms").key("k").send().await.unwrap_err();
    assert_eq!(code(&e), "KMS.DisabledException");
    kms(&s, "EnableKey", &json!({ "KeyId": key })).await;
    assert_eq!(get_bytes(&c, "sse-kms", "k").await, body);

    // The audit trail has it all: the KMS API's requests and S3's on the requester's behalf,
    // refusals included; in the admin API and in the data folder's file.
    let (text, trail) = audit_trail(&s).await;
    let seen = |operation: &str, via: &str, result: &str| {
        trail
            .iter()
            .any(|e| e["operation"] == operation && e["via"] == via && e["result"] == result)
    };
    assert!(seen("CreateKey", "kms", "ok"), "{text}");
    assert!(seen("GenerateDataKey", "s3", "ok"), "{text}");
    assert!(seen("Decrypt", "s3", "ok"), "{text}");
    assert!(seen("Decrypt", "s3", "KMS.DisabledException"), "{text}");
    assert!(trail.iter().all(|e| e["principal"] == "arn:aws:iam::000000000000:root"));
    let file = s.data.join("kms-audit.log");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    // Written in the background: give the writer a moment.
    for _ in 0..50 {
        if std::fs::read_to_string(&file).unwrap().lines().count() >= trail.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let lines = std::fs::read_to_string(&file).unwrap();
    assert_eq!(lines.lines().count(), trail.len(), "{lines}");
    assert!(lines.lines().all(|l| serde_json::from_str::<Value>(l).is_ok()));
}

/// The admin API's audit trail (its last 1,024 entries): the text and its entries.
async fn audit_trail(s: &TestServer) -> (String, Vec<Value>) {
    let (status, _, text) = send(signed(
        "GET",
        &s.url("/?arca-admin=kms-audit&limit=1024"),
        &[],
        b"",
        Sign::default(),
    ))
    .await;
    assert_eq!(status, 200, "{text}");
    let trail = serde_json::from_str(&text).unwrap();
    (text, trail)
}

/// The KMS operations S3 asked for on the requester's behalf, from the audit trail:
/// (GenerateDataKey, Decrypt) under `arn`.
async fn kms_calls_for(s: &TestServer, arn: &str) -> (usize, usize) {
    // The trail is appended off the request path: let it catch up.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (_, trail) = audit_trail(s).await;
    let count = |operation: &str| {
        trail
            .iter()
            .filter(|e| e["operation"] == operation && e["via"] == "s3" && e["key"] == arn && e["result"] == "ok")
            .count()
    };
    (count("GenerateDataKey"), count("Decrypt"))
}

#[tokio::test]
async fn a_bucket_key_spares_the_kms_a_call_per_object() {
    use aws_sdk_s3::types::{
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule,
    };

    let s = TestServer::start();
    let c = s.client();
    let mut arns = Vec::new();
    for (bucket, bucket_key) in [("with-bucket-key", true), ("without-bucket-key", false)] {
        make_bucket(&c, bucket).await;
        let (_, created) = kms(&s, "CreateKey", &json!({})).await;
        let arn = created["KeyMetadata"]["Arn"].as_str().unwrap().to_string();
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(
                ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::AwsKms)
                    .kms_master_key_id(&arn)
                    .build()
                    .unwrap(),
            )
            .bucket_key_enabled(bucket_key)
            .build();
        c.put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(
                ServerSideEncryptionConfiguration::builder()
                    .rules(rule)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        for i in 0..40 {
            let put = c
                .put_object()
                .bucket(bucket)
                .key(format!("k{i}"))
                .body(bytes_of(5000, i).into())
                .send()
                .await
                .unwrap();
            assert_eq!(put.bucket_key_enabled(), bucket_key.then_some(true));
        }
        for i in 0..40 {
            assert_eq!(get_bytes(&c, bucket, &format!("k{i}")).await, bytes_of(5000, i));
        }
        arns.push(arn);
    }
    // 80 object writes and reads: with a bucket key, one KMS operation; without, one each.
    assert_eq!(kms_calls_for(&s, &arns[0]).await, (1, 0), "with a bucket key");
    assert_eq!(kms_calls_for(&s, &arns[1]).await, (40, 40), "without");

    // Still decided per object: a disabled key refuses the next read at once.
    let key_id = arns[0].rsplit('/').next().unwrap();
    kms(&s, "DisableKey", &json!({ "KeyId": key_id })).await;
    let e = c
        .get_object()
        .bucket("with-bucket-key")
        .key("k1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "KMS.DisabledException");
    kms(&s, "EnableKey", &json!({ "KeyId": key_id })).await;
    assert_eq!(get_bytes(&c, "with-bucket-key", "k1").await, bytes_of(5000, 1));

    // A restarted server holds no bucket key: the first read asks the KMS once, then none.
    let data = s.data.clone();
    drop(c);
    let mut s = s;
    s.terminate();
    let s2 = TestServer::start_on(&data, &[]);
    let c = s2.client();
    for i in 0..40 {
        assert_eq!(
            get_bytes(&c, "with-bucket-key", &format!("k{i}")).await,
            bytes_of(5000, i)
        );
    }
    assert_eq!(kms_calls_for(&s2, &arns[0]).await.1, 1);
}

/// The AWS SDK for Rust's KMS client, pointed at the server.
fn kms_client(s: &TestServer) -> aws_sdk_kms::Client {
    let conf = aws_sdk_kms::Config::builder()
        .behavior_version_latest()
        .endpoint_url(&s.endpoint)
        .region(aws_sdk_kms::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "test",
        ))
        .build();
    aws_sdk_kms::Client::from_conf(conf)
}

#[tokio::test]
async fn the_aws_sdk_for_rust_drives_the_kms() {
    use aws_sdk_kms::error::ProvideErrorMetadata;
    use aws_sdk_kms::primitives::Blob;
    use aws_sdk_kms::types::{DataKeySpec, GrantOperation, KeyState, Tag};

    let s = TestServer::start();
    let k = kms_client(&s);
    let created = k
        .create_key()
        .description("sdk")
        .tags(Tag::builder().tag_key("team").tag_value("storage").build().unwrap())
        .send()
        .await
        .unwrap();
    let meta = created.key_metadata().unwrap();
    let (id, arn) = (meta.key_id().to_string(), meta.arn().unwrap().to_string());
    assert_eq!(meta.key_state(), Some(&KeyState::Enabled));
    k.create_alias()
        .alias_name("alias/sdk")
        .target_key_id(&id)
        .send()
        .await
        .unwrap();

    // Encrypt and Decrypt, the context bound to the ciphertext.
    let blob = k
        .encrypt()
        .key_id("alias/sdk")
        .plaintext(Blob::new(b"secret".to_vec()))
        .encryption_context("app", "billing")
        .send()
        .await
        .unwrap()
        .ciphertext_blob()
        .unwrap()
        .clone();
    let decrypt = |context: &'static str| {
        k.decrypt()
            .ciphertext_blob(blob.clone())
            .encryption_context("app", context)
            .send()
    };
    let opened = decrypt("billing").await.unwrap();
    assert_eq!(opened.plaintext().unwrap().as_ref(), b"secret");
    assert_eq!(opened.key_id(), Some(arn.as_str()));
    let e = decrypt("payroll").await.unwrap_err();
    assert_eq!(e.code(), Some("InvalidCiphertextException"));

    // Data keys, random bytes.
    let data_key = k
        .generate_data_key()
        .key_id(&id)
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await
        .unwrap();
    assert_eq!(data_key.plaintext().unwrap().as_ref().len(), 32);
    let back = k
        .decrypt()
        .ciphertext_blob(data_key.ciphertext_blob().unwrap().clone())
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext(), data_key.plaintext());
    let random = k.generate_random().number_of_bytes(64).send().await.unwrap();
    assert_eq!(random.plaintext().unwrap().as_ref().len(), 64);

    // Rotation keeps old ciphertexts readable; ReEncrypt moves one to another key.
    k.rotate_key_on_demand().key_id(&id).send().await.unwrap();
    let rotations = k.list_key_rotations().key_id(&id).send().await.unwrap();
    assert_eq!(rotations.rotations().len(), 1);
    assert_eq!(
        decrypt("billing").await.unwrap().plaintext().unwrap().as_ref(),
        b"secret"
    );
    let other = k.create_key().send().await.unwrap();
    let other_arn = other.key_metadata().unwrap().arn().unwrap().to_string();
    let moved = k
        .re_encrypt()
        .ciphertext_blob(blob.clone())
        .source_encryption_context("app", "billing")
        .destination_key_id(&other_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(moved.key_id(), Some(other_arn.as_str()));

    // Grants.
    let grant = k
        .create_grant()
        .key_id(&id)
        .grantee_principal("arn:aws:iam::000000000000:root")
        .operations(GrantOperation::Decrypt)
        .send()
        .await
        .unwrap();
    assert_eq!(k.list_grants().key_id(&id).send().await.unwrap().grants().len(), 1);
    k.revoke_grant()
        .key_id(&id)
        .grant_id(grant.grant_id().unwrap())
        .send()
        .await
        .unwrap();
    assert!(k.list_grants().key_id(&id).send().await.unwrap().grants().is_empty());

    // A disabled key refuses; deletion is scheduled and cancelled.
    k.disable_key().key_id(&id).send().await.unwrap();
    assert_eq!(decrypt("billing").await.unwrap_err().code(), Some("DisabledException"));
    let scheduled = k
        .schedule_key_deletion()
        .key_id(&id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert!(scheduled.deletion_date().is_some());
    let described = k.describe_key().key_id("alias/sdk").send().await.unwrap();
    assert_eq!(
        described.key_metadata().unwrap().key_state(),
        Some(&KeyState::PendingDeletion)
    );
    k.cancel_key_deletion().key_id(&id).send().await.unwrap();
    let listed = k.list_keys().send().await.unwrap();
    assert!(listed.keys().iter().any(|e| e.key_id() == Some(id.as_str())));
    let aliases = k.list_aliases().send().await.unwrap();
    assert!(aliases.aliases().iter().any(|a| a.alias_name() == Some("alias/sdk")));
}
