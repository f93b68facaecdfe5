/* screen.h: a grid of cells, what the console draws into. The terminal
 * backend (term.c) copies it to the terminal; --dump and the tests read it
 * as plain text. No curses here. */
#ifndef BS_SCREEN_H
#define BS_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Cell attributes: a colour and flags. */
enum cell_color {
	COL_DEFAULT,
	COL_GREEN,    /* up, success */
	COL_YELLOW,   /* drained, warning */
	COL_RED,      /* down, error, failure */
	COL_CYAN,     /* titles */
};

#define ATTR_BOLD    0x100u
#define ATTR_REVERSE 0x200u
#define ATTR_DIM     0x400u
#define ATTR_COLOR(a) ((enum cell_color)((a) & 0xffu))

struct cell {
	uint32_t ch;   /* a Unicode code point of display width 1 */
	unsigned attr;
};

struct grid {
	int w, h;
	struct cell *cells;
	bool ascii;    /* ASCII mode: box drawing and symbols from ASCII only */
};

void grid_init(struct grid *g, int w, int h, bool ascii);
void grid_free(struct grid *g);
void grid_clear(struct grid *g);
struct cell *grid_at(struct grid *g, int x, int y);

/* Write UTF-8 text at (x, y), at most maxw cells, cut with '~' when longer
 * (maxw < 0: up to the right edge). Characters that are not of width 1
 * (wide, combining, control) are written as '?': the caller has sanitized
 * anything from a node already. Returns the cells written. */
int grid_text(struct grid *g, int x, int y, int maxw, unsigned attr, const char *utf8);
/* Same, right-aligned so that the text ends at column xr (inclusive). */
int grid_text_right(struct grid *g, int xr, int y, unsigned attr, const char *utf8);
/* Fill a rectangle's row with attr (for the selection bar). */
void grid_attr_row(struct grid *g, int x, int y, int w, unsigned attr);
/* A box (w x h cells, corners at (x, y) and (x+w-1, y+h-1)) with its title
 * after the top-left corner. */
void grid_box(struct grid *g, int x, int y, int w, int h, const char *title, unsigned title_attr);
/* A horizontal separator joining a box's sides: ├─ Title ─┤ */
void grid_separator(struct grid *g, int x, int y, int w, const char *title, unsigned title_attr);

/* The grid as text: h lines, trailing spaces removed, each ending in '\n'.
 * Caller frees. */
char *grid_dump(const struct grid *g);

/* Display width of a UTF-8 string as the grid counts it (code points). */
int grid_width(const char *utf8);
/* utf8 cut to maxw cells as grid_text cuts it (last cell '~'); caller frees. */
char *grid_cut(const char *utf8, int maxw);

#endif
