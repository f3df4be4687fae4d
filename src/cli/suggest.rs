//! `slant suggest`: the articles the model is least sure about, as a CSV ready to label and
//! feed back to `slant train`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use slant::suggest::{Candidate, Measure, TopK, select, uncertainty};

use super::classify::{InputArgs, stream};
use super::{Status, Ui};

pub const AFTER_HELP: &str = "\
Examples:
  slant suggest --model models/stance.bin corpus/ -n 50 -o to_label.csv
  slant suggest --model models/stance.bin --csv scraped.csv --head stance --by entropy -n 100

The CSV has the columns id, source, text, one empty column per head (fill in the labels),
then the model's guesses (pred_HEAD, p_HEAD) and the uncertainty. After labelling:
  slant train --data to_label.csv --label stance=stance --label framing=framing ...
(or append the rows to your training CSV). Articles are ranked by uncertainty (the largest over
the heads asked for); an article whose word 3-shingles overlap an already chosen one's by more
than --max-similarity (Jaccard) is skipped, so near-duplicates do not crowd the list.";

#[derive(Args, Debug)]
pub struct SuggestArgs {
    /// The model file.
    #[arg(long, short, value_name = "PATH", default_value = "models/stance.bin")]
    model: PathBuf,
    #[command(flatten)]
    input: InputArgs,
    /// How many articles to suggest.
    #[arg(
        short = 'n',
        long,
        value_name = "N",
        default_value_t = 50,
        value_parser = super::at_least_one
    )]
    count: usize,
    /// Heads whose uncertainty counts (default: all).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    head: Vec<String>,
    /// Uncertainty measure.
    #[arg(long, value_enum, default_value_t = Measure::Margin)]
    by: Measure,
    /// Largest Jaccard similarity of word 3-shingles allowed between two suggestions (0 to 1;
    /// 1 lets every near-duplicate through).
    #[arg(long, value_name = "J", default_value_t = 0.5, value_parser = super::unit_interval)]
    max_similarity: f64,
    /// Write the CSV to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

struct Item {
    id: String,
    source: String,
    text: String,
    preds: Vec<(String, f32)>,
}

pub fn run(args: SuggestArgs, ui: &Ui) -> Result<Status> {
    if let Some(p) = &args.output {
        super::check_output_file(p)?;
    }
    let model = super::classify::load_scoring_model(&args.model, &args.input)?;
    let names: Vec<String> = model.heads().iter().map(|h| h.name.clone()).collect();
    for h in &args.head {
        if !names.contains(h) {
            bail!(
                "the model has no head `{h}`; its heads are: {}",
                names.join(", ")
            );
        }
    }
    let asked: Vec<usize> = (0..names.len())
        .filter(|&i| args.head.is_empty() || args.head.contains(&names[i]))
        .collect();
    let n = args.count;
    // Enough spare candidates that skipping near-duplicates still fills the list.
    let mut top = TopK::new(n.saturating_mul(10).max(100));
    let mut order = 0u64;
    let counts = stream(&args.input, None, &model, 0, 0, ui, |records, docs| {
        for (r, d) in records.iter().zip(docs) {
            let mut u: Option<f64> = None;
            let mut preds = Vec::with_capacity(names.len());
            for (i, h) in r.heads.iter().enumerate() {
                let (Some(l), Some(c)) = (&h.label, h.confidence) else {
                    preds.push((String::new(), f32::NAN));
                    continue;
                };
                preds.push((l.clone(), c));
                if asked.contains(&i)
                    && let Some(p) = &h.probabilities
                {
                    let ps: Vec<f32> = p.values().copied().collect();
                    let x = uncertainty(&ps, args.by);
                    u = Some(u.map_or(x, |v: f64| v.max(x)));
                }
            }
            order += 1;
            // Articles no asked head scored (no mention of the target) are not candidates.
            if let Some(u) = u {
                top.push(Candidate {
                    uncertainty: u,
                    order,
                    item: Item {
                        id: r.id.clone(),
                        source: r.source.clone().unwrap_or_default(),
                        text: d.text.clone(),
                        preds,
                    },
                });
            }
        }
        Ok(())
    })?;
    ui.throughput(&counts);
    super::classify::warn_unknown(&counts, &model, ui);
    let chosen = select(top.into_sorted(), n, args.max_similarity, |it: &Item| {
        it.text.as_str()
    });
    let sink: Box<dyn std::io::Write> = match &args.output {
        Some(p) => Box::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = csv::Writer::from_writer(sink);
    let mut header = vec!["id".to_owned(), "source".into(), "text".into()];
    header.extend(names.iter().cloned());
    for h in &names {
        header.push(format!("pred_{h}"));
        header.push(format!("p_{h}"));
    }
    header.push("uncertainty".into());
    w.write_record(&header)?;
    for c in &chosen {
        let it = &c.item;
        let mut row = vec![it.id.clone(), it.source.clone(), it.text.clone()];
        row.extend(names.iter().map(|_| String::new()));
        for (l, p) in &it.preds {
            row.push(l.clone());
            row.push(if p.is_nan() {
                String::new()
            } else {
                format!("{p:.4}")
            });
        }
        row.push(format!("{:.4}", c.uncertainty));
        w.write_record(&row)?;
    }
    w.flush()?;
    ui.info(format!(
        "suggested {} of {} classified article{}",
        chosen.len(),
        counts.ok,
        if counts.ok == 1 { "" } else { "s" }
    ));
    Ok(Status::from_failures(counts.failed > 0))
}
