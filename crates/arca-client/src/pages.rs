//! Listing a prefix page by page (ListObjectsV2 with continuation tokens), the one way every
//! command walks keys.

use aws_sdk_s3::Client;
use aws_sdk_s3::operation::list_objects_v2::paginator::ListObjectsV2Paginator;

/// The pages of keys under `prefix` (with `delimiter`, its first level and common prefixes);
/// `.send()` starts the walk.
pub(crate) fn object_pages(c: &Client, bucket: &str, prefix: &str, delimiter: Option<&str>) -> ListObjectsV2Paginator {
    c.list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .set_delimiter(delimiter.map(str::to_string))
        .into_paginator()
}
