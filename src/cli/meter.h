#ifndef RB_CLI_METER_H
#define RB_CLI_METER_H

/*
 * The progress line on stderr: "install: 812 files, 5.1 of 8.0 MiB
 * (64%), 41 MiB/s, 1 s left" (or, where no bytes are counted,
 * "assemble: 12 applications"), redrawn in place at most ten times a
 * second, and left as the last state when the work ends.  Only where
 * cli->progress says a person watches (a terminal, not CI, not --quiet
 * or --json); elsewhere nothing at all.
 */
#include <stdint.h>
#include <time.h>

#include "cli.h"
#include "progress.h"

struct cli_meter {
	struct rb_progress hook;
	const char *what;
	const char *unit; /* what files counts: "files" unless set */
	int on, drawn;
	struct timespec start, last;
	uint64_t files, bytes, total;
};

void cli_meter_start(struct cli_meter *p, const struct cli *cli,
			const char *what);

/* What to give the library: NULL when no line is drawn. */
const struct rb_progress *cli_meter_hook(struct cli_meter *p);

/* The final state, and a newline, when a line was drawn (once). */
void cli_meter_end(struct cli_meter *p);

#endif
