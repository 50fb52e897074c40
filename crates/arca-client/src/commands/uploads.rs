//! `arca uploads ls|abort`: multipart uploads in progress.

use clap::Subcommand;

use super::{remote, say};
use crate::alias::Aliases;
use crate::error::{ClientError, sdk};
use crate::flags::ClientArgs;
use crate::output::date;

/// `arca uploads …`.
#[derive(Debug, Subcommand)]
pub enum UploadsCommand {
    /// List uploads in progress under a prefix.
    Ls {
        /// `s3://bucket/prefix`.
        target: String,
    },
    /// Abort uploads under a prefix (all of them, or one with --upload-id).
    Abort {
        /// `s3://bucket/prefix`.
        target: String,
        /// Only this upload.
        #[arg(long)]
        upload_id: Option<String>,
    },
}

/// Lists or aborts the uploads in progress under a prefix.
pub(crate) async fn run(args: &ClientArgs, aliases: &Aliases, cmd: UploadsCommand) -> Result<(), ClientError> {
    let (target, only) = match &cmd {
        UploadsCommand::Ls { target } => (target, None),
        UploadsCommand::Abort { target, upload_id } => (target, upload_id.clone()),
    };
    let (c, r) = remote(args, aliases, target).await?;
    let mut key_marker: Option<String> = None;
    let mut id_marker: Option<String> = None;
    loop {
        let page = c
            .list_multipart_uploads()
            .bucket(&r.bucket)
            .prefix(&r.key)
            .set_key_marker(key_marker.clone())
            .set_upload_id_marker(id_marker.clone())
            .send()
            .await
            .map_err(sdk)?;
        for u in page.uploads() {
            let (key, id) = (u.key().unwrap_or_default(), u.upload_id().unwrap_or_default());
            match &cmd {
                UploadsCommand::Ls { .. } => println!("{} {id} s3://{}/{key}", date(u.initiated()), r.bucket),
                UploadsCommand::Abort { .. } => {
                    if only.as_deref().is_some_and(|o| o != id) {
                        continue;
                    }
                    c.abort_multipart_upload()
                        .bucket(&r.bucket)
                        .key(key)
                        .upload_id(id)
                        .send()
                        .await
                        .map_err(sdk)?;
                    say(args, "abort", Some(id), &format!("s3://{}/{key}", r.bucket));
                }
            }
        }
        if !page.is_truncated().unwrap_or(false) {
            return Ok(());
        }
        key_marker = page.next_key_marker().map(str::to_string);
        id_marker = page.next_upload_id_marker().map(str::to_string);
    }
}
