/*
 * msg.h - the message as read from stdin, read to EOF before any network
 * I/O (DESIGN.md section 4: spool first, then connect).
 *
 * Small messages live in memory; past MSG_MEM_MAX the spool moves to an
 * unlinked 0600 temp file in $TMPDIR (or /tmp).  A regular file on stdin
 * is read in place.  Memory stays bounded whatever the size.
 */
#ifndef STAMP_MSG_H
#define STAMP_MSG_H

#include <stddef.h>
#include <sys/types.h>

struct result;

#define MSG_MEM_MAX	(256 * 1024)	/* bytes kept in memory */

struct msg {
	char	*mem;		/* in-memory spool, or NULL */
	size_t	 memcap;
	int	 fd;		/* temp file or regular stdin, or -1 */
	off_t	 base;		/* offset of the message's first byte in fd */
	off_t	 size;		/* message size in bytes */
	int	 eightbit;	/* a byte >= 0x80 was seen */
	int	 owned_fd;	/* fd is our temp file (close it) */
};

/* Read fd to EOF into the spool.  EX_IOERR / EX_OSERR / EX_CANTCREAT. */
int	 msg_spool(struct msg *, int fd, struct result *);

/*
 * Copy up to n bytes from offset off of the message into buf.  Returns
 * the number of bytes copied (0 at the end) or -1 (EX_IOERR in res).
 */
ssize_t	 msg_read_at(const struct msg *, off_t off, void *buf, size_t n,
	    struct result *);

void	 msg_free(struct msg *);

#endif
