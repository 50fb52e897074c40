//! `arca du`: bytes and objects per folder under a prefix.

use super::remote;
use crate::alias::Aliases;
use crate::error::ClientError;
use crate::flags::ClientArgs;
use crate::location::folder_prefix;
use crate::output::{human, json_line};
use crate::pages::for_each_object_in_folder;

/// `arca du`: bytes and objects per first-level folder under the prefix, then the total.
pub(crate) async fn run(args: &ClientArgs, aliases: &Aliases, target: &str) -> Result<(), ClientError> {
    let (c, r) = remote(args, aliases, target).await?;
    let prefix = folder_prefix(&r.key);
    let mut by_folder: std::collections::BTreeMap<String, (i64, u64)> = Default::default();
    let (mut total, mut count) = (0i64, 0u64);
    for_each_object_in_folder(&c, &r.bucket, &r.key, |o, rel| {
        let folder = match rel.split_once('/') {
            Some((f, _)) => format!("{prefix}{f}/"),
            None => prefix.clone(),
        };
        let size = o.size().unwrap_or(0);
        let e = by_folder.entry(folder).or_default();
        e.0 += size;
        e.1 += 1;
        total += size;
        count += 1;
    })
    .await?;
    for (folder, (size, n)) in by_folder {
        if args.json {
            json_line(
                &serde_json::json!({"prefix": format!("s3://{}/{folder}", r.bucket), "bytes": size, "objects": n}),
            );
        } else {
            println!("{:>12} {:>8} s3://{}/{folder}", human(size, true), n, r.bucket);
        }
    }
    if args.json {
        json_line(&serde_json::json!({"prefix": "total", "bytes": total, "objects": count}));
    } else {
        println!("{:>12} {:>8} total", human(total, true), count);
    }
    Ok(())
}
