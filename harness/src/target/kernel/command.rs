//! Backquoted script commands, run with `/bin/sh -c` inside the namespace.
//!
//! As in packetdrill: from the script's folder, with `PACKETDRILL_PID` set to
//! the harness's pid (and `$PPID` in the shell is that same pid), so that a
//! later command can name files an earlier one wrote. The shell gets SIGKILL
//! if the harness dies, and no fd of the harness but stdin/stdout/stderr
//! (not the sockets of this run or of another run in the process); anything
//! a command leaves running in the namespace is killed when the run ends.
//!
//! The shell is started without copying the harness (`posix_spawn`, which
//! shares its memory until the exec): a `fork` copies the page tables of
//! the whole process with its memory map locked, stalling every thread of
//! every other run that touches fresh memory meanwhile (measured: a
//! real-time thread's wake-ups 1-2 ms late at the 99th percentile, up to
//! 11 ms, with a fork every 5 ms; 0.15-0.3 ms and 1-3 ms without). The
//! parent-death signal is then set by util-linux's `setpriv`, which execs
//! the shell; the fds are no concern, all being close-on-exec. Without
//! `setpriv`, the shell is forked and sets both up itself.

use super::netns::Namespace;
use super::sys;
use crate::target::{Command, CommandOutcome};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::Stdio;
use std::sync::OnceLock;

const SHELL: &str = "/bin/sh";

/// `setpriv`, if it is here and knows `--pdeathsig` (util-linux 2.33).
fn setpriv() -> Option<&'static Path> {
    static FOUND: OnceLock<Option<&'static Path>> = OnceLock::new();
    *FOUND.get_or_init(|| {
        ["/usr/bin/setpriv", "/bin/setpriv"]
            .into_iter()
            .map(Path::new)
            .find(|p| {
                std::process::Command::new(p)
                    .args(["--pdeathsig", "KILL", "--", "/bin/true"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            })
    })
}

/// `/bin/sh -c text`, killed when the spawning thread dies.
fn shell(text: &str) -> std::process::Command {
    match setpriv() {
        Some(setpriv) => {
            let mut c = std::process::Command::new(setpriv);
            c.args(["--pdeathsig", "KILL", "--", SHELL, "-c", text]);
            c
        }
        None => {
            let mut c = std::process::Command::new(SHELL);
            c.args(["-c", text]);
            sys::isolate_child(&mut c);
            c
        }
    }
}

/// Runs `command` in `ns` and waits for it.
pub fn run(ns: &Namespace, command: &Command) -> io::Result<CommandOutcome> {
    let output = ns.run(|| {
        // A new thread inside the namespace: the shell inherits it.
        ns.check_inside()?;
        let mut sh = shell(&command.text);
        sh.env("PACKETDRILL_PID", std::process::id().to_string())
            .stdin(Stdio::null())
            .process_group(0);
        if !command.dir.as_os_str().is_empty() {
            sh.current_dir(&command.dir);
        }
        sh.output().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("running {SHELL} in {}: {e}", command.dir.display()),
            )
        })
    })?;
    let status = match (output.status.code(), output.status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        (None, None) => -1,
    };
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok(CommandOutcome::Ran {
        status,
        output: text,
    })
}

/// SIGKILLs every process whose network namespace is `ns` (what commands left
/// running in the background). Only processes in the run's own namespace are
/// touched, so a reused pid can never hit an unrelated process.
pub fn kill_leftovers(ns: &Namespace) {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() as i32 {
            continue;
        }
        let inside = std::fs::metadata(entry.path().join("ns/net"))
            .map(|m| m.ino() == ns.inode())
            .unwrap_or(false);
        if inside {
            sys::kill_process(pid);
        }
    }
}
