//! `arca restore`: the two things the S3 console calls restoring.
//!
//! - `--version-id`: make an older version of an object current again: a server-side copy of
//!   that version onto its key. Nothing is removed; the versions in between stay, so the
//!   restore itself can be undone.
//! - `--days`: RestoreObject for an archived (GLACIER, DEEP_ARCHIVE) object: a temporary
//!   readable copy for that many days; `arca stat` shows `Restore: ongoing-request=…`.

use aws_sdk_s3::types::{GlacierJobParameters, RestoreRequest, Tier};

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

/// Asks for a temporary copy of an archived object, readable for `days` days.
pub(crate) async fn from_archive(
    args: &ClientArgs,
    aliases: &Aliases,
    target: &str,
    version_id: Option<&str>,
    days: u32,
    tier: &str,
) -> Result<(), ClientError> {
    let (c, r) = remote(args, aliases, target).await?;
    let days = i32::try_from(days).map_err(|_| ClientError::Usage(format!("--days {days} is too large")))?;
    let job = GlacierJobParameters::builder()
        .tier(Tier::from(tier))
        .build()
        .map_err(|e| ClientError::Usage(e.to_string()))?;
    c.restore_object()
        .bucket(&r.bucket)
        .key(&r.key)
        .set_version_id(version_id.map(str::to_string))
        .restore_request(RestoreRequest::builder().days(days).glacier_job_parameters(job).build())
        .send()
        .await
        .map_err(sdk)?;
    say(
        args,
        "restore_requested",
        None,
        &format!("{} ({days} days)", r.display()),
    );
    Ok(())
}
