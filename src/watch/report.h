// One-line messages from the watch subsystem to stderr, in the CLI's format ("edgerun: warning: ..."), so that the
// frame loop, the grabber thread and the action workers can all report without knowing about the CLI.
#pragma once

#include <string>

namespace edgerun::watch {

// Each call writes one whole line (a single stdio call, so lines from different threads never interleave).
void report_warning(const std::string& message);
void report_note(const std::string& message);
void report_line(const std::string& line);  // as is, plus "\n"

}  // namespace edgerun::watch
