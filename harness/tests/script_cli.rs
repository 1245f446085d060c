//! `netdrill parse` and `netdrill fmt` as a user runs them: exit codes, the
//! closing line, diagnostics, and that `fmt` never touches a file it cannot
//! parse.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const GOOD: &str = "0 socket(..., SOCK_STREAM, IPPROTO_TCP)=3 // make it\n+0  close(3)=0\n";
const GOOD_CANONICAL: &str =
    "    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3 // make it\n   +0 close(3) = 0\n";
const BAD: &str = "0 socket(..., SOCK_STREAM IPPROTO_TCP) = 3\n+0 close(3 = 0\n";

fn netdrill(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netdrill"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the netdrill binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::create_dir_all(dir.path().join("sub/deeper")).unwrap();
    fs::write(dir.path().join("good.pkt"), GOOD).unwrap();
    fs::write(dir.path().join("sub/deeper/bad.pkt"), BAD).unwrap();
    fs::write(dir.path().join("sub/canonical.pkt"), GOOD_CANONICAL).unwrap();
    fs::write(dir.path().join("sub/notes.txt"), "not a script").unwrap();
    dir
}

#[test]
fn parse_reports_each_error_and_counts_files() {
    let dir = tree();
    let out = netdrill(&["parse", "."], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "2 parsed, 1 failed\n");
    let err = text(&out.stderr);
    let want = "./sub/deeper/bad.pkt:1:27: error: expected `,` or `)` in the arguments, found `IPPROTO_TCP`\n\
                0 socket(..., SOCK_STREAM IPPROTO_TCP) = 3\n\
                \x20                         ^~~~~~~~~~~\n\
                help: the bracket opened at line 1, column 9\n\
                ./sub/deeper/bad.pkt:2:12: error: expected `,` or `)` in the arguments, found `=`\n\
                +0 close(3 = 0\n\
                \x20          ^\n\
                help: the bracket opened at line 2, column 9\n";
    assert_eq!(err, want);
}

#[test]
fn parse_succeeds_only_when_everything_parses() {
    let dir = tree();
    let out = netdrill(&["parse", "good.pkt", "sub/canonical.pkt"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "2 parsed, 0 failed\n");
    assert!(out.stderr.is_empty());
    let out = netdrill(&["parse", "good.pkt", "missing.pkt"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "1 parsed, 1 failed\n");
    assert!(
        text(&out.stderr).starts_with("missing.pkt: error: "),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn fmt_check_changes_nothing_and_fails_when_a_file_would_change() {
    let dir = tree();
    let out = netdrill(&["fmt", "--check", "."], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "./good.pkt: not in canonical form\n1 would be reformatted, 1 unchanged, 1 failed\n"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("good.pkt")).unwrap(),
        GOOD
    );
    let out = netdrill(&["fmt", "--check", "sub/canonical.pkt"], dir.path());
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn fmt_rewrites_parsable_files_and_leaves_broken_ones_alone() {
    let dir = tree();
    let out = netdrill(&["fmt", "."], dir.path());
    // A file failed to parse, so the run fails, but the others are done.
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "./good.pkt: reformatted\n1 reformatted, 1 unchanged, 1 failed\n"
    );
    assert!(text(&out.stderr).contains("bad.pkt:1:27: error:"));
    assert_eq!(
        fs::read_to_string(dir.path().join("good.pkt")).unwrap(),
        GOOD_CANONICAL
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("sub/deeper/bad.pkt")).unwrap(),
        BAD
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("sub/notes.txt")).unwrap(),
        "not a script"
    );
    // No temporary file is left behind.
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    // Formatting is idempotent.
    let out = netdrill(&["fmt", "good.pkt"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "0 reformatted, 1 unchanged, 0 failed\n");
}

#[cfg(unix)]
#[test]
fn fmt_keeps_file_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tree();
    let path = dir.path().join("good.pkt");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let out = netdrill(&["fmt", "good.pkt"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[cfg(unix)]
#[test]
fn fmt_through_a_symbolic_link_rewrites_the_target_and_keeps_the_link() {
    let dir = tree();
    let link = dir.path().join("link.pkt");
    std::os::unix::fs::symlink("good.pkt", &link).unwrap();
    let out = netdrill(&["fmt", "link.pkt"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("good.pkt")).unwrap(),
        GOOD_CANONICAL
    );
}

#[test]
fn both_verbs_require_a_path() {
    let dir = tree();
    for verb in ["parse", "fmt"] {
        let out = netdrill(&[verb], dir.path());
        assert_eq!(out.status.code(), Some(2), "{verb}");
    }
}
