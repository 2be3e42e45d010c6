/* fastdec.c: the schema-specialised decoder of return lines (fastdec.h).
 *
 * Why a second decoder: json-c builds a tree of every line (a malloc per
 * key and value, a hash table per object, a locale switch per parse), and
 * the general decoder then looks every field up in it.  That cost most of
 * `rpolc eval`'s time.  Here one pass validates the line exactly as the
 * strict scan of decode.c does (the same grammar, limits and UTF-8 rules)
 * and notes where the values of the policy's paths lie; then the routed
 * policy's fields are decoded from those spans.
 *
 * The contract is one-sided: whatever this decoder accepts, the general
 * decoder accepts with the same record; everything else is declined and
 * handed to the general decoder.  Declining is always safe, so every rule
 * below errs towards it: escapes in tracked keys (json-c would unescape
 * them, "\u0000" included, and cut keys at a NUL), escapes in the values
 * of fields (rare, and json-c's unescaped text is what the record holds),
 * a duplicate key on a path (json-c keeps the last one, with everything
 * under it), integers at INT64_MIN or INT64_MAX (the general decoder
 * refuses them when the line holds an integer past 64 bits anywhere).
 * tests/unit/test_decode_fast.c and tests/fuzz/fuzz_decode_diff.c compare
 * both decoders line by line.
 */
#include <stdio.h>
#include <string.h>
#include "fastdec.h"
#include "value.h"

/* A key of the tree: children are a sibling list, short in practice. */
struct fd_node {
  const char *key;
  uint32_t klen;
  int32_t parent;
  int32_t child, next;     /* node indexes, -1 none */
  uint8_t leaf, inner;     /* a field's value; an object on a path */
};

/* Token types of a leaf's value. */
enum { T_STR, T_NUM, T_TRUE, T_FALSE, T_NULL, T_ARR, T_OBJ };

/* Where a leaf's value lies in the line, for this line (gen). */
struct fd_tok {
  uint32_t start, end;     /* the token, quotes and brackets included */
  uint32_t nelem;          /* arrays: element count */
  uint8_t type, esc;       /* esc: a backslash escape inside */
};

struct fastdec {
  rpol_runtime *rt;
  struct fd_node *nodes;
  int nnodes, cap;
  uint32_t *seen;          /* [cap] generation a node was met in */
  struct fd_tok *tok;      /* [cap] */
  uint32_t gen;
  int *fmap;               /* leaf node of each field, per policy */
  int *fbase;              /* [nsubs] first of a policy's fields in fmap */
  int nfmap, nsubs;
  int country;             /* the node of customer.country, -1 */
  int32_t *hash;           /* (parent, key) -> child, open addressing */
  uint32_t hmask;
};

/* ---- the key tree ------------------------------------------------------- */

static uint32_t key_hash(int parent, const char *k, size_t n)
{
  uint32_t h = 2166136261u ^ (uint32_t)parent * 0x9e3779b1u;
  size_t i;

  for (i = 0; i < n; i++)
    h = (h ^ (unsigned char)k[i]) * 16777619u;
  return h ^ h >> 15;
}

/* The child of node named k[0..n), -1 if none: one probe or two of a
 * hash table in the hot path (the sibling lists while building). */
static int fd_lookup(const struct fastdec *fd, int node, const char *k,
                     size_t n)
{
  uint32_t h = key_hash(node, k, n) & fd->hmask;
  int c;

  while ((c = fd->hash[h]) >= 0) {
    const struct fd_node *nd = &fd->nodes[c];
    if (nd->parent == node && nd->klen == n &&
        memcmp(nd->key, k, n) == 0)
      return c;
    h = (h + 1) & fd->hmask;
  }
  return -1;
}

static int fd_child(const struct fastdec *fd, int node, const char *k,
                    size_t n)
{
  int c;

  for (c = fd->nodes[node].child; c >= 0; c = fd->nodes[c].next)
    if (fd->nodes[c].klen == n &&
        (n == 0 || fd->nodes[c].key[0] == k[0]) &&
        memcmp(fd->nodes[c].key, k, n) == 0)
      return c;
  return -1;
}

static int fd_add(struct fastdec *fd, int parent, const char *k)
{
  size_t n = strlen(k);
  int c = fd_child(fd, parent, k, n);
  struct fd_node *nd;

  if (c >= 0)
    return c;
  if (fd->nnodes >= fd->cap || n > UINT32_MAX)
    return -1;
  c = fd->nnodes++;
  nd = &fd->nodes[c];
  nd->key = k;
  nd->klen = (uint32_t)n;
  nd->parent = parent;
  nd->child = -1;
  nd->next = fd->nodes[parent].child;
  fd->nodes[parent].child = c;
  return c;
}

void fastdec_free(rpol_runtime *rt, struct fastdec *fd)
{
  if (!fd)
    return;
  rt_free(rt, fd->nodes, sizeof *fd->nodes * (size_t)fd->cap);
  rt_free(rt, fd->seen, sizeof *fd->seen * (size_t)fd->cap);
  rt_free(rt, fd->tok, sizeof *fd->tok * (size_t)fd->cap);
  rt_free(rt, fd->fmap, sizeof *fd->fmap * (size_t)(fd->nfmap + 1));
  rt_free(rt, fd->fbase, sizeof *fd->fbase * (size_t)(fd->nsubs + 1));
  if (fd->hash)
    rt_free(rt, fd->hash, sizeof *fd->hash * ((size_t)fd->hmask + 1));
  rt_free(rt, fd, sizeof *fd);
}

int fastdec_new(const rpol_policy *p, struct fastdec **out)
{
  struct fastdec *fd;
  rpol_runtime *rt = p->rt;
  int s, i, k, node, nf = 0, ns = 1;

  for (s = 0; s < p->nsubs; s++)
    for (i = 0; i < p->subs[s].nfields; i++) {
      nf++;
      ns += p->subs[s].fields[i].nsegs;
    }
  *out = NULL;
  if (ns > (1 << 24))
    return 1;
  fd = rt_alloc(rt, sizeof *fd);
  if (!fd)
    return -1;
  fd->rt = rt;
  fd->cap = ns;
  fd->nfmap = nf;
  fd->nsubs = p->nsubs;
  fd->country = -1;
  fd->nodes = rt_alloc(rt, sizeof *fd->nodes * (size_t)ns);
  fd->seen = rt_alloc(rt, sizeof *fd->seen * (size_t)ns);
  fd->tok = rt_alloc(rt, sizeof *fd->tok * (size_t)ns);
  fd->fmap = rt_alloc(rt, sizeof *fd->fmap * (size_t)(nf + 1));
  fd->fbase = rt_alloc(rt, sizeof *fd->fbase * (size_t)(p->nsubs + 1));
  if (!fd->nodes || !fd->seen || !fd->tok || !fd->fmap || !fd->fbase) {
    fastdec_free(rt, fd);
    return -1;
  }
  fd->nodes[0].child = fd->nodes[0].next = -1;
  fd->nodes[0].inner = 1;
  fd->nnodes = 1;
  nf = 0;
  for (s = 0; s < p->nsubs; s++) {
    fd->fbase[s] = nf;
    for (i = 0; i < p->subs[s].nfields; i++) {
      const struct rt_field *f = &p->subs[s].fields[i];
      node = 0;
      for (k = 0; k < f->nsegs && node >= 0; k++) {
        node = fd_add(fd, node, f->segs[k]);
        if (node >= 0 && k + 1 < f->nsegs)
          fd->nodes[node].inner = 1;
      }
      if (node <= 0 || f->nsegs < 1)
        goto fail;
      fd->nodes[node].leaf = 1;
      fd->fmap[nf++] = node;
      if (strcmp(f->path, "customer.country") == 0)
        fd->country = node;
    }
  }
  /* A path that is a field in one policy of a bundle and an object in
   * another would need both readings of one value: not taken here. */
  for (i = 0; i < fd->nnodes; i++)
    if (fd->nodes[i].leaf && fd->nodes[i].inner)
      goto fail;
  if (fd->country < 0)
    goto fail;
  for (k = 16; k < 4 * fd->nnodes; k *= 2)
    ;
  fd->hash = rt_alloc(rt, sizeof *fd->hash * (size_t)k);
  if (!fd->hash) {
    fastdec_free(rt, fd);
    return -1;
  }
  fd->hmask = (uint32_t)k - 1;
  memset(fd->hash, 0xff, sizeof *fd->hash * (size_t)k);
  for (i = 1; i < fd->nnodes; i++) {
    const struct fd_node *nd = &fd->nodes[i];
    uint32_t h = key_hash(nd->parent, nd->key, nd->klen) & fd->hmask;
    while (fd->hash[h] >= 0)
      h = (h + 1) & fd->hmask;
    fd->hash[h] = i;
  }
  *out = fd;
  return 0;
fail:
  fastdec_free(rt, fd);
  return 1;
}

/* ---- one pass over the line ------------------------------------------------
 * The grammar and limits of decode.c's strict scan (sc_*), as a
 * recogniser that only says yes or no: a no declines the line. */

struct fp {
  const char *s;
  size_t n, i;
  struct fastdec *fd;
  unsigned nesc;             /* escapes met so far */
  uint32_t nelem;            /* elements of the last array */
  size_t id_start, id_end;   /* the top-level "id", the last one */
};

static int isdig(char c)
{
  return c >= '0' && c <= '9';
}

static void fp_ws(struct fp *p)
{
  while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
                         p->s[p->i] == '\n' || p->s[p->i] == '\r'))
    p->i++;
}

/* 1 for the bytes a string holds as they are: printable ASCII but the
 * quote and the backslash. */
static const unsigned char plain[256] = {
  [0x20] = 1, [0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7f] = 1,
};

static int fp_string(struct fp *p)
{
  const unsigned char *s = (const unsigned char *)p->s;
  size_t i = p->i + 1, n = p->n, start = p->i, len;
  unsigned u, lo;

  for (;;) {
    unsigned c;
    if (i >= n)
      return -1;
    c = s[i];
    if (plain[c]) {
      i++;
      continue;
    }
    if (c == '"') {
      if (i - start > RT_MAX_STRING)
        return -1;
      p->i = i + 1;
      return 0;
    }
    if (c < 0x20)
      return -1;
    if (c >= 0x80) {
      if ((len = rt_utf8_len(s + i, n - i)) == 0)
        return -1;
      i += len;
      continue;
    }
    /* a backslash */
    p->nesc++;
    if (i + 1 >= n)
      return -1;
    switch (s[i + 1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r':
    case 't':
      i += 2;
      continue;
    case 'u':
      break;
    default:
      return -1;
    }
    if (rt_hex4(p->s, n, i + 2, &u) || (u >= 0xdc00 && u <= 0xdfff))
      return -1;
    if (u >= 0xd800 && u <= 0xdbff) {
      if (!(i + 7 < n && s[i + 6] == '\\' && s[i + 7] == 'u' &&
            rt_hex4(p->s, n, i + 8, &lo) == 0 && lo >= 0xdc00 &&
            lo <= 0xdfff))
        return -1;
      i += 6;
    }
    i += 6;
  }
}

static int fp_number(struct fp *p)
{
  const char *s = p->s;
  size_t n = p->n, i = p->i;

  if (s[i] == '-')
    i++;
  if (i >= n || !isdig(s[i]))
    return -1;
  if (s[i] == '0' && i + 1 < n && isdig(s[i + 1]))
    return -1;
  while (i < n && isdig(s[i]))
    i++;
  if (i < n && s[i] == '.') {
    i++;
    if (i >= n || !isdig(s[i]))
      return -1;
    while (i < n && isdig(s[i]))
      i++;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-'))
      i++;
    if (i >= n || !isdig(s[i]))
      return -1;
    while (i < n && isdig(s[i]))
      i++;
  }
  p->i = i;
  return 0;
}

static int fp_literal(struct fp *p, const char *lit, size_t n)
{
  if (p->n - p->i < n || memcmp(p->s + p->i, lit, n) != 0)
    return -1;
  p->i += n;
  return 0;
}

static int fp_value(struct fp *p, int depth, int node);

/* An object; node: its node in the key tree, -1 if untracked. */
static int fp_object(struct fp *p, int depth, int node)
{
  struct fastdec *fd = p->fd;
  int first = 1;

  if (depth >= SCAN_DEPTH)
    return -1;
  p->i++;
  for (;;) {
    size_t kstart, kend, vstart;
    unsigned esc;
    int child = -1;

    fp_ws(p);
    if (p->i >= p->n)
      return -1;
    if (first && p->s[p->i] == '}') {
      p->i++;
      return 0;
    }
    if (p->s[p->i] != '"')
      return -1;
    kstart = p->i;
    esc = p->nesc;
    if (fp_string(p))
      return -1;
    kend = p->i;
    if (node >= 0) {
      if (esc != p->nesc)
        return -1;        /* json-c unescapes keys: let it */
      child = fd_lookup(fd, node, p->s + kstart + 1, p->i - kstart - 2);
      if (child >= 0) {
        if (fd->seen[child] == fd->gen)
          return -1;      /* a repeated key on a path: the last wins */
        fd->seen[child] = fd->gen;
      }
    }
    fp_ws(p);
    if (p->i >= p->n || p->s[p->i] != ':')
      return -1;
    p->i++;
    fp_ws(p);
    vstart = p->i;
    if (fp_value(p, depth + 1, child))
      return -1;
    if (depth == 0 && kend - kstart == 4 &&
        memcmp(p->s + kstart, "\"id\"", 4) == 0) {
      p->id_start = vstart;
      p->id_end = p->i;
    }
    fp_ws(p);
    if (p->i >= p->n)
      return -1;
    if (p->s[p->i] == '}') {
      p->i++;
      return 0;
    }
    if (p->s[p->i] != ',')
      return -1;
    p->i++;
    first = 0;
  }
}

static int fp_array(struct fp *p, int depth)
{
  uint32_t count = 0;

  if (depth >= SCAN_DEPTH)
    return -1;
  p->i++;
  fp_ws(p);
  if (p->i < p->n && p->s[p->i] == ']') {
    p->i++;
    p->nelem = 0;
    return 0;
  }
  for (;;) {
    fp_ws(p);
    if (fp_value(p, depth + 1, -1))
      return -1;
    count++;
    fp_ws(p);
    if (p->i >= p->n)
      return -1;
    if (p->s[p->i] == ']') {
      p->i++;
      p->nelem = count;
      return 0;
    }
    if (p->s[p->i] != ',')
      return -1;
    p->i++;
  }
}

static int fp_any(struct fp *p, int depth)
{
  if (p->i >= p->n)
    return -1;
  switch (p->s[p->i]) {
  case '"':
    return fp_string(p);
  case '{':
    return fp_object(p, depth, -1);
  case '[':
    return fp_array(p, depth);
  case 't':
    return fp_literal(p, "true", 4);
  case 'f':
    return fp_literal(p, "false", 5);
  case 'n':
    return fp_literal(p, "null", 4);
  default:
    if (p->s[p->i] == '-' || isdig(p->s[p->i]))
      return fp_number(p);
    return -1;
  }
}

static int fp_value(struct fp *p, int depth, int node)
{
  struct fastdec *fd = p->fd;
  struct fd_tok *t;
  unsigned esc;
  int type;

  if (node < 0)
    return fp_any(p, depth);
  if (p->i >= p->n)
    return -1;
  if (fd->nodes[node].inner) {
    /* null: every field under it is missing, as in decode.c's lookup */
    if (p->s[p->i] == '{')
      return fp_object(p, depth, node);
    if (p->s[p->i] == 'n')
      return fp_literal(p, "null", 4);
    return -1;
  }
  t = &fd->tok[node];
  switch (p->s[p->i]) {
  case '"': type = T_STR; break;
  case '[': type = T_ARR; break;
  case '{': type = T_OBJ; break;
  case 't': type = T_TRUE; break;
  case 'f': type = T_FALSE; break;
  case 'n': type = T_NULL; break;
  default: type = T_NUM; break;
  }
  t->start = (uint32_t)p->i;
  esc = p->nesc;
  if (fp_any(p, depth))
    return -1;
  t->end = (uint32_t)p->i;
  t->type = (uint8_t)type;
  t->esc = esc != p->nesc;
  t->nelem = type == T_ARR ? p->nelem : 0;
  return 0;
}

/* ---- values ----------------------------------------------------------------
 * Each mirrors its dec_* counterpart in decode.c on the raw text of an
 * unescaped token; -1 declines (the general decoder then reports the
 * fault, or decodes what this one does not). */

struct fv {
  const rpol_policy *pol;
  const struct rt_sub *sub;
  int order_cur;
  int oom;                   /* the store ran out of memory */
  struct rt_arena *store;
};

static int fv_int(const char *t, size_t n, int64_t *out)
{
  size_t i = 0;
  int neg = 0;
  uint64_t m = 0;

  if (i < n && t[i] == '-') {
    neg = 1;
    i++;
  }
  if (i >= n)
    return -1;
  for (; i < n; i++) {
    if (!isdig(t[i]))
      return -1;             /* a fraction or an exponent: not an int */
    if (m > (UINT64_C(1) << 63) / 10)
      return -1;
    m = m * 10 + (uint64_t)(t[i] - '0');
  }
  /* The edges decline: json-c clamps to them, decode.c tells them apart
   * from clamped values by the whole line. */
  if (m >= (uint64_t)INT64_MAX)
    return -1;
  *out = neg ? -(int64_t)m : (int64_t)m;
  return 0;
}

static int fv_money(struct fv *c, const char *t, size_t n,
                    struct rpol_slot *out)
{
  size_t i;
  int64_t mant, minor;
  int32_t scale;
  int cur = c->order_cur;
  char code[4] = {0};

  for (i = 0; i < n; i++)
    if (!(isdig(t[i]) || t[i] == '.' || (t[i] == '-' && i == 0)))
      break;
  if (i < n) {
    if (n - i != 4 || t[i] != ' ')
      return -1;
    memcpy(code, t + i + 1, 3);
    cur = rpol_currency_code(code);
    if (cur < 0 || c->pol->cur_exp[cur] < 0)
      return -1;
    n = i;
  }
  if (decode_decimal(t, n, &mant, &scale) != 0 || cur < 0)
    return -1;
  if (rpol_number_to_minor(mant, scale, c->pol->cur_exp[cur], &minor))
    return -1;
  out->v = minor;
  out->cur = cur;
  return 0;
}

/* Money as a JSON number, in the order currency.  decode.c reads the
 * text json-c prints of it: an integer's value in decimal (so -0 is 0),
 * a fraction's or an exponent's text as written (json-c keeps it). */
static int fv_money_num(struct fv *c, const char *t, size_t n,
                        struct rpol_slot *out)
{
  int64_t mant, minor;
  int32_t scale = 0;
  size_t i;

  for (i = 0; i < n && (isdig(t[i]) || t[i] == '-'); i++)
    ;
  if (i == n) {
    if (fv_int(t, n, &mant))
      return -1;
  } else if (decode_decimal(t, n, &mant, &scale) != 0) {
    return -1;
  }
  if (c->order_cur < 0 ||
      rpol_number_to_minor(mant, scale, c->pol->cur_exp[c->order_cur],
                           &minor))
    return -1;
  out->v = minor;
  out->cur = c->order_cur;
  return 0;
}

static int fv_percent(const char *t, size_t n, int64_t *out)
{
  size_t i = 0, nf = 0;
  int neg = 0;
  int64_t ip = 0, fp = 0;

  if (i < n && t[i] == '-') {
    neg = 1;
    i++;
  }
  if (i >= n || !isdig(t[i]))
    return -1;
  for (; i < n && isdig(t[i]); i++)
    if (__builtin_mul_overflow(ip, 10, &ip) ||
        __builtin_add_overflow(ip, t[i] - '0', &ip))
      return -1;
  if (i < n && t[i] == '.') {
    for (i++; i < n && isdig(t[i]) && nf < 5; i++, nf++)
      fp = fp * 10 + (t[i] - '0');
    if (nf == 0 || nf > 4)
      return -1;
  }
  if (i + 1 != n || t[i] != '%')
    return -1;
  for (; nf < 4; nf++)
    fp *= 10;
  if (__builtin_mul_overflow(ip, 10000, &ip) ||
      __builtin_add_overflow(ip, fp, &ip))
    return -1;
  *out = neg ? -ip : ip;
  return 0;
}

static int fv_date(const char *t, size_t n, int64_t *out)
{
  int i, y, m, d;

  if (n != 10)
    return -1;
  for (i = 0; i < 10; i++)
    if (i == 4 || i == 7 ? t[i] != '-' : !isdig(t[i]))
      return -1;
  y = (t[0] - '0') * 1000 + (t[1] - '0') * 100 + (t[2] - '0') * 10 +
      (t[3] - '0');
  m = (t[5] - '0') * 10 + (t[6] - '0');
  d = (t[8] - '0') * 10 + (t[9] - '0');
  if (!rpol_civil_valid(y, m, d))
    return -1;
  *out = rpol_days_from_civil(y, m, d);
  return 0;
}

/* One scalar token (type; t/n: a string's content or a number's text). */
static int fv_scalar(struct fv *c, int kind, int enm, int type,
                     const char *t, size_t n, struct rpol_slot *out)
{
  const struct rt_enum *e;
  char buf[4];
  int code, i;

  switch (kind) {
  case RPOL_K_BOOL:
    if (type != T_TRUE && type != T_FALSE)
      return -1;
    out->v = type == T_TRUE;
    return 0;
  case RPOL_K_INT:
  case RPOL_K_DURATION:
    return type == T_NUM ? fv_int(t, n, &out->v) : -1;
  }
  if (kind == RPOL_K_MONEY && type == T_NUM)
    return fv_money_num(c, t, n, out);
  if (type != T_STR)
    return -1;
  switch (kind) {
  case RPOL_K_MONEY:
    return fv_money(c, t, n, out);
  case RPOL_K_PERCENT:
    return fv_percent(t, n, &out->v);
  case RPOL_K_DATE:
    return fv_date(t, n, &out->v);
  case RPOL_K_STRING:
    out->n = (int64_t)n;
    out->p = rt_arena_strdup(c->store, t, n);
    if (!out->p)
      c->oom = 1;
    return out->p ? 0 : -1;
  case RPOL_K_COUNTRY:
  case RPOL_K_CURRENCY:
    if (n > 3)
      return -1;
    memcpy(buf, t, n);
    buf[n] = '\0';
    code = kind == RPOL_K_COUNTRY ? rpol_country_code(buf)
                                  : rpol_currency_code(buf);
    if (code < 0 || (kind == RPOL_K_COUNTRY ? !c->pol->country_ok[code]
                                            : c->pol->cur_exp[code] < 0))
      return -1;
    out->v = code;
    return 0;
  case RPOL_K_ENUM:
    if (enm < 0 || enm >= c->sub->nenums)
      return -1;
    e = &c->sub->enums[enm];
    for (i = 0; i < e->n; i++)
      if ((n == 0 || e->members[i][0] == t[0]) &&
          strncmp(e->members[i], t, n) == 0 && e->members[i][n] == '\0') {
        out->v = i;
        return 0;
      }
    return -1;
  }
  return -1;
}

/* A set from an array token holding nelem scalar elements. */
static int fv_set(struct fv *c, const struct rt_field *f,
                  const char *s, const struct fd_tok *tk,
                  struct rpol_slot *out)
{
  int ek = f->elem_kind;
  size_t sz = ek == RPOL_K_STRING ? sizeof(struct rpol_str)
              : ek == RPOL_K_MONEY ? sizeof(struct rpol_money)
                                   : sizeof(int64_t);
  size_t i = tk->start + 1, end = tk->end - 1, k = 0, a;
  unsigned char *arr;

  arr = rt_arena_get(c->store, sz * (tk->nelem ? tk->nelem : 1));
  if (!arr) {
    c->oom = 1;
    return -1;
  }
  for (;;) {
    struct rpol_slot es;
    int type;
    const char *t;
    size_t n;

    while (i < end && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
                       s[i] == '\r' || s[i] == ','))
      i++;
    if (i >= end)
      break;
    if (k >= tk->nelem)
      return -1;
    a = i;
    if (s[i] == '"') {
      /* no escapes in the array (checked), so the next quote ends it */
      const char *q = memchr(s + i + 1, '"', end - i - 1);
      if (!q)
        return -1;
      type = T_STR;
      t = s + a + 1;
      n = (size_t)(q - t);
      i = (size_t)(q - s) + 1;
    } else if (s[i] == '-' || isdig(s[i])) {
      while (i < end && (isdig(s[i]) || s[i] == '-' || s[i] == '+' ||
                         s[i] == '.' || s[i] == 'e' || s[i] == 'E'))
        i++;
      type = T_NUM;
      t = s + a;
      n = i - a;
    } else if (s[i] == 't' || s[i] == 'f') {
      type = s[i] == 't' ? T_TRUE : T_FALSE;
      i += s[i] == 't' ? 4 : 5;
      t = s + a;
      n = i - a;
    } else {
      return -1;           /* null, or an array or object in a set */
    }
    memset(&es, 0, sizeof es);
    if (fv_scalar(c, ek, f->enm, type, t, n, &es))
      return -1;
    rt_set_elem_put(arr, k, sz, ek, &es);
    k++;
  }
  if (k != tk->nelem)
    return -1;
  out->p = arr;
  out->n = decode_sort_dedupe(ek, arr, (int64_t)k);
  return 0;
}

/* The field's value from its token into slot i; 1 absent, 0 set, -1
 * declined. */
static int fv_field(struct fv *c, rpol_input *in, const char *s,
                    int node, const struct rt_field *f, int i)
{
  const struct fastdec *fd = in->fast;
  const struct fd_tok *tk = &fd->tok[node];
  struct rpol_slot *sl = &in->slots[i];

  if (fd->seen[node] != fd->gen || tk->type == T_NULL)
    return 1;
  if (tk->esc)
    return -1;
  memset(sl, 0, sizeof *sl);
  sl->kind = f->kind;
  if (f->kind == RPOL_K_SET) {
    sl->elem_kind = f->elem_kind;
    if (tk->type != T_ARR || fv_set(c, f, s, tk, sl))
      return -1;
  } else if (tk->type == T_STR) {
    if (fv_scalar(c, f->kind, f->enm, T_STR, s + tk->start + 1,
                  tk->end - tk->start - 2, sl))
      return -1;
  } else if (fv_scalar(c, f->kind, f->enm, tk->type, s + tk->start,
                       tk->end - tk->start, sl)) {
    return -1;
  }
  sl->present = 1;
  in->state[i] = SL_SET;
  return 0;
}

int fastdec_decode(struct fastdec *fd, rpol_input *in, const char *json,
                   size_t len)
{
  const rpol_policy *p = in->pol;
  const struct rt_sub *s;
  const struct fd_tok *tk;
  const int *map;
  struct fp ps;
  struct fv c;
  char buf[4];
  int code, sub, i, rc;

  len = rt_input_begin(in, json, len);
  if (len > RT_MAX_LINE)
    return 0;

  /* A new generation forgets the last line's keys without a clear. */
  if (++fd->gen == 0) {
    memset(fd->seen, 0, sizeof *fd->seen * (size_t)fd->cap);
    fd->gen = 1;
  }
  memset(&ps, 0, sizeof ps);
  ps.s = json;
  ps.n = len;
  ps.fd = fd;
  /* Before the object, decode.c's check of '{' skips spaces and tabs
   * only. */
  while (ps.i < len && (json[ps.i] == ' ' || json[ps.i] == '\t'))
    ps.i++;
  if (ps.i >= len || json[ps.i] != '{' || fp_object(&ps, 0, 0))
    return 0;
  fp_ws(&ps);
  if (ps.i != len)
    return 0;
  if (ps.id_end > ps.id_start) {
    in->id = decode_copy_id(in, json, ps.id_start, ps.id_end);
    if (!in->id)
      return -1;
  }

  /* Route by customer.country (§2), as decode.c does. */
  tk = &fd->tok[fd->country];
  if (fd->seen[fd->country] != fd->gen || tk->type != T_STR || tk->esc ||
      tk->end - tk->start != 4)
    return 0;
  memcpy(buf, json + tk->start + 1, 2);
  buf[2] = '\0';
  code = rpol_country_code(buf);
  if (code < 0 || !p->country_ok[code])
    return 0;
  rpol_country_text(code, in->country);
  sub = p->route[code];
  input_reset(in, sub);
  if (sub < 0) {
    in->ok = 1;
    return 1;
  }
  s = &p->subs[sub];
  map = fd->fmap + fd->fbase[sub];
  c.pol = p;
  c.sub = s;
  c.order_cur = -1;
  c.oom = 0;
  c.store = &in->store;
  /* order.currency first: bare amounts anywhere in the line need it. */
  if (s->f_currency >= 0) {
    rc = fv_field(&c, in, json, map[s->f_currency],
                  &s->fields[s->f_currency], s->f_currency);
    if (c.oom)
      return -1;
    if (rc < 0 || (rc > 0 && s->fields[s->f_currency].required) ||
        (rc == 0 && s->fields[s->f_currency].kind != RPOL_K_CURRENCY))
      return 0;
    if (rc == 0)
      c.order_cur = (int)in->slots[s->f_currency].v;
  }
  for (i = 0; i < s->nfields; i++)
    if (i != s->f_currency &&
        fv_field(&c, in, json, map[i], &s->fields[i], i) < 0)
      return c.oom ? -1 : 0;
  if (input_finish(in))
    return 0;
  in->ok = 1;
  return 1;
}

/* ---- checking ----------------------------------------------------------- */

static int same_elems(int ek, const struct rpol_slot *x,
                      const struct rpol_slot *y)
{
  int64_t k;

  if (x->n != y->n)
    return 0;
  if (x->n <= 0)
    return 1;
  if (!x->p || !y->p)
    return x->p == y->p;
  for (k = 0; k < x->n; k++)
    if (ek == RPOL_K_STRING) {
      const struct rpol_str *a = (const struct rpol_str *)x->p + k;
      const struct rpol_str *b = (const struct rpol_str *)y->p + k;
      if (!rpol_str_eq(a, b))
        return 0;
    } else if (ek == RPOL_K_MONEY) {
      const struct rpol_money *a = (const struct rpol_money *)x->p + k;
      const struct rpol_money *b = (const struct rpol_money *)y->p + k;
      if (a->amount != b->amount || a->cur != b->cur)
        return 0;
    } else if (((const int64_t *)x->p)[k] != ((const int64_t *)y->p)[k]) {
      return 0;
    }
  return 1;
}

int fastdec_same(const rpol_input *a, const rpol_input *b, char *why,
                 size_t cap)
{
  const struct rt_sub *s;
  int i;

  if (a->ok != b->ok || a->sub != b->sub ||
      strcmp(a->country, b->country) != 0) {
    snprintf(why, cap, "ok/route: %d %d %s, %d %d %s", a->ok, a->sub,
             a->country, b->ok, b->sub, b->country);
    return 0;
  }
  if ((a->id == NULL) != (b->id == NULL) ||
      (a->id && strcmp(a->id, b->id) != 0)) {
    snprintf(why, cap, "id: %.60s, %.60s", a->id ? a->id : "(none)",
             b->id ? b->id : "(none)");
    return 0;
  }
  if (a->pend_code != b->pend_code || a->pend_loc != b->pend_loc) {
    snprintf(why, cap, "pending default error: %d@%d, %d@%d", a->pend_code,
             a->pend_loc, b->pend_code, b->pend_loc);
    return 0;
  }
  if (a->sub < 0 || !a->ok)
    return 1;
  s = &a->pol->subs[a->sub];
  for (i = 0; i < s->nfields; i++) {
    const struct rpol_slot *x = &a->slots[i], *y = &b->slots[i];
    int k = s->fields[i].kind, ok;
    if (a->state[i] != b->state[i] || x->present != y->present ||
        x->kind != y->kind || x->elem_kind != y->elem_kind) {
      snprintf(why, cap, "%s: state %d/%d present %d/%d kind %d/%d",
               s->fields[i].path, a->state[i], b->state[i], x->present,
               y->present, x->kind, y->kind);
      return 0;
    }
    if (!x->present)
      continue;
    if (k == RPOL_K_SET)
      ok = same_elems(x->elem_kind, x, y);
    else if (k == RPOL_K_STRING)
      ok = x->n == y->n && (x->n <= 0 || (x->p && y->p &&
                                          memcmp(x->p, y->p,
                                                 (size_t)x->n) == 0));
    else
      ok = x->v == y->v && x->cur == y->cur;
    if (!ok) {
      snprintf(why, cap, "%s: values differ (v %lld/%lld cur %d/%d n "
               "%lld/%lld)", s->fields[i].path, (long long)x->v,
               (long long)y->v, x->cur, y->cur, (long long)x->n,
               (long long)y->n);
      return 0;
    }
  }
  return 1;
}
