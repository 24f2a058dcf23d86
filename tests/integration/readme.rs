//! Every `console` example in README.md is run and its output compared (trycmd), so the
//! README cannot drift from what lrsched prints.

#[test]
fn readme_examples_are_real() {
    trycmd::TestCases::new()
        .register_bin("lrsched", trycmd::cargo::cargo_bin!("lrsched"))
        .case("README.md");
}
