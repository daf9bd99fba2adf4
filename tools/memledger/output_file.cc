// output_file.cc — see output_file.h.
#include "output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace memledger {

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  temporary_ = path_ + ".partial-" + std::to_string(getpid());
  // O_EXCL: never through a link or over a file someone placed there.
  const int fd = open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    error_ = "cannot write " + path_ + ": " + std::strerror(errno);
    temporary_.clear();
    return;
  }
  close(fd);
  out_.open(temporary_, std::ios::binary | std::ios::trunc);
  if (!out_) error_ = "cannot write " + path_ + ": " + std::strerror(errno);
}

OutputFile::~OutputFile() {
  if (!committed_ && !temporary_.empty()) unlink(temporary_.c_str());
}

bool OutputFile::Commit() {
  if (!ok()) return false;
  out_.flush();
  const bool written = static_cast<bool>(out_);
  const int write_errno = errno;
  out_.close();
  if (!written || !out_) {
    error_ = "writing " + path_ + " failed: " + std::strerror(written ? errno : write_errno);
    return false;
  }
  if (rename(temporary_.c_str(), path_.c_str()) != 0) {
    error_ = "cannot put " + path_ + " in place: " + std::strerror(errno);
    return false;
  }
  committed_ = true;
  return true;
}

}  // namespace memledger
