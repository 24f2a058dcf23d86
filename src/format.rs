//! Float text: Python's `repr` everywhere, for humans (tables, `lrsched list`) and machines
//! (CSV, JSON) alike, written straight into byte buffers for the streaming formats.

/// Appends `v` as Python's `repr(float)` writes it ([`py_repr`]): every number in lrsched's
/// CSV and JSON is written this way, so a value reads the same in a table, a CSV file, a
/// JSON document and Python (`print`, `csv.writer`, `json.dumps`).
#[inline]
pub fn push_repr(out: &mut Vec<u8>, v: f64) {
    if !v.is_finite() {
        out.extend_from_slice(match (v.is_nan(), v > 0.0) {
            (true, _) => b"nan".as_slice(),
            (false, true) => b"inf",
            (false, false) => b"-inf",
        });
        return;
    }
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(v).as_bytes();
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if negative {
        out.push(b'-');
    }
    // ryu writes plain decimals from 1e-5 up to 1e16 and Python from 1e-4, the same text
    // where both do: the common case costs nothing more.
    if !text.contains(&b'e') && !text.starts_with(b"0.0000") {
        out.extend_from_slice(text);
        return;
    }
    // ryu's shortest digits are Python's (both are the shortest text that reads back, ties
    // to the closest); only the layout differs. ryu writes `D[.DDD][eX]`, at most 17
    // significant digits.
    let (mantissa, exponent) = match text.iter().position(|&b| b == b'e') {
        Some(at) => (&text[..at], parse_exponent(&text[at + 1..])),
        None => (text, 0),
    };
    let (int_part, frac_part) = match mantissa.iter().position(|&b| b == b'.') {
        Some(at) => (&mantissa[..at], &mantissa[at + 1..]),
        None => (mantissa, &[][..]),
    };
    let mut all = [0u8; 32];
    let len = int_part.len() + frac_part.len();
    all[..int_part.len()].copy_from_slice(int_part);
    all[int_part.len()..len].copy_from_slice(frac_part);
    let leading = all[..len].iter().take_while(|&&b| b == b'0').count();
    let trailing = all[leading..len]
        .iter()
        .rev()
        .take_while(|&&b| b == b'0')
        .count();
    let digits = &all[leading..len - trailing];
    if digits.is_empty() {
        out.extend_from_slice(b"0.0");
        return;
    }
    // value = 0.DIGITS x 10^e
    let e = exponent + int_part.len() as i32 - leading as i32;
    let scientific = e - 1;
    if !(-4..16).contains(&scientific) {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if scientific < 0 { b'-' } else { b'+' });
        let magnitude = scientific.unsigned_abs();
        if magnitude < 10 {
            out.push(b'0');
        }
        push_int(out, u64::from(magnitude));
    } else if e <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', e.unsigned_abs() as usize));
        out.extend_from_slice(digits);
    } else if e as usize >= digits.len() {
        out.extend_from_slice(digits);
        out.extend(std::iter::repeat_n(b'0', e as usize - digits.len()));
        out.extend_from_slice(b".0");
    } else {
        out.extend_from_slice(&digits[..e as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[e as usize..]);
    }
}

/// The exponent ryu writes after `e`: an optional minus and at most three digits.
#[inline]
fn parse_exponent(text: &[u8]) -> i32 {
    let (sign, digits) = match text.split_first() {
        Some((b'-', rest)) => (-1, rest),
        _ => (1, text),
    };
    sign * digits
        .iter()
        .fold(0i32, |n, &d| n * 10 + i32::from(d.wrapping_sub(b'0')))
}

/// Appends the decimal text of `n`.
#[inline]
pub fn push_int(out: &mut Vec<u8>, n: u64) {
    let mut buffer = itoa::Buffer::new();
    out.extend_from_slice(buffer.format(n).as_bytes());
}

/// Appends `v` as a JSON number in Python's `repr` ([`push_repr`]: `1e-07`, `1e+16` are
/// valid JSON), or `null` when it is NaN or infinite (JSON has neither).
#[inline]
pub fn push_json_number(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        push_repr(out, v);
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
    let mut bytes = Vec::with_capacity(24);
    push_repr(&mut bytes, v);
    // push_repr writes ASCII only.
    out.push_str(std::str::from_utf8(&bytes).unwrap_or_default());
}

/// `value` as compact JSON, its floats in Python's `repr` as the streaming formats write
/// them (serde_json's own float text differs: `1e+20` but `1e-7`).
pub fn json_compact(value: &serde_json::Value) -> String {
    write_json(value, ReprFloats(serde_json::ser::CompactFormatter))
}

/// `value` as indented JSON (two spaces), its floats in Python's `repr`.
pub fn json_pretty(value: &serde_json::Value) -> String {
    write_json(
        value,
        ReprFloats(serde_json::ser::PrettyFormatter::with_indent(b"  ")),
    )
}

fn write_json<F: serde_json::ser::Formatter>(value: &serde_json::Value, formatter: F) -> String {
    use serde::Serialize;
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    // A Value always serialises, and into a Vec nothing fails.
    let _ = value.serialize(&mut serializer);
    String::from_utf8(out).unwrap_or_default()
}

/// A serde_json formatter that writes floats with [`push_repr`] and leaves the layout to
/// the formatter it wraps.
struct ReprFloats<F>(F);

type IoResult = std::io::Result<()>;

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for ReprFloats<F> {
    fn write_f64<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, value: f64) -> IoResult {
        let mut bytes = Vec::with_capacity(24);
        push_json_number(&mut bytes, value);
        writer.write_all(&bytes)
    }
    fn write_f32<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, value: f32) -> IoResult {
        self.write_f64(writer, f64::from(value))
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> IoResult {
        self.0.begin_array(writer)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> IoResult {
        self.0.end_array(writer)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> IoResult {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> IoResult {
        self.0.end_array_value(writer)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> IoResult {
        self.0.begin_object(writer)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> IoResult {
        self.0.end_object(writer)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> IoResult {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> IoResult {
        self.0.end_object_key(writer)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> IoResult {
        self.0.begin_object_value(writer)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> IoResult {
        self.0.end_object_value(writer)
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
    fn repr_round_trips() {
        for v in [
            0.1 * 0.2,
            1e-7,
            6e-5,
            1.0,
            0.09755282581475769,
            -2.5e300,
            5e-324,
        ] {
            let mut out = Vec::new();
            push_repr(&mut out, v);
            let text = String::from_utf8(out).unwrap_or_default();
            assert_eq!(text.parse::<f64>().ok(), Some(v), "{text}");
        }
    }

    #[test]
    fn json_numbers_are_repr_or_null() {
        let mut out = Vec::new();
        for v in [1e-7, 1e16, f64::NAN, f64::INFINITY, 0.25] {
            push_json_number(&mut out, v);
            out.push(b' ');
        }
        assert_eq!(
            String::from_utf8(out).unwrap_or_default(),
            "1e-07 1e+16 null null 0.25 "
        );
    }

    #[test]
    fn json_floats_are_repr_in_both_layouts() {
        let value = serde_json::json!({"a": 1e20, "b": [1e-7, 0.5, 3], "c": {}});
        assert_eq!(
            json_compact(&value),
            r#"{"a":1e+20,"b":[1e-07,0.5,3],"c":{}}"#
        );
        assert_eq!(
            json_pretty(&value),
            "{\n  \"a\": 1e+20,\n  \"b\": [\n    1e-07,\n    0.5,\n    3\n  ],\n  \"c\": {}\n}"
        );
        // The layout is serde_json's own.
        let plain = serde_json::to_string_pretty(&serde_json::json!({"b": [1, 2], "c": {}}));
        assert_eq!(
            json_pretty(&serde_json::json!({"b": [1, 2], "c": {}})),
            plain.unwrap_or_default()
        );
    }

    #[test]
    fn significant_rounds() {
        assert_eq!(significant(0.020000000000000004, 6), "0.02");
        assert_eq!(significant(2.99997e-5, 3), "3e-05");
        assert_eq!(significant(1.0, 4), "1.0");
        assert_eq!(significant(0.0, 4), "0.0");
    }
}
