//! # arca-server
//!
//! Arca's front door: binds the listener (plain HTTP or TLS via rustls), serves each
//! connection with hyper, routes requests ([`front`]) and shuts down gracefully. It wires the
//! store and the S3 layer together but holds no storage or S3 logic of its own.

mod access;
mod account_admin;
mod account_blocks;
mod acl_grants;
mod admin;
mod auth;
mod bucket_keys;
mod connections;
mod corrections;
pub mod credentials;
mod data_folder;
mod explain;
pub mod front;
mod host;
mod iam_api;
mod identity;
mod ids;
mod key_access;
mod kms_api;
mod kms_audit;
mod kms_deletions;
mod memory;
mod passwords;
mod policy_set;
mod remote_tier;
mod request_body;
mod request_id;
mod root_key;
mod routes;
mod secrets;
mod sessions;
mod sign_in;
mod signed_body;
mod sse_kms;
pub mod tiers;
mod tls;

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arca_s3::ArcaS3;
use arca_store::Store;
pub use arca_store::{IntelligentTiering, RestoreDelays};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use s3s::service::{S3Service, S3ServiceBuilder};
use tokio::net::TcpListener;

use crate::credentials::{CredentialSource, RootCredentials};
use crate::front::FrontDoor;

/// Largest browser (POST form) upload: AWS's limit, that of a PUT. The file streams to the
/// store like a PUT.
const POST_OBJECT_MAX_SIZE: u64 = arca_s3::limits::MAX_PUT_SIZE;

/// Most bytes of form fields before a POST upload's file: AWS's limit
/// (`MaxPostPreDataLengthExceededError` beyond it). They are held in memory until the form is
/// authenticated, so they stay small.
const POST_FORM_FIELDS_MAX_SIZE: usize = 20 * 1024;

/// Longest a TLS handshake may take: a client that connects and says nothing is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest a client may take to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How often a failing `accept` is logged: it fails in bursts (out of file descriptors), and
/// one line per failure would flood the log.
const ACCEPT_ERROR_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// How long in-flight requests may run after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Everything `arca server` needs to run.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The data folder (created if missing).
    pub data_dir: PathBuf,
    /// `host:port` to listen on.
    pub address: String,
    /// The region the server serves (requests signed for another are refused).
    pub region: String,
    /// Base domain for virtual-hosted-style addressing (`bucket.domain`).
    pub domain: Option<String>,
    /// PEM certificate chain: serve HTTPS.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Metadata cache size in MiB.
    pub meta_cache_mib: usize,
    /// Explicit root keys (ARCA_ROOT_ACCESS_KEY / ARCA_ROOT_SECRET_KEY).
    pub root_keys: Option<(String, String)>,
    /// The file holding the root key of encryption at rest; `None`: the data folder's
    /// `root.key`, made on first start.
    pub root_key_file: Option<PathBuf>,
    /// Accept SSE-C keys over plain HTTP from loopback peers (a TLS proxy on the same host,
    /// tests); refused otherwise, as AWS refuses them over HTTP.
    pub sse_c_over_loopback_http: bool,
    /// How long a request body may stall before `400 RequestTimeout`.
    pub idle_timeout: Duration,
    /// Most connections served at once (capped at half the open-file limit).
    pub max_connections: usize,
    /// Seconds in a lifecycle "day" (86,400 unless shortened for tests and demos).
    pub lifecycle_day_seconds: u64,
    /// The shortest STS session AssumeRole grants (900, AWS's, unless shortened for tests
    /// and demos of expiring credentials).
    pub sts_min_session_seconds: u32,
    /// Storage tiers besides the data folder, by name.
    pub tiers: std::collections::BTreeMap<String, tiers::TierConfig>,
    /// The tier each storage class writes to (AWS's class name → tier name).
    pub storage_classes: std::collections::BTreeMap<String, String>,
    /// How long each retrieval tier takes to restore an archived object.
    pub restore_delays: arca_store::RestoreDelays,
    /// Where INTELLIGENT_TIERING objects go when they are not read.
    pub intelligent_tiering: arca_store::IntelligentTiering,
}

/// Why the server could not start (or stopped).
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The store could not open its data folder.
    #[error(transparent)]
    Store(#[from] arca_store::StoreError),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address asked for.
        address: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The root credentials file could not be read or written.
    #[error("credentials file: {0}")]
    Credentials(std::io::Error),
    /// The keys of encryption at rest could not be opened.
    #[error("encryption keys: {0}")]
    Keys(String),
    /// The certificate or key could not be loaded.
    #[error("TLS: {0}")]
    Tls(String),
    /// A storage tier could not be opened.
    #[error("storage tier: {0}")]
    Tier(String),
    /// The base domain is not a host name.
    #[error("invalid --domain: {0}")]
    Domain(String),
}

/// Runs the server until SIGINT or SIGTERM, then drains in-flight requests and returns.
pub async fn run(config: ServerConfig) -> Result<(), ServerError> {
    data_folder::restrict_new_files();
    let options = arca_store::StoreOptions {
        meta_cache_bytes: config.meta_cache_mib * 1024 * 1024,
        lifecycle_clock: arca_store::LifecycleClock::with_day_seconds(config.lifecycle_day_seconds),
        tiers: tiers::open(&config.tiers).await?,
        class_tiers: tiers::class_map(&config.storage_classes),
        restore_delays: config.restore_delays,
        intelligent_tiering: config.intelligent_tiering.clone(),
    };
    let store = Store::open_with(&config.data_dir, &options)?;
    let (creds, source) =
        credentials::load_or_create(&config.data_dir, config.root_keys.clone()).map_err(ServerError::Credentials)?;
    let jobs = store.spawn_jobs();
    let trimmer = memory::spawn_trimmer();

    let s3 = s3_service(
        store.clone(),
        &config.data_dir,
        &config.region,
        config.domain.as_deref(),
        &creds,
        config.sts_min_session_seconds,
        config.root_key_file.as_deref(),
    )
    .await?;
    let front = Arc::new(FrontDoor {
        s3,
        store: store.clone(),
        domain: config.domain.as_deref().map(host::BaseDomain::new),
        idle_timeout: config.idle_timeout,
        region: config.region.clone(),
        scheme: if config.tls_cert.is_some() { "https" } else { "http" },
    });
    let max_connections = connections::cap(config.max_connections);
    let slots = Arc::new(tokio::sync::Semaphore::new(max_connections));
    let mut accept_errors = connections::AcceptErrors::new(ACCEPT_ERROR_LOG_INTERVAL);

    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(tls::acceptor(cert, key)?),
        (None, None) => None,
        _ => {
            return Err(ServerError::Tls("--tls-cert and --tls-key go together".into()));
        }
    };
    let listener = TcpListener::bind(&config.address)
        .await
        .map_err(|source| ServerError::Bind {
            address: config.address.clone(),
            source,
        })?;
    let local = listener.local_addr().map_err(|source| ServerError::Bind {
        address: config.address.clone(),
        source,
    })?;
    announce(local, tls.is_some(), &config, &creds, source);

    let sse_c_over_loopback_http = config.sse_c_over_loopback_http;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // HTTP/1.1 only, as S3 itself: clients are written and tuned against it. Over HTTP/2
    // hyper sends no `100 Continue`, so Go clients (rclone, the AWS SDK for Go) waited a second
    // per upload for it — rclone took 56 s for 1 GiB over HTTPS instead of 6 — and error
    // bodies on HEAD responses became DATA frames that clients reject.
    let mut conn_builder = auto::Builder::new(TokioExecutor::new()).http1_only();
    conn_builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(64 * 1024);
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        // A connection slot first: at the cap, new connections wait in the listen backlog
        // instead of taking the file descriptors the store needs.
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => {
                    accept_errors.recovered();
                    a
                }
                Err(e) => {
                    tokio::time::sleep(accept_errors.failed(&e)).await;
                    continue;
                }
            },
        };
        // Small responses must leave in one segment, not wait for a delayed ACK.
        let _ = stream.set_nodelay(true);
        let front = front.clone();
        let client = access::Client {
            ip: peer.ip(),
            secure: tls.is_some(),
        };
        // SSE-C keys travel over TLS only, or from loopback where the operator allows it.
        let key_transport = arca_s3::KeyCarryingTransport(
            tls.is_some() || (sse_c_over_loopback_http && peer.ip().to_canonical().is_loopback()),
        );
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            // Policies may ask who is calling and how (aws:SourceIp, aws:SecureTransport).
            req.extensions_mut().insert(client);
            req.extensions_mut().insert(key_transport);
            front.clone().handle(req)
        });
        match &tls {
            None => {
                let conn = conn_builder
                    .serve_connection(TokioIo::new(stream), service)
                    .into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(%peer, error = %e, "connection ended with error");
                    }
                    drop(slot);
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let builder = conn_builder.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let _slot = slot;
                    let stream = match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake timed out");
                            return;
                        }
                    };
                    let conn = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                    if let Err(e) = watcher.watch(conn).await {
                        tracing::debug!(%peer, error = %e, "connection ended with error");
                    }
                });
            }
        }
    }
    drop(listener);
    tracing::info!("shutting down: draining in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(SHUTDOWN_GRACE) => tracing::warn!("grace period over; closing remaining connections"),
    }
    for job in &jobs {
        job.abort();
    }
    trimmer.abort();
    drop(front);
    // Every acknowledged write is already durable; dropping the store releases the lock.
    drop(store);
    Ok(())
}

/// The S3 service as the server wires it: the S3 layer over `store`, the root keys, s3s's
/// limits and, with `domain`, virtual-hosted-style addressing. The listener serves it behind
/// the front door; the fuzz suite drives it directly, so both exercise the same wiring.
pub async fn s3_service(
    store: Arc<Store>,
    data_dir: &Path,
    region: &str,
    domain: Option<&str>,
    creds: &RootCredentials,
    sts_min_session_seconds: u32,
    root_key_file: Option<&Path>,
) -> Result<S3Service, ServerError> {
    let md5 = Arc::new(arca_md5_lanes::Md5Lanes::for_this_machine());
    let (keyring, root_keys) = root_key::RootKeys::open(&store, data_dir, root_key_file).await?;
    let keyring = Arc::new(keyring);
    let kms = Arc::new(arca_kms::Kms::new(store.clone(), keyring.clone(), region));
    kms_deletions::spawn(kms.clone());
    let secrets = Arc::new(secrets::SecretWrapper::load_or_create(data_dir).map_err(ServerError::Credentials)?);
    // The first account's canonical id is the stored one once there is one: keys given in
    // the environment change nothing of who owns the buckets.
    let first = store
        .ensure_first_account(arca_store::AccountRecord {
            id: identity::FIRST_ACCOUNT.to_string(),
            name: identity::FIRST_ACCOUNT_NAME.to_string(),
            canonical_id: creds.owner_id.clone(),
            created_ms: arca_store::now_ms(),
            access_keys: Vec::new(),
            public_access_block: None,
        })
        .await?;
    let sessions = Arc::new(sessions::SessionKeys::load_or_create(data_dir).map_err(ServerError::Credentials)?);
    let identities = Arc::new(identity::Identities::new(
        store.clone(),
        secrets.clone(),
        creds.access_key.clone(),
        &first,
        sessions.clone(),
    ));
    let access = access::Access::new(store.clone(), identities.clone());
    let key_access = Arc::new(key_access::KeyAccess::new(kms.clone(), identities.clone()));
    let audit = Arc::new(kms_audit::KmsAudit::open(data_dir).map_err(ServerError::Credentials)?);
    let mut builder = S3ServiceBuilder::new(ArcaS3::new(
        store.clone(),
        (
            keyring,
            Arc::new(sse_kms::SseKms::new(key_access.clone(), audit.clone(), region)),
        ),
        md5,
        region,
    ));
    let mut s3_config = s3s::config::S3Config::default();
    s3_config.post_object_max_file_size = POST_OBJECT_MAX_SIZE;
    s3_config.form_max_fields_size = POST_FORM_FIELDS_MAX_SIZE;
    s3_config.form_max_field_size = POST_FORM_FIELDS_MAX_SIZE;
    builder.set_config(Arc::new(s3s::config::StaticConfigProvider::new(Arc::new(s3_config))));
    builder.set_auth(auth::KeyStore::new(creds.secret_key.clone(), identities.clone()));
    builder.set_access(access.clone());
    builder.set_route(routes::Routes {
        admin: admin::AdminApi::new(
            store.clone(),
            creds.access_key.clone(),
            access,
            identities.clone(),
            secrets.clone(),
            (root_keys, audit.clone()),
        ),
        account_blocks: account_blocks::AccountBlocks::new(store.clone(), identities.clone()),
        sign_in: sign_in::SignInApi::new(store.clone(), sessions),
        kms: kms_api::KmsApi::new(key_access, audit.clone()),
        iam: iam_api::IamApi::new(store, identities, secrets, sts_min_session_seconds),
    });
    if let Some(domain) = domain {
        if domain.is_empty() || domain.contains('/') || domain.contains(':') {
            return Err(ServerError::Domain(domain.to_string()));
        }
        builder.set_host(host::BaseDomain::new(domain));
    }
    Ok(builder.build())
}

fn announce(local: SocketAddr, tls: bool, config: &ServerConfig, creds: &RootCredentials, source: CredentialSource) {
    let scheme = if tls { "https" } else { "http" };
    let endpoint = format!("{scheme}://{local}");
    let file = config.data_dir.join("root-credentials.toml");
    // Tests and scripts read this first line to find the port.
    println!("arca listening on {endpoint}");
    println!("  data folder: {}", config.data_dir.display());
    println!("  region:      {}", config.region);
    let secret = match source {
        CredentialSource::Generated => {
            println!(
                "  root credentials generated and saved in {} (mode 0600)",
                file.display()
            );
            // A secret goes to a person at a terminal, never into a log file or a pipe.
            if std::io::stdout().is_terminal() {
                creds.secret_key.as_str()
            } else {
                tracing::info!(file = %file.display(), "root credentials generated; the secret key is in this file");
                "<secret_key from that file>"
            }
        }
        CredentialSource::Stored => {
            println!("  root credentials from {}", file.display());
            "<secret_key from that file>"
        }
        CredentialSource::Environment => {
            println!("  root credentials from ARCA_ROOT_ACCESS_KEY / ARCA_ROOT_SECRET_KEY");
            "$ARCA_ROOT_SECRET_KEY"
        }
    };
    println!("  try it:");
    println!(
        "    export AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={secret}",
        creds.access_key
    );
    println!("    aws --endpoint-url {endpoint} --region {} s3 ls", config.region);
    let _ = std::io::stdout().flush();
}

async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
