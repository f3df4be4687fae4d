//! Source (outlet) mapping: which outlet a document comes from, by its URL host or file name.
//!
//! A map file has one rule per line, `PATTERN OUTLET` (separated by a tab, or by spaces; the
//! outlet may contain spaces); a `#` at the start of a line, or standing alone with space on
//! both sides, starts a comment, while a `#` inside a word belongs to the rule
//! (`C#Weekly_*`, `Sentinel #1 Edition`). A pattern with no `*` or `?` that looks like
//! a host (`example.com`) matches a URL id whose host is that host or a subdomain of it (`www.`
//! and `news.` subdomains included). Any other pattern is a glob (`*` any run of characters, `?`
//! one character) matched against the whole id and against the file name of a path id. The first
//! rule that matches wins.

use std::path::Path;

use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq)]
enum Pattern {
    Host(String),
    Glob(String),
}

/// Rules mapping document ids (URLs, paths) to outlets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceMap {
    rules: Vec<(Pattern, String)>,
}

/// A URL's (`scheme://authority/path?query#fragment`) authority and path (from its first
/// `/`, without query or fragment; empty when there is none); `None` for an id that is no URL.
pub(crate) fn url_parts(id: &str) -> Option<(&str, &str)> {
    let rest = id.split_once("://")?.1;
    let rest = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    Some(rest.split_at(rest.find('/').unwrap_or(rest.len())))
}

/// The host of a URL (`scheme://host[:port]/...`), lowercased.
fn url_host(id: &str) -> Option<String> {
    let (host, _) = url_parts(id)?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// `line` up to its comment: a `#` that starts the line, or stands after a space and before a
/// space or the end of the line.
fn strip_comment(line: &str) -> &str {
    let line = line.trim_start();
    let b = line.as_bytes();
    let at = (0..b.len()).find(|&i| {
        b[i] == b'#'
            && (i == 0
                || b[i - 1].is_ascii_whitespace()
                    && b.get(i + 1).is_none_or(u8::is_ascii_whitespace))
    });
    at.map_or(line, |i| &line[..i])
}

/// Glob match with `*` and `?` (on characters).
fn glob(p: &[char], s: &[char]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

impl SourceMap {
    /// Parse a map file's text; `path` names it in errors.
    pub fn parse(src: &str, path: &Path) -> Result<SourceMap> {
        let mut rules = Vec::new();
        for (i, raw) in src.lines().enumerate() {
            let line = strip_comment(raw).trim();
            if line.is_empty() {
                continue;
            }
            let (pat, outlet) = match line.split_once('\t') {
                Some((p, o)) => (p.trim(), o.trim()),
                None => match line.split_once(char::is_whitespace) {
                    Some((p, o)) => (p.trim(), o.trim()),
                    None => (line, ""),
                },
            };
            if outlet.is_empty() {
                return Err(Error::parse(
                    path,
                    i as u64 + 1,
                    format!("`{line}` has no outlet: write `PATTERN OUTLET`"),
                ));
            }
            let looks_like_host = !pat.contains(['*', '?', '/'])
                && pat.contains('.')
                && pat
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            let pattern = if looks_like_host {
                Pattern::Host(pat.trim_start_matches("www.").to_ascii_lowercase())
            } else {
                Pattern::Glob(pat.to_owned())
            };
            rules.push((pattern, outlet.to_owned()));
        }
        Ok(SourceMap { rules })
    }

    /// Read a map file.
    pub fn load(path: &Path) -> Result<SourceMap> {
        let src = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        SourceMap::parse(&src, path)
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The outlet of the document with this id, if a rule matches.
    pub fn lookup(&self, id: &str) -> Option<&str> {
        let host = url_host(id);
        let id_chars: Vec<char> = id.chars().collect();
        let name: Vec<char> = Path::new(id)
            .file_name()
            .map(|n| n.to_string_lossy().chars().collect())
            .unwrap_or_default();
        self.rules.iter().find_map(|(p, outlet)| {
            let hit = match p {
                Pattern::Host(h) => host
                    .as_deref()
                    .is_some_and(|x| x == h || x.ends_with(&format!(".{h}"))),
                Pattern::Glob(g) => {
                    let g: Vec<char> = g.chars().collect();
                    glob(&g, &id_chars) || (!name.is_empty() && glob(&g, &name))
                }
            };
            hit.then_some(outlet.as_str())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_globs_and_first_match() {
        let m = SourceMap::parse(
            "# outlets\nexample-news.com\tExample News\nwire.org Wire Service # a comment\nalmayadeen_*\tAl Mayadeen\n*.txt\tOther\n",
            Path::new("map.tsv"),
        )
        .unwrap();
        assert_eq!(m.len(), 4);
        assert_eq!(
            m.lookup("https://www.example-news.com/2021/11/a.html"),
            Some("Example News")
        );
        assert_eq!(
            m.lookup("http://news.example-news.com:8080/x"),
            Some("Example News")
        );
        assert_eq!(m.lookup("https://notexample-news.com/x"), None);
        assert_eq!(m.lookup("https://wire.org?id=3"), Some("Wire Service"));
        assert_eq!(
            m.lookup("corpus/2021/almayadeen_0042.txt"),
            Some("Al Mayadeen")
        );
        assert_eq!(m.lookup("corpus/other_1.txt"), Some("Other"));
        assert_eq!(m.lookup("corpus/other_1.md"), None);
        // A `#` inside a word is part of the rule; standing alone it starts a comment.
        let m = SourceMap::parse(
            "C#Weekly_*\tCSharp Weekly\nsentinel.iq\tSentinel #1 Edition #\tnote\n#x y\n",
            Path::new("map.tsv"),
        )
        .unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m.lookup("C#Weekly_3.txt"), Some("CSharp Weekly"));
        assert_eq!(
            m.lookup("https://sentinel.iq/a"),
            Some("Sentinel #1 Edition")
        );
    }

    #[test]
    fn a_rule_without_an_outlet_is_refused_with_its_line() {
        let e = SourceMap::parse("a.com X\nb.com\n", Path::new("m.tsv")).unwrap_err();
        assert!(e.to_string().contains("m.tsv:2"), "{e}");
    }

    #[test]
    fn glob_basics() {
        let g = |p: &str, s: &str| {
            glob(
                &p.chars().collect::<Vec<_>>(),
                &s.chars().collect::<Vec<_>>(),
            )
        };
        assert!(g("*", ""));
        assert!(g("a*c", "abbbc"));
        assert!(g("a?c", "abc"));
        assert!(!g("a?c", "abbc"));
        assert!(g("*.txt", "x.txt"));
        assert!(!g("*.txt", "x.txt.gz"));
    }
}
