//! Float text: Python's `repr` for humans (tables, `lrsched list`) and ryu's shortest
//! round-trip text for machines (CSV, JSON), written straight into byte buffers.

/// Appends ryu's shortest round-trip text of `v` (`0.1`, `1e-7`, `NaN`, `inf`).
#[inline]
pub fn push_shortest(out: &mut Vec<u8>, v: f64) {
    let mut buffer = ryu::Buffer::new();
    out.extend_from_slice(buffer.format(v).as_bytes());
}

/// Appends the decimal text of `n`.
#[inline]
pub fn push_int(out: &mut Vec<u8>, n: u64) {
    let mut buffer = itoa::Buffer::new();
    out.extend_from_slice(buffer.format(n).as_bytes());
}

/// Appends `v` as a JSON number, or `null` when it is NaN or infinite (JSON has neither).
#[inline]
pub fn push_json_number(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        push_shortest(out, v);
    } else {
        out.extend_from_slice(b"null");
    }
}

/// `v` as Python's `repr(float)` writes it: the shortest text that reads back to the same
/// double, in scientific notation below 1e-4 and from 1e16 up (`1e-07`, `1e+16`), whole
/// numbers with `.0`, and `nan` / `inf`.
pub fn py_repr(v: f64) -> String {
    let mut out = String::new();
    push_py_repr(&mut out, v);
    out
}

/// Appends [`py_repr`] of `v` to `out`.
pub fn push_py_repr(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("nan");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "inf" } else { "-inf" });
        return;
    }
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(v);
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if negative {
        out.push('-');
    }
    let (mantissa, exponent) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = [int_part, frac_part].concat();
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all[leading..].trim_end_matches('0');
    if digits.is_empty() {
        out.push_str("0.0");
        return;
    }
    // value = 0.DIGITS x 10^e
    let e = exponent + int_part.len() as i32 - leading as i32;
    let scientific = e - 1;
    if !(-4..16).contains(&scientific) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if scientific < 0 { '-' } else { '+' });
        let magnitude = scientific.unsigned_abs();
        if magnitude < 10 {
            out.push('0');
        }
        out.push_str(&magnitude.to_string());
    } else if e <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-e) as usize));
        out.push_str(digits);
    } else if e as usize >= digits.len() {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', e as usize - digits.len()));
        out.push_str(".0");
    } else {
        out.push_str(&digits[..e as usize]);
        out.push('.');
        out.push_str(&digits[e as usize..]);
    }
}

/// `v` rounded to `digits` significant digits, in Python's `%g`-like style but keeping a
/// `.0` on whole numbers and `repr`'s exponent form (`3e-05`).
pub fn significant(v: f64, digits: usize) -> String {
    if !v.is_finite() || v == 0.0 {
        return py_repr(v);
    }
    let text = format!("{:.*e}", digits.saturating_sub(1), v);
    text.parse::<f64>().map(py_repr).unwrap_or(text)
}

/// Splits `text` into lines of at most `width` characters at spaces (a longer word stays
/// whole), folding runs of white space.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn py_repr_matches_python() {
        let cases = [
            (0.1 * 0.2, "0.020000000000000004"),
            (0.1, "0.1"),
            (1.0, "1.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1e-7, "1e-07"),
            (2.5e-5, "2.5e-05"),
            (0.0001, "0.0001"),
            (3e-4, "0.0003"),
            (1e16, "1e+16"),
            (123456789012345.0, "123456789012345.0"),
            (1.5e300, "1.5e+300"),
            (5e-324, "5e-324"),
            (0.5 + 2f64.powi(-17), "0.5000076293945312"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (v, want) in cases {
            assert_eq!(py_repr(v), want, "{v:e}");
        }
    }

    #[test]
    fn shortest_round_trips() {
        for v in [0.1 * 0.2, 1e-7, 6e-5, 1.0, 0.09755282581475769] {
            let mut out = Vec::new();
            push_shortest(&mut out, v);
            let text = String::from_utf8(out).unwrap_or_default();
            assert_eq!(text.parse::<f64>().ok(), Some(v), "{text}");
        }
    }

    #[test]
    fn significant_rounds() {
        assert_eq!(significant(0.020000000000000004, 6), "0.02");
        assert_eq!(significant(2.99997e-5, 3), "3e-05");
        assert_eq!(significant(1.0, 4), "1.0");
        assert_eq!(significant(0.0, 4), "0.0");
    }
}
