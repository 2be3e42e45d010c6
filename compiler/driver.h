/* driver.h: what a path on the command line means.
 *
 * Every rpolc subcommand takes paths; this module turns one into checked
 * programs: a policy file (with its NAME.test.rpol beside it), a test file
 * (with the policy it belongs to), a module (checked on its own, no
 * program), or a directory, which is a bundle (§2).
 */
#ifndef RPOL_DRIVER_H
#define RPOL_DRIVER_H

#include "session.h"

enum driver_status { DRIVER_OK = 0, DRIVER_REJECTED = 1, DRIVER_MISUSE = 2 };

struct driver_unit {
  struct program **progs;   /* policies, in file-name order for a bundle */
  int nprogs;
  int is_bundle;
  int is_module;            /* a module checked on its own: no program */
};

/* Loads and checks `path` into *u.  Diagnostics go to the session.
 * with_tests: also check NAME.test.rpol files beside each policy. */
enum driver_status driver_load(struct session *s, const char *path,
                               int with_tests, struct driver_unit *u);

/* "x.rpol" -> "x.test.rpol" beside it (arena), or NULL. */
const char *driver_test_path(struct session *s, const char *policy_path);

#endif
