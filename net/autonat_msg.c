/*
 * autonat_msg.c — AutoNAT v2's messages and the server's choices, free of
 * I/O (see autonat.h): framing, encoding and decoding with protobuf-c
 * (net/proto/autonat_v2.proto), which address to dial, whether dial data
 * is due, counting it, and the rate limiter.
 */
#include "autonat.h"
#include "net_int.h"

#include <errno.h>
#include <string.h>

#include "../dag/varint.h"
#include "multiaddr.h"
#include "net/proto/autonat_v2.pb-c.h"

const char *net_reach_str(net_reach_t r) {
  return r == NET_REACH_PUBLIC    ? "Public"
         : r == NET_REACH_PRIVATE ? "Private"
                                  : "Unknown";
}

/* ------------------------------------------------------------ framing */

int64_t net_an_frame(const uint8_t *p, size_t n, size_t max,
                     const uint8_t **body, size_t *blen) {
  return dag_varint_frame(p, n, max, body, blen);
}

/* Append the packed message m, its length first. */
static int put_framed(const ProtobufCMessage *m, tr_bytes_t *out) {
  size_t len = protobuf_c_message_get_packed_size(m);
  uint8_t pre[DAG_VARINT_MAX];
  size_t pl = dag_varint_put(pre, len);
  if (tr_bytes_reserve(out, pl + len))
    return -ENOMEM;
  memcpy(out->data + out->len, pre, pl);
  protobuf_c_message_pack(m, out->data + out->len + pl);
  out->len += pl + len;
  return 0;
}

/* ----------------------------------------------------------- messages */

int net_an_decode(const uint8_t *p, size_t n, net_an_msg_t *m) {
  Netpb__Anv2__Message *pm =
      netpb__anv2__message__unpack(&net__pb_mem, n, p);
  if (!pm)
    return TR_EPROTO; /* protobuf-c does not tell a failed malloc apart */
  m->type = NET_AN_NONE;
  m->naddrs = 0;
  m->nonce = 0;
  m->status = m->addr_idx = m->dial_status = 0;
  m->num_bytes = 0;
  m->data_len = 0;
  int rc = 0;
  switch (pm->msg_case) {
  case NETPB__ANV2__MESSAGE__MSG_DIAL_REQUEST: {
    Netpb__Anv2__DialRequest *r = pm->dialrequest;
    m->type = NET_AN_DIAL_REQUEST;
    m->nonce = r->nonce;
    m->naddrs = r->n_addrs > UINT32_MAX ? UINT32_MAX : (uint32_t)r->n_addrs;
    for (size_t i = 0; i < r->n_addrs && i < NET_AN_ADDRS_MAX; i++) {
      size_t l = r->addrs[i].len;
      m->addrlen[i] = l <= NET_AN_ADDR_MAX ? (uint8_t)l : 0;
      if (l <= NET_AN_ADDR_MAX)
        memcpy(m->addrs[i], r->addrs[i].data, l);
    }
    break;
  }
  case NETPB__ANV2__MESSAGE__MSG_DIAL_RESPONSE:
    m->type = NET_AN_DIAL_RESPONSE;
    m->status = (uint32_t)pm->dialresponse->status;
    m->addr_idx = pm->dialresponse->addridx;
    m->dial_status = (uint32_t)pm->dialresponse->dialstatus;
    break;
  case NETPB__ANV2__MESSAGE__MSG_DIAL_DATA_REQUEST:
    m->type = NET_AN_DATA_REQUEST;
    m->addr_idx = pm->dialdatarequest->addridx;
    m->num_bytes = pm->dialdatarequest->numbytes;
    break;
  case NETPB__ANV2__MESSAGE__MSG_DIAL_DATA_RESPONSE:
    m->type = NET_AN_DATA_RESPONSE;
    m->data_len = pm->dialdataresponse->data.len;
    break;
  default:
    rc = TR_EPROTO;
  }
  netpb__anv2__message__free_unpacked(pm, &net__pb_mem);
  return rc;
}

int net_an_encode(const net_an_msg_t *m, tr_bytes_t *out) {
  Netpb__Anv2__Message pm = NETPB__ANV2__MESSAGE__INIT;
  Netpb__Anv2__DialRequest rq = NETPB__ANV2__DIAL_REQUEST__INIT;
  Netpb__Anv2__DialResponse rs = NETPB__ANV2__DIAL_RESPONSE__INIT;
  Netpb__Anv2__DialDataRequest dq = NETPB__ANV2__DIAL_DATA_REQUEST__INIT;
  Netpb__Anv2__DialDataResponse ds = NETPB__ANV2__DIAL_DATA_RESPONSE__INIT;
  ProtobufCBinaryData addrs[NET_AN_ADDRS_MAX];
  static const uint8_t zeros[NET_AN_DATA_CHUNK];
  switch (m->type) {
  case NET_AN_DIAL_REQUEST:
    if (m->naddrs > NET_AN_ADDRS_MAX)
      return TR_EUSAGE;
    for (uint32_t i = 0; i < m->naddrs; i++)
      addrs[i] = (ProtobufCBinaryData){m->addrlen[i], (uint8_t *)m->addrs[i]};
    rq.n_addrs = m->naddrs;
    rq.addrs = addrs;
    rq.nonce = m->nonce;
    pm.msg_case = NETPB__ANV2__MESSAGE__MSG_DIAL_REQUEST;
    pm.dialrequest = &rq;
    break;
  case NET_AN_DIAL_RESPONSE:
    rs.status = (Netpb__Anv2__DialResponse__ResponseStatus)m->status;
    rs.addridx = m->addr_idx;
    rs.dialstatus = (Netpb__Anv2__DialStatus)m->dial_status;
    pm.msg_case = NETPB__ANV2__MESSAGE__MSG_DIAL_RESPONSE;
    pm.dialresponse = &rs;
    break;
  case NET_AN_DATA_REQUEST:
    dq.addridx = m->addr_idx;
    dq.numbytes = m->num_bytes;
    pm.msg_case = NETPB__ANV2__MESSAGE__MSG_DIAL_DATA_REQUEST;
    pm.dialdatarequest = &dq;
    break;
  case NET_AN_DATA_RESPONSE:
    if (m->data_len > NET_AN_DATA_CHUNK)
      return TR_EUSAGE;
    ds.data = (ProtobufCBinaryData){m->data_len, (uint8_t *)zeros};
    pm.msg_case = NETPB__ANV2__MESSAGE__MSG_DIAL_DATA_RESPONSE;
    pm.dialdataresponse = &ds;
    break;
  default:
    return TR_EUSAGE;
  }
  return put_framed(&pm.base, out);
}

int net_an_back_encode(uint64_t nonce, tr_bytes_t *out) {
  Netpb__Anv2__DialBack b = NETPB__ANV2__DIAL_BACK__INIT;
  b.nonce = nonce;
  return put_framed(&b.base, out);
}

int net_an_back_decode(const uint8_t *p, size_t n, uint64_t *nonce) {
  Netpb__Anv2__DialBack *b =
      netpb__anv2__dial_back__unpack(&net__pb_mem, n, p);
  if (!b)
    return TR_EPROTO;
  *nonce = b->nonce;
  netpb__anv2__dial_back__free_unpacked(b, &net__pb_mem);
  return 0;
}

int net_an_back_ok_encode(tr_bytes_t *out) {
  Netpb__Anv2__DialBackResponse r = NETPB__ANV2__DIAL_BACK_RESPONSE__INIT;
  return put_framed(&r.base, out);
}

/* ---------------------------------------------------- server choices */

/* /ip4|ip6/A/tcp/P[/ws], maybe followed by /p2p/ID: what the host dials. */
static bool dialable(const uint8_t *a, size_t len) {
  net_ma_comp_t c;
  size_t off = 0, i = 0;
  bool ws = false;
  while (off < len) {
    int k = net_ma_next(a + off, len - off, &c);
    if (k < 0)
      return false;
    if (i == 2 && c.code == NET_MA_WS && !ws) {
      ws = true; /* /p2p may follow it, as the third part after ip/tcp */
      off += (size_t)k;
      continue;
    }
    if ((i == 0 && c.code != NET_MA_IP4 && c.code != NET_MA_IP6) ||
        (i == 1 && c.code != NET_MA_TCP) || (i == 2 && c.code != NET_MA_P2P) ||
        i > 2)
      return false;
    off += (size_t)k, i++;
  }
  return i >= 2;
}

int net_an_pick(const net_an_msg_t *req, bool allow_private) {
  for (uint32_t i = 0; i < req->naddrs && i < NET_AN_ADDRS_MAX; i++) {
    const uint8_t *a = req->addrs[i];
    size_t l = req->addrlen[i];
    if (l && dialable(a, l) && (allow_private || net_ma_is_public(a, l)))
      return (int)i;
  }
  return -1;
}

bool net_an_needs_data(const uint8_t *observed, size_t olen,
                       const uint8_t *addr, size_t alen) {
  uint8_t a[16], b[16];
  size_t na = net_ma_ip(observed, olen, a), nb = net_ma_ip(addr, alen, b);
  return !na || na != nb || memcmp(a, b, na);
}

int net_an_data_feed(net_an_data_t *d, const net_an_msg_t *m) {
  if (m->type != NET_AN_DATA_RESPONSE)
    return TR_EPROTO;
  d->got += m->data_len;
  if (d->got >= d->want)
    return 1;
  return m->data_len < NET_AN_DATA_MSG_MIN ? TR_EPROTO : 0;
}

/* ------------------------------------------------------- rate limiter */

void net_an_limiter_init(net_an_limiter_t *l) {
  memset(l, 0, sizeof *l);
  l->rpm = NET_AN_SERVER_RPM;
  l->peer_rpm = NET_AN_SERVER_PEER_RPM;
  l->data_rpm = NET_AN_SERVER_DATA_RPM;
  l->peer_busy = NET_AN_SERVER_PEER_BUSY;
}

/* Drop what left the window. */
static void limiter_expire(net_an_limiter_t *l, uint64_t now) {
  size_t k = 0;
  while (k < l->nreq && now - l->req[k].t >= NET_AN_LIMIT_WINDOW_MS)
    k++;
  memmove(l->req, l->req + k, (l->nreq - k) * sizeof l->req[0]);
  l->nreq -= k;
  k = 0;
  while (k < l->ndata && now - l->data[k] >= NET_AN_LIMIT_WINDOW_MS)
    k++;
  memmove(l->data, l->data + k, (l->ndata - k) * sizeof l->data[0]);
  l->ndata -= k;
}

bool net_an_limiter_accept(net_an_limiter_t *l, const net_peerid_t *p,
                           uint64_t now) {
  limiter_expire(l, now);
  uint32_t rpm = l->rpm < NET_AN_SERVER_RPM ? l->rpm : NET_AN_SERVER_RPM;
  if (l->nreq >= rpm)
    return false;
  uint32_t mine = 0;
  for (size_t i = 0; i < l->nreq; i++)
    mine += net_peerid_equal(&l->req[i].p, p);
  if (mine >= l->peer_rpm)
    return false;
  size_t b = 0;
  while (b < l->nbusy && !net_peerid_equal(&l->busy[b].p, p))
    b++;
  if (b < l->nbusy && l->busy[b].n >= l->peer_busy)
    return false;
  if (b == l->nbusy) {
    if (l->nbusy == NET_AN_SERVER_RPM)
      return false;
    l->busy[l->nbusy].p = *p;
    l->busy[l->nbusy++].n = 0;
  }
  l->busy[b].n++;
  l->req[l->nreq].t = now;
  l->req[l->nreq++].p = *p;
  return true;
}

bool net_an_limiter_accept_data(net_an_limiter_t *l, uint64_t now) {
  limiter_expire(l, now);
  uint32_t cap =
      l->data_rpm < NET_AN_SERVER_DATA_RPM ? l->data_rpm : NET_AN_SERVER_DATA_RPM;
  if (l->ndata >= cap)
    return false;
  l->data[l->ndata++] = now;
  return true;
}

void net_an_limiter_done(net_an_limiter_t *l, const net_peerid_t *p) {
  for (size_t b = 0; b < l->nbusy; b++)
    if (net_peerid_equal(&l->busy[b].p, p)) {
      if (--l->busy[b].n == 0)
        l->busy[b] = l->busy[--l->nbusy];
      return;
    }
}
