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
//! error or "unsupported" all fail it, with the report's detail.

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

const FAMILIES: [IpVersion; 3] = [IpVersion::Ipv4, IpVersion::Ipv4MappedIpv6, IpVersion::Ipv6];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus")
}

/// Runs one script and turns anything but a pass into a test failure.
fn check(path: &Path, v: IpVersion, factory: &dyn TargetFactory) -> Result<(), Failed> {
    let r = run_file(path, v, &[], factory, &|_| {});
    if r.verdict.is_pass() {
        return Ok(());
    }
    // Plain text: the test output is a log, not a terminal.
    let text = render_run(&r, 100);
    Err(Failed::from(netdrill::report::diff::plain(&text)))
}

fn trials(
    prefix: &str,
    scripts: &[PathBuf],
    factory: Arc<dyn TargetFactory + Send + Sync>,
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
            let name = format!("{prefix}::{rel}::{}", ip_version_word(v));
            let (path, factory) = (path.clone(), Arc::clone(&factory));
            out.push(Trial::test(name, move || check(&path, v, factory.as_ref())));
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
    all.extend(trials(
        "reference",
        &scripts,
        Arc::new(ReferenceFactory(ProfileChoice::Linux)),
    ));
    let kernel = trials("kernel", &scripts, Arc::new(KernelFactory));
    all.extend(support::gate(
        kernel,
        support::Need::Kernel,
        netdrill::target::kernel::check_available(),
    ));
    libtest_mimic::run(&args, all).exit();
}
