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
};

/* Run the console until q (or N refreshes). Takes the settings (already
 * loaded). Returns the exit code: 0, or 255 when the terminal cannot be used
 * (the message is printed after the terminal is restored). */
int console_run(struct settings *st, const struct console_opts *o);

#endif
