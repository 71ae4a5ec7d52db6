//! Count the regular files of a tar stream and their bytes as it passes, block by block, so
//! that a backup records them (for `phi backup drill` to compare an extracted copy against)
//! without holding anything but the current header.

use serde::{Deserialize, Serialize};

const BLOCK: usize = 512;
/// PAX records longer than this are skipped, not parsed (a `size` in them is then missed).
const MAX_PAX: u64 = 64 * 1024;

/// What a tar holds: regular files and the sum of their sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contents {
    pub files: u64,
    pub bytes: u64,
}

#[derive(Debug, Default)]
pub struct Tally {
    pub contents: Contents,
    /// A partial header block.
    header: Vec<u8>,
    /// Data bytes (with padding) still to skip of the current entry.
    skip: u64,
    /// The PAX extended header being collected, and the size it sets for the next entry.
    pax: Option<Vec<u8>>,
    pax_left: u64,
    next_size: Option<u64>,
    /// Two zero blocks end the archive.
    ended: bool,
}

fn padded(size: u64) -> u64 {
    size.div_ceil(BLOCK as u64) * BLOCK as u64
}

fn number(raw: &[u8]) -> u64 {
    if raw.first().is_some_and(|b| b & 0x80 != 0) {
        return raw[1..].iter().fold(u64::from(raw[0] & 0x7f), |v, b| {
            v.saturating_mul(256).saturating_add(u64::from(*b))
        });
    }
    let text: String = raw
        .iter()
        .map(|b| *b as char)
        .filter(|c| c.is_digit(8))
        .collect();
    u64::from_str_radix(&text, 8).unwrap_or(0)
}

fn pax_size(data: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(data);
    text.lines().find_map(|line| {
        let (_, record) = line.split_once(' ')?;
        record.strip_prefix("size=")?.trim().parse().ok()
    })
}

impl Tally {
    pub fn push(&mut self, mut data: &[u8]) {
        while !data.is_empty() && !self.ended {
            if self.skip > 0 {
                let n = (self.skip.min(data.len() as u64)) as usize;
                if let Some(pax) = self.pax.as_mut()
                    && self.pax_left > 0
                {
                    let take = n.min(self.pax_left as usize);
                    pax.extend_from_slice(&data[..take]);
                    self.pax_left -= take as u64;
                }
                self.skip -= n as u64;
                data = &data[n..];
                if self.skip == 0
                    && let Some(pax) = self.pax.take()
                {
                    self.next_size = pax_size(&pax);
                }
                continue;
            }
            let need = BLOCK - self.header.len();
            let n = need.min(data.len());
            self.header.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.header.len() == BLOCK {
                let header = std::mem::take(&mut self.header);
                self.entry(&header);
            }
        }
    }

    fn entry(&mut self, header: &[u8]) {
        if header.iter().all(|b| *b == 0) {
            // One zero block may be padding; the archive ends at the first all the same.
            self.ended = true;
            return;
        }
        let size = self
            .next_size
            .take()
            .unwrap_or_else(|| number(&header[124..136]));
        match header[156] {
            b'0' | 0 | b'7' => {
                self.contents.files += 1;
                self.contents.bytes += size;
            }
            b'x' => {
                self.pax = (size <= MAX_PAX).then(Vec::new);
                self.pax_left = size;
            }
            _ => {}
        }
        // Links, directories and the like have no data, whatever their size field says.
        let has_data = !matches!(header[156], b'1' | b'2' | b'3' | b'4' | b'5' | b'6');
        self.skip = if has_data { padded(size) } else { 0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_files_and_bytes_of_a_tar_fed_in_odd_chunks() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut add = |name: &str, data: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            builder.append_data(&mut h, name, data).unwrap();
        };
        add("d/a.txt", b"hello");
        add("d/b.bin", &[1u8; 1500]);
        add(&format!("d/{}/long.txt", "x".repeat(120)), b"0123456789");
        let mut dir = tar::Header::new_gnu();
        dir.set_entry_type(tar::EntryType::Directory);
        dir.set_size(0);
        dir.set_cksum();
        builder.append_data(&mut dir, "d/sub/", &[][..]).unwrap();
        let bytes = builder.into_inner().unwrap();
        for chunk in [1usize, 7, 511, 512, 4096] {
            let mut t = Tally::default();
            bytes.chunks(chunk).for_each(|c| t.push(c));
            assert_eq!(
                t.contents,
                Contents {
                    files: 3,
                    bytes: 1515
                },
                "chunks of {chunk}"
            );
        }
    }
}
