//! ICMP lines: type and code names (RFC 792 for ICMPv4, RFC 4443 for
//! ICMPv6) and the messages they make. `icmp` means ICMPv6 in an IPv6 run.

use super::args::{ArgError, Defines, parse_int};
use crate::script::ast::{self, NameOrInt};
use netdrill_stack::wire::{
    Checksum, Icmpv4Message, Icmpv4Repr, Icmpv6Message, Icmpv6Repr, UpperRepr,
};

/// RFC 792 types.
const V4_TYPES: &[(&str, u8)] = &[
    ("echo_reply", 0),
    ("unreachable", 3),
    ("destination_unreachable", 3),
    ("source_quench", 4),
    ("redirect", 5),
    ("echo_request", 8),
    ("time_exceeded", 11),
    ("parameter_problem", 12),
    ("timestamp", 13),
    ("timestamp_reply", 14),
];

/// RFC 792 / RFC 1812 §5.2.7.1 destination-unreachable codes.
const V4_UNREACH_CODES: &[(&str, u8)] = &[
    ("net_unreachable", 0),
    ("host_unreachable", 1),
    ("protocol_unreachable", 2),
    ("port_unreachable", 3),
    ("frag_needed", 4),
    ("source_route_failed", 5),
    ("net_unknown", 6),
    ("host_unknown", 7),
    ("source_host_isolated", 8),
    ("net_prohibited", 9),
    ("host_prohibited", 10),
    ("net_unreachable_for_tos", 11),
    ("host_unreachable_for_tos", 12),
    ("packet_filtered", 13),
    ("precedence_violation", 14),
    ("precedence_cutoff", 15),
];

/// RFC 4443 §2.1 types.
const V6_TYPES: &[(&str, u8)] = &[
    ("unreachable", 1),
    ("destination_unreachable", 1),
    ("packet_too_big", 2),
    ("time_exceeded", 3),
    ("parameter_problem", 4),
    ("echo_request", 128),
    ("echo_reply", 129),
];

/// RFC 4443 §3.1 destination-unreachable codes.
const V6_UNREACH_CODES: &[(&str, u8)] = &[
    ("no_route", 0),
    ("admin_prohibited", 1),
    ("beyond_scope", 2),
    ("address_unreachable", 3),
    ("port_unreachable", 4),
    ("source_address_failed", 5),
    ("reject_route", 6),
];

/// An ICMP message as a line describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    pub v6: bool,
    pub ty: u8,
    pub code: u8,
    pub mtu: Option<u32>,
}

fn lookup(table: &[(&str, u8)], name: &str) -> Option<u8> {
    table
        .iter()
        .find(|(n, _)| *n == name || n.strip_suffix("_unreachable") == Some(name))
        .map(|&(_, v)| v)
}

fn resolve(
    v: &NameOrInt,
    table: &[(&str, u8)],
    what: &str,
    defines: &Defines,
    family: &str,
) -> Result<u8, ArgError> {
    let (name, span) = match v {
        NameOrInt::Int(i) => {
            return u8::try_from(i.value).map_err(|_| {
                ArgError::script(
                    format!("ICMP {what} {} does not fit 8 bits", i.text),
                    i.span,
                )
            });
        }
        NameOrInt::Name(id) => (id.name.as_str(), id.span),
    };
    if let Some(v) = lookup(table, name) {
        return Ok(v);
    }
    if let Some(d) = defines.get(name) {
        if let Some(v) = lookup(table, d.trim()) {
            return Ok(v);
        }
        if let Some(v) = parse_int(d.trim()).and_then(|v| u8::try_from(v).ok()) {
            return Ok(v);
        }
    }
    Err(ArgError::script(
        format!("{name} is not an {family} {what}"),
        span,
    ))
}

/// The message of an `icmp` line for this address family.
pub fn message(i: &ast::Icmp, v6_run: bool, defines: &Defines) -> Result<Message, ArgError> {
    let v6 = v6_run || i.v6;
    let family = if v6 { "ICMPv6" } else { "ICMPv4" };
    let ty = resolve(
        &i.ty,
        if v6 { V6_TYPES } else { V4_TYPES },
        "type",
        defines,
        family,
    )?;
    let codes: &[(&str, u8)] = match (v6, ty) {
        (false, 3) => V4_UNREACH_CODES,
        (true, 1) => V6_UNREACH_CODES,
        _ => &[],
    };
    // An IPv4 "fragmentation needed" (RFC 1191 §4) in an IPv6 run is IPv6's
    // own Packet Too Big (RFC 4443 §3.2), which carries the MTU the same way.
    let frag_needed = matches!(&i.code, Some(NameOrInt::Name(n)) if n.name == "frag_needed");
    if v6 && ty == 1 && frag_needed {
        return Ok(Message {
            v6,
            ty: 2,
            code: 0,
            mtu: mtu(i)?,
        });
    }
    let code = match &i.code {
        Some(c) => resolve(c, codes, "code", defines, family)?,
        None => 0,
    };
    Ok(Message {
        v6,
        ty,
        code,
        mtu: mtu(i)?,
    })
}

fn mtu(i: &ast::Icmp) -> Result<Option<u32>, ArgError> {
    i.mtu
        .as_ref()
        .map(|m| {
            u32::try_from(m.value)
                .map_err(|_| ArgError::script(format!("mtu {} out of range", m.text), m.span))
        })
        .transpose()
}

/// The wire message with `quoted` as the offending datagram.
pub fn repr(m: Message, quoted: &[u8]) -> UpperRepr<'_> {
    let mtu = m.mtu.unwrap_or(0);
    if m.v6 {
        let message = match m.ty {
            1 => Icmpv6Message::DstUnreachable {
                code: m.code,
                quoted,
            },
            2 => Icmpv6Message::PacketTooBig { mtu, quoted },
            3 => Icmpv6Message::TimeExceeded {
                code: m.code,
                quoted,
            },
            ty => Icmpv6Message::Other {
                msg_type: ty,
                code: m.code,
                rest_of_header: mtu.to_be_bytes(),
                data: quoted,
            },
        };
        UpperRepr::Icmpv6(Icmpv6Repr {
            message,
            checksum: Checksum::Valid,
        })
    } else {
        let message = match m.ty {
            3 => Icmpv4Message::DstUnreachable {
                code: m.code,
                next_hop_mtu: mtu.min(0xffff) as u16,
                quoted,
            },
            11 => Icmpv4Message::TimeExceeded {
                code: m.code,
                quoted,
            },
            ty => Icmpv4Message::Other {
                msg_type: ty,
                code: m.code,
                rest_of_header: mtu.to_be_bytes(),
                data: quoted,
            },
        };
        UpperRepr::Icmpv4(Icmpv4Repr {
            message,
            checksum: Checksum::Valid,
        })
    }
}

/// Type and code of a live message, to compare with a [`Message`].
pub fn live_type_code(u: &UpperRepr<'_>) -> Option<(bool, u8, u8, Option<u32>)> {
    Some(match u {
        UpperRepr::Icmpv4(r) => match r.message {
            Icmpv4Message::DstUnreachable {
                code, next_hop_mtu, ..
            } => (false, 3, code, Some(u32::from(next_hop_mtu))),
            Icmpv4Message::TimeExceeded { code, .. } => (false, 11, code, None),
            Icmpv4Message::EchoRequest { .. } => (false, 8, 0, None),
            Icmpv4Message::EchoReply { .. } => (false, 0, 0, None),
            Icmpv4Message::Other { msg_type, code, .. } => (false, msg_type, code, None),
        },
        UpperRepr::Icmpv6(r) => match r.message {
            Icmpv6Message::DstUnreachable { code, .. } => (true, 1, code, None),
            Icmpv6Message::PacketTooBig { mtu, .. } => (true, 2, 0, Some(mtu)),
            Icmpv6Message::TimeExceeded { code, .. } => (true, 3, code, None),
            Icmpv6Message::EchoRequest { .. } => (true, 128, 0, None),
            Icmpv6Message::EchoReply { .. } => (true, 129, 0, None),
            Icmpv6Message::NeighborSolicit { .. } => (true, 135, 0, None),
            Icmpv6Message::NeighborAdvert { .. } => (true, 136, 0, None),
            Icmpv6Message::Other { msg_type, code, .. } => (true, msg_type, code, None),
        },
        _ => return None,
    })
}

/// The name of a type (and code) for showing a live message in script form.
pub fn show(v6: bool, ty: u8, code: u8) -> String {
    let types = if v6 { V6_TYPES } else { V4_TYPES };
    let ty_name = types
        .iter()
        .find(|&&(_, v)| v == ty)
        .map_or(ty.to_string(), |(n, _)| (*n).to_string());
    let codes: &[(&str, u8)] = match (v6, ty) {
        (false, 3) => V4_UNREACH_CODES,
        (true, 1) => V6_UNREACH_CODES,
        _ => &[],
    };
    match codes.iter().find(|&&(_, v)| v == code) {
        Some((n, _)) => format!("{ty_name} {n}"),
        None if code == 0 => ty_name,
        None => format!("{ty_name} {code}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::Span;
    use crate::script::ast::{Ident, Int};

    fn name(n: &str) -> NameOrInt {
        NameOrInt::Name(Ident {
            name: n.into(),
            span: Span::default(),
        })
    }
    fn icmp(ty: &str, code: Option<&str>, mtu: Option<i128>) -> ast::Icmp {
        ast::Icmp {
            v6: false,
            ty: name(ty),
            code: code.map(name),
            mtu: mtu.map(|v| Int {
                value: v,
                text: v.to_string(),
                span: Span::default(),
            }),
            quoted: None,
            span: Span::default(),
        }
    }

    #[test]
    fn names_resolve_per_family() {
        let d = Defines::default();
        let table = [
            (
                icmp("unreachable", Some("port_unreachable"), None),
                false,
                (3, 3),
            ),
            (icmp("unreachable", Some("port"), None), false, (3, 3)),
            (
                icmp("unreachable", Some("frag_needed"), Some(800)),
                false,
                (3, 4),
            ),
            (
                icmp("unreachable", Some("port_unreachable"), None),
                true,
                (1, 4),
            ),
            (icmp("packet_too_big", None, Some(1400)), true, (2, 0)),
            // IPv4's "fragmentation needed" becomes Packet Too Big in IPv6.
            (
                icmp("unreachable", Some("frag_needed"), Some(1400)),
                true,
                (2, 0),
            ),
            (icmp("time_exceeded", None, None), false, (11, 0)),
        ];
        for (line, v6, (ty, code)) in table {
            let m = message(&line, v6, &d).unwrap();
            assert_eq!((m.ty, m.code), (ty, code), "{line:?} v6={v6}");
        }
        // host_unreachable is IPv4 only.
        assert!(
            message(
                &icmp("unreachable", Some("host_unreachable"), None),
                true,
                &d
            )
            .is_err()
        );
    }

    #[test]
    fn codes_can_be_defined_names() {
        let mut d = Defines::default();
        d.insert("CODE", "host_unreachable");
        let m = message(&icmp("unreachable", Some("CODE"), None), false, &d).unwrap();
        assert_eq!(m.code, 1);
    }

    #[test]
    fn show_names_types_and_codes() {
        assert_eq!(show(false, 3, 3), "unreachable port_unreachable");
        assert_eq!(show(true, 2, 0), "packet_too_big");
        assert_eq!(show(false, 42, 7), "42 7");
    }
}
