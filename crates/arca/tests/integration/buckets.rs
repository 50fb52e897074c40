use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration, Tag, Tagging};

use crate::harness::*;

#[tokio::test]
async fn create_list_head_delete_bucket() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "alpha").await;
    make_bucket(&c, "beta").await;
    let names: Vec<String> = c
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_string))
        .collect();
    assert_eq!(names, ["alpha", "beta"]);
    c.head_bucket().bucket("alpha").send().await.unwrap();
    c.delete_bucket().bucket("alpha").send().await.unwrap();
    let e = c.head_bucket().bucket("alpha").send().await.unwrap_err();
    assert_eq!(status(&e), 404);
}

#[tokio::test]
async fn bucket_naming_and_ownership_errors() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "taken").await;
    // AWS's legacy rule for us-east-1: creating a bucket you own again succeeds.
    c.create_bucket().bucket("taken").send().await.unwrap();
    for bad in ["ab", "Upper", "under_score", "-dash", "a..b", "192.168.1.1"] {
        let e = c.create_bucket().bucket(bad).send().await.unwrap_err();
        assert_eq!(code(&e), "InvalidBucketName", "{bad}");
    }
    let e = c
        .create_bucket()
        .bucket("elsewhere")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidLocationConstraint");
    let e = c.delete_bucket().bucket("missing").send().await.unwrap_err();
    assert_eq!(code(&e), "NoSuchBucket");
}

#[tokio::test]
async fn delete_non_empty_bucket_fails() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "full").await;
    c.put_object()
        .bucket("full")
        .key("k")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    let e = c.delete_bucket().bucket("full").send().await.unwrap_err();
    assert_eq!(code(&e), "BucketNotEmpty");
    assert_eq!(get_bytes(&c, "full", "k").await, b"x");
}

#[tokio::test]
async fn location_of_bucket_in_non_default_region() {
    let tmp = tempfile::tempdir().unwrap();
    let s = TestServer::start_on(&tmp.path().join("d"), &["--region", "eu-west-1"]);
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .endpoint_url(&s.endpoint)
        .region(aws_sdk_s3::config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "t",
        ))
        .force_path_style(true)
        .build();
    let c = aws_sdk_s3::Client::from_conf(conf);
    c.create_bucket()
        .bucket("euro")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let loc = c.get_bucket_location().bucket("euro").send().await.unwrap();
    assert_eq!(loc.location_constraint(), Some(&BucketLocationConstraint::EuWest1));
    // Outside us-east-1, creating it again is an error.
    let e = c
        .create_bucket()
        .bucket("euro")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "BucketAlreadyOwnedByYou");
}

#[tokio::test]
async fn default_region_location_is_empty() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "home").await;
    let loc = c.get_bucket_location().bucket("home").send().await.unwrap();
    assert!(loc.location_constraint().is_none() || loc.location_constraint().unwrap().as_str().is_empty());
}

#[tokio::test]
async fn bucket_tagging_round_trip() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "tagged").await;
    let e = c.get_bucket_tagging().bucket("tagged").send().await.unwrap_err();
    assert_eq!(code(&e), "NoSuchTagSet");
    let tagging = Tagging::builder()
        .tag_set(Tag::builder().key("team").value("storage").build().unwrap())
        .tag_set(Tag::builder().key("env").value("test").build().unwrap())
        .build()
        .unwrap();
    c.put_bucket_tagging()
        .bucket("tagged")
        .tagging(tagging)
        .send()
        .await
        .unwrap();
    let got = c.get_bucket_tagging().bucket("tagged").send().await.unwrap();
    let mut tags: Vec<(String, String)> = got
        .tag_set()
        .iter()
        .map(|t| (t.key().into(), t.value().into()))
        .collect();
    tags.sort();
    assert_eq!(tags, [("env".into(), "test".into()), ("team".into(), "storage".into())]);
    c.delete_bucket_tagging().bucket("tagged").send().await.unwrap();
    let e = c.get_bucket_tagging().bucket("tagged").send().await.unwrap_err();
    assert_eq!(code(&e), "NoSuchTagSet");
}

#[tokio::test]
async fn a_bucket_named_health_still_works() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "health").await;
    c.put_object()
        .bucket("health")
        .key("k")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    let listed = c.list_objects().bucket("health").send().await.unwrap();
    assert_eq!(listed.contents().len(), 1);
    // Unauthenticated, it is the liveness probe.
    assert_eq!(
        reqwest::get(format!("{}/health", s.endpoint))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok\n"
    );
}
