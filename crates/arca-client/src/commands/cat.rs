//! `arca cat`: an object to standard output.

use super::remote;
use crate::alias::Aliases;
use crate::error::ClientError;
use crate::flags::ClientArgs;
use crate::transfer;

/// Streams `target`'s bytes to standard output.
pub(crate) async fn run(args: &ClientArgs, aliases: &Aliases, target: &str) -> Result<(), ClientError> {
    let (c, r) = remote(args, aliases, target).await?;
    transfer::download_stdout(&c, &r.bucket, &r.key).await
}
