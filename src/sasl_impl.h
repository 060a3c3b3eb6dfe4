/*
 * sasl_impl.h - what sasl.c shares with the mechanism files (scram.c,
 * digestmd5.c).  Not a public contract: only the sasl*.c files include it.
 */
#ifndef STAMP_SASL_IMPL_H
#define STAMP_SASL_IMPL_H

#include <openssl/evp.h>

#include "sasl.h"

#define SASL_IN_MAX	(16 * 1024)	/* longest response before base64 */
#define SASL_NONCE_MAX	64		/* client nonce, printable */
#define SASL_GS2_MAX	(2 * 1024)	/* gs2 header with authzid */

struct sasl {
	enum sasl_mech		 mech;
	struct sasl_cred	 c;
	int			 step;		/* challenges answered */
	int			 proven;	/* server proof verified */
	char			 nonce[SASL_NONCE_MAX + 1];
	char			 err[SASL_ERR_MAX];
	/* SCRAM */
	const EVP_MD		*md;
	char			*gs2;		/* gs2 header */
	char			*bare;		/* client-first-message-bare */
	unsigned char		 server_sig[EVP_MAX_MD_SIZE];
	/* DIGEST-MD5 */
	char			 rspauth[33];	/* expected, hex */
};

/* "AUTH MECH: " errors. */
int	 sasl_fail(struct sasl *, struct result *, int ex, const char *fmt,
	    ...) __attribute__((format(printf, 4, 5)));

/* base64 challenge -> bytes (malloc'd, NUL-terminated); -1 EX_PROTOCOL. */
int	 sasl_decode(struct sasl *, const char *b64, char **out, size_t *len,
	    struct result *);

/* A fresh printable client nonce into s->nonce, unless set already. */
int	 sasl_make_nonce(struct sasl *, struct result *);

/* saslname (RFC 5801 4): "," as =2C, "=" as =3D; -1 if n is short. */
int	 sasl_saslname(const char *in, char *out, size_t n);

/* Lower-case hex of n bytes into out (2n + 1). */
void	 sasl_hex(const unsigned char *in, size_t n, char *out);

int	 scram_start(struct sasl *, char **, struct result *);
int	 scram_step(struct sasl *, const char *, size_t, char **,
	    struct result *);
int	 digestmd5_step(struct sasl *, const char *, size_t, char **,
	    struct result *);

#endif
