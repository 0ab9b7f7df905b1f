#include <stdio.h>
#include "cmd.h"

int cmd_build(int argc, char **argv)
{
	(void)argc; (void)argv;
	fputs("relbuild: build: not yet\n", stderr);
	return 1;
}
