//! Entry points for the cargo-fuzz targets in `fuzz/` (feature `fuzzing`):
//! each target is one line calling a `run` here, so the checks live beside
//! the code they check and build with the crate.

pub mod stack;
pub mod wire;
