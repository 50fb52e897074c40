//! `arca ls`: buckets, or objects and folders under a prefix.

use crate::alias::Aliases;
use crate::error::{ClientError, sdk};
use crate::flags::ClientArgs;
use crate::location::Location;
use crate::output::{date, human, json_line};
use crate::pages::object_pages;

/// Lists buckets (no target), or objects and folders (PRE) under a prefix.
pub(crate) async fn run(
    args: &ClientArgs,
    aliases: &Aliases,
    target: Option<&str>,
    recursive: bool,
    human_readable: bool,
    summarize: bool,
) -> Result<(), ClientError> {
    let location = target.map(|t| Location::parse(t, aliases));
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
