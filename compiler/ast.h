/* ast.h: the rpol syntax tree, and the checked program built from it.
 *
 * The parser builds files of declarations (grammar actions only build nodes).
 * sema.c then resolves every name, gives every expression its type, and
 * assembles a `struct program` per policy: the policy, its modules and the
 * prelude in one scope.  The checked program is the hub of the compiler: the
 * LLVM code generator, the reference interpreter, the formatter and the
 * layout writer read it and nothing else, so everything a back end needs is
 * recorded here, independently of any one back end.
 *
 * Everything lives in the session arena.  Fields marked (sema) are zero after
 * parsing and filled by the checker; back ends may rely on them only for
 * programs that checked without errors.
 */
#ifndef RPOL_AST_H
#define RPOL_AST_H

#include <stdint.h>
#include "arena.h"
#include "source.h"
#include "../runtime/rpol_abi.h"

struct decl;
struct expr;
struct file;

/* ------------------------------------------------------------------ types */

enum type_kind {
  TY_ERROR,      /* after a reported error; silences follow-on errors */
  TY_BOOL, TY_INT, TY_MONEY, TY_PERCENT, TY_DATE, TY_DURATION, TY_STRING,
  TY_COUNTRY, TY_CURRENCY,
  TY_ENUM,       /* .enm is the D_ENUM declaration */
  TY_SET,        /* .elem is the element type */
  TY_VERDICT,
  TY_NUMBER,     /* an untyped number (literals, unary -, +, -), see §14 */
  TY_EMPTYSET    /* `{}` before an expected type gives its element type */
};

struct type {
  enum type_kind kind;
  struct decl *enm;          /* TY_ENUM */
  const struct type *elem;   /* TY_SET */
};

/* Types are interned: compare pointers.  Set types are interned per
 * element type by type_set(). */
extern const struct type type_error, type_bool, type_int, type_money,
    type_percent, type_date, type_duration, type_string, type_country,
    type_currency, type_verdict, type_number, type_emptyset;
const struct type *type_enum(struct arena *a, struct decl *enm);
const struct type *type_set(struct arena *a, const struct type *elem);
/* "int", "money", "set<Category>", ... (arena-allocated). */
const char *type_name(struct arena *a, const struct type *t);

/* A type as written in a declaration: a name and, for set<T>, an element. */
struct type_expr {
  struct span span;
  const char *name;              /* "int", "money", "set", "Category", ... */
  struct type_expr *elem;        /* set<elem> */
};

/* ------------------------------------------------------------ expressions */

enum expr_kind {
  EX_INT,        /* integer literal: .u.num (scale 0); untyped number */
  EX_DEC,        /* decimal literal: .u.num; untyped number */
  EX_MONEY,      /* `12.50 EUR`: .u.money (text checked by sema) */
  EX_PERCENT,    /* `12.5%`: .u.num with scale <= 4 */
  EX_DURATION,   /* `3 weeks`: .u.days */
  EX_DATE,       /* `2026-02-28`: .u.days since 1970-01-01 (sema validates) */
  EX_STRING,     /* .u.str, escapes already decoded */
  EX_BOOL,       /* .u.b */
  EX_VERDICT,    /* allow / review "c" / deny "c": .u.verdict */
  EX_NAME,       /* identifier: .u.name; sema fills .ref */
  EX_QUALIFIED,  /* `Enum.member`: .u.qual; sema fills .ref */
  EX_PATH,       /* input path `item.dims.weight`: .u.path; sema fills .ref */
  EX_UNARY,      /* .u.unary */
  EX_BINARY,     /* .u.bin: arithmetic, comparison, and/or */
  EX_IN,         /* `x in S`, `x not in S`: .u.in */
  EX_OF,         /* `P of M`: .u.bin (lhs percent, rhs money) */
  EX_COALESCE,   /* `A ?? B`: .u.bin (lhs is an EX_PATH) */
  EX_IF,         /* .u.cond */
  EX_CALL,       /* .u.call; sema fills .ref (builtin or function) */
  EX_SET         /* `{a, b}`: .u.set */
};

enum unary_op { UN_NEG, UN_NOT };

enum binary_op {
  BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV,
  BIN_EQ, BIN_NE, BIN_LT, BIN_LE, BIN_GT, BIN_GE,
  BIN_AND, BIN_OR
};

enum verdict_kind { VERDICT_ALLOW, VERDICT_REVIEW, VERDICT_DENY };

/* An exact decimal: value = mant / 10^scale.  The parser rejects literals
 * whose mantissa does not fit in 64 bits (a compile error, not a wrap). */
struct decimal {
  int64_t mant;
  int scale;
};

/* The built-in functions of §5.5 and the issue-5 calendar helpers. */
enum builtin {
  BI_NONE,
  BI_MIN, BI_MAX, BI_ABS, BI_PRESENT,
  BI_STARTS_WITH, BI_ENDS_WITH, BI_CONTAINS,
  BI_TO_DAYS, BI_ROUND,
  BI_WEEKDAY,           /* weekday(date) -> int, 1 = Monday .. 7 = Sunday */
  BI_ADD_BUSINESS_DAYS  /* add_business_days(date, int) -> date (Mon-Fri) */
};

/* What a name resolved to (sema). */
enum ref_kind {
  REF_NONE,
  REF_PARAM,       /* .index = parameter position in .decl (a D_FN) */
  REF_LET,         /* .decl is the D_LET */
  REF_CONST,       /* .decl is the D_CONST */
  REF_REGION,      /* .decl is the D_REGION */
  REF_OUTPUT,      /* .decl is the D_OUTPUT (reading a decided output) */
  REF_MEMBER,      /* .decl is the D_ENUM, .index the member index */
  REF_COUNTRY,     /* .index = country code number (see code numbers below) */
  REF_CURRENCY,    /* .index = currency code number */
  REF_FIELD,       /* EX_PATH: .decl is the D_INPUT */
  REF_FN,          /* EX_CALL of a `fn`: .decl is the D_FN */
  REF_EXTERN,      /* EX_CALL of an `extern fn`: .decl is the D_EXTERN */
  REF_BUILTIN      /* EX_CALL of a built-in: .builtin */
};

/* Code numbers, shared with the runtime (rpol_abi.h): a country code "DE"
 * is (D-'A')*26 + (E-'A'); a currency code "EUR" is
 * ((E-'A')*26 + (U-'A'))*26 + (R-'A'). */

struct expr_ref {
  enum ref_kind kind;
  struct decl *decl;
  int index;
  enum builtin builtin;
};

struct expr {
  enum expr_kind kind;
  struct span span;              /* the whole expression */
  const struct type *type;       /* (sema) final type; never TY_NUMBER for
                                    an expression a back end evaluates */
  /* (sema) For EX_INT, EX_DEC and money-typed untyped subtrees: the value
   * is a number of major units of order.currency, converted at evaluation
   * time; a non-representable amount is `inexact_amount` at this literal. */
  unsigned from_number : 1;
  unsigned is_const : 1;         /* (sema) a constant expression (§5.4) */
  struct expr_ref ref;           /* (sema) EX_NAME, EX_QUALIFIED, EX_PATH,
                                    EX_CALL */
  /* (sema) A use of an untyped const/let (`const LIMIT = 50`) where money
   * or int is expected: a copy of its initialiser typed for this use.
   * Back ends evaluate .expansion instead of the reference. */
  struct expr *expansion;
  int depth;                     /* (parse) height of this subtree, 1 for a
                                    leaf: bounds recursion in every pass */
  int64_t str_len;               /* EX_STRING: bytes of .u.str, which may
                                    hold U+0000 (`"\u{0}"`, §1) */
  union {
    struct decimal num;
    struct {
      struct decimal amount;     /* as written */
      const char *code;          /* "EUR" as written */
      struct span code_span;
      int64_t minor;             /* (sema) amount in minor units */
      int cur;                   /* (sema) currency code number */
    } money;
    int64_t days;
    const char *str;
    int b;
    struct {
      enum verdict_kind kind;
      const char *code;          /* NULL for allow, and for a bare
                                    `deny`/`review` in a test's expect */
      struct span code_span;
    } verdict;
    const char *name;
    struct {
      const char *enum_name, *member;
      struct span member_span;
    } qual;
    struct {
      const char **parts;        /* "item", "dims", "weight" */
      int nparts;
      const char *text;          /* "item.dims.weight" */
    } path;
    struct {
      enum unary_op op;
      struct expr *operand;
    } unary;
    struct {
      enum binary_op op;         /* unused for EX_OF and EX_COALESCE */
      struct span op_span;       /* the operator token: error locations */
      struct expr *lhs, *rhs;
    } bin;
    struct {
      int negated;               /* `not in` */
      struct span op_span;
      struct expr *elem, *set;
    } in;
    struct {
      struct expr *cond, *then, *els;
    } cond;
    struct {
      const char *name;
      struct span name_span;     /* error location of a failing call */
      struct expr **args;
      int nargs;
    } call;
    struct {
      struct expr **elems;
      int n;
    } set;
  } u;
};

/* ----------------------------------------------------------- declarations */

enum decl_kind {
  D_ENUM,      /* enum Name { a, b }            */
  D_EXTEND,    /* extend enum Name { c }        */
  D_INPUT,     /* input item.material: Material [= default] */
  D_OUTPUT,    /* output name: type             */
  D_CONST,     /* const NAME [: type] = expr    */
  D_LET,       /* let name [: type] = expr      */
  D_REGION,    /* region NAME = expr            */
  D_FN,        /* fn name(params) -> type = expr | { cases } */
  D_EXTERN,    /* extern fn name(params) -> type */
  D_DECIDE,    /* decide name { cases } | decide name = expr */
  D_MESSAGE,   /* message "code" { locale: "text" ... } */
  D_TEST,      /* test "name" { given { } expect { } } */
  D_USE,       /* use "path" */
  D_TABLE      /* prelude only: `country AD, AE, ...` (ISO 3166-1 alpha-2)
                  and `currency EUR 2, JPY 0, ...` (ISO 4217, exponent) */
};

/* One `when C => V` or `otherwise => V` (cond == NULL). */
struct case_ {
  struct span kw_span;           /* the `when`/`otherwise` keyword; for the
                                    `decide X = V` shorthand, V's span */
  struct expr *cond;
  struct expr *value;
  int reachable;                 /* (sema) 0 if proven unreachable */
  int id;                        /* (sema) index in program->cases */
};

struct param {
  const char *name;
  struct span span;
  struct type_expr *texpr;
  const struct type *type;       /* (sema) */
};

/* `path = value` in a test's given block, or `output = value` in expect. */
struct assign {
  const char *target;            /* path text or output name ("error" too) */
  struct expr *target_expr;      /* given: the EX_PATH; expect: NULL */
  struct span target_span;
  struct expr *value;
};

struct message_text {
  const char *locale;            /* "en", "pt-BR" */
  struct span span;
  const char *text;
};

struct decl {
  enum decl_kind kind;
  struct span span;              /* the keyword through the end */
  struct span name_span;
  const char *name;              /* NULL for use/message/test/extend(=enum) */
  struct file *file;
  int cycle_mark;                /* (sema) scratch for cycle detection */
  union {
    struct {                     /* D_ENUM and D_EXTEND */
      const char **members;      /* as written in this declaration */
      struct span *member_spans;
      int nmembers;
      /* (sema, D_ENUM) the full member list after every `extend` seen by
       * the program being checked: listed members, then extensions in
       * file order.  Index = member number (enums are small integers). */
      const char **all;
      int nall;
      struct decl *base;         /* (sema, D_EXTEND) the D_ENUM extended */
      const struct type *type;   /* (ast.c) the interned TY_ENUM, made by
                                    type_enum() on first use */
    } enm;
    struct {                     /* D_INPUT */
      const char **parts;
      int nparts;
      const char *path;          /* "item.material" */
      struct type_expr *texpr;
      struct expr *deflt;        /* NULL: optional (or required, prelude) */
      int required;              /* prelude fields marked required */
      const struct type *type;   /* (sema) */
      int slot;                  /* (sema) index in program->inputs */
    } input;
    struct {                     /* D_OUTPUT */
      struct type_expr *texpr;
      const struct type *type;   /* (sema) */
      int required;              /* eligible, refund_method, shipping_payer */
      int absent_default;        /* no default: absent unless decided */
      struct expr *deflt;        /* prelude default formula, or NULL */
      struct decl *decided_by;   /* (sema) the D_DECIDE in this program */
      int index;                 /* (sema) position in program->outputs */
    } output;
    struct {                     /* D_CONST, D_LET, D_REGION */
      struct type_expr *texpr;   /* NULL when untyped */
      struct expr *init;
      const struct type *type;   /* (sema) TY_NUMBER for untyped numbers */
      int index;                 /* (sema) D_LET: position in program->lets */
    } value;
    struct {                     /* D_FN and D_EXTERN */
      struct param *params;
      int nparams;
      struct type_expr *result_texpr;
      const struct type *result; /* (sema) */
      struct expr *body;         /* `= expr` body, else NULL */
      struct case_ **cases;      /* `{ when ... }` body */
      int ncases;
      int index;                 /* (sema) D_EXTERN: position in
                                    program->externs */
    } fn;
    struct {                     /* D_DECIDE */
      struct case_ **cases;
      int ncases;
      int shorthand;             /* `decide X = V` */
      struct decl *output;       /* (sema) the D_OUTPUT decided */
    } decide;
    struct {                     /* D_MESSAGE */
      const char *code;
      struct message_text *texts;
      int ntexts;
    } message;
    struct {                     /* D_TEST */
      const char *title;
      struct assign *given;
      int ngiven;
      struct assign *expect;
      int nexpect;
    } test;
    struct {                     /* D_TABLE; .name is "country" or
                                    "currency" */
      const char **codes;
      int *numbers;              /* currency exponents; NULL for countries */
      struct span *spans;
      int n;
    } table;
    struct {                     /* D_USE */
      const char *path;          /* as written */
      struct file *target;       /* (sema) the module loaded */
    } use;
  } u;
};

/* ------------------------------------------------------------------ files */

enum file_kind {
  FILE_POLICY,
  FILE_MODULE,
  FILE_TESTS,     /* NAME.test.rpol: only test blocks, no header */
  FILE_PRELUDE    /* a stdlib file: like a module, allowed to declare the
                     standard schema and outputs */
};

/* A `#` comment.  The compiler proper ignores comments; the scanner
 * records them for the formatter (fmt.c), which puts each back beside the
 * code it annotates.  .span covers '#' to the end of the line, newline
 * excluded. */
struct comment {
  struct span span;
  const char *text;              /* "# ..." as written */
};

struct file {
  struct source *src;
  enum file_kind kind;
  const char *name;              /* policy/module name string */
  const char *version;           /* policy version string */
  struct span header_span;
  struct expr *for_set;          /* `for customer.country in SET` or NULL */
  struct span for_span;          /* the `for` keyword */
  struct expr *for_subject;      /* the `customer.country` as written */
  struct decl **decls;
  int ndecls;
  int syntax_errors;             /* parse reported errors */
  int named_by_scan;             /* a module found by a bundle directory's
                                    scan and not imported yet: the first
                                    `use` names it (§14: import paths as
                                    written) */
  struct vec comments;           /* (parse) struct comment *, in source
                                    order */
};

/* ------------------------------------------------------ checked programs */

/* One policy, checked in the scope of the prelude and its modules. */
struct program {
  struct file *policy;           /* FILE_POLICY */
  struct file **files;           /* prelude files, modules in use order
                                    (each after the modules it uses), then
                                    the policy itself; the prelude and
                                    modules are this program's private
                                    copies (sema.h) */
  int nfiles;
  struct file **test_files;      /* NAME.test.rpol checked in this scope */
  int ntest_files;

  struct decl **inputs;          /* every D_INPUT; slot = index */
  int ninputs;
  struct decl **outputs;         /* standard outputs in §6 table order, then
                                    custom outputs in §14 order */
  int noutputs;
  int nstd_outputs;              /* 13 */
  struct decl **lets;            /* every D_LET visible */
  int nlets;
  struct decl **externs;         /* every D_EXTERN visible */
  int nexterns;
  struct decl **enums;           /* every D_ENUM visible */
  int nenums;
  struct decl **messages;        /* every D_MESSAGE visible */
  int nmessages;
  struct decl **tests;           /* D_TEST blocks: policy file, then tests
                                    files */
  int ntests;
  struct case_ **cases;          /* every case of decide blocks and fn case
                                    blocks in the policy and its modules
                                    (not the prelude): coverage */
  int ncases;
  /* Countries routed here (code numbers, sorted) from the `for` clause;
   * NULL with has_for == 0 for a fallback policy. */
  int *for_countries;
  int nfor_countries;
  int has_for;
};

/* Standard outputs are numbered by enum rpol_std_output (rpol_abi.h):
 * program->outputs[OUT_ELIGIBLE] is eligible, and so on. */

/* Node constructors used by the parser (ast.c). */
struct expr *ast_expr(struct arena *a, enum expr_kind k, struct span sp);
struct decl *ast_decl(struct arena *a, enum decl_kind k, struct span sp);

/* Helpers for every consumer of the tree. */
int ast_is_root(const char *name);  /* customer, order, item, request */
struct span span_join(struct span a, struct span b);

#endif
