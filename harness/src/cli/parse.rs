//! `netdrill parse PATH...`: parses scripts and reports every syntax error.

use crate::script::{self, files};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Script files, or folders searched recursively for *.pkt files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// Prints the diagnostics of every script to stderr and `N parsed, M failed`
/// to stdout; exits 0 only if every script parsed (and every path existed).
pub fn main(args: Args) -> ExitCode {
    let (scripts, missing) = files::find_scripts(&args.paths);
    let mut failed = missing.len();
    for m in &missing {
        eprintln!("{}: error: {}", m.path.display(), m.error);
    }
    let mut parsed = 0;
    for path in &scripts {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Err(e) => {
                eprintln!("{shown}: error: cannot read: {e}");
                failed += 1;
            }
            Ok(src) => match script::parse(&src) {
                Ok(_) => parsed += 1,
                Err(diags) => {
                    eprint!("{}", script::diag::render_all(&diags, &shown, &src));
                    failed += 1;
                }
            },
        }
    }
    println!("{parsed} parsed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
