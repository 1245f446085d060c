//! Live packets written the way scripts write them, in script numbering
//! (the stack's sequence numbers relative to its ISN, its TS values shifted
//! to the script's), so that a diff puts expected and actual side by side.

use super::icmp;
use super::mapping::{FlowId, Mapping};
use netdrill_stack::wire::{IpDatagram, IpRepr, TcpOption, TcpRepr, UpperRepr};
use std::fmt::Write as _;

/// The IP attributes worth showing: ECN when set, TOS when non-zero.
fn ip_prefix(ip: &IpRepr<'_>) -> String {
    let (tos, ecn) = match ip {
        IpRepr::V4(r) => ((r.dscp << 2) | r.ecn, r.ecn),
        IpRepr::V6(r) => (r.traffic_class, r.traffic_class & 3),
    };
    let mut out = String::new();
    match ecn {
        1 => out.push_str("[ect1] "),
        2 => out.push_str("[ect0] "),
        3 => out.push_str("[ce] "),
        _ => {}
    }
    if tos >> 2 != 0 {
        let _ = write!(out, "(tos {tos:#04x}) ");
    }
    out
}

/// An outbound (stack → harness) datagram in script form: `> P. 1:1001(1000) ack 1 win 257 <...>`.
pub fn outbound(d: &IpDatagram<'_>, map: &Mapping, flow: Option<FlowId>) -> String {
    let mut out = String::from("> ");
    out.push_str(&ip_prefix(&d.ip));
    // A connection the script names by port is shown with its port.
    if let Some(f) = flow.map(|f| map.flow(f)).filter(|f| f.named) {
        let _ = write!(out, "(port {}) ", f.remote_port);
    }
    match &d.upper {
        UpperRepr::Tcp(t) => tcp_into(&mut out, t, map, flow),
        UpperRepr::Udp(u) => {
            let _ = write!(out, "udp ({})", u.payload.len());
        }
        u @ (UpperRepr::Icmpv4(_) | UpperRepr::Icmpv6(_)) => {
            if let Some((v6, ty, code, mtu)) = icmp::live_type_code(u) {
                let _ = write!(
                    out,
                    "{} {}",
                    if v6 { "icmpv6" } else { "icmp" },
                    icmp::show(v6, ty, code)
                );
                if let Some(m) = mtu.filter(|&m| m != 0) {
                    let _ = write!(out, " mtu {m}");
                }
            }
        }
        UpperRepr::Raw(b) => {
            let _ = write!(out, "protocol {} ({} bytes)", d.ip.protocol().0, b.len());
        }
    }
    out
}

fn tcp_into(out: &mut String, t: &TcpRepr<'_>, map: &Mapping, flow: Option<FlowId>) {
    let syn = t.flags.syn();
    let seq = flow.map_or(t.seq, |f| map.local_seq_to_script(f, t.seq, syn));
    let len = t.payload.len() as u32;
    let flags = t.flags.to_string();
    let _ = write!(
        out,
        "{} {}:{}({})",
        if flags.is_empty() { "-" } else { &flags },
        seq,
        seq.wrapping_add(len),
        len
    );
    if t.flags.ack() {
        let ack = flow.map_or(t.ack, |f| map.remote_seq_to_script(f, t.ack, syn));
        let _ = write!(out, " ack {ack}");
    }
    let _ = write!(out, " win {}", t.window);
    if t.flags.urg() || t.urgent != 0 {
        let _ = write!(out, " urg {}", t.urgent);
    }
    let opts = options(t, map, flow);
    if !opts.is_empty() {
        let _ = write!(out, " <{}>", opts.join(","));
    }
}

/// The options of an outbound segment, one string each, without trailing
/// end-of-list padding.
pub fn options(t: &TcpRepr<'_>, map: &Mapping, flow: Option<FlowId>) -> Vec<String> {
    let mut list: Vec<String> = t.options.iter().map(|o| option(&o, map, flow)).collect();
    while list.last().is_some_and(|o| o == "eol") {
        list.pop();
    }
    list
}

fn option(o: &TcpOption<'_>, map: &Mapping, flow: Option<FlowId>) -> String {
    match o {
        TcpOption::Eol => "eol".into(),
        TcpOption::Nop => "nop".into(),
        TcpOption::Mss(v) => format!("mss {v}"),
        TcpOption::WindowScale(v) => format!("wscale {v}"),
        TcpOption::SackPermitted => "sackOK".into(),
        TcpOption::Sack(b) => {
            let script = |x: u32| flow.map_or(x, |f| map.remote_seq_to_script(f, x, false));
            let blocks: Vec<String> = b
                .as_slice()
                .iter()
                .map(|(l, r)| format!("{}:{}", script(*l), script(*r)))
                .collect();
            format!("sack {}", blocks.join(" "))
        }
        TcpOption::Timestamps { tsval, tsecr } => {
            let val = flow.map_or(*tsval, |f| map.ts_val_to_script(f, *tsval));
            format!("TS val {val} ecr {tsecr}")
        }
        TcpOption::Md5(d) => format!("md5 {}", hex(d)),
        TcpOption::FastOpen([]) => "FO".into(),
        TcpOption::FastOpen(c) => format!("FO {}", hex(c)),
        TcpOption::FastOpenExp([]) => "FOEXP".into(),
        TcpOption::FastOpenExp(c) => format!("FOEXP {}", hex(c)),
        TcpOption::Raw { kind, data } => format!("kind {kind} {}", hex(data)),
        TcpOption::Malformed(b) => format!("malformed {}", hex(b)),
    }
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
