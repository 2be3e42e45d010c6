/* fmt.c: prints a parsed file in the canonical layout (fmt.h, docs/fmt.md).
 *
 * Two passes over one tree.  flat_*() renders an expression on one line,
 * with the fewest parentheses that keep the tree (§5.1); emit_*() writes
 * it, breaking what does not fit in FMT_WIDTH columns.  Every layout
 * decision reads the tree and the widths of flat renderings, never the
 * author's line breaks: that is what makes the output independent of the
 * input's layout, and formatting idempotent.  The author's layout is read
 * in exactly two places: blank lines between top-level items (kept,
 * collapsed to one) and the position of comments (which also needs the
 * keywords of `given`/`expect`, found by skipping white space and
 * comments, next_token()).
 *
 * Comments.  Printing walks the tree in source order, so the comments
 * (sorted by offset) are merged in as the printer passes their position:
 * anchor() is called where a line starts with a node of known offset and
 * prints the comments before it on lines of their own; at the end of each
 * line, the comments that stood after what that line printed are appended
 * to it ("trailing" comments, one space before '#').  A comment that stood
 * inside an expression printed on one line ends up at the end of that line.
 */
#include "fmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

/* A growable string in the arena (old storage is abandoned). */
struct sb {
  struct arena *a;
  char *s;
  size_t len, cap;
  /* Measuring only (flat_width): nothing is stored, columns are counted
   * up to `limit`; past it, `over` stops the walk, so that measuring costs
   * at most the margin whatever the size of the expression. */
  int measure, over;
  size_t w, limit;
};

struct fmt {
  struct arena *a;
  const struct source *src;
  struct comment **cm;      /* the file's comments, in source order */
  int ncm, next;            /* next comment not printed yet */
  struct sb out;
  int col;                  /* columns used on the current line */
  int line_indent;          /* leading spaces of the current line */
  struct sb trail;          /* trailing comments for the current line */
  uint32_t last_end;        /* source end of the last node printed */
  int lines;                /* lines finished */
  int after_open;           /* the last line opened a block (or nothing is
                               printed yet): no blank line here */
  int dry;                  /* measuring only: comments are left alone */
  int tree;                 /* fmt_file_tree: every compound expression in
                               parentheses, no margin, no comments */
  int width;                /* the margin: FMT_WIDTH, or no limit */
};

/* ---------------------------------------------------------------- text */

static int width_n(const char *s, size_t n);

static void sb_put(struct sb *b, const char *s, size_t n)
{
  if (b->measure) {
    b->w += (size_t)width_n(s, n);
    b->over |= b->w > b->limit;
    return;
  }
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    char *ns;

    while (cap < b->len + n + 1)
      cap *= 2;
    ns = arena_alloc(b->a, cap);
    if (b->len)
      memcpy(ns, b->s, b->len);
    b->s = ns;
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
  sb_put(b, s, strlen(s));
}

static const char *sb_str(struct sb *b)
{
  if (!b->s)
    sb_put(b, "", 0);
  return b->s;
}

/* Width in columns: code points (§1 counts columns that way too). */
static int width_n(const char *s, size_t n)
{
  int w = 0;

  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80)
      w++;
  return w;
}

static int width(const char *s)
{
  return width_n(s, strlen(s));
}

static void put_n(struct fmt *f, const char *s, size_t n)
{
  sb_put(&f->out, s, n);
  f->col += width_n(s, n);
}

static void put(struct fmt *f, const char *s)
{
  put_n(f, s, strlen(s));
}

/* Spaces up to column c; at the start of a line they are its indent. */
static void pad(struct fmt *f, int c)
{
  static const char sp[] = "                                ";

  if (f->col == 0)
    f->line_indent = c;
  while (f->col < c) {
    int n = c - f->col;

    put_n(f, sp, (size_t)(n < 32 ? n : 32));
  }
}

static void mark(struct fmt *f, uint32_t end)
{
  if (end > f->last_end)
    f->last_end = end;
}

/* ------------------------------------------------------------ comments */

/* A comment alone on its line (else it follows code: "trailing"). */
static int own_line(const struct fmt *f, const struct comment *c)
{
  const char *t = f->src->text;
  uint32_t i = c->span.start;

  while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == '\t' || t[i - 1] == '\r'))
    i--;
  return i == 0 || t[i - 1] == '\n';
}

/* Whether the author left a blank line before offset `off`: the white
 * space before it holds two line ends.  Never at the start of the file. */
static int blank_before(const struct fmt *f, uint32_t off)
{
  const char *t = f->src->text;
  uint32_t i = off;
  int nl = 0;

  while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == '\t' ||
                   t[i - 1] == '\r' || t[i - 1] == '\n'))
    nl += t[--i] == '\n';
  return i > 0 && nl >= 2;
}

/* The comment text without trailing white space. */
static void put_comment(struct sb *b, const struct comment *c)
{
  size_t n = strlen(c->text);

  while (n > 0 && (c->text[n - 1] == ' ' || c->text[n - 1] == '\t' ||
                   c->text[n - 1] == '\r'))
    n--;
  sb_put(b, c->text, n);
}

static void add_trail(struct fmt *f, const struct comment *c)
{
  if (f->trail.len)
    sb_put(&f->trail, " ", 1);
  put_comment(&f->trail, c);
}

/* Ends the line, with the trailing comments that belong to it: those
 * before the end of what was printed, and those that followed it on its
 * source line. */
static void newline(struct fmt *f)
{
  while (!f->dry && f->next < f->ncm) {
    const struct comment *c = f->cm[f->next];
    const char *t = f->src->text;
    uint32_t i;

    if (c->span.start >= f->last_end) {
      if (own_line(f, c))
        break;
      for (i = f->last_end; i < c->span.start && t[i] != '\n'; i++)
        ;
      if (i < c->span.start)
        break;
    }
    add_trail(f, c);
    f->next++;
  }
  if (f->trail.len) {
    if (f->col > 0)
      put(f, " ");
    put_n(f, f->trail.s, f->trail.len);
    f->trail.len = 0;
  }
  sb_put(&f->out, "\n", 1);
  f->col = 0;
  f->line_indent = 0;
  f->lines++;
  f->after_open = 0;
}

/* One comment on a line of its own, indented to `ind`. */
static void own_comment(struct fmt *f, const struct comment *c, int ind)
{
  pad(f, ind);
  put_comment(&f->out, c);
  sb_put(&f->out, "\n", 1);
  f->col = 0;
  f->lines++;
  f->after_open = 0;
}

/* Prints the comments that stand before source offset `off`: on lines of
 * their own (indented to `ind`) when the current line is empty, else at
 * the end of the current line. */
static void anchor(struct fmt *f, uint32_t off, int ind)
{
  while (!f->dry && f->next < f->ncm && f->cm[f->next]->span.start < off) {
    const struct comment *c = f->cm[f->next++];

    if (f->col > 0) {
      add_trail(f, c);
      continue;
    }
    if (!f->after_open && f->lines > 0 && blank_before(f, c->span.start))
      sb_put(&f->out, "\n", 1);
    own_comment(f, c, ind);
  }
}

/* ------------------------------------------------------------ literals */

static const char *span_text(const struct fmt *f, struct span sp,
                             size_t *n)
{
  if (sp.end > f->src->len || sp.start > sp.end) {
    *n = 0;
    return "";
  }
  *n = sp.end - sp.start;
  return f->src->text + sp.start;
}

/* Digits (and '_', and '.' when `dot`) only. */
static int all_digits(const char *s, size_t n, int dot)
{
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
          (dot && s[i] == '.')))
      return 0;
  return 1;
}

static void put_decimal(struct sb *b, struct decimal d)
{
  char buf[64];
  uint64_t m = d.mant < 0 ? 0 - (uint64_t)d.mant : (uint64_t)d.mant;
  uint64_t p = 1;
  int i;

  /* The scanner keeps decimals within 18 digits. */
  if (d.scale < 0 || d.scale > 18)
    d.scale = 0;
  for (i = 0; i < d.scale; i++)
    p *= 10;
  if (d.scale > 0)
    snprintf(buf, sizeof buf, "%s%" PRIu64 ".%0*" PRIu64,
             d.mant < 0 ? "-" : "", m / p, d.scale, m % p);
  else
    snprintf(buf, sizeof buf, "%s%" PRIu64, d.mant < 0 ? "-" : "", m);
  sb_puts(b, buf);
}

/* The text of a number token as written (`1_000`, `12.50`), or its value
 * when the span does not hold just the token. */
static void put_number(const struct fmt *f, struct sb *b, struct span sp,
                       size_t upto, struct decimal d, int dot)
{
  size_t n;
  const char *s = span_text(f, sp, &n);

  if (upto < n)
    n = upto;
  if (all_digits(s, n, dot))
    sb_put(b, s, n);
  else
    put_decimal(b, d);
}

/* The length of the leading run of number characters of s. */
static size_t num_run(const char *s, size_t n)
{
  size_t i = 0;

  while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
                   s[i] == '.'))
    i++;
  return i;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
  int64_t era, yy;
  unsigned doe, yoe, doy, mp;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (unsigned)(z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  yy = (int64_t)yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int)(yy + (*m <= 2));
}

/* A string literal with the canonical escapes: \" \\ \n \t, and \u{X}
 * for the other control characters; everything else as itself. */
/* Strings that are values may hold U+0000 (§1), so they are printed by
 * length; the others (names, codes, titles) end at their NUL. */
static void put_string_n(struct sb *b, const char *s, size_t n)
{
  sb_put(b, "\"", 1);
  for (; n > 0; s++, n--) {
    unsigned char c = (unsigned char)*s;
    char buf[16];

    if (c == '"')
      sb_puts(b, "\\\"");
    else if (c == '\\')
      sb_puts(b, "\\\\");
    else if (c == '\n')
      sb_puts(b, "\\n");
    else if (c == '\t')
      sb_puts(b, "\\t");
    else if (c < 0x20 || c == 0x7f) {
      snprintf(buf, sizeof buf, "\\u{%X}", c);
      sb_puts(b, buf);
    } else
      sb_put(b, s, 1);
  }
  sb_put(b, "\"", 1);
}

static void put_string(struct sb *b, const char *s)
{
  put_string_n(b, s, strlen(s));
}

static int is_ident(const char *s)
{
  if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
    return 0;
  for (const char *p = s + 1; *p; p++)
    if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9')))
      return 0;
  for (int i = 0; parse_reserved_words[i]; i++)
    if (strcmp(parse_reserved_words[i], s) == 0)
      return 0;
  return 1;
}

/* --------------------------------------------------------- expressions */

/* Precedence levels of §5.1, loosest first. */
enum {
  P_IF = 1, P_COAL, P_OR, P_AND, P_NOT, P_CMP, P_ADD, P_OF, P_MUL, P_NEG,
  P_ATOM
};

static int is_binlike(const struct expr *e)
{
  return e->kind == EX_BINARY || e->kind == EX_IN || e->kind == EX_OF ||
         e->kind == EX_COALESCE;
}

static int prec(const struct expr *e)
{
  switch (e->kind) {
  case EX_IF:
    return P_IF;
  case EX_COALESCE:
    return P_COAL;
  case EX_IN:
    return P_CMP;
  case EX_OF:
    return P_OF;
  case EX_UNARY:
    return e->u.unary.op == UN_NOT ? P_NOT : P_NEG;
  case EX_INT:
    /* The folded -9223372036854775808 prints as a unary minus. */
    return e->u.num.mant < 0 ? P_NEG : P_ATOM;
  case EX_BINARY:
    switch (e->u.bin.op) {
    case BIN_OR:
      return P_OR;
    case BIN_AND:
      return P_AND;
    case BIN_ADD:
    case BIN_SUB:
      return P_ADD;
    case BIN_MUL:
    case BIN_DIV:
      return P_MUL;
    default:
      return P_CMP;
    }
  default:
    return P_ATOM;
  }
}

/* The loosest levels the grammar accepts as each operand (rpol.y):
 * `??` and `of` are right-associative, comparisons non-associative. */
static void operand_mins(const struct expr *e, int *lmin, int *rmin)
{
  switch (prec(e)) {
  case P_COAL:
    *lmin = P_OR, *rmin = P_COAL;
    break;
  case P_OR:
    *lmin = P_OR, *rmin = P_AND;
    break;
  case P_AND:
    *lmin = P_AND, *rmin = P_NOT;
    break;
  case P_CMP:
    *lmin = P_ADD, *rmin = P_ADD;
    break;
  case P_ADD:
    *lmin = P_ADD, *rmin = P_OF;
    break;
  case P_OF:
    *lmin = P_MUL, *rmin = P_OF;
    break;
  default:
    *lmin = P_MUL, *rmin = P_NEG;
    break;
  }
}

static const struct expr *lhs_of(const struct expr *e)
{
  return e->kind == EX_IN ? e->u.in.elem : e->u.bin.lhs;
}

static const struct expr *rhs_of(const struct expr *e)
{
  return e->kind == EX_IN ? e->u.in.set : e->u.bin.rhs;
}

static const char *op_text(const struct expr *e)
{
  static const char *const bin[] = {
    [BIN_ADD] = "+", [BIN_SUB] = "-", [BIN_MUL] = "*", [BIN_DIV] = "/",
    [BIN_EQ] = "==", [BIN_NE] = "!=", [BIN_LT] = "<", [BIN_LE] = "<=",
    [BIN_GT] = ">", [BIN_GE] = ">=", [BIN_AND] = "and", [BIN_OR] = "or"
  };

  switch (e->kind) {
  case EX_IN:
    return e->u.in.negated ? "not in" : "in";
  case EX_OF:
    return "of";
  case EX_COALESCE:
    return "??";
  default:
    return bin[e->u.bin.op];
  }
}

static int paren(const struct expr *e, int min, int rightmost);

/* Whether e, printed without parentheses, ends in an `if`, which would
 * take in whatever followed it (an `if` extends as far right as it can). */
static int ends_open(const struct expr *e)
{
  int lmin, rmin;

  if (e->kind == EX_IF)
    return 1;
  if (e->kind == EX_UNARY)
    return !paren(e->u.unary.operand,
                  e->u.unary.op == UN_NOT ? P_NOT : P_NEG, 1) &&
           ends_open(e->u.unary.operand);
  if (!is_binlike(e))
    return 0;
  operand_mins(e, &lmin, &rmin);
  return !paren(rhs_of(e), rmin, 1) && ends_open(rhs_of(e));
}

/* Whether e needs parentheses where the grammar wants level `min` or
 * tighter; `rightmost`: nothing of the enclosing expression follows e, so
 * an `if` may stand there bare (the grammar's open forms). */
static int paren(const struct expr *e, int min, int rightmost)
{
  if (e->kind == EX_IF)
    return !rightmost;
  if (prec(e) < min)
    return 1;
  return !rightmost && ends_open(e);
}

static void flat(const struct fmt *f, struct sb *b, const struct expr *e);

static void flat_child(const struct fmt *f, struct sb *b,
                       const struct expr *e, int min, int rightmost)
{
  if (paren(e, min, rightmost) || (f->tree && prec(e) < P_ATOM)) {
    sb_put(b, "(", 1);
    flat(f, b, e);
    sb_put(b, ")", 1);
  } else
    flat(f, b, e);
}

static void flat_leaf(const struct fmt *f, struct sb *b, const struct expr *e)
{
  size_t n, k;
  const char *s;
  char buf[32];

  switch (e->kind) {
  case EX_INT:
    if (e->u.num.mant < 0) {
      /* Folded `-9223372036854775808`: the digits end the span. */
      s = span_text(f, e->span, &n);
      k = n;
      while (k > 0 && ((s[k - 1] >= '0' && s[k - 1] <= '9') ||
                       s[k - 1] == '_'))
        k--;
      sb_put(b, "-", 1);
      if (k < n)
        sb_put(b, s + k, n - k);
      else
        sb_puts(b, "9223372036854775808");
    } else
      put_number(f, b, e->span, (size_t)-1, e->u.num, 0);
    break;
  case EX_DEC:
    put_number(f, b, e->span, (size_t)-1, e->u.num, 1);
    break;
  case EX_PERCENT:
    s = span_text(f, e->span, &n);
    put_number(f, b, e->span, num_run(s, n), e->u.num, 1);
    sb_put(b, "%", 1);
    break;
  case EX_MONEY:
    s = span_text(f, e->span, &n);
    put_number(f, b, e->span, num_run(s, n), e->u.money.amount, 1);
    sb_put(b, " ", 1);
    sb_puts(b, e->u.money.code ? e->u.money.code : "");
    break;
  case EX_DURATION: {
    /* `3 days`, `1 week`: the count and the unit word as written. */
    int week;
    struct decimal d = {0, 0};

    s = span_text(f, e->span, &n);
    k = n;
    while (k > 0 && s[k - 1] >= 'a' && s[k - 1] <= 'z')
      k--;
    week = n - k >= 4 && s[k] == 'w';
    d.mant = week ? e->u.days / 7 : e->u.days;
    put_number(f, b, e->span, num_run(s, n), d, 0);
    sb_put(b, " ", 1);
    if (k < n)
      sb_put(b, s + k, n - k);
    else
      sb_puts(b, "days");
    break;
  }
  case EX_DATE: {
    int y;
    unsigned m, d;

    civil_from_days(e->u.days, &y, &m, &d);
    snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
    sb_puts(b, buf);
    break;
  }
  case EX_STRING:
    put_string_n(b, e->u.str ? e->u.str : "",
                 e->u.str ? (size_t)e->str_len : 0);
    break;
  case EX_BOOL:
    sb_puts(b, e->u.b ? "true" : "false");
    break;
  case EX_VERDICT:
    sb_puts(b, e->u.verdict.kind == VERDICT_ALLOW    ? "allow"
               : e->u.verdict.kind == VERDICT_DENY ? "deny"
                                                    : "review");
    if (e->u.verdict.kind != VERDICT_ALLOW && e->u.verdict.code) {
      sb_put(b, " ", 1);
      put_string(b, e->u.verdict.code);
    }
    break;
  case EX_NAME:
    sb_puts(b, e->u.name);
    break;
  case EX_QUALIFIED:
    sb_puts(b, e->u.qual.enum_name);
    sb_put(b, ".", 1);
    sb_puts(b, e->u.qual.member);
    break;
  case EX_PATH:
    sb_puts(b, e->u.path.text);
    break;
  default:
    break;
  }
}

static void flat(const struct fmt *f, struct sb *b, const struct expr *e)
{
  int lmin, rmin, i;

  if (b->over)
    return;

  switch (e->kind) {
  case EX_UNARY:
    sb_puts(b, e->u.unary.op == UN_NOT ? "not " : "-");
    flat_child(f, b, e->u.unary.operand,
               e->u.unary.op == UN_NOT ? P_NOT : P_NEG, 1);
    break;
  case EX_BINARY:
  case EX_IN:
  case EX_OF:
  case EX_COALESCE:
    operand_mins(e, &lmin, &rmin);
    flat_child(f, b, lhs_of(e), lmin, 0);
    sb_put(b, " ", 1);
    sb_puts(b, op_text(e));
    sb_put(b, " ", 1);
    flat_child(f, b, rhs_of(e), rmin, 1);
    break;
  case EX_IF:
    sb_puts(b, "if ");
    flat(f, b, e->u.cond.cond);
    sb_puts(b, " then ");
    flat(f, b, e->u.cond.then);
    sb_puts(b, " else ");
    flat(f, b, e->u.cond.els);
    break;
  case EX_CALL:
    sb_puts(b, e->u.call.name);
    sb_put(b, "(", 1);
    for (i = 0; i < e->u.call.nargs; i++) {
      if (i)
        sb_puts(b, ", ");
      flat(f, b, e->u.call.args[i]);
    }
    sb_put(b, ")", 1);
    break;
  case EX_SET:
    sb_put(b, "{", 1);
    for (i = 0; i < e->u.set.n; i++) {
      if (i)
        sb_puts(b, ", ");
      flat(f, b, e->u.set.elems[i]);
    }
    sb_put(b, "}", 1);
    break;
  default:
    flat_leaf(f, b, e);
    break;
  }
}

/* e on one line, parenthesised where its place needs it. */
static const char *flat_str(const struct fmt *f, const struct expr *e,
                            int min, int rightmost)
{
  struct sb b = {.a = f->a};

  flat_child(f, &b, e, min, rightmost);
  return sb_str(&b);
}

/* The width of flat_str(), or more than the margin when it does not
 * fit on a line. */
static int flat_width(const struct fmt *f, const struct expr *e, int min,
                      int rightmost)
{
  struct sb b = {.a = f->a, .measure = 1, .limit = (size_t)f->width + 1};

  flat_child(f, &b, e, min, rightmost);
  return b.over ? f->width + 1 : (int)b.w;
}

/* A bracketed construct that breaks inside its brackets. */
static int huggable(const struct expr *e)
{
  return (e->kind == EX_CALL && e->u.call.nargs > 0) ||
         (e->kind == EX_SET && e->u.set.n > 0);
}

static int hug_width(const struct expr *e)
{
  return e->kind == EX_CALL ? width(e->u.call.name) + 1 : 1;
}

static void emit(struct fmt *f, const struct expr *e, int min, int rightmost,
                 int tail);

/* `name(` or `{`, one element per line, then the closer at the indent of
 * the line that opened it. */
static void emit_bracket(struct fmt *f, const struct expr *e)
{
  int li = f->line_indent, n, i;
  struct expr **items;

  if (e->kind == EX_CALL) {
    put(f, e->u.call.name);
    put(f, "(");
    items = e->u.call.args;
    n = e->u.call.nargs;
  } else {
    put(f, "{");
    items = e->u.set.elems;
    n = e->u.set.n;
  }
  newline(f);
  for (i = 0; i < n; i++) {
    anchor(f, items[i]->span.start, li + 2);
    pad(f, li + 2);
    /* A call takes no trailing comma; a set gets one on every line. */
    emit(f, items[i], P_IF, 1, 1);
    if (e->kind == EX_SET || i < n - 1)
      put(f, ",");
    newline(f);
  }
  if (e->span.end > 0)
    anchor(f, e->span.end - 1, li + 2);
  pad(f, li);
  put(f, e->kind == EX_CALL ? ")" : "}");
  mark(f, e->span.end);
}

/* The operands of a chain of one precedence level (`a + b - c`,
 * `a and b and c`, `p of q of m`), in source order, with the operators
 * between them. */
struct chain {
  const struct expr *item[64];
  const char *op[64];
  int n;
};

static void chain_collect(const struct expr *e, struct chain *c)
{
  int lmin, rmin, p = prec(e);
  const struct expr *stack[64];
  int ns = 0;

  operand_mins(e, &lmin, &rmin);
  c->n = 0;
  if (p == P_COAL || p == P_OF) {
    /* Right-associative: walk down the right operands. */
    for (;;) {
      const struct expr *r = rhs_of(e);

      c->item[c->n] = lhs_of(e);
      c->op[c->n++] = op_text(e);
      if (c->n < 62 && is_binlike(r) && prec(r) == p && !paren(r, rmin, 1)) {
        e = r;
        continue;
      }
      c->item[c->n++] = r;
      return;
    }
  }
  /* Left-associative (comparisons: a single pair): down the left. */
  while (ns < 62 && is_binlike(e) && prec(e) == p) {
    stack[ns++] = e;
    if (p == P_CMP || !is_binlike(lhs_of(e)) || prec(lhs_of(e)) != p ||
        paren(lhs_of(e), lmin, 0))
      break;
    e = lhs_of(e);
  }
  c->item[c->n++] = lhs_of(stack[ns - 1]);
  while (ns > 0) {
    const struct expr *x = stack[--ns];

    c->op[c->n - 1] = op_text(x);
    c->item[c->n++] = rhs_of(x);
  }
}

static void emit_chain(struct fmt *f, const struct expr *e, int tail)
{
  struct chain ch;
  int lmin, rmin, c = f->col, i, p = prec(e), hug;
  int right = p == P_COAL || p == P_OF;

  operand_mins(e, &lmin, &rmin);
  chain_collect(e, &ch);
  for (i = 0; i < ch.n; i++) {
    int last = i == ch.n - 1;
    int min = (right ? !last : i == 0) ? lmin : rmin;
    int rm = right ? last : i > 0;
    int t = last ? tail : 0, w;

    if (i == 0) {
      emit(f, ch.item[i], min, rm, t);
      continue;
    }
    if (p == P_AND || p == P_OR) {
      /* and/or: one operand per line, the operator first. */
      newline(f);
      anchor(f, ch.item[i]->span.start, c);
      pad(f, c);
      put(f, ch.op[i - 1]);
      put(f, " ");
      emit(f, ch.item[i], min, rm, t);
      continue;
    }
    /* Same line if it fits or opens a set there; else on a continuation
     * line if it fits there; else same line if it opens a bracket. */
    w = flat_width(f, ch.item[i], min, rm);
    hug = huggable(ch.item[i]) && !paren(ch.item[i], min, rm) &&
          f->col + 2 + width(ch.op[i - 1]) + hug_width(ch.item[i]) <=
              f->width;
    if (f->col + 2 + width(ch.op[i - 1]) + w + t <= f->width ||
        (hug && (ch.item[i]->kind == EX_SET ||
                 c + 3 + width(ch.op[i - 1]) + w + t > f->width))) {
      put(f, " ");
      put(f, ch.op[i - 1]);
      put(f, " ");
    } else {
      newline(f);
      anchor(f, ch.item[i]->span.start, c + 2);
      pad(f, c + 2);
      put(f, ch.op[i - 1]);
      put(f, " ");
    }
    emit(f, ch.item[i], min, rm, t);
  }
}

/* Whether a comment on a line of its own stands in [start, end). */
static int own_comment_in(const struct fmt *f, uint32_t start, uint32_t end)
{
  for (int i = f->next; i < f->ncm; i++) {
    const struct comment *c = f->cm[i];

    if (c->span.start >= end)
      break;
    if (c->span.start > start && own_line(f, c))
      return 1;
  }
  return 0;
}

/* Whether a comment on a line of its own stands inside e: then a bracket,
 * an and/or chain or an `if` is broken so that the comment keeps its own
 * line. */
static int has_own_comment(const struct fmt *f, const struct expr *e)
{
  int forceable = huggable(e) || e->kind == EX_IF ||
                  (e->kind == EX_BINARY && (e->u.bin.op == BIN_AND ||
                                            e->u.bin.op == BIN_OR));

  return forceable && own_comment_in(f, e->span.start, e->span.end);
}

static int breakable(const struct expr *e)
{
  return huggable(e) || is_binlike(e) || e->kind == EX_IF ||
         (e->kind == EX_UNARY && breakable(e->u.unary.operand));
}

/* Writes e at the current column, broken over lines when it does not fit
 * with `tail` more columns after it. */
static void emit(struct fmt *f, const struct expr *e, int min, int rightmost,
                 int tail)
{
  int c = f->col, w = flat_width(f, e, min, rightmost);

  if ((c + w + tail <= f->width && !has_own_comment(f, e)) ||
      !breakable(e)) {
    put(f, flat_str(f, e, min, rightmost));
    mark(f, e->span.end);
    return;
  }
  if (paren(e, min, rightmost)) {
    put(f, "(");
    emit(f, e, P_IF, 1, tail + 1);
    put(f, ")");
    return;
  }
  switch (e->kind) {
  case EX_IF:
    put(f, "if ");
    emit(f, e->u.cond.cond, P_IF, 1, 0);
    newline(f);
    anchor(f, e->u.cond.then->span.start, c);
    pad(f, c);
    put(f, "then ");
    emit(f, e->u.cond.then, P_IF, 1, 0);
    newline(f);
    anchor(f, e->u.cond.els->span.start, c);
    pad(f, c);
    put(f, "else ");
    emit(f, e->u.cond.els, P_IF, 1, tail);
    break;
  case EX_UNARY:
    put(f, e->u.unary.op == UN_NOT ? "not " : "-");
    emit(f, e->u.unary.operand, e->u.unary.op == UN_NOT ? P_NOT : P_NEG, 1,
         tail);
    break;
  case EX_CALL:
  case EX_SET:
    emit_bracket(f, e);
    break;
  default:
    emit_chain(f, e, tail);
    break;
  }
}

/* The value after `=` (the `=` is printed): on the same line when it fits
 * or opens a bracket there, else on the next line, indented. */
static void emit_value(struct fmt *f, const struct expr *e, int ind)
{
  int w = flat_width(f, e, P_IF, 1);
  int hug = huggable(e) && f->col + 1 + hug_width(e) <= f->width;

  /* Same line if it fits or opens a set there; else on the next line if
   * it fits there; else same line if it opens a bracket. */
  int forced = has_own_comment(f, e);

  if ((f->col + 1 + w <= f->width && !forced) ||
      (hug && (e->kind == EX_SET || forced || ind + 2 + w > f->width))) {
    put(f, " ");
    emit(f, e, P_IF, 1, 0);
    return;
  }
  newline(f);
  anchor(f, e->span.start, ind + 2);
  pad(f, ind + 2);
  emit(f, e, P_IF, 1, 0);
}

/* -------------------------------------------------------- declarations */

static void put_sb(struct fmt *f, struct sb *b)
{
  put(f, sb_str(b));
}

static void put_str(struct fmt *f, const char *s)
{
  struct sb b = {.a = f->a};

  put_string(&b, s ? s : "");
  put_sb(f, &b);
}

static void type_text(struct sb *b, const struct type_expr *t)
{
  if (!t)
    return;
  if (t->elem) {
    sb_puts(b, "set<");
    type_text(b, t->elem);
    sb_puts(b, ">");
  } else
    sb_puts(b, t->name);
}

static void put_type(struct fmt *f, const struct type_expr *t)
{
  struct sb b = {.a = f->a};

  type_text(&b, t);
  put_sb(f, &b);
}

static void open_block(struct fmt *f)
{
  put(f, " {");
  newline(f);
  f->after_open = 1;
}

/* The closing brace at source offset `at` (comments before it stay inside
 * the block). */
static void close_block(struct fmt *f, uint32_t at, int ind)
{
  anchor(f, at, ind + 2);
  pad(f, ind);
  put(f, "}");
  mark(f, at + 1);
  newline(f);
}

static uint32_t close_of(const struct decl *d)
{
  return d->span.end > d->span.start ? d->span.end - 1 : d->span.end;
}

/* Case blocks (decide, fn): `=>` aligned in one column, the column of the
 * longest `when COND` among the cases that fit on one line. */
static void emit_cases(struct fmt *f, struct case_ **cases, int n, int ind)
{
  int i, a = 0;

  int *hw = arena_alloc(f->a, sizeof *hw * (size_t)(n + 1));
  int *vw = arena_alloc(f->a, sizeof *vw * (size_t)(n + 1));
  int j, best = 0;

  for (i = 0; i < n; i++) {
    hw[i] = cases[i]->cond ? 5 + flat_width(f, cases[i]->cond, P_IF, 1)
                           : 9;
    vw[i] = flat_width(f, cases[i]->value, P_IF, 1);
  }
  /* The column that puts the most cases on one line (the leftmost of
   * equals): one long condition does not push every `=>` to the right. */
  for (i = 0; i < n; i++) {
    int cnt = 0;

    if (ind + hw[i] + 4 + vw[i] > f->width)
      continue;
    for (j = 0; j < n; j++)
      cnt += hw[j] <= hw[i] && ind + hw[i] + 4 + vw[j] <= f->width;
    if (cnt > best || (cnt == best && hw[i] < a)) {
      best = cnt;
      a = hw[i];
    }
  }
  for (i = 0; i < n; i++) {
    const struct case_ *c = cases[i];

    int lines;

    anchor(f, c->kw_span.start, ind);
    pad(f, ind);
    lines = f->lines;
    if (c->cond) {
      put(f, "when ");
      emit(f, c->cond, P_IF, 1, 0);
    } else {
      put(f, "otherwise");
      mark(f, c->kw_span.end);
    }
    if (hw[i] <= a && f->lines == lines && f->col <= ind + a &&
        (ind + a + 4 + vw[i] <= f->width ||
         (c->value->kind == EX_SET && huggable(c->value) &&
          ind + a + 5 <= f->width))) {
      pad(f, ind + a);
      put(f, " => ");
    } else {
      /* On the next line, under the others if it fits there. */
      newline(f);
      anchor(f, c->value->span.start, ind + 4);
      pad(f, a > 0 && ind + a + 4 + vw[i] <= f->width ? ind + a + 1
                                                        : ind + 4);
      put(f, "=> ");
    }
    emit(f, c->value, P_IF, 1, 0);
    newline(f);
  }
}

/* `(a: int, b: money) -> T`; when that and what follows (`tail`) does
 * not fit, one parameter per line, as the arguments of a long call. */
static void emit_params(struct fmt *f, const struct decl *d, int tail)
{
  int n = d->u.fn.nparams, w = f->col + 5, i;
  const char **ps = arena_alloc(f->a, sizeof *ps * (size_t)(n + 1));
  struct sb r = {.a = f->a};

  type_text(&r, d->u.fn.result_texpr);
  w += width(sb_str(&r)) + tail;
  for (i = 0; i < n; i++) {
    struct sb b = {.a = f->a};

    sb_puts(&b, d->u.fn.params[i].name);
    sb_puts(&b, ": ");
    type_text(&b, d->u.fn.params[i].texpr);
    ps[i] = sb_str(&b);
    w += width(ps[i]) + (i ? 2 : 0);
  }
  put(f, "(");
  if (w <= f->width || n == 0) {
    for (i = 0; i < n; i++) {
      if (i)
        put(f, ", ");
      put(f, ps[i]);
    }
  } else {
    newline(f);
    for (i = 0; i < n; i++) {
      anchor(f, d->u.fn.params[i].span.start, 2);
      pad(f, 2);
      put(f, ps[i]);
      if (i < n - 1)
        put(f, ",");
      mark(f, d->u.fn.params[i].texpr ? d->u.fn.params[i].texpr->span.end
                                      : d->u.fn.params[i].span.end);
      newline(f);
    }
  }
  put(f, ") -> ");
  put_sb(f, &r);
  mark(f, d->u.fn.result_texpr ? d->u.fn.result_texpr->span.end
                               : d->name_span.end);
}

/* Names filled up to the margin, on lines indented by 2, or one per line
 * when a comment on a line of its own stands among them. */
static void emit_fill(struct fmt *f, const char *const *items,
                      const struct span *spans, int n, int comma_last,
                      uint32_t start, uint32_t end)
{
  int one = own_comment_in(f, start, end);

  for (int i = 0; i < n; i++) {
    int last = i == n - 1;
    int need = width(items[i]) + (!last || comma_last);

    if (i == 0 || one || f->col + 1 + need > f->width) {
      if (i > 0 || f->col > 0)
        newline(f);
      anchor(f, spans[i].start, 2);
      pad(f, 2);
    } else
      put(f, " ");
    put(f, items[i]);
    if (!last || comma_last)
      put(f, ",");
    mark(f, spans[i].end);
  }
  newline(f);
}

/* `enum X { a, b }` on one line, else the members filled in a block. */
static void emit_members(struct fmt *f, const struct decl *d)
{
  struct sb b = {.a = f->a};
  int i, n = d->u.enm.nmembers;

  sb_puts(&b, " {");
  for (i = 0; i < n; i++) {
    sb_puts(&b, i ? ", " : " ");
    sb_puts(&b, d->u.enm.members[i]);
  }
  sb_puts(&b, n ? " }" : "}");
  if (f->col + width(sb_str(&b)) <= f->width &&
      !own_comment_in(f, d->span.start, d->span.end)) {
    put_sb(f, &b);
    mark(f, d->span.end);
    newline(f);
    return;
  }
  open_block(f);
  if (n > 0)
    emit_fill(f, d->u.enm.members, d->u.enm.member_spans, n, 0,
              d->span.start, d->span.end);
  close_block(f, close_of(d), 0);
}

/* The offset of the next token at or after `off`: white space, comments
 * and (`parens`) the closing parentheses around the end of an expression,
 * which its span leaves out, are skipped.  Only the braces and keywords of
 * `given` and `expect` are found this way, since the tree does not locate
 * them: comments stay inside or outside those blocks as written. */
static uint32_t next_token(const struct fmt *f, uint32_t off, int parens)
{
  const char *t = f->src->text;

  while (off < f->src->len) {
    char c = t[off];

    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
        (parens && c == ')'))
      off++;
    else if (c == '#')
      while (off < f->src->len && t[off] != '\n')
        off++;
    else
      break;
  }
  return off;
}

static int text_at(const struct fmt *f, uint32_t off, const char *w)
{
  size_t n = strlen(w);

  return off + n <= f->src->len && memcmp(f->src->text + off, w, n) == 0;
}

/* `given { ... }` or `expect { ... }` of a test; `*at` is where its
 * keyword should stand in the source (0: unknown), and is moved past the
 * block. */
static void emit_assigns(struct fmt *f, const char *kw,
                         const struct assign *as, int n, uint32_t *at)
{
  uint32_t kwoff = *at && text_at(f, *at, kw) ? *at : 0, close;

  if (n == 0) {
    /* An empty block is left out; its comments go with what follows. */
    if (kwoff) {
      uint32_t p = next_token(f, kwoff + (uint32_t)strlen(kw), 0);

      p = text_at(f, p, "{") ? next_token(f, p + 1, 0) : p;
      if (text_at(f, p, "}"))
        *at = next_token(f, p + 1, 0);
    }
    return;
  }
  anchor(f, kwoff ? kwoff : as[0].target_span.start, 2);
  pad(f, 2);
  put(f, kw);
  if (kwoff)
    mark(f, kwoff + (uint32_t)strlen(kw));
  open_block(f);
  for (int i = 0; i < n; i++) {
    anchor(f, as[i].target_span.start, 4);
    pad(f, 4);
    put(f, as[i].target);
    put(f, " =");
    mark(f, as[i].target_span.end);
    emit_value(f, as[i].value, 4);
    newline(f);
  }
  close = next_token(f, as[n - 1].value->span.end, 1);
  *at = 0;
  if (text_at(f, close, "}")) {
    anchor(f, close, 4);
    *at = next_token(f, close + 1, 0);
  }
  pad(f, 2);
  put(f, "}");
  if (*at)
    mark(f, close + 1);
  newline(f);
}

/* `country AD, AE, ...` (prelude tables): on one line, else the name
 * alone and the entries filled below it. */
static void emit_table(struct fmt *f, const struct decl *d)
{
  const char **items = arena_alloc(f->a, sizeof *items *
                                             (size_t)(d->u.table.n + 1));
  int i, w = width(d->name);

  for (i = 0; i < d->u.table.n; i++) {
    items[i] = d->u.table.numbers
                   ? arena_printf(f->a, "%s %d", d->u.table.codes[i],
                                  d->u.table.numbers[i])
                   : d->u.table.codes[i];
    w += width(items[i]) + 2;
  }
  put(f, d->name);
  mark(f, d->name_span.end);
  if (w - 1 <= f->width && !own_comment_in(f, d->span.start, d->span.end)) {
    for (i = 0; i < d->u.table.n; i++) {
      put(f, i ? ", " : " ");
      put(f, items[i]);
      mark(f, d->u.table.spans[i].end);
    }
    newline(f);
    return;
  }
  emit_fill(f, items, d->u.table.spans, d->u.table.n, 0, d->span.start,
            d->span.end);
}

static void emit_decl(struct fmt *f, const struct decl *d)
{
  int i;
  uint32_t at;

  anchor(f, d->span.start, 0);
  switch (d->kind) {
  case D_USE:
    put(f, "use ");
    put_str(f, d->u.use.path);
    mark(f, d->span.end);
    newline(f);
    break;
  case D_REGION:
  case D_CONST:
  case D_LET:
    put(f, d->kind == D_REGION ? "region " : d->kind == D_CONST ? "const "
                                                                  : "let ");
    put(f, d->name);
    if (d->u.value.texpr) {
      put(f, ": ");
      put_type(f, d->u.value.texpr);
    }
    put(f, " =");
    mark(f, d->name_span.end);
    emit_value(f, d->u.value.init, 0);
    newline(f);
    break;
  case D_FN:
  case D_EXTERN:
    put(f, d->kind == D_FN ? "fn " : "extern fn ");
    put(f, d->name);
    mark(f, d->name_span.end);
    emit_params(f, d, d->kind == D_EXTERN ? 0 : 2);
    if (d->kind == D_EXTERN) {
      newline(f);
    } else if (d->u.fn.body) {
      put(f, " =");
      emit_value(f, d->u.fn.body, 0);
      newline(f);
    } else {
      open_block(f);
      emit_cases(f, d->u.fn.cases, d->u.fn.ncases, 2);
      close_block(f, close_of(d), 0);
    }
    break;
  case D_ENUM:
  case D_EXTEND:
    put(f, d->kind == D_ENUM ? "enum " : "extend enum ");
    put(f, d->name);
    mark(f, d->name_span.end);
    emit_members(f, d);
    break;
  case D_INPUT:
    put(f, "input ");
    put(f, d->u.input.path);
    put(f, ": ");
    put_type(f, d->u.input.texpr);
    mark(f, d->name_span.end);
    if (d->u.input.deflt) {
      put(f, " =");
      emit_value(f, d->u.input.deflt, 0);
    } else if (d->u.input.required) {
      put(f, " required");
      mark(f, d->span.end);
    }
    newline(f);
    break;
  case D_OUTPUT:
    put(f, "output ");
    put(f, d->name);
    put(f, ": ");
    put_type(f, d->u.output.texpr);
    mark(f, d->name_span.end);
    if (d->u.output.deflt) {
      put(f, " =");
      emit_value(f, d->u.output.deflt, 0);
    }
    newline(f);
    break;
  case D_DECIDE:
    put(f, "decide ");
    put(f, d->name);
    mark(f, d->name_span.end);
    if (d->u.decide.shorthand && d->u.decide.ncases == 1) {
      put(f, " =");
      emit_value(f, d->u.decide.cases[0]->value, 0);
      newline(f);
    } else {
      open_block(f);
      emit_cases(f, d->u.decide.cases, d->u.decide.ncases, 2);
      close_block(f, close_of(d), 0);
    }
    break;
  case D_MESSAGE:
    put(f, "message ");
    put_str(f, d->u.message.code);
    mark(f, d->name_span.end);
    open_block(f);
    for (i = 0; i < d->u.message.ntexts; i++) {
      const struct message_text *m = &d->u.message.texts[i];

      anchor(f, m->span.start, 2);
      pad(f, 2);
      if (is_ident(m->locale))
        put(f, m->locale);
      else
        put_str(f, m->locale);
      put(f, ": ");
      put_str(f, m->text);
      mark(f, m->span.end);
      newline(f);
    }
    close_block(f, close_of(d), 0);
    break;
  case D_TEST:
    put(f, "test ");
    put_str(f, d->u.test.title);
    mark(f, d->name_span.end);
    open_block(f);
    at = next_token(f, d->name_span.end, 0);
    at = text_at(f, at, "{") ? next_token(f, at + 1, 0) : 0;
    emit_assigns(f, "given", d->u.test.given, d->u.test.ngiven, &at);
    emit_assigns(f, "expect", d->u.test.expect, d->u.test.nexpect, &at);
    close_block(f, close_of(d), 0);
    break;
  case D_TABLE:
    emit_table(f, d);
    break;
  }
}

/* ---------------------------------------------------------------- files */

enum { KIND_HEADER = -1, KIND_NONE = -2 };

/* Lines d takes, measured on a scratch printer that prints no comment
 * (a comment never adds a line to a declaration printed on one line). */
static int decl_lines(const struct fmt *f, const struct decl *d)
{
  struct fmt g = *f;

  g.dry = 1;
  g.out = (struct sb){.a = f->a};
  g.trail = (struct sb){.a = f->a};
  g.col = 0;
  g.lines = 0;
  emit_decl(&g, d);
  return g.lines;
}

static void emit_header(struct fmt *f, const struct file *file)
{
  /* The comments above the header, and the author's blank line. */
  while (f->next < f->ncm &&
         f->cm[f->next]->span.start < file->header_span.start) {
    const struct comment *c = f->cm[f->next++];

    if (f->lines > 0 && blank_before(f, c->span.start))
      sb_put(&f->out, "\n", 1);
    own_comment(f, c, 0);
  }
  if (f->lines > 0 && !f->tree &&
      blank_before(f, file->header_span.start))
    sb_put(&f->out, "\n", 1);
  if (file->kind == FILE_MODULE) {
    put(f, "module ");
    put_str(f, file->name);
  } else {
    put(f, "policy ");
    put_str(f, file->name);
    put(f, " version ");
    put_str(f, file->version);
  }
  /* The version string's end is not recorded: the keyword stands in
   * (newline() still takes the comments on the header's line). */
  mark(f, file->for_set ? file->header_span.start : file->header_span.end);
  newline(f);
  /* A module's `for` is an error for the checker, kept as written. */
  if (file->for_set && file->for_subject) {
    anchor(f, file->for_span.start, 0);
    put(f, "for ");
    emit(f, file->for_subject, P_ADD, 0, 0);
    put(f, " in ");
    emit(f, file->for_set, P_ADD, 1, 0);
    newline(f);
  }
}

static char *fmt_run(struct arena *a, const struct file *file, size_t *len,
                     int tree)
{
  struct fmt f;
  int prev_kind = KIND_NONE, prev_multi = 0, i;
  uint32_t at;

  memset(&f, 0, sizeof f);
  f.a = a;
  f.src = file->src;
  f.tree = tree;
  f.width = tree ? 1 << 28 : FMT_WIDTH;
  f.cm = (struct comment **)file->comments.items;
  f.ncm = tree ? 0 : file->comments.len;
  f.out.a = a;
  f.trail.a = a;
  f.after_open = 1;

  if (file->kind == FILE_POLICY || file->kind == FILE_MODULE) {
    emit_header(&f, file);
    prev_kind = KIND_HEADER;
  }
  for (i = 0; i <= file->ndecls; i++) {
    const struct decl *d = i < file->ndecls ? file->decls[i] : NULL;
    int multi = d ? decl_lines(&f, d) > 1 : 0, first = 1, blank;

    at = d ? d->span.start : (uint32_t)f.src->len + 1;
    /* The comments before d, on lines of their own: the gap between two
     * declarations goes before the first of them. */
    while (f.next < f.ncm && f.cm[f.next]->span.start < at) {
      const struct comment *c = f.cm[f.next++];

      blank = blank_before(&f, c->span.start);
      if (first && d && prev_kind != KIND_NONE)
        blank = blank || prev_kind != (int)d->kind || prev_multi || multi;
      if (first && !d && prev_kind == KIND_HEADER)
        blank = 1;
      if (blank && f.lines > 0 && !f.tree)
        sb_put(&f.out, "\n", 1);
      own_comment(&f, c, 0);
      first = 0;
    }
    if (!d)
      break;
    blank = blank_before(&f, d->span.start);
    if (first && prev_kind != KIND_NONE)
      blank = blank || prev_kind != (int)d->kind || prev_multi || multi;
    if (blank && f.lines > 0 && !f.tree)
      sb_put(&f.out, "\n", 1);
    emit_decl(&f, d);
    prev_kind = (int)d->kind;
    prev_multi = multi;
  }
  *len = f.out.len;
  return (char *)sb_str(&f.out);
}

char *fmt_file(struct arena *a, const struct file *file, size_t *len)
{
  return fmt_run(a, file, len, 0);
}

char *fmt_file_tree(struct arena *a, const struct file *file, size_t *len)
{
  return fmt_run(a, file, len, 1);
}
