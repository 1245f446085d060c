use super::*;

#[test]
fn placeholder_parses_minimal() {
    let s = parse("0 close(3) = 0\n").unwrap();
    assert_eq!(s.events.len(), 1);
}
