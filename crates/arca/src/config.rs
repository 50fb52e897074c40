//! `arca server` settings: flags win over `ARCA_*` environment variables, which win over the
//! optional TOML file (`--config`), which wins over the defaults.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use arca_server::ServerConfig;
use serde::Deserialize;

#[derive(clap::Args, Debug)]
pub(crate) struct ServerArgs {
    /// Data folder (default ./arca-data).
    #[arg(long, env = "ARCA_DATA")]
    data: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:9000).
    #[arg(long, env = "ARCA_ADDRESS")]
    address: Option<String>,
    /// Region this server reports (default us-east-1).
    #[arg(long, env = "ARCA_REGION")]
    region: Option<String>,
    /// Base domain for virtual-hosted-style requests (bucket.DOMAIN).
    #[arg(long, env = "ARCA_DOMAIN")]
    domain: Option<String>,
    /// PEM certificate chain; enables HTTPS with --tls-key.
    #[arg(long, env = "ARCA_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// PEM private key.
    #[arg(long, env = "ARCA_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// Metadata cache in MiB (default 64): most of the server's memory.
    #[arg(long, env = "ARCA_META_CACHE_MIB")]
    meta_cache_mib: Option<usize>,
    /// Seconds a request body may stall before 400 RequestTimeout (default 20).
    #[arg(long, env = "ARCA_IDLE_TIMEOUT_SECS")]
    idle_timeout_secs: Option<u64>,
    /// Most connections served at once; more wait to be accepted (default 4096, at most
    /// half the open-file limit).
    #[arg(long, env = "ARCA_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Seconds in a lifecycle "day" (default 86400): shorten it to watch 30-day rules act in
    /// minutes in a test or a demo.
    #[arg(long, env = "ARCA_LIFECYCLE_DAY_SECONDS")]
    lifecycle_day_seconds: Option<u64>,
    /// The shortest STS session AssumeRole grants, in seconds (default 900, AWS's): shorten
    /// it to watch temporary credentials expire in a test or a demo.
    #[arg(long, env = "ARCA_STS_MIN_SESSION_SECONDS")]
    sts_min_session_seconds: Option<u32>,
    /// File holding the root key of encryption at rest (64 hex digits; default: the data
    /// folder's root.key, made on first start). Kept apart from the data folder, a copy of
    /// the folder alone opens no object.
    #[arg(long, env = "ARCA_ROOT_KEY_FILE")]
    root_key_file: Option<PathBuf>,
    /// Accept SSE-C keys (x-amz-server-side-encryption-customer-key) over plain HTTP from
    /// loopback addresses: a TLS proxy on the same host, tests. Without it (and always from
    /// other addresses) they need HTTPS, as on AWS.
    #[arg(long, env = "ARCA_SSE_C_OVER_LOOPBACK_HTTP")]
    sse_c_over_loopback_http: bool,
    /// TOML file with any of: data, address, region, domain, tls_cert, tls_key, meta_cache_mib,
    /// idle_timeout_secs, max_connections, lifecycle_day_seconds, sts_min_session_seconds,
    /// root_key_file, sse_c_over_loopback_http;
    /// storage tiers
    /// (`[tiers.NAME] path = …`) with the tier of each storage class (`[storage_classes]`);
    /// `[restore_delay_seconds]` (Expedited, Standard, Bulk); and `[intelligent_tiering]`
    /// (infrequent_tier, days_to_infrequent).
    #[arg(long, env = "ARCA_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data: Option<PathBuf>,
    address: Option<String>,
    region: Option<String>,
    domain: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    meta_cache_mib: Option<usize>,
    idle_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
    lifecycle_day_seconds: Option<u64>,
    sts_min_session_seconds: Option<u32>,
    root_key_file: Option<PathBuf>,
    #[serde(default)]
    sse_c_over_loopback_http: bool,
    #[serde(default)]
    tiers: BTreeMap<String, arca_server::tiers::TierConfig>,
    #[serde(default)]
    storage_classes: BTreeMap<String, String>,
    #[serde(default)]
    restore_delay_seconds: RestoreDelaySeconds,
    #[serde(default)]
    intelligent_tiering: IntelligentTieringConfig,
}

/// `[intelligent_tiering]`: where INTELLIGENT_TIERING objects go when not read.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct IntelligentTieringConfig {
    /// The tier for objects not read for `days_to_infrequent` days (none: they stay put).
    infrequent_tier: Option<String>,
    #[serde(default = "thirty")]
    days_to_infrequent: u32,
}

impl Default for IntelligentTieringConfig {
    fn default() -> Self {
        IntelligentTieringConfig {
            infrequent_tier: None,
            days_to_infrequent: thirty(),
        }
    }
}

fn thirty() -> u32 {
    30
}

/// `[restore_delay_seconds]`: how long each retrieval tier takes (all 0 unless set).
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct RestoreDelaySeconds {
    #[serde(rename = "Expedited", default)]
    expedited: u64,
    #[serde(rename = "Standard", default)]
    standard: u64,
    #[serde(rename = "Bulk", default)]
    bulk: u64,
}

impl ServerArgs {
    pub(crate) fn resolve(self) -> Result<ServerConfig, String> {
        let file: FileConfig = match &self.config {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
                toml::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?
            }
            None => FileConfig::default(),
        };
        arca_server::tiers::check(
            &file.tiers,
            &file.storage_classes,
            file.intelligent_tiering.infrequent_tier.as_deref(),
        )?;
        let root_keys = match (
            std::env::var("ARCA_ROOT_ACCESS_KEY"),
            std::env::var("ARCA_ROOT_SECRET_KEY"),
        ) {
            (Ok(a), Ok(s)) if !a.is_empty() && !s.is_empty() => Some((a, s)),
            (Ok(_), Err(_)) | (Err(_), Ok(_)) => {
                return Err("set both ARCA_ROOT_ACCESS_KEY and ARCA_ROOT_SECRET_KEY, or neither".into());
            }
            _ => None,
        };
        Ok(ServerConfig {
            data_dir: self.data.or(file.data).unwrap_or_else(|| PathBuf::from("./arca-data")),
            address: self.address.or(file.address).unwrap_or_else(|| "127.0.0.1:9000".into()),
            region: self.region.or(file.region).unwrap_or_else(|| "us-east-1".into()),
            domain: self.domain.or(file.domain),
            tls_cert: self.tls_cert.or(file.tls_cert),
            tls_key: self.tls_key.or(file.tls_key),
            meta_cache_mib: self.meta_cache_mib.or(file.meta_cache_mib).unwrap_or(64),
            root_keys,
            root_key_file: self.root_key_file.or(file.root_key_file),
            sse_c_over_loopback_http: self.sse_c_over_loopback_http || file.sse_c_over_loopback_http,
            idle_timeout: std::time::Duration::from_secs(
                self.idle_timeout_secs.or(file.idle_timeout_secs).unwrap_or(20).max(1),
            ),
            max_connections: self.max_connections.or(file.max_connections).unwrap_or(4096).max(1),
            lifecycle_day_seconds: self
                .lifecycle_day_seconds
                .or(file.lifecycle_day_seconds)
                .unwrap_or(86_400)
                .max(1),
            sts_min_session_seconds: self
                .sts_min_session_seconds
                .or(file.sts_min_session_seconds)
                .unwrap_or(900)
                .max(1),
            tiers: file.tiers,
            storage_classes: file.storage_classes,
            restore_delays: arca_server::RestoreDelays {
                expedited: Duration::from_secs(file.restore_delay_seconds.expedited),
                standard: Duration::from_secs(file.restore_delay_seconds.standard),
                bulk: Duration::from_secs(file.restore_delay_seconds.bulk),
            },
            intelligent_tiering: arca_server::IntelligentTiering {
                infrequent_tier: file.intelligent_tiering.infrequent_tier,
                days_to_infrequent: file.intelligent_tiering.days_to_infrequent.max(1),
            },
        })
    }
}
