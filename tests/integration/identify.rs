//! `lrsched identify` end to end: logs written by `lrsched csv` are named with arguments
//! that reproduce them, bad logs exit 2 naming file and line, unexplained curves exit 1.

use super::cli::lrsched;
use super::scratch::TempFile;

fn temp(name: &str, text: &[u8]) -> TempFile {
    TempFile::new(name, text)
}

/// `lrsched csv ARGS` as a log file.
fn csv_log(name: &str, args: &[&str]) -> TempFile {
    let out = lrsched().arg("csv").args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}");
    temp(name, &out.stdout)
}

#[test]
fn names_a_csv_log_with_arguments_that_reproduce_it() {
    let args = [
        "--schedule",
        "polynomial",
        "--base-lr",
        "0.003",
        "--steps",
        "120",
        "--warmup",
        "12",
        "--set",
        "power=2",
    ];
    let log = csv_log("poly.csv", &args);
    let out = lrsched()
        .args(["identify", "--format", "json"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let best = &json["candidates"][0];
    assert_eq!(best["schedule"], "polynomial");
    assert_eq!(best["exact"], true);
    // The suggested arguments write the same CSV.
    let named: Vec<String> = best["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let again = lrsched().arg("csv").args(&named).output().unwrap();
    assert_eq!(again.stdout, std::fs::read(&log).unwrap(), "{named:?}");
    assert!(
        best["python"]
            .as_str()
            .unwrap()
            .starts_with("transformers.get_polynomial_decay_schedule_with_warmup(torch.optim.SGD(params, lr=0.003), num_warmup_steps=12, num_training_steps=120"),
        "{best}"
    );
}

#[test]
fn a_curve_no_built_in_explains_exits_1() {
    let mut text = String::from("step,lr\n");
    for (step, lr) in [(0, 0.3), (1, 0.1), (2, 0.7), (3, 0.2), (4, 0.9), (5, 0.05)] {
        text.push_str(&format!("{step},{lr}\n"));
    }
    let log = temp("zigzag.csv", text.as_bytes());
    let out = lrsched().arg("identify").arg(&log).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("no built-in explains this log within the tolerance"),
        "{stdout}"
    );
}

#[test]
fn bad_log_exits_2_naming_file_and_line() {
    let log = temp("bad.csv", b"step,lr\n0,0.1\n1,zero\n");
    let out = lrsched().arg("identify").arg(&log).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "error: {}:3: lr is 'zero'; expected a number\n",
            log.display()
        )
    );
}
