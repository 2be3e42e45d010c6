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

/* Declarations are shared between the programs of a session (the prelude,
 * and modules that several policies of a bundle use), and a few (sema)
 * fields depend on the program: enum member lists and member numbers
 * (`extend` differs between policies), input slots, output indexes and
 * decided_by, let and extern indexes, case ids.  sema_check_policy leaves
 * them as the program it returns needs them; a back end that works on
 * several programs calls this before it reads each one.  Allocates a
 * little in the session arena. */
void sema_select_program(struct session *s, struct program *p);

/* Currency exponent from the prelude table, -1 if not ISO 4217. */
int sema_currency_exponent(struct session *s, int cur);
/* Whether a code number is an ISO 3166 country of the prelude. */
int sema_is_country(struct session *s, int country);

#endif
