// Runs the built edgerun CLI (EDGERUN_CLI_PATH) as a child process for the CLI tests.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

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

// fork + exec (no shell): stdout through a pipe, stderr into a temporary file.
inline CliResult run_cli(const std::vector<std::string>& args) {
  CliResult r;
  char err_path[] = "/tmp/edgerun_cli_stderr_XXXXXX";
  int err_fd = mkstemp(err_path);
  if (err_fd < 0) {
    ADD_FAILURE() << "mkstemp failed";
    return r;
  }
  int pipefd[2];
  if (pipe(pipefd) != 0) {
    ADD_FAILURE() << "pipe failed";
    return r;
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
  char buf[4096];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) r.out.append(buf, static_cast<size_t>(n));
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  close(err_fd);
  r.err = read_all(err_path);
  unlink(err_path);
  return r;
}

// Exit status and the first 3000 bytes of each stream, for failure messages.
inline std::string describe(const CliResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.signal ? " signal " + std::to_string(r.signal) : "") +
         "\n--- stdout ---\n" + r.out.substr(0, 3000) + "\n--- stderr ---\n" + r.err.substr(0, 3000);
}

}  // namespace edgerun::testing
