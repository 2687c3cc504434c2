//! NBD URIs (the NBD project's doc/uri.md): `nbd://HOST[:PORT]/EXPORT`
//! and `nbd+unix:///EXPORT?socket=PATH`.

use std::path::PathBuf;

/// The NBD port assigned by IANA.
pub const DEFAULT_PORT: u16 = 10809;

/// Where an NBD server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A TCP host (name, IPv4 or IPv6 address) and port.
    Tcp {
        /// Host name or address (IPv6 without brackets).
        host: String,
        /// TCP port.
        port: u16,
    },
    /// A unix domain socket.
    Unix(PathBuf),
}

/// A parsed NBD URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NbdUri {
    /// Where the server listens.
    pub endpoint: Endpoint,
    /// The export name (percent-decoded; empty for the default export).
    pub export: String,
}

/// True when `s` names an NBD export rather than a file: it starts with an
/// `nbd` scheme (`nbd:`, `nbd+unix:`, `nbds:` ...). Checked before any
/// file-system lookup; a local file of such a name is reached as `./nbd:...`.
pub fn is_nbd_uri(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once(':') else {
        return false;
    };
    let scheme = scheme.to_ascii_lowercase();
    let base = scheme.split('+').next().unwrap_or("");
    (base == "nbd" || base == "nbds")
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+')
}

/// Decodes %XX escapes; `what` names the part for the error.
fn percent_decode(s: &str, what: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad %-escape in the {what}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("the {what} is not UTF-8"))
}

impl NbdUri {
    /// Parses an NBD URI. The error says what is wrong (without the URI,
    /// which the caller puts in front).
    pub fn parse(s: &str) -> Result<NbdUri, String> {
        let (scheme, rest) = s.split_once("://").ok_or(
            "not an NBD URI: want nbd://HOST[:PORT]/EXPORT or nbd+unix:///EXPORT?socket=PATH",
        )?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme.starts_with("nbds") {
            return Err(
                "TLS (nbds) is not supported; run NBD over a trusted network or a tunnel (docs/NBD.md)"
                    .into(),
            );
        }
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        if rest.contains('#') || query.is_some_and(|q| q.contains('#')) {
            return Err("a fragment (#...) has no meaning in an NBD URI".into());
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let export = percent_decode(path, "export name")?;
        let mut socket = None;
        for kv in query.into_iter().flat_map(|q| q.split('&')) {
            if kv.is_empty() {
                continue;
            }
            match kv.split_once('=') {
                Some(("socket", v)) if !v.is_empty() => {
                    socket = Some(PathBuf::from(percent_decode(v, "socket path")?))
                }
                _ => return Err(format!("unknown or empty query parameter {kv:?}")),
            }
        }
        let endpoint = match scheme.as_str() {
            "nbd" | "nbd+tcp" => {
                if socket.is_some() {
                    return Err("socket= belongs to nbd+unix:// URIs".into());
                }
                Self::tcp(authority)?
            }
            "nbd+unix" => {
                if !authority.is_empty() {
                    return Err(format!(
                        "nbd+unix:// takes no host ({authority:?}); write nbd+unix:///EXPORT?socket=PATH"
                    ));
                }
                Endpoint::Unix(socket.ok_or("nbd+unix:// needs ?socket=PATH")?)
            }
            other => return Err(format!("unknown scheme {other:?}: want nbd or nbd+unix")),
        };
        Ok(NbdUri { endpoint, export })
    }

    fn tcp(authority: &str) -> Result<Endpoint, String> {
        if authority.contains('@') {
            return Err("user names are not part of NBD URIs".into());
        }
        let (host, port) = if let Some(r) = authority.strip_prefix('[') {
            let (h, after) = r.split_once(']').ok_or("unclosed [ in the IPv6 host")?;
            match after {
                "" => (h, None),
                p => (
                    h,
                    Some(p.strip_prefix(':').ok_or("junk after the IPv6 host")?),
                ),
            }
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err("no host: want nbd://HOST[:PORT]/EXPORT".into());
        }
        let port = match port {
            None => DEFAULT_PORT,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => n,
                _ => return Err(format!("bad port {p:?}")),
            },
        };
        Ok(Endpoint::Tcp {
            host: host.to_string(),
            port,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(h: &str, p: u16, e: &str) -> NbdUri {
        NbdUri {
            endpoint: Endpoint::Tcp {
                host: h.into(),
                port: p,
            },
            export: e.into(),
        }
    }

    #[test]
    fn parses_the_standard_forms() {
        assert_eq!(NbdUri::parse("nbd://h/x").unwrap(), tcp("h", 10809, "x"));
        assert_eq!(
            NbdUri::parse("nbd://127.0.0.1:1234/a%20b").unwrap(),
            tcp("127.0.0.1", 1234, "a b")
        );
        assert_eq!(NbdUri::parse("nbd://h").unwrap(), tcp("h", 10809, ""));
        assert_eq!(
            NbdUri::parse("nbd://[::1]:99/e").unwrap(),
            tcp("::1", 99, "e")
        );
        assert_eq!(
            NbdUri::parse("nbd+unix:///e?socket=/run/s.sock").unwrap(),
            NbdUri {
                endpoint: Endpoint::Unix("/run/s.sock".into()),
                export: "e".into()
            }
        );
    }

    #[test]
    fn rejects_malformed_ones() {
        for bad in [
            "nbd:/h/x",
            "nbd://:10809/x",
            "nbd://h:0/x",
            "nbd://h:port/x",
            "nbd://h:70000/x",
            "nbd+unix:///x",
            "nbd+unix://host/x?socket=/s",
            "nbd://h/x?socket=/s",
            "nbd://h/x?foo=1",
            "nbds://h/x",
            "nbd+vsock://h/x",
            "nbd://h/%zz",
            "nbd://[::1/x",
        ] {
            assert!(NbdUri::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn recognises_the_scheme_only() {
        assert!(is_nbd_uri("nbd://h/x"));
        assert!(is_nbd_uri("NBD+unix:///x?socket=s"));
        assert!(is_nbd_uri("nbd:oops"));
        assert!(!is_nbd_uri("disk0.img"));
        assert!(!is_nbd_uri("./nbd:x"));
        assert!(!is_nbd_uri("/dev/nbd0"));
        assert!(!is_nbd_uri("nbdisk:x"));
    }
}
