#include <stdio.h>

#include "cmd.h"

int cmd_keygen(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("relbuild: keygen: not implemented yet\n", stderr);
	return 1;
}
