//! Every script we have parses, and its canonical form parses back to the
//! same tree (spans aside, comments included): one trial per script.
//!
//! - `peer::parse::PATH` and `peer::roundtrip::PATH` for the upstream
//!   packetdrill suite in `../shared/peer-suites` (skipped with a reason when
//!   that folder is missing, failing instead under NETDRILL_REQUIRE_SHARED);
//! - `peer::has_all_165_scripts`: the suite is all there;
//! - `corpus::roundtrip::PATH` for our own `corpus/` (fuzz seeds excluded).

mod support;

use libtest_mimic::{Arguments, Failed, Trial};
use netdrill::script::{self, ast::ClearSpans, files};
use std::path::{Path, PathBuf};

fn read(path: &Path) -> Result<String, Failed> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()).into())
}

fn parses(path: &Path) -> Result<(), Failed> {
    let src = read(path)?;
    match script::parse(&src) {
        Ok(_) => Ok(()),
        Err(d) => Err(script::diag::render_all(&d, &path.display().to_string(), &src).into()),
    }
}

/// `parse(print(ast)) == ast`, and printing is a fixed point.
fn round_trips(path: &Path) -> Result<(), Failed> {
    let src = read(path)?;
    let shown = path.display().to_string();
    let mut ast = script::parse(&src).map_err(|d| script::diag::render_all(&d, &shown, &src))?;
    let printed = script::print(&ast);
    let mut again = script::parse(&printed).map_err(|d| {
        format!(
            "the printed form does not parse:\n{}",
            script::diag::render_all(&d, "printed", &printed)
        )
    })?;
    if script::print(&again) != printed {
        return Err("printing the printed form changes it".into());
    }
    ast.clear_spans();
    again.clear_spans();
    if ast != again {
        return Err(format!("the printed form parses to a different tree:\n{printed}").into());
    }
    Ok(())
}

fn name(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn peer_trials() -> Vec<Trial> {
    let root = support::shared_dir().map(|d| d.join("peer-suites"));
    let scripts = match &root {
        Ok(r) => files::find_scripts(std::slice::from_ref(r)).0,
        // Placeholders so that a machine without ../shared shows what it skips.
        Err(_) => Vec::new(),
    };
    let base = root.clone().unwrap_or_default();
    let mut trials = Vec::new();
    let count = scripts.len();
    trials.push(Trial::test("peer::has_all_165_scripts", move || {
        if count == 165 {
            Ok(())
        } else {
            Err(format!("found {count} scripts, expected 165").into())
        }
    }));
    for p in scripts {
        let n = name(&base, &p);
        let q = p.clone();
        trials.push(Trial::test(format!("peer::parse::{n}"), move || parses(&q)));
        trials.push(Trial::test(format!("peer::roundtrip::{n}"), move || {
            round_trips(&p)
        }));
    }
    support::gate(
        trials,
        support::Need::Shared,
        support::shared_dir().map(|_| ()),
    )
}

fn corpus_trials() -> Vec<Trial> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    let (scripts, _) = files::find_scripts(std::slice::from_ref(&root));
    scripts
        .into_iter()
        .filter(|p| !p.strip_prefix(&root).is_ok_and(|r| r.starts_with("fuzz")))
        .map(|p| {
            Trial::test(
                format!("corpus::roundtrip::{}", name(&root, &p)),
                move || round_trips(&p),
            )
        })
        .collect()
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = peer_trials();
    trials.extend(corpus_trials());
    libtest_mimic::run(&args, trials).exit();
}
