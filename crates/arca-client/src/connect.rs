//! Building an S3 client for a location: from an alias, or from the AWS SDK's config chain.

use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

/// Attempts per request: the SDK retries throttling, 5xx and network errors with exponential
/// backoff and never a 4xx client error.
const MAX_ATTEMPTS: u32 = 5;

use crate::alias::Aliases;
use crate::error::ClientError;

/// Global connection flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConnectArgs {
    /// Endpoint to use instead of the profile's or AWS's (e.g. http://127.0.0.1:9000).
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// Profile in ~/.aws/config and ~/.aws/credentials.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Region (default: the profile's, AWS_REGION, or us-east-1).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// PEM file of the certificate authorities to trust over HTTPS instead of the system's
    /// (default: AWS_CA_BUNDLE).
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_bundle: Option<std::path::PathBuf>,
}

impl ConnectArgs {
    pub(crate) fn ca_bundle(&self) -> Option<std::path::PathBuf> {
        self.ca_bundle.clone().or_else(|| {
            std::env::var_os("AWS_CA_BUNDLE")
                .filter(|v| !v.is_empty())
                .map(Into::into)
        })
    }
}

/// Makes the client for `alias` (or the default chain when `None`).
pub async fn client(args: &ConnectArgs, aliases: &Aliases, alias: Option<&str>) -> Result<Client, ClientError> {
    if let Some(name) = alias {
        let a = aliases
            .get(name)
            .ok_or_else(|| ClientError::Usage(format!("no alias named {name}")))?;
        let mut conf = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&a.url)
            .region(Region::new(args.region.clone().unwrap_or_else(|| "us-east-1".into())))
            .credentials_provider(Credentials::new(&a.access_key, &a.secret_key, None, None, "arca-alias"))
            .force_path_style(true)
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        if let Some(bundle) = args.ca_bundle() {
            conf = conf.http_client(crate::trust::https_client_trusting(&bundle)?);
        }
        return Ok(Client::from_conf(conf.build()));
    }
    let sdk = sdk_config(args).await?;
    let mut conf =
        aws_sdk_s3::config::Builder::from(&sdk).retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
    if sdk.region().is_none() {
        conf = conf.region(Region::new("us-east-1"));
    }
    // A custom endpoint (flag, AWS_ENDPOINT_URL or the profile's endpoint_url) is a
    // self-hosted store: path-style works everywhere, virtual hosts need DNS.
    if sdk.endpoint_url().is_some() {
        conf = conf.force_path_style(true);
    }
    Ok(Client::from_conf(conf.build()))
}

/// The AWS SDK's configuration chain (profile, environment) with the flags applied: what
/// every command uses when no alias names the endpoint.
pub(crate) async fn sdk_config(args: &ConnectArgs) -> Result<aws_config::SdkConfig, ClientError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(p) = &args.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &args.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(e) = &args.endpoint_url {
        loader = loader.endpoint_url(e);
    }
    if let Some(bundle) = args.ca_bundle() {
        loader = loader.http_client(crate::trust::https_client_trusting(&bundle)?);
    }
    Ok(loader.load().await)
}
