//! `arca mb`: make a bucket (in `--region` where it is not us-east-1).

use super::{remote, say};
use crate::alias::Aliases;
use crate::error::{ClientError, sdk};
use crate::flags::ClientArgs;

/// Creates the bucket `target` names.
pub(crate) async fn run(args: &ClientArgs, aliases: &Aliases, target: &str) -> Result<(), ClientError> {
    let (c, r) = remote(args, aliases, target).await?;
    let mut req = c.create_bucket().bucket(&r.bucket);
    if let Some(region) = args.connect.region.as_deref().filter(|r| *r != "us-east-1") {
        req = req.create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region))
                .build(),
        );
    }
    req.send().await.map_err(sdk)?;
    say(args, "make_bucket", None, &r.bucket);
    Ok(())
}
