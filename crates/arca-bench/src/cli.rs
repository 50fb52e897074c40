//! `arca bench …` flags.

use std::time::Duration;

use clap::{Args, Subcommand};

use crate::client::S3Client;
use crate::workloads::{self, Plan};

/// `arca bench`'s arguments.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// The workload to run.
    #[command(subcommand)]
    pub workload: Workload,
}

/// What `arca bench` runs.
#[derive(Subcommand, Debug)]
pub enum Workload {
    /// PUT new objects.
    Put(Common),
    /// GET random objects from a prepared set.
    Get(Common),
    /// 45% GET, 30% HEAD, 15% PUT, 10% DELETE.
    Mixed(Common),
    /// ListObjectsV2 over a prepared prefix; reports keys listed per second.
    List(Common),
    /// Multipart upload of --size objects in --part-size parts, then parallel ranged download.
    Multipart(Common),
    /// A lifecycle pass expiring half of --objects objects (Arca only: it runs the pass
    /// through the admin API), with GET latency of the other half idle and during the pass.
    Lifecycle(Common),
    /// KMS GenerateDataKey (AES_256) under a key it creates first: the key service's
    /// throughput, as SSE-KMS writes without a bucket key would ask it.
    Kms(Common),
    /// An HTTP server that stores nothing: the ceiling to compare against.
    NullServer {
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:9900")]
        address: String,
        /// Body size of GET answers.
        #[arg(long, default_value = "4KiB", value_parser = arca_byte_size::parse)]
        size: u64,
    },
}

/// Flags every workload takes.
#[derive(Args, Debug, Clone)]
pub struct Common {
    #[arg(long, env = "ARCA_BENCH_ENDPOINT", default_value = "http://127.0.0.1:9000")]
    endpoint: String,
    #[arg(long, env = "AWS_ACCESS_KEY_ID", default_value = "")]
    access_key: String,
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", default_value = "", hide_env_values = true)]
    secret_key: String,
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    #[arg(long, default_value = "arca-bench")]
    bucket: String,
    #[arg(long, short = 'c', default_value_t = 16)]
    concurrency: usize,
    /// Object size (4KiB, 1MiB, 256MiB, …).
    #[arg(long, default_value = "4KiB", value_parser = arca_byte_size::parse)]
    size: u64,
    /// Seconds to run.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Objects prepared for get / mixed / list.
    #[arg(long, default_value_t = 1000)]
    objects: usize,
    /// For list: spread objects over this many prefixes (list/pNNNNN/…).
    #[arg(long, default_value_t = 0)]
    prefixes: usize,
    /// For list: delimiter to list with.
    #[arg(long)]
    delimiter: Option<String>,
    #[arg(long, default_value = "16MiB", value_parser = arca_byte_size::parse)]
    part_size: u64,
    /// Enable versioning on the bucket first: every PUT then keeps a version (to compare
    /// with an unversioned bucket).
    #[arg(long)]
    versioned: bool,
    /// Set the bucket's default encryption first (default: leave it, SSE-S3 unless set).
    #[arg(long, value_enum)]
    encryption: Option<crate::workloads::BucketEncryption>,
    /// For list: ListObjectVersions instead of ListObjectsV2 (versions and delete markers
    /// count as items).
    #[arg(long)]
    list_versions: bool,
    /// For list: write each key this many times (a versioned bucket keeps every version).
    #[arg(long, default_value_t = 1)]
    versions_per_key: usize,
    /// For list: then delete this percentage of the keys (delete markers in a versioned
    /// bucket), to list around them.
    #[arg(long, default_value_t = 0)]
    delete_percent: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs one workload and prints its report.
pub async fn run(args: BenchArgs) -> Result<(), String> {
    let (name, common) = match args.workload {
        Workload::NullServer { address, size } => {
            return crate::null_server::serve(&address, size)
                .await
                .map_err(|e| e.to_string());
        }
        Workload::Put(c) => ("put", c),
        Workload::Get(c) => ("get", c),
        Workload::Mixed(c) => ("mixed", c),
        Workload::List(c) => ("list", c),
        Workload::Multipart(c) => ("multipart", c),
        Workload::Lifecycle(c) => ("lifecycle", c),
        Workload::Kms(c) => ("kms", c),
    };
    let plan = Plan {
        client: S3Client::new(
            &common.endpoint,
            &common.access_key,
            &common.secret_key,
            &common.region,
            common.concurrency * 2,
        ),
        endpoint: common.endpoint.clone(),
        bucket: common.bucket.clone(),
        concurrency: common.concurrency.max(1),
        size: common.size,
        duration: Duration::from_secs_f64(common.duration),
        objects: common.objects.max(1),
        prefixes: common.prefixes,
        part_size: common.part_size.max(1),
        delimiter: common.delimiter.clone(),
        versioned: common.versioned,
        encryption: common.encryption,
        list_versions: common.list_versions,
        versions_per_key: common.versions_per_key.max(1),
        delete_percent: common.delete_percent.min(100),
    };
    let report = match name {
        "put" => workloads::put(&plan).await?,
        "get" => workloads::get(&plan).await?,
        "mixed" => workloads::mixed(&plan).await?,
        "list" => workloads::list(&plan).await?,
        "lifecycle" => workloads::lifecycle(&plan).await?,
        "kms" => workloads::kms(&plan).await?,
        _ => workloads::multipart(&plan).await?,
    };
    report.print(common.json);
    Ok(())
}
