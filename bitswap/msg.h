/*
 * msg.h — the bitswap wire message (boxo's bitswap/message/pb/message.proto,
 * the same bytes for /ipfs/bitswap/1.0.0, 1.1.0 and 1.2.0), free of I/O.
 *
 *   message Message {
 *     message Wantlist {
 *       enum WantType { Block = 0; Have = 1; }
 *       message Entry {
 *         bytes block = 1;        // the CID, binary
 *         int32 priority = 2;
 *         bool cancel = 3;
 *         WantType wantType = 4;  // 1.2.0
 *         bool sendDontHave = 5;  // 1.2.0
 *       }
 *       repeated Entry entries = 1;
 *       bool full = 2;
 *     }
 *     message Block { bytes prefix = 1; bytes data = 2; }
 *     enum BlockPresenceType { Have = 0; DontHave = 1; }
 *     message BlockPresence { bytes cid = 1; BlockPresenceType type = 2; }
 *     Wantlist wantlist = 1;
 *     repeated bytes blocks = 2;      // 1.0.0: data only, CIDv0 implied
 *     repeated Block payload = 3;     // 1.1.0+: CID prefix and data
 *     repeated BlockPresence blockPresences = 4;  // 1.2.0
 *     int32 pendingBytes = 5;         // 1.2.0
 *   }
 *
 * On the stream each message is preceded by its length as an unsigned
 * varint (msgio's varint framing, as go-libp2p and js-libp2p frame it);
 * a length over BSW_MSG_MAX is a protocol violation.
 *
 * The decoder checks the shape and the CIDs, never a block's hash: that is
 * the client's job (bsw_block_cid() hashes the data; the client compares
 * the result with what it asked for), since only it knows which blocks
 * were asked for.
 */
#ifndef BITSWAP_MSG_H
#define BITSWAP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "../dag/cid.h"

/* libp2p's network.MessageSizeMax, what go and js accept on a stream. */
#define BSW_MSG_MAX (4u << 20)
/* The largest block a peer may send or ask us to send (boxo's, Kubo's
 * import limit). */
#define BSW_BLOCK_MAX (2u << 20)
/* Wantlist entries, payload blocks and presences one decoded message may
 * carry (each list on its own); past it the message is refused. */
#define BSW_MSG_ITEMS_MAX 16384

enum { BSW_WANT_BLOCK = 0, BSW_WANT_HAVE = 1 };
enum { BSW_HAVE = 0, BSW_DONT_HAVE = 1 };

typedef struct bsw_entry {
  dag_cid_t cid;
  int32_t priority;
  uint8_t type;        /* BSW_WANT_*: 1.0.0/1.1.0 entries are WANT_BLOCK */
  bool cancel;
  bool send_dont_have;
} bsw_entry_t;

typedef struct bsw_presence {
  dag_cid_t cid;
  uint8_t type; /* BSW_HAVE, BSW_DONT_HAVE */
} bsw_presence_t;

/* A block as sent: its CID prefix (version, codec, hash function, digest
 * length, as varints) or none for a 1.0.0 block (CIDv0: dag-pb,
 * sha2-256), and the data.  Views into the decoded bytes. */
typedef struct bsw_block {
  const uint8_t *prefix; /* NULL: 1.0.0 */
  size_t prefix_len;
  const uint8_t *data;
  size_t len;
} bsw_block_t;

typedef struct bsw_msg {
  bool full; /* the wantlist replaces the previous one */
  bsw_entry_t *entries;
  size_t nentries;
  bsw_block_t *blocks;   /* payload (1.1.0+) first, then 1.0.0 blocks */
  size_t nblocks;
  bsw_presence_t *presences;
  size_t npresences;
  int32_t pending_bytes;
  void *priv_; /* the arrays' one allocation: freed by bsw_msg_free() */
} bsw_msg_t;

/* Decode one message body p[0..n) (without its length prefix).  The views
 * in *m (block data and prefixes) point into p, which must outlive them
 * (a block's data is never NULL, even when empty); the arrays are
 * allocated.  Free with bsw_msg_free() after a 0 only (after an error *m
 * is zeroed).  Protobuf is read as go and js read it: unknown fields are
 * skipped, a second wantlist field adds its entries, the last scalar wins.
 * A prefix must be exactly four varints (version, codec, hash function,
 * digest length); version 0 only as 00 70 12 20 (CIDv0), sha2-256 only
 * with 32 bytes, no digest over DAG_MH_IDENTITY_MAX.  Hash functions we do
 * not have pass here (bsw_block_cid() says TR_EHASH).
 * 0;
 *   TR_ETOOBIG  n > BSW_MSG_MAX, a list over BSW_MSG_ITEMS_MAX, a block
 *               over BSW_BLOCK_MAX;
 *   TR_EPROTO   not a well-formed message (protobuf, a known field with
 *               the wrong wire type, or an unknown enum value);
 *   TR_ECID     an entry's or presence's CID is missing or does not decode
 *               (or has bytes after it), a payload's prefix is missing or
 *               malformed;
 *   -ENOMEM. */
int bsw_msg_decode(bsw_msg_t *m, const uint8_t *p, size_t n) TR_WUR;
void bsw_msg_free(bsw_msg_t *m);

/* The CID a block claims to be: from its prefix (or CIDv0 for a 1.0.0
 * block) and the hash of its data.  Hashing is the cost of this call, and
 * what makes it the check: the result is what the data IS, so a block is
 * the one asked for exactly when this CID's multihash is the one wanted.
 * The prefix's digest length must be the function's (go-cid would
 * truncate a longer digest; our multihashes are never truncated), except
 * for identity, whose length is the data's whatever the prefix says (as
 * go-cid's Prefix.Sum and js ignore it).
 * 0, TR_ECID (malformed prefix, as for bsw_msg_decode(), or a digest
 * length that is not the function's), TR_EHASH (hash function we do not
 * have, or a truncated digest of one we have: we do not truncate), TR_ETOOBIG (data over BSW_BLOCK_MAX, or an identity block over
 * DAG_MH_IDENTITY_MAX). */
int bsw_block_cid(const bsw_block_t *b, dag_cid_t *cid) TR_WUR;

/* ------------------------------------------------------------ encoding */

/* Messages are built by appending sections to out (a protobuf message is
 * the concatenation of its fields, so a message is: at most one wantlist,
 * then any blocks and presences, in any order).  Each returns 0 or
 * -ENOMEM (out is then unchanged). */

/* The wantlist section: entries (a cancel entry is sent as its CID and
 * the flag alone, as boxo's Cancel() makes it; version 100 and 110 peers
 * get no wantType/sendDontHave fields; fields at their default are left
 * out, as proto3 encoders leave them).  An empty wantlist is still a
 * section (0a 00, as go sends it). */
int bsw_enc_wantlist(tr_bytes_t *out, const bsw_entry_t *e, size_t n,
                     bool full, int version) TR_WUR;
/* One block: a payload entry with cid's prefix (version >= 110), or a
 * bare 1.0.0 block (version 100: the receiver takes it for a CIDv0, so
 * only dag-pb sha2-256 blocks, CIDv0 or their CIDv1, can be sent that way;
 * TR_ECODEC for others).  data is not checked against cid. */
int bsw_enc_block(tr_bytes_t *out, const dag_cid_t *cid, const uint8_t *data,
                  size_t len, int version) TR_WUR;
/* One presence (1.2.0 only; callers do not send them to older peers). */
int bsw_enc_presence(tr_bytes_t *out, const dag_cid_t *cid,
                     int type) TR_WUR;
/* pendingBytes; 0, the default, appends nothing. */
int bsw_enc_pending(tr_bytes_t *out, int32_t pending_bytes) TR_WUR;

/* The CID prefix of cid into out[0..cap): *len bytes.  0, TR_EBUFSIZE. */
int bsw_cid_prefix(const dag_cid_t *cid, uint8_t *out, size_t cap,
                   size_t *len) TR_WUR;

/* Protocol versions (bsw_*'s version arguments). */
enum { BSW_V100 = 100, BSW_V110 = 110, BSW_V120 = 120 };
#define BSW_PROTO_120 "/ipfs/bitswap/1.2.0"
#define BSW_PROTO_110 "/ipfs/bitswap/1.1.0"
#define BSW_PROTO_100 "/ipfs/bitswap/1.0.0"
#define BSW_PROTO_BARE "/ipfs/bitswap"

#endif /* BITSWAP_MSG_H */
