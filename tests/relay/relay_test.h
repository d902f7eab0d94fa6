/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the relay tests: tests/packet's checks and guard pages, plus the reproducible random stream (vr_splitmix64). */
#ifndef VR_TESTS_RELAY_RELAY_TEST_H
#define VR_TESTS_RELAY_RELAY_TEST_H

#include "voxrelay/common.h"
#include "voxrelay/splitmix.h"

#include "../packet/testutil.h"

#endif
