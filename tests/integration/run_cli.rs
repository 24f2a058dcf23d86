//! The command line of run accounting: `lrsched list --runtimes`.

use crate::cli::lrsched;
use lrsched::run::runtime::RULES;

#[test]
fn list_runtimes_gives_each_rule_and_its_source() {
    let out = lrsched().args(["list", "--runtimes"]).output().unwrap();
    assert!(out.status.success());
    assert!(out.stderr.is_empty());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(
        "torch       scheduler.step() once after each optimizer.step(): update u uses step u\n            \
         source: torch/optim/lr_scheduler.py (LRScheduler.step)\n\nhf          Trainer:"
    ));
    let paragraphs: Vec<&str> = text.trim_end().split("\n\n").collect();
    assert_eq!(paragraphs.len(), RULES.len());
    for (paragraph, rule) in paragraphs.iter().zip(RULES) {
        assert!(paragraph.starts_with(rule.name), "{paragraph}");
        let joined = paragraph
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            joined.contains(
                rule.rule
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .as_str()
            )
        );
        assert!(
            joined.ends_with(&format!("source: {}", rule.source)),
            "{joined}"
        );
        assert!(
            paragraph.lines().all(|l| l.chars().count() <= 92),
            "{paragraph}"
        );
    }
    lrsched()
        .args(["list", "--runtimes", "cosine"])
        .assert()
        .code(2);
}
