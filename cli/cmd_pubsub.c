/*
 * cmd_pubsub.c — `trove pubsub pub|sub|ls|peers` through the daemon's API
 * (rpc/rpc_pubsub.c), printing what Kubo's CLI prints: topics go in the
 * URL as base64url multibase (Kubo's urlArgsEncoder), sub writes each
 * message's data as it comes (its bytes alone, no newline), ls the topics
 * decoded and peers the peer IDs, one a line, escaped as Kubo's
 * cmdenv.EscNonPrint escapes them.  There is no pubsub without a daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../dag/multibase.h"
#include "../pubsub/pubsub.h"
#include "remote_int.h"

/* Add topic t as the query's arg, base64url multibase.  0 or 1. */
static int q_topic(remote_t *r, const char *t) {
  size_t n = strlen(t), cap = n / 3 * 4 + 8;
  char *s = tr_malloc(cap);
  int rc = s && dag_mb_encode('u', (const uint8_t *)t, n, s, cap) >= 0
               ? cli__qadd(r, "arg", s)
               : cli_failf("pubsub: out of memory");
  tr_free(s);
  return rc;
}

/* Go's strconv.Quote without its quotes and with '"' left alone: what
 * cmdenv.EscNonPrint prints for a string that has a backslash or a
 * character that is not printable.  Valid UTF-8 above ASCII is taken as
 * printable but for the C1 controls. */
static void print_esc(const uint8_t *s, size_t n) {
  bool need = false;
  for (size_t i = 0; i < n && !need; i++)
    need = s[i] == '\\' || s[i] < 0x20 || s[i] == 0x7f ||
           (s[i] == 0xc2 && i + 1 < n && s[i + 1] < 0xa0);
  /* a byte that is not valid UTF-8 needs it too */
  for (size_t i = 0; i < n && !need;) {
    unsigned c = s[i], len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2
                          : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5
                          ? 4 : 0;
    if (!len || i + len > n)
      need = true;
    for (unsigned k = 1; !need && k < len; k++)
      need = (s[i + k] & 0xc0) != 0x80;
    i += len ? len : 1;
  }
  if (!need) {
    fwrite(s, 1, n, stdout);
    fputc('\n', stdout);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned c = s[i];
    static const char esc[] = "\a\b\f\n\r\t\v", let[] = "abfnrtv";
    const char *e = c ? strchr(esc, (int)c) : NULL;
    if (c == '\\')
      fputs("\\\\", stdout);
    else if (e)
      printf("\\%c", let[e - esc]);
    else if (c < 0x20 || c == 0x7f)
      printf("\\x%02x", c);
    else if (c == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] < 0xa0)
      printf("\\u%04x", s[++i]);
    else if (c < 0x80)
      fputc((int)c, stdout);
    else {
      unsigned len = c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3
                     : c >= 0xf0 && c < 0xf5 ? 4 : 0;
      bool ok = len && i + len <= n;
      for (unsigned k = 1; ok && k < len; k++)
        ok = (s[i + k] & 0xc0) == 0x80;
      if (!ok) {
        printf("\\x%02x", c);
        continue;
      }
      fwrite(s + i, 1, len, stdout);
      i += len - 1;
    }
  }
  fputc('\n', stdout);
}

/* The multibase string s decoded into *out (tr_malloc'd).  0 or -1. */
static int mb_decode(const char *s, uint8_t **out, size_t *n) {
  size_t l = strlen(s);
  *out = tr_malloc(l + 1);
  if (!*out || dag_mb_decode(s, l, *out, l + 1, n, NULL)) {
    tr_free(*out);
    *out = NULL;
    return -1;
  }
  return 0;
}

int cli__remote_pubsub_pub(remote_t *r, int argc, char **argv) {
  if (argc != 2 && argc != 3)
    return cli_failf("pubsub pub: usage: trove pubsub pub TOPIC [FILE]");
  const char *file = argc == 3 ? argv[2] : "-";
  int fd = strcmp(file, "-") ? open(file, O_RDONLY | O_CLOEXEC) : 0;
  if (fd < 0)
    return cli_failf("pubsub pub: %s: %s", file, strerror(errno));
  tr_bytes_t d = {0};
  int e = tr_bytes_reserve(&d, 4096);
  while (!e && d.len <= PS_FRAME_MAX) {
    if (d.cap - d.len < 4096 && (e = tr_bytes_reserve(&d, d.cap)))
      break;
    ssize_t n = read(fd, d.data + d.len, d.cap - d.len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      e = n < 0 ? -errno : 0;
      break;
    }
    d.len += (size_t)n;
  }
  if (fd)
    close(fd);
  if (e || d.len > PS_FRAME_MAX) {
    tr_bytes_free(&d);
    return e ? cli_failf("pubsub pub: %s: %s", file, strerror(-e))
             : cli_failf("pubsub pub: %s: message too large", file);
  }
  int rc = q_topic(r, argv[1]) ||
           cli__send_file(r, "pubsub/pub", "data", d.data, d.len);
  tr_bytes_free(&d);
  json_t *o;
  while (!rc && (rc = cli__next_value(r, &o)) > 0)
    json_decref(o);
  return rc < 0;
}

int cli__remote_pubsub_sub(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("pubsub sub: usage: trove pubsub sub TOPIC");
  if (q_topic(r, argv[1]) || cli__call(r, "pubsub/sub"))
    return 1;
  json_t *o;
  int rc;
  while ((rc = cli__next_value(r, &o)) > 0) {
    uint8_t *data;
    size_t n;
    if (mb_decode(cli__jstr(o, "data"), &data, &n)) {
      json_decref(o);
      return cli_failf("pubsub sub: a message's data is not multibase");
    }
    fwrite(data, 1, n, stdout);
    fflush(stdout);
    tr_free(data);
    json_decref(o);
  }
  return rc < 0;
}

/* One {"Strings": [...]} answer, each string printed (decoded first when
 * decode is set). */
static int print_list(remote_t *r, const char *cmd, bool decode) {
  json_t *o, *s;
  size_t i;
  if (cli__call(r, cmd) || cli__next_value(r, &o) <= 0)
    return 1;
  json_array_foreach(json_object_get(o, "Strings"), i, s) {
    const char *v = json_string_value(s) ? json_string_value(s) : "";
    uint8_t *d = NULL;
    size_t n = strlen(v);
    if (decode && mb_decode(v, &d, &n)) {
      json_decref(o);
      return cli_failf("%s: a topic is not multibase", cmd);
    }
    print_esc(d ? d : (const uint8_t *)v, n);
    tr_free(d);
  }
  json_decref(o);
  return 0;
}

int cli__remote_pubsub_ls(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("pubsub ls: takes no arguments");
  return print_list(r, "pubsub/ls", true);
}

/* Kubo's text for reset's {"deleted": N}. */
int cli__remote_pubsub_reset(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("pubsub reset: takes no arguments");
  const char *peer = rpc_vals_str(r->v, "peer");
  json_t *o;
  if (cli__qopts(r, r->v) || !(o = cli__ask(r, "pubsub/reset")))
    return 1;
  json_int_t n = json_integer_value(json_object_get(o, "deleted"));
  json_decref(o);
  if (peer && *peer && !n)
    printf("No validator state found for peer %s\n", peer);
  else if (peer && *peer)
    printf("Reset validator state for peer %s\n", peer);
  else
    printf("Reset validator state for %lld peer(s)\n", (long long)n);
  return 0;
}

int cli__remote_pubsub_peers(remote_t *r, int argc, char **argv) {
  if (argc > 2)
    return cli_failf("pubsub peers: usage: trove pubsub peers [TOPIC]");
  if (argc == 2 && q_topic(r, argv[1]))
    return 1;
  return print_list(r, "pubsub/peers", false);
}
