//! Versioning through the AWS SDK for Rust: the bucket's state, version ids on every write,
//! delete markers, reads and deletes of a given version, ListObjectVersions and its
//! pagination, and restoring an older version by copying it onto its key.

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, Delete, ObjectIdentifier};

use crate::harness::*;

async fn put(c: &Client, bucket: &str, key: &str, body: &str) -> Option<String> {
    c.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .unwrap()
        .version_id
}

async fn body_of(c: &Client, bucket: &str, key: &str, version: &str) -> String {
    let out = c
        .get_object()
        .bucket(bucket)
        .key(key)
        .version_id(version)
        .send()
        .await
        .unwrap();
    assert_eq!(out.version_id(), Some(version));
    String::from_utf8(out.body.collect().await.unwrap().to_vec()).unwrap()
}

/// (key, version id, is latest, is a delete marker) of every version, page by page.
async fn versions(c: &Client, bucket: &str, max_keys: i32) -> Vec<(String, String, bool, bool)> {
    let mut out = Vec::new();
    let (mut key_marker, mut id_marker) = (None, None);
    loop {
        let page = c
            .list_object_versions()
            .bucket(bucket)
            .max_keys(max_keys)
            .set_key_marker(key_marker)
            .set_version_id_marker(id_marker)
            .send()
            .await
            .unwrap();
        let mut rows: Vec<(String, String, bool, bool)> = page
            .versions()
            .iter()
            .map(|v| {
                (
                    v.key().unwrap().into(),
                    v.version_id().unwrap().into(),
                    v.is_latest().unwrap(),
                    false,
                )
            })
            .chain(page.delete_markers().iter().map(|m| {
                (
                    m.key().unwrap().into(),
                    m.version_id().unwrap().into(),
                    m.is_latest().unwrap(),
                    true,
                )
            }))
            .collect();
        // The SDK hands versions and markers over in two lists. Put them back in S3's order
        // for these tests: by key, the latest first, then newest first (Arca's ids sort by
        // age), the null version last (in these tests it is the oldest unless latest).
        rows.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(b.2.cmp(&a.2))
                .then((a.1 == "null").cmp(&(b.1 == "null")))
                .then(b.1.cmp(&a.1))
        });
        out.extend(rows);
        if !page.is_truncated().unwrap() {
            return out;
        }
        key_marker = page.next_key_marker().map(str::to_string);
        id_marker = page.next_version_id_marker().map(str::to_string);
    }
}

#[tokio::test]
async fn versions_markers_and_promotion() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "ver").await;
    let state = c.get_bucket_versioning().bucket("ver").send().await.unwrap();
    assert_eq!(state.status(), None, "never versioned: no Status");
    assert_eq!(put(&c, "ver", "k", "null one").await, None);
    set_versioning(&c, "ver", BucketVersioningStatus::Enabled).await;
    let state = c.get_bucket_versioning().bucket("ver").send().await.unwrap();
    assert_eq!(state.status(), Some(&BucketVersioningStatus::Enabled));
    let v1 = put(&c, "ver", "k", "first").await.unwrap();
    let v2 = put(&c, "ver", "k", "second").await.unwrap();
    assert_ne!(v1, v2);
    assert_eq!(get_bytes(&c, "ver", "k").await, b"second");
    assert_eq!(body_of(&c, "ver", "k", &v1).await, "first");
    assert_eq!(body_of(&c, "ver", "k", "null").await, "null one");
    let head = c.head_object().bucket("ver").key("k").send().await.unwrap();
    assert_eq!(head.version_id(), Some(v2.as_str()));

    // DELETE without a version id: a delete marker hides the key.
    let del = c.delete_object().bucket("ver").key("k").send().await.unwrap();
    assert_eq!(del.delete_marker(), Some(true));
    let marker = del.version_id().unwrap().to_string();
    let e = c.get_object().bucket("ver").key("k").send().await.unwrap_err();
    assert_eq!((status(&e), code(&e).as_str()), (404, "NoSuchKey"));
    let raw = e.raw_response().unwrap();
    assert_eq!(raw.headers().get("x-amz-delete-marker"), Some("true"));
    assert_eq!(raw.headers().get("x-amz-version-id"), Some(marker.as_str()));
    let e = c
        .head_object()
        .bucket("ver")
        .key("k")
        .version_id(&marker)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&e), 405);
    let listed = c.list_objects_v2().bucket("ver").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(0), "a key behind a marker is not listed");
    assert_eq!(
        versions(&c, "ver", 1000).await,
        [
            ("k".into(), marker.clone(), true, true),
            ("k".into(), v2.clone(), false, false),
            ("k".into(), v1.clone(), false, false),
            ("k".into(), "null".into(), false, false),
        ]
    );

    // A conditional delete of a version compares that version's ETag, not the current one's.
    let first = c
        .head_object()
        .bucket("ver")
        .key("k")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    let first_etag = first.e_tag().unwrap().to_string();
    let e = c
        .delete_object()
        .bucket("ver")
        .key("k")
        .version_id(&v2)
        .if_match(&first_etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "PreconditionFailed");

    // Removing the marker brings the key back; removing the current version promotes v1.
    let del = c
        .delete_object()
        .bucket("ver")
        .key("k")
        .version_id(&marker)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (del.delete_marker(), del.version_id()),
        (Some(true), Some(marker.as_str()))
    );
    assert_eq!(get_bytes(&c, "ver", "k").await, b"second");
    c.delete_object()
        .bucket("ver")
        .key("k")
        .version_id(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&c, "ver", "k").await, b"first");

    // Restore by copying an old version onto its key: a new current version.
    let restored = c
        .copy_object()
        .bucket("ver")
        .key("k")
        .copy_source("ver/k?versionId=null")
        .send()
        .await
        .unwrap();
    assert_eq!(restored.copy_source_version_id(), Some("null"));
    assert!(restored.version_id().is_some());
    assert_eq!(get_bytes(&c, "ver", "k").await, b"null one");

    // A bucket with versions left is not empty.
    let e = c.delete_bucket().bucket("ver").send().await.unwrap_err();
    assert_eq!(code(&e), "BucketNotEmpty");
    let e = c
        .get_object()
        .bucket("ver")
        .key("k")
        .version_id("not-a-version")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidArgument");
    let e = c
        .get_object()
        .bucket("ver")
        .key("k")
        .version_id("00000000000000010000000000000001")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NoSuchVersion");
}

#[tokio::test]
async fn suspended_writes_and_batch_deletes_of_versions() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "sus").await;
    set_versioning(&c, "sus", BucketVersioningStatus::Enabled).await;
    let a = put(&c, "sus", "k", "a").await.unwrap();
    set_versioning(&c, "sus", BucketVersioningStatus::Suspended).await;
    assert_eq!(put(&c, "sus", "k", "b").await.as_deref(), Some("null"));
    assert_eq!(
        put(&c, "sus", "k", "c").await.as_deref(),
        Some("null"),
        "replaces the null version"
    );
    assert_eq!(
        versions(&c, "sus", 1000).await,
        [
            ("k".into(), "null".into(), true, false),
            ("k".into(), a.clone(), false, false)
        ]
    );
    // DeleteObjects: a marker for `k`, and version `a` removed for good.
    let ids = vec![
        ObjectIdentifier::builder().key("k").build().unwrap(),
        ObjectIdentifier::builder().key("k").version_id(&a).build().unwrap(),
    ];
    let out = c
        .delete_objects()
        .bucket("sus")
        .delete(Delete::builder().set_objects(Some(ids)).build().unwrap())
        .send()
        .await
        .unwrap();
    let deleted = out.deleted();
    assert_eq!(deleted[0].delete_marker(), Some(true));
    assert_eq!(deleted[0].delete_marker_version_id(), Some("null"));
    assert_eq!(deleted[1].version_id(), Some(a.as_str()));
    assert_eq!(
        versions(&c, "sus", 1000).await,
        [("k".into(), "null".into(), true, true)]
    );
}

#[tokio::test]
async fn version_listing_pages_through_many_versions() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "pag").await;
    set_versioning(&c, "pag", BucketVersioningStatus::Enabled).await;
    for k in 0..6 {
        for n in 0..5 {
            put(&c, "pag", &format!("key-{k}"), &format!("{k}.{n}")).await;
        }
        if k % 2 == 0 {
            c.delete_object()
                .bucket("pag")
                .key(format!("key-{k}"))
                .send()
                .await
                .unwrap();
        }
    }
    let whole = versions(&c, "pag", 1000).await;
    assert_eq!(whole.len(), 33);
    assert_eq!(whole.iter().filter(|v| v.2).count(), 6, "one latest per key");
    for max_keys in [1, 4, 7] {
        assert_eq!(versions(&c, "pag", max_keys).await, whole, "{max_keys} a page");
    }
}

#[tokio::test]
async fn tags_belong_to_each_version() {
    use aws_sdk_s3::types::{Tag, Tagging};
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "tagged").await;
    set_versioning(&c, "tagged", BucketVersioningStatus::Enabled).await;
    let old = put(&c, "tagged", "k", "old").await.unwrap();
    put(&c, "tagged", "k", "new").await.unwrap();
    let tagging = Tagging::builder()
        .tag_set(Tag::builder().key("state").value("archived").build().unwrap())
        .build()
        .unwrap();
    let out = c
        .put_object_tagging()
        .bucket("tagged")
        .key("k")
        .version_id(&old)
        .tagging(tagging)
        .send()
        .await
        .unwrap();
    assert_eq!(out.version_id(), Some(old.as_str()));
    let tags = |version: Option<String>| {
        let c = c.clone();
        async move {
            let out = c
                .get_object_tagging()
                .bucket("tagged")
                .key("k")
                .set_version_id(version)
                .send()
                .await
                .unwrap();
            out.tag_set().iter().map(|t| t.key().to_string()).collect::<Vec<_>>()
        }
    };
    assert_eq!(tags(Some(old.clone())).await, ["state"]);
    assert!(tags(None).await.is_empty(), "the current version is untouched");
    c.delete_object_tagging()
        .bucket("tagged")
        .key("k")
        .version_id(&old)
        .send()
        .await
        .unwrap();
    assert!(tags(Some(old)).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn three_thousand_versions_of_thirty_keys_list_in_order_page_by_page() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "many").await;
    set_versioning(&c, "many", BucketVersioningStatus::Enabled).await;
    // Thirty writers, one per key, a hundred versions each: a key's versions in order.
    let writers: Vec<_> = (0..30)
        .map(|k| {
            let c = c.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for v in 0..100 {
                    ids.push(
                        put(&c, "many", &format!("key{k:02}"), &format!("{k}-{v}"))
                            .await
                            .unwrap(),
                    );
                }
                ids
            })
        })
        .collect();
    let mut written = Vec::new();
    for w in writers {
        written.push(w.await.unwrap());
    }
    for page_size in [1000, 333] {
        let listed = versions(&c, "many", page_size).await;
        assert_eq!(listed.len(), 3000);
        for (k, ids) in written.iter().enumerate() {
            let rows: Vec<&(String, String, bool, bool)> = listed[k * 100..(k + 1) * 100].iter().collect();
            assert!(rows.iter().all(|r| r.0 == format!("key{k:02}")), "keys in order");
            // Newest first; only the newest is the latest.
            let got: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
            let want: Vec<&str> = ids.iter().rev().map(String::as_str).collect();
            assert_eq!(got, want, "key{k:02} with pages of {page_size}");
            assert!(rows[0].2 && rows[1..].iter().all(|r| !r.2));
        }
    }
}

#[tokio::test]
async fn the_null_version_is_named_null_once_the_bucket_is_versioned() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "nulls").await;
    put(&c, "nulls", "old", "before versioning").await;
    let plain = c.head_object().bucket("nulls").key("old").send().await.unwrap();
    assert_eq!(
        plain.version_id(),
        None,
        "an unversioned bucket's objects have no version id"
    );
    set_versioning(&c, "nulls", BucketVersioningStatus::Enabled).await;
    let head = c.head_object().bucket("nulls").key("old").send().await.unwrap();
    assert_eq!(head.version_id(), Some("null"));
    set_versioning(&c, "nulls", BucketVersioningStatus::Suspended).await;
    assert_eq!(
        put(&c, "nulls", "new", "while suspended").await.as_deref(),
        Some("null")
    );
    let get = c.get_object().bucket("nulls").key("new").send().await.unwrap();
    assert_eq!(get.version_id(), Some("null"));
}

#[tokio::test]
async fn versions_and_delete_markers_list_interleaved_as_aws_does() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "order").await;
    set_versioning(&c, "order", BucketVersioningStatus::Enabled).await;
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(3));
    put(&c, "order", "a", "a1").await;
    pause().await;
    let a_marker = c.delete_object().bucket("order").key("a").send().await.unwrap();
    pause().await;
    let k1 = put(&c, "order", "k", "k1").await.unwrap();
    pause().await;
    let k_marker = c.delete_object().bucket("order").key("k").send().await.unwrap();
    pause().await;
    let k2 = put(&c, "order", "k", "k2").await.unwrap();

    let (status, _, xml) = send(signed("GET", &s.url("/order?versions"), &[], b"", Sign::default())).await;
    assert_eq!(status, 200, "{xml}");
    // Each entry's element name and version id, in document order.
    let entries: Vec<(String, String)> = xml
        .split('<')
        .filter_map(|tag| {
            let name = tag.split('>').next()?;
            (name == "Version" || name == "DeleteMarker").then(|| name.to_string())
        })
        .zip(
            xml.split("<VersionId>")
                .skip(1)
                .map(|r| r.split('<').next().unwrap().to_string()),
        )
        .collect();
    let a_versions = c
        .list_object_versions()
        .bucket("order")
        .prefix("a")
        .send()
        .await
        .unwrap();
    let a1 = a_versions.versions()[0].version_id().unwrap().to_string();
    let expected = vec![
        ("DeleteMarker".to_string(), a_marker.version_id().unwrap().to_string()),
        ("Version".to_string(), a1),
        ("Version".to_string(), k2),
        ("DeleteMarker".to_string(), k_marker.version_id().unwrap().to_string()),
        ("Version".to_string(), k1),
    ];
    assert_eq!(entries, expected, "{xml}");
}
