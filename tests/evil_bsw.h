/*
 * evil_bsw.h — the bitswap scenarios of tests/evil_peer.c (included by it
 * alone): a peer that gets through the upgrade, opens a
 * /ipfs/bitswap/1.2.0 stream to the daemon (which makes it a bitswap peer
 * at once: it refuses identify, so the daemon knows no more of it),
 * accepts the daemon's bitswap stream, decodes the wants it is sent
 * (bitswap/msg.h) and answers them as the scenario says:
 *
 *   bsw-corrupt  HAVE to every want-have; to every want-block, a block
 *                with the wanted CID's prefix and data that do not hash
 *                to it, and the same lies again every 200 ms for every
 *                CID it was asked for (a liar that insists; trove cuts
 *                it off at its first lie in any case)
 *   bsw-unasked  HAVE to every want-have; and every 100 ms four blocks
 *                nobody asked for (well-formed, random content)
 *   bsw-big      a message whose length prefix is over BSW_MSG_MAX, once
 *                it has been sent a want
 *   bsw-stall    HAVE to everything, and never a block
 *   bsw-halves   once sent a want, six more bitswap streams, each a
 *                message announced at BSW_MSG_MAX of which 3 MiB come and
 *                never the rest: 18 MiB that the daemon must not hold
 *                (BSW_SWARM_PEER_IN_MAX, 8 MiB, over a peer's streams).
 *                Passes when, all sent, the daemon has reset all but two
 *                of them at most and kept the connection.
 *
 * The first three must be cut (the daemon bans the peer and closes the
 * connection) within -t seconds; bsw-stall passes when it is still
 * connected at the end (the daemon must finish its fetch from others, not
 * cut a peer that is merely slow).  Prints "ready PEERID" once its
 * bitswap stream is open, and a summary (wants seen, blocks sent) at the
 * end.  One evil_t per process: the state is this file's.
 */
#include "../bitswap/msg.h"
#include "../common/tr.h"
#include "../dag/multihash.h"
#include "../dag/varint.h"

enum { BSW_CORRUPT, BSW_UNASKED, BSW_BIG, BSW_STALL, BSW_HALVES };

/* bsw-halves: streams of its own, each a message announced at
 * BSW_MSG_MAX of which HALF_BYTES come, never the rest. */
#define HALVES 6
#define HALF_BYTES (3u << 20)

typedef struct bstream {
  net_mss_t mss;
  bool negotiated;
  tr_bytes_t in; /* bitswap bytes not yet framed */
} bstream_t;

static struct {
  int mode;
  uint32_t out_id; /* our stream to the daemon */
  tr_bytes_t pend; /* bytes for it not yet taken by yamux */
  uint64_t wants, haves_sent, blocks_sent, msgs;
  dag_cid_t asked[64]; /* want-blocks seen (bsw-corrupt repeats them) */
  size_t nasked;
  bool big_sent;
  uint32_t half_id[HALVES]; /* bsw-halves' streams, what each has to send */
  tr_bytes_t half[HALVES];
  size_t nhalves;
  uint64_t half_sent;
  uint32_t half_resets;
  bool half_reset[HALVES];
} B;

static const char *const BSW_PROTOS[] = {BSW_PROTO_120, BSW_PROTO_110,
                                         BSW_PROTO_100};

/* One message body behind its length prefix, queued for our stream. */
static void bsw_queue(const tr_bytes_t *msg) {
  uint8_t pre[10];
  size_t pl = dag_varint_put(pre, msg->len);
  if (tr_bytes_append(&B.pend, pre, pl) ||
      tr_bytes_append(&B.pend, msg->data, msg->len))
    exit(2);
}

/* Give yamux what b holds for stream id, as far as its window goes;
 * returns the bytes it took. */
static size_t drain_to(net_yamux_t *y, uint32_t id, tr_bytes_t *b) {
  size_t took = 0;
  while (b->len) {
    int64_t k = net_yamux_write(y, id, b->data, b->len);
    if (k <= 0)
      break;
    memmove(b->data, b->data + k, b->len - (size_t)k);
    b->len -= (size_t)k;
    took += (size_t)k;
  }
  return took;
}

static void bsw_drain(net_yamux_t *y) {
  drain_to(y, B.out_id, &B.pend);
  for (size_t i = 0; i < B.nhalves; i++)
    if (!B.half_reset[i])
      B.half_sent += drain_to(y, B.half_id[i], &B.half[i]);
}

/* bsw-halves: every stream sent whole or reset. */
static bool halves_done(void) {
  for (size_t i = 0; i < B.nhalves; i++)
    if (B.half[i].len && !B.half_reset[i])
      return false;
  return B.nhalves > 0;
}

/* bsw-halves: open the streams, each with its half message queued. */
static void halves_open(net_yamux_t *y) {
  uint8_t neg[64];
  int h = net_mss_encode(NET_MSS_PROTOCOL, neg, sizeof neg);
  int k = net_mss_encode(BSW_PROTO_120, neg + h, sizeof neg - (size_t)h);
  if (h < 0 || k < 0)
    exit(2);
  for (; B.nhalves < HALVES; B.nhalves++) {
    int64_t id = net_yamux_open(y);
    tr_bytes_t *b = &B.half[B.nhalves];
    uint8_t pre[10];
    size_t pl = dag_varint_put(pre, BSW_MSG_MAX);
    if (id < 0 || tr_bytes_append(b, neg, (size_t)(h + k)) ||
        tr_bytes_append(b, pre, pl) || tr_bytes_reserve(b, HALF_BYTES))
      exit(2);
    for (size_t i = 0; i < HALF_BYTES; i++)
      b->data[b->len++] = (uint8_t)rand();
    B.half_id[B.nhalves] = (uint32_t)id;
  }
}

static void random_block(tr_bytes_t *msg, const dag_cid_t *prefix_of) {
  uint8_t data[1024];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)rand();
  dag_cid_t cid;
  if (prefix_of)
    cid = *prefix_of;
  else if (dag_cid_sum(&cid, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, data,
                       sizeof data))
    exit(2);
  if (bsw_enc_block(msg, &cid, data, sizeof data, BSW_V120))
    exit(2);
  B.blocks_sent++;
}

static void bsw_answer(net_yamux_t *y, const bsw_msg_t *m) {
  tr_bytes_t out = {0};
  B.msgs++;
  for (size_t i = 0; i < m->nentries; i++) {
    const bsw_entry_t *en = &m->entries[i];
    if (getenv("EVIL_BSW_DEBUG")) {
      char c[128];
      if (dag_cid_format(&en->cid, 0, c, sizeof c) < 0)
        c[0] = 0;
      fprintf(stderr, "  %s type %d cancel %d full %d\n", c, en->type,
              en->cancel, m->full);
    }
    if (en->cancel)
      continue;
    B.wants++;
    if (B.mode == BSW_BIG || B.mode == BSW_HALVES)
      continue;
    if (en->type == BSW_WANT_HAVE || B.mode != BSW_CORRUPT) {
      if (bsw_enc_presence(&out, &en->cid, BSW_HAVE))
        exit(2);
      B.haves_sent++;
    } else {
      random_block(&out, &en->cid); /* its prefix, not its data */
      if (B.nasked < TR_ARRAY_LEN(B.asked))
        B.asked[B.nasked++] = en->cid;
    }
  }
  if (getenv("EVIL_BSW_DEBUG"))
    fprintf(stderr, "msg %llu: %zu entries, %zu blocks, %zu presences\n",
            (unsigned long long)B.msgs, m->nentries, m->nblocks,
            m->npresences);
  if (out.len)
    bsw_queue(&out);
  tr_bytes_free(&out);
  if (B.mode == BSW_BIG && B.wants && !B.big_sent) {
    /* A length over BSW_MSG_MAX, then some of the body it announces. */
    uint8_t f[10 + 4096] = {0};
    size_t pl = dag_varint_put(f, BSW_MSG_MAX + 1);
    if (tr_bytes_append(&B.pend, f, pl + 4096))
      exit(2);
    B.big_sent = true;
  }
  bsw_drain(y);
}

static void bsw_on_reset(net_yamux_t *y, uint32_t id) {
  evil_reset(y, id);
  for (size_t i = 0; i < B.nhalves; i++)
    if (B.half_id[i] == id && !B.half_reset[i]) {
      B.half_reset[i] = true;
      B.half_resets++;
    }
  if (getenv("EVIL_BSW_DEBUG"))
    fprintf(stderr, "stream %u reset (ours: %u)\n", id, B.out_id);
}

static int bsw_on_stream(net_yamux_t *y, uint32_t id) {
  bstream_t *bs = calloc(1, sizeof *bs);
  if (!bs || net_mss_listener(&bs->mss, BSW_PROTOS, 3) ||
      net_yamux_set_stream_data(y, id, bs)) {
    free(bs);
    return -1;
  }
  return 0;
}

static void bsw_on_data(net_yamux_t *y, uint32_t id, const uint8_t *p,
                        size_t n) {
  net_yamux_consume(y, id, (uint32_t)n, false);
  bstream_t *bs = net_yamux_stream_data(y, id);
  if (!bs)
    return; /* our stream: the daemon's multistream answers */
  if (!bs->negotiated) {
    size_t used = 0;
    int rc = net_mss_feed(&bs->mss, p, n, &used);
    size_t on;
    const uint8_t *o = net_mss_output(&bs->mss, &on);
    if (on && net_yamux_write(y, id, o, on) < 0)
      return;
    if (rc == NET_MSS_AGAIN)
      return;
    if (rc != NET_MSS_DONE) { /* identify, ping: "na" went out */
      if (net_yamux_reset(y, id))
        exit(2);
      return;
    }
    bs->negotiated = true;
    p += used, n -= used;
  }
  if (tr_bytes_append(&bs->in, p, n))
    exit(2);
  size_t off = 0;
  for (;;) {
    const uint8_t *body;
    size_t blen;
    int64_t took = dag_varint_frame(bs->in.data + off, bs->in.len - off,
                                    BSW_MSG_MAX, &body, &blen);
    if (took <= 0)
      break;
    bsw_msg_t m;
    if (!bsw_msg_decode(&m, body, blen)) {
      bsw_answer(y, &m);
      bsw_msg_free(&m);
    }
    off += (size_t)took;
  }
  if (off) {
    memmove(bs->in.data, bs->in.data + off, bs->in.len - off);
    bs->in.len -= off;
  }
}

static void bsw_on_close(net_yamux_t *y, uint32_t id, void *data) {
  (void)y, (void)id;
  bstream_t *bs = data;
  if (bs)
    tr_bytes_free(&bs->in);
  free(bs);
}

static void bsw_on_window(net_yamux_t *y, uint32_t id) {
  (void)id;
  bsw_drain(y);
}

static int bsw_scenario(int mode) {
  static const net_yamux_cbs_t cbs = {
      .on_stream = bsw_on_stream, .on_data = bsw_on_data,
      .on_window = bsw_on_window, .on_close = bsw_on_close,
      .on_pong = evil_pong, .on_reset = bsw_on_reset};
  B.mode = mode;
  srand((unsigned)evil_ms());
  evil_t *e = dial_upgraded();
  net_yamux_limits_t lim;
  net_yamux_limits_default(&lim);
  if (net_yamux_init(&e->y, true, &cbs, &lim, e))
    return 2;
  e->has_y = true;
  int64_t id = net_yamux_open(&e->y);
  if (id < 0)
    return 2;
  B.out_id = (uint32_t)id;
  /* Multistream pipelined, as go's lazy negotiation does. */
  uint8_t neg[64];
  int h = net_mss_encode(NET_MSS_PROTOCOL, neg, sizeof neg);
  int k = net_mss_encode(BSW_PROTO_120, neg + h, sizeof neg - (size_t)h);
  if (h < 0 || k < 0 || tr_bytes_append(&B.pend, neg, (size_t)(h + k)))
    return 2;
  bsw_drain(&e->y);
  if (evil_flush(e))
    return 2;
  char pid[128];
  if (net_peerid_format(&e->id, 0, pid, sizeof pid) < 0)
    return 2;
  printf("ready %s\n", pid);
  fflush(stdout);
  uint64_t t0 = evil_ms(), end = t0 + (uint64_t)secs * 1000, next = t0;
  uint64_t settle = 0;
  int rc = 0;
  while (evil_ms() < end) {
    if ((rc = evil_service(e, 50)))
      break;
    if (B.mode == BSW_UNASKED && evil_ms() >= next && B.wants) {
      tr_bytes_t out = {0};
      for (int i = 0; i < 4; i++)
        random_block(&out, NULL);
      bsw_queue(&out);
      tr_bytes_free(&out);
      next = evil_ms() + 100;
    }
    if (B.mode == BSW_CORRUPT && evil_ms() >= next && B.nasked) {
      tr_bytes_t out = {0};
      for (size_t i = 0; i < B.nasked; i++)
        random_block(&out, &B.asked[i]);
      bsw_queue(&out);
      tr_bytes_free(&out);
      next = evil_ms() + 200;
    }
    if (B.mode == BSW_HALVES && B.wants && !B.nhalves)
      halves_open(&e->y);
    bsw_drain(&e->y);
    if ((rc = evil_flush(e)))
      break;
    /* A second for the resets of what went last to come back. */
    if (B.mode == BSW_HALVES && !settle && halves_done())
      settle = evil_ms() + 1000;
    if (settle && evil_ms() >= settle)
      break;
  }
  uint64_t ms = evil_ms() - t0;
  for (uint32_t i = 0; i < e->y.nstreams; i++) /* yamux frees no data */
    bsw_on_close(&e->y, e->y.streams[i].id, e->y.streams[i].data);
  evil_free(e);
  tr_bytes_free(&B.pend);
  for (size_t i = 0; i < B.nhalves; i++)
    tr_bytes_free(&B.half[i]);
  printf("  %s: %llu wants seen, %llu HAVEs and %llu blocks sent in %llu "
         "messages' answers\n", name, (unsigned long long)B.wants,
         (unsigned long long)B.haves_sent, (unsigned long long)B.blocks_sent,
         (unsigned long long)B.msgs);
  if (mode == BSW_HALVES)
    /* The streams it did not reset hold their 3 MiB each for good, and
     * BSW_SWARM_PEER_IN_MAX (8 MiB) bounds what a peer's streams hold:
     * two at most may stay.  A daemon that cut the connection instead
     * would have lost the peer's honest messages too. */
    return done(!rc && settle && B.half_resets >= HALVES - 2,
                "%u of %d streams reset, %llu MiB of unfinished messages "
                "sent (%s)", B.half_resets, HALVES,
                (unsigned long long)(B.half_sent >> 20),
                rc ? "connection lost" : "connection kept");
  if (mode == BSW_STALL)
    return done(!rc, rc ? "cut after %llu ms (a slow peer is not a liar)"
                        : "still connected after %llu ms, as it should be",
                (unsigned long long)ms);
  if (!rc)
    return done(false, "still connected after %d s", secs);
  if (!B.wants)
    return done(false, "cut after %llu ms before it was sent any want",
                (unsigned long long)ms);
  return done(true, "cut after %llu ms", (unsigned long long)ms);
}

static int bsw_corrupt(void) { return bsw_scenario(BSW_CORRUPT); }
static int bsw_unasked(void) { return bsw_scenario(BSW_UNASKED); }
static int bsw_big(void) { return bsw_scenario(BSW_BIG); }
static int bsw_stall(void) { return bsw_scenario(BSW_STALL); }
static int bsw_halves(void) { return bsw_scenario(BSW_HALVES); }
