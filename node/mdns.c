/*
 * mdns.c — libp2p's mDNS discovery (see mdns.h).
 */
#include "mdns.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../dns/dns.h"
#include "../net/multiaddr.h"
#include "../net/peerid.h"

#define RECENT 32  /* peers dialled lately, remembered */
#define ADDRS_MAX 16 /* of ours in an answer */

struct node_mdns {
  uv_loop_t *loop;
  net_host_t *host;
  uv_udp_t udp;
  uv_timer_t timer;
  int handles; /* open: freed when it reaches 0 after stop */
  bool stopping;
  uint64_t next_ms;
  char name[64]; /* our instance label */
  struct sockaddr_in group;
  struct {
    net_peerid_t id;
    uint64_t at;
  } recent[RECENT];
  size_t nrecent;
  /* A link is not trusted: answers at most one a second (RFC 6762 6.2's
   * rate for a record), dials at most DIALS_MAX a DIALS_MS window, so a
   * host that floods questions or answers naming made-up peers gets
   * little out of us. */
  uint64_t answered_at, window_at;
  unsigned dials;
};

#define ANSWER_MS 1000u
#define DIALS_MS 10000u
#define DIALS_MAX 8u

static void on_closed(uv_handle_t *h) {
  node_mdns_t *m = h->data;
  if (--m->handles == 0)
    tr_free(m);
}

/* A send's buffer, freed when it is sent. */
typedef struct sendreq {
  uv_udp_send_t req;
  size_t len;
  uint8_t data[];
} sendreq_t;

static void on_sent(uv_udp_send_t *r, int status) {
  (void)status;
  tr_free(r);
}

static void send_to(node_mdns_t *m, const uint8_t *p, size_t n,
                    const struct sockaddr *to) {
  sendreq_t *s = tr_malloc(sizeof *s + n);
  if (!s)
    return;
  memcpy(s->data, p, n);
  s->len = n;
  uv_buf_t b = uv_buf_init((char *)s->data, (unsigned)n);
  if (uv_udp_send(&s->req, &m->udp, &b, 1, to, on_sent))
    tr_free(s);
}

/* Whether a multiaddr suits a link (go-libp2p's isSuitableForMDNS). */
static bool suitable(const char *s) {
  if (strncmp(s, "/ip4/", 5) && strncmp(s, "/ip6/", 5)) {
    const char *p = strchr(s + 1, '/');
    bool dns = !strncmp(s, "/dns", 4);
    if (!dns || !p)
      return false;
    const char *end = strchr(p + 1, '/');
    size_t hl = end ? (size_t)(end - (p + 1)) : strlen(p + 1);
    if (hl < 6 || strncasecmp(p + 1 + hl - 6, ".local", 6))
      return false;
  }
  static const char *const bad[] = {"ws", "wss", "p2p-circuit", "webrtc",
                                    "webrtc-direct", "webtransport"};
  for (const char *c = s; c && *c; c = strchr(c + 1, '/')) {
    size_t l = strcspn(c + 1, "/");
    for (size_t i = 0; i < TR_ARRAY_LEN(bad); i++)
      if (strlen(bad[i]) == l && !strncmp(c + 1, bad[i], l))
        return false;
  }
  return true;
}

/* Our answer, multicast or to one asker. */
static void answer(node_mdns_t *m, const struct sockaddr *to) {
  uint64_t now = uv_now(m->loop);
  if (m->answered_at && now - m->answered_at < ANSWER_MS)
    return;
  m->answered_at = now;
  char(*a)[NET_MA_STR_MAX / 16] = tr_malloc(ADDRS_MAX * sizeof *a);
  char(*t)[NET_MA_STR_MAX / 16 + 80] = tr_malloc(ADDRS_MAX * sizeof *t);
  if (!a || !t) {
    tr_free(a), tr_free(t);
    return;
  }
  char id[NET_MA_STR_MAX / 16];
  if (net_peerid_format(net_host_id(m->host), 0, id, sizeof id) < 0) {
    tr_free(a), tr_free(t);
    return;
  }
  size_t n = net_host_announce_addrs(m->host, a, ADDRS_MAX), k = 0;
  const char *txt[ADDRS_MAX];
  uint8_t ip4[4];
  bool has4 = false;
  for (size_t i = 0; i < n && i < ADDRS_MAX; i++) {
    if (!suitable(a[i]))
      continue;
    if (!has4 && !strncmp(a[i], "/ip4/", 5)) {
      char ip[64];
      snprintf(ip, sizeof ip, "%.*s", (int)strcspn(a[i] + 5, "/"), a[i] + 5);
      has4 = inet_pton(AF_INET, ip, ip4) == 1;
    }
    if ((size_t)snprintf(t[k], sizeof t[k], "dnsaddr=%s/p2p/%s", a[i], id) <
        256)
      txt[k] = t[k], k++;
  }
  uint8_t out[4096];
  int len;
  while ((len = dns_mdns_answer(m->name, txt, k, has4 ? ip4 : NULL, out,
                                sizeof out)) == TR_EBUFSIZE && k)
    k--;
  if (len > 0 && k)
    send_to(m, out, (size_t)len, to ? to : (const struct sockaddr *)&m->group);
  tr_free(a);
  tr_free(t);
}

static void on_dialled(net_host_t *h, int status, const net_peerid_t *peer,
                       void *ud) {
  (void)h, (void)peer, (void)ud;
  tr_log(TR_LOG_DEBUG, "mdns: a peer found on the link: %s",
         status ? tr_strerror(status) : "connected");
}

/* Dial a peer an answer named, unless it is us, connected, or dialled
 * lately. */
static void found(node_mdns_t *m, const net_peerid_t *id, char **addrs,
                  size_t n) {
  if (net_peerid_equal(id, net_host_id(m->host)))
    return;
  char s[NET_MA_STR_MAX / 16];
  if (net_peerid_format(id, 0, s, sizeof s) > 0)
    tr_log(TR_LOG_DEBUG, "mdns: %s answered, at %s", s, addrs[0]);
  if (net_host_connected(m->host, id))
    return;
  uint64_t now = uv_now(m->loop);
  size_t slot = m->nrecent < RECENT ? m->nrecent : 0;
  for (size_t i = 0; i < m->nrecent; i++) {
    if (net_peerid_equal(&m->recent[i].id, id)) {
      if (now - m->recent[i].at < NODE_MDNS_REDIAL_MS)
        return;
      slot = i;
      break;
    }
    if (m->recent[i].at < m->recent[slot].at)
      slot = i; /* the oldest goes when the table is full */
  }
  if (now - m->window_at >= DIALS_MS) {
    m->window_at = now;
    m->dials = 0;
  }
  if (m->dials >= DIALS_MAX)
    return;
  m->dials++;
  if (slot == m->nrecent)
    m->nrecent++;
  m->recent[slot].id = *id;
  m->recent[slot].at = now;
  if (net_host_dial_flags(m->host, id, (const char *const *)addrs, n,
                          NET_DIAL_NO_ROUTER, on_dialled, NULL, NULL))
    tr_log(TR_LOG_DEBUG, "mdns: cannot dial a peer found on the link");
}

/* The dnsaddr= strings of one answer, gathered. */
typedef struct txts {
  char s[ADDRS_MAX][NET_MA_STR_MAX / 16];
  size_t n;
} txts_t;

static void on_txt(void *ud, const char *s, size_t len) {
  txts_t *t = ud;
  if (t->n < ADDRS_MAX && len > 8 && len < sizeof t->s[0] + 8 &&
      !memcmp(s, "dnsaddr=", 8)) {
    memcpy(t->s[t->n], s + 8, len - 8);
    t->s[t->n++][len - 8] = 0;
  }
}

/* Each peer of the answer's addresses (those ending in /p2p/ID), dialled
 * with its addresses. */
static void dial_found(node_mdns_t *m, txts_t *t) {
  net_peerid_t ids[ADDRS_MAX];
  bool ok[ADDRS_MAX], done[ADDRS_MAX] = {false};
  for (size_t i = 0; i < t->n; i++) {
    uint8_t b[NET_MA_MAX];
    int len = net_ma_parse(t->s[i], strlen(t->s[i]), b, sizeof b);
    ok[i] = len > 0 && !net_ma_peer(b, (size_t)len, &ids[i], NULL);
  }
  for (size_t i = 0; i < t->n; i++) {
    if (!ok[i] || done[i])
      continue;
    char *addrs[ADDRS_MAX];
    size_t n = 0;
    for (size_t j = i; j < t->n; j++)
      if (ok[j] && net_peerid_equal(&ids[j], &ids[i])) {
        done[j] = true;
        addrs[n++] = t->s[j];
      }
    found(m, &ids[i], addrs, n);
  }
}

static void on_alloc(uv_handle_t *h, size_t want, uv_buf_t *b) {
  (void)h, (void)want;
  static char buf[9000]; /* the loop's thread only */
  *b = uv_buf_init(buf, sizeof buf);
}

static void on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *b,
                    const struct sockaddr *from, unsigned flags) {
  node_mdns_t *m = u->data;
  if (n <= 0 || !from || (flags & UV_UDP_PARTIAL) || m->stopping)
    return;
  const uint8_t *p = (const uint8_t *)b->base;
  bool unicast;
  int asks = dns_mdns_asks(p, (size_t)n, &unicast);
  if (asks == 1) {
    answer(m, unicast ? from : NULL);
    return;
  }
  if (asks != 0)
    return;
  txts_t *t = tr_malloc(sizeof *t);
  if (!t)
    return;
  t->n = 0;
  if (dns_mdns_txts(p, (size_t)n, on_txt, t) == 0 && t->n)
    dial_found(m, t);
  tr_free(t);
}

static void on_timer(uv_timer_t *tm) {
  node_mdns_t *m = tm->data;
  uint8_t q[64];
  int n = dns_mdns_query(q, sizeof q);
  if (n > 0)
    send_to(m, q, (size_t)n, (const struct sockaddr *)&m->group);
  m->next_ms = m->next_ms * 2 > NODE_MDNS_MAX_MS ? NODE_MDNS_MAX_MS
                                                 : m->next_ms * 2;
  uv_timer_start(&m->timer, on_timer, m->next_ms, 0);
}

/* Join the group on every up, multicast-capable IPv4 interface; the
 * first one carries what we send.  The count joined. */
static int join(node_mdns_t *m) {
  struct ifaddrs *ifs = NULL;
  int joined = 0;
  if (getifaddrs(&ifs))
    return 0;
  for (struct ifaddrs *a = ifs; a; a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET ||
        !(a->ifa_flags & IFF_UP) || !(a->ifa_flags & IFF_MULTICAST) ||
        (a->ifa_flags & IFF_LOOPBACK))
      continue;
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, ip,
              sizeof ip);
    if (uv_udp_set_membership(&m->udp, DNS_MDNS_GROUP, ip, UV_JOIN_GROUP))
      continue;
    if (!joined++)
      (void)uv_udp_set_multicast_interface(&m->udp, ip);
  }
  freeifaddrs(ifs);
  return joined;
}

int node_mdns_start(uv_loop_t *loop, net_host_t *host, node_mdns_t **out) {
  node_mdns_t *m = tr_calloc(1, sizeof *m);
  if (!m)
    return -ENOMEM;
  m->loop = loop;
  m->host = host;
  /* go-libp2p's: 32 to 63 random characters of [a-z0-9]. */
  static const char az[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  size_t len = 32 + randombytes_uniform(32);
  for (size_t i = 0; i < len; i++)
    m->name[i] = az[randombytes_uniform(sizeof az - 1)];
  uv_ip4_addr(DNS_MDNS_GROUP, DNS_MDNS_PORT, &m->group);
  int rc = uv_udp_init(loop, &m->udp);
  if (rc) {
    tr_free(m);
    return rc;
  }
  m->udp.data = m;
  m->handles = 1;
  struct sockaddr_in any;
  uv_ip4_addr("0.0.0.0", DNS_MDNS_PORT, &any);
  if (!(rc = uv_udp_bind(&m->udp, (const struct sockaddr *)&any,
                         UV_UDP_REUSEADDR))) {
    (void)uv_udp_set_multicast_loop(&m->udp, 1);
    (void)uv_udp_set_multicast_ttl(&m->udp, 255);
    if (!join(m))
      rc = UV_ENODEV;
  }
  if (!rc)
    rc = uv_udp_recv_start(&m->udp, on_alloc, on_recv);
  if (!rc && !(rc = uv_timer_init(loop, &m->timer))) {
    m->timer.data = m;
    m->handles++;
    m->next_ms = NODE_MDNS_FIRST_MS;
    uv_timer_start(&m->timer, on_timer, NODE_MDNS_FIRST_MS, 0);
  }
  if (rc) {
    m->stopping = true;
    uv_close((uv_handle_t *)&m->udp, on_closed);
    if (m->handles == 2)
      uv_close((uv_handle_t *)&m->timer, on_closed);
    return rc;
  }
  *out = m;
  return 0;
}

void node_mdns_stop(node_mdns_t *m) {
  if (!m || m->stopping)
    return;
  m->stopping = true;
  uv_udp_recv_stop(&m->udp);
  uv_close((uv_handle_t *)&m->udp, on_closed);
  uv_close((uv_handle_t *)&m->timer, on_closed);
}
