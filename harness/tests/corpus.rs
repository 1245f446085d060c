//! Every conformance script under `corpus/`, in every address family it
//! runs in, as its own test, so that `cargo nextest run --partition hash:k/n`
//! shards the suite:
//!
//! - `reference::tcp/close/active-close.pkt::ipv4` runs on the reference
//!   stack (always);
//! - `kernel::tcp/close/active-close.pkt::ipv4` runs on the Linux kernel in a
//!   private network namespace; without root and /dev/net/tun these are
//!   reported as skipped with the reason (and fail when
//!   `NETDRILL_REQUIRE_KERNEL` is set).
//!
//! A test passes only when the script's verdict is "pass": a failure, an
//! error or "unsupported" all fail it, with the report's detail — unless
//! `corpus/EXPECTATIONS.toml` records a known difference for that target,
//! with its reason:
//!
//! ```toml
//! [[expect]]
//! script = "tcp/handshake/syn-retransmit.pkt"   # relative to corpus/
//! target = "kernel"                             # or "reference"
//! families = ["ipv6"]                           # optional: all when left out
//! verdict = "fail"                              # or "unsupported"
//! reason = "Linux 6.5+ retransmits the first SYNs linearly (tcp_syn_linear_timeouts)"
//! ```
//!
//! Such a run must then give that verdict; one that passes fails the test,
//! so that the list is kept true.

mod support;

use libtest_mimic::{Arguments, Failed, Trial};
use netdrill::report::terminal::render_run;
use netdrill::run::factory::{KernelFactory, ReferenceFactory};
use netdrill::run::verdict::ip_version_word;
use netdrill::run::{TargetFactory, families_for, run_file};
use netdrill::script::files::find_scripts;
use netdrill::target::IpVersion;
use netdrill::target::reference::ProfileChoice;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One entry of `corpus/EXPECTATIONS.toml`.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectation {
    script: String,
    target: String,
    families: Option<Vec<String>>,
    verdict: String,
    reason: String,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectations {
    #[serde(default)]
    expect: Vec<Expectation>,
}

impl Expectations {
    /// Reads the file if there is one; a malformed file is an error.
    fn load(root: &Path) -> Result<Expectations, String> {
        let path = root.join("EXPECTATIONS.toml");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Expectations::default());
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let e: Expectations =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for x in &e.expect {
            if x.reason.trim().is_empty() {
                return Err(format!("{}: {} has no reason", path.display(), x.script));
            }
            if !matches!(x.verdict.as_str(), "fail" | "unsupported") {
                return Err(format!(
                    "{}: {}: verdict must be fail or unsupported",
                    path.display(),
                    x.script
                ));
            }
            if !root.join(&x.script).is_file() {
                return Err(format!(
                    "{}: {} is not a corpus script",
                    path.display(),
                    x.script
                ));
            }
        }
        Ok(e)
    }

    fn find(&self, target: &str, script: &str, family: &str) -> Option<Expectation> {
        self.expect
            .iter()
            .find(|x| {
                x.target == target
                    && x.script == script
                    && x.families
                        .as_ref()
                        .is_none_or(|f| f.iter().any(|v| v == family))
            })
            .cloned()
    }
}

const FAMILIES: [IpVersion; 3] = [IpVersion::Ipv4, IpVersion::Ipv4MappedIpv6, IpVersion::Ipv6];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus")
}

/// Runs one script: a pass passes, unless a different verdict is expected.
fn check(
    path: &Path,
    v: IpVersion,
    factory: &dyn TargetFactory,
    expected: Option<Expectation>,
) -> Result<(), Failed> {
    let r = run_file(path, v, &[], factory, &|_| {});
    match expected {
        None if r.verdict.is_pass() => Ok(()),
        Some(x) if r.verdict.word() == x.verdict => Ok(()),
        Some(x) if r.verdict.is_pass() => Err(Failed::from(format!(
            "passes, but EXPECTATIONS.toml expects {} ({}): remove the entry",
            x.verdict, x.reason
        ))),
        _ => {
            // Plain text: the test output is a log, not a terminal.
            let text = render_run(&r, 100);
            Err(Failed::from(netdrill::report::diff::plain(&text)))
        }
    }
}

fn trials(
    prefix: &str,
    scripts: &[PathBuf],
    factory: Arc<dyn TargetFactory + Send + Sync>,
    expectations: &Expectations,
) -> Vec<Trial> {
    let root = corpus_dir();
    let mut out = Vec::new();
    for path in scripts {
        let rel = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        for v in families_for(path, &FAMILIES) {
            let family = ip_version_word(v);
            let name = format!("{prefix}::{rel}::{family}");
            let expected = expectations.find(prefix, &rel, family);
            let (path, factory) = (path.clone(), Arc::clone(&factory));
            out.push(Trial::test(name, move || {
                check(&path, v, factory.as_ref(), expected)
            }));
        }
    }
    out
}

fn main() {
    let args = Arguments::from_args();
    let (scripts, errors) = find_scripts(&[corpus_dir()]);
    let mut all = Vec::new();
    for e in errors {
        let name = format!("corpus::unreadable::{}", e.path.display());
        all.push(Trial::test(name, move || {
            Err(Failed::from(e.error.to_string()))
        }));
    }
    let expectations = match Expectations::load(&corpus_dir()) {
        Ok(e) => e,
        Err(why) => {
            all.push(Trial::test("corpus::expectations", move || {
                Err(Failed::from(why))
            }));
            Expectations::default()
        }
    };
    all.extend(trials(
        "reference",
        &scripts,
        Arc::new(ReferenceFactory(ProfileChoice::Linux)),
        &expectations,
    ));
    let kernel = trials("kernel", &scripts, Arc::new(KernelFactory), &expectations);
    all.extend(support::gate(
        kernel,
        support::Need::Kernel,
        netdrill::target::kernel::check_available(),
    ));
    libtest_mimic::run(&args, all).exit();
}
