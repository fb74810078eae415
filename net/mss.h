/*
 * mss.h — multistream-select 1.0 (/multistream/1.0.0), the protocol
 * negotiation that opens every libp2p connection (security, then muxer) and
 * every stream (libp2p/specs connections/README.md, multiformats/
 * multistream-select).
 *
 * A message is a uvarint length, then that many bytes: UTF-8 text ending in
 * '\n' (the length counts it).  Both sides first send "/multistream/1.0.0";
 * the initiator proposes protocol ids one by one; the listener echoes the id
 * it accepts or answers "na"; "ls" asks the listener for its list (sent as
 * one message holding one length-prefixed line per protocol, then '\n').
 *
 * Sans-I/O, no allocation: a net_mss_t is a fixed-size value.  The caller
 * feeds received bytes with net_mss_feed(), sends what net_mss_output()
 * hands back, and stops at NET_MSS_DONE: the bytes the negotiation did not
 * consume (an eager peer's first application bytes) belong to the chosen
 * protocol.  The initiator sends its header and first proposal in one
 * write, without waiting for the listener's header (go-multistream and
 * js-libp2p do too); this saves a round trip and is what the spec allows.
 *
 * Limits (a peer that breaks one gets an error, and the caller closes the
 * channel): messages are at most NET_MSS_MSG_MAX bytes (go-multistream's
 * 1024), a listener answers at most NET_MSS_TRIES_MAX proposals or `ls`
 * requests per negotiation.  Time limits are the caller's: the state
 * machine has no clock.
 */
#ifndef NET_MSS_H
#define NET_MSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"

#define NET_MSS_PROTOCOL "/multistream/1.0.0"
/* Largest message, length prefix excluded, '\n' included. */
#define NET_MSS_MSG_MAX 1024
/* Proposals (and `ls` requests) a listener answers before giving up. */
#define NET_MSS_TRIES_MAX 16
/* Protocols a side may offer or support. */
#define NET_MSS_PROTOS_MAX 32
/* Output queued at most at once: a header and a message, or an `ls`
 * answer. */
#define NET_MSS_OUT_MAX (2 * (NET_MSS_MSG_MAX + 2) + 32)

/* Results of net_mss_feed() besides the negative errors. */
enum {
  NET_MSS_AGAIN = 0, /* feed more input (after sending the output) */
  NET_MSS_DONE = 1,  /* negotiated: net_mss_selected() says what */
};

typedef struct net_mss {
  const char *const *protos; /* borrowed; must outlive the negotiation */
  size_t nprotos;
  bool initiator;
  uint8_t state;
  uint8_t tries;
  uint8_t next;     /* initiator: index of the proposal on the wire */
  int selected;     /* index into protos, -1 until done */
  size_t inlen;     /* bytes of the message being read, in in[] */
  uint8_t in[2 + NET_MSS_MSG_MAX];
  size_t outlen;
  uint8_t out[NET_MSS_OUT_MAX];
} net_mss_t;

/* Start a listener that supports protos[0..n) or an initiator that proposes
 * them in that order of preference.  The names are borrowed (string
 * literals in practice).  Queues our header (and, for an initiator, the
 * first proposal).  0, or TR_EUSAGE: n is 0 (initiator) or over
 * NET_MSS_PROTOS_MAX, or a name is empty, has a '\n' or is too long for a
 * message. */
int net_mss_listener(net_mss_t *m, const char *const *protos, size_t n) TR_WUR;
int net_mss_initiator(net_mss_t *m, const char *const *protos,
                      size_t n) TR_WUR;

/* Feed received bytes in[0..len).  *consumed is set to the bytes used,
 * which is less than len only when the result is NET_MSS_DONE (the rest
 * belongs to the chosen protocol) or an error.  Returns NET_MSS_AGAIN,
 * NET_MSS_DONE, or:
 *   TR_EPROTO    the peer broke the protocol: a first message other than
 *                the multistream header (refused at its first byte that
 *                differs), a message without its '\n', an
 *                initiator's answer that is neither the proposal nor "na",
 *                more than NET_MSS_TRIES_MAX proposals
 *   TR_ETOOBIG   a message over NET_MSS_MSG_MAX
 *   TR_ENOPROTO  initiator: the listener refused every proposal
 *   TR_EUSAGE    fed after NET_MSS_DONE or an error
 * After an error the negotiation is over; output queued before it (a "na")
 * may still be sent. */
int net_mss_feed(net_mss_t *m, const uint8_t *in, size_t len,
                 size_t *consumed) TR_WUR;

/* The bytes to send now (*len of them, maybe 0), which the caller must send
 * in full and in order.  The view stays valid until the next call on m;
 * the bytes are no longer queued. */
const uint8_t *net_mss_output(net_mss_t *m, size_t *len);

/* The negotiated protocol after NET_MSS_DONE, else NULL. */
const char *net_mss_selected(const net_mss_t *m);

/* Encode one message "text\n" with its length prefix into out.  Returns
 * its size, or TR_ETOOBIG (text + '\n' over NET_MSS_MSG_MAX), TR_EBUFSIZE.
 * For callers that speak multistream outside a negotiation (a listener
 * that refuses a stream outright, tests). */
int net_mss_encode(const char *text, uint8_t *out, size_t outsize) TR_WUR;

#endif /* NET_MSS_H */
