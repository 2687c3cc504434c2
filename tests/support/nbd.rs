//! NBD servers for the tests: qemu-nbd and nbdkit as child processes
//! (killed on drop), and an in-process server written here that serves an
//! export from memory or misbehaves on purpose.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A port nobody listens on right now (the kernel's pick, released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// True when the program runs here.
pub fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// An NBD server process serving one image file; killed and reaped on
/// drop, even when the test fails.
pub struct Server {
    child: Option<Child>,
    /// The export's URI.
    pub uri: String,
    program: &'static str,
    args: Vec<String>,
    ready: Ready,
}

#[derive(Clone)]
enum Ready {
    Tcp(u16),
    Unix(PathBuf),
}

impl Server {
    /// qemu-nbd serving `image` as export `name` on a free loopback port.
    pub fn qemu_tcp(image: &Path, name: &str) -> Server {
        Server::qemu_tcp_with(image, name, &[])
    }

    /// qemu-nbd as [`Server::qemu_tcp`], with more arguments (e.g. `-r`).
    pub fn qemu_tcp_with(image: &Path, name: &str, extra: &[&str]) -> Server {
        let port = free_port();
        let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        args.extend([
            "-f".into(),
            "raw".into(),
            "-x".into(),
            name.into(),
            "-b".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
            "-t".into(),
            "--cache=writeback".into(),
            image.display().to_string(),
        ]);
        Server::start(
            "qemu-nbd",
            args,
            format!("nbd://127.0.0.1:{port}/{name}"),
            Ready::Tcp(port),
        )
    }

    /// nbdkit's file plugin serving `image` as export `name` on a unix
    /// socket next to it.
    pub fn nbdkit_unix(image: &Path, name: &str, socket: &Path) -> Server {
        let args = vec![
            "-f".into(),
            "-U".into(),
            socket.display().to_string(),
            "-e".into(),
            name.into(),
            "file".into(),
            image.display().to_string(),
        ];
        Server::start(
            "nbdkit",
            args,
            format!("nbd+unix:///{name}?socket={}", socket.display()),
            Ready::Unix(socket.to_path_buf()),
        )
    }

    /// nbdkit's file plugin serving `image` on a free loopback port.
    pub fn nbdkit_tcp(image: &Path, name: &str) -> Server {
        let port = free_port();
        let args = vec![
            "-f".into(),
            "-i".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
            "-e".into(),
            name.into(),
            "file".into(),
            image.display().to_string(),
        ];
        Server::start(
            "nbdkit",
            args,
            format!("nbd://127.0.0.1:{port}/{name}"),
            Ready::Tcp(port),
        )
    }

    fn start(program: &'static str, args: Vec<String>, uri: String, ready: Ready) -> Server {
        let mut s = Server {
            child: None,
            uri,
            program,
            args,
            ready,
        };
        s.restart();
        s
    }

    /// Starts the server (again) with the same arguments and waits until
    /// it accepts connections.
    pub fn restart(&mut self) {
        self.kill();
        if let Ready::Unix(p) = &self.ready {
            let _ = std::fs::remove_file(p);
        }
        let child = Command::new(self.program)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", self.program));
        self.child = Some(child);
        let t = Instant::now();
        loop {
            let up = match &self.ready {
                Ready::Tcp(port) => TcpStream::connect(("127.0.0.1", *port)).is_ok(),
                Ready::Unix(p) => std::os::unix::net::UnixStream::connect(p).is_ok(),
            };
            if up {
                return;
            }
            if let Some(Ok(Some(st))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("{} exited at start: {st}", self.program);
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "{} did not start listening",
                self.program
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server at once (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The server's process ID.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// How the in-process server behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A correct server (NBD_OPT_GO).
    Serve,
    /// A correct server that does not know NBD_OPT_GO (only
    /// NBD_OPT_EXPORT_NAME, the older way).
    NoGo,
    /// Closes the connection right after accepting it.
    CloseAtOnce,
    /// Sends the greeting, then closes when the client's first option
    /// arrives.
    CloseMidHandshake,
    /// Accepts and never says anything.
    Stall,
    /// Sends garbage instead of the greeting.
    GarbageGreeting,
    /// Negotiates, then answers the first request with garbage.
    GarbageReply,
    /// Negotiates, serves reads, and never answers a write.
    StallOnWrite,
    /// Negotiates, serves reads, and answers the first write with garbage.
    GarbageOnWrite,
    /// Serves, but holds every reply until the given number of requests
    /// are outstanding (or 5 s pass): shows whether the client pipelines.
    Batch(usize),
}

/// An in-process NBD server on a loopback port, serving `size` bytes
/// from memory; stopped and joined on drop.
pub struct FakeServer {
    /// Its port.
    pub port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    /// The most requests it ever had outstanding (received, not answered).
    pub max_outstanding: Arc<AtomicUsize>,
    /// The export's bytes.
    pub data: Arc<Mutex<Vec<u8>>>,
    mode: Arc<Mutex<Mode>>,
}

/// Export name the fake server knows.
pub const FAKE_EXPORT: &str = "mem";

impl FakeServer {
    /// Starts a server in `mode` with an export of `size` bytes and a
    /// stated minimum block size.
    pub fn start(mode: Mode, size: usize, min_block: u32) -> FakeServer {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let max_outstanding = Arc::new(AtomicUsize::new(0));
        let data = Arc::new(Mutex::new(vec![0u8; size]));
        let mode = Arc::new(Mutex::new(mode));
        let (st, mo, d, md) = (
            stop.clone(),
            max_outstanding.clone(),
            data.clone(),
            mode.clone(),
        );
        let accept = std::thread::spawn(move || {
            let mut conns = Vec::new();
            while !st.load(Ordering::SeqCst) {
                match l.accept() {
                    Ok((s, _)) => {
                        s.set_nonblocking(false).unwrap();
                        let (st, mo, d) = (st.clone(), mo.clone(), d.clone());
                        let mode = *md.lock().unwrap();
                        conns.push(std::thread::spawn(move || {
                            let _ = serve(s, mode, min_block, &st, &mo, &d);
                        }));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            for c in conns {
                let _ = c.join();
            }
        });
        FakeServer {
            port,
            stop,
            accept: Some(accept),
            max_outstanding,
            data,
            mode,
        }
    }

    /// How the connections accepted from now on behave.
    pub fn set_mode(&self, m: Mode) {
        *self.mode.lock().unwrap() = m;
    }

    /// The URI of its export.
    pub fn uri(&self) -> String {
        format!("nbd://127.0.0.1:{}/{FAKE_EXPORT}", self.port)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// Waits (checking `stop`) until it is set; for servers that stall.
fn stall(s: &TcpStream, stop: &AtomicBool) -> std::io::Result<()> {
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = s.shutdown(std::net::Shutdown::Both);
    Ok(())
}

fn rd<const N: usize>(s: &mut TcpStream) -> std::io::Result<[u8; N]> {
    let mut b = [0u8; N];
    s.read_exact(&mut b)?;
    Ok(b)
}

fn opt_reply(s: &mut TcpStream, opt: u32, typ: u32, data: &[u8]) -> std::io::Result<()> {
    let mut m = Vec::new();
    m.extend_from_slice(&0x0003_e889_0455_65a9u64.to_be_bytes());
    m.extend_from_slice(&opt.to_be_bytes());
    m.extend_from_slice(&typ.to_be_bytes());
    m.extend_from_slice(&(data.len() as u32).to_be_bytes());
    m.extend_from_slice(data);
    s.write_all(&m)
}

/// Flags: HAS_FLAGS, SEND_FLUSH, SEND_FUA, SEND_WRITE_ZEROES.
const TFLAGS: u16 = 1 | 4 | 8 | 64;

fn serve(
    mut s: TcpStream,
    mode: Mode,
    min_block: u32,
    stop: &AtomicBool,
    max_out: &AtomicUsize,
    data: &Mutex<Vec<u8>>,
) -> std::io::Result<()> {
    s.set_read_timeout(Some(Duration::from_millis(50)))?;
    // Reads that wake up to check `stop` while waiting.
    let read_exact = |s: &mut TcpStream, buf: &mut [u8]| -> std::io::Result<()> {
        let mut at = 0;
        while at < buf.len() {
            if stop.load(Ordering::SeqCst) {
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            match s.read(&mut buf[at..]) {
                Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => at += n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    };
    match mode {
        Mode::CloseAtOnce => return Ok(()),
        Mode::Stall => return stall(&s, stop),
        Mode::GarbageGreeting => {
            s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n")?;
            return stall(&s, stop);
        }
        _ => {}
    }
    let size = data.lock().unwrap().len() as u64;
    // Greeting: NBDMAGIC, IHAVEOPT, FIXED_NEWSTYLE | NO_ZEROES.
    s.write_all(&0x4e42_444d_4147_4943u64.to_be_bytes())?;
    s.write_all(&0x4948_4156_454f_5054u64.to_be_bytes())?;
    s.write_all(&3u16.to_be_bytes())?;
    let mut cflags = [0u8; 4];
    read_exact(&mut s, &mut cflags)?;
    let no_zeroes = u32::from_be_bytes(cflags) & 2 != 0;
    loop {
        let mut h = [0u8; 16];
        read_exact(&mut s, &mut h)?;
        if mode == Mode::CloseMidHandshake {
            return Ok(());
        }
        let opt = u32::from_be_bytes(h[8..12].try_into().unwrap());
        let len = u32::from_be_bytes(h[12..16].try_into().unwrap());
        let mut d = vec![0u8; len as usize];
        read_exact(&mut s, &mut d)?;
        match opt {
            7 if mode != Mode::NoGo => {
                let nl = u32::from_be_bytes(d[0..4].try_into().unwrap()) as usize;
                let name = String::from_utf8_lossy(&d[4..4 + nl]).to_string();
                if name != FAKE_EXPORT {
                    let msg = b"no such export";
                    opt_reply(&mut s, 7, (1 << 31) | 6, msg)?;
                    continue;
                }
                let mut info = vec![0u8, 0];
                info.extend_from_slice(&size.to_be_bytes());
                info.extend_from_slice(&TFLAGS.to_be_bytes());
                opt_reply(&mut s, 7, 3, &info)?;
                let mut bs = vec![0u8, 3];
                bs.extend_from_slice(&min_block.to_be_bytes());
                bs.extend_from_slice(&min_block.max(4096).to_be_bytes());
                bs.extend_from_slice(&(1u32 << 20).to_be_bytes());
                opt_reply(&mut s, 7, 3, &bs)?;
                opt_reply(&mut s, 7, 1, &[])?;
                break;
            }
            1 => {
                if String::from_utf8_lossy(&d) != FAKE_EXPORT {
                    return Ok(());
                }
                s.write_all(&size.to_be_bytes())?;
                s.write_all(&TFLAGS.to_be_bytes())?;
                if !no_zeroes {
                    s.write_all(&[0u8; 124])?;
                }
                break;
            }
            2 => return Ok(()),
            o => opt_reply(&mut s, o, (1 << 31) | 1, &[])?,
        }
    }
    // Transmission.
    let mut held: Vec<Vec<u8>> = Vec::new();
    let mut since = Instant::now();
    loop {
        let mut r = [0u8; 28];
        let got = if let Mode::Batch(n) = mode {
            if !held.is_empty() && (held.len() >= n || since.elapsed() > Duration::from_secs(5)) {
                for m in held.drain(..) {
                    s.write_all(&m)?;
                }
            }
            // Poll for the next request without losing the held ones.
            s.set_read_timeout(Some(Duration::from_millis(20)))?;
            let mut first = [0u8; 1];
            match s.read(&mut first) {
                Ok(0) => return Ok(()),
                Ok(_) => {
                    r[0] = first[0];
                    read_exact(&mut s, &mut r[1..])?;
                    true
                }
                Err(_) => false,
            }
        } else {
            read_exact(&mut s, &mut r)?;
            true
        };
        if !got {
            if stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            continue;
        }
        let typ = u16::from_be_bytes([r[6], r[7]]);
        let handle = &r[8..16];
        let off = u64::from_be_bytes(r[16..24].try_into().unwrap()) as usize;
        let len = u32::from_be_bytes(r[24..28].try_into().unwrap()) as usize;
        let mut reply = Vec::with_capacity(16);
        reply.extend_from_slice(&0x6744_6698u32.to_be_bytes());
        reply.extend_from_slice(&0u32.to_be_bytes());
        reply.extend_from_slice(handle);
        if mode == Mode::GarbageReply {
            s.write_all(b"garbage garbage garbage!")?;
            return stall(&s, stop);
        }
        let aligned =
            off.is_multiple_of(min_block as usize) && len.is_multiple_of(min_block as usize);
        match typ {
            0 => {
                let d = data.lock().unwrap();
                if !aligned || off + len > d.len() {
                    reply[4..8].copy_from_slice(&22u32.to_be_bytes());
                } else {
                    reply.extend_from_slice(&d[off..off + len]);
                }
            }
            1 => {
                let mut buf = vec![0u8; len];
                read_exact(&mut s, &mut buf)?;
                if mode == Mode::StallOnWrite {
                    return stall(&s, stop);
                }
                if mode == Mode::GarbageOnWrite {
                    s.write_all(b"not a reply, not at all!")?;
                    return stall(&s, stop);
                }
                let mut d = data.lock().unwrap();
                if !aligned || off + len > d.len() {
                    reply[4..8].copy_from_slice(&22u32.to_be_bytes());
                } else {
                    d[off..off + len].copy_from_slice(&buf);
                }
            }
            2 => return Ok(()),
            3 => {}
            6 => {
                let mut d = data.lock().unwrap();
                if !aligned || off + len > d.len() {
                    reply[4..8].copy_from_slice(&22u32.to_be_bytes());
                } else {
                    d[off..off + len].fill(0);
                }
            }
            _ => reply[4..8].copy_from_slice(&22u32.to_be_bytes()),
        }
        if let Mode::Batch(_) = mode {
            if held.is_empty() {
                since = Instant::now();
            }
            held.push(reply);
            max_out.fetch_max(held.len(), Ordering::SeqCst);
        } else {
            s.write_all(&reply)?;
        }
    }
}
