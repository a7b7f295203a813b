//! The media library's rules, shared by the server (which enforces them) and the editor (which
//! says them before anything is sent): which images are taken, how large, and what counts as a
//! description (alt text).
//!
//! A stored image is addressed by its content: `/media/{key}` where the key is the first 32 hex
//! digits of the file's SHA-256 and its extension. The same bytes uploaded twice are one item,
//! and a served file never changes, so it can be cached for good.

use serde::{Deserialize, Serialize};

/// The largest upload, in bytes (5 MiB).
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// The longest side, in pixels, of an image the library takes.
pub const MAX_SIDE: u32 = 8000;
/// The longest description.
pub const ALT_MAX: usize = 160;
/// The longest file name kept (longer ones are shortened).
pub const FILENAME_MAX: usize = 200;
/// The formats, as a person reads them.
pub const ACCEPTED: &str = "PNG, JPEG, WebP, GIF or AVIF";
/// The `accept` attribute of the file input.
pub const ACCEPT_ATTR: &str = "image/png,image/jpeg,image/webp,image/gif,image/avif";
/// Where stored images are served.
pub const URL_PREFIX: &str = "/media/";

/// An image format the library takes. SVG is not among them: it can carry scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// WebP.
    Webp,
    /// GIF.
    Gif,
    /// AVIF.
    Avif,
}

impl ImageFormat {
    /// Every format.
    pub const ALL: [ImageFormat; 5] = [Self::Png, Self::Jpeg, Self::Webp, Self::Gif, Self::Avif];

    /// The file extension used in keys.
    pub fn ext(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
            Self::Gif => "gif",
            Self::Avif => "avif",
        }
    }

    /// The MIME type it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
            Self::Gif => "image/gif",
            Self::Avif => "image/avif",
        }
    }

    /// The format a key's extension names.
    pub fn from_ext(ext: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.ext() == ext)
    }

    /// Its name, for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Png => "PNG",
            Self::Jpeg => "JPEG",
            Self::Webp => "WebP",
            Self::Gif => "GIF",
            Self::Avif => "AVIF",
        }
    }
}

/// The key of a file with this SHA-256 (hex) in this format.
pub fn key_for(sha256_hex: &str, format: ImageFormat) -> String {
    format!(
        "{}.{}",
        &sha256_hex[..32.min(sha256_hex.len())],
        format.ext()
    )
}

/// The format of a well-formed key (`{32 hex}.{ext}`), or `None` for anything else: the
/// server serves only such keys, so no path can reach outside the store.
pub fn parse_key(key: &str) -> Option<ImageFormat> {
    let (hash, ext) = key.split_once('.')?;
    let hex = hash.len() == 32 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if hex {
        ImageFormat::from_ext(ext)
    } else {
        None
    }
}

/// The public address of a stored image.
pub fn url_of(key: &str) -> String {
    format!("{URL_PREFIX}{key}")
}

/// The key in a media-library address, if it is one.
pub fn key_of_url(url: &str) -> Option<&str> {
    let key = url.trim().strip_prefix(URL_PREFIX)?;
    parse_key(key).map(|_| key)
}

/// What is wrong with a description, if anything.
pub fn alt_error(alt: &str) -> Option<String> {
    let alt = alt.trim();
    if alt.is_empty() {
        return Some("Describe what the image shows, for people who cannot see it.".into());
    }
    let n = alt.chars().count();
    if n > ALT_MAX {
        return Some(format!(
            "Keep the description to {ALT_MAX} characters (this one has {n})."
        ));
    }
    let lower = alt.to_lowercase();
    let file_like = lower
        .rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && is_image_ext(ext) && !ext.contains(' '));
    let placeholder = matches!(
        lower.as_str(),
        "image" | "img" | "photo" | "picture" | "pic" | "graphic" | "logo" | "screenshot"
    );
    if file_like || placeholder {
        return Some("Say what the image shows rather than its file name or kind.".into());
    }
    None
}

fn is_image_ext(ext: &str) -> bool {
    matches!(
        ext,
        "png" | "jpg" | "jpeg" | "webp" | "gif" | "avif" | "svg" | "bmp" | "tif" | "tiff" | "heic"
    )
}

/// What is wrong with an upload's size, if anything.
pub fn size_error(bytes: usize) -> Option<String> {
    if bytes == 0 {
        Some("Choose an image to upload.".into())
    } else if bytes > MAX_BYTES {
        Some(format!(
            "This file is {}; the library takes images up to {}.",
            human_size(bytes as u64),
            human_size(MAX_BYTES as u64)
        ))
    } else {
        None
    }
}

/// What is wrong with an image's dimensions, if anything.
pub fn dimensions_error(width: u32, height: u32) -> Option<String> {
    if width == 0 || height == 0 {
        Some("This image has no pixels to show.".into())
    } else if width > MAX_SIDE || height > MAX_SIDE {
        Some(format!(
            "This image is {width} × {height} pixels; the library takes up to {MAX_SIDE} pixels a side. Export a smaller copy."
        ))
    } else {
        None
    }
}

/// A file name fit to show: its last path part, without control characters, at most
/// [`FILENAME_MAX`] characters; `image` when nothing is left.
pub fn clean_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(FILENAME_MAX)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        "image".into()
    } else {
        cleaned.to_owned()
    }
}

/// A size as people read it: `812 B`, `34 KB`, `1.2 MB`.
pub fn human_size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.0} KB", b / KB)
    } else {
        let mb = b / (KB * KB);
        if (mb - mb.round()).abs() < 0.05 {
            format!("{mb:.0} MB")
        } else {
            format!("{mb:.1} MB")
        }
    }
}

/// One image in the library, as the editor shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaItem {
    /// Its id.
    pub id: String,
    /// Where it is served (`/media/{key}`).
    pub url: String,
    /// The name of the uploaded file.
    pub filename: String,
    /// Its format.
    pub format: ImageFormat,
    /// Its size in bytes.
    pub bytes: i64,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
    /// Its description (alt text), offered when the image is placed on a page.
    pub alt: String,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When (RFC 3339).
    pub uploaded_at: String,
    /// The titles of the pages (drafts or live) and reusable blocks that show it.
    pub used_on: Vec<String>,
}

/// What an upload answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Uploaded {
    /// The item.
    pub item: MediaItem,
    /// False when the same image was already in the library (nothing new was stored).
    pub new: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hex_and_a_known_extension() {
        let sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let key = key_for(sha, ImageFormat::Jpeg);
        assert_eq!(key, "0123456789abcdef0123456789abcdef.jpg");
        assert_eq!(parse_key(&key), Some(ImageFormat::Jpeg));
        assert_eq!(key_of_url(&url_of(&key)), Some(key.as_str()));
        for bad in [
            "../../etc/passwd",
            "0123456789abcdef0123456789abcdef.svg",
            "0123456789ABCDEF0123456789ABCDEF.png",
            "0123456789abcdef.png",
            "0123456789abcdef0123456789abcdef/.png",
            "0123456789abcdef0123456789abcdef.png.exe",
        ] {
            assert_eq!(parse_key(bad), None, "{bad}");
        }
        assert_eq!(key_of_url("https://example.com/a.png"), None);
    }

    #[test]
    fn descriptions_say_what_the_image_shows() {
        assert!(alt_error("").is_some());
        assert!(alt_error("   ").is_some());
        assert!(alt_error("IMG_2041.JPG").is_some());
        assert!(alt_error("photo").is_some());
        assert!(alt_error(&"a".repeat(ALT_MAX + 1)).unwrap().contains("161"));
        assert_eq!(
            alt_error("Two engineers review a dashboard on a large screen"),
            None
        );
        assert_eq!(alt_error("Revenue grew 3.5x in a year"), None);
        assert_eq!(alt_error(&"a".repeat(ALT_MAX)), None);
    }

    #[test]
    fn sizes_and_dimensions_have_limits() {
        assert!(size_error(0).unwrap().contains("Choose"));
        assert_eq!(size_error(MAX_BYTES), None);
        let too_big = size_error(MAX_BYTES + 300 * 1024).unwrap();
        assert!(
            too_big.contains("5.3 MB") && too_big.contains("5 MB"),
            "{too_big}"
        );
        assert_eq!(dimensions_error(1600, 900), None);
        assert!(dimensions_error(9000, 10).is_some());
        assert!(dimensions_error(0, 10).is_some());
    }

    #[test]
    fn file_names_are_shown_safely() {
        assert_eq!(clean_filename("C:\\Users\\me\\hero.png"), "hero.png");
        assert_eq!(clean_filename("../x/team\u{7}.jpg"), "team.jpg");
        assert_eq!(clean_filename("   "), "image");
        assert_eq!(
            clean_filename(&"a".repeat(300)).chars().count(),
            FILENAME_MAX
        );
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(812), "812 B");
        assert_eq!(human_size(34 * 1024), "34 KB");
        assert_eq!(human_size(5 * 1024 * 1024), "5 MB");
        assert_eq!(human_size(1_300_000), "1.2 MB");
    }
}
