# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_nwvol_global_optspecs
    string join \n q/quiet cache-size= wait= nbd-timeout= h/help V/version
end

function __fish_nwvol_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_nwvol_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_nwvol_using_subcommand
    set -l cmd (__fish_nwvol_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c nwvol -n "__fish_nwvol_needs_command" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_needs_command" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_needs_command" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_needs_command" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_needs_command" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_needs_command" -s V -l version -d 'Print version'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "format" -d 'Create NetWare partitions, a mirror group and empty volumes'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "inspect" -d 'Show partitions, mirror groups, members and volumes'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "ls" -d 'List directories: attributes, size, modification time, name'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "stat" -d 'Show every field of a file\'s or directory\'s entry'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "put" -d 'Copy local files, trees or standard input onto a volume'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "get" -d 'Copy files or trees from a volume to local files or standard output'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "cat" -d 'Print files to standard output'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "mkdir" -d 'Make directories'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "rm" -d 'Delete files (salvageable until purged) and directories'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "mv" -d 'Rename or move files and directories within a volume'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "df" -d 'Show size, used and free space, files and directories per volume'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "salvage" -d 'List deleted files, or restore one'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "purge" -d 'Free the space of deleted files for good'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "volume" -d 'Create, extend, rename and list volumes'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "hotfix" -d 'Show the sectors each member\'s hot-fix table redirects'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "mirror" -d 'Manage mirror groups: show members and progress, add a member and copy to it, resume a remirror, remove or split off a member'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "verify" -d 'Compare mirror members and check the volume structures; repair from a good copy with --repair'
complete -c nwvol -n "__fish_nwvol_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nwvol -n "__fish_nwvol_using_subcommand format" -l block-size -d 'Volume block size: 4K, 8K, 16K, 32K or 64K (default: by volume size, 4K under 32M up to 64K from 500M)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand format" -l volume -d 'A volume to create, NAME or NAME:SIZE (repeatable; the last may omit its size and takes the rest). Default: one volume SYS over all space' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand format" -l hotfix -d 'Hot-fix pool size per partition (default: about 2% of it)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand format" -l size -d 'Create missing image files of this size (sparse), e.g. 512M, 1G' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand format" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand format" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand format" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand format" -l mirror -d 'Make all devices one mirror group (up to 8); without it, several devices become one volume spanning them as segments'
complete -c nwvol -n "__fish_nwvol_using_subcommand format" -s f -l force -d 'Overwrite devices that hold a partition table or a file system'
complete -c nwvol -n "__fish_nwvol_using_subcommand format" -s n -l dry-run -d 'Show what would be written and write nothing'
complete -c nwvol -n "__fish_nwvol_using_subcommand format" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always)'
complete -c nwvol -n "__fish_nwvol_using_subcommand format" -l no-checksums -d 'Create the volumes without block checksums: the layout NetWare itself writes, but verify cannot find silent corruption on one copy'
complete -c nwvol -n "__fish_nwvol_using_subcommand format" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand format" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand inspect" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand inspect" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand inspect" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand inspect" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand inspect" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand inspect" -l json -d 'One JSON object instead of tables (shape in docs/JSON.md)'
complete -c nwvol -n "__fish_nwvol_using_subcommand inspect" -s H -d 'Scripted mode: no titles or headers, tab-separated lines, each starting with its table\'s kind: `partition`, `member` (then the group ID) or `volume`'
complete -c nwvol -n "__fish_nwvol_using_subcommand inspect" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand inspect" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand ls" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand ls" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand ls" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand ls" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand ls" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand ls" -s R -l recursive -d 'List the directories below too'
complete -c nwvol -n "__fish_nwvol_using_subcommand ls" -l dos -d 'Show the DOS 8.3 names (aliases) instead of long names'
complete -c nwvol -n "__fish_nwvol_using_subcommand ls" -l deleted -d 'List deleted (salvageable) files instead of live entries'
complete -c nwvol -n "__fish_nwvol_using_subcommand ls" -l json -d 'One JSON object instead of lines (shape in docs/JSON.md)'
complete -c nwvol -n "__fish_nwvol_using_subcommand ls" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand ls" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand stat" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand stat" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand stat" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand stat" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand stat" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand stat" -l json -d 'One JSON object instead of lines (shape in docs/JSON.md)'
complete -c nwvol -n "__fish_nwvol_using_subcommand stat" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand stat" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand put" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand put" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand put" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand put" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand put" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand put" -s r -l recursive -d 'Copy directories with everything in them'
complete -c nwvol -n "__fish_nwvol_using_subcommand put" -s v -l verbose -d 'Print one line per file or directory copied, as cp -v does: \'SOURCE\' -> \'DEST\'. Not with -q'
complete -c nwvol -n "__fish_nwvol_using_subcommand put" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand put" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand get" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand get" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand get" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand get" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand get" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand get" -s r -l recursive -d 'Copy directories with everything in them'
complete -c nwvol -n "__fish_nwvol_using_subcommand get" -s v -l verbose -d 'Print one line per file or directory copied, as cp -v does: \'SOURCE\' -> \'DEST\' (not when DEST is standard output). Not with -q'
complete -c nwvol -n "__fish_nwvol_using_subcommand get" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand get" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand cat" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand cat" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand cat" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand cat" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand cat" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand cat" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand cat" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand mkdir" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand mkdir" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mkdir" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mkdir" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mkdir" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand mkdir" -s p -l parents -d 'Make missing parents too; an existing directory is no error'
complete -c nwvol -n "__fish_nwvol_using_subcommand mkdir" -s v -l verbose -d 'Print one line per directory made, as mkdir -v does: created directory \'PATH\'. Not with -q'
complete -c nwvol -n "__fish_nwvol_using_subcommand mkdir" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand mkdir" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand rm" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand rm" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand rm" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand rm" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand rm" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand rm" -s r -l recursive -d 'Remove directories and everything in them'
complete -c nwvol -n "__fish_nwvol_using_subcommand rm" -l purge -d 'Free the files\' space at once instead of keeping them salvageable'
complete -c nwvol -n "__fish_nwvol_using_subcommand rm" -s v -l verbose -d 'Print one line per path removed, as rm -v does: removed \'PATH\'. Not with -q'
complete -c nwvol -n "__fish_nwvol_using_subcommand rm" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand rm" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand mv" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand mv" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mv" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mv" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mv" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand mv" -s v -l verbose -d 'Print one line per file or directory moved, as mv -v does: renamed \'SOURCE\' -> \'DEST\'. Not with -q'
complete -c nwvol -n "__fish_nwvol_using_subcommand mv" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand mv" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand df" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand df" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand df" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand df" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand df" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand df" -l json -d 'One JSON object instead of a table (shape in docs/JSON.md)'
complete -c nwvol -n "__fish_nwvol_using_subcommand df" -s H -d 'Scripted mode: no header, one tab-separated line per volume'
complete -c nwvol -n "__fish_nwvol_using_subcommand df" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand df" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand salvage" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand salvage" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand salvage" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand salvage" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand salvage" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand salvage" -s l -l list -d 'Only list what could be restored, even for a file\'s path'
complete -c nwvol -n "__fish_nwvol_using_subcommand salvage" -l json -d 'List as one JSON object (the `ls --json` shape; implies --list)'
complete -c nwvol -n "__fish_nwvol_using_subcommand salvage" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand salvage" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand purge" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand purge" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand purge" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand purge" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand purge" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand purge" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand purge" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and not __fish_seen_subcommand_from create extend rename list help" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and not __fish_seen_subcommand_from create extend rename list help" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and not __fish_seen_subcommand_from create extend rename list help" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and not __fish_seen_subcommand_from create extend rename list help" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and not __fish_seen_subcommand_from create extend rename list help" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and not __fish_seen_subcommand_from create extend rename list help" -f -a "create" -d 'Create a volume in the free space of the devices\' partitions (after their existing volumes), spanning them in the order given'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and not __fish_seen_subcommand_from create extend rename list help" -f -a "extend" -d 'Add the free space of more devices\' partitions to a volume, as new segments'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and not __fish_seen_subcommand_from create extend rename list help" -f -a "rename" -d 'Rename a volume'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and not __fish_seen_subcommand_from create extend rename list help" -f -a "list" -d 'List the volumes: block size, size, segments and where they are'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and not __fish_seen_subcommand_from create extend rename list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from create" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from create" -l block-size -d 'Block size: 4K, 8K, 16K, 32K or 64K (default: by volume size)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from create" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from create" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from create" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from create" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from create" -l no-checksums -d 'Create the volume without block checksums (the layout NetWare itself writes)'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from extend" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from extend" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from extend" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from extend" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from extend" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from extend" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from extend" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from rename" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from rename" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from rename" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from rename" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from rename" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from rename" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from rename" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from list" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from list" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from list" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from list" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from list" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from list" -l json -d 'One JSON object instead of a table (shape in docs/JSON.md)'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from list" -s H -d 'Scripted mode: no header, one tab-separated line per volume'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a volume in the free space of the devices\' partitions (after their existing volumes), spanning them in the order given'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from help" -f -a "extend" -d 'Add the free space of more devices\' partitions to a volume, as new segments'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from help" -f -a "rename" -d 'Rename a volume'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the volumes: block size, size, segments and where they are'
complete -c nwvol -n "__fish_nwvol_using_subcommand volume; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and not __fish_seen_subcommand_from list help" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and not __fish_seen_subcommand_from list help" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and not __fish_seen_subcommand_from list help" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and not __fish_seen_subcommand_from list help" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and not __fish_seen_subcommand_from list help" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and not __fish_seen_subcommand_from list help" -f -a "list" -d 'List the redirected units of each member\'s hot-fix table'
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and not __fish_seen_subcommand_from list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and __fish_seen_subcommand_from list" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and __fish_seen_subcommand_from list" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and __fish_seen_subcommand_from list" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and __fish_seen_subcommand_from list" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and __fish_seen_subcommand_from list" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and __fish_seen_subcommand_from list" -l json -d 'One JSON object instead of tables (shape in docs/JSON.md)'
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and __fish_seen_subcommand_from list" -s H -d 'Scripted mode: no headers, tab-separated lines, each starting with `member` (device, partition ID, group ID, state, pool slots used, pool slots) or `redirect` (device, logical sector, logical byte, slot, device byte)'
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the redirected units of each member\'s hot-fix table'
complete -c nwvol -n "__fish_nwvol_using_subcommand hotfix; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and not __fish_seen_subcommand_from add resume status remove split help" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and not __fish_seen_subcommand_from add resume status remove split help" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and not __fish_seen_subcommand_from add resume status remove split help" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and not __fish_seen_subcommand_from add resume status remove split help" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and not __fish_seen_subcommand_from add resume status remove split help" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and not __fish_seen_subcommand_from add resume status remove split help" -f -a "add" -d 'Add a device to the group as a new member and copy the logical partition to it (allocated blocks only)'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and not __fish_seen_subcommand_from add resume status remove split help" -f -a "resume" -d 'Continue an interrupted remirror from its checkpoint, or resync a member that is out of sync (only the regions written while it was away, when the write-intent record knows them)'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and not __fish_seen_subcommand_from add resume status remove split help" -f -a "status" -d 'Show the members, their states, remirror progress and dirty regions'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and not __fish_seen_subcommand_from add resume status remove split help" -f -a "remove" -d 'Detach a member from its group (refused for the last in-sync one)'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and not __fish_seen_subcommand_from add resume status remove split help" -f -a "split" -d 'Detach an in-sync member as an independent copy (a point in time): it gets a new group ID and partition ID and assembles and mounts by itself; the rest of the group forgets it. Of two members written apart (split), each becomes a volume set of its own'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and not __fish_seen_subcommand_from add resume status remove split help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from add" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from add" -l max-rate -d 'Most bytes per second to copy, e.g. 50M (or 50M/s)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from add" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from add" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from add" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from add" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from add" -l dry-run -d 'Print what would be copied (ranges, bytes, an estimate); write nothing'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from add" -l json -d 'One JSON line per progress update and a final summary line'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from add" -l force -d 'Overwrite a device that holds something'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from resume" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from resume" -l max-rate -d 'Most bytes per second to copy, e.g. 50M (or 50M/s)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from resume" -l from -d 'After a split (members written apart): keep this member\'s data and copy it over the other one, whose own writes are lost (--dry-run lists the files it would lose)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from resume" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from resume" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from resume" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from resume" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from resume" -l dry-run -d 'Print what would be copied (ranges, bytes, an estimate); write nothing'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from resume" -l json -d 'One JSON line per progress update and a final summary line'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from resume" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from resume" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from status" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from status" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from status" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from status" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from status" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from status" -l json -d 'One JSON object'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from remove" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from remove" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from remove" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from remove" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from remove" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from split" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from split" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from split" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from split" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from split" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from split" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from split" -s h -l help -d 'Print help'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a device to the group as a new member and copy the logical partition to it (allocated blocks only)'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from help" -f -a "resume" -d 'Continue an interrupted remirror from its checkpoint, or resync a member that is out of sync (only the regions written while it was away, when the write-intent record knows them)'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show the members, their states, remirror progress and dirty regions'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Detach a member from its group (refused for the last in-sync one)'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from help" -f -a "split" -d 'Detach an in-sync member as an independent copy (a point in time): it gets a new group ID and partition ID and assembles and mounts by itself; the rest of the group forgets it. Of two members written apart (split), each becomes a volume set of its own'
complete -c nwvol -n "__fish_nwvol_using_subcommand mirror; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nwvol -n "__fish_nwvol_using_subcommand verify" -s d -l device -d 'A member device, image file or NBD URI (nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH) (repeatable); default: $NWVOL_DEVICES (one per line when it holds a newline, else separated by spaces or commas)' -r -F
complete -c nwvol -n "__fish_nwvol_using_subcommand verify" -l only -d 'Run only one of the checks' -r -f -a "mirror\t'Members against each other and against their checksums'
structure\t'The volume structures (headers, tables, FAT, directory tree)'"
complete -c nwvol -n "__fish_nwvol_using_subcommand verify" -l cache-size -d 'Size of nwvol\'s block cache, shared by every mirror group (e.g. 64M, 1G)' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand verify" -l wait -d 'When a device is busy (another nwvol writes it, or reads it while this one wants to write), wait up to this many seconds for it instead of failing at once' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand verify" -l nbd-timeout -d 'Longest wait for an NBD server (connect, handshake, each reply) before its member is taken as failed' -r
complete -c nwvol -n "__fish_nwvol_using_subcommand verify" -l direct -d 'Use O_DIRECT for image files too, where their file system takes 512-byte direct I/O (raw block devices with 512-byte sectors use it always: nwvol keeps its own cache)'
complete -c nwvol -n "__fish_nwvol_using_subcommand verify" -l repair -d 'Repair what can be repaired from a good copy'
complete -c nwvol -n "__fish_nwvol_using_subcommand verify" -l dry-run -d 'Say what --repair would do; write nothing'
complete -c nwvol -n "__fish_nwvol_using_subcommand verify" -l json -d 'JSON lines: one record per finding, then a summary record (shapes in docs/JSON.md)'
complete -c nwvol -n "__fish_nwvol_using_subcommand verify" -s H -d 'Scripted mode: the findings as tab-separated lines without a header (code, member, where, belongs to, problem, action), no summary line'
complete -c nwvol -n "__fish_nwvol_using_subcommand verify" -s q -l quiet -d 'Quiet: no progress bars, notices of what was done, summaries or warnings. Answers (listings, tables, file contents, --json output) and errors are printed either way'
complete -c nwvol -n "__fish_nwvol_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "format" -d 'Create NetWare partitions, a mirror group and empty volumes'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "inspect" -d 'Show partitions, mirror groups, members and volumes'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "ls" -d 'List directories: attributes, size, modification time, name'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "stat" -d 'Show every field of a file\'s or directory\'s entry'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "put" -d 'Copy local files, trees or standard input onto a volume'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "get" -d 'Copy files or trees from a volume to local files or standard output'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "cat" -d 'Print files to standard output'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "mkdir" -d 'Make directories'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "rm" -d 'Delete files (salvageable until purged) and directories'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "mv" -d 'Rename or move files and directories within a volume'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "df" -d 'Show size, used and free space, files and directories per volume'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "salvage" -d 'List deleted files, or restore one'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "purge" -d 'Free the space of deleted files for good'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "volume" -d 'Create, extend, rename and list volumes'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "hotfix" -d 'Show the sectors each member\'s hot-fix table redirects'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "mirror" -d 'Manage mirror groups: show members and progress, add a member and copy to it, resume a remirror, remove or split off a member'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "verify" -d 'Compare mirror members and check the volume structures; repair from a good copy with --repair'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and not __fish_seen_subcommand_from format inspect ls stat put get cat mkdir rm mv df salvage purge volume hotfix mirror verify help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and __fish_seen_subcommand_from volume" -f -a "create" -d 'Create a volume in the free space of the devices\' partitions (after their existing volumes), spanning them in the order given'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and __fish_seen_subcommand_from volume" -f -a "extend" -d 'Add the free space of more devices\' partitions to a volume, as new segments'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and __fish_seen_subcommand_from volume" -f -a "rename" -d 'Rename a volume'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and __fish_seen_subcommand_from volume" -f -a "list" -d 'List the volumes: block size, size, segments and where they are'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and __fish_seen_subcommand_from hotfix" -f -a "list" -d 'List the redirected units of each member\'s hot-fix table'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and __fish_seen_subcommand_from mirror" -f -a "add" -d 'Add a device to the group as a new member and copy the logical partition to it (allocated blocks only)'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and __fish_seen_subcommand_from mirror" -f -a "resume" -d 'Continue an interrupted remirror from its checkpoint, or resync a member that is out of sync (only the regions written while it was away, when the write-intent record knows them)'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and __fish_seen_subcommand_from mirror" -f -a "status" -d 'Show the members, their states, remirror progress and dirty regions'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and __fish_seen_subcommand_from mirror" -f -a "remove" -d 'Detach a member from its group (refused for the last in-sync one)'
complete -c nwvol -n "__fish_nwvol_using_subcommand help; and __fish_seen_subcommand_from mirror" -f -a "split" -d 'Detach an in-sync member as an independent copy (a point in time): it gets a new group ID and partition ID and assembles and mounts by itself; the rest of the group forgets it. Of two members written apart (split), each becomes a volume set of its own'
