//! Using lrsched as a library: describe a schedule, build it, and read its learning rates.
//!
//! Usage: `cargo run --example schedule_table`

use std::io;

use lrsched::description::Partial;
use lrsched::output::table::TableWriter;
use lrsched::output::{Steps, write_points};
use lrsched::schedule::params::Raw;

fn main() -> Result<(), lrsched::Error> {
    // get_scheduler("cosine", opt, num_warmup_steps=2, num_training_steps=10,
    //               scheduler_specific_kwargs={"num_cycles": 0.5}) with lr 3e-4
    let description = Partial {
        schedule: Some("cosine".into()),
        warmup: Some(2),
        steps: Some(10),
        base_lr: Some(3e-4),
        params: vec![("num_cycles".into(), Raw::Text("0.5".into()))],
        ..Partial::default()
    }
    .resolve()?;
    let schedule = description.schedule();

    // Random access: the lr of any step.
    println!("lr at step 5: {}", schedule.at(5).lr);

    // Streaming, through one of lrsched's writers.
    let mut table = TableWriter::new(io::stdout().lock(), 9, Some(4));
    write_points(schedule, Steps::all(10), &mut table)
}
