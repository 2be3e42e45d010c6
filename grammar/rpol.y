/* rpol.y: the rpol grammar (spec §1, §2, §5, §6, §8, §9, §11).
 *
 * A pure, LALR(1) bison parser with LAC and byte-span locations.  Actions
 * only build nodes (helpers in compiler/parse.c); the few checks here are
 * about shape (what stands where), never about names or types.
 *
 * Expressions follow §5.1 with one nonterminal per precedence level.  An
 * `if` may be the last operand of any operator and extends as far right as
 * it can, so each level comes twice: closed (X) and open (X_o, ending in an
 * `if`).  Nothing can follow an open expression but what follows a whole
 * expression, which keeps the grammar free of conflicts without %prec.
 *
 * Error recovery: `error` at declarations, at cases, at the entries of
 * given/expect/message blocks, and inside brackets, so that one run
 * reports several syntax errors.
 */
%require "3.8"
%define api.pure full
%define api.prefix {rpol_yy}
%define api.location.type {struct span}
%define parse.error custom
%define parse.lac full
/* Reductions always check the lookahead, so that an `error` rule is
 * reduced only once recovery has found a token that can follow it: its
 * yyerrok then lets the next real error be reported, without cascades. */
%define lr.default-reduction accepting
%locations
%param {yyscan_t scanner}
%parse-param {struct parser *p}
%expect 0

%code requires {
#include <stdint.h>
#include "ast.h"
#include "diag.h"
#include "parse.h"

#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif

/* A token's value. */
struct tokv {
  const char *s;          /* IDENT, STRING (decoded) */
  size_t n;               /* STRING: bytes of s (it may hold U+0000) */
  uint64_t u;             /* INT magnitude; DURUNIT days per unit */
  struct decimal d;       /* DEC, MONEY amount, PERCENT */
  int64_t days;           /* DATE */
  const char *code;       /* MONEY currency code */
  struct span code_span;
  int bad;                /* already reported: build a harmless node */
};

/* `a.b.c` before it is known to be a path, an Enum.member or a name. */
struct dotted {
  struct vec parts;       /* const char * */
  struct vec spans;       /* struct span * */
};

/* An enum member or a table entry. */
struct pitem {
  const char *name;
  struct span span;
  int64_t num;
  int has_num;
};

/* Brackets open in the scanner: the nesting limit, and the opener named
 * by "expected '}' to close 'decide' opened at 3:1". */
#define LEXER_MAX_OPEN (PARSE_MAX_DEPTH + 64)
struct lexer_open {
  int c;                  /* '(' or '{' */
  int is_expr;            /* counts towards PARSE_MAX_DEPTH */
  const char *what;       /* "decide", "(", "{", ... */
  struct span at;
};

struct lexer {
  struct parser *p;
  uint32_t file;
  uint32_t eof_off;       /* where "end of file" is reported */
  int start_tok;          /* first token: which kind of file */
  long ntok;              /* tokens returned so far */
  int prev, cur;          /* the last two tokens returned */
  struct span prev_span, cur_span;
  int stopped;            /* 1: return STOP next, then only END */
  const char *pending;    /* a '{' after this keyword opens its block */
  struct span pending_at;
  struct lexer_open open[LEXER_MAX_OPEN];
  int nopen, nexpr;
};

struct parser {
  struct arena *a;
  struct diag_list *d;
  struct source *src;
  struct file *file;
  struct lexer *lx;
  struct vec decls;
  struct vec bigints;     /* 9223372036854775808 literals not yet negated */
  long nnodes;
  int aborting;           /* the parse is being abandoned: stay quiet */
  int depth_reported;
  long err_ntok;          /* lx->ntok at the last reported syntax error */
};
}

%code provides {
void parse_error(struct parser *p, struct span sp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
struct expr *parse_leaf(struct parser *p, enum expr_kind k, struct span sp);
struct expr *parse_int(struct parser *p, struct tokv t, struct span sp);
struct expr *parse_dec(struct parser *p, struct tokv t, struct span sp);
struct expr *parse_money(struct parser *p, struct tokv t, struct span sp);
struct expr *parse_percent(struct parser *p, struct tokv t, struct span sp);
struct expr *parse_duration(struct parser *p, struct tokv n,
                            struct tokv unit, struct span sp);
struct expr *parse_string(struct parser *p, struct tokv t, struct span sp);
const char *parse_text(struct parser *p, struct tokv t, struct span sp);
void parse_mtext_comma(struct parser *p, struct span comma);
const char *parse_word(struct parser *p, struct span sp);
struct expr *parse_bool(struct parser *p, int b, struct span sp);
struct expr *parse_verdict(struct parser *p, enum verdict_kind k,
                           const char *code, struct span code_span,
                           struct span sp);
struct expr *parse_dotted_expr(struct parser *p, struct dotted *dt,
                               struct span sp);
struct expr *parse_unary(struct parser *p, enum unary_op op,
                         struct expr *e, struct span sp);
struct expr *parse_binary(struct parser *p, enum expr_kind k,
                          enum binary_op op, struct expr *l,
                          struct span op_span, struct expr *r);
struct expr *parse_in(struct parser *p, int negated, struct expr *l,
                      struct span op_span, struct expr *r);
struct expr *parse_if(struct parser *p, struct expr *c, struct expr *t,
                      struct expr *e, struct span sp);
struct expr *parse_call(struct parser *p, const char *name,
                        struct span name_span, struct vec *args,
                        struct span sp);
struct expr *parse_set(struct parser *p, struct vec *elems, struct span sp);
struct expr *parse_paren(struct parser *p, struct expr *e, struct span sp);
struct expr *parse_nobig(struct parser *p, struct expr *e);

struct dotted *parse_dotted(struct parser *p, struct dotted *dt,
                            const char *part, struct span sp);
struct pitem *parse_pitem(struct parser *p, const char *name,
                          struct span sp);
struct type_expr *parse_type(struct parser *p, const char *name,
                             struct type_expr *elem, struct span sp);
struct param *parse_param(struct parser *p, const char *name,
                          struct span sp, struct type_expr *t);
struct case_ *parse_case(struct parser *p, struct span kw,
                         struct expr *cond, struct expr *value);
struct assign *parse_assign(struct parser *p, struct dotted *target,
                            const char *name, struct span target_span,
                            struct expr *value);
struct message_text *parse_mtext(struct parser *p, const char *locale,
                                 struct span sp, const char *text);

void parse_header(struct parser *p, enum file_kind k, const char *name,
                  const char *version, struct span sp);
void parse_for(struct parser *p, struct span kw, struct expr *e);
void parse_add_decl(struct parser *p, struct decl *d);
struct decl *parse_decl_value(struct parser *p, enum decl_kind k,
                              const char *name, struct span name_span,
                              struct type_expr *t, struct expr *init,
                              struct span sp);
struct decl *parse_decl_use(struct parser *p, const char *path,
                            struct span path_span, struct span sp);
struct decl *parse_decl_fn(struct parser *p, enum decl_kind k,
                           const char *name, struct span name_span,
                           struct vec *params, struct type_expr *result,
                           struct expr *body, struct vec *cases,
                           struct span close, struct span sp);
struct decl *parse_decl_enum(struct parser *p, enum decl_kind k,
                             const char *name, struct span name_span,
                             struct vec *members, struct span sp);
struct decl *parse_decl_input(struct parser *p, struct dotted *path,
                              struct span path_span, struct type_expr *t,
                              struct expr *deflt, int required,
                              struct span sp);
struct decl *parse_decl_output(struct parser *p, const char *name,
                               struct span name_span, struct type_expr *t,
                               struct expr *deflt, struct span sp);
struct decl *parse_decl_decide(struct parser *p, const char *name,
                               struct span name_span, struct vec *cases,
                               struct expr *shorthand, struct span close,
                               struct span sp);
struct decl *parse_decl_message(struct parser *p, const char *code,
                                struct span code_span, struct vec *texts,
                                struct span sp);
struct decl *parse_decl_test(struct parser *p, const char *title,
                             struct span title_span, struct vec *given,
                             struct vec *expect, struct span sp);
struct decl *parse_decl_table(struct parser *p, const char *name,
                              struct span name_span, struct vec *items,
                              struct span sp);
}

%code {
#include "lexer.h"

/* A span from the first to the last symbol of a rule; an empty rule sits
 * at the end of what precedes it. */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                          \
  do {                                                                       \
    if (N) {                                                                 \
      (Cur).file = YYRHSLOC(Rhs, 1).file;                                    \
      (Cur).start = YYRHSLOC(Rhs, 1).start;                                  \
      (Cur).end = YYRHSLOC(Rhs, N).end;                                      \
    } else {                                                                 \
      (Cur).file = YYRHSLOC(Rhs, 0).file;                                    \
      (Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end;                        \
    }                                                                        \
  } while (0)

/* The bison stack only grows this far on prefix operators and `if`
 * chains; the scanner stops bracket nesting much earlier. */
#define YYMAXDEPTH 20000

static void rpol_yyerror(struct span *loc, yyscan_t scanner,
                         struct parser *p, const char *msg);

/* An `error` rule was reduced.  If recovery skipped at least one token,
 * the parser is back in step: report the next error (yyerrok).  If the
 * very token that failed is accepted here, it is probably not where the
 * author's mistake ends: keep bison's three-token silence. */
#define RECOVERED()                                                          \
  do {                                                                       \
    if (p->lx->ntok > p->err_ntok)                                           \
      yyerrok;                                                               \
  } while (0)

static struct vec vec_one(struct parser *p, void *item)
{
  struct vec v = {0};

  if (item)
    vec_push(p->a, &v, item);
  return v;
}

static struct vec vec_add(struct parser *p, struct vec v, void *item)
{
  if (item)
    vec_push(p->a, &v, item);
  return v;
}
}

%union {
  struct tokv tok;
  struct expr *expr;
  struct decl *decl;
  struct type_expr *texpr;
  struct dotted *dotted;
  struct vec vec;
  struct case_ *kase;
  struct assign *assign;
  struct param *param;
  struct pitem *pitem;
  struct message_text *mtext;
  int num;
}

%token END 0 "end of file"
%token <tok> IDENT "a name"
%token <tok> REQUIRED "'required'"
%token <tok> STRING "a string"
%token <tok> INT "an integer"
%token <tok> DEC "a decimal number"
%token <tok> MONEY "a money amount"
%token <tok> PERCENT "a percentage"
%token <tok> DATE "a date"
%token <tok> DURUNIT "'days'"

%token POLICY "'policy'" VERSION "'version'" FOR "'for'" USE "'use'"
%token MODULE "'module'" REGION "'region'" CONST "'const'" LET "'let'"
%token FN "'fn'" EXTERN "'extern'" ENUM "'enum'" EXTEND "'extend'"
%token INPUT "'input'" OUTPUT "'output'" DECIDE "'decide'" WHEN "'when'"
%token OTHERWISE "'otherwise'" ALLOW "'allow'" DENY "'deny'"
%token REVIEW "'review'" MESSAGE "'message'" TEST "'test'"
%token GIVEN "'given'" EXPECT "'expect'" AND "'and'" OR "'or'" NOT "'not'"
%token IN "'in'" OF "'of'" IF "'if'" THEN "'then'" ELSE "'else'"
%token TRUE "'true'" FALSE "'false'" SET "'set'"
%token ARROW "'=>'" RARROW "'->'" LE "'<='" GE "'>='" EQ "'=='" NE "'!='"
%token QQ "'??'"

/* Never part of a rule: the first selects the kind of file; the last two
 * stop the parse (error cap, nesting limit). */
%token START_FILE "start of file" START_TESTS "start of tests"
%token START_PRELUDE "start of prelude"
%token STOP "stop" TOO_DEEP "too deep"

%type <expr> expr coal coal_o or_e or_o and_e and_o not_e not_o cmp cmp_o
%type <expr> add add_o of_e of_o mul mul_o unary unary_o if_expr primary
%type <expr> expect_value
%type <num> cmpop
%type <tok> ident
%type <dotted> dotted
%type <vec> args_opt args elems params_opt params members_opt members
%type <vec> case_list given_opt given_list expect_opt expect_list mtexts
%type <vec> table_items
%type <texpr> type opt_type
%type <param> param
%type <pitem> table_item
%type <kase> case_item
%type <assign> given_item expect_item
%type <mtext> mtext
%type <decl> decl table_decl

%%

file
  : START_FILE header top_decls
  | START_TESTS top_decls
  | START_PRELUDE prelude_decls
  ;

header
  : POLICY STRING VERSION STRING for_opt
      {
        parse_header(p, FILE_POLICY, parse_text(p, $2, @2),
                     parse_text(p, $4, @4), @$);
      }
  /* A module's `for` is parsed so that the checker can say that only a
   * policy has one. */
  | MODULE STRING for_opt
      { parse_header(p, FILE_MODULE, parse_text(p, $2, @2), NULL, @$); }
  | error
  ;

for_opt
  : %empty
  | FOR expr                    { parse_for(p, @1, $2); }
  ;

top_decls
  : %empty
  | top_decls decl              { parse_add_decl(p, $2); }
  ;

prelude_decls
  : %empty
  | prelude_decls decl          { parse_add_decl(p, $2); }
  | prelude_decls table_decl    { parse_add_decl(p, $2); }
  ;

decl
  : USE STRING
      {
        /* A path with U+0000 in it is reported, not tried. */
        const char *path = parse_text(p, $2, @2);

        $$ = strlen(path) == $2.n ? parse_decl_use(p, path, @2, @$) : NULL;
      }
  | REGION ident '=' expr
      { $$ = parse_decl_value(p, D_REGION, $2.s, @2, NULL, $4, @$); }
  | CONST ident opt_type '=' expr
      { $$ = parse_decl_value(p, D_CONST, $2.s, @2, $3, $5, @$); }
  | LET ident opt_type '=' expr
      { $$ = parse_decl_value(p, D_LET, $2.s, @2, $3, $5, @$); }
  | FN ident '(' params_opt ')' RARROW type '=' expr
      { $$ = parse_decl_fn(p, D_FN, $2.s, @2, &$4, $7, $9, NULL, @9, @$); }
  | FN ident '(' params_opt ')' RARROW type '{' case_list '}'
      { $$ = parse_decl_fn(p, D_FN, $2.s, @2, &$4, $7, NULL, &$9, @10,
                           @$); }
  | EXTERN FN ident '(' params_opt ')' RARROW type
      { $$ = parse_decl_fn(p, D_EXTERN, $3.s, @3, &$5, $8, NULL, NULL, @8,
                           @$); }
  | ENUM ident '{' members_opt '}'
      { $$ = parse_decl_enum(p, D_ENUM, $2.s, @2, &$4, @$); }
  | EXTEND ENUM ident '{' members_opt '}'
      { $$ = parse_decl_enum(p, D_EXTEND, $3.s, @3, &$5, @$); }
  | INPUT dotted ':' type
      { $$ = parse_decl_input(p, $2, @2, $4, NULL, 0, @$); }
  | INPUT dotted ':' type '=' expr
      { $$ = parse_decl_input(p, $2, @2, $4, $6, 0, @$); }
  | INPUT dotted ':' type REQUIRED
      { $$ = parse_decl_input(p, $2, @2, $4, NULL, 1, @$); }
  | OUTPUT ident ':' type
      { $$ = parse_decl_output(p, $2.s, @2, $4, NULL, @$); }
  | OUTPUT ident ':' type '=' expr
      { $$ = parse_decl_output(p, $2.s, @2, $4, $6, @$); }
  | DECIDE ident '{' case_list '}'
      { $$ = parse_decl_decide(p, $2.s, @2, &$4, NULL, @5, @$); }
  | DECIDE ident '=' expr
      { $$ = parse_decl_decide(p, $2.s, @2, NULL, $4, @4, @$); }
  | MESSAGE STRING '{' mtexts '}'
      {
        $$ = parse_decl_message(p, parse_text(p, $2, @2), @2, &$4, @$);
      }
  | TEST STRING '{' given_opt expect_opt '}'
      {
        $$ = parse_decl_test(p, parse_text(p, $2, @2), @2, &$4, &$5, @$);
      }
  | error
      { $$ = NULL; RECOVERED(); }
  ;

/* Prelude only: `country AD, AE` and `currency EUR 2, JPY 0`. */
table_decl
  : IDENT table_items
      { $$ = parse_decl_table(p, $1.s, @1, &$2, @$); }
  ;

table_items
  : table_item                  { $$ = vec_one(p, $1); }
  | table_items ',' table_item  { $$ = vec_add(p, $1, $3); }
  ;

table_item
  : ident                       { $$ = parse_pitem(p, $1.s, @1); }
  | ident INT
      {
        $$ = parse_pitem(p, $1.s, @$);
        $$->num = (int64_t)($2.u > INT32_MAX ? INT32_MAX : $2.u);
        $$->has_num = 1;
      }
  ;

ident
  : IDENT
  | REQUIRED
  ;

opt_type
  : %empty                      { $$ = NULL; }
  | ':' type                    { $$ = $2; }
  ;

type
  : ident                       { $$ = parse_type(p, $1.s, NULL, @$); }
  | SET '<' type '>'            { $$ = parse_type(p, "set", $3, @$); }
  ;

params_opt
  : %empty                      { $$ = (struct vec){0}; }
  | params
  ;

params
  : param                       { $$ = vec_one(p, $1); }
  | params ',' param            { $$ = vec_add(p, $1, $3); }
  ;

param
  : ident ':' type              { $$ = parse_param(p, $1.s, @1, $3); }
  ;

members_opt
  : %empty                      { $$ = (struct vec){0}; }
  | members
  | members ','
  ;

members
  : ident                       { $$ = vec_one(p, parse_pitem(p, $1.s, @1)); }
  | members ',' ident
      { $$ = vec_add(p, $1, parse_pitem(p, $3.s, @3)); }
  ;

case_list
  : %empty                      { $$ = (struct vec){0}; }
  | case_list case_item
      {
        /* NULL (an error) stays in: parse_cases then stays quiet. */
        $$ = $1;
        vec_push(p->a, &$$, $2);
      }
  ;

case_item
  : WHEN expr ARROW expr        { $$ = parse_case(p, @1, $2, $4); }
  | OTHERWISE ARROW expr        { $$ = parse_case(p, @1, NULL, $3); }
  | error                       { $$ = NULL; RECOVERED(); }
  ;

mtexts
  : %empty                      { $$ = (struct vec){0}; }
  | mtexts mtext
      {
        /* NULL (an error) stays in: parse_decl_message then drops the
         * message, whose checks would only repeat the error. */
        $$ = $1;
        vec_push(p->a, &$$, $2);
      }
  ;

mtext
  : ident ':' STRING
      { $$ = parse_mtext(p, $1.s, @1, parse_text(p, $3, @3)); }
  | STRING ':' STRING
      {
        $$ = parse_mtext(p, parse_text(p, $1, @1), @1,
                         parse_text(p, $3, @3));
      }
  /* `{ en: "a", de: "b" }`: said once, and the text is kept, so that no
   * "has no 'en' text" follows. */
  | ident ':' STRING ','
      {
        parse_mtext_comma(p, @4);
        $$ = parse_mtext(p, $1.s, @1, parse_text(p, $3, @3));
      }
  | STRING ':' STRING ','
      {
        parse_mtext_comma(p, @4);
        $$ = parse_mtext(p, parse_text(p, $1, @1), @1,
                         parse_text(p, $3, @3));
      }
  | error                       { $$ = NULL; RECOVERED(); }
  ;

given_opt
  : %empty                      { $$ = (struct vec){0}; }
  | GIVEN '{' given_list '}'    { $$ = $3; }
  ;

given_list
  : %empty                      { $$ = (struct vec){0}; }
  | given_list given_item       { $$ = vec_add(p, $1, $2); }
  ;

given_item
  : dotted '=' expr             { $$ = parse_assign(p, $1, NULL, @1, $3); }
  | error                       { $$ = NULL; RECOVERED(); }
  ;

expect_opt
  : %empty                      { $$ = (struct vec){0}; }
  | EXPECT '{' expect_list '}'  { $$ = $3; }
  ;

expect_list
  : %empty                      { $$ = (struct vec){0}; }
  | expect_list expect_item     { $$ = vec_add(p, $1, $2); }
  ;

expect_item
  : ident '=' expect_value      { $$ = parse_assign(p, NULL, $1.s, @1, $3); }
  | error                       { $$ = NULL; RECOVERED(); }
  ;

/* In `expect`, a bare `deny` or `review` checks only the verdict. */
expect_value
  : expr
  | DENY
      { $$ = parse_verdict(p, VERDICT_DENY, NULL, @1, @1); }
  | REVIEW
      { $$ = parse_verdict(p, VERDICT_REVIEW, NULL, @1, @1); }
  ;

/* ------------------------------------------------------------ expressions */

expr
  : coal
  | coal_o
  ;

coal
  : or_e
  | or_e QQ coal     { $$ = parse_binary(p, EX_COALESCE, 0, $1, @2, $3); }
  ;

coal_o
  : or_o
  | or_e QQ coal_o   { $$ = parse_binary(p, EX_COALESCE, 0, $1, @2, $3); }
  ;

or_e
  : and_e
  | or_e OR and_e    { $$ = parse_binary(p, EX_BINARY, BIN_OR, $1, @2, $3); }
  ;

or_o
  : and_o
  | or_e OR and_o    { $$ = parse_binary(p, EX_BINARY, BIN_OR, $1, @2, $3); }
  ;

and_e
  : not_e
  | and_e AND not_e  { $$ = parse_binary(p, EX_BINARY, BIN_AND, $1, @2, $3); }
  ;

and_o
  : not_o
  | and_e AND not_o  { $$ = parse_binary(p, EX_BINARY, BIN_AND, $1, @2, $3); }
  ;

not_e
  : cmp
  | NOT not_e        { $$ = parse_unary(p, UN_NOT, $2, @$); }
  ;

not_o
  : cmp_o
  | NOT not_o        { $$ = parse_unary(p, UN_NOT, $2, @$); }
  ;

/* Non-associative: `a < b < c` is a syntax error. */
cmp
  : add
  | add cmpop add    { $$ = parse_binary(p, EX_BINARY, $2, $1, @2, $3); }
  | add IN add       { $$ = parse_in(p, 0, $1, @2, $3); }
  | add NOT IN add   { $$ = parse_in(p, 1, $1, span_join(@2, @3), $4); }
  ;

cmp_o
  : add_o
  | add cmpop add_o  { $$ = parse_binary(p, EX_BINARY, $2, $1, @2, $3); }
  | add IN add_o     { $$ = parse_in(p, 0, $1, @2, $3); }
  | add NOT IN add_o { $$ = parse_in(p, 1, $1, span_join(@2, @3), $4); }
  ;

cmpop
  : EQ               { $$ = BIN_EQ; }
  | NE               { $$ = BIN_NE; }
  | '<'              { $$ = BIN_LT; }
  | LE               { $$ = BIN_LE; }
  | '>'              { $$ = BIN_GT; }
  | GE               { $$ = BIN_GE; }
  ;

add
  : of_e
  | add '+' of_e     { $$ = parse_binary(p, EX_BINARY, BIN_ADD, $1, @2, $3); }
  | add '-' of_e     { $$ = parse_binary(p, EX_BINARY, BIN_SUB, $1, @2, $3); }
  ;

add_o
  : of_o
  | add '+' of_o     { $$ = parse_binary(p, EX_BINARY, BIN_ADD, $1, @2, $3); }
  | add '-' of_o     { $$ = parse_binary(p, EX_BINARY, BIN_SUB, $1, @2, $3); }
  ;

/* `P of M`: right-associative, a multiplicative left operand and a whole
 * multiplicative right operand (§5.1 item 8, §14). */
of_e
  : mul
  | mul OF of_e      { $$ = parse_binary(p, EX_OF, 0, $1, @2, $3); }
  ;

of_o
  : mul_o
  | mul OF of_o      { $$ = parse_binary(p, EX_OF, 0, $1, @2, $3); }
  ;

/* A `unary` here is not under a minus: 9223372036854775808 is too big. */
mul
  : unary            { $$ = parse_nobig(p, $1); }
  | mul '*' unary
      { $$ = parse_binary(p, EX_BINARY, BIN_MUL, $1, @2, parse_nobig(p, $3)); }
  | mul '/' unary
      { $$ = parse_binary(p, EX_BINARY, BIN_DIV, $1, @2, parse_nobig(p, $3)); }
  ;

mul_o
  : unary_o
  | mul '*' unary_o  { $$ = parse_binary(p, EX_BINARY, BIN_MUL, $1, @2, $3); }
  | mul '/' unary_o  { $$ = parse_binary(p, EX_BINARY, BIN_DIV, $1, @2, $3); }
  ;

unary
  : primary
  | '-' unary        { $$ = parse_unary(p, UN_NEG, $2, @$); }
  ;

unary_o
  : if_expr
  | '-' unary_o      { $$ = parse_unary(p, UN_NEG, $2, @$); }
  ;

if_expr
  : IF expr THEN expr ELSE expr  { $$ = parse_if(p, $2, $4, $6, @$); }
  ;

primary
  : INT                { $$ = parse_int(p, $1, @$); }
  | INT DURUNIT        { $$ = parse_duration(p, $1, $2, @$); }
  | DEC                { $$ = parse_dec(p, $1, @$); }
  | DEC DURUNIT
      {
        parse_error(p, @1, "a duration is a whole number of days");
        $$ = parse_leaf(p, EX_DURATION, @$);
      }
  | MONEY              { $$ = parse_money(p, $1, @$); }
  | PERCENT            { $$ = parse_percent(p, $1, @$); }
  | DATE
      {
        $$ = parse_leaf(p, EX_DATE, @$);
        $$->u.days = $1.days;
      }
  | STRING             { $$ = parse_string(p, $1, @$); }
  | TRUE               { $$ = parse_bool(p, 1, @$); }
  | FALSE              { $$ = parse_bool(p, 0, @$); }
  | ALLOW              { $$ = parse_verdict(p, VERDICT_ALLOW, NULL, @1, @$); }
  | DENY STRING
      {
        $$ = parse_verdict(p, VERDICT_DENY, parse_text(p, $2, @2), @2, @$);
      }
  | REVIEW STRING
      {
        $$ = parse_verdict(p, VERDICT_REVIEW, parse_text(p, $2, @2), @2,
                           @$);
      }
  | dotted             { $$ = parse_dotted_expr(p, $1, @$); }
  | ident '(' args_opt ')'
      { $$ = parse_call(p, $1.s, @1, &$3, @$); }
  | '(' expr ')'       { $$ = parse_paren(p, $2, @$); }
  | '(' error ')'      { $$ = parse_leaf(p, EX_BOOL, @$); }
  | '{' '}'            { $$ = parse_set(p, NULL, @$); }
  | '{' elems '}'      { $$ = parse_set(p, &$2, @$); }
  | '{' elems ',' '}'  { $$ = parse_set(p, &$2, @$); }
  | '{' error '}'      { $$ = parse_set(p, NULL, @$); }
  ;

dotted
  : ident              { $$ = parse_dotted(p, NULL, $1.s, @1); }
  | dotted '.' ident   { $$ = parse_dotted(p, $1, $3.s, @3); }
  | dotted '.' field_word
      { $$ = parse_dotted(p, $1, parse_word(p, @3), @3); }
  ;

/* After '.', a reserved word can only be a field name (`customer.region`,
 * `item.set`): JSON keys are not rpol's to reserve. */
field_word
  : POLICY | VERSION | FOR | USE | MODULE | REGION | CONST | LET | FN
  | EXTERN | ENUM | EXTEND | INPUT | OUTPUT | DECIDE | WHEN | OTHERWISE
  | ALLOW | DENY | REVIEW | MESSAGE | TEST | GIVEN | EXPECT | AND | OR
  | NOT | IN | OF | IF | THEN | ELSE | TRUE | FALSE | SET | DURUNIT
  ;

args_opt
  : %empty             { $$ = (struct vec){0}; }
  | args
  ;

args
  : expr               { $$ = vec_one(p, $1); }
  | args ',' expr      { $$ = vec_add(p, $1, $3); }
  ;

elems
  : expr               { $$ = vec_one(p, $1); }
  | elems ',' expr     { $$ = vec_add(p, $1, $3); }
  ;

%%

/* "memory exhausted" is the only message bison itself produces here: its
 * stack overflowed on prefix operators or `if` chains. */
static void rpol_yyerror(struct span *loc, yyscan_t scanner,
                         struct parser *p, const char *msg)
{
  (void)scanner;
  (void)msg;
  if (p->aborting)
    return;
  p->aborting = 1;
  parse_error(p, *loc, "expression nested too deeply (limit %d)",
              PARSE_MAX_DEPTH);
}


/* ------------------------------------------------------- syntax messages */

/* The text of a token, for "unexpected ..." (cut at 40 bytes, on a UTF-8
 * boundary). */
static const char *report_text(struct parser *p, struct span sp)
{
  size_t n = sp.end - sp.start;
  const char *s = p->src->text + sp.start;

  if (sp.end > p->src->len || sp.start > sp.end)
    return "";
  if (n > 40) {
    n = 40;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
      n--;
    return arena_printf(p->a, "%.*s...", (int)n, s);
  }
  return arena_strndup(p->a, s, n);
}

static const char *report_unexpected(struct parser *p, yysymbol_kind_t t,
                                     struct span sp)
{
  const char *txt;

  if (t == YYSYMBOL_YYEOF)
    return "end of file";
  txt = report_text(p, sp);
  switch (t) {
  case YYSYMBOL_IDENT:
  case YYSYMBOL_REQUIRED:
    return arena_printf(p->a, "identifier '%s'", txt);
  case YYSYMBOL_STRING:
    return arena_printf(p->a, "string %s", txt);
  case YYSYMBOL_INT:
  case YYSYMBOL_DEC:
    return arena_printf(p->a, "number '%s'", txt);
  case YYSYMBOL_MONEY:
    return arena_printf(p->a, "money amount '%s'", txt);
  case YYSYMBOL_PERCENT:
    return arena_printf(p->a, "percentage '%s'", txt);
  case YYSYMBOL_DATE:
    return arena_printf(p->a, "date '%s'", txt);
  default:
    return arena_printf(p->a, "'%s'", txt);
  }
}

static int report_is_decl_kw(yysymbol_kind_t t)
{
  switch (t) {
  case YYSYMBOL_USE: case YYSYMBOL_REGION: case YYSYMBOL_CONST:
  case YYSYMBOL_LET: case YYSYMBOL_FN: case YYSYMBOL_EXTERN:
  case YYSYMBOL_ENUM: case YYSYMBOL_EXTEND: case YYSYMBOL_INPUT:
  case YYSYMBOL_OUTPUT: case YYSYMBOL_DECIDE: case YYSYMBOL_MESSAGE:
  case YYSYMBOL_TEST:
    return 1;
  default:
    return 0;
  }
}

/* Tokens that can start an expression. */
static int report_is_expr_start(yysymbol_kind_t t)
{
  switch (t) {
  case YYSYMBOL_IDENT: case YYSYMBOL_REQUIRED: case YYSYMBOL_STRING:
  case YYSYMBOL_INT: case YYSYMBOL_DEC: case YYSYMBOL_MONEY:
  case YYSYMBOL_PERCENT: case YYSYMBOL_DATE: case YYSYMBOL_TRUE:
  case YYSYMBOL_FALSE: case YYSYMBOL_ALLOW: case YYSYMBOL_DENY:
  case YYSYMBOL_REVIEW: case YYSYMBOL_NOT: case YYSYMBOL_IF:
    return 1;
  default:
    return t == YYTRANSLATE('(') || t == YYTRANSLATE('{') ||
           t == YYTRANSLATE('-');
  }
}

/* Tokens that continue a complete expression. */
static int report_is_operator(yysymbol_kind_t t)
{
  switch (t) {
  case YYSYMBOL_AND: case YYSYMBOL_OR: case YYSYMBOL_NOT: case YYSYMBOL_IN:
  case YYSYMBOL_OF: case YYSYMBOL_LE: case YYSYMBOL_GE: case YYSYMBOL_EQ:
  case YYSYMBOL_NE: case YYSYMBOL_QQ: case YYSYMBOL_DURUNIT:
    return 1;
  default:
    return t == YYTRANSLATE('+') || t == YYTRANSLATE('-') ||
           t == YYTRANSLATE('*') || t == YYTRANSLATE('/') ||
           t == YYTRANSLATE('<') || t == YYTRANSLATE('>') ||
           t == YYTRANSLATE('.') || t == YYTRANSLATE('(');
  }
}

static int report_is_comparison(yysymbol_kind_t t)
{
  return t == YYSYMBOL_EQ || t == YYSYMBOL_NE || t == YYSYMBOL_LE ||
         t == YYSYMBOL_GE || t == YYSYMBOL_IN || t == YYTRANSLATE('<') ||
         t == YYTRANSLATE('>');
}

static int report_has(const yysymbol_kind_t *exp, int n, yysymbol_kind_t t)
{
  int i;

  for (i = 0; i < n; i++)
    if (exp[i] == t)
      return 1;
  return 0;
}

/* "a declaration", "an expression", then the tokens that remain; operators
 * are left out when anything else could stand there, since they are rarely
 * what is missing. */
static const char *report_expected(struct parser *p,
                                   const yysymbol_kind_t *exp, int n)
{
  const char *names[YYNTOKENS];
  int k = 0, i, decl = 0, expr = 0, other = 0;
  char *out;

  for (i = 0; i < n; i++)
    decl |= report_is_decl_kw(exp[i]);
  expr = report_has(exp, n, YYSYMBOL_INT) &&
         report_has(exp, n, YYTRANSLATE('('));
  for (i = 0; i < n; i++) {
    yysymbol_kind_t t = exp[i];

    if ((decl && (report_is_decl_kw(t) || t == YYSYMBOL_IDENT ||
                  t == YYSYMBOL_YYEOF)) ||
        (expr && report_is_expr_start(t)) || report_is_operator(t) ||
        t == YYSYMBOL_YYerror || t == YYSYMBOL_REQUIRED)
      continue;
    other++;
  }
  if (decl)
    names[k++] = "a declaration";
  if (expr)
    names[k++] = "an expression";
  for (i = 0; i < n; i++) {
    yysymbol_kind_t t = exp[i];

    if ((decl && (report_is_decl_kw(t) || t == YYSYMBOL_IDENT ||
                  t == YYSYMBOL_YYEOF)) ||
        (expr && report_is_expr_start(t)) || t == YYSYMBOL_YYerror ||
        t == YYSYMBOL_REQUIRED)
      continue;
    if (report_is_operator(t) && (other || decl || expr))
      continue;
    names[k++] = yysymbol_name(t);
  }
  if (k == 0 || k > 5)
    return NULL;
  out = arena_strdup(p->a, names[0]);
  for (i = 1; i < k; i++)
    out = arena_printf(p->a, "%s%s%s", out, i == k - 1 ? " or " : ", ",
                       names[i]);
  return out;
}

static const char *report_closer(struct parser *p, const struct lexer *lx,
                                 const yysymbol_kind_t *exp, int n)
{
  const struct lexer_open *o;
  int line, col;

  if (lx->nopen == 0)
    return NULL;
  o = &lx->open[lx->nopen - 1];
  if (!report_has(exp, n, YYTRANSLATE(o->c == '(' ? ')' : '}')))
    return NULL;
  source_linecol(p->src, o->at.start, &line, &col);
  return arena_printf(p->a, "expected '%c' to close '%s' opened at %d:%d",
                      o->c == '(' ? ')' : '}', o->what, line, col);
}

/* For "expected X after Y" when the lookahead is on a later line: point
 * just after Y, where X is missing, as clang does. */
static struct span report_after_prev(struct parser *p, struct span at)
{
  struct span sp = p->lx->prev_span;
  int l1, c1, l2, c2;

  if (sp.end == 0 || sp.end > at.start)
    return at;
  source_linecol(p->src, sp.end, &l1, &c1);
  source_linecol(p->src, at.start, &l2, &c2);
  if (l1 == l2)
    return at;
  sp.start = sp.end;
  return sp;
}

static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner,
                                 struct parser *p)
{
  yysymbol_kind_t exp[YYNTOKENS];
  yysymbol_kind_t t = yypcontext_token(ctx);
  struct span at = *yypcontext_location(ctx);
  struct lexer *lx = p->lx;
  const char *what, *list, *closer;
  int n;

  (void)scanner;
  if (p->aborting || t == YYSYMBOL_STOP) {
    p->aborting = 1;
    return 2;
  }
  if (t == YYSYMBOL_TOO_DEEP) {
    parse_error(p, at, "expression nested too deeply (limit %d)",
                PARSE_MAX_DEPTH);
    p->aborting = 1;
    return 2;
  }
  p->err_ntok = lx->ntok;
  n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);
  if (n < 0)
    n = 0;
  /* A comma after a message's text is accepted only to be reported
   * (mtext): never suggest one. */
  if (lx->nopen > 0 && lx->open[lx->nopen - 1].what &&
      strcmp(lx->open[lx->nopen - 1].what, "message") == 0) {
    int i, k = 0;

    for (i = 0; i < n; i++)
      if (exp[i] != YYTRANSLATE(','))
        exp[k++] = exp[i];
    n = k;
  }
  what = report_unexpected(p, t, at);

  if (report_has(exp, n, YYSYMBOL_POLICY)) {
    if (t == YYSYMBOL_YYEOF) {
      at.start = at.end = 0;
      parse_error(p, at, "empty file: expected 'policy' or 'module'");
    }
    else
      parse_error(p, at, "unexpected %s, expected 'policy' or 'module' at "
                  "the start of the file", what);
  } else if ((t == YYSYMBOL_YYEOF || report_is_decl_kw(t)) &&
             (closer = report_closer(p, lx, exp, n)) != NULL)
    parse_error(p, at, "%s", closer);
  else if (t == YYSYMBOL_FOR && report_has(exp, n, YYSYMBOL_DECIDE))
    parse_error(p, at, "unexpected 'for': a 'for' clause stands directly "
                "after 'policy NAME version VERSION'");
  else if (t == YYTRANSLATE('=') && report_has(exp, n, YYSYMBOL_EQ))
    parse_error(p, at, "unexpected '=': to compare, write '=='");
  else if (report_has(exp, n, YYSYMBOL_ARROW))
    parse_error(p, report_after_prev(p, at),
                n == 1 ? "expected '=>' after 'otherwise'"
                       : "expected '=>' after the condition of 'when'");
  else if (report_is_comparison(t) && !report_has(exp, n, t) &&
           report_has(exp, n, YYTRANSLATE('+')))
    parse_error(p, at, "unexpected %s: comparisons do not chain, join "
                "them with 'and'", what);
  else if (n == 1 && exp[0] == YYSYMBOL_STRING &&
           (lx->prev == DENY || lx->prev == REVIEW))
    parse_error(p, report_after_prev(p, at),
                "expected a reason code after '%s', as in "
                "'%s \"final_sale\"'", lx->prev == DENY ? "deny" : "review",
                lx->prev == DENY ? "deny" : "review");
  else if ((list = report_expected(p, exp, n)) != NULL)
    parse_error(p, at, "unexpected %s, expected %s", what, list);
  else
    parse_error(p, at, "unexpected %s", what);

  if (p->d->nerrors >= DIAG_MAX_ERRORS) {
    p->aborting = 1;
    return 2;
  }
  return 0;
}
