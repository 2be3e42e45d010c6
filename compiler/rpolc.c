/* rpolc.c: the command-line driver.
 *
 * One program, several subcommands (§13).  Exit status: 0 success, 1 the
 * input was rejected (compile errors, failed tests, decision errors), 2
 * misuse (bad flags, unreadable file).  Diagnostics go to stderr, results
 * to stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "driver.h"
#include "engine.h"
#include "../runtime/rpol_abi.h"

struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *usage;
  const char *help;
};

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
  {"check", cmd_check, "rpolc check PATH...",
   "Parse and type-check policies, modules (on their own), test files\n"
   "(with the policy they test) and bundle directories.  Every error is\n"
   "reported as FILE:LINE:COL with the source line and a caret; warnings\n"
   "do not fail the check.\n"},
  {"build", cmd_build, "rpolc build PATH -o OUT.so [--emit=so|obj|asm|llvm]",
   "Compile a policy file or a bundle directory ahead of time into a\n"
   "shared object that librpol loads (rpol_load) and rpolc eval runs.\n"
   "--emit writes an object file, assembly or LLVM IR instead.\n"},
  {"eval", cmd_eval,
   "rpolc eval POLICY [INPUT] [--explain] [--locale L] [--extern-lib LIB.so]"
   " [--interp] [--jit=MODE] [--no-cache]",
   "Decide return lines.  POLICY is a .rpol policy file, a bundle\n"
   "directory (compiled in memory) or a built .so.  INPUT is a file of\n"
   "JSON lines (- or absent: stdin); one JSON line is written per input\n"
   "line, in order.  Exit status 1 if any line is an error record.\n"
   "  --explain         add a trace of the case behind every output\n"
   "  --locale L        message locale for lines without request.locale\n"
   "  --extern-lib LIB  bind extern functions from a shared library\n"
   "  --interp          use the reference interpreter instead of the JIT\n"
   "  --jit=MODE        tiered (default): decide at once with quickly\n"
   "                    compiled code while a thread compiles the optimised\n"
   "                    code, which takes over when ready; optimised: wait\n"
   "                    for the optimised code; quick: never optimise\n"
   "  --no-cache        compile without the JIT's code cache\n"
   "The JIT keeps the machine code it compiles in $RPOL_CACHE_DIR, else\n"
   "$XDG_CACHE_HOME/rpol, else ~/.cache/rpol (RPOL_CACHE_DIR= empty: no\n"
   "cache), and reuses it for the same policy (rpol_runtime_set_cache_dir).\n"},
  {"test", cmd_test,
   "rpolc test PATH... [--coverage[=json]] [--interp] [--extern-lib LIB.so]"
   " [--no-cache]",
   "Run the test blocks of policies and of NAME.test.rpol files.  Prints\n"
   "one line per failed expectation, at its FILE:LINE:COL, with the\n"
   "expected and the actual value, then a closing line 'N passed, N\n"
   "failed'.\n"
   "Exit status 1 if a test failed or a file did not check.\n"
   "  --coverage[=json]  list the cases no test reached, per policy\n"
   "  --interp           run on the reference interpreter\n"
   "  --extern-lib LIB   bind extern functions from a shared library\n"
   "  --no-cache         compile without the JIT's code cache (rpolc help "
   "eval)\n"},
  {"fmt", cmd_fmt, "rpolc fmt [--check] PATH... | rpolc fmt -",
   "Rewrite files in the canonical layout (comments kept).  --check\n"
   "changes nothing and exits 1 naming the files that would change; -\n"
   "formats stdin to stdout.\n"},
  {"bench", cmd_bench,
   "rpolc bench POLICY INPUT [--repeat N] [--interp] [--jit=MODE]"
   " [--baseline LIB.so] [--no-cache] [--explain]",
   "Decode INPUT once, then time decisions only; prints nanoseconds per\n"
   "decision and decisions per second (median of several runs), the load\n"
   "time, the memory the policy added and the allocations per decision.\n"
   "--baseline times a hand-written evaluator (an rpol_eval_fn in LIB.so)\n"
   "on the same inputs, checks it decides alike, and prints the ratio.\n"
   "The load line says where a JIT compile's CPU time went; --no-cache\n"
   "compiles without the JIT's code cache and --jit=MODE chooses the\n"
   "JIT's mode (rpolc help eval).  In the tiered mode the load line is\n"
   "the quick code's, the next line says when the optimised code took\n"
   "over, and the decisions timed are the optimised code's.  The\n"
   "decisions record no trace, as rpolc eval's; --explain times those\n"
   "that do.\n"},
  {"help", cmd_help, "rpolc help [COMMAND]", "Show help for a command.\n"},
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *out)
{
  fprintf(out, "rpolc %s: the rpol policy compiler\n\nusage:\n",
          RPOL_VERSION_TEXT);
  for (int i = 0; i < NCOMMANDS; i++)
    fprintf(out, "  %s\n", commands[i].usage);
  fprintf(out, "  rpolc --version\n\n"
               "Run 'rpolc help COMMAND' for the details of one command.\n");
}

static int cmd_help(int argc, char **argv)
{
  if (argc < 2) {
    usage(stdout);
    return 0;
  }
  for (int i = 0; i < NCOMMANDS; i++)
    if (strcmp(commands[i].name, argv[1]) == 0) {
      printf("usage: %s\n\n%s", commands[i].usage, commands[i].help);
      return 0;
    }
  fprintf(stderr, "rpolc: error: no command '%s'; run 'rpolc help' for the "
                  "list\n", argv[1]);
  return 2;
}

int cmd_usage_error(const char *cmd, const char *fmt, const char *arg)
{
  fprintf(stderr, "rpolc %s: error: ", cmd);
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  for (int i = 0; i < NCOMMANDS; i++)
    if (strcmp(commands[i].name, cmd) == 0)
      fprintf(stderr, "usage: %s\n", commands[i].usage);
  return 2;
}

int cmd_reject_artifact(const char *cmd, const char *path)
{
  if (!engine_is_artifact(path))
    return 0;
  /* Read as source, a shared object would be reported as a page of NUL
   * bytes; naming the mistake is kinder. */
  fprintf(stderr, "rpolc %s: error: '%s' is a built shared object, not "
                  "rpol source: %s the .rpol file or bundle directory it "
                  "was built from\n", cmd, path, cmd);
  return 2;
}

/* Whether argv[i] is checked anyway by another argument: the same file
 * given twice, or NAME.test.rpol given beside NAME.rpol (a policy is
 * checked with its test file).  `rpolc check *.rpol` would otherwise
 * print every diagnostic of a test file twice. */
static int same_file(const char *a, const char *b)
{
  struct stat x, y;
  return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev &&
         x.st_ino == y.st_ino && !S_ISDIR(x.st_mode);
}

static int covered_by_other(int argc, char **argv, int i)
{
  const char *a = argv[i];
  size_t n = strlen(a), tl = strlen(".test.rpol");
  char *policy = NULL;
  int yes = 0;
  if (n > tl && strcmp(a + n - tl, ".test.rpol") == 0) {
    policy = malloc(n + 1);
    if (policy) {
      memcpy(policy, a, n - tl);
      strcpy(policy + n - tl, ".rpol");
    }
  }
  for (int j = 1; j < argc && !yes; j++) {
    if (j == i)
      continue;
    if (j < i && same_file(argv[j], a))
      yes = 1;
    else if (policy && same_file(argv[j], policy))
      yes = 1;
  }
  free(policy);
  return yes;
}

int cmd_check(int argc, char **argv)
{
  if (argc < 2)
    return cmd_usage_error("check", "%s", "no PATH given");
  int status = 0;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-' && argv[i][1])
      return cmd_usage_error("check", "unknown option '%s'", argv[i]);
  }
  for (int i = 1; i < argc; i++) {
    if (cmd_reject_artifact("check", argv[i])) {
      status = 2;
      continue;
    }
    if (covered_by_other(argc, argv, i))
      continue;
    struct session s;
    session_init(&s);
    struct driver_unit u;
    enum driver_status st = driver_load(&s, argv[i], 1, &u);
    diag_print(&s.diags, stderr);
    if (st == DRIVER_OK && s.diags.nerrors)
      st = DRIVER_REJECTED;
    if ((int)st > status)
      status = (int)st;
    session_free(&s);
  }
  return status;
}

char *cmd_cache_dir(void)
{
  const char *env = getenv("RPOL_CACHE_DIR"), *base = NULL, *sub = NULL;
  if (env)
    return *env ? strdup(env) : NULL;
  if ((env = getenv("XDG_CACHE_HOME")) && *env == '/')
    base = env, sub = "/rpol";
  else if ((env = getenv("HOME")) && *env)
    base = env, sub = "/.cache/rpol";
  if (!base)
    return NULL;
  char *dir = malloc(strlen(base) + strlen(sub) + 1);
  if (dir) {
    strcpy(dir, base);
    strcat(dir, sub);
  }
  return dir;
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
    printf("rpolc %s (rpol language 1, runtime ABI %d)\n", RPOL_VERSION_TEXT,
           RPOL_ABI_VERSION);
    return 0;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(stdout);
    return 0;
  }
  for (int i = 0; i < NCOMMANDS; i++) {
    if (strcmp(commands[i].name, argv[1]) != 0)
      continue;
    /* `rpolc CMD --help` is what people type first: help, not misuse. */
    for (int j = 2; j < argc; j++)
      if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
        char *help_argv[] = { "help", argv[1], NULL };
        return cmd_help(2, help_argv);
      }
    return commands[i].run(argc - 1, argv + 1);
  }
  fprintf(stderr, "rpolc: error: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
