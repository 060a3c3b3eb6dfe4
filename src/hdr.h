/*
 * hdr.h - the RFC 5322 header section: where fields start and end, and
 * their unfolded values.  No I/O.  All input is untrusted.
 *
 * A field is "name: value" followed by continuation lines (lines that
 * start with SP or HTAB).  The name is printable ASCII but ':' (RFC 5322
 * section 3.6.8), white space before the ':' is allowed (section 4.5).
 * Lines may end in LF, CRLF or a bare CR: all three are line ends, as in
 * body.h, so that what is parsed is what goes on the wire (where each
 * becomes CRLF).  The header section ends at the first empty line (which
 * belongs to it), or at the first line that is neither a field nor a
 * continuation (that line then starts the body), or at the end of the
 * input.  A leading mbox "From " line (the first line starts
 * with "From " and is not a field: "From : x" is one, section 4.5) is not
 * part of the message: the fields start after it.
 */
#ifndef STAMP_HDR_H
#define STAMP_HDR_H

#include <stddef.h>
#include <time.h>

struct result;

#define HDR_SECTION_MAX	(1024 * 1024)	/* largest header section */
#define HDR_FIELDS_MAX	4096		/* most fields we index */
#define HDR_LINE_MAX	998		/* RFC 5322 2.1.1, without CRLF */

struct hdr_field {
	size_t	 off;		/* first byte of the field (its name) */
	size_t	 len;		/* whole field incl. continuations and EOL */
	size_t	 namelen;	/* the name is buf[off .. off+namelen) */
	size_t	 valoff;	/* first byte after the ':' */
};

struct hdrs {
	const char	*buf;		/* not owned */
	size_t		 start;		/* after a leading mbox line, or 0 */
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

/*
 * The length of the line at p (n bytes), its line end (LF, CRLF or a bare
 * CR) included.  *complete says whether that is known: 0 when no line end
 * is within n bytes, or when it is a CR in the last byte (an LF may
 * follow), unless at_eof says that nothing follows.
 */
size_t	 hdr_line(const char *p, size_t n, int at_eof, int *complete);

/* Case-insensitive: is field f named name? */
int	 hdr_is(const struct hdrs *, const struct hdr_field *, const char *name);

/* Case-insensitive: does the name of field f start with prefix? */
int	 hdr_has_prefix(const struct hdrs *, const struct hdr_field *,
	    const char *prefix);

/*
 * The value of f with line breaks of folding removed (RFC 5322 section
 * 2.2.3) and surrounding white space trimmed; malloc'd, NUL-terminated.
 */
char	*hdr_value(const struct hdrs *, const struct hdr_field *,
	    struct result *);

void	 hdr_free(struct hdrs *);

#define HDR_DATE_MAX	40	/* "Sun, 22 Nov 2026 06:14:00 +0000" + NUL */

/*
 * t as an RFC 5322 date-time (section 3.3) in local time with a numeric
 * zone, e.g. "Sun, 22 Nov 2026 06:14:00 +0000"; English day and month
 * names whatever the locale.  Returns 0, or -1 if t has no local time.
 */
int	 hdr_date(char buf[HDR_DATE_MAX], time_t t);

/*
 * name (len bytes of UTF-8) as a display name (section 3.2.5 phrase):
 * as is when it is atoms and white space, else a quoted-string (sections
 * 3.2.4), else, with bytes >= 0x80, RFC 2047 "=?UTF-8?B?...?=" words that
 * never split a character.  malloc'd; NULL with EX_DATAERR when name
 * holds a control byte other than HTAB (or with EX_OSERR).
 */
char	*hdr_phrase(const char *name, size_t len, struct result *);

#endif
