//! Input: documents from files, directories, standard input, CSV and JSON Lines; labelled rows
//! for training and evaluation.
//!
//! Reading is lazy ([`Documents`] is an iterator), so a batch of any size streams. A bad item
//! (unreadable file, binary junk, an empty text, a broken CSV row) becomes an [`ItemError`] that
//! names the file and line, and the iterator goes on with the next item.
//!
//! Decoding policy for text files: a UTF-8 byte-order mark is dropped; UTF-16 (LE or BE) is
//! recognised by its byte-order mark and decoded; a file with NUL bytes and no UTF-16 mark is
//! binary and refused; other invalid UTF-8 is decoded lossily (U+FFFD) with a warning, except
//! in a web page, which is decoded as it declares (`<meta charset=...>`) or, declaring
//! nothing, as windows-1252. Texts longer than `max_bytes` are cut at a character boundary with
//! a warning.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::date::{Date, date_in_url};
use crate::error::{Error, Result};
use crate::html::{HTML_EXTENSIONS, HtmlMode, article, find_ascii_ci, looks_like_html};

/// One document to classify.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    /// File path, CSV / JSONL id, or `<file>:<line>`.
    pub id: String,
    /// The outlet, when the input says.
    pub source: Option<String>,
    pub text: String,
    /// Non-fatal problems met while reading (lossy decoding, truncation).
    pub warnings: Vec<String>,
    /// A known label read with the text (`TableSpec::label`), for reports that compare.
    pub label: Option<String>,
    /// When it was published, when the input says (a table's date column or field, a web
    /// page's metadata).
    pub date: Option<Date>,
}

/// A bad input item: where it is and what is wrong.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ItemError {
    pub location: String,
    pub message: String,
}

impl ItemError {
    fn new(location: impl Into<String>, message: impl Into<String>) -> Self {
        ItemError {
            location: location.into(),
            message: message.into(),
        }
    }
}

/// Where documents come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A file, or a directory read recursively; `-` is standard input (one document).
    Path(PathBuf),
    /// A CSV file (`-` for standard input).
    Csv(TableSpec),
    /// A JSON Lines file (`-` for standard input).
    Jsonl(TableSpec),
}

/// Columns (CSV) or fields (JSON Lines) of a table input.
#[derive(Clone, Debug)]
pub struct TableSpec {
    pub path: PathBuf,
    pub text: String,
    /// The id column or field; without one, `id` is used when there is one.
    pub id: Option<String>,
    pub source: Option<String>,
    /// A column or field holding a known label (carried to `Document::label`).
    pub label: Option<String>,
    /// The column or field holding the publication date; without one, `date` is used when
    /// there is one. A date that cannot be read leaves the document undated, with a warning.
    pub date: Option<String>,
}

/// Reading options.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Longest text kept, in bytes; longer texts are cut with a warning. `usize::MAX` keeps
    /// every text whole.
    pub max_bytes: usize,
    /// File extensions taken from directories (lowercase, no dot); empty takes every file.
    pub extensions: Vec<String>,
    /// Which documents are web pages, read for their article text ([`crate::html`]).
    pub html: HtmlMode,
    /// A web page's source (outlet), where no column or field gives one, is the site name in
    /// its metadata, when it has one.
    pub page_source: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_bytes: 16 << 20,
            extensions: ["txt", "text", "md", "html", "htm"]
                .map(String::from)
                .to_vec(),
            html: HtmlMode::Auto,
            page_source: false,
        }
    }
}

/// Whether `text` (of the file at `path`, if a file) is read as a web page in `mode`.
fn is_page(text: &str, path: Option<&Path>, mode: HtmlMode) -> bool {
    match mode {
        HtmlMode::Never => false,
        HtmlMode::Always => true,
        HtmlMode::Auto => {
            path.and_then(|p| p.extension())
                .is_some_and(|x| HTML_EXTENSIONS.iter().any(|e| x.eq_ignore_ascii_case(e)))
                || looks_like_html(text)
        }
    }
}

/// A web page's bytes that are not UTF-8, decoded as the page says it is encoded (a `charset`
/// in its first 1,024 bytes: `<meta charset="windows-1256">`, `content="text/html;
/// charset=iso-8859-1"`) or, when it says nothing, as windows-1252 (what browsers assume of a
/// legacy page), with a warning then or when some bytes are invalid in that encoding. `None`
/// for bytes with a byte-order mark, or a page that declares UTF-8 (read lossily as before).
fn decode_legacy_page(bytes: &[u8]) -> Option<(String, Option<String>)> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF])
        || bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF])
    {
        return None;
    }
    let declared =
        charset_label(&bytes[..bytes.len().min(1024)]).and_then(encoding_rs::Encoding::for_label);
    let enc = declared.unwrap_or(encoding_rs::WINDOWS_1252);
    if enc == encoding_rs::UTF_8 {
        return None;
    }
    let (text, bad) = enc.decode_without_bom_handling(bytes);
    let warning = match (declared, bad) {
        (_, true) => Some(format!(
            "bytes invalid in {} (the page's encoding) replaced with U+FFFD",
            enc.name()
        )),
        (None, false) => Some(
            "not valid UTF-8 and no charset declared: read as windows-1252, as browsers do"
                .to_owned(),
        ),
        (Some(_), false) => None,
    };
    Some((text.into_owned(), warning))
}

/// The label after the first `charset=` in `head` (any case; the value may be quoted).
fn charset_label(head: &[u8]) -> Option<&[u8]> {
    let key = b"charset";
    let at = find_ascii_ci(head, 0, key)?;
    let rest = &head[at + key.len()..];
    let rest = rest
        .trim_ascii_start()
        .strip_prefix(b"=")?
        .trim_ascii_start();
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let len = rest
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b':' | b'.'))
        .count();
    (len > 0).then(|| &rest[..len])
}

/// Decode a text file's bytes by the policy in the module doc.
/// Returns the text and a warning, or the reason it is refused.
pub fn decode(bytes: &[u8]) -> std::result::Result<(String, Option<String>), String> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return decode_utf8(rest);
    }
    let utf16 = |rest: &[u8], le: bool| {
        if !rest.len().is_multiple_of(2) {
            return Err("UTF-16 text with an odd number of bytes".to_owned());
        }
        let units = rest.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        let mut lossy = false;
        let s: String = char::decode_utf16(units)
            .map(|r| {
                r.unwrap_or_else(|_| {
                    lossy = true;
                    char::REPLACEMENT_CHARACTER
                })
            })
            .collect();
        Ok((
            s,
            lossy.then(|| "invalid UTF-16 sequences replaced with U+FFFD".to_owned()),
        ))
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, false);
    }
    decode_utf8(bytes)
}

fn decode_utf8(bytes: &[u8]) -> std::result::Result<(String, Option<String>), String> {
    if bytes.contains(&0) {
        return Err("binary file (contains NUL bytes); not text".to_owned());
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((s.to_owned(), None)),
        Err(e) => {
            let s = String::from_utf8_lossy(bytes).into_owned();
            Ok((s, Some(lossy_warning(&e))))
        }
    }
}

/// The warning for text decoded lossily after UTF-8 error `e`.
fn lossy_warning(e: &std::str::Utf8Error) -> String {
    format!(
        "not valid UTF-8 (first bad byte at offset {}); decoded with U+FFFD replacements",
        e.valid_up_to()
    )
}

/// Cut `text` to at most `max` bytes at a character boundary; returns a warning if it cut.
pub fn truncate(text: &mut String, max: usize) -> Option<String> {
    if text.len() <= max {
        return None;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    // The cut text is what is kept: give back the memory of the rest.
    text.shrink_to_fit();
    Some(format!(
        "text longer than --max-bytes ({max}): truncated to its first {cut} bytes"
    ))
}

fn finish(mut doc: Document, max: usize) -> std::result::Result<Document, ItemError> {
    if doc.text.trim().is_empty() {
        return Err(ItemError::new(doc.id, "empty document (no text)"));
    }
    if let Some(w) = truncate(&mut doc.text, max) {
        doc.warnings.push(w);
    }
    Ok(doc)
}

/// The date of a table cell or field: none for an empty one; for one that cannot be read, none
/// and a warning (the document is still read).
fn read_date(cell: Option<&str>, warnings: &mut Vec<String>) -> Option<Date> {
    let cell = cell?.trim();
    if cell.is_empty() {
        return None;
    }
    Date::parse(cell)
        .map_err(|m| warnings.push(format!("{m}; read without a date")))
        .ok()
}

/// Warnings of a table row name its file and line when the document's id does not.
fn located(mut doc: Document, loc: &str) -> Document {
    if doc.id != loc {
        for w in &mut doc.warnings {
            *w = format!("{loc}: {w}");
        }
    }
    doc
}

/// A document as read, before its last step: a web page still to be read for its article, and
/// the length limit and the empty check still to come ([`complete`]). Kept apart so that the
/// pages of many documents are read in parallel ([`Documents`]).
struct Pending {
    doc: Document,
    /// `doc.text` is a web page.
    page: bool,
    /// A table row's place (`FILE:LINE`), which names its errors and, when the id does not,
    /// its warnings; `None` for a text file, named by its id.
    row: Option<String>,
    /// A date was given with the document (a table's cell that is not empty), read or not:
    /// then the page's and the address's dates are not looked for.
    date_given: bool,
}

type PendingItem = std::result::Result<Pending, ItemError>;

/// The document `p` becomes: a page read for its article (its site name the source under
/// `opts.page_source`, where none is given), then cut to `opts.max_bytes`; an error for a
/// page with no article or an empty text.
fn complete(p: Pending, opts: &ReadOptions) -> std::result::Result<Document, ItemError> {
    let Pending {
        mut doc,
        page,
        row,
        date_given,
    } = p;
    // A page's own date that cannot be read (said after the address has been tried).
    let mut refused = None;
    // An empty page is an empty document, said as such below.
    if page && !doc.text.trim().is_empty() {
        let a =
            article(&doc.text).map_err(|m| ItemError::new(row.as_deref().unwrap_or(&doc.id), m))?;
        doc.text = a.text;
        doc.warnings.extend(a.warning);
        if opts.page_source && doc.source.is_none() {
            doc.source = a.site_name;
        }
        // A date given with the page (a table's column) wins over the page's own.
        if !date_given && let Some(p) = &a.published {
            match Date::parse(p) {
                Ok(d) => doc.date = Some(d),
                Err(m) => refused = Some(m),
            }
        }
    }
    // A document with no date of its own: the date in its web address, if its id is one
    // (`/2021/11/07/`).
    if !date_given && doc.date.is_none() {
        doc.date = date_in_url(&doc.id);
    }
    if let Some(m) = refused {
        let then = match doc.date {
            Some(d) => format!("dated {d} from its web address instead"),
            None => "read without a date".to_owned(),
        };
        doc.warnings
            .push(format!("the page's published {m}; {then}"));
    }
    // `finish` names its errors by the id; a table row is named by its place.
    let doc = finish(doc, opts.max_bytes).map_err(|e| match &row {
        Some(r) => ItemError::new(r, e.message),
        None => e,
    })?;
    Ok(match row {
        Some(r) => located(doc, &r),
        None => doc,
    })
}

/// Read one text file (or standard input for `-`) as a document.
pub fn read_text_file(path: &Path, opts: &ReadOptions) -> std::result::Result<Document, ItemError> {
    read_text_pending(path, opts).and_then(|p| complete(p, opts))
}

/// [`read_text_file`] up to its last step.
fn read_text_pending(path: &Path, opts: &ReadOptions) -> PendingItem {
    let stdin = path.as_os_str() == "-";
    let id = if stdin {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    };
    let mut bytes = Vec::new();
    // At most 4 bytes a character, and a byte-order mark; `usize::MAX` (no limit) saturates.
    let limit = raw_limit(opts.max_bytes) as u64;
    let res = if stdin {
        std::io::stdin().lock().take(limit).read_to_end(&mut bytes)
    } else {
        File::open(path).and_then(|f| f.take(limit).read_to_end(&mut bytes))
    };
    res.map_err(|e| ItemError::new(&id, e.to_string()))?;
    let (mut text, mut warning) = decode(&bytes).map_err(|m| ItemError::new(&id, m))?;
    let page = is_page(&text, (!stdin).then_some(path), opts.html);
    // Not UTF-8: a web page may say how it is encoded.
    if warning.is_some()
        && page
        && let Some((t, w)) = decode_legacy_page(&bytes)
    {
        (text, warning) = (t, w);
    }
    drop(bytes);
    Ok(Pending {
        page,
        doc: Document {
            id,
            source: None,
            text,
            warnings: warning.into_iter().collect(),
            label: None,
            date: None,
        },
        row: None,
        date_given: false,
    })
}

/// A lazy stream of documents from many sources, in order.
pub struct Documents {
    sources: VecDeque<Source>,
    current: Option<Box<dyn Iterator<Item = PendingItem> + Send>>,
    /// Documents completed ahead, in order (see [`Documents::next`]).
    ready: VecDeque<std::result::Result<Document, ItemError>>,
    opts: ReadOptions,
    /// Whether the current source is files (a path or a directory), not a table.
    current_files: bool,
    /// The text files read so far, as (device, inode): a file named twice, or reached by two
    /// paths (`./a` and `a`, a directory and its parent, a link), is read again with a warning.
    seen_files: rustc_hash::FxHashSet<(u64, u64)>,
}

impl Documents {
    /// Documents from `sources`, read lazily.
    pub fn new(sources: Vec<Source>, opts: ReadOptions) -> Self {
        Documents {
            sources: sources.into(),
            current: None,
            ready: VecDeque::new(),
            opts,
            current_files: false,
            seen_files: Default::default(),
        }
    }

    fn open(&self, src: Source) -> Box<dyn Iterator<Item = PendingItem> + Send> {
        let opts = self.opts.clone();
        match src {
            Source::Path(p) if p.as_os_str() != "-" && p.is_dir() => {
                let exts = opts.extensions.clone();
                let walk = walkdir::WalkDir::new(&p)
                    .follow_links(true)
                    .sort_by_file_name()
                    .into_iter()
                    .filter_map(move |e| match e {
                        Err(e) => {
                            let loc = e
                                .path()
                                .map(|p| p.display().to_string())
                                .unwrap_or_else(|| p.display().to_string());
                            let msg = match e.loop_ancestor() {
                                Some(a) => format!("symbolic link loop back to {}", a.display()),
                                None => e
                                    .io_error()
                                    .map(|x| x.to_string())
                                    .unwrap_or_else(|| e.to_string()),
                            };
                            Some(Err(ItemError::new(loc, msg)))
                        }
                        Ok(e) if e.file_type().is_dir() => None,
                        Ok(e) => {
                            if !walk_reads(e.path(), &exts) {
                                return None;
                            }
                            // A named pipe, socket or device met in a walk is not opened:
                            // reading one could block for ever. (Named on the command line,
                            // a pipe is read: that is how `<(...)` works.)
                            if !e.file_type().is_file() {
                                return Some(Err(ItemError::new(
                                    e.path().display().to_string(),
                                    "not a regular file (a named pipe, socket or device); skipped",
                                )));
                            }
                            Some(read_text_pending(e.path(), &opts))
                        }
                    });
                Box::new(walk)
            }
            Source::Path(p) => Box::new(std::iter::once(if p.as_os_str() != "-" && !p.exists() {
                // A symbolic link that leads nowhere, or round in a loop: say which.
                let msg = match (p.symlink_metadata(), std::fs::metadata(&p)) {
                    (Ok(_), Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                        "dangling symbolic link".to_owned()
                    }
                    (Ok(_), Err(e)) => format!("cannot follow the symbolic link: {e}"),
                    _ => "no such file or directory".to_owned(),
                };
                Err(ItemError::new(p.display().to_string(), msg))
            } else {
                read_text_pending(&p, &opts).map(|mut d| {
                    if let Some(flag) = table_flag(&p) {
                        d.doc.warnings.push(format!(
                            "read as one article; to read its rows, give it as {flag} {}",
                            p.display()
                        ));
                    }
                    d
                })
            })),
            Source::Csv(spec) => match CsvDocs::open(spec, opts) {
                Ok(it) => Box::new(it),
                Err(e) => Box::new(std::iter::once(Err(e))),
            },
            Source::Jsonl(spec) => match JsonlDocs::open(spec, opts) {
                Ok(it) => Box::new(it),
                Err(e) => Box::new(std::iter::once(Err(e))),
            },
        }
    }
}

/// Whether a directory walk reads the file at `path`: not hidden (a name starting with `.`),
/// and with one of `extensions` (lowercase, no dot; empty: any).
pub fn walk_reads(path: &Path, extensions: &[String]) -> bool {
    let hidden = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'));
    let ext = path.extension().map(|x| x.to_string_lossy().to_lowercase());
    !hidden && (extensions.is_empty() || ext.is_some_and(|x| extensions.contains(&x)))
}

/// A regular file's identity, (device, inode), however it is named (`./a`, a symbolic or hard
/// link); `None` for anything else, a path that is not there, or off Unix.
pub fn file_id(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
        Some((m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

impl Documents {
    /// Warn on a text file read before in this run (its id is its path).
    fn note_repeat(&mut self, d: &mut Document) {
        if d.id != "<stdin>"
            && let Some(id) = file_id(Path::new(&d.id))
            && !self.seen_files.insert(id)
        {
            d.warnings
                .push("read before in this run (named twice, or by two paths)".to_owned());
        }
    }
}

/// Most documents read ahead to read their web pages in parallel.
const PAGES_AHEAD: usize = 64;
/// Most bytes of text read ahead so.
const PAGE_BYTES_AHEAD: usize = 16 << 20;

impl Documents {
    /// The next item as read, before its last step.
    fn next_pending(&mut self) -> Option<PendingItem> {
        loop {
            if let Some(it) = &mut self.current {
                if let Some(mut x) = it.next() {
                    if self.current_files
                        && let Ok(p) = &mut x
                    {
                        self.note_repeat(&mut p.doc);
                    }
                    return Some(x);
                }
                self.current = None;
            }
            let src = self.sources.pop_front()?;
            self.current_files = matches!(src, Source::Path(_));
            self.current = Some(self.open(src));
        }
    }
}

impl Iterator for Documents {
    type Item = std::result::Result<Document, ItemError>;
    /// Items in input order. A text that is not a web page is completed at once; at a web page,
    /// the items after it are read ahead (up to 64 items and 16 MB of text, to
    /// the end of the inputs at most) and their pages read for their articles in parallel on
    /// the rayon pool, which takes about 0.3 ms of CPU for a page of 18 KB.
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(x) = self.ready.pop_front() {
            return Some(x);
        }
        let first = match self.next_pending()? {
            Ok(p) if p.page => p,
            x => return Some(x.and_then(|p| complete(p, &self.opts))),
        };
        let mut ahead = vec![Ok(first)];
        let mut bytes = 0;
        while ahead.len() < PAGES_AHEAD && bytes < PAGE_BYTES_AHEAD {
            let Some(x) = self.next_pending() else { break };
            if let Ok(p) = &x {
                bytes += p.doc.text.len();
            }
            ahead.push(x);
        }
        use rayon::prelude::*;
        let opts = &self.opts;
        self.ready = ahead
            .into_par_iter()
            .map(|x| x.and_then(|p| complete(p, opts)))
            .collect::<Vec<_>>()
            .into();
        self.ready.pop_front()
    }
}

/// `path` opened for reading (`-`: standard input).
fn open_input(path: &Path) -> std::io::Result<Box<dyn Read + Send>> {
    if path.as_os_str() == "-" {
        Ok(Box::new(std::io::stdin()))
    } else {
        File::open(path).map(|f| Box::new(f) as Box<dyn Read + Send>)
    }
}

/// [`open_input`] for a document source: a failure is that source's [`ItemError`].
fn open_reader(path: &Path) -> std::result::Result<Box<dyn Read + Send>, ItemError> {
    open_input(path).map_err(|e| ItemError::new(path.display().to_string(), e.to_string()))
}

/// Find a named column; the error lists the columns there are.
fn column(headers: &csv::StringRecord, name: &str) -> std::result::Result<usize, String> {
    headers.iter().position(|h| h == name).ok_or_else(|| {
        let have: Vec<&str> = headers.iter().collect();
        format!(
            "no column `{name}`; the columns are: {}",
            if have.is_empty() {
                "(none)".to_owned()
            } else {
                have.join(", ")
            }
        )
    })
}

/// A CSV reader over `r` that follows its quoting and lines and bounds its records
/// ([`QuoteTrack`]; `limit` bytes at most per record): after the last record,
/// `rdr.get_ref().track.ends_open()` says whether the file ended inside a quoted field, and
/// [`record_start`] gives the line a record starts on and whether it was too long.
fn csv_reader(r: Box<dyn Read + Send>, limit: usize) -> CsvReader {
    csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(QuoteTrack {
            inner: BufReader::new(SkipBom::new(r)),
            track: Track {
                state: CsvQuoting::RecordStart,
                line: 1,
                after_cr: false,
                offset: 0,
                starts: VecDeque::new(),
                begun: false,
                eof: false,
                limit,
                record_len: 0,
                records: 0,
                skipping: false,
                pending: b"",
            },
        })
}

type CsvReader = csv::Reader<QuoteTrack<BufReader<SkipBom<Box<dyn Read + Send>>>>>;

/// A reader that drops a UTF-8 byte order mark at the start of `inner`, however the bytes
/// arrive: the csv crate drops one only when its first read holds all three bytes, and a pipe
/// may hand over the mark alone or split (the header's first name then starts with U+FEFF, or
/// the input reads as empty).
struct SkipBom<R> {
    inner: R,
    /// The first bytes, up to three, read before anything is handed on.
    head: [u8; 3],
    /// `head[at..len]` is still to be handed on.
    at: usize,
    len: usize,
    started: bool,
}

impl<R: Read> SkipBom<R> {
    fn new(inner: R) -> Self {
        SkipBom {
            inner,
            head: [0; 3],
            at: 0,
            len: 0,
            started: false,
        }
    }
}

impl<R: Read> Read for SkipBom<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.started {
            while self.len < 3 {
                match self.inner.read(&mut self.head[self.len..]) {
                    Ok(0) => break,
                    Ok(n) => self.len += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            self.started = true;
            if self.head[..self.len] == [0xEF, 0xBB, 0xBF] {
                self.len = 0;
            }
        }
        if self.at < self.len {
            let n = (self.len - self.at).min(buf.len());
            buf[..n].copy_from_slice(&self.head[self.at..self.at + n]);
            self.at += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

/// Where a record read by `rdr` starts, from its position (`pos`, the byte after the record
/// before it; `None` for an error with no record, such as a read error: the last record
/// begun).
fn record_start(rdr: &mut CsvReader, pos: Option<&csv::Position>) -> RecordStart {
    let t = &mut rdr.get_mut().track;
    let here = RecordStart {
        at: t.offset,
        line: t.line,
        too_long: false,
    };
    match pos {
        Some(p) => t.start_at(p.byte()).unwrap_or(here),
        None => t.starts.back().copied().unwrap_or(here),
    }
}

/// Where a record starts (its first byte: its offset in the bytes handed to the csv parser,
/// and its line), and whether it was longer than the limit (and cut short).
#[derive(Clone, Copy, Debug)]
struct RecordStart {
    at: u64,
    line: u64,
    too_long: bool,
}

/// Follows the quoting of the CSV bytes read through it, as the csv crate's parser reads them
/// (`,` between fields, `\r` or `\n` ending a record, line breaks before a record skipped, `"`
/// opening a field only at its start, `""` inside a quoted field), so as to tell whether the
/// stream stopped inside a quoted field: that field never closed, and the csv crate reads it to
/// the end of the file quietly. A `"` in the middle of an unquoted field (`a 12" screen`) is a
/// plain character and changes nothing.
///
/// It also counts lines and notes where each record starts. The csv crate's own line count
/// only counts `\n` and gives the line where its parser stood after the record before, which
/// is one line short for a file with CRLF line ends (the parser ends a record at its `\r`) or
/// blank lines between records, and never moves in a file with CR line ends. Here a line ends
/// at `\n`, `\r\n` or a lone `\r`, and a record's line is that of its first byte.
///
/// And it bounds the memory a record takes: the csv crate holds a whole record, however long
/// (a file of NUL bytes, or one cut by a crash and padded with them, is one endless record). A
/// record longer than the limit is handed on only up to the limit and then closed (with a `"`
/// if it stopped inside a quoted field, and a line break), so the parser reads a short record
/// and stays in step; the rest of the record is read through here without being held, and the
/// record is marked too long. The header row (the first record) too long is a read error.
struct QuoteTrack<R> {
    inner: R,
    track: Track,
}

/// What [`QuoteTrack`] knows of the bytes read through it.
struct Track {
    state: CsvQuoting,
    /// The line of the next byte.
    line: u64,
    /// Whether the last byte was `\r` (a `\n` after it ends no further line).
    after_cr: bool,
    /// Bytes handed on so far.
    offset: u64,
    /// Where the records read so far start, oldest first; [`Track::start_at`] drops those
    /// the csv reader has gone past, so only the records in its buffer are held.
    starts: VecDeque<RecordStart>,
    /// Whether the first bytes have been handed on (a UTF-8 byte-order mark in them is
    /// skipped).
    begun: bool,
    /// Whether the end of the stream has been reached.
    eof: bool,
    /// Most bytes of a record handed on (its line end not counted).
    limit: usize,
    /// Bytes of the current record so far.
    record_len: usize,
    /// Records begun.
    records: u64,
    /// Reading through the rest of a record that is too long.
    skipping: bool,
    /// Bytes to hand on before any more of the stream: the close of a record cut short.
    pending: &'static [u8],
}

/// Where a CSV parser stands with respect to quoting (see [`QuoteTrack`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum CsvQuoting {
    /// Before a record: line breaks here are skipped.
    RecordStart,
    FieldStart,
    Unquoted,
    Quoted,
    /// A `"` inside a quoted field: it closes the field, or starts a `""`.
    QuoteInQuoted,
}

impl CsvQuoting {
    fn next(self, b: u8) -> CsvQuoting {
        use CsvQuoting::*;
        match (self, b) {
            (Quoted, b'"') => QuoteInQuoted,
            (Quoted, _) => Quoted,
            (QuoteInQuoted, b'"') => Quoted,
            (_, b'\r' | b'\n') => RecordStart,
            (_, b',') => FieldStart,
            (FieldStart | RecordStart, b'"') => Quoted,
            _ => Unquoted,
        }
    }

    #[cfg(test)]
    fn after(self, bytes: &[u8]) -> CsvQuoting {
        bytes.iter().fold(self, |s, &b| s.next(b))
    }
}

impl Track {
    /// Whether the bytes read so far end inside a quoted field.
    fn ends_open(&self) -> bool {
        self.state == CsvQuoting::Quoted
    }

    /// Whether the record just looked up ([`Track::start_at`]) is the file's last.
    fn at_last(&self) -> bool {
        self.eof && self.starts.len() <= 1
    }

    /// After the header row is read: the line of the header when its quoted field never
    /// closed, so that it is the file's only record and holds every line after it.
    fn open_header(&self) -> Option<u64> {
        (self.at_last() && self.ends_open()).then(|| self.starts.front().map_or(1, |s| s.line))
    }

    /// Follow one byte; `at` is its offset if it is handed on.
    fn step(&mut self, b: u8, at: u64) {
        if self.state == CsvQuoting::RecordStart && b != b'\r' && b != b'\n' {
            self.starts.push_back(RecordStart {
                at,
                line: self.line,
                too_long: false,
            });
            self.records += 1;
            self.record_len = 0;
        }
        self.state = self.state.next(b);
        if b == b'\r' || (b == b'\n' && !self.after_cr) {
            self.line += 1;
        }
        self.after_cr = b == b'\r';
    }

    /// The record the csv reader read from byte offset `pos` on: the first record that starts
    /// there or after (before it come only the line breaks it skipped).
    fn start_at(&mut self, pos: u64) -> Option<RecordStart> {
        while self.starts.front().is_some_and(|s| s.at < pos) {
            self.starts.pop_front();
        }
        self.starts.front().copied()
    }
}

impl<R: BufRead> Read for QuoteTrack<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        use CsvQuoting::*;
        let t = &mut self.track;
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if !t.pending.is_empty() {
                let n = t.pending.len().min(out.len());
                out[..n].copy_from_slice(&t.pending[..n]);
                t.pending = &t.pending[n..];
                t.offset += n as u64;
                return Ok(n);
            }
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                t.eof = true;
                return Ok(0);
            }
            if t.skipping {
                // The rest of a record too long: followed to its line end, not handed on.
                let mut i = 0;
                while i < chunk.len() && t.skipping {
                    t.step(chunk[i], t.offset);
                    t.skipping = t.state != RecordStart;
                    i += 1;
                }
                self.inner.consume(i);
                if !t.skipping {
                    t.pending = b"\n";
                }
                continue;
            }
            let chunk = &chunk[..chunk.len().min(out.len())];
            let mut n = 0;
            // The csv crate drops a UTF-8 byte-order mark at the start of the first bytes it
            // is given when they hold the whole mark: so does this.
            if !t.begun {
                t.begun = true;
                if chunk.starts_with(&[0xEF, 0xBB, 0xBF]) {
                    n = 3;
                }
            }
            while n < chunk.len() {
                // Inside a field, only a few bytes change anything: skip to the next one
                // (within the record's limit), as the byte loop below would, a word at a time.
                if matches!(t.state, Quoted | Unquoted) {
                    let room = t.limit.saturating_sub(t.record_len);
                    let window = &chunk[n..chunk.len().min(n.saturating_add(room))];
                    let found = if t.state == Quoted {
                        memchr::memchr3(b'"', b'\r', b'\n', window)
                    } else {
                        memchr::memchr3(b',', b'\r', b'\n', window)
                    };
                    let skip = found.unwrap_or(window.len());
                    if skip > 0 {
                        t.record_len += skip;
                        t.after_cr = false;
                        n += skip;
                        continue;
                    }
                }
                let b = chunk[n];
                let line_end = b == b'\r' || b == b'\n';
                // Bytes of a record, but for the line break that ends it.
                let in_record = t.state == Quoted || !line_end;
                if in_record && t.state != RecordStart && t.record_len >= t.limit {
                    if let Some(s) = t.starts.back_mut() {
                        s.too_long = true;
                    }
                    if t.records == 1 {
                        return Err(std::io::Error::other(format!(
                            "the header row is longer than {} bytes",
                            t.limit
                        )));
                    }
                    // Closed here; the rest is read through.
                    t.skipping = true;
                    if t.state == Quoted {
                        t.pending = b"\"";
                    }
                    break;
                }
                t.step(b, t.offset + n as u64);
                if in_record {
                    t.record_len += 1;
                }
                n += 1;
            }
            out[..n].copy_from_slice(&chunk[..n]);
            self.inner.consume(n);
            t.offset += n as u64;
            if n > 0 {
                return Ok(n);
            }
        }
    }
}

/// How the limit on a CSV record or a JSON line follows from `--max-bytes`.
const LIMIT_NOTE: &str = "4 x --max-bytes + 4";

/// Most bytes of a CSV record or a JSON line read for a text limit of `max_bytes` (longer
/// ones are skipped without being held), and most bytes of a text file read: room for any
/// encoding of `max_bytes` of text (`4 x max_bytes + 4`).
pub fn raw_limit(max_bytes: usize) -> usize {
    max_bytes.saturating_mul(4).saturating_add(4)
}

/// The error for a record too long, which was skipped.
fn too_long(what: &str, limit: usize) -> String {
    format!("{what} longer than {limit} bytes ({LIMIT_NOTE}): skipped")
}

/// The error for a CSV file or input with nothing in it (or only line breaks).
const EMPTY_CSV: &str =
    "empty input: no header row (the first row of a CSV file names its columns) and no rows";

/// The error for a JSON Lines file or input with nothing in it (or only blank lines).
const EMPTY_JSONL: &str = "empty input: no JSON lines";

/// The error for a record whose quoted field runs to the end of the file.
const UNTERMINATED: &str =
    "unterminated quoted field: it runs to the end of the file (a missing closing `\"`?)";

/// Read the header row of `rdr`, a CSV file at `path`; the error names the file (and line).
fn read_header(
    rdr: &mut CsvReader,
    path: &Path,
) -> std::result::Result<csv::StringRecord, ItemError> {
    let loc = path.display().to_string();
    let headers = match rdr.headers() {
        // No record at all: say so, rather than "no column `text`; the columns are: (none)".
        Ok(h) if h.is_empty() => return Err(ItemError::new(loc, EMPTY_CSV)),
        Ok(h) => h.clone(),
        Err(e) => {
            let t = &rdr.get_ref().track;
            let first = t.starts.front();
            let line = first.map_or(1, |s| s.line);
            let message = if first.is_some_and(|s| s.too_long) {
                format!(
                    "the header row is longer than {} bytes ({LIMIT_NOTE}): not a CSV file? \
                     The file is not read",
                    t.limit
                )
            } else {
                format!("cannot read the CSV header: {e}")
            };
            return Err(ItemError::new(format!("{loc}:{line}"), message));
        }
    };
    if let Some(line) = rdr.get_ref().track.open_header() {
        return Err(ItemError::new(
            format!("{loc}:{line}"),
            format!("header row: {UNTERMINATED}"),
        ));
    }
    Ok(headers)
}

/// Ids remembered per table for the duplicate check: later rows are checked against the first
/// this many, so memory does not grow with the table (about 4 MB, reserved up front).
pub const ID_CHECK_LIMIT: usize = 100_000;

/// Ids met so far in one table (by 64-bit hash), with their lines.
#[derive(Default)]
struct SeenIds(rustc_hash::FxHashMap<u64, u64>);

impl SeenIds {
    /// The line where `id` was first seen, if it was (among the first [`ID_CHECK_LIMIT`]).
    fn check(&mut self, id: &str, line: u64) -> Option<u64> {
        use std::hash::BuildHasher;
        if self.0.capacity() == 0 {
            self.0.reserve(ID_CHECK_LIMIT);
        }
        let key = rustc_hash::FxBuildHasher.hash_one(id);
        if let Some(&first) = self.0.get(&key) {
            return Some(first);
        }
        if self.0.len() < ID_CHECK_LIMIT {
            self.0.insert(key, line);
        }
        None
    }

    /// A row's id: `given` when there is one (with a warning in `warnings` when it was seen
    /// before), else its location `loc`.
    fn id(
        &mut self,
        given: Option<String>,
        line: u64,
        loc: &str,
        warnings: &mut Vec<String>,
    ) -> String {
        match given.filter(|x| !x.is_empty()) {
            Some(id) => {
                if let Some(first) = self.check(&id, line) {
                    warnings.push(format!("duplicate id (first at line {first})"));
                }
                id
            }
            None => loc.to_owned(),
        }
    }
}

/// The option that reads `p` as a table, when its extension says it is one (`.csv`,
/// `.jsonl`, `.ndjson`): named as a plain file it would be read as one article.
fn table_flag(p: &Path) -> Option<&'static str> {
    let ext = p.extension()?.to_string_lossy().to_lowercase();
    match ext.as_str() {
        "csv" => Some("--csv"),
        "jsonl" | "ndjson" => Some("--jsonl"),
        _ => None,
    }
}

struct CsvDocs {
    path: PathBuf,
    rdr: CsvReader,
    cols: (
        usize,
        Option<usize>,
        Option<usize>,
        Option<usize>,
        Option<usize>,
    ),
    seen: SeenIds,
    /// A record buffer handed back after use, so reading does not allocate per row.
    spare: csv::StringRecord,
    opts: ReadOptions,
    /// No more records: the end of the file, or an error the reader cannot go past.
    done: bool,
}

/// A record buffer that held more than this is dropped after use rather than kept for the
/// next record, so one long record does not hold its memory for the rest of the file.
const SPARE_RECORD_BYTES: usize = 1 << 16;

impl CsvDocs {
    fn open(spec: TableSpec, opts: ReadOptions) -> std::result::Result<Self, ItemError> {
        let r = open_reader(&spec.path)?;
        Self::from_reader(spec, opts, r)
    }

    /// Read the CSV from `r` (named by `spec.path` in messages).
    fn from_reader(
        spec: TableSpec,
        opts: ReadOptions,
        r: Box<dyn Read + Send>,
    ) -> std::result::Result<Self, ItemError> {
        let loc = spec.path.display().to_string();
        let mut rdr = csv_reader(r, raw_limit(opts.max_bytes));
        let headers = read_header(&mut rdr, &spec.path)?;
        let col = |n: &str| column(&headers, n).map_err(|m| ItemError::new(&loc, m));
        let text = col(&spec.text)?;
        let id = match spec.id.as_deref() {
            Some(n) => Some(col(n)?),
            None => headers.iter().position(|h| h == "id"),
        };
        let source = spec.source.as_deref().map(col).transpose()?;
        let label = spec.label.as_deref().map(col).transpose()?;
        let date = match spec.date.as_deref() {
            Some(n) => Some(col(n)?),
            None => headers.iter().position(|h| h == "date"),
        };
        Ok(CsvDocs {
            path: spec.path,
            rdr,
            cols: (text, id, source, label, date),
            seen: SeenIds::default(),
            spare: csv::StringRecord::new(),
            opts,
            done: false,
        })
    }
}

impl Iterator for CsvDocs {
    type Item = PendingItem;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut record = std::mem::take(&mut self.spare);
        let read = self.rdr.read_record(&mut record);
        let start = match &read {
            Ok(true) => record_start(&mut self.rdr, record.position()),
            Ok(false) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                if csv_fatal(e) {
                    self.done = true;
                }
                record_start(&mut self.rdr, e.position())
            }
        };
        let loc = format!("{}:{}", self.path.display(), start.line);
        let t = &self.rdr.get_ref().track;
        // The file ends inside a quoted field of the last record: the field never closed, and
        // the record is a fragment (cut short) or swallowed the lines after it, whatever it
        // looks like (whole, short of fields, with or without a line break, too long).
        let unterminated = t.at_last() && t.ends_open();
        let refused = match &read {
            Err(e) if csv_fatal(e) => Some(csv_message(e)),
            _ if unterminated => Some(UNTERMINATED.to_owned()),
            _ if start.too_long => Some(too_long("record", t.limit)),
            Err(e) => Some(csv_message(e)),
            Ok(_) => None,
        };
        if let Some(m) = refused {
            self.keep(record);
            return Some(Err(ItemError::new(loc, m)));
        }
        let (t, i, s, l, d) = self.cols;
        let get = |k: usize| record.get(k).unwrap_or("").to_owned();
        let mut warnings = Vec::new();
        let id = self.seen.id(i.map(get), start.line, &loc, &mut warnings);
        let text = get(t);
        let cell = d.and_then(|k| record.get(k));
        let date_given = cell.is_some_and(|c| !c.trim().is_empty());
        let date = read_date(cell, &mut warnings);
        let doc = Document {
            id,
            source: s.map(get).filter(|x| !x.is_empty()),
            warnings,
            label: l.map(get).filter(|x| !x.is_empty()),
            text,
            date,
        };
        self.keep(record);
        Some(Ok(Pending {
            page: is_page(&doc.text, None, self.opts.html),
            doc,
            row: Some(loc),
            date_given,
        }))
    }
}

impl CsvDocs {
    /// Keep `record` for the next one, unless it grew large.
    fn keep(&mut self, record: csv::StringRecord) {
        if record.as_byte_record().as_slice().len() <= SPARE_RECORD_BYTES {
            self.spare = record;
        }
    }
}

/// Whether the csv reader cannot go on after error `e` (a read error).
fn csv_fatal(e: &csv::Error) -> bool {
    !matches!(
        e.kind(),
        csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. }
    )
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            let s = if *len == 1 { "" } else { "s" };
            format!("row has {len} field{s}, the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "row is not valid UTF-8".to_owned(),
        csv::ErrorKind::Io(io) => format!("read error: {io}"),
        _ => e.to_string(),
    }
}

/// The lines of a byte stream (ending at `\n`), each held only up to a limit: a longer line is
/// read through to its end without being held, and reported as too long. So a file of any
/// shape (one endless line, a tail of NUL bytes) is read in memory bounded by the limit.
pub struct Lines<R> {
    inner: R,
    limit: usize,
    buf: Vec<u8>,
    line: u64,
}

/// A line read by [`Lines`].
#[derive(Debug, PartialEq)]
pub enum Line<'a> {
    /// The line's bytes, without its `\n`.
    Bytes(&'a [u8]),
    /// A line longer than the limit, skipped: how many bytes it had (without its `\n`).
    TooLong(u64),
}

impl<R: BufRead> Lines<R> {
    /// The lines of `inner`, each held up to `limit` bytes.
    pub fn new(inner: R, limit: usize) -> Self {
        Lines {
            inner,
            limit,
            buf: Vec::new(),
            line: 0,
        }
    }

    /// The next line and its number (the first is 1), or `None` at the end of the stream.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<(u64, std::io::Result<Line<'_>>)> {
        self.buf.clear();
        let cap = (self.limit as u64).saturating_add(1);
        let read = (&mut self.inner).take(cap).read_until(b'\n', &mut self.buf);
        match read {
            Ok(0) => return None,
            Ok(_) => self.line += 1,
            Err(e) => {
                self.line += 1;
                return Some((self.line, Err(e)));
            }
        }
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        } else if self.buf.len() > self.limit {
            // Too long: read through to the end of the line, holding nothing.
            let mut len = self.buf.len() as u64;
            self.buf.clear();
            loop {
                let chunk = match self.inner.fill_buf() {
                    Ok(c) => c,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Some((self.line, Err(e))),
                };
                if chunk.is_empty() {
                    break;
                }
                if let Some(i) = chunk.iter().position(|&b| b == b'\n') {
                    len += i as u64;
                    self.inner.consume(i + 1);
                    break;
                }
                let n = chunk.len();
                len += n as u64;
                self.inner.consume(n);
            }
            return Some((self.line, Ok(Line::TooLong(len))));
        }
        Some((self.line, Ok(Line::Bytes(&self.buf))))
    }
}

struct JsonlDocs {
    path: PathBuf,
    lines: Lines<BufReader<Box<dyn Read + Send>>>,
    spec: TableSpec,
    seen: SeenIds,
    opts: ReadOptions,
    /// Whether a line other than a blank one was read (or the input found empty).
    any: bool,
    /// After a read error: the stream is not read again (a directory, say, fails every read).
    done: bool,
}

impl JsonlDocs {
    fn open(spec: TableSpec, opts: ReadOptions) -> std::result::Result<Self, ItemError> {
        let r = open_reader(&spec.path)?;
        Ok(Self::from_reader(spec, opts, r))
    }

    /// Read the lines of `r` (named by `spec.path` in messages).
    fn from_reader(spec: TableSpec, opts: ReadOptions, r: Box<dyn Read + Send>) -> Self {
        JsonlDocs {
            path: spec.path.clone(),
            lines: Lines::new(BufReader::new(r), raw_limit(opts.max_bytes)),
            spec,
            seen: SeenIds::default(),
            opts,
            any: false,
            done: false,
        }
    }
}

impl Iterator for JsonlDocs {
    type Item = PendingItem;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            let Some((line, read)) = self.lines.next() else {
                // An empty input is an error, as an empty CSV is.
                if self.any {
                    return None;
                }
                self.any = true;
                return Some(Err(ItemError::new(
                    self.path.display().to_string(),
                    EMPTY_JSONL,
                )));
            };
            let loc = format!("{}:{line}", self.path.display());
            let raw = match read {
                Ok(Line::Bytes(b)) => b,
                Ok(Line::TooLong(_)) => {
                    self.any = true;
                    let limit = raw_limit(self.opts.max_bytes);
                    return Some(Err(ItemError::new(loc, too_long("line", limit))));
                }
                Err(e) => {
                    self.any = true;
                    self.done = true;
                    return Some(Err(ItemError::new(loc, format!("read error: {e}"))));
                }
            };
            // Invalid UTF-8 is decoded with U+FFFD and a warning, as in a text file (inside a
            // string it is text; elsewhere the line is then malformed JSON).
            let mut warnings = Vec::new();
            let s = match std::str::from_utf8(raw) {
                Ok(s) => std::borrow::Cow::Borrowed(s),
                Err(e) => {
                    warnings.push(lossy_warning(&e));
                    String::from_utf8_lossy(raw)
                }
            };
            let s = s.trim();
            let s = if line == 1 {
                s.strip_prefix('\u{feff}').unwrap_or(s)
            } else {
                s
            };
            if s.is_empty() {
                continue;
            }
            self.any = true;
            let mut v: serde_json::Value = match serde_json::from_str(s) {
                Ok(v) => v,
                Err(e) => return Some(Err(ItemError::new(loc, format!("malformed JSON: {e}")))),
            };
            if !v.is_object() {
                return Some(Err(ItemError::new(
                    loc,
                    "not a JSON object (each line must be one object with the text in a field)",
                )));
            }
            // The text is taken out of the object, not copied.
            let text = match v.get_mut(&self.spec.text) {
                Some(serde_json::Value::String(t)) => std::mem::take(t),
                found => {
                    let why = if found.is_some() {
                        "is not a string"
                    } else {
                        "is missing"
                    };
                    return Some(Err(ItemError::new(
                        loc,
                        format!("field `{}` {why}", self.spec.text),
                    )));
                }
            };
            let field = |name: &str| -> Option<String> {
                match v.get(name)? {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Null => None,
                    other => Some(other.to_string()),
                }
            };
            let given = field(self.spec.id.as_deref().unwrap_or("id"));
            let id = self.seen.id(given, line, &loc, &mut warnings);
            let source = self.spec.source.as_deref().and_then(field);
            let date = field(self.spec.date.as_deref().unwrap_or("date"));
            let date_given = date.as_deref().is_some_and(|c| !c.trim().is_empty());
            let date = read_date(date.as_deref(), &mut warnings);
            return Some(Ok(Pending {
                page: is_page(&text, None, self.opts.html),
                doc: Document {
                    id,
                    source,
                    text,
                    warnings,
                    label: self.spec.label.as_deref().and_then(field),
                    date,
                },
                row: Some(loc),
                date_given,
            }));
        }
    }
}

/// A labelled row for training or evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelledRow {
    /// Line of the row in its file.
    pub line: u64,
    pub id: Option<String>,
    pub text: String,
    /// One label per requested head, in order; `None` where the row's cell is empty (a row
    /// labelled for some heads only: each head learns from, and is scored on, the rows that
    /// have its label).
    pub labels: Vec<Option<String>>,
}

/// Labelled rows read from a CSV, and the rows refused.
#[derive(Clone, Debug, Default)]
pub struct LabelledSet {
    pub rows: Vec<LabelledRow>,
    pub errors: Vec<ItemError>,
}

impl LabelledSet {
    /// Read `path` (CSV with a header): text from `text_col`, one label per entry of
    /// `label_cols`. A row with a missing text, with no label in any of the columns, or with a
    /// label outside `allowed` (when given for that column), is refused with its line number; a
    /// row with some labels and not others is kept, `None` for those it lacks. A missing column is an error
    /// for the whole file; a file that cannot be opened is [`Error::Io`] with its path.
    pub fn read_csv(
        path: &Path,
        text_col: &str,
        id_col: Option<&str>,
        label_cols: &[String],
        allowed: &[Option<Vec<String>>],
        max_bytes: usize,
    ) -> Result<LabelledSet> {
        let r = open_input(path).map_err(|e| Error::io(path, e))?;
        let limit = raw_limit(max_bytes);
        let mut rdr = csv_reader(r, limit);
        let headers = read_header(&mut rdr, path).map_err(|e| Error::Invalid(e.to_string()))?;
        let col = |n: &str| {
            column(&headers, n).map_err(|m| Error::Invalid(format!("{}: {m}", path.display())))
        };
        let text = col(text_col)?;
        let id = id_col.map(col).transpose()?;
        let labels: Vec<usize> = label_cols.iter().map(|c| col(c)).collect::<Result<_>>()?;
        let mut set = LabelledSet::default();
        let mut rec = csv::StringRecord::new();
        loop {
            if rec.as_byte_record().as_slice().len() > SPARE_RECORD_BYTES {
                rec = csv::StringRecord::new();
            }
            let read = rdr.read_record(&mut rec);
            let start = match &read {
                Ok(true) => record_start(&mut rdr, rec.position()),
                Ok(false) => break,
                Err(e) => record_start(&mut rdr, e.position()),
            };
            let line = start.line;
            let loc = format!("{}:{line}", path.display());
            let t = &rdr.get_ref().track;
            let refused = match &read {
                Err(e) if csv_fatal(e) => {
                    set.errors.push(ItemError::new(loc, csv_message(e)));
                    break;
                }
                // The file ends inside a quoted field of the last record, which is a fragment
                // or swallowed the lines after it: refused, whatever else could be said of it.
                _ if t.at_last() && t.ends_open() => Some(UNTERMINATED.to_owned()),
                _ if start.too_long => Some(too_long("record", limit)),
                Err(e) => Some(csv_message(e)),
                Ok(_) => None,
            };
            if let Some(m) = refused {
                set.errors.push(ItemError::new(loc, m));
                continue;
            }
            let text = rec.get(text).unwrap_or("").to_owned();
            if text.trim().is_empty() {
                set.errors
                    .push(ItemError::new(loc, format!("empty `{text_col}`")));
                continue;
            }
            // A text that looks like a web page is read for its article, as `classify` reads it.
            let mut text = if is_page(&text, None, HtmlMode::Auto) {
                match article(&text) {
                    Ok(page) => page.text,
                    Err(m) => {
                        set.errors.push(ItemError::new(loc, m));
                        continue;
                    }
                }
            } else {
                text
            };
            truncate(&mut text, max_bytes);
            let mut row_labels = Vec::with_capacity(labels.len());
            let mut bad = None;
            for (h, &c) in labels.iter().enumerate() {
                let v = rec.get(c).unwrap_or("").trim();
                if v.is_empty() {
                    row_labels.push(None);
                    continue;
                }
                if let Some(Some(ok)) = allowed.get(h)
                    && !ok.iter().any(|a| a == v)
                {
                    bad = Some(format!(
                        "label `{v}` in column `{}` is not one of: {}",
                        label_cols[h],
                        ok.join(", ")
                    ));
                    break;
                }
                row_labels.push(Some(v.to_owned()));
            }
            if bad.is_none() && !labels.is_empty() && row_labels.iter().all(Option::is_none) {
                bad = Some(match label_cols {
                    [one] => format!("missing label in column `{one}`"),
                    all => format!(
                        "no label in any of the columns {}",
                        all.iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
            if let Some(m) = bad {
                set.errors.push(ItemError::new(loc, m));
                continue;
            }
            set.rows.push(LabelledRow {
                line,
                id: id.and_then(|k| rec.get(k)).map(str::to_owned),
                text,
                labels: row_labels,
            });
        }
        Ok(set)
    }

    /// SHA-256 (hex) of the rows: text and labels, in order.
    pub fn sha256(&self) -> String {
        let mut h = Sha256::new();
        for r in &self.rows {
            h.update(r.text.as_bytes());
            for l in &r.labels {
                match l {
                    Some(l) => {
                        h.update([0u8]);
                        h.update(l.as_bytes());
                    }
                    // A byte no label's 0 separator can be mistaken for.
                    None => h.update([1u8]),
                }
            }
            h.update([b'\n']);
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_policy() {
        assert_eq!(decode(b"plain").unwrap(), ("plain".to_owned(), None));
        assert_eq!(decode(b"\xEF\xBB\xBFbom").unwrap().0, "bom");
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("Kad\u{e9}".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&le).unwrap().0, "Kad\u{e9}");
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("hi".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&be).unwrap().0, "hi");
        assert!(decode(b"ab\x00cd").unwrap_err().contains("binary"));
        let (s, w) = decode(b"caf\xE9 ok").unwrap();
        assert_eq!(s, "caf\u{FFFD} ok");
        assert!(w.unwrap().contains("offset 3"));
    }

    #[test]
    fn truncation_keeps_char_boundaries() {
        let mut s = "ab\u{e9}cd".to_owned();
        assert!(truncate(&mut s, 3).is_some());
        assert_eq!(s, "ab");
        assert!(truncate(&mut s, 10).is_none());
    }

    /// A row labelled for some heads is kept with `None` for the others; a row labelled for
    /// none is refused, naming the columns; the data hash tells a missing label from any label.
    #[test]
    fn rows_labelled_for_some_heads_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        std::fs::write(
            &p,
            "text,stance,framing\na,pro,neutral\nb,anti,\nc,,opposition\nd,,\ne, , \n",
        )
        .unwrap();
        let cols = ["stance".to_owned(), "framing".to_owned()];
        let set = LabelledSet::read_csv(&p, "text", None, &cols, &[], 1000).unwrap();
        let labels: Vec<Vec<Option<&str>>> = set
            .rows
            .iter()
            .map(|r| r.labels.iter().map(Option::as_deref).collect())
            .collect();
        assert_eq!(
            labels,
            [
                vec![Some("pro"), Some("neutral")],
                vec![Some("anti"), None],
                vec![None, Some("opposition")],
            ]
        );
        let errs: Vec<String> = set.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 2, "{errs:?}");
        for (e, line) in errs.iter().zip([5, 6]) {
            assert!(
                e.contains(&format!(
                    "d.csv:{line}: no label in any of the columns `stance`, `framing`"
                )),
                "{e}"
            );
        }
        // "b" without a framing label and "b" with an empty-string one cannot hash alike.
        let mut other = set.clone();
        other.rows[1].labels[1] = Some(String::new());
        assert_ne!(set.sha256(), other.sha256());
    }

    #[test]
    fn labelled_csv_reports_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        std::fs::write(
            &p,
            "id,text,stance\n1,good text,pro\n2,,anti\n3,\"multi\nline\",\n4,x,maybe\n5,y,anti,extra\n6,fine,anti\n",
        )
        .unwrap();
        let allowed = vec![Some(vec!["anti".to_owned(), "pro".to_owned()])];
        let set = LabelledSet::read_csv(&p, "text", Some("id"), &["stance".into()], &allowed, 1000)
            .unwrap();
        assert_eq!(set.rows.len(), 2);
        assert_eq!(set.rows[1].line, 8);
        let errs: Vec<String> = set.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert!(errs[0].ends_with("d.csv:3: empty `text`"), "{errs:?}");
        assert!(errs[1].contains("d.csv:4: missing label"), "{errs:?}");
        assert!(errs[2].contains("d.csv:6: label `maybe`"), "{errs:?}");
        assert!(errs[3].contains("d.csv:7: row has 4 fields"), "{errs:?}");
        let e = LabelledSet::read_csv(&p, "body", None, &["stance".into()], &[], 1000).unwrap_err();
        assert!(
            e.to_string().contains("the columns are: id, text, stance"),
            "{e}"
        );
    }

    /// A table named as a plain file is read as one article, with a warning naming the option
    /// that reads its rows; a text file gets no such warning.
    #[test]
    fn a_table_named_as_a_file_is_flagged() {
        let dir = tempfile::tempdir().unwrap();
        let (t, j, x) = (
            dir.path().join("t.CSV"),
            dir.path().join("j.jsonl"),
            dir.path().join("x.txt"),
        );
        for p in [&t, &j, &x] {
            std::fs::write(p, "id,text\n1,Kazemi spoke.\n").unwrap();
        }
        let docs: Vec<Document> = Documents::new(
            vec![Source::Path(t), Source::Path(j), Source::Path(x)],
            ReadOptions::default(),
        )
        .map(Result::unwrap)
        .collect();
        assert!(
            docs[0].warnings[0].contains("give it as --csv"),
            "{:?}",
            docs[0].warnings
        );
        assert!(
            docs[1].warnings[0].contains("give it as --jsonl"),
            "{:?}",
            docs[1].warnings
        );
        assert!(docs[2].warnings.is_empty());
    }

    /// The quoting a CSV file ends in, and the csv crate agrees on where its fields are.
    #[test]
    fn quoting_follows_the_csv_parser() {
        use CsvQuoting::*;
        let end = |s: &str| RecordStart.after(s.as_bytes());
        // A `"` inside an unquoted field is a plain character, however many there are.
        assert_eq!(end("a,12\" screen\n"), RecordStart);
        assert_eq!(end("a,12\" screen, 3\" more"), Unquoted);
        // Quoted fields, `""` escapes, separators and line breaks inside them.
        assert_eq!(end("a,\"x, \"\"y\"\"\n\nz\"\n"), RecordStart);
        assert_eq!(end("a,\"x\","), FieldStart);
        assert_eq!(end("a,\"x\n\nstill open"), Quoted);
        assert_eq!(end("a,\"x\"\""), Quoted);
        assert_eq!(end("a,\"x\"\"\""), QuoteInQuoted);
        // Text after a closing quote continues the field unquoted (as the csv crate reads it).
        assert_eq!(end("a,\"x\"y\"z"), Unquoted);
        assert_eq!(end("a\r\n\"b"), Quoted);
        // Split anywhere, the bytes read in pieces end in the same state.
        let text = "id,text\n1,\"a \"\"b\"\" c\n\nd\"\n2,5\" e\n3,\"open\n";
        for cut in 0..text.len() {
            let (x, y) = text.as_bytes().split_at(cut);
            assert_eq!(RecordStart.after(x).after(y), Quoted, "cut at {cut}");
        }
        let mut rdr = csv_reader(Box::new(std::io::Cursor::new(text)), usize::MAX);
        let fields: Vec<Vec<String>> = rdr
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(fields[1], ["2", "5\" e"]);
        assert_eq!(fields[2], ["3", "open\n"]);
    }

    /// A page that is not UTF-8 is read in the encoding it declares, or as windows-1252 when it
    /// declares none (its curly quotes, which mark quotations, survive); UTF-8, a page that
    /// declares UTF-8 and plain text files are read as before.
    #[test]
    fn legacy_web_pages_are_read_in_their_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let read = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            read_text_file(&p, &ReadOptions::default()).unwrap()
        };
        // 0x93 0x94: curly double quotes in windows-1252; 0xE9: é in both.
        let body = b"<p>Officials called Kadhimi \x93a patriot\x94 in Caf\xE9 Baghdad.</p>";
        let page = |charset: &str| {
            [
                format!("<html><head><meta charset=\"{charset}\"></head><body>").as_bytes(),
                body,
                b"</body></html>",
            ]
            .concat()
        };
        let declared = page("windows-1252");
        let d = read("a.html", &declared);
        assert_eq!(
            d.text,
            "Officials called Kadhimi \u{201c}a patriot\u{201d} in Café Baghdad."
        );
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
        assert_eq!(read("b.htm", &page("ISO-8859-1")).text, d.text);
        // None declared: windows-1252, said so.
        let d = read("c.html", body);
        assert!(d.text.contains("\u{201c}a patriot\u{201d}"), "{}", d.text);
        assert!(
            d.warnings[0].contains("read as windows-1252"),
            "{:?}",
            d.warnings
        );
        // Declared UTF-8, or a plain text file: lossy UTF-8 as before.
        assert!(read("d.html", &page("utf-8")).text.contains('\u{fffd}'));
        let d = read("e.txt", b"Kadhimi \x93a patriot\x94");
        assert!(d.text.contains('\u{fffd}') && d.warnings[0].contains("not valid UTF-8"));
        assert_eq!(
            charset_label(b"content='text/html; CHARSET = \"koi8-r\"'"),
            Some(&b"koi8-r"[..])
        );
        assert_eq!(charset_label(b"charset"), None);
    }

    /// Which texts are read as web pages: by file extension (any case) or by their look in
    /// `auto`, every one in `always`, none in `never`; an empty page is an empty document.
    #[test]
    fn web_pages_are_chosen_by_mode_extension_and_look() {
        let bold = "Kadhimi met <b>the</b> envoys.";
        let page = |t: &str, p: Option<&str>, m| {
            let doc = Document {
                text: t.to_owned(),
                ..Document::default()
            };
            let page = is_page(t, p.map(Path::new), m);
            complete(
                Pending {
                    doc,
                    page,
                    row: None,
                    date_given: false,
                },
                &ReadOptions::default(),
            )
            .map(|d| d.text)
            .map_err(|e| e.message)
        };
        assert_eq!(page(bold, None, HtmlMode::Auto).unwrap(), bold);
        assert_eq!(page(bold, Some("a.txt"), HtmlMode::Auto).unwrap(), bold);
        let read = "Kadhimi met the envoys.";
        assert_eq!(page(bold, Some("a.HTM"), HtmlMode::Auto).unwrap(), read);
        assert_eq!(page(bold, None, HtmlMode::Always).unwrap(), read);
        let p = "<p>Kadhimi met the envoys.</p>";
        assert_eq!(page(p, None, HtmlMode::Auto).unwrap(), read);
        assert_eq!(page(p, Some("a.html"), HtmlMode::Never).unwrap(), p);
        assert_eq!(
            page("  \n", Some("a.html"), HtmlMode::Always).unwrap_err(),
            "empty document (no text)"
        );
    }

    /// Hands over its bytes `step` at a time, as a pipe may.
    struct Trickle {
        bytes: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.bytes.len() - self.at);
            buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    /// Byte strings of `pieces`, 0 to 39 of them, each any of the pieces.
    fn runs_of(pieces: &[&[u8]]) -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        let pieces: Vec<Vec<u8>> = pieces.iter().map(|p| p.to_vec()).collect();
        use proptest::strategy::Strategy;
        proptest::collection::vec(proptest::sample::select(pieces), 0..40).prop_map(|v| v.concat())
    }

    /// The items of a table, as a reader opens it.
    type Items = std::result::Result<Box<dyn Iterator<Item = PendingItem>>, ItemError>;

    /// The table read from `r` with texts cut at 64 bytes, each item as one line (documents
    /// with their id, text and warnings; errors with their place and message).
    fn read_table(
        path: &str,
        r: Box<dyn Read + Send>,
        open: fn(TableSpec, ReadOptions, Box<dyn Read + Send>) -> Items,
    ) -> Vec<String> {
        let spec = TableSpec {
            path: path.into(),
            text: "text".into(),
            id: None,
            source: None,
            label: None,
            date: None,
        };
        let opts = ReadOptions {
            max_bytes: 64,
            ..Default::default()
        };
        match open(spec, opts.clone(), r) {
            Err(e) => vec![format!("open: {} {}", e.location, e.message)],
            Ok(docs) => docs
                .map(|d| match d.and_then(|p| complete(p, &opts)) {
                    Ok(d) => format!("{} {:?} {:?}", d.id, d.text, d.warnings),
                    Err(e) => format!("error {} {}", e.location, e.message),
                })
                .collect(),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        /// The CSV reader gives the same documents and errors, at the same lines, however the
        /// bytes arrive: whole, or a few at a time as from a pipe (records, quoting, line
        /// counts, the record limit and the byte order mark are followed across reads).
        #[test]
        fn csv_documents_do_not_depend_on_how_the_bytes_arrive(
            body in runs_of(&[
                b"\"", b",", b"\n", b"\r\n", b"\r", b"\xEF\xBB\xBF", b"\xFF", b"Kazemi said",
                &[b'x'; 40], b"7",
            ]),
            bom in proptest::bool::ANY,
            header in 0usize..3,
            step in 1usize..9,
        ) {
            let mut bytes = Vec::new();
            if bom {
                bytes.extend_from_slice(b"\xEF\xBB\xBF");
            }
            bytes.extend_from_slice([&b"id,text\n"[..], b"text\n", b"text,source,x\n"][header]);
            bytes.extend(body);
            let read = |r| {
                read_table("t.csv", r, |s, o, r| {
                    CsvDocs::from_reader(s, o, r).map(|d| Box::new(d) as Box<dyn Iterator<Item = _>>)
                })
            };
            let whole = read(Box::new(std::io::Cursor::new(bytes.clone())));
            let trickled = read(Box::new(Trickle { bytes, at: 0, step }));
            proptest::prop_assert_eq!(whole, trickled);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        /// The same for JSON Lines: lines, their limit, the byte order mark and invalid UTF-8
        /// are followed across reads.
        #[test]
        fn jsonl_documents_do_not_depend_on_how_the_bytes_arrive(
            body in runs_of(&[
                b"{\"text\": \"Kazemi said\"}", b"{\"id\": \"a\", \"text\": \"", b"\"}", b"\n",
                b"\r\n", b"\xEF\xBB\xBF", b"\xFF", &[b'x'; 40],
            ]),
            step in 1usize..9,
        ) {
            let bytes = body;
            let read = |r| {
                read_table("t.jsonl", r, |s, o, r| {
                    Ok(Box::new(JsonlDocs::from_reader(s, o, r)) as Box<dyn Iterator<Item = _>>)
                })
            };
            let whole = read(Box::new(std::io::Cursor::new(bytes.clone())));
            let trickled = read(Box::new(Trickle { bytes, at: 0, step }));
            proptest::prop_assert_eq!(whole, trickled);
        }
    }

    /// A byte order mark is dropped however the bytes arrive (alone, split, or with the rest),
    /// and only at the start; other short inputs pass whole.
    #[test]
    fn a_csv_byte_order_mark_is_dropped_however_it_arrives() {
        let read_all = |bytes: &[u8], step: usize| {
            let mut out = Vec::new();
            SkipBom::new(Trickle {
                bytes: bytes.to_vec(),
                at: 0,
                step,
            })
            .read_to_end(&mut out)
            .unwrap();
            out
        };
        let csv = b"\xEF\xBB\xBFid,text\n1,\xEF\xBB\xBFx\n";
        for step in [1, 2, 3, 4, 64] {
            assert_eq!(
                read_all(csv, step),
                b"id,text\n1,\xEF\xBB\xBFx\n",
                "step {step}"
            );
            assert_eq!(read_all(b"\xEF\xBB\xBF", step), b"");
            assert_eq!(read_all(b"ab", step), b"ab");
            assert_eq!(read_all(b"\xEF\xBBx,y", step), b"\xEF\xBBx,y");
            // Through the CSV reader: the header's first name is `id`, not U+FEFF `id`.
            let mut rdr = csv_reader(
                Box::new(Trickle {
                    bytes: csv.to_vec(),
                    at: 0,
                    step,
                }),
                usize::MAX,
            );
            assert_eq!(rdr.headers().unwrap().get(0), Some("id"), "step {step}");
            let rec = rdr.records().next().unwrap().unwrap();
            assert_eq!((rec.position().unwrap().line(), &rec[1]), (2, "\u{feff}x"));
        }
    }

    /// A record's line is the line its first byte is on, whatever ends the lines: LF, CRLF, a
    /// lone CR, or LF and CRLF mixed; with blank lines between records and quoted fields that
    /// hold line breaks. (The csv crate's own count was one line short with CRLF.)
    #[test]
    fn csv_lines_are_right_whatever_ends_them() {
        let lines = [
            "text,source",    // 1
            "one,s",          // 2
            "\"two",          // 3
            "lines\",s",      // 4
            "",               // 5
            "x,y,extra",      // 6: three fields
            "four,s",         // 7
            "",               // 8
            "",               // 9
            "five",           // 10: one field
            "\"multi",        // 11
            "",               // 12
            "line\",s",       // 13
            "\"x\"\"y\",s,z", // 14: three fields
            "last,s",         // 15, with no line end
        ];
        let dir = tempfile::tempdir().unwrap();
        for ends in [
            &["\n"][..],
            &["\r\n"],
            &["\r"],
            &["\r\n", "\n"],
            &["\n", "\r\n"],
        ] {
            let mut text = String::new();
            for (i, l) in lines.iter().enumerate() {
                text.push_str(l);
                if i + 1 < lines.len() {
                    text.push_str(ends[i % ends.len()]);
                }
            }
            let p = dir.path().join("l.csv");
            std::fs::write(&p, &text).unwrap();
            let spec = TableSpec {
                path: p.clone(),
                text: "text".into(),
                id: None,
                source: Some("source".into()),
                label: None,
                date: None,
            };
            let got: Vec<String> = Documents::new(vec![Source::Csv(spec)], ReadOptions::default())
                .map(|d| match d {
                    Ok(d) => format!("ok {}", d.id.rsplit(':').next().unwrap()),
                    Err(e) => format!("err {}", e.location.rsplit(':').next().unwrap()),
                })
                .collect();
            let want = [
                "ok 2", "ok 3", "err 6", "ok 7", "err 10", "ok 11", "err 14", "ok 15",
            ];
            assert_eq!(got, want, "line ends {ends:?}");

            let set =
                LabelledSet::read_csv(&p, "text", None, &["source".into()], &[], 1000).unwrap();
            let rows: Vec<u64> = set.rows.iter().map(|r| r.line).collect();
            assert_eq!(rows, [2, 3, 7, 11, 15], "line ends {ends:?}");
            let errs: Vec<&str> = set
                .errors
                .iter()
                .map(|e| e.location.rsplit(':').next().unwrap())
                .collect();
            assert_eq!(errs, ["6", "10", "14"], "line ends {ends:?}");
        }
    }

    /// A stray `"` in an unquoted field does not make the last record "unterminated"; a
    /// quoted field that never closes does, in the labelled reader too.
    #[test]
    fn unterminated_quotes_are_told_apart_from_stray_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.csv");
        std::fs::write(
            &p,
            "id,text\na1,The 12\" drone\na2,\"He spoke.\n\nHe left.\"\n",
        )
        .unwrap();
        let spec = |p: &Path| TableSpec {
            path: p.to_owned(),
            text: "text".into(),
            id: Some("id".into()),
            source: None,
            label: None,
            date: None,
        };
        let read = |p: &Path| -> Vec<String> {
            Documents::new(vec![Source::Csv(spec(p))], ReadOptions::default())
                .map(|d| match d {
                    Ok(d) => format!("ok {}", d.id),
                    Err(e) => format!("err {}: {}", e.location, e.message),
                })
                .collect()
        };
        assert_eq!(read(&p), ["ok a1", "ok a2"]);
        let q = dir.path().join("q.csv");
        std::fs::write(&q, "id,text\na1,fine\na2,\"He spoke.\n\nHe left.\n").unwrap();
        let got = read(&q);
        assert_eq!(got[0], "ok a1");
        assert!(
            got[1].starts_with("err ") && got[1].contains("q.csv:3: unterminated"),
            "{got:?}"
        );

        // The labelled reader: the row is refused as unterminated, not as a short row.
        let l = dir.path().join("l.csv");
        std::fs::write(
            &l,
            "id,text,stance\n1,a 12\" screen,pro\n2,\"never closed\n3,x,anti\n",
        )
        .unwrap();
        let set =
            LabelledSet::read_csv(&l, "text", Some("id"), &["stance".into()], &[], 1000).unwrap();
        assert_eq!(set.rows.len(), 1);
        assert_eq!(set.rows[0].text, "a 12\" screen");
        let errs: Vec<String> = set.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].contains("l.csv:3: unterminated quoted field"),
            "{errs:?}"
        );
    }

    /// A file that ends inside a quoted field is refused as unterminated at the line of its
    /// last record, whatever that record holds: a fragment cut with no line break in it, a
    /// record short of fields, the header row itself; a closed quote at the very end is fine.
    #[test]
    fn a_file_cut_inside_a_quoted_field_is_unterminated() {
        let dir = tempfile::tempdir().unwrap();
        let read = |name: &str, text: &str| -> Vec<String> {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            let spec = TableSpec {
                path: p,
                text: "text".into(),
                id: Some("id".into()),
                source: None,
                label: None,
                date: None,
            };
            Documents::new(vec![Source::Csv(spec)], ReadOptions::default())
                .map(|d| match d {
                    Ok(d) => format!("ok {} {}", d.id, d.text),
                    Err(e) => format!("err {}: {}", file_name(&e.location), e.message),
                })
                .collect()
        };
        fn file_name(loc: &str) -> &str {
            loc.rsplit('/').next().unwrap()
        }
        let cut = "unterminated quoted field: it runs to the end of the file";
        for end in ["\n", "\r\n"] {
            let got = read(
                "a.csv",
                &"id,text\na1,\"He spoke.\"\na2,\"He said that the".replace('\n', end),
            );
            assert_eq!(got[0], "ok a1 He spoke.");
            assert!(
                got[1].starts_with(&format!("err a.csv:3: {cut}")),
                "{got:?}"
            );
            assert_eq!(got.len(), 2);
        }
        // Short of fields: unterminated, not "row has 2 fields".
        let got = read("b.csv", "id,text,source\na1,x,s\na2,\"He said, and");
        assert!(
            got[1].starts_with(&format!("err b.csv:3: {cut}")),
            "{got:?}"
        );
        // The header row swallowed the file.
        let got = read("c.csv", "id,\"text\na1,x\n");
        assert!(
            got[0].starts_with(&format!("err c.csv:1: header row: {cut}")),
            "{got:?}"
        );
        // A closed quote at the end, with no line end after it, is a whole record.
        assert_eq!(
            read("d.csv", "id,text\na1,\"He \"\"left\"\"\""),
            ["ok a1 He \"left\""]
        );

        // The labelled reader refuses the fragment the same way.
        let p = dir.path().join("l.csv");
        std::fs::write(&p, "id,text,stance\n1,fine,pro\n2,\"He said that the").unwrap();
        let set =
            LabelledSet::read_csv(&p, "text", Some("id"), &["stance".into()], &[], 1000).unwrap();
        assert_eq!(set.rows.len(), 1);
        let errs: Vec<String> = set.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].contains(&format!("l.csv:3: {cut}")), "{errs:?}");
    }

    /// Bytes allocated by the calling thread: a counting allocator, per thread so that tests
    /// running at the same time do not count each other's.
    mod counting {
        use std::alloc::{GlobalAlloc, Layout, System};
        use std::cell::Cell;

        thread_local! {
            static NOW: Cell<isize> = const { Cell::new(0) };
            static PEAK: Cell<isize> = const { Cell::new(0) };
        }

        struct Counting;

        fn add(d: isize) {
            let _ = NOW.try_with(|n| {
                let v = n.get() + d;
                n.set(v);
                let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
            });
        }

        // SAFETY: every call is passed on to the system allocator unchanged.
        unsafe impl GlobalAlloc for Counting {
            unsafe fn alloc(&self, l: Layout) -> *mut u8 {
                let p = unsafe { System.alloc(l) };
                if !p.is_null() {
                    add(l.size() as isize);
                }
                p
            }
            unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
                unsafe { System.dealloc(p, l) };
                add(-(l.size() as isize));
            }
            unsafe fn realloc(&self, p: *mut u8, l: Layout, size: usize) -> *mut u8 {
                let q = unsafe { System.realloc(p, l, size) };
                if !q.is_null() {
                    add(size as isize - l.size() as isize);
                }
                q
            }
        }

        #[global_allocator]
        static A: Counting = Counting;

        /// Run `f`; also the most bytes it held allocated at once.
        pub fn peak<T>(f: impl FnOnce() -> T) -> (T, usize) {
            let base = NOW.with(Cell::get);
            PEAK.with(|p| p.set(base));
            let r = f();
            (r, (PEAK.with(Cell::get) - base).max(0) as usize)
        }
    }

    /// A CSV record or a JSON line longer than 4 x max_bytes + 4 is reported with its line and
    /// skipped without being held (a run of NUL bytes with no line end, a quoted field over
    /// thousands of lines, a tail of NULs at the end of the file), and the rows after it are
    /// read, with their right lines: memory stays near the limit, whatever the input.
    #[test]
    fn long_records_and_lines_are_skipped_in_bounded_memory() {
        let dir = tempfile::tempdir().unwrap();
        let big = 4 << 20;
        let nuls = "\0".repeat(big);
        let opts = ReadOptions {
            max_bytes: 1000,
            ..Default::default()
        };
        let spec = |p: &Path| TableSpec {
            path: p.to_owned(),
            text: "text".into(),
            id: None,
            source: None,
            label: None,
            date: None,
        };
        let read = |src: Source| -> (Vec<String>, usize) {
            counting::peak(|| {
                Documents::new(vec![src], opts.clone())
                    .map(|d| match d {
                        Ok(d) => format!("ok {} {}", d.id.rsplit(':').next().unwrap(), d.text),
                        Err(e) => format!(
                            "err {}: {}",
                            e.location.rsplit(':').next().unwrap(),
                            e.message
                        ),
                    })
                    .collect()
            })
        };
        let long =
            |what: &str| format!("{what} longer than 4004 bytes (4 x --max-bytes + 4): skipped");

        // CSV: a record of NULs; a quoted field of `n` CRLF lines; a ragged row after it (its
        // line counted through the skipped field); a tail of NULs with no line end.
        let n = big / 8;
        let mut csv = format!("text,n\nKazemi spoke.,1\n{nuls},2\n\"");
        csv.push_str(&"a, \"\"b\"\"\r\n".repeat(n));
        csv.push_str("\",3\nKadhimi left.,4\nx,y,z\n");
        csv.push_str(&nuls);
        let p = dir.path().join("t.csv");
        std::fs::write(&p, &csv).unwrap();
        let (got, peak) = read(Source::Csv(spec(&p)));
        let after = 5 + n;
        let want = [
            "ok 2 Kazemi spoke.".to_owned(),
            format!("err 3: {}", long("record")),
            format!("err 4: {}", long("record")),
            format!("ok {after} Kadhimi left."),
            format!("err {}: row has 3 fields, the header has 2", after + 1),
            format!("err {}: {}", after + 2, long("record")),
        ];
        assert!(peak < 1 << 20, "{peak} bytes allocated at once");
        assert_eq!(got, want);

        // The labelled reader: the same rows kept and refused.
        let (set, peak) = counting::peak(|| {
            LabelledSet::read_csv(&p, "text", None, &["n".into()], &[], 1000).unwrap()
        });
        assert!(peak < 1 << 20, "{peak} bytes allocated at once");
        let rows: Vec<u64> = set.rows.iter().map(|r| r.line).collect();
        assert_eq!(rows, [2, after as u64]);
        let errs: Vec<String> = set.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert!(
            errs[0].ends_with(&format!("t.csv:3: {}", long("record"))),
            "{errs:?}"
        );
        assert!(errs[3].contains(&format!("t.csv:{}: record longer", after + 2)));

        // JSON Lines: a line of NULs, a valid object too long, a tail of NULs.
        let x = "x".repeat(big);
        let jl = format!(
            "{{\"text\":\"Kazemi spoke.\"}}\n{nuls}\n{{\"text\":\"{x}\"}}\n{{\"text\":\"Kadhimi left.\"}}\n{nuls}"
        );
        let p = dir.path().join("t.jsonl");
        std::fs::write(&p, &jl).unwrap();
        let (got, peak) = read(Source::Jsonl(spec(&p)));
        let want = [
            "ok 1 Kazemi spoke.".to_owned(),
            format!("err 2: {}", long("line")),
            format!("err 3: {}", long("line")),
            "ok 4 Kadhimi left.".to_owned(),
            format!("err 5: {}", long("line")),
        ];
        assert!(peak < 1 << 20, "{peak} bytes allocated at once");
        assert_eq!(got, want);

        // A header row too long ends the file at once (a binary file named as a CSV).
        let p = dir.path().join("h.csv");
        std::fs::write(&p, &nuls).unwrap();
        let (got, peak) = read(Source::Csv(spec(&p)));
        assert!(peak < 1 << 20, "{peak} bytes allocated at once");
        assert_eq!(got.len(), 1);
        assert!(
            got[0].starts_with("err 1: the header row is longer than 4004 bytes"),
            "{got:?}"
        );
    }

    /// A JSON line with invalid UTF-8 in a string is decoded with U+FFFD and a warning naming
    /// the file and line, as a text file is; invalid bytes outside a string leave malformed JSON.
    #[test]
    fn jsonl_invalid_utf8_is_decoded_lossily() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("u.jsonl");
        std::fs::write(
            &p,
            b"{\"id\":\"a\",\"text\":\"Kazemi visited the caf\xE9.\"}\n{\"id\":\"b\",\"text\":\"ok\"}\n{\"id\":\"c\",\xFF\"text\":\"x\"}\n",
        )
        .unwrap();
        let spec = TableSpec {
            path: p,
            text: "text".into(),
            id: None,
            source: None,
            label: None,
            date: None,
        };
        let docs: Vec<_> =
            Documents::new(vec![Source::Jsonl(spec)], ReadOptions::default()).collect();
        assert_eq!(docs.len(), 3);
        let a = docs[0].as_ref().unwrap();
        assert_eq!(a.text, "Kazemi visited the caf\u{FFFD}.");
        assert_eq!(a.warnings.len(), 1, "{:?}", a.warnings);
        assert!(
            a.warnings[0].ends_with(
                "u.jsonl:1: not valid UTF-8 (first bad byte at offset 40); decoded with U+FFFD replacements"
            ),
            "{:?}",
            a.warnings
        );
        assert!(docs[1].as_ref().unwrap().warnings.is_empty());
        let e = docs[2].as_ref().unwrap_err();
        assert!(
            e.location.ends_with("u.jsonl:3") && e.message.starts_with("malformed JSON"),
            "{e}"
        );
    }

    #[test]
    fn documents_stream_with_errors_in_place() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "first").unwrap();
        std::fs::write(dir.path().join("b.txt"), "").unwrap();
        std::fs::write(dir.path().join("c.txt"), "third").unwrap();
        std::fs::write(dir.path().join("skip.bin"), "x").unwrap();
        let jl = dir.path().join("d.jsonl");
        std::fs::write(&jl, "{\"text\":\"j1\",\"id\":7}\nnot json\n{\"body\":1}\n\n{\"text\":\"j2\",\"source\":\"S\"}\n[1,2]\n{\"text\":\"j3\",\"id\":\"7\"}\n").unwrap();
        let docs: Vec<_> = Documents::new(
            vec![
                Source::Path(dir.path().to_owned()),
                Source::Path(dir.path().join("missing.txt")),
                Source::Jsonl(TableSpec {
                    path: jl.clone(),
                    text: "text".into(),
                    id: Some("id".into()),
                    source: Some("source".into()),
                    label: None,
                    date: None,
                }),
            ],
            ReadOptions::default(),
        )
        .collect();
        let summary: Vec<String> = docs
            .iter()
            .map(|d| match d {
                Ok(d) => format!("ok {} {:?}", d.text, d.source),
                Err(e) => format!("err {}", e.message),
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                "ok first None",
                "err empty document (no text)",
                "ok third None",
                "err no such file or directory",
                "ok j1 None",
                "err malformed JSON: expected ident at line 1 column 2",
                "err field `text` is missing",
                "ok j2 Some(\"S\")",
                "err not a JSON object (each line must be one object with the text in a field)",
                "ok j3 None",
            ]
        );
        assert_eq!(docs[4].as_ref().unwrap().id, "7");
        // Ids are compared as text: 7 and "7" are the same id.
        let j3 = docs[9].as_ref().unwrap();
        assert_eq!(j3.id, "7");
        assert_eq!(j3.warnings.len(), 1);
        assert!(j3.warnings[0].ends_with("d.jsonl:7: duplicate id (first at line 1)"));
        assert!(docs[4].as_ref().unwrap().warnings.is_empty());
    }
}
