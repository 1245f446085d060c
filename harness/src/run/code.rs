//! `%{ ... }%` blocks: a small evaluator for the part of Python that scripts
//! use to check `tcp_info` — no Python interpreter involved.
//!
//! Supported: `assert EXPR[, MESSAGE]` statements (one per line or separated
//! by `;`, `\` continuations, `#` comments, `pass`), integer and float
//! arithmetic (`+ - * / // % **`), bit operations (`& | ^ ~ << >>`),
//! comparisons including chains (`5000 <= tcpi_rtt <= 20000`), `and`, `or`,
//! `not`, parentheses, `True`/`False`, strings and `'fmt' % value` messages.
//! Names are `tcpi_*` fields of the socket's `struct tcp_info` and Linux
//! constants (`TCP_CA_Open`, `TCPI_OPT_SYN_DATA`). Anything else — another
//! statement, a call, an unknown name — is reported as unsupported, naming
//! it, before anything runs: a block is executed completely or not at all.

use netdrill_stack::linux::{self, TcpInfo};
use std::fmt;

/// A parsed block, ready to run against any `tcp_info`.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    stmts: Vec<Stmt>,
}

#[derive(Clone, Debug, PartialEq)]
enum Stmt {
    Assert(Assert),
    /// `NAME = expr`: a variable for this and later blocks (packetdrill runs
    /// every block of a script in one Python interpreter).
    Assign(String, Expr),
    /// `print(...)`: evaluated (so unknown names are still caught), output dropped.
    Print(Vec<Expr>),
}

/// Variables assigned by a script's blocks, kept from one block to the next.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Vars(std::collections::BTreeMap<String, Value>);

#[derive(Clone, Debug, PartialEq)]
struct Assert {
    /// The condition as written, for reports.
    text: String,
    cond: Expr,
    message: Option<Expr>,
}

/// Why a block cannot run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeUnsupported(pub String);

/// An assertion that did not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssertFailed {
    /// The condition as written.
    pub condition: String,
    /// The assertion's message, evaluated (Python's `AssertionError: ...`).
    pub message: Option<String>,
    /// The `tcpi_*` names the condition read, with their values.
    pub values: Vec<(String, String)>,
}

impl fmt::Display for AssertFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "assert {}", self.condition)?;
        if let Some(m) = &self.message {
            write!(f, " ({m})")?;
        }
        let vals: Vec<String> = self
            .values
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        if !vals.is_empty() {
            write!(f, " with {}", vals.join(", "))?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    Int(i128),
    Float(f64),
    Str(String),
    Name(String),
    Tuple(Vec<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `a < b <= c`: operands and the operators between them.
    Compare(Vec<Expr>, Vec<CmpOp>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UnOp {
    Neg,
    Pos,
    Invert,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

// ---- lexer ------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Int(i128),
    Float(f64),
    Str(String),
    Name(String),
    Op(&'static str),
    /// End of a statement: a newline outside brackets, or `;`.
    End,
}

const OPS: &[&str] = &[
    "**", "//", "<<", ">>", "<=", ">=", "==", "!=", "+", "-", "*", "/", "%", "&", "|", "^", "~",
    "<", ">", "(", ")", ",", "=",
];

fn lex(src: &str) -> Result<Vec<Tok>, CodeUnsupported> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '\\' if chars.get(i + 1) == Some(&'\n') => i += 2,
            '\\' if chars.get(i + 1) == Some(&'\r') && chars.get(i + 2) == Some(&'\n') => i += 3,
            '\n' | ';' => {
                if depth == 0 || c == ';' {
                    out.push(Tok::End);
                }
                i += 1;
            }
            c if c.is_whitespace() => i += 1,
            '\'' | '"' => {
                let quote = c;
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None | Some('\n') => {
                            return Err(CodeUnsupported("unterminated string in %{ }%".into()));
                        }
                        Some(&q) if q == quote => break,
                        Some('\\') => {
                            let esc = chars.get(i + 1).copied().unwrap_or('\\');
                            s.push(match esc {
                                'n' => '\n',
                                't' => '\t',
                                other => other,
                            });
                            i += 2;
                            continue;
                        }
                        Some(&ch) => s.push(ch),
                    }
                    i += 1;
                }
                i += 1;
                out.push(Tok::Str(s));
            }
            c if c.is_ascii_digit()
                || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_')
                {
                    i += 1;
                }
                let text: String = chars[start..i].iter().filter(|&&c| c != '_').collect();
                out.push(number(&text)?);
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(Tok::Name(chars[start..i].iter().collect()));
            }
            _ => {
                let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
                let Some(op) = OPS.iter().find(|op| rest.starts_with(**op)) else {
                    return Err(CodeUnsupported(format!("character {c:?} in %{{ }}%")));
                };
                match *op {
                    "(" => depth += 1,
                    ")" => depth = depth.saturating_sub(1),
                    _ => {}
                }
                i += op.len();
                out.push(Tok::Op(op));
            }
        }
    }
    out.push(Tok::End);
    Ok(out)
}

fn number(text: &str) -> Result<Tok, CodeUnsupported> {
    let bad = || CodeUnsupported(format!("number {text:?} in %{{ }}%"));
    let lower = text.to_ascii_lowercase();
    let parsed = if let Some(h) = lower.strip_prefix("0x") {
        i128::from_str_radix(h, 16).map(Tok::Int)
    } else if let Some(o) = lower.strip_prefix("0o") {
        i128::from_str_radix(o, 8).map(Tok::Int)
    } else if let Some(b) = lower.strip_prefix("0b") {
        i128::from_str_radix(b, 2).map(Tok::Int)
    } else if lower.contains(['.', 'e']) {
        return lower.parse::<f64>().map(Tok::Float).map_err(|_| bad());
    } else {
        lower.parse::<i128>().map(Tok::Int)
    };
    parsed.map_err(|_| bad())
}

// ---- parser -----------------------------------------------------------------

struct Parser<'a> {
    toks: &'a [Tok],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).unwrap_or(&Tok::End)
    }
    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        self.pos += 1;
        t
    }
    fn eat_op(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Tok::Op(o) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn eat_name(&mut self, name: &str) -> bool {
        if matches!(self.peek(), Tok::Name(n) if n == name) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, CodeUnsupported> {
        let mut lhs = self.and()?;
        while self.eat_name("or") {
            lhs = Expr::Or(Box::new(lhs), Box::new(self.and()?));
        }
        Ok(lhs)
    }
    fn and(&mut self) -> Result<Expr, CodeUnsupported> {
        let mut lhs = self.not()?;
        while self.eat_name("and") {
            lhs = Expr::And(Box::new(lhs), Box::new(self.not()?));
        }
        Ok(lhs)
    }
    fn not(&mut self) -> Result<Expr, CodeUnsupported> {
        if self.eat_name("not") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.compare()
    }
    fn compare(&mut self) -> Result<Expr, CodeUnsupported> {
        let first = self.binary(0)?;
        let mut operands = vec![first];
        let mut ops = Vec::new();
        loop {
            let op = match self.peek() {
                Tok::Op("==") => CmpOp::Eq,
                Tok::Op("!=") => CmpOp::Ne,
                Tok::Op("<") => CmpOp::Lt,
                Tok::Op("<=") => CmpOp::Le,
                Tok::Op(">") => CmpOp::Gt,
                Tok::Op(">=") => CmpOp::Ge,
                _ => break,
            };
            self.pos += 1;
            ops.push(op);
            operands.push(self.binary(0)?);
        }
        if ops.is_empty() {
            return Ok(operands.pop().unwrap_or(Expr::Int(0)));
        }
        Ok(Expr::Compare(operands, ops))
    }

    /// Binary operators by Python precedence, loosest first.
    fn binary(&mut self, level: usize) -> Result<Expr, CodeUnsupported> {
        const LEVELS: &[&[(&str, BinOp)]] = &[
            &[("|", BinOp::BitOr)],
            &[("^", BinOp::BitXor)],
            &[("&", BinOp::BitAnd)],
            &[("<<", BinOp::Shl), (">>", BinOp::Shr)],
            &[("+", BinOp::Add), ("-", BinOp::Sub)],
            &[
                ("*", BinOp::Mul),
                ("//", BinOp::FloorDiv),
                ("/", BinOp::Div),
                ("%", BinOp::Mod),
            ],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        'outer: loop {
            for &(sym, op) in LEVELS[level] {
                if self.eat_op(sym) {
                    let rhs = self.binary(level + 1)?;
                    lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
                    continue 'outer;
                }
            }
            return Ok(lhs);
        }
    }

    fn unary(&mut self) -> Result<Expr, CodeUnsupported> {
        let op = match self.peek() {
            Tok::Op("-") => UnOp::Neg,
            Tok::Op("+") => UnOp::Pos,
            Tok::Op("~") => UnOp::Invert,
            _ => return self.power(),
        };
        self.pos += 1;
        Ok(Expr::Unary(op, Box::new(self.unary()?)))
    }

    fn power(&mut self) -> Result<Expr, CodeUnsupported> {
        let base = self.primary()?;
        if self.eat_op("**") {
            let exp = self.unary()?;
            return Ok(Expr::Binary(BinOp::Pow, Box::new(base), Box::new(exp)));
        }
        Ok(base)
    }

    fn primary(&mut self) -> Result<Expr, CodeUnsupported> {
        match self.bump() {
            Tok::Int(v) => Ok(Expr::Int(v)),
            Tok::Float(v) => Ok(Expr::Float(v)),
            Tok::Str(mut s) => {
                // Adjacent literals concatenate, as in Python.
                while let Tok::Str(more) = self.peek().clone() {
                    s.push_str(&more);
                    self.pos += 1;
                }
                Ok(Expr::Str(s))
            }
            Tok::Name(n) if n == "True" => Ok(Expr::Int(1)),
            Tok::Name(n) if n == "False" => Ok(Expr::Int(0)),
            Tok::Name(n) => {
                if matches!(self.peek(), Tok::Op("(")) {
                    return Err(CodeUnsupported(format!("call {n}() in %{{ }}%")));
                }
                if is_keyword(&n) {
                    return Err(CodeUnsupported(format!("`{n}` in %{{ }}%")));
                }
                Ok(Expr::Name(n))
            }
            Tok::Op("(") => {
                let mut items = vec![self.or()?];
                let mut tuple = false;
                while self.eat_op(",") {
                    tuple = true;
                    if matches!(self.peek(), Tok::Op(")")) {
                        break;
                    }
                    items.push(self.or()?);
                }
                if !self.eat_op(")") {
                    return Err(CodeUnsupported("unbalanced parenthesis in %{ }%".into()));
                }
                if tuple {
                    Ok(Expr::Tuple(items))
                } else {
                    Ok(items.pop().unwrap_or(Expr::Int(0)))
                }
            }
            other => Err(CodeUnsupported(format!("{} in %{{ }}%", describe(&other)))),
        }
    }
}

fn is_keyword(n: &str) -> bool {
    matches!(
        n,
        "import"
            | "from"
            | "if"
            | "else"
            | "elif"
            | "for"
            | "while"
            | "in"
            | "is"
            | "def"
            | "lambda"
            | "print"
            | "return"
            | "assert"
            | "pass"
            | "None"
            | "not"
            | "and"
            | "or"
    )
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Op(o) => format!("`{o}`"),
        Tok::End => "end of statement".into(),
        Tok::Name(n) => format!("`{n}`"),
        Tok::Int(_) | Tok::Float(_) => "number".into(),
        Tok::Str(_) => "string".into(),
    }
}

impl Block {
    /// Parses the text between `%{` and `}%`.
    pub fn parse(src: &str) -> Result<Block, CodeUnsupported> {
        let toks = lex(src)?;
        let mut stmts = Vec::new();
        let mut p = Parser {
            toks: &toks,
            pos: 0,
        };
        while p.pos < toks.len() {
            match p.peek().clone() {
                Tok::End => {
                    p.pos += 1;
                }
                Tok::Name(n) if n == "pass" => {
                    p.pos += 1;
                    expect_end(&mut p)?;
                }
                Tok::Name(n) if n == "assert" => {
                    p.pos += 1;
                    let start = p.pos;
                    let cond = p.or()?;
                    let text = render(&toks[start..p.pos]);
                    let message = if p.eat_op(",") { Some(p.or()?) } else { None };
                    expect_end(&mut p)?;
                    stmts.push(Stmt::Assert(Assert {
                        text,
                        cond,
                        message,
                    }));
                }
                Tok::Name(n)
                    if n == "print" && matches!(toks.get(p.pos + 1), Some(Tok::Op("("))) =>
                {
                    p.pos += 2;
                    let mut args = Vec::new();
                    while !p.eat_op(")") {
                        args.push(p.or()?);
                        if !p.eat_op(",") && !matches!(p.peek(), Tok::Op(")")) {
                            return Err(CodeUnsupported("print(...) arguments in %{ }%".into()));
                        }
                    }
                    expect_end(&mut p)?;
                    stmts.push(Stmt::Print(args));
                }
                Tok::Name(n)
                    if matches!(toks.get(p.pos + 1), Some(Tok::Op("="))) && !is_keyword(&n) =>
                {
                    p.pos += 2;
                    let value = p.or()?;
                    expect_end(&mut p)?;
                    stmts.push(Stmt::Assign(n, value));
                }
                Tok::Name(n) => {
                    let what = if matches!(toks.get(p.pos + 1), Some(Tok::Op("("))) {
                        format!("call {n}()")
                    } else {
                        format!("statement `{n} ...`")
                    };
                    return Err(CodeUnsupported(format!(
                        "{what} in %{{ }}% (only assert, assignment and print are evaluated)"
                    )));
                }
                other => {
                    return Err(CodeUnsupported(format!(
                        "statement starting with {} in %{{ }}% (only assert, assignment and print are evaluated)",
                        describe(&other)
                    )));
                }
            }
        }
        Ok(Block { stmts })
    }

    /// How many statements the block has.
    pub fn len(&self) -> usize {
        self.stmts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stmts.is_empty()
    }

    /// Every name must be known before the block runs (a `tcpi_*` field, a
    /// constant, or a variable assigned earlier), so that a block is never
    /// half executed.
    pub fn check_names(&self, info: &TcpInfo, vars: &Vars) -> Result<(), CodeUnsupported> {
        fn walk(e: &Expr, scope: &Scope<'_>, assigned: &[&str]) -> Result<(), CodeUnsupported> {
            match e {
                Expr::Name(n) if assigned.contains(&n.as_str()) => Ok(()),
                Expr::Name(n) => lookup(n, scope).map(|_| ()),
                Expr::Int(_) | Expr::Float(_) | Expr::Str(_) => Ok(()),
                Expr::Tuple(xs) | Expr::Compare(xs, _) => {
                    xs.iter().try_for_each(|x| walk(x, scope, assigned))
                }
                Expr::Unary(_, x) | Expr::Not(x) => walk(x, scope, assigned),
                Expr::Binary(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
                    walk(a, scope, assigned)?;
                    walk(b, scope, assigned)
                }
            }
        }
        let scope = Scope { info, vars };
        let mut assigned: Vec<&str> = Vec::new();
        for st in &self.stmts {
            match st {
                Stmt::Assert(a) => {
                    walk(&a.cond, &scope, &assigned)?;
                    if let Some(m) = &a.message {
                        walk(m, &scope, &assigned)?;
                    }
                }
                Stmt::Assign(name, e) => {
                    walk(e, &scope, &assigned)?;
                    assigned.push(name);
                }
                Stmt::Print(args) => args.iter().try_for_each(|e| walk(e, &scope, &assigned))?,
            }
        }
        Ok(())
    }

    /// Runs the statements in order against `info`; the first false
    /// assertion stops. Assignments are kept in `vars` for later blocks.
    pub fn run(
        &self,
        info: &TcpInfo,
        vars: &mut Vars,
    ) -> Result<Result<(), AssertFailed>, CodeUnsupported> {
        self.check_names(info, vars)?;
        for st in &self.stmts {
            let scope = Scope { info, vars };
            match st {
                Stmt::Assign(name, e) => {
                    let v = eval(e, &scope)?;
                    vars.0.insert(name.clone(), v);
                }
                Stmt::Print(args) => {
                    for e in args {
                        eval(e, &scope)?;
                    }
                }
                Stmt::Assert(a) => {
                    if eval(&a.cond, &scope)?.truthy() {
                        continue;
                    }
                    let message = a.message.as_ref().map(|m| match eval(m, &scope) {
                        Ok(v) => v.to_string(),
                        Err(e) => format!("<message not evaluated: {}>", e.0),
                    });
                    let mut names = Vec::new();
                    names_in(&a.cond, &mut names);
                    let values = names
                        .into_iter()
                        .filter(|n| n.starts_with("tcpi_") || vars.0.contains_key(n))
                        .map(|n| {
                            let v = lookup(&n, &scope)
                                .map(|v| v.to_string())
                                .unwrap_or_default();
                            (n, v)
                        })
                        .collect();
                    return Ok(Err(AssertFailed {
                        condition: a.text.clone(),
                        message,
                        values,
                    }));
                }
            }
        }
        Ok(Ok(()))
    }
}

/// What names mean while a block runs.
struct Scope<'a> {
    info: &'a TcpInfo,
    vars: &'a Vars,
}

fn expect_end(p: &mut Parser<'_>) -> Result<(), CodeUnsupported> {
    match p.bump() {
        Tok::End => Ok(()),
        other => Err(CodeUnsupported(format!(
            "{} after an expression in %{{ }}%",
            describe(&other)
        ))),
    }
}

fn render(toks: &[Tok]) -> String {
    let mut out = String::new();
    for t in toks {
        let piece = match t {
            Tok::Int(v) => v.to_string(),
            Tok::Float(v) => v.to_string(),
            Tok::Str(s) => format!("{s:?}"),
            Tok::Name(n) => n.clone(),
            Tok::Op(o) => (*o).to_string(),
            Tok::End => continue,
        };
        let tight = matches!(t, Tok::Op("(") | Tok::Op(")") | Tok::Op(",")) || out.ends_with('(');
        if !out.is_empty() && !tight {
            out.push(' ');
        }
        out.push_str(&piece);
    }
    out
}

fn names_in(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Name(n) if !out.contains(n) => out.push(n.clone()),
        Expr::Tuple(xs) | Expr::Compare(xs, _) => xs.iter().for_each(|x| names_in(x, out)),
        Expr::Unary(_, x) | Expr::Not(x) => names_in(x, out),
        Expr::Binary(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
            names_in(a, out);
            names_in(b, out);
        }
        _ => {}
    }
}

// ---- evaluation ---------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Value {
    Int(i128),
    Float(f64),
    Str(String),
    Tuple(Vec<Value>),
}

impl Value {
    fn truthy(&self) -> bool {
        match self {
            Value::Int(v) => *v != 0,
            Value::Float(v) => *v != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Tuple(t) => !t.is_empty(),
        }
    }
    fn num(&self) -> Result<f64, CodeUnsupported> {
        match self {
            Value::Int(v) => Ok(*v as f64),
            Value::Float(v) => Ok(*v),
            _ => Err(CodeUnsupported(
                "arithmetic on a string or tuple in %{ }%".into(),
            )),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(v) => write!(f, "{v}"),
            Value::Str(s) => f.write_str(s),
            Value::Tuple(t) => {
                let parts: Vec<String> = t.iter().map(ToString::to_string).collect();
                write!(f, "({})", parts.join(", "))
            }
        }
    }
}

fn lookup(name: &str, scope: &Scope<'_>) -> Result<Value, CodeUnsupported> {
    if let Some(v) = scope.vars.0.get(name) {
        return Ok(v.clone());
    }
    if let Some(field) = name.strip_prefix("tcpi_") {
        return scope
            .info
            .get(field)
            .map(|v| Value::Int(i128::from(v)))
            .ok_or_else(|| CodeUnsupported(format!("tcp_info field {name} in %{{ }}%")));
    }
    linux::symbol(name)
        .map(|v| Value::Int(i128::from(v)))
        .ok_or_else(|| CodeUnsupported(format!("name {name} in %{{ }}%")))
}

fn eval(e: &Expr, info: &Scope<'_>) -> Result<Value, CodeUnsupported> {
    Ok(match e {
        Expr::Int(v) => Value::Int(*v),
        Expr::Float(v) => Value::Float(*v),
        Expr::Str(s) => Value::Str(s.clone()),
        Expr::Name(n) => lookup(n, info)?,
        Expr::Tuple(xs) => {
            Value::Tuple(xs.iter().map(|x| eval(x, info)).collect::<Result<_, _>>()?)
        }
        Expr::Not(x) => Value::Int(i128::from(!eval(x, info)?.truthy())),
        Expr::And(a, b) => {
            let l = eval(a, info)?;
            if l.truthy() { eval(b, info)? } else { l }
        }
        Expr::Or(a, b) => {
            let l = eval(a, info)?;
            if l.truthy() { l } else { eval(b, info)? }
        }
        Expr::Unary(op, x) => match (op, eval(x, info)?) {
            (UnOp::Neg, Value::Int(v)) => Value::Int(v.checked_neg().ok_or_else(overflow)?),
            (UnOp::Neg, Value::Float(v)) => Value::Float(-v),
            (UnOp::Pos, v @ (Value::Int(_) | Value::Float(_))) => v,
            (UnOp::Invert, Value::Int(v)) => Value::Int(!v),
            _ => {
                return Err(CodeUnsupported(
                    "unary operator on a non-number in %{ }%".into(),
                ));
            }
        },
        // `a < b < c` is `a < b and b < c` with `b` evaluated once: the
        // first false link stops, and later operands are not evaluated.
        Expr::Compare(xs, ops) => {
            let Some((first, rest)) = xs.split_first() else {
                return Ok(Value::Int(1));
            };
            let mut left = eval(first, info)?;
            for (op, x) in ops.iter().zip(rest) {
                let right = eval(x, info)?;
                if !compare(*op, &left, &right)? {
                    return Ok(Value::Int(0));
                }
                left = right;
            }
            Value::Int(1)
        }
        Expr::Binary(op, a, b) => binary(*op, eval(a, info)?, eval(b, info)?)?,
    })
}

fn overflow() -> CodeUnsupported {
    CodeUnsupported("integer overflow in %{ }%".into())
}

fn compare(op: CmpOp, a: &Value, b: &Value) -> Result<bool, CodeUnsupported> {
    let numeric = |v: &Value| matches!(v, Value::Int(_) | Value::Float(_));
    let ord = match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.partial_cmp(y),
        (Value::Str(x), Value::Str(y)) => x.partial_cmp(y),
        (Value::Tuple(x), Value::Tuple(y)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => {
            let mut same = x.len() == y.len();
            for (p, q) in x.iter().zip(y) {
                same = same && compare(CmpOp::Eq, p, q)?;
            }
            return Ok(same == (op == CmpOp::Eq));
        }
        // Values of unrelated types are never equal (Python), and have no order.
        _ if !(numeric(a) && numeric(b)) && matches!(op, CmpOp::Eq | CmpOp::Ne) => {
            return Ok(op == CmpOp::Ne);
        }
        _ => a.num()?.partial_cmp(&b.num()?),
    };
    use std::cmp::Ordering::*;
    Ok(match (op, ord) {
        (CmpOp::Ne, None) => true,
        (_, None) => false,
        (CmpOp::Eq, Some(o)) => o == Equal,
        (CmpOp::Ne, Some(o)) => o != Equal,
        (CmpOp::Lt, Some(o)) => o == Less,
        (CmpOp::Le, Some(o)) => o != Greater,
        (CmpOp::Gt, Some(o)) => o == Greater,
        (CmpOp::Ge, Some(o)) => o != Less,
    })
}

fn binary(op: BinOp, a: Value, b: Value) -> Result<Value, CodeUnsupported> {
    if let (BinOp::Mod, Value::Str(fmt)) = (op, &a) {
        return format_percent(fmt, &b).map(Value::Str);
    }
    if let (Value::Int(x), Value::Int(y)) = (&a, &b) {
        let (x, y) = (*x, *y);
        let zero = || CodeUnsupported("division by zero in %{ }%".into());
        let v = match op {
            BinOp::Add => x.checked_add(y),
            BinOp::Sub => x.checked_sub(y),
            BinOp::Mul => x.checked_mul(y),
            BinOp::Div => {
                if y == 0 {
                    return Err(zero());
                }
                return Ok(Value::Float(x as f64 / y as f64));
            }
            // Python floors towards negative infinity.
            BinOp::FloorDiv => {
                if y == 0 {
                    return Err(zero());
                }
                Some(x.div_euclid(y) - i128::from(y < 0 && x.rem_euclid(y) != 0))
            }
            BinOp::Mod => {
                if y == 0 {
                    return Err(zero());
                }
                let r = x.rem_euclid(y);
                Some(if y < 0 && r != 0 { r + y } else { r })
            }
            // A negative exponent gives a float (`2 ** -1 == 0.5`).
            BinOp::Pow if y < 0 => {
                if x == 0 {
                    return Err(zero());
                }
                return Ok(Value::Float((x as f64).powf(y as f64)));
            }
            BinOp::Pow => u32::try_from(y).ok().and_then(|e| x.checked_pow(e)),
            BinOp::BitAnd => Some(x & y),
            BinOp::BitOr => Some(x | y),
            BinOp::BitXor => Some(x ^ y),
            BinOp::Shl => u32::try_from(y)
                .ok()
                .filter(|&s| s < 127)
                .and_then(|s| x.checked_shl(s)),
            BinOp::Shr => u32::try_from(y).ok().map(|s| x >> s.min(127)),
        };
        return v.map(Value::Int).ok_or_else(overflow);
    }
    let (x, y) = (a.num()?, b.num()?);
    Ok(Value::Float(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        BinOp::FloorDiv => (x / y).floor(),
        BinOp::Mod => x - y * (x / y).floor(),
        BinOp::Pow => x.powf(y),
        _ => return Err(CodeUnsupported("bit operation on a float in %{ }%".into())),
    }))
}

/// `'cwnd=%d' % value`: the printf-style conversions messages use.
fn format_percent(fmt: &str, args: &Value) -> Result<String, CodeUnsupported> {
    let args: Vec<&Value> = match args {
        Value::Tuple(t) => t.iter().collect(),
        v => vec![v],
    };
    let mut next = args.into_iter();
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let conv = chars
            .next()
            .ok_or_else(|| CodeUnsupported("lone % in a format".into()))?;
        if conv == '%' {
            out.push('%');
            continue;
        }
        let v = next
            .next()
            .ok_or_else(|| CodeUnsupported("too few format arguments".into()))?;
        match (conv, v) {
            ('d' | 'i' | 'u', Value::Float(f)) => out.push_str(&(f.trunc() as i128).to_string()),
            ('d' | 'i' | 'u' | 's', v) => out.push_str(&v.to_string()),
            ('x', Value::Int(i)) => out.push_str(&format!("{i:x}")),
            _ => return Err(CodeUnsupported(format!("format %{conv}"))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> TcpInfo {
        let mut i = TcpInfo::new();
        i.set("snd_cwnd", 10);
        i.set("rtt", 12_000);
        i.set("ca_state", 3);
        i.set("options", 1 | 2 | 32);
        i
    }

    fn run(src: &str) -> Result<Result<(), AssertFailed>, CodeUnsupported> {
        Block::parse(src)?.run(&info(), &mut Vars::default())
    }

    #[test]
    fn assertion_forms_from_real_scripts() {
        let holds = [
            "assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd",
            "assert tcpi_snd_cwnd == 10, 'cwnd=%d' % tcpi_snd_cwnd",
            "assert 5000 <= tcpi_rtt <= 20000, 'srtt=%d us' % tcpi_rtt",
            "assert tcpi_ca_state == TCP_CA_Recovery, tcpi_ca_state",
            "assert (tcpi_options & TCPI_OPT_SYN_DATA) != 0, tcpi_options",
            "\nassert tcpi_ca_state == TCP_CA_Recovery, tcpi_ca_state\nassert tcpi_snd_cwnd == 10, tcpi_snd_cwnd  # no cwnd moderation\n",
            "assert tcpi_snd_cwnd == 10; \\\n assert tcpi_rtt > 0",
            "assert tcpi_snd_cwnd * 2 - 1 == 19 and not tcpi_unacked",
            "assert tcpi_snd_cwnd // 3 == 3 and -7 // 2 == -4 and 7 % -3 == -2",
            "assert 2 ** 3 == 8 and 1 << 4 == 16 and ~0 == -1 and 5 ^ 1 == 4",
            "assert tcpi_rtt / 1000 == 12.0 and 0x10 == 16",
            "assert (tcpi_snd_cwnd, 1)",
            "pass",
            "",
        ];
        for src in holds {
            assert_eq!(run(src), Ok(Ok(())), "{src}");
        }
    }

    /// Evaluates one expression against [`info`].
    fn value(src: &str) -> Result<Value, CodeUnsupported> {
        let toks = lex(src)?;
        let mut p = Parser {
            toks: &toks,
            pos: 0,
        };
        let e = p.or()?;
        expect_end(&mut p)?;
        let i = info();
        let vars = Vars::default();
        eval(
            &e,
            &Scope {
                info: &i,
                vars: &vars,
            },
        )
    }

    /// Python's precedence, loosest first: `or`, `and`, `not`, comparisons
    /// (chained), `|`, `^`, `&`, shifts, `+ -`, `* / // %`, unary `- + ~`,
    /// `**` (right-associative, and tighter than a unary operator on its
    /// left). Each value is what `python3` gives for the expression with
    /// the fields of [`info`] (booleans as 0/1), so `tcpi_options & 4 == 0`
    /// is `(tcpi_options & 4) == 0`, not C's `tcpi_options & (4 == 0)`.
    #[test]
    fn expressions_evaluate_as_python_does() {
        #[allow(non_snake_case)]
        fn I(v: i128) -> Value {
            Value::Int(v)
        }
        #[allow(non_snake_case)]
        fn F(v: f64) -> Value {
            Value::Float(v)
        }
        let table = [
            ("tcpi_options & 4 == 0", I(1)),
            ("tcpi_options & 1 == 1", I(1)),
            ("tcpi_options & TCPI_OPT_WSCALE != 0", I(0)),
            ("tcpi_options & 2 == 2 and tcpi_snd_cwnd == 10", I(1)),
            ("1 | 2 == 3", I(1)),
            ("1 | 2 ^ 3", I(1)),
            ("1 ^ 2 & 3", I(3)),
            ("6 & 3 << 1", I(6)),
            ("1 << 2 + 1", I(8)),
            ("2 + 3 * 4", I(14)),
            ("2 * 3 ** 2", I(18)),
            ("-2 ** 2", I(-4)),
            ("2 ** -1", F(0.5)),
            ("2 ** 3 ** 2", I(512)),
            ("(-2) ** 2", I(4)),
            ("-7 // 2", I(-4)),
            ("7 // -2", I(-4)),
            ("-7 % 3", I(2)),
            ("7 % -3", I(-2)),
            ("-7.5 // 2", F(-4.0)),
            ("7.5 % -2", F(-0.5)),
            ("7 / 2", F(3.5)),
            ("-7 >> 1", I(-4)),
            ("~5 & 0xff", I(250)),
            ("~-1", I(0)),
            ("not 1 == 2", I(1)),
            ("not tcpi_snd_cwnd", I(0)),
            ("not 0 + 1", I(0)),
            ("1 < 2 < 3", I(1)),
            ("3 > 2 > 1 == 1", I(1)),
            ("1 < 3 > 2", I(1)),
            ("1 < 2 > 3", I(0)),
            ("1 == 1 == 1", I(1)),
            ("2 == 2 != 3", I(1)),
            ("5000 <= tcpi_rtt <= 20000", I(1)),
            ("0 < tcpi_snd_cwnd - 10 < 5", I(0)),
            ("1 and 2", I(2)),
            ("0 and 1", I(0)),
            ("0 or 3", I(3)),
            ("2 or 0", I(2)),
            ("1 or 0 and 0", I(1)),
            ("(1 or 0) and 0", I(0)),
            ("not 1 or 1", I(1)),
            ("not (1 or 1)", I(0)),
            ("0 and 1 or 2", I(2)),
            ("1 + (1 < 2)", I(2)),
            ("(1 < 2) * 5", I(5)),
            ("True + True", I(2)),
            ("True == 1", I(1)),
            ("1 == 1.0", I(1)),
            ("0.1 + 0.2 == 0.3", I(0)),
            ("10 - 2 - 3", I(5)),
            ("2 ** 2 ** -1", F(std::f64::consts::SQRT_2)),
            ("100 // 7 % 3", I(2)),
            ("100 % 7 // 3", I(0)),
            ("-3 % 5 * 2", I(4)),
            ("1 - -1", I(2)),
            ("- - 1", I(1)),
            ("+-3", I(-3)),
            ("3 - ~2", I(6)),
            ("tcpi_ca_state == TCP_CA_Recovery", I(1)),
            ("16 >> 2 << 1", I(8)),
            ("1 < 0 < 1 / 0", I(0)),
            ("0 and 1 / 0", I(0)),
            ("'a' == 1", I(0)),
            ("'a' != 1", I(1)),
            ("1 == 'a'", I(0)),
            ("tcpi_rtt / 1000 >= 12", I(1)),
            ("0x10 | 0o10 | 0b10", I(26)),
            ("1_000 * 2", I(2000)),
            ("7 // 2 * 2 + 7 % 2 == 7", I(1)),
            ("2 ** 10 - 1 & 0x3f0", I(1008)),
            ("5 & 3 | 8 ^ 2", I(11)),
        ];
        for (src, want) in table {
            assert_eq!(value(src), Ok(want), "{src}");
        }
    }

    #[test]
    fn python_errors_are_unsupported_not_values() {
        let table = [
            ("0 ** -1", "division by zero"),
            ("1 // 0", "division by zero"),
            ("1 % 0", "division by zero"),
            ("1 < 'a'", "string"),
            ("1.5 & 1", "bit operation on a float"),
            ("1 == not 2", "`not` in"),
        ];
        for (src, want) in table {
            let err = value(src).unwrap_err();
            assert!(err.0.contains(want), "{src}: {err:?}");
        }
    }

    #[test]
    fn false_assertions_fail_with_message_and_values() {
        let got = run("assert tcpi_snd_cwnd == 12, 'cwnd=%d' % tcpi_snd_cwnd").unwrap();
        let f = got.unwrap_err();
        assert_eq!(f.condition, "tcpi_snd_cwnd == 12");
        assert_eq!(f.message.as_deref(), Some("cwnd=10"));
        assert_eq!(
            f.values,
            vec![("tcpi_snd_cwnd".to_string(), "10".to_string())]
        );
        assert_eq!(
            f.to_string(),
            "assert tcpi_snd_cwnd == 12 (cwnd=10) with tcpi_snd_cwnd=10"
        );
        // A chain is false if any link is.
        assert!(run("assert 5000 <= tcpi_rtt <= 10000").unwrap().is_err());
        // Only the first failing assertion is reported.
        let f = run("assert 1 == 1\nassert tcpi_ca_state == TCP_CA_Open, tcpi_ca_state\nassert 0")
            .unwrap()
            .unwrap_err();
        assert_eq!(f.message.as_deref(), Some("3"));
    }

    #[test]
    fn anything_else_is_unsupported_and_named() {
        let table = [
            ("import os", "`import ...`"),
            ("x += tcpi_rtt", "statement `x ...`"),
            ("len(tcpi_rtt)", "call len()"),
            ("assert len(tcpi_rtt) == 1", "call len()"),
            (
                "assert tcpi_no_such_field == 1",
                "tcp_info field tcpi_no_such_field",
            ),
            ("assert NOT_A_CONSTANT == 1", "name NOT_A_CONSTANT"),
            ("assert 1 == 1 1", "number after an expression"),
            ("assert 'abc", "unterminated string"),
            ("assert 1 / 0", "division by zero"),
            ("assert [1]", "character '['"),
        ];
        for (src, want) in table {
            let err = run(src).unwrap_err();
            assert!(err.0.contains(want), "{src}: {err:?}");
        }
    }

    #[test]
    fn unknown_names_stop_the_block_before_any_assertion_runs() {
        // The first assertion is false, but the block is unsupported as a whole.
        let err = run("assert 0\nassert tcpi_bogus == 1").unwrap_err();
        assert!(err.0.contains("tcpi_bogus"), "{err:?}");
    }

    #[test]
    fn assignments_carry_over_to_later_blocks_and_print_is_accepted() {
        let mut vars = Vars::default();
        let set = Block::parse("TCP_INFINITE_SSTHRESH = 0x7fffffff").unwrap();
        assert_eq!(set.run(&info(), &mut vars), Ok(Ok(())));
        let mut i = info();
        i.set("snd_ssthresh", 0x7fff_ffff);
        let check = Block::parse("print(tcpi_snd_ssthresh); assert tcpi_snd_ssthresh == TCP_INFINITE_SSTHRESH, tcpi_snd_ssthresh").unwrap();
        assert_eq!(check.run(&i, &mut vars), Ok(Ok(())));
        i.set("snd_ssthresh", 7);
        let f = check.run(&i, &mut vars).unwrap().unwrap_err();
        assert!(
            f.values.contains(&(
                "TCP_INFINITE_SSTHRESH".to_string(),
                "2147483647".to_string()
            )),
            "{f}"
        );
        // Without the assignment the name is unknown, and the block unsupported.
        assert!(check.run(&i, &mut Vars::default()).is_err());
        // Within a block, an assignment is visible to the statements after it.
        let b = Block::parse("x = tcpi_snd_cwnd * 2\nassert x == 20").unwrap();
        assert_eq!(b.run(&info(), &mut Vars::default()), Ok(Ok(())));
        assert!(
            Block::parse("assert y == 1\ny = 1")
                .unwrap()
                .run(&info(), &mut Vars::default())
                .is_err()
        );
    }

    #[test]
    fn short_tcp_info_makes_newer_fields_unsupported() {
        let short = TcpInfo::from_bytes(&info().to_bytes()[..104]);
        let b = Block::parse("assert tcpi_snd_cwnd == 10\nassert tcpi_busy_time > 0").unwrap();
        assert!(b.run(&short, &mut Vars::default()).is_err());
        let b = Block::parse("assert tcpi_snd_cwnd == 10").unwrap();
        assert_eq!(b.run(&short, &mut Vars::default()), Ok(Ok(())));
        assert_eq!(b.len(), 1);
    }
}
