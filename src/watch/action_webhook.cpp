// --webhook URL: POST each event from a worker thread. The frame loop only appends to a bounded queue, so a slow or
// dead endpoint costs at most dropped webhook events (reported), never frames.
#include <cctype>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "watch/actions.h"
#include "watch/report.h"

#ifdef EDGERUN_HAVE_HTTPLIB
#include <httplib.h>
#endif

namespace edgerun::watch {

Expected<WebhookUrl> parse_webhook_url(const std::string& url) {
  WebhookUrl u;
  size_t sep = url.find("://");
  if (sep == std::string::npos) return invalid_argument("webhook URL '", url, "' has no scheme (http:// or https://)");
  for (size_t i = 0; i < sep; ++i) u.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(url[i])));
  if (u.scheme != "http" && u.scheme != "https")
    return invalid_argument("webhook URL '", url, "': scheme '", u.scheme, "' is not http or https");
  std::string rest = url.substr(sep + 3);
  size_t path_at = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, path_at);
  // insert/assign of single chars rather than "/" + path: GCC 12 at -O3 for aarch64 reports a false -Wrestrict on
  // the string-literal forms (GCC bug 105329), which -Werror turns into a build failure.
  if (path_at != std::string::npos) u.path = rest.substr(path_at);
  if (!u.path.empty() && u.path[0] == '?') u.path.insert(0, 1, '/');
  if (size_t hash = u.path.find('#'); hash != std::string::npos) u.path.resize(hash);  // fragments are not sent
  if (u.path.empty()) u.path.assign(1, '/');
  if (authority.find('@') != std::string::npos)
    return invalid_argument("webhook URL '", url, "': user:password@ is not supported (put a token in the path)");
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {  // [IPv6]:port
    size_t close = authority.find(']');
    if (close == std::string::npos) return invalid_argument("webhook URL '", url, "': unterminated [IPv6 address]");
    u.host = authority.substr(1, close - 1);
    std::string tail = authority.substr(close + 1);
    if (!tail.empty()) {
      if (tail[0] != ':') return invalid_argument("webhook URL '", url, "': unexpected '", tail, "' after the host");
      port_text = tail.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (u.host.empty()) return invalid_argument("webhook URL '", url, "' has no host");
  if (port_text.empty()) {
    u.port = u.scheme == "https" ? 443 : 80;
  } else {
    if (port_text.size() > 5) return invalid_argument("webhook URL '", url, "': bad port '", port_text, "'");
    for (char c : port_text)
      if (c < '0' || c > '9') return invalid_argument("webhook URL '", url, "': bad port '", port_text, "'");
    u.port = std::stoi(port_text);
    if (u.port < 1 || u.port > 65535)
      return invalid_argument("webhook URL '", url, "': port ", u.port, " out of range");
  }
  return u;
}

#ifdef EDGERUN_HAVE_HTTPLIB
namespace {

struct QueuedEvent {
  std::string json;
  std::string what;  // "rule 'gate', frame 12", for failure messages
};

class WebhookAction : public Action {
 public:
  WebhookAction(std::string url, const WebhookUrl& u, const WebhookOptions& options)
      : url_(std::move(url)), path_(u.path), options_(options) {
    std::string host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
    client_ = std::make_unique<httplib::Client>(u.scheme + "://" + host + ":" + std::to_string(u.port));
    auto split = [](double s, time_t* sec, time_t* usec) {
      *sec = static_cast<time_t>(s);
      *usec = static_cast<time_t>((s - static_cast<double>(*sec)) * 1e6);
    };
    time_t sec = 0, usec = 0;
    split(options.connect_timeout_s, &sec, &usec);
    client_->set_connection_timeout(sec, usec);
    split(options.read_timeout_s, &sec, &usec);
    client_->set_read_timeout(sec, usec);
    client_->set_write_timeout(sec, usec);
    worker_ = std::thread([this] { run(); });
  }

  ~WebhookAction() override { finish(Clock::now()); }

  void fire(const Event& event, const std::string& json) override {
    std::string what = "rule '" + event.rule + "', frame " + std::to_string(event.frame);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closing_) return;
      if (queue_.size() >= options_.queue_size) {
        ++dropped_;
        report_warning("webhook " + url_ + ": " + std::to_string(queue_.size()) +
                       " events are waiting already; dropped the event for " + what);
        return;
      }
      queue_.push_back({json, std::move(what)});
    }
    cv_.notify_all();
  }

  void finish(Clock::time_point deadline) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (finished_) return;
      finished_ = closing_ = true;
      cv_.notify_all();
      if (!cv_.wait_until(lock, deadline, [&] { return queue_.empty() && !in_flight_; })) {
        abandoned_ += static_cast<int64_t>(queue_.size());
        std::string what;
        if (!queue_.empty()) what = std::to_string(queue_.size()) + " queued event(s) not sent";
        if (in_flight_) what += std::string(what.empty() ? "" : "; ") + "breaking off the request in flight";
        report_warning("webhook " + url_ + ": shutdown deadline reached: " + what);
        queue_.clear();
        client_->stop();  // the request in flight ends as a failure
      }
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
  }

  std::string summary() const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::string s = "webhook " + url_ + ": " + std::to_string(sent_) + " sent, " + std::to_string(failed_) + " failed";
    if (dropped_) s += ", " + std::to_string(dropped_) + " dropped (queue full)";
    if (abandoned_) s += ", " + std::to_string(abandoned_) + " not sent at shutdown";
    return s;
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;  // closing and drained
      QueuedEvent ev = std::move(queue_.front());
      queue_.pop_front();
      in_flight_ = true;
      lock.unlock();
      std::string error = post(ev.json);
      lock.lock();
      in_flight_ = false;
      if (error.empty()) {
        ++sent_;
      } else {
        ++failed_;
        // Reported outside the lock would be nicer, but the message is a single short write.
        report_warning("webhook " + url_ + " failed for " + ev.what + ": " + error);
      }
      cv_.notify_all();
    }
  }

  // "" on success, else the reason.
  std::string post(const std::string& json) {
    httplib::Result res = client_->Post(path_, json, "application/json");
    if (!res) {
      char buf[64];
      switch (res.error()) {
        case httplib::Error::Connection:
          std::snprintf(buf, sizeof(buf), "%g", options_.connect_timeout_s);
          return std::string("could not connect (refused, unreachable or no answer within ") + buf + " s)";
        case httplib::Error::Read:
          std::snprintf(buf, sizeof(buf), "%g", options_.read_timeout_s);
          return std::string("no response within ") + buf + " s (read timeout) or the connection was closed";
        case httplib::Error::Write:
          return "could not send the request (connection closed or write timeout)";
        case httplib::Error::Canceled:
          return "canceled at shutdown";
        default:
          return httplib::to_string(res.error());
      }
    }
    if (res->status < 200 || res->status > 299) {
      std::string body = res->body.substr(0, 200);
      for (char& c : body)
        if (c == '\n' || c == '\r') c = ' ';
      return "HTTP " + std::to_string(res->status) + (body.empty() ? "" : " (" + body + ")");
    }
    return "";
  }

  std::string url_, path_;
  WebhookOptions options_;
  std::unique_ptr<httplib::Client> client_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<QueuedEvent> queue_;
  bool closing_ = false, finished_ = false, in_flight_ = false;
  int64_t sent_ = 0, failed_ = 0, dropped_ = 0, abandoned_ = 0;
  std::thread worker_;
};

}  // namespace

Expected<std::unique_ptr<Action>> make_webhook_action(const std::string& url, const WebhookOptions& options) {
  ER_ASSIGN_OR_RETURN(WebhookUrl u, parse_webhook_url(url));
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
  if (u.scheme == "https")
    return unsupported("webhook URL '", url, "': this cpp-httplib was built without TLS; https is unavailable");
#endif
  return std::unique_ptr<Action>(std::make_unique<WebhookAction>(url, u, options));
}

#else  // !EDGERUN_HAVE_HTTPLIB

Expected<std::unique_ptr<Action>> make_webhook_action(const std::string& url, const WebhookOptions&) {
  ER_RETURN_IF_ERROR(parse_webhook_url(url).status());
  return unsupported("--webhook ", url, ": edgerun was built without cpp-httplib; webhooks are unavailable");
}

#endif

}  // namespace edgerun::watch
