//! Client-visible checksums (`x-amz-checksum-*`): which one a request asks for, computing it
//! while the body streams, and comparing it with what the client declared.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use s3s::S3Result;
use s3s::checksum::ChecksumHasher;
use s3s::dto::{Checksum, ChecksumAlgorithm};

use crate::aws_error::AwsError;
use arca_store::{ChecksumType, ObjectChecksum};

pub const ALGORITHMS: [&str; 5] = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];

/// The algorithm the client wants for this upload: an explicit value header wins, then the
/// declared algorithm (whose value may arrive in a trailer), then CRC64NVME, which AWS
/// computes for every new object that has no other checksum.
pub fn requested_algorithm(declared: &Checksum, algorithm: Option<&ChecksumAlgorithm>) -> S3Result<&'static str> {
    if let Some(alg) = declared_algorithm(declared) {
        return Ok(alg);
    }
    if let Some(alg) = algorithm {
        let upper = alg.as_str().to_ascii_uppercase();
        return ALGORITHMS.iter().copied().find(|a| *a == upper).ok_or_else(|| {
            AwsError::InvalidArgument.with_message(format!("Invalid checksum algorithm: {}", alg.as_str()))
        });
    }
    Ok("CRC64NVME")
}

fn declared_algorithm(c: &Checksum) -> Option<&'static str> {
    if c.checksum_crc32.is_some() {
        Some("CRC32")
    } else if c.checksum_crc32c.is_some() {
        Some("CRC32C")
    } else if c.checksum_crc64nvme.is_some() {
        Some("CRC64NVME")
    } else if c.checksum_sha1.is_some() {
        Some("SHA1")
    } else if c.checksum_sha256.is_some() {
        Some("SHA256")
    } else {
        None
    }
}

pub fn hasher_for(algorithm: &str) -> ChecksumHasher {
    let mut h = ChecksumHasher::default();
    match algorithm {
        "CRC32" => h.crc32 = Some(Default::default()),
        "CRC32C" => h.crc32c = Some(Default::default()),
        "CRC64NVME" => h.crc64nvme = Some(Default::default()),
        "SHA1" => h.sha1 = Some(Default::default()),
        _ => h.sha256 = Some(Default::default()),
    }
    h
}

pub fn value_of<'a>(c: &'a Checksum, algorithm: &str) -> Option<&'a String> {
    match algorithm {
        "CRC32" => c.checksum_crc32.as_ref(),
        "CRC32C" => c.checksum_crc32c.as_ref(),
        "CRC64NVME" => c.checksum_crc64nvme.as_ref(),
        "SHA1" => c.checksum_sha1.as_ref(),
        "SHA256" => c.checksum_sha256.as_ref(),
        _ => None,
    }
}

/// Fills a [`Checksum`] with one stored value.
pub fn to_dto(stored: Option<&ObjectChecksum>) -> Checksum {
    match stored {
        Some(s) => Checksum {
            checksum_type: Some(checksum_type_dto(s.kind)),
            ..value_dto(Some(&s.algorithm), Some(&s.value))
        },
        None => Checksum::default(),
    }
}

/// A [`Checksum`] with `value` in the field of `algorithm` (empty if either is missing).
pub fn value_dto(algorithm: Option<&str>, value: Option<&String>) -> Checksum {
    let mut c = Checksum::default();
    if let (Some(a), Some(v)) = (algorithm, value) {
        let v = Some(v.clone());
        match a {
            "CRC32" => c.checksum_crc32 = v,
            "CRC32C" => c.checksum_crc32c = v,
            "CRC64NVME" => c.checksum_crc64nvme = v,
            "SHA1" => c.checksum_sha1 = v,
            _ => c.checksum_sha256 = v,
        }
    }
    c
}

pub fn checksum_type_dto(kind: ChecksumType) -> s3s::dto::ChecksumType {
    match kind {
        ChecksumType::FullObject => s3s::dto::ChecksumType::from_static(s3s::dto::ChecksumType::FULL_OBJECT),
        ChecksumType::Composite => s3s::dto::ChecksumType::from_static(s3s::dto::ChecksumType::COMPOSITE),
    }
}

/// Compares what was computed with what the client declared (header or trailer).
pub fn verify(computed: &Checksum, declared: &Checksum, algorithm: &str) -> S3Result<()> {
    if let Some(want) = value_of(declared, algorithm) {
        let got = value_of(computed, algorithm);
        if got != Some(want) {
            // Not base64 at all is a malformed header; any other value that does not match —
            // of the wrong length too, as a conformance suite run against AWS shows — is
            // BadDigest.
            if B64.decode(want).is_err() {
                return Err(AwsError::InvalidRequest.with_message(format!(
                    "Value for x-amz-checksum-{} header is invalid.",
                    algorithm.to_ascii_lowercase()
                )));
            }
            return Err(AwsError::BadDigest.with_message(format!(
                "The {algorithm} you specified did not match the calculated checksum."
            )));
        }
    }
    Ok(())
}

/// Collects checksum values a client sent in an aws-chunked trailer.
pub fn merge_trailers(declared: &mut Checksum, trailers: Option<&http::HeaderMap>) {
    let Some(t) = trailers else { return };
    let get = |name: &str| t.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(v) = get("x-amz-checksum-crc32") {
        declared.checksum_crc32 = Some(v);
    }
    if let Some(v) = get("x-amz-checksum-crc32c") {
        declared.checksum_crc32c = Some(v);
    }
    if let Some(v) = get("x-amz-checksum-crc64nvme") {
        declared.checksum_crc64nvme = Some(v);
    }
    if let Some(v) = get("x-amz-checksum-sha1") {
        declared.checksum_sha1 = Some(v);
    }
    if let Some(v) = get("x-amz-checksum-sha256") {
        declared.checksum_sha256 = Some(v);
    }
}

/// The checksum of a multipart object: for a COMPOSITE type, the checksum of the
/// concatenated binary part checksums, suffixed `-N`; for FULL_OBJECT CRCs, the CRCs combined
/// as if computed over the whole object.
pub fn multipart_checksum(algorithm: &str, kind: ChecksumType, parts: &[(u64, &str)]) -> S3Result<ObjectChecksum> {
    let raw: Vec<Vec<u8>> = parts
        .iter()
        .map(|(_, v)| {
            B64.decode(v)
                .map_err(|_| AwsError::InvalidPart.with_message("stored part checksum is not base64"))
        })
        .collect::<S3Result<_>>()?;
    let value = match kind {
        ChecksumType::Composite => {
            let mut h = hasher_for(algorithm);
            for r in &raw {
                h.update(r);
            }
            let c = h.finalize();
            format!(
                "{}-{}",
                value_of(&c, algorithm).cloned().unwrap_or_default(),
                parts.len()
            )
        }
        ChecksumType::FullObject => {
            let crc_alg = match algorithm {
                "CRC32" => crc_fast::CrcAlgorithm::Crc32IsoHdlc,
                "CRC32C" => crc_fast::CrcAlgorithm::Crc32Iscsi,
                "CRC64NVME" => crc_fast::CrcAlgorithm::Crc64Nvme,
                _ => {
                    return Err(AwsError::InvalidRequest.with_message(format!(
                        "The FULL_OBJECT checksum type is not supported for {algorithm}"
                    )));
                }
            };
            let mut acc: Option<u64> = None;
            for ((len, _), r) in parts.iter().zip(&raw) {
                let v = r.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b));
                acc = Some(match acc {
                    None => v,
                    Some(a) => crc_fast::checksum_combine(crc_alg, a, v, *len),
                });
            }
            let v = acc.unwrap_or(0);
            let bytes = if algorithm == "CRC64NVME" {
                v.to_be_bytes().to_vec()
            } else {
                (v as u32).to_be_bytes().to_vec()
            };
            B64.encode(bytes)
        }
    };
    Ok(ObjectChecksum {
        algorithm: algorithm.to_string(),
        value,
        kind,
    })
}
