/*
 * msg.h — the Kademlia DHT's wire messages (/ipfs/kad/1.0.0, the libp2p
 * kad-dht spec; go-libp2p-kad-dht's pb/dht.proto), sans-I/O.
 *
 * On a stream each message is a uvarint length and that many bytes of a
 * protobuf `Message`; a stream may carry several requests one after the
 * other, each answered in order (go-libp2p-kad-dht reuses streams).
 *
 * Decoding is bounded: a message over DHT_MSG_MAX is refused by the
 * framer; of the peers a message lists, the first DHT_MSG_PEERS_MAX of
 * each list are kept (the rest are counted in *_dropped, not an error: a
 * peer that answers with thousands of bogus closer peers costs a bounded
 * decode); of a peer's addresses the first DHT_PEER_ADDRS_MAX that are
 * valid multiaddrs of at most DHT_ADDR_MAX bytes are kept (others are
 * skipped), a trailing /p2p/ naming the peer itself cut off (js-libp2p
 * sends one) and one naming another peer skipped, as go's peerstore does;
 * a peer whose id is not a PeerID is skipped (and not counted).
 * Keys and record fields over their caps make the message invalid
 * (TR_EPROTO).  protobuf-c, which allocates every element of a repeated
 * field before the caps apply, works within DHT_MSG_DECODE_MEM bytes: a
 * message that needs more (tens of thousands of peers) is TR_EPROTO.
 */
#ifndef DHT_MSG_H
#define DHT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "../net/peerid.h"

#define DHT_MSG_MAX (4u << 20)     /* go-libp2p-kad-dht's msgio limit */
#define DHT_MSG_PEERS_MAX 64       /* peers kept per list (k = 20 is sent) */
#define DHT_PEER_ADDRS_MAX 8
#define DHT_ADDR_MAX 64
#define DHT_KEY_MAX 512            /* a multihash, PeerID or /ipns/, /pk/ key */
#define DHT_RECORD_VALUE_MAX 16384 /* IPNS records are at most 10 KiB */
#define DHT_TIME_MAX 64            /* Record.timeReceived (RFC 3339) */
#define DHT_MSG_DECODE_MEM (1u << 20) /* protobuf-c's temporaries, a decode */

typedef enum dht_msg_type {
  DHT_PUT_VALUE = 0,
  DHT_GET_VALUE = 1,
  DHT_ADD_PROVIDER = 2,
  DHT_GET_PROVIDERS = 3,
  DHT_FIND_NODE = 4,
  DHT_PING = 5,
} dht_msg_type_t;

typedef enum dht_conn_type { /* Message.ConnectionType */
  DHT_NOT_CONNECTED = 0,
  DHT_CONNECTED = 1,
  DHT_CAN_CONNECT = 2,
  DHT_CANNOT_CONNECT = 3,
} dht_conn_type_t;

/* A peer as messages carry it (Message.Peer): its id, the binary
 * multiaddrs kept, and the sender's view of our connectivity to it. */
typedef struct dht_peer {
  net_peerid_t id;
  uint8_t naddrs;
  uint8_t conn; /* dht_conn_type_t */
  uint8_t addrlen[DHT_PEER_ADDRS_MAX];
  uint8_t addrs[DHT_PEER_ADDRS_MAX][DHT_ADDR_MAX];
} dht_peer_t;

/* A Record (go-libp2p-record's pb): key, value, timeReceived. */
typedef struct dht_record {
  uint8_t *key;
  size_t keylen;
  uint8_t *value;
  size_t vlen;
  char time_received[DHT_TIME_MAX]; /* "" when absent */
} dht_record_t;

/* A decoded message.  Every pointer is owned by the message
 * (dht_msg_free()); to encode, fill the fields with pointers of your own
 * (nothing is freed by dht_msg_encode()). */
typedef struct dht_msg {
  dht_msg_type_t type;
  int32_t cluster_level; /* clusterLevelRaw as sent: go 1, js 0 */
  uint8_t *key;
  size_t keylen;
  bool has_record;
  dht_record_t record;
  dht_peer_t *closer;
  size_t ncloser, closer_dropped; /* dropped: valid peers past the cap */
  dht_peer_t *providers;
  size_t nproviders, providers_dropped;
} dht_msg_t;

/* One message at the start of p[0..n), behind its uvarint length: returns
 * the bytes it takes (prefix included) with *body, *blen set; 0 when more
 * bytes are needed; TR_ETOOBIG when the length is over max; TR_EPROTO for
 * a malformed length. */
int64_t dht_frame(const uint8_t *p, size_t n, size_t max,
                  const uint8_t **body, size_t *blen) TR_WUR;

/* Decode the protobuf p[0..n) into m (zeroed first).  0; TR_EPROTO (not a
 * Message, an unknown type, a key or record field over its cap); -ENOMEM.
 * On error m holds nothing to free. */
int dht_msg_decode(const uint8_t *p, size_t n, dht_msg_t *m) TR_WUR;

/* Append m to out as one frame (uvarint length, then the protobuf).
 * 0, -ENOMEM, TR_ETOOBIG (over DHT_MSG_MAX), TR_EUSAGE (a type or a
 * peer's conn out of range, naddrs or an addrlen over its cap, a length
 * without its pointer, time_received without a NUL). */
int dht_msg_encode(const dht_msg_t *m, tr_bytes_t *out) TR_WUR;

void dht_msg_free(dht_msg_t *m);

/* Fill p from a PeerID and binary multiaddrs (those over DHT_ADDR_MAX and
 * past DHT_PEER_ADDRS_MAX are skipped). */
void dht_peer_set(dht_peer_t *p, const net_peerid_t *id,
                  const uint8_t *const *addrs, const size_t *lens, size_t n);

#endif /* DHT_MSG_H */
