//! What a command argument names: a local path, `s3://bucket/key`, or `ALIAS/bucket/key`.

use std::path::PathBuf;

use crate::alias::Aliases;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(PathBuf),
    /// `-`: standard input or output.
    Stdio,
    Remote(Remote),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// `None`: the default endpoint (SDK chain); `Some`: a saved alias.
    pub alias: Option<String>,
    pub bucket: String,
    pub key: String,
}

impl Remote {
    pub fn display(&self) -> String {
        match &self.alias {
            Some(a) => format!("{a}/{}/{}", self.bucket, self.key),
            None => format!("s3://{}/{}", self.bucket, self.key),
        }
    }
}

impl Location {
    /// `s3://b/k` is remote; `NAME/b/k` is remote when NAME is a saved alias; anything else
    /// is a local path.
    pub fn parse(arg: &str, aliases: &Aliases) -> Location {
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
