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
 */
#ifndef STAMP_MSG_H
#define STAMP_MSG_H

#include <stddef.h>
#include <sys/types.h>

struct result;

#define MSG_MEM_MAX	(256 * 1024)	/* bytes kept in memory */

struct msg {
	char	*mem;		/* in-memory spool; once spilled to the
				   file, what is not written yet (pending);
				   NULL for a file read in place */
	size_t	 memcap;
	int	 fd;		/* temp file or regular stdin, or -1 */
	off_t	 base;		/* offset of the message's first byte in fd */
	off_t	 size;		/* message size in bytes */
	int	 eightbit;	/* a byte >= 0x80 was seen */
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
 * msg_append adds n bytes (size and eightbit follow); it may move the
 * spool to the temp file (EX_CANTCREAT, EX_IOERR).  msg_end writes what
 * is still buffered (EX_IOERR); only then may msg_read_at be used.
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

void	 msg_free(struct msg *);

#endif
