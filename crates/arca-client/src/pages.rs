//! Listing a prefix page by page (ListObjectsV2 with continuation tokens), the one way every
//! command walks keys.

use aws_sdk_s3::Client;
use aws_sdk_s3::operation::list_objects_v2::paginator::ListObjectsV2Paginator;
use aws_sdk_s3::types::Object;

use crate::error::{ClientError, sdk};
use crate::location::folder_prefix;

/// The pages of keys under `prefix` (with `delimiter`, its first level and common prefixes);
/// `.send()` starts the walk.
pub(crate) fn object_pages(c: &Client, bucket: &str, prefix: &str, delimiter: Option<&str>) -> ListObjectsV2Paginator {
    c.list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .set_delimiter(delimiter.map(str::to_string))
        .into_paginator()
}

/// Visits every object under the folder `key` names (`photos` and `photos/` alike: see
/// [`folder_prefix`]) with its name relative to that folder, in key order.
pub(crate) async fn for_each_object_in_folder(
    c: &Client,
    bucket: &str,
    key: &str,
    mut visit: impl FnMut(&Object, &str),
) -> Result<(), ClientError> {
    let prefix = folder_prefix(key);
    let mut pages = object_pages(c, bucket, &prefix, None).send();
    while let Some(page) = pages.next().await {
        for o in page.map_err(sdk)?.contents() {
            let key = o.key().unwrap_or_default();
            visit(o, key.strip_prefix(prefix.as_str()).unwrap_or(key));
        }
    }
    Ok(())
}
