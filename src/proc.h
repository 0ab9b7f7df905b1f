#ifndef RB_PROC_H
#define RB_PROC_H

#include <sys/types.h>

/*
 * A process that runs from dir, an absolute path without symlinks: its
 * working directory is dir or below it, or one of its arguments (after
 * the program's name) names dir or a path below it, as a VM's "-root"
 * and "-boot" do, and a shell's script.  A process tied to dir only by
 * its executable is not one: epmd, started from a release's ERTS, serves
 * every node and reads nothing from there once it runs.  Read from
 * /proc: processes /proc does not show us (another user's, without
 * privilege), and every process where there is no /proc, are not seen.
 * Returns the first pid found, 0 when there is none; the caller's own
 * process is never one.
 */
pid_t rb_process_in(const char *dir);

#endif
