//! Writing a downloaded file so that it appears under its name only once complete.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// Where a download to `path` is written before it is renamed into place: a hidden name
/// beside it (`.NAME.arca-part`), so the rename stays within one folder and filesystem.
pub(crate) fn temporary_path(path: &Path) -> PathBuf {
    path.with_file_name(format!(
        ".{}.arca-part",
        path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
    ))
}

/// Writes `bytes` to an unnamed file in `path`'s folder (`O_TMPFILE`) and links it in as
/// `path`: one change to the folder instead of a temporary name's create and rename. False
/// (nothing written) where that is not possible: `path` exists, or the filesystem has no
/// `O_TMPFILE`; the caller then writes a temporary file and renames it.
pub(crate) fn link_complete(path: &Path, bytes: &[u8]) -> bool {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(mut file) = OpenOptions::new()
        .write(true)
        .mode(0o666)
        .custom_flags(libc::O_TMPFILE)
        .open(dir)
    else {
        return false;
    };
    if file.write_all(bytes).is_err() {
        return false;
    }
    let Ok(from) = std::ffi::CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())) else {
        return false;
    };
    let Ok(to) = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str())) else {
        return false;
    };
    // SAFETY: both are NUL-terminated paths that live across the call.
    let linked = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    linked == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_name_gets_the_whole_file_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        if !link_complete(&path, b"complete") {
            eprintln!("skipped: no O_TMPFILE on this filesystem");
            return;
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"complete");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.txt")]);
    }

    #[test]
    fn an_existing_file_is_left_alone_for_the_caller_to_replace() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, b"old").unwrap();
        assert!(!link_complete(&path, b"new"));
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
    }
}
