/*
 * hdredit.h - the header section to transmit: envelope.c's header edits
 * (DESIGN.md section 3), apart so that each file reads at once.  No I/O.
 *
 * The message's fields go byte for byte, except that Bcc and Resent-Bcc
 * are never transmitted and From: follows set_from_header (stamp.ini(5)):
 * auto gives a From: holding one unqualified address the envelope sender,
 * on gives every From: the envelope sender (both keep the display name, or
 * make one of a comment or of the unqualified name), off changes nothing.
 * With resent (-t), the topmost block of Resent-* fields (the run of
 * consecutive ones from the first; RFC 5322 section 3.6.6), if any, gets
 * a Resent-Date: (now) and a Resent-Message-ID: (made as a Message-ID)
 * when it lacks them, after its last field.  The message's own Date:
 * and Message-ID: are added as ever when missing; *msgidp is about
 * those only.
 * With qualify_domain, the unqualified addresses ("root") of To:, Cc:,
 * Reply-To:, Resent-To:, Resent-Cc:, Resent-From: and of a From: that
 * set_from_header keeps (not with off) get "@" qualify_domain, as the
 * envelope's do: such a field is rebuilt from its unfolded value with
 * only that inserted (display names, comments, groups as they were) and
 * folded again where needed; a field with nothing to qualify, or whose
 * value does not parse as an address list (before, or after: an address
 * over ADDR_MAX), goes byte for byte.
 * The null sender (sender ""; RFC 5321 section 4.5.5: bounces, vacation
 * replies) never replaces a From: address; a missing From: then gets
 * null_from, and without one hdredit_build fails (EX_CONFIG): a From:
 * must not be empty (RFC 5322 section 3.6.2).
 * A missing From: (not with off), Date: (hdr_date, now) and Message-ID:
 * ("<" UTC time "." pid "." random "@" domain ">", the domain being the
 * sender's or null_from's, else the EHLO name, else "localhost") are
 * added in that
 * order, in the message's line ending (that of its first line), just
 * before the separator line; one is added if a body follows and there is
 * none.  A leading mbox "From " line is not part of the section (hdr.h).
 *
 * Lines over HDR_LINE_MAX octets (RFC 5322 section 2.1.1), by long_lines:
 * encode folds them (section 2.2.3: a line end goes before white space
 * that follows text and is followed by text, so unfolding gives the same
 * field back) and sends as is what has no such white space; pass sends
 * them as they are; refuse is EX_DATAERR naming the field.
 *
 * A body sent quoted-printable (body_qp; hdredit_qp_ok said it may be):
 * its Content-Transfer-Encoding field becomes "quoted-printable" where it
 * is, or is added, after "MIME-Version: 1.0" if that is missing; a body
 * with 8-bit bytes and no Content-Type gets "Content-Type: text/plain;
 * charset=utf-8" (the default, us-ascii, would garble it).  Added after
 * From:, Date: and Message-ID:, in this order.
 */
#ifndef STAMP_HDREDIT_H
#define STAMP_HDREDIT_H

#include <stddef.h>

#include "config.h"

struct hdrs;
struct result;

#define HDREDIT_NAME_MAX	256	/* longest -F or kept name, bytes */

struct hdredit {
	const char		*sender;	/* the envelope sender, checked;
						   "": the null sender */
	const char		*null_from;	/* the From: to add for the null
						   sender (account's from), or
						   NULL */
	const char		*fullname;	/* -F, or NULL */
	const char		*domain;	/* EHLO name, or NULL */
	const char		*qualify_domain; /* for unqualified header
						   addresses, or NULL */
	enum from_header	 from_mode;
	enum long_lines		 long_lines;	/* for long header lines */
	int			 body_qp;	/* the body goes QP (qp.h) */
	int			 body_8bit;	/* it has bytes >= 0x80 */
	int			 resent;	/* -t: a Resent-* block is
						   what is sent (envelope.h) */
};

/*
 * Build the section from h, which indexes the first headlen bytes of a
 * message of msgsize bytes.  Returns 0 with *hdrp (malloc'd, *lenp
 * bytes) and *msgidp (the Message-ID added, malloc'd; NULL when the
 * message has one), or -1: EX_CONFIG for the null sender with neither a
 * From: nor null_from, EX_USAGE for a -F that cannot be a name (over
 * HDREDIT_NAME_MAX bytes, a control byte), EX_DATAERR for a line over
 * HDR_LINE_MAX with long_lines = refuse, EX_OSERR.
 */
int	 hdredit_build(const struct hdrs *h, size_t headlen, size_t msgsize,
	    const struct hdredit *, char **hdrp, size_t *lenp, char **msgidp,
	    struct result *);

/*
 * May the body of the message h indexes go quoted-printable?  Only a
 * single part whose encoding is an identity: no Content-Type, or one
 * that is not multipart/ or message/ (RFC 2045 section 6.4: those must
 * not be encoded), and no Content-Transfer-Encoding, or 7bit, 8bit or
 * binary.  Two fields of either kind: no (which one would a reader take?).
 * Returns 1 or 0, or -1 (EX_OSERR).
 */
int	 hdredit_qp_ok(const struct hdrs *h, struct result *);

#endif
