//! `arca tree`: the folders and objects under a prefix, drawn as a tree.

use super::remote;
use crate::alias::Aliases;
use crate::error::ClientError;
use crate::flags::ClientArgs;
use crate::location::folder_prefix;
use crate::output::{human, json_line};
use crate::pages::for_each_object_in_folder;

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
pub(crate) async fn run(args: &ClientArgs, aliases: &Aliases, target: &str) -> Result<(), ClientError> {
    let (c, r) = remote(args, aliases, target).await?;
    let mut root = Folder::default();
    for_each_object_in_folder(&c, &r.bucket, &r.key, |o, rel| {
        let size = o.size().unwrap_or(0);
        if args.json {
            json_line(&serde_json::json!({"path": rel, "size": size}));
        } else if !rel.is_empty() {
            root.insert(rel, size);
        }
    })
    .await?;
    if !args.json {
        println!("s3://{}/{}", r.bucket, folder_prefix(&r.key));
        root.print("");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_nested_folders_and_folder_markers_stay_empty() {
        let mut root = Folder::default();
        for (key, size) in [("a/b/c.txt", 3), ("a/d.txt", 4), ("e/", 0), ("f.txt", 5)] {
            root.insert(key, size);
        }
        assert_eq!(root.folders.keys().collect::<Vec<_>>(), ["a", "e"]);
        assert_eq!(root.objects.get("f.txt"), Some(&5));
        let a = &root.folders["a"];
        assert_eq!(a.objects.get("d.txt"), Some(&4));
        assert_eq!(a.folders["b"].objects.get("c.txt"), Some(&3));
        assert!(root.folders["e"].objects.is_empty() && root.folders["e"].folders.is_empty());
    }
}
