/* internal.h: declarations shared by the runtime's files (rpol.c,
 * decode.c, encode.c, loader.c) and by the compiler, which hands the
 * evaluators it makes (JIT code, the interpreter) to the runtime through
 * rpol_policy_from_artifact.  Not installed; not API.
 */
#ifndef RPOL_INTERNAL_H
#define RPOL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "rpol.h"
#include "rpol_abi.h"
#include "artifact.h"


/* ---- allocation ---------------------------------------------------------- */

void *rt_alloc(rpol_runtime *rt, size_t n);           /* zeroed */
void *rt_realloc(rpol_runtime *rt, void *p, size_t o, size_t n);
void rt_free(rpol_runtime *rt, void *p, size_t n);

/* The JIT's code cache directory (rpol_runtime_set_cache_dir), or NULL. */
const char *rt_cache_dir(const rpol_runtime *rt);
rpol_jit_mode rt_jit_mode(const rpol_runtime *rt);

/* A bump arena of chunks that never move, so pointers into it stay valid;
 * reset keeps the chunks for reuse. */
struct rt_chunk {
  struct rt_chunk *next;
  size_t cap, used;
  /* data follows, max_align_t aligned */
};
struct rt_arena {
  rpol_runtime *rt;
  struct rt_chunk *head, *cur;
};
void *rt_arena_get(struct rt_arena *a, size_t n);        /* not zeroed */
char *rt_arena_strdup(struct rt_arena *a, const char *s, size_t n);
void rt_arena_reset(struct rt_arena *a);
void rt_arena_release(struct rt_arena *a);

/* ---- the loaded policy ---------------------------------------------------- */

/* Kinds beyond enum rpol_kind, for outputs only. */
#define RT_K_VERDICT 100

extern const char *const rt_standard_outputs[OUT_NSTD];

struct rt_enum {
  const char *name;
  int n;
  const char **members;
  int *by_name;        /* member indexes in code-point order of names */
};

/* A money amount not yet tied to a currency exponent: mant / 10^scale
 * major units of cur (-1: the order currency). */
struct rt_pmoney {
  int64_t mant;
  int32_t scale, cur;
};

/* How a field's value is decoded and defaulted. */
enum { DEF_NONE, DEF_VALUE, DEF_MONEY };
struct rt_field {
  const char *path;      /* "item.dims.weight" */
  const char **segs;     /* "item", "dims", "weight" */
  int nsegs;
  uint8_t kind, elem_kind;
  uint8_t required;
  uint8_t def;           /* DEF_NONE: optional (or required); DEF_VALUE:
                            slot `dval`; DEF_MONEY: `dmoney` needs the
                            order currency (a money or set<money>) */
  int enm;               /* enum index (kind or elem kind enum), -1 */
  struct rpol_slot dval;
  struct rt_pmoney *dmoney;
  int ndmoney;
  int dmoney_loc;        /* location of a money default's literal, -1 */
  int64_t reserve;       /* input storage bytes a DEF_MONEY default needs */
};

struct rt_output {
  const char *name;
  int kind, elem_kind;   /* enum rpol_kind or RT_K_VERDICT */
  int enm;
  int decided;           /* metadata "decided": 1, 0, or -1 if not given */
};

struct rt_sub {
  const char *name, *version, *file;
  int fallback;
  struct rt_enum *enums;
  int nenums;
  struct rt_field *fields;
  int nfields;
  struct rt_output *outputs;
  int noutputs;
  /* slots the runtime itself reads, -1 if the policy lacks the field */
  int f_country, f_currency, f_delivered, f_request_date, f_locale;
  int64_t reserve;       /* sum of fields' reserve */
};

struct rt_message {
  int n;
  const char **locales, **texts;
};

struct rt_extern {
  const char *name, *sig;
};

struct rpol_policy {
  rpol_runtime *rt;
  int refs;                        /* atomic */
  const struct rpol_artifact *art;
  const rpol_eval_fn *plain;       /* art->eval_plain if every entry is
                                      set, else art->eval */
  void (*release)(void *);
  void *release_ud;
  struct rt_arena arena;           /* everything parsed from metadata */
  const char *compiler, *schema_hash;
  int8_t cur_exp[RPOL_NCURRENCY_CODES];
  uint8_t country_ok[RPOL_NCOUNTRY_CODES];
  int16_t route[RPOL_NCOUNTRY_CODES];  /* policy index, -1 none */
  const char **locations;
  int nlocations;
  const char **codes;
  int ncodes;
  struct rt_message *messages;     /* [ncodes] */
  struct rt_extern *externs;
  int nexterns;
  rpol_extern_ptr *ext_fns;        /* [nexterns] */
  struct rpol_env *envs;           /* [nsubs] */
  struct rt_sub *subs;
  int nsubs;
  int max_fields, max_outputs;
  int64_t max_reserve;
};

const char *rt_kind_name(int kind);

/* ---- inputs -------------------------------------------------------------- */

enum {
  SL_UNSET,      /* a required field not given */
  SL_SET,        /* given */
  SL_DEFAULT,    /* the default, ready */
  SL_MISSING,    /* optional, not given */
  SL_PEND_CUR,   /* given money whose currency is order.currency */
  SL_PEND_DEF    /* a DEF_MONEY default, converted at finish */
};

struct rpol_input {
  rpol_policy *pol;
  int sub;                 /* routed policy, -1: no_policy */
  int ok;                  /* 1: decodable; 0: bad_input or empty */
  int dirty;               /* setters ran: finish before deciding */
  char country[3];         /* the routing country */
  struct rpol_slot *slots; /* [max_fields] */
  uint8_t *state;          /* [max_fields] SL_* */
  unsigned char *reserve;  /* pol->max_reserve bytes for DEF_MONEY */
  struct rt_arena store;   /* strings, sets, id text of the line */
  const char *id;          /* compact JSON text, NULL */
  int pend_code;           /* a default the order currency cannot hold:
                              the decision's error (inexact_amount) */
  int pend_loc;
  struct json_tokener *tok;
  char errmsg[512];
  struct fastdec *fast;    /* the specialised decoder (fastdec.h), NULL */
  int fast_state;          /* 0 not built yet, 1 built, -1 unavailable */
};

/* Limits on a return line (docs/limits.md): its bytes, the bytes of one
 * string in it as written, the nesting of arrays and objects. */
#define RT_MAX_LINE (1u << 20)
#define RT_MAX_STRING (1u << 16)
#define SCAN_DEPTH 64

void input_reset(rpol_input *in, int sub);
/* Converts pending money and checks required fields; 0 or -1 (bad_input,
 * message in in->errmsg).  Allocates nothing. */
int input_finish(rpol_input *in);
void input_seterr(rpol_input *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* decode.c: one JSON value into a slot of field f (policy sub), for
 * defaults that need no order currency.  order_cur is the order currency
 * code (-1 unknown: a bare amount is then an error).  Strings and sets are
 * copied into store.  Returns 0 or -1 with msg filled. */
struct json_object;
int decode_value(const rpol_policy *pol, const struct rt_sub *sub,
                 const struct rt_field *f, struct json_object *v,
                 int order_cur, struct rt_arena *store,
                 struct rpol_slot *out, char *msg, size_t msgcap);
/* A JSON number's or a money string's decimal into mant/scale: 0, or -1 not a
 * number, -2 out of range, -3 a nonzero decimal past the 9th that does
 * not fit 64 bits (inexact in every currency). */
int decode_decimal(const char *s, size_t n, int64_t *mant, int32_t *scale);
/* The general decoder of a line (json-c), which rpol_input_decode uses
 * when the specialised one declines; same contract. */
rpol_status decode_line_general(rpol_input *in, const char *json,
                                size_t len);
/* The specialised decoder alone (for tests): 1 decoded, 0 declined, -1
 * out of memory. */
int decode_line_fast(rpol_input *in, const char *json, size_t len);
/* The raw text of an id (s[a..b)) without insignificant whitespace, in
 * the input's store; NULL out of memory. */
const char *decode_copy_id(rpol_input *in, const char *s, size_t a,
                           size_t b);
/* Sorts a set's elements of kind ek and drops repeats; the new count. */
int64_t decode_sort_dedupe(int ek, void *base, int64_t n);

/* ---- decisions ----------------------------------------------------------- */

#define RT_SCRATCH_BYTES (64 * 1024)

struct rpol_decision {
  rpol_policy *pol;
  struct rpol_result res;
  int done;                /* 1 after a decide */
  int bad_input;           /* that decide met bad_input */
  int sub;
  int untraced;            /* rpol_decision_set_trace(d, 0) */
  char country[3];
};

const char *rt_error_code_name(int code);
const char *rt_error_message(const rpol_decision *d);
const char *rt_location(const rpol_policy *p, int loc);
const char *rt_message_for(const rpol_policy *p, int code,
                           const char *locale);
/* The enum member name of value v for output/field enum index enm. */
const char *rt_enum_member(const struct rt_sub *s, int enm, int64_t v);

/* encode.c helpers shared with rpol.c */
struct wbuf {
  char *buf;
  size_t cap, len;
};
void wb_put(struct wbuf *w, const char *s, size_t n);
void wb_puts(struct wbuf *w, const char *s);
void wb_json_str(struct wbuf *w, const char *s, size_t n);
size_t wb_finish(struct wbuf *w);

size_t rt_input_begin(struct rpol_input *in, const char *json, size_t len);
void rt_set_elem_put(unsigned char *arr, size_t k, size_t sz, int ek,
                     const struct rpol_slot *es);

/* JSON text helpers shared by the decoders and the encoder (decode.c). */
int rt_hex4(const char *s, size_t n, size_t i, unsigned *out);
size_t rt_utf8_len(const unsigned char *s, size_t n);

#endif
