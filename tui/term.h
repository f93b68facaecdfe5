/* term.h: the terminal, through ncurses: set-up and restore, colours, copying
 * a grid to the screen, reading keys without blocking. The only file that
 * includes curses.h. */
#ifndef BS_TERM_H
#define BS_TERM_H

#include <stdbool.h>
#include <wchar.h>

#include "screen.h"

/* Keys, as term_key returns them: a character, or one of these. */
enum {
	KEY_NONE_ = -1,
	K_UP = 0x110000, K_DOWN, K_LEFT, K_RIGHT, K_PGUP, K_PGDN, K_HOME, K_END,
	K_ENTER, K_ESC, K_TAB, K_BTAB, K_BACKSPACE, K_RESIZE, K_CTRL_L,
};

struct term_info {
	bool color;   /* colours are used */
	bool ascii;   /* ASCII box drawing (TERM=dumb, no UTF-8, no line drawing) */
	int w, h;
};

/* Start curses on the controlling terminal (stdin/stdout must be a
 * terminal). want_color: --no-color and NO_COLOR already considered. */
bool term_open(bool want_color, struct term_info *info);
/* Restore the terminal. Idempotent, and safe to call from a fatal path. */
void term_close(void);
/* The terminal's size changed (SIGWINCH): ask it and resize curses. */
void term_resized(struct term_info *info);
/* The size curses has now (after a KEY_RESIZE it queued itself). */
void term_size(struct term_info *info);
/* Copy the grid to the screen and show it. */
void term_draw(const struct grid *g);
/* Redraw everything on the next term_draw (Ctrl-L). */
void term_force_redraw(void);
/* The next key, or KEY_NONE_ when none is waiting. Never blocks. */
int term_key(void);

#endif
