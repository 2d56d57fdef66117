// The edgerun subcommands: one file each (cmd_<name>.cpp). Each returns the process exit code
// (cli_args.h: kExitOk, kExitError, kExitUsage) and parses argv from index `first` (after the command name).
#pragma once

namespace edgerun::cli {

int cmd_inspect(int argc, char** argv, int first);
int cmd_run(int argc, char** argv, int first);
int cmd_classify(int argc, char** argv, int first);
int cmd_bench(int argc, char** argv, int first);
int cmd_detect(int argc, char** argv, int first);
int cmd_ocr(int argc, char** argv, int first);
int cmd_watch(int argc, char** argv, int first);

}  // namespace edgerun::cli
