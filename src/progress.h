#ifndef RB_PROGRESS_H
#define RB_PROGRESS_H

/*
 * How long work reports how far it got: the library calls a struct
 * rb_progress's function now and then; the front end (src/cli/) draws
 * it, or nothing does.  The library never prints.
 */
#include <stdint.h>

struct rb_progress {
	/*
	 * files and bytes done so far; total, the bytes there are to do
	 * (0: not known).  Called from the working thread, often: it must
	 * be cheap and decide itself when to draw.
	 */
	void (*fn)(void *data, uint64_t files, uint64_t bytes, uint64_t total);
	void *data;
};

/* p->fn(p->data, ...) when p is not NULL. */
static inline void rb_progress_report(const struct rb_progress *p,
				      uint64_t files, uint64_t bytes,
				      uint64_t total)
{
	if (p && p->fn)
		p->fn(p->data, files, bytes, total);
}

#endif
