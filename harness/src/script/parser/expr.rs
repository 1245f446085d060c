//! System calls and their expressions:
//! `+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0`,
//! `connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)`.

use super::{PResult, Parser};
use crate::script::ast::*;
use crate::script::diag::Diagnostic;
use crate::script::lexer::{Tok, unescape};

/// Where an expression stands; it changes how a few tokens read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Inside brackets or a call: anything goes.
    Nested,
    /// A syscall argument: `name=value` is not a field there, so that in
    /// `f(a, B = 3` the missing `)` is reported where it is.
    Arg,
    /// The result: ends with its line; `NAME (note)` is a symbol and a note
    /// (a call there is written `NAME(`); no fields.
    Result,
}

impl Parser<'_> {
    /// `NAME(ARGS) = RESULT [ERRNO] [(note)]`; the end time was read already.
    pub(super) fn syscall(&mut self, end: Option<TimePoint>) -> PResult<Syscall> {
        let name = self.ident("a system call name")?;
        let first = end.as_ref().map_or(name.span, |e| e.at.span);
        if !self.at_punct('(') {
            let d = self.expected(&format!("`(` after the system call name `{}`", name.name));
            let flags = name.name.bytes().all(|b| b"FSRPUEWCAN".contains(&b));
            return Err(if flags && self.tok.kind == Tok::Int {
                d.with_help("a packet starts with `<` (inbound) or `>` (outbound)")
            } else {
                d
            });
        }
        let open = self.bump();
        let args = self
            .expr_list(')', "the arguments", Ctx::Arg)
            .map_err(|d| close_hint(d, open.span))?;
        if !self.at_punct('=') {
            return Err(self.expected("`=` and the expected result"));
        }
        let eq = self.bump();
        if self.tok.line_start || self.tok.kind == Tok::Eof {
            return Err(Diagnostic::new(eq.span, "expected the result after `=`"));
        }
        let result = self.expr(Ctx::Result)?;
        let same_line = |p: &Self| !p.tok.line_start && p.tok.kind != Tok::Eof;
        let errno = if self.tok.kind == Tok::Word && same_line(self) {
            Some(self.ident("an errno name")?)
        } else {
            None
        };
        let note = if self.at_punct('(') && same_line(self) {
            let open = self.tok.span;
            let Some(text) = self.lx.raw_paren_rest() else {
                return Err(
                    Diagnostic::new(open, "unclosed `(` in the note after the result")
                        .with_help("the note in parentheses must end on the same line"),
                );
            };
            self.last = Span {
                end: open.end + text.len() as u32 + 1,
                ..open
            };
            self.tok = self.lx.next_token();
            Some(text.trim().to_string())
        } else {
            None
        };
        Ok(Syscall {
            end,
            name,
            args,
            result,
            errno,
            note,
            span: first.to(self.last),
        })
    }

    /// Items up to `close` (already past the opener), separated by commas;
    /// a trailing comma is allowed.
    fn expr_list(&mut self, close: char, what: &str, ctx: Ctx) -> PResult<Vec<Expr>> {
        let mut items = Vec::new();
        loop {
            if self.eat_punct(close) {
                return Ok(items);
            }
            items.push(self.expr(ctx)?);
            if self.eat_punct(close) {
                return Ok(items);
            }
            if !self.eat_punct(',') {
                return Err(self.expected(&format!("`,` or `{close}` in {what}")));
            }
        }
    }

    /// An expression in context `ctx`.
    fn expr(&mut self, ctx: Ctx) -> PResult<Expr> {
        self.binary(0, ctx)
    }

    /// Precedence climbing over [`BinOp::precedence`]; all operators are
    /// left-associative.
    fn binary(&mut self, min_prec: u8, ctx: Ctx) -> PResult<Expr> {
        let mut lhs = self.unary(ctx)?;
        // Each operator makes the (left-leaning) tree one level deeper, and
        // everything that walks it recurses: chains count towards the depth
        // limit. (On an error, `recover` resets the depth.)
        let mut chain = 0;
        while let Some((op, len)) = self.binop() {
            // A result ends with its line: `+0` on the next line is the next event.
            if op.precedence() < min_prec || (ctx == Ctx::Result && self.tok.line_start) {
                break;
            }
            for _ in 0..len {
                self.bump();
            }
            self.enter()?;
            chain += 1;
            let rhs = self.binary(op.precedence() + 1, ctx)?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
        self.depth -= chain;
        Ok(lhs)
    }

    /// The binary operator at the current token and how many tokens it takes.
    fn binop(&mut self) -> Option<(BinOp, usize)> {
        let Tok::Punct(c) = self.tok.kind else {
            return None;
        };
        let op = match c {
            '|' => BinOp::Or,
            '^' => BinOp::Xor,
            '&' => BinOp::And,
            '+' => BinOp::Add,
            '-' => BinOp::Sub,
            '*' => BinOp::Mul,
            '/' => BinOp::Div,
            '%' => BinOp::Rem,
            '<' | '>' => {
                let next = self.lx.peek();
                if next.is_punct(c) && !next.space_before {
                    return Some((if c == '<' { BinOp::Shl } else { BinOp::Shr }, 2));
                }
                return None;
            }
            _ => return None,
        };
        Some((op, 1))
    }

    fn unary(&mut self, ctx: Ctx) -> PResult<Expr> {
        let op = match self.tok.kind {
            Tok::Punct('-') if self.lx.peek().kind == Tok::Int => {
                let int = self.int("a number")?;
                return Ok(Expr {
                    span: int.span,
                    kind: ExprKind::Int(int),
                });
            }
            Tok::Punct('-') => UnOp::Neg,
            Tok::Punct('~') => UnOp::BitNot,
            Tok::Punct('!') => UnOp::Not,
            _ => return self.primary(ctx),
        };
        let t = self.bump();
        self.enter()?;
        let operand = self.unary(ctx);
        self.leave();
        let operand = operand?;
        let span = t.span.to(operand.span);
        Ok(Expr {
            kind: ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span,
        })
    }

    fn primary(&mut self, ctx: Ctx) -> PResult<Expr> {
        let t = self.tok;
        let kind = match t.kind {
            Tok::Int => ExprKind::Int(self.int("a number")?),
            Tok::Ellipsis => {
                self.bump();
                ExprKind::Ellipsis
            }
            Tok::Str => {
                self.bump();
                let value = unescape(self.text(t));
                let ellipsis = self.tok.kind == Tok::Ellipsis && !self.tok.space_before;
                if ellipsis {
                    self.bump();
                }
                ExprKind::Str { value, ellipsis }
            }
            Tok::Subst => {
                self.bump();
                let text = self.text(t);
                let name = text[2..text.len() - 1].to_string();
                ExprKind::Substitution(Ident { name, span: t.span })
            }
            Tok::Punct('[') => self.nested(']', "the array", ExprKind::Array)?,
            Tok::Punct('{') => self.nested('}', "the struct", ExprKind::Struct)?,
            Tok::Punct('(') => {
                self.bump();
                self.enter()?;
                let inner = self.expr(Ctx::Nested);
                self.leave();
                let mut inner = inner?;
                self.expect_punct(')', "`)` to close the parenthesis")
                    .map_err(|d| close_hint(d, t.span))?;
                inner.span = t.span.to(self.last);
                return Ok(inner);
            }
            Tok::Word => return self.named(ctx),
            Tok::Float => {
                return Err(Diagnostic::new(
                    t.span,
                    format!(
                        "unexpected number `{}`: only integers go in a system call",
                        self.cur()
                    ),
                ));
            }
            _ => return Err(self.expected("an expression")),
        };
        Ok(Expr {
            kind,
            span: t.span.to(self.last),
        })
    }

    /// `[...]` or `{...}` contents after the opener.
    fn nested(
        &mut self,
        close: char,
        what: &str,
        make: fn(Vec<Expr>) -> ExprKind,
    ) -> PResult<ExprKind> {
        let open = self.bump();
        self.enter()?;
        let items = self.expr_list(close, what, Ctx::Nested);
        self.leave();
        Ok(make(items.map_err(|d| close_hint(d, open.span))?))
    }

    /// A symbol, a call `f(x)`, a field `name=value` or `name(len)=value`.
    fn named(&mut self, ctx: Ctx) -> PResult<Expr> {
        let name = self.ident("a name")?;
        if self.at_punct('=') && ctx == Ctx::Nested {
            self.bump();
            let value = self.field_value()?;
            let span = name.span.to(value.span);
            return Ok(Expr {
                kind: ExprKind::Field {
                    name,
                    len: None,
                    value: Box::new(value),
                },
                span,
            });
        }
        if !self.at_punct('(') || (ctx == Ctx::Result && self.tok.space_before) {
            let span = name.span;
            return Ok(Expr {
                kind: ExprKind::Symbol(name),
                span,
            });
        }
        let open = self.bump();
        self.enter()?;
        let args = self.expr_list(
            ')',
            &format!("the arguments of `{}`", name.name),
            Ctx::Nested,
        );
        self.leave();
        let mut args = args.map_err(|d| close_hint(d, open.span))?;
        if self.at_punct('=') && ctx == Ctx::Nested {
            if args.len() != 1 {
                return Err(Diagnostic::new(
                    open.span.to(self.last),
                    "a field length `name(len)=` takes one value",
                ));
            }
            self.bump();
            let value = self.field_value()?;
            let span = name.span.to(value.span);
            let len = args.pop().map(Box::new);
            return Ok(Expr {
                kind: ExprKind::Field {
                    name,
                    len,
                    value: Box::new(value),
                },
                span,
            });
        }
        let span = name.span.to(self.last);
        Ok(Expr {
            kind: ExprKind::Call { name, args },
            span,
        })
    }

    fn field_value(&mut self) -> PResult<Expr> {
        self.enter()?;
        let v = self.expr(Ctx::Nested);
        self.leave();
        v
    }
}

/// Adds where the unclosed bracket opened to a "expected `,` or `)`" error.
fn close_hint(d: Diagnostic, open: Span) -> Diagnostic {
    if d.help.is_none() && d.message.starts_with("expected `,` or") {
        d.with_help(format!(
            "the bracket opened at line {}, column {}",
            open.line, open.col
        ))
    } else {
        d
    }
}
