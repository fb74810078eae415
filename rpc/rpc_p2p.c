/*
 * rpc_p2p.c — Kubo's `ipfs p2p` commands (core/commands/p2p.go, v0.43.1)
 * over the daemon's mount table (rpc_p2p.h, node/p2pmount.h):
 *
 *   p2p/listen arg=PROTO arg=TARGET        [allow-custom-protocol,
 *                                           report-peer-id]  (no body)
 *   p2p/forward arg=PROTO arg=LISTEN arg=/p2p/ID  [allow-custom-protocol]
 *   p2p/ls                 {"Listeners":[{"Protocol","ListenAddress",
 *                           "TargetAddress"}]} (null when none)
 *   p2p/close              [all, protocol, listen-address,
 *                           target-address]  the count closed
 *   p2p/stream/ls          {"Streams":[{"HandlerID","Protocol",
 *                           "OriginAddress","TargetAddress"}]}
 *   p2p/stream/close [arg=ID]  [all]       (no body)
 *
 * Every command first asks, as Kubo's p2pGetNode, whether the repo's
 * config has Experimental.Libp2pStreamMounting (read each time, so that
 * `config` on a running daemon turns it on, as in Kubo), then whether the
 * node is online.  Errors are Kubo's texts.  listen and forward with
 * foreground=true (Kubo's -f) hold the request open: {"Status":"active",
 * "Protocol","Address"} first, {"Status":"closing",...} when `p2p close`
 * (or the daemon's stop) removes the listener; a client that goes away
 * removes it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../config/config.h"
#include "../net/multiaddr.h"
#include "../net/peerid.h"
#include "rpc_int.h"
#include "rpc_p2p.h"

#define PREFIX "/x/"
#define ERR_MAX 512

/* The mount table, or NULL when answered (Kubo's p2pGetNode). */
static const rpc_p2p_t *node(http_req_t *req, rpc_ctx_t *ctx) {
  json_t *cfg = NULL;
  bool on = ctx->repo && !config_load(ctx->repo, &cfg) &&
            json_is_true(config_get(cfg, "Experimental.Libp2pStreamMounting"));
  json_decref(cfg);
  if (!on) {
    rpc_error(req, 500, "libp2p stream mounting not enabled");
    return NULL;
  }
  if (!ctx->host || !ctx->p2p) {
    rpc_error(req, 500, "this command must be run in online mode. Try "
                        "running 'ipfs daemon' first");
    return NULL;
  }
  return ctx->p2p;
}

/* The positional arguments, named in Kubo's "is required" answer; NULL
 * when answered. */
static char **args_n(http_req_t *req, const char *const *names, size_t want,
                     size_t *n) {
  char **args = NULL;
  if (rpc_args(req, "arg", &args, n)) {
    rpc_error(req, 400, "malformed argument");
    return NULL;
  }
  if (*n < want) {
    rpc_strv_free(args, *n);
    rpc_error(req, 400, "argument \"%s\" is required", names[*n]);
    return NULL;
  }
  return args;
}

static bool opt_bool(http_req_t *req, const char *k, bool *out) {
  if (rpc_opt_bool(req, k, false, out)) {
    rpc_error(req, 400, "invalid value for option %s", k);
    return false;
  }
  return true;
}

/* A 200 with no body, as Kubo's listen, forward and stream close. */
static void empty(http_req_t *req) {
  rpc_start(req, RPC_CHUNKED, NULL, -1, -1);
  http_res_end(req);
}

static void one(http_req_t *req, json_t *o) {
  if (!o) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  /* close answers a bare number: JSON_ENCODE_ANY. */
  char *t = rpc_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                  JSON_ENCODE_ANY);
  json_decref(o);
  if (!t) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  rpc_start(req, RPC_SINGLE, NULL, -1, -1);
  http_res_write(req, t, strlen(t));
  http_res_write(req, "\n", 1);
  http_res_end(req);
  free(t);
}

static bool custom_ok(http_req_t *req, const char *proto, bool allow) {
  if (allow || !strncmp(proto, PREFIX, strlen(PREFIX)))
    return true;
  rpc_error(req, 500, "protocol name must be within '" PREFIX "' namespace");
  return false;
}

/* A multiaddr's text, normalised (go-multiaddr's String()); false when
 * answered. */
static bool ma_norm(http_req_t *req, const char *s, char *out, size_t n) {
  uint8_t b[NET_MA_MAX];
  int len = net_ma_parse(s, strlen(s), b, sizeof b);
  if (len < 0 || net_ma_format(b, (size_t)len, out, n) < 0) {
    rpc_error(req, 500, "failed to parse multiaddr \"%s\": %s", s,
              s[0] == '/' ? tr_strerror(len < 0 ? len : TR_EMULTIADDR)
                          : "must begin with /");
    return false;
  }
  return true;
}

/* Kubo's checkPort: the address has a tcp (else udp) port, not 0. */
static bool check_port(http_req_t *req, const char *s) {
  uint8_t b[NET_MA_MAX];
  int len = net_ma_parse(s, strlen(s), b, sizeof b), k;
  int port[2] = {-1, -1}; /* tcp, udp */
  net_ma_comp_t c;
  for (size_t off = 0; len > 0 && off < (size_t)len; off += (size_t)k) {
    if ((k = net_ma_next(b + off, (size_t)len - off, &c)) < 0)
      break;
    int i = c.code == NET_MA_TCP ? 0 : c.code == NET_MA_UDP ? 1 : -1;
    if (i >= 0 && port[i] < 0 && c.vlen == 2)
      port[i] = c.value[0] << 8 | c.value[1];
  }
  int pt = port[0] >= 0 ? port[0] : port[1];
  if (pt < 0)
    rpc_error(req, 500, "address does not contain tcp or udp protocol");
  else if (pt == 0)
    rpc_error(req, 500, "port can not be 0");
  return pt > 0;
}

/* ------------------------------------------------------- --foreground */

/* Kubo's --foreground: the request stays open with {"Status":"active"}
 * until the listener is closed ({"Status":"closing"}, the end) or the
 * client goes away (the listener is closed, silently). */
typedef struct fg {
  http_req_t *req;
  const rpc_p2p_t *p;
  void *lh;
  char *proto, *addr;
} fg_t;

static void fg_line(fg_t *f, const char *status) {
  rpc_write_line(f->req, json_pack("{s:s,s:s,s:s}", "Status", status,
                                   "Protocol", f->proto, "Address",
                                   f->addr));
}

static void fg_free(fg_t *f) {
  tr_free(f->proto);
  tr_free(f->addr);
  tr_free(f);
}

static void fg_closed(void *ctx) {
  fg_t *f = ctx;
  f->lh = NULL;
  http_req_on_close(f->req, NULL, NULL);
  fg_line(f, "closing");
  http_res_end(f->req);
  fg_free(f);
}

static void fg_gone(http_req_t *req, void *ud) {
  fg_t *f = ud;
  tr_log(TR_LOG_DEBUG, "p2p: the foreground request for %s went away",
         f->proto);
  if (f->lh)
    f->p->close_quiet(f->p->ud, f->lh);
  http_res_end(req);
  fg_free(f);
}

static void foreground(http_req_t *req, const rpc_p2p_t *p, void *lh,
                       const char *proto, const char *addr) {
  fg_t *f = tr_calloc(1, sizeof *f);
  if (!f || !(f->proto = tr_strdup(proto)) || !(f->addr = tr_strdup(addr))) {
    if (f)
      fg_free(f);
    p->close_quiet(p->ud, lh);
    rpc_error(req, 500, "out of memory");
    return;
  }
  f->req = req;
  f->p = p;
  f->lh = lh;
  p->watch(p->ud, lh, fg_closed, f);
  http_req_on_close(req, fg_gone, f);
  rpc_start(req, RPC_CHUNKED, NULL, -1, -1);
  fg_line(f, "active");
  http_res_flush(req); /* the line now, not with the end */
}

/* ------------------------------------------------------------ listen */

void rpc_cmd_p2p_listen(http_req_t *req, rpc_ctx_t *ctx) {
  static const char *const names[] = {"protocol", "target-address"};
  size_t n;
  char **a = args_n(req, names, 2, &n);
  if (!a)
    return;
  bool allow, report, fore;
  const rpc_p2p_t *p = NULL;
  char err[ERR_MAX] = "", norm[NET_MA_STR_MAX / 16];
  void *lh;
  if (opt_bool(req, "allow-custom-protocol", &allow) &&
      opt_bool(req, "report-peer-id", &report) &&
      opt_bool(req, "foreground", &fore) && (p = node(req, ctx)) &&
      ma_norm(req, a[1], norm, sizeof norm) && check_port(req, a[1]) &&
      custom_ok(req, a[0], allow)) {
    if (p->listen(p->ud, a[0], a[1], report, &lh, err, sizeof err))
      rpc_error(req, 500, "%s", err);
    else if (fore)
      foreground(req, p, lh, a[0], a[1]);
    else
      empty(req);
  }
  rpc_strv_free(a, n);
}

/* ----------------------------------------------------------- forward */

void rpc_cmd_p2p_forward(http_req_t *req, rpc_ctx_t *ctx) {
  static const char *const names[] = {"protocol", "listen-address",
                                      "target-address"};
  size_t n;
  char **a = args_n(req, names, 3, &n);
  if (!a)
    return;
  bool allow, fore;
  void *lh;
  const rpc_p2p_t *p = NULL;
  char err[ERR_MAX] = "", norm[NET_MA_STR_MAX / 16];
  char tpt[NET_MA_STR_MAX / 16] = "";
  net_peerid_t peer;
  if (opt_bool(req, "allow-custom-protocol", &allow) &&
      opt_bool(req, "foreground", &fore) && (p = node(req, ctx)) &&
      ma_norm(req, a[1], norm, sizeof norm) &&
      ma_norm(req, a[2], norm, sizeof norm)) {
    /* go-libp2p's AddrInfoFromP2pAddr: .../p2p/ID, the transport part
     * before it dialled first.  (Kubo also resolves /dnsaddr names
     * here; trove takes /p2p addresses only.) */
    uint8_t b[NET_MA_MAX];
    size_t tl = 0;
    int len = net_ma_parse(a[2], strlen(a[2]), b, sizeof b);
    if (len < 0 || net_ma_peer(b, (size_t)len, &peer, &tl) ||
        (tl && net_ma_format(b, tl, tpt, sizeof tpt) < 0))
      rpc_error(req, 500, "invalid p2p multiaddr \"%s\"", a[2]);
    else if (custom_ok(req, a[0], allow)) {
      const char *addrs[1] = {tpt};
      if (p->forward(p->ud, a[0], a[1], &peer, addrs, tpt[0] ? 1 : 0, &lh,
                     err, sizeof err))
        rpc_error(req, 500, "%s", err);
      else if (fore)
        foreground(req, p, lh, a[0], a[1]);
      else
        empty(req);
    }
  }
  rpc_strv_free(a, n);
}

/* ---------------------------------------------------------------- ls */

static void ls_one(void *ud, const rpc_p2p_listener_t *l) {
  json_t *arr = ud;
  json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "Protocol", l->proto,
                                       "ListenAddress", l->listen,
                                       "TargetAddress", l->target));
}

void rpc_cmd_p2p_ls(http_req_t *req, rpc_ctx_t *ctx) {
  const rpc_p2p_t *p = node(req, ctx);
  if (!p)
    return;
  json_t *arr = json_array();
  if (arr)
    p->listeners(p->ud, ls_one, arr);
  arr = rpc_json_nil_if_empty(arr);
  one(req, arr ? json_pack("{s:o}", "Listeners", arr) : NULL);
}

/* ------------------------------------------------------------- close */

typedef struct match {
  bool all, p, l, t;
  char *proto;
  char listen[NET_MA_STR_MAX / 16], target[NET_MA_STR_MAX / 16];
} match_t;

static bool matches(void *ud, const rpc_p2p_listener_t *l) {
  match_t *m = ud;
  if (m->all)
    return true;
  return (!m->p || !strcmp(m->proto, l->proto)) &&
         (!m->l || !strcmp(m->listen, l->listen)) &&
         (!m->t || !strcmp(m->target, l->target));
}

void rpc_cmd_p2p_close(http_req_t *req, rpc_ctx_t *ctx) {
  match_t m = {0};
  char *la = NULL, *ta = NULL;
  const rpc_p2p_t *p = NULL;
  if (!opt_bool(req, "all", &m.all))
    return;
  if (rpc_opt_str(req, "protocol", &m.proto) ||
      rpc_opt_str(req, "listen-address", &la) ||
      rpc_opt_str(req, "target-address", &ta))
    rpc_error(req, 400, "malformed option");
  else if ((p = node(req, ctx)) &&
           (!la || ma_norm(req, la, m.listen, sizeof m.listen)) &&
           (!ta || ma_norm(req, ta, m.target, sizeof m.target))) {
    m.p = m.proto != NULL, m.l = la != NULL, m.t = ta != NULL;
    if (!(m.all || m.p || m.l || m.t))
      rpc_error(req, 500, "no matching options given");
    else if (m.all && (m.p || m.l || m.t))
      rpc_error(req, 500, "can't combine --all with other matching options");
    else
      one(req, json_integer((json_int_t)p->close(p->ud, matches, &m)));
  }
  tr_free(m.proto);
  tr_free(la);
  tr_free(ta);
}

/* ------------------------------------------------------------ streams */

static void st_one(void *ud, const rpc_p2p_stream_t *s) {
  json_t *arr = ud;
  char id[24];
  snprintf(id, sizeof id, "%" PRIu64, s->id);
  json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s}", "HandlerID", id,
                                       "Protocol", s->proto, "OriginAddress",
                                       s->origin, "TargetAddress",
                                       s->target));
}

void rpc_cmd_p2p_stream_ls(http_req_t *req, rpc_ctx_t *ctx) {
  const rpc_p2p_t *p = node(req, ctx);
  if (!p)
    return;
  json_t *arr = json_array();
  if (arr)
    p->streams(p->ud, st_one, arr);
  arr = rpc_json_nil_if_empty(arr);
  one(req, arr ? json_pack("{s:o}", "Streams", arr) : NULL);
}

/* Go's strconv.ParseUint(s, 10, 64) and its error text. */
static bool parse_u64(http_req_t *req, const char *s, uint64_t *out) {
  uint64_t v = 0;
  bool range = false;
  size_t i = 0;
  for (; s[i] >= '0' && s[i] <= '9'; i++) {
    if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
      range = true;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (!s[0] || s[i]) {
    rpc_error(req, 500, "strconv.ParseUint: parsing \"%s\": invalid syntax",
              s);
    return false;
  }
  if (range) {
    rpc_error(req, 500, "strconv.ParseUint: parsing \"%s\": value out of "
              "range", s);
    return false;
  }
  *out = v;
  return true;
}

void rpc_cmd_p2p_stream_close(http_req_t *req, rpc_ctx_t *ctx) {
  char **a = NULL;
  size_t n = 0;
  bool all;
  uint64_t id = 0;
  const rpc_p2p_t *p = NULL;
  if (!opt_bool(req, "all", &all))
    return;
  if (rpc_args(req, "arg", &a, &n))
    rpc_error(req, 400, "malformed argument");
  else if ((p = node(req, ctx))) {
    if (!all && !n)
      rpc_error(req, 500, "no id specified");
    else if (all || parse_u64(req, a[0], &id)) {
      p->stream_close(p->ud, all, id);
      empty(req);
    }
  }
  rpc_strv_free(a, n);
}
