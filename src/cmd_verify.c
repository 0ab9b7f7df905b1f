#include <stdio.h>
#include "cmd.h"

int cmd_verify(int argc, char **argv)
{
	(void)argc; (void)argv;
	fputs("relbuild: verify: not yet\n", stderr);
	return 1;
}
