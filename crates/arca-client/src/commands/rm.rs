//! `arca rm`: delete an object, or with `--recursive` everything under a prefix.

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use super::{remote, say};
use crate::alias::Aliases;
use crate::error::{ClientError, sdk};
use crate::filter::Filters;
use crate::flags::ClientArgs;
use crate::location::Remote;
use crate::pages::object_pages;

/// Deletes `target`, or everything under it that `filters` allows with `recursive`.
pub(crate) async fn run(
    args: &ClientArgs,
    aliases: &Aliases,
    target: &str,
    recursive: bool,
    filters: &Filters,
) -> Result<(), ClientError> {
    let (c, r) = remote(args, aliases, target).await?;
    if recursive {
        return remove_prefix(args, &c, &r.bucket, &r.key, filters).await;
    }
    delete_object(&c, &r).await?;
    say(args, "delete", None, &r.display());
    Ok(())
}

/// Removes one version of `target` for good (`arca rm --version-id`).
pub(crate) async fn remove_version(
    args: &ClientArgs,
    aliases: &Aliases,
    target: &str,
    version_id: &str,
) -> Result<(), ClientError> {
    let (c, r) = remote(args, aliases, target).await?;
    let out = c
        .delete_object()
        .bucket(&r.bucket)
        .key(&r.key)
        .version_id(version_id)
        .send()
        .await
        .map_err(sdk)?;
    let what = if out.delete_marker() == Some(true) {
        "delete marker"
    } else {
        "version"
    };
    say(args, "delete", None, &format!("{} ({what} {version_id})", r.display()));
    Ok(())
}

/// Deletes the one object `r` names.
pub(crate) async fn delete_object(c: &Client, r: &Remote) -> Result<(), ClientError> {
    c.delete_object()
        .bucket(&r.bucket)
        .key(&r.key)
        .send()
        .await
        .map_err(sdk)?;
    Ok(())
}

/// Deletes everything under `prefix` with DeleteObjects, 1,000 keys a request.
pub(crate) async fn remove_prefix(
    args: &ClientArgs,
    c: &Client,
    bucket: &str,
    prefix: &str,
    filters: &Filters,
) -> Result<(), ClientError> {
    let mut pages = object_pages(c, bucket, prefix, None).send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(sdk)?;
        let ids: Vec<ObjectIdentifier> = page
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .filter(|k| filters.allows(k.strip_prefix(prefix).unwrap_or(k).trim_start_matches('/')))
            .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let keys: Vec<String> = ids.iter().map(|i| i.key().to_string()).collect();
        let delete = Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()
            .map_err(|e| ClientError::Usage(e.to_string()))?;
        let out = c
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(sdk)?;
        if let Some(e) = out.errors().first() {
            return Err(ClientError::S3 {
                code: e.code().unwrap_or("Unknown").into(),
                message: format!("{}: {}", e.key().unwrap_or_default(), e.message().unwrap_or_default()),
                hint: String::new(),
            });
        }
        for k in keys {
            say(args, "delete", None, &format!("s3://{bucket}/{k}"));
        }
    }
    Ok(())
}
