/* console.h: `barbican-status console`, the live dashboard. */
#ifndef BS_CONSOLE_H
#define BS_CONSOLE_H

#include <stdbool.h>

#include "core/settings.h"

struct console_opts {
	double interval;      /* seconds between refreshes (--interval, default 2) */
	bool readonly;        /* --readonly: n never runs anything */
	long iterations;      /* -n N: exit after N complete refreshes; 0 never */
	const char *dump;     /* --dump FILE: the screen after each refresh */
	bool color;           /* false with --no-color or NO_COLOR */
	double step_timeout;  /* a step's timeout (seconds) */
	/* --batch (like top -b): no terminal and no curses at all; the screen
	 * (width x height, --size) as plain text after each refresh, to dump
	 * (rewritten) or, without it, appended to stdout; iterations counts
	 * those screens. A refresh's screen is written when its probes have
	 * ended, at the latest when the next refresh is due: a hung node
	 * holds no screen. */
	bool batch;
	int width, height;
};

/* Run the console until q (or N refreshes). Takes the settings (already
 * loaded). Returns the exit code: 0, 128 + a signal that ended it, or 255
 * when the terminal cannot be used (the message is printed after the
 * terminal is restored). */
int console_run(struct settings *st, const struct console_opts *o);

#endif
