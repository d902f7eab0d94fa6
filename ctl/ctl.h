/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelayctl's parts: command line to request, socket exchange, response check, output; the I/O is kept apart so the rest is testable. */
#ifndef VOXRELAY_CTL_CTL_H
#define VOXRELAY_CTL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#define VR_CTL_PROG "voxrelayctl"
#define VR_CTL_DEFAULT_SOCKET "/run/voxrelay/dp.sock"
#define VR_CTL_SOCKET_ENV "VOXRELAY_SOCKET"
#define VR_CTL_DEFAULT_TIMEOUT_MS 10000u
/* --timeout accepts up to an hour: anything longer is a typo, not a wait. */
#define VR_CTL_MAX_TIMEOUT_MS 3600000u
/* The dataplane reads request lines of up to 1 MiB; its answers can be
 * longer (a conntrack list of 10000 entries is about 1.7 MB), so the client
 * allows more before it calls the answer broken. */
#define VR_CTL_MAX_RESPONSE (16u << 20)
/* One request per connection: a constant id is enough to tell our answer
 * from a confused peer's. */
#define VR_CTL_REQUEST_ID 1
/* Room for any message these functions write. */
#define VR_CTL_ERR_LEN 512

/* Exit codes (docs/control.md). */
#define VR_CTL_EXIT_OK 0
#define VR_CTL_EXIT_REFUSED 1     /* the dataplane said no; its code and message on stderr */
#define VR_CTL_EXIT_USAGE 2       /* bad arguments; the command's usage on stderr */
#define VR_CTL_EXIT_UNREACHABLE 3 /* no connection: the request was certainly not delivered */
#define VR_CTL_EXIT_PROTOCOL 4    /* connected, but no answer in time or not a valid one */

/* The options that come before the command word. */
struct vr_ctl_opts {
	const char *socket;  /* -s, else $VOXRELAY_SOCKET, else the default */
	unsigned timeout_ms; /* --timeout, for the whole exchange */
	bool json;           /* --json: print the result as JSON */
	bool help;           /* -h/--help */
	int cmd_index;       /* argv index of the command word (argc when there is none) */
};

/*
 * Parses the global options of argv (argv[0] is the program) up to the
 * first non-option, which is the command. Returns 0, or -EINVAL with a
 * one-line reason in err (no program prefix). A missing command is an
 * error unless --help was given.
 */
int vr_ctl_parse_options(int argc, char **argv, struct vr_ctl_opts *o, char *err, size_t errlen);

/*
 * Builds the request object {"op", "args"} (no "id": the caller adds it)
 * for one command line; argv[0] is the first command word ("vip", "stats",
 * ...). Every argument is checked here (addresses are IP literals, ports
 * 1..65535, ...) so that a typo never reaches the dataplane; values the user
 * did not give are left out, for the dataplane's defaults to apply.
 * Returns NULL with errno EINVAL and a reason in err naming the bad
 * argument (prefixed by the command words), or errno ENOMEM. A key
 * (member add --tx-key/--rx-key) is never written in err, nor is any word
 * of that command that could be one or a piece of one.
 * argv is not reordered.
 */
json_t *vr_ctl_build_request(int argc, char **argv, char *err, size_t errlen);

/*
 * Whether the command line asks for its usage (-h or --help among its
 * arguments, before any "--").
 */
bool vr_ctl_wants_help(int argc, char **argv);

/*
 * Prints the usage of the command that argv (from its first word) names:
 * one line for a full command, every subcommand for a known first word
 * alone or with an unknown second one, every command otherwise.
 */
void vr_ctl_usage(FILE *f, int argc, char **argv);

/* Prints the whole help text: every command, the options, the exit codes. */
void vr_ctl_help(FILE *f);

/*
 * One exchange with the dataplane: connects to the UNIX socket at path,
 * writes req (a whole line, newline included) and reads one answer line,
 * all within timeout_ms. On success *line holds the answer without its
 * newline, NUL-terminated (free() it), and *len its length.
 * Returns 0 or -errno with a message in err: -ENAMETOOLONG, the connect
 * errors, -ETIMEDOUT, -ECONNRESET or -EPIPE (closed without answering),
 * -EPROTO (closed in the middle of a line), -EMSGSIZE (an answer line over
 * VR_CTL_MAX_RESPONSE). *connected tells whether the
 * connection was made, that is whether the request may have been read.
 */
int vr_ctl_exchange(const char *path, unsigned timeout_ms, const char *req, size_t reqlen, char **line,
		    size_t *len, bool *connected, char *err, size_t errlen);

/* An answer line, checked for the shape docs/control.md gives it. */
struct vr_ctl_response {
	json_t *root;        /* the whole answer; owns what follows */
	bool ok;
	json_t *result;      /* ok: an object */
	const char *code;    /* refused: the errno name */
	const char *message; /* refused: "" when the dataplane gave none */
};

/*
 * Parses one answer line of len bytes (untrusted: anything may come in).
 * Returns 0 for a well-formed success or refusal, -EPROTO with a reason in
 * err for anything else (not JSON, not an object, another request's id, no
 * "ok", a success without a "result" object, a refusal without an "error"
 * code); r is then cleared. The answer's "id" may be absent, else it must be
 * the integer id.
 */
int vr_ctl_parse_response(const char *line, size_t len, json_int_t id, struct vr_ctl_response *r, char *err,
			  size_t errlen);

/* Releases what vr_ctl_parse_response holds; r may be NULL or cleared. */
void vr_ctl_response_clear(struct vr_ctl_response *r);

/*
 * Prints a result for people: aligned tables for vip.list, maglev.shares,
 * stats, conntrack.list, room.list, room.show and relay.slowpath, one line
 * for changes. request is what was sent (op, and args to name the VIP,
 * backend or member address the result does not repeat).
 * Strings from the dataplane are printed with control characters replaced.
 * Returns 0, -EPROTO with a reason in err when the result lacks what the op
 * promises (what was printed so far stays printed), or -ENOMEM.
 */
int vr_ctl_render(FILE *out, const json_t *request, const json_t *result, char *err, size_t errlen);

/* Prints result as indented JSON and a newline. Returns 0 or -EIO. */
int vr_ctl_render_json(FILE *out, const json_t *result);

/* Prints a refusal as "CODE: message" and a newline, control characters replaced. */
void vr_ctl_render_refusal(FILE *out, const struct vr_ctl_response *r);

#endif
