/*
 * tls.h — the HTTP client's TLS, sans-I/O: ciphertext in from the socket,
 * plaintext out to the response parser, plaintext in from the request,
 * ciphertext out to the socket.  OpenSSL (libssl) over memory BIOs; the
 * client (client_conn.c) moves the bytes.  Only https:// connections use
 * it: plain http:// never touches OpenSSL.
 *
 * Verification: the peer's chain against the system store (OpenSSL's
 * default paths, so SSL_CERT_FILE and SSL_CERT_DIR are honoured, as for
 * any OpenSSL program), the host name (or IP literal) against the
 * certificate, TLS 1.2 at least; SNI is sent for names.  A failure is
 * TR_ETLS, logged with OpenSSL's reason ("certificate verify failed:
 * self-signed certificate").
 *
 * Not thread-safe; one http_tls_t per connection.
 */
#ifndef HTTP_TLS_H
#define HTTP_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"

typedef struct http_tls_ctx http_tls_ctx_t;
typedef struct http_tls http_tls_t;

/* The settings every connection shares (CA store loaded once).  0,
 * TR_ETLS (OpenSSL could not be set up), -ENOMEM. */
int http_tls_ctx_new(http_tls_ctx_t **out) TR_WUR;
void http_tls_ctx_free(http_tls_ctx_t *c); /* NULL: no-op */

/* A client session for host (a name: SNI and name check; an IPv4/IPv6
 * literal: address check).  0, TR_ETLS, -ENOMEM. */
int http_tls_new(http_tls_ctx_t *c, const char *host, http_tls_t **out) TR_WUR;
void http_tls_free(http_tls_t *t); /* NULL: no-op */

/* What http_tls_handshake returns while it waits for the peer. */
#define HTTP_TLS_AGAIN 1

/* Ciphertext p[0..n) read from the socket.  0, -ENOMEM. */
int http_tls_recv(http_tls_t *t, const uint8_t *p, size_t n) TR_WUR;
/* Drive the handshake: 0 (done), HTTP_TLS_AGAIN (send what
 * http_tls_take gives, then feed the peer's answer), TR_ETLS. */
int http_tls_handshake(http_tls_t *t) TR_WUR;
/* Plaintext into out[0..cap): its length, 0 (nothing decrypted yet), or
 * TR_ETLS (a broken record; a close_notify is 0 and http_tls_closed). */
long http_tls_read(http_tls_t *t, uint8_t *out, size_t cap) TR_WUR;
/* Did the peer send close_notify? */
int http_tls_closed(const http_tls_t *t);
/* Encrypt plaintext p[0..n) (after the handshake).  0, TR_ETLS. */
int http_tls_write(http_tls_t *t, const uint8_t *p, size_t n) TR_WUR;
/* Move the ciphertext waiting to be sent into out (appended).  0 or
 * -ENOMEM. */
int http_tls_take(http_tls_t *t, tr_bytes_t *out) TR_WUR;

#endif /* HTTP_TLS_H */
