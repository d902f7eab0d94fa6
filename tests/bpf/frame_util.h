/* SPDX-License-Identifier: BSD-3-Clause */
/* Header writers shared by the BPF fixtures (decap, steer): Internet checksums, big-endian fields, addresses, Ethernet. */
#ifndef VOXRELAY_TEST_FRAME_UTIL_H
#define VOXRELAY_TEST_FRAME_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Addresses every fixture set uses (documentation ranges, RFC 5737 / RFC 3849): a client, a VIP, an address that is no VIP. */
#define CLIENT4 "198.51.100.7"
#define CLIENT6 "2001:db8:77::7"
#define VIP4 "203.0.113.10"
#define VIP6 "2001:db8:10::10"
#define OTHER4 "203.0.113.99"
#define OTHER6 "2001:db8:10::99"

/* 802.1Q tag of the fixtures that carry one. */
#define VLAN_TCI 100

/* Ethernet addresses of every fixture frame: to the host, from its neighbour. */
extern const uint8_t mac_dst[6];
extern const uint8_t mac_src[6];

/* Adds @n bytes at @p as big-endian 16-bit words to the one's-complement sum @sum (RFC 1071). */
uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n);
/* Folds @sum to 16 bits and complements it: the checksum field's value. */
uint16_t csum_fold(uint32_t sum);
/* Writes @v big-endian at @p. */
void put16(uint8_t *p, uint16_t v);
/* Reads a big-endian 16-bit value at @p. */
uint16_t get16(const uint8_t *p);
/* Writes IPv4 (@v6 0, 4 bytes) or IPv6 (16 bytes) address text @s to @out; exits 2 on a bad fixture address. */
void addr(const char *s, int v6, uint8_t *out);
/* Recomputes the header checksum of the IPv4 header at @ip (its IHL, at least 20 bytes). */
void ipv4_fix_csum(uint8_t *ip);
/*
 * Recomputes the @proto checksum of the @len-byte L4 segment @l4, whose IP
 * header (IPv4 or IPv6, by its version) is @ip, with the pseudo header of
 * RFC 768 / RFC 8200 8.1; the field is at offset @ck. UDP's 0 goes out as
 * 0xffff.
 */
void l4_fix_csum(const uint8_t *ip, uint8_t proto, uint8_t *l4, size_t len, size_t ck);
/* Ethernet header (with one 802.1Q tag VLAN_TCI if @vlan) of ethertype @type; returns its length. */
size_t put_eth(uint8_t *p, int vlan, uint16_t type);

#endif
