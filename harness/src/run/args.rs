//! Values of syscall argument expressions: integers, Linux symbols,
//! `--define`d names, flag sets, `htons()`, `inet_addr()`, struct fields.
//!
//! Resolution order for a bare name: a definition (`--define`, `-D`, script
//! option lines), then the Linux ABI table, then `NULL`. A name that is none
//! of these is unsupported (the table may simply lack it), not a script error.

use super::verdict::{ErrorKind, RunError, Unsupported};
use crate::script::Span;
use crate::script::ast::{BinOp, Expr, ExprKind, Ident, UnOp};
use netdrill_stack::linux;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an expression has no value here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgError {
    /// Something valid that this interpreter cannot execute.
    Unsupported { feature: String, line: u32 },
    /// The script is wrong (a string where a number must be, …).
    Script { message: String, line: u32 },
}

impl ArgError {
    pub fn unsupported(feature: impl Into<String>, span: Span) -> ArgError {
        ArgError::Unsupported {
            feature: feature.into(),
            line: span.line,
        }
    }
    pub fn script(message: impl Into<String>, span: Span) -> ArgError {
        ArgError::Script {
            message: message.into(),
            line: span.line,
        }
    }
}

impl From<ArgError> for super::verdict::Verdict {
    fn from(e: ArgError) -> Self {
        match e {
            ArgError::Unsupported { feature, line } => {
                super::verdict::Verdict::Unsupported(Unsupported {
                    feature,
                    line: Some(line),
                })
            }
            ArgError::Script { message, line } => super::verdict::Verdict::Error(RunError {
                kind: ErrorKind::Script,
                message,
                line: Some(line),
            }),
        }
    }
}

/// Definitions in force: `NAME` → text, as given.
#[derive(Clone, Debug, Default)]
pub struct Defines(BTreeMap<String, String>);

impl Defines {
    pub fn insert(&mut self, name: &str, value: &str) {
        self.0.insert(name.to_string(), value.to_string());
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// Evaluates expressions against a set of definitions.
#[derive(Clone, Copy, Debug)]
pub struct Eval<'a> {
    pub defines: &'a Defines,
}

const MAX_DEFINE_DEPTH: usize = 8;

impl Eval<'_> {
    /// An integer value (symbols, flags joined with `|`, arithmetic).
    pub fn int(&self, e: &Expr) -> Result<i64, ArgError> {
        let v = self.int128(e, 0)?;
        i64::try_from(v)
            .or_else(|_| u64::try_from(v).map(|u| u as i64))
            .map_err(|_| ArgError::script(format!("{v} does not fit in 64 bits"), e.span))
    }

    /// An integer that must fit an `i32` (fds, levels, flags). Values up to
    /// `u32::MAX` are taken as their bit pattern (`0xffffffff`, `EPOLLET`).
    pub fn i32(&self, e: &Expr) -> Result<i32, ArgError> {
        let v = self.int(e)?;
        i32::try_from(v)
            .or_else(|_| u32::try_from(v).map(|u| u as i32))
            .map_err(|_| ArgError::script(format!("{v} does not fit in 32 bits"), e.span))
    }

    /// A non-negative length.
    pub fn len(&self, e: &Expr) -> Result<usize, ArgError> {
        let v = self.int(e)?;
        usize::try_from(v).map_err(|_| ArgError::script(format!("length {v} is negative"), e.span))
    }

    fn int128(&self, e: &Expr, depth: usize) -> Result<i128, ArgError> {
        match &e.kind {
            ExprKind::Int(i) => Ok(i.value),
            ExprKind::Symbol(id) | ExprKind::Substitution(id) => self.symbol(id, depth),
            ExprKind::Binary { op, lhs, rhs } => {
                let (a, b) = (self.int128(lhs, depth)?, self.int128(rhs, depth)?);
                binary(*op, a, b).ok_or_else(|| {
                    ArgError::script(format!("{a} {} {b} has no value", op.as_str()), e.span)
                })
            }
            ExprKind::Unary { op, operand } => {
                let v = self.int128(operand, depth)?;
                Ok(match op {
                    UnOp::Neg => -v,
                    UnOp::BitNot => !v,
                    UnOp::Not => i128::from(v == 0),
                })
            }
            // `htons(8080)`: scripts write ports in host order through htons;
            // the value is the port.
            ExprKind::Call { name, args }
                if matches!(name.name.as_str(), "htons" | "htonl" | "ntohs" | "ntohl") =>
            {
                match args.as_slice() {
                    [a] => self.int128(a, depth),
                    _ => Err(ArgError::script(
                        format!("{} takes one argument", name.name),
                        e.span,
                    )),
                }
            }
            ExprKind::Call { name, .. } => Err(ArgError::unsupported(
                format!("function {}()", name.name),
                e.span,
            )),
            ExprKind::Array(items) if items.len() == 1 => self.int128(&items[0], depth),
            _ => Err(ArgError::script(
                format!("expected a number, found {}", describe(e)),
                e.span,
            )),
        }
    }

    fn symbol(&self, id: &Ident, depth: usize) -> Result<i128, ArgError> {
        if let Some(text) = self.defines.get(&id.name) {
            if depth >= MAX_DEFINE_DEPTH {
                return Err(ArgError::script(
                    format!("definition of {} refers to itself", id.name),
                    id.span,
                ));
            }
            return self.define_value(id, text, depth + 1);
        }
        if let Some(v) = linux::symbol(&id.name) {
            return Ok(i128::from(v));
        }
        if id.name == "NULL" {
            return Ok(0);
        }
        Err(ArgError::unsupported(
            format!("symbol {}", id.name),
            id.span,
        ))
    }

    fn define_value(&self, id: &Ident, text: &str, depth: usize) -> Result<i128, ArgError> {
        let t = text.trim();
        if let Some(v) = parse_int(t) {
            return Ok(v);
        }
        // A definition naming another symbol (`-D CMSG_LEVEL_IP=SOL_IP`), or
        // a flag set (`A|B`).
        let mut acc = 0i128;
        for part in t.split('|') {
            let part = part.trim();
            let sym = Ident {
                name: part.to_string(),
                span: id.span,
            };
            acc |= match parse_int(part) {
                Some(v) => v,
                None if !part.is_empty()
                    && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    self.symbol(&sym, depth)?
                }
                None => {
                    return Err(ArgError::script(
                        format!("{} is defined as {text:?}, which is not a number", id.name),
                        id.span,
                    ));
                }
            };
        }
        Ok(acc)
    }

    /// The bytes of a string argument, or of a `--define`d name standing for one.
    pub fn bytes(&self, e: &Expr) -> Result<Option<Vec<u8>>, ArgError> {
        match &e.kind {
            ExprKind::Str { value, .. } => Ok(Some(value.clone())),
            _ => Ok(None),
        }
    }

    /// An IP address from `inet_addr("a.b.c.d")`, `inet6_addr("..")` or
    /// `inet_pton(AF_INET6, "..")`.
    pub fn ip(&self, e: &Expr) -> Result<IpAddr, ArgError> {
        let ExprKind::Call { name, args } = &e.kind else {
            // A number: an IPv4 address in network byte order as an integer.
            let v = self.int(e)?;
            let v =
                u32::try_from(v).map_err(|_| ArgError::script("address out of range", e.span))?;
            return Ok(IpAddr::V4(Ipv4Addr::from(v.swap_bytes())));
        };
        let text = args.iter().rev().find_map(|a| match &a.kind {
            ExprKind::Str { value, .. } => std::str::from_utf8(value).ok(),
            _ => None,
        });
        let Some(text) = text else {
            return Err(ArgError::script(
                format!("{}() needs an address string", name.name),
                e.span,
            ));
        };
        let bad = || ArgError::script(format!("{text:?} is not an address"), e.span);
        match name.name.as_str() {
            "inet_addr" => text.parse::<Ipv4Addr>().map(IpAddr::V4).map_err(|_| bad()),
            "inet6_addr" | "inet_pton" => text
                .parse::<Ipv6Addr>()
                .map(IpAddr::V6)
                .or_else(|_| text.parse::<Ipv4Addr>().map(IpAddr::V4))
                .map_err(|_| bad()),
            other => Err(ArgError::unsupported(format!("function {other}()"), e.span)),
        }
    }
}

/// The fields of a struct expression `{a=1, b=2}`, by name.
pub fn fields(e: &Expr) -> Result<Vec<(&str, &Expr)>, ArgError> {
    let ExprKind::Struct(items) = &e.kind else {
        return Err(ArgError::script(
            format!("expected a struct, found {}", describe(e)),
            e.span,
        ));
    };
    items
        .iter()
        .map(|it| match &it.kind {
            ExprKind::Field { name, value, .. } => Ok((name.name.as_str(), value.as_ref())),
            _ => Err(ArgError::script("expected name=value in a struct", it.span)),
        })
        .collect()
}

/// The value of field `name` in a field list.
pub fn field<'e>(fields: &[(&str, &'e Expr)], name: &str) -> Option<&'e Expr> {
    fields.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
}

pub fn is_ellipsis(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Ellipsis)
}

pub fn is_null(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Symbol(id) if id.name == "NULL")
}

/// A short description of an expression's shape, for messages.
pub fn describe(e: &Expr) -> &'static str {
    match e.kind {
        ExprKind::Int(_) => "a number",
        ExprKind::Symbol(_) | ExprKind::Substitution(_) => "a name",
        ExprKind::Str { .. } => "a string",
        ExprKind::Ellipsis => "`...`",
        ExprKind::Array(_) => "an array",
        ExprKind::Struct(_) => "a struct",
        ExprKind::Call { .. } => "a function call",
        ExprKind::Field { .. } => "a field",
        ExprKind::Binary { .. } | ExprKind::Unary { .. } => "an expression",
    }
}

fn binary(op: BinOp, a: i128, b: i128) -> Option<i128> {
    Some(match op {
        BinOp::Or => a | b,
        BinOp::Xor => a ^ b,
        BinOp::And => a & b,
        BinOp::Shl => a.checked_shl(u32::try_from(b).ok().filter(|&s| s < 127)?)?,
        BinOp::Shr => a >> u32::try_from(b).ok()?.min(127),
        BinOp::Add => a.checked_add(b)?,
        BinOp::Sub => a.checked_sub(b)?,
        BinOp::Mul => a.checked_mul(b)?,
        BinOp::Div => a.checked_div(b)?,
        BinOp::Rem => a.checked_rem(b)?,
    })
}

/// `123`, `-5`, `0x1f`, `0o17`/`017`.
pub fn parse_int(t: &str) -> Option<i128> {
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let v = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i128::from_str_radix(h, 16).ok()?
    } else if body.len() > 1 && body.starts_with('0') && body.chars().all(|c| c.is_ascii_digit()) {
        i128::from_str_radix(&body[1..], 8).ok()?
    } else if !body.is_empty() && body.chars().all(|c| c.is_ascii_digit()) {
        body.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::script::ast::Int;

    pub(crate) fn e(kind: ExprKind) -> Expr {
        Expr {
            kind,
            span: Span {
                line: 7,
                ..Span::default()
            },
        }
    }
    pub(crate) fn int(v: i128) -> Expr {
        e(ExprKind::Int(Int {
            value: v,
            text: v.to_string(),
            span: Span::default(),
        }))
    }
    pub(crate) fn sym(n: &str) -> Expr {
        e(ExprKind::Symbol(Ident {
            name: n.into(),
            span: Span {
                line: 7,
                ..Span::default()
            },
        }))
    }
    pub(crate) fn or(a: Expr, b: Expr) -> Expr {
        e(ExprKind::Binary {
            op: BinOp::Or,
            lhs: Box::new(a),
            rhs: Box::new(b),
        })
    }
    pub(crate) fn call(n: &str, args: Vec<Expr>) -> Expr {
        e(ExprKind::Call {
            name: Ident {
                name: n.into(),
                span: Span::default(),
            },
            args,
        })
    }
    pub(crate) fn string(s: &str) -> Expr {
        e(ExprKind::Str {
            value: s.as_bytes().to_vec(),
            ellipsis: false,
        })
    }

    #[test]
    fn symbols_flags_and_defines() {
        let mut d = Defines::default();
        d.insert("CMSG_LEVEL_IP", "SOL_IP");
        d.insert("BIG", "0x10");
        d.insert("FLAGS", "O_RDWR|O_NONBLOCK");
        d.insert("LOOP", "LOOP");
        d.insert("TFO_COOKIE", "3021b9d889017eeb");
        let ev = Eval { defines: &d };
        assert_eq!(ev.int(&sym("SOCK_STREAM")), Ok(1));
        assert_eq!(
            ev.int(&or(sym("SOCK_STREAM"), sym("SOCK_NONBLOCK"))),
            Ok(1 | 0o4000)
        );
        assert_eq!(ev.int(&sym("CMSG_LEVEL_IP")), Ok(0), "SOL_IP is 0");
        assert_eq!(ev.int(&sym("BIG")), Ok(16));
        assert_eq!(ev.int(&sym("FLAGS")), Ok(2 | 0o4000));
        assert_eq!(ev.int(&sym("NULL")), Ok(0));
        assert_eq!(ev.int(&call("htons", vec![int(8080)])), Ok(8080));
        assert!(matches!(ev.int(&sym("LOOP")), Err(ArgError::Script { .. })));
        assert!(matches!(
            ev.int(&sym("TFO_COOKIE")),
            Err(ArgError::Unsupported { .. } | ArgError::Script { .. })
        ));
        assert_eq!(
            ev.int(&sym("NO_SUCH")),
            Err(ArgError::Unsupported {
                feature: "symbol NO_SUCH".into(),
                line: 7
            })
        );
        assert_eq!(ev.i32(&int(0xffff_ffff)), Ok(-1));
        assert!(ev.i32(&int(1 << 40)).is_err());
        assert!(ev.len(&int(-1)).is_err());
        assert!(matches!(
            ev.int(&string("x")),
            Err(ArgError::Script { line: 7, .. })
        ));
    }

    #[test]
    fn addresses() {
        let d = Defines::default();
        let ev = Eval { defines: &d };
        assert_eq!(
            ev.ip(&call("inet_addr", vec![string("192.0.2.1")])),
            Ok("192.0.2.1".parse().unwrap())
        );
        assert_eq!(
            ev.ip(&call(
                "inet_pton",
                vec![sym("AF_INET6"), string("2001:db8::1")]
            )),
            Ok("2001:db8::1".parse().unwrap())
        );
        assert!(matches!(
            ev.ip(&call("inet_addr", vec![string("300.1.1.1")])),
            Err(ArgError::Script { .. })
        ));
        assert!(matches!(
            ev.ip(&call("gethostbyname", vec![string("x")])),
            Err(ArgError::Unsupported { .. })
        ));
    }

    #[test]
    fn integers_in_definitions() {
        assert_eq!(parse_int("0x1F"), Some(31));
        assert_eq!(parse_int("-12"), Some(-12));
        assert_eq!(parse_int("017"), Some(15));
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("12a"), None);
        assert_eq!(parse_int(""), None);
    }
}
