/*
 * tcache.h - the per-user TLS session cache: files, not TLS.
 *
 * One file per entry in $XDG_CACHE_HOME/stamp/tls (an absolute
 * XDG_CACHE_HOME only), else ~/.cache/stamp/tls; no HOME: no cache.
 * Directories are created 0700, entries 0600, written to a temporary
 * file and renamed over the old one, so that any number of stamp
 * processes may load and store at once: a reader sees the old entry or
 * the new one, never half of one; the last writer wins.  A writer killed
 * between the two leaves its ".<key>.<pid>.tmp": each store removes
 * those whose pid is gone or that are older than a minute.
 *
 * The cache is an optimisation and never a reason for a send to fail:
 * nothing here returns an error.  Whatever is wrong (no HOME, a
 * directory that cannot be made or is owned by someone else or writable
 * by others, an entry that is not a regular file of ours, mode 0600 at
 * most, or is empty or over TCACHE_ENTRY_MAX) is a miss, said under -v
 * in one "TLS session cache: ..." line.
 *
 * Entries are opaque bytes here; the caller (tls.c) must treat them as
 * untrusted: anyone who can write the user's files wrote them.
 */
#ifndef STAMP_TCACHE_H
#define STAMP_TCACHE_H

#include <stddef.h>

#define TCACHE_ENTRY_MAX	32768	/* bytes: a DER session with the
					   server's certificate */
#define TCACHE_KEY_LEN		64	/* hex digits of SHA-256 */
#define TCACHE_PATH_MAX		4096	/* the directory's path, bytes */

/*
 * The entry name for n parts (NUL-terminated strings; NULL differs from
 * ""), in order: SHA-256 over the length-prefixed parts, in lower-case
 * hex.  key needs TCACHE_KEY_LEN + 1 bytes.
 */
void	 tcache_key(char *key, const char *const *parts, size_t n);

/*
 * The entry for key, copied into buf (cap bytes): its length, or 0 when
 * there is none or it is not usable (see above; also when it is larger
 * than cap).
 */
size_t	 tcache_load(const char *key, void *buf, size_t cap);

/* Replace the entry for key with len bytes (1..TCACHE_ENTRY_MAX). */
void	 tcache_store(const char *key, const void *buf, size_t len);

/* Remove the entry for key, if any (a session found unusable). */
void	 tcache_drop(const char *key);

/*
 * The cache directory's path, into buf (TCACHE_PATH_MAX), or -1 when
 * there is no cache (no HOME).  For -v traces and tests.
 */
int	 tcache_dir(char *buf);

#endif
