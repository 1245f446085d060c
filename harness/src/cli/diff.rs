//! `netdrill diff`: runs each script on the reference stack and on the Linux
//! kernel, and shows where the two behave differently.
//!
//! Per run it prints both verdicts and, where they disagree, the first point
//! of divergence: the earliest script line at which one target did not do
//! what the script says, with the script's expectation and what each target
//! did there, side by side in script numbering. A summary table follows.
//! `--json` prints the same as one JSON document. Exit status: 0 when every
//! run agrees, 1 when some disagree, 2 when nothing could run.

use super::run::ScriptArgs;
use crate::run::TargetFactory;
use crate::run::config::RunConfig;
use crate::run::factory::{KernelFactory, ReferenceFactory};
use crate::run::suite::{plan, run_jobs};
use crate::run::verdict::{RunResult, Verdict, ip_version_word};
use crate::script::files::find_scripts;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Runs this many kernel scripts at once.
    #[arg(short = 'j', long = "jobs", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,

    /// Prints one JSON document instead of text.
    #[arg(long)]
    pub json: bool,

    // Last, so that packetdrill's options close the help text.
    #[command(flatten)]
    pub scripts: ScriptArgs,
}

/// One target's verdict, as the report shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Side {
    pub verdict: &'static str,
    pub line: Option<u32>,
    /// What went wrong (empty for a pass).
    pub summary: String,
    /// What the target did at `line`, in script form, when known.
    pub actual: Option<String>,
}

/// The first script line where the two targets part ways.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Divergence {
    pub line: Option<u32>,
    /// What the script says there, when it is an event with an expectation.
    pub expected: Option<String>,
    pub reference: String,
    pub kernel: String,
}

/// How a pair of runs compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    BothPass,
    /// Both failed at the same line for the same reason.
    BothFailAlike,
    /// One of them could not run the script (unsupported or an error).
    NotComparable,
    ReferenceOnlyFails,
    KernelOnlyFails,
    BothFailDifferently,
}

impl Agreement {
    fn label(self) -> &'static str {
        match self {
            Agreement::BothPass => "both pass",
            Agreement::BothFailAlike => "both fail alike",
            Agreement::NotComparable => "not comparable (unsupported or error)",
            Agreement::ReferenceOnlyFails => "reference fails, kernel passes",
            Agreement::KernelOnlyFails => "kernel fails, reference passes",
            Agreement::BothFailDifferently => "both fail, differently",
        }
    }

    fn agrees(self) -> bool {
        matches!(self, Agreement::BothPass | Agreement::BothFailAlike)
    }
}

/// One script in one family on both targets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Compared {
    pub script: PathBuf,
    pub ip_version: &'static str,
    pub reference: Side,
    pub kernel: Side,
    pub agreement: Agreement,
    pub divergence: Option<Divergence>,
}

fn side(r: &RunResult) -> Side {
    let (summary, actual) = match &r.verdict {
        Verdict::Pass => (String::new(), None),
        Verdict::Fail(f) => (f.summary.clone(), f.actual.clone()),
        Verdict::Unsupported(u) => (format!("unsupported: {}", u.feature), None),
        Verdict::Error(e) => (first_line(&e.message), None),
    };
    Side {
        verdict: r.verdict.word(),
        line: r.verdict.line(),
        summary,
        actual,
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

/// What a run did at `line`: its failure there, or "as the script says" if
/// it got past that line.
fn at_line(r: &RunResult, s: &Side, line: Option<u32>) -> String {
    if r.verdict.is_pass() || (s.line.unwrap_or(0) > line.unwrap_or(0)) {
        return "as the script says".to_string();
    }
    match &s.actual {
        Some(a) => format!("{a} ({})", s.summary),
        None => s.summary.clone(),
    }
}

/// Compares the two runs of one script in one family.
pub fn compare(reference: &RunResult, kernel: &RunResult) -> Compared {
    let (rs, ks) = (side(reference), side(kernel));
    let comparable = |r: &RunResult| matches!(r.verdict, Verdict::Pass | Verdict::Fail(_));
    let agreement = match (reference.verdict.is_pass(), kernel.verdict.is_pass()) {
        _ if !comparable(reference) || !comparable(kernel) => Agreement::NotComparable,
        (true, true) => Agreement::BothPass,
        (false, true) => Agreement::ReferenceOnlyFails,
        (true, false) => Agreement::KernelOnlyFails,
        (false, false) if rs.line == ks.line && rs.summary == ks.summary => {
            Agreement::BothFailAlike
        }
        (false, false) => Agreement::BothFailDifferently,
    };
    let divergence = (!agreement.agrees()).then(|| {
        // The earliest line at which either target left the script.
        let lines = [(&rs, reference), (&ks, kernel)]
            .into_iter()
            .filter(|(_, r)| !r.verdict.is_pass())
            .map(|(s, _)| s.line.unwrap_or(0));
        let line = lines.min().filter(|l| *l > 0);
        let expected = [reference, kernel]
            .into_iter()
            .find_map(|r| match &r.verdict {
                Verdict::Fail(f) if Some(f.line) == line => f.expected.clone(),
                _ => None,
            });
        Divergence {
            line,
            expected,
            reference: at_line(reference, &rs, line),
            kernel: at_line(kernel, &ks, line),
        }
    });
    Compared {
        script: reference.script.clone(),
        ip_version: ip_version_word(reference.ip_version),
        reference: rs,
        kernel: ks,
        agreement,
        divergence,
    }
}

fn verdict_word(s: &Side) -> String {
    match s.line {
        Some(l) if s.verdict != "pass" => format!("{} at line {l}", s.verdict.to_uppercase()),
        _ => s.verdict.to_uppercase(),
    }
}

/// The text report of one compared run.
pub fn render(c: &Compared) -> String {
    let mark = if c.agreement.agrees() {
        "same  "
    } else {
        "DIFFER"
    };
    let mut out = format!(
        "{mark} {} ({}): reference {}, kernel {}\n",
        c.script.display(),
        c.ip_version,
        verdict_word(&c.reference),
        verdict_word(&c.kernel)
    );
    if let Some(d) = &c.divergence {
        let at = d
            .line
            .map_or("before the first event".into(), |l| format!("line {l}"));
        out.push_str(&format!("  first divergence at {at}\n"));
        let rows = [
            (
                "expected",
                d.expected.as_deref().unwrap_or("(no expectation)"),
            ),
            ("reference", d.reference.as_str()),
            ("kernel", d.kernel.as_str()),
        ];
        for (label, text) in rows {
            out.push_str(&format!("    {label:<10} {text}\n"));
        }
    }
    out
}

/// The summary table: how many runs fall in each class.
pub fn render_summary(runs: &[Compared]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for c in runs {
        *counts.entry(c.agreement).or_insert(0usize) += 1;
    }
    let mut out = String::from("\n  runs  outcome\n");
    for (a, n) in &counts {
        out.push_str(&format!("  {n:>4}  {}\n", a.label()));
    }
    let agree = runs.iter().filter(|c| c.agreement.agrees()).count();
    out.push_str(&format!(
        "  {:>4}  total: {agree} agree, {} differ\n",
        runs.len(),
        runs.len() - agree
    ));
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema: &'static str,
    version: u32,
    runs: &'a [Compared],
    summary: std::collections::BTreeMap<Agreement, usize>,
}

pub fn main(args: Args) -> ExitCode {
    let families = match args.scripts.families() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("netdrill diff: {e}");
            return ExitCode::from(2);
        }
    };
    let cli = args.scripts.options();
    if let Err(e) = RunConfig::new(families[0], &[], &cli) {
        eprintln!("netdrill diff: {e}");
        return ExitCode::from(2);
    }
    if let Err(why) = crate::target::kernel::check_available() {
        eprintln!("netdrill diff: the kernel target is unavailable: {why}");
        return ExitCode::from(2);
    }
    let (scripts, errors) = find_scripts(&args.scripts.paths);
    for e in &errors {
        eprintln!("netdrill diff: {}: {}", e.path.display(), e.error);
    }
    if scripts.is_empty() {
        eprintln!("netdrill diff: no scripts found");
        return ExitCode::from(2);
    }
    let reference = ReferenceFactory(args.scripts.profile_choice());
    let (jobs, _skipped) = plan(&scripts, &families, "diff");
    let run = |factory: &(dyn TargetFactory + Sync), threads: usize| {
        run_jobs(&jobs, threads, &cli, factory, false, |_| {})
    };
    let on_reference = run(&reference, 1);
    let on_kernel = run(&KernelFactory, usize::from(args.jobs));
    let compared: Vec<Compared> = on_reference
        .iter()
        .zip(&on_kernel)
        .map(|(r, k)| compare(r, k))
        .collect();
    if args.json {
        let mut summary = std::collections::BTreeMap::new();
        for c in &compared {
            *summary.entry(c.agreement).or_insert(0) += 1;
        }
        let doc = JsonReport {
            schema: "netdrill-diff",
            version: 1,
            runs: &compared,
            summary,
        };
        match serde_json::to_string_pretty(&doc) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("netdrill diff: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        for c in &compared {
            print!("{}", render(c));
        }
        print!("{}", render_summary(&compared));
    }
    if compared.iter().all(|c| c.agreement.agrees()) && errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::verdict::{Failure, FailureKind, Unsupported};
    use crate::target::IpVersion;
    use std::path::Path;

    fn result(verdict: Verdict) -> RunResult {
        crate::run::not_run(Path::new("s.pkt"), "t", IpVersion::Ipv4, verdict)
    }

    fn fail(line: u32, summary: &str, actual: &str) -> Verdict {
        Verdict::Fail(Failure {
            line,
            kind: FailureKind::PacketMismatch,
            summary: summary.into(),
            expected: Some(format!("expected at {line}")),
            actual: Some(actual.into()),
            fields: vec![],
            expected_time: None,
            actual_time: None,
        })
    }

    #[test]
    fn agreement_classes() {
        let pass = result(Verdict::Pass);
        let f12 = result(fail(12, "differs in ack", "> . ack 5"));
        let f12b = result(fail(12, "differs in ack", "> . ack 6"));
        let f14 = result(fail(14, "did not come", "(none)"));
        let unsup = result(Verdict::Unsupported(Unsupported {
            feature: "syscall sendfile".into(),
            line: Some(3),
        }));
        let table = [
            (&pass, &pass, Agreement::BothPass),
            (&f12, &f12b, Agreement::BothFailAlike),
            (&f12, &pass, Agreement::ReferenceOnlyFails),
            (&pass, &f14, Agreement::KernelOnlyFails),
            (&f12, &f14, Agreement::BothFailDifferently),
            (&unsup, &pass, Agreement::NotComparable),
            (&pass, &unsup, Agreement::NotComparable),
        ];
        for (r, k, want) in table {
            assert_eq!(
                compare(r, k).agreement,
                want,
                "{:?} / {:?}",
                r.verdict,
                k.verdict
            );
        }
        assert_eq!(compare(&pass, &pass).divergence, None);
        assert_eq!(compare(&f12, &f12b).divergence, None);
    }

    #[test]
    fn divergence_is_the_earliest_failing_line() {
        let r = result(fail(14, "did not come", "(none)"));
        let k = result(fail(12, "differs in ack", "> . ack 5"));
        let d = compare(&r, &k).divergence.expect("they differ");
        assert_eq!(d.line, Some(12));
        assert_eq!(d.expected.as_deref(), Some("expected at 12"));
        assert_eq!(d.reference, "as the script says");
        assert_eq!(d.kernel, "> . ack 5 (differs in ack)");
        let k = result(Verdict::Pass);
        let d = compare(&r, &k).divergence.expect("they differ");
        assert_eq!(
            (d.line, d.kernel.as_str()),
            (Some(14), "as the script says")
        );
        assert_eq!(d.reference, "(none) (did not come)");
    }

    #[test]
    fn report_shows_both_verdicts_and_the_table() {
        let r = result(Verdict::Pass);
        let k = result(fail(7, "differs in win", "> . win 5"));
        let text = render(&compare(&r, &k));
        assert!(text.starts_with("DIFFER s.pkt (ipv4): reference PASS, kernel FAIL at line 7"));
        assert!(text.contains("first divergence at line 7"), "{text}");
        assert!(
            text.contains("kernel     > . win 5 (differs in win)"),
            "{text}"
        );
        let table = render_summary(&[compare(&r, &k), compare(&r, &r)]);
        assert!(table.contains("1  both pass"), "{table}");
        assert!(
            table.contains("1  kernel fails, reference passes"),
            "{table}"
        );
        assert!(table.contains("2  total: 1 agree, 1 differ"), "{table}");
    }
}
