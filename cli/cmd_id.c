/*
 * cmd_id.c — `trove id [PEER] [-f FORMAT] [--peerid-base BASE]`: Kubo's
 * `ipfs id`.  Through a daemon's API when one runs (rpc/rpc_swarm.c
 * answers, dialling PEER and running identify); without one, the node's
 * own identity from the config (no addresses or protocols: Kubo's
 * offline node has no host) or, with --offline, what a PEER's ID alone
 * says (its key when inline).  Both print Kubo's text encoder's bytes:
 * -f's template filled in, else the JSON indented by tabs and followed
 * by an empty line.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/config.h"
#include "../dht/keystore.h"
#include "../node/identity.h"
#include "remote_int.h"

/* Kubo's message for a remote peer without a daemon (its 'ipfs id' kept:
 * the API answers the same words). */
#define ID_OFFLINE_MSG                                                    \
  "'ipfs id' cannot query information on remote peers without a running " \
  "daemon; if you only want to convert --peerid-base, pass --offline "   \
  "option"
#define ID_STR_MAX (8 * (NET_PEERID_MAX + 4) + 8) /* base2's CID */

/* ------------------------------------------------------------ printing */

/* Go's strings.Replace(s, old, new, -1) on b, in place.  0 or -ENOMEM. */
static int replace_all(tr_bytes_t *b, const char *old, const char *new) {
  size_t ol = strlen(old), nl = strlen(new);
  tr_bytes_t out = {0};
  size_t i = 0;
  for (;;) {
    const char *hit = ol <= b->len - i
                          ? memmem(b->data + i, b->len - i, old, ol)
                          : NULL;
    size_t upto = hit ? (size_t)((const uint8_t *)hit - b->data) : b->len;
    if (tr_bytes_append(&out, b->data + i, upto - i) ||
        (hit && tr_bytes_append(&out, new, nl))) {
      tr_bytes_free(&out);
      return -ENOMEM;
    }
    if (!hit)
      break;
    i = upto + ol;
  }
  tr_bytes_free(b);
  *b = out;
  return 0;
}

/* The strings of array a (null: none) joined by newlines; malloc'd. */
static char *join_lines(json_t *a) {
  size_t i, n = 1;
  json_t *v;
  json_array_foreach(a, i, v) {
    const char *e = json_string_value(v);
    n += (e ? strlen(e) : 0) + 1;
  }
  char *s = malloc(n), *w = s;
  if (!s)
    return NULL;
  *w = 0;
  json_array_foreach(a, i, v) {
    const char *e = json_string_value(v) ? json_string_value(v) : "";
    w += sprintf(w, "%s%s", i ? "\n" : "", e);
  }
  return s;
}

/* Kubo's -f: the keys replaced in this order, then the escapes; <pver>
 * is in Kubo's help but not replaced, so it stays. */
static int print_format(const char *fmt, json_t *o) {
  char *addrs = join_lines(json_object_get(o, "Addresses"));
  char *protos = join_lines(json_object_get(o, "Protocols"));
  tr_bytes_t b = {0};
  int rc = addrs && protos ? tr_bytes_append(&b, fmt, strlen(fmt)) : -ENOMEM;
  const char *rep[][2] = {
      {"<id>", cli__jstr(o, "ID")},
      {"<aver>", cli__jstr(o, "AgentVersion")},
      {"<pubkey>", cli__jstr(o, "PublicKey")},
      {"<addrs>", addrs},
      {"<protocols>", protos},
      {"\\n", "\n"},
      {"\\t", "\t"},
  };
  for (size_t i = 0; !rc && i < TR_ARRAY_LEN(rep); i++)
    rc = replace_all(&b, rep[i][0], rep[i][1]);
  if (!rc)
    rc = cli_write_out(b.data, b.len);
  free(addrs);
  free(protos);
  tr_bytes_free(&b);
  return rc ? cli_fail("id", rc) : 0;
}

/* Go's json.MarshalIndent(o, "", "\t") and the two newlines Kubo's
 * encoder adds: jansson's one-space indent turned into tabs (a line's
 * leading spaces are all indent: strings hold no raw newline), and <, >
 * and & escaped as Go escapes them. */
static int print_json(json_t *o) {
  char *s = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
  if (!s)
    return cli_fail("id", -ENOMEM);
  bool bol = true;
  for (const char *c = s; *c; c++) {
    if (bol && *c == ' ') {
      putchar('\t');
      continue;
    }
    bol = *c == '\n';
    if (*c == '<' || *c == '>' || *c == '&')
      printf("\\u00%s", *c == '<' ? "3c" : *c == '>' ? "3e" : "26");
    else
      putchar(*c);
  }
  printf("\n\n");
  free(s);
  return 0;
}

static int id_print(const rpc_vals_t *v, json_t *o) {
  const char *fmt = rpc_vals_str(v, "format");
  return fmt ? print_format(fmt, o) : print_json(o);
}

/* ------------------------------------------------------------- offline */

/* The local answer for peer (the node's own when self): Kubo's printSelf
 * of an offline node, or its printPeer from an empty peerstore. */
static json_t *local_json(const net_peerid_t *peer, const char *base,
                          bool self, const char *self_key) {
  char id[ID_STR_MAX], b58[NET_PEERID_STR_MAX], p2p[NET_PEERID_STR_MAX + 8];
  char b64[sodium_base64_ENCODED_LEN(NET_PUBKEY_PB_MAX,
                                     sodium_base64_VARIANT_ORIGINAL)] = "";
  if (dht_key_format_id(peer, base, id, sizeof id) < 0 ||
      net_peerid_format(peer, 0, b58, sizeof b58) < 0)
    return NULL;
  if (self)
    return json_pack("{s:s,s:s,s:n,s:s,s:n}", "ID", id, "PublicKey",
                     self_key, "Addresses", "AgentVersion",
                     "trove/" TROVE_VERSION, "Protocols");
  net_pubkey_t *pk = tr_malloc(sizeof *pk);
  uint8_t kb[NET_PUBKEY_PB_MAX];
  int k = pk && !net_peerid_pubkey(peer, pk)
              ? net_pubkey_marshal(pk, kb, sizeof kb)
              : -1;
  tr_free(pk);
  if (k > 0)
    sodium_bin2base64(b64, sizeof b64, kb, (size_t)k,
                      sodium_base64_VARIANT_ORIGINAL);
  snprintf(p2p, sizeof p2p, "/p2p/%s", b58);
  return json_pack("{s:s,s:s,s:[s],s:s,s:n}", "ID", id, "PublicKey", b64,
                   "Addresses", p2p, "AgentVersion", "", "Protocols");
}

int cmd_id(cli_t *cli, int argc, char **argv) {
  if (argc > 2)
    return cli_failf("id: expected 1 argument(s), got %d", argc - 1);
  const char *base = CLI_STR(cli, "peerid-base") ? CLI_STR(cli, "peerid-base")
                                                 : "b58mh";
  net_peerid_t zero = {0}, peer;
  char tmp[ID_STR_MAX];
  if (dht_key_format_id(&zero, base, tmp, sizeof tmp) == TR_EBASE)
    return cli_failf(*base ? "id: unsupported multibase encoding: %s"
                           : "id: empty multibase encoding%s", base);
  if (argc == 2 && net_peerid_parse(&peer, argv[1], strlen(argv[1])))
    return cli_failf("id: invalid peer id");
  json_t *cfg;
  int rc = config_load(cli->repo, &cfg);
  if (rc == TR_ENOREPO)
    return cli_failf("no repo at %s (run 'trove init')", cli->repo);
  if (rc)
    return cli_failf("reading %s/config: %s", cli->repo, tr_strerror(rc));
  node_identity_t ident;
  net_peerid_t self;
  rc = node_config_identity(cfg, &ident);
  json_decref(cfg);
  if (rc)
    return cli_fail("id: config Identity", rc);
  uint8_t pub[36];
  node_pubkey_proto(&ident, pub);
  sodium_memzero(ident.sk, sizeof ident.sk);
  char b64[sodium_base64_ENCODED_LEN(36, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(b64, sizeof b64, pub, sizeof pub,
                    sodium_base64_VARIANT_ORIGINAL);
  if (net_peerid_parse(&self, ident.peerid, strlen(ident.peerid)))
    return cli_failf("id: config Identity: %s", tr_strerror(TR_EPEERID));
  bool is_self = argc < 2 || net_peerid_equal(&peer, &self);
  if (!is_self && !cli->offline)
    return cli_failf("id: %s", ID_OFFLINE_MSG);
  json_t *o = local_json(is_self ? &self : &peer, base, is_self, b64);
  if (!o)
    return cli_fail("id", -ENOMEM);
  rc = id_print(&cli->v, o);
  json_decref(o);
  return rc;
}

/* -------------------------------------------------------------- remote */

int cli__remote_id(remote_t *r, int argc, char **argv) {
  json_t *o;
  if ((argc > 1 && cli__qargs(r, argc, argv)) || cli__call(r, "id") ||
      cli__next_value(r, &o) <= 0)
    return 1;
  int rc = id_print(r->v, o);
  json_decref(o);
  return rc;
}
