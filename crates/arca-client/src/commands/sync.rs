//! `arca sync`: make a destination folder or prefix match a source, transferring only what
//! changed (see [`crate::sync::plan`] for the rules).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_s3::Client;
use clap::Args;
use md5::{Digest, Md5};

use super::client_for;
use crate::alias::Aliases;
use crate::bounded::Bounded;
use crate::error::{ClientError, sdk};
use crate::filter::Filters;
use crate::flags::{ClientArgs, FilterArgs, TransferArgs};
use crate::location::{Location, Remote, copy_source, is_safe_relative, local_files};
use crate::output::Event;
use crate::pages::for_each_object_in_folder;
use crate::sync::{Action, Direction, Entry, SyncOptions, plan};
use crate::transfer::{self, TransferOptions};

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

/// Syncs `a.dest` with `a.source`.
pub(crate) async fn run(args: &ClientArgs, aliases: &Aliases, a: &SyncArgs) -> Result<(), ClientError> {
    let source = sync_side(args, aliases, &a.source).await?;
    let dest = sync_side(args, aliases, &a.dest).await?;
    if let (Side::Remote(_, s), Side::Remote(_, d)) = (&source, &dest)
        && s.alias != d.alias
    {
        return Err(ClientError::Usage("S3→S3 sync needs both sides on one endpoint".into()));
    }
    let request = SyncRequest {
        source,
        dest,
        filters: a.filters.filters.clone(),
        options: SyncOptions {
            delete: a.delete,
            exact_timestamps: a.exact_timestamps,
            checksum: a.checksum,
        },
        dryrun: a.dryrun,
        transfer: a.transfer.options()?,
        files: a.transfer.files,
    };
    sync(args, request).await
}

async fn sync_side(args: &ClientArgs, aliases: &Aliases, arg: &str) -> Result<Side, ClientError> {
    match Location::parse(arg, aliases) {
        Location::Local(p) => Ok(Side::Local(p)),
        Location::Remote(r) if !r.bucket.is_empty() => Ok(Side::Remote(client_for(args, aliases, &r).await?, r)),
        _ => Err(ClientError::Usage(format!(
            "{arg}: expected a folder, s3://bucket[/prefix] or ALIAS/bucket[/prefix]"
        ))),
    }
}

/// One side of a sync.
pub(crate) enum Side {
    Local(PathBuf),
    Remote(Client, Remote),
}

impl Side {
    fn label(&self, rel: &str) -> String {
        match self {
            Side::Local(p) => p.join(rel).display().to_string(),
            Side::Remote(_, r) => format!("s3://{}/{}", r.bucket, join_key(&r.key, rel)),
        }
    }
}

fn join_key(prefix: &str, rel: &str) -> String {
    if prefix.is_empty() {
        rel.to_string()
    } else {
        format!("{}/{rel}", prefix.trim_end_matches('/'))
    }
}

/// An ETag-style MD5 of a local file: plain when `part` is `None` (a single PUT), else
/// `md5-of-part-md5s-N` for parts of that size.
fn local_fingerprint(path: &Path, part: Option<u64>) -> Result<String, ClientError> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| ClientError::io(path.display(), e))?;
    let part = part.unwrap_or(u64::MAX);
    let mut whole = Md5::new();
    let mut parts = Vec::new();
    let mut in_part = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let want = buf.len().min((part - in_part).min(usize::MAX as u64) as usize);
        let n = f
            .read(&mut buf[..want])
            .map_err(|e| ClientError::io(path.display(), e))?;
        if n == 0 {
            break;
        }
        whole.update(&buf[..n]);
        in_part += n as u64;
        if in_part == part {
            parts.push(std::mem::replace(&mut whole, Md5::new()).finalize());
            in_part = 0;
        }
    }
    if part == u64::MAX {
        return Ok(hex::encode(whole.finalize()));
    }
    if in_part > 0 {
        parts.push(whole.finalize());
    }
    let mut all = Md5::new();
    for p in &parts {
        all.update(p);
    }
    Ok(format!("{}-{}", hex::encode(all.finalize()), parts.len()))
}

/// The part size an object with ETag `etag` and `size` bytes was uploaded in, as far as its
/// ETag tells: `None` for a single PUT (no `-N`), else the first common part size that gives
/// N parts — ours for that size, the AWS CLI's 8 MiB, rclone's 5 MiB, then other MiB powers
/// of two — so that `--checksum` matches objects whichever tool uploaded them.
fn part_size_of(etag: &str, size: u64, opts: &TransferOptions) -> Option<u64> {
    let (_, count) = etag.rsplit_once('-')?;
    let count: u64 = count.parse().ok()?;
    const MIB: u64 = 1 << 20;
    let ours = opts.part_size_for(size);
    [ours, 8 * MIB, 5 * MIB, 16 * MIB, 32 * MIB, 64 * MIB, 128 * MIB]
        .into_iter()
        .find(|&p| size.div_ceil(p) == count)
        .or(Some(ours))
}

/// Lists one side. With `--checksum`, a local file is fingerprinted only if `other` (the
/// other side, listed first) has the same name at the same size — otherwise the size alone
/// decides — and in the parts its ETag says.
async fn entries(
    side: &Side,
    filters: &Filters,
    checksum: bool,
    opts: &TransferOptions,
    other: Option<&BTreeMap<String, Entry>>,
) -> Result<BTreeMap<String, Entry>, ClientError> {
    let mut out = BTreeMap::new();
    match side {
        Side::Local(root) => {
            // A destination folder that does not exist yet is simply empty.
            let files = if root.exists() { local_files(root)? } else { Vec::new() };
            for (rel, path) in files {
                if !filters.allows(&rel) {
                    continue;
                }
                let m = std::fs::metadata(&path).map_err(|e| ClientError::io(path.display(), e))?;
                let modified = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0);
                let twin = other
                    .and_then(|o| o.get(&rel))
                    .filter(|o| checksum && o.size == m.len());
                let fingerprint = match twin.and_then(|o| o.fingerprint.as_deref()) {
                    Some(etag) => Some(local_fingerprint(&path, part_size_of(etag, m.len(), opts))?),
                    None => None,
                };
                out.insert(
                    rel,
                    Entry {
                        size: m.len(),
                        modified,
                        fingerprint,
                    },
                );
            }
        }
        Side::Remote(c, r) => {
            for_each_object_in_folder(c, &r.bucket, &r.key, |o, rel| {
                if rel.is_empty() || rel.ends_with('/') || !filters.allows(rel) {
                    return;
                }
                out.insert(
                    rel.to_string(),
                    Entry {
                        size: o.size().unwrap_or(0).max(0) as u64,
                        modified: o.last_modified().map(|t| t.secs()).unwrap_or(0),
                        fingerprint: o.e_tag().map(|e| e.trim_matches('"').to_string()),
                    },
                );
            })
            .await?;
        }
    }
    Ok(out)
}

/// A sync, its sides resolved.
pub(crate) struct SyncRequest {
    pub source: Side,
    pub dest: Side,
    pub filters: Filters,
    pub options: SyncOptions,
    pub dryrun: bool,
    pub transfer: TransferOptions,
    pub files: usize,
}

/// Plans and runs `req`: compare both sides, then copy and delete, several at a time.
pub(crate) async fn sync(args: &ClientArgs, req: SyncRequest) -> Result<(), ClientError> {
    let direction = match (&req.source, &req.dest) {
        (Side::Local(_), Side::Remote(..)) => Direction::Upload,
        (Side::Remote(..), Side::Local(_)) => Direction::Download,
        (Side::Remote(..), Side::Remote(..)) => Direction::Copy,
        _ => return Err(ClientError::Usage("sync needs at least one S3 side".into())),
    };
    let (checksum, filters, opts) = (req.options.checksum, &req.filters, &req.transfer);
    // The remote side first: a local file's fingerprint follows its object's part size.
    let (src, dst) = if direction == Direction::Upload {
        let dst = entries(&req.dest, filters, checksum, opts, None).await?;
        (entries(&req.source, filters, checksum, opts, Some(&dst)).await?, dst)
    } else {
        let mut src = entries(&req.source, filters, checksum, opts, None).await?;
        if direction == Direction::Download {
            // As in `cp --recursive`: keys with `..` or `.` segments are never written as paths.
            src.retain(|rel, _| is_safe_relative(rel));
        }
        let dst = entries(&req.dest, filters, checksum, opts, Some(&src)).await?;
        (src, dst)
    };
    let actions = plan(&src, &dst, direction, req.options);
    let verb = match direction {
        Direction::Upload => "upload",
        Direction::Download => "download",
        Direction::Copy => "copy",
    };
    let shared = Arc::new(req);
    let bar = crate::progress::bar(0, args.quiet);
    let mut tasks = Bounded::new(shared.files);
    for action in actions {
        let line = match &action {
            Action::Copy(rel) => {
                let (src, dst) = (shared.source.label(rel), shared.dest.label(rel));
                Event {
                    action: verb,
                    source: Some(&src),
                    target: &dst,
                    dryrun: shared.dryrun,
                }
                .render(args.json)
            }
            Action::Delete(rel) => {
                let dst = shared.dest.label(rel);
                Event {
                    action: "delete",
                    source: None,
                    target: &dst,
                    dryrun: shared.dryrun,
                }
                .render(args.json)
            }
        };
        if shared.dryrun {
            println!("{line}");
            continue;
        }
        let (shared, bar, quiet, modified) = (
            shared.clone(),
            bar.clone(),
            args.quiet,
            match &action {
                Action::Copy(rel) => src.get(rel).cloned(),
                Action::Delete(_) => None,
            },
        );
        tasks
            .spawn(async move {
                execute(&shared, &action, modified.as_ref(), &bar).await?;
                if !quiet {
                    bar.suspend(|| println!("{line}"));
                }
                Ok(())
            })
            .await?;
    }
    let failed = tasks.failures(&bar).await;
    if failed > 0 {
        return Err(ClientError::Transport(format!("{failed} sync action(s) failed")));
    }
    Ok(())
}

async fn execute(
    req: &SyncRequest,
    action: &Action,
    source: Option<&Entry>,
    bar: &indicatif::ProgressBar,
) -> Result<(), ClientError> {
    let source_modified = source.map(|e| e.modified);
    let source_size = source.map(|e| e.size);
    match (action, &req.source, &req.dest) {
        (Action::Copy(rel), Side::Local(root), Side::Remote(c, r)) => {
            transfer::upload_file(
                c,
                &root.join(rel),
                &r.bucket,
                &join_key(&r.key, rel),
                &req.transfer,
                bar,
            )
            .await
        }
        (Action::Copy(rel), Side::Remote(c, r), Side::Local(root)) => {
            let target = root.join(rel);
            let size = source_size;
            transfer::download_known_size(c, &r.bucket, &join_key(&r.key, rel), &target, size, &req.transfer, bar)
                .await?;
            // The file takes the object's time, so the next sync sees nothing to do.
            if let Some(secs) = source_modified {
                let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64);
                let f = std::fs::File::options()
                    .write(true)
                    .open(&target)
                    .map_err(|e| ClientError::io(target.display(), e))?;
                f.set_modified(t).map_err(|e| ClientError::io(target.display(), e))?;
            }
            Ok(())
        }
        (Action::Copy(rel), Side::Remote(c, s), Side::Remote(_, d)) => {
            let source = copy_source(&s.bucket, &join_key(&s.key, rel));
            c.copy_object()
                .bucket(&d.bucket)
                .key(join_key(&d.key, rel))
                .copy_source(source)
                .send()
                .await
                .map_err(sdk)?;
            Ok(())
        }
        (Action::Delete(rel), _, Side::Local(root)) => {
            let p = root.join(rel);
            std::fs::remove_file(&p).map_err(|e| ClientError::io(p.display(), e))
        }
        (Action::Delete(rel), _, Side::Remote(c, r)) => {
            c.delete_object()
                .bucket(&r.bucket)
                .key(join_key(&r.key, rel))
                .send()
                .await
                .map_err(sdk)?;
            Ok(())
        }
        _ => Err(ClientError::Usage("unsupported sync direction".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn part_size_is_read_off_the_etag_part_count() {
        let opts = TransferOptions::default();
        let gib = 1024 * MIB;
        // Ours (32 MiB for 1 GiB), the AWS CLI's 8 MiB, rclone's 5 MiB.
        assert_eq!(part_size_of("abc-32", gib, &opts), Some(32 * MIB));
        assert_eq!(part_size_of("abc-128", gib, &opts), Some(8 * MIB));
        assert_eq!(part_size_of("abc-205", gib, &opts), Some(5 * MIB));
        // A single PUT: the whole file's MD5.
        assert_eq!(part_size_of("0123abcd", gib, &opts), None);
        // A count no common size explains: ours, and the fingerprint will simply differ.
        assert_eq!(part_size_of("abc-3", gib, &opts), Some(32 * MIB));
    }

    #[test]
    fn local_fingerprint_matches_s3_etags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..(11 * MIB as usize + 5)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let md5 = |b: &[u8]| <Md5 as md5::Digest>::digest(b);
        assert_eq!(local_fingerprint(&path, None).unwrap(), hex::encode(md5(&data)));
        let (a, b) = data.split_at(8 * MIB as usize);
        let want = format!("{}-2", hex::encode(md5(&[md5(a), md5(b)].concat())));
        assert_eq!(local_fingerprint(&path, Some(8 * MIB)).unwrap(), want);
    }
}
