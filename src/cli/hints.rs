//! The hints that name the CLI's own flags, added to the library's errors:
//! the library says what is wrong, the CLI says which of its options helps.

use nwvol::Error;
use nwvol::device::DeviceError;

/// How the CLI says one error of a chain: the library's message, with the
/// hint naming a flag (or a command) where one helps.
pub fn say(e: &(dyn std::error::Error + 'static)) -> String {
    let device = match e.downcast_ref::<Error>() {
        Some(Error::Device(d)) => Some(d),
        Some(_) => None,
        None => e.downcast_ref::<DeviceError>(),
    };
    if let Some(d) = device {
        return match d {
            DeviceError::SizeMismatch {
                device,
                found,
                wanted,
            } => {
                let (has, asked) = nwvol::units::format_size_pair(*found, *wanted);
                format!(
                    "{device}: exists with {has}, not the {asked} that --size asks; remove it or drop --size"
                )
            }
            DeviceError::NoSuchImage { .. } => format!("{d}; give --size to create it"),
            DeviceError::Locked { waited, .. } if waited.is_zero() => {
                format!("{d}; wait for it to finish, or give --wait SECONDS")
            }
            _ => d.to_string(),
        };
    }
    let Some(err) = e.downcast_ref::<Error>() else {
        return e.to_string();
    };
    let hint = match err {
        Error::WouldOverwrite { .. } => " (use --force to format anyway)",
        Error::VolumeWithoutSize(_) => "; only the last --volume may omit it",
        Error::TooManyBlocks {
            block_size_chosen: true,
            ..
        } => "; use a larger --block-size",
        Error::NotEmpty(_) => " (use -r)",
        // An image emptied or cut short while it was a member, its
        // partition table gone: resume cannot give its length back.
        Error::TooSmallForGroup { image: true, .. } => {
            "; give the image file the members' length (truncate -s SIZE FILE), then add it again"
        }
        Error::VolumeIncomplete { .. } => "; give every device with -d",
        _ => "",
    };
    format!("{err}{hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_named_by_the_cli_only() {
        let e = Error::WouldOverwrite {
            device: "d.img".into(),
            found: "an ext4 file system".into(),
        };
        assert!(!e.to_string().contains("--force"));
        assert_eq!(
            say(&e),
            "d.img: holds an ext4 file system; refusing to overwrite it (use --force to format anyway)"
        );
        let e = Error::Device(DeviceError::Locked {
            device: "a.img".into(),
            exclusive: true,
            waited: std::time::Duration::ZERO,
        });
        assert!(!e.to_string().contains("--wait"));
        assert!(say(&e).ends_with("; wait for it to finish, or give --wait SECONDS"));
        let e = Error::TooManyBlocks {
            volume: "SYS".into(),
            block_size_chosen: false,
        };
        assert_eq!(say(&e), e.to_string());
    }
}
