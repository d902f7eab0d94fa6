/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: any input either loads (and survives a dump/parse round trip) or fails with one clean line. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxrelay/config.h"

/* The dump of an accepted configuration must parse back to the same dump:
 * anything else means the parser accepted something it cannot represent. */
static void check_roundtrip(const struct vr_config *cfg)
{
	char *d1 = NULL, *d2 = NULL, err[VR_CFG_ERR_LEN];
	size_t n1 = 0, n2 = 0;
	FILE *f = open_memstream(&d1, &n1);

	if (!f)
		return;
	if (vr_config_dump(cfg, f))
		abort();
	fclose(f);
	struct vr_config *again = vr_config_parse("dump", d1, n1, err, sizeof(err));
	if (!again) {
		fprintf(stderr, "dump does not parse back: %s\n%s", err, d1);
		abort();
	}
	f = open_memstream(&d2, &n2);
	if (f) {
		vr_config_dump(again, f);
		fclose(f);
		if (n1 != n2 || memcmp(d1, d2, n1)) {
			fprintf(stderr, "dump changed:\n%s---\n%s", d1, d2);
			abort();
		}
	}
	vr_config_free(again);
	free(d1);
	free(d2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[VR_CFG_ERR_LEN];
	struct vr_config *cfg;

	errno = 0;
	cfg = vr_config_parse("fuzz", (const char *)data, size, err, sizeof(err));
	if (!cfg) {
		/* a rejection is one line naming the input, with a position */
		if (errno != EINVAL || strncmp(err, "fuzz:", 5) != 0 || strchr(err, '\n')) {
			fprintf(stderr, "bad rejection (errno %d): %s\n", errno, err);
			abort();
		}
		return 0;
	}
	check_roundtrip(cfg);
	vr_config_free(cfg);
	return 0;
}
