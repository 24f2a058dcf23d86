//! JSON: `{"schedule": {...}, "points": [...]}` written as a stream, one point a line, or
//! JSON Lines with one point object a line. NaN and infinite values, which JSON cannot
//! hold, are written `null`, and so is the multiplier of an absolute schedule.

use super::Format;
use crate::format::{push_int, push_json_number};
use crate::schedule::Point;

/// The JSON format: a whole document, or JSON Lines.
#[derive(Clone, Debug)]
pub struct Json {
    /// The serialised `"schedule"` member, or `None` for JSON Lines.
    schedule: Option<String>,
    absolute: bool,
}

impl Json {
    /// A JSON document with `schedule` as its `"schedule"` member.
    pub fn document(schedule: &serde_json::Value) -> Self {
        Json {
            schedule: Some(crate::format::json_compact(schedule)),
            absolute: false,
        }
    }

    /// JSON Lines: one `{"step":..,"multiplier":..,"lr":..}` object a line.
    pub fn lines() -> Self {
        Json {
            schedule: None,
            absolute: false,
        }
    }

    /// Multipliers written `null` when `absolute` (the schedule sets the lr itself).
    pub fn absolute(self, absolute: bool) -> Self {
        Json { absolute, ..self }
    }
}

impl Format for Json {
    type Row = Point;
    type End = ();

    fn header(&self, out: &mut Vec<u8>) {
        if let Some(schedule) = &self.schedule {
            out.extend_from_slice(b"{\"schedule\":");
            out.extend_from_slice(schedule.as_bytes());
            out.extend_from_slice(b",\"points\":[");
        }
    }

    #[inline]
    fn row(&self, p: &Point, first: bool, out: &mut Vec<u8>) {
        let document = self.schedule.is_some();
        if document {
            out.extend_from_slice(if first { b"\n" } else { b",\n" });
        }
        out.extend_from_slice(b"{\"step\":");
        push_int(out, p.step);
        out.extend_from_slice(b",\"multiplier\":");
        if self.absolute {
            out.extend_from_slice(b"null");
        } else {
            push_json_number(out, p.multiplier);
        }
        out.extend_from_slice(b",\"lr\":");
        push_json_number(out, p.lr);
        out.push(b'}');
        if !document {
            out.push(b'\n');
        }
    }

    fn footer(&self, _: &(), out: &mut Vec<u8>) {
        if self.schedule.is_some() {
            out.extend_from_slice(b"\n]}\n");
        }
    }
}
