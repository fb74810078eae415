/*
 * api_client.h — a small blocking HTTP/1.1 client for the CLI's side of
 * the daemon's RPC API (cmd_remote.c): one POST per connection, a request
 * body sent with chunked transfer encoding as it is produced (uploads of
 * any size, never held whole), the response body read back de-chunked
 * piece by piece, and Kubo's error JSON turned into a message.
 *
 * Loopback only (the daemon's API address from <repo>/api); no TLS, no
 * redirects, no keep-alive.  Errors are -errno or TR_E* codes.
 */
#ifndef CLI_API_CLIENT_H
#define CLI_API_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/tr.h"
#include "../http/http.h"

typedef struct cli_http {
  int fd;
  int status;          /* response status, after cli_http_response() */
  bool chunked;        /* response framing */
  int64_t length;      /* Content-Length, -1 if none */
  int64_t left;        /* bytes left in the body or the current chunk */
  bool eof;            /* the body has been read */
  bool send_failed;    /* the server stopped reading the request */
  bool head_done;      /* cli_http_response() has read the head */
  bool is_unix;        /* connected to a Unix socket */
  char auth[1100];     /* an Authorization header's value to send, or "" */
  char stream_error[512]; /* a chunked body's X-Stream-Error trailer (Kubo's
                             error after streamed values), "" if none */
  uint8_t buf[65536];  /* read buffer */
  size_t off, len;
} cli_http_t;

/* Connect to host:port (numeric).  -errno. */
int cli_http_open(cli_http_t *h, const char *host, int port) TR_WUR;
/* Connect to the Unix socket at path.  -errno (-ENAMETOOLONG, and
 * -ECONNREFUSED or -ENOENT where no daemon listens). */
int cli_http_open_unix(cli_http_t *h, const char *path) TR_WUR;
void cli_http_close(cli_http_t *h);

/* Send "POST target HTTP/1.1" and the headers; with a body (ctype not
 * NULL) it is chunked, sent with cli_http_send() and ended with
 * cli_http_end().  -errno. */
int cli_http_request(cli_http_t *h, const char *target, const char *ctype) TR_WUR;
/* One piece of the body.  A server that has answered early and stopped
 * reading makes it return -EPIPE once (send_failed is set): go on to
 * cli_http_response() and report the server's answer. */
int cli_http_send(cli_http_t *h, const void *p, size_t n) TR_WUR;
/* One piece of the body of n bytes straight from fd at *off (sendfile: from
 * the page cache to the socket, never copied through this process), *off
 * advanced by what went.  fd must be a regular file holding n bytes there.
 * 0, -EPIPE as cli_http_send, TR_ETRUNC when the file ended early, or
 * sendfile's -errno (the body is then broken: give up). */
int cli_http_sendfile(cli_http_t *h, int fd, off_t *off, size_t n) TR_WUR;
/* One piece of the body, p[0..n) (n > 0), sent with the descriptor fd
 * passed to the server (SCM_RIGHTS, attached to the piece's first byte):
 * over a Unix socket only (-EINVAL on TCP).  -EPIPE as cli_http_send. */
int cli_http_send_fd(cli_http_t *h, const void *p, size_t n, int fd) TR_WUR;
int cli_http_end(cli_http_t *h) TR_WUR;

/* Read the status line and headers.  -errno, TR_ETRUNC (connection closed
 * early), TR_EUSAGE (not HTTP). */
int cli_http_response(cli_http_t *h) TR_WUR;
/* Whether bytes of the answer have arrived and wait to be read (without
 * blocking): how an upload reads the progress the server streams back
 * while the body is still going out. */
bool cli_http_pending(cli_http_t *h);
/* Up to cap bytes of the body; 0 at its end.  -errno, TR_ETRUNC (the
 * connection ended inside the body: the answer was cut). */
ssize_t cli_http_read(cli_http_t *h, void *out, size_t cap) TR_WUR;
/* The next line of an NDJSON body (without its newline) into line (its
 * bytes replaced, grown as needed, NUL-terminated past len): 1, 0 at the
 * end, or an error (TR_ETOOBIG past CLI_LINE_MAX: one JSON value as big
 * as pin add's answer for millions of CIDs is still well below). */
#define CLI_LINE_MAX (1u << 30)
int cli_http_line(cli_http_t *h, tr_bytes_t *line) TR_WUR;

/* Read the rest of the body and, if it is Kubo's error JSON, copy its
 * Message into msg (else the body's first line, or the status). */
void cli_http_error(cli_http_t *h, char *msg, size_t n);

#endif /* CLI_API_CLIENT_H */
