//! Absolute URLs of objects, as AWS writes them in `Location` (CompleteMultipartUpload and
//! browser POST uploads): scheme and host as the client reached the server, the key
//! percent-encoded. Upload pages show that link; a relative, unencoded one broke them.

use http::{Extensions, HeaderMap};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// How clients reach this server (`http` or `https`); the front door puts it in every
/// request's extensions.
#[derive(Debug, Clone, Copy)]
pub struct Scheme(pub &'static str);

/// Everything but unreserved characters and `/` is encoded, as in AWS's Location.
const KEY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// The URL of `bucket`/`key` for a request with these headers: virtual-hosted when the
/// request's host names the bucket, path-style otherwise.
pub fn object_url(headers: &HeaderMap, extensions: &Extensions, bucket: &str, key: &str) -> String {
    let scheme = extensions.get::<Scheme>().map_or("http", |s| s.0);
    let key = utf8_percent_encode(key, KEY);
    let Some(host) = headers.get(http::header::HOST).and_then(|h| h.to_str().ok()) else {
        return format!("/{bucket}/{key}");
    };
    if host.strip_prefix(bucket).is_some_and(|rest| rest.starts_with('.')) {
        format!("{scheme}://{host}/{key}")
    } else {
        format!("{scheme}://{host}/{bucket}/{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_absolute_and_encoded() {
        let mut h = HeaderMap::new();
        h.insert(http::header::HOST, "127.0.0.1:9000".parse().unwrap());
        let mut x = Extensions::new();
        assert_eq!(
            object_url(&h, &x, "b", "a b/é+?.bin"),
            "http://127.0.0.1:9000/b/a%20b/%C3%A9%2B%3F.bin"
        );
        x.insert(Scheme("https"));
        h.insert(http::header::HOST, "b.s3.example.org".parse().unwrap());
        assert_eq!(object_url(&h, &x, "b", "k"), "https://b.s3.example.org/k");
        // A host that merely starts with the bucket's name is path-style.
        h.insert(http::header::HOST, "bb.example.org".parse().unwrap());
        assert_eq!(object_url(&h, &x, "b", "k"), "https://bb.example.org/b/k");
    }
}
