//! Parse throughput over the upstream packetdrill suite (`../shared`), or
//! over `corpus/` where the suite is missing: MB/s (`parse/bytes`) and
//! scripts/s (`parse/scripts`), plus the printer (`print/bytes`).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use netdrill::script;
use std::hint::black_box;
use std::path::PathBuf;

fn scripts() -> (String, Vec<String>) {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let peer = manifest.join("../../shared/peer-suites");
    let (what, root) = if peer.is_dir() {
        ("peer suite", peer)
    } else {
        ("corpus (no ../shared)", manifest.join("../corpus"))
    };
    let (paths, _) = script::files::find_scripts(&[root]);
    let texts: Vec<String> = paths
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    (what.to_string(), texts)
}

fn bench(c: &mut Criterion) {
    let (what, texts) = scripts();
    let bytes: usize = texts.iter().map(String::len).sum();
    eprintln!(
        "benchmarking over the {what}: {} scripts, {bytes} bytes",
        texts.len()
    );
    let parse_all = || {
        for t in &texts {
            let _ = black_box(script::parse(black_box(t)));
        }
    };
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("bytes", |b| b.iter(parse_all));
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("scripts", |b| b.iter(parse_all));
    g.finish();

    let asts: Vec<_> = texts.iter().filter_map(|t| script::parse(t).ok()).collect();
    let mut g = c.benchmark_group("print");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("bytes", |b| {
        b.iter(|| {
            for a in &asts {
                black_box(script::print(black_box(a)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
