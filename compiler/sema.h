/* sema.h: name resolution, type checking and the checked program.
 *
 * sema turns parsed files into `struct program`s (ast.h): every name
 * resolved in the order of §5.2, every expression typed with expected types
 * pushed down (§5.2, §7, §14), money literals checked against their
 * currency, the dependency graph of lets, outputs and functions checked for
 * cycles, required outputs decided, unreachable cases warned about.  All
 * problems go to the session's diagnostics; checking goes on after an error
 * so one run reports as much as it can.
 */
#ifndef RPOL_SEMA_H
#define RPOL_SEMA_H

#include "session.h"

/* Checks a policy file with the prelude and its modules (loaded through the
 * session).  Test files given in `tests` are checked in its scope.  Returns
 * the program, or NULL if any error was reported. */
struct program *sema_check_policy(struct session *s, struct file *policy,
                                  struct file **tests, int ntests);

/* Checks a module on its own (in the scope of the prelude and what it
 * uses).  Returns 0 when clean. */
int sema_check_module(struct session *s, struct file *module);

/* Checks the routing of a bundle: at most one fallback policy, and no two
 * `for` sets that intersect (the error names the countries in common, at
 * the later file's `for`).  programs are in file-name order. */
int sema_check_bundle(struct session *s, struct program **programs, int n);

/* Each program owns private copies of the prelude and module files it
 * reads (p->files), so that the (sema) fields that depend on the program
 * (who decides an output, enum member lists after `extend`, input slots,
 * case ids) never change under another program of the same session.
 * Selecting a program before reading it is therefore not needed; this
 * does nothing and stays for callers written against the first API. */
void sema_select_program(struct session *s, struct program *p);

/* Currency exponent from the prelude table, -1 if not ISO 4217. */
int sema_currency_exponent(struct session *s, int cur);
/* Whether a code number is an ISO 3166 country of the prelude. */
int sema_is_country(struct session *s, int country);

#endif
