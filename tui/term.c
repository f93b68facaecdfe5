#include "term.h"

#include <curses.h>
#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static bool open_;
static bool colors_;

bool term_open(bool want_color, struct term_info *info)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return false;
	const char *term = getenv("TERM");
	if (!term || !*term)
		return false;
	if (!initscr())
		return false;
	open_ = true;
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	bool dumb = strcmp(term, "dumb") == 0;
	const char *cs = nl_langinfo(CODESET);
	bool utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
	/* box drawing needs UTF-8 here (the grid holds Unicode), and a terminal
	 * that can draw lines at all */
	info->ascii = dumb || !utf8 || !tigetstr("acsc") || tigetstr("acsc") == (char *)-1;
	colors_ = want_color && !dumb && !info->ascii && has_colors();
	if (colors_) {
		start_color();
		use_default_colors();
		init_pair(COL_GREEN, COLOR_GREEN, -1);
		init_pair(COL_YELLOW, COLOR_YELLOW, -1);
		init_pair(COL_RED, COLOR_RED, -1);
		init_pair(COL_CYAN, COLOR_CYAN, -1);
	}
	info->color = colors_;
	getmaxyx(stdscr, info->h, info->w);
	return true;
}

void term_close(void)
{
	if (!open_)
		return;
	open_ = false;
	curs_set(1);
	endwin();
	fflush(stdout);
}

void term_resized(struct term_info *info)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	getmaxyx(stdscr, info->h, info->w);
	clearok(curscr, TRUE);
}

void term_size(struct term_info *info)
{
	getmaxyx(stdscr, info->h, info->w);
	clearok(curscr, TRUE);
}

void term_force_redraw(void)
{
	clearok(curscr, TRUE);
}

void term_draw(const struct grid *g)
{
	int h, w;
	getmaxyx(stdscr, h, w);
	for (int y = 0; y < g->h && y < h; y++) {
		for (int x = 0; x < g->w && x < w; x++) {
			if (y == h - 1 && x == w - 1)
				continue; /* writing the last cell would scroll */
			const struct cell *c = &g->cells[y * g->w + x];
			attr_t a = A_NORMAL;
			if (c->attr & ATTR_BOLD)
				a |= A_BOLD;
			if (c->attr & ATTR_REVERSE)
				a |= A_REVERSE;
			if (c->attr & ATTR_DIM)
				a |= A_DIM;
			short pair = colors_ ? (short)ATTR_COLOR(c->attr) : 0;
			wchar_t wc[2] = { (wchar_t)c->ch, 0 };
			cchar_t cc;
			setcchar(&cc, wc, a, pair, NULL);
			mvadd_wch(y, x, &cc);
		}
	}
	refresh();
}

int term_key(void)
{
	wint_t wc;
	int r = get_wch(&wc);
	if (r == ERR)
		return KEY_NONE_;
	if (r == KEY_CODE_YES) {
		switch (wc) {
		case KEY_UP: return K_UP;
		case KEY_DOWN: return K_DOWN;
		case KEY_LEFT: return K_LEFT;
		case KEY_RIGHT: return K_RIGHT;
		case KEY_PPAGE: return K_PGUP;
		case KEY_NPAGE: return K_PGDN;
		case KEY_HOME: return K_HOME;
		case KEY_END: return K_END;
		case KEY_ENTER: return K_ENTER;
		case KEY_BTAB: return K_BTAB;
		case KEY_BACKSPACE: return K_BACKSPACE;
		case KEY_RESIZE: return K_RESIZE;
		default: return KEY_NONE_;
		}
	}
	switch (wc) {
	case 27: return K_ESC;
	case '\r':
	case '\n': return K_ENTER;
	case '\t': return K_TAB;
	case 127:
	case 8: return K_BACKSPACE;
	case 12: return K_CTRL_L;
	default: return (int)wc;
	}
}
