//! Path-style and virtual-hosted-style addressing.

use s3s::S3Result;
use s3s::host::{S3Host, VirtualHost};

/// `bucket.DOMAIN[:port]` addresses a bucket; any other host (the bare domain, an IP address,
/// `localhost`) is path-style. Unlike s3s's `SingleDomain`, a foreign host name is never taken
/// for a bucket name, and a port never breaks the match.
#[derive(Debug)]
pub struct BaseDomain {
    domain: String,
}

impl BaseDomain {
    pub fn new(domain: &str) -> Self {
        BaseDomain {
            domain: domain.trim_end_matches('.').to_ascii_lowercase(),
        }
    }

    /// The bucket named by a Host header, if it is virtual-hosted-style.
    pub fn bucket_of<'a>(&self, host: &'a str) -> Option<&'a str> {
        let name = strip_port(host);
        let lower_ends = name.len() > self.domain.len() + 1
            && name[name.len() - self.domain.len()..].eq_ignore_ascii_case(&self.domain)
            && name.as_bytes()[name.len() - self.domain.len() - 1] == b'.';
        lower_ends.then(|| &name[..name.len() - self.domain.len() - 1])
    }
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split(']').next().map_or(host, |h| &host[..h.len() + 1]);
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    }
}

impl S3Host for BaseDomain {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        Ok(match self.bucket_of(host) {
            Some(bucket) => VirtualHost::new(self.domain.as_str()).with_bucket(bucket),
            None => VirtualHost::new(strip_port(host)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::BaseDomain;

    #[test]
    fn buckets_come_only_from_subdomains() {
        let d = BaseDomain::new("s3.example.com");
        assert_eq!(d.bucket_of("photos.s3.example.com"), Some("photos"));
        assert_eq!(d.bucket_of("photos.s3.example.com:9000"), Some("photos"));
        assert_eq!(d.bucket_of("my.dotted.bucket.s3.example.com"), Some("my.dotted.bucket"));
        assert_eq!(d.bucket_of("s3.example.com:9000"), None);
        assert_eq!(d.bucket_of("127.0.0.1:9000"), None);
        assert_eq!(d.bucket_of("[::1]:9000"), None);
        assert_eq!(d.bucket_of("evil.com"), None);
        assert_eq!(d.bucket_of("xs3.example.com"), None);
    }
}
