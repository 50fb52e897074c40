//! TLS in transit with rustls (ring provider, chosen explicitly so it does not matter which
//! other providers a build links).

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

use crate::ServerError;

pub(crate) fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, ServerError> {
    let err =
        |what: &str, p: &Path, e: &dyn std::fmt::Display| ServerError::Tls(format!("{what} {}: {e}", p.display()));
    let certs: Vec<_> = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert).map_err(|e| err("cannot open", cert, &e))?,
    ))
    .collect::<Result<_, _>>()
    .map_err(|e| err("bad certificate in", cert, &e))?;
    let key_der = rustls_pemfile::private_key(&mut std::io::BufReader::new(
        std::fs::File::open(key).map_err(|e| err("cannot open", key, &e))?,
    ))
    .map_err(|e| err("bad key in", key, &e))?
    .ok_or_else(|| ServerError::Tls(format!("no private key in {}", key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ServerError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| ServerError::Tls(e.to_string()))?;
    // HTTP/1.1 only, like S3 (see the connection builder in lib.rs for why not h2).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
