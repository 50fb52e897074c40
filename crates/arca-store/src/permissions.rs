//! The data folder is private to the user the server runs as: it holds every object's bytes.
//! Files are created 0600 and folders 0700 here, whatever the process umask, so a store
//! opened by any program (the server, a test, a future admin tool) is never world-readable.

use std::path::Path;

/// Mode of every file the store creates.
pub(crate) const PRIVATE_FILE_MODE: u32 = 0o600;

/// Mode of every folder the store creates.
const PRIVATE_DIR_MODE: u32 = 0o700;

/// `create_dir_all`, with each created folder 0700.
pub(crate) fn create_private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_DIR_MODE)
        .create(path)
}
