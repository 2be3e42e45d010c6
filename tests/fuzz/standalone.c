/* standalone.c: runs a fuzz target on files, without libFuzzer.
 *
 *   fuzz-TARGET FILE|DIR...
 *
 * Every file (directories: every file in them) is one input.  Used by
 * `make test` to replay seeds and regression inputs on every build,
 * sanitized or not.  Prints "ran N inputs" and exits 0, or dies with the
 * finding.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzz.h"

static long ran;

static void run_file(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(2);
  }
  size_t cap = 1 << 16, n = 0, k;
  unsigned char *buf = malloc(cap);
  while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
    n += k;
    if (n == cap)
      buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  if (!buf)
    exit(2);
  /* A copy of exactly n bytes, so ASan sees reads past the end. */
  unsigned char *exact = malloc(n ? n : 1);
  memcpy(exact, buf, n);
  free(buf);
  LLVMFuzzerTestOneInput(exact, n);
  free(exact);
  ran++;
}

static void run_path(const char *path)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    perror(path);
    exit(2);
  }
  if (!S_ISDIR(st.st_mode)) {
    run_file(path);
    return;
  }
  struct dirent **names;
  int n = scandir(path, &names, NULL, alphasort);
  for (int i = 0; i < n; i++) {
    if (names[i]->d_name[0] != '.') {
      char sub[4096];
      snprintf(sub, sizeof sub, "%s/%s", path, names[i]->d_name);
      run_path(sub);
    }
    free(names[i]);
  }
  free(names);
}

int main(int argc, char **argv)
{
  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize(&argc, &argv);
  for (int i = 1; i < argc; i++)
    run_path(argv[i]);
  printf("ran %ld inputs\n", ran);
  return 0;
}
