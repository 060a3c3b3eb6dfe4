/*
 * addr.c - RFC 5322 address lists (section 3.4) reduced to addr-specs.
 *
 * A lexer for section 3.2 (atoms, quoted strings, domain literals,
 * specials; white space and nested comments skipped) under a
 * recursive-descent parser for sections 3.4 and 4.4: name-addr, groups,
 * obsolete routes, empty list elements and CFWS around dots.  Nothing is
 * recursive but a group, which cannot nest, so the stack stays flat.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "result.h"
#include "util.h"

#define ADDR_CTX_MAX	200	/* bytes of the input quoted in a message */

enum tok_type {
	T_END,
	T_ATOM,
	T_QSTR,			/* "..." with its quotes */
	T_DLIT,			/* [...] with its brackets */
	T_SPECIAL		/* one of < > @ , ; : . */
};

struct tok {
	enum tok_type	 type;
	size_t		 off;		/* into the input */
	size_t		 len;
	char		 ch;		/* the special, or 0 */
};

struct parser {
	const char	*s;
	size_t		 len;
	size_t		 pos;		/* lexer position */
	struct tok	 cur;		/* one token of look-ahead */
	struct strlist	*out;
	struct result	*res;
	struct addr_mailbox *mb;	/* addr_mailbox_parse: note spans */
	int		 ngroups;
	int		 note_ends;	/* addr_list_unqualified: */
	size_t		*ends;		/* ends of unqualified addr-specs */
	size_t		 nends, capends;
};

/* Section 3.2.3 atext; UTF-8 bytes too (RFC 6532 section 3.2). */
static int
is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80)
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* CR, LF and NUL are refused everywhere: no command injection. */
static int
is_forbidden(char c)
{
	return c == '\r' || c == '\n' || c == '\0';
}

static int
fail(struct parser *p, const char *what)
{
	size_t	 n = p->len < ADDR_CTX_MAX ? p->len : ADDR_CTX_MAX;

	return result_fail(p->res, EX_DATAERR, "%s in address list \"%.*s%s\"",
	    what, (int)n, p->s, n < p->len ? "..." : "");
}

static int
fail_char(struct parser *p, char c)
{
	char	 what[32];

	if (c == '<' || c == '>')
		return fail(p, "unbalanced <>");
	if (is_forbidden(c))
		return fail(p, "control character");
	if ((unsigned char)c < 0x20 || c == 0x7f)
		snprintf(what, sizeof(what), "unexpected byte 0x%02x",
		    (unsigned char)c);
	else
		snprintf(what, sizeof(what), "unexpected '%c'", c);
	return fail(p, what);
}

/* addr_mailbox_parse: the first comment of the first address. */
static void
note_comment(struct parser *p, size_t open)
{
	if (p->mb == NULL || p->out->n > 0 || p->mb->cmt_off != 0)
		return;
	p->mb->cmt_off = open + 1;
	p->mb->cmt_len = p->pos - open - 1;
}

/* Section 3.2.2: a comment, nested, with quoted-pairs; at '('. */
static int
skip_comment(struct parser *p)
{
	size_t	 open = p->pos;
	int	 depth = 0;

	for (; p->pos < p->len; p->pos++) {
		if (is_forbidden(p->s[p->pos]))
			return fail(p, "control character");
		if (p->s[p->pos] == '\\' && p->pos + 1 < p->len) {
			if (is_forbidden(p->s[++p->pos]))
				return fail(p, "control character");
		} else if (p->s[p->pos] == '(')
			depth++;
		else if (p->s[p->pos] == ')' && --depth == 0) {
			note_comment(p, open);
			p->pos++;
			return 0;
		}
	}
	return fail(p, "unbalanced parentheses");
}

static int
skip_cfws(struct parser *p)
{
	for (;;) {
		while (p->pos < p->len &&
		    (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
			p->pos++;
		if (p->pos == p->len || p->s[p->pos] != '(')
			return 0;
		if (skip_comment(p) == -1)
			return -1;
	}
}

/* Quoted string or domain literal, quoted-pairs allowed; at open. */
static int
lex_quoted(struct parser *p, char close, const char *unbalanced)
{
	char	 c;

	for (p->pos++; p->pos < p->len; p->pos++) {
		c = p->s[p->pos];
		if (c == '\\' && p->pos + 1 < p->len)
			c = p->s[++p->pos];
		else if (c == close) {
			p->pos++;
			return 0;
		} else if (close == ']' && c == '[')
			break;
		if (is_forbidden(c))
			return fail(p, "control character");
	}
	return fail(p, unbalanced);
}

/* Move to the next token. */
static int
lex(struct parser *p)
{
	struct tok	*t = &p->cur;
	char		 c;

	if (skip_cfws(p) == -1)
		return -1;
	t->off = p->pos;
	t->ch = 0;
	if (p->pos == p->len) {
		t->type = T_END;
		t->len = 0;
		return 0;
	}
	c = p->s[p->pos];
	if (c == '"' || c == '[') {
		t->type = c == '"' ? T_QSTR : T_DLIT;
		if (lex_quoted(p, c == '"' ? '"' : ']',
		    c == '"' ? "unbalanced quotes" : "unbalanced []") == -1)
			return -1;
	} else if (is_atext((unsigned char)c)) {
		t->type = T_ATOM;
		while (p->pos < p->len && is_atext((unsigned char)p->s[p->pos]))
			p->pos++;
	} else if (c != '\0' && strchr("<>@,;:.", c) != NULL) {
		t->type = T_SPECIAL;
		t->ch = c;
		p->pos++;
	} else if (c == ')')
		return fail(p, "unbalanced parentheses");
	else if (c == ']')
		return fail(p, "unbalanced []");
	else
		return fail_char(p, c);
	t->len = p->pos - t->off;
	return 0;
}

static int
unexpected(struct parser *p)
{
	if (p->cur.type == T_END)
		return fail(p, "unexpected end");
	if (p->cur.type == T_SPECIAL)
		return fail_char(p, p->cur.ch);
	return fail(p, "unexpected word");
}

static int
is_word(const struct tok *t)
{
	return t->type == T_ATOM || t->type == T_QSTR;
}

/* Tokens that may appear in a display name or an addr-spec. */
static int
is_phrase(const struct tok *t)
{
	return t->type == T_ATOM || t->type == T_QSTR || t->type == T_DLIT ||
	    t->ch == '.' || t->ch == '@';
}

/*
 * Does token t continue an addr-spec in state *st?  Section 3.4.1 with
 * the CFWS of section 4.4 already gone: word *("." word) ["@" (atom
 * *("." atom) / domain-literal)]; "@domain" may be missing (unqualified).
 */
enum spec_state { S_LWORD, S_LDOT, S_DSTART, S_DDOT, S_DATOM, S_DONE };

static int
spec_step(enum spec_state *st, const struct tok *t)
{
	switch (*st) {
	case S_LWORD:
		*st = S_LDOT;
		return is_word(t);
	case S_LDOT:
		*st = t->ch == '.' ? S_LWORD : S_DSTART;
		return t->ch == '.' || t->ch == '@';
	case S_DSTART:
		*st = t->type == T_DLIT ? S_DONE : S_DDOT;
		return t->type == T_DLIT || t->type == T_ATOM;
	case S_DDOT:
		*st = S_DATOM;
		return t->ch == '.';
	case S_DATOM:
		*st = S_DDOT;
		return t->type == T_ATOM;
	case S_DONE:
		break;
	}
	return 0;
}

static int
bad_addr(struct parser *p, size_t off, size_t end)
{
	return result_fail(p->res, EX_DATAERR, "bad address \"%.*s\"",
	    (int)(end - off), p->s + off);
}

/* addr_list_unqualified: an unqualified addr-spec ends at end. */
static int
note_end(struct parser *p, size_t end)
{
	size_t	*v;

	if (p->nends == p->capends) {
		if ((v = xreallocarray(p->ends, p->capends + 8,
		    sizeof(*v), p->res)) == NULL)
			return -1;
		p->ends = v;
		p->capends += 8;
	}
	p->ends[p->nends++] = end;
	return 0;
}

/* addr-spec: consume its tokens, check them, append the address. */
static int
parse_addrspec(struct parser *p)
{
	char		 a[ADDR_MAX + 1];
	size_t		 n = 0, off = p->cur.off, end = off;
	enum spec_state	 st = S_LWORD;
	int		 ok = 1;

	while (is_phrase(&p->cur)) {
		if (ok && !spec_step(&st, &p->cur))
			ok = 0;
		if (ok && n + p->cur.len <= ADDR_MAX)
			memcpy(a + n, p->s + p->cur.off, p->cur.len);
		n += p->cur.len;
		end = p->cur.off + p->cur.len;
		if (lex(p) == -1)
			return -1;
	}
	if (!ok || st == S_LWORD || st == S_DSTART || st == S_DATOM ||
	    n > ADDR_MAX || addr_check(a, n) == -1)
		return bad_addr(p, off, end);
	if (p->note_ends && st == S_LDOT && note_end(p, end) == -1)
		return -1;
	return strlist_add(p->out, a, n, p->res);
}

/* Section 4.4 obs-route "@a,@b:" before the addr-spec: dropped. */
static int
skip_route(struct parser *p)
{
	for (;;) {
		if (p->cur.ch == ':')
			return lex(p);
		if (p->cur.ch == ',') {
			if (lex(p) == -1)
				return -1;
			continue;
		}
		if (p->cur.ch != '@')
			return fail(p, "bad route");
		if (lex(p) == -1)
			return -1;
		while (p->cur.type == T_ATOM || p->cur.type == T_DLIT ||
		    p->cur.ch == '.')
			if (lex(p) == -1)
				return -1;
	}
}

/* angle-addr after '<' (section 3.4). */
static int
parse_angle(struct parser *p)
{
	if (p->cur.ch == '@' || p->cur.ch == ',')
		if (skip_route(p) == -1)
			return -1;
	if (p->cur.ch == '>')
		return result_fail(p->res, EX_DATAERR, "bad address \"<>\"");
	if (!is_phrase(&p->cur))
		return unexpected(p);
	if (parse_addrspec(p) == -1)
		return -1;
	if (p->cur.ch != '>')
		return p->cur.type == T_END ? fail(p, "unbalanced <>") :
		    unexpected(p);
	return lex(p);
}

static int	parse_list(struct parser *, int);

/* group after its ':' (section 3.4); a missing ';' at the end is forgiven. */
static int
parse_group(struct parser *p)
{
	p->ngroups++;
	if (parse_list(p, 1) == -1)
		return -1;
	return p->cur.ch == ';' ? lex(p) : 0;
}

/* mailbox or group: a phrase, then '<', ':' or the end of an addr-spec. */
static int
parse_address(struct parser *p, int in_group)
{
	struct tok	 first = p->cur;
	size_t		 pos = p->pos, nphrase = 0, end = first.off;

	for (; is_phrase(&p->cur); nphrase++) {
		end = p->cur.off + p->cur.len;
		if (lex(p) == -1)
			return -1;
	}
	if (p->cur.ch == '<') {
		if (p->mb != NULL && p->out->n == 0 && nphrase > 0) {
			p->mb->name_off = first.off;
			p->mb->name_len = end - first.off;
		}
		return lex(p) == -1 ? -1 : parse_angle(p);
	}
	if (p->cur.ch == ':') {
		if (in_group)
			return fail(p, "nested group");
		return lex(p) == -1 ? -1 : parse_group(p);
	}
	if (nphrase == 0)
		return unexpected(p);
	/* No '<' or ':' followed: the phrase was an addr-spec.  Re-read. */
	p->cur = first;
	p->pos = pos;
	return parse_addrspec(p);
}

/* Section 4.4 obs-addr-list: empty elements between commas are allowed. */
static int
parse_list(struct parser *p, int in_group)
{
	for (;;) {
		if (p->cur.type == T_END || (in_group && p->cur.ch == ';'))
			return 0;
		if (p->cur.ch == ',') {
			if (lex(p) == -1)
				return -1;
			continue;
		}
		if (parse_address(p, in_group) == -1)
			return -1;
		if (p->cur.type != T_END && p->cur.ch != ',' &&
		    !(in_group && p->cur.ch == ';'))
			return unexpected(p);
	}
}

static int
run(struct parser *p, const char *s, size_t len, struct strlist *out,
    struct result *res)
{
	p->s = s;
	p->len = len;
	p->out = out;
	p->res = res;
	if (lex(p) == -1)
		return -1;
	return parse_list(p, 0);
}

int
addr_list_parse(const char *s, size_t len, struct strlist *out,
    struct result *res)
{
	struct parser	 p;

	memset(&p, 0, sizeof(p));
	return run(&p, s, len, out, res);
}

int
addr_mailbox_parse(const char *s, size_t len, struct addr_mailbox *mb,
    struct result *res)
{
	struct strlist	 l = { NULL, 0, 0 };
	struct parser	 p;
	int		 rc;

	memset(&p, 0, sizeof(p));
	memset(mb, 0, sizeof(*mb));
	p.mb = mb;
	if ((rc = run(&p, s, len, &l, res)) == 0 &&
	    (l.n != 1 || p.ngroups > 0))
		rc = fail(&p, l.n == 0 ? "no address" : p.ngroups > 0 ?
		    "a group" : "more than one address");
	if (rc == 0)
		str_copy(mb->addr, sizeof(mb->addr), l.v[0]);
	strlist_free(&l);
	return rc;
}

int
addr_list_unqualified(const char *s, size_t len, size_t **endsp,
    size_t *np, struct result *res)
{
	struct strlist	 l = { NULL, 0, 0 };
	struct parser	 p;
	int		 rc;

	memset(&p, 0, sizeof(p));
	p.note_ends = 1;
	rc = run(&p, s, len, &l, res);
	strlist_free(&l);
	if (rc == -1) {
		free(p.ends);
		p.ends = NULL;
		p.nends = 0;
	}
	*endsp = p.ends;
	*np = p.nends;
	return rc;
}

static int
is_unsafe(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '<' || c == '>';
}

/*
 * The length of the well-formed UTF-8 sequence at s (n bytes left, s[0]
 * >= 0x80), or 0: no stray continuation bytes, overlong forms, surrogates,
 * code points past U+10FFFF (RFC 3629 section 4), or C1 controls.
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t		 len, i;
	unsigned long	 cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	cp = s[0] & (0x7f >> len);
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp < 0xa0)
		return 0;
	return len;
}

int
addr_check(const char *a, size_t len)
{
	const unsigned char *u = (const unsigned char *)a;
	size_t		 i, n;
	int		 quoted = 0;

	if (len == 0 || len > ADDR_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		if (u[i] >= 0x80) {
			if ((n = utf8_len(u + i, len - i)) == 0)
				return -1;
			i += n - 1;
			continue;
		}
		if (is_unsafe(u[i]))
			return -1;
		if (quoted && a[i] == '\\') {
			if (i + 1 == len || is_unsafe(u[i + 1]))
				return -1;
			if (u[i + 1] < 0x80)	/* else checked as UTF-8 */
				i++;
		} else if (a[i] == '"')
			quoted = !quoted;
		else if (!quoted && a[i] == ' ')
			return -1;
	}
	return quoted ? -1 : 0;
}

const char *
addr_domain(const char *a)
{
	int	 quoted = 0;

	for (; *a != '\0'; a++) {
		if (quoted && *a == '\\' && a[1] != '\0')
			a++;
		else if (*a == '"')
			quoted = !quoted;
		else if (!quoted && *a == '@')
			return a + 1;
	}
	return NULL;
}
