// --exec CMD: one `/bin/sh -c CMD` per event, started with posix_spawn and never waited for on the frame loop; a
// reaper thread collects exit statuses and reports failures.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "watch/actions.h"
#include "watch/report.h"

extern char** environ;

namespace edgerun::watch {
namespace {

struct Child {
  pid_t pid;
  std::string what;  // "rule 'gate', frame 12"
};

class ExecAction : public Action {
 public:
  ExecAction(std::string command, int max_running) : command_(std::move(command)), max_running_(max_running) {
    reaper_ = std::thread([this] { reap_loop(); });
  }
  ~ExecAction() override { finish(Clock::now()); }

  void fire(const Event& event, const std::string& json) override {
    std::string what = "rule '" + event.rule + "', frame " + std::to_string(event.frame);
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return;
    if (static_cast<int>(running_.size()) >= max_running_) {
      ++skipped_;
      report_warning("--exec: " + std::to_string(running_.size()) + " commands are still running; skipped " + what);
      return;
    }
    // The environment: ours without stale EDGERUN_ event variables, plus this event's.
    std::vector<std::string> vars = {"EDGERUN_EVENT=" + json, "EDGERUN_RULE=" + event.rule,
                                     "EDGERUN_FRAME=" + std::to_string(event.frame),
                                     "EDGERUN_SNAPSHOT=" + event.snapshot};
    std::vector<char*> envp;
    for (char** e = environ; e && *e; ++e) {
      bool ours = false;
      for (const char* name : {"EDGERUN_EVENT=", "EDGERUN_RULE=", "EDGERUN_FRAME=", "EDGERUN_SNAPSHOT="})
        ours = ours || std::strncmp(*e, name, std::strlen(name)) == 0;
      if (!ours) envp.push_back(*e);
    }
    for (std::string& v : vars) envp.push_back(v.data());
    envp.push_back(nullptr);
    std::string sh = "/bin/sh", dash_c = "-c", cmd = command_;
    char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // stdout carries only event lines: the command's output goes to stderr; it reads nothing.
    posix_spawn_file_actions_adddup2(&actions, 2, 1);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid = 0;
    int err = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (err != 0) {
      ++failed_;
      report_warning("--exec: cannot start /bin/sh for " + what + ": " + std::strerror(err));
      return;
    }
    ++started_;
    running_.push_back({pid, std::move(what)});
    cv_.notify_all();
  }

  void finish(Clock::time_point deadline) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = closing_ = true;
    cv_.notify_all();
    cv_.wait_until(lock, deadline, [&] { return running_.empty(); });
    if (!running_.empty()) {
      std::string pids;
      for (const Child& c : running_) pids += (pids.empty() ? "" : ", ") + std::to_string(c.pid);
      report_warning("--exec: " + std::to_string(running_.size()) + " command(s) still running at shutdown, left " +
                     "running (pid " + pids + ")");
    }
    stop_reaper_ = true;
    cv_.notify_all();
    lock.unlock();
    if (reaper_.joinable()) reaper_.join();
  }

  std::string summary() const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::string s = "exec: " + std::to_string(started_) + " started, " + std::to_string(failed_) + " failed";
    if (skipped_) s += ", " + std::to_string(skipped_) + " skipped (too many running)";
    return s;
  }

 private:
  void reap_loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_reaper_) {
      if (running_.empty()) {
        cv_.wait(lock, [&] { return stop_reaper_ || !running_.empty(); });
        continue;
      }
      for (size_t i = 0; i < running_.size();) {
        int status = 0;
        pid_t r = waitpid(running_[i].pid, &status, WNOHANG);
        if (r == 0 || (r < 0 && errno == EINTR)) {
          ++i;
          continue;
        }
        if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
          ++failed_;
          report_warning("--exec: command exited with status " + std::to_string(WEXITSTATUS(status)) + " (" +
                         running_[i].what + ")");
        } else if (r > 0 && WIFSIGNALED(status)) {
          ++failed_;
          report_warning("--exec: command killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
                         running_[i].what + ")");
        }
        running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
        cv_.notify_all();
      }
      // Polled: waiting for any child would also reap processes that other parts of the program started.
      cv_.wait_for(lock, std::chrono::milliseconds(50));
    }
  }

  std::string command_;
  int max_running_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Child> running_;
  bool closing_ = false, finished_ = false, stop_reaper_ = false;
  int64_t started_ = 0, failed_ = 0, skipped_ = 0;
  std::thread reaper_;
};

}  // namespace

Expected<std::unique_ptr<Action>> make_exec_action(const std::string& command, int max_running) {
  if (command.empty()) return invalid_argument("--exec: the command is empty");
  if (access("/bin/sh", X_OK) != 0) return not_found("--exec needs /bin/sh, which is missing: ", std::strerror(errno));
  return std::unique_ptr<Action>(std::make_unique<ExecAction>(command, max_running < 1 ? 1 : max_running));
}

}  // namespace edgerun::watch
