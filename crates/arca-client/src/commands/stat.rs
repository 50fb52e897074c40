//! `arca stat`: every header and metadata entry of an object.

use aws_sdk_s3::types::ChecksumMode;

use super::remote;
use crate::alias::Aliases;
use crate::error::{ClientError, sdk};
use crate::flags::ClientArgs;
use crate::output::{date, json_line};

/// `arca stat`: one line per header, then the user metadata.
pub(crate) async fn run(
    args: &ClientArgs,
    aliases: &Aliases,
    target: &str,
    version_id: Option<&str>,
) -> Result<(), ClientError> {
    let (c, r) = remote(args, aliases, target).await?;
    let (c, r) = (&c, &r);
    let h = c
        .head_object()
        .bucket(&r.bucket)
        .key(&r.key)
        .set_version_id(version_id.map(str::to_string))
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .map_err(sdk)?;
    let fields = std::cell::RefCell::new(serde_json::Map::new());
    let line = |name: &str, v: Option<String>| {
        if let Some(v) = v {
            if args.json {
                fields
                    .borrow_mut()
                    .insert(name.to_string(), serde_json::Value::String(v));
            } else {
                println!("{name:<20} {v}");
            }
        }
    };
    line("Key", Some(r.key.clone()));
    line("Size", h.content_length().map(|n| n.to_string()));
    line("ETag", h.e_tag().map(str::to_string));
    line("Last-Modified", h.last_modified().map(|t| date(Some(t))));
    line("Content-Type", h.content_type().map(str::to_string));
    line("Content-Encoding", h.content_encoding().map(str::to_string));
    line("Content-Disposition", h.content_disposition().map(str::to_string));
    line("Content-Language", h.content_language().map(str::to_string));
    line("Cache-Control", h.cache_control().map(str::to_string));
    line("Expires", h.expires_string().map(str::to_string));
    line(
        "Storage-Class",
        Some(
            h.storage_class()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "STANDARD".into()),
        ),
    );
    line("Version-Id", h.version_id().map(str::to_string));
    // Where a restore of an archived object stands, and when a lifecycle rule expires it.
    line("Restore", h.restore().map(str::to_string));
    line("Expiration", h.expiration().map(str::to_string));
    line("Parts", h.parts_count().map(|n| n.to_string()));
    line("Checksum-CRC32", h.checksum_crc32().map(str::to_string));
    line("Checksum-CRC32C", h.checksum_crc32_c().map(str::to_string));
    line("Checksum-CRC64NVME", h.checksum_crc64_nvme().map(str::to_string));
    line("Checksum-SHA1", h.checksum_sha1().map(str::to_string));
    line("Checksum-SHA256", h.checksum_sha256().map(str::to_string));
    line("Checksum-Type", h.checksum_type().map(|t| t.as_str().to_string()));
    if let Some(meta) = h.metadata() {
        let mut meta: Vec<_> = meta.iter().collect();
        meta.sort();
        for (k, v) in meta {
            line(&format!("x-amz-meta-{k}"), Some(v.clone()));
        }
    }
    if args.json {
        json_line(&serde_json::Value::Object(fields.into_inner()));
    }
    Ok(())
}
