#ifndef RB_CMD_H
#define RB_CMD_H

#include "error.h"

/*
 * One function per command, each in src/cmd_<name>.c.  argv[0] is the
 * command's name; the return value is the process exit status.
 */
int cmd_build(int argc, char **argv);
int cmd_appup(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_init(int argc, char **argv);

/* Print "relbuild: <msg>" to stderr and return the exit status for err. */
int report_error(const struct rb_error *err);

/* Exit status for a usage error, after "relbuild: <msg>" and a hint. */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
