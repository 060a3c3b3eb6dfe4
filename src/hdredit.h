/*
 * hdredit.h - the header section to transmit: envelope.c's header edits
 * (DESIGN.md section 3), apart so that each file reads at once.  No I/O.
 *
 * The message's fields go byte for byte, except that Bcc and Resent-Bcc
 * are never transmitted and From: follows set_from_header (stamp.ini(5)):
 * auto gives a From: holding one unqualified address the envelope sender,
 * on gives every From: the envelope sender (both keep the display name, or
 * make one of a comment or of the unqualified name), off changes nothing.
 * A missing From: (not with off), Date: (hdr_date, now) and Message-ID:
 * ("<" UTC time "." pid "." random "@" domain ">", the domain being the
 * sender's, else the EHLO name, else "localhost") are added in that
 * order, in the message's line ending, just before the separator line;
 * one is added if a body follows.  A leading mbox "From " line is not
 * part of the section (hdr.h).
 */
#ifndef STAMP_HDREDIT_H
#define STAMP_HDREDIT_H

#include <stddef.h>

#include "config.h"

struct hdrs;
struct result;

#define HDREDIT_NAME_MAX	256	/* longest -F or kept name, bytes */

struct hdredit {
	const char		*sender;	/* the envelope sender, checked */
	const char		*fullname;	/* -F, or NULL */
	const char		*domain;	/* EHLO name, or NULL */
	enum from_header	 from_mode;
};

/*
 * Build the section from h, which indexes the first headlen bytes of a
 * message of msgsize bytes.  Returns 0 with *hdrp (malloc'd, *lenp
 * bytes) and *msgidp (the Message-ID added, malloc'd; NULL when the
 * message has one), or -1: EX_USAGE for a -F that cannot be a name (over
 * HDREDIT_NAME_MAX bytes, a control byte), EX_OSERR.
 */
int	 hdredit_build(const struct hdrs *h, size_t headlen, size_t msgsize,
	    const struct hdredit *, char **hdrp, size_t *lenp, char **msgidp,
	    struct result *);

#endif
