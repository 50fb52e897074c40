//! The adversarial suite: one test per finding of the security review (`docs/security.md`),
//! each driving a real `arca server` over raw HTTP where an SDK would refuse to send the bad
//! request. Each test fails on the code before its fix.
//!
//! Its own test binary, so `cargo test --test adversarial` runs exactly this suite.

#[allow(dead_code)]
#[path = "../integration/harness.rs"]
mod harness;

mod accounts;
mod acls;
mod admin;
mod bodies;
mod fuzz;
mod iam;
mod leaks;
mod post;
mod raw;
mod refusals;
mod signatures;
mod sigv2;
mod sts;

/// A self-signed certificate and key for 127.0.0.1, written into `dir`.
pub fn tls_pair(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    (cert_path, key_path)
}
