/*
 * tcache.c - the TLS session cache's files (tcache.h).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "log.h"
#include "tcache.h"
#include "util.h"

#define SUBDIR		"stamp/tls"
#define TMP_NAME_MAX	(TCACHE_KEY_LEN + 32)	/* ".<key>.<pid>.tmp" */
#define TMP_STALE_S	60	/* a temporary file this old is left over */
#define PID_DIGITS_MAX	10

void
tcache_key(char *key, const char *const *parts, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char	 md[EVP_MAX_MD_SIZE], len[8];
	unsigned int	 mdlen = 0, i;
	EVP_MD_CTX	*c;
	size_t		 k, l;
	int		 j;

	memset(md, 0, sizeof(md));
	if ((c = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1) {
		for (k = 0; k < n; k++) {
			/* 8 bytes of length; all ones for NULL. */
			l = parts[k] ? strlen(parts[k]) : SIZE_MAX;
			for (j = 0; j < 8; j++)
				len[j] = (unsigned char)((uint64_t)l >> (8 * j));
			EVP_DigestUpdate(c, len, sizeof(len));
			if (parts[k] != NULL)
				EVP_DigestUpdate(c, parts[k], l);
		}
		EVP_DigestFinal_ex(c, md, &mdlen);
	}
	EVP_MD_CTX_free(c);
	for (i = 0; i < TCACHE_KEY_LEN / 2; i++) {
		key[2 * i] = digits[md[i] >> 4];
		key[2 * i + 1] = digits[md[i] & 0x0f];
	}
	key[TCACHE_KEY_LEN] = '\0';
}

int
tcache_dir(char *buf)
{
	const char	*base = getenv("XDG_CACHE_HOME"), *sub = SUBDIR;
	int		 n;

	/* XDG: a relative XDG_CACHE_HOME is invalid and to be ignored. */
	if (base == NULL || base[0] != '/') {
		base = getenv("HOME");
		sub = ".cache/" SUBDIR;
	}
	if (base == NULL || base[0] != '/')
		return -1;
	n = snprintf(buf, TCACHE_PATH_MAX, "%s/%s", base, sub);
	if (n < 0 || n >= TCACHE_PATH_MAX) {
		log_trace("TLS session cache: the path under %s is too long",
		    base);
		return -1;
	}
	return 0;
}

/* mkdir -p, mode 0700 for what it creates. */
static int
make_dirs(char *path)
{
	char	*p;

	for (p = path + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0700) == -1 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return mkdir(path, 0700) == -1 && errno != EEXIST ? -1 : 0;
}

/*
 * The cache directory, opened (create: made first if missing), or -1.
 * Only a directory of ours that nobody else can write to will do: its
 * entries are then ours too.
 */
static int
open_dir(int create)
{
	char		 path[TCACHE_PATH_MAX];
	struct stat	 st;
	int		 fd;

	if (tcache_dir(path) == -1)
		return -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && create) {
		if (make_dirs(path) == -1) {
			log_trace("TLS session cache: cannot create %s: %s",
			    path, strerror(errno));
			return -1;
		}
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	if (fd == -1) {
		if (errno != ENOENT || create)
			log_trace("TLS session cache: cannot open %s: %s", path,
			    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || st.st_uid != geteuid() ||
	    (st.st_mode & 022) != 0) {
		log_trace("TLS session cache: %s not used: not the user's, or "
		    "writable by others", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Read exactly n bytes; 0 or -1. */
static int
read_exact(int fd, char *buf, size_t n)
{
	ssize_t	 r;
	size_t	 got = 0;

	while (got < n) {
		r = read(fd, buf + got, n - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* Open an entry that we wrote: ours, 0600 at most, 1..cap bytes. */
static int
open_entry(int dfd, const char *key, size_t cap, size_t *len)
{
	struct stat	 st;
	int		 fd;

	fd = openat(dfd, key, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			log_trace("TLS session cache: no entry %s", key);
		else	/* ELOOP: a symbolic link */
			log_trace("TLS session cache: entry %s ignored: %s",
			    key, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		log_trace("TLS session cache: entry %s ignored: not a file of "
		    "the user's with mode 600", key);
		close(fd);
		return -1;
	}
	if (st.st_size < 1 || (unsigned long long)st.st_size > cap) {
		log_trace("TLS session cache: entry %s ignored: %lld bytes",
		    key, (long long)st.st_size);
		close(fd);
		return -1;
	}
	*len = (size_t)st.st_size;
	return fd;
}

size_t
tcache_load(const char *key, void *buf, size_t cap)
{
	size_t	 len = 0;
	int	 dfd, fd;

	if ((dfd = open_dir(0)) == -1)
		return 0;
	fd = open_entry(dfd, key, cap, &len);
	close(dfd);
	if (fd == -1)
		return 0;
	if (read_exact(fd, buf, len) == -1) {
		log_trace("TLS session cache: entry %s: read failed", key);
		len = 0;
	}
	close(fd);
	return len;
}

/* A new 0600 file for the entry's next version; its fd, or -1. */
static int
create_tmp(int dfd, const char *key, char *tmp)
{
	int	 fd;

	snprintf(tmp, TMP_NAME_MAX, ".%s.%ld.tmp", key, (long)getpid());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1 && errno == EEXIST) {
		/* Left by a process of the same pid that died. */
		unlinkat(dfd, tmp, 0);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	return fd;
}

/*
 * The pid in a temporary file's name ".<key>.<pid>.tmp"; 0 if the name
 * is not of that form.
 */
static pid_t
tmp_pid(const char *name)
{
	const char	*p = name + 1 + TCACHE_KEY_LEN + 1;
	size_t		 n;
	long		 pid = 0;

	if (name[0] != '.' || strlen(name) < 1 + TCACHE_KEY_LEN + 1 ||
	    strspn(name + 1, "0123456789abcdef") != TCACHE_KEY_LEN ||
	    name[1 + TCACHE_KEY_LEN] != '.')
		return 0;
	if ((n = strspn(p, "0123456789")) == 0 || n > PID_DIGITS_MAX ||
	    strcmp(p + n, ".tmp") != 0)
		return 0;
	for (; n > 0; n--, p++)
		pid = pid * 10 + (*p - '0');
	return pid > 0 && pid <= INT32_MAX ? (pid_t)pid : 0;
}

/* Left over: its writer is gone (killed between create and rename). */
static int
tmp_stale(int dfd, const char *name, pid_t pid, time_t now)
{
	struct stat	 st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode))
		return 0;
	if (now - st.st_mtime > TMP_STALE_S)
		return 1;	/* a live writer renames within microseconds */
	return kill(pid, 0) == -1 && errno == ESRCH;
}

/*
 * Remove the temporary files that writers killed between create and
 * rename left behind: older than a minute, or whose pid is gone.  The
 * directory holds one entry per server, so this is one getdents.
 */
static void
remove_stale(int dfd)
{
	struct dirent	*d;
	DIR		*dir;
	time_t		 now = time(NULL);
	pid_t		 pid, self = getpid();
	int		 fd;

	if ((fd = dup(dfd)) == -1)
		return;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((d = readdir(dir)) != NULL) {
		if ((pid = tmp_pid(d->d_name)) == 0 || pid == self ||
		    !tmp_stale(dfd, d->d_name, pid, now))
			continue;
		if (unlinkat(dfd, d->d_name, 0) == 0)
			log_trace("TLS session cache: removed %s, left by "
			    "process %ld", d->d_name, (long)pid);
	}
	closedir(dir);
}

void
tcache_store(const char *key, const void *buf, size_t len)
{
	char	 tmp[TMP_NAME_MAX];
	int	 dfd, fd, ok;

	if (len < 1 || len > TCACHE_ENTRY_MAX) {
		log_trace("TLS session cache: a session of %zu bytes is not "
		    "kept", len);
		return;
	}
	if ((dfd = open_dir(1)) == -1)
		return;
	remove_stale(dfd);
	if ((fd = create_tmp(dfd, key, tmp)) == -1) {
		log_trace("TLS session cache: cannot write an entry: %s",
		    strerror(errno));
		close(dfd);
		return;
	}
	ok = write_all(fd, buf, len) == (ssize_t)len;
	if (close(fd) == -1)
		ok = 0;
	/* rename(2) is atomic: readers see the old entry or this one. */
	if (!ok || renameat(dfd, tmp, dfd, key) == -1) {
		log_trace("TLS session cache: cannot write entry %s: %s", key,
		    strerror(errno));
		unlinkat(dfd, tmp, 0);
	} else
		log_trace("TLS session cache: stored entry %s", key);
	close(dfd);
}

void
tcache_drop(const char *key)
{
	int	 dfd;

	if ((dfd = open_dir(0)) == -1)
		return;
	if (unlinkat(dfd, key, 0) == 0)
		log_trace("TLS session cache: dropped entry %s", key);
	close(dfd);
}
