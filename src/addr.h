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
 * Is a (len bytes) safe to put between <> in MAIL FROM / RCPT TO?  No
 * CR, LF, NUL or other control bytes (HTAB included), no '<' or '>' even
 * quoted, no unquoted space, balanced quotes, at most ADDR_MAX bytes, not
 * empty.  0 if safe, -1 if not.  This is the guard against SMTP command
 * injection (DESIGN.md section 7).
 */
int	 addr_check(const char *a, size_t len);

#endif
