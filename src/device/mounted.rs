//! Whether a block device is in use: mounted, used as swap, or held by a
//! device built on it (device mapper, md). `format` refuses such a device.

use std::collections::HashSet;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Splits a Linux dev_t into (major, minor).
fn dev_major_minor(dev: u64) -> (u64, u64) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major, minor)
}

/// Reads a "MAJ:MIN" string.
fn parse_maj_min(s: &str) -> Option<(u64, u64)> {
    let (a, b) = s.trim().split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Undoes the octal escapes (`\040` for a space) of /proc mount files.
fn unescape_mount(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            out.push(v as u8);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The block devices that make up `dev` in use: itself, its partitions,
/// and (recursively) whatever holds any of them (device mapper, md).
fn related_devices(maj_min: (u64, u64)) -> HashSet<(u64, u64)> {
    let mut found = HashSet::new();
    let mut todo = vec![maj_min];
    while let Some(mm) = todo.pop() {
        if !found.insert(mm) {
            continue;
        }
        let Ok(sys) = std::fs::canonicalize(format!("/sys/dev/block/{}:{}", mm.0, mm.1)) else {
            continue;
        };
        // Partitions are subdirectories with a "partition" file.
        if let Ok(rd) = std::fs::read_dir(&sys) {
            for e in rd.flatten() {
                let p = e.path();
                if p.join("partition").exists()
                    && let Some(m) = read_dev_file(&p.join("dev"))
                {
                    todo.push(m);
                }
            }
        }
        if let Ok(rd) = std::fs::read_dir(sys.join("holders")) {
            for e in rd.flatten() {
                let p = PathBuf::from("/sys/class/block")
                    .join(e.file_name())
                    .join("dev");
                if let Some(m) = read_dev_file(&p) {
                    todo.push(m);
                }
            }
        }
    }
    found
}

fn read_dev_file(p: &Path) -> Option<(u64, u64)> {
    parse_maj_min(&std::fs::read_to_string(p).ok()?)
}

/// For a block device: where it, one of its partitions, or a device built
/// on it is mounted (or "[swap]" when used as swap). None when not in use,
/// and always None for image files.
pub fn mounted(path: &Path) -> std::io::Result<Option<String>> {
    let meta = std::fs::metadata(path)?;
    if !meta.file_type().is_block_device() {
        return Ok(None);
    }
    let devs = related_devices(dev_major_minor(meta.rdev()));
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")?;
    if let Some(m) = find_mount(&mountinfo, &devs) {
        return Ok(Some(m));
    }
    if let Ok(swaps) = std::fs::read_to_string("/proc/swaps") {
        for line in swaps.lines().skip(1) {
            if let Some(src) = line.split_whitespace().next()
                && source_is(&unescape_mount(src), &devs)
            {
                return Ok(Some("[swap]".into()));
            }
        }
    }
    Ok(None)
}

/// True when the mount source `src` is a device node in `devs`.
fn source_is(src: &str, devs: &HashSet<(u64, u64)>) -> bool {
    src.starts_with('/')
        && std::fs::metadata(src)
            .ok()
            .filter(|m| m.file_type().is_block_device())
            .is_some_and(|m| devs.contains(&dev_major_minor(m.rdev())))
}

/// The file system type and source of what is mounted at `dir` (from
/// /proc/self/mountinfo); None when nothing is.
pub fn mount_at(dir: &Path) -> std::io::Result<Option<(String, String)>> {
    let info = std::fs::read_to_string("/proc/self/mountinfo")?;
    let want = dir.display().to_string();
    for line in info.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let Some(dash) = f.iter().position(|&x| x == "-") else {
            continue;
        };
        if f.get(4).map(|s| unescape_mount(s)) == Some(want.clone())
            && let (Some(t), Some(src)) = (f.get(dash + 1), f.get(dash + 2))
        {
            return Ok(Some((t.to_string(), unescape_mount(src))));
        }
    }
    Ok(None)
}

/// Finds a mount in /proc/self/mountinfo text whose device is in `devs`,
/// by major:minor or (for Btrfs, which reports an anonymous device) by the
/// mount source.
fn find_mount(mountinfo: &str, devs: &HashSet<(u64, u64)>) -> Option<String> {
    for line in mountinfo.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        if fields.len() < 5 {
            continue;
        }
        let by_number = parse_maj_min(fields[2]).is_some_and(|mm| devs.contains(&mm));
        let by_source = fields
            .iter()
            .position(|f| *f == "-")
            .and_then(|i| fields.get(i + 2))
            .is_some_and(|src| source_is(&unescape_mount(src), devs));
        if by_number || by_source {
            return Some(unescape_mount(fields[4]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_parsing() {
        let text = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n\
                    42 27 7:3 / /mnt/my\\040disk rw,relatime - ext4 /dev/loop3 rw\n";
        let mut devs = HashSet::new();
        devs.insert((7, 3));
        assert_eq!(find_mount(text, &devs).as_deref(), Some("/mnt/my disk"));
        let mut other = HashSet::new();
        other.insert((7, 4));
        assert_eq!(find_mount(text, &other), None);
        assert_eq!(find_mount("garbage\n\n", &devs), None);
        assert_eq!(parse_maj_min("259:12\n"), Some((259, 12)));
        assert_eq!(parse_maj_min("x"), None);
        assert_eq!(dev_major_minor(0x0703), (7, 3));
        assert_eq!(dev_major_minor((259u64 << 8) | 1), (259, 1));
        assert_eq!(unescape_mount("a\\011b\\\\"), "a\tb\\\\");
    }

    #[test]
    fn mounted_on_files_is_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.img");
        std::fs::write(&p, [0u8; 512]).expect("write");
        assert_eq!(mounted(&p).expect("mounted"), None);
        assert!(mounted(&dir.path().join("missing")).is_err());
    }
}
