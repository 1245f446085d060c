use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    netdrill::cli::main(netdrill::cli::Cli::parse())
}
