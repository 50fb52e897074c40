use aws_sdk_s3::types::EncodingType;

use crate::harness::*;

async fn put_keys(c: &aws_sdk_s3::Client, bucket: &str, keys: &[&str]) {
    for k in keys {
        c.put_object()
            .bucket(bucket)
            .key(*k)
            .body(k.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn delimiter_groups_common_prefixes() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    put_keys(
        &c,
        "bkt",
        &[
            "a.txt",
            "photos/2024/1.jpg",
            "photos/2024/2.jpg",
            "photos/2025/1.jpg",
            "photos/top.jpg",
            "z/deep/x",
            "zz",
        ],
    )
    .await;
    let r = c.list_objects_v2().bucket("bkt").delimiter("/").send().await.unwrap();
    let keys: Vec<&str> = r.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<&str> = r.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(keys, ["a.txt", "zz"]);
    assert_eq!(prefixes, ["photos/", "z/"]);
    assert_eq!(r.key_count(), Some(4));
    let r = c
        .list_objects_v2()
        .bucket("bkt")
        .prefix("photos/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = r.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<&str> = r.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(keys, ["photos/top.jpg"]);
    assert_eq!(prefixes, ["photos/2024/", "photos/2025/"]);
    // A multi-character delimiter.
    let r = c.list_objects_v2().bucket("bkt").delimiter("20").send().await.unwrap();
    let prefixes: Vec<&str> = r.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(prefixes, ["photos/20"]);
}

#[tokio::test]
async fn pagination_over_2500_keys_v2_and_v1() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    let keys: Vec<String> = (0..2500).map(|i| format!("k/{i:05}")).collect();
    let mut tasks = Vec::new();
    for chunk in keys.chunks(250) {
        let c = c.clone();
        let chunk = chunk.to_vec();
        tasks.push(tokio::spawn(async move {
            for k in chunk {
                c.put_object()
                    .bucket("bkt")
                    .key(&k)
                    .body(Vec::new().into())
                    .send()
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // V2 with continuation tokens, through the SDK's paginator.
    let mut seen = Vec::new();
    let mut pages = c.list_objects_v2().bucket("bkt").max_keys(1000).into_paginator().send();
    let mut page_count = 0;
    while let Some(p) = pages.next().await {
        let p = p.unwrap();
        page_count += 1;
        seen.extend(p.contents().iter().filter_map(|o| o.key().map(str::to_string)));
    }
    assert_eq!(page_count, 3);
    assert_eq!(seen, keys);
    // V1 with markers.
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut req = c.list_objects().bucket("bkt").max_keys(700);
        if let Some(m) = &marker {
            req = req.marker(m);
        }
        let r = req.send().await.unwrap();
        let page: Vec<String> = r
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect();
        seen.extend(page.iter().cloned());
        if !r.is_truncated().unwrap_or(false) {
            break;
        }
        marker = Some(
            r.next_marker()
                .map(str::to_string)
                .unwrap_or_else(|| page.last().unwrap().clone()),
        );
    }
    assert_eq!(seen, keys);
    // start-after skips.
    let r = c
        .list_objects_v2()
        .bucket("bkt")
        .start_after("k/02497")
        .send()
        .await
        .unwrap();
    let page: Vec<&str> = r.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(page, ["k/02498", "k/02499"]);
}

#[tokio::test]
async fn delimiter_pagination_returns_each_prefix_once() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    let mut keys = Vec::new();
    for d in 0..5 {
        for f in 0..3 {
            keys.push(format!("d{d}/f{f}"));
        }
        keys.push(format!("file{d}"));
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    put_keys(&c, "bkt", &refs).await;
    let mut entries = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = c.list_objects_v2().bucket("bkt").delimiter("/").max_keys(2);
        if let Some(t) = &token {
            req = req.continuation_token(t);
        }
        let r = req.send().await.unwrap();
        entries.extend(r.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        entries.extend(
            r.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_string)),
        );
        match r.next_continuation_token() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    entries.sort();
    assert_eq!(
        entries,
        [
            "d0/", "d1/", "d2/", "d3/", "d4/", "file0", "file1", "file2", "file3", "file4"
        ]
    );
}

#[tokio::test]
async fn unicode_order_and_url_encoding() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    let keys = ["a b", "a+b", "a%b", "é", "z", "日本/語", "Ω", "A"];
    put_keys(&c, "bkt", &keys).await;
    let r = c.list_objects_v2().bucket("bkt").send().await.unwrap();
    let got: Vec<&str> = r.contents().iter().filter_map(|o| o.key()).collect();
    let mut expected = keys.to_vec();
    expected.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(got, expected);
    // With encoding-type=url the SDK decodes keys back for us; the raw XML must be encoded.
    let r = c
        .list_objects_v2()
        .bucket("bkt")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap();
    let got: Vec<String> = r
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    assert_eq!(got.len(), keys.len());
    assert!(got.iter().any(|k| k == "a%20b" || k == "a+b" || k == "a b"));
}

#[tokio::test]
async fn list_object_versions_on_unversioned_bucket() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    put_keys(&c, "bkt", &["one", "two", "dir/three"]).await;
    let r = c.list_object_versions().bucket("bkt").send().await.unwrap();
    let v: Vec<(&str, &str, bool)> = r
        .versions()
        .iter()
        .map(|v| (v.key().unwrap(), v.version_id().unwrap(), v.is_latest().unwrap()))
        .collect();
    assert_eq!(
        v,
        [
            ("dir/three", "null", true),
            ("one", "null", true),
            ("two", "null", true)
        ]
    );
    let r = c
        .list_object_versions()
        .bucket("bkt")
        .max_keys(1)
        .key_marker("one")
        .send()
        .await
        .unwrap();
    assert_eq!(r.versions()[0].key(), Some("two"));
    let e = c.list_objects_v2().bucket("nope").send().await.unwrap_err();
    assert_eq!(code(&e), "NoSuchBucket");
}

#[tokio::test]
async fn keys_with_control_characters_list_as_stored() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    // CR would come back as LF and 0x01 or ESC would make the page unparseable if written raw.
    let keys = ["a\rb", "c\u{1}d", "e\u{1b}f", "g\th", "i\nj", "k&<l>"];
    put_keys(&c, "bkt", &keys).await;
    let mut sorted: Vec<&str> = keys.to_vec();
    sorted.sort();
    for encoding in [None, Some(EncodingType::Url)] {
        let out = c
            .list_objects_v2()
            .bucket("bkt")
            .set_encoding_type(encoding.clone())
            .send()
            .await
            .unwrap();
        let listed: Vec<String> = out
            .contents()
            .iter()
            .map(|o| {
                let k = o.key().unwrap();
                match encoding {
                    Some(_) => percent_decode(k),
                    None => k.to_string(),
                }
            })
            .collect();
        assert_eq!(listed, sorted, "encoding {encoding:?}");
    }
    // Every listed key names its object.
    for k in keys {
        c.head_object().bucket("bkt").key(k).send().await.unwrap();
    }
}

#[tokio::test]
async fn an_empty_delimiter_is_no_delimiter() {
    let s = TestServer::start();
    let c = s.client();
    make_bucket(&c, "bkt").await;
    put_keys(&c, "bkt", &["a/1", "b"]).await;
    let out = c.list_objects_v2().bucket("bkt").delimiter("").send().await.unwrap();
    assert_eq!(out.delimiter(), None);
    assert_eq!(out.contents().len(), 2);
    assert!(out.common_prefixes().is_empty());
    let out = c.list_objects().bucket("bkt").delimiter("").send().await.unwrap();
    assert_eq!(out.delimiter(), None);
    assert_eq!(out.contents().len(), 2);
}

/// Decodes `%XX` escapes (the test's own, so that it checks the server, not a library).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(if b[i] == b'+' { b' ' } else { b[i] });
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}
