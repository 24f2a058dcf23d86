//! Which built-in made a log.
