#include "watch/report.h"

#include <cstdio>

namespace edgerun::watch {

static std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

void report_warning(const std::string& message) {
  std::fprintf(stderr, "edgerun: warning: %s\n", one_line(message).c_str());
}

void report_note(const std::string& message) { std::fprintf(stderr, "edgerun: note: %s\n", one_line(message).c_str()); }

void report_line(const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); }

}  // namespace edgerun::watch
