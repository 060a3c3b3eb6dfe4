/*
 * aliases.h - an alias file for unqualified recipients, in msmtp's format
 * (the aliases key of stamp.ini(5)).
 *
 *	# comment
 *	root: joe@example.org, Ops <ops@example.org>
 *	default: joe@example.org
 *
 * One alias per line: a local name, ':', an address list (RFC 5322
 * section 3.4, as addr_list_parse reads it).  Names are compared without
 * regard to case; "default" stands for every name not in the file.
 * Lines that are empty or whose first non-blank byte is '#' are ignored;
 * there are no continuation lines.  Targets are not expanded again (one
 * level): a target that is itself unqualified is left for the caller to
 * qualify.  The file is untrusted input: errors name "FILE:LINE" and are
 * EX_CONFIG.
 */
#ifndef STAMP_ALIASES_H
#define STAMP_ALIASES_H

#include <stddef.h>

#include "util.h"

struct result;

#define ALIASES_LINE_MAX	4096	/* longest line, without its LF */
#define ALIASES_MAX		4096	/* most aliases in one file */

struct alias {
	char		*name;
	struct strlist	 to;		/* addr-specs, at least one */
	int		 line;
};

struct aliases {
	struct alias	*v;		/* in file order */
	size_t		 n;
};

/*
 * Read path.  Errors (EX_CONFIG): cannot open, not a regular file, a line
 * without ':', a name that is empty or not one word without '@', a name
 * given twice, an empty or malformed address list, a line too long or
 * with a NUL byte, more than ALIASES_MAX aliases.  EX_IOERR on a read
 * error.  On error nothing is left to free.
 */
int	 aliases_load(struct aliases *, const char *path, struct result *);

/* The targets of name, else those of "default", else NULL. */
const struct strlist *aliases_lookup(const struct aliases *,
	    const char *name);

void	 aliases_free(struct aliases *);

#endif
