/* layout.h: the tables a bundle's evaluators share with the runtime.
 *
 * Evaluators report errors and explain traces as small integers: indexes
 * into a table of source locations ("file:line:col"); verdict reasons are
 * indexes into a table of codes; externs are called through a table the
 * host fills.  The layout assigns those numbers once per bundle, so that
 * the interpreter, the JIT and an AOT artifact number everything alike, and
 * writes the metadata document (docs/artifacts.md) the runtime loads.
 */
#ifndef RPOL_LAYOUT_H
#define RPOL_LAYOUT_H

#include "session.h"

struct layout {
  struct session *s;
  struct program **progs;        /* borrowed; metadata order */
  int nprogs;
  struct span *locs;             /* location index -> span */
  int nlocs, caplocs;
  uint64_t *loc_keys;            /* open-addressing map (file,start) */
  int32_t *loc_vals;
  int loc_mapcap;
  const char **codes;            /* verdict codes, first-seen order */
  int ncodes;
  struct decl **externs;         /* one per extern name across the bundle */
  int nexterns;
  int max_outputs;               /* largest program->noutputs */
  struct decl **pending;         /* layout_init: prelude decls used, to walk */
  int npending, cappending;
};

/* Numbers every location, code and extern of the programs (walking every
 * case, expression and default of the policies and modules, and of the
 * prelude's inputs, outputs and decide blocks and the prelude lets,
 * consts, regions and functions they use), so that lookups never add
 * entries. */
void layout_init(struct layout *L, struct session *s,
                 struct program **progs, int n);

/* Location index of the first character of `sp`; -1 if never registered
 * (an internal error in a back end). */
int layout_loc(const struct layout *L, struct span sp);
int layout_code(const struct layout *L, const char *code);
int layout_extern(const struct layout *L, const char *name);

/* The metadata JSON (arena-allocated, NUL-terminated).  `source_paths`
 * lists the files hashed into it. */
const char *layout_metadata(struct layout *L, size_t *len);

#endif
