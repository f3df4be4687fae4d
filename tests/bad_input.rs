//! The bad-input suite (issue 6): the real binary against broken and hostile input.
//!
//! For every case: each bad item is reported on stderr with its path (and line or record), every
//! good item in the same batch is still classified and written, nothing panics, and the exit
//! code is 0 (success), 1 (some items failed) or 2 (fatal or usage error). docs/RELIABILITY.md
//! lists the same inputs with what slant does with each.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use common::*;
use serde_json::Value;

fn model() -> &'static Path {
    static M: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, p) = M.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let p = tiny_model(dir.path());
        (dir, p)
    });
    p
}

fn classify(args: &[&str], paths: &[&Path]) -> Output {
    let mut c = slant();
    c.args(["classify", "--format", "jsonl", "--model"])
        .arg(model())
        .args(args);
    for p in paths {
        c.arg(p);
    }
    c.output().unwrap()
}

fn ids(o: &Output) -> Vec<String> {
    jsonl(o)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn file_name(id: &str) -> &str {
    Path::new(id).file_name().unwrap().to_str().unwrap()
}

/// No panic, abort or signal: the process ended with one of the documented codes.
fn assert_clean(o: &Output, code: i32) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

fn utf16(text: &str, le: bool) -> Vec<u8> {
    let mut b = if le {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for u in text.encode_utf16() {
        b.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    b
}

#[test]
fn text_files_good_and_bad_in_one_batch() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("batch");
    std::fs::create_dir(&d).unwrap();
    let w = |name: &str, bytes: &[u8]| std::fs::write(d.join(name), bytes).unwrap();
    w("a01_good.txt", b"Kazemi met officials about the budget.");
    w("a02_empty.txt", b"");
    w("a03_spaces.txt", b"  \n\t \r\n  ");
    w("a04_nul.txt", b"Kazemi\0\0\0met\0them");
    w(
        "a05_junk.txt",
        &(0..=255u8).cycle().take(4096).collect::<Vec<_>>(),
    );
    w("a06_latin1.txt", b"Kazemi visited the caf\xE9 in Baghdad.");
    w(
        "a07_utf16le.txt",
        &utf16("Kadhimi met the Iraqi delegation.", true),
    );
    w(
        "a08_utf16be.txt",
        &utf16("Kadhimi met the Iraqi delegation.", false),
    );
    w(
        "a09_utf8bom.txt",
        b"\xEF\xBB\xBFKazemi met officials in Erbil.",
    );
    w(
        "a10_crlf.txt",
        b"Kazemi met officials.\r\nThe talks went on.\r\n\r\nKadhimi left.\r\n",
    );
    w("a11_odd_utf16.txt", b"\xFF\xFEK\0a\0z");
    // A 10 MB line.
    let mut long_line = b"Kazemi ".to_vec();
    long_line.resize(10 << 20, b'a');
    long_line.extend_from_slice(b" end of the line.");
    w("a12_long_line.txt", &long_line);
    // An unreadable file (for root, who reads everything, it is read like any other), and a
    // named pipe, which a directory walk must not open (opening would block for ever).
    w("a13_locked.txt", b"Kazemi met the minister.");
    let locked = d.join("a13_locked.txt");
    let mut perm = std::fs::metadata(&locked).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o000);
    std::fs::set_permissions(&locked, perm).unwrap();
    let root_reads_it = std::fs::read(&locked).is_ok();
    let fifo = d.join("a14_pipe.txt");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    std::os::unix::fs::symlink(d.join("nowhere.txt"), d.join("a15_dangling.txt")).unwrap();
    std::os::unix::fs::symlink(&d, d.join("a16_loop")).unwrap();
    w("a17_good.txt", b"Kadhimi bravely stood up to the militias.");

    // Outside the directory: paths that do not exist, dangle, or loop.
    let missing = dir.path().join("missing.txt");
    let dangling = dir.path().join("dangling.txt");
    std::os::unix::fs::symlink(dir.path().join("gone.txt"), &dangling).unwrap();
    let (l1, l2) = (dir.path().join("loop1.txt"), dir.path().join("loop2.txt"));
    std::os::unix::fs::symlink(&l2, &l1).unwrap();
    std::os::unix::fs::symlink(&l1, &l2).unwrap();
    let last = dir.path().join("last.txt");
    std::fs::write(&last, "Al-Kazemi spoke to reporters.").unwrap();

    let o = classify(&[], &[&d, &missing, &dangling, &l1, &last]);
    assert_clean(&o, 1);
    let got: Vec<String> = ids(&o).iter().map(|i| file_name(i).to_owned()).collect();
    let mut want = vec![
        "a01_good.txt",
        "a06_latin1.txt",
        "a07_utf16le.txt",
        "a08_utf16be.txt",
        "a09_utf8bom.txt",
        "a10_crlf.txt",
        "a12_long_line.txt",
    ];
    if root_reads_it {
        want.push("a13_locked.txt");
    }
    want.extend(["a17_good.txt", "last.txt"]);
    assert_eq!(got, want);

    let err = stderr(&o);
    let says = |name: &str, what: &str| {
        assert!(
            err.lines().any(|l| l.contains(name) && l.contains(what)),
            "no `{what}` for {name} in:\n{err}"
        )
    };
    says("a02_empty.txt", "empty document");
    says("a03_spaces.txt", "empty document");
    says("a04_nul.txt", "binary file");
    says("a05_junk.txt", "binary file");
    says("a06_latin1.txt", "not valid UTF-8");
    says("a11_odd_utf16.txt", "odd number of bytes");
    if !root_reads_it {
        says("a13_locked.txt", "ermission denied");
    }
    says("a14_pipe.txt", "not a regular file");
    says("a15_dangling.txt", "No such file");
    says("a16_loop", "symbolic link loop");
    says("missing.txt", "no such file or directory");
    says("dangling.txt", "dangling symbolic link");
    says(
        "loop1.txt",
        "cannot follow the symbolic link: Too many levels of symbolic links",
    );

    // Decoded texts are read right: BOMs and CRLF leave no trace, UTF-16 is text.
    let recs = jsonl(&o);
    let rec = |name: &str| -> &Value {
        recs.iter()
            .find(|r| file_name(r["id"].as_str().unwrap()) == name)
            .unwrap()
    };
    for name in [
        "a07_utf16le.txt",
        "a08_utf16be.txt",
        "a09_utf8bom.txt",
        "a10_crlf.txt",
    ] {
        assert!(rec(name)["mentions"].as_u64().unwrap() >= 1, "{name}");
    }
    assert_eq!(
        rec("a07_utf16le.txt")["tokens"],
        rec("a08_utf16be.txt")["tokens"]
    );
    assert_eq!(rec("a10_crlf.txt")["mentions"], 2);
}

#[test]
fn a_200_mb_file_is_cut_at_the_limit_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.txt");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
        let para = "Kazemi met officials in Baghdad and the talks went on. ".repeat(64);
        let mut n = 0;
        while n < 200 << 20 {
            f.write_all(para.as_bytes()).unwrap();
            n += para.len();
        }
    }
    let small = dir.path().join("small.txt");
    std::fs::write(&small, "Kadhimi met the minister.").unwrap();
    let o = slant()
        .args(["classify", "--format", "jsonl", "--max-bytes", "1000000"])
        .arg("--model")
        .arg(model())
        .arg(&big)
        .arg(&small)
        .output()
        .unwrap();
    assert_clean(&o, 0);
    let recs = jsonl(&o);
    assert_eq!(recs.len(), 2);
    // ~1 MB of a 56-byte sentence: about 18,000 sentences of 10 tokens.
    let tokens = recs[0]["tokens"].as_u64().unwrap();
    assert!((150_000..200_000).contains(&tokens), "{tokens}");
    let err = stderr(&o);
    assert!(
        err.contains("big.txt") && err.contains("truncated"),
        "{err}"
    );

    // The default limit (16 MiB) takes the same path.
    let o = classify(&[], &[&big]);
    assert_clean(&o, 0);
    assert!(stderr(&o).contains("truncated"));
}

#[test]
fn csv_inputs_name_the_line_and_keep_the_good_rows() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    // Ragged rows, an empty text, duplicate ids, a 300 kB field (longer than --max-bytes) and
    // a 50 MB one (longer than 4 x --max-bytes + 4, over several lines) in one file.
    let mut csv = String::from("id,text\n");
    csv.push_str("r1,Kazemi met officials.\n");
    csv.push_str("r2,too,many,fields\n");
    csv.push_str("r3\n");
    csv.push_str("r4,\n");
    csv.push_str("r1,Kadhimi met them again.\n");
    csv.push_str("r5,\"Kazemi ");
    csv.push_str(&"x".repeat(300_000));
    csv.push_str("\"\n");
    csv.push_str("r6,Al-Kazemi left Baghdad.\n");
    csv.push_str("r7,\"Kazemi ");
    csv.push_str(&"x, \"\"y\"\"\n".repeat(5 << 20));
    csv.push_str("\"\n");
    csv.push_str("r8,Kadhimi spoke.\n");
    std::fs::write(p("rows.csv"), &csv).unwrap();
    // An unterminated quote swallows the rest of the file: the rows before it survive.
    std::fs::write(
        p("quote.csv"),
        "id,text\nq1,Kazemi spoke.\nq2,\"Kazemi never closes this quote\nq3,more\n",
    )
    .unwrap();
    // A missing column fails that input only.
    std::fs::write(p("nocol.csv"), "id,body\nn1,Kazemi spoke.\n").unwrap();
    std::fs::write(p("last.csv"), "id,text\nz1,Kazemi spoke.\n").unwrap();

    let mut c = slant();
    c.args(["classify", "--format", "jsonl", "--max-bytes", "100000"])
        .arg("--model")
        .arg(model());
    for n in ["rows.csv", "quote.csv", "nocol.csv", "last.csv"] {
        c.arg("--csv").arg(p(n));
    }
    let o = c.output().unwrap();
    assert_clean(&o, 1);
    assert_eq!(ids(&o), ["r1", "r1", "r5", "r6", "r8", "q1", "z1"]);
    let err = stderr(&o);
    let says = |what: &str| assert!(err.contains(what), "no `{what}` in:\n{err}");
    says("rows.csv:3: row has 4 fields, the header has 2");
    says("rows.csv:4: row has 1 field");
    says("rows.csv:5: empty document");
    says("r1: ");
    says("rows.csv:6: duplicate id (first at line 2)");
    says("rows.csv:7: text longer than --max-bytes (100000): truncated");
    // The 50 MB record is skipped without being held, and reading goes on after it.
    says("rows.csv:9: record longer than 400004 bytes (4 x --max-bytes + 4): skipped");
    says("nocol.csv: no column `text`; the columns are: id, body");
    // The unterminated quote would swallow the rest of the file as one field: refused.
    says("quote.csv:3: unterminated quoted field");
}

/// An empty table is an error the same way as CSV and as JSON Lines, from standard input or a
/// file (JSON Lines said nothing and exited 0; CSV said `the columns are: (none)`); the other
/// inputs are classified.
#[test]
fn an_empty_table_is_an_error_as_csv_and_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.txt");
    std::fs::write(&good, "Kazemi met officials.").unwrap();
    for (flag, says) in [
        ("--csv", "empty input: no header row"),
        ("--jsonl", "empty input: no JSON lines"),
    ] {
        for stdin in ["", "\n\r\n\n"] {
            let o = slant()
                .args(["classify", "--format", "jsonl", "--model"])
                .arg(model())
                .args([flag, "-"])
                .arg(&good)
                .write_stdin(stdin)
                .output()
                .unwrap();
            assert_clean(&o, 1);
            assert_eq!(ids(&o).len(), 1);
            assert!(stderr(&o).contains(&format!("-: {says}")), "{}", stderr(&o));
        }
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "").unwrap();
        let o = classify(&[flag], &[&empty, &good]);
        assert_clean(&o, 1);
        assert!(
            stderr(&o).contains(&format!("empty: {says}")),
            "{}",
            stderr(&o)
        );
    }
}

/// A table that cannot be read (a directory given as --jsonl or --csv) is one error, and the
/// other inputs are classified: JSON Lines asked again after every failed read, for ever.
#[test]
fn an_unreadable_table_is_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.txt");
    std::fs::write(&good, "Kazemi met officials.").unwrap();
    for flag in ["--jsonl", "--csv"] {
        let mut child = slant_process()
            .args(["classify", "--format", "jsonl", "--model"])
            .arg(model())
            .arg(flag)
            .arg(dir.path())
            .arg(&good)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut errors = Vec::new();
        for line in BufReader::new(child.stderr.take().unwrap()).lines() {
            let line = line.unwrap();
            if line.contains("error:") {
                errors.push(line);
            }
            if errors.len() > 10 {
                child.kill().unwrap();
                break;
            }
        }
        let o = child.wait_with_output().unwrap();
        assert_eq!(errors.len(), 1, "{flag}: {errors:?}");
        assert!(errors[0].contains("Is a directory"), "{errors:?}");
        assert_clean(&o, 1);
        assert_eq!(ids(&o).len(), 1);
    }
}

/// A table cut by a crash and padded with NUL bytes (300 good rows, then 8 MB of NULs with no
/// line end): the rows are classified and the tail is reported with its line, without reading
/// it whole (the unit test `long_records_and_lines_are_skipped_in_bounded_memory` measures the
/// memory).
#[test]
fn a_table_with_a_tail_of_nul_bytes_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, jl) = (dir.path().join("t.csv"), dir.path().join("t.jsonl"));
    let mut c = b"id,text\n".to_vec();
    let mut j = Vec::new();
    for i in 0..300 {
        c.extend(format!("c{i},\"Kazemi met officials, number {i}.\"\n").bytes());
        j.extend(format!("{{\"id\":\"j{i}\",\"text\":\"Kazemi met officials {i}.\"}}\n").bytes());
    }
    c.resize(c.len() + (8 << 20), 0);
    j.resize(j.len() + (8 << 20), 0);
    std::fs::write(&csv, &c).unwrap();
    std::fs::write(&jl, &j).unwrap();
    let o = classify(&["--max-bytes", "100000", "--csv"], &[&csv]);
    assert_clean(&o, 1);
    assert_eq!(ids(&o).len(), 300);
    assert!(
        stderr(&o).contains("t.csv:302: record longer than 400004 bytes"),
        "{}",
        stderr(&o)
    );
    let o = classify(&["--max-bytes", "100000", "--jsonl"], &[&jl]);
    assert_clean(&o, 1);
    assert_eq!(ids(&o).len(), 300);
    assert!(
        stderr(&o).contains("t.jsonl:301: line longer than 400004 bytes"),
        "{}",
        stderr(&o)
    );
}

/// Bad items count towards a batch like documents: an input of nothing but bad lines is
/// reported while it is read. (They were held until a document came or the input ended, so
/// `--jsonl /dev/urandom` grew without bound and said nothing.)
#[test]
fn bad_items_are_reported_as_they_are_read() {
    let mut child = slant_process()
        .args([
            "classify", "--format", "jsonl", "--batch", "4", "--jsonl", "-",
        ])
        .arg("--model")
        .arg(model())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let err = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in err.lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    // Eight bad lines, and the input left open.
    stdin.write_all("not json\n".repeat(8).as_bytes()).unwrap();
    stdin.flush().unwrap();
    let first = rx.recv_timeout(std::time::Duration::from_secs(120));
    drop(stdin);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let first = first.expect("no error reported while the input was open");
    assert!(first.contains("-:1: malformed JSON"), "{first}");
    assert_eq!(status.code(), Some(1));
}

/// A CSV cut off inside a quoted field (a copy or download that stopped) is refused at its last
/// record, even when the cut record holds no line break and looks whole; the rows before it are
/// classified.
#[test]
fn a_csv_cut_inside_a_quoted_field_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("id,text\n");
    for i in 1..=20 {
        csv.push_str(&format!(
            "r{i},\"Kazemi met officials in Baghdad, number {i}. The talks went on.\"\n"
        ));
    }
    let p = dir.path().join("cut.csv");
    std::fs::write(&p, &csv[..csv.len() - 30]).unwrap();
    let o = classify(&["--csv"], &[&p]);
    assert_clean(&o, 1);
    let want: Vec<String> = (1..20).map(|i| format!("r{i}")).collect();
    assert_eq!(ids(&o), want);
    let err = stderr(&o);
    assert!(
        err.contains("cut.csv:21: unterminated quoted field"),
        "{err}"
    );
}

/// Train and eval name refused rows by their line, with LF or CRLF line ends (with CRLF the
/// lines were one short).
#[test]
fn labelled_csv_errors_name_the_line() {
    for end in ["\n", "\r\n"] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("d.csv");
        let mut csv = String::from("id,text,stance\n");
        for i in 0..8 {
            csv.push_str(&format!(
                "a{i},Kazemi the agent number {i},anti\nb{i},Kazemi the brave number {i},pro\n"
            ));
        }
        csv.push_str("c1,Kazemi is fine,sideways\n"); // line 18: unknown label
        csv.push_str("c2,\"Kazemi never closes this\n"); // line 19: unterminated
        std::fs::write(&data, csv.replace('\n', end)).unwrap();
        let out = dir.path().join("m.bin");
        let o = slant()
            .args(["train", "--label", "stance=stance", "--classes"])
            .args(["stance=anti,pro", "--min-df", "1", "--data"])
            .arg(&data)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert_clean(&o, 1);
        let err = stderr(&o);
        assert!(err.contains("d.csv:18: label `sideways`"), "{end:?}: {err}");
        assert!(err.contains("d.csv:19"), "{end:?}: {err}");
        assert!(out.exists());

        // eval on the same file: the bad rows are named, the good ones scored.
        let o = slant()
            .args(["eval", "--model"])
            .arg(&out)
            .arg("--data")
            .arg(&data)
            .output()
            .unwrap();
        assert_clean(&o, 1);
        let err = stderr(&o);
        assert!(err.contains("d.csv:18: label `sideways`"), "{end:?}: {err}");
        assert!(stdout(&o).contains("16"), "{}", stdout(&o));
    }
}

/// CSV rows are named by the line they start on, whatever ends the lines (the csv crate's
/// count was one line short with CRLF, and stood still with CR).
#[test]
fn csv_rows_are_named_by_their_line_with_any_line_ends() {
    let dir = tempfile::tempdir().unwrap();
    for (name, end) in [("lf.csv", "\n"), ("crlf.csv", "\r\n"), ("cr.csv", "\r")] {
        let p = dir.path().join(name);
        let text = "id,source,text\na,s,\"Kazemi spoke\nand left\"\n\nb,x\nc,s,Kadhimi\n";
        std::fs::write(&p, text.replace('\n', end)).unwrap();
        let o = classify(&["--csv"], &[&p]);
        assert_clean(&o, 1);
        assert_eq!(ids(&o), ["a", "c"]);
        let err = stderr(&o);
        assert!(
            err.contains(&format!("{name}:5: row has 2 fields, the header has 3")),
            "{end:?}: {err}"
        );
    }

    // A data file that is not there: named, with the OS's reason.
    let dir = tempfile::tempdir().unwrap();
    let o = slant()
        .args(["train", "--label", "stance=stance", "--data"])
        .arg(dir.path().join("absent.csv"))
        .arg("-o")
        .arg(dir.path().join("m2.bin"))
        .output()
        .unwrap();
    assert_clean(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("absent.csv: No such file or directory"),
        "{err}"
    );
}

/// A table whose rows are all refused (here every label is missing) names the first twenty
/// and counts the rest, rather than flooding stderr; -v names every one.
#[test]
fn refused_rows_are_listed_up_to_twenty() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.csv");
    let mut csv = String::from("id,text,stance\n");
    for i in 0..30 {
        csv.push_str(&format!("r{i},Kazemi spoke number {i},\n"));
    }
    std::fs::write(&data, &csv).unwrap();
    let eval = |verbose: bool| {
        let mut c = slant();
        if verbose {
            c.arg("-v");
        }
        c.args(["eval", "--label", "stance=stance", "--model"])
            .arg(model())
            .arg("--data")
            .arg(&data)
            .output()
            .unwrap()
    };
    let o = eval(false);
    assert_clean(&o, 2);
    let err = stderr(&o);
    assert_eq!(err.matches("missing label").count(), 20, "{err}");
    assert!(err.contains("d.csv:21: missing label"), "{err}");
    assert!(!err.contains("d.csv:22: missing label"), "{err}");
    assert!(
        err.contains("... and 10 more rows refused (30 in all"),
        "{err}"
    );
    assert!(err.contains("no usable rows"), "{err}");
    let err = stderr(&eval(true));
    assert_eq!(err.matches("missing label").count(), 30, "{err}");
}

#[test]
fn jsonl_inputs_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let jl = dir.path().join("in.jsonl");
    std::fs::write(
        &jl,
        concat!(
            "\u{FEFF}{\"id\": \"j1\", \"text\": \"Kazemi the spy\"}\n",
            "{broken\n",
            "{\"id\": \"j3\", \"body\": \"x\"}\n",
            "\n",
            "[1, 2]\n",
            "{\"id\": \"j6\", \"text\": 42}\n",
            "{\"id\": \"j7\", \"text\": \"\"}\n",
            "{\"id\": \"j8\", \"text\": \"Kadhimi met them\"}\r\n",
        )
        .bytes()
        .chain(*b"{\"id\": \"j9\", \"text\": \"Kazemi visited the caf\xE9.\"}\n")
        .collect::<Vec<u8>>(),
    )
    .unwrap();
    let o = slant()
        .args(["classify", "--format", "jsonl", "--model"])
        .arg(model())
        .arg("--jsonl")
        .arg(&jl)
        .output()
        .unwrap();
    assert_clean(&o, 1);
    assert_eq!(ids(&o), ["j1", "j8", "j9"]);
    let err = stderr(&o);
    for want in [
        "in.jsonl:9: not valid UTF-8 (first bad byte at offset 44); decoded with U+FFFD",
        "in.jsonl:2: malformed JSON",
        "in.jsonl:3: field `text` is missing",
        "in.jsonl:5:",
        "in.jsonl:6:",
        "in.jsonl:7: empty document",
    ] {
        assert!(err.contains(want), "no `{want}` in:\n{err}");
    }
}

/// Frame `payload` as a model file with a correct header and checksum: a crafted file that only
/// the payload checks can refuse.
fn framed(payload: &[u8]) -> Vec<u8> {
    slant::model::frame(payload)
}

#[test]
fn damaged_and_crafted_model_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(model()).unwrap();
    let good = slant::model::Model::from_bytes(&bytes, Path::new("m")).unwrap();
    let payload = &bytes[24..bytes.len() - 4];
    let mut cases: Vec<(String, Vec<u8>, &str)> = Vec::new();
    // Truncations: every prefix up to 64 bytes, then 64 spread over the file.
    let mut cuts: Vec<usize> = (0..64).collect();
    cuts.extend((1..64).map(|k| k * bytes.len() / 64));
    for cut in cuts {
        let want = if cut < 8 { "wrong magic" } else { "truncated" };
        cases.push((format!("cut{cut}.bin"), bytes[..cut].to_vec(), want));
    }
    // Single-bit flips spread over the file.
    for k in 0..24 {
        let mut b = bytes.clone();
        let at = 12 + k * (bytes.len() - 12) / 24;
        b[at] ^= 1 << (k % 8);
        // The header is under the checksum too; a flip in the length field reads as a cut or
        // trailing bytes, any other as a checksum mismatch.
        let want = if (16..24).contains(&at) {
            ""
        } else {
            "checksum mismatch"
        };
        cases.push((format!("flip{at}.bin"), b, want));
    }
    let mut magic = bytes.clone();
    magic[0] = b'X';
    cases.push(("magic.bin".into(), magic, "wrong magic"));
    let mut newer = bytes.clone();
    newer[8..12].copy_from_slice(&99u32.to_le_bytes());
    cases.push(("newer.bin".into(), newer, "newer than this slant reads"));

    // Crafted payloads with a correct checksum.
    let file = good.file();
    let mut dims = file.clone();
    dims.heads[0].classifier.coef.truncate(5);
    cases.push((
        "dims.bin".into(),
        framed(&postcard::to_stdvec(&dims).unwrap()),
        "inconsistent model",
    ));
    for (name, x) in [("nan.bin", f32::NAN), ("inf.bin", f32::INFINITY)] {
        let mut f = file.clone();
        f.heads[1].classifier.coef[0] = x;
        cases.push((
            name.into(),
            framed(&postcard::to_stdvec(&f).unwrap()),
            "finite",
        ));
    }
    // A vocabulary length of 2^62 entries: find the byte that encodes the length of the stem
    // list (an empty list and a one-entry list differ first there) and claim it.
    let mut empty = file.features.clone();
    empty.stems.clear();
    let mut one = empty.clone();
    one.stems.push("zz".into());
    let (a, b) = (
        postcard::to_stdvec(&empty).unwrap(),
        postcard::to_stdvec(&one).unwrap(),
    );
    let at = a.iter().zip(&b).position(|(x, y)| x != y).unwrap();
    let mut f = file.clone();
    f.features = empty;
    let p = postcard::to_stdvec(&f).unwrap();
    let spec_at = p.windows(a.len()).position(|w| w == a).unwrap();
    let mut huge = p[..spec_at + at].to_vec();
    let mut n: u64 = 1 << 62;
    while n >= 0x80 {
        huge.push((n as u8) | 0x80);
        n >>= 7;
    }
    huge.push(n as u8);
    huge.extend_from_slice(&p[spec_at + at + 1..]);
    cases.push(("huge.bin".into(), framed(&huge), "cannot decode"));
    assert_eq!(payload.len() + 28, bytes.len());

    for (name, content, want) in &cases {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        let o = slant()
            .args(["classify", "--model"])
            .arg(&p)
            .arg("-")
            .write_stdin("Kazemi met officials.")
            .output()
            .unwrap();
        assert_clean(&o, 2);
        let err = stderr(&o);
        assert!(
            err.contains(name.as_str()) && err.contains(want),
            "{name}: want `{want}`: {err}"
        );
        assert!(o.stdout.is_empty(), "{name}");
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let jl = dir.path().join("many.jsonl");
    let mut s = String::new();
    for i in 0..5000 {
        s.push_str(&format!(
            "{{\"id\": \"d{i}\", \"text\": \"Kazemi met officials, meeting number {i}.\"}}\n"
        ));
    }
    std::fs::write(&jl, s).unwrap();
    let mut child = slant_process()
        .args(["classify", "--format", "jsonl", "--model"])
        .arg(model())
        .arg("--jsonl")
        .arg(&jl)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"d0\""));
    // The reader is gone: the pipe is closed.
    let o = child.wait_with_output().unwrap();
    assert_clean(&o, 0);
    assert!(stderr(&o).trim().is_empty() || !stderr(&o).contains("rror"));
}

#[test]
fn output_is_flushed_and_complete_when_some_items_fail() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for i in 0..300 {
        let p = dir.path().join(format!("d{i:03}.txt"));
        if i % 7 == 3 {
            std::fs::write(&p, b"\0\0binary").unwrap();
        } else {
            std::fs::write(&p, format!("Kazemi spoke, number {i}.")).unwrap();
        }
        paths.push(p);
    }
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    let out = dir.path().join("out.jsonl");
    let o = classify(&["-o", out.to_str().unwrap()], &refs);
    assert_clean(&o, 1);
    let written = std::fs::read_to_string(&out).unwrap();
    let n = written.lines().count();
    assert_eq!(n, (0..300).filter(|i| i % 7 != 3).count());
    assert!(written.ends_with('\n'));
    // Small batches through the reader pipeline: the same records in the same order.
    let o = classify(&["--batch", "7", "--threads", "2"], &refs);
    assert_clean(&o, 1);
    assert_eq!(stdout(&o), written);
}

/// A run that classifies nothing (here a mistyped column) leaves an existing `-o` file as it
/// was and creates none; the first record creates it.
#[test]
fn an_output_file_is_not_touched_when_nothing_is_classified() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.csv");
    std::fs::write(&data, "id,text\nd1,Kazemi spoke.\n").unwrap();
    let out = dir.path().join("out.jsonl");
    std::fs::write(&out, "earlier results\n").unwrap();
    let args = |col: &str, out: &Path| {
        let mut a = vec!["--text-col".to_owned(), col.into(), "-o".into()];
        a.push(out.to_str().unwrap().into());
        a.push("--csv".into());
        a.push(data.to_str().unwrap().into());
        a
    };
    let run = |a: Vec<String>| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        classify(&a, &[])
    };
    let o = run(args("body", &out));
    assert_clean(&o, 1);
    assert!(stderr(&o).contains("no column `body`"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not written (left as it was)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "earlier results\n");
    let fresh = dir.path().join("fresh.jsonl");
    assert_clean(&run(args("body", &fresh)), 1);
    assert!(!fresh.exists());
    let o = run(args("text", &out));
    assert_clean(&o, 0);
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written.lines().count(), 1);
    assert!(written.starts_with("{\"id\":\"d1\""), "{written}");
}

#[test]
fn group_balance_without_groups_or_out_of_range_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("g.csv");
    let mut csv = String::from("id,text,stance,source\n");
    for i in 0..8 {
        csv.push_str(&format!(
            "a{i},Kazemi the agent number {i},anti,left{}\nb{i},Kazemi the brave number {i},pro,right\n",
            i % 3
        ));
    }
    csv.push_str("c1,Kazemi is fine,pro,\n"); // line 18: no outlet
    std::fs::write(&data, &csv).unwrap();
    let out = dir.path().join("m.bin");
    let train = |extra: &[&str]| train_stance(&data, &out, extra);
    // Balance asked for, but no column says which group a row is in.
    let o = train(&["--group-power", "1"]);
    assert_clean(&o, 2);
    assert!(stderr(&o).contains("group"), "{}", stderr(&o));
    assert!(!out.exists());
    // A power outside 0..=1.
    let o = train(&["--group-power", "2", "--balance-col", "source"]);
    assert_clean(&o, 2);
    assert!(stderr(&o).contains("between 0 and 1"), "{}", stderr(&o));
    assert!(!out.exists());
    // A row without a group is named by its line.
    let o = train(&["--group-power", "1", "--balance-col", "source"]);
    assert_clean(&o, 2);
    assert!(stderr(&o).contains("g.csv:18"), "{}", stderr(&o));
    assert!(!out.exists());
    // Every row with its group: trained.
    std::fs::write(
        &data,
        csv.replace("c1,Kazemi is fine,pro,\n", "c1,Kazemi is fine,pro,centre\n"),
    )
    .unwrap();
    let o = train(&["--group-power", "1", "--balance-col", "source"]);
    assert_clean(&o, 0);
    assert!(out.exists());
}

/// Standard input named twice would be read once and then found empty: refused up front.
#[test]
fn standard_input_named_twice_is_refused() {
    let o = classify(&["--csv", "-"], &[Path::new("-")]);
    assert_clean(&o, 2);
    assert!(stderr(&o).contains("named 2 times"), "{}", stderr(&o));
}

/// A file reached twice (named twice, by `./` and plain forms, inside a directory also named,
/// through a link) is classified each time, with a warning from the second time on; distinct
/// files with the same contents are not flagged.
#[test]
fn a_file_read_twice_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let a = sub.join("a.txt");
    std::fs::write(&a, "Kazemi met the minister.").unwrap();
    std::fs::write(sub.join("b.txt"), "Kazemi met the minister.").unwrap();
    let dotted = dir.path().join(".").join("sub").join("a.txt");
    let o = classify(&[], &[&sub, &a, &dotted]);
    assert_clean(&o, 0);
    let recs = jsonl(&o);
    let warned: Vec<bool> = recs
        .iter()
        .map(|r| {
            r["warnings"]
                .to_string()
                .contains("read before in this run")
        })
        .collect();
    // sub/a.txt, sub/b.txt from the walk, then a.txt twice more.
    assert_eq!(warned, [false, false, true, true]);
}
