/*
 * envelope.h - sender, recipients and the header section to transmit,
 * from the command line, the account and the message's headers.
 *
 * Sender: -f/-r ("<a@b>" accepted), else the account's from; none ->
 * EX_CONFIG; a bad -f -> EX_USAGE, a bad configured from -> EX_CONFIG.
 * Recipients: argv (each argument an address list), plus every To/Cc/Bcc
 * with -t; duplicates removed (case-insensitive, first kept); none ->
 * EX_USAGE; a bad one -> EX_DATAERR naming it.  Header edits: Bcc fields
 * are never transmitted; a missing From: is built from -F (a control
 * byte in it -> EX_USAGE) and the sender, in the message's line ending,
 * just before the separator line (one is added if a body follows).
 * Transmitting hdr, then msg bytes [body_off, size), gives the message
 * with those edits.  Only the first HDR_SECTION_MAX bytes are read.
 * On error env is left empty (nothing to free).
 */
#ifndef STAMP_ENVELOPE_H
#define STAMP_ENVELOPE_H

#include <stddef.h>
#include <sys/types.h>

#include "util.h"

struct account;
struct cli;
struct msg;
struct result;

struct envelope {
	char		*from;		/* envelope sender, owned */
	struct strlist	 rcpts;		/* envelope recipients, owned */
	char		*hdr;		/* header section to transmit, owned */
	size_t		 hdrlen;
	off_t		 body_off;	/* the body: msg bytes [body_off, size) */
	char		*msgid;		/* Message-ID value, or NULL */
};

int	 envelope_build(struct envelope *, const struct cli *,
	    const struct account *, const struct msg *, struct result *);

void	 envelope_free(struct envelope *);

#endif
