/*
 * fuzz_bitswap.c — libFuzzer target for the bitswap core (bitswap/
 * bitswap.h) fed by hostile peers.  A core with a small store (one block
 * of its own) and two sessions: one fetching a small UnixFS file as a DAG
 * (a root and four raw leaves, made by the importer), one wanting a raw
 * block alone.  The input is a list of operations from three peers:
 *
 *   op & 7 == 0  a raw message: 2 bytes of length, then the bytes
 *             1  peer_up (the next byte picks the version)
 *             2  peer_down
 *             3  peer_ready
 *             4  a message carrying wanted block k (the next byte), as
 *                a peer would send it (1.0.0 form for CIDv0... here all
 *                are CIDv1, so the payload form)
 *             5  a HAVE or DONT_HAVE for wanted CID k
 *             6  a block with one byte flipped (a liar)
 *             7  time passes (the next byte, x 64 ms) and bsw_tick runs
 *   op >> 3 % 3: the peer.
 *
 * Asserts: io.on_block is only ever called with data that hashes to its
 * CID and a CID that was wanted; bsw_on_message returns only documented
 * codes; on_session_done fires only when its blocks are all stored.
 * on_block stores the block and (by the first input byte) calls
 * bsw_block_added at once, as bitswap.h allows.
 * Build: make build-fuzz/fuzz_bitswap; seeds in
 * tests/fuzz/corpus/fuzz_bitswap.
 */
#include "../../bitswap/bitswap.h"
#include "../../dag/importer.h"
#include "../memstore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NWANT 6 /* root, 4 leaves, and the lone block */

static memstore_t file;      /* the DAG: root and leaves */
static dag_cid_t want[NWANT];
static uint8_t *want_data[NWANT];
static size_t want_len[NWANT];
static dag_cid_t own;        /* the block our store has from the start */
static uint8_t own_data[300];

static memstore_t store;     /* the core's */
static bsw_t *core;
static bool sync_added;
static uint64_t now;

static void init_once(void) {
  static bool done;
  if (done)
    return;
  done = true;
  uint8_t buf[200];
  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = (uint8_t)(i * 7 + 3);
  dag_import_opts_t o;
  if (dag_import_profile(&o, NULL))
    abort();
  o.chunker = "size-50";
  dag_import_result_t res;
  if (dag_import_bytes(&o, buf, sizeof buf, ms_put, &file, &res) ||
      file.n != 5)
    abort();
  want[0] = res.cid;
  size_t k = 1;
  for (size_t i = 0; i < file.n; i++)
    if (!dag_cid_equal(&file.b[i].cid, &res.cid))
      want[k++] = file.b[i].cid;
  static uint8_t lone[100];
  memset(lone, 0x42, sizeof lone);
  if (dag_cid_sum(&want[5], 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, lone,
                  sizeof lone))
    abort();
  for (k = 0; k < 5; k++) {
    memblock_t *m = ms_find(&file, &want[k]);
    want_data[k] = m->data;
    want_len[k] = m->len;
  }
  want_data[5] = lone;
  want_len[5] = sizeof lone;
  for (size_t i = 0; i < sizeof own_data; i++)
    own_data[i] = (uint8_t)(i ^ 0x5a);
  if (dag_cid_sum(&own, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, own_data,
                  sizeof own_data))
    abort();
}

static int f_send(void *ud, const net_peerid_t *peer, const uint8_t *p,
                  size_t n) {
  (void)ud, (void)peer, (void)p, (void)n;
  return 0;
}

static int f_stat(void *ud, const dag_cid_t *cid, size_t *size) {
  (void)ud;
  memblock_t *m = ms_find(&store, cid);
  if (!m)
    return TR_ENOTFOUND;
  *size = m->len;
  return 0;
}

static int f_get(void *ud, const dag_cid_t *cid, tr_bytes_t *out) {
  (void)ud;
  memblock_t *m = ms_find(&store, cid);
  if (!m)
    return TR_ENOTFOUND;
  return tr_bytes_append(out, m->data, m->len);
}

static void f_on_block(void *ud, const dag_cid_t *cid, const uint8_t *data,
                       size_t len) {
  (void)ud;
  if (dag_cid_verify(cid, data, len))
    abort(); /* bytes that are not the CID's */
  bool wanted = false;
  for (int k = 0; k < NWANT; k++)
    wanted |= dag_cid_equal(cid, &want[k]);
  if (!wanted)
    abort(); /* nobody asked for it */
  ms_put(cid, data, len, &store);
  if (sync_added)
    bsw_block_added(core, cid, data, len, now);
}

static uint64_t dag_sid;

static void f_done(void *ud, uint64_t sid) {
  (void)ud;
  if (sid != dag_sid)
    return;
  for (int k = 0; k < 5; k++)
    if (!ms_find(&store, &want[k]))
      abort(); /* done with a block of its DAG missing */
}

static void f_find(void *ud, uint64_t sid, const dag_cid_t *cid) {
  (void)ud, (void)sid, (void)cid;
}

static void f_ban(void *ud, const net_peerid_t *peer, const char *why) {
  (void)ud, (void)peer, (void)why;
}

static void peer_id(net_peerid_t *id, int i) {
  memset(id, 0, sizeof *id);
  id->len = 2;
  id->bytes[0] = 0xf0;
  id->bytes[1] = (uint8_t)i;
}

static void send_msg(int peer, const tr_bytes_t *m) {
  net_peerid_t id;
  peer_id(&id, peer);
  /* An empty message as the adapter passes it: a buffer, no bytes (msg.c
   * computes NULL + 0, which UBSan reports). */
  static const uint8_t none[1];
  int rc = bsw_on_message(core, &id, m->len ? m->data : none, m->len, now);
  if (rc && rc != TR_EPROTO && rc != TR_ETOOBIG && rc != TR_ECID &&
      rc != -ENOMEM)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) {
  init_once();
  tr_log_level(TR_LOG_ERROR - 1);
  memset(&store, 0, sizeof store);
  ms_put(&own, own_data, sizeof own_data, &store);
  now = 1000;
  sync_added = n && (p[0] & 1);
  bsw_io_t io = {.send = f_send, .stat = f_stat, .get = f_get,
                 .on_block = f_on_block, .find_providers = f_find,
                 .on_session_done = f_done, .ban = f_ban};
  bsw_limits_t lim;
  bsw_limits_default(&lim);
  lim.ahead_max = 2;
  if (bsw_new(&io, &lim, now, &core))
    abort();
  uint64_t sid2;
  if (bsw_session_new(core, now, &dag_sid) ||
      bsw_session_want(core, dag_sid, &want[0], true, now) ||
      bsw_session_new(core, now, &sid2) ||
      bsw_session_want(core, sid2, &want[5], false, now))
    abort();
  size_t i = n ? 1 : 0;
  tr_bytes_t m = {0};
  while (i < n) {
    uint8_t op = p[i++];
    int peer = (op >> 3) % 3;
    net_peerid_t id;
    peer_id(&id, peer);
    uint8_t arg = i < n ? p[i] : 0;
    m.len = 0;
    switch (op & 7) {
    case 0: {
      size_t len = i + 1 < n ? (size_t)p[i] << 8 | p[i + 1] : 0;
      i += 2;
      if (i > n)
        i = n;
      if (len > n - i)
        len = n - i;
      if (tr_bytes_append(&m, p + i, len))
        abort();
      i += len;
      send_msg(peer, &m);
      break;
    }
    case 1: {
      static const int v[] = {BSW_V100, BSW_V110, BSW_V120, BSW_V120};
      i++;
      int rc = bsw_peer_up(core, &id, v[arg & 3], now);
      if (rc && rc != -ENOMEM)
        abort();
      break;
    }
    case 2:
      bsw_peer_down(core, &id, now);
      break;
    case 3:
      bsw_peer_ready(core, &id, now);
      break;
    case 4:
    case 6: {
      i++;
      int k = arg % NWANT;
      uint8_t *copy = malloc(want_len[k]);
      memcpy(copy, want_data[k], want_len[k]);
      if ((op & 7) == 6)
        copy[arg % want_len[k]] ^= 1 + (arg >> 4);
      if (bsw_enc_block(&m, &want[k], copy, want_len[k], BSW_V120))
        abort();
      free(copy);
      send_msg(peer, &m);
      break;
    }
    case 5:
      i++;
      if (bsw_enc_presence(&m, &want[arg % NWANT],
                           arg & 0x80 ? BSW_DONT_HAVE : BSW_HAVE))
        abort();
      send_msg(peer, &m);
      break;
    case 7:
      i++;
      now += (uint64_t)arg * 64;
      bsw_tick(core, now);
      break;
    }
  }
  tr_bytes_free(&m);
  bsw_free(core);
  core = NULL;
  ms_free(&store);
  return 0;
}
