/* rpol_abi.h: the contract between evaluators and librpol.
 *
 * An evaluator is a function that decides one return line: it reads input
 * slots and writes a result.  Three back ends produce evaluators (LLVM code
 * compiled ahead of time into a .so, the same code compiled by the JIT, and
 * the reference interpreter); the runtime cannot tell them apart.  What an
 * evaluator needs to know about its policy's layout (which slot holds which
 * field, which enum has which members) is fixed by the compiler and shipped
 * beside the code as a metadata document (JSON, see docs/artifacts.md).
 *
 * This header is internal: it is shared by the compiler and the runtime and
 * is not installed.  Bump RPOL_ABI_VERSION whenever any struct here changes.
 */
#ifndef RPOL_ABI_H
#define RPOL_ABI_H

#include <stdint.h>

#define RPOL_ABI_VERSION 2
#define RPOL_ARTIFACT_MAGIC 0x4c4f5052u  /* "RPOL" little-endian */

/* Evaluation error codes (§10).  0 is a decision. */
enum rpol_code {
  RPOL_DECIDED = 0,
  RPOL_E_MISSING_INPUT,
  RPOL_E_CURRENCY_MISMATCH,
  RPOL_E_INEXACT_AMOUNT,
  RPOL_E_OVERFLOW,
  RPOL_E_DIVISION_BY_ZERO,
  RPOL_E_UNBOUND_EXTERN,
  RPOL_E_NO_POLICY,
  RPOL_E_BAD_INPUT
};

/* The standard outputs of §6, numbered as evaluators and the metadata
 * number them (custom outputs follow, from OUT_NSTD on). */
enum rpol_std_output {
  OUT_ELIGIBLE, OUT_REFUND_METHOD, OUT_SHIPPING_PAYER, OUT_RESTOCKING_FEE,
  OUT_RETURN_SHIPPING_FEE, OUT_SHIPPING_REFUND, OUT_DUTIES_REFUND,
  OUT_REFUND_AMOUNT, OUT_REFUND_TRIGGER, OUT_RETURN_REQUIRED, OUT_WINDOW,
  OUT_REFUND_WITHIN, OUT_ROUTE,
  OUT_NSTD
};

/* Value kinds as laid out in a slot. */
enum rpol_kind {
  RPOL_K_BOOL, RPOL_K_INT, RPOL_K_MONEY, RPOL_K_PERCENT, RPOL_K_DATE,
  RPOL_K_DURATION, RPOL_K_STRING, RPOL_K_COUNTRY, RPOL_K_CURRENCY,
  RPOL_K_ENUM, RPOL_K_SET
};

/* A country code "DE" is (D-'A')*26 + (E-'A'), 0..675; a currency code
 * "EUR" is ((E-'A')*26 + (U-'A'))*26 + (R-'A'), 0..17575. */
#define RPOL_NCOUNTRY_CODES 676
#define RPOL_NCURRENCY_CODES 17576

struct rpol_str {
  const char *ptr;      /* UTF-8, NUL-terminated (externs receive it) */
  int64_t len;          /* bytes, without the NUL */
};

/* A money set element, and the element of a sorted money set. */
struct rpol_money {
  int64_t amount;       /* minor units */
  int32_t cur;          /* currency code number */
  int32_t pad;
};

/* One value: an input field, or a decided output.
 *
 *   bool      v = 0 or 1
 *   int       v
 *   money     v = minor units, cur = currency code number
 *   percent   v = percent * 10^4 (12.5% is 125000)
 *   date      v = days since 1970-01-01 (proleptic Gregorian)
 *   duration  v = days
 *   string    p = bytes (NUL-terminated), n = length in bytes
 *   country   v = country code number
 *   currency  v = currency code number
 *   enum      v = member index
 *   set       p = sorted, duplicate-free array, n = element count; elements
 *             are int64_t (the scalar kinds' v), struct rpol_str (string),
 *             or struct rpol_money (money; sorted by currency then amount)
 *
 * Memory that p points to belongs to whoever filled the slot: the input
 * record for inputs, the result for outputs, the artifact for constants.
 */
struct rpol_slot {
  uint8_t present;      /* 0: missing (an optional input), or not decided */
  uint8_t kind;         /* enum rpol_kind */
  uint8_t elem_kind;    /* sets: the element's enum rpol_kind */
  uint8_t pad;
  int32_t cur;
  int64_t v;
  const void *p;
  int64_t n;
};

/* What an evaluator writes.  Outputs are numbered as in the metadata: the
 * 13 standard outputs in the order of §6's table (eligible first), then the
 * policy's custom outputs.  The runtime allocates `out` and `trace` with
 * room for the largest policy of the artifact, once, before any decision. */
struct rpol_result {
  int32_t code;         /* enum rpol_code */
  int32_t err_loc;      /* location index of the failing expression, -1 */
  int32_t policy;       /* index of the deciding policy in the artifact */
  int32_t verdict;      /* 0 allow, 1 review, 2 deny */
  int32_t reason;       /* code index (metadata "codes"), -1 for none */
  int32_t pad;
  struct rpol_slot *out;   /* [noutputs]; .present = decided/reported */
  int32_t *trace;          /* [noutputs]; location index, -1 */
  /* Scratch memory for set values built during one decision (union and
   * difference of input sets); reset by the runtime before each decision.
   * An evaluator that runs out reports RPOL_E_OVERFLOW. */
  unsigned char *scratch;
  int64_t scratch_cap, scratch_used;
};

/* An extern as the host bound it (NULL = unbound). */
typedef void (*rpol_extern_ptr)(void);

/* Read-only per-call environment. */
struct rpol_env {
  const rpol_extern_ptr *externs;  /* [nexterns] in metadata order */
  const int8_t *cur_exponent;      /* [RPOL_NCURRENCY_CODES]; -1 unknown */
  void *host;                      /* back-end private (the interpreter's
                                      program); NULL for compiled code */
};

/* An evaluator for one policy.  Returns the code it wrote to res->code.
 * The caller resets the result before each call, as rpol_decide does:
 * code RPOL_DECIDED, err_loc -1, policy the evaluator's index, verdict 0,
 * reason -1, scratch_used 0, every out[k] zeroed (not reported) and every
 * trace[k] -1.  An evaluator writes only what it decides; after an
 * error, out and trace may hold what it decided before the error, and
 * readers look at them only when code is RPOL_DECIDED. */
typedef int (*rpol_eval_fn)(const struct rpol_slot *in,
                            struct rpol_result *res,
                            const struct rpol_env *env);

/* The one symbol a built .so exports, and what the JIT produces. */
struct rpol_artifact {
  uint32_t magic;                  /* RPOL_ARTIFACT_MAGIC */
  uint32_t abi_version;            /* RPOL_ABI_VERSION */
  uint32_t struct_size;            /* sizeof(struct rpol_artifact) */
  uint32_t npolicies;
  const char *metadata;            /* JSON, NUL-terminated */
  uint64_t metadata_len;
  const rpol_eval_fn *eval;        /* [npolicies], metadata order */
  /* [npolicies] the same evaluators without the trace: they never write
   * trace[], so the caller need not reset it (rpol_decision_set_trace).
   * NULL, or an entry NULL: use eval[]. */
  const rpol_eval_fn *eval_plain;
};

#define RPOL_ARTIFACT_SYMBOL "rpol_artifact_v1"

#endif
