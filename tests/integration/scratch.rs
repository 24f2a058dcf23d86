//! Files the tests write: each lives in a fresh temporary directory that is removed when
//! the value holding it is dropped, so a test run leaves nothing behind.

use std::ops::Deref;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

/// A fresh temporary directory, removed when dropped.
pub fn tempdir() -> TempDir {
    tempfile::Builder::new()
        .prefix("lrsched-test-")
        .tempdir()
        .expect("a temporary directory")
}

/// A file named `name` holding `contents`, alone in a fresh temporary directory; both go
/// when it is dropped. It derefs to its path.
pub struct TempFile {
    path: PathBuf,
    _dir: TempDir,
}

impl TempFile {
    pub fn new(name: &str, contents: impl AsRef<[u8]>) -> Self {
        let dir = tempdir();
        let path = dir.path().join(name);
        std::fs::write(&path, contents).expect("a temporary file");
        Self { path, _dir: dir }
    }

    /// The path as text, for argument lists of `&str`.
    pub fn str(&self) -> &str {
        self.to_str().expect("a UTF-8 temporary path")
    }
}

impl Deref for TempFile {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for TempFile {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<std::ffi::OsStr> for TempFile {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.path.as_os_str()
    }
}

impl std::fmt::Display for TempFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.path.display().fmt(f)
    }
}
