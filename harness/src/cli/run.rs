//! `netdrill run` (being built; see the issue tracker).

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Script files or folders.
    pub paths: Vec<PathBuf>,
}

pub fn main(_args: Args) -> ExitCode {
    eprintln!("netdrill run: not available in this build yet");
    ExitCode::from(2)
}
