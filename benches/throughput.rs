//! Throughput benchmarks (filled in with the engine work).
fn main() {}
