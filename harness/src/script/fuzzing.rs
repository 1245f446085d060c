//! The script parser's contract, checked on arbitrary input; called by the
//! `script` fuzz target and by the property tests.
//!
//! - parsing never panics and returns at least one diagnostic on failure,
//!   each pointing inside the text, and rendering them never panics;
//! - whatever parses prints to a canonical form that parses back to the same
//!   tree (spans aside) and prints to itself.
//!
//! A broken contract panics: that is the signal the fuzzer looks for.

use super::ast::ClearSpans;
use super::{diag, parse, print};

/// Checks the contract on `data` (read as UTF-8, invalid bytes replaced).
pub fn check_script(data: &[u8]) {
    let src = String::from_utf8_lossy(data);
    match parse(&src) {
        Ok(mut ast) => {
            let printed = print(&ast);
            let mut again = match parse(&printed) {
                Ok(a) => a,
                Err(d) => panic!(
                    "the canonical form does not parse:\n{}\n--- printed:\n{printed}",
                    diag::render_all(&d, "printed", &printed)
                ),
            };
            assert_eq!(print(&again), printed, "printing is not a fixed point");
            ast.clear_spans();
            again.clear_spans();
            assert_eq!(
                ast, again,
                "the canonical form parses to another tree:\n{printed}"
            );
        }
        Err(diags) => {
            assert!(!diags.is_empty(), "a failed parse must say why");
            for d in &diags {
                let (s, e) = (d.span.start as usize, d.span.end as usize);
                assert!(
                    s <= e && e <= src.len(),
                    "span {s}..{e} outside the text ({} bytes)",
                    src.len()
                );
                assert!(
                    src.is_char_boundary(s) && src.is_char_boundary(e),
                    "span {s}..{e} splits a character"
                );
                assert!(d.span.line >= 1 && d.span.col >= 1);
            }
            let _ = diag::render_all(&diags, "fuzz.pkt", &src);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_script;
    use proptest::prelude::*;

    /// Pieces of the language, glued at random: far likelier than random
    /// bytes to get deep into the parser.
    const PIECES: &[&str] = &[
        "0",
        "+0",
        "+.1",
        "1.5",
        "*",
        "~",
        "...",
        "<",
        ">",
        "S",
        "S.",
        ".",
        "-",
        "P.",
        "F.",
        "R",
        "0:0(0)",
        "1:1001(1000)",
        "ack",
        "win",
        "urg",
        "1",
        "0x10",
        "-1",
        "<mss 1460,sackOK,nop>",
        "<...>",
        "sack",
        "TS",
        "val",
        "ecr",
        "FO",
        "FOEXP",
        "md5",
        "abcd1234",
        "udp",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        "=",
        "|",
        "&",
        "<<",
        "icmp",
        "unreachable",
        "port",
        "mtu",
        "IPV4",
        "192.0.2.1",
        "IPV6",
        "::1",
        ":",
        "gre",
        "mpls",
        "label",
        "[S]",
        "[ect0]",
        "(tos 0x10)",
        "socket",
        "close(3)",
        "SOCK_STREAM",
        "msg_iov(1)=",
        "\"str\"",
        "\"\\x41\"...",
        "${X}",
        "EAGAIN",
        "(note)",
        "`cmd`",
        "%{ x }%",
        "// c",
        "/* c */",
        "\n",
        "\n\n",
        "--opt=1",
        "-D X=1",
        "\t",
        "é",
    ];

    /// Whole lines of every kind, in any order (most orders are errors).
    const LINES: &[&str] = &[
        "--tolerance_usecs=10000",
        "-D TFO_COOKIE=3021b9d8",
        "--strict_segments // flag",
        "`../common/defaults.sh`",
        "`multi\nline`",
        "",
        "",
        "// comment",
        "/* block */",
        "/* two\nlines */",
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3 // trailing",
        "+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>",
        "+.1 > S. 0:0(0) ack 1 <...> /* t */",
        "+0 bind(3, // inside",
        "  ..., ...) = 0",
        "* > sctp: DATA[flgs=BE,",
        "   len=10]",
        "1~+2 %{ assert x }%",
        "+0...0.1 read(4, ..., 1) = -1 EAGAIN (Resource (temporarily) unavailable)",
        "+0 `cmd`",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn token_soup_keeps_the_parser_contract(
            pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..40),
            glue in proptest::collection::vec(proptest::bool::ANY, 40),
        ) {
            let mut src = String::new();
            for (i, p) in pieces.iter().enumerate() {
                src.push_str(p);
                if glue[i % glue.len()] {
                    src.push(' ');
                }
            }
            check_script(src.as_bytes());
        }

        #[test]
        fn shuffled_lines_keep_the_parser_contract(
            lines in proptest::collection::vec(proptest::sample::select(LINES), 0..25),
        ) {
            check_script(lines.join("\n").as_bytes());
        }

        #[test]
        fn arbitrary_bytes_keep_the_parser_contract(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            check_script(&bytes);
        }
    }

    #[test]
    fn known_script_shapes_keep_the_contract() {
        for src in [
            "",
            "\0",
            "// only a comment",
            "0 f(-(5), - -5, 1 - -1, a-b, (1|2)|3) = -(1)\n",
            "0 f(x) = SYM (note) \n+0 g() = h(1) ERR (n (m))\n",
            "--a=1 /* x */ 0 close(3) = 0\n",
            "`a` `b`\n0 close(3) = 0\n`c`",
            "0 close(3) = 0 /* multi\nline */\n+0 close(4) = 0\n",
        ] {
            check_script(src.as_bytes());
        }
    }
}
