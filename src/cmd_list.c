#include <stdio.h>

#include "cmd.h"

int cmd_list(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("relbuild: list: not implemented yet\n", stderr);
	return 1;
}
