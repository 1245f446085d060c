//! The settings of one run: packetdrill's command-line options (given on
//! the command line or as `--name=value` lines at the top of a script) turned
//! into a [`RunConfig`].
//!
//! Precedence follows packetdrill: the script's own option lines first, the
//! command line over them. An option packetdrill knows but that means nothing
//! to the interpreter (`--send_omit_free`, `--speed`, ...) is accepted and
//! noted; an option nobody knows is an error naming it.

use super::args::{Defines, parse_int};
use super::timing::Tolerance;
use crate::target::{IpVersion, NetConfig};
use netdrill_stack::time::Duration;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// packetdrill's default ports (`--bind_port`, `--connect_port`).
pub const DEFAULT_PORT: u16 = 8080;

/// Everything the interpreter needs to know besides the script.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub net: NetConfig,
    pub tolerance: Tolerance,
    pub bind_port: u16,
    pub connect_port: u16,
    pub defines: Defines,
    /// `--tcp_ts_tick_usecs`: the stack's TS clock period, when known.
    pub ts_tick_usecs: Option<u64>,
    /// `--tcp_ts_ecr_scaled`: an inbound TS ecr that no outbound line wrote
    /// is shifted by the first TS offset rather than refused.
    pub ts_ecr_scaled: bool,
    /// `--strict_segments`: every segment must match a line on its own (no
    /// merging of MSS-sized segments into the GSO packet a line describes).
    pub strict_segments: bool,
    /// `--mss=N`: inbound segments larger than N are delivered as N-byte
    /// segments (packetdrill's GRO "cooking").
    pub gso_mss: Option<u16>,
    /// How long a `*` outbound line waits for its packet.
    pub any_time_limit: Duration,
    /// Keep every packet of the run in the result (for pcaps).
    pub trace: bool,
    /// Script option lines accepted without effect, with why (per run).
    pub notes: Vec<String>,
    /// Command-line options accepted without effect: the caller says so once
    /// for the whole invocation rather than in every run.
    pub cli_notes: Vec<String>,
    /// An option that makes the script unsupported (named).
    pub unsupported: Option<String>,
}

/// A bad option value or an unknown option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionError(pub String);

impl std::fmt::Display for OptionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Options packetdrill has that change nothing here, with the reason.
const NO_EFFECT: &[(&str, &str)] = &[
    (
        "send_omit_free",
        "the harness owns its packets; nothing to free",
    ),
    ("speed", "the link speed is not simulated"),
    ("init_scripts", "init scripts are run as script commands"),
    ("verbose", "reports are always detailed"),
    ("non_fatal", "every mismatch fails the run"),
    (
        "dry_run",
        "use `netdrill parse` to check a script without running it",
    ),
    ("so_filename", "no shared-object stack plug-ins"),
    ("so_flags", "no shared-object stack plug-ins"),
    ("wire_client", "no remote wire mode"),
    ("wire_server", "no remote wire mode"),
    ("wire_server_ip", "no remote wire mode"),
    ("wire_server_port", "no remote wire mode"),
    ("wire_client_dev", "no remote wire mode"),
    ("wire_server_dev", "no remote wire mode"),
    ("persistent_tun", "each run has its own device"),
    ("is_anyip", "addresses are fixed per run"),
    ("tun_dev", "the kernel target names its device tun0"),
    ("udp_encaps", "no UDP encapsulation"),
];

/// Options that would change what the script means in a way the
/// interpreter does not model.
const UNSUPPORTED: &[&str] = &["mtu_probing_tolerance"];

/// An option as given: name (without dashes) and value.
pub type OptionPair = (String, Option<String>);

/// Default addresses per family (packetdrill's), and the MTU run_all.py uses.
pub fn default_net(v: IpVersion) -> NetConfig {
    match v {
        IpVersion::Ipv4 | IpVersion::Ipv4MappedIpv6 => NetConfig {
            ip_version: v,
            local_ip: IpAddr::V4(Ipv4Addr::new(192, 168, 0, 1)),
            remote_ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            gateway_ip: IpAddr::V4(Ipv4Addr::new(192, 168, 0, 2)),
            prefix_len: 16,
            mtu: 1500,
        },
        IpVersion::Ipv6 => NetConfig {
            ip_version: v,
            local_ip: IpAddr::V6(Ipv6Addr::new(0xfd3d, 0xfa7b, 0xd17d, 0, 0, 0, 0, 1)),
            remote_ip: IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
            gateway_ip: IpAddr::V6(Ipv6Addr::new(0xfd3d, 0xfa7b, 0xd17d, 0x8888, 0, 0, 0, 1)),
            prefix_len: 48,
            // As packetdrill's run_all.py runs IPv6 (`--mtu=1520`): 40 more
            // bytes of IP header, so the MSS is 1460 in every family.
            mtu: 1520,
        },
    }
}

/// `ipv4`, `ipv4-mapped-ipv6`, `ipv6`.
pub fn parse_ip_version(s: &str) -> Option<IpVersion> {
    match s {
        "ipv4" => Some(IpVersion::Ipv4),
        "ipv4-mapped-ipv6" | "ipv4_mapped_ipv6" => Some(IpVersion::Ipv4MappedIpv6),
        "ipv6" => Some(IpVersion::Ipv6),
        _ => None,
    }
}

impl RunConfig {
    /// Builds the configuration for one address family from the script's
    /// option lines and then the command line's (which win).
    pub fn new(
        ip_version: IpVersion,
        script_options: &[OptionPair],
        cli_options: &[OptionPair],
    ) -> Result<RunConfig, OptionError> {
        // The address family decides the default addresses, so it goes first;
        // the one the caller chose (e.g. from `--ip-version all`) wins over a
        // script line, as a command-line flag would.
        let mut cfg = RunConfig {
            net: default_net(ip_version),
            tolerance: Tolerance::default(),
            bind_port: DEFAULT_PORT,
            connect_port: DEFAULT_PORT,
            defines: Defines::default(),
            ts_tick_usecs: None,
            ts_ecr_scaled: false,
            strict_segments: false,
            gso_mss: None,
            any_time_limit: Duration::from_secs(10),
            trace: false,
            notes: Vec::new(),
            cli_notes: Vec::new(),
            unsupported: None,
        };
        let mut netmask = None;
        for (name, value) in script_options {
            let mut notes = std::mem::take(&mut cfg.notes);
            cfg.apply(name, value.as_deref(), &mut netmask, &mut notes)?;
            cfg.notes = notes;
        }
        for (name, value) in cli_options {
            let mut notes = std::mem::take(&mut cfg.cli_notes);
            cfg.apply(name, value.as_deref(), &mut netmask, &mut notes)?;
            cfg.cli_notes = notes;
        }
        if let Some(mask) = netmask {
            cfg.net.prefix_len = mask;
        }
        Ok(cfg)
    }

    fn apply(
        &mut self,
        name: &str,
        value: Option<&str>,
        netmask: &mut Option<u8>,
        notes: &mut Vec<String>,
    ) -> Result<(), OptionError> {
        let name = name.replace('-', "_");
        let need = || value.ok_or_else(|| OptionError(format!("--{name} needs a value")));
        let num = |v: &str| -> Result<u64, OptionError> {
            parse_int(v.trim())
                .and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| OptionError(format!("--{name}={v}: not a non-negative number")))
        };
        let addr = |v: &str| -> Result<IpAddr, OptionError> {
            v.trim()
                .parse::<IpAddr>()
                .map_err(|_| OptionError(format!("--{name}={v}: not an IP address")))
        };
        match name.as_str() {
            "ip_version" => {
                let v = need()?;
                let want = parse_ip_version(v.trim()).ok_or_else(|| {
                    OptionError(format!(
                        "--ip_version={v}: not ipv4, ipv4-mapped-ipv6 or ipv6"
                    ))
                })?;
                if want != self.net.ip_version {
                    notes.push(format!(
                        "--ip_version={v} ignored: this run is {}",
                        super::verdict::ip_version_word(self.net.ip_version)
                    ));
                }
            }
            "local_ip" => self.net.local_ip = addr(need()?)?,
            "remote_ip" => self.net.remote_ip = addr(need()?)?,
            "gateway_ip" => self.net.gateway_ip = addr(need()?)?,
            "netmask_ip" => {
                let v = need()?;
                let mask: Ipv4Addr = v
                    .trim()
                    .parse()
                    .map_err(|_| OptionError(format!("--netmask_ip={v}: not an IPv4 netmask")))?;
                let bits = u32::from(mask);
                if bits.leading_ones() + bits.trailing_zeros() != 32 {
                    return Err(OptionError(format!(
                        "--netmask_ip={v}: not a contiguous netmask"
                    )));
                }
                // Applies to IPv4 only; IPv6 runs keep their prefix.
                if self.net.ip_version != IpVersion::Ipv6 {
                    *netmask = Some(bits.leading_ones() as u8);
                }
            }
            "mtu" => {
                let v = num(need()?)?;
                self.net.mtu =
                    u16::try_from(v).map_err(|_| OptionError(format!("--mtu={v}: too large")))?;
            }
            "tolerance_usecs" => self.tolerance.usecs = num(need()?)?,
            "tolerance_percent" => {
                let v = need()?;
                let p: f64 = v
                    .trim()
                    .parse()
                    .map_err(|_| OptionError(format!("--tolerance_percent={v}: not a number")))?;
                if !(p.is_finite() && p >= 0.0) {
                    return Err(OptionError(format!(
                        "--tolerance_percent={v}: must be a non-negative number"
                    )));
                }
                self.tolerance.percent = Some(p);
            }
            "strict_segments" => self.strict_segments = true,
            "tcp_ts_ecr_scaled" => self.ts_ecr_scaled = true,
            "mss" => {
                let v = num(need()?)?;
                let mss = u16::try_from(v).ok().filter(|&m| m > 0);
                self.gso_mss =
                    Some(mss.ok_or_else(|| OptionError(format!("--mss={v}: not a segment size")))?);
            }
            "bind_port" => self.bind_port = port(&name, need()?)?,
            "connect_port" => self.connect_port = port(&name, need()?)?,
            "tcp_ts_tick_usecs" => {
                let v = num(need()?)?;
                self.ts_tick_usecs = (v > 0).then_some(v);
            }
            "define" | "D" => {
                let v = need()?;
                let (n, val) = v.split_once('=').unwrap_or((v, ""));
                if n.is_empty() {
                    return Err(OptionError(format!("--define={v}: needs NAME=VALUE")));
                }
                self.defines.insert(n.trim(), val);
            }
            other => {
                if let Some((_, why)) = NO_EFFECT.iter().find(|(n, _)| *n == other) {
                    let note = format!("--{other} has no effect here: {why}");
                    if !notes.contains(&note) {
                        notes.push(note);
                    }
                } else if UNSUPPORTED.contains(&other) {
                    self.unsupported.get_or_insert(format!("option --{other}"));
                } else {
                    return Err(OptionError(format!("unknown option --{other}")));
                }
            }
        }
        Ok(())
    }
}

fn port(name: &str, v: &str) -> Result<u16, OptionError> {
    parse_int(v.trim())
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| OptionError(format!("--{name}={v}: not a port number")))
}

/// Splits `--name=value`, `--name value`-less flags and `-D NAME=VALUE`
/// style arguments into pairs. Returns the pairs and the arguments that are
/// not options (paths).
pub fn split_packetdrill_args(
    args: &[String],
) -> Result<(Vec<OptionPair>, Vec<String>), OptionError> {
    let mut opts = Vec::new();
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "-D" {
            let v = it
                .next()
                .ok_or_else(|| OptionError("-D needs NAME=VALUE".into()))?;
            opts.push(("define".to_string(), Some(v.clone())));
        } else if let Some(v) = a.strip_prefix("-D") {
            opts.push(("define".to_string(), Some(v.to_string())));
        } else if let Some(body) = a.strip_prefix("--") {
            match body.split_once('=') {
                Some((n, v)) => opts.push((n.to_string(), Some(v.to_string()))),
                None => opts.push((body.to_string(), None)),
            }
        } else {
            rest.push(a.clone());
        }
    }
    Ok((opts, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(n: &str, v: &str) -> OptionPair {
        (n.to_string(), Some(v.to_string()))
    }

    #[test]
    fn the_peer_suite_ipv6_invocation_configures_the_run() {
        let args: Vec<String> = "--send_omit_free --ip_version=ipv6 --mtu=1520 --local_ip=fd3d:0a0b:17d6::1 --gateway_ip=fd3d:0a0b:17d6:8888::1 --remote_ip=fd3d:fa7b:d17d::1 -D TFO_COOKIE=c1d1e9742a47a9bc -D CMSG_LEVEL_IP=SOL_IPV6"
            .split(' ')
            .map(String::from)
            .collect();
        let (opts, rest) = split_packetdrill_args(&args).unwrap();
        assert!(rest.is_empty());
        let c = RunConfig::new(IpVersion::Ipv6, &[], &opts).unwrap();
        assert_eq!(c.net.mtu, 1520);
        assert_eq!(
            c.net.local_ip,
            "fd3d:a0b:17d6::1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            c.net.remote_ip,
            "fd3d:fa7b:d17d::1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(c.defines.get("TFO_COOKIE"), Some("c1d1e9742a47a9bc"));
        assert_eq!(c.defines.get("CMSG_LEVEL_IP"), Some("SOL_IPV6"));
        assert_eq!(c.cli_notes.len(), 1, "{:?}", c.cli_notes);
        assert!(c.cli_notes[0].contains("send_omit_free"));
        assert!(c.notes.is_empty());
    }

    #[test]
    fn command_line_wins_over_script_lines() {
        let script = [
            pair("local_ip", "192.168.0.2"),
            pair("tolerance_usecs", "10000"),
        ];
        let cli = [
            pair("local_ip", "192.168.0.1"),
            pair("netmask_ip", "255.255.0.0"),
        ];
        let c = RunConfig::new(IpVersion::Ipv4, &script, &cli).unwrap();
        assert_eq!(c.net.local_ip, "192.168.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(c.tolerance.usecs, 10_000);
        assert_eq!(c.net.prefix_len, 16);
    }

    #[test]
    fn tolerance_defaults_to_4000_usecs_and_12_5_percent_each_set_alone() {
        type Row<'a> = (&'a [OptionPair], &'a [OptionPair], u64, Option<f64>);
        let table: [Row<'_>; 6] = [
            (&[], &[], 4000, Some(12.5)),
            // A script's --tolerance_usecs alone keeps the percentage.
            (&[pair("tolerance_usecs", "20000")], &[], 20_000, Some(12.5)),
            (&[], &[pair("tolerance_usecs", "7000")], 7000, Some(12.5)),
            (&[pair("tolerance_percent", "50")], &[], 4000, Some(50.0)),
            (
                &[pair("tolerance_percent", "50")],
                &[pair("tolerance_percent", "0")],
                4000,
                Some(0.0),
            ),
            (
                &[pair("tolerance_usecs", "1000")],
                &[pair("tolerance_percent", "1.5")],
                1000,
                Some(1.5),
            ),
        ];
        for (script, cli, usecs, percent) in table {
            let c = RunConfig::new(IpVersion::Ipv4, script, cli).unwrap();
            assert_eq!(c.tolerance.usecs, usecs, "{script:?} {cli:?}");
            assert_eq!(c.tolerance.percent, percent, "{script:?} {cli:?}");
        }
    }

    #[test]
    fn bad_and_unknown_options_are_errors_naming_them() {
        let table = [
            (pair("tolerance_usecs", "-3"), "tolerance_usecs"),
            (pair("mtu", "70000"), "mtu"),
            (pair("netmask_ip", "255.0.255.0"), "contiguous"),
            (pair("local_ip", "nope"), "local_ip"),
            (pair("bogus_flag", "1"), "unknown option --bogus_flag"),
            (pair("ip_version", "ipx"), "ip_version"),
        ];
        for (opt, want) in table {
            let err = RunConfig::new(IpVersion::Ipv4, &[], std::slice::from_ref(&opt)).unwrap_err();
            assert!(err.0.contains(want), "{opt:?}: {err}");
        }
    }

    #[test]
    fn unsupported_options_are_named_and_ip_version_conflicts_noted() {
        let c = RunConfig::new(
            IpVersion::Ipv4,
            &[("mtu_probing_tolerance".into(), Some("5".into()))],
            &[pair("ip_version", "ipv6")],
        )
        .unwrap();
        assert_eq!(
            c.unsupported.as_deref(),
            Some("option --mtu_probing_tolerance")
        );
        assert!(c.cli_notes.iter().any(|n| n.contains("ip_version")));
        let c =
            RunConfig::new(IpVersion::Ipv4, &[("tcp_ts_ecr_scaled".into(), None)], &[]).unwrap();
        assert!(c.ts_ecr_scaled && c.unsupported.is_none());
        let c = RunConfig::new(
            IpVersion::Ipv4,
            &[],
            &[
                pair("tolerance_percent", "10"),
                pair("tcp_ts_tick_usecs", "1000"),
            ],
        )
        .unwrap();
        assert_eq!(c.tolerance.percent, Some(10.0));
        assert_eq!(c.ts_tick_usecs, Some(1000));
    }
}
