//! Backquoted script commands, run with `/bin/sh -c` inside the namespace.
//!
//! As in packetdrill: from the script's folder, with `PACKETDRILL_PID` set to
//! the pid of the process that starts the shells and `$PPID` in each shell
//! naming that same process, so that a later command can name files an
//! earlier one wrote (`set_sysctls.py` writes `/tmp/sysctl_restore_$PACKETDRILL_PID.sh`,
//! the script's last command runs `/tmp/sysctl_restore_${PPID}.sh`).
//!
//! Several runs share the harness's process, so that process cannot be the
//! one named: concurrent runs would write and run each other's restore
//! files. Each run therefore has its own parent of its commands, a shell
//! (the run's *command server*, started at its first command) that forks
//! every command shell and lives until the run ends. Its pid is the run's
//! `PACKETDRILL_PID`: unique among live processes (so among concurrent runs,
//! in this harness or another), the same for every command of the run, and
//! each command's `$PPID`, as packetdrill's own pid is for its commands.
//!
//! The server stays in the harness's namespace (it only forks); each command
//! enters the run's with util-linux's `nsenter`, which execs the shell (so
//! the shell's parent is still the server). `setpriv --pdeathsig KILL` ties
//! the server to the thread that runs the script and each command to the
//! server: a killed harness leaves no shell behind. Commands get no fd of
//! the harness but stdin/stdout/stderr (all its fds are close-on-exec), run
//! with stdin from /dev/null, and their output goes to two unnamed files
//! (`O_TMPFILE`) of the harness; anything a command leaves running in the namespace is
//! killed when the run ends.
//!
//! The server is started without copying the harness (`posix_spawn`, which
//! shares its memory until the exec): a `fork` copies the page tables of
//! the whole process with its memory map locked, stalling every thread of
//! every other run that touches fresh memory meanwhile (measured: a
//! real-time thread's wake-ups 1-2 ms late at the 99th percentile, up to
//! 11 ms, with a fork every 5 ms; 0.15-0.3 ms and 1-3 ms without). Where
//! `setpriv` or `nsenter` is missing, each command's shell is forked from a
//! thread inside the namespace and sets up its parent-death signal itself,
//! and `PACKETDRILL_PID` is the harness's pid (shared by concurrent runs).

use super::netns::Namespace;
use super::sys;
use crate::target::{Command, CommandOutcome};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
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

/// `nsenter`, if it is here.
fn nsenter() -> Option<&'static Path> {
    static FOUND: OnceLock<Option<&'static Path>> = OnceLock::new();
    *FOUND.get_or_init(|| {
        ["/usr/bin/nsenter", "/bin/nsenter"]
            .into_iter()
            .map(Path::new)
            .find(|p| p.is_file())
    })
}

/// `text` as one single-quoted shell word.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn utf8(path: &Path) -> io::Result<&str> {
    path.to_str().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not UTF-8", path.display()),
        )
    })
}

/// The commands of one run: see the module docs.
#[derive(Debug, Default)]
pub struct Commands {
    server: Option<Server>,
}

impl Commands {
    /// Runs `command` in `ns` and waits for it.
    pub fn run(&mut self, ns: &Namespace, command: &Command) -> io::Result<CommandOutcome> {
        let (Some(setpriv), Some(nsenter)) = (setpriv(), nsenter()) else {
            return run_forked(ns, command);
        };
        if self.server.is_none() {
            self.server = Some(Server::start(setpriv)?);
        }
        let Some(server) = &mut self.server else {
            return Err(io::Error::other("no command server"));
        };
        let outcome = server.run(ns, [setpriv, nsenter], command);
        if outcome.is_err() {
            // A server that broke is not reused (dropping it kills it); the
            // next command starts another.
            self.server = None;
        }
        outcome
    }
}

/// A run's command server: a shell reading one job per command from a pipe
/// and answering each with the command's exit status.
#[derive(Debug)]
struct Server {
    child: std::process::Child,
    jobs: std::process::ChildStdin,
    replies: BufReader<std::process::ChildStdout>,
    /// Where the command running writes its stdout and its stderr.
    out: [Output; 2],
}

/// A file without a name (`O_TMPFILE`) that a command's output goes to,
/// through the path of the harness's fd for it: it disappears with the
/// harness however the harness ends, and no other user can open it.
#[derive(Debug)]
struct Output {
    file: std::fs::File,
    path: String,
}

impl Output {
    fn new() -> io::Result<Output> {
        let dir = std::env::temp_dir();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .mode(0o600)
            .custom_flags(libc::O_TMPFILE)
            .open(&dir)
            .map_err(|e| {
                io::Error::new(e.kind(), format!("O_TMPFILE in {}: {e}", dir.display()))
            })?;
        let path = format!("/proc/{}/fd/{}", std::process::id(), file.as_raw_fd());
        Ok(Output { file, path })
    }

    /// What the last command wrote (each command's `>` empties it first).
    fn take(&mut self) -> io::Result<String> {
        let mut bytes = Vec::new();
        self.file.seek(SeekFrom::Start(0))?;
        self.file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

impl Server {
    fn start(setpriv: &Path) -> io::Result<Server> {
        let out = [Output::new()?, Output::new()?];
        let spawned = std::process::Command::new(setpriv)
            .args(["--pdeathsig", "KILL", "--", SHELL, "-s"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => return Err(io::Error::new(e.kind(), format!("starting {SHELL}: {e}"))),
        };
        match (child.stdin.take(), child.stdout.take()) {
            (Some(jobs), Some(replies)) => Ok(Server {
                child,
                jobs,
                replies: BufReader::new(replies),
                out,
            }),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                Err(io::Error::other("the command server has no pipes"))
            }
        }
    }

    /// Has the server run `command` in `ns` (through `setpriv` and
    /// `nsenter`, in that order) and waits for its status.
    fn run(
        &mut self,
        ns: &Namespace,
        [setpriv, nsenter]: [&Path; 2],
        command: &Command,
    ) -> io::Result<CommandOutcome> {
        if command.text.contains('\0') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a command cannot contain a NUL byte",
            ));
        }
        // The server's folder changes from job to job: a relative folder
        // is the harness's.
        let dir = std::env::current_dir()?.join(&command.dir);
        let job = format!(
            "{{ cd -- {dir} && PACKETDRILL_PID=$$ {setpriv} --pdeathsig KILL -- {nsenter} {net} -- \
             {SHELL} -c {text} </dev/null; }} >{out} 2>{err}; echo \"$?\"\n",
            dir = quote(utf8(&dir)?),
            setpriv = quote(utf8(setpriv)?),
            nsenter = quote(utf8(nsenter)?),
            net = quote(&format!("--net={}", utf8(&ns.proc_path())?)),
            text = quote(&command.text),
            out = quote(&self.out[0].path),
            err = quote(&self.out[1].path),
        );
        self.jobs.write_all(job.as_bytes())?;
        self.jobs.flush()?;
        let mut reply = String::new();
        if self.replies.read_line(&mut reply)? == 0 {
            return Err(io::Error::other("the run's command server exited"));
        }
        let status = reply
            .trim()
            .parse::<i32>()
            .map_err(|_| io::Error::other(format!("the command server answered {reply:?}")))?;
        let mut text = self.out[0].take()?;
        text.push_str(&self.out[1].take()?);
        Ok(CommandOutcome::Ran {
            status,
            output: text,
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The command it may still be waiting for dies with it (its
        // parent-death signal).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `command` in `ns` from a new thread inside it and waits for it:
/// where `setpriv` or `nsenter` is missing.
fn run_forked(ns: &Namespace, command: &Command) -> io::Result<CommandOutcome> {
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
