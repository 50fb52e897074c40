//! Storage classes on real tiers, through the AWS SDK for Rust: a class mapped to a folder
//! tier writes there, lifecycle transitions move bytes into it, archived classes refuse reads
//! until RestoreObject makes a temporary copy, and that copy expires.

use std::path::Path;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, ExpirationStatus, GlacierJobParameters, LifecycleRule, LifecycleRuleFilter,
    RestoreRequest, StorageClass, Tier, Transition, TransitionStorageClass,
};

use crate::harness::*;
use crate::lifecycle::run_lifecycle;

/// A server with a `cold` folder tier for the archive classes, a one-second lifecycle day and
/// two-second Bulk restores.
fn server_with_cold_tier(root: &Path) -> TestServer {
    let cold = root.join("cold");
    let config = root.join("arca.toml");
    std::fs::write(
        &config,
        format!(
            "[tiers.cold]\npath = \"{}\"\n\n[storage_classes]\nGLACIER = \"cold\"\nDEEP_ARCHIVE = \"cold\"\n\n\
             [restore_delay_seconds]\nBulk = 2\n",
            cold.display()
        ),
    )
    .unwrap();
    TestServer::start_on(
        &root.join("data"),
        &["--config", config.to_str().unwrap(), "--lifecycle-day-seconds", "1"],
    )
}

fn files_under(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        n += if p.is_dir() { files_under(&p) } else { 1 };
    }
    n
}

async fn put_class(c: &Client, key: &str, body: &[u8], class: StorageClass) {
    c.put_object()
        .bucket("tiers")
        .key(key)
        .storage_class(class)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap();
}

async fn restore(c: &Client, key: &str, days: i32, tier: Tier) -> Result<u16, String> {
    c.restore_object()
        .bucket("tiers")
        .key(key)
        .restore_request(
            RestoreRequest::builder()
                .days(days)
                .glacier_job_parameters(GlacierJobParameters::builder().tier(tier).build().unwrap())
                .build(),
        )
        .send()
        .await
        .map(|_| 0)
        .map_err(|e| code(&e))
}

async fn restore_header(c: &Client, key: &str) -> Option<String> {
    let head = c.head_object().bucket("tiers").key(key).send().await.unwrap();
    head.restore().map(str::to_string)
}

#[tokio::test]
async fn archived_objects_live_in_their_tier_and_are_read_through_a_restored_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let s = server_with_cold_tier(tmp.path());
    let cold = tmp.path().join("cold");
    let c = s.client();
    make_bucket(&c, "tiers").await;
    let body = bytes_of(200 * 1024, 7);

    put_class(&c, "archive", &body, StorageClass::Glacier).await;
    assert_eq!(files_under(&cold), 1, "GLACIER bytes are written to the cold tier");
    let head = c.head_object().bucket("tiers").key("archive").send().await.unwrap();
    assert_eq!(head.storage_class(), Some(&StorageClass::Glacier));
    assert_eq!(head.restore(), None);
    let denied = c.get_object().bucket("tiers").key("archive").send().await.unwrap_err();
    assert_eq!((code(&denied), status(&denied)), ("InvalidObjectState".into(), 403));
    let copy = c
        .copy_object()
        .bucket("tiers")
        .key("copy")
        .copy_source("tiers/archive")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&copy), "InvalidObjectState");

    // Standard retrieval is immediate on this server: 202, then a readable copy.
    let out = c
        .restore_object()
        .bucket("tiers")
        .key("archive")
        .restore_request(RestoreRequest::builder().days(1).build())
        .send()
        .await
        .unwrap();
    assert_eq!(out.request_charged(), None);
    let header = restore_header(&c, "archive").await.expect("x-amz-restore");
    assert!(
        header.starts_with("ongoing-request=\"false\", expiry-date=\""),
        "{header}"
    );
    assert_eq!(get_bytes(&c, "tiers", "archive").await, body);
    // Asking again extends the copy (200 rather than 202).
    assert_eq!(restore(&c, "archive", 1, Tier::Standard).await, Ok(0));

    // Bulk takes two seconds here: the restore is ongoing, a second request conflicts.
    put_class(&c, "deep", b"deep archive", StorageClass::DeepArchive).await;
    assert_eq!(
        restore(&c, "deep", 1, Tier::Expedited).await,
        Err("InvalidArgument".into())
    );
    assert_eq!(restore(&c, "deep", 3, Tier::Bulk).await, Ok(0));
    assert_eq!(
        restore_header(&c, "deep").await.as_deref(),
        Some("ongoing-request=\"true\"")
    );
    assert_eq!(
        restore(&c, "deep", 3, Tier::Bulk).await,
        Err("RestoreAlreadyInProgress".into())
    );
    let early = c.get_object().bucket("tiers").key("deep").send().await.unwrap_err();
    assert_eq!(code(&early), "InvalidObjectState");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(
        restore_header(&c, "deep")
            .await
            .unwrap()
            .contains("ongoing-request=\"false\"")
    );
    assert_eq!(get_bytes(&c, "tiers", "deep").await, b"deep archive");

    // A one-"day" copy of `archive` (a day lasts a second) has expired by now.
    assert_eq!(restore_header(&c, "archive").await, None);
    let again = c.get_object().bucket("tiers").key("archive").send().await.unwrap_err();
    assert_eq!(code(&again), "InvalidObjectState");

    // Only archived objects are restored.
    put_class(&c, "hot", b"hot", StorageClass::Standard).await;
    assert_eq!(
        restore(&c, "hot", 1, Tier::Standard).await,
        Err("InvalidObjectState".into())
    );
}

#[tokio::test]
async fn a_lifecycle_transition_moves_the_bytes_to_the_target_tier() {
    let tmp = tempfile::tempdir().unwrap();
    let s = server_with_cold_tier(tmp.path());
    let cold = tmp.path().join("cold");
    let c = s.client();
    make_bucket(&c, "tiers").await;
    let body = bytes_of(300 * 1024, 9);
    put_class(&c, "report", &body, StorageClass::Standard).await;
    assert_eq!(files_under(&cold), 0);
    c.put_bucket_lifecycle_configuration()
        .bucket("tiers")
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(
                    LifecycleRule::builder()
                        .id("archive")
                        .status(ExpirationStatus::Enabled)
                        .filter(LifecycleRuleFilter::builder().prefix("").build())
                        .transitions(
                            Transition::builder()
                                .days(1)
                                .storage_class(TransitionStorageClass::Glacier)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    run_lifecycle(&s).await;

    let head = c.head_object().bucket("tiers").key("report").send().await.unwrap();
    assert_eq!(head.storage_class(), Some(&StorageClass::Glacier));
    assert_eq!(files_under(&cold), 1, "the bytes moved to the cold tier");
    let denied = c.get_object().bucket("tiers").key("report").send().await.unwrap_err();
    assert_eq!(code(&denied), "InvalidObjectState");
    assert_eq!(restore(&c, "report", 1, Tier::Standard).await, Ok(0));
    assert_eq!(get_bytes(&c, "tiers", "report").await, body);
}

/// Config for a tier `offsite` in bucket `bucket` of the server at `endpoint`, holding GLACIER.
fn remote_tier_config(root: &Path, endpoint: &str, bucket: &str) -> std::path::PathBuf {
    let config = root.join("arca.toml");
    std::fs::write(
        &config,
        format!(
            "[tiers.offsite]\nendpoint = \"{endpoint}\"\nbucket = \"{bucket}\"\naccess_key = \"{ACCESS_KEY}\"\n\
             secret_key = \"{SECRET_KEY}\"\nprefix = \"arca/\"\n\n[storage_classes]\nGLACIER = \"offsite\"\n"
        ),
    )
    .unwrap();
    config
}

async fn remote_objects(c: &Client) -> Vec<(String, i64)> {
    let out = c.list_objects_v2().bucket("tier").send().await.unwrap();
    out.contents()
        .iter()
        .map(|o| (o.key().unwrap().to_string(), o.size().unwrap_or(0)))
        .collect()
}

#[tokio::test]
async fn a_class_on_a_remote_tier_lives_in_a_bucket_of_another_server() {
    // The remote tier is a second Arca server on another loopback port.
    let remote = TestServer::start();
    let rc = remote.client();
    make_bucket(&rc, "tier").await;
    let tmp = tempfile::tempdir().unwrap();
    let config = remote_tier_config(tmp.path(), &remote.endpoint, "tier");
    let s = TestServer::start_on(
        &tmp.path().join("data"),
        &["--config", config.to_str().unwrap(), "--lifecycle-day-seconds", "1"],
    );
    let c = s.client();
    make_bucket(&c, "tiers").await;

    // 20 MiB as GLACIER: uploaded to the remote bucket in parts, as one object of frames.
    let big = bytes_of(20 << 20, 3);
    put_class(&c, "big", &big, StorageClass::Glacier).await;
    let stored = remote_objects(&rc).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(stored[0].0.starts_with("arca/") && stored[0].1 > big.len() as i64);
    assert_eq!(restore(&c, "big", 1, Tier::Standard).await, Ok(0));
    assert_eq!(get_bytes(&c, "tiers", "big").await, big);

    // A lifecycle transition moves a STANDARD object's bytes to the remote too.
    let later = bytes_of(300 * 1024, 4);
    put_class(&c, "later", &later, StorageClass::Standard).await;
    let rule = LifecycleRule::builder()
        .id("offsite")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("later").build())
        .transitions(
            Transition::builder()
                .days(1)
                .storage_class(TransitionStorageClass::Glacier)
                .build(),
        )
        .build()
        .unwrap();
    c.put_bucket_lifecycle_configuration()
        .bucket("tiers")
        .lifecycle_configuration(BucketLifecycleConfiguration::builder().rules(rule).build().unwrap())
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    run_lifecycle(&s).await;
    assert_eq!(remote_objects(&rc).await.len(), 2);
    assert_eq!(restore(&c, "later", 1, Tier::Standard).await, Ok(0));
    assert_eq!(get_bytes(&c, "tiers", "later").await, later);

    // Deleted objects' remote bytes are removed by GC (after its grace period).
    for key in ["big", "later"] {
        c.delete_object().bucket("tiers").key(key).send().await.unwrap();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    while !remote_objects(&rc).await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "remote blobs were never removed");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn a_remote_tier_whose_bucket_is_missing_stops_the_server_at_start() {
    let remote = TestServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let config = remote_tier_config(tmp.path(), &remote.endpoint, "no-such-bucket");
    let err = spawn(&tmp.path().join("data"), &["--config", config.to_str().unwrap()], true)
        .expect_err("the server must not start");
    assert!(err.contains("tier offsite") && err.contains("no-such-bucket"), "{err}");
}

/// The admin API's progress of the INTELLIGENT_TIERING job: (moves to infrequent, back).
async fn intelligent_moves(s: &TestServer) -> (u64, u64) {
    let (_, _, jobs) = send(signed("GET", &s.url("/?arca-admin=jobs"), &[], b"", Sign::default())).await;
    let section = jobs
        .split("\"job\": \"intelligent-tiering\"")
        .nth(1)
        .unwrap_or_default();
    let count = |name: &str| {
        section
            .split(&format!("\"{name}\": "))
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (count("to_infrequent"), count("to_frequent"))
}

#[tokio::test]
async fn intelligent_tiering_moves_idle_objects_to_the_infrequent_tier_and_back_when_read() {
    let tmp = tempfile::tempdir().unwrap();
    let slow = tmp.path().join("slow");
    let config = tmp.path().join("arca.toml");
    std::fs::write(
        &config,
        format!(
            "[tiers.slow]\npath = \"{}\"\n\n[intelligent_tiering]\ninfrequent_tier = \"slow\"\ndays_to_infrequent = 1\n",
            slow.display()
        ),
    )
    .unwrap();
    let s = TestServer::start_on(
        &tmp.path().join("data"),
        &["--config", config.to_str().unwrap(), "--lifecycle-day-seconds", "1"],
    );
    let c = s.client();
    make_bucket(&c, "tiers").await;
    let body = bytes_of(250 * 1024, 11);
    put_class(&c, "smart", &body, StorageClass::IntelligentTiering).await;
    assert_eq!(files_under(&slow), 0, "written to the frequent tier");

    // Not read for a (one-second) day: the job, every second, moves it to the slow tier.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while intelligent_moves(&s).await.0 == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "never moved to the infrequent tier"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(files_under(&slow), 1);
    let head = c.head_object().bucket("tiers").key("smart").send().await.unwrap();
    assert_eq!(head.storage_class(), Some(&StorageClass::IntelligentTiering));

    // Read: the bytes come from the slow tier, and the object moves back.
    assert_eq!(get_bytes(&c, "tiers", "smart").await, body);
    while intelligent_moves(&s).await.1 == 0 {
        assert!(std::time::Instant::now() < deadline, "never moved back after a read");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(get_bytes(&c, "tiers", "smart").await, body);
}
