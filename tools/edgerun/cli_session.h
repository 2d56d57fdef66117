// Session options shared by the commands that run a model (run, bench, classify, detect, ocr, watch): the specs of
// --threads, --affinity and --backend, and the SessionOptions they give.
#pragma once

#include <string>

#include "cli_args.h"
#include "edgerun/session.h"
#include "edgerun/status.h"

namespace edgerun::cli {

inline constexpr const char* kThreadsHelp =
    "threads for the session (default 0 = one per physical core; the big cores on big.LITTLE)";

// Entries for CommandSpec::options; a command lists those it has, where it wants them in its --help.
OptionSpec threads_option(const std::string& help = kThreadsHelp);
OptionSpec affinity_option();
OptionSpec backend_option();

// --threads N (0..4096, default 0), --affinity and --backend NAME (auto, cpu, reference or xnnpack; default auto) as
// SessionOptions; an option the command does not have keeps its default. Errors (usage errors for the caller) name
// the option.
Expected<SessionOptions> session_options_from_args(const Args& args);

}  // namespace edgerun::cli
