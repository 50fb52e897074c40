//! AWS's size and count limits, each written once (S3 user guide, "Amazon S3 multipart
//! upload limits" and "Working with object metadata").

/// User metadata: keys and values, in bytes, summed.
pub const MAX_USER_METADATA: usize = 2048;
/// Largest single PUT, POST upload, copy source and part.
pub const MAX_PUT_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// Largest object (a multipart upload's sum).
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024 * 1024;
/// Smallest part but the last.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// Highest part number.
pub const MAX_PART_NUMBER: i32 = 10_000;
