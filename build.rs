//! Build script: `lrsched --version` names the commit when lrsched is built from a git
//! checkout, and only the version otherwise (a crates.io download, an sdist, no git).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let long = match env::var_os("CARGO_MANIFEST_DIR").and_then(|dir| commit(Path::new(&dir))) {
        Some(commit) => format!("{version} ({commit})"),
        None => version,
    };
    println!("cargo:rustc-env=LRSCHED_VERSION={long}");
}

/// The short hash of HEAD, when `dir` is the top of a git checkout.
fn commit(dir: &Path) -> Option<String> {
    // Asking git without this check would find the checkout around `dir`: `cargo package`
    // verifies the crate in target/package/, inside this repository, and a crate unpacked in
    // some other project's tree would report that project's commit.
    if !dir.join(".git").exists() {
        return None;
    }
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()?;
        let text = String::from_utf8(out.stdout).ok()?;
        (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
    };
    let hash = git(&["rev-parse", "--short", "HEAD"])?;
    // A new commit moves the branch's ref (or HEAD itself, when detached); in a worktree
    // both live outside `dir`, so git tells where. Packed refs change on `git pack-refs`.
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]) {
            let path = PathBuf::from(path);
            let path = if path.is_absolute() {
                path
            } else {
                dir.join(path)
            };
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    Some(hash)
}
