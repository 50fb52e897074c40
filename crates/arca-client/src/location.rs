//! What a command argument names: a local path, `s3://bucket/key`, or `ALIAS/bucket/key`.

use std::path::PathBuf;

use crate::alias::Aliases;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    Local(PathBuf),
    /// `-`: standard input or output.
    Stdio,
    Remote(Remote),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Remote {
    /// `None`: the default endpoint (SDK chain); `Some`: a saved alias.
    pub alias: Option<String>,
    pub bucket: String,
    pub key: String,
}

impl Remote {
    pub(crate) fn display(&self) -> String {
        match &self.alias {
            Some(a) => format!("{a}/{}/{}", self.bucket, self.key),
            None => format!("s3://{}/{}", self.bucket, self.key),
        }
    }
}

impl Location {
    /// `s3://b/k` is remote; `NAME/b/k` is remote when NAME is a saved alias; anything else
    /// is a local path.
    pub(crate) fn parse(arg: &str, aliases: &Aliases) -> Location {
        if arg == "-" {
            return Location::Stdio;
        }
        if let Some(rest) = arg.strip_prefix("s3://") {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            return Location::Remote(Remote {
                alias: None,
                bucket: bucket.to_string(),
                key: key.to_string(),
            });
        }
        if let Some((first, rest)) = arg.split_once('/').or(Some((arg, "")))
            && aliases.get(first).is_some()
        {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            return Location::Remote(Remote {
                alias: Some(first.to_string()),
                bucket: bucket.to_string(),
                key: key.to_string(),
            });
        }
        Location::Local(PathBuf::from(arg))
    }
}

/// The `x-amz-copy-source` value naming `bucket`/`key`: the key percent-encoded, `/` kept.
pub(crate) fn copy_source(bucket: &str, key: &str) -> String {
    format!("{bucket}/{}", encode_key(key))
}

/// The `x-amz-copy-source` value naming one version of `bucket`/`key`.
pub(crate) fn copy_source_version(bucket: &str, key: &str, version_id: &str) -> String {
    // Arca's ids are hex, AWS's may hold `+`, `/` and `=`: encode them all (`/` too).
    let id = encode_key(version_id).replace('/', "%2F");
    format!("{}?versionId={id}", copy_source(bucket, key))
}

fn encode_key(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alias::Alias;

    #[test]
    fn parses_s3_urls_aliases_and_paths() {
        let mut aliases = Aliases::default();
        aliases.set(
            "local",
            Alias {
                url: "http://127.0.0.1:9000".into(),
                access_key: "a".into(),
                secret_key: "s".into(),
            },
        );
        let r = |alias: Option<&str>, b: &str, k: &str| {
            Location::Remote(Remote {
                alias: alias.map(str::to_string),
                bucket: b.into(),
                key: k.into(),
            })
        };
        assert_eq!(Location::parse("s3://b/dir/k.txt", &aliases), r(None, "b", "dir/k.txt"));
        assert_eq!(Location::parse("s3://b", &aliases), r(None, "b", ""));
        assert_eq!(Location::parse("local/b/k", &aliases), r(Some("local"), "b", "k"));
        assert_eq!(Location::parse("local", &aliases), r(Some("local"), "", ""));
        assert_eq!(
            Location::parse("other/b/k", &aliases),
            Location::Local("other/b/k".into())
        );
        assert_eq!(Location::parse("-", &aliases), Location::Stdio);
    }
}

/// A key prefix as a folder: empty stays empty, anything else ends with `/`.
pub(crate) fn folder_prefix(key: &str) -> String {
    if key.is_empty() || key.ends_with('/') {
        key.to_string()
    } else {
        format!("{key}/")
    }
}

/// Is `rel` (a key relative to the listed prefix) safe to join onto a local folder? Keys may
/// contain `..` or `.` segments; written as paths they would land outside the destination.
pub(crate) fn is_safe_relative(rel: &str) -> bool {
    !rel.is_empty() && !rel.starts_with('/') && !rel.split('/').any(|seg| seg == ".." || seg == ".")
}

/// Every regular file under `root`, as (path relative to root with `/` separators, path),
/// sorted by relative path.
pub(crate) fn local_files(root: &std::path::Path) -> Result<Vec<(String, PathBuf)>, crate::ClientError> {
    fn walk(
        root: &std::path::Path,
        dir: &std::path::Path,
        out: &mut Vec<(String, PathBuf)>,
    ) -> Result<(), crate::ClientError> {
        let rd = std::fs::read_dir(dir).map_err(|e| crate::ClientError::io(dir.display(), e))?;
        for entry in rd {
            let entry = entry.map_err(|e| crate::ClientError::io(dir.display(), e))?;
            let path = entry.path();
            let ft = entry
                .file_type()
                .map_err(|e| crate::ClientError::io(path.display(), e))?;
            if ft.is_dir() {
                walk(root, &path, out)?;
            } else if ft.is_file() {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, path));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(root, root, &mut out)?;
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod path_tests {
    use super::*;

    #[test]
    fn keys_that_would_escape_the_folder_are_unsafe() {
        for ok in ["a.txt", "dir/b.txt", "a..b/c", "...", "x/.hidden"] {
            assert!(is_safe_relative(ok), "{ok}");
        }
        for bad in ["", "../x", "a/../../x", "./x", "a/./b", "/abs", "a/.."] {
            assert!(!is_safe_relative(bad), "{bad}");
        }
        assert_eq!(folder_prefix(""), "");
        assert_eq!(folder_prefix("a"), "a/");
        assert_eq!(folder_prefix("a/"), "a/");
    }
}
