/* cmd_pending.c: subcommands whose back end has not landed yet.  Each says
 * so and exits 2; the file disappears as the commands arrive. */
#include <stdio.h>

#include "commands.h"
#include "../runtime/rpol_abi.h"

static int pending(const char *cmd)
{
  fprintf(stderr, "rpolc %s: error: not available in this build yet\n", cmd);
  return 2;
}

int cmd_abi_version(void) { return RPOL_ABI_VERSION; }
int cmd_fmt(int argc, char **argv) { return pending("fmt"); }
