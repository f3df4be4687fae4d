//! Integration tests: what a run leaves behind when its output cannot be written whole (a
//! signal, a full disk, a closed pipe or stderr) or would overwrite its own input.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

/// A CSV of `n` rows of the dev passages, enough work that a run can be interrupted midway.
fn big_csv(dir: &Path, n: usize) -> std::path::PathBuf {
    let mut rows = csv::Reader::from_path(repo("data/dev.csv")).unwrap();
    let texts: Vec<String> = rows
        .records()
        .map(|r| r.unwrap().get(1).unwrap().to_owned())
        .collect();
    let path = dir.join("big.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(["id", "text"]).unwrap();
    for i in 0..n {
        w.write_record([i.to_string(), texts[i % texts.len()].clone()])
            .unwrap();
    }
    w.flush().unwrap();
    path
}

/// Every line of a JSON Lines file parses, and the file ends with a newline.
fn whole_jsonl(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'), "cut last line");
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("a whole record");
    }
    text.lines().count()
}

/// SIGTERM in the middle of `classify -o`: the batch in hand is written whole, the run says
/// so and exits 143 (128 + 15).
#[test]
fn an_interrupted_run_ends_its_output_on_a_whole_record() {
    let dir = tempfile::tempdir().unwrap();
    let data = big_csv(dir.path(), 40_000);
    let out = dir.path().join("out.jsonl");
    let mut child = slant_process()
        .args([
            "--threads",
            "1",
            "classify",
            "--explain",
            "20",
            "--batch",
            "64",
            "--csv",
        ])
        .arg(&data)
        .arg("-o")
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first records, then stop it while it is busy.
    let start = Instant::now();
    while std::fs::metadata(&out).map_or(0, |m| m.len()) == 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "no output");
        std::thread::sleep(Duration::from_millis(10));
    }
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    if status.code() == Some(0) {
        // The machine was fast enough to finish first: nothing to check.
        eprintln!("finished before the signal; skipped");
        return;
    }
    assert_eq!(status.code(), Some(143), "{err}");
    assert!(err.contains("interrupted by signal 15"), "{err}");
    let n = whole_jsonl(&out);
    assert!(n > 0 && n < 40_000 && n.is_multiple_of(64), "{n} records");
}

/// A disk that fills up: the file is cut back to its last whole record and the error names
/// it. Needs a small tmpfs (root); skipped, saying so, where none can be mounted.
#[test]
fn a_full_disk_leaves_whole_records() {
    let dir = tempfile::tempdir().unwrap();
    let data = big_csv(dir.path(), 4_000);
    let small = dir.path().join("small");
    std::fs::create_dir(&small).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&small)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("cannot mount a small tmpfs here; skipped");
        return;
    }
    // Unmounted however the test ends, so that the temporary directory can go.
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&small);
    for format in ["jsonl", "csv"] {
        let out = small.join(format!("out.{format}"));
        let o = slant()
            .args([
                "classify",
                "--explain",
                "10",
                "--batch",
                "50",
                "--format",
                format,
                "--csv",
            ])
            .arg(&data)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("cannot write {}", out.display())),
            "{err}"
        );
        assert!(
            err.contains("ends on a whole record") && err.contains("No space left"),
            "{err}"
        );
        if format == "jsonl" {
            assert!(whole_jsonl(&out) > 0);
        } else {
            let mut rows = csv::Reader::from_path(&out).unwrap();
            let width = rows.headers().unwrap().len();
            let n = rows
                .records()
                .map(|r| assert_eq!(r.unwrap().len(), width))
                .count();
            assert!(n > 0);
        }
        std::fs::remove_file(&out).unwrap();
    }
}

/// `-o` naming one of the inputs, or a file a directory input would read, is refused before
/// anything is written; the input is left as it was. So is `train -o` onto its data.
#[test]
fn the_output_never_overwrites_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("t.csv");
    std::fs::copy(repo("tests/fixtures/tiny.csv"), &table).unwrap();
    let before = std::fs::read(&table).unwrap();
    let same = dir.path().join(".").join("t.csv");
    refused_as_input(&table, &same);
    let o = train_stance(&table, &table, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is also an input"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&table).unwrap(), before);

    let articles = dir.path().join("articles");
    std::fs::create_dir(&articles).unwrap();
    std::fs::write(articles.join("a.txt"), "Al-Kazemi met the minister.").unwrap();
    let o = slant()
        .args(["classify"])
        .arg(&articles)
        .arg("-o")
        .arg(articles.join("out.txt"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("read for input"), "{}", stderr(&o));
    assert!(!articles.join("out.txt").exists());
    // A kind of file the walk does not read may go there.
    let o = slant()
        .args(["classify"])
        .arg(&articles)
        .arg("-o")
        .arg(articles.join("out.jsonl"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A run that classifies nothing (an empty directory, a table with only its header) fails,
/// so that a script does not go on with an old output file.
#[test]
fn a_run_that_classifies_nothing_fails() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let header = dir.path().join("h.csv");
    std::fs::write(&header, "id,text\n").unwrap();
    let out = dir.path().join("old.jsonl");
    std::fs::write(&out, "{\"old\": true}\n").unwrap();
    for args in [vec![empty.clone()], vec!["--csv".into(), header.clone()]] {
        let o = slant()
            .arg("classify")
            .args(&args)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{:?}: {}", args, stderr(&o));
        assert!(stderr(&o).contains("nothing classified"), "{}", stderr(&o));
    }
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "{\"old\": true}\n");
}

/// stderr that cannot be written (full, closed) never brings the run down: the records are
/// still written and the exit status is the usual one.
#[test]
fn an_unwritable_stderr_does_not_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.jsonl");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let status = slant_process()
        .args(["classify", "data/samples", "no-such-file.txt", "-o"])
        .arg(&out)
        .stderr(Stdio::from(full))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(
        whole_jsonl(&out),
        std::fs::read_dir("data/samples").unwrap().count()
    );
}

/// A reader that closes the pipe early (`| head`) ends the run quietly, but a run that had
/// failed inputs before that still exits 1.
#[test]
fn a_closed_pipe_keeps_the_failures_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let data = big_csv(dir.path(), 20_000);
    let mut child = slant_process()
        .args(["classify", "no-such-file.txt", "--format", "jsonl", "--csv"])
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe is closed here (its read end dropped).
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("no-such-file.txt"), "{err}");
}

/// `classify --csv table -o out` is refused before anything is written: `out` is the table.
fn refused_as_input(table: &Path, out: &Path) {
    let o = slant()
        .args(["classify", "--csv"])
        .arg(table)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is also an input"), "{}", stderr(&o));
}

/// `train -o` through a symbolic link writes the file it names and keeps the link (a
/// `current.bin` link to the model of the day), also when that file is not there yet.
#[test]
fn training_through_a_link_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("v1.bin");
    std::fs::write(&real, b"old").unwrap();
    let link = dir.path().join("current.bin");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = train_stance(&repo("tests/fixtures/tiny.csv"), &link, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(link.is_symlink());
    assert_ne!(std::fs::read(&real).unwrap(), b"old");
    let o = slant()
        .args(["classify", "--format", "jsonl", "--model"])
        .arg(&link)
        .arg("-")
        .write_stdin("Kazemi is brave.")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    // A link to a file not there yet (a relative one, through a second link): the file is
    // written where the links lead, and both links stay.
    let next = dir.path().join("next.bin");
    std::os::unix::fs::symlink("v2.bin", &next).unwrap();
    let via = dir.path().join("via.bin");
    std::os::unix::fs::symlink(&next, &via).unwrap();
    let o = train_stance(&repo("tests/fixtures/tiny.csv"), &via, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(via.is_symlink() && next.is_symlink());
    assert!(dir.path().join("v2.bin").is_file());
}

/// Output files that cannot be written are refused before the work, not after it.
#[test]
fn unwritable_outputs_are_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir").join("out");
    let runs: [Vec<&str>; 4] = [
        vec!["report", "data/samples", "--html"],
        vec!["report", "data/samples", "--write-csv"],
        vec!["suggest", "data/samples", "-o"],
        vec!["eval", "--data", "data/dev.csv", "--html"],
    ];
    for args in runs {
        let o = slant().args(&args).arg(&missing).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains("does not exist"), "{args:?}: {err}");
        // Refused before reading: no summary of classified articles.
        assert!(
            !err.contains("articles from") && !err.contains("scored"),
            "{err}"
        );
    }
}

/// A model written over another keeps the old file's permissions (a model made private stays
/// private); a new one is 0644.
#[test]
fn a_replaced_model_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("m.bin");
    std::fs::write(&old, b"old").unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = train_stance(&repo("tests/fixtures/tiny.csv"), &old, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&old), 0o600);
    let new = dir.path().join("n.bin");
    let o = train_stance(&repo("tests/fixtures/tiny.csv"), &new, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(mode(&new), 0o644);
}

/// The input checks compare files, not names: a hard link to an input is the input; an empty
/// `--ext` (every file is read) guards the whole directory; a hidden file, which the walk
/// never reads, may go there.
#[test]
fn the_output_checks_compare_files_not_names() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("t.csv");
    std::fs::copy(repo("tests/fixtures/tiny.csv"), &table).unwrap();
    let linked = dir.path().join("linked.csv");
    std::fs::hard_link(&table, &linked).unwrap();
    refused_as_input(&table, &linked);
    let articles = dir.path().join("articles");
    std::fs::create_dir(&articles).unwrap();
    std::fs::write(articles.join("a.txt"), "Al-Kazemi met the minister.").unwrap();
    let run = |ext: &str, name: &str| {
        slant()
            .arg("classify")
            .arg(&articles)
            .args(["--ext", ext, "-o"])
            .arg(articles.join(name))
            .output()
            .unwrap()
    };
    let o = run("", "out.jsonl");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("read for input"), "{}", stderr(&o));
    let o = run("txt", ".out.txt");
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `-o` a named pipe whose reader goes away: the write fails, the run says so and ends (it
/// used to reopen the pipe to cut it back, and wait there for ever).
#[test]
fn an_output_pipe_that_closes_ends_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = big_csv(dir.path(), 2_000);
    let fifo = dir.path().join("f");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let f2 = fifo.clone();
    let reader = std::thread::spawn(move || {
        let mut first = [0u8; 100];
        std::fs::File::open(&f2)
            .unwrap()
            .read_exact(&mut first)
            .unwrap();
    });
    let mut child = slant_process()
        .args(["classify", "--batch", "10", "--csv"])
        .arg(&data)
        .arg("-o")
        .arg(&fifo)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    reader.join().unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("still running a minute after its output pipe closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot write") && err.contains("Broken pipe"),
        "{err}"
    );
}
