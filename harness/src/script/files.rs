//! Finding script files: the paths a user names, folders searched for `*.pkt`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A path that could not be used, and why.
#[derive(Debug)]
pub struct PathError {
    pub path: PathBuf,
    pub error: io::Error,
}

/// The scripts named by `paths`: a file is taken as it is (whatever its
/// extension), a folder is searched recursively for `*.pkt` files (symbolic
/// links to folders are not followed, so there is no loop). Each folder's
/// files come sorted by name, so runs are reproducible.
pub fn find_scripts(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<PathError>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match fs::metadata(path) {
            Ok(m) if m.is_dir() => walk(path, &mut found, &mut errors),
            Ok(_) => found.push(path.clone()),
            Err(error) => errors.push(PathError {
                path: path.clone(),
                error,
            }),
        }
    }
    (found, errors)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>, errors: &mut Vec<PathError>) {
    let entries = match fs::read_dir(dir) {
        Ok(rd) => rd.collect::<Result<Vec<_>, _>>(),
        Err(e) => Err(e),
    };
    let mut entries = match entries {
        Ok(e) => e,
        Err(error) => {
            errors.push(PathError {
                path: dir.to_path_buf(),
                error,
            });
            return;
        }
    };
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, found, errors),
            Ok(_) if path.extension().is_some_and(|x| x == "pkt") => {
                // A link to a folder named *.pkt is not a script.
                if !path.is_dir() {
                    found.push(path);
                }
            }
            Ok(_) => {}
            Err(error) => errors.push(PathError { path, error }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_pkt_files_recursively_in_order() {
        let root = std::env::temp_dir().join(format!("netdrill-files-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("b/deeper")).unwrap();
        fs::create_dir_all(root.join("a")).unwrap();
        for f in [
            "b/deeper/z.pkt",
            "b/y.pkt",
            "a/x.pkt",
            "a/notes.txt",
            "top.pkt",
        ] {
            fs::write(root.join(f), "").unwrap();
        }
        let explicit = root.join("a/notes.txt");
        let missing = root.join("nope");
        let (found, errors) = find_scripts(&[root.clone(), explicit.clone(), missing.clone()]);
        let rel: Vec<_> = found
            .iter()
            .map(|p| p.strip_prefix(&root).unwrap_or(p).to_path_buf())
            .collect();
        let want: Vec<PathBuf> = [
            "a/x.pkt",
            "b/deeper/z.pkt",
            "b/y.pkt",
            "top.pkt",
            "a/notes.txt",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(rel, want);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, missing);
        let _ = fs::remove_dir_all(&root);
    }
}
