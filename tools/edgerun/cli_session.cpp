#include "cli_session.h"

namespace edgerun::cli {

OptionSpec threads_option(const std::string& help) { return {"--threads", "N", help}; }

OptionSpec affinity_option() {
  return {"--affinity", "", "pin each session thread to its own core, fastest cores first"};
}

OptionSpec backend_option() {
  return {"--backend", "NAME",
          "auto (default: xnnpack on arm64 when built with it, else cpu), cpu (own optimized kernels), reference "
          "(scalar reference kernels) or xnnpack (XNNPACK where it covers a node, own kernels elsewhere)"};
}

Expected<SessionOptions> session_options_from_args(const Args& args) {
  SessionOptions options;
  ER_ASSIGN_OR_RETURN(int64_t threads, parse_int("--threads", args.get("--threads", "0"), 0, 4096));
  options.threads = static_cast<int>(threads);
  options.pin_threads = args.has("--affinity");
  options.backend = args.get("--backend", "auto");
  if (options.backend != "auto" && options.backend != "cpu" && options.backend != "reference" &&
      options.backend != "xnnpack")
    return invalid_argument("--backend '", options.backend, "': expected auto, cpu, reference or xnnpack");
  return options;
}

}  // namespace edgerun::cli
