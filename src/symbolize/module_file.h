// module_file.h — opening a module's file by the path a tracked process
// declared. The process may be hostile and the reader (a server) may be
// root: the path may name a FIFO (an open that never returns), a device (an
// open that acts), a huge file, or a file its process could not read itself.
//
// A module's file is opened only when it is a regular file of at most
// kMaxModuleFileBytes and — when the process's uid is given and is not this
// process's — readable by that uid by its mode bits: the file's (owner read,
// or read for others; group bits are not honoured, the reader's groups are
// not known) and search permission on every directory on its real path. The
// checks are made on an O_PATH descriptor (no open of the file itself), then
// the same inode is opened through /proc/self/fd with
// O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_NOCTTY and checked again.
//
// Thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace memledger {

inline constexpr std::uint64_t kMaxModuleFileBytes = 4ULL << 30;

// A read-only descriptor of `path`, or -1: with *refusal empty when it cannot
// be opened at all (missing, no permission), else saying why it was refused
// ("module not a regular file", "module larger than 4 GiB", "module not
// readable by uid N").
int OpenModuleFile(const std::string& path, std::optional<uid_t> reader, std::string* refusal);

}  // namespace memledger
