/* jit.c: in-memory compilation with ORC LLJIT (see jit.h).
 *
 * Each call builds its own LLVM context, module and LLJIT, so calls
 * never share LLVM state; the only process-wide step is target
 * initialisation (cg_init_native, run once).  The generated code may call
 * only memcmp/memcpy/memset from the host process, and value.c's helpers
 * that the passes did not inline (host_helpers: this library's copies,
 * defined by address); everything else it needs is linked into the module
 * (value.bc), and a generator with an allow-list keeps it from binding
 * anything more by accident.
 *
 * The module is compiled to an object file in memory by our own target
 * machine (the host's CPU, PIC, the small code model: the code of a built
 * .so, tuned for this machine) and the JIT only links that object.  So
 * the object can come from, and go to, the code cache (jit_cache.h).
 *
 * Tiers.  LLVM's full pipeline and code generation take most of a cold
 * compile (about 60 ms of a 30-case policy's 70).  In the tiered mode the
 * first code is compiled quickly (CG_OPT_QUICK, fast instruction
 * selection: about a third of the time, code about twice as slow) and
 * returned at once; a thread compiles the optimised code from the same
 * module, read back from bitcode into its own LLVM context (contexts are
 * not shared between threads), and swaps each evaluator in with one
 * atomic store.  So the policy decides from the start, and at full speed
 * as soon as a second core has finished.  Both codes come from one
 * module and decide alike; the quick code stays mapped until the policy is
 * released, since a decision may still be running in it.  The artifact
 * the runtime sees is then a copy in the host's memory whose eval array
 * is the one swapped.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <llvm-c/BitReader.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/TargetMachine.h>

#include "cg.h"
#include "jit.h"
#include "jit_cache.h"
#include "quick_lower.h"
#include "../runtime/value.h"

/* The metadata global's name in the module (cg.c, gen_artifact). */
#define RPOL_METADATA_SYMBOL "rpol.metadata"

/* Consumes e; returns malloc'd "prefix: message". */
static char *error_text(const char *prefix, LLVMErrorRef e)
{
  char *m = LLVMGetErrorMessage(e);
  size_t n = strlen(prefix) + strlen(m) + 3;
  char *s = malloc(n);

  if (s)
    snprintf(s, n, "%s: %s", prefix, m);
  LLVMDisposeErrorMessage(m);
  return s;
}

/* Takes msg (LLVMDisposeMessage); returns malloc'd "prefix: msg". */
static char *error_text_msg(const char *prefix, char *msg)
{
  size_t n = strlen(prefix) + (msg ? strlen(msg) : 0) + 3;
  char *s = malloc(n);

  if (s)
    snprintf(s, n, "%s: %s", prefix, msg ? msg : "");
  if (msg)
    LLVMDisposeMessage(msg);
  return s;
}

/* What a compiled policy keeps until it is released: the JIT (its code
 * and data) and the metadata text its artifact points to; when tiered,
 * the optimising thread, its JIT and the artifact whose evaluators it
 * swaps. */
struct jit_owned {
  LLVMOrcLLJITRef jit;
  char *metadata;
  /* Tiered only.  The thread owns bitcode, jit2 and t2 until joined. */
  struct rpol_artifact art;     /* the runtime's artifact; eval = evals,
                                   eval_plain = evals + nevals */
  rpol_eval_fn *evals;          /* [2 * nevals], swapped atomically */
  uint32_t nevals;
  pthread_t thread;
  int running;                  /* started and not joined */
  int joining;                  /* join_optimiser is joining it */
  int finished;                 /* its work is done (under forks.lock) */
  struct jit_owned *next_unjoined;   /* forks.unjoined */
  int cancel;                   /* atomic: release wants it to stop */
  LLVMMemoryBufferRef bitcode;  /* the module before any pass */
  LLVMOrcLLJITRef jit2;
  char *cache_dir;              /* store the optimised object here... */
  unsigned char key[JIT_CACHE_KEY_LEN];  /* ...under this key */
  struct timespec start;        /* the compile's start (monotonic) */
  struct jit_opt_times t2;
};

static void dispose_jit(LLVMOrcLLJITRef jit)
{
  LLVMErrorRef e;

  if (jit && (e = LLVMOrcDisposeLLJIT(jit)))
    LLVMConsumeError(e);
}

/* Fork safety.  A process that forks while an optimising thread runs
 * (a server that compiles its policies, then forks workers) would give
 * the child a copy of LLVM state in mid-change and a thread to join that
 * the child does not have.  So fork waits until every optimising thread
 * has finished its work (pthread_atfork's prepare: a few tens of ms at
 * most, for one policy) and joins it, unless another thread is joining
 * it already; the child forgets any such thread, which exists only in the
 * parent: releasing a policy there joins nothing. */
static struct {
  pthread_mutex_t lock;
  pthread_cond_t finished;
  struct jit_owned *unjoined;   /* started, not yet joined */
} forks = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL};

static int unfinished(void)
{
  struct jit_owned *o;

  for (o = forks.unjoined; o; o = o->next_unjoined)
    if (!o->finished)
      return 1;
  return 0;
}

static void before_fork(void)
{
  struct jit_owned **p, *o;

  pthread_mutex_lock(&forks.lock);
  while (unfinished())
    pthread_cond_wait(&forks.finished, &forks.lock);
  /* Each has returned or is returning: the join is short. */
  for (p = &forks.unjoined; (o = *p);) {
    if (o->joining) {
      p = &o->next_unjoined;
      continue;
    }
    pthread_join(o->thread, NULL);
    o->running = 0;
    *p = o->next_unjoined;
  }
}

static void after_fork_in_parent(void)
{
  pthread_mutex_unlock(&forks.lock);
}

static void after_fork_in_child(void)
{
  struct jit_owned *o;

  for (o = forks.unjoined; o; o = o->next_unjoined)
    o->running = 0;
  forks.unjoined = NULL;
  pthread_mutex_unlock(&forks.lock);
}

static pthread_once_t fork_handlers_once = PTHREAD_ONCE_INIT;

static void install_fork_handlers(void)
{
  (void)pthread_atfork(before_fork, after_fork_in_parent,
                       after_fork_in_child);
}

/* Starts o's optimising thread on fn; 0, or -1 when it could not. */
static int start_optimiser(struct jit_owned *o, void *(*fn)(void *))
{
  pthread_once(&fork_handlers_once, install_fork_handlers);
  pthread_mutex_lock(&forks.lock);
  if (pthread_create(&o->thread, NULL, fn, o) != 0) {
    pthread_mutex_unlock(&forks.lock);
    return -1;
  }
  o->running = 1;
  o->next_unjoined = forks.unjoined;
  forks.unjoined = o;
  pthread_mutex_unlock(&forks.lock);
  return 0;
}

/* The optimising thread's last act. */
static void optimiser_finished(struct jit_owned *o)
{
  pthread_mutex_lock(&forks.lock);
  o->finished = 1;
  pthread_cond_broadcast(&forks.finished);
  pthread_mutex_unlock(&forks.lock);
}

static void join_optimiser(struct jit_owned *o)
{
  struct jit_owned **p;
  int mine;

  /* A fork may have joined it already (before_fork). */
  pthread_mutex_lock(&forks.lock);
  mine = o->running && !o->joining;
  if (mine)
    o->joining = 1;
  pthread_mutex_unlock(&forks.lock);
  if (!mine)
    return;
  pthread_join(o->thread, NULL);
  pthread_mutex_lock(&forks.lock);
  for (p = &forks.unjoined; *p; p = &(*p)->next_unjoined)
    if (*p == o) {
      *p = o->next_unjoined;
      break;
    }
  o->running = 0;
  o->joining = 0;
  pthread_mutex_unlock(&forks.lock);
}

static void release_jit(void *ud)
{
  struct jit_owned *o = ud;

  /* The thread stops at its next step (stop_now); LLVM cannot be
   * interrupted within one, so this waits at most for the step under
   * way, or with a cache until the optimised code is stored. */
  __atomic_store_n(&o->cancel, 1, __ATOMIC_RELAXED);
  join_optimiser(o);
  dispose_jit(o->jit2);
  dispose_jit(o->jit);
  if (o->bitcode)
    LLVMDisposeMemoryBuffer(o->bitcode);
  free(o->t2.err);
  free(o->cache_dir);
  free(o->evals);
  free(o->metadata);
  free(o);
}

/* The metadata (~30 KB of JSON for the bench policy) is not compiled into
 * the JIT's object: the module declares it, and the JIT defines the symbol
 * at a copy in the host's memory (define_metadata).  Emitting it costs
 * little (0.3 M instructions: an object writer copies a string), but so
 * the cached objects do not carry a second copy, and the runtime always
 * reads the text the front end just made.  A built .so still embeds it
 * (cg's gen_artifact). */
static void declare_metadata(LLVMModuleRef mod)
{
  LLVMValueRef old = LLVMGetNamedGlobal(mod, RPOL_METADATA_SYMBOL), decl;

  if (!old)
    return;
  decl = LLVMAddGlobal(mod, LLVMGlobalGetValueType(old), "");
  LLVMSetGlobalConstant(decl, 1);
  LLVMSetLinkage(decl, LLVMExternalLinkage);
  LLVMReplaceAllUsesWith(old, decl);
  LLVMDeleteGlobal(old);
  LLVMSetValueName2(decl, RPOL_METADATA_SYMBOL,
                    strlen(RPOL_METADATA_SYMBOL));
}

static LLVMErrorRef define_metadata(LLVMOrcLLJITRef jit,
                                    LLVMOrcJITDylibRef jd, const char *md)
{
  LLVMJITCSymbolMapPair sym;
  LLVMOrcMaterializationUnitRef mu;
  LLVMErrorRef e;

  sym.Name = LLVMOrcLLJITMangleAndIntern(jit, RPOL_METADATA_SYMBOL);
  sym.Sym.Address = (LLVMOrcJITTargetAddress)(uintptr_t)md;
  sym.Sym.Flags.GenericFlags = LLVMJITSymbolGenericFlagsExported;
  sym.Sym.Flags.TargetFlags = 0;
  mu = LLVMOrcAbsoluteSymbols(&sym, 1);   /* takes the name */
  e = LLVMOrcJITDylibDefine(jd, mu);
  if (e)
    LLVMOrcDisposeMaterializationUnit(mu);
  return e;
}

/* value.c's helpers that the optimiser left as functions (it inlines the
 * small ones; rpol_percent_of's 128-bit division, the set unions and
 * differences stay calls) are not compiled again: the JIT binds their
 * calls to this library's own copies, compiled from the same value.c.
 * On bench/policy.rpol that is rpol_percent_of alone, and code generation
 * takes 13 M fewer instructions (of 119 M; docs/performance.md).  The
 * evaluators' code is unchanged: the helpers stay internal through the
 * passes, so the inliner decides as for a built .so. */
static const struct host_helper {
  const char *name;
  void *addr;
} host_helpers[] = {
  {"rpol_add", (void *)rpol_add},
  {"rpol_sub", (void *)rpol_sub},
  {"rpol_mul", (void *)rpol_mul},
  {"rpol_neg", (void *)rpol_neg},
  {"rpol_div", (void *)rpol_div},
  {"rpol_percent_of", (void *)rpol_percent_of},
  {"rpol_number_to_minor", (void *)rpol_number_to_minor},
  {"rpol_round_to", (void *)rpol_round_to},
  {"rpol_days_from_civil", (void *)rpol_days_from_civil},
  {"rpol_civil_from_days", (void *)rpol_civil_from_days},
  {"rpol_date_valid", (void *)rpol_date_valid},
  {"rpol_civil_valid", (void *)rpol_civil_valid},
  {"rpol_date_add", (void *)rpol_date_add},
  {"rpol_weekday", (void *)rpol_weekday},
  {"rpol_add_business_days", (void *)rpol_add_business_days},
  {"rpol_str_cmp", (void *)rpol_str_cmp},
  {"rpol_str_eq", (void *)rpol_str_eq},
  {"rpol_starts_with", (void *)rpol_starts_with},
  {"rpol_ends_with", (void *)rpol_ends_with},
  {"rpol_contains", (void *)rpol_contains},
  {"rpol_set_has_int", (void *)rpol_set_has_int},
  {"rpol_set_has_str", (void *)rpol_set_has_str},
  {"rpol_set_has_money", (void *)rpol_set_has_money},
  {"rpol_set_union_int", (void *)rpol_set_union_int},
  {"rpol_set_diff_int", (void *)rpol_set_diff_int},
  {"rpol_set_union_str", (void *)rpol_set_union_str},
  {"rpol_set_diff_str", (void *)rpol_set_diff_str},
  {"rpol_set_union_money", (void *)rpol_set_union_money},
  {"rpol_set_diff_money", (void *)rpol_set_diff_money},
};
#define N_HOST_HELPERS (sizeof host_helpers / sizeof host_helpers[0])

/* After the passes: a helper still defined becomes available_externally,
 * so code generation skips its body and the calls go to the symbol that
 * define_host_helpers binds. */
static void use_host_helpers(LLVMModuleRef mod)
{
  LLVMValueRef fn;
  size_t i;

  for (i = 0; i < N_HOST_HELPERS; i++) {
    fn = LLVMGetNamedFunction(mod, host_helpers[i].name);
    if (fn && !LLVMIsDeclaration(fn)) {
      LLVMSetLinkage(fn, LLVMAvailableExternallyLinkage);
      LLVMSetVisibility(fn, LLVMDefaultVisibility);
    }
  }
}

/* For the quick code, before its passes (which inline nothing): each
 * helper the runtime has becomes a bare declaration, so that neither the
 * passes nor code generation spend time on its body. */
static void declare_host_helpers(LLVMModuleRef mod)
{
  LLVMValueRef fn, decl;
  size_t i;

  for (i = 0; i < N_HOST_HELPERS; i++) {
    fn = LLVMGetNamedFunction(mod, host_helpers[i].name);
    if (!fn || LLVMIsDeclaration(fn))
      continue;
    decl = LLVMAddFunction(mod, "", LLVMGlobalGetValueType(fn));
    LLVMReplaceAllUsesWith(fn, decl);
    LLVMDeleteFunction(fn);
    LLVMSetValueName2(decl, host_helpers[i].name,
                      strlen(host_helpers[i].name));
  }
}

static LLVMErrorRef define_host_helpers(LLVMOrcLLJITRef jit,
                                        LLVMOrcJITDylibRef jd)
{
  LLVMJITCSymbolMapPair syms[N_HOST_HELPERS];
  LLVMOrcMaterializationUnitRef mu;
  LLVMErrorRef e;
  size_t i;

  for (i = 0; i < N_HOST_HELPERS; i++) {
    syms[i].Name = LLVMOrcLLJITMangleAndIntern(jit, host_helpers[i].name);
    syms[i].Sym.Address =
        (LLVMOrcJITTargetAddress)(uintptr_t)host_helpers[i].addr;
    syms[i].Sym.Flags.GenericFlags = LLVMJITSymbolGenericFlagsExported |
                                     LLVMJITSymbolGenericFlagsCallable;
    syms[i].Sym.Flags.TargetFlags = 0;
  }
  mu = LLVMOrcAbsoluteSymbols(syms, N_HOST_HELPERS);   /* takes the names */
  e = LLVMOrcJITDylibDefine(jd, mu);
  if (e)
    LLVMOrcDisposeMaterializationUnit(mu);
  return e;
}

/* Materialisation errors are also returned by the lookup that triggered
 * them; without this reporter ORC would print them to stderr too. */
static void quiet_reporter(void *ctx, LLVMErrorRef e)
{
  (void)ctx;
  LLVMConsumeError(e);
}

static int allow_host_symbol(void *ctx, LLVMOrcSymbolStringPoolEntryRef sym)
{
  static const char *const ok[] = {
    "memcmp", "bcmp", "memcpy", "memmove", "memset", NULL
  };
  const char *name = LLVMOrcSymbolStringPoolEntryStr(sym);
  char prefix = (char)(uintptr_t)ctx;   /* the global prefix, by value */
  int i;

  if (prefix && *name == prefix)
    name++;
  for (i = 0; ok[i]; i++)
    if (strcmp(name, ok[i]) == 0)
      return 1;
  return 0;
}

/* CPU time of the calling thread. */
static double now_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double wall_ms_since(const struct timespec *t0)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)(ts.tv_sec - t0->tv_sec) * 1e3 +
         (double)(ts.tv_nsec - t0->tv_nsec) / 1e6;
}

int jit_compile(const struct layout *L, const char *metadata, size_t len,
                const struct rpol_artifact **art, void (**release)(void *),
                void **release_ud, char **err)
{
  return jit_compile_timed(L, metadata, len, NULL, RPOL_JIT_OPTIMISED, NULL, art,
                           release, release_ud, err);
}

/* The module (consumed), after its passes, as an object file in memory
 * (owned), compiled by tm; or NULL with *err.  Adds the time to
 * *codegen_ms. */
static LLVMMemoryBufferRef emit_object(LLVMModuleRef mod,
                                       LLVMTargetMachineRef tm,
                                       double *codegen_ms, char **err)
{
  LLVMMemoryBufferRef obj = NULL;
  char *msg = NULL;
  double t0 = now_ms();

  use_host_helpers(mod);
  if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMObjectFile, &msg,
                                          &obj)) {
    obj = NULL;
    *err = error_text_msg("code generation failed", msg);
    msg = NULL;
  }
  if (msg)
    LLVMDisposeMessage(msg);
  LLVMDisposeModule(mod);
  *codegen_ms += now_ms() - t0;
  return obj;
}

/* Links the object (consumed) into a new JIT (*jitp, owned by the caller
 * even on failure); returns the artifact's address, or 0 with *err. */
static LLVMOrcJITTargetAddress link_object(LLVMOrcLLJITRef *jitp,
                                           const char *metadata,
                                           LLVMMemoryBufferRef obj,
                                           char **err)
{
  LLVMOrcDefinitionGeneratorRef gen = NULL;
  LLVMOrcJITDylibRef jd;
  LLVMOrcJITTargetAddress addr = 0;
  LLVMErrorRef e;
  char prefix;

  /* The builder is consumed even on failure. */
  e = LLVMOrcCreateLLJIT(jitp, LLVMOrcCreateLLJITBuilder());
  if (e) {
    *jitp = NULL;
    LLVMDisposeMemoryBuffer(obj);
    *err = error_text("cannot create the JIT", e);
    return 0;
  }
  LLVMOrcExecutionSessionSetErrorReporter(
      LLVMOrcLLJITGetExecutionSession(*jitp), quiet_reporter, NULL);
  jd = LLVMOrcLLJITGetMainJITDylib(*jitp);
  prefix = LLVMOrcLLJITGetGlobalPrefix(*jitp);
  e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
      &gen, prefix, allow_host_symbol,
      (void *)(uintptr_t)(unsigned char)prefix);
  if (e) {
    LLVMDisposeMemoryBuffer(obj);
    *err = error_text("cannot search the host for memcmp", e);
    return 0;
  }
  LLVMOrcJITDylibAddGenerator(jd, gen);   /* the dylib owns it now */
  e = define_metadata(*jitp, jd, metadata);
  if (e) {
    LLVMDisposeMemoryBuffer(obj);
    *err = error_text("cannot define the metadata", e);
    return 0;
  }
  e = define_host_helpers(*jitp, jd);
  if (e) {
    LLVMDisposeMemoryBuffer(obj);
    *err = error_text("cannot define the runtime's helpers", e);
    return 0;
  }
  /* The JIT owns the buffer from here, whatever happens. */
  e = LLVMOrcLLJITAddObjectFile(*jitp, jd, obj);
  if (e) {
    *err = error_text("the JIT refused the object", e);
    return 0;
  }
  e = LLVMOrcLLJITLookup(*jitp, &addr, RPOL_ARTIFACT_SYMBOL);
  if (e || !addr) {
    *err = e ? error_text("JIT linking failed", e)
             : strdup("JIT linking failed: no artifact symbol");
    return 0;
  }
  return addr;
}

/* The optimising thread's nice value: its CPU share against a busy
 * thread of nice 0 is about 10% (the kernel's weights, 110 against
 * 1,024), so it slows the host little and still finishes. */
#define JIT_OPTIMISER_NICE 10

static int released(struct jit_owned *o)
{
  return __atomic_load_n(&o->cancel, __ATOMIC_RELAXED);
}

/* Once the policy is released its optimised code is never linked; but
 * with a cache it is still compiled and stored, so that the next compile
 * of the policy finds it (a short `rpolc eval` would otherwise release
 * the policy before the cache ever held its code). */
static int stop_now(struct jit_owned *o)
{
  return released(o) && !o->cache_dir;
}

/* Policy i's evaluator without the trace (rpol_abi.h: eval's when the
 * artifact has none). */
static rpol_eval_fn plain_of(const struct rpol_artifact *a, uint32_t i)
{
  return a->eval_plain && a->eval_plain[i] ? a->eval_plain[i] : a->eval[i];
}

/* The optimising thread: the bitcode to the optimised code, then each
 * evaluator swapped in.  Any failure leaves the quick code in place (it
 * is complete and correct) and is kept in t2.err for jit_wait. */
static void *optimise_in_background(void *arg)
{
  struct jit_owned *o = arg;
  LLVMContextRef ctx = LLVMContextCreate();
  LLVMTargetMachineRef tm = NULL;
  LLVMMemoryBufferRef obj = NULL;
  LLVMOrcJITTargetAddress addr;
  const struct rpol_artifact *a;
  LLVMModuleRef mod = NULL;
  char *err = NULL;
  double t0 = now_ms();
  uint32_t i;

#ifdef __linux__
  /* Lower this thread's priority (on Linux a thread's own, not the
   * process's): on a busy machine the host's threads, which decide with
   * the quick code meanwhile, come first; on an idle core it runs at full
   * speed all the same.  Failing to is harmless. */
  (void)setpriority(PRIO_PROCESS, (id_t)gettid(), JIT_OPTIMISER_NICE);
#endif
  if (LLVMParseBitcodeInContext2(ctx, o->bitcode, &mod))
    err = strdup("cannot read the module back from bitcode");
  LLVMDisposeMemoryBuffer(o->bitcode);
  o->bitcode = NULL;
  if (!err)
    tm = cg_target_machine(1, &err);
  if (!err && !stop_now(o))
    err = cg_optimise(mod, tm, CG_OPT_FULL);
  o->t2.passes_ms = now_ms() - t0;
  if (!err && !stop_now(o)) {
    obj = emit_object(mod, tm, &o->t2.codegen_ms, &err);
    mod = NULL;
  }
  if (mod)
    LLVMDisposeModule(mod);
  if (tm)
    LLVMDisposeTargetMachine(tm);
  LLVMContextDispose(ctx);
  if (obj && o->cache_dir &&
      jit_cache_store(o->cache_dir, o->key, LLVMGetBufferStart(obj),
                      LLVMGetBufferSize(obj)) == 0)
    o->t2.stored = 1;
  if (obj && released(o)) {
    LLVMDisposeMemoryBuffer(obj);
    obj = NULL;
  }
  if (obj) {
    t0 = now_ms();
    addr = link_object(&o->jit2, o->metadata, obj, &err);
    o->t2.link_ms = now_ms() - t0;
    a = (const struct rpol_artifact *)(uintptr_t)addr;
    if (a && a->npolicies != o->nevals)
      err = strdup("the optimised code has another number of policies");
    else if (a) {
      /* Release: a thread that loads the new pointer sees the code and
       * data the JIT wrote before it. */
      for (i = 0; i < o->nevals; i++) {
        __atomic_store_n(&o->evals[i], a->eval[i], __ATOMIC_RELEASE);
        __atomic_store_n(&o->evals[o->nevals + i], plain_of(a, i),
                         __ATOMIC_RELEASE);
      }
      o->t2.swapped = 1;
      o->t2.ready_ms = wall_ms_since(&o->start);
    }
  }
  o->t2.err = err;
  optimiser_finished(o);
  return NULL;
}

/* The bundle as an object file in memory (owned), compiled by tm with the
 * pipeline of opt; or NULL with *err.  With tier2 (tiered mode, opt
 * quick), also hands the module, as bitcode, to tier2's optimising
 * thread, started here: as early as possible, so that it runs beside the
 * quick compile. */
static LLVMMemoryBufferRef compile_object(const struct layout *L,
                                          const char *metadata, size_t len,
                                          LLVMTargetMachineRef tm,
                                          enum cg_opt opt,
                                          struct jit_owned *tier2,
                                          struct jit_times *times, char **err)
{
  struct cg_times ct = {0, 0, 0};
  LLVMContextRef ctx = LLVMContextCreate();
  LLVMModuleRef mod;
  LLVMMemoryBufferRef obj = NULL;
  double t0;

  /* Local values and blocks unnamed: nothing reads their names here, and
   * each name costs a symbol table entry, then bitcode (0.9 M
   * instructions of the tiered compiling thread on bench/policy.rpol;
   * the object code is byte-identical). */
  LLVMContextSetDiscardValueNames(ctx, 1);

  /* The quick pipeline runs below, once the module as generated has gone
   * to the optimising thread. */
  mod = cg_bundle_timed(ctx, L, metadata, len, tm,
                        opt == CG_OPT_QUICK ? CG_OPT_NONE : opt, &ct, err);
  times->ir_ms = ct.ir_ms;
  times->verify_ms = ct.verify_ms;
  times->passes_ms = ct.passes_ms;
  if (mod) {
    declare_metadata(mod);
    if (tier2) {
      t0 = now_ms();
      tier2->bitcode = LLVMWriteBitcodeToMemoryBuffer(mod);
      if (!tier2->bitcode ||
          start_optimiser(tier2, optimise_in_background) != 0)
        tier2->t2.err = strdup("cannot start the optimising thread; the "
                               "quick code decides");
      times->bitcode_ms = now_ms() - t0;
    }
    if (opt == CG_OPT_QUICK) {
      t0 = now_ms();
      declare_host_helpers(mod);
      *err = cg_optimise(mod, tm, opt);
      /* Then no switch is left for fast selection to hand to the
       * SelectionDAG, nor jump tables to relocate (quick_lower.h). */
      if (!*err && quick_lower(mod) != 0)
        *err = strdup("out of memory");
      times->passes_ms += now_ms() - t0;
      if (*err) {
        LLVMDisposeModule(mod);
        mod = NULL;
      }
    }
  }
  if (mod)
    obj = emit_object(mod, tm, &times->codegen_ms, err);
  LLVMContextDispose(ctx);
  return obj;
}

int jit_compile_timed(const struct layout *L, const char *metadata,
                      size_t len, const char *cache_dir, rpol_jit_mode mode,
                      struct jit_times *times,
                      const struct rpol_artifact **art,
                      void (**release)(void *), void **release_ud, char **err)
{
  struct jit_times scratch;
  unsigned char key[JIT_CACHE_KEY_LEN];
  LLVMMemoryBufferRef obj = NULL;
  LLVMOrcJITTargetAddress addr;
  LLVMTargetMachineRef tm;
  const struct rpol_artifact *a;
  struct jit_owned *own;
  int keyed = 0, tiered;
  uint32_t i;
  double t0;

  *err = NULL;
  *art = NULL;
  *release = NULL;
  *release_ud = NULL;
  if (!times)
    times = &scratch;
  t0 = times == &scratch ? 0 : times->front_end_ms;   /* the caller's */
  memset(times, 0, sizeof *times);
  times->front_end_ms = t0;
  times->cache = JIT_CACHE_OFF;
  own = calloc(1, sizeof *own);
  if (own)
    own->metadata = malloc(len + 1);
  if (!own || !own->metadata) {
    free(own);
    *err = strdup("out of memory");
    return -1;
  }
  clock_gettime(CLOCK_MONOTONIC, &own->start);
  memcpy(own->metadata, metadata, len);
  own->metadata[len] = 0;
  /* The host's CPU, PIC and the small code model, as a built .so (ORC's
   * own default for x86-64 is the large code model: slower to compile).
   * At the quick code's level unless only optimised code is wanted: the
   * cache key reads the triple, CPU and features, the same at any level,
   * and one target machine fewer is 0.5 M instructions less. */
  tm = mode == RPOL_JIT_OPTIMISED
           ? cg_target_machine(1, err)
           : cg_target_machine_at(1, LLVMCodeGenLevelNone, err);
  if (!tm) {
    release_jit(own);
    return -1;
  }
  if (cache_dir) {
    t0 = now_ms();
    keyed = jit_cache_key(tm, metadata, len, key) == 0;
    if (keyed)
      obj = jit_cache_load(cache_dir, key);
    times->cache = !keyed ? JIT_CACHE_OFF : obj ? JIT_CACHE_HIT
                                                : JIT_CACHE_MISS;
    times->cache_ms += now_ms() - t0;
  }
  /* Cached code is the optimised code: no tiers then. */
  tiered = !obj && mode == RPOL_JIT_TIERED;
  if (!obj && mode == RPOL_JIT_OPTIMISED) {
    obj = compile_object(L, metadata, len, tm, CG_OPT_FULL, NULL, times,
                         err);
    if (obj && keyed) {
      t0 = now_ms();
      if (jit_cache_store(cache_dir, key, LLVMGetBufferStart(obj),
                          LLVMGetBufferSize(obj)) == 0)
        times->cache = JIT_CACHE_STORED;
      times->cache_ms += now_ms() - t0;
    }
  } else if (!obj) {
    /* Quick code is never cached: the cache holds optimised code only,
     * which the optimising thread stores. */
    own->nevals = (uint32_t)L->nprogs;
    own->evals = tiered ? calloc(L->nprogs ? 2 * (size_t)L->nprogs : 1,
                                 sizeof *own->evals)
                        : NULL;
    if (keyed && tiered) {
      own->cache_dir = strdup(cache_dir);
      memcpy(own->key, key, sizeof key);
    }
    if (tiered && !own->evals)
      *err = strdup("out of memory");
    else
      obj = compile_object(L, metadata, len, tm, CG_OPT_QUICK,
                           tiered ? own : NULL, times, err);
  }
  LLVMDisposeTargetMachine(tm);
  if (!obj) {
    release_jit(own);
    return -1;
  }
  t0 = now_ms();
  addr = link_object(&own->jit, own->metadata, obj, err);
  times->link_ms = now_ms() - t0;
  if (!addr) {
    release_jit(own);
    return -1;
  }
  a = (const struct rpol_artifact *)(uintptr_t)addr;
  if (tiered && a->npolicies != own->nevals) {
    *err = strdup("JIT linking failed: the code has another number of "
                  "policies");
    release_jit(own);
    return -1;
  }
  if (tiered) {
    /* The runtime's artifact is a copy whose evaluators the thread swaps;
     * one the thread has already swapped in is kept. */
    own->art = *a;
    for (i = 0; i < own->nevals; i++) {
      rpol_eval_fn none = NULL;

      __atomic_compare_exchange_n(&own->evals[i], &none, a->eval[i], 0,
                                  __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
      none = NULL;
      __atomic_compare_exchange_n(&own->evals[own->nevals + i], &none,
                                  plain_of(a, i), 0, __ATOMIC_ACQ_REL,
                                  __ATOMIC_ACQUIRE);
    }
    own->art.eval = own->evals;
    own->art.eval_plain = own->evals + own->nevals;
    a = &own->art;
    times->tiered = 1;
  }
  *art = a;
  *release = release_jit;
  *release_ud = own;
  return 0;
}

int jit_wait(void *release_ud, struct jit_opt_times *t)
{
  struct jit_owned *o = release_ud;

  join_optimiser(o);
  if (t)
    *t = o->t2;
  return o->t2.swapped ? 0 : -1;
}
