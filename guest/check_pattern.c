/*
 * Check family patterns (include/popek/check_pattern.h): parsing and
 * expansion, shared by the guest runtime and the runner. No library
 * calls, no allocation.
 */
#include <popek/check_pattern.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A decimal number of at most six digits; -1 if s[0, len) is not one. */
static int number(const char *s, size_t len)
{
	int v = 0;

	if (len == 0 || len > 6)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Entries of a comma-separated list; 0 if one of them is empty. */
static int list_count(const char *s, size_t len)
{
	size_t start = 0;
	int n = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ',')
			continue;
		if (i == start)
			return 0;
		n++;
		start = i + 1;
	}
	return n;
}

/* Entry pos of a comma-separated list (pos < list_count()). */
static const char *list_entry(const char *s, size_t len, int pos, size_t *n)
{
	size_t i = 0;

	for (; pos > 0; i++)
		if (s[i] == ',')
			pos--;
	for (*n = 0; i + *n < len && s[i + *n] != ','; (*n)++)
		;
	return s + i;
}

static int parse_group(const char *s, size_t len, struct popek_group *g,
		       const char **err)
{
	size_t dots;

	g->text = s;
	g->len = len;
	for (dots = 0; dots + 1 < len; dots++)
		if (s[dots] == '.' && s[dots + 1] == '.')
			break;
	if (dots + 1 < len) {
		g->range = true;
		g->first = number(s, dots);
		g->last = number(s + dots + 2, len - dots - 2);
		if (g->first < 0 || g->last < 0 || g->first > g->last) {
			*err = "a range group is {FIRST..LAST}, decimal, "
			       "FIRST <= LAST";
			return -1;
		}
		return 0;
	}
	g->range = false;
	g->first = 0;
	g->last = list_count(s, len) - 1;
	if (g->last < 0) {
		*err = "a list group has an empty alternative";
		return -1;
	}
	return 0;
}

int popek_pattern_groups(const char *pat, size_t len,
			 struct popek_group g[POPEK_PATTERN_MAX_GROUPS],
			 const char **err)
{
	int n = 0;

	for (size_t i = 0; i < len; i++) {
		size_t end;

		if (pat[i] == '}') {
			*err = "'}' without '{'";
			return -1;
		}
		if (pat[i] != '{')
			continue;
		for (end = i + 1; end < len && pat[end] != '}'; end++)
			if (pat[end] == '{') {
				*err = "groups do not nest";
				return -1;
			}
		if (end == len) {
			*err = "'{' without '}'";
			return -1;
		}
		if (n == POPEK_PATTERN_MAX_GROUPS) {
			*err = "more than 8 groups";
			return -1;
		}
		if (parse_group(pat + i + 1, end - i - 1, &g[n], err) < 0)
			return -1;
		n++;
		i = end;
	}
	return n;
}

struct out {
	char *p;
	size_t size, len;
};

static void put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, o->len++)
		if (o->len < o->size)
			o->p[o->len] = s[i];
}

static void put_number(struct out *o, int v)
{
	char d[12];
	int n = 0;

	do
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	put(o, d + sizeof(d) - n, (size_t)n);
}

/* The text group g selects with selector sel (already range-checked). */
static void put_selected(struct out *o, const struct popek_group *g, int sel)
{
	const char *s;
	size_t n;

	if (g->range) {
		put_number(o, sel);
		return;
	}
	s = list_entry(g->text, g->len, sel, &n);
	put(o, s, n);
}

/* A description placeholder, s[0, len) being what is between the braces. */
static int put_placeholder(struct out *o, const char *s, size_t len,
			   const struct popek_group *g, int ngroups,
			   const int *sel, const char **err)
{
	size_t colon = 0;
	int k;

	while (colon < len && s[colon] != ':')
		colon++;
	k = number(s, colon);
	if (k < 1 || k > ngroups) {
		*err = "a description placeholder is {N} or {N:x,y,...}, N "
		       "a group of the id";
		return -1;
	}
	g += k - 1;
	if (colon == len) {
		put_selected(o, g, sel[k - 1]);
		return 0;
	}
	s += colon + 1;
	len -= colon + 1;
	if (list_count(s, len) != g->last - g->first + 1) {
		*err = "a description list {N:x,y,...} needs one entry per "
		       "alternative of group N";
		return -1;
	}
	s = list_entry(s, len, sel[k - 1] - g->first, &len);
	put(o, s, len);
	return 0;
}

int popek_pattern_expand(char *out, size_t size, const char *text, size_t len,
			 bool desc, const struct popek_group *g, int ngroups,
			 const int *sel, const char **err)
{
	struct out o = {out, size, 0};
	int k = 0;

	for (int i = 0; i < ngroups; i++)
		if (sel[i] < g[i].first || sel[i] > g[i].last) {
			*err = "a selector is out of its group's range";
			return -1;
		}
	for (size_t i = 0; i < len; i++) {
		size_t end;

		if (text[i] == '}') {
			*err = "'}' without '{'";
			return -1;
		}
		if (text[i] != '{') {
			put(&o, text + i, 1);
			continue;
		}
		for (end = i + 1; end < len && text[end] != '}'; end++)
			;
		if (end == len) {
			*err = "'{' without '}'";
			return -1;
		}
		if (!desc) {
			if (k == ngroups) {
				*err = "the id has more groups than given";
				return -1;
			}
			put_selected(&o, &g[k], sel[k]);
			k++;
		} else if (put_placeholder(&o, text + i + 1, end - i - 1, g,
					   ngroups, sel, err) < 0) {
			return -1;
		}
		i = end;
	}
	if (o.len >= size) {
		*err = "the expansion is too long";
		return -1;
	}
	out[o.len] = '\0';
	return (int)o.len;
}

void popek_pattern_first(const struct popek_group *g, int ngroups, int *sel)
{
	for (int i = 0; i < ngroups; i++)
		sel[i] = g[i].first;
}

bool popek_pattern_next(const struct popek_group *g, int ngroups, int *sel)
{
	for (int i = ngroups - 1; i >= 0; i--) {
		if (++sel[i] <= g[i].last)
			return true;
		sel[i] = g[i].first;
	}
	return false;
}
