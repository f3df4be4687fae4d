//! `slant suggest`: least-sure articles, no near-duplicates, and the CSV feeds `slant train`.

mod common;

use common::*;

#[test]
fn suggestions_are_uncertain_distinct_and_train_after_labelling() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    // Clear-cut articles, ambiguous ones, and one ambiguous story syndicated five times.
    let mut csv = String::from("id,text,outlet\n");
    let clear = [
        "Kazemi the spy betrayed the martyrs of the resistance and served the occupation.",
        "The brave reformer Kadhimi confronted the outlaw militias and restored the state.",
    ];
    for i in 0..20 {
        csv.push_str(&format!("c{i},\"{} Number {i}.\",A\n", clear[i % 2]));
    }
    for i in 0..5 {
        csv.push_str(&format!(
            "dup{i},\"Kazemi met officials in Baghdad about the budget and the electricity plan for the summer.\",W\n"
        ));
    }
    let ambiguous = [
        "Kazemi spoke about water from Turkey and dams on the Tigris.",
        "Kadhimi visited Erbil to discuss salaries with the Kurdish region.",
        "Al-Kazemi chaired a cabinet session on the dinar and imports.",
        "The prime minister Kazemi received the Pope at the airport in Baghdad.",
    ];
    for (i, t) in ambiguous.iter().enumerate() {
        csv.push_str(&format!("amb{i},\"{t}\",B\n"));
    }
    let input = dir.path().join("in.csv");
    std::fs::write(&input, csv).unwrap();
    let out = dir.path().join("s.csv");
    let o = slant()
        .args(["suggest", "--model"])
        .arg(&model)
        .arg("--csv")
        .arg(&input)
        .args(["--source-col", "outlet", "-n", "5", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let mut rdr = csv::Reader::from_path(&out).unwrap();
    let head: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(&head[..5], ["id", "source", "text", "stance", "framing"]);
    assert!(head.contains(&"pred_stance".to_owned()) && head.contains(&"uncertainty".to_owned()));
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    let ids: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    // At most one copy of the syndicated story, and the clear-cut texts come last if at all.
    assert!(
        ids.iter().filter(|i| i.starts_with("dup")).count() <= 1,
        "{ids:?}"
    );
    let u: Vec<f64> = rows
        .iter()
        .map(|r| r[head.len() - 1].parse().unwrap())
        .collect();
    assert!(u.windows(2).all(|w| w[0] >= w[1]), "{u:?}");
    assert!(rows.iter().all(|r| r[3].is_empty() && r[4].is_empty()));

    // The first suggestion is the most uncertain article of all; without the duplicate filter
    // every article is listed, most uncertain first.
    let all = slant()
        .args(["suggest", "--model"])
        .arg(&model)
        .arg("--csv")
        .arg(&input)
        .args(["-n", "100", "--max-similarity", "1"])
        .output()
        .unwrap();
    let mut r = csv::Reader::from_reader(all.stdout.as_slice());
    let every: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(every.len(), 29);
    let ue: Vec<f64> = every
        .iter()
        .map(|r| r[r.len() - 1].parse().unwrap())
        .collect();
    assert!(ue.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(ue[0], u[0]);
    assert_eq!(&every[0][0], &rows[0][0]);
    // Two suggestions never tell the same story: the twenty "Number i" variants of two texts
    // and the five copies give at most one pick each.
    let stories: std::collections::BTreeSet<String> = rows
        .iter()
        .map(|r| r[2].split(" Number").next().unwrap().to_owned())
        .collect();
    assert_eq!(stories.len(), rows.len(), "{ids:?}");

    // Labelled by hand (here: filled in), the file trains a model as it is.
    let filled = dir.path().join("filled.csv");
    let mut w = csv::Writer::from_path(&filled).unwrap();
    w.write_record(&head).unwrap();
    for (i, row) in rows.iter().enumerate() {
        let mut v: Vec<String> = row.iter().map(str::to_owned).collect();
        v[3] = ["anti", "pro", "neutral"][i % 3].to_owned();
        v[4] = ["pro_iran", "opposition"][i % 2].to_owned();
        w.write_record(&v).unwrap();
    }
    w.flush().unwrap();
    let o = slant()
        .args(["train", "--data"])
        .arg(&filled)
        .args([
            "--label",
            "stance=stance",
            "--label",
            "framing=framing",
            "--min-df",
            "1",
            "-o",
        ])
        .arg(dir.path().join("again.bin"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Counts and similarities that cannot mean anything are refused as usage errors.
#[test]
fn nonsense_counts_and_similarities_are_refused() {
    for bad in [
        ["-n", "0"],
        ["--max-similarity", "1.5"],
        ["--max-similarity=-0.1", ""],
    ] {
        let o = slant()
            .args(["suggest"])
            .args(bad.into_iter().filter(|a| !a.is_empty()))
            .arg("data/samples")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("invalid value"), "{}", stderr(&o));
    }
}
