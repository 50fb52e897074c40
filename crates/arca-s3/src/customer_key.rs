//! SSE-C as S3 requests see it: the three headers that bring a customer's key (and their
//! `x-amz-copy-source-` twins for a copy's source), checked as AWS checks them, and the
//! answers when the key is missing, wrong, or not wanted.
//!
//! The key itself never reaches the store: [`arca_kms::CustomerKey`] derives the object's
//! data key from it and keeps only a salted HMAC to recognise it.

use arca_kms::{CustomerKey, DataKey};
use arca_store::{EncryptionDescriptor, SseAlgorithm};
use base64::Engine;
use http::Extensions;
use md5::{Digest, Md5};
use s3s::S3Result;

use crate::aws_error::AwsError;

/// Whether a request's connection may carry a customer key: TLS, or plain HTTP from a
/// loopback peer where the operator allows it (`--sse-c-over-loopback-http`: a TLS proxy on
/// the same host, tests). The front door puts it in every request's extensions; a request
/// without it is treated as plain HTTP.
#[derive(Debug, Clone, Copy)]
pub struct KeyCarryingTransport(pub bool);

/// The SSE-C headers of a request, as sent.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CustomerKeyHeaders<'a> {
    pub(crate) algorithm: Option<&'a str>,
    pub(crate) key: Option<&'a str>,
    pub(crate) key_md5: Option<&'a str>,
}

impl CustomerKeyHeaders<'_> {
    fn any(&self) -> bool {
        self.algorithm.is_some() || self.key.is_some() || self.key_md5.is_some()
    }
}

/// The [`CustomerKeyHeaders`] of any input (their fields are named alike in every s3s
/// input); with `copy_source`, those of the copy's source.
#[macro_export]
macro_rules! customer_key_headers {
    ($input:expr) => {
        $crate::customer_key::CustomerKeyHeaders {
            algorithm: $input.sse_customer_algorithm.as_deref(),
            key: $input.sse_customer_key.as_deref(),
            key_md5: $input.sse_customer_key_md5.as_deref(),
        }
    };
    ($input:expr, copy_source) => {
        $crate::customer_key::CustomerKeyHeaders {
            algorithm: $input.copy_source_sse_customer_algorithm.as_deref(),
            key: $input.copy_source_sse_customer_key.as_deref(),
            key_md5: $input.copy_source_sse_customer_key_md5.as_deref(),
        }
    };
}

/// A customer key a request brought, checked against its MD5.
pub(crate) struct ProvidedKey {
    key: CustomerKey,
    /// `…-customer-key-MD5` as sent: every answer about the object echoes it.
    md5: String,
}

/// `x-amz-server-side-encryption-customer-algorithm` and `…-key-MD5` of an answer.
pub(crate) type CustomerKeyEcho = (Option<String>, Option<String>);

impl ProvidedKey {
    /// A new object's data key under this key, and how its record keeps it.
    pub(crate) fn new_sealing(&self) -> (DataKey, EncryptionDescriptor) {
        self.key.new_sealing()
    }

    /// The headers an answer echoes.
    pub(crate) fn echo(&self) -> CustomerKeyEcho {
        (Some("AES256".to_string()), Some(self.md5.clone()))
    }
}

/// The headers an answer about an object sealed as `descriptor` echoes from `key`: none
/// unless it is an SSE-C object.
pub(crate) fn echo(descriptor: Option<&EncryptionDescriptor>, key: Option<&ProvidedKey>) -> CustomerKeyEcho {
    match (is_customer_sealed(descriptor), key) {
        (true, Some(k)) => k.echo(),
        _ => (None, None),
    }
}

/// Is `descriptor` an SSE-C object's (or upload's)?
pub(crate) fn is_customer_sealed(descriptor: Option<&EncryptionDescriptor>) -> bool {
    descriptor.is_some_and(|d| d.algorithm == SseAlgorithm::CustomerKey)
}

/// The customer key `headers` bring (`None`: they bring none), checked as AWS checks it.
pub(crate) fn provided_key(headers: CustomerKeyHeaders<'_>, extensions: &Extensions) -> S3Result<Option<ProvidedKey>> {
    if !headers.any() {
        return Ok(None);
    }
    if !extensions.get::<KeyCarryingTransport>().is_some_and(|t| t.0) {
        return Err(AwsError::InvalidRequest.with_message(
            "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
        ));
    }
    let algorithm = headers.algorithm.ok_or_else(|| {
        AwsError::InvalidArgument.with_message(
            "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
        )
    })?;
    if algorithm != "AES256" {
        return Err(AwsError::InvalidEncryptionAlgorithmError.error());
    }
    let key = headers.key.ok_or_else(|| {
        AwsError::InvalidArgument.with_message(
            "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
        )
    })?;
    let md5 = headers.key_md5.ok_or_else(|| {
        AwsError::InvalidArgument.with_message(
            "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
        )
    })?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let bytes = zeroize::Zeroizing::new(b64.decode(key).unwrap_or_default());
    let key = CustomerKey::from_bytes(&bytes).ok_or_else(|| {
        AwsError::InvalidArgument.with_message("The secret key was invalid for the specified algorithm.")
    })?;
    if b64.decode(md5).ok().as_deref() != Some(&Md5::digest(&bytes[..])[..]) {
        return Err(AwsError::InvalidArgument
            .with_message("The calculated MD5 hash of the key did not match the hash that was provided."));
    }
    Ok(Some(ProvidedKey {
        key,
        md5: md5.to_string(),
    }))
}

/// What a customer key opens: an object (or a copy's source), or a multipart upload's parts.
/// AWS words the answers differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sealed {
    Object,
    Upload,
}

/// The data key of an SSE-C object or upload sealed as `descriptor`, from the key a request
/// brought; `None` where neither is SSE-C. A key for something not sealed under one, a
/// missing key and a wrong key are each AWS's error.
pub(crate) fn customer_data_key(
    descriptor: Option<&EncryptionDescriptor>,
    key: Option<&ProvidedKey>,
    what: Sealed,
) -> S3Result<Option<DataKey>> {
    match (descriptor.filter(|d| d.algorithm == SseAlgorithm::CustomerKey), key, what) {
        (None, None, _) => Ok(None),
        (None, Some(_), _) => {
            Err(AwsError::InvalidRequest.with_message("The encryption parameters are not applicable to this object."))
        }
        (Some(_), None, Sealed::Object) => Err(AwsError::InvalidRequest.with_message(
            "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
        )),
        (Some(_), None, Sealed::Upload) => Err(AwsError::InvalidRequest.with_message(
            "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.",
        )),
        (Some(d), Some(k), what) => k.key.data_key(d).map(Some).map_err(|_| match what {
            Sealed::Object => AwsError::AccessDenied.error(),
            Sealed::Upload => AwsError::InvalidRequest
                .with_message("The provided encryption parameters did not match the ones used originally."),
        }),
    }
}

/// The ETag of bytes with MD5 `md5` sealed under `data_key` as `descriptor` says: the hex
/// MD5, or for SSE-C a keyed digest that does not reveal it (see
/// [`arca_kms::customer_etag`]).
pub(crate) fn etag_of(descriptor: &EncryptionDescriptor, data_key: &DataKey, md5: &[u8; 16]) -> String {
    match descriptor.algorithm {
        SseAlgorithm::CustomerKey => arca_kms::customer_etag(data_key, md5),
        _ => hex::encode(md5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="; // "0123…01", 32 bytes
    const KEY_MD5: &str = "KYvwGXoFFJ42a2u2GDWhwQ==";

    fn secure() -> Extensions {
        let mut e = Extensions::new();
        e.insert(KeyCarryingTransport(true));
        e
    }

    fn headers<'a>(algorithm: Option<&'a str>, key: Option<&'a str>, md5: Option<&'a str>) -> CustomerKeyHeaders<'a> {
        CustomerKeyHeaders {
            algorithm,
            key,
            key_md5: md5,
        }
    }

    fn refusal(h: CustomerKeyHeaders<'_>, e: &Extensions) -> (String, String) {
        let err = provided_key(h, e).err().expect("refused");
        (
            err.code().as_str().to_string(),
            err.message().unwrap_or_default().to_string(),
        )
    }

    #[test]
    fn a_well_formed_key_is_accepted_and_echoed() {
        let k = provided_key(headers(Some("AES256"), Some(KEY), Some(KEY_MD5)), &secure())
            .unwrap()
            .unwrap();
        assert_eq!(k.echo(), (Some("AES256".into()), Some(KEY_MD5.into())));
        assert!(
            provided_key(headers(None, None, None), &Extensions::new())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn each_malformed_key_gets_awss_answer() {
        let e = secure();
        let plain = refusal(headers(Some("AES256"), Some(KEY), Some(KEY_MD5)), &Extensions::new());
        assert_eq!(plain.0, "InvalidRequest");
        assert!(plain.1.contains("secure connection"));
        let cases = [
            (
                headers(None, Some(KEY), Some(KEY_MD5)),
                "InvalidArgument",
                "valid encryption algorithm",
            ),
            (
                headers(Some("aws:kms"), Some(KEY), Some(KEY_MD5)),
                "InvalidEncryptionAlgorithmError",
                "",
            ),
            (
                headers(Some("AES256"), None, Some(KEY_MD5)),
                "InvalidArgument",
                "appropriate secret key",
            ),
            (
                headers(Some("AES256"), Some(KEY), None),
                "InvalidArgument",
                "calculated MD5 of the secret key",
            ),
            (
                headers(Some("AES256"), Some("c2hvcnQ="), Some(KEY_MD5)),
                "InvalidArgument",
                "secret key was invalid",
            ),
            (
                headers(Some("AES256"), Some("%%%"), Some(KEY_MD5)),
                "InvalidArgument",
                "secret key was invalid",
            ),
            (
                headers(Some("AES256"), Some(KEY), Some("AAAAAAAAAAAAAAAAAAAAAA==")),
                "InvalidArgument",
                "did not match",
            ),
        ];
        for (h, code, words) in cases {
            let (c, m) = refusal(h, &e);
            assert_eq!(c, code, "{h:?}");
            assert!(m.contains(words), "{h:?}: {m}");
        }
    }

    #[test]
    fn a_key_opens_only_what_it_sealed() {
        let k = provided_key(headers(Some("AES256"), Some(KEY), Some(KEY_MD5)), &secure())
            .unwrap()
            .unwrap();
        let (data_key, descriptor) = k.new_sealing();
        let opened = customer_data_key(Some(&descriptor), Some(&k), Sealed::Object)
            .unwrap()
            .unwrap();
        assert_eq!(opened.as_bytes(), data_key.as_bytes());
        let code = |r: S3Result<Option<DataKey>>| r.err().unwrap().code().as_str().to_string();
        assert_eq!(
            code(customer_data_key(Some(&descriptor), None, Sealed::Object)),
            "InvalidRequest"
        );
        let other = ProvidedKey {
            key: CustomerKey::from_bytes(&[5; 32]).unwrap(),
            md5: String::new(),
        };
        assert_eq!(
            code(customer_data_key(Some(&descriptor), Some(&other), Sealed::Object)),
            "AccessDenied"
        );
        assert_eq!(
            code(customer_data_key(Some(&descriptor), Some(&other), Sealed::Upload)),
            "InvalidRequest"
        );
        assert_eq!(
            code(customer_data_key(None, Some(&k), Sealed::Object)),
            "InvalidRequest"
        );
        assert!(customer_data_key(None, None, Sealed::Object).unwrap().is_none());
    }
}
