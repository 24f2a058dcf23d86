//! The error of a malformed expression: a message, the byte span it is about, and the
//! source, rendered with a caret line under the span.

use std::fmt;
use std::ops::Range;

/// A parse or name error, with the byte span of the offending input.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    /// What is wrong, on one line.
    pub message: String,
    /// Where, in bytes of the source.
    pub span: Range<usize>,
    /// The source text.
    pub source: String,
}

impl ExprError {
    pub(crate) fn new(message: impl Into<String>, span: Range<usize>, source: &str) -> Self {
        ExprError {
            message: message.into(),
            span,
            source: source.to_string(),
        }
    }
}

impl fmt::Display for ExprError {
    /// The message, then the source indented by two spaces, then carets under the span.
    ///
    /// Columns count chars, not bytes, so the caret lands under the right character of
    /// non-ASCII input. Tabs, newlines and other control characters are echoed as spaces:
    /// a newline would break the caret line away from the text it points into, and a tab
    /// would widen differently on every terminal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let echo: String = self
            .source
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let chars_before = |byte: usize| {
            self.source
                .char_indices()
                .take_while(|&(i, _)| i < byte)
                .count()
        };
        let start = chars_before(self.span.start);
        let width = chars_before(self.span.end).saturating_sub(start).max(1);
        let line = format!("  {echo}");
        write!(
            f,
            "{}\n{}\n  {}{}",
            self.message,
            line.trim_end(),
            " ".repeat(start),
            "^".repeat(width)
        )
    }
}

impl std::error::Error for ExprError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_counts_chars_not_bytes() {
        let e = ExprError::new("bad", 10..12, "é + ü * ab");
        assert_eq!(e.to_string(), "bad\n  é + ü * ab\n          ^^");
    }

    #[test]
    fn empty_span_at_the_end_still_gets_a_caret() {
        let e = ExprError::new("missing", 3..3, "1 +");
        assert_eq!(e.to_string(), "missing\n  1 +\n     ^");
    }

    #[test]
    fn control_characters_are_echoed_as_spaces() {
        let e = ExprError::new("bad", 2..3, "1\t+\n#");
        assert_eq!(e.to_string(), "bad\n  1 + #\n    ^");
    }

    #[test]
    fn spans_out_of_range_or_inside_a_char_do_not_panic() {
        let e = ExprError::new("bad", 1..40, "é");
        assert_eq!(e.to_string(), "bad\n  é\n   ^");
    }
}
