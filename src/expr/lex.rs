//! Tokens of the expression language, each with its byte span in the source.

use std::ops::Range;

use super::error::ExprError;

/// What a token is; its text is `source[span]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Tok {
    Number(f64),
    Ident,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    /// `^` or `**`.
    Power,
    LParen,
    RParen,
    Comma,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    End,
    /// Where lexing failed; the parser reports the lexical error when it reaches it.
    Bad,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub span: Range<usize>,
}

/// Splits `source` into tokens ending with [`Tok::End`], or with [`Tok::Bad`] and the error.
///
/// A lexical error is not reported at once: the tokens before it are parsed first, so the
/// parser reports whichever problem comes first in the source (`1 + ) #` complains about
/// the `)`, not the `#`).
pub(crate) fn tokens(source: &str) -> (Vec<Token>, Option<ExprError>) {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        let (tok, len) = match c {
            b'0'..=b'9' => match number(source, start) {
                Ok((value, end)) => (Tok::Number(value), end - start),
                Err(e) => return bad(out, e),
            },
            b'.' if next.is_some_and(|n| n.is_ascii_digit()) => match number(source, start) {
                Ok((value, end)) => (Tok::Number(value), end - start),
                Err(e) => return bad(out, e),
            },
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let len = bytes[i..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                (Tok::Ident, len)
            }
            b'+' => (Tok::Plus, 1),
            b'-' => (Tok::Minus, 1),
            b'*' if next == Some(b'*') => (Tok::Power, 2),
            b'*' => (Tok::Star, 1),
            b'/' => (Tok::Slash, 1),
            b'%' => (Tok::Percent, 1),
            b'^' => (Tok::Power, 1),
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b',' => (Tok::Comma, 1),
            b'<' if next == Some(b'=') => (Tok::Le, 2),
            b'<' => (Tok::Lt, 1),
            b'>' if next == Some(b'=') => (Tok::Ge, 2),
            b'>' => (Tok::Gt, 1),
            b'=' if next == Some(b'=') => (Tok::Eq, 2),
            b'!' if next == Some(b'=') => (Tok::Ne, 2),
            _ => {
                // Any other char, whitespace included (Unicode whitespace is skipped too,
                // as `str::trim` treats it, so a pasted no-break space is harmless).
                let ch = source[i..].chars().next().unwrap_or(' ');
                let len = ch.len_utf8();
                if ch.is_whitespace() {
                    i += len;
                    continue;
                }
                return bad(out, unexpected_char(source, ch, start..start + len));
            }
        };
        out.push(Token {
            tok,
            span: start..start + len,
        });
        i += len;
    }
    out.push(Token {
        tok: Tok::End,
        span: source.len()..source.len(),
    });
    (out, None)
}

fn bad(mut tokens: Vec<Token>, error: ExprError) -> (Vec<Token>, Option<ExprError>) {
    tokens.push(Token {
        tok: Tok::Bad,
        span: error.span.clone(),
    });
    (tokens, Some(error))
}

fn unexpected_char(source: &str, ch: char, span: Range<usize>) -> ExprError {
    let hint = match ch {
        '=' => "; did you mean '=='?",
        '!' => "; did you mean '!='?",
        '&' | '|' => "; there are no logical operators (use if(condition, a, b) or min/max)",
        _ => "",
    };
    // escape_debug keeps a NUL or an escape sequence from reaching the terminal raw.
    let shown = ch.escape_debug();
    ExprError::new(
        format!("unexpected character '{shown}'{hint}"),
        span,
        source,
    )
}

/// Reads a number starting at byte `start`: `3`, `0.5`, `.5`, `3.`, `3e-4`, `1E+3`, as
/// Python reads a float literal (a correctly rounded double; Rust's parser rounds the
/// same way). Returns the value and the end offset.
fn number(source: &str, start: usize) -> Result<(f64, usize), ExprError> {
    let bytes = source.as_bytes();
    let digits = |from: usize| {
        from + bytes
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut end = digits(start);
    if bytes.get(end) == Some(&b'.') {
        end = digits(end + 1);
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut exp = end + 1;
        if matches!(bytes.get(exp), Some(b'+' | b'-')) {
            exp += 1;
        }
        let exp_end = digits(exp);
        if exp_end == exp {
            let text = &source[start..exp];
            return Err(ExprError::new(
                format!("invalid number '{text}': the exponent has no digits (as in 1e-3)"),
                start..exp,
                source,
            ));
        }
        end = exp_end;
    }
    let text = &source[start..end];
    match text.parse::<f64>() {
        Ok(value) => Ok((value, end)),
        // The shape was checked above; this only guards against a parser disagreement.
        Err(_) => Err(ExprError::new(
            format!("invalid number '{text}'"),
            start..end,
            source,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<Tok> {
        let (tokens, error) = tokens(source);
        assert_eq!(error, None, "{source}");
        tokens.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn numbers_read_as_python_reads_them() {
        for (text, value) in [
            ("3", 3.0),
            ("0.5", 0.5),
            (".5", 0.5),
            ("3.", 3.0),
            ("3e-4", 3e-4),
            ("1E+3", 1000.0),
            ("1.e2", 100.0),
            ("1e999", f64::INFINITY),
            ("0.1", 0.1),
        ] {
            assert_eq!(kinds(text), [Tok::Number(value), Tok::End], "{text}");
        }
    }

    #[test]
    fn operators_take_the_longest_match() {
        use Tok::*;
        assert_eq!(
            kinds("*** ^ <=< >=> == != %,()"),
            [
                Power, Star, Power, Le, Lt, Ge, Gt, Eq, Ne, Percent, Comma, LParen, RParen, End
            ]
        );
    }

    #[test]
    fn spans_are_bytes_and_unicode_whitespace_is_skipped() {
        let (tokens, error) = tokens("\u{a0}step\t* 2");
        assert_eq!(error, None);
        let spans: Vec<_> = tokens.iter().map(|t| t.span.clone()).collect();
        assert_eq!(spans, [2..6, 7..8, 9..10, 10..10]);
    }

    #[test]
    fn other_characters_are_errors_spanning_the_whole_char() {
        let (_, error) = tokens("x é");
        let error = error.unwrap();
        assert_eq!(error.span, 2..4);
        assert_eq!(error.message, "unexpected character 'é'");
        let (_, error) = tokens("\0");
        assert_eq!(error.unwrap().message, "unexpected character '\\0'");
    }

    #[test]
    fn lexical_errors_come_after_the_tokens_before_them() {
        let (list, error) = tokens("1 + 2e+");
        assert_eq!(list.len(), 3);
        assert_eq!(
            list[2],
            Token {
                tok: Tok::Bad,
                span: 4..7
            }
        );
        let error = error.unwrap();
        assert_eq!(error.span, 4..7);
        assert_eq!(
            error.message,
            "invalid number '2e+': the exponent has no digits (as in 1e-3)"
        );
        let (_, error) = tokens("a = 1");
        assert_eq!(
            error.unwrap().message,
            "unexpected character '='; did you mean '=='?"
        );
    }
}
