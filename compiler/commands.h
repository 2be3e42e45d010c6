/* commands.h: the rpolc subcommands (one file each: cmd_NAME.c).
 * Each takes its own argv (argv[0] is the command name) and returns the
 * process exit status of §13. */
#ifndef RPOL_COMMANDS_H
#define RPOL_COMMANDS_H

int cmd_check(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_fmt(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* Prints "rpolc CMD: error: ..." and the command's usage; returns 2. */
int cmd_usage_error(const char *cmd, const char *fmt, const char *arg);

/* Whether PATH is a built artifact (an ELF file) rather than source. */

/* If PATH is a built artifact, says that CMD reads source and returns 2;
 * else returns 0. */
int cmd_reject_artifact(const char *cmd, const char *path);

/* The directory of the JIT's code cache for rpolc: $RPOL_CACHE_DIR, else
 * $XDG_CACHE_HOME/rpol, else $HOME/.cache/rpol (malloc'd), or NULL (no
 * cache) when RPOL_CACHE_DIR is set but empty or nothing says where. */
char *cmd_cache_dir(void);

#endif
