/* sema_int.h: what the two halves of the checker share.
 *
 * sema.c assembles a program (files, scope, schema, outputs, decisions,
 * tests, cycles, routing); sema_expr.c types expressions.  Both work on one
 * `struct sctx` per check.  Not installed, not used outside compiler/sema*.
 */
#ifndef RPOL_SEMA_INT_H
#define RPOL_SEMA_INT_H

#include "sema.h"
#include "../runtime/rpol_abi.h"

/* A string-keyed hash map whose values are lists (several declarations may
 * share a name: the first wins, the others are reported). */
struct smap {
  const char **keys;
  struct vec *vals;
  int cap, len;
};

/* Scratch per declaration of the program, found through decl->cycle_mark
 * (1-based index into sctx.infos).  Declarations are shared between the
 * programs of a bundle, so this lives in the check, not in the tree. */
struct sinfo {
  struct decl *d;
  int fileix;            /* index of d->file in sctx.files */
  int state;             /* body: 0 unchecked, 1 being checked, 2 done */
  int impure;            /* reads an input, let, output or extern */
  struct vec deps;       /* decls its definition reads: cycle graph */
  struct file **mfile;   /* D_ENUM: file declaring each member of .all */
  int tindex, tlow, onstack;   /* Tarjan */
};

struct sctx {
  struct session *s;
  struct arena *a;
  struct diag_list *d;
  struct program *p;
  int has_policy;        /* 0 for sema_check_module */
  int nerr;              /* errors of this check, duplicates included */
  int syntax_errors;     /* some file did not parse cleanly */
  int suppressed;        /* the last error was a duplicate: drop notes */

  struct file **files;   /* p->files then the test files */
  int nfiles, nprog_files;
  unsigned char *vis;    /* vis[viewer * nfiles + file]: file visible */

  struct sinfo *infos;
  int ninfos;

  struct smap names;     /* value, function and type names */
  struct smap inputs;    /* input path -> D_INPUT */
  struct smap members;   /* member name -> D_ENUM (one per enum) */

  unsigned char country[RPOL_NCOUNTRY_CODES];   /* ISO 3166 table */
  int8_t *cur_exp;                               /* ISO 4217 exponents */
  const char **country_names, **currency_names;  /* for suggestions */
  int ncountry_names, ncurrency_names;

  /* Where the expression being checked stands. */
  int cur_file;          /* index into files */
  struct decl *fn;       /* parameters in scope (D_FN), or NULL */
  struct sinfo *node;    /* graph node whose definition is being read */
  int in_test;           /* a test's given/expect: outputs not read */
  int depth;             /* recursion guard */
  long copy_budget;      /* nodes that expansions may still copy */
};

/* Limits that keep the checker's own recursion and work bounded. */
#define SEMA_MAX_DEPTH 3000
#define SEMA_COPY_BUDGET (1L << 20)
#define SEMA_MAX_MEMBERS 64

/* sema.c */
void sema_err(struct sctx *c, struct span sp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sema_warn(struct sctx *c, struct span sp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sema_note(struct sctx *c, struct span sp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
struct sinfo *sema_info(struct sctx *c, const struct decl *d);
int sema_visible(struct sctx *c, const struct file *f);
struct decl *sema_lookup(struct sctx *c, const char *name);
struct vec *smap_get(const struct smap *m, const char *key);
void sema_check_body(struct sctx *c, struct decl *d);
const char *sema_suggest_name(struct sctx *c, const char *name,
                              const struct type *want, int values);
const char *sema_file_desc(struct sctx *c, const struct file *f);
int sema_builtin_index(const char *name);
const char *sema_builtin_name(int i);
int sema_builtin_is_ext(int i);

/* sema_expr.c */
const struct type *sema_expr(struct sctx *c, struct expr *e,
                             const struct type *want);
const struct type *sema_expect(struct sctx *c, struct expr *e,
                               const struct type *want, const char *what);
int sema_untyped(const struct type *t);
const struct type *sema_type(struct sctx *c, struct type_expr *te,
                             int allow_set, int allow_verdict);
struct expr *sema_nonconst(struct expr *e);
int sema_same_tree(const struct expr *a, const struct expr *b);
uint64_t sema_tree_hash(const struct expr *e);
int sema_const_true(struct sctx *c, const struct expr *e);
int sema_member_index(struct sctx *c, struct decl *enm, const char *name,
                      int visible_only);
const char *sema_expr_text(struct sctx *c, const struct expr *e);
/* 1: folded into set; -1: an evaluation error, reported; 0: not a
 * constant country set (nothing reported). */
int sema_fold_countries(struct sctx *c, const struct expr *e,
                        unsigned char *set, const char *what);

#endif
