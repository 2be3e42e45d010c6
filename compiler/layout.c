/* layout.c: numbering of locations, codes and externs, and the metadata
 * document of an artifact (see layout.h and docs/artifacts.md).
 *
 * Every span a back end may report is registered up front by walking the
 * programs, so the interpreter, the JIT and the AOT path, which each look
 * spans up independently, agree on every number.
 */
#include <json-c/json.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>

#include "interp.h"
#include "layout.h"
#include "../runtime/value.h"

#ifndef RPOL_SCHEMA_HASH
#define RPOL_SCHEMA_HASH ""
#endif

/* ---------------------------------------------------------- location map */

static uint64_t loc_key(struct span sp)
{
  return ((uint64_t)sp.file << 32 | sp.start) + 1; /* 0 marks a free cell */
}

static uint64_t mix(uint64_t k)
{
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return k;
}

static void map_grow(struct layout *L)
{
  int cap = L->loc_mapcap ? L->loc_mapcap * 2 : 256;
  uint64_t *keys = arena_alloc(&L->s->arena, sizeof *keys * cap);
  int32_t *vals = arena_alloc(&L->s->arena, sizeof *vals * cap);
  for (int i = 0; i < L->loc_mapcap; i++) {
    if (!L->loc_keys[i])
      continue;
    uint64_t h = mix(L->loc_keys[i]) & (cap - 1);
    while (keys[h])
      h = (h + 1) & (cap - 1);
    keys[h] = L->loc_keys[i];
    vals[h] = L->loc_vals[i];
  }
  L->loc_keys = keys;
  L->loc_vals = vals;
  L->loc_mapcap = cap;
}

static int map_find(const struct layout *L, uint64_t key)
{
  if (!L->loc_mapcap)
    return -1;
  uint64_t h = mix(key) & (L->loc_mapcap - 1);
  while (L->loc_keys[h]) {
    if (L->loc_keys[h] == key)
      return (int)h;
    h = (h + 1) & (L->loc_mapcap - 1);
  }
  return -1 - (int)h;
}

static void add_loc(struct layout *L, struct span sp)
{
  if (2 * (L->nlocs + 1) > L->loc_mapcap)
    map_grow(L);
  uint64_t key = loc_key(sp);
  int cell = map_find(L, key);
  if (cell >= 0)
    return;
  cell = -1 - cell;
  if (L->nlocs == L->caplocs) {
    int cap = L->caplocs ? L->caplocs * 2 : 256;
    struct span *n = arena_alloc(&L->s->arena, sizeof *n * cap);
    if (L->nlocs)
      memcpy(n, L->locs, sizeof *n * L->nlocs);
    L->locs = n;
    L->caplocs = cap;
  }
  L->loc_keys[cell] = key;
  L->loc_vals[cell] = L->nlocs;
  L->locs[L->nlocs++] = sp;
}

int layout_loc(const struct layout *L, struct span sp)
{
  int cell = map_find(L, loc_key(sp));
  return cell >= 0 ? L->loc_vals[cell] : -1;
}

/* ------------------------------------------------------------- the walk */

static void add_code(struct layout *L, const char *code)
{
  if (layout_code(L, code) >= 0)
    return;
  const char **n = arena_alloc(&L->s->arena, sizeof *n * (L->ncodes + 1));
  if (L->ncodes)
    memcpy(n, L->codes, sizeof *n * L->ncodes);
  n[L->ncodes++] = code;
  L->codes = n;
}

int layout_code(const struct layout *L, const char *code)
{
  for (int i = 0; i < L->ncodes; i++)
    if (strcmp(L->codes[i], code) == 0)
      return i;
  return -1;
}

int layout_extern(const struct layout *L, const char *name)
{
  for (int i = 0; i < L->nexterns; i++)
    if (strcmp(L->externs[i]->name, name) == 0)
      return i;
  return -1;
}

static void add_extern(struct layout *L, struct decl *d)
{
  if (layout_extern(L, d->name) >= 0)
    return;
  struct decl **n = arena_alloc(&L->s->arena,
                                sizeof *n * (L->nexterns + 1));
  if (L->nexterns)
    memcpy(n, L->externs, sizeof *n * L->nexterns);
  n[L->nexterns++] = d;
  L->externs = n;
}

/* The prelude declarations walked only when a program uses them: lets,
 * consts, regions and functions (layout_init). */
static int walked_when_used(const struct decl *d)
{
  return d->kind == D_LET || d->kind == D_CONST || d->kind == D_REGION ||
         d->kind == D_FN;
}

/* A let, const, region or function an expression refers to: walked
 * after the current one (layout_init) unless it already was.  Only the
 * prelude's wait to be reached; a program's own are all walked in order.
 * A walked declaration's own span is numbered first (walk_decl), so a
 * numbered span means walked or queued. */
static void reach(struct layout *L, struct decl *d)
{
  if (!d || !walked_when_used(d) || map_find(L, loc_key(d->span)) >= 0)
    return;
  add_loc(L, d->span);
  if (L->npending == L->cappending) {
    int cap = L->cappending ? L->cappending * 2 : 64;
    struct decl **n = arena_alloc(&L->s->arena, sizeof *n * cap);
    if (L->npending)
      memcpy(n, L->pending, sizeof *n * L->npending);
    L->pending = n;
    L->cappending = cap;
  }
  L->pending[L->npending++] = d;
}

static void walk_expr(struct layout *L, const struct expr *e)
{
  /* Iterative along the right spine so long `a + b + c ...` chains and
   * deep `if` cascades cost no C stack per link. */
  while (e) {
    add_loc(L, e->span);
    if (e->expansion)
      walk_expr(L, e->expansion);
    if (e->kind == EX_NAME || e->kind == EX_CALL)
      reach(L, e->ref.decl);
    switch (e->kind) {
    case EX_MONEY:
      add_loc(L, e->u.money.code_span);
      return;
    case EX_VERDICT:
      if (e->u.verdict.code)
        add_code(L, e->u.verdict.code);
      return;
    case EX_UNARY:
      e = e->u.unary.operand;
      continue;
    case EX_BINARY: case EX_OF: case EX_COALESCE:
      add_loc(L, e->u.bin.op_span);
      walk_expr(L, e->u.bin.lhs);
      e = e->u.bin.rhs;
      continue;
    case EX_IN:
      add_loc(L, e->u.in.op_span);
      walk_expr(L, e->u.in.elem);
      e = e->u.in.set;
      continue;
    case EX_IF:
      walk_expr(L, e->u.cond.cond);
      walk_expr(L, e->u.cond.then);
      e = e->u.cond.els;
      continue;
    case EX_CALL:
      add_loc(L, e->u.call.name_span);
      for (int i = 0; i < e->u.call.nargs; i++)
        walk_expr(L, e->u.call.args[i]);
      return;
    case EX_SET:
      for (int i = 0; i < e->u.set.n; i++)
        walk_expr(L, e->u.set.elems[i]);
      return;
    default:
      return;
    }
  }
}

static void walk_cases(struct layout *L, struct case_ **cases, int n)
{
  for (int i = 0; i < n; i++) {
    add_loc(L, cases[i]->kw_span);
    walk_expr(L, cases[i]->cond);
    walk_expr(L, cases[i]->value);
  }
}

static void walk_decl(struct layout *L, struct decl *d)
{
  add_loc(L, d->span);
  switch (d->kind) {
  case D_INPUT:
    walk_expr(L, d->u.input.deflt);
    break;
  case D_OUTPUT:
    walk_expr(L, d->u.output.deflt);
    break;
  case D_CONST: case D_LET: case D_REGION:
    walk_expr(L, d->u.value.init);
    break;
  case D_FN:
    walk_expr(L, d->u.fn.body);
    walk_cases(L, d->u.fn.cases, d->u.fn.ncases);
    break;
  case D_EXTERN:
    add_extern(L, d);
    break;
  case D_DECIDE:
    walk_cases(L, d->u.decide.cases, d->u.decide.ncases);
    break;
  case D_MESSAGE:
    add_code(L, d->u.message.code);
    break;
  default:
    break;
  }
}

void layout_init(struct layout *L, struct session *s,
                 struct program **progs, int n)
{
  memset(L, 0, sizeof *L);
  L->s = s;
  L->progs = progs;
  L->nprogs = n;
  for (int p = 0; p < n; p++) {
    struct program *pr = progs[p];
    if (pr->noutputs > L->max_outputs)
      L->max_outputs = pr->noutputs;
    for (int f = 0; f < pr->nfiles; f++)
      for (int i = 0; i < pr->files[f]->ndecls; i++) {
        struct decl *d = pr->files[f]->decls[i];
        /* The prelude's statutory tables and functions hold some 900
         * expressions: numbered all, their locations were four fifths of
         * an artifact's metadata (bench/policy.rpol: 22.6 of 29.2 KB),
         * parsed at every load.  Only those a program uses are. */
        if (pr->files[f]->kind == FILE_PRELUDE && walked_when_used(d))
          continue;
        walk_decl(L, d);
      }
    /* Walking a used declaration may reach more. */
    while (L->npending > 0)
      walk_decl(L, L->pending[--L->npending]);
  }
}

/* -------------------------------------------------------------- metadata */

static json_object *jstr(const char *s)
{
  return json_object_new_string(s);
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
  struct sha256_ctx c;
  unsigned char md[SHA256_DIGEST_SIZE];

  sha256_init(&c);
  sha256_update(&c, len, (const uint8_t *)data);
  sha256_digest(&c, sizeof md, md);
  for (int i = 0; i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static const char *scalar_name(const struct type *t)
{
  switch (t->kind) {
  case TY_BOOL: return "bool";
  case TY_INT: return "int";
  case TY_MONEY: return "money";
  case TY_PERCENT: return "percent";
  case TY_DATE: return "date";
  case TY_DURATION: return "duration";
  case TY_STRING: return "string";
  case TY_COUNTRY: return "country";
  case TY_CURRENCY: return "currency";
  case TY_ENUM: return "enum";
  case TY_SET: return "set";
  case TY_VERDICT: return "verdict";
  default: return "error";
  }
}

/* {"type": ..., ["enum": ...], ["elem": ...]} added to obj. */
static void put_type(json_object *obj, const struct type *t)
{
  json_object_object_add(obj, "type", jstr(scalar_name(t)));
  if (t->kind == TY_ENUM)
    json_object_object_add(obj, "enum", jstr(t->enm->name));
  if (t->kind == TY_SET) {
    json_object_object_add(obj, "elem", jstr(scalar_name(t->elem)));
    if (t->elem->kind == TY_ENUM)
      json_object_object_add(obj, "enum", jstr(t->elem->enm->name));
  }
}

/* A constant scalar (kind from its type) in the JSON input encoding. */
static json_object *scalar_json(const struct type *t, int64_t v,
                                const struct rpol_str *s, int cur,
                                const int8_t *exps)
{
  char buf[64];
  switch (t->kind) {
  case TY_BOOL: return json_object_new_boolean((int)v);
  case TY_INT: case TY_DURATION: return json_object_new_int64(v);
  case TY_MONEY: {
    /* A constant with an explicit currency keeps it ("12.50 EUR"). */
    char code[4];
    int n = rpol_format_money(buf, v, exps[cur] < 0 ? 2 : exps[cur]);
    rpol_currency_text(cur, code);
    snprintf(buf + n, sizeof buf - n, " %s", code);
    return jstr(buf);
  }
  case TY_PERCENT: rpol_format_percent(buf, v); return jstr(buf);
  case TY_DATE: rpol_format_date(buf, v); return jstr(buf);
  case TY_STRING: return json_object_new_string_len(s->ptr, (int)s->len);
  case TY_COUNTRY: rpol_country_text((int)v, buf); return jstr(buf);
  case TY_CURRENCY: rpol_currency_text((int)v, buf); return jstr(buf);
  case TY_ENUM:
    return jstr(v >= 0 && v < t->enm->u.enm.nall ? t->enm->u.enm.all[v]
                                                 : "?");
  default: return NULL;
  }
}

/* The text of an untyped number default such as `0` or `-12.50`, which
 * stays relative to the line's order currency. */
static const char *number_text(struct arena *a, const struct expr *e)
{
  if (e->kind == EX_UNARY && e->u.unary.op == UN_NEG) {
    const char *t = number_text(a, e->u.unary.operand);
    return t ? arena_printf(a, "-%s", t) : NULL;
  }
  if (e->kind != EX_INT && e->kind != EX_DEC)
    return NULL;
  struct decimal d = e->u.num;
  int64_t p = 1;
  for (int i = 0; i < d.scale; i++)
    p *= 10;
  if (d.scale == 0)
    return arena_printf(a, "%lld", (long long)d.mant);
  return arena_printf(a, "%lld.%0*lld", (long long)(d.mant / p), d.scale,
                      (long long)(d.mant % p));
}

/* The location of a money default's literal (`-2.5`: the 2.5), where an
 * order currency that cannot hold it reports inexact_amount; -1. */
static int default_literal_loc(const struct layout *L, const struct decl *d)
{
  const struct expr *e = d->u.input.deflt;
  if (d->u.input.type->kind != TY_MONEY)
    return -1;
  while (e) {
    if (e->expansion)
      e = e->expansion;
    else if (e->kind == EX_UNARY && e->u.unary.op == UN_NEG)
      e = e->u.unary.operand;
    else
      break;
  }
  if (!e || (e->kind != EX_INT && e->kind != EX_DEC))
    return -1;
  return layout_loc(L, e->span);
}

static json_object *default_json(struct layout *L, const struct decl *d,
                                 const int8_t *exps)
{
  const struct expr *e = d->u.input.deflt;
  const struct type *t = d->u.input.type;
  if (t->kind == TY_MONEY) {
    const char *txt = number_text(&L->s->arena, e->expansion ? e->expansion
                                                             : e);
    if (txt)
      return jstr(txt);
  }
  struct rpol_slot v;
  if (interp_const(&L->s->arena, e, -1, exps, &v, NULL) != 0)
    return NULL;
  if (t->kind != TY_SET)
    return scalar_json(t, v.v, (const struct rpol_str *)&v.p, v.cur, exps);
  json_object *arr = json_object_new_array();
  for (int64_t i = 0; i < v.n; i++) {
    const struct type *et = t->elem;
    json_object *x;
    if (et->kind == TY_STRING)
      x = scalar_json(et, 0, &((const struct rpol_str *)v.p)[i], 0, exps);
    else if (et->kind == TY_MONEY) {
      const struct rpol_money *m = &((const struct rpol_money *)v.p)[i];
      x = scalar_json(et, m->amount, NULL, m->cur, exps);
    } else
      x = scalar_json(et, ((const int64_t *)v.p)[i], NULL, 0, exps);
    json_object_array_add(arr, x);
  }
  return arr;
}

static const struct decl *find_table(const struct program *p,
                                     const char *kind)
{
  for (int f = 0; f < p->nfiles; f++) {
    if (p->files[f]->kind != FILE_PRELUDE)
      continue;
    for (int i = 0; i < p->files[f]->ndecls; i++) {
      const struct decl *d = p->files[f]->decls[i];
      if (d->kind == D_TABLE && strcmp(d->name, kind) == 0)
        return d;
    }
  }
  return NULL;
}

static json_object *policy_json(struct layout *L, struct program *p,
                                const int8_t *exps)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "name", jstr(p->policy->name));
  json_object_object_add(o, "version", jstr(p->policy->version));
  json_object_object_add(o, "file", jstr(p->policy->src->display));
  if (p->has_for) {
    json_object *arr = json_object_new_array();
    for (int i = 0; i < p->nfor_countries; i++) {
      char c[3];
      rpol_country_text(p->for_countries[i], c);
      json_object_array_add(arr, jstr(c));
    }
    json_object_object_add(o, "for", arr);
  } else {
    json_object_object_add(o, "for", NULL);
  }
  json_object *enums = json_object_new_object();
  for (int i = 0; i < p->nenums; i++) {
    const struct decl *d = p->enums[i];
    json_object *m = json_object_new_array();
    for (int k = 0; k < d->u.enm.nall; k++)
      json_object_array_add(m, jstr(d->u.enm.all[k]));
    json_object_object_add(enums, d->name, m);
  }
  json_object_object_add(o, "enums", enums);
  json_object *inputs = json_object_new_array();
  for (int i = 0; i < p->ninputs; i++) {
    const struct decl *d = p->inputs[i];
    json_object *in = json_object_new_object();
    json_object_object_add(in, "path", jstr(d->u.input.path));
    put_type(in, d->u.input.type);
    if (d->u.input.required)
      json_object_object_add(in, "required", json_object_new_boolean(1));
    if (d->u.input.deflt) {
      json_object *v = default_json(L, d, exps);
      if (v)
        json_object_object_add(in, "default", v);
      int at = v ? default_literal_loc(L, d) : -1;
      if (at >= 0)
        json_object_object_add(in, "default_at", json_object_new_int(at));
    }
    json_object_array_add(inputs, in);
  }
  json_object_object_add(o, "inputs", inputs);
  json_object *outputs = json_object_new_array();
  for (int i = 0; i < p->noutputs; i++) {
    const struct decl *d = p->outputs[i];
    json_object *out = json_object_new_object();
    json_object_object_add(out, "name", jstr(d->name));
    put_type(out, d->u.output.type);
    /* The encoder shows shipping_refund and duties_refund only when the
     * policy decides them (§12), even though their defaults are zero. */
    json_object_object_add(out, "decided",
                           json_object_new_boolean(d->u.output.decided_by
                                                   != NULL));
    json_object_array_add(outputs, out);
  }
  json_object_object_add(o, "outputs", outputs);
  return o;
}

static void add_messages(json_object *all, struct program *p)
{
  for (int i = 0; i < p->nmessages; i++) {
    const struct decl *d = p->messages[i];
    /* Policies of one bundle that share a code usually share the module
     * that words it; the first text wins (docs/artifacts.md). */
    if (json_object_object_get_ex(all, d->u.message.code, NULL))
      continue;
    json_object *m = json_object_new_object();
    for (int k = 0; k < d->u.message.ntexts; k++)
      json_object_object_add(m, d->u.message.texts[k].locale,
                             jstr(d->u.message.texts[k].text));
    json_object_object_add(all, d->u.message.code, m);
  }
}

static const char *const extern_types[] = {
  [TY_BOOL] = "bool", [TY_INT] = "int", [TY_STRING] = "string",
  [TY_DATE] = "date",
};

const char *layout_metadata(struct layout *L, size_t *len)
{
  struct arena *a = &L->s->arena;
  int8_t *exps = arena_alloc(a, RPOL_NCURRENCY_CODES);
  memset(exps, -1, RPOL_NCURRENCY_CODES);
  json_object *root = json_object_new_object();
  json_object_object_add(root, "format", jstr("rpol-artifact"));
  json_object_object_add(root, "abi",
                         json_object_new_int(RPOL_ABI_VERSION));
  json_object_object_add(root, "compiler",
                         jstr("rpolc " RPOL_VERSION_TEXT));
  json_object_object_add(root, "schema_hash", jstr(RPOL_SCHEMA_HASH));

  json_object *sources = json_object_new_array();
  json_object *countries = json_object_new_array();
  json_object *currencies = json_object_new_object();
  if (L->nprogs > 0) {
    const struct decl *ct = find_table(L->progs[0], "country");
    const struct decl *cu = find_table(L->progs[0], "currency");
    for (int i = 0; ct && i < ct->u.table.n; i++)
      json_object_array_add(countries, jstr(ct->u.table.codes[i]));
    for (int i = 0; cu && i < cu->u.table.n; i++) {
      json_object_object_add(currencies, cu->u.table.codes[i],
                             json_object_new_int(cu->u.table.numbers[i]));
      int c = rpol_currency_code(cu->u.table.codes[i]);
      if (c >= 0)
        exps[c] = (int8_t)cu->u.table.numbers[i];
    }
  }
  /* Every non-prelude file once, in first-use order. */
  const struct source **seen = arena_alloc(a, sizeof *seen *
                                              (L->s->sources.len + 1));
  int nseen = 0;
  for (int p = 0; p < L->nprogs; p++)
    for (int f = 0; f < L->progs[p]->nfiles; f++) {
      const struct source *src = L->progs[p]->files[f]->src;
      int dup = src->is_prelude;
      for (int k = 0; k < nseen && !dup; k++)
        dup = seen[k] == src;
      if (dup)
        continue;
      seen[nseen++] = src;
      char hex[65];
      sha256_hex(src->text, src->len, hex);
      json_object *s = json_object_new_object();
      json_object_object_add(s, "path", jstr(src->display));
      json_object_object_add(s, "sha256", jstr(hex));
      json_object_array_add(sources, s);
    }
  json_object_object_add(root, "sources", sources);
  json_object_object_add(root, "currencies", currencies);
  json_object_object_add(root, "countries", countries);

  json_object *locs = json_object_new_array();
  for (int i = 0; i < L->nlocs; i++)
    json_object_array_add(locs,
                          jstr(source_loc(&L->s->sources, L->locs[i])));
  json_object_object_add(root, "locations", locs);

  json_object *codes = json_object_new_array();
  for (int i = 0; i < L->ncodes; i++)
    json_object_array_add(codes, jstr(L->codes[i]));
  json_object_object_add(root, "codes", codes);

  json_object *messages = json_object_new_object();
  for (int p = 0; p < L->nprogs; p++)
    add_messages(messages, L->progs[p]);
  json_object_object_add(root, "messages", messages);

  json_object *externs = json_object_new_array();
  for (int i = 0; i < L->nexterns; i++) {
    const struct decl *d = L->externs[i];
    json_object *x = json_object_new_object();
    json_object *params = json_object_new_array();
    for (int k = 0; k < d->u.fn.nparams; k++)
      json_object_array_add(params,
                            jstr(extern_types[d->u.fn.params[k].type->kind]));
    json_object_object_add(x, "name", jstr(d->name));
    json_object_object_add(x, "params", params);
    json_object_object_add(x, "result",
                           jstr(extern_types[d->u.fn.result->kind]));
    json_object_array_add(externs, x);
  }
  json_object_object_add(root, "externs", externs);

  json_object *policies = json_object_new_array();
  for (int p = 0; p < L->nprogs; p++)
    json_object_array_add(policies, policy_json(L, L->progs[p], exps));
  json_object_object_add(root, "policies", policies);

  size_t n = 0;
  const char *text = json_object_to_json_string_length(
      root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
  char *copy = arena_strndup(a, text, n);
  json_object_put(root);
  if (len)
    *len = n;
  return copy;
}
