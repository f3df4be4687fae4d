//! The word lists and cue rules the analysis reads a text with: function words, negators,
//! reporting cues and their own-voice exceptions, and how far a quotation's attribution reaches.

use rustc_hash::FxHashSet;

/// Common English function words (articles, pronouns, prepositions, conjunctions, auxiliaries,
/// quantifiers and the commonest adverbs): an evidence item made only of them says how a text is
/// written more than what it says (the model card's failure mode 7). "never", "not" and "no"
/// are left out: negation carries meaning (and has a block of its own).
const FUNCTION_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "this",
    "that",
    "these",
    "those",
    "there",
    "here",
    "it",
    "its",
    "itself",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "they",
    "them",
    "their",
    "themselves",
    "we",
    // Not "us": "US" and "U.S." are lowercased to it, and in this domain it is mostly the
    // country (an evidence item "us" quoting "US" is not a function word).
    "our",
    "you",
    "your",
    "i",
    "me",
    "my",
    "who",
    "whom",
    "whose",
    "which",
    "what",
    "when",
    "where",
    "why",
    "how",
    "whether",
    "and",
    "or",
    "but",
    "nor",
    "so",
    "yet",
    "if",
    "then",
    "than",
    "as",
    "because",
    "while",
    "although",
    "though",
    "of",
    "in",
    "on",
    "at",
    "by",
    "for",
    "from",
    "to",
    "with",
    "without",
    "into",
    "onto",
    "upon",
    "about",
    "above",
    "below",
    "over",
    "under",
    "after",
    "before",
    "between",
    "through",
    "during",
    "against",
    "among",
    "within",
    "toward",
    "towards",
    "via",
    "per",
    "up",
    "down",
    "out",
    "off",
    "again",
    "also",
    "only",
    "just",
    "very",
    "too",
    "more",
    "most",
    "much",
    "many",
    "some",
    "any",
    "all",
    "both",
    "each",
    "every",
    "other",
    "another",
    "such",
    "same",
    "own",
    "either",
    "neither",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "am",
    "has",
    "have",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "done",
    "will",
    "would",
    "shall",
    "should",
    "can",
    "could",
    "may",
    "might",
    "must",
    "now",
    "still",
    "even",
    "already",
    "rather",
    "quite",
    "once",
];

/// Whether a word, or a unit (an English stem, or a word form without stemming), is one of
/// the common English function words (articles, pronouns, prepositions, conjunctions,
/// auxiliaries, quantifiers, the commonest adverbs; not "never", "not" or "no"), whose evidence
/// items are marked `function_words`.
pub fn is_function_word(w: &str) -> bool {
    static UNITS: std::sync::OnceLock<FxHashSet<String>> = std::sync::OnceLock::new();
    UNITS
        .get_or_init(|| {
            let stems = crate::stem::stem_words(FUNCTION_WORDS.iter().copied());
            FUNCTION_WORDS
                .iter()
                .map(|w| w.to_string())
                .chain(stems)
                .collect()
        })
        .contains(w)
}

pub(super) fn is_negator(norm: &str) -> bool {
    if !norm.is_ascii() {
        return is_arabic_negator(norm);
    }
    matches!(
        norm,
        "not"
            | "no"
            | "never"
            | "neither"
            | "nor"
            | "without"
            | "hardly"
            | "cannot"
            | "didn"
            | "doesn"
            | "don"
            | "isn"
            | "wasn"
            | "weren"
            | "won"
            | "couldn"
            | "wouldn"
            | "hasn"
            | "haven"
    )
}

/// Whether a (normalised) word introduces reported speech: what follows it in the sentence is
/// somebody else's claim, not the writer's voice. Nouns and verbs of saying, accusing and
/// naming; "states" and "state" are left out (the United States).
pub fn is_report_cue(w: &str) -> bool {
    if !w.is_ascii() {
        return is_arabic_report_cue(w);
    }
    matches!(
        w,
        "said"
            | "says"
            | "saying"
            | "told"
            | "stated"
            | "claimed"
            | "claims"
            | "claiming"
            | "alleged"
            | "alleges"
            | "alleging"
            | "accused"
            | "accuses"
            | "accusing"
            | "accusation"
            | "accusations"
            | "described"
            | "describes"
            | "describing"
            | "branded"
            | "brands"
            | "labelled"
            | "labeled"
            | "dubbed"
            | "called"
            | "calls"
            | "calling"
            | "charged"
            | "insisted"
            | "insists"
            | "argued"
            | "argues"
            | "asserted"
            | "asserts"
            | "considers"
            | "considered"
            | "believes"
            | "warned"
            | "warns"
            | "vowed"
            | "threatened"
            | "demanded"
            | "demands"
            // The verbs of wire copy and translated news: "Al-Kazemi confirmed that ...",
            // "he added", "he expressed his hope that ...".
            | "added"
            | "adds"
            | "noted"
            | "notes"
            | "stressed"
            | "stresses"
            | "confirmed"
            | "confirms"
            | "indicated"
            | "indicates"
            | "explained"
            | "explains"
            | "expressed"
            | "expresses"
            | "affirmed"
            | "affirms"
            | "emphasised"
            | "emphasized"
            | "emphasises"
            | "emphasizes"
            | "acknowledged"
            | "acknowledges"
            | "admitted"
            | "admits"
            | "denied"
            | "denies"
            | "hoped"
            | "hopes"
            | "revealed"
            | "reveals"
            | "announced"
            | "announces"
            // Their participles, as wire copy strings them after a quotation: `..., stressing
            // his country's commitment ...`, `..., adding that ...` (seed 004).
            | "stating"
            | "adding"
            | "noting"
            | "stressing"
            | "confirming"
            | "indicating"
            | "explaining"
            | "expressing"
            | "affirming"
            | "emphasising"
            | "emphasizing"
            | "acknowledging"
            | "admitting"
            | "denying"
            | "revealing"
            | "announcing"
            | "insisting"
            | "arguing"
            | "asserting"
            // "pointed out (that)", "pointing out": only before "out" (see
            // `is_own_voice_cue`).
            | "pointed"
            | "pointing"
    )
}

/// Arabic words as normalised (see `text::fold_char`: hamza seats and alef forms to bare alef,
/// alef maqsura to yaa, taa marbuta to haa, harakat dropped) without and with the
/// conjunctions `w-` and `f-` written onto them.
fn arabic_with_conjunctions(w: &str, words: &[&str]) -> bool {
    let bare = w
        .strip_prefix('\u{0648}')
        .or_else(|| w.strip_prefix('\u{0641}'))
        .filter(|rest| rest.chars().count() >= 2);
    words.contains(&w) || bare.is_some_and(|b| words.contains(&b))
}

/// Arabic verbs and phrases of saying, accusing and attributing, for models trained on Arabic
/// text (normalised forms, as [`is_report_cue`]'s English ones; `w-`/`f-` "and"/"so" may be
/// attached): qala, adafa, akkada, awdaha, ashara, sarraha, dhakara, za'ama, ittahama,
/// wasafa, i'tabara, idda'a, nafa, a'lana, hadhdhara, tawa''ada, and "according to"
/// (bi-hasab, hasab, wifqan, naqlan 'an), in the perfect (he / she / they) and imperfect.
fn is_arabic_report_cue(w: &str) -> bool {
    const CUES: &[&str] = &[
        // qala: said, says
        "قال",
        "قالت",
        "قالوا",
        "يقول",
        "تقول",
        "يقولون",
        // adafa: added
        "اضاف",
        "اضافت",
        "اضافوا",
        "يضيف",
        "تضيف",
        // akkada: stressed, confirmed
        "اكد",
        "اكدت",
        "اكدوا",
        "يوكد",
        "توكد",
        // awdaha: explained
        "اوضح",
        "اوضحت",
        "يوضح",
        // ashara: pointed out
        "اشار",
        "اشارت",
        "يشير",
        "تشير",
        // sarraha: declared
        "صرح",
        "صرحت",
        "يصرح",
        // dhakara: mentioned
        "ذكر",
        "ذكرت",
        "يذكر",
        // za'ama: claimed
        "زعم",
        "زعمت",
        "يزعم",
        "تزعم",
        "زعموا",
        // ittahama: accused
        "اتهم",
        "اتهمت",
        "يتهم",
        "تتهم",
        "اتهموا",
        "اتهام",
        "اتهامات",
        // wasafa: described
        "وصف",
        "وصفت",
        "يصف",
        "تصف",
        "وصفوا",
        // i'tabara: considered
        "اعتبر",
        "اعتبرت",
        "يعتبر",
        "تعتبر",
        // idda'a: alleged; nafa: denied
        "ادعي",
        "ادعت",
        "يدعي",
        "نفي",
        "نفت",
        "ينفي",
        // a'lana: announced; hadhdhara: warned; tawa''ada: vowed
        "اعلن",
        "اعلنت",
        "يعلن",
        "حذر",
        "حذرت",
        "يحذر",
        "توعد",
        "توعدت",
        // According to.
        "بحسب",
        "حسب",
        "وفقا",
        "وفق",
        "نقلا",
    ];
    arabic_with_conjunctions(w, CUES)
}

/// Arabic negators (normalised): la, lam, lan, laysa / laysat, ghayr, duna / bi-duna. Not
/// "ma", which is as often "what".
fn is_arabic_negator(w: &str) -> bool {
    const NEGATORS: &[&str] = &["لا", "لم", "لن", "ليس", "ليست", "غير", "دون", "بدون"];
    arabic_with_conjunctions(w, NEGATORS)
}

/// Whether a normalised word opens a conditional: "if", "unless", Arabic idha and law (with
/// "and" attached).
pub(super) fn is_conditional(w: &str) -> bool {
    matches!(w, "if" | "unless" | "اذا" | "لو" | "واذا" | "ولو")
}

/// Whether a reporting cue word is, in context, the writer's own voice rather than somebody
/// else's claim: "so-called" (a label the writer puts on something), "it can be said" (the
/// writer's assertion), a passive "is considered" or "considered to be" (a description:
/// "considered to be a moderate figure"), "an accused" (a noun), and an accusation in the
/// passive with no accuser named ("he is accused of ...", "being accused of ...": the writer
/// presents it; "was accused by the factions of" still reports). A passive "was called" or
/// "was described as" still reports a label somebody gave. "It is worth noting" and "it should
/// be noted" are the writer's own aside, and "the demands" (after a determiner) a noun. A claim
/// of an act ("no party claimed the attack", "claimed responsibility", "claiming victory") is
/// not a claim that something is so. `before` are the two normalised words before it, nearest
/// first, `after` the two after it (empty across a sentence break).
pub fn is_own_voice_cue(w: &str, before: [&str; 2], after: [&str; 2]) -> bool {
    let [prev, prev2] = before;
    let [next, next2] = after;
    match w {
        "called" => prev == "so",
        // A noun: "as an accused in the case".
        "accused" => {
            matches!(prev, "an" | "the")
                || (next == "of"
                    && matches!(
                        prev,
                        "is" | "are" | "was" | "were" | "be" | "been" | "being"
                    ))
        }
        "considered" => {
            next == "to"
                || matches!(
                    prev,
                    "is" | "are" | "was" | "were" | "be" | "been" | "being"
                )
        }
        "said" => {
            prev == "be"
                && matches!(
                    prev2,
                    "can" | "could" | "must" | "may" | "might" | "should" | "would"
                )
        }
        // "pointed out that ..." reports; "pointed a gun", "pointed to the map" do not.
        "pointed" | "pointing" => next != "out",
        // The writer's own aside: "It is worth noting that ...", "It should be noted that ...".
        "noting" => prev == "worth",
        "noted" => {
            prev == "be"
                && matches!(
                    prev2,
                    "can" | "could" | "must" | "may" | "might" | "should" | "would"
                )
        }
        "claimed" | "claims" | "claiming" => {
            matches!(next, "responsibility" | "credit" | "victory")
                || (matches!(next, "the" | "this" | "that" | "a")
                    && matches!(
                        next2,
                        "attack"
                            | "attacks"
                            | "killing"
                            | "killings"
                            | "crime"
                            | "bombing"
                            | "strike"
                            | "assassination"
                            | "operation"
                            | "credit"
                            | "lives"
                            | "life"
                            | "seat"
                            | "seats"
                            | "right"
                    ))
        }
        // A noun after a determiner: "one of the demands of the protests".
        "demands" => matches!(
            prev,
            "the" | "its" | "their" | "his" | "her" | "our" | "these" | "those" | "whose"
        ),
        _ => false,
    }
}

/// Whether "according to" attributes its sentence, from the normalised words after "to" in the
/// same sentence: it does when a source follows ("according to a statement", "according to his
/// office", "according to informed sources", "according to Reuters"), not when a rule, a plan
/// or an interest does ("according to the law", "according to the program that he set",
/// "according to their personal interests": the writer's own words). Attribution stays the
/// default; only those nouns, after at most three determiners, possessives and the like, undo it.
pub fn according_to_attributes<'a>(after: impl IntoIterator<Item = &'a str>) -> bool {
    let first = after.into_iter().take(4).find(|w| {
        !matches!(
            *w,
            "the"
                | "a"
                | "an"
                | "his"
                | "her"
                | "their"
                | "its"
                | "our"
                | "my"
                | "your"
                | "own"
                | "personal"
                | "same"
                | "new"
                | "this"
                | "that"
        )
    });
    !first.is_some_and(|w| {
        matches!(
            w,
            "law"
                | "laws"
                | "constitution"
                | "rules"
                | "rule"
                | "program"
                | "programme"
                | "plan"
                | "plans"
                | "schedule"
                | "timetable"
                | "agreement"
                | "deal"
                | "terms"
                | "instructions"
                | "directives"
                | "orders"
                | "procedures"
                | "mechanism"
                | "formula"
                | "quota"
                | "quotas"
                | "criteria"
                | "standards"
                | "principle"
                | "principles"
                | "priorities"
                | "interest"
                | "interests"
                | "wishes"
                | "needs"
                | "whims"
                | "logic"
                | "vision"
                | "agenda"
                | "custom"
                | "tradition"
                | "circumstances"
                | "conditions"
        )
    })
}

/// A quotation of at most this many units, with no reporting cue before it in its sentence and
/// none just after it, is the writer's own words in quotation marks (scare quotes, a name, a
/// title: he supported the "Jokers"), not reported speech.
pub(super) const SCARE_QUOTE_UNITS: usize = 3;

/// A reporting cue with at most this many units after it in its sentence attributes the whole
/// sentence ("Kazemi betrayed the martyrs, the statement said on Monday.").
pub(super) const POSTPOSED_CUE_TAIL: usize = 4;

/// A reporting cue at most this many units after a quotation attributes the quotation
/// ("He failed," they said of ...) rather than opening reported speech.
pub(super) const QUOTE_ATTRIBUTION_GAP: usize = 3;

#[cfg(test)]
mod tests {
    use super::*;

    /// Arabic cues are read in their normalised forms, with "and" / "so" written onto them,
    /// and a word that only starts with those letters is not taken for one.
    #[test]
    fn arabic_cues_take_their_conjunctions() {
        for w in [
            "قال",
            "وقال",
            "فقال",
            "اضاف",
            "واضاف",
            "اكد",
            "بحسب",
            "وصف",
            "ووصف",
        ] {
            assert!(is_report_cue(w), "{w}");
        }
        for w in ["فشل", "وفاء", "الكاظمي", "قالب", "و", "ف"] {
            assert!(!is_report_cue(w), "{w}");
        }
        for w in ["لا", "ولا", "لم", "لن", "غير", "بدون"] {
            assert!(is_negator(w), "{w}");
        }
        for w in ["ما", "لكن", "فشل"] {
            assert!(!is_negator(w), "{w}");
        }
        assert!(is_conditional("اذا") && is_conditional("ولو") && is_conditional("if"));
        assert!(!is_conditional("ان"));
    }
}
