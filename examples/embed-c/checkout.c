/* checkout.c: a returns service in miniature, embedding librpol.
 *
 * It loads a policy built by `rpolc build`, binds the extern the policy
 * asks for (a fraud score, here a toy), and decides a file of return
 * requests, one JSON line each, writing one JSON decision per line.  Built
 * against the installed library through pkg-config only:
 *
 *   cc checkout.c $(pkg-config --cflags --libs rpol) -o checkout
 *   ./checkout checkout.so requests.jsonl
 */
#include <rpol.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The host's fraud service.  Externs must be pure and thread-safe; the
 * string is valid only during the call. */
static int64_t fraud_score(const char *customer_id)
{
  return strncmp(customer_id, "risky-", 6) == 0 ? 90 : 10;
}

int main(int argc, char **argv)
{
  if (argc != 3) {
    fprintf(stderr, "usage: %s POLICY.so REQUESTS.jsonl\n", argv[0]);
    return 2;
  }
  FILE *in = fopen(argv[2], "r");
  if (!in) {
    perror(argv[2]);
    return 2;
  }
  rpol_runtime *rt = NULL;
  rpol_policy *policy = NULL;
  if (rpol_runtime_new(&rt, NULL, NULL) != RPOL_OK ||
      rpol_load(rt, argv[1], &policy) != RPOL_OK) {
    fprintf(stderr, "cannot load %s: %s\n", argv[1], rpol_errmsg(rt));
    return 1;
  }
  rpol_bind_extern(policy, "fraud_score", (rpol_extern_fn)fraud_score);

  /* One input and one decision, reused for every line: deciding
   * allocates nothing. */
  rpol_input *input = NULL;
  rpol_decision *decision = NULL;
  rpol_input_new(policy, &input);
  rpol_decision_new(policy, &decision);
  /* This checkout never shows where an answer came from: decide with the
   * evaluators that record no trace. */
  rpol_decision_set_trace(decision, 0);

  char *line = NULL, out[4096];
  size_t cap = 0;
  long lineno = 0, errors = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, in)) > 0) {
    lineno++;
    size_t len = (size_t)n - (line[n - 1] == '\n');
    if (rpol_input_decode(input, line, len) != RPOL_OK ||
        rpol_decide(policy, input, decision) != RPOL_OK) {
      rpol_input_error_json(input, lineno, out, sizeof out);
      errors++;
    } else {
      rpol_decision_json(decision, input, 0, NULL, out, sizeof out);
      errors += rpol_decision_error(decision) != NULL;
    }
    puts(out);
  }
  fprintf(stderr, "%ld requests, %ld errors\n", lineno, errors);
  free(line);
  fclose(in);
  rpol_decision_free(decision);
  rpol_input_free(input);
  rpol_policy_unref(policy);
  rpol_runtime_free(rt);
  return 0;
}
