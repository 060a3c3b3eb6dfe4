/*
 * addr.h - RFC 5322 address lists, reduced to the addr-specs an SMTP
 * envelope needs.  No I/O.  All input is untrusted.
 */
#ifndef STAMP_ADDR_H
#define STAMP_ADDR_H

#include <stddef.h>

struct result;
struct strlist;

#define ADDR_MAX	320	/* longest addr-spec: 64 + 1 + 255 */

/*
 * Parse an unfolded address-list (RFC 5322 section 3.4: mailboxes,
 * "Name <addr>", groups "g: a@b, c@d;", comments, quoted strings) and
 * append each addr-spec, as it would appear inside <> in an SMTP command,
 * to out.  Display names, comments and group names are dropped; an empty
 * group adds nothing.  Unqualified addresses ("root") are kept; quoted
 * local parts keep their quotes; obsolete routes "<@r:a@b>" are dropped.
 * Returns 0, or -1 with EX_DATAERR naming what is wrong (unbalanced <>,
 * quotes, parentheses or [], CR, LF or NUL anywhere, an address that
 * fails addr_check).  On error, out may hold the addresses before it.
 */
int	 addr_list_parse(const char *s, size_t len, struct strlist *out,
	    struct result *);

/*
 * addr_list_parse, noting where each unqualified addr-spec ("root") ends
 * in s: *endsp gets their end offsets (just after the last token of the
 * local part, before any comment), in order, malloc'd (NULL when there
 * are none), *np their number.  "root (Cron)" ends at 4: inserting
 * "@domain" there qualifies the address and keeps every name and
 * comment.  Returns 0, or -1 as addr_list_parse (*endsp NULL then).
 */
int	 addr_list_unqualified(const char *s, size_t len, size_t **endsp,
	    size_t *np, struct result *);

/*
 * One mailbox (section 3.4), as a From: field holds it, and where its
 * parts are in the parsed text: the display name as written (the phrase
 * before '<', with its quotes and comments), and the text of the first
 * comment without its parentheses ("root (systemd-cron)").  A length of
 * 0 means there is none.
 */
struct addr_mailbox {
	char	 addr[ADDR_MAX + 1];	/* the addr-spec, as addr_list_parse */
	size_t	 name_off, name_len;
	size_t	 cmt_off, cmt_len;
};

/*
 * Parse an unfolded field value that must hold exactly one mailbox.
 * Returns 0, or -1 with EX_DATAERR (what addr_list_parse refuses, and
 * also no address, several, or a group).
 */
int	 addr_mailbox_parse(const char *s, size_t len, struct addr_mailbox *,
	    struct result *);

/*
 * Is a (len bytes) safe to put between <> in MAIL FROM / RCPT TO?  No
 * CR, LF, NUL or other control bytes (HTAB included), no '<' or '>' even
 * quoted, no unquoted space, balanced quotes, at most ADDR_MAX bytes, not
 * empty.  Bytes >= 0x80 must form well-formed UTF-8 (RFC 6531 addresses;
 * whether SMTPUTF8 is needed is smtp.c's business) and not encode a C1
 * control (U+0080..U+009F).  0 if safe, -1 if not.  This is the guard
 * against SMTP command injection (DESIGN.md section 7).
 */
int	 addr_check(const char *a, size_t len);

/*
 * The domain of a checked address: what follows its '@' (the one outside
 * a quoted local part), or NULL when the address is unqualified ("root").
 */
const char *addr_domain(const char *a);

#endif
