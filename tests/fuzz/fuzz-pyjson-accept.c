/* fuzz-pyjson-accept.c: pyjson_accepts on any bytes. Besides not crashing,
 * a few properties that hold for json.loads too:
 *   - the answer is one of the three verdicts;
 *   - JSON whitespace around a text changes nothing, unless the text
 *     starts with a BOM (then " " + text makes the BOM an error of its own:
 *     still invalid);
 *   - a valid text has no valid proper prefix ending in '}', ']' or '"'
 *     unless only whitespace follows it (a value closed by one of those is
 *     complete: nothing but whitespace may come after it). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pyjson_accept.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	enum pyjson_verdict v = pyjson_accepts(text, size);
	if (v != PYJSON_VALID && v != PYJSON_INVALID && v != PYJSON_TOO_DEEP)
		abort();

	/* " \t" + text + "\r\n" */
	char *wrapped = malloc(size + 4);
	if (!wrapped)
		return 0;
	memcpy(wrapped, " \t", 2);
	if (size)
		memcpy(wrapped + 2, data, size);
	memcpy(wrapped + 2 + size, "\r\n", 2);
	enum pyjson_verdict w = pyjson_accepts(wrapped, size + 4);
	free(wrapped);
	bool bom = size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0;
	if (bom ? w != PYJSON_INVALID : w != v)
		abort();

	/* a valid text has no valid proper prefix ending in '}' ']' '"' */
	if (v == PYJSON_VALID && size > 1 && size <= 4096) {
		for (size_t n = 1; n < size; n++) {
			char c = text[n - 1];
			if ((c == '}' || c == ']' || c == '"') &&
			    pyjson_accepts(text, n) == PYJSON_VALID) {
				/* only possible when the rest is whitespace */
				for (size_t k = n; k < size; k++) {
					if (!strchr(" \t\r\n", text[k]) || text[k] == '\0')
						abort();
				}
			}
		}
	}
	return 0;
}
