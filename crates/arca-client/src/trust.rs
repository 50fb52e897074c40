//! Which certificate authorities the client trusts over HTTPS.
//!
//! By default the platform's roots. `--ca-bundle FILE` or `AWS_CA_BUNDLE` (the AWS CLI's
//! names) replace them with the certificates in a PEM file — how one talks to a self-hosted
//! server with its own CA.

use std::path::Path;

use aws_sdk_s3::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use base64::Engine;

use crate::error::ClientError;

/// An HTTPS client that trusts exactly the certificates in the PEM file at `path`.
pub(crate) fn https_client_trusting(path: &Path) -> Result<SharedHttpClient, ClientError> {
    let pem = std::fs::read(path).map_err(|e| ClientError::io(path.display(), e))?;
    let store = TrustStore::empty().with_pem_certificate(usable_certificates(&pem, path)?);
    let context = TlsContext::builder()
        .with_trust_store(store)
        .build()
        .map_err(|e| ClientError::Transport(e.to_string()))?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
        .tls_context(context)
        .build_https())
}

/// The certificates of `pem` that can serve as trust anchors, re-encoded as PEM.
///
/// The SDK's TLS layer panics on a certificate it cannot parse, so the bundle is checked here
/// first: unusable entries are skipped (as system bundles sometimes hold some), and a file
/// with none at all is an error that names it.
fn usable_certificates(pem: &[u8], path: &Path) -> Result<Vec<u8>, ClientError> {
    let mut out = Vec::new();
    for cert in rustls_pemfile::certs(&mut &pem[..]).flatten() {
        if rustls::RootCertStore::empty().add(cert.clone()).is_err() {
            continue;
        }
        let b64 = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
        out.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        out.extend_from_slice(b"-----END CERTIFICATE-----\n");
    }
    if out.is_empty() {
        return Err(ClientError::Usage(format!(
            "{}: no usable PEM certificate in the CA bundle",
            path.display()
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_certificates_is_refused_not_a_panic() {
        let err = usable_certificates(b"not a certificate", Path::new("x.pem")).unwrap_err();
        assert!(err.to_string().contains("x.pem"), "{err}");
    }
}
