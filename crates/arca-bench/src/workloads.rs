//! The workloads. Each prepares what it needs, then runs `concurrency` workers until the
//! duration is over, each worker keeping its own statistics (no shared lock on the hot path).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::Rng;

use crate::client::{S3Client, xml_count, xml_value};
use crate::report::{OpStats, OpSummary, Report};

/// Settings shared by all workloads.
#[derive(Clone)]
pub(crate) struct Plan {
    pub client: S3Client,
    pub endpoint: String,
    pub bucket: String,
    pub concurrency: usize,
    pub size: u64,
    pub duration: Duration,
    /// Objects to prepare for get/mixed/list.
    pub objects: usize,
    /// For `list`: spread the objects over this many prefixes (0: one flat prefix).
    pub prefixes: usize,
    pub part_size: u64,
    pub delimiter: Option<String>,
    /// Versioning is enabled on the bucket before the run.
    pub versioned: bool,
    /// The bucket's default encryption is set to this before the run.
    pub encryption: Option<BucketEncryption>,
    /// For `list`: ListObjectVersions rather than ListObjectsV2.
    pub list_versions: bool,
    /// For `list`: each key written this many times.
    pub versions_per_key: usize,
    /// For `list`: this percentage of the keys deleted after they are written.
    pub delete_percent: usize,
}

/// A bucket default encryption to measure under.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum BucketEncryption {
    /// SSE-S3.
    SseS3,
    /// SSE-KMS under the account's `aws/s3` key: a KMS operation per object.
    SseKms,
    /// SSE-KMS with an S3 Bucket Key.
    SseKmsBucketKey,
}

impl BucketEncryption {
    fn configuration(self) -> String {
        let (algorithm, bucket_key) = match self {
            BucketEncryption::SseS3 => ("AES256", false),
            BucketEncryption::SseKms => ("aws:kms", false),
            BucketEncryption::SseKmsBucketKey => ("aws:kms", true),
        };
        format!(
            "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>\
             <SSEAlgorithm>{algorithm}</SSEAlgorithm></ApplyServerSideEncryptionByDefault>\
             <BucketKeyEnabled>{bucket_key}</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"
        )
    }
}

type Stats = BTreeMap<&'static str, OpStats>;

fn payload(size: u64) -> Bytes {
    let mut v = vec![0u8; size as usize];
    rand::rng().fill(&mut v[..]);
    Bytes::from(v)
}

async fn ensure_bucket(p: &Plan) -> Result<(), String> {
    match p
        .client
        .request("PUT", &format!("/{}", p.bucket), &[], Bytes::new())
        .await
    {
        Ok(_) | Err(crate::client::ClientError::Status { status: 409, .. }) => {}
        Err(e) => return Err(e.to_string()),
    }
    if p.versioned {
        let config = "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>";
        p.client
            .request("PUT", &format!("/{}?versioning", p.bucket), &[], Bytes::from(config))
            .await
            .map_err(|e| e.to_string())?;
    }
    if let Some(encryption) = p.encryption {
        p.client
            .request(
                "PUT",
                &format!("/{}?encryption", p.bucket),
                &[],
                Bytes::from(encryption.configuration()),
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Whether the bucket already holds a key under `prefix` (a population from an earlier run).
async fn holds_keys(p: &Plan, prefix: &str) -> Result<bool, String> {
    let (_, body, _) = p
        .client
        .request(
            "GET",
            &format!("/{}?list-type=2&prefix={prefix}&max-keys=1", p.bucket),
            &[],
            Bytes::new(),
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(xml_count(&body, "Key") > 0)
}

/// Uploads `n` objects named by `name(i)` with `concurrency` in flight.
async fn prepare(p: &Plan, n: usize, name: impl Fn(usize) -> String + Send + Sync + 'static) -> Result<(), String> {
    let body = payload(p.size);
    let name = Arc::new(name);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..p.concurrency.max(1) {
        let (c, b, body, name, next) = (
            p.client.clone(),
            p.bucket.clone(),
            body.clone(),
            name.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return Ok::<(), String>(());
                }
                c.request("PUT", &format!("/{b}/{}", name(i)), &[], body.clone())
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    Ok(())
}

async fn run_workers<F, Fut>(p: &Plan, worker: F) -> (Stats, Duration)
where
    F: Fn(usize, Instant) -> Fut,
    Fut: std::future::Future<Output = Stats> + Send + 'static,
{
    let started = Instant::now();
    let deadline = started + p.duration;
    let tasks: Vec<_> = (0..p.concurrency).map(|w| tokio::spawn(worker(w, deadline))).collect();
    let mut all = Stats::new();
    for t in tasks {
        if let Ok(s) = t.await {
            for (k, v) in s {
                all.entry(k).or_default().merge(v);
            }
        }
    }
    (all, started.elapsed())
}

fn report(p: &Plan, name: &str, stats: Stats, elapsed: Duration) -> Report {
    let mut total = OpStats::default();
    let mut ops = BTreeMap::new();
    for (k, v) in stats {
        total.merge(v.clone());
        ops.insert(k.to_string(), OpSummary::from_stats(v, elapsed));
    }
    Report {
        workload: name.to_string(),
        endpoint: p.endpoint.clone(),
        concurrency: p.concurrency,
        object_size: p.size,
        seconds: elapsed.as_secs_f64(),
        ops,
        total: OpSummary::from_stats(total, elapsed),
    }
}

pub(crate) async fn put(p: &Plan) -> Result<Report, String> {
    ensure_bucket(p).await?;
    let body = payload(p.size);
    let run = rand::random::<u32>();
    let (stats, elapsed) = run_workers(p, |w, deadline| {
        let (c, b, body) = (p.client.clone(), p.bucket.clone(), body.clone());
        async move {
            let mut s = OpStats::default();
            let mut n = 0u64;
            while Instant::now() < deadline {
                match c
                    .request("PUT", &format!("/{b}/put-{run:08x}/{w}/{n}"), &[], body.clone())
                    .await
                {
                    Ok((_, _, t)) => {
                        s.record(&t);
                        s.bytes += body.len() as u64;
                    }
                    Err(_) => s.errors += 1,
                }
                n += 1;
            }
            Stats::from([("PUT", s)])
        }
    })
    .await;
    Ok(report(p, "put", stats, elapsed))
}

fn object_name(i: usize) -> String {
    format!("obj/{i:08}")
}

pub(crate) async fn get(p: &Plan) -> Result<Report, String> {
    ensure_bucket(p).await?;
    prepare(p, p.objects, object_name).await?;
    let objects = p.objects;
    let (stats, elapsed) = run_workers(p, |_, deadline| {
        let (c, b) = (p.client.clone(), p.bucket.clone());
        async move {
            let mut s = OpStats::default();
            while Instant::now() < deadline {
                let i = rand::random_range(0..objects);
                match c
                    .request("GET", &format!("/{b}/{}", object_name(i)), &[], Bytes::new())
                    .await
                {
                    Ok((_, _, t)) => {
                        s.record(&t);
                        s.bytes += t.bytes;
                    }
                    Err(_) => s.errors += 1,
                }
            }
            Stats::from([("GET", s)])
        }
    })
    .await;
    Ok(report(p, "get", stats, elapsed))
}

/// 45% GET, 30% HEAD, 15% PUT, 10% DELETE (of objects this worker PUT).
pub(crate) async fn mixed(p: &Plan) -> Result<Report, String> {
    ensure_bucket(p).await?;
    prepare(p, p.objects, object_name).await?;
    let objects = p.objects;
    let body = payload(p.size);
    let run = rand::random::<u32>();
    let (stats, elapsed) = run_workers(p, |w, deadline| {
        let (c, b, body) = (p.client.clone(), p.bucket.clone(), body.clone());
        async move {
            let mut stats = Stats::new();
            let mut mine: std::collections::VecDeque<String> = Default::default();
            let mut n = 0u64;
            while Instant::now() < deadline {
                let roll = rand::random_range(0..100);
                let (op, method, key, send): (&'static str, &str, String, Bytes) = if roll < 45 {
                    ("GET", "GET", object_name(rand::random_range(0..objects)), Bytes::new())
                } else if roll < 75 {
                    (
                        "HEAD",
                        "HEAD",
                        object_name(rand::random_range(0..objects)),
                        Bytes::new(),
                    )
                } else if roll < 90 || mine.is_empty() {
                    n += 1;
                    let k = format!("mixed-{run:08x}/{w}/{n}");
                    mine.push_back(k.clone());
                    ("PUT", "PUT", k, body.clone())
                } else {
                    ("DELETE", "DELETE", mine.pop_front().unwrap_or_default(), Bytes::new())
                };
                let sent = send.len() as u64;
                let s = stats.entry(op).or_default();
                match c.request(method, &format!("/{b}/{key}"), &[], send).await {
                    Ok((_, _, t)) => {
                        s.record(&t);
                        s.bytes += t.bytes + sent;
                    }
                    Err(_) => s.errors += 1,
                }
            }
            stats
        }
    })
    .await;
    Ok(report(p, "mixed", stats, elapsed))
}

fn list_name(prefixes: usize) -> impl Fn(usize) -> String + Send + Sync + 'static {
    move |i| {
        if prefixes == 0 {
            format!("list/{i:08}")
        } else {
            format!("list/p{:05}/k{:07}", i % prefixes, i / prefixes)
        }
    }
}

/// Lists the prepared keys again and again (1000 per page); `items/s` is keys listed per second.
pub(crate) async fn list(p: &Plan) -> Result<Report, String> {
    ensure_bucket(p).await?;
    // Reuse an existing population: only upload when the prefix holds no keys yet.
    if !holds_keys(p, "list/").await? {
        let small = Plan { size: 0, ..p.clone() };
        for _ in 0..p.versions_per_key {
            prepare(&small, p.objects, list_name(p.prefixes)).await?;
        }
        delete_share(p, list_name(p.prefixes)).await?;
    }
    let delimiter = p.delimiter.clone();
    let (list_query, item_tags): (&str, &[&str]) = if p.list_versions {
        ("versions", &["Version", "DeleteMarker", "CommonPrefixes"])
    } else {
        ("list-type=2", &["Key", "CommonPrefixes"])
    };
    let (stats, elapsed) = run_workers(p, |_, deadline| {
        let (c, b, delimiter) = (p.client.clone(), p.bucket.clone(), delimiter.clone());
        async move {
            let mut s = OpStats::default();
            while Instant::now() < deadline {
                // ListObjectsV2 resumes from a continuation token, ListObjectVersions from
                // its key and version-id markers.
                let mut resume: Option<String> = None;
                loop {
                    let mut q = format!("/{b}?{list_query}&prefix=list/&max-keys=1000");
                    if let Some(d) = &delimiter {
                        q.push_str(&format!("&delimiter={}", urlencode(d)));
                    }
                    if let Some(r) = &resume {
                        q.push_str(r);
                    }
                    match c.request("GET", &q, &[], Bytes::new()).await {
                        Ok((_, body, t)) => {
                            s.record(&t);
                            s.items += item_tags.iter().map(|tag| xml_count(&body, tag)).sum::<usize>() as u64;
                            resume = if list_query == "versions" {
                                xml_value(&body, "NextKeyMarker").map(|k| {
                                    let id = xml_value(&body, "NextVersionIdMarker").unwrap_or_default();
                                    format!("&key-marker={}&version-id-marker={}", urlencode(&k), urlencode(&id))
                                })
                            } else {
                                xml_value(&body, "NextContinuationToken")
                                    .map(|t| format!("&continuation-token={}", urlencode(&t)))
                            };
                        }
                        Err(_) => {
                            s.errors += 1;
                            break;
                        }
                    }
                    if resume.is_none() || Instant::now() >= deadline {
                        break;
                    }
                }
            }
            Stats::from([("LIST", s)])
        }
    })
    .await;
    Ok(report(p, "list", stats, elapsed))
}

/// Deletes `delete_percent` of the `objects` keys named by `name` (spread evenly), 1,000 a
/// request: in a versioned bucket each leaves a delete marker.
async fn delete_share(p: &Plan, name: impl Fn(usize) -> String) -> Result<(), String> {
    if p.delete_percent == 0 {
        return Ok(());
    }
    let doomed: Vec<String> = (0..p.objects)
        .filter(|i| i % 100 < p.delete_percent)
        .map(name)
        .collect();
    for chunk in doomed.chunks(1000) {
        let mut xml = String::from("<Delete><Quiet>true</Quiet>");
        for k in chunk {
            xml.push_str(&format!("<Object><Key>{k}</Key></Object>"));
        }
        xml.push_str("</Delete>");
        let md5 = content_md5(xml.as_bytes());
        p.client
            .request(
                "POST",
                &format!("/{}?delete", p.bucket),
                &[("content-md5", md5)],
                Bytes::from(xml),
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn content_md5(body: &[u8]) -> String {
    use base64::Engine;
    use md5::Digest;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Uploads objects of `size` in parts of `part_size` (`concurrency` parts in flight), then
/// downloads them with parallel ranged GETs, until the duration is over.
pub(crate) async fn multipart(p: &Plan) -> Result<Report, String> {
    ensure_bucket(p).await?;
    let part = payload(p.part_size);
    let parts = p.size.div_ceil(p.part_size) as usize;
    let started = Instant::now();
    let mut up = OpStats::default();
    let mut down = OpStats::default();
    let mut up_time = Duration::ZERO;
    let mut down_time = Duration::ZERO;
    let mut round = 0;
    while round == 0 || started.elapsed() < p.duration {
        let key = format!("mp-{:08x}/{round}", rand::random::<u32>());
        let t0 = Instant::now();
        let (_, body, _) = p
            .client
            .request("POST", &format!("/{}/{key}?uploads", p.bucket), &[], Bytes::new())
            .await
            .map_err(|e| e.to_string())?;
        let upload_id = xml_value(&body, "UploadId").ok_or("no UploadId")?;
        let sem = Arc::new(tokio::sync::Semaphore::new(p.concurrency));
        let mut tasks = Vec::new();
        for n in 1..=parts {
            let len = if n == parts {
                p.size - p.part_size * (parts as u64 - 1)
            } else {
                p.part_size
            };
            let (c, b, k, id, data, sem) = (
                p.client.clone(),
                p.bucket.clone(),
                key.clone(),
                upload_id.clone(),
                part.slice(..len as usize),
                sem.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let _permit = sem.acquire().await;
                let (_, _, t) = c
                    .request("PUT", &format!("/{b}/{k}?partNumber={n}&uploadId={id}"), &[], data)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>((n, t))
            }));
        }
        let mut xml = String::from("<CompleteMultipartUpload>");
        let mut done = Vec::new();
        for t in tasks {
            let (n, timing) = t.await.map_err(|e| e.to_string())??;
            up.record(&timing);
            done.push(n);
        }
        done.sort_unstable();
        // Part ETags are not needed to be read back: ask ListParts for them.
        let (_, listing, _) = p
            .client
            .request(
                "GET",
                &format!("/{}/{key}?uploadId={upload_id}", p.bucket),
                &[],
                Bytes::new(),
            )
            .await
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&listing).to_string();
        for (n, chunk) in text.split("<Part>").skip(1).enumerate() {
            let etag = xml_value(chunk.as_bytes(), "ETag").unwrap_or_default();
            xml.push_str(&format!(
                "<Part><PartNumber>{}</PartNumber><ETag>{etag}</ETag></Part>",
                n + 1
            ));
        }
        xml.push_str("</CompleteMultipartUpload>");
        p.client
            .request(
                "POST",
                &format!("/{}/{key}?uploadId={upload_id}", p.bucket),
                &[],
                Bytes::from(xml),
            )
            .await
            .map_err(|e| e.to_string())?;
        up_time += t0.elapsed();
        up.bytes += p.size;

        let t1 = Instant::now();
        let mut tasks = Vec::new();
        for n in 0..parts as u64 {
            let lo = n * p.part_size;
            let hi = (lo + p.part_size).min(p.size) - 1;
            let (c, b, k, sem) = (p.client.clone(), p.bucket.clone(), key.clone(), sem.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = sem.acquire().await;
                c.request(
                    "GET",
                    &format!("/{b}/{k}"),
                    &[("range", format!("bytes={lo}-{hi}"))],
                    Bytes::new(),
                )
                .await
                .map_err(|e| e.to_string())
            }));
        }
        for t in tasks {
            let (_, _, timing) = t.await.map_err(|e| e.to_string())??;
            down.record(&timing);
            down.bytes += timing.bytes;
        }
        down_time += t1.elapsed();
        let _ = p
            .client
            .request("DELETE", &format!("/{}/{key}", p.bucket), &[], Bytes::new())
            .await;
        round += 1;
    }
    let mut ops = BTreeMap::new();
    ops.insert("UPLOAD".to_string(), OpSummary::from_stats(up.clone(), up_time));
    ops.insert("DOWNLOAD".to_string(), OpSummary::from_stats(down.clone(), down_time));
    let mut total = up;
    total.merge(down);
    Ok(Report {
        workload: "multipart".into(),
        endpoint: p.endpoint.clone(),
        concurrency: p.concurrency,
        object_size: p.size,
        seconds: started.elapsed().as_secs_f64(),
        ops,
        total: OpSummary::from_stats(total, up_time + down_time),
    })
}

/// Key `i` of the lifecycle workload: even ones under the prefix the rule expires.
fn lifecycle_name(i: usize) -> String {
    let group = if i.is_multiple_of(2) { "expire" } else { "keep" };
    format!("lc/{group}/{i:08}")
}

/// GETs of the kept objects until `stop` is set or the duration is over.
async fn get_kept(p: &Plan, stop: Arc<std::sync::atomic::AtomicBool>) -> (Stats, Duration) {
    let objects = p.objects;
    run_workers(p, |_, deadline| {
        let (c, b, stop) = (p.client.clone(), p.bucket.clone(), stop.clone());
        async move {
            let mut s = OpStats::default();
            while Instant::now() < deadline && !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let i = rand::random_range(0..objects / 2) * 2 + 1;
                match c
                    .request("GET", &format!("/{b}/{}", lifecycle_name(i)), &[], Bytes::new())
                    .await
                {
                    Ok((_, _, t)) => {
                        s.record(&t);
                        s.bytes += t.bytes;
                    }
                    Err(_) => s.errors += 1,
                }
            }
            Stats::from([("GET", s)])
        }
    })
    .await
}

/// A lifecycle pass that expires half of `objects` objects: GET latency of the other half
/// idle (for `duration`), then while the pass runs (started through Arca's admin API, so
/// this workload needs an Arca server and its root keys). Reports `GET idle`,
/// `GET during pass` and `PASS` (its items are the objects expired).
pub(crate) async fn lifecycle(p: &Plan) -> Result<Report, String> {
    ensure_bucket(p).await?;
    if !holds_keys(p, "lc/").await? {
        prepare(p, p.objects, lifecycle_name).await?;
    }
    let never = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (idle, idle_elapsed) = get_kept(p, never).await;

    let rules = "<LifecycleConfiguration><Rule><ID>bench</ID><Status>Enabled</Status>\
                 <Filter><Prefix>lc/expire/</Prefix></Filter>\
                 <Expiration><Date>2000-01-01T00:00:00Z</Date></Expiration></Rule></LifecycleConfiguration>";
    let md5 = content_md5(rules.as_bytes());
    p.client
        .request(
            "PUT",
            &format!("/{}?lifecycle", p.bucket),
            &[("content-md5", md5)],
            Bytes::from(rules),
        )
        .await
        .map_err(|e| e.to_string())?;

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers = {
        let (p, stop) = (
            Plan {
                duration: Duration::from_secs(3600),
                ..p.clone()
            },
            stop.clone(),
        );
        tokio::spawn(async move { get_kept(&p, stop).await })
    };
    let before = lifecycle_items(p).await?;
    let started = Instant::now();
    let (_, answer, timing) = p
        .client
        .request("POST", "/?arca-admin=run-lifecycle", &[], Bytes::new())
        .await
        .map_err(|e| e.to_string())?;
    let pass_elapsed = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (during, _) = readers.await.map_err(|e| e.to_string())?;
    let after = json_number(&answer, "items").unwrap_or(0);

    let mut pass = OpStats::default();
    pass.record(&timing);
    pass.items = after.saturating_sub(before);
    let mut r = report(p, "lifecycle", Stats::new(), pass_elapsed);
    let idle_get = idle.into_values().next().unwrap_or_default();
    let during_get = during.into_values().next().unwrap_or_default();
    r.ops
        .insert("GET idle".into(), OpSummary::from_stats(idle_get, idle_elapsed));
    r.ops.insert(
        "GET during pass".into(),
        OpSummary::from_stats(during_get, pass_elapsed),
    );
    r.ops.insert("PASS".into(), OpSummary::from_stats(pass, pass_elapsed));
    Ok(r)
}

/// Items the lifecycle job handled so far (admin API).
async fn lifecycle_items(p: &Plan) -> Result<u64, String> {
    let (_, answer, _) = p
        .client
        .request("GET", "/?arca-admin=jobs", &[], Bytes::new())
        .await
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&answer);
    let lifecycle = text.split("\"job\": \"lifecycle\"").nth(1).unwrap_or_default();
    Ok(json_number(lifecycle.as_bytes(), "items").unwrap_or(0))
}

/// The first `"name": <number>` in a JSON text.
fn json_number(json: &[u8], name: &str) -> Option<u64> {
    let text = std::str::from_utf8(json).ok()?;
    let at = text.find(&format!("\"{name}\":"))? + name.len() + 3;
    text[at..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// GenerateDataKey under one key, made first.
pub(crate) async fn kms(p: &Plan) -> Result<Report, String> {
    let (_, created, _) = p
        .client
        .kms("CreateKey", r#"{"Description":"arca bench"}"#)
        .await
        .map_err(|e| e.to_string())?;
    let created: serde_json::Value = serde_json::from_slice(&created).map_err(|e| e.to_string())?;
    let key = created["KeyMetadata"]["KeyId"]
        .as_str()
        .ok_or("CreateKey answered no key id")?
        .to_string();
    let body = Arc::new(serde_json::json!({ "KeyId": key, "KeySpec": "AES_256" }).to_string());
    let (stats, elapsed) = run_workers(p, |_, deadline| {
        let (c, body) = (p.client.clone(), body.clone());
        async move {
            let mut s = OpStats::default();
            while Instant::now() < deadline {
                match c.kms("GenerateDataKey", &body).await {
                    Ok((_, _, t)) => s.record(&t),
                    Err(_) => s.errors += 1,
                }
            }
            Stats::from([("GenerateDataKey", s)])
        }
    })
    .await;
    Ok(report(p, "kms", stats, elapsed))
}
