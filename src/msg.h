/*
 * msg.h - the message as read from stdin, read to EOF before any network
 * I/O (DESIGN.md section 4: spool first, then connect).
 *
 * Small messages live in memory; past MSG_MEM_MAX the spool moves to an
 * unlinked 0600 temp file in $TMPDIR (or /tmp).  A regular file on stdin
 * is read in place.  Memory stays bounded whatever the size.
 *
 * A spool can also be built from chunks (msg_begin, msg_append...,
 * msg_end), as -bs does with each message's data: the same bounds, the
 * same temp file.  Once in the file, appended bytes are gathered in the
 * memory buffer and written in MSG_MEM_MAX blocks, so small chunks cost
 * no system call each.
 *
 * In the same pass the spool notes what the sending side must decide on
 * without reading the message again: 8-bit bytes (and where the last one
 * is) and lines over MSG_LINE_MAX octets (RFC 5322 section 2.1.1), with
 * the number and length of the first and the last such line.  A line
 * ends at LF, CRLF or a bare CR (as body.h), its length does not count
 * the line end, lines are numbered from 1 from the first byte of stdin.
 * The message's bytes are untrusted: any byte, NUL included, is data.
 */
#ifndef STAMP_MSG_H
#define STAMP_MSG_H

#include <stddef.h>
#include <sys/types.h>

struct result;

#define MSG_MEM_MAX	(256 * 1024)	/* bytes kept in memory */
#define MSG_LINE_MAX	998		/* RFC 5322 2.1.1, without CRLF */

/* One line of the message. */
struct msg_line {
	off_t	 off;		/* offset of its first byte */
	size_t	 no;		/* its number, from 1 */
	size_t	 len;		/* octets, without the line end */
};

struct msg {
	char	*mem;		/* in-memory spool; once spilled to the
				   file, what is not written yet (pending);
				   NULL for a file read in place */
	size_t	 memcap;
	int	 fd;		/* temp file or regular stdin, or -1 */
	off_t	 base;		/* offset of the message's first byte in fd */
	off_t	 size;		/* message size in bytes */
	int	 eightbit;	/* a byte >= 0x80 was seen */
	off_t	 eightbit_end;	/* offset after the last such byte, or 0 */
	size_t	 longest;	/* the longest line, octets */
	struct msg_line	 long_first;	/* the first line over MSG_LINE_MAX */
	struct msg_line	 long_last;	/* the last one (len 0: none) */
	struct msg_line	 cur;		/* the line being read */
	int	 cr;		/* the last byte read was a CR */
	int	 owned_fd;	/* fd is our temp file (close it) */
	size_t	 pending;	/* in the file: bytes of mem not written yet */
};

/*
 * Read fd to EOF into the spool (msg_begin, msg_append, msg_end, or a
 * regular file in place).  EX_IOERR / EX_OSERR / EX_CANTCREAT.
 */
int	 msg_spool(struct msg *, int fd, struct result *);

/*
 * An empty spool to append to (EX_OSERR).  msg_free it even on error.
 * msg_append adds n bytes (size, eightbit and the line figures follow);
 * it may move the spool to the temp file (EX_CANTCREAT, EX_IOERR).
 * msg_end counts a last line without a line end and writes what is still
 * buffered (EX_IOERR); only then may msg_read_at be used.
 */
int	 msg_begin(struct msg *, struct result *);
int	 msg_append(struct msg *, const void *, size_t n, struct result *);
int	 msg_end(struct msg *, struct result *);

/*
 * Copy up to n bytes from offset off of the message into buf.  Returns
 * the number of bytes copied (0 at the end) or -1 (EX_IOERR in res).
 */
ssize_t	 msg_read_at(const struct msg *, off_t off, void *buf, size_t n,
	    struct result *);

/*
 * Is there a line over MSG_LINE_MAX octets that starts at or after off
 * (the body)?  1 with *l the first such line when it is the first of the
 * message, else the last (either way one that is there), or 0.
 */
int	 msg_long_line(const struct msg *, off_t off, struct msg_line *l);

/* Is there a byte >= 0x80 at or after off? */
int	 msg_eightbit_from(const struct msg *, off_t off);

void	 msg_free(struct msg *);

#endif
