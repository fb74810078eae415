/*
 * api_client.c — the CLI's blocking HTTP/1.1 client for the daemon's RPC
 * API (api_client.h).  Just enough HTTP for one local POST: chunked
 * request bodies, Content-Length or chunked responses, the status line.
 * Writes use MSG_NOSIGNAL so a daemon that hangs up cannot kill the CLI
 * with SIGPIPE.
 */
#include "api_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

/* ------------------------------------------------------------- connect */

int cli_http_open(cli_http_t *h, const char *host, int port) {
  memset(h, 0, sizeof *h);
  h->length = -1;
  bool v6 = strchr(host, ':') != NULL;
  h->fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (h->fd < 0)
    return -errno;
  int rc;
  if (v6) {
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6,
                              .sin6_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET6, host, &sa.sin6_addr) != 1) {
      close(h->fd);
      return -EINVAL;
    }
    rc = connect(h->fd, (struct sockaddr *)&sa, sizeof sa);
  } else {
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
      close(h->fd);
      return -EINVAL;
    }
    rc = connect(h->fd, (struct sockaddr *)&sa, sizeof sa);
  }
  if (rc) {
    rc = -errno;
    close(h->fd);
    h->fd = -1;
    return rc;
  }
  return 0;
}

int cli_http_open_unix(cli_http_t *h, const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  memset(h, 0, sizeof *h);
  h->length = -1;
  h->fd = -1;
  if (strlen(path) >= sizeof sa.sun_path)
    return -ENAMETOOLONG;
  memcpy(sa.sun_path, path, strlen(path) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
    int rc = -errno;
    close(fd);
    return rc;
  }
  h->fd = fd;
  h->is_unix = true;
  return 0;
}

void cli_http_close(cli_http_t *h) {
  if (h->fd >= 0)
    close(h->fd);
  h->fd = -1;
}

/* --------------------------------------------------------------- send */

static int send_all(cli_http_t *h, const void *p, size_t n) {
  const uint8_t *b = p;
  if (h->send_failed)
    return -EPIPE;
  while (n) {
    ssize_t w = send(h->fd, b, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      h->send_failed = true;
      return -EPIPE;
    }
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

int cli_http_request(cli_http_t *h, const char *target, const char *ctype) {
  /* The target goes out on its own: a query with many arguments may be
   * long. */
  static const char rest[] = " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "User-Agent: trove-cli\r\nConnection: close\r\n";
  int rc = send_all(h, "POST ", 5);
  if (!rc)
    rc = send_all(h, target, strlen(target));
  if (!rc)
    rc = send_all(h, rest, sizeof rest - 1);
  if (!rc && h->auth[0]) {
    char a[1200];
    int n = snprintf(a, sizeof a, "Authorization: %s\r\n", h->auth);
    rc = send_all(h, a, (size_t)n);
  }
  if (!rc && ctype) {
    char head[256];
    int n = snprintf(head, sizeof head,
                     "Content-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n",
                     ctype);
    rc = n > 0 && (size_t)n < sizeof head ? send_all(h, head, (size_t)n)
                                          : -EINVAL;
  } else if (!rc) {
    static const char none[] = "Content-Length: 0\r\n\r\n";
    rc = send_all(h, none, sizeof none - 1);
  }
  return rc;
}

int cli_http_send(cli_http_t *h, const void *p, size_t n) {
  if (!n)
    return 0;
  char head[24];
  int k = snprintf(head, sizeof head, "%zx\r\n", n);
  int rc = send_all(h, head, (size_t)k);
  if (!rc)
    rc = send_all(h, p, n);
  if (!rc)
    rc = send_all(h, "\r\n", 2);
  return rc;
}

int cli_http_send_fd(cli_http_t *h, const void *p, size_t n, int fd) {
  if (!h->is_unix || !n)
    return -EINVAL;
  if (h->send_failed)
    return -EPIPE;
  char head[24];
  int k = snprintf(head, sizeof head, "%zx\r\n", n);
  struct iovec iov[3] = {{head, (size_t)k}, {(void *)p, n}, {"\r\n", 2}};
  union {
    struct cmsghdr h;
    char b[CMSG_SPACE(sizeof(int))];
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct msghdr m = {.msg_iov = iov, .msg_iovlen = 3, .msg_control = ctl.b,
                     .msg_controllen = sizeof ctl.b};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t w;
  while ((w = sendmsg(h->fd, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
    ;
  if (w < 0) {
    h->send_failed = true;
    return -EPIPE;
  }
  /* The descriptor went with the first byte; the rest as plain bytes. */
  size_t sent = (size_t)w;
  for (int i = 0; i < 3; i++) {
    size_t skip = sent < iov[i].iov_len ? sent : iov[i].iov_len;
    sent -= skip;
    int rc = send_all(h, (const char *)iov[i].iov_base + skip,
                      iov[i].iov_len - skip);
    if (rc)
      return rc;
  }
  return 0;
}

int cli_http_sendfile(cli_http_t *h, int fd, off_t *off, size_t n) {
  if (!n)
    return 0;
  if (h->send_failed)
    return -EPIPE;
  ssize_t w;
  char head[24];
  int k = snprintf(head, sizeof head, "%zx\r\n", n);
  int rc = send_all(h, head, (size_t)k);
  while (!rc && n) {
    w = sendfile(h->fd, fd, off, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && (errno == EPIPE || errno == ECONNRESET)) {
      h->send_failed = true;
      return -EPIPE;
    }
    if (w < 0)
      return -errno;
    if (w == 0)
      return TR_ETRUNC; /* the file shrank under us */
    n -= (size_t)w;
  }
  return rc ? rc : send_all(h, "\r\n", 2);
}

int cli_http_end(cli_http_t *h) { return send_all(h, "0\r\n\r\n", 5); }

/* ------------------------------------------------------------ receive */

/* Make sure buf holds unread bytes; 0 at EOF. */
static ssize_t fill(cli_http_t *h) {
  if (h->off < h->len)
    return (ssize_t)(h->len - h->off);
  h->off = h->len = 0;
  for (;;) {
    ssize_t r = recv(h->fd, h->buf, sizeof h->buf, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -errno;
    h->len = (size_t)r;
    return r;
  }
}

/* One CRLF-terminated line (without CRLF) of at most cap-1 bytes. */
static int read_line(cli_http_t *h, char *line, size_t cap) {
  size_t n = 0;
  for (;;) {
    ssize_t r = fill(h);
    if (r < 0)
      return (int)r;
    if (r == 0)
      return TR_ETRUNC;
    while (h->off < h->len) {
      char c = (char)h->buf[h->off++];
      if (c == '\n') {
        if (n && line[n - 1] == '\r')
          n--;
        line[n] = 0;
        return 0;
      }
      if (n + 1 < cap)
        line[n++] = c;
    }
  }
}

int cli_http_response(cli_http_t *h) {
  char line[1024];
  int rc;
  do { /* skip 100 Continue and friends */
    if ((rc = read_line(h, line, sizeof line)))
      return rc;
    if (strncmp(line, "HTTP/1.", 7) || strlen(line) < 12)
      return TR_EUSAGE;
    h->status = atoi(line + 9);
    h->chunked = false;
    h->length = -1;
    for (;;) {
      if ((rc = read_line(h, line, sizeof line)))
        return rc;
      if (!line[0])
        break;
      if (!strncasecmp(line, "content-length:", 15))
        h->length = strtoll(line + 15, NULL, 10);
      else if (!strncasecmp(line, "transfer-encoding:", 18) &&
               strstr(line + 18, "chunked"))
        h->chunked = true;
    }
  } while (h->status >= 100 && h->status < 200);
  h->left = h->chunked ? 0 : h->length;
  h->eof = !h->chunked && h->length == 0;
  h->head_done = true;
  return 0;
}

bool cli_http_pending(cli_http_t *h) {
  if (h->eof || h->fd < 0)
    return false;
  if (h->off < h->len)
    return true;
  struct pollfd p = {.fd = h->fd, .events = POLLIN};
  return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP));
}

ssize_t cli_http_read(cli_http_t *h, void *out, size_t cap) {
  if (h->eof)
    return 0;
  if (h->chunked && h->left == 0) {
    char line[64];
    int rc = read_line(h, line, sizeof line);
    if (rc)
      return rc;
    if (!line[0] && (rc = read_line(h, line, sizeof line))) /* CRLF */
      return rc;
    h->left = strtoll(line, NULL, 16);
    if (h->left == 0) {
      /* The trailer section, up to its empty line: Kubo's error after
       * the values it streamed comes as X-Stream-Error. */
      char tl[600];
      while (!(rc = read_line(h, tl, sizeof tl)) && tl[0])
        if (!strncasecmp(tl, "X-Stream-Error:", 15)) {
          const char *v = tl + 15;
          while (*v == ' ')
            v++;
          snprintf(h->stream_error, sizeof h->stream_error, "%.500s", v);
        }
      h->eof = true;
      return 0;
    }
  }
  ssize_t r = fill(h);
  if (r < 0)
    return r;
  if (r == 0) {
    if (!h->chunked && h->length < 0) {
      h->eof = true; /* the body ends with the connection */
      return 0;
    }
    return TR_ETRUNC;
  }
  size_t n = h->len - h->off;
  if (n > cap)
    n = cap;
  if (h->left >= 0 && (int64_t)n > h->left)
    n = (size_t)h->left;
  memcpy(out, h->buf + h->off, n);
  h->off += n;
  if (h->left >= 0) {
    h->left -= (int64_t)n;
    if (!h->chunked && h->left == 0)
      h->eof = true;
  }
  return (ssize_t)n;
}

int cli_http_line(cli_http_t *h, tr_bytes_t *line) {
  line->len = 0;
  for (;;) {
    char c;
    ssize_t r = cli_http_read(h, &c, 1);
    if (r < 0)
      return (int)r;
    if (r == 0 || c == '\n') {
      if (tr_bytes_append(line, "", 1))
        return -ENOMEM;
      line->len--;
      return r == 0 && !line->len ? 0 : 1;
    }
    if (line->len >= CLI_LINE_MAX)
      return TR_ETOOBIG;
    if (tr_bytes_append(line, &c, 1))
      return -ENOMEM;
  }
}

void cli_http_error(cli_http_t *h, char *msg, size_t n) {
  char body[4096];
  size_t len = 0;
  ssize_t r;
  while (len + 1 < sizeof body &&
         (r = cli_http_read(h, body + len, sizeof body - 1 - len)) > 0)
    len += (size_t)r;
  body[len] = 0;
  json_t *o = json_loads(body, JSON_DISABLE_EOF_CHECK, NULL);
  const char *m = json_string_value(json_object_get(o, "Message"));
  if (m)
    snprintf(msg, n, "%s", m);
  else if (len)
    snprintf(msg, n, "%.*s", (int)strcspn(body, "\r\n"), body);
  else
    snprintf(msg, n, "the daemon answered HTTP %d", h->status);
  json_decref(o);
}

