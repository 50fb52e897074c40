//! `arca ls`: buckets, or objects and folders under a prefix; with `--versions`, every
//! version and delete marker.

use aws_sdk_s3::Client;
use clap::Args;

use crate::alias::Aliases;
use crate::error::{ClientError, sdk};
use crate::flags::ClientArgs;
use crate::location::{Location, Remote};
use crate::output::{date, human, json_line};
use crate::pages::object_pages;

/// `arca ls`'s arguments.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// `s3://bucket/prefix`, an alias, or nothing for every bucket.
    pub target: Option<String>,
    /// Everything under the prefix, not only its first level.
    #[arg(long, short)]
    pub recursive: bool,
    /// Every version and delete marker, newest first per key, with its version id.
    #[arg(long)]
    pub versions: bool,
    /// Sizes in KiB, MiB, GiB.
    #[arg(long)]
    pub human_readable: bool,
    /// End with the total count and size.
    #[arg(long)]
    pub summarize: bool,
}

/// Lists buckets (no target), or objects and folders (PRE) under a prefix.
pub(crate) async fn run(args: &ClientArgs, aliases: &Aliases, a: &LsArgs) -> Result<(), ClientError> {
    let (recursive, human_readable, summarize) = (a.recursive, a.human_readable, a.summarize);
    let location = a.target.as_deref().map(|t| Location::parse(t, aliases));
    let r = match location {
        None => None,
        Some(Location::Remote(r)) => Some(r),
        Some(_) => {
            return Err(ClientError::Usage(
                "ls takes s3://bucket[/prefix] or ALIAS[/bucket[/prefix]]".into(),
            ));
        }
    };
    let alias = r.as_ref().and_then(|r| r.alias.clone());
    let c = crate::connect::client(&args.connect, aliases, alias.as_deref()).await?;
    let Some(r) = r.filter(|r| !r.bucket.is_empty()) else {
        let out = c.list_buckets().send().await.map_err(sdk)?;
        for b in out.buckets() {
            if args.json {
                json_line(&serde_json::json!({"type": "bucket", "name": b.name(), "created": date(b.creation_date())}));
            } else {
                println!("{} {}", date(b.creation_date()), b.name().unwrap_or_default());
            }
        }
        return Ok(());
    };
    if a.versions {
        return versions(args, &c, &r, a).await;
    }
    let (mut count, mut total) = (0u64, 0i64);
    let mut pages = object_pages(&c, &r.bucket, &r.key, (!recursive).then_some("/")).send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(sdk)?;
        for p in page.common_prefixes() {
            let name = p.prefix().unwrap_or_default();
            let shown = name.strip_prefix(r.key.as_str()).unwrap_or(name);
            if args.json {
                json_line(&serde_json::json!({"type": "prefix", "prefix": name}));
            } else {
                println!("{:>30} {shown}", "PRE");
            }
        }
        for o in page.contents() {
            let key = o.key().unwrap_or_default();
            let shown = if recursive {
                key
            } else {
                key.strip_prefix(r.key.as_str()).unwrap_or(key)
            };
            let size = o.size().unwrap_or(0);
            if args.json {
                json_line(&serde_json::json!({
                    "type": "object",
                    "key": key,
                    "size": size,
                    "last_modified": date(o.last_modified()),
                    "etag": o.e_tag(),
                    "storage_class": o.storage_class().map(|c| c.as_str()),
                }));
            } else {
                println!(
                    "{} {:>10} {}",
                    date(o.last_modified()),
                    human(size, human_readable),
                    shown
                );
            }
            count += 1;
            total += size;
        }
    }
    if summarize {
        println!(
            "\nTotal Objects: {count}\n   Total Size: {}",
            human(total, human_readable)
        );
    }
    Ok(())
}

/// One line of `ls --versions`: a version (`size` set) or a delete marker.
struct VersionRow<'a> {
    key: &'a str,
    modified: Option<&'a aws_smithy_types::DateTime>,
    size: Option<i64>,
    id: &'a str,
    latest: bool,
}

/// `ls --versions`: ListObjectVersions page by page; versions and markers of each page merged
/// back into S3's order (by key, newest first).
async fn versions(args: &ClientArgs, c: &Client, r: &Remote, a: &LsArgs) -> Result<(), ClientError> {
    let (mut key_marker, mut id_marker) = (None, None);
    let (mut count, mut total) = (0u64, 0i64);
    loop {
        let page = c
            .list_object_versions()
            .bucket(&r.bucket)
            .prefix(&r.key)
            .set_delimiter((!a.recursive).then(|| "/".to_string()))
            .set_key_marker(key_marker)
            .set_version_id_marker(id_marker)
            .send()
            .await
            .map_err(sdk)?;
        for p in page.common_prefixes() {
            let name = p.prefix().unwrap_or_default();
            if args.json {
                json_line(&serde_json::json!({"type": "prefix", "prefix": name}));
            } else {
                println!("{:>30} {}", "PRE", name.strip_prefix(r.key.as_str()).unwrap_or(name));
            }
        }
        let mut rows: Vec<VersionRow<'_>> = page
            .versions()
            .iter()
            .map(|v| VersionRow {
                key: v.key().unwrap_or_default(),
                modified: v.last_modified(),
                size: Some(v.size().unwrap_or(0)),
                id: v.version_id().unwrap_or("null"),
                latest: v.is_latest() == Some(true),
            })
            .chain(page.delete_markers().iter().map(|m| VersionRow {
                key: m.key().unwrap_or_default(),
                modified: m.last_modified(),
                size: None,
                id: m.version_id().unwrap_or("null"),
                latest: m.is_latest() == Some(true),
            }))
            .collect();
        rows.sort_by(|x, y| {
            x.key
                .cmp(y.key)
                .then(y.latest.cmp(&x.latest))
                .then(y.modified.map(|t| t.as_nanos()).cmp(&x.modified.map(|t| t.as_nanos())))
        });
        for VersionRow {
            key,
            modified,
            size,
            id,
            latest,
        } in rows
        {
            let shown = if a.recursive {
                key
            } else {
                key.strip_prefix(r.key.as_str()).unwrap_or(key)
            };
            if args.json {
                json_line(&serde_json::json!({
                    "type": if size.is_some() { "version" } else { "delete_marker" },
                    "key": key,
                    "version_id": id,
                    "latest": latest,
                    "size": size,
                    "last_modified": date(modified),
                }));
            } else {
                let what = match size {
                    Some(n) => human(n, a.human_readable),
                    None => "(marker)".into(),
                };
                let latest = if latest { " (latest)" } else { "" };
                println!("{} {what:>10} {shown} {id}{latest}", date(modified));
            }
            count += 1;
            total += size.unwrap_or(0);
        }
        if page.is_truncated() != Some(true) {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_string);
        id_marker = page.next_version_id_marker().map(str::to_string);
    }
    if a.summarize {
        println!(
            "\nTotal Versions: {count}\n   Total Size: {}",
            human(total, a.human_readable)
        );
    }
    Ok(())
}
