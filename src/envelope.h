/*
 * envelope.h - sender, recipients and the header section to transmit,
 * from the command line, the account and the message's headers.
 *
 * Sender: -f/-r ("<a@b>" accepted; "<>" or "" is the null sender, from
 * "", which is never qualified), else the account's from; none, or a
 * from that is a pattern (config_is_pattern) -> EX_CONFIG; a bad -f ->
 * EX_USAGE, a bad configured from -> EX_CONFIG.  An unqualified sender
 * ("root") gets @qualify_domain; without one, an unqualified -f becomes
 * the account's from (traced under -v); else it stays as it is.
 * Recipients: argv (each argument an address list), plus with -t every
 * To/Cc/Bcc, or, when the message has Resent-* fields, the Resent-To/
 * Resent-Cc/Resent-Bcc of the topmost block of consecutive Resent-*
 * fields (RFC 5322 section 3.6.6, as sendmail 8).  An unqualified
 * recipient is replaced by its alias (aliases.h; the file is read only
 * then), and whatever is still unqualified gets @qualify_domain.
 * Duplicates removed (case-insensitive, first kept); none -> EX_USAGE; a
 * bad one -> EX_DATAERR naming it; alias file errors -> EX_CONFIG.
 * Header edits (hdredit.h): Bcc and Resent-Bcc never transmitted; From:
 * per set_from_header (never for the null sender: the From: is kept);
 * missing From: (the account's from for the null sender: none there is
 * EX_CONFIG), Date:, Message-ID: added; a leading
 * mbox "From " line dropped; a blank line before a body that lacks one.
 * long_lines (DESIGN.md section 4, stamp.ini(5)) for a body line over
 * MSG_LINE_MAX: encode sets body_qp when hdredit_qp_ok allows (the
 * header then says quoted-printable: hdredit.h) and leaves the rest as
 * it is, pass leaves all as it is, refuse is EX_DATAERR naming the line;
 * header lines over HDR_LINE_MAX are hdredit.h's.  Transmitting hdr,
 * then msg bytes [body_off, size) (quoted-printable with body_qp, qp.h),
 * gives the message with those edits.  msgid is the message's
 * Message-ID, or the one added.  Only the first HDR_SECTION_MAX bytes are
 * read.  On error env is left empty (nothing to free).  acct may be NULL
 * (no account settings: long_lines = encode).
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
	char		*msgid;		/* Message-ID value (given or added) */
	int		 body_qp;	/* the body must go quoted-printable
					   (long_lines = encode; hdr says so) */
};

int	 envelope_build(struct envelope *, const struct cli *,
	    const struct account *, const struct msg *, struct result *);

void	 envelope_free(struct envelope *);

#endif
