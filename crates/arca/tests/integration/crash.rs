//! `kill -9` during a stream of concurrent writes: everything acknowledged survives byte-exact,
//! nothing half-written is visible, and the bytes of interrupted writes are reclaimed. Half
//! the writers seal under SSE-S3, half under their own SSE-C key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};

use crate::customer_keys::{CustomerKey, customer_key};
use crate::harness::*;
use crate::negative::walk_files;

/// What a writer attempted for one key, in order, and how many of those were acknowledged.
#[derive(Default, Clone)]
struct KeyHistory {
    attempts: Vec<Vec<u8>>,
    acked: usize,
    /// The byte of the SSE-C key its writer seals under (`None`: SSE-S3).
    customer_key: Option<u8>,
}

/// Sets the SSE-C headers of `$k` (an `Option<&CustomerKey>`) on any builder that has them.
macro_rules! maybe_key {
    ($builder:expr, $k:expr) => {
        $builder
            .set_sse_customer_algorithm($k.map(|_| "AES256".to_string()))
            .set_sse_customer_key($k.map(|k| k.key.clone()))
            .set_sse_customer_key_md5($k.map(|k| k.md5.clone()))
    };
}

type Ledger = Arc<Mutex<HashMap<String, KeyHistory>>>;

fn payload(key: &str, round: usize) -> Vec<u8> {
    // Sizes cross the inline threshold and the blob block size.
    let len = [700usize, 40_000, 200_000, 1_100_000][round % 4];
    let mut seed = round as u64;
    for b in key.bytes() {
        seed = seed.wrapping_mul(31).wrapping_add(u64::from(b));
    }
    bytes_of(len, seed)
}

async fn writer(c: aws_sdk_s3::Client, ledger: Ledger, id: usize, stop: Arc<std::sync::atomic::AtomicBool>) {
    let key_byte = (id % 2 == 1).then_some(100 + id as u8);
    let customer = key_byte.map(customer_key);
    let mut round = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        // Overwrites of a small key set plus fresh keys.
        let key = if round % 2 == 0 {
            format!("over/w{id}")
        } else {
            format!("new/w{id}-{round}")
        };
        let data = payload(&key, round);
        {
            let mut l = ledger.lock().unwrap();
            let h = l.entry(key.clone()).or_default();
            h.attempts.push(data.clone());
            h.customer_key = key_byte;
        }
        let multipart = round % 5 == 4;
        let ok = if multipart {
            upload_multipart(&c, &key, &data, customer.as_ref()).await
        } else {
            maybe_key!(
                c.put_object().bucket("crash").key(&key).body(data.into()),
                customer.as_ref()
            )
            .send()
            .await
            .is_ok()
        };
        if ok {
            let mut l = ledger.lock().unwrap();
            let h = l.get_mut(&key).unwrap();
            h.acked = h.attempts.len();
        }
        round += 1;
    }
}

async fn upload_multipart(c: &aws_sdk_s3::Client, key: &str, data: &[u8], customer: Option<&CustomerKey>) -> bool {
    let Ok(up) = maybe_key!(c.create_multipart_upload().bucket("crash").key(key), customer)
        .send()
        .await
    else {
        return false;
    };
    let id = up.upload_id().unwrap().to_string();
    let Ok(p) = maybe_key!(
        c.upload_part()
            .bucket("crash")
            .key(key)
            .upload_id(&id)
            .part_number(1)
            .body(data.to_vec().into()),
        customer
    )
    .send()
    .await
    else {
        return false;
    };
    let parts = CompletedMultipartUpload::builder()
        .parts(
            CompletedPart::builder()
                .part_number(1)
                .e_tag(p.e_tag().unwrap())
                .build(),
        )
        .build();
    c.complete_multipart_upload()
        .bucket("crash")
        .key(key)
        .upload_id(&id)
        .multipart_upload(parts)
        .send()
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let mut server = TestServer::start_on(&dir, &["--sse-c-over-loopback-http"]);
    let c = server.client();
    make_bucket(&c, "crash").await;
    let ledger: Ledger = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for id in 0..8 {
        tasks.push(tokio::spawn(writer(c.clone(), ledger.clone(), id, stop.clone())));
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    server.kill9();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(30), t).await;
    }
    let ledger = ledger.lock().unwrap().clone();
    let acked_total: usize = ledger.values().map(|h| h.acked).sum();
    assert!(
        acked_total > 20,
        "the load did not get going: {acked_total} acknowledged writes"
    );
    let in_flight = ledger.values().filter(|h| h.attempts.len() > h.acked).count();
    eprintln!("crash test: {acked_total} acknowledged writes, {in_flight} in flight at kill -9");

    let server = TestServer::start_on(&dir, &["--sse-c-over-loopback-http"]);
    let c = server.client();
    let mut listed = Vec::new();
    let mut pages = c.list_objects_v2().bucket("crash").into_paginator().send();
    while let Some(p) = pages.next().await {
        listed.extend(p.unwrap().contents().iter().filter_map(|o| o.key().map(str::to_string)));
    }
    for (key, h) in &ledger {
        let customer = h.customer_key.map(customer_key);
        let got = maybe_key!(c.get_object().bucket("crash").key(key), customer.as_ref())
            .send()
            .await;
        match got {
            Ok(r) => {
                // Every write was sealed (single PUTs and multipart uploads alike): a kill -9
                // mid-write loses nothing acknowledged of encrypted data either.
                let sealed = match &customer {
                    None => r.server_side_encryption() == Some(&aws_sdk_s3::types::ServerSideEncryption::Aes256),
                    Some(k) => r.sse_customer_key_md5() == Some(k.md5.as_str()),
                };
                assert!(sealed, "{key} is sealed as its writer asked");
                let bytes = r.body.collect().await.unwrap().into_bytes().to_vec();
                // Exactly one attempted version, never a mix; no older than the last ack.
                let idx = h.attempts.iter().rposition(|a| *a == bytes);
                let idx =
                    idx.unwrap_or_else(|| panic!("{key}: content matches no attempted write ({} bytes)", bytes.len()));
                assert!(
                    idx + 1 >= h.acked,
                    "{key}: acknowledged version {} lost, found {}",
                    h.acked,
                    idx + 1
                );
                assert!(listed.contains(key), "{key} readable but not listed");
            }
            Err(e) => {
                assert_eq!(h.acked, 0, "{key}: acknowledged write lost ({})", code(&e));
                assert!(!listed.contains(key), "{key} listed but not readable");
            }
        }
    }
    for key in &listed {
        assert!(ledger.contains_key(key), "unknown key listed: {key}");
    }

    eprintln!(
        "crash test: after restart {} keys listed, {} blob files on disk",
        listed.len(),
        walk_files(&dir.join("blobs")).len()
    );
    // Remove everything; every blob, including those of interrupted writes, must be reclaimed.
    for chunk in listed.chunks(500) {
        let del = Delete::builder()
            .set_objects(Some(
                chunk
                    .iter()
                    .map(|k| ObjectIdentifier::builder().key(k).build().unwrap())
                    .collect(),
            ))
            .build()
            .unwrap();
        c.delete_objects().bucket("crash").delete(del).send().await.unwrap();
    }
    let uploads = c.list_multipart_uploads().bucket("crash").send().await.unwrap();
    for u in uploads.uploads() {
        c.abort_multipart_upload()
            .bucket("crash")
            .key(u.key().unwrap())
            .upload_id(u.upload_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    loop {
        let left = walk_files(&dir.join("blobs")).len();
        if left == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{left} blob files were never reclaimed"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// What a versioned writer had acknowledged: each version id with its bytes, and the ids of
/// the delete markers it made.
#[derive(Default)]
struct VersionLedger {
    versions: HashMap<String, (String, Vec<u8>)>,
    markers: Vec<(String, String)>,
}

async fn versioned_writer(
    c: aws_sdk_s3::Client,
    ledger: Arc<Mutex<VersionLedger>>,
    id: usize,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    let mut round = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let key = format!("k{}", (id + round) % 4);
        if round % 5 == 4 {
            if let Ok(out) = c.delete_object().bucket("vcrash").key(&key).send().await {
                let marker = out.version_id().unwrap().to_string();
                ledger.lock().unwrap().markers.push((key, marker));
            }
        } else {
            let data = payload(&key, round);
            if let Ok(out) = c
                .put_object()
                .bucket("vcrash")
                .key(&key)
                .body(data.clone().into())
                .send()
                .await
            {
                let version = out.version_id().unwrap().to_string();
                ledger.lock().unwrap().versions.insert(version, (key, data));
            }
        }
        round += 1;
    }
}

/// `kill -9` under versioned overwrites and deletes: every acknowledged version reads back by
/// id byte-exact, every acknowledged delete marker is listed, no listed version has lost its
/// bytes, and removing every version reclaims every blob.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_versions_survive_kill_9() {
    use aws_sdk_s3::types::BucketVersioningStatus;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let mut server = TestServer::start_on(&dir, &[]);
    let c = server.client();
    make_bucket(&c, "vcrash").await;
    set_versioning(&c, "vcrash", BucketVersioningStatus::Enabled).await;
    let ledger: Arc<Mutex<VersionLedger>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tasks: Vec<_> = (0..6)
        .map(|id| tokio::spawn(versioned_writer(c.clone(), ledger.clone(), id, stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_millis(2000)).await;
    server.kill9();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(30), t).await;
    }
    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    assert!(ledger.versions.len() > 10, "the load did not get going");

    let server = TestServer::start_on(&dir, &[]);
    let c = server.client();
    let mut listed = Vec::new();
    let mut listed_markers = Vec::new();
    let (mut key_marker, mut id_marker) = (None, None);
    loop {
        let page = c
            .list_object_versions()
            .bucket("vcrash")
            .set_key_marker(key_marker)
            .set_version_id_marker(id_marker)
            .send()
            .await
            .unwrap();
        for v in page.versions() {
            listed.push((v.key().unwrap().to_string(), v.version_id().unwrap().to_string()));
        }
        for m in page.delete_markers() {
            listed_markers.push((m.key().unwrap().to_string(), m.version_id().unwrap().to_string()));
        }
        if page.is_truncated() != Some(true) {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_string);
        id_marker = page.next_version_id_marker().map(str::to_string);
    }
    for (version, (key, data)) in &ledger.versions {
        let got = c
            .get_object()
            .bucket("vcrash")
            .key(key)
            .version_id(version)
            .send()
            .await;
        let got = got.unwrap_or_else(|e| panic!("{key} {version}: acknowledged version lost ({})", code(&e)));
        assert_eq!(
            got.body.collect().await.unwrap().into_bytes().to_vec(),
            *data,
            "{key} {version}"
        );
    }
    for marker in &ledger.markers {
        assert!(
            listed_markers.contains(marker),
            "acknowledged delete marker lost: {marker:?}"
        );
    }
    // Every listed version, acknowledged or not, still has its bytes.
    for (key, version) in &listed {
        let got = c
            .get_object()
            .bucket("vcrash")
            .key(key)
            .version_id(version)
            .send()
            .await;
        got.unwrap_or_else(|e| panic!("{key} {version} listed but unreadable ({})", code(&e)));
    }
    eprintln!(
        "versioned crash test: {} acknowledged versions, {} markers; {} versions listed after restart",
        ledger.versions.len(),
        ledger.markers.len(),
        listed.len()
    );
    for chunk in listed.iter().chain(&listed_markers).collect::<Vec<_>>().chunks(500) {
        let ids = chunk
            .iter()
            .map(|(k, v)| ObjectIdentifier::builder().key(k).version_id(v).build().unwrap())
            .collect();
        let del = Delete::builder().set_objects(Some(ids)).build().unwrap();
        c.delete_objects().bucket("vcrash").delete(del).send().await.unwrap();
    }
    c.delete_bucket().bucket("vcrash").send().await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    while !walk_files(&dir.join("blobs")).is_empty() {
        assert!(std::time::Instant::now() < deadline, "blob files were never reclaimed");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `kill -9` while a lifecycle pass moves objects to a cold tier and expires others: after a
/// restart and another pass, every object kept is whole in its new class (read back through a
/// restore), every expired one is gone, and the blobs of transitions the kill interrupted — in
/// either tier — are reclaimed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lifecycle_transitions_survive_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, cold) = (tmp.path().join("data"), tmp.path().join("cold"));
    let config = tmp.path().join("arca.toml");
    std::fs::write(
        &config,
        format!(
            "[tiers.cold]\npath = \"{}\"\n[storage_classes]\nGLACIER = \"cold\"\n",
            cold.display()
        ),
    )
    .unwrap();
    let flags = ["--config", config.to_str().unwrap(), "--lifecycle-day-seconds", "1"];
    let mut s = TestServer::start_on(&data, &flags);
    let c = s.client();
    make_bucket(&c, "moves").await;
    // Large enough that moving them all takes the pass a good fraction of a second.
    let body = |i: usize| bytes_of(400_000 + i * 7, i as u64);
    for i in 0..120 {
        c.put_object()
            .bucket("moves")
            .key(format!("m/{i:03}"))
            .body(body(i).into())
            .send()
            .await
            .unwrap();
    }
    for i in 0..60 {
        c.put_object()
            .bucket("moves")
            .key(format!("gone/{i:03}"))
            .body(bytes_of(50_000, 1000 + i as u64).into())
            .send()
            .await
            .unwrap();
    }
    let rules = "<LifecycleConfiguration>\
        <Rule><ID>cold</ID><Status>Enabled</Status><Filter><Prefix>m/</Prefix></Filter>\
        <Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>\
        <Rule><ID>gone</ID><Status>Enabled</Status><Filter><Prefix>gone/</Prefix></Filter>\
        <Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>";
    let md5 = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        <md5::Md5 as md5::Digest>::digest(rules.as_bytes()),
    );
    let req = signed(
        "PUT",
        &s.url("/moves?lifecycle"),
        &[("content-md5", &md5)],
        rules.as_bytes(),
        Sign::default(),
    );
    assert_eq!(send(req).await.0, 200);
    // Due after two one-second days; the scheduled pass (every second) starts on its own.
    // Kill the server as soon as its first copy appears in the cold tier: mid-pass.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while walk_files(&cold).is_empty() {
        assert!(std::time::Instant::now() < deadline, "no transition started");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    s.kill9();

    let s = TestServer::start_on(&data, &flags);
    let c = s.client();
    let (_, _, jobs) = send(signed("GET", &s.url("/?arca-admin=jobs"), &[], b"", Sign::default())).await;
    eprintln!("lifecycle crash test: jobs after the kill: {jobs}");
    assert!(
        !jobs.contains("\"transitioned\": 120"),
        "the kill came after the pass: {jobs}"
    );
    // The kill may come before the last `gone/` keys are due (a day counts from the next day
    // boundary after each PUT): wait until every key is surely due, then pass once more.
    tokio::time::sleep(Duration::from_secs(3)).await;
    crate::lifecycle::run_lifecycle(&s).await;
    let listed = c.list_objects_v2().bucket("moves").max_keys(1000).send().await.unwrap();
    let keys: Vec<String> = listed.contents().iter().map(|o| o.key().unwrap().to_string()).collect();
    let expected: Vec<String> = (0..120).map(|i| format!("m/{i:03}")).collect();
    assert_eq!(keys, expected, "expired keys gone, moved keys all there");
    for (i, key) in expected.iter().enumerate() {
        let head = c.head_object().bucket("moves").key(key).send().await.unwrap();
        assert_eq!(head.storage_class().map(|s| s.as_str()), Some("GLACIER"), "{key}");
        c.restore_object()
            .bucket("moves")
            .key(key)
            .restore_request(aws_sdk_s3::types::RestoreRequest::builder().days(1).build())
            .send()
            .await
            .unwrap();
        assert!(
            get_bytes(&c, "moves", key).await == body(i),
            "{key} read back different bytes"
        );
    }
    eprintln!(
        "lifecycle crash test: {} blob files in main, {} in the cold tier after the restart",
        walk_files(&data.join("blobs")).len(),
        walk_files(&cold).len()
    );

    // Everything deleted: no blob of an interrupted move is left in either tier.
    let del = Delete::builder()
        .set_objects(Some(
            expected
                .iter()
                .map(|k| ObjectIdentifier::builder().key(k).build().unwrap())
                .collect(),
        ))
        .build()
        .unwrap();
    c.delete_objects().bucket("moves").delete(del).send().await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    loop {
        let left = walk_files(&data.join("blobs")).len() + walk_files(&cold).len();
        if left == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{left} blob files were never reclaimed"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Users, keys, inline policies and bucket policies are committed like any write: a `kill -9`
/// right after they are acknowledged loses none of them, and the key's secret still opens
/// (the wrapping key file is durable too).
#[tokio::test]
async fn identities_and_policies_survive_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut s = TestServer::start_on(&data, &[]);
    let c = s.client();
    make_bucket(&c, "kept").await;
    c.put_object()
        .bucket("kept")
        .key("k")
        .body(b"v".to_vec().into())
        .send()
        .await
        .unwrap();
    let iam = |form: &str| {
        let sign = Sign {
            service: "iam",
            ..Default::default()
        };
        signed("POST", &s.url("/"), &[], form.as_bytes(), sign)
    };
    assert_eq!(send(iam("Action=CreateUser&UserName=dora")).await.0, 200);
    let (status, _, created) = send(iam("Action=CreateAccessKey&UserName=dora")).await;
    assert_eq!(status, 200, "{created}");
    let policy = "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Akept%2F*%22%7D%7D";
    let (status, _, body) = send(iam(&format!(
        "Action=PutUserPolicy&UserName=dora&PolicyName=read&PolicyDocument={policy}"
    )))
    .await;
    assert_eq!(status, 200, "{body}");
    // Writing comes through a managed policy attached to a group dora is in.
    let put = "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3APutObject%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Akept%2F*%22%7D%7D";
    for form in [
        "Action=CreateGroup&GroupName=ops".to_string(),
        format!("Action=CreatePolicy&PolicyName=put&PolicyDocument={put}"),
        "Action=AttachGroupPolicy&GroupName=ops&PolicyArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Fput".to_string(),
        "Action=AddUserToGroup&GroupName=ops&UserName=dora".to_string(),
    ] {
        let (status, _, body) = send(iam(&form)).await;
        assert_eq!(status, 200, "{form}: {body}");
    }
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::kept/*"}]}"#;
    c.put_bucket_policy().bucket("kept").policy(deny).send().await.unwrap();
    // An account, its root key and its bucket.
    let account = create_account(&s, "crew").await;
    let crew_keys = (
        account["access_key_id"].as_str().unwrap().to_string(),
        account["secret_access_key"].as_str().unwrap().to_string(),
    );
    let crew = client_with(&s.endpoint, &crew_keys.0, &crew_keys.1);
    make_bucket(&crew, "crew-files").await;
    // A role, and a session of it: nothing of the session is stored but the key that seals it.
    let trust = "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22000000000000%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%7D";
    for form in [
        format!("Action=CreateRole&RoleName=reader&AssumeRolePolicyDocument={trust}"),
        format!("Action=PutRolePolicy&RoleName=reader&PolicyName=read&PolicyDocument={policy}"),
    ] {
        let (st, _, body) = send(iam(&form)).await;
        assert_eq!(st, 200, "{form}: {body}");
    }
    let assume = "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Freader&RoleSessionName=before";
    let sts = Sign {
        service: "sts",
        ..Default::default()
    };
    let (st, _, assumed) = send(signed("POST", &s.url("/"), &[], assume.as_bytes(), sts)).await;
    assert_eq!(st, 200, "{assumed}");
    // A bucket whose ACLs count, an object ACL, a login profile, account-level blocks.
    make_acl_bucket(&s, "open").await;
    let (st, _, body) = send(signed(
        "PUT",
        &s.url("/open/page"),
        &[("x-amz-acl", "public-read")],
        b"page",
        Sign::default(),
    ))
    .await;
    assert_eq!(st, 200, "{body}");
    let (st, _, body) = send(iam("Action=CreateLoginProfile&UserName=dora&Password=Correct-Horse-9")).await;
    assert_eq!(st, 200, "{body}");
    let blocks = br#"<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#;
    let (st, _, body) = send(signed(
        "PUT",
        &s.url("/v20180820/configuration/publicAccessBlock"),
        &[("x-amz-account-id", "000000000000")],
        blocks,
        Sign::default(),
    ))
    .await;
    assert_eq!(st, 200, "{body}");
    s.kill9();

    let s = TestServer::start_on(&data, &[]);
    let field = |name: &str| {
        let start = created.find(&format!("<{name}>")).unwrap() + name.len() + 2;
        created[start..].split('<').next().unwrap().to_string()
    };
    let dora = client_with(&s.endpoint, &field("AccessKeyId"), &field("SecretAccessKey"));
    assert_eq!(
        get_bytes(&dora, "kept", "k").await,
        b"v",
        "the key and its policy survived"
    );
    dora.put_object()
        .bucket("kept")
        .key("from-dora")
        .body(b"d".to_vec().into())
        .send()
        .await
        .expect("the group, its managed policy and the membership survived");
    let e = s
        .client()
        .delete_object()
        .bucket("kept")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied", "the bucket policy survived");
    let crew = client_with(&s.endpoint, &crew_keys.0, &crew_keys.1);
    let listed = crew
        .list_buckets()
        .send()
        .await
        .expect("the account and its key survived");
    let names: Vec<&str> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["crew-files"]);
    let e = s.client().head_bucket().bucket("crew-files").send().await.unwrap_err();
    assert_eq!(
        crate::harness::status(&e),
        403,
        "the bucket is still the other account's"
    );
    let session = client_with_session(
        &s.endpoint,
        element(&assumed, "AccessKeyId"),
        element(&assumed, "SecretAccessKey"),
        element(&assumed, "SessionToken"),
    );
    assert_eq!(
        get_bytes(&session, "kept", "k").await,
        b"v",
        "the role survived, and its session with it"
    );
    let (st, _, _) = send(http::Request::get(s.url("/open/page")).body(Vec::new()).unwrap()).await;
    assert_eq!(
        st, 200,
        "the object's public-read ACL and the bucket's ownership survived"
    );
    let sign_in = serde_json::json!({"account": "000000000000", "user": "dora", "password": "Correct-Horse-9"});
    let req = http::Request::post(s.url("/?arca-sign-in"))
        .body(sign_in.to_string().into_bytes())
        .unwrap();
    assert_eq!(send(req).await.0, 200, "the login profile survived");
    let (st, _, body) = send(signed(
        "PUT",
        &s.url("/open/other"),
        &[("x-amz-acl", "public-read")],
        b"x",
        Sign::default(),
    ))
    .await;
    assert_eq!(
        (st, xml_code(&body)),
        (403, "AccessDenied"),
        "the account's blocks survived: {body}"
    );
}
