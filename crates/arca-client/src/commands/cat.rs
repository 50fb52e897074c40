//! `arca cat`: an object (or one of its versions) to standard output.

use super::remote;
use crate::alias::Aliases;
use crate::error::ClientError;
use crate::flags::ClientArgs;
use crate::transfer;

/// Streams `target`'s bytes (of version `version_id`, if given) to standard output.
pub(crate) async fn run(
    args: &ClientArgs,
    aliases: &Aliases,
    target: &str,
    version_id: Option<&str>,
) -> Result<(), ClientError> {
    let (c, r) = remote(args, aliases, target).await?;
    transfer::download_stdout(&c, &r.bucket, &r.key, version_id).await
}
