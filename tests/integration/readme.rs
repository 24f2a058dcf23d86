//! Every `console` example in README.md is run and its output compared (trycmd), so the
//! README cannot drift from what lrsched prints.

#[test]
fn readme_examples_are_real() {
    trycmd::TestCases::new()
        .register_bin("lrsched", trycmd::cargo::cargo_bin!("lrsched"))
        .case("README.md");
}

/// The README's table of built-in schedules is `lrsched list --markdown`, verbatim.
#[test]
fn readme_lists_every_built_in() {
    let out = super::cli::lrsched()
        .args(["list", "--markdown"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains(&table),
        "README.md's table of built-ins differs from `lrsched list --markdown`:\n{table}"
    );
    let built_ins = lrsched::schedule::registry::entries().count();
    assert_eq!(
        table.lines().count(),
        2 + built_ins,
        "{built_ins} built-ins"
    );
}
