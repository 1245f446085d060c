//! `netdrill fmt [--check] PATH...`: rewrites scripts in canonical form.
//!
//! A script that does not parse is reported and never touched. A file is
//! replaced atomically (a temporary file beside it, then a rename), keeping
//! its permissions, so an interrupted run leaves either the old or the new
//! text; and only after checking that the new text parses back to the same
//! script, comments included.

use crate::script::{self, FormatError, files};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Change nothing; exit 1 if any file is not in canonical form.
    #[arg(long)]
    pub check: bool,
    /// Script files, or folders searched recursively for *.pkt files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// What happened to one file.
enum Outcome {
    Unchanged,
    /// Rewritten, or (with `--check`) would be.
    Changed,
    Failed,
}

pub fn main(args: Args) -> ExitCode {
    let (scripts, missing) = files::find_scripts(&args.paths);
    for m in &missing {
        eprintln!("{}: error: {}", m.path.display(), m.error);
    }
    let (mut changed, mut unchanged, mut failed) = (0, 0, missing.len());
    for path in &scripts {
        match one(path, args.check) {
            Outcome::Unchanged => unchanged += 1,
            Outcome::Changed => changed += 1,
            Outcome::Failed => failed += 1,
        }
    }
    let verb = if args.check {
        "would be reformatted"
    } else {
        "reformatted"
    };
    println!("{changed} {verb}, {unchanged} unchanged, {failed} failed");
    let ok = failed == 0 && !(args.check && changed > 0);
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn one(path: &Path, check: bool) -> Outcome {
    let shown = path.display().to_string();
    let src = match fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{shown}: error: cannot read: {e}");
            return Outcome::Failed;
        }
    };
    let text = match script::format_source(&src) {
        Ok(t) => t,
        Err(FormatError::Syntax(diags)) => {
            eprint!("{}", script::diag::render_all(&diags, &shown, &src));
            return Outcome::Failed;
        }
        Err(FormatError::NotRoundTrip) => {
            eprintln!(
                "{shown}: error: its canonical form would change its meaning (a netdrill bug); left as it is"
            );
            return Outcome::Failed;
        }
    };
    if text == src {
        return Outcome::Unchanged;
    }
    if check {
        println!("{shown}: not in canonical form");
        return Outcome::Changed;
    }
    match replace_atomically(path, text.as_bytes()) {
        Ok(()) => {
            println!("{shown}: reformatted");
            Outcome::Changed
        }
        Err(e) => {
            eprintln!("{shown}: error: cannot write: {e}");
            Outcome::Failed
        }
    }
}

/// Writes `bytes` to a new file beside `path` and renames it over `path`
/// (over the file a symbolic link points to, so the link stays a link).
fn replace_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let real = fs::canonicalize(path)?;
    let path = real.as_path();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let perms = fs::metadata(path)?.permissions();
    for attempt in 0..100u32 {
        let tmp = dir.join(format!(".{name}.fmt-{}-{attempt}.tmp", std::process::id()));
        let mut file = match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        };
        let written = file
            .write_all(bytes)
            .and_then(|()| file.sync_all())
            .and_then(|()| fs::set_permissions(&tmp, perms.clone()))
            .and_then(|()| fs::rename(&tmp, path));
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        return written;
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary file name",
    ))
}
