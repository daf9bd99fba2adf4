// output_file.h — a file a command writes (export -o, report --html): written
// under a temporary name beside it and renamed into place only when whole,
// so a failed or interrupted command leaves no partial file behind; every
// failure comes with its reason (strerror).
//
// Not thread-safe: one writer.
#pragma once

#include <fstream>
#include <string>

namespace memledger {

class OutputFile {
 public:
  // Opens `path`'s temporary sibling; ok() says whether it could, error() why not.
  explicit OutputFile(std::string path);
  // Removes the temporary file unless Commit() succeeded.
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  bool ok() const { return error_.empty(); }
  std::ostream& stream() { return out_; }
  // Flushes, closes and renames the file into place. False (error() says
  // why, the temporary file is removed) when any write failed.
  bool Commit();
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  std::string temporary_;
  std::ofstream out_;
  std::string error_;
  bool committed_ = false;
};

}  // namespace memledger
