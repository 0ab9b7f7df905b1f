#include <stdio.h>

#include "cmd.h"

int cmd_install(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("relbuild: install: not implemented yet\n", stderr);
	return 1;
}
