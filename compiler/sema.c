/* sema.c: the semantic checker's driver: from parsed files to a program.
 *
 * Collects the files of a policy (prelude, modules through `use`, the
 * policy, its test files), builds the one scope of §2, checks the schema
 * (§4), the outputs and decisions (§6), messages (§8), externs (§9) and
 * tests (§11), the dependency graph (§5.4) and the routing of bundles.
 * Expressions are typed by sema_expr.c.  Every back end reads only what
 * this produces (ast.h, fields marked (sema)).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sema_int.h"
#include "../runtime/value.h"

/* ----------------------------------------------------------- string map */

static unsigned long hash_str(const char *s)
{
  unsigned long h = 1469598103934665603UL;
  while (*s)
    h = (h ^ (unsigned char)*s++) * 1099511628211UL;
  return h;
}

static void smap_grow(struct arena *a, struct smap *m)
{
  int ncap = m->cap ? m->cap * 2 : 64;
  const char **keys = arena_alloc(a, sizeof *keys * ncap);
  struct vec *vals = arena_alloc(a, sizeof *vals * ncap);
  for (int i = 0; i < m->cap; i++) {
    if (!m->keys[i])
      continue;
    unsigned long j = hash_str(m->keys[i]) & (ncap - 1);
    while (keys[j])
      j = (j + 1) & (ncap - 1);
    keys[j] = m->keys[i];
    vals[j] = m->vals[i];
  }
  m->keys = keys;
  m->vals = vals;
  m->cap = ncap;
}

static struct vec *smap_slot(struct arena *a, struct smap *m,
                             const char *key)
{
  if ((m->len + 1) * 2 > m->cap)
    smap_grow(a, m);
  unsigned long j = hash_str(key) & (m->cap - 1);
  while (m->keys[j]) {
    if (strcmp(m->keys[j], key) == 0)
      return &m->vals[j];
    j = (j + 1) & (m->cap - 1);
  }
  m->keys[j] = key;
  m->len++;
  return &m->vals[j];
}

struct vec *smap_get(const struct smap *m, const char *key)
{
  if (!m->cap || !key)
    return NULL;
  unsigned long j = hash_str(key) & (m->cap - 1);
  while (m->keys[j]) {
    if (strcmp(m->keys[j], key) == 0)
      return &m->vals[j];
    j = (j + 1) & (m->cap - 1);
  }
  return NULL;
}

/* --------------------------------------------------------- diagnostics */

/* A module shared by several policies of a bundle is checked once per
 * policy; the same finding is reported once.  Returns 1 if an identical
 * diagnostic was already reported. */
static int seen_before(struct sctx *c, enum diag_level lv, struct span sp,
                       const char *msg)
{
  for (int i = 0; i < c->d->len; i++) {
    struct diag *x = &c->d->items[i];
    if (x->level == lv && x->has_span && x->span.file == sp.file &&
        x->span.start == sp.start && x->span.end == sp.end &&
        strcmp(x->msg, msg) == 0)
      return 1;
  }
  return 0;
}

void sema_err(struct sctx *c, struct span sp, const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  c->nerr++;
  c->suppressed = seen_before(c, DIAG_ERROR, sp, buf);
  if (!c->suppressed)
    diag_error(c->d, sp, "%s", buf);
}

void sema_warn(struct sctx *c, struct span sp, const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  c->suppressed = seen_before(c, DIAG_WARNING, sp, buf);
  if (!c->suppressed)
    diag_warning(c->d, sp, "%s", buf);
}

void sema_note(struct sctx *c, struct span sp, const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  if (c->suppressed)
    return;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  diag_note(c->d, sp, "%s", buf);
}

static const char *loc(struct sctx *c, struct span sp)
{
  return source_loc(&c->s->sources, sp);
}

static const char *file_path(const struct file *f)
{
  return f && f->src && f->src->path ? f->src->path : "?";
}

const char *sema_file_desc(struct sctx *c, const struct file *f)
{
  if (!f)
    return "?";
  switch (f->kind) {
  case FILE_PRELUDE:
    return "the prelude";
  case FILE_MODULE:
    return arena_printf(c->a, "module '%s' (%s)", f->name ? f->name : "?",
                        file_path(f));
  case FILE_POLICY:
    return arena_printf(c->a, "policy '%s' (%s)", f->name ? f->name : "?",
                        file_path(f));
  default:
    return file_path(f);
  }
}

/* ------------------------------------------------------ scope queries */

static int file_index(struct sctx *c, const struct file *f)
{
  for (int i = 0; i < c->nfiles; i++)
    if (c->files[i] == f)
      return i;
  return -1;
}

int sema_visible(struct sctx *c, const struct file *f)
{
  int j = file_index(c, f);
  if (j < 0)
    return 0;
  return c->vis[c->cur_file * c->nfiles + j];
}

struct sinfo *sema_info(struct sctx *c, const struct decl *d)
{
  if (!d || d->cycle_mark < 1 || d->cycle_mark > c->ninfos)
    return NULL;
  struct sinfo *in = &c->infos[d->cycle_mark - 1];
  return in->d == d ? in : NULL;
}

struct decl *sema_lookup(struct sctx *c, const char *name)
{
  struct vec *v = smap_get(&c->names, name);
  if (!v)
    return NULL;
  for (int i = 0; i < v->len; i++) {
    struct decl *d = v->items[i];
    if (sema_visible(c, d->file))
      return d;
  }
  return NULL;
}

static const char *const type_words[] = {
  "bool", "int", "money", "percent", "date", "duration", "string",
  "country", "currency", "set", "verdict",
};
#define NTYPE_WORDS ((int)(sizeof type_words / sizeof type_words[0]))

/* mode 0: members of want's enum; 1: values (names, members, codes);
 * 2: types; 3: functions. */
const char *sema_suggest_name(struct sctx *c, const char *name,
                              const struct type *want, int mode)
{
  struct vec cands = {0};
  if (want && want->kind == TY_ENUM && (mode == 0 || mode == 1)) {
    struct decl *enm = want->enm;
    struct sinfo *in = sema_info(c, enm);
    for (int i = 0; i < enm->u.enm.nall; i++)
      if (!in || !in->mfile || sema_visible(c, in->mfile[i]))
        vec_push(c->a, &cands, (void *)enm->u.enm.all[i]);
    return diag_suggest(name, (const char *const *)cands.items, cands.len);
  }
  if (mode == 0)
    return NULL;
  if (mode == 1 && c->fn)
    for (int i = 0; i < c->fn->u.fn.nparams; i++)
      if (c->fn->u.fn.params[i].name)
        vec_push(c->a, &cands, (void *)c->fn->u.fn.params[i].name);
  for (int i = 0; i < c->names.cap; i++) {
    if (!c->names.keys[i])
      continue;
    struct decl *d = sema_lookup(c, c->names.keys[i]);
    if (!d)
      continue;
    int ok = 0;
    switch (d->kind) {
    case D_LET: case D_CONST: case D_REGION: case D_OUTPUT:
      ok = mode == 1 && strcmp(d->name, "eligible") != 0;
      break;
    case D_FN: case D_EXTERN:
      ok = mode == 3;
      break;
    case D_ENUM:
      ok = mode == 2;
      break;
    default:
      break;
    }
    if (ok)
      vec_push(c->a, &cands, (void *)d->name);
  }
  if (mode == 1) {
    for (int i = 0; i < c->members.cap; i++) {
      if (!c->members.keys[i])
        continue;
      struct vec *v = &c->members.vals[i];
      for (int k = 0; k < v->len; k++)
        if (sema_visible(c, ((struct decl *)v->items[k])->file) &&
            sema_member_index(c, v->items[k], c->members.keys[i], 1) >= 0) {
          vec_push(c->a, &cands, (void *)c->members.keys[i]);
          break;
        }
    }
    size_t len = strlen(name);
    int upper = len >= 2 && len <= 3;
    for (size_t i = 0; i < len; i++)
      if (name[i] < 'A' || name[i] > 'Z')
        upper = 0;
    if (want == &type_country || (upper && len == 2))
      for (int i = 0; i < c->ncountry_names; i++)
        vec_push(c->a, &cands, (void *)c->country_names[i]);
    if (want == &type_currency || (upper && len == 3))
      for (int i = 0; i < c->ncurrency_names; i++)
        vec_push(c->a, &cands, (void *)c->currency_names[i]);
  }
  if (mode == 2)
    for (int i = 0; i < NTYPE_WORDS - 1; i++)
      vec_push(c->a, &cands, (void *)type_words[i]);
  if (mode == 3)
    for (int i = 0; sema_builtin_name(i); i++)
      vec_push(c->a, &cands, (void *)sema_builtin_name(i));
  return diag_suggest(name, (const char *const *)cands.items, cands.len);
}

/* ----------------------------------------------------------------- files */

static int has_file(struct vec *v, const struct file *f)
{
  for (int i = 0; i < v->len; i++)
    if (v->items[i] == f)
      return 1;
  return 0;
}

/* Loads what `f` uses, depth first, appending each module after the
 * modules it uses (§14's order).  `stack` is the chain of importers, for
 * import cycles. */
static void collect_uses(struct sctx *c, struct file *f, struct vec *order,
                         struct vec *stack)
{
  vec_push(c->a, stack, f);
  for (int i = 0; i < f->ndecls; i++) {
    struct decl *d = f->decls[i];
    if (!d || d->kind != D_USE || !d->u.use.path)
      continue;
    d->u.use.target = NULL;
    if (f->kind == FILE_TESTS || f->kind == FILE_PRELUDE)
      continue;     /* reported with the other misplaced declarations */
    if (d->u.use.path[0] == '/') {
      /* §2: relative to the importing file, so that a policy and its
       * modules move together. */
      sema_err(c, d->span, "'%s' is an absolute path: a use path is "
               "relative to the importing file; write the path from this "
               "file's folder", d->u.use.path);
      continue;
    }
    const char *path = session_use_path(c->s, f, d->u.use.path);
    int before = c->d->nerrors;
    struct file *g = session_file(c->s, path, FILE_MODULE, d->span, 1);
    if (!g) {
      if (c->d->nerrors == before)
        sema_err(c, d->span, "cannot read '%s'", path);
      else
        c->nerr++;
      continue;
    }
    if (g->syntax_errors)
      c->syntax_errors = 1;
    if (g->kind == FILE_POLICY) {
      sema_err(c, d->span, "'%s' is a policy, not a module; only modules "
               "can be imported with 'use'", d->u.use.path);
      continue;
    }
    if (g->kind != FILE_MODULE) {
      sema_err(c, d->span, "'%s' is not a module", d->u.use.path);
      continue;
    }
    if (has_file(stack, g)) {
      char buf[1024] = "";
      size_t l = 0;
      int start = 0;
      while (start < stack->len && stack->items[start] != g)
        start++;
      for (int k = start; k < stack->len && l < sizeof buf - 1; k++)
        l += snprintf(buf + l, sizeof buf - l, "%s -> ",
                      file_path(stack->items[k]));
      if (l < sizeof buf - 1)
        snprintf(buf + l, sizeof buf - l, "%s", file_path(g));
      sema_err(c, d->span, "import cycle: %s", buf);
      continue;
    }
    d->u.use.target = g;
    if (has_file(order, g))
      continue;
    collect_uses(c, g, order, stack);
  }
  stack->len--;
  vec_push(c->a, order, f);
}

/* Which files each file sees: the prelude, itself and what it uses,
 * transitively; the policy and its test files see everything. */
static void compute_visibility(struct sctx *c, int root)
{
  int n = c->nfiles;
  c->vis = arena_alloc(c->a, (size_t)n * n);
  for (int i = 0; i < n; i++) {
    unsigned char *row = c->vis + (size_t)i * n;
    for (int j = 0; j < n; j++)
      if (c->files[j]->kind == FILE_PRELUDE)
        row[j] = 1;
    row[i] = 1;
    if (c->files[i]->kind == FILE_PRELUDE)
      continue;
    if (i == root || c->files[i]->kind == FILE_TESTS) {
      for (int j = 0; j < c->nprog_files; j++)
        row[j] = 1;
      continue;
    }
    /* Transitive closure by a worklist over `use` targets. */
    int *work = arena_alloc(c->a, sizeof(int) * (n + 1));
    int nw = 0;
    work[nw++] = i;
    while (nw) {
      struct file *f = c->files[work[--nw]];
      for (int k = 0; k < f->ndecls; k++) {
        struct decl *d = f->decls[k];
        if (!d || d->kind != D_USE || !d->u.use.target)
          continue;
        int j = file_index(c, d->u.use.target);
        if (j >= 0 && !row[j]) {
          row[j] = 1;
          work[nw++] = j;
        }
      }
    }
  }
}

/* ------------------------------------------------------------- tables */

static void load_tables(struct sctx *c)
{
  c->cur_exp = arena_alloc(c->a, RPOL_NCURRENCY_CODES);
  memset(c->cur_exp, -1, RPOL_NCURRENCY_CODES);
  struct vec cn = {0}, cu = {0};
  for (int f = 0; f < c->nfiles; f++) {
    struct file *file = c->files[f];
    for (int i = 0; i < file->ndecls; i++) {
      struct decl *d = file->decls[i];
      if (!d || d->kind != D_TABLE || file->kind != FILE_PRELUDE ||
          !d->name)
        continue;
      int is_cur = strcmp(d->name, "currency") == 0;
      for (int k = 0; k < d->u.table.n; k++) {
        const char *code = d->u.table.codes[k];
        struct span sp = d->u.table.spans ? d->u.table.spans[k] : d->span;
        if (is_cur) {
          int x = strlen(code) == 3 ? rpol_currency_code(code) : -1;
          int e = d->u.table.numbers ? d->u.table.numbers[k] : -1;
          if (x < 0 || e < 0 || e > 9) {
            sema_err(c, sp, "bad currency table entry '%s'", code);
            continue;
          }
          if (c->cur_exp[x] < 0)
            vec_push(c->a, &cu, (void *)code);
          c->cur_exp[x] = (int8_t)e;
        } else {
          int x = strlen(code) == 2 ? rpol_country_code(code) : -1;
          if (x < 0) {
            sema_err(c, sp, "bad country table entry '%s'", code);
            continue;
          }
          if (!c->country[x])
            vec_push(c->a, &cn, (void *)code);
          c->country[x] = 1;
        }
      }
    }
  }
  c->country_names = (const char **)cn.items;
  c->ncountry_names = cn.len;
  c->currency_names = (const char **)cu.items;
  c->ncurrency_names = cu.len;
}

/* ------------------------------------------------------- declarations */

static const char *decl_word(enum decl_kind k)
{
  switch (k) {
  case D_ENUM: return "enum";
  case D_EXTEND: return "extend enum";
  case D_INPUT: return "input";
  case D_OUTPUT: return "output";
  case D_CONST: return "const";
  case D_LET: return "let";
  case D_REGION: return "region";
  case D_FN: return "fn";
  case D_EXTERN: return "extern fn";
  case D_DECIDE: return "decide";
  case D_MESSAGE: return "message";
  case D_TEST: return "test";
  case D_USE: return "use";
  case D_TABLE: return "table";
  }
  return "declaration";
}

static struct span name_span(const struct decl *d)
{
  return d->name_span.end > d->name_span.start ? d->name_span : d->span;
}

/* Declarations that a kind of file may not hold. */
static void check_placement(struct sctx *c, struct file *f)
{
  if (f->for_set && f->kind != FILE_POLICY)
    sema_err(c, f->for_span, "only a policy can have a 'for' clause");
  for (int i = 0; i < f->ndecls; i++) {
    struct decl *d = f->decls[i];
    if (!d)
      continue;
    if (f->kind == FILE_TESTS && d->kind != D_TEST) {
      sema_err(c, d->span, "a test file holds only 'test' blocks; move "
               "this '%s' to the policy", decl_word(d->kind));
      continue;
    }
    if (f->kind == FILE_PRELUDE && d->kind == D_USE)
      sema_err(c, d->span, "the prelude cannot 'use' files");
    if (f->kind != FILE_POLICY && f->kind != FILE_TESTS &&
        (d->kind == D_DECIDE || d->kind == D_TEST))
      sema_err(c, d->span, "%s cannot hold '%s'; only a policy can",
               f->kind == FILE_PRELUDE ? "the prelude" : "a module",
               decl_word(d->kind));
    if (f->kind != FILE_PRELUDE) {
      if (d->kind == D_TABLE)
        sema_err(c, d->span, "only the prelude declares the country and "
                 "currency tables");
      if (d->kind == D_INPUT && d->u.input.required)
        sema_err(c, d->span, "only the prelude declares required fields; "
                 "give 'input %s' a default or leave it optional",
                 d->u.input.path ? d->u.input.path : "?");
      if (d->kind == D_OUTPUT && d->u.output.deflt)
        sema_err(c, d->u.output.deflt->span, "only the prelude gives outputs "
                 "a default; decide '%s' instead", d->name ? d->name : "?");
    }
  }
}

static int reserved_name(struct sctx *c, struct decl *d)
{
  if (ast_is_root(d->name)) {
    sema_err(c, name_span(d), "'%s' is an input root and cannot be "
             "declared", d->name);
    return 1;
  }
  int bix = sema_builtin_index(d->name);
  if (bix >= 0 && !sema_builtin_is_ext(bix)) {
    sema_err(c, name_span(d), "'%s' is a built-in function and cannot be "
             "redeclared", d->name);
    return 1;
  }
  for (int i = 0; i < NTYPE_WORDS; i++)
    if (strcmp(d->name, type_words[i]) == 0) {
      sema_err(c, name_span(d), "'%s' is a type name and cannot be "
               "declared", d->name);
      return 1;
    }
  return 0;
}

static void report_dup(struct sctx *c, struct decl *d, struct decl *old)
{
  if (old->file == d->file)
    sema_err(c, name_span(d), "'%s' is already declared in this file",
             d->name);
  else
    sema_err(c, name_span(d), "'%s' is already declared in %s", d->name,
             sema_file_desc(c, old->file));
  sema_note(c, name_span(old), "'%s' is declared here", old->name);
}

static void register_names(struct sctx *c)
{
  for (int f = 0; f < c->nprog_files; f++) {
    struct file *file = c->files[f];
    for (int i = 0; i < file->ndecls; i++) {
      struct decl *d = file->decls[i];
      if (!d || !d->name)
        continue;
      switch (d->kind) {
      case D_ENUM: case D_CONST: case D_LET: case D_REGION: case D_FN:
      case D_EXTERN: case D_OUTPUT:
        break;
      default:
        continue;
      }
      if (reserved_name(c, d))
        continue;
      struct vec *v = smap_slot(c->a, &c->names, d->name);
      if (v->len)
        report_dup(c, d, v->items[0]);
      vec_push(c->a, v, d);
    }
  }
}

/* Inputs: unique paths, none a prefix of another (§4). */
static void register_inputs(struct sctx *c)
{
  struct smap prefixes = {0};
  for (int f = 0; f < c->nprog_files; f++) {
    struct file *file = c->files[f];
    for (int i = 0; i < file->ndecls; i++) {
      struct decl *d = file->decls[i];
      if (!d || d->kind != D_INPUT || !d->u.input.path)
        continue;
      const char *path = d->u.input.path;
      struct span sp = name_span(d);
      if (d->u.input.nparts < 2 || !ast_is_root(d->u.input.parts[0])) {
        sema_err(c, sp, "input path '%s' must start with customer, order, "
                 "item or request and name a field", path);
        continue;
      }
      struct vec *v = smap_slot(c->a, &c->inputs, path);
      if (v->len) {
        struct decl *old = v->items[0];
        if (old->file == d->file)
          sema_err(c, sp, "input '%s' is already declared in this file",
                   path);
        else
          sema_err(c, sp, "input '%s' is already declared in %s", path,
                   sema_file_desc(c, old->file));
        sema_note(c, name_span(old), "'%s' is declared here", path);
        vec_push(c->a, v, d);
        continue;
      }
      /* An existing path that this one extends, or that extends it. */
      struct decl *clash = NULL;
      int longer = 0;
      size_t len = strlen(path);
      for (size_t k = 0; k < len && !clash; k++)
        if (path[k] == '.') {
          char *pre = arena_strndup(c->a, path, k);
          struct vec *pv = smap_get(&c->inputs, pre);
          if (pv && pv->len)
            clash = pv->items[0];
        }
      if (!clash) {
        struct vec *pv = smap_get(&prefixes, path);
        if (pv && pv->len) {
          clash = pv->items[0];
          longer = 1;
        }
      }
      if (clash) {
        if (longer)
          sema_err(c, sp, "input path '%s' is a prefix of input '%s'; a "
                   "field cannot also hold fields", path,
                   clash->u.input.path);
        else
          sema_err(c, sp, "input path '%s' extends input '%s'; a field "
                   "cannot also hold fields", path, clash->u.input.path);
        sema_note(c, name_span(clash), "'%s' is declared here",
                  clash->u.input.path);
        continue;
      }
      vec_push(c->a, v, d);
      for (size_t k = 0; k < len; k++)
        if (path[k] == '.') {
          struct vec *pv = smap_slot(c->a, &prefixes,
                                     arena_strndup(c->a, path, k));
          if (!pv->len)
            vec_push(c->a, pv, d);
        }
    }
  }
}

static struct span member_span(struct decl *d, int i)
{
  return d->u.enm.member_spans ? d->u.enm.member_spans[i] : d->span;
}

/* Builds each enum's member list for this program: its own members, then
 * the `extend`s of the program in file order (§4). */
static void build_enums(struct sctx *c)
{
  for (int f = 0; f < c->nprog_files; f++) {
    struct file *file = c->files[f];
    for (int i = 0; i < file->ndecls; i++) {
      struct decl *d = file->decls[i];
      if (!d || d->kind != D_ENUM)
        continue;
      struct sinfo *in = sema_info(c, d);
      int n = d->u.enm.nmembers, cap = n + 8;
      const char **all = arena_alloc(c->a, sizeof *all * cap);
      in->mfile = arena_alloc(c->a, sizeof *in->mfile * cap);
      int nall = 0;
      for (int k = 0; k < n; k++) {
        const char *m = d->u.enm.members[k];
        int dup = 0;
        for (int j = 0; j < nall && !dup; j++)
          dup = strcmp(all[j], m) == 0;
        if (dup) {
          sema_err(c, member_span(d, k), "'%s' is listed twice in enum "
                   "'%s'", m, d->name);
          continue;
        }
        if (nall == SEMA_MAX_MEMBERS)
          sema_err(c, member_span(d, k), "enum '%s' has more than %d "
                   "members; the limit is %d", d->name, SEMA_MAX_MEMBERS,
                   SEMA_MAX_MEMBERS);
        in->mfile[nall] = file;
        all[nall++] = m;
      }
      d->u.enm.all = all;
      d->u.enm.nall = nall;
      /* Room for extensions is made as they come. */
      (void)cap;
    }
  }
  for (int f = 0; f < c->nprog_files; f++) {
    struct file *file = c->files[f];
    c->cur_file = f;
    for (int i = 0; i < file->ndecls; i++) {
      struct decl *d = file->decls[i];
      if (!d || d->kind != D_EXTEND)
        continue;
      d->u.enm.base = NULL;
      const char *en = d->name ? d->name : "";
      struct decl *base = sema_lookup(c, en);
      struct span sp = name_span(d);
      if (!base || base->kind != D_ENUM) {
        const char *sug = sema_suggest_name(c, en, NULL, 2);
        if (base)
          sema_err(c, sp, "'%s' is not an enum and cannot be extended", en);
        else if (sug)
          sema_err(c, sp, "cannot extend unknown enum '%s'; did you mean "
                   "'%s'?", en, sug);
        else
          sema_err(c, sp, "cannot extend unknown enum '%s'", en);
        continue;
      }
      if (base->file == file) {
        sema_err(c, sp, "enum '%s' is declared in this file; list the new "
                 "members in its declaration instead of extending it", en);
        continue;
      }
      d->u.enm.base = base;
      struct sinfo *in = sema_info(c, base);
      for (int k = 0; k < d->u.enm.nmembers; k++) {
        const char *m = d->u.enm.members[k];
        int dup = -1;
        for (int j = 0; j < base->u.enm.nall && dup < 0; j++)
          if (strcmp(base->u.enm.all[j], m) == 0)
            dup = j;
        if (dup >= 0) {
          if (in->mfile[dup] == file && dup >= base->u.enm.nmembers)
            sema_err(c, member_span(d, k), "'%s' is listed twice in this "
                     "'extend enum %s'", m, en);
          else
            sema_err(c, member_span(d, k), "'%s' is already a member of "
                     "'%s' (in %s)", m, en,
                     sema_file_desc(c, in->mfile[dup]));
          continue;
        }
        if (base->u.enm.nall == SEMA_MAX_MEMBERS) {
          sema_err(c, member_span(d, k), "enum '%s' has more than %d "
                   "members with this extension; the limit is %d", en,
                   SEMA_MAX_MEMBERS, SEMA_MAX_MEMBERS);
          continue;
        }
        int n = base->u.enm.nall;
        const char **all = arena_alloc(c->a, sizeof *all * (n + 1));
        struct file **mf = arena_alloc(c->a, sizeof *mf * (n + 1));
        memcpy(all, base->u.enm.all, sizeof *all * n);
        memcpy(mf, in->mfile, sizeof *mf * n);
        all[n] = m;
        mf[n] = file;
        base->u.enm.all = all;
        base->u.enm.nall = n + 1;
        in->mfile = mf;
      }
    }
  }
  /* The member index: name -> enums that have it. */
  for (int f = 0; f < c->nprog_files; f++) {
    struct file *file = c->files[f];
    for (int i = 0; i < file->ndecls; i++) {
      struct decl *d = file->decls[i];
      if (!d || d->kind != D_ENUM)
        continue;
      for (int k = 0; k < d->u.enm.nall; k++)
        vec_push(c->a, smap_slot(c->a, &c->members, d->u.enm.all[k]), d);
    }
  }
}

static int extern_type_ok(const struct type *t)
{
  return t == &type_bool || t == &type_int || t == &type_string ||
         t == &type_date || t == &type_error;
}

/* Types named in declarations: inputs, outputs, typed consts and lets,
 * function signatures. */
static void resolve_decl_types(struct sctx *c)
{
  for (int f = 0; f < c->nprog_files; f++) {
    struct file *file = c->files[f];
    int prelude = file->kind == FILE_PRELUDE;
    c->cur_file = f;
    for (int i = 0; i < file->ndecls; i++) {
      struct decl *d = file->decls[i];
      if (!d)
        continue;
      switch (d->kind) {
      case D_INPUT:
        d->u.input.type = sema_type(c, d->u.input.texpr, 1, 0);
        break;
      case D_OUTPUT:
        d->u.output.type = sema_type(c, d->u.output.texpr, 1, prelude);
        if (d->u.output.type == &type_verdict && d->name &&
            strcmp(d->name, "eligible") != 0)
          sema_err(c, name_span(d), "only 'eligible' takes verdicts");
        break;
      case D_CONST:
      case D_LET:
        d->u.value.type = d->u.value.texpr ?
            sema_type(c, d->u.value.texpr, 1, 0) : NULL;
        break;
      case D_REGION:
        d->u.value.type = type_set(c->a, &type_country);
        if (d->u.value.texpr)
          sema_err(c, d->u.value.texpr->span, "a region is always a set of "
                   "countries; drop the type");
        break;
      case D_FN:
      case D_EXTERN: {
        int ext = d->kind == D_EXTERN;
        for (int k = 0; k < d->u.fn.nparams; k++) {
          struct param *p = &d->u.fn.params[k];
          p->type = sema_type(c, p->texpr, 1, 0);
          for (int j = 0; j < k; j++)
            if (p->name && d->u.fn.params[j].name &&
                strcmp(p->name, d->u.fn.params[j].name) == 0)
              sema_err(c, p->span, "parameter '%s' is listed twice",
                       p->name);
          /* §1: the roots cannot be declared as names, parameters
           * included (`customer.x` would still be an input path). */
          if (p->name && ast_is_root(p->name))
            sema_err(c, p->span, "'%s' is an input root and cannot be a "
                     "parameter name", p->name);
          if (ext && !extern_type_ok(p->type))
            sema_err(c, p->texpr ? p->texpr->span : p->span, "extern "
                     "parameter '%s' has type %s; externs take only bool, "
                     "int, string and date", p->name ? p->name : "?",
                     type_name(c->a, p->type));
        }
        d->u.fn.result = sema_type(c, d->u.fn.result_texpr, 1, 0);
        if (ext && !extern_type_ok(d->u.fn.result))
          sema_err(c, d->u.fn.result_texpr ? d->u.fn.result_texpr->span :
                   name_span(d), "extern '%s' returns %s; externs return "
                   "only bool, int, string or date", d->name,
                   type_name(c->a, d->u.fn.result));
        break;
      }
      default:
        break;
      }
    }
  }
}

/* ------------------------------------------------------------ outputs */

static const char *const std_names[OUT_NSTD] = {
  "eligible", "refund_method", "shipping_payer", "restocking_fee",
  "return_shipping_fee", "shipping_refund", "duties_refund",
  "refund_amount", "refund_trigger", "return_required", "window",
  "refund_within", "route",
};

static int std_index(const char *name)
{
  for (int i = 0; i < OUT_NSTD; i++)
    if (name && strcmp(std_names[i], name) == 0)
      return i;
  return -1;
}

static void build_outputs(struct sctx *c)
{
  struct program *p = c->p;
  struct decl *std[OUT_NSTD] = {0};
  struct vec custom = {0};
  for (int f = 0; f < c->nprog_files; f++) {
    struct file *file = c->files[f];
    for (int i = 0; i < file->ndecls; i++) {
      struct decl *d = file->decls[i];
      if (!d || d->kind != D_OUTPUT || !d->name)
        continue;
      d->u.output.decided_by = NULL;
      d->u.output.index = -1;
      struct vec *v = smap_get(&c->names, d->name);
      if (!v || v->items[0] != d)
        continue;         /* a duplicate, reported */
      if (file->kind == FILE_PRELUDE) {
        int k = std_index(d->name);
        if (k < 0) {
          sema_err(c, name_span(d), "the prelude declares output '%s', "
                   "which is not a standard output", d->name);
          continue;
        }
        std[k] = d;
        d->u.output.required = k <= OUT_SHIPPING_PAYER;
        d->u.output.absent_default = k == OUT_REFUND_TRIGGER ||
                                     k == OUT_WINDOW ||
                                     k == OUT_REFUND_WITHIN ||
                                     k == OUT_ROUTE;
        if (!d->u.output.required && !d->u.output.absent_default &&
            !d->u.output.deflt)
          sema_err(c, name_span(d), "standard output '%s' needs a default",
                   d->name);
      } else {
        d->u.output.required = 0;
        d->u.output.absent_default = 0;
        vec_push(c->a, &custom, d);
      }
    }
  }
  int missing = 0;
  for (int k = 0; k < OUT_NSTD; k++)
    if (!std[k]) {
      missing = 1;
      sema_err(c, c->files[c->nprog_files - 1]->header_span, "the prelude "
               "does not declare the standard output '%s'", std_names[k]);
    }
  p->nstd_outputs = OUT_NSTD;
  p->noutputs = missing ? 0 : OUT_NSTD + custom.len;
  p->outputs = arena_alloc(c->a, sizeof(struct decl *) *
                           (OUT_NSTD + custom.len + 1));
  if (missing)
    return;
  for (int k = 0; k < OUT_NSTD; k++)
    p->outputs[k] = std[k];
  for (int k = 0; k < custom.len; k++)
    p->outputs[OUT_NSTD + k] = custom.items[k];
  for (int k = 0; k < p->noutputs; k++)
    p->outputs[k]->u.output.index = k;
}

/* Binds each `decide` to its output; each output at most once. */
static void bind_decides(struct sctx *c)
{
  for (int f = 0; f < c->nprog_files; f++) {
    struct file *file = c->files[f];
    c->cur_file = f;
    for (int i = 0; i < file->ndecls; i++) {
      struct decl *d = file->decls[i];
      if (!d || d->kind != D_DECIDE)
        continue;
      d->u.decide.output = NULL;
      if (file->kind != FILE_POLICY || !d->name)
        continue;
      struct decl *o = sema_lookup(c, d->name);
      if (!o || o->kind != D_OUTPUT) {
        const char *sug = NULL;
        struct vec cands = {0};
        for (int k = 0; k < c->p->noutputs; k++)
          vec_push(c->a, &cands, (void *)c->p->outputs[k]->name);
        sug = diag_suggest(d->name, (const char *const *)cands.items,
                           cands.len);
        if (o)
          sema_err(c, name_span(d), "'%s' is not an output; only outputs "
                   "are decided", d->name);
        else if (sug)
          sema_err(c, name_span(d), "unknown output '%s'; did you mean "
                   "'%s'?", d->name, sug);
        else
          sema_err(c, name_span(d), "unknown output '%s'; declare it with "
                   "'output %s: TYPE'", d->name, d->name);
        continue;
      }
      if (o->u.output.decided_by) {
        struct decl *old = o->u.output.decided_by;
        sema_err(c, name_span(d), "'%s' is already decided at %s", d->name,
                 loc(c, name_span(old)));
        continue;
      }
      o->u.output.decided_by = d;
      d->u.decide.output = o;
    }
  }
}

static void check_decided(struct sctx *c)
{
  struct program *p = c->p;
  struct file *pol = p->policy;
  for (int k = 0; k < p->noutputs; k++) {
    struct decl *o = p->outputs[k];
    if (o->u.output.decided_by)
      continue;
    if (k < OUT_NSTD) {
      if (o->u.output.required)
        sema_err(c, pol->header_span, "policy does not decide required "
                 "output '%s'", o->name);
    } else if (o->file == pol) {
      sema_err(c, name_span(o), "output '%s' is declared but never "
               "decided; add 'decide %s'", o->name, o->name);
    } else {
      sema_err(c, pol->header_span, "policy does not decide output '%s' "
               "of %s", o->name, sema_file_desc(c, o->file));
      sema_note(c, name_span(o), "'%s' is declared here", o->name);
    }
  }
}

/* ------------------------------------------------------------- bodies */

struct hcase {
  uint64_t h;
  int i;
};

static int hcase_cmp(const void *a, const void *b)
{
  const struct hcase *x = a, *y = b;

  if (x->h != y->h)
    return x->h < y->h ? -1 : 1;
  return (x->i > y->i) - (x->i < y->i);
}

/* For each case, the first earlier case whose condition is the same tree
 * (sema_same_tree), or -1.  Only conditions of one hash are compared: all
 * pairs made 300 cases take 18 M instructions. */
static int *repeated_conditions(struct sctx *c, struct case_ **cases, int n)
{
  int *same = arena_alloc(c->a, (size_t)(n ? n : 1) * sizeof *same);
  struct hcase *hc = arena_alloc(c->a, (size_t)(n ? n : 1) * sizeof *hc);
  int m = 0;

  for (int i = 0; i < n; i++) {
    same[i] = -1;
    if (cases[i] && cases[i]->cond) {
      hc[m].h = sema_tree_hash(cases[i]->cond);
      hc[m++].i = i;
    }
  }
  qsort(hc, (size_t)m, sizeof *hc, hcase_cmp);
  /* Within a run of one hash the cases are in order: the first earlier
   * match is the first found. */
  for (int a = 0, b; a < m; a = b) {
    for (b = a + 1; b < m && hc[b].h == hc[a].h; b++)
      for (int j = a; j < b; j++)
        if (sema_same_tree(cases[hc[j].i]->cond, cases[hc[b].i]->cond)) {
          same[hc[b].i] = hc[j].i;
          break;
        }
  }
  return same;
}

/* Checks a case block: conditions are bool, values of type `t`,
 * `otherwise` last, and cases after an always-true or repeated condition
 * are unreachable (a warning). */
static void check_cases(struct sctx *c, struct decl *owner,
                        struct case_ **cases, int n, const struct type *t,
                        const char *what)
{
  for (int i = 0; i < n; i++) {
    struct case_ *k = cases[i];
    if (!k)
      continue;
    k->reachable = 1;
    if (k->cond)
      sema_expect(c, k->cond, &type_bool, "the condition of a case");
    if (k->value)
      sema_expect(c, k->value, t, what);
  }
  if (n == 0 || !cases[n - 1] || cases[n - 1]->cond) {
    if (!c->syntax_errors)
      sema_err(c, name_span(owner), "'%s' has no 'otherwise' case; add "
               "'otherwise => VALUE' as its last case", owner->name);
  }
  for (int i = 0; i + 1 < n; i++)
    if (cases[i] && !cases[i]->cond) {
      sema_err(c, cases[i]->kw_span, "'otherwise' must be the last case");
      break;
    }
  /* The first condition that always holds hides every case after it. */
  int always = -1;
  for (int i = 0; i < n && always < 0; i++)
    if (cases[i] && cases[i]->cond && sema_const_true(c, cases[i]->cond))
      always = i;
  int *same = repeated_conditions(c, cases, n);
  for (int i = 1; i < n; i++) {
    struct case_ *k = cases[i];
    if (!k)
      continue;
    if (always >= 0 && always < i) {
      k->reachable = 0;
      sema_warn(c, k->kw_span, "unreachable case: the condition at %s "
                "always holds", loc(c, cases[always]->cond->span));
      continue;
    }
    if (same[i] >= 0) {
      k->reachable = 0;
      sema_warn(c, k->kw_span, "unreachable case: its condition repeats "
                "the case at %s", loc(c, cases[same[i]]->kw_span));
    }
  }
}

static void require_const(struct sctx *c, struct expr *e, const char *what)
{
  if (!e || !e->type || e->type->kind == TY_ERROR || e->is_const)
    return;
  struct expr *k = sema_nonconst(e);
  if (!k)
    return;
  const char *why;
  if (k->kind == EX_PATH)
    why = arena_printf(c->a, "it reads input '%s'", k->u.path.text);
  else if (k->ref.kind == REF_LET)
    why = arena_printf(c->a, "it reads let '%s'", k->ref.decl->name);
  else if (k->ref.kind == REF_OUTPUT)
    why = arena_printf(c->a, "it reads output '%s'", k->ref.decl->name);
  else if (k->ref.kind == REF_PARAM)
    why = arena_printf(c->a, "it reads parameter '%s'", k->u.name);
  else if (k->ref.kind == REF_EXTERN)
    why = arena_printf(c->a, "it calls extern '%s'", k->u.call.name);
  else if (k->ref.kind == REF_FN)
    why = arena_printf(c->a, "'%s' reads inputs, lets, outputs or "
                       "externs", k->u.call.name);
  else if (k->ref.kind == REF_BUILTIN)
    why = "'present' reads an input";
  else
    why = "it is computed from inputs";
  sema_err(c, k->span, "%s must be constant, but %s", what, why);
}

/* Checks the body of a const, let, region or fn once (on demand: a use
 * may need the type of an untyped const first).  A body that is being
 * checked when it is asked for is part of a cycle, which the graph check
 * reports. */
void sema_check_body(struct sctx *c, struct decl *d)
{
  struct sinfo *in = sema_info(c, d);
  if (!in || in->state)
    return;
  in->state = 1;
  int save_file = c->cur_file, save_test = c->in_test;
  struct decl *save_fn = c->fn;
  struct sinfo *save_node = c->node;
  c->cur_file = in->fileix;
  c->fn = NULL;
  c->node = in;
  c->in_test = 0;
  c->depth++;
  const char *what;
  switch (d->kind) {
  case D_CONST:
  case D_LET: {
    what = arena_printf(c->a, "the value of %s '%s'", decl_word(d->kind),
                        d->name);
    struct expr *init = d->u.value.init;
    if (d->u.value.texpr) {
      if (d->u.value.type)
        sema_expect(c, init, d->u.value.type, what);
    } else {
      const struct type *t = sema_expr(c, init, NULL);
      if (t && t->kind == TY_VERDICT)
        t = &type_error;
      d->u.value.type = t;
    }
    if (d->kind == D_CONST)
      require_const(c, init, what);
    break;
  }
  case D_REGION:
    what = arena_printf(c->a, "region '%s'", d->name);
    sema_expect(c, d->u.value.init, type_set(c->a, &type_country), what);
    require_const(c, d->u.value.init, what);
    break;
  case D_FN:
    c->fn = d;
    what = arena_printf(c->a, "the result of '%s'", d->name);
    if (d->u.fn.body)
      sema_expect(c, d->u.fn.body, d->u.fn.result, what);
    else
      check_cases(c, d, d->u.fn.cases, d->u.fn.ncases, d->u.fn.result,
                  what);
    break;
  default:
    break;
  }
  c->depth--;
  c->cur_file = save_file;
  c->fn = save_fn;
  c->node = save_node;
  c->in_test = save_test;
  in->state = 2;
}

static void check_decide(struct sctx *c, struct decl *d)
{
  struct decl *o = d->u.decide.output;
  const struct type *t = o && o->u.output.type ? o->u.output.type :
                         &type_error;
  c->node = o ? sema_info(c, o) : NULL;
  const char *what = arena_printf(c->a, "the value of '%s'", d->name);
  check_cases(c, d, d->u.decide.cases, d->u.decide.ncases, t, what);
  c->node = NULL;
}

static void check_input_default(struct sctx *c, struct decl *d)
{
  if (!d->u.input.deflt || !d->u.input.type)
    return;
  c->node = NULL;
  const char *what = arena_printf(c->a, "the default of '%s'",
                                  d->u.input.path);
  sema_expect(c, d->u.input.deflt, d->u.input.type, what);
  require_const(c, d->u.input.deflt, what);
}

static void check_output_default(struct sctx *c, struct decl *d)
{
  if (!d->u.output.deflt || !d->u.output.type)
    return;
  /* The default is the output's definition only when nothing decides it;
   * otherwise it is checked but draws no edge of the graph. */
  c->node = d->u.output.decided_by ? NULL : sema_info(c, d);
  const char *what = arena_printf(c->a, "the default of '%s'", d->name);
  sema_expect(c, d->u.output.deflt, d->u.output.type, what);
  c->node = NULL;
}

static void check_messages(struct sctx *c)
{
  struct smap codes = {0};
  for (int f = 0; f < c->nprog_files; f++) {
    struct file *file = c->files[f];
    for (int i = 0; i < file->ndecls; i++) {
      struct decl *d = file->decls[i];
      if (!d || d->kind != D_MESSAGE || !d->u.message.code)
        continue;
      struct vec *v = smap_slot(c->a, &codes, d->u.message.code);
      if (v->len) {
        struct decl *old = v->items[0];
        sema_err(c, d->span, "message '%s' is already defined at %s",
                 d->u.message.code, loc(c, old->span));
        continue;
      }
      vec_push(c->a, v, d);
      int has_en = 0;
      for (int k = 0; k < d->u.message.ntexts; k++) {
        struct message_text *t = &d->u.message.texts[k];
        if (!t->locale)
          continue;
        if (strcmp(t->locale, "en") == 0)
          has_en = 1;
        for (int j = 0; j < k; j++)
          if (d->u.message.texts[j].locale &&
              strcmp(d->u.message.texts[j].locale, t->locale) == 0) {
            sema_err(c, t->span, "locale '%s' appears twice in message "
                     "'%s'", t->locale, d->u.message.code);
            break;
          }
      }
      if (!has_en)
        sema_err(c, d->span, "message '%s' has no 'en' text; every "
                 "message needs one", d->u.message.code);
    }
  }
}

/* ------------------------------------------------------------- tests */

static const char *const error_codes[] = {
  "missing_input", "currency_mismatch", "inexact_amount", "overflow",
  "division_by_zero", "unbound_extern", "no_policy", "bad_input",
};
#define NERROR_CODES ((int)(sizeof error_codes / sizeof error_codes[0]))

static void check_test(struct sctx *c, struct decl *d)
{
  c->node = NULL;
  c->fn = NULL;
  c->in_test = 1;
  for (int i = 0; i < d->u.test.ngiven; i++) {
    struct assign *g = &d->u.test.given[i];
    for (int j = 0; j < i; j++)
      if (g->target && d->u.test.given[j].target &&
          strcmp(g->target, d->u.test.given[j].target) == 0) {
        sema_err(c, g->target_span, "'%s' is given twice", g->target);
        break;
      }
    const struct type *t = &type_error;
    if (g->target_expr) {
      t = sema_expr(c, g->target_expr, NULL);
    } else {
      struct vec *v = smap_get(&c->inputs, g->target);
      if (v && v->len)
        t = ((struct decl *)v->items[0])->u.input.type;
      else
        sema_err(c, g->target_span, "unknown field '%s'", g->target);
    }
    const char *what = arena_printf(c->a, "the value given to '%s'",
                                    g->target ? g->target : "?");
    if (t && t->kind != TY_ERROR) {
      sema_expect(c, g->value, t, what);
      require_const(c, g->value, what);
    } else if (g->value) {
      sema_expr(c, g->value, NULL);
    }
  }
  for (int i = 0; i < d->u.test.nexpect; i++) {
    struct assign *x = &d->u.test.expect[i];
    const char *tg = x->target ? x->target : "";
    for (int j = 0; j < i; j++)
      if (d->u.test.expect[j].target &&
          strcmp(tg, d->u.test.expect[j].target) == 0) {
        sema_err(c, x->target_span, "'%s' is expected twice", tg);
        break;
      }
    struct expr *v = x->value;
    if (!v)
      continue;
    if (strcmp(tg, "error") == 0) {
      if (v->kind != EX_STRING) {
        sema_expr(c, v, NULL);
        sema_err(c, v->span, "'error' expects an error code as a string, "
                 "such as \"missing_input\"");
        continue;
      }
      v->type = &type_string;
      v->is_const = 1;
      int ok = 0;
      for (int k = 0; k < NERROR_CODES; k++)
        ok |= strcmp(v->u.str, error_codes[k]) == 0;
      if (!ok) {
        const char *sug = diag_suggest(v->u.str, error_codes, NERROR_CODES);
        if (sug)
          sema_err(c, v->span, "unknown error code \"%s\"; did you mean "
                   "\"%s\"?", v->u.str, sug);
        else
          sema_err(c, v->span, "unknown error code \"%s\"; the codes are "
                   "missing_input, currency_mismatch, inexact_amount, "
                   "overflow, division_by_zero, unbound_extern, no_policy "
                   "and bad_input", v->u.str);
      }
      continue;
    }
    struct decl *o = sema_lookup(c, tg);
    if (!o || o->kind != D_OUTPUT) {
      struct vec cands = {0};
      for (int k = 0; k < c->p->noutputs; k++)
        vec_push(c->a, &cands, (void *)c->p->outputs[k]->name);
      vec_push(c->a, &cands, (void *)"error");
      const char *sug = diag_suggest(tg, (const char *const *)cands.items,
                                     cands.len);
      if (sug)
        sema_err(c, x->target_span, "unknown output '%s'; did you mean "
                 "'%s'?", tg, sug);
      else
        sema_err(c, x->target_span, "unknown output '%s'", tg);
      sema_expr(c, v, NULL);
      continue;
    }
    if (o->u.output.absent_default && !o->u.output.decided_by &&
        c->has_policy) {
      sema_err(c, x->target_span, "the policy does not decide '%s', so a "
               "test cannot expect it", tg);
      continue;
    }
    int std = std_index(o->name);
    if (v->kind == EX_NAME && v->u.name && strcmp(v->u.name, "none") == 0 &&
        !sema_lookup(c, "none")) {
      /* `none`: the value a denial reports (§11); no reference. */
      v->ref = (struct expr_ref){0};
      v->is_const = 1;
      v->type = o->u.output.type;
      if (std != OUT_REFUND_METHOD && std != OUT_SHIPPING_PAYER)
        sema_err(c, v->span, "'none' can be expected only for "
                 "refund_method and shipping_payer");
      continue;
    }
    const char *what = arena_printf(c->a, "the expected '%s'", tg);
    sema_expect(c, v, o->u.output.type ? o->u.output.type : &type_error,
                what);
    require_const(c, v, what);
  }
  c->in_test = 0;
}

/* ------------------------------------------------------------ routing */

static int cmp_int(const void *a, const void *b)
{
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static void check_for(struct sctx *c, struct file *pol)
{
  struct program *p = c->p;
  p->has_for = 0;
  p->for_countries = NULL;
  p->nfor_countries = 0;
  if (!pol->for_set)
    return;
  p->has_for = 1;
  struct expr *subj = pol->for_subject;
  if (!subj || subj->kind != EX_PATH || !subj->u.path.text ||
      strcmp(subj->u.path.text, "customer.country") != 0) {
    sema_err(c, subj ? subj->span : pol->for_span, "a 'for' clause routes "
             "on customer.country only: write 'for customer.country in "
             "SET'");
    return;
  }
  c->node = NULL;
  sema_expr(c, subj, NULL);
  const char *what = "the set of a 'for' clause";
  const struct type *t = sema_expect(c, pol->for_set,
                                     type_set(c->a, &type_country), what);
  if (!t || t->kind == TY_ERROR)
    return;
  require_const(c, pol->for_set, what);
  if (!pol->for_set->is_const)
    return;
  unsigned char *set = arena_alloc(c->a, RPOL_NCOUNTRY_CODES);
  int folded = sema_fold_countries(c, pol->for_set, set, what);
  if (folded < 0)
    return;
  if (!folded) {
    sema_err(c, pol->for_set->span, "the set of a 'for' clause could not "
             "be evaluated");
    return;
  }
  int n = 0;
  for (int i = 0; i < RPOL_NCOUNTRY_CODES; i++)
    n += set[i];
  p->for_countries = arena_alloc(c->a, sizeof(int) * (n + 1));
  for (int i = 0; i < RPOL_NCOUNTRY_CODES; i++)
    if (set[i])
      p->for_countries[p->nfor_countries++] = i;
  qsort(p->for_countries, p->nfor_countries, sizeof(int), cmp_int);
}

/* -------------------------------------------------------------- cycles */

static int graph_kind(const struct decl *d)
{
  return d && (d->kind == D_LET || d->kind == D_CONST ||
               d->kind == D_REGION || d->kind == D_FN ||
               d->kind == D_OUTPUT);
}

/* Where a node of the graph is declared, for "first in source order":
 * a decided output is where the policy decides it. */
static struct decl *node_site(const struct decl *d)
{
  if (d->kind == D_OUTPUT && d->u.output.decided_by)
    return d->u.output.decided_by;
  return (struct decl *)d;
}

static int site_before(struct sctx *c, const struct decl *a,
                       const struct decl *b)
{
  struct decl *x = node_site(a), *y = node_site(b);
  int px = x->file && x->file->kind == FILE_PRELUDE;
  int py = y->file && y->file->kind == FILE_PRELUDE;
  if (px != py)
    return py;         /* the user's files first */
  int fx = file_index(c, x->file), fy = file_index(c, y->file);
  if (fx != fy)
    return fx < fy;
  return x->span.start < y->span.start;
}

static void report_cycle(struct sctx *c, struct sinfo **scc, int n)
{
  int best = 0;
  for (int i = 1; i < n; i++)
    if (site_before(c, scc[i]->d, scc[best]->d))
      best = i;
  struct sinfo *start = scc[best];
  /* The shortest cycle through `start` within the component (BFS). */
  int *prev = arena_alloc(c->a, sizeof(int) * c->ninfos);
  int *queue = arena_alloc(c->a, sizeof(int) * (c->ninfos + 1));
  for (int i = 0; i < c->ninfos; i++)
    prev[i] = -2;
  int s0 = (int)(start - c->infos), qh = 0, qt = 0, end = -1;
  queue[qt++] = s0;
  prev[s0] = -1;
  while (qh < qt && end < 0) {
    struct sinfo *u = &c->infos[queue[qh++]];
    for (int k = 0; k < u->deps.len && end < 0; k++) {
      struct sinfo *w = sema_info(c, u->deps.items[k]);
      if (!w || !graph_kind(w->d) || w->tlow != start->tlow)
        continue;     /* not in this component */
      int wi = (int)(w - c->infos);
      if (wi == s0) {
        end = (int)(u - c->infos);
        break;
      }
      if (prev[wi] == -2) {
        prev[wi] = (int)(u - c->infos);
        queue[qt++] = wi;
      }
    }
  }
  /* Walk back from `end` to the start, then print forwards. */
  int len = 0;
  for (int x = end; x >= 0; x = prev[x])
    len++;
  int *path = arena_alloc(c->a, sizeof(int) * (len + 1));
  int k = len;
  for (int x = end; x >= 0; x = prev[x])
    path[--k] = x;
  char buf[1024];
  size_t l = 0;
  buf[0] = 0;
  for (int i = 0; i < len && l < sizeof buf - 1; i++)
    l += snprintf(buf + l, sizeof buf - l, "%s -> ",
                  c->infos[path[i]].d->name);
  if (l < sizeof buf - 1)
    snprintf(buf + l, sizeof buf - l, "%s", start->d->name);
  sema_err(c, name_span(node_site(start->d)), "cycle: %s", buf);
}

/* Tarjan's strongly connected components, iteratively (a long chain of
 * lets must not exhaust the C stack).  Nodes of one component share
 * tlow once finished; each component with a cycle is reported once. */
static void check_cycles(struct sctx *c)
{
  int n = c->ninfos, counter = 0;
  struct sinfo **stack = arena_alloc(c->a, sizeof *stack * (n + 1));
  int *frames = arena_alloc(c->a, sizeof(int) * (n + 1));
  int *edge = arena_alloc(c->a, sizeof(int) * (n + 1));
  int sp = 0, fp = 0;
  for (int i = 0; i < n; i++)
    c->infos[i].tindex = c->infos[i].tlow = c->infos[i].onstack = 0;
  for (int r = 0; r < n; r++) {
    if (!graph_kind(c->infos[r].d) || c->infos[r].tindex)
      continue;
    frames[fp] = r;
    edge[fp++] = 0;
    c->infos[r].tindex = c->infos[r].tlow = ++counter;
    stack[sp++] = &c->infos[r];
    c->infos[r].onstack = 1;
    while (fp) {
      struct sinfo *u = &c->infos[frames[fp - 1]];
      if (edge[fp - 1] < u->deps.len) {
        struct sinfo *w = sema_info(c, u->deps.items[edge[fp - 1]++]);
        if (!w || !graph_kind(w->d))
          continue;
        if (!w->tindex) {
          w->tindex = w->tlow = ++counter;
          stack[sp++] = w;
          w->onstack = 1;
          frames[fp] = (int)(w - c->infos);
          edge[fp++] = 0;
        } else if (w->onstack && w->tindex < u->tlow) {
          u->tlow = w->tindex;
        }
        continue;
      }
      fp--;
      if (fp && u->tlow < c->infos[frames[fp - 1]].tlow)
        c->infos[frames[fp - 1]].tlow = u->tlow;
      if (u->tlow != u->tindex)
        continue;
      int base = sp;
      do
        base--;
      while (stack[base] != u);
      int size = sp - base, self = 0;
      for (int k = 0; k < u->deps.len; k++)
        if (u->deps.items[k] == u->d)
          self = 1;
      for (int k = base; k < sp; k++) {
        stack[k]->onstack = 0;
        stack[k]->tlow = u->tindex;
      }
      if (size > 1 || self)
        report_cycle(c, stack + base, size);
      sp = base;
    }
  }
}

/* -------------------------------------------------------- private copies */

/* Declarations of the prelude and of modules are shared by every program
 * of a session, yet several (sema) fields belong to one program: which
 * decide block decides `eligible`, the member list of an extended enum,
 * input slots, case ids.  Back ends read those fields directly, and the
 * interpreter runs the policies of a bundle alternately, so each program
 * gets its own copy of every file but the policy itself (parsing once,
 * checking per program).  The copies keep their spans, so locations and
 * diagnostics are those of the source. */

static struct expr *copy_expr(struct arena *a, const struct expr *e);

static struct expr **copy_exprs(struct arena *a, struct expr **v, int n)
{
  if (!v)
    return NULL;
  struct expr **r = arena_alloc(a, sizeof *r * (n + 1));
  for (int i = 0; i < n; i++)
    r[i] = copy_expr(a, v[i]);
  return r;
}

static struct expr *copy_expr(struct arena *a, const struct expr *e)
{
  if (!e)
    return NULL;
  struct expr *n = arena_alloc(a, sizeof *n);
  *n = *e;
  n->type = NULL;
  n->ref = (struct expr_ref){0};
  n->expansion = NULL;
  n->from_number = 0;
  n->is_const = 0;
  switch (e->kind) {
  case EX_UNARY:
    n->u.unary.operand = copy_expr(a, e->u.unary.operand);
    break;
  case EX_BINARY:
  case EX_OF:
  case EX_COALESCE:
    n->u.bin.lhs = copy_expr(a, e->u.bin.lhs);
    n->u.bin.rhs = copy_expr(a, e->u.bin.rhs);
    break;
  case EX_IN:
    n->u.in.elem = copy_expr(a, e->u.in.elem);
    n->u.in.set = copy_expr(a, e->u.in.set);
    break;
  case EX_IF:
    n->u.cond.cond = copy_expr(a, e->u.cond.cond);
    n->u.cond.then = copy_expr(a, e->u.cond.then);
    n->u.cond.els = copy_expr(a, e->u.cond.els);
    break;
  case EX_CALL:
    n->u.call.args = copy_exprs(a, e->u.call.args, e->u.call.nargs);
    break;
  case EX_SET:
    n->u.set.elems = copy_exprs(a, e->u.set.elems, e->u.set.n);
    break;
  default:
    break;
  }
  return n;
}

static struct case_ **copy_cases(struct arena *a, struct case_ **v, int n)
{
  if (!v)
    return NULL;
  struct case_ **r = arena_alloc(a, sizeof *r * (n + 1));
  for (int i = 0; i < n; i++) {
    if (!v[i])
      continue;
    r[i] = arena_alloc(a, sizeof *r[i]);
    *r[i] = *v[i];
    r[i]->cond = copy_expr(a, v[i]->cond);
    r[i]->value = copy_expr(a, v[i]->value);
  }
  return r;
}

static struct assign *copy_assigns(struct arena *a, struct assign *v, int n)
{
  if (!v)
    return NULL;
  struct assign *r = arena_alloc(a, sizeof *r * (n + 1));
  for (int i = 0; i < n; i++) {
    r[i] = v[i];
    r[i].target_expr = copy_expr(a, v[i].target_expr);
    r[i].value = copy_expr(a, v[i].value);
  }
  return r;
}

static struct decl *copy_decl(struct arena *a, const struct decl *d,
                              struct file *f)
{
  struct decl *n = arena_alloc(a, sizeof *n);
  *n = *d;
  n->file = f;
  n->cycle_mark = 0;
  switch (d->kind) {
  case D_ENUM:
  case D_EXTEND:
    n->u.enm.all = NULL;
    n->u.enm.nall = 0;
    n->u.enm.base = NULL;
    break;
  case D_INPUT:
    n->u.input.deflt = copy_expr(a, d->u.input.deflt);
    n->u.input.type = NULL;
    break;
  case D_OUTPUT:
    n->u.output.deflt = copy_expr(a, d->u.output.deflt);
    n->u.output.type = NULL;
    n->u.output.decided_by = NULL;
    break;
  case D_CONST:
  case D_LET:
  case D_REGION:
    n->u.value.init = copy_expr(a, d->u.value.init);
    n->u.value.type = NULL;
    break;
  case D_FN:
  case D_EXTERN:
    if (d->u.fn.params) {
      n->u.fn.params = arena_alloc(a, sizeof *n->u.fn.params *
                                   (d->u.fn.nparams + 1));
      memcpy(n->u.fn.params, d->u.fn.params,
             sizeof *n->u.fn.params * d->u.fn.nparams);
    }
    n->u.fn.body = copy_expr(a, d->u.fn.body);
    n->u.fn.cases = copy_cases(a, d->u.fn.cases, d->u.fn.ncases);
    n->u.fn.result = NULL;
    break;
  case D_DECIDE:
    n->u.decide.cases = copy_cases(a, d->u.decide.cases, d->u.decide.ncases);
    n->u.decide.output = NULL;
    break;
  case D_TEST:
    n->u.test.given = copy_assigns(a, d->u.test.given, d->u.test.ngiven);
    n->u.test.expect = copy_assigns(a, d->u.test.expect, d->u.test.nexpect);
    break;
  default:
    break;
  }
  return n;
}

static struct file *copy_file(struct arena *a, const struct file *f)
{
  struct file *n = arena_alloc(a, sizeof *n);
  *n = *f;
  n->for_set = copy_expr(a, f->for_set);
  n->for_subject = copy_expr(a, f->for_subject);
  n->decls = arena_alloc(a, sizeof *n->decls * (f->ndecls + 1));
  for (int i = 0; i < f->ndecls; i++)
    n->decls[i] = f->decls[i] ? copy_decl(a, f->decls[i], n) : NULL;
  return n;
}

/* Replaces files[0..n) but `keep` (and test files) by private copies, and
 * points the copies' `use` declarations at the copies. */
static void privatize(struct sctx *c, struct file **files, int n,
                      const struct file *keep)
{
  struct file **orig = arena_alloc(c->a, sizeof *orig * (n + 1));
  memcpy(orig, files, sizeof *orig * n);
  for (int i = 0; i < n; i++)
    if (files[i] != keep && files[i]->kind != FILE_TESTS)
      files[i] = copy_file(c->a, files[i]);
  for (int i = 0; i < n; i++)
    for (int k = 0; k < files[i]->ndecls; k++) {
      struct decl *d = files[i]->decls[k];
      if (!d || d->kind != D_USE || !d->u.use.target)
        continue;
      for (int j = 0; j < n; j++)
        if (orig[j] == d->u.use.target) {
          d->u.use.target = files[j];
          break;
        }
    }
}

/* ----------------------------------------------------------- assembly */

static void alloc_infos(struct sctx *c)
{
  int n = 0;
  for (int f = 0; f < c->nfiles; f++)
    n += c->files[f]->ndecls;
  c->infos = arena_alloc(c->a, sizeof *c->infos * (n + 1));
  c->ninfos = 0;
  for (int f = 0; f < c->nfiles; f++) {
    struct file *file = c->files[f];
    for (int i = 0; i < file->ndecls; i++) {
      struct decl *d = file->decls[i];
      if (!d)
        continue;
      struct sinfo *in = &c->infos[c->ninfos++];
      in->d = d;
      in->fileix = f;
      d->cycle_mark = c->ninfos;
    }
  }
}

static void check_bodies(struct sctx *c)
{
  for (int f = 0; f < c->nfiles; f++) {
    struct file *file = c->files[f];
    c->cur_file = f;
    for (int i = 0; i < file->ndecls; i++) {
      struct decl *d = file->decls[i];
      if (!d)
        continue;
      c->fn = NULL;
      c->node = NULL;
      switch (d->kind) {
      case D_CONST: case D_LET: case D_REGION: case D_FN:
        sema_check_body(c, d);
        break;
      case D_INPUT:
        check_input_default(c, d);
        break;
      case D_OUTPUT:
        check_output_default(c, d);
        break;
      case D_DECIDE:
        if (file->kind == FILE_POLICY)
          check_decide(c, d);
        break;
      case D_TEST:
        if (file->kind == FILE_POLICY || file->kind == FILE_TESTS)
          check_test(c, d);
        break;
      default:
        break;
      }
    }
  }
}

static void collect_lists(struct sctx *c)
{
  struct program *p = c->p;
  struct vec inputs = {0}, lets = {0}, externs = {0}, enums = {0},
             messages = {0}, tests = {0}, cases = {0};
  for (int f = 0; f < c->nfiles; f++) {
    struct file *file = c->files[f];
    int user = file->kind != FILE_PRELUDE;
    for (int i = 0; i < file->ndecls; i++) {
      struct decl *d = file->decls[i];
      if (!d)
        continue;
      switch (d->kind) {
      case D_INPUT: {
        struct vec *v = d->u.input.path ? smap_get(&c->inputs,
                                                   d->u.input.path) : NULL;
        d->u.input.slot = -1;
        if (v && v->len && v->items[0] == d) {
          d->u.input.slot = inputs.len;
          vec_push(c->a, &inputs, d);
        }
        break;
      }
      case D_LET:
        d->u.value.index = -1;
        if (d->u.value.type && !sema_untyped(d->u.value.type)) {
          d->u.value.index = lets.len;
          vec_push(c->a, &lets, d);
        }
        break;
      case D_EXTERN:
        d->u.fn.index = externs.len;
        vec_push(c->a, &externs, d);
        break;
      case D_ENUM:
        vec_push(c->a, &enums, d);
        break;
      case D_MESSAGE:
        vec_push(c->a, &messages, d);
        break;
      case D_TEST:
        if (file->kind == FILE_POLICY || file->kind == FILE_TESTS)
          vec_push(c->a, &tests, d);
        break;
      case D_DECIDE:
        if (user && file->kind == FILE_POLICY)
          for (int k = 0; k < d->u.decide.ncases; k++)
            if (d->u.decide.cases[k])
              vec_push(c->a, &cases, d->u.decide.cases[k]);
        break;
      case D_FN:
        if (user)
          for (int k = 0; k < d->u.fn.ncases; k++)
            if (d->u.fn.cases[k])
              vec_push(c->a, &cases, d->u.fn.cases[k]);
        break;
      default:
        break;
      }
    }
  }
  p->inputs = (struct decl **)inputs.items;
  p->ninputs = inputs.len;
  p->lets = (struct decl **)lets.items;
  p->nlets = lets.len;
  p->externs = (struct decl **)externs.items;
  p->nexterns = externs.len;
  p->enums = (struct decl **)enums.items;
  p->nenums = enums.len;
  p->messages = (struct decl **)messages.items;
  p->nmessages = messages.len;
  p->tests = (struct decl **)tests.items;
  p->ntests = tests.len;
  p->cases = (struct case_ **)cases.items;
  p->ncases = cases.len;
  for (int i = 0; i < p->ncases; i++)
    p->cases[i]->id = i;
}

/* Runs every check on `root` (a policy, or a module for
 * sema_check_module) and its test files. */
static struct program *run(struct session *s, struct file *root,
                           struct file **tests, int ntests, int *nerr)
{
  struct sctx cx = {0}, *c = &cx;
  c->s = s;
  c->a = &s->arena;
  c->d = &s->diags;
  c->has_policy = root->kind == FILE_POLICY;
  c->copy_budget = SEMA_COPY_BUDGET;
  c->p = arena_alloc(c->a, sizeof *c->p);
  struct program *p = c->p;
  p->policy = c->has_policy ? root : NULL;

  session_load_prelude(s);
  struct vec order = {0}, stack = {0};
  for (int i = 0; i < s->nprelude; i++)
    if (s->prelude[i]) {
      vec_push(c->a, &order, s->prelude[i]);
      if (s->prelude[i]->syntax_errors)
        c->syntax_errors = 1;
    }
  if (root->syntax_errors)
    c->syntax_errors = 1;
  collect_uses(c, root, &order, &stack);
  c->nprog_files = order.len;
  for (int i = 0; i < ntests; i++)
    if (tests && tests[i] && !has_file(&order, tests[i])) {
      vec_push(c->a, &order, tests[i]);
      if (tests[i]->syntax_errors)
        c->syntax_errors = 1;
    }
  c->files = (struct file **)order.items;
  c->nfiles = order.len;
  privatize(c, c->files, c->nfiles, root);
  p->files = c->files;
  p->nfiles = c->nprog_files;
  p->test_files = c->files + c->nprog_files;
  p->ntest_files = c->nfiles - c->nprog_files;

  int root_ix = c->nprog_files - 1;
  compute_visibility(c, root_ix);
  alloc_infos(c);
  load_tables(c);
  for (int f = 0; f < c->nfiles; f++)
    check_placement(c, c->files[f]);
  register_names(c);
  register_inputs(c);
  build_enums(c);
  resolve_decl_types(c);
  build_outputs(c);
  bind_decides(c);
  if (c->has_policy && !c->syntax_errors && p->noutputs)
    check_decided(c);
  check_bodies(c);
  if (c->has_policy) {
    c->cur_file = root_ix;
    check_for(c, root);
  }
  check_messages(c);
  check_cycles(c);
  collect_lists(c);
  *nerr = c->nerr + c->syntax_errors;
  return p;
}

struct program *sema_check_policy(struct session *s, struct file *policy,
                                  struct file **tests, int ntests)
{
  if (!s || !policy)
    return NULL;
  if (policy->kind != FILE_POLICY) {
    diag_error(&s->diags, policy->header_span, "'%s' is not a policy",
               file_path(policy));
    return NULL;
  }
  int nerr;
  struct program *p = run(s, policy, tests, ntests, &nerr);
  return nerr ? NULL : p;
}

int sema_check_module(struct session *s, struct file *module)
{
  if (!s || !module)
    return 1;
  if (module->kind == FILE_TESTS) {
    diag_error(&s->diags, module->header_span, "a test file is checked "
               "with its policy");
    return 1;
  }
  int nerr;
  run(s, module, NULL, 0, &nerr);
  return nerr ? 1 : 0;
}

/* ------------------------------------------------------------- bundles */

static const char *extern_type_word(const struct type *t)
{
  if (!t)
    return "?";
  switch (t->kind) {
  case TY_BOOL: return "bool";
  case TY_INT: return "int";
  case TY_DATE: return "date";
  case TY_STRING: return "string";
  default: return "?";
  }
}

static int same_extern_sig(const struct decl *a, const struct decl *b)
{
  if (a->u.fn.nparams != b->u.fn.nparams || !a->u.fn.result ||
      !b->u.fn.result || a->u.fn.result->kind != b->u.fn.result->kind)
    return 0;
  for (int k = 0; k < a->u.fn.nparams; k++)
    if (!a->u.fn.params[k].type || !b->u.fn.params[k].type ||
        a->u.fn.params[k].type->kind != b->u.fn.params[k].type->kind)
      return 0;
  return 1;
}

static const char *extern_sig_text(struct session *s, const struct decl *d)
{
  char buf[256];
  size_t l = 0;
  buf[0] = 0;
  for (int k = 0; k < d->u.fn.nparams && l < sizeof buf - 16; k++)
    l += snprintf(buf + l, sizeof buf - l, "%s%s", k ? ", " : "",
                  extern_type_word(d->u.fn.params[k].type));
  return arena_printf(&s->arena, "(%s) -> %s", buf,
                      extern_type_word(d->u.fn.result));
}

/* The host binds one function per extern name for the whole bundle
 * (§9), so every policy must declare a name with one signature: a
 * function called with the wrong one would crash the host. */
static int check_bundle_externs(struct session *s, struct program **programs,
                                int n)
{
  int bad = 0;
  for (int i = 0; i < n; i++) {
    struct program *p = programs[i];
    if (!p || !p->policy)
      continue;
    for (int x = 0; x < p->nexterns; x++) {
      const struct decl *d = p->externs[x];
      const struct decl *clash = NULL;
      const struct program *owner = NULL;
      for (int j = 0; j < i && !clash; j++) {
        const struct program *q = programs[j];
        if (!q || !q->policy)
          continue;
        for (int y = 0; y < q->nexterns && !clash; y++) {
          const struct decl *e = q->externs[y];
          if (e->name && d->name && strcmp(e->name, d->name) == 0 &&
              !same_extern_sig(d, e)) {
            clash = e;
            owner = q;
          }
        }
      }
      if (!clash)
        continue;
      diag_error(&s->diags, d->span, "extern '%s' is declared as %s here "
                 "but as %s in policy '%s' (%s); a bundle binds one "
                 "function per extern name", d->name,
                 extern_sig_text(s, d), extern_sig_text(s, clash),
                 owner->policy->name ? owner->policy->name : "?",
                 source_loc(&s->sources, clash->span));
      bad = 1;
    }
  }
  return bad;
}

int sema_check_bundle(struct session *s, struct program **programs, int n)
{
  int bad = check_bundle_externs(s, programs, n);
  struct program *fallback = NULL;
  for (int i = 0; i < n; i++) {
    struct program *p = programs[i];
    if (!p || !p->policy)
      continue;
    struct file *f = p->policy;
    if (!p->has_for) {
      if (fallback) {
        diag_error(&s->diags, f->header_span, "policy '%s' has no 'for' "
                   "clause, and neither has policy '%s' (%s); a bundle may "
                   "have only one fallback policy", f->name ? f->name : "?",
                   fallback->policy->name ? fallback->policy->name : "?",
                   file_path(fallback->policy));
        bad = 1;
      } else {
        fallback = p;
      }
      continue;
    }
    for (int j = 0; j < i; j++) {
      struct program *q = programs[j];
      if (!q || !q->policy || !q->has_for)
        continue;
      char buf[1024] = "";
      size_t l = 0;
      int common = 0, a = 0, b = 0;
      while (a < p->nfor_countries && b < q->nfor_countries) {
        int x = p->for_countries[a], y = q->for_countries[b];
        if (x < y) {
          a++;
        } else if (y < x) {
          b++;
        } else {
          char t[3];
          rpol_country_text(x, t);
          if (l < sizeof buf - 16)
            l += snprintf(buf + l, sizeof buf - l, "%s%s", common ? ", " :
                          "", t);
          else if (l < sizeof buf - 4)
            l += snprintf(buf + l, sizeof buf - l, ", ...");
          common++;
          a++;
          b++;
        }
      }
      if (common) {
        diag_error(&s->diags, f->for_span, "%s %s %s already routed to "
                   "policy '%s' (%s)", common == 1 ? "country" :
                   "countries", buf, common == 1 ? "is" : "are",
                   q->policy->name ? q->policy->name : "?",
                   file_path(q->policy));
        bad = 1;
      }
    }
  }
  return bad;
}

/* -------------------------------------------------------------- tables */

static struct decl *find_table(struct session *s, const char *name,
                               int *k, const char *code)
{
  for (int f = 0; f < s->nprelude; f++) {
    struct file *file = s->prelude[f];
    if (!file)
      continue;
    for (int i = 0; i < file->ndecls; i++) {
      struct decl *d = file->decls[i];
      if (!d || d->kind != D_TABLE || !d->name || strcmp(d->name, name))
        continue;
      for (int j = 0; j < d->u.table.n; j++)
        if (strcmp(d->u.table.codes[j], code) == 0) {
          *k = j;
          return d;
        }
    }
  }
  return NULL;
}

int sema_currency_exponent(struct session *s, int cur)
{
  if (!s || cur < 0 || cur >= RPOL_NCURRENCY_CODES)
    return -1;
  char t[4];
  int k;
  rpol_currency_text(cur, t);
  struct decl *d = find_table(s, "currency", &k, t);
  if (!d || !d->u.table.numbers)
    return -1;
  return d->u.table.numbers[k];
}

int sema_is_country(struct session *s, int country)
{
  if (!s || country < 0 || country >= RPOL_NCOUNTRY_CODES)
    return 0;
  char t[3];
  int k;
  rpol_country_text(country, t);
  return find_table(s, "country", &k, t) != NULL;
}

void sema_select_program(struct session *s, struct program *p)
{
  (void)s;
  (void)p;
}
