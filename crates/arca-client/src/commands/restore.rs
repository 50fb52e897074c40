//! `arca restore --version-id`: make an older version of an object current again, as the S3
//! console's "restore" does: a server-side copy of that version onto its key. Nothing is
//! removed; the versions in between stay, so the restore itself can be undone.

use super::{remote, say};
use crate::alias::Aliases;
use crate::error::{ClientError, sdk};
use crate::flags::ClientArgs;
use crate::location::copy_source_version;

/// Copies version `version_id` of `target` onto `target`.
pub(crate) async fn run(
    args: &ClientArgs,
    aliases: &Aliases,
    target: &str,
    version_id: &str,
) -> Result<(), ClientError> {
    let (c, r) = remote(args, aliases, target).await?;
    let out = c
        .copy_object()
        .bucket(&r.bucket)
        .key(&r.key)
        .copy_source(copy_source_version(&r.bucket, &r.key, version_id))
        .send()
        .await
        .map_err(sdk)?;
    let now = out.version_id().unwrap_or("null");
    say(
        args,
        "restore",
        Some(version_id),
        &format!("{} (now version {now})", r.display()),
    );
    Ok(())
}
