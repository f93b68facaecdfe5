#include "screen.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "render/table.h"

void grid_init(struct grid *g, int w, int h, bool ascii)
{
	g->w = w > 0 ? w : 1;
	g->h = h > 0 ? h : 1;
	g->ascii = ascii;
	g->cells = xcalloc((size_t)g->w * (size_t)g->h, sizeof(*g->cells));
	grid_clear(g);
}

void grid_free(struct grid *g)
{
	free(g->cells);
	g->cells = NULL;
}

void grid_clear(struct grid *g)
{
	for (int i = 0; i < g->w * g->h; i++)
		g->cells[i] = (struct cell){ ' ', 0 };
}

struct cell *grid_at(struct grid *g, int x, int y)
{
	if (x < 0 || y < 0 || x >= g->w || y >= g->h)
		return NULL;
	return &g->cells[y * g->w + x];
}

static void put(struct grid *g, int x, int y, uint32_t ch, unsigned attr)
{
	struct cell *c = grid_at(g, x, y);
	if (c)
		*c = (struct cell){ ch, attr };
}

/* Next code point of s, or '?' for anything that is not one cell wide. */
static uint32_t next_cp(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	unsigned cp;
	size_t n = utf8_decode(p, strnlen(*s, 4), &cp); /* never the rest of s */
	if (n == 0) {
		(*s)++;
		return '?';
	}
	*s += n;
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
		return '?';
	if (cp >= 0x80) {
		/* prettytable's wcwidth table (render/table.c): no locale needed */
		char buf[5] = { 0 };
		memcpy(buf, p, n);
		if (display_width(buf) != 1)
			return '?';
	}
	return cp;
}

/* The width of utf8, counted up to limit at most: what a cut to limit - 1
 * cells needs to know, at a cost in the cells and not in the string's length
 * (a node may send a release of a million characters). */
static int width_upto(const char *utf8, int limit)
{
	int n = 0;
	const char *s = utf8;
	while (*s && n < limit) {
		next_cp(&s);
		n++;
	}
	return n;
}

int grid_width(const char *utf8)
{
	return width_upto(utf8, INT_MAX);
}

char *grid_cut(const char *utf8, int maxw)
{
	if (width_upto(utf8, maxw < INT_MAX ? maxw + 1 : maxw) <= maxw)
		return xstrdup(utf8);
	if (maxw <= 0)
		return xstrdup("");
	const char *s = utf8;
	for (int i = 0; i < maxw - 1; i++)
		next_cp(&s);
	return xasprintf("%.*s~", (int)(s - utf8), utf8);
}

int grid_text(struct grid *g, int x, int y, int maxw, unsigned attr, const char *utf8)
{
	if (!utf8)
		return 0;
	if (maxw < 0 || x + maxw > g->w)
		maxw = g->w - x;
	if (maxw <= 0)
		return 0;
	int total = width_upto(utf8, maxw + 1);
	const char *s = utf8;
	int i = 0;
	while (*s && i < maxw) {
		uint32_t cp = next_cp(&s);
		if (total > maxw && i == maxw - 1)
			cp = '~';
		put(g, x + i, y, cp, attr);
		i++;
	}
	return i;
}

int grid_text_right(struct grid *g, int xr, int y, unsigned attr, const char *utf8)
{
	int w = width_upto(utf8, xr < INT_MAX - 1 ? xr + 2 : xr);
	int x = xr - w + 1;
	if (x < 0)
		x = 0;
	return grid_text(g, x, y, xr - x + 1, attr, utf8);
}

void grid_attr_row(struct grid *g, int x, int y, int w, unsigned attr)
{
	for (int i = 0; i < w; i++) {
		struct cell *c = grid_at(g, x + i, y);
		if (c)
			c->attr |= attr;
	}
}

enum { BOX_H, BOX_V, BOX_TL, BOX_TR, BOX_BL, BOX_BR, BOX_LT, BOX_RT };

static uint32_t box_ch(const struct grid *g, int which)
{
	static const uint32_t utf[] = { 0x2500, 0x2502, 0x250c, 0x2510, 0x2514, 0x2518, 0x251c, 0x2524 };
	static const uint32_t asc[] = { '-', '|', '+', '+', '+', '+', '+', '+' };
	return g->ascii ? asc[which] : utf[which];
}

static void hline_title(struct grid *g, int x, int y, int w, int left, int right,
			const char *title, unsigned title_attr)
{
	put(g, x, y, box_ch(g, left), 0);
	for (int i = 1; i < w - 1; i++)
		put(g, x + i, y, box_ch(g, BOX_H), 0);
	put(g, x + w - 1, y, box_ch(g, right), 0);
	if (title && *title && w > 4) {
		put(g, x + 1, y, ' ', 0);
		int n = grid_text(g, x + 2, y, w - 4, title_attr, title);
		put(g, x + 2 + n, y, ' ', 0);
	}
}

void grid_box(struct grid *g, int x, int y, int w, int h, const char *title, unsigned title_attr)
{
	if (w < 2 || h < 2)
		return;
	hline_title(g, x, y, w, BOX_TL, BOX_TR, title, title_attr);
	for (int j = 1; j < h - 1; j++) {
		put(g, x, y + j, box_ch(g, BOX_V), 0);
		put(g, x + w - 1, y + j, box_ch(g, BOX_V), 0);
	}
	hline_title(g, x, y + h - 1, w, BOX_BL, BOX_BR, NULL, 0);
}

void grid_separator(struct grid *g, int x, int y, int w, const char *title, unsigned title_attr)
{
	hline_title(g, x, y, w, BOX_LT, BOX_RT, title, title_attr);
}

char *grid_dump(const struct grid *g)
{
	struct strbuf sb = STRBUF_INIT;
	for (int y = 0; y < g->h; y++) {
		int end = g->w;
		while (end > 0 && g->cells[y * g->w + end - 1].ch == ' ')
			end--;
		for (int x = 0; x < end; x++) {
			uint32_t cp = g->cells[y * g->w + x].ch;
			char buf[4];
			size_t n;
			if (cp < 0x80) {
				buf[0] = (char)cp;
				n = 1;
			} else if (cp < 0x800) {
				buf[0] = (char)(0xc0 | (cp >> 6));
				buf[1] = (char)(0x80 | (cp & 0x3f));
				n = 2;
			} else if (cp < 0x10000) {
				buf[0] = (char)(0xe0 | (cp >> 12));
				buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
				buf[2] = (char)(0x80 | (cp & 0x3f));
				n = 3;
			} else {
				buf[0] = (char)(0xf0 | (cp >> 18));
				buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
				buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
				buf[3] = (char)(0x80 | (cp & 0x3f));
				n = 4;
			}
			sb_add(&sb, buf, n);
		}
		sb_addch(&sb, '\n');
	}
	return sb_detach(&sb);
}
