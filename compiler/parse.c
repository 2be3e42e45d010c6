/* parse.c: runs the scanner and the grammar over one source (parse.h), and
 * builds the nodes for the grammar's actions.
 *
 * The helpers here are the only code that makes AST nodes from syntax.
 * They keep the tree within bounds whatever the input (expression height,
 * node count), fold `-9223372036854775808`, and check the few shape rules
 * that the grammar leaves open (what a dotted name is, where `otherwise`
 * stands).
 */
#include "parse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include "parser.h"
/* flex's bison bridge uses the bare names. */
#define YYSTYPE RPOL_YYSTYPE
#define YYLTYPE RPOL_YYLTYPE
#include "lexer.h"

/* Expression trees are walked recursively by every later pass, so their
 * height is bounded.  Brackets are limited to PARSE_MAX_DEPTH by the
 * scanner; long operator chains (`a + b + c ...`, left-deep trees) get
 * this more generous bound. */
#define PARSE_MAX_HEIGHT (4 * PARSE_MAX_DEPTH)

/* A file with more expression nodes than this is refused: it bounds the
 * memory a hostile 16 MiB file can make the frontend use. */
#define PARSE_MAX_NODES 500000L

const char *const parse_reserved_words[] = {
  "policy", "version", "for", "use", "module", "region", "const", "let",
  "fn", "extern", "enum", "extend", "input", "output", "decide", "when",
  "otherwise", "allow", "deny", "review", "message", "test", "given",
  "expect", "and", "or", "not", "in", "of", "if", "then", "else", "true",
  "false", "set", "day", "days", "week", "weeks", NULL
};

void parse_error(struct parser *p, struct span sp, const char *fmt, ...)
{
  va_list ap;
  char *msg;

  p->file->syntax_errors++;
  if (p->d->nerrors >= DIAG_MAX_ERRORS) {
    /* Counted but not kept: no need to format it. */
    diag_error(p->d, sp, "%s", "");
  } else {
    va_list aq;
    int n;

    va_start(ap, fmt);
    va_copy(aq, ap);
    n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    msg = arena_alloc(p->a, (size_t)(n < 0 ? 0 : n) + 1);
    vsnprintf(msg, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
    va_end(ap);
    diag_error(p->d, sp, "%s", msg);
  }
  /* Past the cap, the parse stops at the next token. */
  if (p->d->nerrors >= DIAG_MAX_ERRORS && p->lx && !p->lx->stopped)
    p->lx->stopped = 1;
}

/* ---------------------------------------------------------- expressions */

static struct expr *parse_node(struct parser *p, enum expr_kind k,
                               struct span sp)
{
  if (++p->nnodes == PARSE_MAX_NODES) {
    parse_error(p, sp, "file too large: more than %ld expression nodes",
                PARSE_MAX_NODES);
    p->lx->stopped = 1;
  }
  return ast_expr(p->a, k, sp);
}

/* Sets e's height from its children; past the limit, reports once and
 * returns `keep` (a child) instead, so no tree ever gets taller. */
static struct expr *parse_height(struct parser *p, struct expr *e,
                                 struct expr *keep, int h)
{
  e->depth = h + 1;
  if (e->depth <= PARSE_MAX_HEIGHT)
    return e;
  if (!p->depth_reported) {
    p->depth_reported = 1;
    parse_error(p, e->span, "expression too deeply nested (limit %d "
                "operators)", PARSE_MAX_HEIGHT);
  }
  return keep;
}

static int max2(int a, int b)
{
  return a > b ? a : b;
}

struct expr *parse_leaf(struct parser *p, enum expr_kind k, struct span sp)
{
  return parse_node(p, k, sp);
}

struct expr *parse_int(struct parser *p, struct tokv t, struct span sp)
{
  struct expr *e = parse_node(p, EX_INT, sp);

  if (t.u == (UINT64_C(1) << 63)) {
    /* Only valid under a unary minus, which folds it; otherwise it is
     * reported when the parse ends. */
    e->u.num.mant = INT64_MIN;
    vec_push(p->a, &p->bigints, e);
  } else
    e->u.num.mant = (int64_t)t.u;
  return e;
}

struct expr *parse_dec(struct parser *p, struct tokv t, struct span sp)
{
  struct expr *e = parse_node(p, EX_DEC, sp);

  e->u.num = t.d;
  return e;
}

struct expr *parse_money(struct parser *p, struct tokv t, struct span sp)
{
  struct expr *e = parse_node(p, EX_MONEY, sp);

  e->u.money.amount = t.d;
  e->u.money.code = t.code;
  e->u.money.code_span = t.code_span;
  return e;
}

struct expr *parse_percent(struct parser *p, struct tokv t, struct span sp)
{
  struct expr *e = parse_node(p, EX_PERCENT, sp);
  struct decimal d = t.d;
  int64_t lim = 1000000;
  int i;

  /* Trailing zeros do not count as decimals (`12.50000%` is 12.5%). */
  while (d.scale > 4 && d.mant % 10 == 0) {
    d.mant /= 10;
    d.scale--;
  }
  if (t.bad) {
    d.mant = 0;
    d.scale = 0;
  } else if (d.scale > 4) {
    parse_error(p, sp, "a percentage has at most 4 decimals");
    d.mant = 0;
    d.scale = 0;
  } else {
    for (i = 0; i < d.scale; i++)
      lim *= 10;
    if (d.mant > lim) {
      parse_error(p, sp, "a percentage is at most 1000000%%");
      d.mant = 0;
      d.scale = 0;
    }
  }
  e->u.num = d;
  return e;
}

struct expr *parse_duration(struct parser *p, struct tokv n,
                            struct tokv unit, struct span sp)
{
  struct expr *e = parse_node(p, EX_DURATION, sp);

  if (n.u > (uint64_t)INT64_MAX / unit.u) {
    parse_error(p, sp, "duration does not fit in 64 bits");
    e->u.days = 0;
  } else
    e->u.days = (int64_t)(n.u * unit.u);
  return e;
}

struct expr *parse_string(struct parser *p, struct tokv t, struct span sp)
{
  struct expr *e = parse_node(p, EX_STRING, sp);

  e->u.str = t.s;
  e->str_len = (int64_t)t.n;
  return e;
}

/* A string that names something rather than being a value (a policy name
 * or version, a `use` path, a verdict code, a message's code, locale or
 * text, a test's title): these travel as C strings, so U+0000 (which a
 * string value may hold, §1) cannot stand in them. */
const char *parse_text(struct parser *p, struct tokv t, struct span sp)
{
  if (t.s && strlen(t.s) != t.n)
    parse_error(p, sp, "'\\u{0}' (U+0000) may stand in a string value "
                "but not in a name, code, path, title or message text");
  return t.s ? t.s : "";
}

struct expr *parse_bool(struct parser *p, int b, struct span sp)
{
  struct expr *e = parse_node(p, EX_BOOL, sp);

  e->u.b = b;
  return e;
}

struct expr *parse_verdict(struct parser *p, enum verdict_kind k,
                           const char *code, struct span code_span,
                           struct span sp)
{
  struct expr *e = parse_node(p, EX_VERDICT, sp);

  e->u.verdict.kind = k;
  e->u.verdict.code = code;
  e->u.verdict.code_span = code_span;
  return e;
}

struct dotted *parse_dotted(struct parser *p, struct dotted *dt,
                            const char *part, struct span sp)
{
  struct span *s = arena_alloc(p->a, sizeof *s);

  if (!dt)
    dt = arena_alloc(p->a, sizeof *dt);
  *s = sp;
  vec_push(p->a, &dt->parts, (void *)part);
  vec_push(p->a, &dt->spans, s);
  return dt;
}

static const char *dotted_text(struct parser *p, struct dotted *dt)
{
  size_t len = 0, k = 0;
  int i;
  char *out;

  for (i = 0; i < dt->parts.len; i++)
    len += strlen(dt->parts.items[i]) + 1;
  out = arena_alloc(p->a, len + 1);
  for (i = 0; i < dt->parts.len; i++) {
    size_t n = strlen(dt->parts.items[i]);

    if (i)
      out[k++] = '.';
    memcpy(out + k, dt->parts.items[i], n);
    k += n;
  }
  out[k] = '\0';
  return out;
}

/* `customer.x.y` is a path; `Name.member` a qualified name; `name` a
 * name.  Anything longer that does not start with a root is an error. */
struct expr *parse_dotted_expr(struct parser *p, struct dotted *dt,
                               struct span sp)
{
  const char *first = dt->parts.items[0];
  struct expr *e;

  if (dt->parts.len == 1) {
    e = parse_node(p, EX_NAME, sp);
    e->u.name = first;
    return e;
  }
  if (ast_is_root(first)) {
    int i;

    e = parse_node(p, EX_PATH, sp);
    e->u.path.nparts = dt->parts.len;
    e->u.path.parts =
        arena_alloc(p->a, (size_t)dt->parts.len * sizeof(char *));
    for (i = 0; i < dt->parts.len; i++)
      e->u.path.parts[i] = dt->parts.items[i];
    e->u.path.text = dotted_text(p, dt);
    return e;
  }
  e = parse_node(p, EX_QUALIFIED, sp);
  e->u.qual.enum_name = first;
  e->u.qual.member = dt->parts.items[1];
  e->u.qual.member_span = *(struct span *)dt->spans.items[1];
  if (dt->parts.len > 2) {
    struct span *s2 = dt->spans.items[2];
    struct span at = {sp.file, s2->start - 1, s2->end};

    parse_error(p, at, "'%s.%s' is a member of enum '%s' and has no "
                "fields; only input paths (customer, order, item, request) "
                "have more than one '.'", first,
                (const char *)dt->parts.items[1], first);
    e->span.end = ((struct span *)dt->spans.items[1])->end;
  }
  return e;
}

/* Reports 9223372036854775808 where no unary minus folded it. */
struct expr *parse_nobig(struct parser *p, struct expr *e)
{
  int i;

  if (e->kind != EX_INT || e->u.num.mant != INT64_MIN)
    return e;
  for (i = 0; i < p->bigints.len; i++)
    if (p->bigints.items[i] == e) {
      p->bigints.items[i] = p->bigints.items[--p->bigints.len];
      parse_error(p, e->span, "integer literal does not fit in 64 bits");
      e->u.num.mant = 0;
      break;
    }
  return e;
}

struct expr *parse_unary(struct parser *p, enum unary_op op,
                         struct expr *x, struct span sp)
{
  struct expr *e;
  int i;

  /* -9223372036854775808 is INT64_MIN: fold the literal. */
  if (op == UN_NEG && x->kind == EX_INT && x->u.num.mant == INT64_MIN) {
    for (i = 0; i < p->bigints.len; i++)
      if (p->bigints.items[i] == x) {
        p->bigints.items[i] = p->bigints.items[--p->bigints.len];
        x->span = sp;
        return x;
      }
  }
  e = parse_node(p, EX_UNARY, sp);
  e->u.unary.op = op;
  e->u.unary.operand = x;
  return parse_height(p, e, x, x->depth);
}

struct expr *parse_binary(struct parser *p, enum expr_kind k,
                          enum binary_op op, struct expr *l,
                          struct span op_span, struct expr *r)
{
  struct expr *e = parse_node(p, k, span_join(l->span, r->span));

  e->u.bin.op = op;
  e->u.bin.op_span = op_span;
  e->u.bin.lhs = l;
  e->u.bin.rhs = r;
  return parse_height(p, e, l, max2(l->depth, r->depth));
}

struct expr *parse_in(struct parser *p, int negated, struct expr *l,
                      struct span op_span, struct expr *r)
{
  struct expr *e = parse_node(p, EX_IN, span_join(l->span, r->span));

  e->u.in.negated = negated;
  e->u.in.op_span = op_span;
  e->u.in.elem = l;
  e->u.in.set = r;
  return parse_height(p, e, l, max2(l->depth, r->depth));
}

struct expr *parse_if(struct parser *p, struct expr *c, struct expr *t,
                      struct expr *f, struct span sp)
{
  struct expr *e = parse_node(p, EX_IF, sp);

  e->u.cond.cond = c;
  e->u.cond.then = t;
  e->u.cond.els = f;
  return parse_height(p, e, t, max2(c->depth, max2(t->depth, f->depth)));
}

static struct expr **vec_exprs(struct parser *p, struct vec *v, int *h)
{
  struct expr **out;
  int i;

  *h = 0;
  if (!v || v->len == 0)
    return NULL;
  out = arena_alloc(p->a, (size_t)v->len * sizeof *out);
  for (i = 0; i < v->len; i++) {
    out[i] = v->items[i];
    *h = max2(*h, out[i]->depth);
  }
  return out;
}

struct expr *parse_call(struct parser *p, const char *name,
                        struct span name_span, struct vec *args,
                        struct span sp)
{
  struct expr *e = parse_node(p, EX_CALL, sp);
  int h;

  e->u.call.name = name;
  e->u.call.name_span = name_span;
  e->u.call.args = vec_exprs(p, args, &h);
  e->u.call.nargs = args->len;
  if (h + 1 > PARSE_MAX_HEIGHT) {
    e->u.call.args = NULL;
    e->u.call.nargs = 0;
  }
  return parse_height(p, e, e, h);
}

struct expr *parse_set(struct parser *p, struct vec *elems, struct span sp)
{
  struct expr *e = parse_node(p, EX_SET, sp);
  int h;

  e->u.set.elems = vec_exprs(p, elems, &h);
  e->u.set.n = elems ? elems->len : 0;
  if (h + 1 > PARSE_MAX_HEIGHT) {
    e->u.set.elems = NULL;
    e->u.set.n = 0;
  }
  return parse_height(p, e, e, h);
}

/* Parentheses leave no node (§6 compares conditions ignoring them) and do
 * not widen spans: a location names the path or literal itself. */
struct expr *parse_paren(struct parser *p, struct expr *e, struct span sp)
{
  (void)p;
  (void)sp;
  return e;
}

/* ------------------------------------------------------------- pieces */

struct pitem *parse_pitem(struct parser *p, const char *name,
                          struct span sp)
{
  struct pitem *it = arena_alloc(p->a, sizeof *it);

  it->name = name;
  it->span = sp;
  return it;
}

struct type_expr *parse_type(struct parser *p, const char *name,
                             struct type_expr *elem, struct span sp)
{
  struct type_expr *t = arena_alloc(p->a, sizeof *t);

  t->name = name;
  t->elem = elem;
  t->span = sp;
  return t;
}

struct param *parse_param(struct parser *p, const char *name,
                          struct span sp, struct type_expr *t)
{
  struct param *pr = arena_alloc(p->a, sizeof *pr);

  pr->name = name;
  pr->span = sp;
  pr->texpr = t;
  return pr;
}

struct case_ *parse_case(struct parser *p, struct span kw,
                         struct expr *cond, struct expr *value)
{
  struct case_ *c = arena_alloc(p->a, sizeof *c);

  c->kw_span = kw;
  c->cond = cond;
  c->value = value;
  c->reachable = 1;
  return c;
}

struct assign *parse_assign(struct parser *p, struct dotted *target,
                            const char *name, struct span target_span,
                            struct expr *value)
{
  struct assign *as = arena_alloc(p->a, sizeof *as);

  as->target_span = target_span;
  as->value = value;
  if (target) {
    struct expr *e = parse_dotted_expr(p, target, target_span);

    if (e->kind != EX_PATH) {
      parse_error(p, target_span, "'given' sets input fields: expected a "
                  "path such as 'item.price', found '%s'",
                  dotted_text(p, target));
      return NULL;
    }
    as->target = e->u.path.text;
    as->target_expr = e;
  } else
    as->target = name;
  return as;
}

struct message_text *parse_mtext(struct parser *p, const char *locale,
                                 struct span sp, const char *text)
{
  struct message_text *m = arena_alloc(p->a, sizeof *m);

  m->locale = locale;
  m->span = sp;
  m->text = text;
  return m;
}

/* -------------------------------------------------------- declarations */

void parse_header(struct parser *p, enum file_kind k, const char *name,
                  const char *version, struct span sp)
{
  p->file->kind = k;
  p->file->name = name;
  p->file->version = version;
  p->file->header_span = sp;
}

void parse_for(struct parser *p, struct span kw, struct expr *e)
{
  p->file->for_span = kw;
  if (e->kind != EX_IN || e->u.in.negated) {
    parse_error(p, e->span, "expected 'customer.country in SET' after "
                "'for'");
    return;
  }
  p->file->for_subject = e->u.in.elem;
  p->file->for_set = e->u.in.set;
}

void parse_add_decl(struct parser *p, struct decl *d)
{
  /* Which declarations a kind of file may hold (a test file only tests,
   * a module no decide) is sema's to say: the tree keeps them all. */
  if (!d)
    return;
  d->file = p->file;
  vec_push(p->a, &p->decls, d);
}

struct decl *parse_decl_value(struct parser *p, enum decl_kind k,
                              const char *name, struct span name_span,
                              struct type_expr *t, struct expr *init,
                              struct span sp)
{
  struct decl *d = ast_decl(p->a, k, sp);

  d->name = name;
  d->name_span = name_span;
  d->u.value.texpr = t;
  d->u.value.init = init;
  return d;
}

struct decl *parse_decl_use(struct parser *p, const char *path,
                            struct span path_span, struct span sp)
{
  struct decl *d = ast_decl(p->a, D_USE, sp);

  d->name_span = path_span;
  d->u.use.path = path;
  return d;
}

/* Cases per block (docs/limits.md): the checker compares each case with
 * the earlier ones (unreachable cases, §6), so a block costs the square
 * of its length; 20,000 cases took seconds. */
#define PARSE_MAX_CASES 1000

/* Case blocks: `otherwise` is mandatory and comes last (§6). */
static struct case_ **parse_cases(struct parser *p, struct vec *v,
                                  int *ncases, struct span close,
                                  const char *what, const char *name)
{
  struct case_ **out;
  int i, n = 0, broken = 0;

  out = arena_alloc(p->a, (size_t)(v->len ? v->len : 1) * sizeof *out);
  for (i = 0; i < v->len; i++) {
    struct case_ *c = v->items[i];

    if (!c) {
      broken = 1;
      continue;
    }
    if (n == PARSE_MAX_CASES) {
      parse_error(p, c->kw_span, "'%s %s' has %d cases; the limit is %d "
                  "(split it into functions)", what, name, v->len,
                  PARSE_MAX_CASES);
      broken = 1;
      break;
    }
    if (n > 0 && !out[n - 1]->cond) {
      parse_error(p, c->kw_span, "'%s' case after 'otherwise': "
                  "'otherwise' must be the last case",
                  c->cond ? "when" : "otherwise");
      broken = 1;
      continue;
    }
    out[n++] = c;
  }
  if (!broken && (n == 0 || out[n - 1]->cond))
    parse_error(p, close, "expected an 'otherwise' case at the end of "
                "'%s %s'", what, name);
  *ncases = n;
  return out;
}

struct decl *parse_decl_fn(struct parser *p, enum decl_kind k,
                           const char *name, struct span name_span,
                           struct vec *params, struct type_expr *result,
                           struct expr *body, struct vec *cases,
                           struct span close, struct span sp)
{
  struct decl *d = ast_decl(p->a, k, sp);
  int i;

  d->name = name;
  d->name_span = name_span;
  d->u.fn.nparams = params->len;
  if (params->len) {
    d->u.fn.params =
        arena_alloc(p->a, (size_t)params->len * sizeof(struct param));
    for (i = 0; i < params->len; i++)
      d->u.fn.params[i] = *(struct param *)params->items[i];
  }
  d->u.fn.result_texpr = result;
  d->u.fn.body = body;
  if (cases)
    d->u.fn.cases = parse_cases(p, cases, &d->u.fn.ncases, close, "fn",
                                name);
  return d;
}

struct decl *parse_decl_enum(struct parser *p, enum decl_kind k,
                             const char *name, struct span name_span,
                             struct vec *members, struct span sp)
{
  struct decl *d = ast_decl(p->a, k, sp);
  int i, n = members->len;

  d->name = name;
  d->name_span = name_span;
  d->u.enm.nmembers = n;
  d->u.enm.members = arena_alloc(p->a, (size_t)(n ? n : 1) * sizeof(char *));
  d->u.enm.member_spans =
      arena_alloc(p->a, (size_t)(n ? n : 1) * sizeof(struct span));
  for (i = 0; i < n; i++) {
    struct pitem *it = members->items[i];

    d->u.enm.members[i] = it->name;
    d->u.enm.member_spans[i] = it->span;
  }
  return d;
}

struct decl *parse_decl_input(struct parser *p, struct dotted *path,
                              struct span path_span, struct type_expr *t,
                              struct expr *deflt, int required,
                              struct span sp)
{
  struct decl *d = ast_decl(p->a, D_INPUT, sp);
  int i;

  if (path->parts.len < 2 || !ast_is_root(path->parts.items[0])) {
    parse_error(p, path_span, "an input is a path under customer, order, "
                "item or request, such as 'item.material'");
    return NULL;
  }
  d->name = dotted_text(p, path);
  d->name_span = path_span;
  d->u.input.nparts = path->parts.len;
  d->u.input.parts =
      arena_alloc(p->a, (size_t)path->parts.len * sizeof(char *));
  for (i = 0; i < path->parts.len; i++)
    d->u.input.parts[i] = path->parts.items[i];
  d->u.input.path = d->name;
  d->u.input.texpr = t;
  d->u.input.deflt = deflt;
  d->u.input.required = required;
  return d;
}

struct decl *parse_decl_output(struct parser *p, const char *name,
                               struct span name_span, struct type_expr *t,
                               struct expr *deflt, struct span sp)
{
  struct decl *d = ast_decl(p->a, D_OUTPUT, sp);

  d->name = name;
  d->name_span = name_span;
  d->u.output.texpr = t;
  d->u.output.deflt = deflt;
  return d;
}

struct decl *parse_decl_decide(struct parser *p, const char *name,
                               struct span name_span, struct vec *cases,
                               struct expr *shorthand, struct span close,
                               struct span sp)
{
  struct decl *d = ast_decl(p->a, D_DECIDE, sp);

  d->name = name;
  d->name_span = name_span;
  if (shorthand) {
    /* `decide X = V` is `decide X { otherwise => V }`, located at V's
     * first token (§14): `close` is V as written, its parentheses
     * included, where V's own span starts inside them. */
    d->u.decide.shorthand = 1;
    d->u.decide.ncases = 1;
    d->u.decide.cases = arena_alloc(p->a, sizeof(struct case_ *));
    d->u.decide.cases[0] = parse_case(p, close, NULL, shorthand);
  } else
    d->u.decide.cases = parse_cases(p, cases, &d->u.decide.ncases, close,
                                    "decide", name);
  return d;
}

struct decl *parse_decl_message(struct parser *p, const char *code,
                                struct span code_span, struct vec *texts,
                                struct span sp)
{
  struct decl *d = ast_decl(p->a, D_MESSAGE, sp);
  int i, n = 0;

  d->name_span = code_span;
  d->u.message.code = code;
  d->u.message.texts = arena_alloc(
      p->a, (size_t)(texts->len ? texts->len : 1) *
                sizeof(struct message_text));
  for (i = 0; i < texts->len; i++) {
    /* A text lost to a syntax error: the checks of §8 ("needs an 'en'
     * text") would only add noise to the error already reported. */
    if (!texts->items[i])
      return NULL;
    d->u.message.texts[n++] = *(struct message_text *)texts->items[i];
  }
  d->u.message.ntexts = n;
  return d;
}

/* A reserved word used as a field name: its text. */
const char *parse_word(struct parser *p, struct span sp)
{
  if (sp.end > p->src->len || sp.start > sp.end)
    return "";
  return arena_strndup(p->a, p->src->text + sp.start, sp.end - sp.start);
}

/* Texts of a message are not separated by commas: one error per comma,
 * and the text before it is kept. */
void parse_mtext_comma(struct parser *p, struct span comma)
{
  parse_error(p, comma, "unexpected ',': the texts of a message are "
              "separated by spaces or line breaks, not commas");
}

static struct assign *vec_assigns(struct parser *p, struct vec *v, int *n)
{
  struct assign *out;
  int i;

  *n = 0;
  if (v->len == 0)
    return NULL;
  out = arena_alloc(p->a, (size_t)v->len * sizeof *out);
  for (i = 0; i < v->len; i++)
    if (v->items[i])
      out[(*n)++] = *(struct assign *)v->items[i];
  return out;
}

struct decl *parse_decl_test(struct parser *p, const char *title,
                             struct span title_span, struct vec *given,
                             struct vec *expect, struct span sp)
{
  struct decl *d = ast_decl(p->a, D_TEST, sp);

  d->name_span = title_span;
  d->u.test.title = title;
  d->u.test.given = vec_assigns(p, given, &d->u.test.ngiven);
  d->u.test.expect = vec_assigns(p, expect, &d->u.test.nexpect);
  return d;
}

struct decl *parse_decl_table(struct parser *p, const char *name,
                              struct span name_span, struct vec *items,
                              struct span sp)
{
  struct decl *d = ast_decl(p->a, D_TABLE, sp);
  int cur = strcmp(name, "currency") == 0, i, n = items->len;

  if (!cur && strcmp(name, "country") != 0) {
    parse_error(p, name_span, "unexpected identifier '%s', expected a "
                "declaration", name);
    return NULL;
  }
  d->name = name;
  d->name_span = name_span;
  d->u.table.n = n;
  d->u.table.codes = arena_alloc(p->a, (size_t)n * sizeof(char *));
  d->u.table.spans = arena_alloc(p->a, (size_t)n * sizeof(struct span));
  if (cur)
    d->u.table.numbers = arena_alloc(p->a, (size_t)n * sizeof(int));
  for (i = 0; i < n; i++) {
    struct pitem *it = items->items[i];

    d->u.table.codes[i] = it->name;
    d->u.table.spans[i] = it->span;
    if (cur && !it->has_num)
      parse_error(p, it->span, "expected the minor-unit exponent after "
                  "currency '%s'", it->name);
    else if (!cur && it->has_num)
      parse_error(p, it->span, "a country code takes no number");
    if (cur)
      d->u.table.numbers[i] = (int)it->num;
  }
  return d;
}

/* ----------------------------------------------------------- the driver */

/* Where "unexpected end of file" points: just after the last thing that
 * is not white space. */
static uint32_t parse_eof_offset(const struct source *src)
{
  size_t n = src->len;

  while (n > 0 && (src->text[n - 1] == ' ' || src->text[n - 1] == '\t' ||
                   src->text[n - 1] == '\r' || src->text[n - 1] == '\n'))
    n--;
  return (uint32_t)n;
}

struct file *parse_file(struct arena *a, struct diag_list *d,
                        struct source *src, enum file_kind kind_hint)
{
  struct file *f = arena_alloc(a, sizeof *f);
  struct parser *p = arena_alloc(a, sizeof *p);
  struct lexer *lx = arena_alloc(a, sizeof *lx);
  yyscan_t scanner = NULL;
  jmp_buf *outer = a->oom;
  jmp_buf here;
  int i;

  f->src = src;
  f->kind = kind_hint == FILE_TESTS || kind_hint == FILE_PRELUDE
                ? kind_hint : FILE_POLICY;
  p->a = a;
  p->d = d;
  p->src = src;
  p->file = f;
  p->lx = lx;
  lx->p = p;
  lx->file = src->id;
  lx->eof_off = parse_eof_offset(src);
  lx->start_tok = kind_hint == FILE_TESTS     ? START_TESTS
                  : kind_hint == FILE_PRELUDE ? START_PRELUDE
                                              : START_FILE;

  /* flex's buffers come from malloc: on arena exhaustion, free them
   * before passing the jump on. */
  if (setjmp(here)) {
    a->oom = outer;
    if (scanner)
      rpol_yylex_destroy(scanner);
    if (outer)
      longjmp(*outer, 1);
    abort();
  }
  a->oom = &here;
  /* source_add reported bad bytes (NUL, invalid UTF-8) already: they
   * count against this file even where the scanner does not see them
   * (inside strings and comments). */
  for (i = 0; i < d->len; i++)
    if (d->items[i].level == DIAG_ERROR && d->items[i].has_span &&
        d->items[i].span.file == src->id)
      f->syntax_errors++;
  if (rpol_yylex_init_extra(lx, &scanner) != 0) {
    a->oom = outer;
    diag_error_nospan(d, "%s: out of memory", src->path);
    f->syntax_errors++;
    return f;
  }
  rpol_yy_scan_bytes(src->text, (int)src->len, scanner);
  rpol_yyparse(scanner, p);
  rpol_yylex_destroy(scanner);
  a->oom = outer;

  for (i = 0; i < p->bigints.len; i++) {
    struct expr *e = p->bigints.items[i];

    parse_error(p, e->span, "integer literal does not fit in 64 bits");
    e->u.num.mant = 0;
  }
  f->ndecls = p->decls.len;
  f->decls = (struct decl **)p->decls.items;
  return f;
}
