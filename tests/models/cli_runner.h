// Runs the built edgerun CLI (EDGERUN_CLI_PATH) as a child process for the CLI tests: to the end (run_cli), or
// watched and signalled while it runs (CliProcess).
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace edgerun::testing {

struct CliResult {
  int exit_code = -1;
  int signal = 0;  // non-zero if the process died of a signal (a crash)
  std::string out;
  std::string err;
};

inline std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The CLI as a child process (fork + exec, no shell): stdout through a pipe that the test reads, stderr into a
// temporary file. For a run that the test watches or signals while it runs; run_cli below for the plain case.
class CliProcess {
 public:
  explicit CliProcess(const std::vector<std::string>& args) {
    char err_path[] = "/tmp/edgerun_cli_stderr_XXXXXX";
    int err_fd = mkstemp(err_path);
    if (err_fd < 0) {
      ADD_FAILURE() << "mkstemp failed";
      return;
    }
    err_path_ = err_path;
    int pipefd[2];
    if (pipe(pipefd) != 0) {
      ADD_FAILURE() << "pipe failed";
      close(err_fd);
      return;
    }
    std::vector<std::string> argv_s = {EDGERUN_CLI_PATH};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    pid_t pid = fork();
    if (pid == 0) {
      dup2(pipefd[1], 1);
      dup2(err_fd, 2);
      close(pipefd[0]);
      close(pipefd[1]);
      std::vector<char*> argv;
      for (std::string& s : argv_s) argv.push_back(s.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(pipefd[1]);
    close(err_fd);
    if (pid < 0) {
      ADD_FAILURE() << "fork failed";
      close(pipefd[0]);
      return;
    }
    pid_ = pid;
    out_fd_ = pipefd[0];
  }
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;
  // A child still running (the test stopped early) is killed and reaped.
  ~CliProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
    if (!err_path_.empty()) unlink(err_path_.c_str());
  }

  bool started() const { return pid_ > 0; }
  // Stdout read so far.
  const std::string& out() const { return out_; }
  // Stderr written so far.
  std::string err() const { return err_path_.empty() ? std::string() : read_all(err_path_); }
  void send_signal(int sig) const {
    if (pid_ > 0) kill(pid_, sig);
  }

  // Reads stdout until `until` appears in it, or to EOF when `until` is empty; false at EOF without `until` or after
  // `limit_s` seconds (a safety net, not a timing check).
  bool read_until(const std::string& until, double limit_s) {
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit_s);
    while (until.empty() || out_.find(until) == std::string::npos) {
      if (out_fd_ < 0) return until.empty();
      int left =
          static_cast<int>(std::chrono::duration<double, std::milli>(end - std::chrono::steady_clock::now()).count());
      if (left <= 0) return false;
      pollfd p{out_fd_, POLLIN, 0};
      if (poll(&p, 1, left) <= 0) continue;
      if (!read_some()) return until.empty();
    }
    return true;
  }

  // Reads stdout to EOF, waits for the exit and returns the result. With `limit_s` >= 0 a child whose stdout is
  // still open after that many seconds is killed (SIGKILL, reported in CliResult::signal) instead of waited for.
  CliResult wait(double limit_s = -1) {
    CliResult r;
    if (pid_ <= 0) return r;
    if (limit_s < 0) {
      while (out_fd_ >= 0 && read_some()) {
      }
    } else if (!read_until("", limit_s)) {
      kill(pid_, SIGKILL);
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    r.out = std::move(out_);
    r.err = err();
    return r;
  }

 private:
  // One read from stdout into out_; false (and the pipe closed) at EOF or on an error.
  bool read_some() {
    char buf[4096];
    ssize_t n = read(out_fd_, buf, sizeof(buf));
    if (n <= 0) {
      close(out_fd_);
      out_fd_ = -1;
      return false;
    }
    out_.append(buf, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string err_path_;
  std::string out_;
};

// Runs the CLI to the end: fork + exec (no shell), stdout through a pipe, stderr into a temporary file.
inline CliResult run_cli(const std::vector<std::string>& args) { return CliProcess(args).wait(); }

// Exit status and the first 3000 bytes of each stream, for failure messages.
inline std::string describe(const CliResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.signal ? " signal " + std::to_string(r.signal) : "") +
         "\n--- stdout ---\n" + r.out.substr(0, 3000) + "\n--- stderr ---\n" + r.err.substr(0, 3000);
}

}  // namespace edgerun::testing
