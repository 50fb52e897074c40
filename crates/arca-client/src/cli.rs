//! The client commands and their flags.

use std::path::Path;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{ChecksumMode, Delete, ObjectIdentifier};
use clap::{Args, Subcommand};

use crate::alias::{Alias, Aliases};
use crate::bounded::Bounded;
use crate::commands_sync::{Side, SyncRequest};
use crate::connect::client;
use crate::error::{ClientError, sdk};
use crate::filter::Filters;
use crate::flags::{ClientArgs, FilterArgs, TransferArgs};
use crate::location::{Location, Remote, folder_prefix, is_safe_relative, local_files};
use crate::output::json_line;
use crate::pages::object_pages;
use crate::progress;
use crate::sync::SyncOptions;
use crate::transfer::{self, TransferOptions};

/// The client's commands.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// List buckets, or objects and folders (PRE) under a prefix.
    Ls {
        /// `s3://bucket/prefix`, an alias, or nothing for every bucket.
        target: Option<String>,
        /// Everything under the prefix, not only its first level.
        #[arg(long, short)]
        recursive: bool,
        /// Sizes in KiB, MiB, GiB.
        #[arg(long)]
        human_readable: bool,
        /// End with the total count and size.
        #[arg(long)]
        summarize: bool,
    },
    /// Copy local→S3, S3→local or S3→S3 (`-` is stdin/stdout).
    Cp(CpArgs),
    /// Move: copy, then delete the source.
    Mv(CpArgs),
    /// Make a destination match a source: copy what is missing or changed (size and time, or
    /// `--checksum`), and with `--delete` remove what the source lacks.
    Sync(SyncArgs),
    /// Delete objects (`--recursive`: everything under a prefix, in batches of 1,000).
    Rm {
        /// `s3://bucket/key`, or a prefix with `--recursive`.
        target: String,
        /// Everything under the prefix.
        #[arg(long, short)]
        recursive: bool,
        /// Which keys `--recursive` takes.
        #[command(flatten)]
        filters: FilterArgs,
    },
    /// Every header and metadata entry of an object.
    Stat {
        /// `s3://bucket/key`.
        target: String,
    },
    /// Size and object count per folder under a prefix.
    Du {
        /// `s3://bucket/prefix`.
        target: String,
    },
    /// Folders and objects under a prefix, drawn as a tree.
    Tree {
        /// `s3://bucket/prefix`.
        target: String,
    },
    /// Make a bucket.
    Mb {
        /// `s3://bucket`.
        target: String,
    },
    /// Remove a bucket (`--force` empties it first, multipart uploads included).
    Rb {
        /// `s3://bucket`.
        target: String,
        /// Delete every object and multipart upload first.
        #[arg(long)]
        force: bool,
    },
    /// Print an object to standard output.
    Cat {
        /// `s3://bucket/key`.
        target: String,
    },
    /// Print a presigned URL for GET (default) or PUT.
    Presign {
        /// `s3://bucket/key`.
        target: String,
        /// Seconds the URL stays valid (at most 604800, 7 days).
        #[arg(long, default_value_t = 3600)]
        expires_in: u64,
        /// A URL to upload with (`curl -T file URL`).
        #[arg(long)]
        put: bool,
    },
    /// Saved endpoints: `alias set NAME URL KEY SECRET`, `alias ls`, `alias rm NAME`.
    #[command(subcommand)]
    Alias(AliasCommand),
    /// Multipart uploads in progress: `uploads ls s3://bucket[/prefix]`, `uploads abort …`.
    #[command(subcommand)]
    Uploads(UploadsCommand),
}

/// `arca uploads …`.
#[derive(Debug, Subcommand)]
pub enum UploadsCommand {
    /// List uploads in progress under a prefix.
    Ls {
        /// `s3://bucket/prefix`.
        target: String,
    },
    /// Abort uploads under a prefix (all of them, or one with --upload-id).
    Abort {
        /// `s3://bucket/prefix`.
        target: String,
        /// Only this upload.
        #[arg(long)]
        upload_id: Option<String>,
    },
}

/// `arca alias …`.
#[derive(Debug, Subcommand)]
pub enum AliasCommand {
    /// Save an endpoint and its keys under a name.
    Set {
        /// The alias name (`s3://NAME/…` won't clash with buckets: aliases are written `NAME/`).
        name: String,
        /// The endpoint URL.
        url: String,
        /// Access key id.
        access_key: String,
        /// Secret key.
        secret_key: String,
    },
    /// List saved aliases (secrets hidden).
    Ls,
    /// Forget an alias.
    Rm {
        /// The alias name.
        name: String,
    },
}

/// `arca sync`'s arguments.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// A local folder or `s3://bucket/prefix`.
    pub source: String,
    /// A local folder or `s3://bucket/prefix`.
    pub dest: String,
    /// Delete destination files the source does not have.
    #[arg(long)]
    pub delete: bool,
    /// Print the plan without doing it.
    #[arg(long)]
    pub dryrun: bool,
    /// Downloads: copy when times differ at all, not only when the object is newer.
    #[arg(long)]
    pub exact_timestamps: bool,
    /// Compare content (MD5 / multipart ETag) instead of size and time.
    #[arg(long)]
    pub checksum: bool,
    /// Which paths to take.
    #[command(flatten)]
    pub filters: FilterArgs,
    /// How transfers run.
    #[command(flatten)]
    pub transfer: TransferArgs,
}

/// `arca cp` / `arca mv`'s arguments.
#[derive(Debug, Args)]
pub struct CpArgs {
    /// A local path, `s3://bucket/key`, or `-` for standard input.
    pub source: String,
    /// A local path, `s3://bucket/key`, or `-` for standard output.
    pub dest: String,
    /// Copy a folder or prefix and everything under it.
    #[arg(long, short)]
    pub recursive: bool,
    /// Which paths `--recursive` takes.
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Tags in URL query syntax: `team=storage&env=prod`.
    #[arg(long)]
    pub tags: Option<String>,
    /// Content-Type of uploads (default: guessed from the file name).
    #[arg(long)]
    pub content_type: Option<String>,
    /// Cache-Control of uploads.
    #[arg(long)]
    pub cache_control: Option<String>,
    /// Storage class of uploads (STANDARD, STANDARD_IA, …).
    #[arg(long)]
    pub storage_class: Option<String>,
    /// KEY=VALUE, repeatable.
    #[arg(long, value_parser = parse_pair)]
    pub metadata: Vec<(String, String)>,
    /// How transfers run.
    #[command(flatten)]
    pub transfer: TransferArgs,
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {s}"))
}

impl ClientCommand {
    /// The locations the command names (`s3://…`, `ALIAS/…`, local paths), in order.
    pub fn targets(&self) -> Vec<&str> {
        use ClientCommand as C;
        match self {
            C::Ls { target, .. } => target.iter().map(String::as_str).collect(),
            C::Cp(a) | C::Mv(a) => vec![&a.source, &a.dest],
            C::Sync(a) => vec![&a.source, &a.dest],
            C::Rm { target, .. }
            | C::Stat { target }
            | C::Du { target }
            | C::Tree { target }
            | C::Mb { target }
            | C::Rb { target, .. }
            | C::Cat { target }
            | C::Presign { target, .. } => vec![target],
            C::Uploads(UploadsCommand::Ls { target } | UploadsCommand::Abort { target, .. }) => vec![target],
            C::Alias(_) => Vec::new(),
        }
    }
}

/// Runs one client command.
pub async fn run(args: ClientArgs, command: ClientCommand) -> Result<(), ClientError> {
    let aliases = Aliases::load()?;
    let principal = principal(&args, &aliases, &command);
    run_command(args, aliases, command).await.map_err(|e| match e {
        // Say which credentials were used when the server refused them.
        ClientError::S3 { code, message, hint }
            if matches!(
                code.as_str(),
                "AccessDenied" | "InvalidAccessKeyId" | "SignatureDoesNotMatch"
            ) =>
        {
            ClientError::S3 {
                code,
                message,
                hint: format!("{hint} [credentials: {principal}]"),
            }
        }
        other => other,
    })
}

/// Which credentials a command uses, for error messages: an alias's key, or where the SDK
/// chain will look first. Never the secret.
fn principal(args: &ClientArgs, aliases: &Aliases, command: &ClientCommand) -> String {
    let alias = command
        .targets()
        .into_iter()
        .find_map(|a| match Location::parse(a, aliases) {
            Location::Remote(Remote { alias: Some(name), .. }) => Some(name),
            _ => None,
        });
    if let Some(name) = alias
        && let Some(a) = aliases.get(&name)
    {
        return format!("access key {} from alias {name}", a.access_key);
    }
    if let Ok(key) = std::env::var("AWS_ACCESS_KEY_ID") {
        return format!("access key {key} from AWS_ACCESS_KEY_ID");
    }
    match &args.connect.profile {
        Some(p) => format!("profile {p}"),
        None => format!(
            "profile {}",
            std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into())
        ),
    }
}

async fn run_command(args: ClientArgs, mut aliases: Aliases, command: ClientCommand) -> Result<(), ClientError> {
    match command {
        ClientCommand::Alias(cmd) => alias(&mut aliases, cmd),
        ClientCommand::Ls {
            target,
            recursive,
            human_readable,
            summarize,
        } => ls(&args, &aliases, target.as_deref(), recursive, human_readable, summarize).await,
        ClientCommand::Mb { target } => {
            let (c, r) = remote(&args, &aliases, &target).await?;
            let mut req = c.create_bucket().bucket(&r.bucket);
            if let Some(region) = args.connect.region.as_deref().filter(|r| *r != "us-east-1") {
                req = req.create_bucket_configuration(
                    aws_sdk_s3::types::CreateBucketConfiguration::builder()
                        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region))
                        .build(),
                );
            }
            req.send().await.map_err(sdk)?;
            say(&args, "make_bucket", None, &r.bucket);
            Ok(())
        }
        ClientCommand::Rb { target, force } => {
            let (c, r) = remote(&args, &aliases, &target).await?;
            if force {
                remove_prefix(&args, &c, &r.bucket, "", &Filters::default()).await?;
                abort_uploads(&c, &r.bucket).await?;
            }
            c.delete_bucket().bucket(&r.bucket).send().await.map_err(sdk)?;
            say(&args, "remove_bucket", None, &r.bucket);
            Ok(())
        }
        ClientCommand::Rm {
            target,
            recursive,
            filters,
        } => {
            let (c, r) = remote(&args, &aliases, &target).await?;
            if recursive {
                remove_prefix(&args, &c, &r.bucket, &r.key, &filters.filters).await
            } else {
                c.delete_object()
                    .bucket(&r.bucket)
                    .key(&r.key)
                    .send()
                    .await
                    .map_err(sdk)?;
                say(&args, "delete", None, &r.display());
                Ok(())
            }
        }
        ClientCommand::Cat { target } => {
            let (c, r) = remote(&args, &aliases, &target).await?;
            transfer::download_stdout(&c, &r.bucket, &r.key).await
        }
        ClientCommand::Presign {
            target,
            expires_in,
            put,
        } => {
            if expires_in == 0 || expires_in > 604_800 {
                return Err(ClientError::Usage(
                    "--expires-in must be between 1 and 604800 seconds (7 days)".into(),
                ));
            }
            let (c, r) = remote(&args, &aliases, &target).await?;
            let cfg = PresigningConfig::expires_in(Duration::from_secs(expires_in))
                .map_err(|e| ClientError::Usage(e.to_string()))?;
            let url = if put {
                c.put_object()
                    .bucket(&r.bucket)
                    .key(&r.key)
                    .presigned(cfg)
                    .await
                    .map_err(sdk)?
            } else {
                c.get_object()
                    .bucket(&r.bucket)
                    .key(&r.key)
                    .presigned(cfg)
                    .await
                    .map_err(sdk)?
            };
            println!("{}", url.uri());
            Ok(())
        }
        ClientCommand::Uploads(cmd) => uploads(&args, &aliases, cmd).await,
        ClientCommand::Cp(cp_args) => cp(&args, &aliases, &cp_args).await,
        ClientCommand::Mv(cp_args) => {
            cp(&args, &aliases, &cp_args).await?;
            remove_source(&args, &aliases, &cp_args).await
        }
        ClientCommand::Sync(sync_args) => {
            let source = sync_side(&args, &aliases, &sync_args.source).await?;
            let dest = sync_side(&args, &aliases, &sync_args.dest).await?;
            if let (Side::Remote(_, a), Side::Remote(_, b)) = (&source, &dest)
                && a.alias != b.alias
            {
                return Err(ClientError::Usage("S3→S3 sync needs both sides on one endpoint".into()));
            }
            let request = SyncRequest {
                source,
                dest,
                filters: sync_args.filters.filters.clone(),
                options: SyncOptions {
                    delete: sync_args.delete,
                    exact_timestamps: sync_args.exact_timestamps,
                    checksum: sync_args.checksum,
                },
                dryrun: sync_args.dryrun,
                transfer: sync_args.transfer.options()?,
                files: sync_args.transfer.files,
            };
            crate::commands_sync::sync(&args, request).await
        }
        ClientCommand::Stat { target } => {
            let (c, r) = remote(&args, &aliases, &target).await?;
            stat(&args, &c, &r).await
        }
        ClientCommand::Tree { target } => {
            let (c, r) = remote(&args, &aliases, &target).await?;
            tree(&args, &c, &r).await
        }
        ClientCommand::Du { target } => {
            let (c, r) = remote(&args, &aliases, &target).await?;
            du(&args, &c, &r).await
        }
    }
}

fn say(args: &ClientArgs, action: &str, source: Option<&str>, target: &str) {
    args.printer().done(None, action, source, target);
}

async fn remote(args: &ClientArgs, aliases: &Aliases, target: &str) -> Result<(Client, Remote), ClientError> {
    match Location::parse(target, aliases) {
        Location::Remote(r) if !r.bucket.is_empty() => {
            Ok((client(&args.connect, aliases, r.alias.as_deref()).await?, r))
        }
        _ => Err(ClientError::Usage(format!(
            "{target}: expected s3://bucket[/key] or ALIAS/bucket[/key]"
        ))),
    }
}

fn alias(aliases: &mut Aliases, cmd: AliasCommand) -> Result<(), ClientError> {
    match cmd {
        AliasCommand::Set {
            name,
            url,
            access_key,
            secret_key,
        } => {
            if name.contains('/') || name.contains(':') || name.is_empty() {
                return Err(ClientError::Usage(format!(
                    "alias names cannot contain / or :, got {name}"
                )));
            }
            aliases.set(
                &name,
                Alias {
                    url,
                    access_key,
                    secret_key,
                },
            );
            aliases.save()
        }
        AliasCommand::Ls => {
            for (name, a) in aliases.iter() {
                println!("{name}\t{}\t{}", a.url, a.access_key);
            }
            Ok(())
        }
        AliasCommand::Rm { name } => {
            if !aliases.remove(&name) {
                return Err(ClientError::Usage(format!("no alias named {name}")));
            }
            aliases.save()
        }
    }
}

fn human(n: i64, human_readable: bool) -> String {
    if !human_readable {
        return n.to_string();
    }
    let units = ["Bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} Bytes")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

fn date(t: Option<&aws_smithy_types::DateTime>) -> String {
    t.and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
        .map(|s| s.replace('T', " ").trim_end_matches('Z').chars().take(19).collect())
        .unwrap_or_default()
}

async fn ls(
    args: &ClientArgs,
    aliases: &Aliases,
    target: Option<&str>,
    recursive: bool,
    human_readable: bool,
    summarize: bool,
) -> Result<(), ClientError> {
    let location = target.map(|t| Location::parse(t, aliases));
    let r = match location {
        None => None,
        Some(Location::Remote(r)) => Some(r),
        Some(_) => {
            return Err(ClientError::Usage(
                "ls takes s3://bucket[/prefix] or ALIAS[/bucket[/prefix]]".into(),
            ));
        }
    };
    let alias = r.as_ref().and_then(|r| r.alias.clone());
    let c = client(&args.connect, aliases, alias.as_deref()).await?;
    let Some(r) = r.filter(|r| !r.bucket.is_empty()) else {
        let out = c.list_buckets().send().await.map_err(sdk)?;
        for b in out.buckets() {
            if args.json {
                json_line(&serde_json::json!({"type": "bucket", "name": b.name(), "created": date(b.creation_date())}));
            } else {
                println!("{} {}", date(b.creation_date()), b.name().unwrap_or_default());
            }
        }
        return Ok(());
    };
    let (mut count, mut total) = (0u64, 0i64);
    let mut pages = object_pages(&c, &r.bucket, &r.key, (!recursive).then_some("/")).send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(sdk)?;
        for p in page.common_prefixes() {
            let name = p.prefix().unwrap_or_default();
            let shown = name.strip_prefix(r.key.as_str()).unwrap_or(name);
            if args.json {
                json_line(&serde_json::json!({"type": "prefix", "prefix": name}));
            } else {
                println!("{:>30} {shown}", "PRE");
            }
        }
        for o in page.contents() {
            let key = o.key().unwrap_or_default();
            let shown = if recursive {
                key
            } else {
                key.strip_prefix(r.key.as_str()).unwrap_or(key)
            };
            let size = o.size().unwrap_or(0);
            if args.json {
                json_line(&serde_json::json!({
                    "type": "object",
                    "key": key,
                    "size": size,
                    "last_modified": date(o.last_modified()),
                    "etag": o.e_tag(),
                    "storage_class": o.storage_class().map(|c| c.as_str()),
                }));
            } else {
                println!(
                    "{} {:>10} {}",
                    date(o.last_modified()),
                    human(size, human_readable),
                    shown
                );
            }
            count += 1;
            total += size;
        }
    }
    if summarize {
        println!(
            "\nTotal Objects: {count}\n   Total Size: {}",
            human(total, human_readable)
        );
    }
    Ok(())
}

/// Deletes everything under `prefix` with DeleteObjects, 1,000 keys a request.
async fn remove_prefix(
    args: &ClientArgs,
    c: &Client,
    bucket: &str,
    prefix: &str,
    filters: &Filters,
) -> Result<(), ClientError> {
    let mut pages = object_pages(c, bucket, prefix, None).send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(sdk)?;
        let ids: Vec<ObjectIdentifier> = page
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .filter(|k| filters.allows(k.strip_prefix(prefix).unwrap_or(k).trim_start_matches('/')))
            .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let keys: Vec<String> = ids.iter().map(|i| i.key().to_string()).collect();
        let delete = Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()
            .map_err(|e| ClientError::Usage(e.to_string()))?;
        let out = c
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(sdk)?;
        if let Some(e) = out.errors().first() {
            return Err(ClientError::S3 {
                code: e.code().unwrap_or("Unknown").into(),
                message: format!("{}: {}", e.key().unwrap_or_default(), e.message().unwrap_or_default()),
                hint: String::new(),
            });
        }
        for k in keys {
            say(args, "delete", None, &format!("s3://{bucket}/{k}"));
        }
    }
    Ok(())
}

async fn abort_uploads(c: &Client, bucket: &str) -> Result<(), ClientError> {
    loop {
        let out = c.list_multipart_uploads().bucket(bucket).send().await.map_err(sdk)?;
        if out.uploads().is_empty() {
            return Ok(());
        }
        for u in out.uploads() {
            c.abort_multipart_upload()
                .bucket(bucket)
                .key(u.key().unwrap_or_default())
                .upload_id(u.upload_id().unwrap_or_default())
                .send()
                .await
                .map_err(sdk)?;
        }
    }
}

async fn cp(args: &ClientArgs, aliases: &Aliases, a: &CpArgs) -> Result<(), ClientError> {
    let opts = TransferOptions {
        content_type: a.content_type.clone(),
        cache_control: a.cache_control.clone(),
        storage_class: a.storage_class.clone(),
        metadata: a.metadata.clone(),
        tags: a.tags.clone(),
        endpoint: endpoint_label(args, aliases, &a.dest),
        ..a.transfer.options()?
    };
    let filters = a.filters.filters.clone();
    let files = a.transfer.files;
    let src = Location::parse(&a.source, aliases);
    let dst = Location::parse(&a.dest, aliases);
    match (src, dst) {
        (Location::Stdio, Location::Remote(r)) => {
            let c = client(&args.connect, aliases, r.alias.as_deref()).await?;
            transfer::upload_stdin(&c, &r.bucket, &r.key, &opts).await
        }
        (Location::Remote(r), Location::Stdio) => {
            let c = client(&args.connect, aliases, r.alias.as_deref()).await?;
            transfer::download_stdout(&c, &r.bucket, &r.key).await
        }
        (Location::Local(p), Location::Remote(r)) => {
            let c = client(&args.connect, aliases, r.alias.as_deref()).await?;
            if a.recursive {
                upload_tree(args, &c, &p, &r, &opts, files, &filters).await
            } else {
                let key = if r.key.is_empty() || r.key.ends_with('/') {
                    format!("{}{}", r.key, file_name(&p)?)
                } else {
                    r.key.clone()
                };
                let size = std::fs::metadata(&p)
                    .map_err(|e| ClientError::io(p.display(), e))?
                    .len();
                let bar = progress::bar(size, args.quiet);
                transfer::upload_file(&c, &p, &r.bucket, &key, &opts, &bar).await?;
                bar.finish_and_clear();
                say(
                    args,
                    "upload",
                    Some(&p.display().to_string()),
                    &format!("s3://{}/{key}", r.bucket),
                );
                Ok(())
            }
        }
        (Location::Remote(r), Location::Local(p)) => {
            let c = client(&args.connect, aliases, r.alias.as_deref()).await?;
            if a.recursive {
                download_tree(args, &c, &r, &p, &opts, files, &filters).await
            } else {
                let target = if p.is_dir() || a.dest.ends_with('/') {
                    p.join(r.key.rsplit('/').next().unwrap_or(&r.key))
                } else {
                    p.clone()
                };
                let bar = progress::bar(0, args.quiet);
                transfer::download_file(&c, &r.bucket, &r.key, &target, &opts, &bar).await?;
                bar.finish_and_clear();
                say(args, "download", Some(&r.display()), &target.display().to_string());
                Ok(())
            }
        }
        (Location::Remote(s), Location::Remote(d)) if s.alias == d.alias && !a.recursive => {
            let c = client(&args.connect, aliases, s.alias.as_deref()).await?;
            let key = if d.key.is_empty() || d.key.ends_with('/') {
                format!("{}{}", d.key, s.key.rsplit('/').next().unwrap_or(&s.key))
            } else {
                d.key.clone()
            };
            c.copy_object()
                .bucket(&d.bucket)
                .key(&key)
                .copy_source(format!("{}/{}", s.bucket, encode_key(&s.key)))
                .send()
                .await
                .map_err(sdk)?;
            say(args, "copy", Some(&s.display()), &format!("s3://{}/{key}", d.bucket));
            Ok(())
        }
        _ => Err(ClientError::Usage(
            "cp supports local→S3, S3→local, S3→S3 on one endpoint, and - for stdin/stdout".into(),
        )),
    }
}

pub(crate) fn encode_key(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn file_name(p: &Path) -> Result<String, ClientError> {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| ClientError::Usage(format!("{}: not a file", p.display())))
}

async fn upload_tree(
    args: &ClientArgs,
    c: &Client,
    root: &Path,
    r: &Remote,
    opts: &TransferOptions,
    files: usize,
    filters: &Filters,
) -> Result<(), ClientError> {
    let mut paths = local_files(root)?;
    paths.retain(|(rel, _)| filters.allows(rel));
    let total: u64 = paths
        .iter()
        .filter_map(|(_, p)| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let bar = progress::bar(total, args.quiet);
    let prefix = folder_prefix(&r.key);
    let mut tasks = Bounded::new(files);
    for (rel, p) in paths {
        let key = format!("{prefix}{rel}");
        let (c, bucket, opts, bar, printer) = (c.clone(), r.bucket.clone(), opts.clone(), bar.clone(), args.printer());
        tasks
            .spawn(async move {
                transfer::upload_file(&c, &p, &bucket, &key, &opts, &bar).await?;
                printer.done(
                    Some(&bar),
                    "upload",
                    Some(&p.display().to_string()),
                    &format!("s3://{bucket}/{key}"),
                );
                Ok(())
            })
            .await?;
    }
    finish(tasks, &bar).await
}

async fn download_tree(
    args: &ClientArgs,
    c: &Client,
    r: &Remote,
    root: &Path,
    opts: &TransferOptions,
    files: usize,
    filters: &Filters,
) -> Result<(), ClientError> {
    let bar = progress::bar(0, args.quiet);
    let mut tasks = Bounded::new(files);
    let mut pages = object_pages(c, &r.bucket, &r.key, None).send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(sdk)?;
        for o in page.contents() {
            let key = o.key().unwrap_or_default().to_string();
            let rel = key.strip_prefix(r.key.as_str()).unwrap_or(&key).trim_start_matches('/');
            // Never write outside the destination folder, whatever the keys say.
            if !is_safe_relative(rel) || key.ends_with('/') {
                continue;
            }
            if !filters.allows(rel) {
                continue;
            }
            let target = root.join(rel);
            let size = o.size().unwrap_or(0).max(0) as u64;
            bar.inc_length(size);
            let (c, bucket, opts, bar, printer) =
                (c.clone(), r.bucket.clone(), opts.clone(), bar.clone(), args.printer());
            tasks
                .spawn(async move {
                    transfer::download_known_size(&c, &bucket, &key, &target, Some(size), &opts, &bar).await?;
                    printer.done(
                        Some(&bar),
                        "download",
                        Some(&format!("s3://{bucket}/{key}")),
                        &target.display().to_string(),
                    );
                    Ok(())
                })
                .await?;
        }
    }
    finish(tasks, &bar).await
}

/// Waits for every transfer; reports each failure and fails if any did.
async fn finish(tasks: Bounded<()>, bar: &indicatif::ProgressBar) -> Result<(), ClientError> {
    let failed = tasks.failures(bar).await;
    if failed > 0 {
        return Err(ClientError::Transport(format!("{failed} transfer(s) failed")));
    }
    Ok(())
}

/// After a successful `mv` copy, removes what was copied.
async fn remove_source(args: &ClientArgs, aliases: &Aliases, a: &CpArgs) -> Result<(), ClientError> {
    match Location::parse(&a.source, aliases) {
        Location::Local(p) if a.recursive => {
            let filters = a.filters.filters.clone();
            for (rel, f) in local_files(&p)? {
                if filters.allows(&rel) {
                    std::fs::remove_file(&f).map_err(|e| ClientError::io(f.display(), e))?;
                }
            }
            Ok(())
        }
        Location::Local(p) => std::fs::remove_file(&p).map_err(|e| ClientError::io(p.display(), e)),
        Location::Remote(r) => {
            let c = client(&args.connect, aliases, r.alias.as_deref()).await?;
            if a.recursive {
                remove_prefix(args, &c, &r.bucket, &r.key, &a.filters.filters.clone()).await
            } else {
                c.delete_object()
                    .bucket(&r.bucket)
                    .key(&r.key)
                    .send()
                    .await
                    .map_err(sdk)?;
                Ok(())
            }
        }
        Location::Stdio => Ok(()),
    }
}

/// `arca stat`: one line per header, then the user metadata.
async fn stat(args: &ClientArgs, c: &Client, r: &Remote) -> Result<(), ClientError> {
    let h = c
        .head_object()
        .bucket(&r.bucket)
        .key(&r.key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .map_err(sdk)?;
    let fields = std::cell::RefCell::new(serde_json::Map::new());
    let line = |name: &str, v: Option<String>| {
        if let Some(v) = v {
            if args.json {
                fields
                    .borrow_mut()
                    .insert(name.to_string(), serde_json::Value::String(v));
            } else {
                println!("{name:<20} {v}");
            }
        }
    };
    line("Key", Some(r.key.clone()));
    line("Size", h.content_length().map(|n| n.to_string()));
    line("ETag", h.e_tag().map(str::to_string));
    line("Last-Modified", h.last_modified().map(|t| date(Some(t))));
    line("Content-Type", h.content_type().map(str::to_string));
    line("Content-Encoding", h.content_encoding().map(str::to_string));
    line("Content-Disposition", h.content_disposition().map(str::to_string));
    line("Content-Language", h.content_language().map(str::to_string));
    line("Cache-Control", h.cache_control().map(str::to_string));
    line("Expires", h.expires_string().map(str::to_string));
    line(
        "Storage-Class",
        Some(
            h.storage_class()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "STANDARD".into()),
        ),
    );
    line("Version-Id", h.version_id().map(str::to_string));
    line("Parts", h.parts_count().map(|n| n.to_string()));
    line("Checksum-CRC32", h.checksum_crc32().map(str::to_string));
    line("Checksum-CRC32C", h.checksum_crc32_c().map(str::to_string));
    line("Checksum-CRC64NVME", h.checksum_crc64_nvme().map(str::to_string));
    line("Checksum-SHA1", h.checksum_sha1().map(str::to_string));
    line("Checksum-SHA256", h.checksum_sha256().map(str::to_string));
    line("Checksum-Type", h.checksum_type().map(|t| t.as_str().to_string()));
    if let Some(meta) = h.metadata() {
        let mut meta: Vec<_> = meta.iter().collect();
        meta.sort();
        for (k, v) in meta {
            line(&format!("x-amz-meta-{k}"), Some(v.clone()));
        }
    }
    if args.json {
        json_line(&serde_json::Value::Object(fields.into_inner()));
    }
    Ok(())
}

/// `arca du`: bytes and objects per first-level folder under the prefix, then the total.
async fn du(args: &ClientArgs, c: &Client, r: &Remote) -> Result<(), ClientError> {
    let prefix = folder_prefix(&r.key);
    let mut by_folder: std::collections::BTreeMap<String, (i64, u64)> = Default::default();
    let (mut total, mut count) = (0i64, 0u64);
    let mut pages = object_pages(c, &r.bucket, &prefix, None).send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(sdk)?;
        for o in page.contents() {
            let key = o.key().unwrap_or_default();
            let rel = key.strip_prefix(prefix.as_str()).unwrap_or(key);
            let folder = match rel.split_once('/') {
                Some((f, _)) => format!("{prefix}{f}/"),
                None => prefix.clone(),
            };
            let size = o.size().unwrap_or(0);
            let e = by_folder.entry(folder).or_default();
            e.0 += size;
            e.1 += 1;
            total += size;
            count += 1;
        }
    }
    for (folder, (size, n)) in by_folder {
        if args.json {
            json_line(
                &serde_json::json!({"prefix": format!("s3://{}/{folder}", r.bucket), "bytes": size, "objects": n}),
            );
        } else {
            println!("{:>12} {:>8} s3://{}/{folder}", human(size, true), n, r.bucket);
        }
    }
    if args.json {
        json_line(&serde_json::json!({"prefix": "total", "bytes": total, "objects": count}));
    } else {
        println!("{:>12} {:>8} total", human(total, true), count);
    }
    Ok(())
}

async fn sync_side(args: &ClientArgs, aliases: &Aliases, arg: &str) -> Result<Side, ClientError> {
    match Location::parse(arg, aliases) {
        Location::Local(p) => Ok(Side::Local(p)),
        Location::Remote(r) if !r.bucket.is_empty() => Ok(Side::Remote(
            client(&args.connect, aliases, r.alias.as_deref()).await?,
            r,
        )),
        _ => Err(ClientError::Usage(format!(
            "{arg}: expected a folder, s3://bucket[/prefix] or ALIAS/bucket[/prefix]"
        ))),
    }
}

/// Names the endpoint a destination lives on, for resumable-upload state.
fn endpoint_label(args: &ClientArgs, aliases: &Aliases, dest: &str) -> String {
    match Location::parse(dest, aliases) {
        Location::Remote(Remote { alias: Some(a), .. }) => aliases.get(&a).map(|a| a.url.clone()).unwrap_or(a),
        _ => args
            .connect
            .endpoint_url
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
            .or_else(|| args.connect.profile.clone().map(|p| format!("profile:{p}")))
            .unwrap_or_else(|| "default".into()),
    }
}

async fn uploads(args: &ClientArgs, aliases: &Aliases, cmd: UploadsCommand) -> Result<(), ClientError> {
    let (target, only) = match &cmd {
        UploadsCommand::Ls { target } => (target, None),
        UploadsCommand::Abort { target, upload_id } => (target, upload_id.clone()),
    };
    let (c, r) = remote(args, aliases, target).await?;
    let mut key_marker: Option<String> = None;
    let mut id_marker: Option<String> = None;
    loop {
        let page = c
            .list_multipart_uploads()
            .bucket(&r.bucket)
            .prefix(&r.key)
            .set_key_marker(key_marker.clone())
            .set_upload_id_marker(id_marker.clone())
            .send()
            .await
            .map_err(sdk)?;
        for u in page.uploads() {
            let (key, id) = (u.key().unwrap_or_default(), u.upload_id().unwrap_or_default());
            match &cmd {
                UploadsCommand::Ls { .. } => println!("{} {id} s3://{}/{key}", date(u.initiated()), r.bucket),
                UploadsCommand::Abort { .. } => {
                    if only.as_deref().is_some_and(|o| o != id) {
                        continue;
                    }
                    c.abort_multipart_upload()
                        .bucket(&r.bucket)
                        .key(key)
                        .upload_id(id)
                        .send()
                        .await
                        .map_err(sdk)?;
                    say(args, "abort", Some(id), &format!("s3://{}/{key}", r.bucket));
                }
            }
        }
        if !page.is_truncated().unwrap_or(false) {
            return Ok(());
        }
        key_marker = page.next_key_marker().map(str::to_string);
        id_marker = page.next_upload_id_marker().map(str::to_string);
    }
}

/// A folder of the tree: sub-folders and objects (name → size), both sorted.
#[derive(Default)]
struct Folder {
    folders: std::collections::BTreeMap<String, Folder>,
    objects: std::collections::BTreeMap<String, i64>,
}

impl Folder {
    fn insert(&mut self, rel: &str, size: i64) {
        match rel.split_once('/') {
            Some((dir, rest)) if !rest.is_empty() => {
                self.folders.entry(dir.to_string()).or_default().insert(rest, size)
            }
            Some((dir, _)) => {
                self.folders.entry(dir.to_string()).or_default();
            }
            None => {
                self.objects.insert(rel.to_string(), size);
            }
        }
    }

    fn print(&self, indent: &str) {
        let total = self.folders.len() + self.objects.len();
        let entries = self
            .folders
            .iter()
            .map(|(n, f)| (format!("{n}/"), Some(f), 0))
            .chain(self.objects.iter().map(|(n, s)| (n.clone(), None, *s)));
        for (i, (name, folder, size)) in entries.enumerate() {
            let last = i + 1 == total;
            let (branch, next) = if last {
                ("└── ", "    ")
            } else {
                ("├── ", "│   ")
            };
            match folder {
                Some(f) => {
                    println!("{indent}{branch}{name}");
                    f.print(&format!("{indent}{next}"));
                }
                None => println!("{indent}{branch}{name} ({})", human(size, true)),
            }
        }
    }
}

/// `arca tree`: the prefix drawn as folders and objects.
async fn tree(args: &ClientArgs, c: &Client, r: &Remote) -> Result<(), ClientError> {
    let prefix = folder_prefix(&r.key);
    let mut root = Folder::default();
    let mut pages = object_pages(c, &r.bucket, &prefix, None).send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(sdk)?;
        for o in page.contents() {
            let key = o.key().unwrap_or_default();
            let rel = key.strip_prefix(prefix.as_str()).unwrap_or(key);
            let size = o.size().unwrap_or(0);
            if args.json {
                json_line(&serde_json::json!({"path": rel, "size": size}));
            } else if !rel.is_empty() {
                root.insert(rel, size);
            }
        }
    }
    if !args.json {
        println!("s3://{}/{prefix}", r.bucket);
        root.print("");
    }
    Ok(())
}
