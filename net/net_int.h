/*
 * net_int.h — what the files of net/ share and nothing else includes: the
 * protobuf-c allocator that routes through tr_malloc(), so that protobuf
 * decoding obeys the swappable allocator (and its failure tests).
 */
#ifndef NET_INT_H
#define NET_INT_H

#include <protobuf-c/protobuf-c.h>

extern ProtobufCAllocator net__pb_mem;

#endif /* NET_INT_H */
