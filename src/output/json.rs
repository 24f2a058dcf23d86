//! JSON: `{"schedule": {...}, "points": [...]}` written as a stream, or JSON Lines with one
//! point object a line. NaN and infinite values, which JSON cannot hold, are written `null`.

use std::io::{self, Write};

use super::{Buffered, PointWriter};
use crate::format::{push_int, push_json_number};
use crate::schedule::Point;

/// Writes the points as one JSON document (`lines == false`) or as JSON Lines.
pub struct JsonWriter<W: Write> {
    out: Buffered<W>,
    schedule: String,
    lines: bool,
    first: bool,
}

impl<W: Write> JsonWriter<W> {
    /// A JSON document with `schedule` (already serialised) as its `"schedule"` member.
    pub fn document(inner: W, schedule: &serde_json::Value) -> Self {
        JsonWriter {
            out: Buffered::new(inner),
            schedule: schedule.to_string(),
            lines: false,
            first: true,
        }
    }

    /// JSON Lines: one `{"step":..,"multiplier":..,"lr":..}` object a line.
    pub fn lines(inner: W) -> Self {
        JsonWriter {
            out: Buffered::new(inner),
            schedule: String::new(),
            lines: true,
            first: true,
        }
    }
}

impl<W: Write> PointWriter for JsonWriter<W> {
    fn begin(&mut self) -> io::Result<()> {
        if !self.lines {
            let buf = &mut self.out.buf;
            buf.extend_from_slice(b"{\"schedule\":");
            buf.extend_from_slice(self.schedule.as_bytes());
            buf.extend_from_slice(b",\"points\":[");
        }
        Ok(())
    }

    #[inline]
    fn point(&mut self, p: &Point) -> io::Result<()> {
        let buf = &mut self.out.buf;
        if !self.lines {
            buf.extend_from_slice(if self.first { b"\n" } else { b",\n" });
            self.first = false;
        }
        buf.extend_from_slice(b"{\"step\":");
        push_int(buf, p.step);
        buf.extend_from_slice(b",\"multiplier\":");
        push_json_number(buf, p.multiplier);
        buf.extend_from_slice(b",\"lr\":");
        push_json_number(buf, p.lr);
        buf.push(b'}');
        if self.lines {
            buf.push(b'\n');
        }
        self.out.maybe_flush()
    }

    fn end(&mut self) -> io::Result<()> {
        if !self.lines {
            self.out.buf.extend_from_slice(b"\n]}\n");
        }
        self.out.flush()
    }
}
