/*
 * tls.c — tls.h over OpenSSL's libssl with memory BIOs: no socket here,
 * client_conn.c moves the bytes.  OpenSSL allocates with its own malloc
 * (trove's allocator does not reach it: fault injection stops at the
 * session's wrapper).
 */
#include <errno.h>
#include <arpa/inet.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"

struct http_tls_ctx {
  SSL_CTX *ctx;
};

struct http_tls {
  SSL *ssl;
  BIO *in, *out; /* owned by ssl */
  int closed;
};

/* Log OpenSSL's reason for a failure (the verify result first: "self-
 * signed certificate" says more than "certificate verify failed"). */
static int tls_fail(SSL *ssl, const char *what) {
  char buf[256] = "";
  unsigned long e = ERR_get_error();
  if (e)
    ERR_error_string_n(e, buf, sizeof buf);
  long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
  if (v != X509_V_OK)
    tr_log(TR_LOG_WARN, "TLS: %s: certificate verify failed: %s", what,
           X509_verify_cert_error_string(v));
  else
    tr_log(TR_LOG_WARN, "TLS: %s: %s", what, buf[0] ? buf : "failed");
  ERR_clear_error();
  return TR_ETLS;
}

int http_tls_ctx_new(http_tls_ctx_t **out) {
  http_tls_ctx_t *c = tr_calloc(1, sizeof *c);
  if (!c)
    return -ENOMEM;
  c->ctx = SSL_CTX_new(TLS_client_method());
  if (!c->ctx) {
    tr_free(c);
    return tls_fail(NULL, "SSL_CTX_new");
  }
  SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
  /* The system store; OpenSSL reads SSL_CERT_FILE / SSL_CERT_DIR here. */
  if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
    SSL_CTX_free(c->ctx);
    tr_free(c);
    return tls_fail(NULL, "loading the system CA store");
  }
  SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                               SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  *out = c;
  return 0;
}

void http_tls_ctx_free(http_tls_ctx_t *c) {
  if (!c)
    return;
  SSL_CTX_free(c->ctx);
  tr_free(c);
}

int http_tls_new(http_tls_ctx_t *c, const char *host, http_tls_t **out) {
  http_tls_t *t = tr_calloc(1, sizeof *t);
  if (!t)
    return -ENOMEM;
  t->ssl = SSL_new(c->ctx);
  t->in = BIO_new(BIO_s_mem());
  t->out = BIO_new(BIO_s_mem());
  if (!t->ssl || !t->in || !t->out) {
    BIO_free(t->in);
    BIO_free(t->out);
    SSL_free(t->ssl);
    tr_free(t);
    return -ENOMEM;
  }
  SSL_set_bio(t->ssl, t->in, t->out);
  SSL_set_connect_state(t->ssl);
  uint8_t addr[16];
  int ok;
  if (inet_pton(AF_INET, host, addr) == 1 ||
      inet_pton(AF_INET6, host, addr) == 1) {
    /* An address: checked against the certificate's IP SANs, no SNI
     * (RFC 6066 3: literal addresses are not sent). */
    ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host);
  } else {
    ok = SSL_set_tlsext_host_name(t->ssl, host) == 1 &&
         SSL_set1_host(t->ssl, host) == 1;
  }
  if (ok != 1) {
    int rc = tls_fail(NULL, "setting the peer's name");
    http_tls_free(t);
    return rc;
  }
  *out = t;
  return 0;
}

void http_tls_free(http_tls_t *t) {
  if (!t)
    return;
  SSL_free(t->ssl); /* frees both BIOs */
  tr_free(t);
}

int http_tls_recv(http_tls_t *t, const uint8_t *p, size_t n) {
  while (n) {
    int k = BIO_write(t->in, p, n > INT32_MAX ? INT32_MAX : (int)n);
    if (k <= 0)
      return -ENOMEM;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

int http_tls_handshake(http_tls_t *t) {
  int k = SSL_do_handshake(t->ssl);
  if (k == 1)
    return 0;
  int e = SSL_get_error(t->ssl, k);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
    return HTTP_TLS_AGAIN;
  return tls_fail(t->ssl, "handshake");
}

long http_tls_read(http_tls_t *t, uint8_t *out, size_t cap) {
  size_t got = 0;
  int k = SSL_read_ex(t->ssl, out, cap, &got);
  if (k == 1)
    return (long)got;
  int e = SSL_get_error(t->ssl, k);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
    return 0;
  if (e == SSL_ERROR_ZERO_RETURN) {
    t->closed = 1;
    return 0;
  }
  return tls_fail(t->ssl, "read");
}

int http_tls_closed(const http_tls_t *t) { return t->closed; }

int http_tls_write(http_tls_t *t, const uint8_t *p, size_t n) {
  while (n) {
    size_t w = 0;
    if (SSL_write_ex(t->ssl, p, n, &w) != 1)
      return tls_fail(t->ssl, "write");
    p += w;
    n -= w;
  }
  return 0;
}

int http_tls_take(http_tls_t *t, tr_bytes_t *out) {
  char *p;
  long n = BIO_get_mem_data(t->out, &p);
  if (n <= 0)
    return 0;
  if (tr_bytes_append(out, p, (size_t)n))
    return -ENOMEM;
  (void)BIO_reset(t->out);
  return 0;
}
