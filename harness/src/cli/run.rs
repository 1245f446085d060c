//! `netdrill run`: run scripts against a target and report a verdict for each.
//!
//! Accepts packetdrill's own options unchanged (`--ip_version=ipv6`,
//! `--local_ip=...`, `-D NAME=VALUE`, `--tolerance_usecs=...`, ...), so an
//! existing packetdrill command line works as it is. Exit status: 0 when
//! nothing failed, 1 when a run failed or errored, 2 when nothing could run.

use crate::capture::writer::{PcapSink, pcap_file_name};
use crate::report::{json, junit, terminal::TerminalReport};
use crate::run::TargetFactory;
use crate::run::config::{OptionPair, RunConfig, parse_ip_version};
use crate::run::factory::{KernelFactory, ReferenceFactory};
use crate::run::suite::{plan, run_jobs};
use crate::run::verdict::RunResult;
use crate::script::files::find_scripts;
use crate::target::IpVersion;
use crate::target::reference::ProfileChoice;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetKind {
    /// The reference stack in virtual time (no privileges needed).
    Reference,
    /// The Linux kernel in a private network namespace (needs CAP_NET_ADMIN).
    Kernel,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProfileArg {
    /// What Linux does by default.
    Linux,
    /// What the RFCs say.
    Rfc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FamilyArg {
    Ipv4,
    #[value(name = "ipv4-mapped-ipv6")]
    Ipv4MappedIpv6,
    Ipv6,
    /// All three, as packetdrill's run_all.py does.
    All,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to run the scripts against.
    #[arg(long, value_enum, default_value = "reference")]
    pub target: TargetKind,

    /// Runs this many scripts at once.
    #[arg(short = 'j', long = "jobs", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,

    /// Writes a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Writes a JSON report here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Writes one pcap per run (Ethernet link type) into this folder.
    #[arg(long = "pcap-dir", value_name = "DIR")]
    pub pcap_dir: Option<PathBuf>,

    // Last, so that packetdrill's options close the help text.
    #[command(flatten)]
    pub scripts: ScriptArgs,
}

/// Which scripts to run and how, as `run` and `diff` both take them: the
/// files, the address families, `-D` definitions, the reference stack's
/// profile and packetdrill's own options.
#[derive(Debug, clap::Args)]
pub struct ScriptArgs {
    /// Script files, or folders searched for `*.pkt`.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// The reference stack's behaviour.
    #[arg(long, value_enum, default_value = "linux")]
    pub profile: ProfileArg,

    /// Address families to run each script in (`*v4.pkt` / `*v6.pkt` files
    /// run only in their own).
    #[arg(long = "ip-version", value_enum)]
    pub ip_version: Option<FamilyArg>,

    /// Defines NAME for the scripts (`-D NAME=VALUE` also works).
    #[arg(long, short = 'D', value_name = "NAME=VALUE")]
    pub define: Vec<String>,

    #[command(flatten)]
    pub packetdrill: PacketdrillArgs,
}

impl ScriptArgs {
    /// The families to run in: packetdrill's `--ip_version` names one;
    /// otherwise `--ip-version`, all three by default.
    pub fn families(&self) -> Result<Vec<IpVersion>, String> {
        if let Some(v) = &self.packetdrill.ip_version {
            return parse_ip_version(v).map(|one| vec![one]).ok_or_else(|| {
                format!("--ip_version={v}: expected ipv4, ipv4-mapped-ipv6 or ipv6")
            });
        }
        Ok(match self.ip_version.unwrap_or(FamilyArg::All) {
            FamilyArg::Ipv4 => vec![IpVersion::Ipv4],
            FamilyArg::Ipv4MappedIpv6 => vec![IpVersion::Ipv4MappedIpv6],
            FamilyArg::Ipv6 => vec![IpVersion::Ipv6],
            FamilyArg::All => vec![IpVersion::Ipv4, IpVersion::Ipv4MappedIpv6, IpVersion::Ipv6],
        })
    }

    /// packetdrill's options and the definitions, as `(name, value)` pairs.
    pub fn options(&self) -> Vec<OptionPair> {
        let mut cli = self.packetdrill.pairs();
        cli.extend(
            self.define
                .iter()
                .map(|d| ("define".to_string(), Some(d.clone()))),
        );
        cli
    }

    /// The reference stack's profile.
    pub fn profile_choice(&self) -> ProfileChoice {
        match self.profile {
            ProfileArg::Linux => ProfileChoice::Linux,
            ProfileArg::Rfc => ProfileChoice::Rfc,
        }
    }
}

/// packetdrill's command-line options, accepted as packetdrill spells them.
#[derive(Debug, Default, clap::Args)]
#[command(next_help_heading = "packetdrill options")]
pub struct PacketdrillArgs {
    /// ipv4, ipv4-mapped-ipv6 or ipv6 (one family, as packetdrill).
    #[arg(
        id = "packetdrill_ip_version",
        long = "ip_version",
        value_name = "VERSION"
    )]
    pub ip_version: Option<String>,
    #[arg(long = "local_ip", value_name = "ADDR")]
    pub local_ip: Option<String>,
    #[arg(long = "remote_ip", value_name = "ADDR")]
    pub remote_ip: Option<String>,
    #[arg(long = "gateway_ip", value_name = "ADDR")]
    pub gateway_ip: Option<String>,
    #[arg(long = "netmask_ip", value_name = "MASK")]
    pub netmask_ip: Option<String>,
    #[arg(long = "mtu", value_name = "BYTES")]
    pub mtu: Option<String>,
    #[arg(long = "tolerance_usecs", value_name = "USECS")]
    pub tolerance_usecs: Option<String>,
    #[arg(long = "tolerance_percent", value_name = "PERCENT")]
    pub tolerance_percent: Option<String>,
    #[arg(long = "bind_port", value_name = "PORT")]
    pub bind_port: Option<String>,
    #[arg(long = "connect_port", value_name = "PORT")]
    pub connect_port: Option<String>,
    #[arg(long = "tcp_ts_tick_usecs", value_name = "USECS")]
    pub tcp_ts_tick_usecs: Option<String>,
    #[arg(long = "speed", value_name = "MBPS")]
    pub speed: Option<String>,
    #[arg(long = "mss", value_name = "BYTES")]
    pub mss: Option<String>,
    #[arg(long = "init_scripts", value_name = "PATHS")]
    pub init_scripts: Option<String>,
    #[arg(long = "send_omit_free")]
    pub send_omit_free: bool,
    #[arg(long = "strict_segments")]
    pub strict_segments: bool,
    #[arg(long = "non_fatal", value_name = "WHAT", num_args = 0..=1, default_missing_value = "")]
    pub non_fatal: Option<String>,
    #[arg(long = "dry_run")]
    pub dry_run: bool,
    #[arg(long = "verbose", short = 'v')]
    pub verbose: bool,
    #[arg(long = "tcp_ts_ecr_scaled")]
    pub tcp_ts_ecr_scaled: bool,
}

impl PacketdrillArgs {
    /// The options given, as `(name, value)` pairs in packetdrill's spelling.
    pub(crate) fn pairs(&self) -> Vec<OptionPair> {
        let mut out = Vec::new();
        let mut val = |name: &str, v: &Option<String>| {
            if let Some(v) = v {
                out.push((name.to_string(), Some(v.clone())));
            }
        };
        val("local_ip", &self.local_ip);
        val("remote_ip", &self.remote_ip);
        val("gateway_ip", &self.gateway_ip);
        val("netmask_ip", &self.netmask_ip);
        val("mtu", &self.mtu);
        val("tolerance_usecs", &self.tolerance_usecs);
        val("tolerance_percent", &self.tolerance_percent);
        val("bind_port", &self.bind_port);
        val("connect_port", &self.connect_port);
        val("tcp_ts_tick_usecs", &self.tcp_ts_tick_usecs);
        val("speed", &self.speed);
        val("mss", &self.mss);
        val("init_scripts", &self.init_scripts);
        val("non_fatal", &self.non_fatal);
        for (name, on) in [
            ("send_omit_free", self.send_omit_free),
            ("strict_segments", self.strict_segments),
            ("dry_run", self.dry_run),
            ("verbose", self.verbose),
            ("tcp_ts_ecr_scaled", self.tcp_ts_ecr_scaled),
        ] {
            if on {
                out.push((name.to_string(), None));
            }
        }
        out
    }
}

fn write_pcap(dir: &Path, r: &RunResult) -> Result<(), String> {
    let path = dir.join(pcap_file_name(&r.script, r.ip_version));
    let file = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut sink =
        PcapSink::new(BufWriter::new(file)).map_err(|e| format!("{}: {e}", path.display()))?;
    for p in &r.packets {
        sink.write_traced(p)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    sink.finish()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}

pub fn main(args: Args) -> ExitCode {
    let families = match args.scripts.families() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("netdrill run: {e}");
            return ExitCode::from(2);
        }
    };
    let cli = args.scripts.options();
    // Check the options once, and say once which of them have no effect.
    match RunConfig::new(families[0], &[], &cli) {
        Ok(cfg) => {
            for n in &cfg.cli_notes {
                eprintln!("netdrill run: note: {n}");
            }
        }
        Err(e) => {
            eprintln!("netdrill run: {e}");
            return ExitCode::from(2);
        }
    }
    let (scripts, errors) = find_scripts(&args.scripts.paths);
    for e in &errors {
        eprintln!("netdrill run: {}: {}", e.path.display(), e.error);
    }
    if scripts.is_empty() {
        eprintln!("netdrill run: no scripts found");
        return ExitCode::from(2);
    }
    let factory: Box<dyn TargetFactory + Sync> = match args.target {
        TargetKind::Reference => {
            for (flag, given) in [
                (
                    "--gateway_ip",
                    args.scripts.packetdrill.gateway_ip.is_some(),
                ),
                (
                    "--netmask_ip",
                    args.scripts.packetdrill.netmask_ip.is_some(),
                ),
            ] {
                if given {
                    eprintln!(
                        "netdrill run: note: {flag} has no effect on the reference target (it has no routes)"
                    );
                }
            }
            Box::new(ReferenceFactory(args.scripts.profile_choice()))
        }
        TargetKind::Kernel => {
            if let Err(why) = crate::target::kernel::check_available() {
                eprintln!("netdrill run: the kernel target is unavailable: {why}");
                return ExitCode::from(2);
            }
            if args.scripts.profile != ProfileArg::Linux {
                eprintln!("netdrill run: note: --profile applies to the reference target only");
            }
            Box::new(KernelFactory)
        }
    };
    if let Some(dir) = &args.pcap_dir {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("netdrill run: {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    }
    let (jobs, skipped) = plan(&scripts, &families, factory.name());
    let mut term = TerminalReport::stdout(jobs.len() + skipped.len());
    let mut io_error = None;
    for r in &skipped {
        if let Err(e) = term.record(r) {
            io_error.get_or_insert(e.to_string());
        }
    }
    let pcap_dir = args.pcap_dir.clone();
    let mut results = run_jobs(
        &jobs,
        usize::from(args.jobs),
        &cli,
        factory.as_ref(),
        pcap_dir.is_some(),
        |r| {
            if let Err(e) = term.record(r) {
                io_error.get_or_insert(e.to_string());
            }
            if let Some(dir) = &pcap_dir {
                if let Err(e) = write_pcap(dir, r) {
                    io_error.get_or_insert(e);
                }
            }
        },
    );
    results.extend(skipped);
    let summary = match term.finish() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("netdrill run: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(path) = &args.junit {
        if let Err(e) = junit::write_file(path, "netdrill", &results) {
            io_error.get_or_insert(format!("{}: {e}", path.display()));
        }
    }
    if let Some(path) = &args.json {
        if let Err(e) = json::write_file(path, &results) {
            io_error.get_or_insert(format!("{}: {e}", path.display()));
        }
    }
    if let Some(e) = io_error {
        eprintln!("netdrill run: {e}");
        return ExitCode::from(2);
    }
    if summary.failed == 0 && errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
