//! `arca presign`: a presigned URL for GET (default) or PUT.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;

use super::remote;
use crate::alias::Aliases;
use crate::error::{ClientError, sdk};
use crate::flags::ClientArgs;

/// Prints a URL for `target` valid `expires_in` seconds (1 to 7 days' worth).
pub(crate) async fn run(
    args: &ClientArgs,
    aliases: &Aliases,
    target: &str,
    expires_in: u64,
    put: bool,
) -> Result<(), ClientError> {
    if expires_in == 0 || expires_in > 604_800 {
        return Err(ClientError::Usage(
            "--expires-in must be between 1 and 604800 seconds (7 days)".into(),
        ));
    }
    let (c, r) = remote(args, aliases, target).await?;
    let cfg =
        PresigningConfig::expires_in(Duration::from_secs(expires_in)).map_err(|e| ClientError::Usage(e.to_string()))?;
    let url = if put {
        c.put_object()
            .bucket(&r.bucket)
            .key(&r.key)
            .presigned(cfg)
            .await
            .map_err(sdk)?
    } else {
        c.get_object()
            .bucket(&r.bucket)
            .key(&r.key)
            .presigned(cfg)
            .await
            .map_err(sdk)?
    };
    println!("{}", url.uri());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lifetimes_s3_would_refuse_are_refused_before_connecting() {
        let (args, aliases) = (ClientArgs::default(), Aliases::default());
        for secs in [0, 604_801] {
            let e = run(&args, &aliases, "s3://b/k", secs, false).await.unwrap_err();
            assert!(matches!(e, ClientError::Usage(m) if m.contains("604800")), "{secs}");
        }
    }
}
