/* table.h: the one-column table that oslo.upgradecheck prints with
 * prettytable 3.6.0 (PrettyTable([title], hrules=ALL), align 'l'):
 *
 *   +-------------------+
 *   | Title             |
 *   +-------------------+
 *   | line one of row 1 |
 *   | line two of row 1 |
 *   +-------------------+
 *
 * The column is as wide as the widest line (display width, as prettytable
 * measures it with wcwidth: wide East Asian characters count 2, combining
 * marks 0), padded one space on each side. */
#ifndef BS_TABLE_H
#define BS_TABLE_H

#include <stddef.h>

/* cells[i] is one row; '\n' separates its lines. Returns the table text
 * ending in '\n', malloc'd. */
char *table_render(const char *title, const char *const *cells, size_t ncells);

/* Display width of a UTF-8 string as prettytable measures one line. A line
 * holding a C0/C1 control character (a tab too), which wcwidth.wcswidth
 * cannot measure (-1), gives SIZE_MAX; escapes \033[...m and \033(B count
 * nothing, as prettytable removes them first. */
size_t display_width(const char *s);

#endif
