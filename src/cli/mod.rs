//! Layer 8: the `nwvol` command line. The only layer that prints, picks
//! exit codes and uses anyhow.

mod devices;
mod format;
mod inspect;
mod output;

use clap::{Args, Parser, Subcommand};

pub use output::Output;

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: the command failed.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code: the command line was wrong.
pub const EXIT_USAGE: i32 = 2;

/// nwvol: format, inspect, remirror and verify NetWare-style volumes.
#[derive(Debug, Parser)]
#[command(
    name = "nwvol",
    version,
    about = "Format, inspect, remirror and verify NetWare 386 style volumes on block devices and image files",
    long_about = None,
    after_help = "Devices are named on each call with -d (repeatable) or in NWVOL_DEVICES (separated by commas or spaces); \
nwvol assembles mirror groups and volumes from what is on them.\n\n\
Example:\n  nwvol format --size 1G --mirror disk0.img disk1.img\n  nwvol inspect -d disk0.img -d disk1.img"
)]
pub struct Cli {
    /// Print nothing but errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Devices to assemble, for every command but format.
#[derive(Debug, Args, Clone)]
pub struct DeviceArgs {
    /// A member device or image file (repeatable); default: $NWVOL_DEVICES.
    #[arg(short = 'd', long = "device", value_name = "DEVICE")]
    pub devices: Vec<std::path::PathBuf>,
    /// Open raw block devices with O_DIRECT (bypass the kernel's page cache).
    #[arg(long)]
    pub direct: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create NetWare partitions, a mirror group and empty volumes.
    #[command(
        after_help = "Examples:\n  nwvol format --size 1G --mirror disk0.img disk1.img\n  \
nwvol format --size 4G --volume SYS:1G --volume DATA disk0.img\n  \
nwvol format --block-size 16K /dev/sdb /dev/sdc        # SYS spans both disks"
    )]
    Format(format::FormatArgs),
    /// Show partitions, mirror groups, members and volumes.
    #[command(
        after_help = "Examples:\n  nwvol inspect -d disk0.img -d disk1.img\n  \
NWVOL_DEVICES='disk0.img disk1.img' nwvol inspect --json | jq .volumes"
    )]
    Inspect(inspect::InspectArgs),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let out = Output::new(cli.quiet);
    let r = match cli.command {
        Command::Format(a) => format::run(a, &out),
        Command::Inspect(a) => inspect::run(a, &out),
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            if output::is_broken_pipe(&e) {
                return EXIT_OK;
            }
            eprintln!("nwvol: {}", output::one_line(&e));
            EXIT_FAILURE
        }
    }
}
