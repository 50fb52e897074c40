//! `arca rb`: remove a bucket; `--force` empties it first, multipart uploads included.

use aws_sdk_s3::Client;

use super::rm::remove_prefix;
use super::{remote, say};
use crate::alias::Aliases;
use crate::error::{ClientError, sdk};
use crate::filter::Filters;
use crate::flags::ClientArgs;

/// Removes the bucket `target` names, emptied first with `force`.
pub(crate) async fn run(args: &ClientArgs, aliases: &Aliases, target: &str, force: bool) -> Result<(), ClientError> {
    let (c, r) = remote(args, aliases, target).await?;
    if force {
        remove_prefix(args, &c, &r.bucket, "", &Filters::default()).await?;
        abort_uploads(&c, &r.bucket).await?;
    }
    c.delete_bucket().bucket(&r.bucket).send().await.map_err(sdk)?;
    say(args, "remove_bucket", None, &r.bucket);
    Ok(())
}

async fn abort_uploads(c: &Client, bucket: &str) -> Result<(), ClientError> {
    loop {
        let out = c.list_multipart_uploads().bucket(bucket).send().await.map_err(sdk)?;
        if out.uploads().is_empty() {
            return Ok(());
        }
        for u in out.uploads() {
            c.abort_multipart_upload()
                .bucket(bucket)
                .key(u.key().unwrap_or_default())
                .upload_id(u.upload_id().unwrap_or_default())
                .send()
                .await
                .map_err(sdk)?;
        }
    }
}
