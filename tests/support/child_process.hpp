// A program run by a test as a child process, its standard output and
// error captured in files (so the child never blocks on a full pipe).
//
// The destructor kills (SIGKILL) and reaps a child still running, so a
// failing test leaves no process behind. Not thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace es::test {

class child_process {
public:
  /// Starts `exe` with `args`, this process's environment with `env`
  /// ("NAME=value") added or replacing, and standard input from the file
  /// `input` when given; BOOST_REQUIRE fails when it cannot.
  child_process(std::string exe, std::vector<std::string> args,
                std::vector<std::string> env = {},
                const std::string& input = {});
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process();

  /// Waits at most `limit` for it to exit; its exit status, or -1 when it
  /// was killed by a signal or did not exit in time (then it is killed).
  int wait(std::chrono::seconds limit = std::chrono::seconds{600});

  /// Sends `sig` to it.
  void signal(int sig);

  /// Waits at most `limit` until its standard output contains `needle`.
  bool wait_for_output(const std::string& needle, std::chrono::seconds limit);

  /// What it wrote so far.
  std::string out() const;
  std::string err() const;

  /// The last non-empty line of its standard output.
  std::string last_line() const;

private:
  pid_t pid_ = -1;
  std::string out_path_;
  std::string err_path_;
};

} // namespace es::test
