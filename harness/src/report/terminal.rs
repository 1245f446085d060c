//! The terminal report: one line per run as it ends, the failure detail under
//! a failing run, a progress bar on stderr for long suites, and the closing
//! line `N passed, M failed, K skipped`.
//!
//! ```text
//! PASS  corpus/tcp/close/fin-wait-1.pkt (ipv4)
//! FAIL  corpus/tcp/ack.pkt (ipv6)
//!   corpus/tcp/ack.pkt:12: outbound packet differs in ack
//!   ...expected and actual side by side (see [`super::diff`])...
//! SKIP  peer/sendfile.pkt (ipv4): unsupported: syscall sendfile at line 7
//! ERROR bad.pkt (ipv4): line 3: unknown symbol FOO
//! 2 passed, 2 failed, 1 skipped
//! ```
//!
//! Text is written with styles through [`anstream`], which drops them when the
//! output is not a terminal or `NO_COLOR` is set (and keeps them with
//! `CLICOLOR_FORCE`), so piped output and logs are plain text.

use super::Summary;
use super::diff::render_failure;
use crate::run::verdict::{RunResult, Verdict};
use anstream::stream::{AsLockedWrite, RawStream};
use anstream::{AutoStream, ColorChoice};
use anstyle::{AnsiColor, Style};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal, Write};
use std::time::Duration;

const PASS: Style = AnsiColor::Green.on_default();
const FAIL: Style = AnsiColor::Red.on_default().bold();
const SKIP: Style = AnsiColor::Yellow.on_default();
const NOTE: Style = Style::new().dimmed();

/// Width used when `COLUMNS` does not say.
pub const DEFAULT_WIDTH: usize = 100;
/// A suite that has not finished after this long gets a progress bar.
pub const PROGRESS_AFTER: Duration = Duration::from_millis(500);

/// The terminal width from `COLUMNS`, or [`DEFAULT_WIDTH`].
pub fn width_from_env() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|w| *w >= 20)
        .unwrap_or(DEFAULT_WIDTH)
}

/// The status line of a run, then its detail for failures and errors, styled.
/// Every line ends with `\n`.
pub fn render_run(run: &RunResult, width: usize) -> String {
    let name = run.name();
    let mut out = String::new();
    match &run.verdict {
        Verdict::Pass => out.push_str(&format!("{PASS}PASS{PASS:#}  {name}\n")),
        Verdict::Unsupported(u) => out.push_str(&format!("{SKIP}SKIP{SKIP:#}  {name}: {u}\n")),
        Verdict::Fail(f) => {
            out.push_str(&format!("{FAIL}FAIL{FAIL:#}  {name}\n"));
            out.push_str(&render_failure(&run.script, f, width));
        }
        Verdict::Error(e) if !e.message.contains('\n') => {
            out.push_str(&format!("{FAIL}ERROR{FAIL:#} {name}: {e}\n"));
        }
        Verdict::Error(e) => {
            // A rendered diagnostic (with its own location and caret), indented.
            out.push_str(&format!("{FAIL}ERROR{FAIL:#} {name}\n"));
            for l in e.message.lines() {
                if !l.is_empty() {
                    out.push_str("  ");
                    out.push_str(l);
                }
                out.push('\n');
            }
        }
    }
    // Notes can explain a failure (a command that was skipped, an option
    // that did not apply); on a pass or a skip they are noise.
    if run.verdict.is_failure() {
        for n in &run.notes {
            match n.line {
                Some(line) => {
                    out.push_str(&format!("  {NOTE}note: line {line}: {}{NOTE:#}\n", n.text))
                }
                None => out.push_str(&format!("  {NOTE}note: {}{NOTE:#}\n", n.text)),
            }
        }
    }
    out
}

/// The closing line, `N passed, M failed, K skipped`, each count styled when it is not zero.
pub fn render_summary(s: &Summary) -> String {
    let part = |n: usize, word: &str, style: Style| {
        if n == 0 {
            format!("{n} {word}")
        } else {
            format!("{style}{n} {word}{style:#}")
        }
    };
    format!(
        "{}, {}, {}\n",
        part(s.passed, "passed", PASS),
        part(s.failed, "failed", FAIL),
        part(s.skipped, "skipped", SKIP)
    )
}

/// A progress bar on stderr that shows only on a terminal, and only once a
/// suite has run for [`PROGRESS_AFTER`]: short runs print no bar at all.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    started: std::time::Instant,
    /// Whether the bar may ever be drawn (stderr is a terminal).
    drawable: bool,
    shown: bool,
}

impl Progress {
    /// A bar over `total` runs, drawn on stderr if stderr is a terminal.
    pub fn on_stderr(total: usize) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Progress {
            bar,
            started: std::time::Instant::now(),
            drawable: io::stderr().is_terminal(),
            shown: false,
        }
    }

    /// No bar.
    pub fn none() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
            started: std::time::Instant::now(),
            drawable: false,
            shown: false,
        }
    }

    /// Whether the bar is on the screen.
    pub fn is_shown(&self) -> bool {
        self.shown
    }

    fn step(&mut self, name: &str) {
        if self.drawable && !self.shown && self.started.elapsed() >= PROGRESS_AFTER {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar.set_message(name.to_string());
        self.bar.inc(1);
    }

    /// Runs `f` (which prints) with the bar taken off the screen.
    fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

/// The terminal report of a suite, fed one [`RunResult`] at a time.
pub struct TerminalReport<W: RawStream + AsLockedWrite = io::Stdout> {
    out: AutoStream<W>,
    width: usize,
    progress: Progress,
    summary: Summary,
}

impl TerminalReport<io::Stdout> {
    /// Reports on stdout (styled if stdout is a colour terminal and `NO_COLOR`
    /// is not set), `COLUMNS` wide, with a progress bar on stderr for a suite
    /// of `total` runs.
    pub fn stdout(total: usize) -> Self {
        let progress = if total > 1 {
            Progress::on_stderr(total)
        } else {
            Progress::none()
        };
        TerminalReport::new(io::stdout(), ColorChoice::Auto, width_from_env(), progress)
    }
}

impl<W: RawStream + AsLockedWrite> TerminalReport<W> {
    /// Reports on `out`; `color` as `anstream` takes it (`Auto`: from the stream and the environment).
    pub fn new(out: W, color: ColorChoice, width: usize, progress: Progress) -> Self {
        TerminalReport {
            out: AutoStream::new(out, color),
            width,
            progress,
            summary: Summary::default(),
        }
    }

    /// Prints the line (and detail) of one finished run.
    pub fn record(&mut self, run: &RunResult) -> io::Result<()> {
        self.summary.add(&run.verdict);
        let text = render_run(run, self.width);
        let out = &mut self.out;
        self.progress.suspend(|| {
            out.write_all(text.as_bytes())?;
            out.flush()
        })?;
        self.progress.step(&run.name());
        Ok(())
    }

    /// The counts so far.
    pub fn summary(&self) -> Summary {
        self.summary
    }

    /// Clears the bar, prints the closing line, and gives the counts.
    pub fn finish(&mut self) -> io::Result<Summary> {
        self.progress.clear();
        self.out
            .write_all(render_summary(&self.summary).as_bytes())?;
        self.out.flush()?;
        Ok(self.summary)
    }

    /// The output stream (for tests: the bytes written).
    pub fn into_inner(self) -> W {
        self.out.into_inner()
    }
}
