/* SPDX-License-Identifier: BSD-3-Clause */
/* The kernel side of the HTTP probes' tap: flags and sysctls, our addresses, and the policy route through the tap. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <rte_log.h>

#include "tap.h"

#define RTE_LOGTYPE_VOXRELAY RTE_LOGTYPE_USER1
#define NL_BUF 512

struct nl_msg {
	struct nlmsghdr h;
	uint8_t body[NL_BUF];
};

static void nl_put(struct nl_msg *m, uint16_t type, const void *data, size_t len)
{
	uint8_t *base = (uint8_t *)m;
	struct rtattr *a = (struct rtattr *)(base + NLMSG_ALIGN(m->h.nlmsg_len));

	/* The callers add a handful of small attributes; never past the buffer. */
	if (NLMSG_ALIGN(m->h.nlmsg_len) + RTA_SPACE(len) > sizeof(*m))
		return;
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Send one request and wait for its acknowledgement: 0 or the kernel's -errno. */
static int nl_talk(struct nl_msg *m)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	union {
		struct nlmsghdr h;
		uint8_t b[NL_BUF + 64];
	} ack;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), rc;
	ssize_t n;

	if (fd < 0)
		return -errno;
	m->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	m->h.nlmsg_seq = 1;
	if (sendto(fd, m, m->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		rc = -errno;
		goto out;
	}
	n = recv(fd, &ack, sizeof(ack), 0);
	if (n < 0)
		rc = -errno;
	else if ((size_t)n < NLMSG_LENGTH(sizeof(struct nlmsgerr)) || ack.h.nlmsg_type != NLMSG_ERROR)
		rc = -EPROTO;
	else
		rc = ((struct nlmsgerr *)NLMSG_DATA(&ack.h))->error;
out:
	close(fd);
	return rc;
}

static void *nl_start(struct nl_msg *m, uint16_t type, uint16_t flags, size_t hdr)
{
	memset(m, 0, sizeof(*m));
	m->h.nlmsg_len = (uint32_t)NLMSG_LENGTH(hdr);
	m->h.nlmsg_type = type;
	m->h.nlmsg_flags = flags;
	return NLMSG_DATA(&m->h);
}

/* Our address as /32 or /128; no DAD, so it is usable at once (a tentative address cannot be bound). */
static int add_addr(int ifindex, int family, const void *addr)
{
	struct nl_msg m;
	struct ifaddrmsg *ifa = nl_start(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, sizeof(*ifa));
	size_t alen = family == AF_INET ? 4 : 16;

	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = (uint8_t)(alen * 8);
	ifa->ifa_flags = IFA_F_NODAD | IFA_F_PERMANENT;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	nl_put(&m, IFA_LOCAL, addr, alen);
	nl_put(&m, IFA_ADDRESS, addr, alen);
	return nl_talk(&m);
}

/* "default dev <tap>" in our table: what the policy rule sends probes to. */
static int add_route(int ifindex, int family)
{
	struct nl_msg m;
	struct rtmsg *r = nl_start(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, sizeof(*r));
	uint32_t table = VR_TAP_ROUTE_TABLE, oif = (uint32_t)ifindex;

	r->rtm_family = (uint8_t)family;
	r->rtm_table = RT_TABLE_UNSPEC;
	r->rtm_protocol = RTPROT_STATIC;
	r->rtm_scope = RT_SCOPE_LINK;
	r->rtm_type = RTN_UNICAST;
	nl_put(&m, RTA_TABLE, &table, sizeof(table));
	nl_put(&m, RTA_OIF, &oif, sizeof(oif));
	return nl_talk(&m);
}

/* "from <our address> lookup VR_TAP_ROUTE_TABLE": only sockets bound to our address use it. */
static int rule(uint16_t type, int family, const void *addr)
{
	struct nl_msg m;
	struct fib_rule_hdr *fr = nl_start(&m, type, type == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0,
					   sizeof(*fr));
	uint32_t table = VR_TAP_ROUTE_TABLE, prio = VR_TAP_RULE_PRIORITY;
	size_t alen = family == AF_INET ? 4 : 16;
	int rc;

	fr->family = (uint8_t)family;
	fr->src_len = (uint8_t)(alen * 8);
	fr->action = FR_ACT_TO_TBL;
	nl_put(&m, FRA_SRC, addr, alen);
	nl_put(&m, FRA_TABLE, &table, sizeof(table));
	nl_put(&m, FRA_PRIORITY, &prio, sizeof(prio));
	rc = nl_talk(&m);
	/* Left by a previous run that did not stop cleanly: the same rule, fine. */
	return rc == -EEXIST ? 0 : rc;
}

static int sysctl_write(const char *family, const char *ifname, const char *key, const char *val)
{
	char path[128];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, ifname, key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int sysctl_read(const char *path)
{
	char buf[16] = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? buf[0] - '0' : -EIO;
}

static int set_flags(const char *ifname, short set)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		rc = -errno;
		goto out;
	}
	ifr.ifr_flags |= set;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		rc = -errno;
out:
	close(fd);
	return rc;
}

int vr_tap_kernel_prepare(const struct vr_tap_kernel *k, char *err, size_t errlen)
{
	int rc, all;

	/* Replies come from the VIP, which is routed elsewhere: strict
	 * reverse-path filtering on the tap would drop every one of them. */
	rc = sysctl_write("ipv4", k->ifname, "rp_filter", "0");
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot set rp_filter to 0: %s", k->ifname, strerror(-rc));
		return rc;
	}
	all = sysctl_read("/proc/sys/net/ipv4/conf/all/rp_filter");
	if (all == 1)
		RTE_LOG(WARNING, VOXRELAY,
			"tap %s: net.ipv4.conf.all.rp_filter is 1 (strict) and the kernel uses the larger of it and the "
			"tap's 0; probe replies pass only through the policy route of table %u (docs/health.md); "
			"set it to 0 or 2 if HTTP probes time out\n",
			k->ifname, VR_TAP_ROUTE_TABLE);
	/* No IPv6 of its own: no link-local address, router solicitations or
	 * DAD probes for the dataplane to drop; none at all without ipv6. */
	if (!k->has_v6) {
		sysctl_write("ipv6", k->ifname, "disable_ipv6", "1");
	} else {
		sysctl_write("ipv6", k->ifname, "addr_gen_mode", "1");
		sysctl_write("ipv6", k->ifname, "accept_ra", "0");
		sysctl_write("ipv6", k->ifname, "router_solicitations", "0");
	}
	/* The dataplane answers ARP for our address on the wire; the kernel
	 * must not ask for the VIP on the tap, it is on the far side of GUE. */
	rc = set_flags(k->ifname, IFF_NOARP);
	if (rc != 0)
		snprintf(err, errlen, "%s: cannot set NOARP: %s", k->ifname, strerror(-rc));
	return rc;
}

int vr_tap_kernel_configure(const struct vr_tap_kernel *k, char *err, size_t errlen)
{
	static const char *const fam_name[2] = {"IPv4", "IPv6"};

	for (int v6 = 0; v6 <= 1; v6++) {
		int family = v6 ? AF_INET6 : AF_INET, rc;
		const void *addr = v6 ? (const void *)k->ipv6 : (const void *)&k->ipv4;
		const char *what = NULL;

		if (!(v6 ? k->has_v6 : k->has_v4))
			continue;
		if ((rc = add_addr(k->ifindex, family, addr)) != 0)
			what = "address";
		else if ((rc = add_route(k->ifindex, family)) != 0)
			what = "route";
		else if ((rc = rule(RTM_NEWRULE, family, addr)) != 0)
			what = "rule";
		if (rc != 0) {
			snprintf(err, errlen, "%s: cannot add the %s %s: %s", k->ifname, fam_name[v6], what, strerror(-rc));
			return rc;
		}
	}
	return set_flags(k->ifname, IFF_UP | IFF_NOARP);
}

void vr_tap_kernel_teardown(const struct vr_tap_kernel *k)
{
	/* Addresses and routes go with the interface; the rules would stay. */
	if (k->has_v4)
		rule(RTM_DELRULE, AF_INET, &k->ipv4);
	if (k->has_v6)
		rule(RTM_DELRULE, AF_INET6, k->ipv6);
}
