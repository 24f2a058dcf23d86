//! CSV: a `step,multiplier,lr` header, then one row a step, floats as Python's `repr`;
//! the multiplier is empty for an absolute schedule (`lr / --base-lr` would mean nothing).

use super::Format;
use crate::format::{push_int, push_repr};
use crate::schedule::{Point, Schedule};

/// The CSV format. Numbers need no quoting, so rows are formatted by hand (itoa + ryu),
/// about 1.5x faster than the `csv` crate.
#[derive(Clone, Copy, Debug, Default)]
pub struct Csv {
    absolute: bool,
}

impl Csv {
    /// The CSV of `schedule`'s points: with an empty multiplier when it is absolute.
    pub fn of(schedule: &dyn Schedule) -> Self {
        Csv {
            absolute: schedule.absolute(),
        }
    }
}

impl Format for Csv {
    type Row = Point;
    type End = ();

    fn header(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"step,multiplier,lr\n");
    }

    #[inline]
    fn row(&self, p: &Point, _first: bool, out: &mut Vec<u8>) {
        push_int(out, p.step);
        out.push(b',');
        if !self.absolute {
            push_repr(out, p.multiplier);
        }
        out.push(b',');
        push_repr(out, p.lr);
        out.push(b'\n');
    }

    fn footer(&self, _: &(), _out: &mut Vec<u8>) {}
}
