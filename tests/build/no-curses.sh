#!/bin/sh
# The architecture says only tui/ may link ncurses: no other library may
# refer to a curses symbol. Arguments: the static libraries to look at.
status=0
for lib in "$@"; do
	if nm -u "$lib" 2>/dev/null | grep -E ' (initscr|newterm|endwin|wrefresh|refresh|getch|wget_wch|mvadd_wch|start_color|keypad|tigetstr)$' >/dev/null; then
		echo "FAIL: $lib refers to curses symbols:"
		nm -u "$lib" | grep -E ' (initscr|newterm|endwin|wrefresh|refresh|getch|wget_wch|mvadd_wch|start_color|keypad|tigetstr)$'
		status=1
	else
		echo "ok: $lib has no curses symbol"
	fi
done
# and the check must be able to fail: the console's library does use curses
if [ -n "$BS_TUI_LIB" ] && ! nm -u "$BS_TUI_LIB" | grep -q ' initscr$'; then
	echo "FAIL: $BS_TUI_LIB should refer to initscr (is nm working?)"
	status=1
fi
exit $status
