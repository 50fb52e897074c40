//! Client-visible checksums (`x-amz-checksum-*`): which one a request asks for, computing it
//! while the body streams, and comparing it with what the client declared.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use s3s::S3Result;
use s3s::checksum::ChecksumHasher;
use s3s::dto::{Checksum, ChecksumAlgorithm};

use crate::aws_error::AwsError;
use arca_store::{ChecksumAlgorithm as Algorithm, ChecksumType, ObjectChecksum};

/// The algorithm the client wants for this upload: an explicit value header wins, then the
/// declared algorithm (whose value may arrive in a trailer), then CRC64NVME, which AWS
/// computes for every new object that has no other checksum.
pub(crate) fn requested_algorithm(declared: &Checksum, algorithm: Option<&ChecksumAlgorithm>) -> S3Result<Algorithm> {
    if let Some(alg) = declared_algorithm(declared) {
        return Ok(alg);
    }
    if let Some(alg) = algorithm {
        return parse_algorithm(alg);
    }
    Ok(Algorithm::Crc64Nvme)
}

/// The algorithm an `x-amz-checksum-algorithm` / `x-amz-sdk-checksum-algorithm` names (any case).
pub(crate) fn parse_algorithm(alg: &ChecksumAlgorithm) -> S3Result<Algorithm> {
    Algorithm::from_name(&alg.as_str().to_ascii_uppercase())
        .ok_or_else(|| AwsError::InvalidArgument.with_message(format!("Invalid checksum algorithm: {}", alg.as_str())))
}

fn declared_algorithm(c: &Checksum) -> Option<Algorithm> {
    Algorithm::ALL.iter().copied().find(|a| value_of(c, *a).is_some())
}

pub(crate) fn hasher_for(algorithm: Algorithm) -> ChecksumHasher {
    let mut h = ChecksumHasher::default();
    match algorithm {
        Algorithm::Crc32 => h.crc32 = Some(Default::default()),
        Algorithm::Crc32c => h.crc32c = Some(Default::default()),
        Algorithm::Crc64Nvme => h.crc64nvme = Some(Default::default()),
        Algorithm::Sha1 => h.sha1 = Some(Default::default()),
        Algorithm::Sha256 => h.sha256 = Some(Default::default()),
    }
    h
}

pub(crate) fn value_of(c: &Checksum, algorithm: Algorithm) -> Option<&String> {
    match algorithm {
        Algorithm::Crc32 => c.checksum_crc32.as_ref(),
        Algorithm::Crc32c => c.checksum_crc32c.as_ref(),
        Algorithm::Crc64Nvme => c.checksum_crc64nvme.as_ref(),
        Algorithm::Sha1 => c.checksum_sha1.as_ref(),
        Algorithm::Sha256 => c.checksum_sha256.as_ref(),
    }
}

/// The s3s DTO naming `algorithm`.
pub(crate) fn algorithm_dto(algorithm: Algorithm) -> ChecksumAlgorithm {
    ChecksumAlgorithm::from_static(algorithm.as_str())
}

/// Fills a [`Checksum`] with one stored value.
pub(crate) fn to_dto(stored: Option<&ObjectChecksum>) -> Checksum {
    match stored {
        Some(s) => Checksum {
            checksum_type: Some(checksum_type_dto(s.kind)),
            ..value_dto(Some(s.algorithm), Some(&s.value))
        },
        None => Checksum::default(),
    }
}

/// A [`Checksum`] with `value` in the field of `algorithm` (empty if either is missing).
pub(crate) fn value_dto(algorithm: Option<Algorithm>, value: Option<&String>) -> Checksum {
    let mut c = Checksum::default();
    if let (Some(a), Some(v)) = (algorithm, value) {
        let v = Some(v.clone());
        match a {
            Algorithm::Crc32 => c.checksum_crc32 = v,
            Algorithm::Crc32c => c.checksum_crc32c = v,
            Algorithm::Crc64Nvme => c.checksum_crc64nvme = v,
            Algorithm::Sha1 => c.checksum_sha1 = v,
            Algorithm::Sha256 => c.checksum_sha256 = v,
        }
    }
    c
}

pub(crate) fn checksum_type_dto(kind: ChecksumType) -> s3s::dto::ChecksumType {
    match kind {
        ChecksumType::FullObject => s3s::dto::ChecksumType::from_static(s3s::dto::ChecksumType::FULL_OBJECT),
        ChecksumType::Composite => s3s::dto::ChecksumType::from_static(s3s::dto::ChecksumType::COMPOSITE),
    }
}

/// Compares what was computed with what the client declared (header or trailer).
pub(crate) fn verify(computed: &Checksum, declared: &Checksum, algorithm: Algorithm) -> S3Result<()> {
    if let Some(want) = value_of(declared, algorithm) {
        let got = value_of(computed, algorithm);
        if got != Some(want) {
            // Not base64 at all is a malformed header; any other value that does not match —
            // of the wrong length too, as a conformance suite run against AWS shows — is
            // BadDigest.
            if B64.decode(want).is_err() {
                return Err(AwsError::InvalidRequest.with_message(format!(
                    "Value for x-amz-checksum-{} header is invalid.",
                    algorithm.as_str().to_ascii_lowercase()
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
pub(crate) fn merge_trailers(declared: &mut Checksum, trailers: Option<&http::HeaderMap>) {
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
pub(crate) fn multipart_checksum(
    algorithm: Algorithm,
    kind: ChecksumType,
    parts: &[(u64, &str)],
) -> S3Result<ObjectChecksum> {
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
                Algorithm::Crc32 => crc_fast::CrcAlgorithm::Crc32IsoHdlc,
                Algorithm::Crc32c => crc_fast::CrcAlgorithm::Crc32Iscsi,
                Algorithm::Crc64Nvme => crc_fast::CrcAlgorithm::Crc64Nvme,
                Algorithm::Sha1 | Algorithm::Sha256 => {
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
            let bytes = if algorithm == Algorithm::Crc64Nvme {
                v.to_be_bytes().to_vec()
            } else {
                (v as u32).to_be_bytes().to_vec()
            };
            B64.encode(bytes)
        }
    };
    Ok(ObjectChecksum { algorithm, value, kind })
}
