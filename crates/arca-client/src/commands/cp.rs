//! `arca cp` and `arca mv`: local→S3, S3→local, S3→S3 on one endpoint, stdin/stdout; one
//! file or, with `--recursive`, a tree, several files at a time.

use std::path::Path;

use aws_sdk_s3::Client;
use clap::Args;

use super::rm::{delete_object, remove_prefix};
use super::{client_for, endpoint_label, say};
use crate::alias::Aliases;
use crate::bounded::Bounded;
use crate::error::{ClientError, sdk};
use crate::filter::Filters;
use crate::flags::{ClientArgs, FilterArgs, TransferArgs};
use crate::location::{
    Location, Remote, copy_source, copy_source_version, folder_prefix, is_safe_relative, local_files,
};
use crate::pages::object_pages;
use crate::progress;
use crate::transfer::{self, TransferOptions};

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
    /// Copy this version of the source object rather than its current one.
    #[arg(long, conflicts_with = "recursive")]
    pub version_id: Option<String>,
    /// How transfers run.
    #[command(flatten)]
    pub transfer: TransferArgs,
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {s}"))
}

/// Copies `a.source` to `a.dest`.
pub(crate) async fn run(args: &ClientArgs, aliases: &Aliases, a: &CpArgs) -> Result<(), ClientError> {
    let opts = TransferOptions {
        content_type: a.content_type.clone(),
        cache_control: a.cache_control.clone(),
        storage_class: a.storage_class.clone(),
        metadata: a.metadata.clone(),
        tags: a.tags.clone(),
        endpoint: endpoint_label(args, aliases, &a.dest),
        version_id: a.version_id.clone(),
        ..a.transfer.options()?
    };
    let filters = a.filters.filters.clone();
    let files = a.transfer.files;
    let src = Location::parse(&a.source, aliases);
    let dst = Location::parse(&a.dest, aliases);
    if a.version_id.is_some() && !matches!(src, Location::Remote(_)) {
        return Err(ClientError::Usage(
            "--version-id names a version of an S3 source".into(),
        ));
    }
    match (src, dst) {
        (Location::Stdio, Location::Remote(r)) => {
            let c = client_for(args, aliases, &r).await?;
            transfer::upload_stdin(&c, &r.bucket, &r.key, &opts).await
        }
        (Location::Remote(r), Location::Stdio) => {
            let c = client_for(args, aliases, &r).await?;
            transfer::download_stdout(&c, &r.bucket, &r.key, opts.version_id.as_deref()).await
        }
        (Location::Local(p), Location::Remote(r)) => {
            let c = client_for(args, aliases, &r).await?;
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
            let c = client_for(args, aliases, &r).await?;
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
            let c = client_for(args, aliases, &s).await?;
            let key = if d.key.is_empty() || d.key.ends_with('/') {
                format!("{}{}", d.key, s.key.rsplit('/').next().unwrap_or(&s.key))
            } else {
                d.key.clone()
            };
            c.copy_object()
                .bucket(&d.bucket)
                .key(&key)
                .copy_source(match &opts.version_id {
                    Some(id) => copy_source_version(&s.bucket, &s.key, id),
                    None => copy_source(&s.bucket, &s.key),
                })
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

/// `arca mv`: copies, then removes what was copied.
pub(crate) async fn mv(args: &ClientArgs, aliases: &Aliases, a: &CpArgs) -> Result<(), ClientError> {
    run(args, aliases, a).await?;
    remove_source(args, aliases, a).await
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
            let c = client_for(args, aliases, &r).await?;
            if a.recursive {
                remove_prefix(args, &c, &r.bucket, &r.key, &a.filters.filters).await
            } else {
                delete_object(&c, &r).await
            }
        }
        Location::Stdio => Ok(()),
    }
}
