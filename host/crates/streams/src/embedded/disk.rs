//! The embedded log on disk: one append-only file per partition and one
//! offsets file per consumer group, under `streams.embedded_dir`.
//!
//! A record is written (one `write(2)`, under its partition's lock) before
//! it becomes visible to consumers or its ack resolves, so whatever a
//! consumer saw, and whatever effects it committed, survive a crash of the
//! process (kill -9). With `streams.embedded_fsync` each append is also
//! `fdatasync`ed (power loss); without it the OS writes it back.
//!
//! Partition file: a sequence of frames `[len u32][crc32 u32][body]`, the
//! body `[kind u8][offset i64][ts_ms i64][envelope]` (all little-endian;
//! kind 0 = record, 1 = "next offset" mark with no envelope). A torn or
//! corrupt tail (a crash mid-write) ends the file: it is cut off at the
//! last whole frame. At open, a partition whose retention or compaction
//! dropped records is rewritten (a mark keeps its next offset, so offsets
//! never go back even when every record expired).
//!
//! Offsets file: lines `topic<TAB>partition<TAB>next_offset`, replaced
//! atomically (write a temporary file, rename) on every commit.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::Envelope;

const KIND_RECORD: u8 = 0;
const KIND_MARK: u8 = 1;
/// kind + offset + ts.
const BODY_HEAD: usize = 1 + 8 + 8;
/// Frames larger than this are corrupt (payloads are capped far below).
const MAX_FRAME: usize = 64 << 20;

/// Where the log lives.
#[derive(Debug, Clone)]
pub(crate) struct Disk {
    dir: PathBuf,
    fsync: bool,
    /// `LOCK`, held exclusively while the log is open: two processes
    /// appending to the same files would interleave offsets.
    _lock: std::sync::Arc<File>,
}

/// One partition's file, open for appending.
#[derive(Debug)]
pub(crate) struct PartFile {
    file: File,
    /// Bytes of whole frames: a failed append is cut back to this.
    len: u64,
    fsync: bool,
}

/// What a partition file held.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    /// (offset, ts_ms, envelope), in offset order.
    pub records: Vec<(i64, i64, Envelope)>,
    /// The offset the next record gets.
    pub next: i64,
}

/// Offsets committed per consumer group: (topic, partition) -> next offset.
pub(crate) type Committed = HashMap<(String, u32), i64>;

impl Disk {
    /// Creates `dir` (and its `groups/`) when missing.
    pub(crate) fn open(dir: &Path, fsync: bool) -> io::Result<Self> {
        fs::create_dir_all(dir.join("partitions"))?;
        fs::create_dir_all(dir.join("groups"))?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("LOCK"))?;
        lock.try_lock().map_err(|_| {
            io::Error::new(
                io::ErrorKind::WouldBlock,
                "another process has this embedded log open (its LOCK is held)",
            )
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
            fsync,
            _lock: std::sync::Arc::new(lock),
        })
    }

    fn part_path(&self, topic: &str, partition: u32) -> PathBuf {
        self.dir
            .join("partitions")
            .join(format!("{}-{partition}.log", file_name(topic)))
    }

    /// Reads a partition's file (cutting off a torn tail).
    pub(crate) fn load(&self, topic: &str, partition: u32) -> io::Result<Loaded> {
        let path = self.part_path(topic, partition);
        let mut bytes = Vec::new();
        match File::open(&path) {
            Ok(mut f) => {
                f.read_to_end(&mut bytes)?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Loaded::default()),
            Err(e) => return Err(e),
        }
        let mut out = Loaded::default();
        let mut at = 0usize;
        while let Some((kind, offset, ts, env, end)) = frame(&bytes, at) {
            match kind {
                KIND_RECORD => match env.and_then(|b| Envelope::decode(b).ok()) {
                    Some(e) => {
                        out.records.push((offset, ts, e));
                        out.next = out.next.max(offset + 1);
                    }
                    None => break,
                },
                _ => out.next = out.next.max(offset),
            }
            at = end;
        }
        if at < bytes.len() {
            tracing::warn!(
                topic,
                partition,
                kept = at,
                dropped = bytes.len() - at,
                "embedded log: cut a torn tail"
            );
            let f = OpenOptions::new().write(true).open(&path)?;
            f.set_len(at as u64)?;
            f.sync_all()?;
        }
        Ok(out)
    }

    /// Opens a partition's file for appending, first rewriting it to hold
    /// only `keep` (and a mark of `next`) when `rewrite` is set.
    pub(crate) fn append_to<'a>(
        &self,
        topic: &str,
        partition: u32,
        rewrite: Option<(i64, impl Iterator<Item = (i64, i64, &'a Envelope)>)>,
    ) -> io::Result<PartFile> {
        let path = self.part_path(topic, partition);
        if let Some((next, keep)) = rewrite {
            let tmp = path.with_extension("log.tmp");
            let mut buf = Vec::new();
            put_frame(&mut buf, KIND_MARK, next, 0, None);
            for (offset, ts, e) in keep {
                put_frame(&mut buf, KIND_RECORD, offset, ts, Some(e));
            }
            let mut f = File::create(&tmp)?;
            f.write_all(&buf)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            sync_dir(path.parent())?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let len = file.metadata()?.len();
        Ok(PartFile {
            file,
            len,
            fsync: self.fsync,
        })
    }

    /// Every group's committed offsets.
    pub(crate) fn load_groups(&self) -> io::Result<HashMap<String, Committed>> {
        let mut out = HashMap::new();
        for entry in fs::read_dir(self.dir.join("groups"))? {
            let path = entry?.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".offsets"))
                .and_then(unfile_name)
            else {
                continue;
            };
            let text = fs::read_to_string(&path)?;
            let mut committed = Committed::new();
            for line in text.lines() {
                let mut parts = line.split('\t');
                if let (Some(t), Some(p), Some(o)) = (parts.next(), parts.next(), parts.next())
                    && let (Ok(p), Ok(o)) = (p.parse(), o.parse())
                {
                    committed.insert((t.to_string(), p), o);
                }
            }
            out.insert(name, committed);
        }
        Ok(out)
    }

    /// Replaces `group`'s offsets file.
    pub(crate) fn save_group(&self, group: &str, committed: &Committed) -> io::Result<()> {
        let path = self
            .dir
            .join("groups")
            .join(format!("{}.offsets", file_name(group)));
        let tmp = path.with_extension("offsets.tmp");
        let mut text = String::new();
        for ((t, p), o) in committed {
            text.push_str(&format!("{t}\t{p}\t{o}\n"));
        }
        let mut f = File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        if self.fsync {
            f.sync_data()?;
        }
        fs::rename(&tmp, &path)
    }
}

impl PartFile {
    /// Appends one record in one write; on failure the file is cut back
    /// to its last whole frame, so a later append is never hidden behind
    /// a torn one.
    pub(crate) fn append(&mut self, offset: i64, ts_ms: i64, e: &Envelope) -> io::Result<()> {
        let mut buf = Vec::with_capacity(e.payload.len() + 128);
        put_frame(&mut buf, KIND_RECORD, offset, ts_ms, Some(e));
        let wrote = self.file.write_all(&buf).and_then(|()| {
            if self.fsync {
                self.file.sync_data()
            } else {
                Ok(())
            }
        });
        match wrote {
            Ok(()) => {
                self.len += buf.len() as u64;
                Ok(())
            }
            Err(e) => {
                let _ = self.file.set_len(self.len);
                Err(e)
            }
        }
    }
}

/// Appends one frame to `buf`: the body is written in place, then its
/// length and checksum fill the header (no copy of the envelope).
fn put_frame(buf: &mut Vec<u8>, kind: u8, offset: i64, ts: i64, env: Option<&Envelope>) {
    let start = buf.len();
    buf.extend_from_slice(&[0; 8]);
    buf.push(kind);
    buf.extend_from_slice(&offset.to_le_bytes());
    buf.extend_from_slice(&ts.to_le_bytes());
    if let Some(e) = env {
        e.encode_into(buf);
    }
    let body = &buf[start + 8..];
    let (len, crc) = (body.len() as u32, crc32fast::hash(body));
    buf[start..start + 4].copy_from_slice(&len.to_le_bytes());
    buf[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// The frame at `at`: (kind, offset, ts, envelope bytes, end), or `None`
/// at the end or at a torn/corrupt frame.
type Frame<'a> = (u8, i64, i64, Option<&'a [u8]>, usize);

fn frame(bytes: &[u8], at: usize) -> Option<Frame<'_>> {
    let head = bytes.get(at..at + 8)?;
    let len = u32::from_le_bytes(head[..4].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(head[4..].try_into().ok()?);
    if !(BODY_HEAD..=MAX_FRAME).contains(&len) {
        return None;
    }
    let body = bytes.get(at + 8..at + 8 + len)?;
    if crc32fast::hash(body) != crc {
        return None;
    }
    let kind = body[0];
    let offset = i64::from_le_bytes(body[1..9].try_into().ok()?);
    let ts = i64::from_le_bytes(body[9..17].try_into().ok()?);
    let env = (kind == KIND_RECORD).then(|| &body[BODY_HEAD..]);
    (kind == KIND_RECORD || kind == KIND_MARK).then_some((kind, offset, ts, env, at + 8 + len))
}

fn sync_dir(dir: Option<&Path>) -> io::Result<()> {
    match dir {
        Some(d) => File::open(d)?.sync_all(),
        None => Ok(()),
    }
}

/// A name safe in a file name: `[A-Za-z0-9._-]` kept, anything else as
/// `%XX` (so distinct names never share a file).
fn file_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn unfile_name(name: &str) -> Option<String> {
    let mut out = Vec::with_capacity(name.len());
    let b = name.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = name.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(key: &str) -> Envelope {
        Envelope::new("t1", key, "k", b"{}".to_vec())
    }

    #[test]
    fn records_survive_reopen_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let disk = Disk::open(dir.path(), false).unwrap();
        let mut f = disk
            .append_to("game.v1.x", 0, None::<(i64, std::iter::Empty<_>)>)
            .unwrap();
        for i in 0..3 {
            f.append(i, 100 + i, &env(&format!("g{i}"))).unwrap();
        }
        drop(f);
        // A crash mid-write: half a frame at the end.
        let path = disk.part_path("game.v1.x", 0);
        let mut raw = OpenOptions::new().append(true).open(&path).unwrap();
        raw.write_all(&[9, 0, 0, 0, 1, 2]).unwrap();
        let loaded = disk.load("game.v1.x", 0).unwrap();
        assert_eq!(loaded.records.len(), 3);
        assert_eq!(loaded.next, 3);
        assert_eq!(loaded.records[2].2.key, "g2");
        // Appends after the cut are readable.
        let mut f = disk
            .append_to("game.v1.x", 0, None::<(i64, std::iter::Empty<_>)>)
            .unwrap();
        f.append(3, 103, &env("g3")).unwrap();
        assert_eq!(disk.load("game.v1.x", 0).unwrap().records.len(), 4);
    }

    #[test]
    fn a_rewrite_keeps_the_next_offset_when_everything_expired() {
        let dir = tempfile::tempdir().unwrap();
        let disk = Disk::open(dir.path(), false).unwrap();
        let mut f = disk
            .append_to("t", 1, None::<(i64, std::iter::Empty<_>)>)
            .unwrap();
        f.append(0, 1, &env("a")).unwrap();
        f.append(1, 1, &env("b")).unwrap();
        drop(f);
        disk.append_to("t", 1, Some((2, std::iter::empty())))
            .unwrap();
        let loaded = disk.load("t", 1).unwrap();
        assert!(loaded.records.is_empty());
        assert_eq!(loaded.next, 2, "offsets never go back");
    }

    #[test]
    fn group_offsets_round_trip_with_odd_names() {
        let dir = tempfile::tempdir().unwrap();
        let disk = Disk::open(dir.path(), false).unwrap();
        let mut c = Committed::new();
        c.insert(("game.v1.x".into(), 3), 42);
        disk.save_group("grp/with spaces", &c).unwrap();
        let groups = disk.load_groups().unwrap();
        assert_eq!(groups["grp/with spaces"], c);
    }
}
