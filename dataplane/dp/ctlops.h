/* SPDX-License-Identifier: BSD-3-Clause */
/* What the control operations (ctlops*.c) share: the reply being built, argument readers, the batch of changes. */
#ifndef VOXRELAY_DP_CTLOPS_H
#define VOXRELAY_DP_CTLOPS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "dp.h"

/** The answer an operation builds: a result object, or an error message. */
struct ctl_reply {
	json_t *result;
	char msg[VR_CFG_ERR_LEN];
};

/** Format @fmt into @r's message and return @rc (a negative errno). */
int vr_ctl_fail(struct ctl_reply *r, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Argument readers: 0 or -EINVAL with the reason in @r. */
int vr_ctl_arg_addr(json_t *args, const char *key, struct vr_addr *a, struct ctl_reply *r);
/** An optional integer @min..@max; *@given says whether it was there. */
int vr_ctl_arg_uint(json_t *args, const char *key, uint32_t min, uint32_t max, uint32_t *out, bool *given,
		    struct ctl_reply *r);
/** Index of the VIP of @cfg named by "vip" and any port of its range "port", or -EINVAL/-ENOENT. */
int vr_ctl_cfg_vip(const struct vr_config *cfg, json_t *args, struct ctl_reply *r);
/** Id of the running state's VIP named by "vip" and "port", or -EINVAL/-ENOENT. */
int vr_ctl_state_vip(struct vr_dp *dp, json_t *args, struct ctl_reply *r);

/** What a deferred change answers with once its batch is committed. */
enum ctl_change_kind { CTL_VIP_ADD, CTL_VIP_REMOVE, CTL_BACKEND_ADD, CTL_BACKEND_REMOVE, CTL_BACKEND_SET };

/** A change accepted into the batch, waiting for its commit. */
struct ctl_change {
	uint8_t kind;          /**< enum ctl_change_kind */
	struct vr_addr vip;    /**< the VIP's address and first port */
	uint16_t port;
	struct vr_addr backend;
	bool with_flows;       /**< the answer counts the backend's live flows ("flows": true) */
	json_t *id;            /**< the request's id (a reference), or NULL */
	char **answer;         /**< the server's slot for the answer */
};

/**
 * The configuration to edit: the batch's if changes are pending, else the
 * running one. Changes edit a copy of it (vr_ctl_config_copy()).
 */
const struct vr_config *vr_ctl_config(struct vr_dp *dp);

/** A copy of @cfg to edit (dump and parse back); NULL with errno and the reason in @r. */
struct vr_config *vr_ctl_config_copy(const struct vr_config *cfg, struct ctl_reply *r);

/**
 * Check @edited by every rule of the configuration file and, if it passes,
 * make it the batch's configuration; the change's answer waits for the
 * commit. Takes ownership of @edited.
 * @return 1 (deferred) or -errno with the reason in @r.
 */
int vr_ctl_stage(struct vr_dp *dp, struct vr_config *edited, const struct ctl_change *ch, struct ctl_reply *r);

/**
 * The batch's own configuration, to edit in place (a clone of the running
 * one if nothing is staged yet): for changes whose every rule the request
 * parser checks itself. NULL with errno ENOMEM.
 */
struct vr_config *vr_ctl_batch_config(struct vr_dp *dp);

/** Stage a change already made in vr_ctl_batch_config(); returns 1 (deferred). */
int vr_ctl_stage_edited(struct vr_dp *dp, const struct ctl_change *ch);

/* Operations: 0 with r->result set, 1 when staged (vr_ctl_stage), or -errno. */
int vr_ctl_op_vip_add(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_vip_remove(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_backend_add(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_backend_remove(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_backend_set(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_ping(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_vip_list(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_maglev_shares(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_stats(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_reload(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_health_list(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_state_history(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_conntrack_list(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_conntrack_flush(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
/* relay_ctl.c, relay_slow.c: role relay */
int vr_ctl_op_room_add(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_room_remove(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_room_list(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_room_show(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_member_add(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_member_remove(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_member_set(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);
int vr_ctl_op_relay_slowpath(struct vr_dp *dp, json_t *args, struct ctl_reply *r, struct ctl_change *ch);

#endif
