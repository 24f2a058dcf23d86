//! How lrsched is built and shipped: `--version`, the minimum Rust version in Cargo.toml,
//! and the README's install instructions. tests/packaging/run.sh builds the wheel and the
//! crate and runs the pre-commit hook, which are too slow for `cargo test`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap()
}

/// The output of a command that must succeed.
fn output(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(ROOT)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `1.88` as `[1, 88, 0]`, so that it compares equal to `1.88.0`.
fn version_tuple(version: &str) -> Vec<u64> {
    let mut parts: Vec<u64> = version.split('.').map(|p| p.parse().unwrap()).collect();
    parts.resize(3, 0);
    parts
}

#[test]
fn version_names_the_commit_of_a_checkout() {
    let out = super::cli::lrsched().arg("--version").output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    // Every CI run is a git clone, so the commit is there; a build from an unpacked crate
    // prints the version alone.
    let want = if Path::new(ROOT).join(".git").exists() {
        let commit = output("git", &["rev-parse", "--short", "HEAD"]);
        format!("lrsched {version} ({})\n", commit.trim())
    } else {
        format!("lrsched {version}\n")
    };
    assert_eq!(stdout, want);
}

/// `cargo metadata` of the lockfile, offline: every platform's packages when their
/// manifests are on this machine, else the host's only (a test run downloads no others).
/// `None` when cargo cannot be started at all.
fn metadata(cargo: &str) -> Option<Value> {
    let version = match Command::new(cargo).arg("-vV").current_dir(ROOT).output() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("cannot run {cargo}: {e}"),
        Ok(out) => String::from_utf8(out.stdout).unwrap(),
    };
    let host = version
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .unwrap_or_else(|| panic!("{cargo} -vV names no host:\n{version}"));
    let args = ["metadata", "--format-version", "1", "--locked", "--offline"];
    let all = Command::new(cargo)
        .args(args)
        .current_dir(ROOT)
        .output()
        .unwrap();
    let text = if all.status.success() {
        String::from_utf8(all.stdout).unwrap()
    } else {
        output(cargo, &[&args[..], &["--filter-platform", host]].concat())
    };
    Some(serde_json::from_str(&text).unwrap())
}

/// Cargo.toml's rust-version is the true minimum: at least every dependency's (dev ones
/// included: the tests need them), and what lrsched's own code needs (`if let ... && let`
/// chains, stable since 1.88; clippy's incompatible_msrv lint, run with this rust-version,
/// catches standard library calls newer than it).
#[test]
fn rust_version_covers_every_dependency() {
    // cargo sets CARGO for the tests it runs; without cargo there is nothing to ask.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let Some(metadata) = metadata(&cargo) else {
        eprintln!("skipped: {cargo} is not installed, so the dependencies cannot be listed");
        return;
    };
    let packages = metadata["packages"].as_array().unwrap();
    assert!(packages.len() > 50, "{} packages", packages.len());
    let ours = packages.iter().find(|p| p["name"] == "lrsched").unwrap();
    let declared = ours["rust_version"].as_str().unwrap();
    let mut newer: Vec<String> = packages
        .iter()
        .filter_map(|p| Some((p["rust_version"].as_str()?, p["name"].as_str()?)))
        .filter(|(v, _)| version_tuple(v) > version_tuple(declared))
        .map(|(v, name)| format!("{name} needs {v}"))
        .collect();
    newer.sort();
    assert!(
        newer.is_empty(),
        "Cargo.toml says rust-version {declared}, but {}",
        newer.join(", ")
    );
    let needed = packages
        .iter()
        .filter(|p| p["name"] != "lrsched")
        .filter_map(|p| p["rust_version"].as_str())
        .max_by_key(|v| version_tuple(v))
        .unwrap();
    // The code's own floor: let chains (`if a && let Some(b) = c`), stable since 1.88.
    let own = "1.88";
    assert!(
        read("src/cli/mod.rs").contains("&& let Some("),
        "no let chain left: lower {own}"
    );
    let minimum = [needed, own]
        .into_iter()
        .max_by_key(|v| version_tuple(v))
        .unwrap();
    assert_eq!(
        version_tuple(declared),
        version_tuple(minimum),
        "rust-version should be the true minimum, {minimum}"
    );
    let readme = read("README.md");
    assert!(
        readme.contains(&format!("Rust toolchain ({declared} or newer)")),
        "README.md should say the toolchain it needs: {declared} or newer"
    );
}

/// A CI recipe of examples/ci/: parsed as YAML, shown verbatim in the README, and its
/// `lrsched check` command run here, where it must pass (and fail on a config whose
/// assertion fails, which is what stops the pipeline).
struct Recipe {
    file: &'static str,
    install: &'static str,
    /// The shell commands of the job, in order.
    commands: fn(&Yaml) -> Vec<String>,
}

const RECIPES: [Recipe; 2] = [
    Recipe {
        file: "examples/ci/github-actions.yml",
        install: "pip install lrsched-cli",
        commands: |doc| {
            let jobs = doc["jobs"].as_hash().unwrap();
            assert_eq!(jobs.len(), 1);
            let job = jobs.values().next().unwrap();
            assert!(job["runs-on"].as_str().is_some());
            job["steps"]
                .as_vec()
                .unwrap()
                .iter()
                .filter_map(|step| step["run"].as_str().map(str::to_owned))
                .collect()
        },
    },
    Recipe {
        file: "examples/ci/gitlab-ci.yml",
        install: "cargo install --locked lrsched",
        commands: |doc| {
            let jobs = doc.as_hash().unwrap();
            assert_eq!(jobs.len(), 1);
            let job = jobs.values().next().unwrap();
            assert!(job["image"].as_str().is_some());
            job["script"]
                .as_vec()
                .unwrap()
                .iter()
                .map(|line| line.as_str().unwrap().to_owned())
                .collect()
        },
    },
];

/// Runs a recipe's shell command with this build's lrsched first on PATH.
fn run_recipe_command(command: &str) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin!("lrsched");
    let path = std::env::join_paths(
        std::iter::once(bin.parent().unwrap().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    Command::new("sh")
        .args(["-c", command])
        .env("PATH", path)
        .current_dir(ROOT)
        .output()
        .unwrap()
}

#[test]
fn ci_recipes_parse_install_and_check() {
    let readme = read("README.md");
    for recipe in &RECIPES {
        let text = read(recipe.file);
        assert!(
            readme.contains(&format!("```yaml\n{text}```\n")),
            "README.md should show {} verbatim in a ```yaml block",
            recipe.file
        );
        let docs = YamlLoader::load_from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not YAML: {e}", recipe.file));
        assert_eq!(docs.len(), 1, "{}", recipe.file);
        let commands = (recipe.commands)(&docs[0]);
        assert_eq!(commands.len(), 2, "{}: install, then check", recipe.file);
        assert_eq!(commands[0], recipe.install, "{}", recipe.file);
        let check = &commands[1];
        assert!(check.starts_with("lrsched check --config "), "{check}");
        assert!(check.contains("--assert"), "{check}");

        let out = run_recipe_command(check);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {check}\n{stdout}",
            recipe.file
        );
        assert!(stdout.contains("\nok      peak_lr <= 3e-4\n"), "{stdout}");

        // The same job on a config whose peak is too high: status 1 fails the job.
        let failing = check.replace(
            "examples/configs/lr.json",
            "tests/packaging/fixtures/peak-too-high.json",
        );
        let out = run_recipe_command(&failing);
        assert_eq!(out.status.code(), Some(1), "{}: {failing}", recipe.file);
        assert!(
            String::from_utf8_lossy(&out.stdout)
                .contains("\nFAILED  peak_lr <= 3e-4 (peak_lr = 0.001)\n"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// pre-commit passes the file names after the hook's args: each is checked in turn, and
/// the worst status wins (bad input over a failed check).
#[test]
fn check_takes_several_configs_as_pre_commit_passes_them() {
    let out = super::cli::lrsched()
        .current_dir(ROOT)
        .args([
            "check",
            "--assert",
            "peak_lr <= 3e-4",
            "tests/packaging/fixtures/peak-too-high.json",
            "no-such.json",
            "examples/configs/lr.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let headers: Vec<_> = stdout.lines().filter(|l| l.starts_with("==> ")).collect();
    assert_eq!(
        headers,
        [
            "==> tests/packaging/fixtures/peak-too-high.json <==",
            "==> no-such.json <==",
            "==> examples/configs/lr.toml <==",
        ]
    );
    assert!(stdout.ends_with("\nok      peak_lr <= 3e-4\n\nwarning: the lr at step 0 is 0.0, so the first optimizer step changes nothing (a linear warmup starts at 0)\n\npassed with 1 warning\n"), "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<_> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert_eq!(
        lines[0],
        "error: tests/packaging/fixtures/peak-too-high.json: assertion failed: peak_lr <= 3e-4 (peak_lr = 0.001)"
    );
    assert!(
        lines[1].starts_with("error: no-such.json: cannot read config no-such.json: "),
        "{stderr}"
    );
    assert_eq!(lines[2], "error: 2 of 3 configs failed the check");

    // All good: status 0; one file alone is the plain report, as with --config.
    let out = super::cli::lrsched()
        .current_dir(ROOT)
        .args([
            "check",
            "examples/configs/lr.json",
            "examples/configs/lr.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let alone = super::cli::lrsched()
        .current_dir(ROOT)
        .args(["check", "examples/configs/lr.json"])
        .output()
        .unwrap();
    let with_flag = super::cli::lrsched()
        .current_dir(ROOT)
        .args(["check", "--config", "examples/configs/lr.json"])
        .output()
        .unwrap();
    assert_eq!(alone, with_flag);
}

#[test]
fn check_rejects_mixed_or_json_reports_of_several_configs() {
    // Both are refused before any file is read.
    super::cli::rejects(
        &[
            "check",
            "--config",
            "examples/configs/lr.json",
            "examples/configs/lr.toml",
        ],
        "give config files either as arguments or with --config, not both",
    );
    super::cli::rejects(
        &[
            "check",
            "--format",
            "json",
            "examples/configs/lr.json",
            "examples/configs/lr.toml",
        ],
        "--format json reports on one config; check the files one at a time",
    );
}
