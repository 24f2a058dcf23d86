//! Python's tokens for the subset: names, numbers, strings (for docstrings), operators,
//! and the NEWLINE, INDENT and DEDENT tokens that carry a `def`'s block structure.
//!
//! As in Python, line ends inside brackets and after a backslash join lines, comments run
//! to the end of the line, and blank or comment-only lines carry no structure. CRLF and
//! lone CR end lines too.

use std::ops::Range;

use super::Refusal;

/// A token's kind.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A name or a keyword.
    Name(String),
    /// An int literal, as written (digits only, underscores and prefix kept).
    Int(String),
    /// A float literal, as written.
    Float(String),
    /// A string literal (its value is never used).
    Str,
    /// An operator or a delimiter.
    Op(&'static str),
    /// The end of a logical line.
    Newline,
    /// A deeper indentation.
    Indent,
    /// A return to an enclosing indentation.
    Dedent,
    /// The end of the input.
    End,
}

/// A token with its byte span.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// The kind.
    pub tok: Tok,
    /// Where it is in the source.
    pub span: Range<usize>,
}

/// Operators, longest first so that `**=` wins over `**` and `*`.
const OPERATORS: [&str; 33] = [
    "**=", "//=", "...", "**", "//", "<=", ">=", "==", "!=", "->", "+=", "-=", "*=", "/=", "%=",
    ":=", "+", "-", "*", "/", "%", "^", "<", ">", "(", ")", ",", ":", "=", ".", ";", "[", "]",
];

/// Characters Python has as operators and the subset refuses, with what they are.
const REFUSED: [(char, &str); 7] = [
    ('{', "braces"),
    ('}', "braces"),
    ('&', "the bitwise operator '&'"),
    ('|', "the bitwise operator '|'"),
    ('~', "the bitwise operator '~'"),
    ('@', "'@'"),
    ('!', "'!'"),
];

/// Splits `source` into tokens.
pub fn tokens(source: &str) -> Result<Vec<Token>, Refusal> {
    let bytes = source.as_bytes();
    let mut out: Vec<Token> = Vec::new();
    let mut indents: Vec<usize> = vec![0];
    let mut depth = 0usize; // open brackets
    let mut i = 0;
    let mut at_line_start = true;
    while i < source.len() {
        if at_line_start && depth == 0 {
            // Measure the indentation; blank and comment-only lines do not count.
            let start = i;
            let mut width = 0;
            while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\x0c') {
                width = if bytes[i] == b'\t' {
                    (width / 8 + 1) * 8
                } else {
                    width + 1
                };
                i += 1;
            }
            if i >= bytes.len() || matches!(bytes[i], b'\n' | b'\r' | b'#') {
                i = skip_comment(source, i);
                i = skip_line_end(bytes, i);
                continue;
            }
            at_line_start = false;
            let current = indents.last().copied().unwrap_or(0);
            if out.is_empty() {
                // Code pasted from inside a class or a function keeps its indentation.
                indents = vec![width];
            } else if width > current {
                indents.push(width);
                out.push(Token {
                    tok: Tok::Indent,
                    span: start..i,
                });
            } else {
                while width < indents.last().copied().unwrap_or(0) {
                    indents.pop();
                    out.push(Token {
                        tok: Tok::Dedent,
                        span: i..i,
                    });
                }
                if width != indents.last().copied().unwrap_or(0) {
                    return Err(Refusal::new(
                        "IndentationError: unindent does not match any outer indentation level",
                        start..i,
                    ));
                }
            }
        }
        let c = match source[i..].chars().next() {
            Some(c) => c,
            None => break,
        };
        let start = i;
        match c {
            ' ' | '\t' | '\x0c' => i += 1,
            '#' => i = skip_comment(source, i),
            '\\' if matches!(bytes.get(i + 1), Some(b'\n' | b'\r')) => {
                i = skip_line_end(bytes, i + 1);
            }
            '\n' | '\r' => {
                i = skip_line_end(bytes, i);
                if depth == 0 {
                    push_newline(&mut out, start..start + 1);
                    at_line_start = true;
                }
            }
            '0'..='9' => {
                let (tok, end) = number(source, i)?;
                out.push(Token { tok, span: i..end });
                i = end;
            }
            '.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let (tok, end) = number(source, i)?;
                out.push(Token { tok, span: i..end });
                i = end;
            }
            '"' | '\'' => {
                i = string(source, i, i)?;
                out.push(Token {
                    tok: Tok::Str,
                    span: start..i,
                });
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut end = i;
                for (k, ch) in source[i..].char_indices() {
                    if ch.is_alphanumeric() || ch == '_' {
                        end = i + k + ch.len_utf8();
                    } else {
                        break;
                    }
                }
                let word = &source[i..end];
                // String prefixes: r"...", b'...', f"...", rb"..."
                if word.len() <= 2
                    && word.chars().all(|ch| "rRbBuUfF".contains(ch))
                    && matches!(bytes.get(end), Some(b'"' | b'\''))
                {
                    i = string(source, end, start)?;
                    out.push(Token {
                        tok: Tok::Str,
                        span: start..i,
                    });
                } else {
                    out.push(Token {
                        tok: Tok::Name(word.to_string()),
                        span: i..end,
                    });
                    i = end;
                }
            }
            _ => {
                if let Some(op) = OPERATORS.iter().find(|op| source[i..].starts_with(**op)) {
                    match *op {
                        "(" | "[" => depth += 1,
                        ")" | "]" => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                    out.push(Token {
                        tok: Tok::Op(op),
                        span: i..i + op.len(),
                    });
                    i += op.len();
                } else {
                    let what = REFUSED.iter().find(|(r, _)| *r == c).map_or_else(
                        || format!("unexpected character '{c}'"),
                        |(_, w)| format!("{w} is not supported"),
                    );
                    return Err(Refusal::new(what, i..i + c.len_utf8()));
                }
            }
        }
    }
    let end = source.len();
    push_newline(&mut out, end..end);
    for _ in 1..indents.len() {
        out.push(Token {
            tok: Tok::Dedent,
            span: end..end,
        });
    }
    out.push(Token {
        tok: Tok::End,
        span: end..end,
    });
    Ok(out)
}

fn push_newline(out: &mut Vec<Token>, span: Range<usize>) {
    if !matches!(out.last().map(|t| &t.tok), None | Some(Tok::Newline)) {
        out.push(Token {
            tok: Tok::Newline,
            span,
        });
    }
}

fn skip_comment(source: &str, mut i: usize) -> usize {
    if source.as_bytes().get(i) == Some(&b'#') {
        i += source[i..].find(['\n', '\r']).unwrap_or(source.len() - i);
    }
    i
}

fn skip_line_end(bytes: &[u8], mut i: usize) -> usize {
    if bytes.get(i) == Some(&b'\r') {
        i += 1;
        if bytes.get(i) == Some(&b'\n') {
            i += 1;
        }
    } else if bytes.get(i) == Some(&b'\n') {
        i += 1;
    }
    i
}

/// A string literal starting at `i` (its quote); returns the index after it.
fn string(source: &str, i: usize, start: usize) -> Result<usize, Refusal> {
    let rest = &source[i..];
    let quote = if rest.starts_with("\"\"\"") {
        "\"\"\""
    } else if rest.starts_with("'''") {
        "'''"
    } else if rest.starts_with('"') {
        "\""
    } else {
        "'"
    };
    let mut j = i + quote.len();
    let bytes = source.as_bytes();
    while j < source.len() {
        // Bytes, not str slices: an escape can skip into the middle of a character.
        if bytes[j..].starts_with(quote.as_bytes()) {
            return Ok(j + quote.len());
        }
        match bytes[j] {
            b'\\' => j += 2,
            b'\n' | b'\r' if quote.len() == 1 => break,
            _ => j += 1,
        }
    }
    Err(Refusal::new(
        "SyntaxError: unterminated string literal",
        start..source.len().min(j),
    ))
}

/// A number literal at `i`: ints in any base, floats, and a refusal for imaginary ones.
fn number(source: &str, i: usize) -> Result<(Tok, usize), Refusal> {
    let bytes = source.as_bytes();
    let digits = |mut j: usize, ok: fn(u8) -> bool| {
        while j < bytes.len() && (ok(bytes[j]) || bytes[j] == b'_') {
            j += 1;
        }
        j
    };
    let bad = |end: usize| {
        Refusal::new(
            format!("SyntaxError: invalid number '{}'", &source[i..end]),
            i..end,
        )
    };
    let mut end;
    let mut float = false;
    if bytes[i] == b'0'
        && matches!(
            bytes.get(i + 1),
            Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B')
        )
    {
        end = digits(i + 2, |b| b.is_ascii_alphanumeric());
        let text = &source[i..end];
        let radix = match bytes[i + 1] {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            _ => 2,
        };
        let body: String = text[2..].chars().filter(|c| *c != '_').collect();
        if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
            return Err(bad(end));
        }
    } else {
        end = digits(i, |b| b.is_ascii_digit());
        if bytes.get(end) == Some(&b'.') {
            float = true;
            end = digits(end + 1, |b| b.is_ascii_digit());
        }
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            let mut j = end + 1;
            if matches!(bytes.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            if bytes.get(j).is_some_and(u8::is_ascii_digit) {
                float = true;
                end = digits(j, |b| b.is_ascii_digit());
            } else {
                return Err(bad(j.min(source.len())));
            }
        }
    }
    if matches!(bytes.get(end), Some(b'j' | b'J')) {
        return Err(Refusal::new(
            "complex numbers are not supported",
            i..end + 1,
        ));
    }
    let text = &source[i..end];
    if text.ends_with('_') || text.contains("__") || text.contains("_.") || text.contains("._") {
        return Err(bad(end));
    }
    if bytes
        .get(end)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        let mut j = end;
        while bytes
            .get(j)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            j += 1;
        }
        return Err(bad(j));
    }
    if !float {
        // Python refuses leading zeros in decimal ints ("007") but allows "0", "00".
        let body: String = text.chars().filter(|c| *c != '_').collect();
        if body.len() > 1
            && body.starts_with('0')
            && body.bytes().all(|b| b.is_ascii_digit())
            && body.bytes().any(|b| b != b'0')
        {
            return Err(Refusal::new(
                "SyntaxError: leading zeros in decimal integer literals are not permitted",
                i..end,
            ));
        }
        return Ok((Tok::Int(text.to_string()), end));
    }
    Ok((Tok::Float(text.to_string()), end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<Tok> {
        tokens(source)
            .map(|t| t.into_iter().map(|t| t.tok).collect())
            .unwrap_or_default()
    }

    #[test]
    fn blocks_become_indent_and_dedent() {
        let toks = kinds("def f(x):\r\n    # comment é\r\n\r\n    return x\r\n");
        assert!(toks.contains(&Tok::Indent));
        assert!(toks.contains(&Tok::Dedent));
        assert_eq!(toks.last(), Some(&Tok::End));
    }

    #[test]
    fn brackets_join_lines() {
        let toks = kinds("min(1,\n  2)");
        assert!(!toks[..toks.len() - 2].contains(&Tok::Newline));
    }

    #[test]
    fn numbers() {
        assert_eq!(kinds("1_000")[0], Tok::Int("1_000".into()));
        assert_eq!(kinds("1e-3")[0], Tok::Float("1e-3".into()));
        assert_eq!(kinds(".5")[0], Tok::Float(".5".into()));
        assert_eq!(kinds("0x1F")[0], Tok::Int("0x1F".into()));
        assert!(tokens("1j").is_err());
        assert!(tokens("1e").is_err());
        assert!(tokens("007").is_err());
    }
}
