//! Planning a sync: which files to copy and which to delete, decided from sizes and times
//! (or checksums) before anything moves, so `--dryrun` prints exactly what a real run does.

use std::collections::BTreeMap;

/// What the planner knows of one file or object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Size in bytes.
    pub size: u64,
    /// Seconds since the epoch.
    pub modified: i64,
    /// Content fingerprint for `--checksum` (an ETag-style MD5 for both sides).
    pub fingerprint: Option<String>,
}

/// Which way the bytes go; it decides how times compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Local to S3.
    Upload,
    /// S3 to local.
    Download,
    /// S3 to S3.
    Copy,
}

/// How `sync` decides.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncOptions {
    /// Remove from the destination what the source lacks.
    pub delete: bool,
    /// Copy when times differ at all, not only when the source is newer.
    pub exact_timestamps: bool,
    /// Compare content fingerprints instead of sizes and times.
    pub checksum: bool,
}

/// One step of a sync plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Copy this path.
    Copy(String),
    /// Delete this path from the destination.
    Delete(String),
}

/// The plan, in path order: copies for what is missing or changed, deletes (with `--delete`)
/// for what the source no longer has.
pub fn plan(
    source: &BTreeMap<String, Entry>,
    dest: &BTreeMap<String, Entry>,
    direction: Direction,
    opts: SyncOptions,
) -> Vec<Action> {
    let mut actions = Vec::new();
    for (path, s) in source {
        let needed = match dest.get(path) {
            None => true,
            Some(d) if opts.checksum => match (&s.fingerprint, &d.fingerprint) {
                (Some(a), Some(b)) => a != b,
                _ => s.size != d.size,
            },
            Some(d) if s.size != d.size => true,
            Some(d) => match direction {
                // The AWS CLI's rules: an upload is needed when the local file is newer than
                // the object; a download when the object is newer than the file, or with
                // --exact-timestamps whenever the times differ.
                Direction::Upload | Direction::Copy => s.modified > d.modified,
                Direction::Download if opts.exact_timestamps => s.modified != d.modified,
                Direction::Download => s.modified > d.modified,
            },
        };
        if needed {
            actions.push(Action::Copy(path.clone()));
        }
    }
    if opts.delete {
        for path in dest.keys() {
            if !source.contains_key(path) {
                actions.push(Action::Delete(path.clone()));
            }
        }
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(size: u64, modified: i64) -> Entry {
        Entry {
            size,
            modified,
            fingerprint: None,
        }
    }

    fn map(items: &[(&str, Entry)]) -> BTreeMap<String, Entry> {
        items.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn copies_missing_resized_and_newer_files() {
        let src = map(&[("a", e(1, 100)), ("b", e(2, 100)), ("c", e(3, 300)), ("d", e(4, 100))]);
        let dst = map(&[("b", e(9, 100)), ("c", e(3, 200)), ("d", e(4, 200)), ("z", e(1, 1))]);
        let p = plan(&src, &dst, Direction::Upload, SyncOptions::default());
        assert_eq!(
            p,
            [
                Action::Copy("a".into()),
                Action::Copy("b".into()),
                Action::Copy("c".into())
            ]
        );
        let p = plan(
            &src,
            &dst,
            Direction::Upload,
            SyncOptions {
                delete: true,
                ..Default::default()
            },
        );
        assert_eq!(p.last(), Some(&Action::Delete("z".into())));
    }

    #[test]
    fn a_second_run_has_nothing_to_do() {
        let src = map(&[("a", e(1, 100)), ("b", e(2, 100))]);
        // After an upload the objects are newer than the files.
        let dst = map(&[("a", e(1, 150)), ("b", e(2, 150))]);
        assert!(
            plan(
                &src,
                &dst,
                Direction::Upload,
                SyncOptions {
                    delete: true,
                    ..Default::default()
                }
            )
            .is_empty()
        );
        // After a download the files carry the objects' times.
        assert!(
            plan(
                &dst,
                &dst,
                Direction::Download,
                SyncOptions {
                    exact_timestamps: true,
                    ..Default::default()
                }
            )
            .is_empty()
        );
    }

    #[test]
    fn exact_timestamps_and_checksums() {
        let src = map(&[("a", e(1, 100))]);
        let older_local = map(&[("a", e(1, 200))]);
        assert!(plan(&src, &older_local, Direction::Download, SyncOptions::default()).is_empty());
        let exact = SyncOptions {
            exact_timestamps: true,
            ..Default::default()
        };
        assert_eq!(
            plan(&src, &older_local, Direction::Download, exact),
            [Action::Copy("a".into())]
        );
        let mut s = e(1, 100);
        s.fingerprint = Some("x".into());
        let mut d = e(1, 100);
        d.fingerprint = Some("y".into());
        let check = SyncOptions {
            checksum: true,
            ..Default::default()
        };
        assert_eq!(
            plan(&map(&[("a", s)]), &map(&[("a", d)]), Direction::Upload, check),
            [Action::Copy("a".into())]
        );
    }
}
