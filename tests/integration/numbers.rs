//! How numbers are written: every float in every subcommand's table, CSV and JSON is
//! Python's `repr` of the double (tests/golden/float-repr.json, made by CPython), so a
//! value reads the same everywhere lrsched prints it and in Python.

use serde_json::Value;

use super::cli::lrsched;

fn golden() -> Vec<(f64, String)> {
    let json: Value = serde_json::from_str(include_str!("../golden/float-repr.json")).unwrap();
    json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            let bits = u64::from_str_radix(case[0].as_str().unwrap(), 16).unwrap();
            (f64::from_bits(bits), case[1].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn every_double_is_written_as_cpython_repr_writes_it() {
    let cases = golden();
    assert!(cases.len() > 4000, "{} cases", cases.len());
    let mut wrong = Vec::new();
    for (v, want) in &cases {
        let mut csv = Vec::new();
        lrsched::format::push_repr(&mut csv, *v);
        let mut json = Vec::new();
        lrsched::format::push_json_number(&mut json, *v);
        let texts = [
            lrsched::format::py_repr(*v),
            String::from_utf8(csv).unwrap(),
            String::from_utf8(json).unwrap(),
        ];
        if texts.iter().any(|t| t != want) {
            wrong.push(format!(
                "{:016x}: CPython {want}, lrsched {texts:?}",
                v.to_bits()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

fn stdout(args: &[&str]) -> String {
    let out = lrsched().args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// lr 2.5e-05 and 1e+20: Python's exponent form, in every format of every subcommand.
#[test]
fn every_format_writes_the_same_text() {
    let schedule = [
        "--schedule",
        "constant",
        "--base-lr",
        "2.5e-5",
        "--steps",
        "2",
    ];
    let with = |command: &[&str], extra: &[&str]| {
        let args: Vec<&str> = command
            .iter()
            .chain(&schedule)
            .chain(extra)
            .copied()
            .collect();
        stdout(&args)
    };
    assert_eq!(
        with(&["table"], &[]),
        "Step | Multiplier | Learning Rate\n   0 | 1.0        | 2.5e-05\n   1 | 1.0        | 2.5e-05\n"
    );
    assert_eq!(
        with(&["csv"], &[]),
        "step,multiplier,lr\n0,1.0,2.5e-05\n1,1.0,2.5e-05\n"
    );
    assert_eq!(
        with(&["json"], &[]),
        "{\"schedule\":{\"schedule\":\"constant\",\"steps\":2,\"base_lr\":2.5e-05,\"warmup\":0,\
         \"params\":{}},\"points\":[\n{\"step\":0,\"multiplier\":1.0,\"lr\":2.5e-05},\n\
         {\"step\":1,\"multiplier\":1.0,\"lr\":2.5e-05}\n]}\n"
    );
    assert_eq!(
        with(&["json"], &["--lines"]),
        "{\"step\":0,\"multiplier\":1.0,\"lr\":2.5e-05}\n{\"step\":1,\"multiplier\":1.0,\"lr\":2.5e-05}\n"
    );
    let check = with(&["check", "--format", "json"], &[]);
    assert!(
        check.contains("\n    \"base_lr\": 2.5e-05,\n")
            && check.contains("\n    \"peak_lr\": 2.5e-05,\n")
            && check.contains("\n    \"sum_lr\": 5e-05\n"),
        "{check}"
    );
    let train = with(&["train", "--warmup", "0", "--format", "csv"], &[]);
    assert_eq!(
        train
            .lines()
            .map(|l| l.rsplit_once(',').unwrap().0)
            .collect::<Vec<_>>(),
        ["step,lr", "0,2.5e-05", "1,2.5e-05"],
        "{train}"
    );
    let train = with(&["train", "--warmup", "0", "--format", "json"], &[]);
    assert!(
        train.contains("\"base_lr\":2.5e-05,") && train.contains("{\"step\":1,\"lr\":2.5e-05,"),
        "{train}"
    );
    assert_eq!(
        stdout(&[
            "csv",
            "--schedule",
            "constant",
            "--base-lr",
            "1e20",
            "--steps",
            "1"
        ]),
        "step,multiplier,lr\n0,1.0,1e+20\n"
    );
}

/// The float tokens of a CSV or JSON text: each is the repr of the double it reads as
/// (serde_json's reader would hide the spelling, so the text is scanned).
fn float_tokens(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+')))
        .filter(|t| t.starts_with(|c: char| c.is_ascii_digit() || c == '-'))
        .filter(|t| t.contains(['.', 'e']) && t.parse::<f64>().is_ok())
        .collect()
}

#[test]
fn every_float_of_a_train_run_is_canonical() {
    for format in ["csv", "json"] {
        let out = stdout(&[
            "train",
            "--torch-seed0",
            "--optimizer",
            "adam",
            "--schedule",
            "cosine",
            "--base-lr",
            "3e-4",
            "--format",
            format,
        ]);
        let tokens = float_tokens(&out);
        assert!(tokens.len() >= 20, "{out}");
        for token in tokens {
            let x: f64 = token.parse().unwrap();
            assert_eq!(lrsched::format::py_repr(x), token, "{format}: {out}");
        }
    }
}
