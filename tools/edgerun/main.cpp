// edgerun: command-line entry point. Dispatches to one subcommand per file (see commands.h, docs/cli.md).
#include <cstdio>
#include <cstring>
#include <string>

#include "cli_args.h"
#include "commands.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*fn)(int argc, char** argv, int first);
};

const Command kCommands[] = {
    {"inspect", "show a model's inputs, outputs, ops, parameters and memory plan", edgerun::cli::cmd_inspect},
    {"run", "run a model on tensors from files (or random data) and print or save the outputs", edgerun::cli::cmd_run},
    {"classify", "classify images (JPEG/PNG/BMP) with an image classification model", edgerun::cli::cmd_classify},
    {"detect", "detect objects in images (YOLOv8/YOLO11, YOLOX heads): table, JSON, annotated images",
     edgerun::cli::cmd_detect},
    {"ocr", "read text in images with the PaddleOCR models (detection, orientation, recognition)",
     edgerun::cli::cmd_ocr},
    {"watch", "watch a camera, video, stream or folder and fire alerts on detections", edgerun::cli::cmd_watch},
    {"bench", "benchmark a model: latency percentiles, FPS, memory, per-node profile", edgerun::cli::cmd_bench},
};

void print_usage(FILE* out) {
  std::fprintf(out, "usage: edgerun COMMAND [options]\n       edgerun COMMAND --help\n\ncommands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out, "\n  --help     show this help\n  --version  print the version\n");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace edgerun::cli;
  if (argc < 2) {
    report_error("no command given");
    print_usage(stderr);
    return kExitUsage;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    if (cmd == "help" && argc > 2) {  // "edgerun help run" = "edgerun run --help"
      for (const Command& c : kCommands) {
        if (std::strcmp(c.name, argv[2]) == 0) {
          char help_flag[] = "--help";
          char* args[] = {argv[0], argv[2], help_flag};
          return c.fn(3, args, 2);
        }
      }
      report_error(std::string("unknown command '") + argv[2] + "'");
      print_usage(stderr);
      return kExitUsage;
    }
    print_usage(stdout);
    return kExitOk;
  }
  if (cmd == "--version" || cmd == "-V") {
    std::printf("edgerun %s\n", kVersion);
    return kExitOk;
  }
  for (const Command& c : kCommands)
    if (cmd == c.name) return c.fn(argc, argv, 2);
  report_error(cmd[0] == '-' ? "unknown option '" + cmd + "' (options go after the command)"
                             : "unknown command '" + cmd + "'");
  print_usage(stderr);
  return kExitUsage;
}
