/* rpol.h: the public API of librpol, the runtime for rpol return policies.
 *
 * This header is the API, and the only API: if a function, type or
 * constant is not declared here it is not published, may change without
 * notice and must not be used by embedding programs (sqlite.h.in).
 *
 * A host opens a runtime, loads a built policy artifact (rpolc build), and
 * then, per return line, fills an input (from a JSON line or slot by slot),
 * decides it into a preallocated decision and reads or encodes the result:
 *
 *   rpol_runtime *rt;  rpol_policy *p;  rpol_input *in;  rpol_decision *d;
 *   rpol_runtime_new(&rt, NULL, NULL);
 *   if (rpol_load(rt, "acme.so", &p) != RPOL_OK)
 *     fprintf(stderr, "%s\n", rpol_errmsg(rt));
 *   rpol_input_new(p, &in);  rpol_decision_new(p, &d);
 *   if (rpol_input_decode(in, line, len) == RPOL_OK
 *       && rpol_decide(p, in, d) == RPOL_OK)
 *     rpol_decision_json(d, in, 0, NULL, buf, sizeof buf);
 *   else
 *     rpol_input_error_json(in, lineno, buf, sizeof buf);
 *
 * Ownership words: *borrows* (the caller keeps it), *returns owned* (free
 * it with the named function), *owned by X* (valid until X changes or is
 * freed).  Every function accepts NULL where it frees or unrefs.
 *
 * Threads: a runtime and its error message belong to one thread at a time.
 * A policy is immutable once externs are bound and may be shared by any
 * number of threads; each thread uses its own inputs and decisions.
 * rpol_decide is reentrant, allocates nothing and touches no global state.
 * The library starts a thread only in rpol_compile's default, tiered mode
 * (rpol_runtime_set_jit_mode), one per compile, joined when the policy is
 * freed.
 *
 * Memory: every allocation the runtime makes goes through the rpol_alloc_fn
 * given to rpol_runtime_new (json-c, used to parse metadata and JSON lines,
 * allocates with malloc internally; the per-decision path uses neither).
 */
#ifndef RPOL_H
#define RPOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RPOL_VERSION "0.1.0"
#define RPOL_VERSION_NUM 100      /* major*10000 + minor*100 + patch */

#if defined(__GNUC__)
#define RPOL_API __attribute__((visibility("default")))
#else
#define RPOL_API
#endif

typedef struct rpol_runtime rpol_runtime;    /* opaque */
typedef struct rpol_policy rpol_policy;      /* a loaded bundle; refcounted */
typedef struct rpol_input rpol_input;        /* one return line, decoded */
typedef struct rpol_decision rpol_decision;  /* one decision's result */

/* Status codes returned by API functions.  Append only: never renumber or
 * remove a code (curl.h). */
typedef enum rpol_status {
  RPOL_OK = 0,
  RPOL_ESYNTAX,      /* rpol_compile: the policy does not parse */
  RPOL_ESEMANTIC,    /* rpol_compile: the policy does not type-check */
  RPOL_ENOMEM,       /* an allocation failed */
  RPOL_EIO,          /* a file cannot be opened or read */
  RPOL_EABI,         /* an artifact built for another runtime ABI */
  RPOL_EJIT,         /* rpol_compile: code generation failed */
  RPOL_EARTIFACT,    /* not an rpol artifact, or corrupted metadata */
  RPOL_ESCHEMA,      /* an artifact built against another prelude schema */
  RPOL_EINPUT,       /* a return line is bad_input (see rpol_input_errmsg) */
  RPOL_EMISUSE,      /* an invalid argument (NULL, wrong handle, range) */
  RPOL_ENOTFOUND,    /* no extern, slot, output or policy of that name */
  RPOL_ETYPE         /* a slot setter of the wrong type for the field */
  /* append new codes here */
} rpol_status;

/* The allocator, with lua_Alloc's contract: (ud, NULL, 0, n) allocates,
 * (ud, p, o, n) reallocates a block of o bytes, (ud, p, o, 0) frees and
 * returns NULL, (ud, NULL, 0, 0) does nothing.  Returns NULL on failure
 * (only when nsize > 0).  Must be thread-safe if the runtime's objects are
 * used from several threads. */
typedef void *(*rpol_alloc_fn)(void *ud, void *ptr, size_t osize,
                               size_t nsize);

/* An extern function as the host provides it (§9), cast to this type;
 * its real signature must match the declaration in the policy:
 * bool -> int, int -> int64_t, string -> const char *, date -> int32_t. */
typedef void (*rpol_extern_fn)(void);

/* ---- library -------------------------------------------------------------- */

/* RPOL_VERSION_NUM of the library actually linked. */
RPOL_API int rpol_version(void);
/* A short English text for a status ("out of memory"); never NULL. */
RPOL_API const char *rpol_strerror(rpol_status s);

/* ---- runtime -------------------------------------------------------------- */

/* Opens a runtime that allocates with f(ud, ...), or with the C library
 * when f is NULL.  *out is owned: free with rpol_runtime_free. */
RPOL_API rpol_status rpol_runtime_new(rpol_runtime **out, rpol_alloc_fn f,
                                      void *ud);
/* Drops the caller's reference; the runtime lives on while policies loaded
 * from it are still referenced.  NULL is a no-op. */
RPOL_API void rpol_runtime_free(rpol_runtime *rt);
/* Lets rpol_compile keep the machine code it compiles in the directory
 * `dir` (created, mode 0700, when missing) and reuse it when the same
 * policy is compiled again by the same build of the library on the same
 * kind of CPU: a compile that finds its code there skips LLVM (a few ms
 * instead of tens for a 30-case policy).  The entries are keyed by
 * a SHA-256 of everything that determines the code (the sources, the
 * schema, the CPU, the LLVM and rpol builds) and checked (length and
 * SHA-256) before use; a missing, damaged or unwritable cache only means
 * compiling, never an error or another decision.  The objects are machine
 * code this process runs: `dir` must be writable only by trusted users.
 * Old entries are never removed (one file of tens of KB per policy
 * version).  The string is copied; NULL disables the cache (the default).
 * Returns RPOL_OK, RPOL_EMISUSE ("" or no runtime) or RPOL_ENOMEM. */
RPOL_API rpol_status rpol_runtime_set_cache_dir(rpol_runtime *rt,
                                                const char *dir);
/* How rpol_compile turns a policy into machine code (docs/performance.md,
 * "The tiered JIT").  Append only. */
typedef enum rpol_jit_mode {
  /* The default.  rpol_compile returns as soon as quickly compiled code
   * can decide (about a third of the compile time; the code takes about
   * twice as long per decision), and a thread of the library compiles the
   * optimised code meanwhile and swaps it in, atomically, when it is
   * ready.  Both decide alike.  Freeing the policy stops the thread. */
  RPOL_JIT_TIERED = 0,
  /* rpol_compile returns with the optimised code: the most compile time,
   * no thread. */
  RPOL_JIT_OPTIMISED,
  /* The quick code only: the least compile time, for short-lived
   * policies (a few thousand decisions). */
  RPOL_JIT_QUICK
} rpol_jit_mode;

/* Sets how rpol_compile compiles from now on; code found in the cache
 * (rpol_runtime_set_cache_dir) is optimised code in every mode.  Returns
 * RPOL_OK or RPOL_EMISUSE (no runtime, unknown mode). */
RPOL_API rpol_status rpol_runtime_set_jit_mode(rpol_runtime *rt,
                                               rpol_jit_mode mode);
/* The message of the last failed runtime call (rpol_load, rpol_compile),
 * "" if none; owned by rt, valid until its next call. */
RPOL_API const char *rpol_errmsg(const rpol_runtime *rt);

/* ---- policies ------------------------------------------------------------- */

/* Loads an artifact built by `rpolc build` (a shared object exporting
 * rpol_artifact_v1) and checks its magic, ABI version, schema and metadata.
 * On failure returns RPOL_EIO, RPOL_EARTIFACT, RPOL_EABI or RPOL_ESCHEMA and
 * rpol_errmsg(rt) says why.  *out is owned with one reference. */
RPOL_API rpol_status rpol_load(rpol_runtime *rt, const char *path,
                               rpol_policy **out);
/* Reserved: compiles a policy file or bundle directory with the JIT.  It
 * is provided by the compiler part of the library. */
RPOL_API rpol_status rpol_compile(rpol_runtime *rt, const char *path,
                                  rpol_policy **out);

/* Reference counting (atomic): a policy is freed, and its shared object
 * unloaded, when the last reference, including those held by its inputs
 * and decisions, is dropped.  rpol_policy_free is rpol_policy_unref. */
RPOL_API rpol_policy *rpol_policy_ref(rpol_policy *p);
RPOL_API void rpol_policy_unref(rpol_policy *p);
RPOL_API void rpol_policy_free(rpol_policy *p);

/* Binds the extern `name` to fn (NULL unbinds: calling it is then the
 * evaluation error unbound_extern).  Bind before deciding: binding is not
 * synchronised with decisions running in other threads. */
RPOL_API rpol_status rpol_bind_extern(rpol_policy *p, const char *name,
                                      rpol_extern_fn fn);
RPOL_API int rpol_policy_nexterns(const rpol_policy *p);
/* Name and signature text ("fraud_score(string) -> int") of extern i. */
RPOL_API const char *rpol_policy_extern_name(const rpol_policy *p, int i);
RPOL_API const char *rpol_policy_extern_signature(const rpol_policy *p,
                                                  int i);

/* Introspection.  A bundle holds one or more policies, numbered from 0 in
 * artifact order; strings are owned by p. */
RPOL_API int rpol_policy_count(const rpol_policy *p);
RPOL_API const char *rpol_policy_name(const rpol_policy *p, int i);
RPOL_API const char *rpol_policy_version(const rpol_policy *p, int i);
/* The compiler that built the artifact ("rpolc 0.1.0"). */
RPOL_API const char *rpol_policy_compiler(const rpol_policy *p);
/* Index of the policy named `name`, -1 if none. */
RPOL_API int rpol_policy_find(const rpol_policy *p, const char *name);
/* Index of the policy that serves customers of `country` ("DE"): the one
 * whose `for` set holds it, else the fallback; -1 when no policy serves it
 * (no_policy), -2 when it is not an ISO 3166 code. */
RPOL_API int rpol_policy_route(const rpol_policy *p, const char *country);
/* Outputs of policy i: the 13 standard outputs of §6 in table order
 * (eligible is 0), then its custom outputs. */
RPOL_API int rpol_policy_noutputs(const rpol_policy *p, int i);
RPOL_API const char *rpol_policy_output_name(const rpol_policy *p, int i,
                                             int k);

/* ---- hot reload ----------------------------------------------------------- */

/* A handle holds the current version of a policy and lets a host replace
 * it atomically while other threads decide.  A reader never sees a torn or
 * freed policy: it decides with a policy it holds a reference to, and the
 * old version is freed when its last reader lets go.  Per thread:
 *
 *   rpol_policy *p = NULL;  rpol_input *in = NULL;  rpol_decision *d = NULL;
 *   for each line:
 *     if (rpol_handle_refresh(h, &p))   (a new version: rebuild in, d)
 *       { free in and d; rpol_input_new(p, &in); rpol_decision_new(p, &d); }
 *     decode, rpol_decide(p, in, d); the version that decided is
 *     rpol_policy_version(p, rpol_decision_policy(d))
 *   rpol_handle_release(p) (after freeing in and d)
 *
 * rpol_handle_refresh costs one atomic load when nothing changed and
 * takes a lock only to pick up a new version. */
typedef struct rpol_handle rpol_handle;
/* A handle holding a reference to p, allocated from rt (which must stay
 * open until rpol_handle_free).  *out is owned. */
RPOL_API rpol_status rpol_handle_new(rpol_runtime *rt, rpol_policy *p,
                                     rpol_handle **out);
/* Drops the handle's reference; readers keep theirs.  NULL is a no-op. */
RPOL_API void rpol_handle_free(rpol_handle *h);
/* Makes p (borrowed: the handle takes its own reference) the current
 * version; the previous one is released.  Thread-safe. */
RPOL_API rpol_status rpol_handle_swap(rpol_handle *h, rpol_policy *p);
/* A new reference to the current version (release it with
 * rpol_handle_release or rpol_policy_unref); NULL if h is NULL. */
RPOL_API rpol_policy *rpol_handle_acquire(rpol_handle *h);
RPOL_API void rpol_handle_release(rpol_policy *p);
/* Makes *p the current version: if it is not (or is NULL), releases *p and
 * acquires the current one.  Returns 1 when *p changed, 0 when it already
 * was current, -1 on misuse. */
RPOL_API int rpol_handle_refresh(rpol_handle *h, rpol_policy **p);
/* How many swaps the handle has seen. */
RPOL_API uint64_t rpol_handle_generation(const rpol_handle *h);

/* ---- inputs --------------------------------------------------------------- */

/* An input record with room for the largest policy of the bundle.  Holds a
 * reference to p.  *out is owned: free with rpol_input_free. */
RPOL_API rpol_status rpol_input_new(rpol_policy *p, rpol_input **out);
RPOL_API void rpol_input_free(rpol_input *in);

/* Decodes one JSON line (§12; a trailing "\r" is ignored; len excludes any
 * "\n"): routes it by customer.country, then validates every declared field
 * of the routed policy.  RPOL_EINPUT for bad_input, with a message naming
 * the field path and what was expected (rpol_input_errmsg).  A line that no
 * policy serves decodes fine; deciding it gives the error no_policy.
 * Storage is reused from line to line: it grows, never shrinks
 * (RPOL_ENOMEM when it cannot grow). */
RPOL_API rpol_status rpol_input_decode(rpol_input *in, const char *json,
                                       size_t len);
/* The bad_input message of the last failed decode or setter, "" if none;
 * owned by in. */
RPOL_API const char *rpol_input_errmsg(const rpol_input *in);
/* The line's "id" as compact JSON text, NULL if the line had none; owned
 * by in. */
RPOL_API const char *rpol_input_id(const rpol_input *in);
/* Index of the policy the line was routed to, -1 for no_policy. */
RPOL_API int rpol_input_policy(const rpol_input *in);

/* Slots, for hosts that do not speak JSON.  Resolve a field's slot once:
 * `policy` is a policy index (see rpol_policy_route/rpol_policy_find); the
 * result is negative if the policy has no such field.  Then, per line:
 * rpol_input_route (which resets every field to its default or to missing),
 * then the setters, then rpol_decide.  Setters borrow nothing unless said,
 * allocate nothing, and fail with RPOL_ETYPE for a field of another type,
 * RPOL_EMISUSE for a slot of another policy than the routed one, and
 * RPOL_EINPUT for a value outside the field's type (an unknown enum
 * member, a date outside 0001..9999). */
typedef int32_t rpol_slot_id;
RPOL_API rpol_slot_id rpol_input_slot(const rpol_policy *p, int policy,
                                      const char *path);
RPOL_API rpol_status rpol_input_route(rpol_input *in, const char *country);
RPOL_API rpol_status rpol_input_set_bool(rpol_input *in, rpol_slot_id s,
                                         int v);
/* int and duration (days) fields. */
RPOL_API rpol_status rpol_input_set_int(rpol_input *in, rpol_slot_id s,
                                        int64_t v);
/* minor units of `currency` ("EUR"), or of order.currency if NULL. */
RPOL_API rpol_status rpol_input_set_money(rpol_input *in, rpol_slot_id s,
                                          int64_t minor,
                                          const char *currency);
/* percent scaled by 10^4: 12.5% is 125000. */
RPOL_API rpol_status rpol_input_set_percent(rpol_input *in, rpol_slot_id s,
                                            int64_t p);
RPOL_API rpol_status rpol_input_set_date(rpol_input *in, rpol_slot_id s,
                                         int year, int month, int day);
/* Borrows s (NUL-terminated UTF-8) until the next route, decode or free. */
RPOL_API rpol_status rpol_input_set_string(rpol_input *in, rpol_slot_id s,
                                           const char *str);
/* Enum member, country or currency code, by its exact name. */
RPOL_API rpol_status rpol_input_set_enum(rpol_input *in, rpol_slot_id s,
                                         const char *name);
/* Any field, from the JSON text of its value as a line would hold it
 * (sets: '["a","b"]'); copies, and may allocate to grow storage. */
RPOL_API rpol_status rpol_input_set_json(rpol_input *in, rpol_slot_id s,
                                         const char *json, size_t len);
/* Back to missing (an optional field) or the default; a required field
 * becomes unset, and deciding then reports bad_input. */
RPOL_API rpol_status rpol_input_unset(rpol_input *in, rpol_slot_id s);

/* ---- decisions ------------------------------------------------------------ */

/* A decision with every buffer a decision of p can need.  Holds a
 * reference to p.  *out is owned: free with rpol_decision_free. */
RPOL_API rpol_status rpol_decision_new(rpol_policy *p, rpol_decision **out);
RPOL_API void rpol_decision_free(rpol_decision *d);
/* Whether d's decisions record where each output was decided (on, the
 * default) for rpol_decision_trace and RPOL_JSON_EXPLAIN.  Off, compiled
 * policies decide with evaluators built without the trace (no trace
 * stores, no reset of the trace per decision: docs/performance.md),
 * rpol_decision_trace returns NULL and the JSON record has no "trace".
 * The decisions are otherwise the same.  Takes effect from the next
 * rpol_decide. */
RPOL_API rpol_status rpol_decision_set_trace(rpol_decision *d, int on);

/* Decides the input into d: no allocation, no global state; reentrant for
 * distinct inputs and decisions.  RPOL_OK when d holds an outcome: a
 * decision or an evaluation error (rpol_decision_error).  RPOL_EINPUT when
 * the input is bad_input (the last decode failed, or a required field was
 * not set); RPOL_EMISUSE when in or d belong to another policy. */
RPOL_API rpol_status rpol_decide(const rpol_policy *p, rpol_input *in,
                                 rpol_decision *d);

enum rpol_verdict {
  RPOL_ALLOW = 0,
  RPOL_REVIEW = 1,
  RPOL_DENY = 2,
  RPOL_NO_VERDICT = -1   /* the decision is an error */
};
RPOL_API int rpol_decision_verdict(const rpol_decision *d);
/* Index of the deciding policy, -1 for no_policy. */
RPOL_API int rpol_decision_policy(const rpol_decision *d);
/* The verdict's code ("final_sale"), NULL for a plain allow. */
RPOL_API const char *rpol_decision_reason(const rpol_decision *d);
/* The reason's message in `locale` (exact, then the language before the
 * first '-', then "en"; NULL locale means "en"), NULL if none. */
RPOL_API const char *rpol_decision_message(const rpol_decision *d,
                                           const char *locale);
/* The evaluation error code text ("overflow", "no_policy", "bad_input"),
 * NULL for a decision; its location "file:line:col", NULL if none; a
 * helpful English message. */
RPOL_API const char *rpol_decision_error(const rpol_decision *d);
RPOL_API const char *rpol_decision_error_at(const rpol_decision *d);
RPOL_API const char *rpol_decision_error_message(const rpol_decision *d);

/* Outputs of the deciding policy, numbered as rpol_policy_output_name. */
enum rpol_type {
  RPOL_T_BOOL, RPOL_T_INT, RPOL_T_MONEY, RPOL_T_PERCENT, RPOL_T_DATE,
  RPOL_T_DURATION, RPOL_T_STRING, RPOL_T_COUNTRY, RPOL_T_CURRENCY,
  RPOL_T_ENUM, RPOL_T_SET, RPOL_T_VERDICT
};
struct rpol_value {
  int type;            /* enum rpol_type */
  int present;         /* 0: not decided or not reported (a denial) */
  int64_t i;           /* bool 0/1, int, duration (days), date (days since
                          1970-01-01), percent (x10^4), money (minor
                          units), enum member index, verdict; set: count */
  char code[4];        /* money: its ISO 4217 currency; country and
                          currency: the code (then s points here) */
  const char *s;       /* string text; enum member, country or currency
                          name; owned by the decision / policy */
  size_t len;          /* strlen of s */
};
RPOL_API int rpol_decision_noutputs(const rpol_decision *d);
/* Index of output `name` in the deciding policy, -1 if none. */
RPOL_API int rpol_decision_output_index(const rpol_decision *d,
                                        const char *name);
RPOL_API rpol_status rpol_decision_output(const rpol_decision *d, int k,
                                          struct rpol_value *out);
/* Where output k was decided ("file:line:col"), NULL if not reported. */
RPOL_API const char *rpol_decision_trace(const rpol_decision *d, int k);

/* JSON encoding (§12), snprintf-like: writes at most cap bytes including
 * a NUL and returns the length the whole text needs (without the NUL).
 * The record is compact (no spaces) and has no trailing newline.
 * `in` is the decided input (for id, currency and dates), `locale` the
 * locale for lines without request.locale (NULL: "en"). */
#define RPOL_JSON_EXPLAIN 1u
RPOL_API size_t rpol_decision_json(const rpol_decision *d,
                                   const rpol_input *in, unsigned flags,
                                   const char *locale, char *buf,
                                   size_t cap);
/* The bad_input record of the input's last failed decode (or setter):
 * {"id":...,"line":N,"error":{"code":"bad_input","message":"..."}},
 * "id" omitted when unknown.  Same return convention. */
RPOL_API size_t rpol_input_error_json(const rpol_input *in, long line,
                                      char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
