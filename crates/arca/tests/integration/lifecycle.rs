//! Lifecycle through the AWS SDK for Rust: the configuration API and its validation,
//! `x-amz-expiration`, and every action applied by a real server whose "day" lasts a second
//! (`--lifecycle-day-seconds 1`), a pass run now through the admin API.

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketVersioningStatus, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleAndOperator, LifecycleRuleFilter, NoncurrentVersionExpiration,
    NoncurrentVersionTransition, StorageClass, Tag, Transition, TransitionStorageClass,
};

use crate::harness::*;

fn rule(id: &str, prefix: &str) -> aws_sdk_s3::types::builders::LifecycleRuleBuilder {
    LifecycleRule::builder()
        .id(id)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
}

async fn set_rules(c: &Client, bucket: &str, rules: Vec<LifecycleRule>) -> Result<(), String> {
    c.put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .set_rules(Some(rules))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .map(drop)
        .map_err(|e| code(&e))
}

async fn put(c: &Client, bucket: &str, key: &str, body: Vec<u8>) -> aws_sdk_s3::operation::put_object::PutObjectOutput {
    c.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap()
}

async fn keys(c: &Client, bucket: &str) -> Vec<String> {
    let out = c.list_objects_v2().bucket(bucket).send().await.unwrap();
    out.contents().iter().map(|o| o.key().unwrap().to_string()).collect()
}

/// Runs a lifecycle pass now through the admin API; its JSON answer.
pub(crate) async fn run_lifecycle(s: &TestServer) -> String {
    let req = signed("POST", &s.url("/?arca-admin=run-lifecycle"), &[], b"", Sign::default());
    let (status, _, body) = send(req).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn configurations_round_trip_and_invalid_rules_are_refused_as_aws_does() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "rules").await;

    let missing = c
        .get_bucket_lifecycle_configuration()
        .bucket("rules")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "NoSuchLifecycleConfiguration");

    let every_kind = vec![
        rule("logs", "logs/")
            .transitions(
                Transition::builder()
                    .days(30)
                    .storage_class(TransitionStorageClass::StandardIa)
                    .build(),
            )
            .transitions(
                Transition::builder()
                    .days(90)
                    .storage_class(TransitionStorageClass::Glacier)
                    .build(),
            )
            .expiration(LifecycleExpiration::builder().days(365).build())
            .build()
            .unwrap(),
        LifecycleRule::builder()
            .id("tagged")
            .status(ExpirationStatus::Disabled)
            .filter(
                LifecycleRuleFilter::builder()
                    .and(
                        LifecycleRuleAndOperator::builder()
                            .prefix("tmp/")
                            .tags(Tag::builder().key("class").value("scratch").build().unwrap())
                            .object_size_greater_than(1024)
                            .build(),
                    )
                    .build(),
            )
            .noncurrent_version_transitions(
                NoncurrentVersionTransition::builder()
                    .noncurrent_days(10)
                    .storage_class(TransitionStorageClass::GlacierIr)
                    .newer_noncurrent_versions(2)
                    .build(),
            )
            .noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(40)
                    .newer_noncurrent_versions(3)
                    .build(),
            )
            .build()
            .unwrap(),
        rule("markers", "")
            .expiration(
                LifecycleExpiration::builder()
                    .expired_object_delete_marker(true)
                    .build(),
            )
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(7)
                    .build(),
            )
            .build()
            .unwrap(),
    ];
    set_rules(&c, "rules", every_kind.clone()).await.unwrap();
    let got = c
        .get_bucket_lifecycle_configuration()
        .bucket("rules")
        .send()
        .await
        .unwrap();
    assert_eq!(got.rules(), every_kind.as_slice());

    // Each refusal names AWS's code; none of them replaces the stored rules.
    let days = |d| rule("bad", "").expiration(LifecycleExpiration::builder().days(d).build());
    let ia_too_soon = rule("bad", "").transitions(
        Transition::builder()
            .days(10)
            .storage_class(TransitionStorageClass::StandardIa)
            .build(),
    );
    let not_midnight = rule("bad", "").expiration(
        LifecycleExpiration::builder()
            .date(aws_sdk_s3::primitives::DateTime::from_secs(1_800_000_123))
            .build(),
    );
    let to_standard = rule("bad", "").transitions(
        Transition::builder()
            .days(40)
            .storage_class(TransitionStorageClass::from("STANDARD"))
            .build(),
    );
    let expire_before_move = rule("bad", "")
        .transitions(
            Transition::builder()
                .days(60)
                .storage_class(TransitionStorageClass::Glacier)
                .build(),
        )
        .expiration(LifecycleExpiration::builder().days(30).build());
    let cases = [
        (vec![days(0).build().unwrap()], "InvalidArgument"),
        (vec![ia_too_soon.build().unwrap()], "InvalidArgument"),
        (vec![not_midnight.build().unwrap()], "InvalidArgument"),
        (vec![to_standard.build().unwrap()], "InvalidStorageClass"),
        (vec![expire_before_move.build().unwrap()], "InvalidArgument"),
        (vec![rule("bad", "").build().unwrap()], "InvalidRequest"),
        (
            vec![days(5).build().unwrap(), days(6).build().unwrap()],
            "InvalidArgument",
        ),
    ];
    for (rules, expected) in cases {
        assert_eq!(
            set_rules(&c, "rules", rules.clone()).await,
            Err(expected.to_string()),
            "{rules:?}"
        );
    }
    let still = c
        .get_bucket_lifecycle_configuration()
        .bucket("rules")
        .send()
        .await
        .unwrap();
    assert_eq!(still.rules(), every_kind.as_slice());

    // A filter with two conditions outside <And> is malformed.
    let xml = "<LifecycleConfiguration><Rule><ID>x</ID><Status>Enabled</Status><Filter><Prefix>a</Prefix>\
               <Tag><Key>k</Key><Value>v</Value></Tag></Filter><Expiration><Days>1</Days></Expiration></Rule>\
               </LifecycleConfiguration>";
    let md5 = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        <md5::Md5 as md5::Digest>::digest(xml.as_bytes()),
    );
    let req = signed(
        "PUT",
        &s.url("/rules?lifecycle"),
        &[("content-md5", &md5)],
        xml.as_bytes(),
        Sign::default(),
    );
    let (status, _, body) = send(req).await;
    assert_eq!((status, xml_code(&body)), (400, "MalformedXML"), "{body}");

    c.delete_bucket_lifecycle().bucket("rules").send().await.unwrap();
    let gone = c
        .get_bucket_lifecycle_configuration()
        .bucket("rules")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&gone), "NoSuchLifecycleConfiguration");
    let nobody = set_rules(&c, "no-such-bucket", every_kind).await;
    assert_eq!(nobody, Err("NoSuchBucket".to_string()));
}

#[tokio::test]
async fn expirations_transitions_and_aborts_happen_after_their_days() {
    let tmp = tempfile::tempdir().unwrap();
    let s = TestServer::start_on(&tmp.path().join("data"), &["--lifecycle-day-seconds", "1"]);
    let c = s.client();
    make_bucket(&c, "life").await;
    set_rules(
        &c,
        "life",
        vec![
            rule("tmp", "tmp/")
                .expiration(LifecycleExpiration::builder().days(2).build())
                .abort_incomplete_multipart_upload(
                    AbortIncompleteMultipartUpload::builder()
                        .days_after_initiation(1)
                        .build(),
                )
                .build()
                .unwrap(),
            rule("cold", "cold/")
                .transitions(
                    Transition::builder()
                        .days(1)
                        .storage_class(TransitionStorageClass::DeepArchive)
                        .build(),
                )
                .build()
                .unwrap(),
        ],
    )
    .await
    .unwrap();

    // PUT, HEAD and GET say when a rule will expire the object, and which rule.
    let out = put(&c, "life", "tmp/a", b"scratch".to_vec()).await;
    let expiration = out.expiration().expect("x-amz-expiration on PUT");
    assert!(
        expiration.starts_with("expiry-date=\"") && expiration.ends_with("GMT\", rule-id=\"tmp\""),
        "{expiration}"
    );
    let head = c.head_object().bucket("life").key("tmp/a").send().await.unwrap();
    assert_eq!(head.expiration(), Some(expiration));
    let kept = put(&c, "life", "keep", b"kept".to_vec()).await;
    assert_eq!(kept.expiration(), None);
    put(&c, "life", "cold/big", bytes_of(200 * 1024, 1)).await;
    put(&c, "life", "cold/small", b"too small to move".to_vec()).await;
    let upload = c
        .create_multipart_upload()
        .bucket("life")
        .key("tmp/upload")
        .send()
        .await
        .unwrap();

    // Two "days" and a bit: everything above is due.
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let report = run_lifecycle(&s).await;
    assert!(report.contains("\"job\": \"lifecycle\""), "{report}");

    assert_eq!(keys(&c, "life").await, ["cold/big", "cold/small", "keep"]);
    let big = c.head_object().bucket("life").key("cold/big").send().await.unwrap();
    assert_eq!(big.storage_class(), Some(&StorageClass::DeepArchive));
    // AWS leaves objects under 128 KiB where they are.
    let small = c.head_object().bucket("life").key("cold/small").send().await.unwrap();
    assert_eq!(small.storage_class(), None);
    let aborted = c
        .list_parts()
        .bucket("life")
        .key("tmp/upload")
        .upload_id(upload.upload_id().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&aborted), "NoSuchUpload");

    let req = signed("GET", &s.url("/?arca-admin=jobs"), &[], b"", Sign::default());
    let (status, _, jobs) = send(req).await;
    assert_eq!(status, 200);
    for counted in ["\"expired\": 1", "\"transitioned\": 1", "\"uploads_aborted\": 1"] {
        assert!(jobs.contains(counted), "{counted} in {jobs}");
    }
}

#[tokio::test]
async fn noncurrent_versions_and_then_lone_delete_markers_expire() {
    let tmp = tempfile::tempdir().unwrap();
    let s = TestServer::start_on(&tmp.path().join("data"), &["--lifecycle-day-seconds", "1"]);
    let c = s.client();
    make_bucket(&c, "hist").await;
    set_versioning(&c, "hist", BucketVersioningStatus::Enabled).await;
    set_rules(
        &c,
        "hist",
        vec![
            rule("history", "")
                .noncurrent_version_expiration(
                    NoncurrentVersionExpiration::builder()
                        .noncurrent_days(1)
                        .newer_noncurrent_versions(1)
                        .build(),
                )
                .build()
                .unwrap(),
            rule("markers", "")
                .expiration(
                    LifecycleExpiration::builder()
                        .expired_object_delete_marker(true)
                        .build(),
                )
                .build()
                .unwrap(),
        ],
    )
    .await
    .unwrap();
    for body in ["1", "2", "3"] {
        put(&c, "hist", "doc", body.as_bytes().to_vec()).await;
    }
    put(&c, "hist", "gone", b"only".to_vec()).await;
    c.delete_object().bucket("hist").key("gone").send().await.unwrap();

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    run_lifecycle(&s).await;
    let versions = c.list_object_versions().bucket("hist").send().await.unwrap();
    let left: Vec<(&str, bool)> = versions
        .versions()
        .iter()
        .map(|v| (v.key().unwrap(), v.is_latest().unwrap()))
        .collect();
    // `doc` keeps its current version and the one newest noncurrent version; `gone` kept its
    // marker while its version was kept (newer_noncurrent_versions: 1)…
    assert_eq!(left, [("doc", true), ("doc", false), ("gone", false)]);
    assert_eq!(versions.delete_markers().len(), 1);

    // …and once that version is removed for good, the marker is alone and goes too.
    let only = versions.versions()[2].version_id().unwrap().to_string();
    c.delete_object()
        .bucket("hist")
        .key("gone")
        .version_id(&only)
        .send()
        .await
        .unwrap();
    run_lifecycle(&s).await;
    let versions = c.list_object_versions().bucket("hist").send().await.unwrap();
    assert!(versions.delete_markers().is_empty(), "{versions:?}");
    assert_eq!(versions.versions().len(), 2);
}

#[tokio::test]
async fn admin_api_is_for_the_root_user_only() {
    let s = TestServer::start();
    let anonymous = http::Request::builder()
        .method("POST")
        .uri(s.url("/?arca-admin=run-lifecycle"))
        .body(Vec::new())
        .unwrap();
    let (status, _, body) = send(anonymous).await;
    assert_eq!((status, xml_code(&body)), (403, "AccessDenied"), "{body}");
    let unknown = signed("POST", &s.url("/?arca-admin=reboot"), &[], b"", Sign::default());
    let (status, _, body) = send(unknown).await;
    assert_eq!((status, xml_code(&body)), (400, "InvalidRequest"), "{body}");
}

#[tokio::test]
async fn tag_and_size_filters_and_noncurrent_transitions_apply_with_a_short_day() {
    let tmp = tempfile::tempdir().unwrap();
    let s = TestServer::start_on(&tmp.path().join("data"), &["--lifecycle-day-seconds", "1"]);
    let c = s.client();
    make_bucket(&c, "filters").await;
    set_versioning(&c, "filters", BucketVersioningStatus::Enabled).await;
    let scratch = LifecycleRule::builder()
        .id("scratch")
        .status(ExpirationStatus::Enabled)
        .filter(
            LifecycleRuleFilter::builder()
                .and(
                    LifecycleRuleAndOperator::builder()
                        .prefix("t/")
                        .tags(Tag::builder().key("class").value("tmp").build().unwrap())
                        .object_size_less_than(1000)
                        .build(),
                )
                .build(),
        )
        .expiration(LifecycleExpiration::builder().days(1).build())
        .build()
        .unwrap();
    let archive_old = rule("old", "big")
        .noncurrent_version_transitions(
            NoncurrentVersionTransition::builder()
                .noncurrent_days(1)
                .storage_class(TransitionStorageClass::Glacier)
                .build(),
        )
        .build()
        .unwrap();
    set_rules(&c, "filters", vec![scratch, archive_old]).await.unwrap();
    for (key, tagging, size) in [
        ("t/tagged", Some("class=tmp"), 10),
        ("t/untagged", None, 10),
        ("t/too-big", Some("class=tmp"), 5000),
    ] {
        c.put_object()
            .bucket("filters")
            .key(key)
            .set_tagging(tagging.map(str::to_string))
            .body(ByteStream::from(vec![1u8; size]))
            .send()
            .await
            .unwrap();
    }
    let first = put(&c, "filters", "big", bytes_of(200 * 1024, 5))
        .await
        .version_id
        .unwrap();
    put(&c, "filters", "big", bytes_of(200 * 1024, 6)).await;

    tokio::time::sleep(std::time::Duration::from_millis(2300)).await;
    run_lifecycle(&s).await;
    // Only the object matching prefix, tag and size expired (a delete marker: versioned).
    assert_eq!(keys(&c, "filters").await, ["big", "t/too-big", "t/untagged"]);
    // The noncurrent version of `big` moved to GLACIER, the current one did not.
    let old = c
        .head_object()
        .bucket("filters")
        .key("big")
        .version_id(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(old.storage_class(), Some(&StorageClass::Glacier));
    let denied = c
        .get_object()
        .bucket("filters")
        .key("big")
        .version_id(&first)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&denied), "InvalidObjectState");
    let current = c.head_object().bucket("filters").key("big").send().await.unwrap();
    assert_eq!(current.storage_class(), None);
}
