/* SPDX-License-Identifier: BSD-3-Clause */
/* Builds the EAL command line from the YAML configuration and initialises EAL. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "dp.h"
#include "steer.h"

#define MAX_ARGS (16 + 2 * VR_CFG_MAX_PORTS + VR_CFG_MAX_EAL_ARGS)

/* A PCI address is [DDDD:]BB:DD.F; anything else is a vdev string. */
static bool is_pci(const char *dev)
{
	unsigned int a, b, c, d;
	char tail;

	return sscanf(dev, "%x:%x:%x.%x%c", &a, &b, &c, &d, &tail) == 4 ||
	       sscanf(dev, "%x:%x.%x%c", &a, &b, &c, &tail) == 3;
}

int vr_dp_eal_init(const struct vr_config *cfg, const char *prog)
{
	static char lcores[16 * VR_CFG_MAX_LCORES], main_lcore[16], mem[16];
	/* a steering port's device with ",xdp_prog=PATH" (steer.h) */
	static char devargs[VR_CFG_MAX_PORTS][VR_CFG_DEVICE_LEN + 16 + PATH_MAX];
	char *argv[MAX_ARGS];
	int argc = 0;
	bool any_pci = false;
	size_t off;

	argv[argc++] = (char *)prog;
	argv[argc++] = "--file-prefix";
	argv[argc++] = (char *)cfg->file_prefix;
	off = (size_t)snprintf(lcores, sizeof(lcores), "%u", cfg->main_lcore);
	for (uint32_t i = 0; i < cfg->nb_workers && off < sizeof(lcores); i++)
		off += (size_t)snprintf(lcores + off, sizeof(lcores) - off, ",%u", cfg->worker_lcores[i]);
	argv[argc++] = "-l";
	argv[argc++] = lcores;
	snprintf(main_lcore, sizeof(main_lcore), "%u", cfg->main_lcore);
	argv[argc++] = "--main-lcore";
	argv[argc++] = main_lcore;
	if (!cfg->huge)
		argv[argc++] = "--no-huge";
	if (cfg->memory_mb > 0) {
		snprintf(mem, sizeof(mem), "%u", cfg->memory_mb);
		argv[argc++] = "-m";
		argv[argc++] = mem;
	}
	for (uint32_t i = 0; i < cfg->nb_ports; i++) {
		bool pci = is_pci(cfg->ports[i].device);
		int rc = vr_dp_steer_devargs(&cfg->ports[i], devargs[i], sizeof(devargs[i]));

		if (rc != 0)
			return rc;
		any_pci |= pci;
		argv[argc++] = pci ? "-a" : "--vdev";
		argv[argc++] = devargs[i];
	}
	if (!any_pci)
		argv[argc++] = "--no-pci";
	for (uint32_t i = 0; i < cfg->nb_eal_args; i++)
		argv[argc++] = cfg->eal_args[i];
	argv[argc] = NULL;
	return rte_eal_init(argc, argv) < 0 ? -rte_errno : 0;
}
