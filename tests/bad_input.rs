//! The bad-input corpus: every file in `tests/data/bad-input/` must be refused with a clear message.
//!
//! Each file's first line names what the error must contain: `# expect: <text>` for TOML model files,
//! and a sidecar `<name>.expect` for other formats. The run must fail with exit code 1, print the
//! message naming the file, not panic, and leave no output file.

mod common;

use std::path::Path;

use common::*;

fn expected_message(path: &Path) -> String {
    let sidecar = path.with_extension(format!(
        "{}.expect",
        path.extension().unwrap().to_str().unwrap()
    ));
    if sidecar.exists() {
        return std::fs::read_to_string(sidecar).unwrap().trim().to_owned();
    }
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("# expect: "))
        .unwrap_or_else(|| {
            panic!(
                "{} has no `# expect:` line or .expect sidecar",
                path.display()
            )
        })
        .to_owned()
}

#[test]
fn every_bad_input_is_refused_with_its_message() {
    let corpus = repository().join("tests/data/bad-input");
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let dir = tempfile::tempdir().unwrap();
        let file = path.to_str().unwrap();
        let output = match extension {
            "toml" => pinch(
                dir.path(),
                &[
                    "generate", "-n", "2000", "--seed", "1", "--model", file, "-o", "out.h5",
                ],
            ),
            "xyz" => pinch(dir.path(), &["import", file, "out.h5"]),
            "h5" => pinch(dir.path(), &["export", file, "out.xyz"]),
            _ => continue,
        };
        let expected = expected_message(&path);
        let message = stderr(&output);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}: exit status {:?}, stderr:\n{message}",
            path.display(),
            output.status
        );
        assert!(
            message.contains(&expected),
            "{}: stderr lacks {expected:?}:\n{message}",
            path.display()
        );
        assert!(
            message.contains(path.file_name().unwrap().to_str().unwrap()),
            "{}: message does not name the file:\n{message}",
            path.display()
        );
        assert!(
            !message.contains("panicked"),
            "{}: panic:\n{message}",
            path.display()
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(
            left.is_empty(),
            "{}: output left behind: {left:?}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} corpus files checked");
}

#[test]
fn a_system_too_small_for_its_box_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let output = pinch(
        dir.path(),
        &["generate", "-n", "100", "--seed", "1", "-o", "out.h5"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("`n_particles` = 100"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("use at least"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("out.h5").exists());
}

#[test]
fn usage_errors_exit_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = pinch(dir.path(), &["generate", "--seed", "1", "-o", "x.h5"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--n-particles"));
}
