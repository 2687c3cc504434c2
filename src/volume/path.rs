//! NetWare paths as users type them: `VOLUME:/DIR/FILE`, `VOLUME:DIR/FILE`
//! or NetWare's own `VOLUME:\DIR\FILE`, names compared without regard to
//! case.

use crate::error::{Error, Result};
use crate::layout::voltab::validate_volume_name;

/// A parsed `VOLUME:/A/B` path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NwPath {
    /// Volume name, upper case.
    pub volume: String,
    /// The names below the root, in order (empty for the root). `.` and
    /// empty components are dropped, `..` goes up (never above the root).
    pub components: Vec<String>,
}

impl NwPath {
    /// Parses `VOL:/A/B`, `VOL:A/B`, `VOL:\A\B`, `VOL:` or `VOL:/`. The
    /// volume name must be a valid NetWare volume name; `/` and `\`
    /// separate names (neither can be part of one). Names are not checked
    /// here: a name already on disk is found whatever it holds; only new
    /// names are checked, by the operations that make them.
    pub fn parse(s: &str) -> Result<NwPath> {
        let Some((vol, rest)) = s.split_once(':') else {
            return Err(Error::BadPath {
                path: s.to_string(),
                reason: "write VOLUME:/DIR/FILE, e.g. SYS:/PUBLIC".into(),
            });
        };
        let volume = validate_volume_name(vol).map_err(|e| Error::BadPath {
            path: s.to_string(),
            reason: e.to_string(),
        })?;
        let mut components: Vec<String> = Vec::new();
        for c in rest.split(['/', '\\']) {
            match c {
                "" | "." => {}
                ".." => {
                    components.pop();
                }
                c => components.push(c.to_string()),
            }
        }
        Ok(NwPath { volume, components })
    }

    /// True when `s` looks like a NetWare path (a volume name and a colon).
    pub fn looks_like(s: &str) -> bool {
        s.split_once(':')
            .is_some_and(|(v, _)| validate_volume_name(v).is_ok())
    }

    /// The path as a message shows it: a name over 64 characters
    /// shortened to its first 60 and "…".
    pub fn shown(&self) -> String {
        let names: Vec<_> = self
            .components
            .iter()
            .map(|c| super::names::shown(c))
            .collect();
        format!("{}:/{}", self.volume, names.join("/"))
    }

    /// True for the root directory.
    pub fn is_root(&self) -> bool {
        self.components.is_empty()
    }

    /// The last name, None for the root.
    pub fn name(&self) -> Option<&str> {
        self.components.last().map(|s| s.as_str())
    }

    /// The parent path (the root's parent is the root).
    pub fn parent(&self) -> NwPath {
        let mut p = self.clone();
        p.components.pop();
        p
    }

    /// This path with `name` appended.
    pub fn join(&self, name: &str) -> NwPath {
        let mut p = self.clone();
        p.components.push(name.to_string());
        p
    }
}

impl std::fmt::Display for NwPath {
    /// `VOL:/A/B`, the root as `VOL:/`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:/{}", self.volume, self.components.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> (String, Vec<String>) {
        let p = NwPath::parse(s).unwrap();
        (p.volume, p.components)
    }

    #[test]
    fn forms() {
        let v = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(p("SYS:/A/B"), ("SYS".into(), v(&["A", "B"])));
        assert_eq!(p("sys:A/b.txt"), ("SYS".into(), v(&["A", "b.txt"])));
        assert_eq!(p("SYS:"), ("SYS".into(), v(&[])));
        assert_eq!(p("SYS:/"), ("SYS".into(), v(&[])));
        assert_eq!(p("SYS://A//./B/"), ("SYS".into(), v(&["A", "B"])));
        assert_eq!(p("SYS:/A/../B"), ("SYS".into(), v(&["B"])));
        assert_eq!(p("SYS:/../B"), ("SYS".into(), v(&["B"])));
        assert_eq!(p("DATA:/My Report 2024.pdf").1, v(&["My Report 2024.pdf"]));
        assert_eq!(p("SYS:/a:b").1, v(&["a:b"]), "only the first colon counts");
        assert_eq!(
            p("SYS:\\PUBLIC\\FILE.TXT"),
            ("SYS".into(), v(&["PUBLIC", "FILE.TXT"]))
        );
        assert_eq!(p("sys:PUBLIC/FILE"), ("SYS".into(), v(&["PUBLIC", "FILE"])));
        assert_eq!(p("SYS:\\A/B\\..\\C"), ("SYS".into(), v(&["A", "C"])));
        assert_eq!(p("SYS:\\").1, v(&[]));
        assert_eq!(NwPath::parse("sys:/a/b").unwrap().to_string(), "SYS:/a/b");
        assert_eq!(NwPath::parse("sys:").unwrap().to_string(), "SYS:/");
    }

    #[test]
    fn not_paths() {
        for bad in [
            "/tmp/x",
            "X:/A",
            "",
            ":/A",
            "TOO_LONG_VOLUME_NAME:/A",
            "S Y:/A",
        ] {
            assert!(NwPath::parse(bad).is_err(), "{bad:?}");
            assert!(!NwPath::looks_like(bad), "{bad:?}");
        }
        assert!(NwPath::looks_like("SYS:/A"));
        assert!(NwPath::looks_like("vol1:"));
        let e = NwPath::parse("file.txt").unwrap_err().to_string();
        assert!(e.contains("VOLUME:/DIR/FILE"), "{e}");
    }

    #[test]
    fn shown_shortens_long_names() {
        let long = "L".repeat(300);
        let p = NwPath::parse(&format!("SYS:/DIR/{long}")).unwrap();
        assert_eq!(p.shown(), format!("SYS:/DIR/{}…", "L".repeat(60)));
        assert_eq!(p.to_string().len(), 9 + 300, "Display keeps the name whole");
    }

    #[test]
    fn parent_join_name() {
        let a = NwPath::parse("SYS:/A/B").unwrap();
        assert_eq!(a.name(), Some("B"));
        assert_eq!(a.parent().to_string(), "SYS:/A");
        assert!(a.parent().parent().is_root());
        assert_eq!(a.join("C").to_string(), "SYS:/A/B/C");
        assert_eq!(NwPath::parse("SYS:").unwrap().name(), None);
    }
}
