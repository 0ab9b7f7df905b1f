/* The progress line (meter.h). */
#include "meter.h"

#include <stdio.h>

static double seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void draw(struct cli_meter *p, double elapsed, int final)
{
	const double mib = 1024.0 * 1024.0;
	double rate = elapsed > 0 ? (double)p->bytes / elapsed : 0;

	fprintf(stderr, "\r\033[K%s: %llu %s", p->what,
		(unsigned long long)p->files, p->unit ? p->unit : "files");
	if (p->total || p->bytes)
		fputs(", ", stderr);
	if (p->total)
		fprintf(stderr, "%.1f of %.1f MiB (%d%%)", (double)p->bytes / mib,
			(double)p->total / mib,
			(int)(100.0 * (double)p->bytes / (double)p->total));
	else if (p->bytes)
		fprintf(stderr, "%.1f MiB", (double)p->bytes / mib);
	if (final)
		fprintf(stderr, " in %.1f s\n", elapsed);
	else if (rate > 0 && p->total > p->bytes && elapsed >= 1)
		fprintf(stderr, ", %.0f MiB/s, %.0f s left", rate / mib,
			(double)(p->total - p->bytes) / rate + 0.5);
	fflush(stderr);
	p->drawn = 1;
}

static void update(void *data, uint64_t files, uint64_t bytes, uint64_t total)
{
	struct cli_meter *p = data;
	struct timespec now;

	if (!p->on)
		return;
	p->files = files;
	p->bytes = bytes;
	p->total = total;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!p->drawn)
		p->start = now; /* the work's own time, not what came before */
	else if (seconds(&p->last, &now) < 0.1)
		return;
	p->last = now;
	draw(p, seconds(&p->start, &now), 0);
}

void cli_meter_start(struct cli_meter *p, const struct cli *cli,
			const char *what)
{
	*p = (struct cli_meter){ .hook = { update, p }, .what = what,
				 .on = cli->progress };
}

const struct rb_progress *cli_meter_hook(struct cli_meter *p)
{
	return p->on ? &p->hook : NULL;
}

void cli_meter_end(struct cli_meter *p)
{
	struct timespec now;

	if (!p->drawn)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	draw(p, seconds(&p->start, &now), 1);
	p->drawn = 0;
	p->on = 0; /* and no more */
}
