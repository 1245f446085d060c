//! Backquoted script commands on the reference target. There is no shell:
//! the commands scripts use to set Linux tunables are understood and applied
//! to the stack's profile, and nothing else runs.
//!
//! - `sysctl [-q|-w|-e] net.ipv4.NAME=VALUE ...` sets the profile through
//!   `Profile::set_sysctl`;
//! - a shell file of settings (`../common/defaults.sh`) is read and applied
//!   line by line; `set_sysctls.py /proc/sys/...=VALUE ...` likewise, and its
//!   restore script (`/tmp/sysctl_restore_${PPID}.sh`) puts the profile back;
//! - `tc ...`, `ip tcp_metrics ...`, `ethtool ...` only shape the kernel's
//!   test device and caches: skipped, with a note;
//! - anything else is unsupported, naming the command.
//!
//! Inside a settings file a tunable the profile does not model is skipped
//! with a note (the file sets up a whole kernel; most of it has no
//! counterpart here); written directly in a script, it makes the script
//! unsupported, since the script depends on it.

use super::ReferenceTarget;
use crate::target::{Command, CommandOutcome};
use netdrill_stack::profile::SysctlError;
use std::path::{Path, PathBuf};

/// Where a command came from: the script itself, or a settings file it ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Context<'a> {
    Script,
    File(&'a Path),
}

/// How far files may run other files.
const MAX_FILE_DEPTH: usize = 4;

/// Runs a script command; the outcome the interpreter reports.
pub fn run(t: &mut ReferenceTarget, cmd: &Command) -> CommandOutcome {
    let mut notes = Vec::new();
    match run_text(t, &cmd.text, &cmd.dir, Context::Script, &mut notes, 0) {
        Ok(()) => CommandOutcome::Applied { notes },
        Err(reason) => CommandOutcome::Unsupported { reason },
    }
}

fn run_text(
    t: &mut ReferenceTarget,
    text: &str,
    dir: &Path,
    ctx: Context<'_>,
    notes: &mut Vec<String>,
    depth: usize,
) -> Result<(), String> {
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    for line in joined.lines() {
        for segment in split_commands(line) {
            let words =
                words(&segment).map_err(|e| format!("command `{}`: {e}", segment.trim()))?;
            if words.is_empty() {
                continue;
            }
            run_words(t, &words, &segment, dir, ctx, notes, depth)?;
        }
    }
    Ok(())
}

fn run_words(
    t: &mut ReferenceTarget,
    words: &[String],
    text: &str,
    dir: &Path,
    ctx: Context<'_>,
    notes: &mut Vec<String>,
    depth: usize,
) -> Result<(), String> {
    let text = text.trim();
    let prog = words[0].as_str();
    let base = Path::new(prog)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(prog);
    match base {
        "sysctl" => {
            for w in &words[1..] {
                if w.starts_with('-') {
                    continue;
                }
                let Some((name, value)) = w.split_once('=') else {
                    return Err(format!(
                        "command `{text}`: reading a sysctl is not supported"
                    ));
                };
                set(t, name, value, ctx, notes)?;
            }
            Ok(())
        }
        "set_sysctls.py" => {
            if t.saved_profile.is_none() {
                t.saved_profile = Some(*t.stack.profile());
            }
            for w in &words[1..] {
                let Some((path, value)) = w.split_once('=') else {
                    return Err(format!("command `{text}`: expected PATH=VALUE, found {w}"));
                };
                set(t, path, value, ctx, notes)?;
            }
            Ok(())
        }
        _ if prog.starts_with("/tmp/sysctl_restore_") => {
            match t.saved_profile.take() {
                Some(p) => t.stack.set_profile(p),
                None => notes.push(format!("`{text}`: nothing to restore")),
            }
            Ok(())
        }
        "tc" | "ethtool" => {
            if !device_change_is_neutral(base, &words[1..]) {
                return Err(format!(
                    "command `{text}`: a test-device setting that paces, delays or drops packets (not modelled by the reference stack)"
                ));
            }
            notes.push(format!("skipped `{text}`: it shapes the kernel's test device, which the reference stack does not have"));
            Ok(())
        }
        "ip" if words
            .get(1)
            .is_some_and(|w| w == "tcp_metrics" || w == "tcpmetrics") =>
        {
            notes.push(format!(
                "skipped `{text}`: the reference stack keeps no TCP metrics cache"
            ));
            Ok(())
        }
        "true" | ":" | "echo" => Ok(()),
        _ if base.ends_with(".sh") => {
            if depth >= MAX_FILE_DEPTH {
                return Err(format!(
                    "command `{text}`: settings files nested too deeply"
                ));
            }
            let path = resolve(dir, prog);
            let body = std::fs::read_to_string(&path)
                .map_err(|e| format!("command `{text}`: cannot read {}: {e}", path.display()))?;
            let file_dir = path
                .parent()
                .map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
            run_text(t, &body, &file_dir, Context::File(&path), notes, depth + 1)
        }
        _ => Err(format!("command `{text}`")),
    }
}

/// Whether a `tc` or `ethtool` change of the kernel's test device leaves
/// what a script sees unchanged, so that the reference target may skip it:
/// removing a qdisc, a plain FIFO qdisc that can hold packets, and offload
/// switches (the reference stack segments by MSS itself, and the
/// interpreter compares GSO packets with their segments). A qdisc that
/// paces (`fq`), delays (`netem`) or drops everything (`limit 0`) changes
/// the packets' timing or fate: skipping it would make the run lie.
fn device_change_is_neutral(prog: &str, args: &[String]) -> bool {
    let arg = |i: usize| args.get(i).map(String::as_str);
    if prog == "ethtool" {
        return arg(0) == Some("-K");
    }
    if arg(0) != Some("qdisc") {
        return false;
    }
    match arg(1) {
        Some("del" | "delete") => true,
        Some("add" | "replace" | "change") => {
            // The kind follows `root` (or `parent X`) and an optional `handle X`.
            let Some(at) = args.iter().position(|w| w == "root").map(|i| i + 1) else {
                return false;
            };
            let at = if arg(at) == Some("handle") {
                at + 2
            } else {
                at
            };
            let fifo = matches!(arg(at), Some("pfifo" | "pfifo_fast" | "bfifo"));
            let rest = &args[at.min(args.len())..];
            let drops_all = rest.windows(2).any(|w| w[0] == "limit" && w[1] == "0");
            fifo && !drops_all
        }
        _ => false,
    }
}

/// Applies one tunable.
fn set(
    t: &mut ReferenceTarget,
    name: &str,
    value: &str,
    ctx: Context<'_>,
    notes: &mut Vec<String>,
) -> Result<(), String> {
    let (value, number) = (value.trim(), decimal(value.trim()));
    let mut profile = *t.stack.profile_mut();
    match profile.set_sysctl(name, &number) {
        Ok(()) => {
            t.stack.set_profile(profile);
            Ok(())
        }
        Err(SysctlError::Unknown(_)) => match ctx {
            Context::File(path) => {
                notes.push(format!(
                    "{}: {name}={value} is not modelled by the reference stack; skipped",
                    path.file_name().map_or_else(
                        || path.display().to_string(),
                        |n| n.to_string_lossy().into_owned()
                    )
                ));
                Ok(())
            }
            Context::Script => Err(format!(
                "sysctl {name}={value} (not modelled by the reference stack)"
            )),
        },
        Err(e) => Err(format!("sysctl {name}={value}: {e:?}")),
    }
}

/// `0x70403` → `459779`: the profile reads decimal, sysctl accepts both.
fn decimal(v: &str) -> String {
    v.strip_prefix("0x")
        .or_else(|| v.strip_prefix("0X"))
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .map_or_else(|| v.to_string(), |n| n.to_string())
}

fn resolve(dir: &Path, prog: &str) -> PathBuf {
    let p = Path::new(prog);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}

/// Splits a line at `;`, `&&` and `||` outside quotes; a `#` starting a word
/// ends the line.
fn split_commands(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                cur.push(c);
            }
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    cur.push(c);
                }
                '#' if cur.is_empty() || cur.ends_with(char::is_whitespace) => break,
                ';' => out.push(std::mem::take(&mut cur)),
                '&' | '|' if chars.get(i + 1) == Some(&c) => {
                    out.push(std::mem::take(&mut cur));
                    i += 1;
                }
                _ => cur.push(c),
            },
        }
        i += 1;
    }
    out.push(cur);
    out.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

/// Shell words with quotes removed and redirections (`> /dev/null`,
/// `2>&1`, `&>/dev/null`) dropped.
fn words(s: &str) -> Result<Vec<String>, String> {
    let mut raw = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    raw.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("unterminated quote".into());
    }
    if in_word {
        raw.push(cur);
    }
    let mut out = Vec::new();
    let mut it = raw.into_iter().peekable();
    while let Some(w) = it.next() {
        let redirect = w.trim_start_matches(|c: char| c.is_ascii_digit() || c == '&');
        if let Some(target) = redirect
            .strip_prefix(">>")
            .or_else(|| redirect.strip_prefix('>'))
            .or_else(|| redirect.strip_prefix('<'))
        {
            if target.is_empty() {
                it.next(); // the file after a lone `>`
            }
            continue;
        }
        out.push(w);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting_and_words() {
        assert_eq!(
            split_commands("a; b && c || d # e; f"),
            ["a", " b ", " c ", " d "]
        );
        assert_eq!(
            split_commands("echo 'a;b' \"c||d\""),
            ["echo 'a;b' \"c||d\""]
        );
        assert_eq!(
            words("sysctl -q net.ipv4.tcp_rmem=\"4096 540000 15728640\" > /dev/null 2>&1").unwrap(),
            ["sysctl", "-q", "net.ipv4.tcp_rmem=4096 540000 15728640"]
        );
        assert_eq!(
            words("ip tcp_metrics flush all &> /dev/null").unwrap(),
            ["ip", "tcp_metrics", "flush", "all"]
        );
        assert_eq!(
            words("tc qdisc delete dev tun0 root 2>/dev/null").unwrap(),
            ["tc", "qdisc", "delete", "dev", "tun0", "root"]
        );
        assert!(words("echo 'oops").is_err());
        // (command, may the reference target skip it)
        let device_changes = [
            ("tc qdisc add dev tun0 root pfifo", true),
            ("tc qdisc delete dev tun0 root", true),
            ("tc qdisc replace dev tun0 root handle 1: pfifo_fast", true),
            ("ethtool -K tun0 gso off tso off", true),
            ("tc qdisc replace dev tun0 root fq", false),
            ("tc qdisc add dev tun0 root pfifo limit 0", false),
            ("tc qdisc replace dev tun0 root pfifo limit 0", false),
            ("tc qdisc add dev tun0 root netem delay 10ms", false),
            ("tc filter add dev tun0", false),
            ("ethtool -s tun0 speed 10", false),
            ("tc qdisc add dev tun0", false),
        ];
        for (text, neutral) in device_changes {
            let w = words(text).unwrap();
            assert_eq!(device_change_is_neutral(&w[0], &w[1..]), neutral, "{text}");
        }
        assert_eq!(decimal("0x70403"), "459779");
        assert_eq!(decimal("12"), "12");
    }
}
