//! The speed floor for `lrsched csv`: the same cosine multiplier as a hand-written Rust
//! closure, formatted with itoa and ryu straight to stdout. `bench/run.sh` times
//! `lrsched csv --expr "0.5*(1+cos(pi*step/steps))"` against it.
//!
//! Usage: `cargo run --release --example csv_floor -- STEPS > /dev/null`

use std::io::{self, Write};

fn main() -> io::Result<()> {
    let steps: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let base_lr = 0.1;
    let f = |step: f64| 0.5 * (1.0 + (std::f64::consts::PI * step / steps as f64).cos());
    let mut out = io::stdout().lock();
    let mut buf = Vec::with_capacity(1 << 17);
    buf.extend_from_slice(b"step,multiplier,lr\n");
    let mut int = itoa::Buffer::new();
    let mut float = ryu::Buffer::new();
    for step in 0..steps {
        let m = f(step as f64);
        buf.extend_from_slice(int.format(step).as_bytes());
        buf.push(b',');
        buf.extend_from_slice(float.format(m).as_bytes());
        buf.push(b',');
        buf.extend_from_slice(float.format(base_lr * m).as_bytes());
        buf.push(b'\n');
        if buf.len() >= 1 << 16 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    out.flush()
}
