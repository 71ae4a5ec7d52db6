//! Re-root a tar stream: the archive of a folder `/srv/media` names its entries `media/...`
//! (the engine's archive API names them after the folder), and unpacking it into `/srv` puts
//! them back. That fails when the folder is a mount point of a stopped container: Podman then
//! unpacks into the container's own filesystem under the mount point, not into the volume, and
//! reports success. Unpacking into the folder itself works on every engine, so the entries lose
//! their first component on the way: `media/sub/a` becomes `sub/a`, the folder itself `./`.
//! (Podman 4.3 also names the entries of a stopped container's volume `/`, `/sub/a`, ...: those
//! lose their leading `/`, and unpacked into the parent they would not land in the volume either.)
//!
//! The rewrite works block by block on the stream (no entry is held in memory except the
//! small PAX and GNU long-name records) and keeps everything else of each header: owners,
//! modes, times, extended attributes. Names are rewritten in the ustar name and prefix fields,
//! in PAX `path` records, in GNU long names, and, for hard links, in the link target (which
//! names another entry of the archive). Symbolic link targets are left as they are.

const BLOCK: usize = 512;

/// An entry of the archive that is not under the folder it should hold.
fn outside(name: &[u8], top: &str) -> String {
    format!(
        "the archive holds {}, which is not under {top}/",
        String::from_utf8_lossy(name).escape_debug()
    )
}

/// `name` without its first component `top`; `./` for the folder itself. A name that starts
/// with `/` is already rooted at the folder: Podman 4.3 names the entries of a volume's
/// archive `/`, `/a.txt`, ... when its container is stopped.
fn strip(name: &[u8], top: &str) -> Result<Vec<u8>, String> {
    if name.first() == Some(&b'/') {
        let rest: &[u8] = &name[name.iter().take_while(|b| **b == b'/').count()..];
        return Ok(if rest.is_empty() {
            b"./".to_vec()
        } else {
            rest.to_vec()
        });
    }
    let trimmed = name.strip_prefix(b"./").unwrap_or(name);
    let rest = trimmed
        .strip_prefix(top.as_bytes())
        .ok_or_else(|| outside(name, top))?;
    match rest {
        b"" | b"/" => Ok(b"./".to_vec()),
        [b'/', tail @ ..] => Ok(tail.to_vec()),
        _ => Err(outside(name, top)),
    }
}

fn field(header: &[u8], at: usize, len: usize) -> &[u8] {
    let raw = &header[at..at + len];
    let end = raw.iter().position(|b| *b == 0).unwrap_or(len);
    &raw[..end]
}

fn set_field(header: &mut [u8], at: usize, len: usize, value: &[u8]) {
    header[at..at + len].fill(0);
    header[at..at + value.len()].copy_from_slice(value);
}

fn is_posix_ustar(header: &[u8]) -> bool {
    &header[257..263] == b"ustar\0"
}

/// A numeric field: octal text, or base-256 when its high bit is set.
fn number(raw: &[u8]) -> Result<u64, String> {
    if raw.first().is_some_and(|b| b & 0x80 != 0) {
        let mut value = u64::from(raw[0] & 0x7f);
        for b in &raw[1..] {
            value = value
                .checked_mul(256)
                .and_then(|v| v.checked_add(u64::from(*b)))
                .ok_or("a tar size does not fit 64 bits")?;
        }
        return Ok(value);
    }
    let text = String::from_utf8_lossy(raw);
    let text = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if text.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(text, 8).map_err(|_| format!("a tar header has a bad number {text:?}"))
}

fn set_checksum(header: &mut [u8]) {
    header[148..156].fill(b' ');
    let sum: u32 = header[..BLOCK].iter().map(|b| u32::from(*b)).sum();
    let text = format!("{sum:06o}\0 ");
    header[148..156].copy_from_slice(text.as_bytes());
}

fn set_size(header: &mut [u8], size: usize) {
    let text = format!("{size:011o}\0");
    header[124..136].copy_from_slice(text.as_bytes());
}

/// Write `name` into the ustar name (and, for POSIX headers, prefix) fields.
fn set_name(header: &mut [u8], name: &[u8]) -> Result<(), String> {
    if name.len() <= 100 {
        set_field(header, 0, 100, name);
        if is_posix_ustar(header) {
            header[345..500].fill(0);
        }
        return Ok(());
    }
    if is_posix_ustar(header) {
        let split = (0..name.len())
            .rev()
            .filter(|i| name[*i] == b'/')
            .find(|i| *i <= 155 && name.len() - i - 1 <= 100 && name.len() - i > 1);
        if let Some(i) = split {
            set_field(header, 345, 155, &name[..i]);
            set_field(header, 0, 100, &name[i + 1..]);
            return Ok(());
        }
    }
    // The full name is in a PAX or GNU long-name record; the field only abbreviates it.
    set_field(header, 0, 100, &name[..100]);
    Ok(())
}

fn header_name(header: &[u8]) -> Vec<u8> {
    let name = field(header, 0, 100);
    if is_posix_ustar(header) {
        let prefix = field(header, 345, 155);
        if !prefix.is_empty() {
            return [prefix, b"/", name].concat();
        }
    }
    name.to_vec()
}

/// PAX records (`LEN key=value\n`) with `path` (and `linkpath` when `link`) re-rooted; also
/// the `size` they set, if any.
fn rewrite_pax(data: &[u8], top: &str, link: bool) -> Result<(Vec<u8>, Option<u64>), String> {
    let mut out = Vec::with_capacity(data.len());
    let mut size = None;
    let mut rest = data;
    while !rest.is_empty() && rest[0] != 0 {
        let space = rest
            .iter()
            .position(|b| *b == b' ')
            .ok_or("a PAX record has no length")?;
        let len: usize = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|t| t.parse().ok())
            .filter(|l| *l > space && *l <= rest.len())
            .ok_or("a PAX record has a bad length")?;
        let record = &rest[space + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        rest = &rest[len..];
        let eq = record
            .iter()
            .position(|b| *b == b'=')
            .ok_or("a PAX record has no '='")?;
        let (key, value) = (&record[..eq], &record[eq + 1..]);
        let value = match key {
            b"path" => strip(value, top)?,
            b"linkpath" if link => strip(value, top)?,
            b"size" => {
                size = std::str::from_utf8(value).ok().and_then(|t| t.parse().ok());
                value.to_vec()
            }
            _ => value.to_vec(),
        };
        let body = key.len() + 1 + value.len() + 1;
        let mut len = body + 2;
        while len != body + 1 + len.to_string().len() {
            len = body + 1 + len.to_string().len();
        }
        out.extend_from_slice(format!("{len} ").as_bytes());
        out.extend_from_slice(key);
        out.push(b'=');
        out.extend_from_slice(&value);
        out.push(b'\n');
    }
    Ok((out, size))
}

fn padded(len: u64) -> u64 {
    len.div_ceil(BLOCK as u64) * BLOCK as u64
}

/// The entry types whose size field says nothing about data (Go's tar reader agrees).
fn header_only(kind: u8) -> bool {
    matches!(kind, b'1' | b'2' | b'3' | b'4' | b'5' | b'6')
}

/// A PAX or GNU long-name record waiting for the header it applies to.
struct Pending {
    header: Vec<u8>,
    data: Vec<u8>,
}

/// The stream rewriter: feed it chunks, it returns the rewritten bytes so far.
pub struct StripTop {
    top: String,
    buffer: Vec<u8>,
    /// Data bytes (with padding) of the current entry still to pass through unchanged.
    passing: u64,
    /// A PAX or long-name record being collected: its header and data size with padding.
    collecting: Option<(Vec<u8>, u64)>,
    pending: Vec<Pending>,
    /// Past the end-of-archive blocks: the rest passes through.
    ended: bool,
}

impl StripTop {
    /// For the archive of a folder named `top` (its last path component).
    pub fn new(top: &str) -> Self {
        StripTop {
            top: top.trim_matches('/').to_string(),
            buffer: Vec::new(),
            passing: 0,
            collecting: None,
            pending: Vec::new(),
            ended: false,
        }
    }

    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(chunk.len() + BLOCK);
        let mut input = chunk;
        loop {
            if self.ended {
                out.extend_from_slice(input);
                return Ok(out);
            }
            if self.passing > 0 {
                let n = (self.passing.min(input.len() as u64)) as usize;
                out.extend_from_slice(&input[..n]);
                self.passing -= n as u64;
                input = &input[n..];
                if self.passing > 0 {
                    return Ok(out);
                }
                continue;
            }
            let want = match &self.collecting {
                Some((_, len)) => *len as usize,
                None => BLOCK,
            };
            let n = (want - self.buffer.len()).min(input.len());
            self.buffer.extend_from_slice(&input[..n]);
            input = &input[n..];
            if self.buffer.len() < want {
                return Ok(out);
            }
            let block = std::mem::take(&mut self.buffer);
            match self.collecting.take() {
                Some((header, _)) => self.pending.push(Pending {
                    header,
                    data: block,
                }),
                None => self.header(block, &mut out)?,
            }
        }
    }

    /// One header block: collect an extension record, or rewrite the entry's header (and the
    /// records before it) and pass its data through.
    fn header(&mut self, mut block: Vec<u8>, out: &mut Vec<u8>) -> Result<(), String> {
        if block.iter().all(|b| *b == 0) {
            self.ended = true;
            out.extend_from_slice(&block);
            return Ok(());
        }
        let kind = block[156];
        let size = number(&block[124..136])?;
        if matches!(kind, b'x' | b'L' | b'K') {
            if size > 1 << 20 {
                return Err(format!(
                    "a tar extension record of {size} bytes is too large"
                ));
            }
            self.collecting = Some((block, padded(size)));
            if size == 0 {
                self.pending.push(Pending {
                    header: self.collecting.take().map(|c| c.0).unwrap_or_default(),
                    data: Vec::new(),
                });
            }
            return Ok(());
        }
        let link = kind == b'1';
        let mut size_override = None;
        for pending in std::mem::take(&mut self.pending) {
            let Pending { mut header, data } = pending;
            let used = (number(&header[124..136])? as usize).min(data.len());
            let body = match header[156] {
                b'x' => {
                    let (body, size) = rewrite_pax(&data[..used], &self.top, link)?;
                    size_override = size.or(size_override);
                    body
                }
                b'L' => name_record(&data[..used], &self.top)?,
                _ if link => name_record(&data[..used], &self.top)?,
                _ => data[..used].to_vec(),
            };
            set_size(&mut header, body.len());
            set_checksum(&mut header);
            out.extend_from_slice(&header);
            out.extend_from_slice(&body);
            let pad = padded(body.len() as u64) as usize - body.len();
            out.extend(std::iter::repeat_n(0u8, pad));
        }
        if kind != b'g' {
            let name = strip(&header_name(&block), &self.top)?;
            set_name(&mut block, &name)?;
            if link {
                let target = strip(field(&block, 157, 100), &self.top)?;
                set_field(&mut block, 157, 100, &target);
            }
            set_checksum(&mut block);
        }
        out.extend_from_slice(&block);
        let data = if header_only(kind) {
            0
        } else {
            size_override.unwrap_or(size)
        };
        self.passing = padded(data);
        Ok(())
    }

    /// Whether the stream ended where an entry ends (no header or data cut short).
    pub fn finished(&self) -> bool {
        self.passing == 0 && self.collecting.is_none() && self.buffer.is_empty()
    }
}

/// A GNU long-name record's data (the name and a NUL), re-rooted.
fn name_record(data: &[u8], top: &str) -> Result<Vec<u8>, String> {
    let end = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let mut name = strip(&data[..end], top)?;
    name.push(0);
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        build(&mut builder);
        builder.into_inner().unwrap()
    }

    fn entry(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(kind);
        header.set_size(size);
        header.set_mode(mode);
        header.set_uid(999);
        header
    }

    /// (name, link target, data) of every entry, read back with the tar crate.
    fn listing(bytes: &[u8]) -> Vec<(String, String, Vec<u8>, u64)> {
        let mut archive = tar::Archive::new(bytes);
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
                let link = e
                    .link_name_bytes()
                    .map(|l| String::from_utf8_lossy(&l).into_owned())
                    .unwrap_or_default();
                let uid = e.header().uid().unwrap();
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut e, &mut data).unwrap();
                (name, link, data, uid)
            })
            .collect()
    }

    /// The rewrite fed in chunks of `size` bytes.
    fn rewrite(bytes: &[u8], size: usize) -> Result<Vec<u8>, String> {
        let mut strip = StripTop::new("media");
        let mut out = Vec::new();
        for chunk in bytes.chunks(size) {
            out.extend(strip.push(chunk)?);
        }
        assert!(strip.finished());
        Ok(out)
    }

    #[test]
    fn entries_lose_the_folder_name_whatever_the_chunk_size() {
        let long = format!("media/{}/file.bin", "d".repeat(150));
        let bytes = archive(|b| {
            b.append_data(
                &mut entry(tar::EntryType::Directory, 0, 0o755),
                "media/",
                &[][..],
            )
            .unwrap();
            b.append_data(
                &mut entry(tar::EntryType::Regular, 5, 0o600),
                "media/a.txt",
                &b"hello"[..],
            )
            .unwrap();
            let blob = vec![7u8; 1300];
            b.append_data(
                &mut entry(tar::EntryType::Regular, 1300, 0o644),
                &long,
                &blob[..],
            )
            .unwrap();
            let mut link = entry(tar::EntryType::Link, 0, 0o600);
            b.append_link(&mut link, "media/hard", "media/a.txt")
                .unwrap();
            let mut sym = entry(tar::EntryType::Symlink, 0, 0o777);
            b.append_link(&mut sym, "media/sym", "/etc/hostname")
                .unwrap();
        });
        let expected = vec![
            ("./".to_string(), String::new(), Vec::new(), 999),
            ("a.txt".into(), String::new(), b"hello".to_vec(), 999),
            (
                long["media/".len()..].to_string(),
                String::new(),
                vec![7u8; 1300],
                999,
            ),
            ("hard".into(), "a.txt".into(), Vec::new(), 999),
            ("sym".into(), "/etc/hostname".into(), Vec::new(), 999),
        ];
        for size in [1, 7, 512, 513, 4096, bytes.len()] {
            assert_eq!(
                listing(&rewrite(&bytes, size).unwrap()),
                expected,
                "chunks of {size}"
            );
        }
    }

    #[test]
    fn pax_paths_are_rewritten_with_their_lengths() {
        let name = format!("media/{}", "é".repeat(60));
        let (body, _) = rewrite_pax(
            format!("{} path={name}\n", name.len() + 10).as_bytes(),
            "media",
            false,
        )
        .unwrap();
        let text = String::from_utf8(body).unwrap();
        let rest = &name["media/".len()..];
        assert_eq!(text, format!("{} path={rest}\n", rest.len() + 10));
        let (body, size) = rewrite_pax(b"18 size=123456789\n", "media", false).unwrap();
        assert_eq!(
            (body.as_slice(), size),
            (&b"18 size=123456789\n"[..], Some(123456789))
        );
    }

    #[test]
    fn an_entry_outside_the_folder_is_refused() {
        let bytes = archive(|b| {
            b.append_data(
                &mut entry(tar::EntryType::Regular, 1, 0o600),
                "other/x",
                &b"x"[..],
            )
            .unwrap();
        });
        let err = rewrite(&bytes, 512).unwrap_err();
        assert!(err.contains("other/x") && err.contains("media/"), "{err}");
        assert!(strip(b"mediax/a", "media").is_err());
        assert_eq!(strip(b"./media/a", "media").unwrap(), b"a");
    }

    #[test]
    fn podmans_rooted_names_lose_their_leading_slash() {
        assert_eq!(strip(b"/", "media").unwrap(), b"./");
        assert_eq!(strip(b"/sub/a", "media").unwrap(), b"sub/a");
        assert_eq!(strip(b"/media", "media").unwrap(), b"media");
        let bytes = archive(|b| {
            let mut dir = entry(tar::EntryType::Directory, 0, 0o755);
            dir.as_mut_bytes()[..1].copy_from_slice(b"/");
            dir.set_cksum();
            b.append(&dir, &[][..]).unwrap();
            let mut file = entry(tar::EntryType::Regular, 2, 0o644);
            file.as_mut_bytes()[..5].copy_from_slice(b"/b.tx");
            file.set_cksum();
            b.append(&file, &b"hi"[..]).unwrap();
        });
        let names: Vec<String> = listing(&rewrite(&bytes, 100).unwrap())
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(names, ["./", "b.tx"]);
    }
}
