//! Conversions between store records and s3s DTOs, and request validation AWS applies to
//! every operation (tags, metadata size, version ids).

use crate::aws_error::AwsError;
use arca_store::{ContentHeaders, ObjectVersion, Owner, StorageClass};
use s3s::S3Result;
use s3s::dto::{self, Timestamp, TimestampFormat};

pub(crate) use crate::limits::*;

pub(crate) fn timestamp(ms: i64) -> Timestamp {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Timestamp::from(t)
}

/// An HTTP date (`Fri, 23 Dec 2012 00:00:00 GMT`), as S3 writes them inside headers.
pub(crate) fn http_date(ms: i64) -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let t: time::OffsetDateTime = timestamp(ms).into();
    t.format(FORMAT).unwrap_or_default()
}

/// Milliseconds truncated to whole seconds (HTTP dates have no fractions).
pub(crate) fn whole_seconds(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

pub(crate) fn timestamp_secs(t: &Timestamp) -> i64 {
    let t: time::OffsetDateTime = t.clone().into();
    t.unix_timestamp()
}

pub(crate) fn owner_dto(o: &Owner) -> dto::Owner {
    dto::Owner {
        display_name: Some(o.display_name.clone()),
        id: Some(o.id.clone()),
    }
}

pub(crate) fn etag_dto(etag: &str) -> dto::ETag {
    dto::ETag::Strong(etag.to_string())
}

/// Does a client's ETag condition match the stored ETag?
pub(crate) fn etag_matches(cond: &dto::ETagCondition, etag: &str) -> bool {
    match cond {
        dto::ETagCondition::Any => true,
        dto::ETagCondition::ETag(e) => e.value() == etag,
    }
}

pub(crate) fn format_http_date(t: &Timestamp) -> String {
    let mut buf = Vec::new();
    let _ = t.format(TimestampFormat::HttpDate, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

pub(crate) fn parse_http_date(s: &str) -> Option<Timestamp> {
    Timestamp::parse(TimestampFormat::HttpDate, s).ok()
}

pub(crate) fn user_metadata(meta: Option<dto::Metadata>) -> S3Result<Vec<(String, String)>> {
    let mut v: Vec<(String, String)> = meta.unwrap_or_default().into_iter().collect();
    v.sort();
    let size: usize = v.iter().map(|(k, val)| k.len() + val.len()).sum();
    if size > MAX_USER_METADATA {
        return Err(AwsError::MetadataTooLarge.error());
    }
    Ok(v)
}

pub(crate) fn metadata_dto(v: &[(String, String)]) -> Option<dto::Metadata> {
    if v.is_empty() {
        None
    } else {
        Some(v.iter().cloned().collect())
    }
}

/// Parses and validates an `x-amz-tagging` header (URL query syntax).
pub(crate) fn parse_tagging_header(h: Option<&str>) -> S3Result<Vec<(String, String)>> {
    let Some(h) = h.filter(|h| !h.is_empty()) else {
        return Ok(Vec::new());
    };
    let mut tags = Vec::new();
    for pair in h.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let dec = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| AwsError::InvalidArgument.with_message("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates."))
        };
        tags.push((dec(k)?, dec(v)?));
    }
    validate_tags(&tags, 10)?;
    Ok(tags)
}

pub(crate) fn tags_from_dto(tagging: dto::Tagging, max: usize) -> S3Result<Vec<(String, String)>> {
    let tags: Vec<(String, String)> = tagging
        .tag_set
        .into_iter()
        .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
        .collect();
    validate_tags(&tags, max)?;
    Ok(tags)
}

pub(crate) fn tags_dto(tags: &[(String, String)]) -> Vec<dto::Tag> {
    tags.iter()
        .map(|(k, v)| dto::Tag {
            key: Some(k.clone()),
            value: Some(v.clone()),
        })
        .collect()
}

fn validate_tags(tags: &[(String, String)], max: usize) -> S3Result<()> {
    if tags.len() > max {
        return Err(AwsError::InvalidTag.with_message(format!("Object tags cannot be greater than {max}")));
    }
    let mut seen = std::collections::HashSet::new();
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > 128 {
            return Err(AwsError::InvalidTag.error());
        }
        if v.chars().count() > 256 {
            return Err(AwsError::InvalidTag.with_message("The TagValue you have provided is too long"));
        }
        if k.starts_with("aws:") {
            return Err(AwsError::InvalidTag.with_message("System tags cannot be added/updated by requester"));
        }
        if !seen.insert(k) {
            return Err(AwsError::InvalidTag.with_message("Cannot provide multiple Tags with the same key"));
        }
    }
    Ok(())
}

/// A version id must be `null` or one Arca hands out; anything else is AWS's InvalidArgument.
pub(crate) fn check_version_id(version_id: Option<&str>) -> S3Result<()> {
    match version_id {
        Some(id) if !arca_store::is_valid_version_id(id) => {
            Err(AwsError::InvalidArgument.with_message("Invalid version id specified"))
        }
        _ => Ok(()),
    }
}

/// The Content-Encoding an object keeps: `aws-chunked` describes how the request body was
/// framed, not the object, so AWS drops it (`gzip, aws-chunked` is stored as `gzip`, a lone
/// `aws-chunked` as nothing).
fn stored_content_encoding(header: &str) -> Option<String> {
    let kept: Vec<&str> = header
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    (!kept.is_empty()).then(|| kept.join(", "))
}

pub(crate) fn content_headers(
    content_type: Option<String>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    content_language: Option<String>,
    cache_control: Option<String>,
    expires: Option<Timestamp>,
) -> ContentHeaders {
    ContentHeaders {
        content_type,
        content_encoding: content_encoding.and_then(|e| stored_content_encoding(&e)),
        content_disposition,
        content_language,
        cache_control,
        expires: expires.as_ref().map(format_http_date),
    }
}

/// The storage class a write asks for; STANDARD when it names none.
pub(crate) fn storage_class(sc: Option<&dto::StorageClass>) -> S3Result<StorageClass> {
    match sc {
        None => Ok(StorageClass::Standard),
        Some(s) => StorageClass::from_name(s.as_str()).ok_or_else(|| AwsError::InvalidStorageClass.error()),
    }
}

/// Keys are UTF-8 without NUL (the index separates bucket and key with it).
pub(crate) fn check_key(key: &str) -> S3Result<()> {
    if key.is_empty() {
        return Err(AwsError::InvalidArgument.with_message("Object key must not be empty"));
    }
    if key.len() > 1024 {
        return Err(AwsError::KeyTooLongError.error());
    }
    if key.contains('\0') {
        return Err(AwsError::InvalidArgument.with_message("Object key must not contain NUL"));
    }
    Ok(())
}

/// URL-encodes a key for `encoding-type=url` responses, as AWS does (spaces as `+`).
pub(crate) fn url_encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

pub(crate) fn object_size(v: &ObjectVersion) -> i64 {
    v.size as i64
}

/// A copy (CopyObject, UploadPartCopy) of more than [`MAX_PUT_SIZE`] bytes.
pub(crate) fn copy_source_too_large() -> s3s::S3Error {
    AwsError::InvalidRequest.with_message(format!(
        "The specified copy source is larger than the maximum allowable size for a copy source: {MAX_PUT_SIZE}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_chunked_is_not_part_of_the_stored_content_encoding() {
        assert_eq!(stored_content_encoding("gzip, aws-chunked").as_deref(), Some("gzip"));
        assert_eq!(stored_content_encoding("aws-chunked,gzip").as_deref(), Some("gzip"));
        assert_eq!(stored_content_encoding("aws-chunked"), None);
        assert_eq!(stored_content_encoding("br, gzip").as_deref(), Some("br, gzip"));
    }
}
