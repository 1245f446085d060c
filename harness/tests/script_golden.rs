//! Golden tests for parse diagnostics: each `golden/NAME.pkt` holds a
//! mistake; `golden/NAME.stderr` is exactly what `netdrill parse
//! tests/golden/NAME.pkt` prints on stderr, run from `harness/` (the test
//! runs the binary). Run with `NETDRILL_BLESS=1` to rewrite the `.stderr` files after
//! an intended change (and review the diff).

use libtest_mimic::{Arguments, Failed, Trial};
use netdrill::script;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<_> = fs::read_dir(golden_dir())
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|x| x == "pkt"));
    v.sort();
    v
}

/// The diagnostics as printed, with the path as written in the repository.
fn render(path: &Path) -> Result<(String, Vec<String>), Failed> {
    let src = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match script::parse(&src) {
        Ok(_) => Err(format!("{name} parses, but a golden case must be a mistake").into()),
        Err(diags) => {
            let shown = format!("tests/golden/{name}");
            let messages = diags.iter().map(|d| d.message.clone()).collect();
            Ok((script::diag::render_all(&diags, &shown, &src), messages))
        }
    }
}

/// Runs `netdrill parse tests/golden/NAME.pkt` from the crate's folder and
/// compares its stderr with `NAME.stderr` (and with the library's rendering).
fn check(path: &Path) -> Result<(), Failed> {
    let (rendered, _) = render(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let out = Command::new(env!("CARGO_BIN_EXE_netdrill"))
        .args(["parse", &format!("tests/golden/{name}")])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .map_err(|e| format!("cannot run netdrill: {e}"))?;
    let got = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.code() != Some(1) || out.stdout != b"0 parsed, 1 failed\n" {
        return Err(format!(
            "netdrill parse exited with {:?} and printed {:?}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout)
        )
        .into());
    }
    if got != rendered {
        return Err(format!("the CLI and the library disagree:\n{got}\n---\n{rendered}").into());
    }
    let expected_path = path.with_extension("stderr");
    if std::env::var_os("NETDRILL_BLESS").is_some_and(|v| v == "1") {
        fs::write(&expected_path, &got).map_err(|e| format!("{}: {e}", expected_path.display()))?;
        return Ok(());
    }
    let want = fs::read_to_string(&expected_path).map_err(|e| {
        format!(
            "{}: {e} (run with NETDRILL_BLESS=1 to create it)",
            expected_path.display()
        )
    })?;
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "diagnostics differ (NETDRILL_BLESS=1 rewrites them)\n--- expected\n{want}--- got\n{got}"
        )
        .into())
    }
}

/// At least 20 different kinds of mistake are pinned (a kind is a message
/// with its quoted names and numbers taken out).
fn covers_kinds() -> Result<(), Failed> {
    let mut kinds = BTreeSet::new();
    for path in cases() {
        for m in render(&path)?.1 {
            let mut kind = String::new();
            let mut in_quote = false;
            for c in m.chars() {
                match c {
                    '`' => in_quote = !in_quote,
                    _ if in_quote || c.is_ascii_digit() => {}
                    _ => kind.push(c),
                }
            }
            kinds.insert(kind);
        }
    }
    if kinds.len() >= 20 {
        Ok(())
    } else {
        Err(format!("only {} kinds of mistake: {kinds:#?}", kinds.len()).into())
    }
}

fn main() {
    let args = Arguments::from_args();
    let mut trials: Vec<Trial> = cases()
        .into_iter()
        .map(|p| {
            let name = p
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Trial::test(format!("golden::{name}"), move || check(&p))
        })
        .collect();
    trials.push(Trial::test(
        "golden::covers_at_least_20_kinds_of_mistake",
        covers_kinds,
    ));
    libtest_mimic::run(&args, trials).exit();
}
