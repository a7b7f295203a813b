//! Text handling for the built-in engine: folding, words, language, phrase lexicons and
//! TF-IDF similarity. Deterministic and allocation-light; everything here is pure.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::collections::HashMap;

use super::Language;

/// True for characters that belong inside a word, including Devanagari and Arabic marks (which
/// `char::is_alphanumeric` does not count).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || (('\u{0900}'..='\u{097F}').contains(&c) && c != '\u{0964}' && c != '\u{0965}')
        || ('\u{064B}'..='\u{065F}').contains(&c)
        || c == '\u{0670}'
}

fn fold_char(c: char, out: &mut String) {
    match c {
        // Arabic-Indic, Persian and Devanagari digits → ASCII.
        '\u{0660}'..='\u{0669}' => out.push((b'0' + (c as u32 - 0x0660) as u8) as char),
        '\u{06F0}'..='\u{06F9}' => out.push((b'0' + (c as u32 - 0x06F0) as u8) as char),
        '\u{0966}'..='\u{096F}' => out.push((b'0' + (c as u32 - 0x0966) as u8) as char),
        // Spanish accents.
        'á' | 'à' | 'â' | 'ä' | 'Á' | 'À' => out.push('a'),
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' => out.push('e'),
        'í' | 'ì' | 'î' | 'ï' | 'Í' => out.push('i'),
        'ó' | 'ò' | 'ô' | 'ö' | 'Ó' => out.push('o'),
        'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ü' => out.push('u'),
        'ñ' | 'Ñ' => out.push('n'),
        // Arabic: drop tashkeel and tatweel, unify alef, ya and ta marbuta.
        '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' => {}
        'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
        'ى' => out.push('ي'),
        'ة' => out.push('ه'),
        // Devanagari nukta forms written either way.
        '\u{093C}' => {}
        '’' | '‘' => out.push('\''),
        c => {
            for l in c.to_lowercase() {
                out.push(l);
            }
        }
    }
}

/// Lower case, ASCII digits, no Spanish accents, one spelling of Arabic letters; punctuation and
/// symbols kept (money parsing needs `$` and `₹`).
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// [`fold`], then every run of non-word characters becomes one space, with a space at both ends,
/// so a phrase `" price"` matches only at a word start.
pub fn normalize(text: &str) -> String {
    let folded = fold(text);
    let mut out = String::with_capacity(folded.len() + 2);
    out.push(' ');
    for c in folded.chars() {
        if is_word_char(c) || c == '\'' {
            if c != '\'' {
                out.push(c);
            }
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// The words of normalized text.
pub fn words(normalized: &str) -> impl Iterator<Item = &str> {
    normalized.split(' ').filter(|w| !w.is_empty())
}

/// Splits text into sentences and list items, trimmed, without empties.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let end = match c {
            '\n' | '।' | '؟' | '!' | '?' => true,
            '.' => chars.peek().is_none_or(|n| n.is_whitespace()),
            _ => false,
        };
        if end {
            if !matches!(c, '\n') {
                cur.push(c);
            }
            push_sentence(&mut out, &mut cur);
        } else {
            cur.push(c);
        }
    }
    push_sentence(&mut out, &mut cur);
    out
}

fn push_sentence(out: &mut Vec<String>, cur: &mut String) {
    let t = cur
        .trim()
        .trim_start_matches(['-', '*', '•', '·', '–'])
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == ')' || c == '.')
        .trim();
    if t.chars().filter(|c| is_word_char(*c)).count() >= 2 {
        out.push(t.to_string());
    }
    cur.clear();
}

// ----------------------------------------------------------------------------------------------
// Language

/// Common Hindi words as they are written in Latin script.
const HINGLISH: &[&str] = &[
    "hai", "hain", "kya", "nahi", "nahin", "hum", "humein", "mujhe", "muje", "aap", "aapka",
    "aapki", "apna", "apni", "karna", "karni", "karo", "kar", "kardo", "chahiye", "chaiye", "bhai",
    "yaar", "kitna", "kitne", "kab", "kaise", "kyun", "kyu", "abhi", "jaldi", "ho", "hoga", "hogi",
    "tha", "thi", "raha", "rahe", "rahi", "wala", "wali", "bhi", "toh", "to", "ke", "ki", "ka",
    "se", "mein", "me", "par", "aur", "lekin", "bahut", "bohot", "accha", "acha", "theek", "thik",
    "sahi", "paisa", "paise", "banwana", "banwani", "banana", "banani", "dekh", "dekho", "batao",
    "bataye", "bataiye", "mera", "meri", "hamara", "hamari", "koi", "kuch", "sab", "ji", "haan",
    "nhi", "kr", "krna", "pe", "tak", "liye", "diya", "gaya", "gayi", "waala", "kal", "aaj",
    "matlab", "samajh", "samjha", "pata", "wapas", "ekdum",
];

/// English function words, for telling English from Spanish and Hinglish.
const ENGLISH: &[&str] = &[
    "the", "and", "is", "are", "a", "an", "to", "of", "for", "in", "on", "we", "you", "i", "my",
    "our", "your", "it", "this", "that", "with", "can", "do", "does", "what", "how", "need",
    "want", "have", "has", "be", "will", "would", "please", "about", "any", "there", "not",
];

/// Spanish function words.
const SPANISH: &[&str] = &[
    "el", "la", "los", "las", "de", "del", "que", "y", "en", "un", "una", "es", "por", "para",
    "con", "no", "mi", "su", "como", "pero", "muy", "hola", "quiero", "necesito", "tienen",
    "usted", "ustedes", "cuanto", "cual", "gracias", "este", "esta", "nos", "lo", "al", "sus",
    "mas",
];

/// The language of a text: by script for Devanagari and Arabic; by function words for English,
/// Spanish and Hinglish; `und` when nothing decides.
pub fn language(text: &str) -> Language {
    let (mut deva, mut arab, mut latin) = (0usize, 0usize, 0usize);
    for c in text.chars() {
        match c {
            '\u{0900}'..='\u{097F}' => deva += 1,
            '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' => arab += 1,
            c if c.is_ascii_alphabetic() || ('\u{00C0}'..='\u{024F}').contains(&c) => latin += 1,
            _ => {}
        }
    }
    let lang = |code: &str, hinglish| Language {
        code: code.into(),
        hinglish,
    };
    if deva > 0 && deva >= arab && deva * 2 >= latin {
        return lang("hi", false);
    }
    if arab > 0 && arab * 2 >= latin {
        return lang("ar", false);
    }
    if latin == 0 {
        return lang("und", false);
    }
    let norm = normalize(text);
    let (mut hi, mut en, mut es) = (0usize, 0usize, 0usize);
    for w in words(&norm) {
        if HINGLISH.contains(&w) {
            hi += 1;
        }
        if ENGLISH.contains(&w) {
            en += 1;
        }
        if SPANISH.contains(&w) {
            es += 1;
        }
    }
    // Accented letters and ¿¡ are strong Spanish evidence.
    if text
        .chars()
        .any(|c| matches!(c, 'ñ' | '¿' | '¡' | 'á' | 'é' | 'í' | 'ó' | 'ú'))
    {
        es += 2;
    }
    if hi >= 2 && hi >= es {
        return lang("hi", true);
    }
    if es > en {
        return lang("es", false);
    }
    if en > 0 {
        return lang("en", false);
    }
    if hi == 1 {
        return lang("hi", true);
    }
    // Too short for function words: ask whatlang, between English and Spanish only.
    let detector =
        whatlang::Detector::with_allowlist(vec![whatlang::Lang::Eng, whatlang::Lang::Spa]);
    match detector.detect_lang(text) {
        Some(whatlang::Lang::Spa) => lang("es", false),
        _ => lang("en", false),
    }
}

// ----------------------------------------------------------------------------------------------
// Lexicons

/// A set of weighted phrases, each tagged with a label, found in one pass (Aho-Corasick).
///
/// Phrases are written as people write them and normalized on build. A phrase in Latin script
/// must start at a word start and may run on (`" urgen"` matches "urgent" and "urgente"); a
/// trailing space in the phrase makes it end at a word end too. Devanagari and Arabic phrases
/// match anywhere, since prefixes (ال، و، ب) and suffixes attach to words.
pub struct Lexicon<L> {
    matcher: AhoCorasick,
    entries: Vec<(L, f32, bool)>,
}

impl<L: Copy> Lexicon<L> {
    /// Builds a lexicon from `(label, weight, phrases)` groups.
    pub fn new(groups: &[(L, f32, &[&str])]) -> Self {
        let mut patterns = Vec::new();
        let mut entries = Vec::new();
        for (label, weight, phrases) in groups {
            for p in *phrases {
                let trailing = p.ends_with(' ');
                let mut n = normalize(p);
                // normalize pads both ends; keep the start boundary, keep the end only if asked.
                if !trailing {
                    n.pop();
                }
                let latin = n.chars().any(|c| c.is_ascii_alphanumeric());
                let pattern = match (latin, trailing) {
                    (true, _) => n,
                    (false, true) => n.trim_start().to_string(),
                    (false, false) => n.trim().to_string(),
                };
                if pattern.trim().is_empty() {
                    continue;
                }
                patterns.push(pattern);
                entries.push((*label, *weight, latin));
            }
        }
        let matcher = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .unwrap_or_else(|e| panic!("a lexicon's phrases failed to compile: {e}"));
        Self { matcher, entries }
    }

    /// Every phrase found in `normalized` text (from [`normalize`]), overlapping allowed, with
    /// its label, weight and the matched text.
    pub fn scan<'t>(&'t self, normalized: &'t str) -> impl Iterator<Item = (L, f32, &'t str)> + 't {
        self.matcher
            .find_overlapping_iter(normalized)
            .map(move |m| {
                let (label, weight, _) = self.entries[m.pattern().as_usize()];
                (label, weight, normalized[m.start()..m.end()].trim())
            })
    }

    /// Like [`Self::scan`], but a match lying inside a longer match of another label is dropped,
    /// so "web app" does not also count as "app", nor "online store" as "store". Returns
    /// `(label, weight, start, end)`.
    pub fn scan_outermost(&self, normalized: &str) -> Vec<(L, f32, usize, usize)>
    where
        L: PartialEq,
    {
        let all: Vec<(L, f32, usize, usize)> = self
            .matcher
            .find_overlapping_iter(normalized)
            .map(|m| {
                let (label, weight, _) = self.entries[m.pattern().as_usize()];
                (label, weight, m.start(), m.end())
            })
            .collect();
        all.iter()
            .filter(|(l, _, s, e)| {
                !all.iter()
                    .any(|(l2, _, s2, e2)| l2 != l && s2 <= s && e2 >= e && (e2 - s2) > (e - s))
            })
            .copied()
            .collect()
    }

    /// Sums weights per label.
    pub fn scores(&self, normalized: &str) -> HashMap<L, f32>
    where
        L: std::hash::Hash + Eq,
    {
        let mut out = HashMap::new();
        for (l, w, _) in self.scan(normalized) {
            *out.entry(l).or_insert(0.0) += w;
        }
        out
    }
}

// ----------------------------------------------------------------------------------------------
// Similarity

/// Words too common to say anything about a topic, in the five languages we read.
const STOPWORDS: &[&str] = &[
    "the",
    "and",
    "or",
    "a",
    "an",
    "to",
    "of",
    "for",
    "in",
    "on",
    "at",
    "by",
    "with",
    "we",
    "you",
    "i",
    "me",
    "my",
    "our",
    "your",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "will",
    "would",
    "can",
    "could",
    "should",
    "do",
    "does",
    "did",
    "have",
    "has",
    "had",
    "need",
    "want",
    "like",
    "also",
    "so",
    "as",
    "from",
    "but",
    "not",
    "no",
    "all",
    "any",
    "some",
    "more",
    "very",
    "just",
    "about",
    "into",
    "than",
    "then",
    "there",
    "their",
    "they",
    "them",
    "he",
    "she",
    "us",
    "if",
    "up",
    "out",
    "new",
    "get",
    "make",
    "please",
    "el",
    "la",
    "los",
    "las",
    "de",
    "del",
    "que",
    "y",
    "en",
    "un",
    "una",
    "es",
    "por",
    "para",
    "con",
    "mi",
    "su",
    "como",
    "pero",
    "muy",
    "lo",
    "al",
    "se",
    "hai",
    "ke",
    "ki",
    "ka",
    "se",
    "mein",
    "aur",
    "bhi",
    "ko",
    "के",
    "की",
    "का",
    "है",
    "में",
    "और",
    "को",
    "से",
    "एक",
    "हम",
    "यह",
    "في",
    "من",
    "على",
    "الى",
    "ان",
    "و",
    "عن",
    "مع",
    "هذا",
    "هذه",
];

/// Cheap suffix stripping for English and Spanish plurals and verb forms, so "websites" and
/// "website", "designing" and "design" meet.
pub fn stem(word: &str) -> &str {
    if !word.is_ascii() || word.len() <= 4 {
        return word;
    }
    for suffix in ["ing", "ed", "es", "s"] {
        if let Some(s) = word.strip_suffix(suffix) {
            if s.len() >= 4 {
                return s;
            }
        }
    }
    word
}

/// The topic terms of a text: normalized, stemmed, without stopwords and one-letter words.
pub fn terms(text: &str) -> Vec<String> {
    let norm = normalize(text);
    words(&norm)
        .filter(|w| w.chars().count() > 1 && !STOPWORDS.contains(w))
        .map(|w| stem(w).to_string())
        .collect()
}

/// A sparse, L2-normalized TF-IDF vector: sorted term ids and weights.
#[derive(Debug, Clone, Default)]
pub struct SparseVec {
    ids: Vec<u32>,
    weights: Vec<f32>,
}

impl SparseVec {
    /// Cosine similarity with another normalized vector (a sorted merge).
    pub fn cosine(&self, other: &SparseVec) -> f32 {
        let (mut i, mut j, mut sum) = (0, 0, 0.0f32);
        while i < self.ids.len() && j < other.ids.len() {
            match self.ids[i].cmp(&other.ids[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    sum += self.weights[i] * other.weights[j];
                    i += 1;
                    j += 1;
                }
            }
        }
        sum.clamp(0.0, 1.0)
    }

    /// True when the text had no known terms.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// A TF-IDF model over a set of documents: vectors for them, and for new queries.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    vocab: HashMap<String, u32>,
    idf: Vec<f32>,
    /// One vector per document, in the order given.
    pub docs: Vec<SparseVec>,
}

impl Corpus {
    /// Builds the model from documents' texts.
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut vocab: HashMap<String, u32> = HashMap::new();
        let mut df: Vec<u32> = Vec::new();
        let mut doc_terms: Vec<Vec<(u32, f32)>> = Vec::new();
        for text in texts {
            let mut counts: HashMap<u32, f32> = HashMap::new();
            for t in terms(text) {
                let next = vocab.len() as u32;
                let id = *vocab.entry(t).or_insert(next);
                if id as usize == df.len() {
                    df.push(0);
                }
                *counts.entry(id).or_insert(0.0) += 1.0;
            }
            for id in counts.keys() {
                df[*id as usize] += 1;
            }
            doc_terms.push(counts.into_iter().collect());
        }
        let n = doc_terms.len().max(1) as f32;
        let idf: Vec<f32> = df
            .iter()
            .map(|d| ((1.0 + n) / (1.0 + *d as f32)).ln() + 1.0)
            .collect();
        let docs = doc_terms
            .into_iter()
            .map(|tf| Self::vector(tf, &idf))
            .collect();
        Self { vocab, idf, docs }
    }

    fn vector(mut tf: Vec<(u32, f32)>, idf: &[f32]) -> SparseVec {
        tf.sort_unstable_by_key(|(id, _)| *id);
        let mut weights: Vec<f32> = tf
            .iter()
            .map(|(id, c)| (1.0 + c.ln()) * idf[*id as usize])
            .collect();
        let norm = weights.iter().map(|w| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            for w in &mut weights {
                *w /= norm;
            }
        }
        SparseVec {
            ids: tf.into_iter().map(|(id, _)| id).collect(),
            weights,
        }
    }

    /// The vector of a new text; terms the corpus never saw are ignored.
    pub fn query(&self, text: &str) -> SparseVec {
        let mut counts: HashMap<u32, f32> = HashMap::new();
        for t in terms(text) {
            if let Some(id) = self.vocab.get(&t) {
                *counts.entry(*id).or_insert(0.0) += 1.0;
            }
        }
        Self::vector(counts.into_iter().collect(), &self.idf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_digits_accents_and_arabic_letters() {
        assert_eq!(fold("٥٠٠٠ درهم"), "5000 درهم");
        assert_eq!(fold("५०"), "50");
        assert_eq!(fold("Diseño Página"), "diseno pagina");
        assert_eq!(fold("أريد"), "اريد");
        assert_eq!(normalize("Hello, World!!"), " hello world ");
    }

    #[test]
    fn hindi_words_keep_their_vowel_signs() {
        let n = normalize("मुझे वेबसाइट चाहिए।");
        assert_eq!(words(&n).collect::<Vec<_>>(), ["मुझे", "वेबसाइट", "चाहिए"]);
    }

    #[test]
    fn detects_the_five_languages() {
        assert_eq!(language("We need a new website for our clinic").code, "en");
        assert_eq!(
            language("Necesito una tienda online para mi negocio").code,
            "es"
        );
        assert_eq!(language("मुझे एक वेबसाइट चाहिए").code, "hi");
        assert_eq!(language("أريد تطبيق جوال لمتجري").code, "ar");
        let h = language("bhai website banwani hai, kitna lagega?");
        assert_eq!((h.code.as_str(), h.hinglish), ("hi", true));
        assert_eq!(language("🙂👍").code, "und");
    }

    #[test]
    fn splits_sentences_and_bullets() {
        let s =
            sentences("We need a site. It must be fast!\n- a blog\n- 3 languages\nv1.2 is fine");
        assert_eq!(
            s,
            [
                "We need a site.",
                "It must be fast!",
                "a blog",
                "3 languages",
                "v1.2 is fine"
            ]
        );
    }

    #[test]
    fn lexicon_respects_word_starts() {
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        enum L {
            Price,
            Hi,
        }
        let lex = Lexicon::new(&[(L::Price, 1.0, &["price"]), (L::Hi, 1.0, &["hi "])]);
        let found = |t: &str| {
            lex.scan(&normalize(t))
                .map(|(l, _, _)| l)
                .collect::<Vec<_>>()
        };
        assert_eq!(found("What are your prices?"), [L::Price]);
        assert!(found("a caprice").is_empty());
        assert_eq!(found("hi there"), [L::Hi]);
        assert!(found("we hire").is_empty());
    }

    #[test]
    fn tfidf_ranks_the_closer_text_higher() {
        let c = Corpus::new([
            "Shopify store with payment gateway and product catalog",
            "Logo and brand guidelines for a bakery",
            "Mobile app for food delivery with live tracking",
        ]);
        let q = c.query("online store with payments and a catalog of products");
        let sims: Vec<f32> = c.docs.iter().map(|d| d.cosine(&q)).collect();
        assert!(sims[0] > sims[1] && sims[0] > sims[2], "{sims:?}");
        assert!(c.query("zzz qqq").is_empty());
    }
}
