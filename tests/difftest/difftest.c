/* difftest.c: the three engines must agree, decision by decision.
 *
 *   difftest [options] [PATH...]
 *
 * For every PATH (a policy file or a bundle directory) and for N random
 * policies, the driver generates return lines (gen_input.c), decides each
 * line with the reference interpreter, the JIT and an ahead-of-time built
 * .so (rpolc build, then rpol_load), and compares the JSON records
 * (rpol_decision_json with RPOL_JSON_EXPLAIN, so traces are compared
 * too; bad_input records from rpol_input_error_json).  The first
 * mismatching line of a policy is shrunk (fields dropped, values
 * simplified while the engines still disagree) and printed with the
 * policy, every engine's record and the command that replays it.
 *
 * Each policy runs in a child process, so that a crash or a hang of one
 * engine is reported as a failure of that policy instead of ending the
 * run.  Output: one TAP-like line per policy (`ok difftest PATH ...`) and
 * one per batch of random policies; exit status 1 on any failure.
 */
#include <dirent.h>
#include <errno.h>
#include <ffi.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aot.h"
#include "difftest.h"
#include "driver.h"
#include "layout.h"
#include "engine.h"
#include "rpol.h"

enum { E_INTERP, E_JIT, E_AOT, NENGINES };
static const char *engine_names[NENGINES] = { "interp", "jit", "aot" };

struct opts {
  long inputs;          /* lines per given policy */
  int nrandom;          /* random policies */
  int random_from;      /* index of the first one */
  long rinputs;         /* lines per random policy */
  uint64_t seed;
  int batch;            /* random policies per ok line */
  const char *tmpdir;
  const char *keep;     /* where failing cases are written */
  unsigned engines;     /* bit per engine */
  int verbose;
  int fork;
  int timeout;          /* seconds per policy */
  int emit_policy;      /* print random policy K and exit (-1: no) */
  long emit_inputs;     /* print lines for the paths and exit (0: no) */
  int shrink;
  int inject;           /* self-check: corrupt the JIT's records */
  const char *emit_dir; /* --emit-policy: also copy the unit here */
  const char *lines;    /* decide these lines instead of generated ones */
  int jobs;             /* policies checked at a time */
  int cpu_limit;        /* CPU seconds per policy */
};

static struct opts O;

/* Exit statuses of a policy's child process. */
enum { C_AGREE = 0, C_MISMATCH = 1, C_ENGINE = 2, C_SKIP = 3, C_GENMISS = 4 };

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --------------------------------------------------------------- externs */

/* Every extern a policy declares is bound, on every engine, to one pure
 * function of its arguments, built with a libffi closure for whatever
 * signature it has.  Externs named *_unbound stay unbound. */
enum { X_BOOL, X_INT, X_STRING, X_DATE };

struct xfn {
  ffi_cif cif;
  ffi_type *args[8];
  int kinds[8];
  int nargs;
  int result;
  ffi_closure *closure;
  void *code;
  char name[64];
};

static struct xfn *xfns[64];
static int nxfns;

static int xkind(const char *s, size_t n)
{
  if (n == 4 && strncmp(s, "bool", 4) == 0)
    return X_BOOL;
  if (n == 3 && strncmp(s, "int", 3) == 0)
    return X_INT;
  if (n == 6 && strncmp(s, "string", 6) == 0)
    return X_STRING;
  if (n == 4 && strncmp(s, "date", 4) == 0)
    return X_DATE;
  return -1;
}

static ffi_type *xffi(int k)
{
  switch (k) {
  case X_BOOL: return &ffi_type_sint;
  case X_INT: return &ffi_type_sint64;
  case X_STRING: return &ffi_type_pointer;
  default: return &ffi_type_sint32;
  }
}

static void xhandler(ffi_cif *cif, void *ret, void **args, void *ud)
{
  struct xfn *f = ud;
  uint64_t h = dt_hash_str(f->name);
  for (int i = 0; i < f->nargs; i++) {
    uint64_t v = 0;
    switch (f->kinds[i]) {
    case X_BOOL: v = (uint64_t)*(int *)args[i]; break;
    case X_INT: v = (uint64_t)*(int64_t *)args[i]; break;
    case X_DATE: v = (uint64_t)(int64_t)*(int32_t *)args[i]; break;
    default: {
      const char *s = *(const char **)args[i];
      v = s ? dt_hash_str(s) : 7;
      break;
    }
    }
    h = dt_mix(h, v);
  }
  switch (f->result) {
  case X_BOOL: *(ffi_sarg *)ret = (ffi_sarg)(h & 1); break;
  case X_INT: {
    static const int64_t big[] = { INT64_MAX, INT64_MIN, 0, -1 };
    *(int64_t *)ret = (h >> 8) % 16 == 0 ? big[(h >> 12) % 4]
                                         : (int64_t)((h >> 16) % 200) - 20;
    break;
  }
  case X_DATE: {
    /* Now and then a date outside 0001-01-01..9999-12-31 (the engines
     * must reject it alike) or at its edges. */
    static const int32_t odd[] = { -719163, -719162, 2932896, 2932897,
                                   INT32_MAX, INT32_MIN, 0 };
    int32_t v = (h >> 8) % 16 == 0 ? odd[(h >> 12) % 7]
                                   : 20000 + (int32_t)((h >> 16) % 800);
    *(ffi_sarg *)ret = (ffi_sarg)v;
    break;
  }
  default: {
    static const char *strs[] = { "", "a", "clearance", "\xc3\xa9t\xc3\xa9",
                                  "CLR-1", "de", "\xff\xfe", NULL };
    /* Invalid UTF-8 and NULL are what a careless host might return. */
    *(const char **)ret = strs[(h >> 16) % 8];
    break;
  }
  }
}

/* A closure for signature text "name(string, int) -> int", NULL if the
 * text is not understood. */
static void *extern_impl(const char *name, const char *sig)
{
  for (int i = 0; i < nxfns; i++)
    if (strcmp(xfns[i]->name, name) == 0)
      return xfns[i]->code;
  if (nxfns >= 64)
    return NULL;
  const char *lp = strchr(sig, '('), *rp = lp ? strchr(lp, ')') : NULL;
  const char *arrow = rp ? strstr(rp, "->") : NULL;
  if (!arrow)
    return NULL;
  struct xfn *f = dt_xcalloc(1, sizeof *f);
  snprintf(f->name, sizeof f->name, "%s", name);
  const char *p = lp + 1;
  while (p < rp) {
    while (p < rp && (*p == ' ' || *p == ','))
      p++;
    const char *q = p;
    while (q < rp && *q != ',' && *q != ' ')
      q++;
    if (q > p) {
      int k = xkind(p, (size_t)(q - p));
      if (k < 0 || f->nargs >= 8) {
        free(f);
        return NULL;
      }
      f->kinds[f->nargs] = k;
      f->args[f->nargs] = xffi(k);
      f->nargs++;
    }
    p = q;
  }
  const char *r = arrow + 2;
  while (*r == ' ')
    r++;
  f->result = xkind(r, strlen(r));
  if (f->result < 0 ||
      ffi_prep_cif(&f->cif, FFI_DEFAULT_ABI, (unsigned)f->nargs,
                   xffi(f->result), f->args) != FFI_OK) {
    free(f);
    return NULL;
  }
  f->closure = ffi_closure_alloc(sizeof(ffi_closure), &f->code);
  if (!f->closure ||
      ffi_prep_closure_loc(f->closure, &f->cif, xhandler, f, f->code) !=
          FFI_OK) {
    free(f);
    return NULL;
  }
  xfns[nxfns++] = f;
  return f->code;
}

static void bind_externs(rpol_policy *p)
{
  for (int i = 0; i < rpol_policy_nexterns(p); i++) {
    const char *name = rpol_policy_extern_name(p, i);
    const char *sig = rpol_policy_extern_signature(p, i);
    if (!name || !sig || strstr(name, "_unbound"))
      continue;
    void *code = extern_impl(name, sig);
    if (!code)
      continue;
    rpol_extern_fn fn;
    memcpy(&fn, &code, sizeof fn);
    rpol_bind_extern(p, name, fn);
  }
}

/* --------------------------------------------------------------- engines */

struct eng {
  rpol_policy *p;
  rpol_input *in;
  rpol_decision *d;
  rpol_decision *plain; /* the trace off: the evaluators without it */
  char *so;             /* AOT: the built file, removed at close */
};

static int so_counter;

/* What `rpolc build path -o so` does, in this process: a fresh session,
 * the layout, aot_build.  Errors go to stdout as comments. */
static int aot_build_so(const char *path, const char *so)
{
  struct session s;
  session_init(&s);
  struct driver_unit u;
  enum driver_status st = driver_load(&s, path, 0, &u);
  int rc = -1;
  if (st == DRIVER_OK && !s.diags.nerrors && !u.is_module) {
    struct layout L;
    layout_init(&L, &s, u.progs, u.nprogs);
    size_t len = 0;
    const char *meta = layout_metadata(&L, &len);
    char *err = NULL;
    if (aot_build(&L, meta, len, so, AOT_SO, &err) == 0)
      rc = 0;
    else
      printf("# engine aot: aot_build %s: %s\n", path,
             err ? err : "failed");
    free(err);
  } else {
    printf("# engine aot: %s does not check\n", path);
  }
  session_free(&s);
  return rc;
}

static void close_engines(struct eng *e)
{
  for (int k = 0; k < NENGINES; k++) {
    rpol_input_free(e[k].in);
    rpol_decision_free(e[k].d);
    rpol_decision_free(e[k].plain);
    rpol_policy_unref(e[k].p);
    if (e[k].so) {
      unlink(e[k].so);
      free(e[k].so);
    }
  }
  memset(e, 0, NENGINES * sizeof *e);
}

/* Opens `path` on every selected engine.  Returns 0, or -1 after printing
 * why to stdout. */
static int open_engines(rpol_runtime *rt, const char *path, struct eng *e)
{
  memset(e, 0, NENGINES * sizeof *e);
  for (int k = 0; k < NENGINES; k++) {
    if (!(O.engines & (1u << k)))
      continue;
    rpol_status st;
    double t0 = now();
    if (k == E_AOT) {
      e[k].so = dt_xprintf("%s/difftest-%d-%d.so", O.tmpdir, (int)getpid(),
                           ++so_counter);
      if (aot_build_so(path, e[k].so) != 0)
        return -1;
      st = rpol_load(rt, e[k].so, &e[k].p);
    } else {
      st = engine_compile(rt, path, k == E_JIT ? ENGINE_JIT : ENGINE_INTERP,
                          NULL, &e[k].p);
    }
    if (st != RPOL_OK) {
      printf("# engine %s: cannot open %s: %s: %s\n", engine_names[k], path,
             rpol_strerror(st), rpol_errmsg(rt));
      return -1;
    }
    if (O.verbose)
      printf("# engine %s: %s ready in %.0f ms\n", engine_names[k], path,
             (now() - t0) * 1e3);
    bind_externs(e[k].p);
    if (rpol_input_new(e[k].p, &e[k].in) != RPOL_OK ||
        rpol_decision_new(e[k].p, &e[k].d) != RPOL_OK ||
        rpol_decision_new(e[k].p, &e[k].plain) != RPOL_OK) {
      printf("# engine %s: out of memory\n", engine_names[k]);
      return -1;
    }
    rpol_decision_set_trace(e[k].plain, 0);
  }
  return 0;
}

/* ------------------------------------------------------------- deciding */

struct outbuf {
  char *p;
  size_t cap;
};

static void outbuf_fit(struct outbuf *o, size_t need)
{
  if (need + 1 > o->cap) {
    o->cap = need + 1 > 2 * o->cap ? need + 1 : 2 * o->cap;
    o->p = dt_xrealloc(o->p, o->cap);
  }
}

/* The message locale used for a line: most lines use the default, some
 * ask for a language, so that --locale is exercised too. */
static const char *line_locale(long lineno)
{
  static const char *locs[] = { NULL, NULL, NULL, "de", "pt-BR", "de-CH",
                                "fr" };
  return locs[lineno % 7];
}

/* The decision's record without the trace, into a static buffer. */
static const char *untraced_json(const rpol_decision *d, rpol_input *in,
                                 const char *loc, struct outbuf *o)
{
  size_t need = rpol_decision_json(d, in, 0, loc, o->p, o->cap);
  if (need >= o->cap) {
    outbuf_fit(o, need);
    rpol_decision_json(d, in, 0, loc, o->p, o->cap);
  }
  return o->p;
}

/* Whether e decides the decoded input alike with the trace and without
 * (the evaluators without it, where compiled); if not, says how in o. */
static int plain_agrees(struct eng *e, long lineno, struct outbuf *o)
{
  static struct outbuf a, b;
  const char *loc = line_locale(lineno);
  if (rpol_decide(e->p, e->in, e->plain) != RPOL_OK)
    return 0;
  if (rpol_decision_trace(e->plain, 0) == NULL &&
      strcmp(untraced_json(e->d, e->in, loc, &a),
             untraced_json(e->plain, e->in, loc, &b)) == 0)
    return 1;
  outbuf_fit(o, strlen(b.p) + 32);
  snprintf(o->p, o->cap, "{\"without the trace\":%s}", b.p);
  return 0;
}

/* Decodes and decides one line on engine e, writing its record. */
static void decide_one(struct eng *e, const char *json, size_t len,
                       long lineno, struct outbuf *o)
{
  rpol_status st = rpol_input_decode(e->in, json, len);
  size_t need;
  if (st == RPOL_OK) {
    st = rpol_decide(e->p, e->in, e->d);
    if (st == RPOL_OK && !plain_agrees(e, lineno, o))
      return;
    if (st == RPOL_OK) {
      const char *loc = line_locale(lineno);
      need = rpol_decision_json(e->d, e->in, RPOL_JSON_EXPLAIN, loc, o->p,
                                o->cap);
      if (need >= o->cap) {
        outbuf_fit(o, need);
        rpol_decision_json(e->d, e->in, RPOL_JSON_EXPLAIN, loc, o->p,
                           o->cap);
      }
      return;
    }
  }
  if (st == RPOL_EINPUT) {
    need = rpol_input_error_json(e->in, lineno, o->p, o->cap);
    if (need >= o->cap) {
      outbuf_fit(o, need);
      rpol_input_error_json(e->in, lineno, o->p, o->cap);
    }
    return;
  }
  outbuf_fit(o, 128);
  snprintf(o->p, o->cap, "{\"status\":\"%s\"}", rpol_strerror(st));
}

/* Decides the line on every engine; returns 1 if the records differ. */
static int run_line(struct eng *e, const char *json, size_t len, long lineno,
                    struct outbuf *outs)
{
  int first = -1, differ = 0;
  for (int k = 0; k < NENGINES; k++) {
    if (!e[k].p)
      continue;
    decide_one(&e[k], json, len, lineno, &outs[k]);
    /* --inject-fault: a fake JIT bug on final-sale lines, to prove that
     * differences are found, shrunk and reported. */
    if (O.inject && k == E_JIT && strstr(json, "\"final_sale\":true")) {
      size_t n = strlen(outs[k].p);
      outbuf_fit(&outs[k], n + 8);
      if (n > 0 && outs[k].p[n - 1] == '}')
        memcpy(outs[k].p + n - 1, ",\"x\":1}", 8);
    }
    if (first < 0)
      first = k;
    else if (strcmp(outs[first].p, outs[k].p) != 0)
      differ = 1;
  }
  return differ;
}

/* What a mismatch looks like, so that shrinking keeps the same one:
 * which engines differ from the first one, and what kind of record the
 * first one wrote (a decision, or the error code). */
static void mismatch_sig(struct eng *e, struct outbuf *outs, char *sig,
                         size_t cap)
{
  int first = -1;
  unsigned mask = 0;
  for (int k = 0; k < NENGINES; k++) {
    if (!e[k].p)
      continue;
    if (first < 0)
      first = k;
    else if (strcmp(outs[first].p, outs[k].p) != 0)
      mask |= 1u << k;
  }
  const char *kind = "decision";
  char code[40] = "";
  const char *c = first >= 0 ? strstr(outs[first].p, "\"code\":\"") : NULL;
  if (c) {
    snprintf(code, sizeof code, "%s", c + 8);
    char *q = strchr(code, '"');
    if (q)
      *q = 0;
    kind = code;
  }
  snprintf(sig, cap, "%u:%s", mask, kind);
}

static int line_differs(struct eng *e, const struct dt_line *l, long lineno,
                        struct outbuf *outs, struct dt_buf *json,
                        const char *want)
{
  dt_line_json(l, json);
  if (!run_line(e, json->p, json->n, lineno, outs))
    return 0;
  char sig[64];
  mismatch_sig(e, outs, sig, sizeof sig);
  return strcmp(sig, want) == 0;
}

/* Greedy shrinking: drop fields, then simplify values, while the engines
 * still disagree in the same way. */
static void shrink(struct eng *e, struct dt_igen *g, struct dt_line *l,
                   long lineno, struct outbuf *outs)
{
  struct dt_buf json = { 0 };
  if (l->raw)
    return;
  char want[64];
  mismatch_sig(e, outs, want, sizeof want);
  int changed = 1;
  for (int round = 0; changed && round < 4; round++) {
    changed = 0;
    for (int i = l->n - 1; i >= 0; i--) {
      struct dt_line t;
      dt_line_copy(&t, l);
      free(t.kv[i].path);
      free(t.kv[i].val);
      memmove(&t.kv[i], &t.kv[i + 1], (size_t)(t.n - i - 1) * sizeof *t.kv);
      t.n--;
      if (line_differs(e, &t, lineno, outs, &json, want)) {
        dt_line_free(l);
        *l = t;
        changed = 1;
      } else {
        dt_line_free(&t);
      }
    }
    for (int i = 0; i < l->n; i++) {
      char *cands[8];
      int n = dt_igen_simpler(g, l->kv[i].path, l->kv[i].val, cands, 8);
      int done = 0;
      for (int c = 0; c < n; c++) {
        if (!done) {
          char *old = l->kv[i].val;
          l->kv[i].val = cands[c];
          if (line_differs(e, l, lineno, outs, &json, want)) {
            free(old);
            done = changed = 1;
            continue;
          }
          l->kv[i].val = old;
        }
        free(cands[c]);
      }
    }
  }
  /* Leave outs holding the records of the final line. */
  dt_line_json(l, &json);
  run_line(e, json.p, json.n, lineno, outs);
  dt_buf_free(&json);
}

static void print_file(const char *path, const char *prefix)
{
  FILE *f = fopen(path, "r");
  if (!f)
    return;
  char line[4096];
  while (fgets(line, sizeof line, f))
    printf("%s%s", prefix, line);
  fclose(f);
}

/* Every file of a generated unit: the policy file, the module beside it
 * and, for a bundle, each file of the directory. */
static void print_unit(const char *path, const char *prefix)
{
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    struct dirent *de;
    char *names[64];
    int n = 0;
    while (d && (de = readdir(d)) != NULL && n < 64)
      if (de->d_name[0] != '.')
        names[n++] = dt_strdup(de->d_name);
    if (d)
      closedir(d);
    for (int i = 0; i < n; i++)
      for (int j = i + 1; j < n; j++)
        if (strcmp(names[i], names[j]) > 0) {
          char *t = names[i];
          names[i] = names[j];
          names[j] = t;
        }
    for (int i = 0; i < n; i++) {
      char *p = dt_xprintf("%s/%s", path, names[i]);
      printf("%s==> %s <==\n", prefix, p);
      print_file(p, prefix);
      free(p);
      free(names[i]);
    }
    return;
  }
  printf("%s==> %s <==\n", prefix, path);
  print_file(path, prefix);
  const char *slash = strrchr(path, '/');
  char *lib = slash ? dt_xprintf("%.*s/lib-%s", (int)(slash - path), path,
                                 slash + 1)
                    : dt_xprintf("lib-%s", path);
  if (access(lib, R_OK) == 0) {
    printf("%s==> %s <==\n", prefix, lib);
    print_file(lib, prefix);
  }
  free(lib);
}

static void keep_case(const char *label, const char *path, int is_random,
                      const char *json, struct outbuf *outs)
{
  if (!O.keep)
    return;
  mkdir(O.keep, 0777);
  char *dir = dt_xprintf("%s/%s", O.keep, label);
  for (char *p = dir + strlen(O.keep) + 1; *p; p++)
    if (*p == '/')
      *p = '_';
  mkdir(dir, 0777);
  char *f = dt_xprintf("%s/input.jsonl", dir);
  FILE *fp = fopen(f, "w");
  if (fp) {
    fprintf(fp, "%s\n", json);
    fclose(fp);
  }
  free(f);
  for (int k = 0; k < NENGINES; k++) {
    if (!outs[k].p)
      continue;
    f = dt_xprintf("%s/out.%s", dir, engine_names[k]);
    fp = fopen(f, "w");
    if (fp) {
      fprintf(fp, "%s\n", outs[k].p);
      fclose(fp);
    }
    free(f);
  }
  if (is_random) {
    /* The generated unit: the policy (or bundle) and any module. */
    const char *slash = strrchr(path, '/');
    char *cmd = dt_xprintf("cp -r '%s' '%s'/ && { cp '%.*s/lib-%s' '%s'/ "
                           "2>/dev/null; true; }", path, dir,
                           slash ? (int)(slash - path) : 1,
                           slash ? path : ".", slash ? slash + 1 : path,
                           dir);
    if (system(cmd) != 0)
      printf("#   could not copy %s\n", path);
    free(cmd);
  }
  printf("#   kept in %s\n", dir);
  free(dir);
}

/* The session's diagnostics as `#` lines, at most `max` of them. */
static void print_diags(struct session *s, int max)
{
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  if (!mem)
    return;
  diag_print(&s->diags, mem);
  fclose(mem);
  int lines = 0;
  for (char *p = text, *nl; p && *p && lines < max; p = nl ? nl + 1 : NULL) {
    nl = strchr(p, '\n');
    printf("#   %.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
    lines++;
  }
  free(text);
}

/* Checks the policy at `path` on all engines with `n` lines from seed.
 * Runs in the child process; returns a C_* status. */
static int check_policy(const char *path, long n, uint64_t seed,
                        const char *replay, int is_random, const char *label)
{
  struct session s;
  session_init(&s);
  struct driver_unit u;
  /* With the NAME.test.rpol files: their `given` values are good hints.
   * Without them if they do not check (the policy may still). */
  enum driver_status st = driver_load(&s, path, 1, &u);
  if (st != DRIVER_OK || s.diags.nerrors) {
    session_free(&s);
    session_init(&s);
    st = driver_load(&s, path, 0, &u);
  }
  if (st != DRIVER_OK || s.diags.nerrors) {
    if (is_random) {
      printf("# generator miss: %s does not check:\n", path);
      print_diags(&s, 6);
      session_free(&s);
      return C_GENMISS;
    }
    /* The policies suite reports it; there is nothing to compare. */
    printf("# skip %s: it does not check\n", path);
    print_diags(&s, 6);
    session_free(&s);
    return C_SKIP;
  }
  if (u.is_module || u.nprogs == 0) {
    printf("# skip %s: a module decides nothing on its own\n", path);
    session_free(&s);
    return C_SKIP;
  }
  struct dt_iso iso;
  dt_iso_load(&iso, &s);
  struct dt_igen *g = dt_igen_new(&s, &iso, u.progs, u.nprogs);

  rpol_runtime *rt = NULL;
  struct eng e[NENGINES];
  int status = C_AGREE;
  double t0 = now();
  /* The JIT's optimised code, as a built .so has: every line decided by
   * the same code, and no optimising thread beside the jobs (the quick
   * code is compared by the evaluation goldens and tests/unit/test_cg). */
  if (rpol_runtime_new(&rt, NULL, NULL) != RPOL_OK ||
      rpol_runtime_set_jit_mode(rt, RPOL_JIT_OPTIMISED) != RPOL_OK ||
      open_engines(rt, path, e) != 0) {
    if (is_random)
      print_unit(path, "#   ");
    close_engines(e);
    rpol_runtime_free(rt);
    dt_igen_free(g);
    dt_iso_free(&iso);
    session_free(&s);
    return C_ENGINE;
  }
  double t1 = now();

  struct dt_rng r;
  dt_rng_seed(&r, seed);
  struct dt_line l;
  memset(&l, 0, sizeof l);
  struct dt_buf json = { 0 };
  struct outbuf outs[NENGINES];
  memset(outs, 0, sizeof outs);
  for (int k = 0; k < NENGINES; k++)
    outbuf_fit(&outs[k], 4096);
  long mismatches = 0;
  FILE *given = NULL;
  if (O.lines && !(given = fopen(O.lines, "r")))
    printf("# cannot read %s: %s\n", O.lines, strerror(errno));
  char *gline = NULL;
  size_t gcap = 0;
  for (long i = 1; i <= n; i++) {
    if (given) {
      /* --lines FILE: its lines as they are (no shrinking: they are not
       * fields the generator knows). */
      ssize_t got = getline(&gline, &gcap, given);
      if (got < 0)
        break;
      while (got > 0 && gline[got - 1] == '\n')
        gline[--got] = 0;
      dt_line_free(&l);
      l.raw = dt_strdup(gline);
    } else {
      dt_igen_line(g, &r, &l);
    }
    dt_line_json(&l, &json);
    if (!run_line(e, json.p, json.n, i, outs))
      continue;
    if (mismatches++ > 0)
      continue;             /* report the first one, count the rest */
    printf("# MISMATCH in %s at generated line %ld\n", path, i);
    printf("#   line as generated: %.*s%s\n", 3000, json.p,
           json.n > 3000 ? "..." : "");
    if (O.keep) {
      char *dir = dt_xprintf("%s/%s", O.keep, label);
      for (char *p = dir + strlen(O.keep) + 1; *p; p++)
        if (*p == '/')
          *p = '_';
      mkdir(O.keep, 0777);
      mkdir(dir, 0777);
      char *f = dt_xprintf("%s/generated.jsonl", dir);
      FILE *fp = fopen(f, "w");
      if (fp) {
        fprintf(fp, "%s\n", json.p);
        fclose(fp);
      }
      free(f);
      free(dir);
    }
    if (O.shrink)
      shrink(e, g, &l, i, outs);
    dt_line_json(&l, &json);
    if (is_random) {
      printf("#   policy source:\n");
      print_unit(path, "#   ");
    }
    printf("#   input: %s\n", json.p);
    printf("#   locale: %s\n", line_locale(i) ? line_locale(i) : "(none)");
    for (int k = 0; k < NENGINES; k++)
      if (e[k].p)
        printf("#   %-6s %s\n", engine_names[k], outs[k].p);
    printf("#   replay: %s\n", replay);
    keep_case(label, path, is_random, json.p, outs);
    status = C_MISMATCH;
  }
  if (given)
    fclose(given);
  free(gline);
  if (mismatches)
    printf("# %ld of %ld lines differ in %s\n", mismatches, n, path);
  if (O.verbose)
    printf("# %s: %ld lines, compile %.2f s, decide %.2f s\n", path, n,
           t1 - t0, now() - t1);
  dt_line_free(&l);
  dt_buf_free(&json);
  for (int k = 0; k < NENGINES; k++)
    free(outs[k].p);
  close_engines(e);
  rpol_runtime_free(rt);
  dt_igen_free(g);
  dt_iso_free(&iso);
  session_free(&s);
  return status;
}

/* ------------------------------------------------------------------ jobs */

/* One policy to check: a corpus path, or random unit k.  Jobs run in
 * child processes, up to --jobs at a time; a child's report goes to a
 * temporary file that the parent prints, in job order, once the job and
 * every job before it are done (so the output does not depend on
 * timing). */
struct job {
  char *path;           /* what the engines open */
  char *dir;            /* random units: the directory to remove */
  int k;                /* random unit index, -1 for a corpus path */
  long n;
  uint64_t seed;
  char replay[1024];
  char label[256];
  pid_t pid;
  FILE *out;
  int rc;               /* C_*, -signal, -1000 timeout */
  int done;
  double t0, t1;
};

static int child_status(int st)
{
  if (WIFEXITED(st))
    return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) {
    if (WTERMSIG(st) == SIGALRM)
      return -1000;
    if (WTERMSIG(st) == SIGXCPU || WTERMSIG(st) == SIGKILL)
      return -1001;
    return -WTERMSIG(st);
  }
  return C_ENGINE;
}

static void job_start(struct job *j)
{
  j->t0 = now();
  if (!O.fork) {
    j->rc = check_policy(j->path, j->n, j->seed, j->replay, j->k >= 0,
                         j->label);
    j->done = 1;
    j->t1 = now();
    return;
  }
  fflush(NULL);
  j->out = tmpfile();
  pid_t pid = j->out ? fork() : -1;
  if (pid < 0) {
    if (j->out)
      fclose(j->out);
    j->out = NULL;
    j->rc = check_policy(j->path, j->n, j->seed, j->replay, j->k >= 0,
                         j->label);
    j->done = 1;
    j->t1 = now();
    return;
  }
  if (pid == 0) {
    dup2(fileno(j->out), 1);
    /* CPU time, not wall time, bounds a policy: the machine may be busy.
     * A policy needs a few seconds; one that needs a minute does not
     * end (a compile or an evaluation that blows up). */
    struct rlimit rl = { (rlim_t)O.cpu_limit, (rlim_t)O.cpu_limit + 5 };
    setrlimit(RLIMIT_CPU, &rl);
    alarm((unsigned)O.timeout);
    int rc = check_policy(j->path, j->n, j->seed, j->replay, j->k >= 0,
                          j->label);
    fflush(NULL);
    _exit(rc);
  }
  j->pid = pid;
}

/* Waits for one running job to end. */
static void job_reap(struct job *jobs, int n)
{
  int st;
  pid_t pid;
  while ((pid = wait(&st)) < 0 && errno == EINTR)
    ;
  if (pid < 0)
    return;
  for (int i = 0; i < n; i++)
    if (jobs[i].pid == pid && !jobs[i].done) {
      jobs[i].rc = child_status(st);
      jobs[i].done = 1;
      jobs[i].t1 = now();
    }
}

/* Copies a finished job's report to stdout. */
static void job_output(struct job *j)
{
  if (!j->out)
    return;
  fflush(stdout);
  rewind(j->out);
  char buf[8192];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, j->out)) > 0)
    fwrite(buf, 1, got, stdout);
  fclose(j->out);
  j->out = NULL;
}

/* Runs every job; report(i) is called for each in order, as soon as it
 * and all before it are done. */
static void run_jobs(struct job *jobs, int n, void (*report)(struct job *))
{
  int next = 0, printed = 0, running = 0;
  int width = O.jobs > 0 ? O.jobs : 1;
  while (printed < n) {
    while (next < n && running < width) {
      job_start(&jobs[next++]);
      if (!jobs[next - 1].done)
        running++;
    }
    while (printed < n && jobs[printed].done) {
      job_output(&jobs[printed]);
      report(&jobs[printed]);
      fflush(stdout);
      printed++;
    }
    if (printed < n && running > 0) {
      job_reap(jobs, next);
      running = 0;
      for (int i = 0; i < next; i++)
        running += !jobs[i].done;
    }
  }
}

static const char *status_text(int rc, char *buf, size_t cap)
{
  if (rc == C_MISMATCH)
    return "engines disagree";
  if (rc == C_ENGINE)
    return "an engine could not open the policy";
  if (rc == -1000)
    return "timed out (wall clock)";
  if (rc == -1001) {
    snprintf(buf, cap, "used more than %d s of CPU (a compile or an "
             "evaluation that does not end)", O.cpu_limit);
    return buf;
  }
  if (rc < 0) {
    snprintf(buf, cap, "crashed (signal %d: %s)", -rc, strsignal(-rc));
    return buf;
  }
  snprintf(buf, cap, "status %d", rc);
  return buf;
}

/* ------------------------------------------------------------ campaigns */

static uint64_t path_seed(const char *path)
{
  return dt_mix(O.seed, dt_hash_str(path));
}

/* A short name for kept cases: the last two components of the path. */
static void path_label(const char *path, char *out, size_t cap)
{
  const char *p = path + strlen(path), *cut = path;
  int slashes = 0;
  while (p > path && *(p - 1) == '/')
    p--;
  for (const char *q = p; q > path; q--)
    if (*(q - 1) == '/' && ++slashes == 2) {
      cut = q;
      break;
    }
  snprintf(out, cap, "%.*s", (int)(p - cut), cut);
}

static int paths_failed;

static void report_path(struct job *j)
{
  char buf[128];
  if (j->rc == C_SKIP)
    return;
  if (j->rc == C_AGREE) {
    printf("ok difftest %s (%ld lines, %.1f s)\n", j->path, j->n,
           j->t1 - j->t0);
  } else {
    printf("not ok difftest %s: %s (seed %" PRIu64 "; replay: %s)\n",
           j->path, status_text(j->rc, buf, sizeof buf), O.seed, j->replay);
    paths_failed = 1;
  }
}

static int run_paths(char **paths, int n)
{
  if (n == 0)
    return 0;
  struct job *jobs = dt_xcalloc((size_t)n, sizeof *jobs);
  for (int i = 0; i < n; i++) {
    struct job *j = &jobs[i];
    j->path = paths[i];
    j->k = -1;
    j->n = O.inputs;
    j->seed = path_seed(paths[i]);
    snprintf(j->replay, sizeof j->replay,
             "difftest --seed %" PRIu64 " --inputs %ld --random 0 %s",
             O.seed, O.inputs, paths[i]);
    path_label(paths[i], j->label, sizeof j->label);
  }
  paths_failed = 0;
  run_jobs(jobs, n, report_path);
  free(jobs);
  return paths_failed;
}

/* Removes a generated unit: files, and the files of subdirectories. */
static void rm_tree(const char *dir)
{
  DIR *d = opendir(dir);
  if (!d) {
    unlink(dir);
    return;
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    char *p = dt_xprintf("%s/%s", dir, de->d_name);
    struct stat st;
    if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
      rm_tree(p);
    else
      unlink(p);
    free(p);
  }
  closedir(d);
  rmdir(dir);
}

static uint64_t random_seed(int k)
{
  return dt_mix(O.seed, (uint64_t)k + 1000003);
}

/* Random unit k in a fresh directory; returns the path to evaluate and
 * the directory to remove afterwards. */
static char *write_random_unit(int k, const struct dt_iso *iso, char **dir)
{
  *dir = dt_xprintf("%s/difftest-%d-%d", O.tmpdir, (int)getpid(), k);
  rm_tree(*dir);
  if (mkdir(*dir, 0777) != 0) {
    printf("# cannot create %s: %s\n", *dir, strerror(errno));
    return NULL;
  }
  char name[64];
  snprintf(name, sizeof name, "random-%d", k);
  return dt_pgen_unit(random_seed(k), iso, *dir, name);
}

/* Batch bookkeeping for the random units' report lines. */
static struct {
  int failed, misses, total, shown, bad;
  double t0;
  struct dt_buf badlist;
} R;

static void report_random(struct job *j)
{
  char buf[128];
  int k = j->k;
  R.total++;
  if (!j->path) {
    R.bad++;
    dt_buf_printf(&R.badlist, " %d", k);
  } else if (j->rc == C_GENMISS) {
    R.misses++;
  } else if (j->rc != C_AGREE && j->rc != C_SKIP) {
    if (j->rc != C_MISMATCH) {
      printf("# random unit %d: %s; replay: %s\n", k,
             status_text(j->rc, buf, sizeof buf), j->replay);
      if (R.shown++ < 5) {
        printf("#   policy source:\n");
        print_unit(j->path, "#   ");
      }
    }
    dt_buf_printf(&R.badlist, " %d", k);
    R.bad++;
  }
  if (j->dir)
    rm_tree(j->dir);
  int b0 = O.random_from + (k - O.random_from) / O.batch * O.batch;
  int end = O.random_from + O.nrandom;
  int b1 = b0 + O.batch < end ? b0 + O.batch : end;
  if (k != b1 - 1)
    return;
  /* The last unit of a batch: its line. */
  if (!R.bad) {
    printf("ok difftest random %d-%d (%ld lines each, seed %" PRIu64
           ", %.1f s)\n", b0, b1 - 1, O.rinputs, O.seed, now() - R.t0);
  } else {
    printf("not ok difftest random %d-%d: units%s fail (seed %" PRIu64 ")\n",
           b0, b1 - 1, R.badlist.p, O.seed);
    R.failed = 1;
  }
  R.bad = 0;
  dt_buf_free(&R.badlist);
  R.t0 = now();
}

static int run_random(const struct dt_iso *iso)
{
  int n = O.nrandom;
  if (n <= 0)
    return 0;
  memset(&R, 0, sizeof R);
  R.t0 = now();
  struct job *jobs = dt_xcalloc((size_t)n, sizeof *jobs);
  for (int i = 0; i < n; i++) {
    struct job *j = &jobs[i];
    int k = O.random_from + i;
    j->k = k;
    j->n = O.rinputs;
    j->seed = dt_mix(random_seed(k), 1);
    snprintf(j->replay, sizeof j->replay,
             "difftest --seed %" PRIu64 " --random-from %d --random 1 "
             "--random-inputs %ld", O.seed, k, O.rinputs);
    snprintf(j->label, sizeof j->label, "random-%d", k);
    j->path = write_random_unit(k, iso, &j->dir);
    if (!j->path) {
      j->done = 1;
      j->rc = C_ENGINE;
    }
  }
  run_jobs(jobs, n, report_random);
  for (int i = 0; i < n; i++) {
    free(jobs[i].path);
    free(jobs[i].dir);
  }
  free(jobs);
  printf("# generator: %d of %d random units did not check "
         "(generator misses, not compared)\n", R.misses, R.total);
  /* A generator that mostly misses tests nothing: fail loudly. */
  if (R.total >= 20 && R.misses * 5 > R.total) {
    printf("not ok difftest generator: %d of %d random units did not "
           "check\n", R.misses, R.total);
    R.failed = 1;
  }
  return R.failed;
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *out)
{
  fprintf(out,
    "usage: difftest [options] [PATH...]\n"
    "  Decides generated return lines for every PATH (policy file or\n"
    "  bundle directory) and for random policies with the interpreter,\n"
    "  the JIT and a built .so, and compares the records.\n"
    "  --inputs N          lines per PATH (default 10000)\n"
    "  --random N          random policies (default 0)\n"
    "  --random-from K     index of the first random policy (default 0)\n"
    "  --random-inputs N   lines per random policy (default 1000)\n"
    "  --batch N           random policies per result line (default 50)\n"
    "  --seed S            base seed (default 1)\n"
    "  --engines LIST      interp,jit,aot (default all three)\n"
    "  --keep DIR          write each mismatch (policy, input, outputs)\n"
    "  --cpu-limit S       CPU seconds per policy (default 60)\n"
    "  --timeout S         wall-clock seconds per policy (default 3600)\n"
    "  --jobs N            policies checked at a time (default 1)\n"
    "  --no-fork           run policies in this process (for debuggers)\n"
    "  --no-shrink         report mismatching lines as generated\n"
    "  --inject-fault      self-check: alter the JIT's record of every\n"
    "                      final-sale line (must be found and shrunk)\n"
    "  --emit-policy K     print random policy K for the seed and exit\n"
    "  --emit-inputs N     print N generated lines for PATH (or, without\n"
    "                      PATH, for random unit --random-from K) and exit\n"
    "  --emit-dir DIR      with --emit-policy: also copy the unit to DIR\n"
    "  --lines FILE        decide the lines of FILE instead of generated\n"
    "                      ones (at most --inputs of them)\n"
    "  -v                  timings and engine details\n");
}

static int emit_inputs(const char *path, uint64_t seed)
{
  struct session s;
  session_init(&s);
  struct driver_unit u;
  if (driver_load(&s, path, 0, &u) != DRIVER_OK || s.diags.nerrors ||
      u.nprogs == 0) {
    diag_print(&s.diags, stderr);
    session_free(&s);
    return 1;
  }
  struct dt_iso iso;
  dt_iso_load(&iso, &s);
  struct dt_igen *g = dt_igen_new(&s, &iso, u.progs, u.nprogs);
  struct dt_rng r;
  dt_rng_seed(&r, seed);
  struct dt_line l;
  memset(&l, 0, sizeof l);
  struct dt_buf json = { 0 };
  for (long i = 0; i < O.emit_inputs; i++) {
    dt_igen_line(g, &r, &l);
    dt_line_json(&l, &json);
    printf("%s\n", json.p);
  }
  dt_line_free(&l);
  dt_buf_free(&json);
  dt_igen_free(g);
  dt_iso_free(&iso);
  session_free(&s);
  return 0;
}

static unsigned parse_engines(const char *s)
{
  unsigned m = 0;
  for (int k = 0; k < NENGINES; k++)
    if (strstr(s, engine_names[k]))
      m |= 1u << k;
  return m;
}

int main(int argc, char **argv)
{
  O.inputs = 10000;
  O.rinputs = 1000;
  O.seed = 1;
  O.batch = 50;
  O.engines = (1u << NENGINES) - 1;
  O.fork = 1;
  O.timeout = 3600;
  O.cpu_limit = 60;
  O.jobs = 1;
  O.emit_policy = -1;
  O.shrink = 1;
  O.tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  char **paths = dt_xcalloc((size_t)argc, sizeof *paths);
  int npaths = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (strcmp(a, name) == 0 && v && (i++, 1))
    if (ARG("--inputs")) O.inputs = atol(v);
    else if (ARG("--random")) O.nrandom = atoi(v);
    else if (ARG("--random-from")) O.random_from = atoi(v);
    else if (ARG("--random-inputs")) O.rinputs = atol(v);
    else if (ARG("--batch")) O.batch = atoi(v) > 0 ? atoi(v) : 50;
    else if (ARG("--seed")) O.seed = strtoull(v, NULL, 0);
    else if (ARG("--engines")) O.engines = parse_engines(v);
    else if (ARG("--keep")) O.keep = v;
    else if (ARG("--timeout")) O.timeout = atoi(v);
    else if (ARG("--cpu-limit")) O.cpu_limit = atoi(v);
    else if (ARG("--emit-policy")) O.emit_policy = atoi(v);
    else if (ARG("--emit-inputs")) O.emit_inputs = atol(v);
    else if (ARG("--emit-dir")) O.emit_dir = v;
    else if (ARG("--lines")) O.lines = v;
    else if (ARG("--jobs")) O.jobs = atoi(v);
    else if (strcmp(a, "--no-fork") == 0) O.fork = 0;
    else if (strcmp(a, "--no-shrink") == 0) O.shrink = 0;
    else if (strcmp(a, "--inject-fault") == 0) O.inject = 1;
    else if (strcmp(a, "-v") == 0) O.verbose = 1;
    else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "difftest: unknown option '%s'\n", a);
      usage(stderr);
      return 2;
    } else {
      paths[npaths++] = argv[i];
    }
#undef ARG
  }

  struct session s;
  session_init(&s);
  struct dt_iso iso;
  dt_iso_load(&iso, &s);

  int rc = 0;
  if (O.emit_policy >= 0) {
    char *dir = NULL;
    char *path = write_random_unit(O.emit_policy, &iso, &dir);
    if (path)
      print_unit(path, "");
    if (O.emit_dir && path) {
      /* Keep it where asked (to replay it with rpolc). */
      const char *slash = strrchr(path, '/');
      char *cmd = dt_xprintf("cp -r '%s' '%s'/ && { cp '%.*s/lib-%s' "
                             "'%s'/ 2>/dev/null; true; }", path, O.emit_dir,
                             (int)(slash - path), path, slash + 1,
                             O.emit_dir);
      if (system(cmd) != 0)
        rc = 1;
      free(cmd);
    }
    rm_tree(dir);
    free(dir);
    free(path);
  } else if (O.emit_inputs > 0 && npaths == 0) {
    /* The lines of random unit --random-from K, as a run decides them;
     * the unit is left in --emit-dir (or the temporary directory). */
    char *dir = NULL;
    char *path = write_random_unit(O.random_from, &iso, &dir);
    if (path) {
      rc |= emit_inputs(path, dt_mix(random_seed(O.random_from), 1));
      fprintf(stderr, "difftest: unit %d is %s\n", O.random_from, path);
    }
    free(dir);
    free(path);
  } else if (O.emit_inputs > 0) {
    for (int i = 0; i < npaths; i++)
      rc |= emit_inputs(paths[i], path_seed(paths[i]));
  } else {
    printf("# difftest: seed %" PRIu64 ", engines", O.seed);
    for (int k = 0; k < NENGINES; k++)
      if (O.engines & (1u << k))
        printf(" %s", engine_names[k]);
    printf(", %d paths x %ld lines, %d random policies x %ld lines\n",
           npaths, O.inputs, O.nrandom, O.rinputs);
    double t0 = now();
    rc |= run_paths(paths, npaths);
    rc |= run_random(&iso);
    printf("# difftest: %.1f s\n", now() - t0);
  }
  dt_iso_free(&iso);
  session_free(&s);
  free(paths);
  for (int i = 0; i < nxfns; i++) {
    ffi_closure_free(xfns[i]->closure);
    free(xfns[i]);
  }
  return rc ? 1 : 0;
}
