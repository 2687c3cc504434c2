//! The errno a file system call gets for each library error.

use fuser::Errno;

use crate::error::Error;

/// The errno for `e`: what a program would expect of a local file system
/// (a name NetWare cannot hold is EINVAL, a file past 4 GiB - 1 EFBIG, a
/// full volume ENOSPC); device failures and damage are EIO.
pub fn errno(e: &Error) -> Errno {
    match e {
        Error::NotFound(_) => Errno::ENOENT,
        Error::AlreadyExists(_) => Errno::EEXIST,
        Error::IsDirectory(_) => Errno::EISDIR,
        Error::NotDirectory(_) => Errno::ENOTDIR,
        Error::NotEmpty(_) => Errno::ENOTEMPTY,
        Error::ReadOnly(_) => Errno::EROFS,
        Error::NoSpace(_) => Errno::ENOSPC,
        Error::FileTooBig(_) => Errno::EFBIG,
        Error::BadName { .. } | Error::BadPath { .. } | Error::Invalid(_) => Errno::EINVAL,
        _ => Errno::EIO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_map_to_their_errno_and_the_rest_to_eio() {
        assert_eq!(errno(&Error::NoSpace("SYS".into())), Errno::ENOSPC);
        assert_eq!(errno(&Error::FileTooBig("x".into())), Errno::EFBIG);
        assert_eq!(
            errno(&Error::BadName {
                name: "a*b".into(),
                reason: "bad".into()
            }),
            Errno::EINVAL
        );
        assert_eq!(errno(&Error::Internal("x".into())), Errno::EIO);
    }
}
