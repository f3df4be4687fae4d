//! Publication dates: read from a CSV column, a JSON Lines field or a web page's metadata, and
//! grouped into periods (week, month, quarter, year) for per-period source profiles.
//!
//! A [`Date`] is a calendar day as the publisher wrote it: a time of day and an offset after it
//! are read past, not converted (an article dated 2021-11-07T01:30+03:00 is of 7 November, as
//! its readers saw it). The forms read are those feeds, CMS exports and page metadata use:
//!
//! - ISO 8601 / RFC 3339, year first: `2021-11-07`, `2021-11-07T03:14:00Z`, `2021/11/07`,
//!   `2021-11-07 03:14`;
//! - RFC 2822 (RSS `pubDate`): `Sun, 07 Nov 2021 03:14:00 +0300`;
//! - day, month name, year: `7 November 2021`, `07 Nov. 2021`, `7th November, 2021`;
//! - month name, day, year: `November 7, 2021`, `Nov 7 2021`, `Sunday, November 7th, 2021`.
//!
//! A numeric date with the year last (`07/11/2021`) is refused: it is 7 November in Baghdad and
//! July 11 in New York. So is a year outside 1800 to 2200 (content systems write `0001-01-01`
//! for "no date").

use std::fmt;
use std::str::FromStr;

/// A calendar day (proleptic Gregorian).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// Earliest and latest years read (see the module documentation).
pub const YEARS: std::ops::RangeInclusive<u16> = 1800..=2200;

/// A span of time that dates are grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Period {
    /// ISO 8601 weeks, Monday to Sunday: `2021-W44`.
    Week,
    /// Calendar months: `2021-11`.
    Month,
    /// Calendar quarters: `2021-Q4`.
    Quarter,
    /// Calendar years: `2021`.
    Year,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn leap(year: u16) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Date {
    /// The date, if it is a real day of a year in [`YEARS`].
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        (YEARS.contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month))
        .then_some(Date { year, month, day })
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before), by the days-from-civil algorithm.
    pub fn days_since_epoch(self) -> i64 {
        let (m, d) = (self.month as i64, self.day as i64);
        let y = self.year as i64 - (m <= 2) as i64;
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The day after (none after 31 December of the last year in [`YEARS`]).
    pub fn next_day(self) -> Option<Date> {
        Date::new(self.year, self.month, self.day + 1)
            .or_else(|| Date::new(self.year, self.month + 1, 1))
            .or_else(|| Date::new(self.year + 1, 1, 1))
    }

    /// The day `days` after 1970-01-01 (before, when negative), if its year is in [`YEARS`].
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        let (y, m, d) = civil(days);
        Date::new(u16::try_from(y).ok()?, m, d)
    }

    /// Day of the week, 0 for Monday to 6 for Sunday.
    pub fn weekday(self) -> u8 {
        // 1970-01-01 was a Thursday (3).
        (self.days_since_epoch() + 3).rem_euclid(7) as u8
    }

    /// The ISO 8601 week: (week-numbering year, week 1 to 53). Week 1 is the week (Monday to
    /// Sunday) that holds the year's first Thursday, so 1 January may fall in the last week of
    /// the year before and 31 December in week 1 of the next.
    pub fn iso_week(self) -> (u16, u8) {
        let thursday = self.days_since_epoch() - self.weekday() as i64 + 3;
        let year = civil(thursday).0 as u16;
        let jan1 = Date {
            year,
            month: 1,
            day: 1,
        }
        .days_since_epoch();
        (year, ((thursday - jan1) / 7 + 1) as u8)
    }

    /// The name of the period holding the date: `2021-W44`, `2021-11`, `2021-Q4`, `2021`.
    /// Names of one kind sort in time order.
    pub fn period(self, p: Period) -> String {
        match p {
            Period::Week => {
                let (y, w) = self.iso_week();
                format!("{y:04}-W{w:02}")
            }
            Period::Month => format!("{:04}-{:02}", self.year, self.month),
            Period::Quarter => format!("{:04}-Q{}", self.year, (self.month - 1) / 3 + 1),
            Period::Year => format!("{:04}", self.year),
        }
    }

    /// Read a date in one of the forms of the module documentation.
    pub fn parse(s: &str) -> Result<Date, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("the date is empty".to_owned());
        }
        parse_forms(t).ok_or_else(|| {
            let shown: String = t.chars().take(60).collect();
            let ellipsis = if shown.len() < t.len() { "..." } else { "" };
            let why = if year_last_numeric(t) {
                "day and month in numbers with the year last could be either order"
            } else {
                "not a date slant reads"
            };
            format!(
                "date `{shown}{ellipsis}` not understood ({why}): write it as YYYY-MM-DD \
                 (also read: 2021-11-07T03:14:00Z, 7 November 2021, November 7, 2021, \
                 Sun, 07 Nov 2021 03:14:00 +0300)"
            )
        })
    }
}

/// The date in a web address's path, as news sites write it: `/2021/11/07/` (year, month and
/// day as segments of their own) or `2021-11-07` inside a segment
/// (`/news/2021-11-07-drone-attack`). `None` for anything else (a path with only a year and a
/// month, `20211107`, a date in the query string or the host, a text that is not an address,
/// `scheme://...`): an article's number is easily read as a day.
pub fn date_in_url(url: &str) -> Option<Date> {
    let (_, path) = crate::sources::url_parts(url)?;
    let segs: Vec<&str> = path.split('/').collect();
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    for w in segs.windows(3) {
        if digits(w[0], 4..=4) && digits(w[1], 1..=2) && digits(w[2], 1..=2) {
            return Date::new(w[0].parse().ok()?, w[1].parse().ok()?, w[2].parse().ok()?);
        }
    }
    let b = path.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| {
        let d = &b[i..i + 10];
        let shape = d.iter().enumerate().all(|(k, &c)| match k {
            4 | 7 => c == b'-',
            _ => c.is_ascii_digit(),
        });
        let edges = (i == 0 || !b[i - 1].is_ascii_digit())
            && b.get(i + 10).is_none_or(|c| !c.is_ascii_digit());
        (shape && edges)
            .then(|| Date::parse(&path[i..i + 10]).ok())
            .flatten()
    })
}

/// The civil date `days` after 1970-01-01 as (year, month, day): the inverse of
/// [`Date::days_since_epoch`] (the civil-from-days algorithm).
fn civil(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    (yoe + era * 400 + (month <= 2) as i64, month, day)
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = String;
    fn from_str(s: &str) -> Result<Date, String> {
        Date::parse(s)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A token of a date: a run of ASCII digits or of letters (other characters separate tokens,
/// and the separators are kept for the ISO form's check).
#[derive(Debug, PartialEq)]
enum Tok<'a> {
    Num(&'a str),
    Word(&'a str),
}

fn tokens(s: &str) -> Vec<Tok<'_>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if b[i].is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            out.push(Tok::Num(&s[start..i]));
        } else if b[i].is_ascii_alphabetic() {
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            out.push(Tok::Word(&s[start..i]));
        } else {
            i += s[i..].chars().next().map_or(1, char::len_utf8);
        }
        if out.len() > 8 {
            break;
        }
    }
    out
}

fn month_of(w: &str) -> Option<u8> {
    let w = w.to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    let w = if w == "sept" { "sep" } else { w.as_str() };
    MONTHS
        .iter()
        .position(|m| *m == w || (w.len() == 3 && m.starts_with(w)))
        .map(|i| i as u8 + 1)
}

fn is_weekday(w: &str) -> bool {
    let w = w.to_ascii_lowercase();
    w.len() >= 3 && WEEKDAYS.iter().any(|d| d.starts_with(w.as_str()))
}

fn num<T: FromStr>(s: &str, max_len: usize) -> Option<T> {
    (s.len() <= max_len).then(|| s.parse().ok()).flatten()
}

/// A day number with an optional English ordinal suffix after it (`7th`, `1st`).
fn day_at(toks: &[Tok<'_>], i: usize) -> Option<(u8, usize)> {
    let Tok::Num(d) = toks.get(i)? else {
        return None;
    };
    let day = num(d, 2)?;
    let next = match toks.get(i + 1) {
        Some(Tok::Word(w))
            if ["st", "nd", "rd", "th"].contains(&w.to_ascii_lowercase().as_str()) =>
        {
            i + 2
        }
        _ => i + 1,
    };
    Some((day, next))
}

fn year_at(toks: &[Tok<'_>], i: usize) -> Option<u16> {
    match toks.get(i)? {
        Tok::Num(y) if y.len() == 4 => y.parse().ok(),
        _ => None,
    }
}

fn parse_forms(t: &str) -> Option<Date> {
    // ISO, year first: four digits, a separator (`-` or `/`), month, the same separator, day,
    // then nothing or a time (`T`, a space).
    let b = t.as_bytes();
    if b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && matches!(b[4], b'-' | b'/') {
        let sep = b[4] as char;
        let rest = &t[5..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == sep))
            .unwrap_or(rest.len());
        let (ymd, tail) = rest.split_at(end);
        let mut parts = ymd.split(sep);
        let (m, d) = (parts.next()?, parts.next()?);
        if parts.next().is_some() || !(tail.is_empty() || tail.starts_with(['T', 't', ' '])) {
            return None;
        }
        return Date::new(t[..4].parse().ok()?, num(m, 2)?, num(d, 2)?);
    }
    let toks = tokens(t);
    let mut i = 0;
    // A weekday first (RFC 2822, "Sunday, November 7, 2021").
    if let Some(Tok::Word(w)) = toks.first()
        && is_weekday(w)
    {
        i = 1;
    }
    // Day, month name, year.
    if let Some((day, j)) = day_at(&toks, i)
        && let Some(Tok::Word(m)) = toks.get(j)
        && let Some(month) = month_of(m)
    {
        return Date::new(year_at(&toks, j + 1)?, month, day);
    }
    // Month name, day, year.
    if let Some(Tok::Word(m)) = toks.get(i)
        && let Some(month) = month_of(m)
        && let Some((day, j)) = day_at(&toks, i + 1)
    {
        return Date::new(year_at(&toks, j)?, month, day);
    }
    None
}

/// Whether `t` starts like `07/11/2021` or `7.11.2021`: two numbers, then a four-digit year.
fn year_last_numeric(t: &str) -> bool {
    let toks = tokens(t);
    matches!(toks.as_slice(), [Tok::Num(a), Tok::Num(b), Tok::Num(y), ..]
        if a.len() <= 2 && b.len() <= 2 && y.len() == 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> String {
        Date::parse(s).map(|d| d.to_string()).unwrap_or_else(|e| e)
    }

    #[test]
    fn reads_the_forms_publishers_use() {
        for s in [
            "2021-11-07",
            " 2021-11-07 ",
            "2021-11-07T03:14:00Z",
            "2021-11-07T01:30:00+03:00",
            "2021-11-07 03:14",
            "2021/11/07",
            "2021-11-7",
            "Sun, 07 Nov 2021 03:14:00 +0300",
            "7 November 2021",
            "07 Nov. 2021",
            "7th November, 2021",
            "November 7, 2021",
            "Nov 7 2021",
            "Sunday, November 7th, 2021",
            "Sept 7, 2021",
            "NOVEMBER 7, 2021 3:14 PM",
        ] {
            let want = if s.starts_with("Sept") {
                "2021-09-07"
            } else {
                "2021-11-07"
            };
            assert_eq!(d(s), want, "{s}");
        }
    }

    #[test]
    fn a_web_address_gives_the_date_in_its_path() {
        let u = |s: &str| date_in_url(s).map(|d| d.to_string());
        let day = Some("2021-11-07".to_owned());
        assert_eq!(u("https://example.org/2021/11/07/drone-attack/"), day);
        assert_eq!(u("HTTP://example.org/world/2021/11/7"), day);
        assert_eq!(
            u("https://example.org/news/2021-11-07-drone-attack.html"),
            day
        );
        assert_eq!(u("https://example.org/a/2021-11-07"), day);
        // Not dates: a month alone, an impossible day, an article number, a date in the
        // query or the host, a number run longer than a date, a path that is not a URL.
        assert_eq!(u("https://example.org/2021/11/drone-attack"), None);
        assert_eq!(u("https://example.org/2021/02/30/x"), None);
        assert_eq!(u("https://example.org/news/20211107/x"), None);
        assert_eq!(u("https://example.org/news/x?date=2021-11-07"), None);
        assert_eq!(u("https://2021-11-07.example.org/x"), None);
        assert_eq!(u("https://example.org/id/12021-11-07"), None);
        assert_eq!(u("/var/pages/2021/11/07/x.html"), None);
        assert_eq!(u("https://"), None);
        assert_eq!(u(""), None);
    }

    #[test]
    fn refuses_what_it_cannot_read_with_a_reason() {
        for s in [
            "",
            "yesterday",
            "2021-02-29",
            "2020-13-01",
            "2021-11-07x",
            "2021-11",
            "0001-01-01T00:00:00",
            "31 Foo 2021",
            "November 2021",
            "7 November 21",
            "2021-11-07-08",
        ] {
            assert!(Date::parse(s).is_err(), "{s} read as {}", d(s));
        }
        let e = Date::parse("07/11/2021").unwrap_err();
        assert!(
            e.contains("either order") && e.contains("YYYY-MM-DD"),
            "{e}"
        );
        assert!(Date::parse("2020-02-29").is_ok());
        assert!(Date::parse("1900-02-29").is_err());
        assert!(Date::parse("2000-02-29").is_ok());
        let long = "x".repeat(500);
        assert!(Date::parse(&long).unwrap_err().len() < 400);
    }

    #[test]
    fn weekdays_and_iso_weeks_match_the_calendar() {
        let p = |s: &str| Date::parse(s).unwrap();
        assert_eq!(p("1970-01-01").days_since_epoch(), 0);
        assert_eq!(p("2000-03-01").days_since_epoch(), 11_017);
        assert_eq!(p("1969-12-31").days_since_epoch(), -1);
        // 7 November 2021 was a Sunday; 3 January 2020 a Friday.
        assert_eq!(p("2021-11-07").weekday(), 6);
        assert_eq!(p("2020-01-03").weekday(), 4);
        assert_eq!(p("2021-11-07").iso_week(), (2021, 44));
        // 1 January 2021 (a Friday) is in the last week of 2020, which had 53.
        assert_eq!(p("2021-01-01").iso_week(), (2020, 53));
        assert_eq!(p("2021-01-04").iso_week(), (2021, 1));
        // 30 December 2024 (a Monday) starts week 1 of 2025.
        assert_eq!(p("2024-12-30").iso_week(), (2025, 1));
        assert_eq!(p("2021-11-07").period(Period::Week), "2021-W44");
        assert_eq!(p("2021-11-07").period(Period::Month), "2021-11");
        assert_eq!(p("2021-11-07").period(Period::Quarter), "2021-Q4");
        assert_eq!(p("2021-03-31").period(Period::Quarter), "2021-Q1");
        assert_eq!(p("2021-11-07").period(Period::Year), "2021");
        assert_eq!(p("2200-12-31").next_day(), None);
        assert_eq!(Date::from_days_since_epoch(0), Some(p("1970-01-01")));
        assert_eq!(Date::from_days_since_epoch(-1), Some(p("1969-12-31")));
        assert_eq!(Date::from_days_since_epoch(-100_000), None);
        assert_eq!(p("2020-02-28").next_day(), Some(p("2020-02-29")));
    }

    /// Every day of several years: the next day is the one after, the day count goes up by one
    /// from day to day, the weekday turns, and the ISO week moves only on Mondays, to 1 after
    /// 52 or 53.
    #[test]
    fn day_counts_weekdays_and_weeks_agree_day_by_day() {
        let mut last: Option<Date> = None;
        for year in [1899u16, 1900, 1999, 2000, 2020, 2021, 2024, 2100] {
            for month in 1..=12 {
                for day in 1..=31 {
                    let Some(x) = Date::new(year, month, day) else {
                        continue;
                    };
                    assert_eq!(Date::parse(&x.to_string()), Ok(x));
                    assert_eq!(Date::from_days_since_epoch(x.days_since_epoch()), Some(x));
                    if let Some(l) = last
                        && l.year + 1 >= x.year
                    {
                        assert_eq!(l.next_day(), Some(x), "{l}");
                    }
                    if let Some(l) = last
                        && l.year == x.year
                    {
                        assert_eq!(x.days_since_epoch(), l.days_since_epoch() + 1, "{x}");
                        assert_eq!(x.weekday(), (l.weekday() + 1) % 7, "{x}");
                        let (wy, w) = x.iso_week();
                        let (ly, lw) = l.iso_week();
                        if x.weekday() == 0 {
                            assert!(w == lw + 1 || (w == 1 && (lw == 52 || lw == 53)), "{x}");
                        } else {
                            assert_eq!((wy, w), (ly, lw), "{x}");
                        }
                    }
                    last = Some(x);
                }
            }
        }
    }

    #[test]
    fn serde_round_trip_as_a_string() {
        let x = Date::parse("2021-11-07").unwrap();
        let j = serde_json::to_string(&x).unwrap();
        assert_eq!(j, "\"2021-11-07\"");
        assert_eq!(serde_json::from_str::<Date>(&j).unwrap(), x);
        assert!(serde_json::from_str::<Date>("\"07/11/2021\"").is_err());
    }
}
