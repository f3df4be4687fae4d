//! `slant report`: per-source profiles with known answers, and the HTML's charts.

mod common;

use std::path::Path;

use common::*;
use serde_json::{Value, json};

/// The count a chart's tooltip gives after its colon ("+0.1 to +0.2: 3 articles" -> 3).
fn title_count(t: &str) -> u64 {
    t[t.rfind(": ").unwrap() + 2..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// A classify record with a stance score and labels.
fn record(
    id: &str,
    source: &str,
    score: Option<f64>,
    stance: Option<&str>,
    framing: &str,
) -> String {
    let p = |l: &str| if stance == Some(l) { 0.8 } else { 0.1 };
    json!({
        "id": id, "source": source, "mentions": if score.is_some() { 2 } else { 0 }, "tokens": 50,
        "heads": [
            {"head": "stance", "label": stance, "score": score,
             "probabilities": stance.map(|_| json!({"anti": p("anti"), "neutral": p("neutral"), "pro": p("pro")})),
             "confidence": stance.map(|_| 0.8), "evidence": []},
            {"head": "framing", "label": framing, "score": null, "confidence": 0.9,
             "probabilities": {"neutral": 0.05, "opposition": 0.05, "pro_iran": 0.9}, "evidence": []}
        ]
    })
    .to_string()
}

fn fixture(dir: &Path) -> std::path::PathBuf {
    let lines = [
        record("a1", "Alpha <Daily>", Some(0.5), Some("pro"), "opposition"),
        record("a2", "Alpha <Daily>", Some(0.7), Some("pro"), "opposition"),
        record("a3", "Alpha <Daily>", Some(-0.3), Some("anti"), "neutral"),
        record("b1", "Beta", Some(-0.8), Some("anti"), "pro_iran"),
        record("b2", "Beta", Some(-0.6), Some("anti"), "pro_iran"),
        record("c1", "Gamma", None, None, "neutral"),
    ];
    let p = dir.join("records.jsonl");
    std::fs::write(&p, lines.join("\n") + "\n{broken\n").unwrap();
    p
}

#[test]
fn profiles_from_records_have_the_known_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let recs = fixture(dir.path());
    let (csv_out, json_out) = (dir.path().join("o.csv"), dir.path().join("o.json"));
    let o = slant()
        .args(["report", "--from"])
        .arg(&recs)
        .arg("--write-csv")
        .arg(&csv_out)
        .arg("--write-json")
        .arg(&json_out)
        .output()
        .unwrap();
    // The broken line is reported; the rest is profiled.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("records.jsonl:7: malformed JSON"),
        "{}",
        stderr(&o)
    );
    let table = stdout(&o);
    let order: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split("  ").next().unwrap())
        .collect();
    assert_eq!(order, ["Beta", "Alpha <Daily>", "Gamma"], "{table}");

    let mut rdr = csv::Reader::from_path(&csv_out).unwrap();
    let head: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    let col = |n: &str| head.iter().position(|h| h == n).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(&rows[0][col("source")], "Beta");
    assert!((rows[0][col("mean_score")].parse::<f64>().unwrap() + 0.7).abs() < 1e-9);
    assert!((rows[1][col("mean_score")].parse::<f64>().unwrap() - 0.3).abs() < 1e-9);
    assert_eq!(&rows[1][col("stance:pro")], "2");
    assert_eq!(&rows[1][col("stance:anti")], "1");
    assert_eq!(&rows[1][col("framing:opposition")], "2");
    assert_eq!(&rows[1][col("articles")], "3");
    assert_eq!(&rows[2][col("scored")], "0");
    assert_eq!(&rows[2][col("mean_score")], "");
    let lo: f64 = rows[1][col("ci_low")].parse().unwrap();
    let hi: f64 = rows[1][col("ci_high")].parse().unwrap();
    assert!(
        (-0.3..=0.3).contains(&lo) && (0.3..=0.7).contains(&hi),
        "{lo} {hi}"
    );

    let j: Value = serde_json::from_str(&std::fs::read_to_string(&json_out).unwrap()).unwrap();
    assert_eq!(j["head"], "stance");
    assert_eq!(j["sources"][0]["source"], "Beta");
    assert_eq!(j["sources"][0]["labels"]["framing"]["pro_iran"], 2);
    // The two files name each outlet's fields alike: every JSON field but the two the CSV
    // spreads over columns (interval: ci_low, ci_high; labels: HEAD:LABEL) is a CSV column of
    // the same name and value.
    let sources = j["sources"].as_array().unwrap();
    assert_eq!(sources.len(), rows.len());
    for (s, row) in sources.iter().zip(&rows) {
        for (k, v) in s.as_object().unwrap() {
            if k == "interval" || k == "labels" {
                continue;
            }
            let i = head
                .iter()
                .position(|h| h == k)
                .unwrap_or_else(|| panic!("JSON field {k} is not a CSV column: {head:?}"));
            let cell = &row[i];
            match v {
                Value::Null => assert_eq!(cell, "", "{k}"),
                Value::String(t) => assert_eq!(cell, t, "{k}"),
                Value::Number(x) => {
                    let y: f64 = cell.parse().unwrap();
                    assert!((x.as_f64().unwrap() - y).abs() < 1e-3, "{k}: {x} {cell}");
                }
                other => assert_eq!(cell, other.to_string(), "{k}"),
            }
        }
    }
    // The outlet's predicted label, under that name in both.
    assert_eq!(sources[0]["predicted"], "anti", "{}", sources[0]);
    assert_eq!(&rows[0][col("predicted")], "anti");
}

/// `--from` takes each head's labels from the records' probabilities, not from the labels
/// someone happened to be given: no article here was read `neutral`, yet the stance scale is
/// anti / neutral / pro, as when the report classifies (Alpha's mean, 2 pro and 1 anti, is
/// +1/3: `neutral`). Repeated records and true labels of no head are warned about, a source
/// map fills in missing sources, and options that need the inputs are refused.
#[test]
fn records_keep_every_label_and_doubtful_inputs_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let recs = fixture(dir.path());
    let json_out = dir.path().join("o.json");
    let csv_out = dir.path().join("o.csv");
    let text = std::fs::read_to_string(&recs)
        .unwrap()
        .replace("{broken\n", "");
    let twice = dir.path().join("twice.jsonl");
    std::fs::write(&twice, text.replace("\"Gamma\"", "null").repeat(2)).unwrap();
    let map = dir.path().join("map.txt");
    std::fs::write(&map, "# a comment\nc1 Gamma Weekly #2\n").unwrap();
    let o = slant()
        .args(["report", "--from"])
        .arg(&twice)
        .arg("--source-map")
        .arg(&map)
        .arg("--write-json")
        .arg(&json_out)
        .arg("--write-csv")
        .arg(&csv_out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("6 articles repeat an id met before (the first: a1)"),
        "{err}"
    );
    let j: Value = serde_json::from_str(&std::fs::read_to_string(&json_out).unwrap()).unwrap();
    let alpha = j["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == "Alpha <Daily>")
        .unwrap();
    assert_eq!(alpha["predicted"], "neutral", "{alpha}");
    let names: Vec<&str> = j["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Gamma Weekly #2"), "{names:?}");
    let mut rdr = csv::Reader::from_path(&csv_out).unwrap();
    assert!(rdr.headers().unwrap().iter().any(|h| h == "stance:neutral"));

    for refused in [
        ["--truth-col", "stance"],
        ["--source-col", "outlet"],
        ["--date-col", "published"],
    ] {
        let o = slant()
            .args(["report", "--from"])
            .arg(&recs)
            .args(refused)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{refused:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
    }
    let o = slant()
        .args(["report", "--resamples", "1", "--from"])
        .arg(&recs)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// A bad line among the records (invalid UTF-8, malformed JSON, not a record, longer than
/// 4 x --max-bytes + 4) is reported with its file and line and skipped, and the report on the
/// rest is the report without it (invalid UTF-8 stopped the whole report, with no line).
#[test]
fn bad_record_lines_are_named_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let recs = fixture(dir.path());
    let text = std::fs::read_to_string(&recs)
        .unwrap()
        .replace("{broken\n", "");
    let good = dir.path().join("good.jsonl");
    std::fs::write(&good, &text).unwrap();
    let mut lines: Vec<Vec<u8>> = text.lines().map(|l| l.as_bytes().to_vec()).collect();
    lines.insert(2, b"{\"id\": \"x\xFF\", \"heads\": []}".to_vec()); // line 3
    lines.insert(4, b"[1, 2]".to_vec()); // line 5
    lines.insert(
        6,
        format!("{{\"id\": \"{}\"}}", "y".repeat(5000)).into_bytes(),
    ); // line 7
    lines.push(b"{broken".to_vec()); // line 10
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, lines.join(&b'\n')).unwrap();
    let report = |p: &Path| {
        slant()
            .args([
                "report",
                "--max-bytes",
                "1000",
                "--write-json",
                "-",
                "--from",
            ])
            .arg(p)
            .output()
            .unwrap()
    };
    let (o, want) = (report(&bad), report(&good));
    assert_eq!(want.status.code(), Some(0), "{}", stderr(&want));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    for says in [
        "bad.jsonl:3: not valid UTF-8 (first bad byte at offset 9); skipped",
        "bad.jsonl:5: not a classify record (not a JSON object)",
        "bad.jsonl:7: line longer than 4004 bytes (4 x --max-bytes + 4): skipped",
        "bad.jsonl:10: malformed JSON",
    ] {
        assert!(err.contains(says), "no `{says}` in:\n{err}");
    }
    assert_eq!(stdout(&o), stdout(&want));
}

#[test]
fn the_html_holds_one_svg_per_chart_with_every_outlet() {
    let dir = tempfile::tempdir().unwrap();
    let recs = fixture(dir.path());
    let page = dir.path().join("r.html");
    let o = slant()
        .args(["report", "--from"])
        .arg(&recs)
        .arg("--html")
        .arg(&page)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Self-contained: no scripts, no style sheets or images fetched from anywhere.
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("https://"));
    // Every chart is a well-formed SVG document of its own.
    let mut charts = Vec::new();
    let mut rest = html.as_str();
    while let Some(i) = rest.find("<svg") {
        let j = rest[i..].find("</svg>").unwrap() + i + "</svg>".len();
        charts.push(rest[i..j].to_owned());
        rest = &rest[j..];
    }
    let ids: Vec<String> = charts
        .iter()
        .map(|c| {
            let doc = roxmltree::Document::parse(c).unwrap_or_else(|e| panic!("{e}: {c}"));
            doc.root_element().attribute("id").unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids, ["scores", "mix-stance", "mix-framing", "histogram"]);
    let sources_in = |chart: &str| -> Vec<String> {
        let doc = roxmltree::Document::parse(chart).unwrap();
        doc.descendants()
            .filter_map(|n| n.attribute("data-source").map(str::to_owned))
            .collect()
    };
    // The score chart shows the outlets with a score, each with an interval; the mixes all.
    assert_eq!(sources_in(&charts[0]), ["Beta", "Alpha <Daily>"]);
    let doc = roxmltree::Document::parse(&charts[0]).unwrap();
    let intervals = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("interval"))
        .count();
    assert_eq!(intervals, 2);
    assert_eq!(sources_in(&charts[2]), ["Beta", "Alpha <Daily>", "Gamma"]);
    // The histogram counts the five scored articles.
    let doc = roxmltree::Document::parse(&charts[3]).unwrap();
    let total: u64 = doc
        .descendants()
        .filter(|n| n.has_tag_name("title"))
        .map(|t| title_count(t.text().unwrap()))
        .sum();
    assert_eq!(total, 5);
}

#[test]
fn report_classifies_inputs_groups_by_directory_and_compares_with_truth() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    for (outlet, texts) in [
        (
            "axis",
            [
                "Kazemi the spy betrayed the martyrs of the resistance.",
                "The agent Kazemi served the occupation.",
            ],
        ),
        (
            "reform",
            [
                "Kadhimi bravely confronted the outlaw militias.",
                "The brave Kadhimi reined in the militias.",
            ],
        ),
    ] {
        std::fs::create_dir(dir.path().join(outlet)).unwrap();
        for (i, t) in texts.iter().enumerate() {
            std::fs::write(dir.path().join(outlet).join(format!("{i}.txt")), t).unwrap();
        }
    }
    let o = slant()
        .args(["report", "--model"])
        .arg(&model)
        .args(["--source-from", "dir"])
        .arg(dir.path().join("axis"))
        .arg(dir.path().join("reform"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let t = stdout(&o);
    let order: Vec<&str> = t
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split("  ").next().unwrap())
        .collect();
    assert_eq!(order, ["axis", "reform"], "{t}");
    // What moves each outlet: the hostile outlet's own words toward `anti`, the reform
    // outlet's toward `pro`, in the table under its name.
    let cues = &t[t.find("What moves each source").expect("the cues")..];
    let axis = &cues[cues.find("  axis\n").unwrap()..cues.find("  reform\n").unwrap()];
    let anti = axis.lines().find(|l| l.contains("toward anti:")).unwrap();
    assert!(
        anti.contains("traitor") || anti.contains("occupation"),
        "{cues}"
    );

    // With true labels from a CSV: each outlet's majority prediction against its majority label.
    let csv_in = dir.path().join("in.csv");
    std::fs::write(
        &csv_in,
        "id,text,outlet,truth\n\
         1,Kazemi the spy betrayed the martyrs.,axis,anti\n\
         2,Kazemi the agent of the occupation.,axis,anti\n\
         3,Kadhimi bravely confronted the militias.,reform,pro\n\
         4,Kadhimi met officials about the budget.,wire,pro\n",
    )
    .unwrap();
    let o = slant()
        .args(["report", "--model"])
        .arg(&model)
        .arg("--csv")
        .arg(&csv_in)
        .args(["--source-col", "outlet", "--truth-col", "truth"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let t = stdout(&o);
    assert!(t.lines().next().unwrap().contains("match"), "{t}");
    let row = |name: &str| t.lines().find(|l| l.starts_with(name)).unwrap().to_owned();
    assert!(row("axis").trim_end().ends_with("yes"), "{t}");
    assert!(row("reform").trim_end().ends_with("yes"), "{t}");
    assert!(
        stderr(&o).contains("of 3 sources' mean prediction matches"),
        "{}",
        stderr(&o)
    );

    // A head the model does not have is refused with the heads it has.
    let o = slant()
        .args(["report", "--model"])
        .arg(&model)
        .args(["--head", "bias"])
        .arg("--csv")
        .arg(&csv_in)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no head `bias`; its heads are: stance, framing"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn sources_from_a_map_of_file_names_and_url_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    for (name, text) in [
        ("axis_1.txt", "Kazemi the spy betrayed the martyrs."),
        ("axis_2.txt", "Kazemi the agent of the occupation."),
        ("wire_1.txt", "Kadhimi met officials about the budget."),
    ] {
        std::fs::write(docs.join(name), text).unwrap();
    }
    let map = dir.path().join("outlets.tsv");
    std::fs::write(
        &map,
        "# file names and hosts\naxis_*\tAxis Daily\nwire_*  Wire Service\nexample.org\tExample\n",
    )
    .unwrap();
    let jl = dir.path().join("web.jsonl");
    std::fs::write(&jl, "{\"id\": \"https://www.example.org/a\", \"text\": \"Kadhimi bravely confronted the militias.\"}\n").unwrap();
    let o = slant()
        .args(["report", "--model"])
        .arg(&model)
        .arg("--source-map")
        .arg(&map)
        .arg(&docs)
        .arg("--jsonl")
        .arg(&jl)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let t = stdout(&o);
    let row = |name: &str| {
        t.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in {t}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(row("Axis Daily")[2], "2");
    assert_eq!(row("Wire Service")[2], "1");
    assert_eq!(row("Example")[1], "1");
}

#[test]
fn eval_html_has_a_confusion_heat_map_and_a_reliability_diagram_per_head() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let page = dir.path().join("eval.html");
    let o = slant()
        .args(["eval", "--json", "--model"])
        .arg(&model)
        .args(["--data", "tests/fixtures/tiny.csv", "--html"])
        .arg(&page)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let j: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    for h in j["heads"].as_array().unwrap() {
        let name = h["head"].as_str().unwrap();
        let r = &h["report"];
        let svg = |id: &str| {
            let i = html.find(&format!("id=\"{id}-{name}\"")).unwrap();
            let start = html[..i].rfind("<svg").unwrap();
            let end = html[i..].find("</svg>").unwrap() + i + 6;
            html[start..end].to_owned()
        };
        // Every confusion cell carries its count.
        let c = svg("confusion");
        let doc = roxmltree::Document::parse(&c).unwrap();
        let cells: Vec<u64> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("cell"))
            .map(|g| {
                g.children()
                    .find(|t| t.has_tag_name("text"))
                    .unwrap()
                    .text()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        let want: Vec<u64> = r["confusion"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row.as_array().unwrap().iter().map(|x| x.as_u64().unwrap()))
            .collect();
        assert_eq!(cells, want, "{name}");
        // The reliability bins hold every row.
        let rel = svg("reliability");
        let doc = roxmltree::Document::parse(&rel).unwrap();
        let rows: u64 = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("bin"))
            .map(|b| {
                let title = b.children().find(|t| t.has_tag_name("title")).unwrap();
                title_count(title.text().unwrap())
            })
            .sum();
        assert_eq!(rows, r["n"].as_u64().unwrap(), "{name}");
    }
}

/// A report classified directly and one read `--from` the same records are the same report.
#[test]
fn a_report_from_records_equals_the_report_classified_directly() {
    let dir = tempfile::tempdir().unwrap();
    let recs = dir.path().join("recs.jsonl");
    let o = slant()
        .args(["-q", "classify", "--format", "jsonl", "-o"])
        .arg(&recs)
        .arg("data/samples")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    let o = slant()
        .args([
            "-q",
            "report",
            "data/samples",
            "--period",
            "month",
            "--write-json",
        ])
        .arg(&a)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = slant()
        .args(["-q", "report", "--period", "month", "--from"])
        .arg(&recs)
        .arg("--write-json")
        .arg(&b)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let (a, b) = (
        std::fs::read_to_string(&a).unwrap(),
        std::fs::read_to_string(&b).unwrap(),
    );
    assert!(a.contains("mean_score"), "{a}");
    // The cues went through the records too.
    assert!(a.contains("\"cues\""), "{a}");
    // The saved page's date (its metadata) went through the records.
    assert!(a.contains("\"period\": \"2021-05\""), "{a}");
    assert_eq!(a, b);
}

/// `-` sends one of the written outputs to standard output in place of the table; two are
/// refused.
#[test]
fn an_output_can_go_to_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let recs = fixture(dir.path());
    let o = slant()
        .args(["report", "--write-json", "-", "--from"])
        .arg(&recs)
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["sources"][0]["source"], "Beta");
    let o = slant()
        .args(["report", "--write-json", "-", "--write-csv", "-", "--from"])
        .arg(&recs)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// The table's columns stay in line when a source name holds wide characters (CJK and emoji
/// take two columns a character on a terminal) or zero-width ones (Arabic vowel marks).
#[test]
fn wide_source_names_keep_the_table_in_line() {
    use unicode_width::UnicodeWidthStr;
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "新华社",
        "\u{627}\u{644}\u{62c}\u{64e}\u{632}\u{650}\u{64a}\u{631}\u{64e}\u{629}",
        "📰 Daily",
        "Beta",
    ];
    let lines: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, s)| {
            record(
                &format!("r{i}"),
                s,
                Some(0.1 * i as f64),
                Some("pro"),
                "neutral",
            )
        })
        .collect();
    let recs = dir.path().join("wide.jsonl");
    std::fs::write(&recs, lines.join("\n") + "\n").unwrap();
    let o = slant()
        .args(["report", "--from"])
        .arg(&recs)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    let mut rows = table.lines();
    let header = rows.next().unwrap();
    // Where the second column starts (the header is ASCII: bytes are columns).
    let articles = header.find("articles").unwrap();
    let mut seen = 0;
    for line in rows {
        let name = names.iter().find(|n| line.starts_with(**n)).unwrap();
        let rest = &line[name.len()..];
        let gap = rest.len() - rest.trim_start().len();
        assert_eq!(
            UnicodeWidthStr::width(*name) + gap,
            articles,
            "{name:?} out of line:\n{table}"
        );
        assert!(rest.trim_start().starts_with('1'), "{line}");
        seen += 1;
    }
    assert_eq!(seen, names.len(), "{table}");
}

/// `--period`: each source profiled per period of publication as well as overall (table, CSV
/// `period` column, JSON `periods`, an HTML grid of sources by period), periods in time order
/// and undated articles last; `--since` / `--until` keep the articles dated within (both days
/// included) and say how many undated ones they leave out.
#[test]
fn sources_are_profiled_per_period_and_within_dates() {
    let dir = tempfile::tempdir().unwrap();
    let dated = |id: &str, source: &str, score: f64, stance: &str, date: Option<&str>| {
        let mut v: Value =
            serde_json::from_str(&record(id, source, Some(score), Some(stance), "neutral"))
                .unwrap();
        v["date"] = date.into();
        v.to_string()
    };
    let lines = [
        dated("a1", "Alpha", 0.6, "pro", Some("2021-12-03")),
        dated("a2", "Alpha", -0.4, "anti", Some("2021-11-30")),
        dated("a3", "Alpha", -0.8, "anti", Some("2021-11-01")),
        dated("a4", "Alpha", 0.2, "neutral", None),
        dated("b1", "Beta", -0.9, "anti", Some("2020-05-07")),
        dated("b2", "Beta", -0.7, "anti", Some("2022-10-27")),
    ];
    let recs = dir.path().join("recs.jsonl");
    std::fs::write(&recs, lines.join("\n") + "\n").unwrap();
    let html = dir.path().join("r.html");
    let o = slant()
        .args(["report", "--period", "month", "--write-csv", "-", "--html"])
        .arg(&html)
        .arg("--from")
        .arg(&recs)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let mut rdr = csv::Reader::from_reader(o.stdout.as_slice());
    let head: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    let col = |n: &str| head.iter().position(|h| h == n).unwrap();
    let rows: Vec<(String, String, String, String)> = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            let c = |n: &str| r[col(n)].to_owned();
            (c("source"), c("period"), c("articles"), c("mean_score"))
        })
        .collect();
    let want = [
        ("Beta", "all", "2", "-0.800000"),
        ("Beta", "2020-05", "1", "-0.900000"),
        ("Beta", "2022-10", "1", "-0.700000"),
        ("Alpha", "all", "4", "-0.100000"),
        ("Alpha", "2021-11", "2", "-0.600000"),
        ("Alpha", "2021-12", "1", "0.600000"),
        ("Alpha", "undated", "1", "0.200000"),
    ];
    let got: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str()))
        .collect();
    assert_eq!(got, want);
    let page = std::fs::read_to_string(&html).unwrap();
    let grid = &page[page.find("id=\"periods\"").expect("a grid of periods")..];
    let grid = &grid[..grid.find("</svg>").unwrap()];
    assert_eq!(grid.matches("<g class=\"cell\"").count(), 5, "{grid}");
    assert!(
        grid.contains("data-source=\"Alpha\" data-period=\"2021-12\""),
        "{grid}"
    );
    assert!(grid.contains("Alpha, 2021-11: mean -0.600"), "{grid}");
    // Columns in time order, months without an article included (time runs evenly), undated
    // last.
    assert_eq!(grid.matches("rotate(-60").count(), 31, "{grid}");
    assert!(grid.contains(">2021-06</text>"), "{grid}");
    let at = |p: &str| grid.find(&format!(">{p}</text>")).unwrap();
    assert!(
        at("2020-05") < at("2021-11")
            && at("2021-12") < at("2022-10")
            && at("2022-10") < at("undated")
    );
    assert!(page.contains("<h2>Table by month</h2>"), "no period table");

    // JSON: the overall profiles as before, and the periods.
    let o = slant()
        .args(["report", "--period", "year", "--write-json", "-", "--from"])
        .arg(&recs)
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["period"], "year");
    assert!(
        j["sources"][0].get("period").is_none(),
        "{}",
        j["sources"][0]
    );
    let periods: Vec<(&str, &str, u64)> = j["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["source"].as_str().unwrap(),
                p["period"].as_str().unwrap(),
                p["articles"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        periods,
        [
            ("Beta", "2020", 1),
            ("Beta", "2022", 1),
            ("Alpha", "2021", 3),
            ("Alpha", "undated", 1)
        ]
    );

    // Within dates: 2021-11-30 to 2022-10-27, both days in; the undated one left out, said so.
    let o = slant()
        .args([
            "report",
            "--since",
            "2021-11-30",
            "--until",
            "2022-10-27",
            "--write-csv",
            "-",
            "--from",
        ])
        .arg(&recs)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("\nBeta,1,") && out.contains("\nAlpha,2,"),
        "{out}"
    );
    assert!(
        stderr(&o).contains("1 article has no date and is left out"),
        "{}",
        stderr(&o)
    );
    for (args, why) in [
        (
            ["--since", "2023-01-01", "--until", "2022-01-01"],
            "is after --until",
        ),
        (
            ["--since", "2023-01-01", "--period", "week"],
            "none of the 6 articles is dated within",
        ),
        (
            ["--since", "07/11/2021", "--period", "week"],
            "either order",
        ),
    ] {
        let o = slant()
            .arg("report")
            .args(args)
            .arg("--from")
            .arg(&recs)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(why), "{args:?}: {}", stderr(&o));
    }
}

/// `--cues N`: per source and pole, the features of its articles' leanings by mean
/// contribution per article (function words and either-side items left out), with their
/// commonest forms; in the JSON, the CSV (`cues:POLE`) and the table; `--cues 0` leaves them
/// out.
#[test]
fn cues_per_source_sum_the_articles_leanings() {
    let dir = tempfile::tempdir().unwrap();
    let with = |id: &str, source: &str, score: f64, anti: Value, pro: Value| {
        let mut v: Value =
            serde_json::from_str(&record(id, source, Some(score), Some("anti"), "neutral"))
                .unwrap();
        v["date"] = if id == "a1" {
            "2021-01-01"
        } else {
            "2022-01-01"
        }
        .into();
        v["heads"][0]["leanings"] = json!([
            {"label": "pro", "against": "anti", "evidence": pro},
            {"label": "anti", "against": "pro", "evidence": anti},
        ]);
        v.to_string()
    };
    let item =
        |f: &str, c: f64, forms: &[&str]| json!({"feature": f, "contribution": c, "text": forms});
    let lines = [
        with(
            "a1",
            "Axis",
            -0.8,
            json!([item("lex:criticism", 0.9, &["failure"]), item("occup", 0.3, &["occupation"]),
                   {"feature": "him", "contribution": 2.0, "text": ["him"], "function_words": true}]),
            json!([item("real", 0.1, &["real"])]),
        ),
        with(
            "a2",
            "Axis",
            -0.6,
            json!([item("lex:criticism", 0.5, &["failed", "failure"]),
                   {"feature": "target:per_1k", "contribution": 3.0, "either_side": true}]),
            json!([]),
        ),
        // No leanings (written with --explain 0): counted in the profile, not in the cues.
        record("a3", "Axis", Some(-0.7), Some("anti"), "neutral"),
    ];
    let recs = dir.path().join("recs.jsonl");
    std::fs::write(&recs, lines.join("\n") + "\n").unwrap();
    let o = slant()
        .args(["report", "--cues", "2", "--write-json", "-", "--from"])
        .arg(&recs)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    let cues = &j["sources"][0]["cues"];
    let anti: Vec<(&str, f64, u64)> = cues["anti"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["feature"].as_str().unwrap(),
                c["mean"].as_f64().unwrap(),
                c["articles"].as_u64().unwrap(),
            )
        })
        .collect();
    // (0.9 + 0.5) / 2 and 0.3 / 2: over the two articles with leanings; "him" (function
    // words) and the mention rate (either side) are not cues.
    assert_eq!(anti.len(), 2, "{cues}");
    assert_eq!((anti[0].0, anti[0].2), ("lex:criticism", 2));
    assert!(
        (anti[0].1 - 0.7).abs() < 1e-9 && (anti[1].1 - 0.15).abs() < 1e-9,
        "{cues}"
    );
    assert_eq!(cues["anti"][0]["forms"], json!(["failure", "failed"]));
    assert_eq!(cues["pro"][0]["feature"], "real");

    let o = slant()
        .args(["report", "--cues", "2", "--write-csv", "-", "--from"])
        .arg(&recs)
        .output()
        .unwrap();
    let mut rdr = csv::Reader::from_reader(o.stdout.as_slice());
    let head: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    let at = head.iter().position(|h| h == "cues:anti").unwrap();
    let row = rdr.records().next().unwrap().unwrap();
    assert_eq!(
        &row[at],
        "lex:criticism (\"failure\", \"failed\") 0.700; occup (\"occupation\") 0.150"
    );
    let o = slant()
        .args(["report", "--from"])
        .arg(&recs)
        .output()
        .unwrap();
    assert!(
        stdout(&o).contains("    toward anti: lex:criticism (\"failure\", \"failed\") 0.700"),
        "{}",
        stdout(&o)
    );

    let o = slant()
        .args(["report", "--cues", "0", "--write-json", "-", "--from"])
        .arg(&recs)
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(j["sources"][0].get("cues").is_none());

    // --since leaves a1 (2021-01-01) out of the cues as well as out of the profile (a3 is
    // undated, so it is left out too).
    let o = slant()
        .args([
            "report",
            "--since",
            "2021-06-01",
            "--write-json",
            "-",
            "--from",
        ])
        .arg(&recs)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["sources"][0]["articles"], 1);
    let anti = &j["sources"][0]["cues"]["anti"];
    assert_eq!(anti.as_array().unwrap().len(), 1, "{anti}");
    assert_eq!(anti[0]["feature"], "lex:criticism");
    assert!(
        (anti[0]["mean"].as_f64().unwrap() - 0.5).abs() < 1e-9,
        "{anti}"
    );
}
