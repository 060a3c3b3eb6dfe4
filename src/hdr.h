/*
 * hdr.h - the RFC 5322 header section: where fields start and end, and
 * their unfolded values.  No I/O.  All input is untrusted.
 *
 * A field is "name: value" followed by continuation lines (lines that
 * start with SP or HTAB).  The name is printable ASCII but ':' (RFC 5322
 * section 3.6.8), white space before the ':' is allowed (section 4.5).
 * Lines may end in LF or CRLF.  The header section ends at the first
 * empty line (which belongs to it), or at the first line that is neither
 * a field nor a continuation (that line then starts the body; so does a
 * leading mbox "From " line), or at the end of the input.
 */
#ifndef STAMP_HDR_H
#define STAMP_HDR_H

#include <stddef.h>

struct result;

#define HDR_SECTION_MAX	(1024 * 1024)	/* largest header section */
#define HDR_FIELDS_MAX	4096		/* most fields we index */

struct hdr_field {
	size_t	 off;		/* first byte of the field (its name) */
	size_t	 len;		/* whole field incl. continuations and EOL */
	size_t	 namelen;	/* the name is buf[off .. off+namelen) */
	size_t	 valoff;	/* first byte after the ':' */
};

struct hdrs {
	const char	*buf;		/* not owned */
	size_t		 body_off;	/* where the body starts in buf */
	int		 has_blank;	/* a blank separator line was seen */
	struct hdr_field *f;		/* owned */
	size_t		 n;
};

/*
 * Index the header section at the start of buf (len bytes).  at_eof says
 * that buf holds the whole message; otherwise a header section that does
 * not end within len bytes is an error (EX_DATAERR, "header section larger
 * than ..."), as are a header section over HDR_SECTION_MAX bytes, more
 * than HDR_FIELDS_MAX fields, and NUL bytes in a field or where a field
 * name is expected.  On error nothing is left to free.
 */
int	 hdr_parse(struct hdrs *, const char *buf, size_t len, int at_eof,
	    struct result *);

/* Case-insensitive: is field f named name? */
int	 hdr_is(const struct hdrs *, const struct hdr_field *, const char *name);

/*
 * The value of f with line breaks of folding removed (RFC 5322 section
 * 2.2.3) and surrounding white space trimmed; malloc'd, NUL-terminated.
 */
char	*hdr_value(const struct hdrs *, const struct hdr_field *,
	    struct result *);

void	 hdr_free(struct hdrs *);

#endif
