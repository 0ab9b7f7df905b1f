#include <stdio.h>

#include "cmd.h"

int cmd_rollback(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("relbuild: rollback: not implemented yet\n", stderr);
	return 1;
}
