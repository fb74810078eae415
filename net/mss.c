/*
 * mss.c — multistream-select 1.0 state machines (see mss.h).
 *
 * Input is read one message at a time into m->in, so a message may arrive
 * in any number of pieces and nothing past the message that ends the
 * negotiation is ever consumed.  A length prefix over two bytes is refused
 * before any body is read: 1024 needs two varint bytes.
 */
#include "mss.h"

#include <string.h>

#include "../dag/cid.h"

enum { S_HEADER, S_NEGOTIATE, S_DONE, S_FAILED };

/* The first message every peer sends, as it is on the wire. */
static const uint8_t HEADER_MSG[] = "\x13" NET_MSS_PROTOCOL "\n";
#define HEADER_MSG_LEN (sizeof HEADER_MSG - 1)
_Static_assert(HEADER_MSG_LEN == 1 + sizeof NET_MSS_PROTOCOL,
               "the header's length prefix is its length");

/* ------------------------------------------------------------- encoding */

int net_mss_encode(const char *text, uint8_t *out, size_t outsize) {
  size_t n = strlen(text) + 1;
  if (n > NET_MSS_MSG_MAX)
    return TR_ETOOBIG;
  size_t h = dag_varint_size(n);
  if (h + n > outsize)
    return TR_EBUFSIZE;
  dag_varint_put(out, n);
  memcpy(out + h, text, n - 1);
  out[h + n - 1] = '\n';
  return (int)(h + n);
}

static int queue(net_mss_t *m, const char *text) {
  int n = net_mss_encode(text, m->out + m->outlen, sizeof m->out - m->outlen);
  if (n > 0)
    m->outlen += (size_t)n;
  return n < 0 ? n : 0;
}

/* The `ls` answer: one message holding a length-prefixed "name\n" per
 * protocol and a final '\n' (go-multistream's shape).  Protocols that would
 * push it over NET_MSS_MSG_MAX are left out. */
static int queue_ls(net_mss_t *m) {
  uint8_t body[NET_MSS_MSG_MAX];
  size_t n = 0;
  for (size_t i = 0; i < m->nprotos; i++) {
    uint8_t item[NET_MSS_MSG_MAX + 2];
    int k = net_mss_encode(m->protos[i], item, sizeof item);
    if (k < 0 || n + (size_t)k + 1 > sizeof body)
      break;
    memcpy(body + n, item, (size_t)k);
    n += (size_t)k;
  }
  body[n++] = '\n';
  size_t h = dag_varint_size(n);
  if (m->outlen + h + n > sizeof m->out)
    return TR_EBUFSIZE; /* cannot happen: output is taken between feeds */
  dag_varint_put(m->out + m->outlen, n);
  memcpy(m->out + m->outlen + h, body, n);
  m->outlen += h + n;
  return 0;
}

/* --------------------------------------------------------------- set-up */

static int start(net_mss_t *m, const char *const *protos, size_t n,
                 bool initiator) {
  memset(m, 0, offsetof(net_mss_t, in));
  m->inlen = m->outlen = 0;
  m->selected = -1;
  if (n > NET_MSS_PROTOS_MAX || (initiator && n == 0))
    return TR_EUSAGE;
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(protos[i]);
    if (len == 0 || len + 1 > NET_MSS_MSG_MAX || memchr(protos[i], '\n', len))
      return TR_EUSAGE;
  }
  m->protos = protos;
  m->nprotos = n;
  m->initiator = initiator;
  m->state = S_HEADER;
  int rc = queue(m, NET_MSS_PROTOCOL);
  if (rc == 0 && initiator)
    rc = queue(m, protos[0]);
  return rc;
}

int net_mss_listener(net_mss_t *m, const char *const *protos, size_t n) {
  return start(m, protos, n, false);
}

int net_mss_initiator(net_mss_t *m, const char *const *protos, size_t n) {
  return start(m, protos, n, true);
}

const uint8_t *net_mss_output(net_mss_t *m, size_t *len) {
  *len = m->outlen;
  m->outlen = 0;
  return m->out;
}

const char *net_mss_selected(const net_mss_t *m) {
  return m->selected >= 0 ? m->protos[m->selected] : NULL;
}

/* -------------------------------------------------------------- reading */

/* Move bytes of in[0..len) into m->in until one message is whole.  Returns
 * 1 with the text (without its newline) in *msg and *mlen, 0 when more is
 * needed, or an error.  *used counts the bytes taken. */
static int read_msg(net_mss_t *m, const uint8_t *in, size_t len, size_t *used,
                    const char **msg, size_t *mlen) {
  *used = 0;
  for (;;) {
    uint64_t n;
    int h = dag_varint_get(m->in, m->inlen, &n);
    if (h == TR_ETRUNC && m->inlen >= 2)
      return TR_ETOOBIG; /* a third length byte: over 16383 */
    if (h < 0 && h != TR_ETRUNC)
      return TR_EPROTO;
    if (h > 0 && n > NET_MSS_MSG_MAX)
      return TR_ETOOBIG;
    if (h > 0 && m->inlen == (size_t)h + n) {
      if (n == 0 || m->in[m->inlen - 1] != '\n')
        return TR_EPROTO;
      *msg = (const char *)m->in + h;
      *mlen = (size_t)n - 1;
      m->inlen = 0; /* the view stays readable until the next read */
      return 1;
    }
    if (*used == len)
      return 0;
    /* Take the next byte while reading the prefix, then the whole body. */
    size_t want = h > 0 ? (size_t)h + n - m->inlen : 1;
    if (want > len - *used)
      want = len - *used;
    memcpy(m->in + m->inlen, in + *used, want);
    m->inlen += want;
    *used += want;
    /* The first message can only be the header: a peer whose bytes stray
     * from it (garbage, another protocol, a private network's other key)
     * is refused at the first byte that differs, not after waiting for
     * the length it seems to claim. */
    if (m->state == S_HEADER &&
        memcmp(m->in, HEADER_MSG,
               m->inlen < HEADER_MSG_LEN ? m->inlen : HEADER_MSG_LEN))
      return TR_EPROTO;
  }
}

static bool is(const char *msg, size_t n, const char *text) {
  return strlen(text) == n && !memcmp(msg, text, n);
}

/* One whole message arrived in state S_NEGOTIATE. */
static int on_listener_msg(net_mss_t *m, const char *msg, size_t n) {
  if (++m->tries > NET_MSS_TRIES_MAX)
    return TR_EPROTO;
  if (is(msg, n, "ls"))
    return queue_ls(m);
  for (size_t i = 0; i < m->nprotos; i++)
    if (is(msg, n, m->protos[i])) {
      m->selected = (int)i;
      m->state = S_DONE;
      return queue(m, m->protos[i]);
    }
  return queue(m, "na");
}

static int on_initiator_msg(net_mss_t *m, const char *msg, size_t n) {
  if (is(msg, n, m->protos[m->next])) {
    m->selected = m->next;
    m->state = S_DONE;
    return 0;
  }
  if (!is(msg, n, "na"))
    return TR_EPROTO;
  if ((size_t)m->next + 1 >= m->nprotos)
    return TR_ENOPROTO;
  m->next++;
  return queue(m, m->protos[m->next]);
}

int net_mss_feed(net_mss_t *m, const uint8_t *in, size_t len,
                 size_t *consumed) {
  *consumed = 0;
  if (m->state == S_DONE || m->state == S_FAILED)
    return TR_EUSAGE;
  while (m->state != S_DONE) {
    size_t used;
    const char *msg;
    size_t n;
    int rc = read_msg(m, in + *consumed, len - *consumed, &used, &msg, &n);
    *consumed += used;
    if (rc == 1 && m->state == S_HEADER) {
      rc = is(msg, n, NET_MSS_PROTOCOL) ? 0 : TR_EPROTO;
      m->state = S_NEGOTIATE;
    } else if (rc == 1) {
      rc = m->initiator ? on_initiator_msg(m, msg, n)
                        : on_listener_msg(m, msg, n);
    } else if (rc == 0) {
      return NET_MSS_AGAIN;
    }
    if (rc < 0) {
      m->state = S_FAILED;
      return rc;
    }
  }
  return NET_MSS_DONE;
}
