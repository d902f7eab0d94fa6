/* SPDX-License-Identifier: BSD-3-Clause */
/* The Lua scripts voxrelay-cp runs in Redis: each keeps one change atomic (append and publish, check and modify) in one round trip. */
#include "store.h"

/*
 * Keys (docs/protocol.md, "Redis data model"): vr:chat:<cid>:s the chat's
 * stream (fields k = m|e|d, u = user, c = content, t = target of e/d),
 * vr:chat:<cid>:e latest edit or deletion per message id ("e<ms>:<text>"
 * or "d"), vr:chat:<cid>:meta, vr:chat:<cid>:members, vr:user:<uid>:chats,
 * vr:presence:<uid> (a hash: process id -> its status of the user, expiring
 * unless heartbeats refresh it), vr:session:<sid>. Pub/sub payloads are "<user to skip>\n<frame>".
 */

/* KEYS stream; ARGV maxlen, channel, kind, user, content, frame template, skip.
 * The template's first @ID@ and @TS@ become the entry's id and its ms, so
 * every process and the resume path report the same id and time. */
static const char append_lua[] =
	"local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'k', ARGV[3], 'u', ARGV[4], 'c', ARGV[5])\n"
	"local ts = string.match(id, '^(%d+)')\n"
	"local f = string.gsub(ARGV[6], '@ID@', id, 1)\n"
	"f = string.gsub(f, '@TS@', ts, 1)\n"
	"redis.call('PUBLISH', ARGV[2], ARGV[7] .. '\\n' .. f)\n"
	"return id\n";

/* KEYS stream, edits; ARGV maxlen, channel, kind (e|d), user, target, content, template. */
static const char modify_lua[] =
	"local e = redis.call('XRANGE', KEYS[1], ARGV[5], ARGV[5])\n"
	"if #e == 0 then return redis.error_reply('NOT_FOUND') end\n"
	"local f = e[1][2]\n"
	"local k, u\n"
	"for i = 1, #f, 2 do if f[i] == 'k' then k = f[i + 1] elseif f[i] == 'u' then u = f[i + 1] end end\n"
	"if k ~= 'm' then return redis.error_reply('NOT_FOUND') end\n"
	"if u ~= ARGV[4] then return redis.error_reply('FORBIDDEN') end\n"
	"local prev = redis.call('HGET', KEYS[2], ARGV[5])\n"
	"if prev and string.sub(prev, 1, 1) == 'd' then return redis.error_reply('NOT_FOUND') end\n"
	"local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'k', ARGV[3], 'u', ARGV[4], 't', ARGV[5], 'c', ARGV[6])\n"
	"local ts = string.match(id, '^(%d+)')\n"
	"if ARGV[3] == 'e' then redis.call('HSET', KEYS[2], ARGV[5], 'e' .. ts .. ':' .. ARGV[6])\n"
	"else redis.call('HSET', KEYS[2], ARGV[5], 'd') end\n"
	"local out = string.gsub(ARGV[7], '@ID@', id, 1)\n"
	"out = string.gsub(out, '@TS@', ts, 1)\n"
	"redis.call('PUBLISH', ARGV[2], '\\n' .. out)\n"
	"return id\n";

/* KEYS stream, edits; ARGV cursor ('+' or '(' .. id), limit. Returns
 * {{id, user, content, edited_ms or ''}, ...} newest first. Edit and
 * delete entries are skipped; the scan is bounded so a page costs at most
 * 20 x limit entries. */
static const char history_lua[] =
	"local out = {}\n"
	"local cursor = ARGV[1]\n"
	"local limit = tonumber(ARGV[2])\n"
	"local scanned = 0\n"
	"while #out < limit and scanned < limit * 20 do\n"
	"  local batch = redis.call('XREVRANGE', KEYS[1], cursor, '-', 'COUNT', limit * 2)\n"
	"  if #batch == 0 then break end\n"
	"  for _, e in ipairs(batch) do\n"
	"    scanned = scanned + 1\n"
	"    local id, f = e[1], e[2]\n"
	"    cursor = '(' .. id\n"
	"    local k, u, c\n"
	"    for i = 1, #f, 2 do\n"
	"      if f[i] == 'k' then k = f[i + 1] elseif f[i] == 'u' then u = f[i + 1] elseif f[i] == 'c' then c = f[i + 1] end\n"
	"    end\n"
	"    if k == 'm' then\n"
	"      local ed = redis.call('HGET', KEYS[2], id)\n"
	"      if not ed then table.insert(out, {id, u, c, ''})\n"
	"      elseif string.sub(ed, 1, 1) == 'e' then\n"
	"        local p = string.find(ed, ':', 2, true)\n"
	"        table.insert(out, {id, u, string.sub(ed, p + 1), string.sub(ed, 2, p - 1)})\n"
	"      end\n"
	"      if #out >= limit then break end\n"
	"    end\n"
	"  end\n"
	"end\n"
	"return out\n";

/* KEYS meta, members, user's chats; ARGV cid, uid, create (1|0), name, type, now ms.
 * Returns {added (0|1), meta as a flat array, member count}. */
static const char join_lua[] =
	"if redis.call('EXISTS', KEYS[1]) == 0 then\n"
	"  if ARGV[3] ~= '1' then return redis.error_reply('NOT_FOUND') end\n"
	"  redis.call('HSET', KEYS[1], 'name', ARGV[4], 'type', ARGV[5], 'owner', ARGV[2], 'created', ARGV[6])\n"
	"end\n"
	"local added = redis.call('SADD', KEYS[2], ARGV[2])\n"
	"redis.call('SADD', KEYS[3], ARGV[1])\n"
	"return {added, redis.call('HGETALL', KEYS[1]), redis.call('SCARD', KEYS[2])}\n";

/* KEYS user's chats. Returns {{cid, meta flat array, member count}, ...}. */
static const char list_lua[] =
	"local out = {}\n"
	"for _, cid in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
	"  local m = redis.call('HGETALL', 'vr:chat:' .. cid .. ':meta')\n"
	"  if #m > 0 then table.insert(out, {cid, m, redis.call('SCARD', 'vr:chat:' .. cid .. ':members')}) end\n"
	"end\n"
	"return out\n";

/* KEYS members. Returns {{uid, status}, ...}: online if any process has the
 * user online, else idle if any has it idle, else offline. */
static const char presence_lua[] =
	"local out = {}\n"
	"for _, uid in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
	"  local st = 'offline'\n"
	"  for _, v in ipairs(redis.call('HVALS', 'vr:presence:' .. uid)) do\n"
	"    if v == 'online' then st = 'online' elseif v == 'idle' and st == 'offline' then st = 'idle' end\n"
	"  end\n"
	"  table.insert(out, {uid, st})\n"
	"end\n"
	"return out\n";

const char *vr_cp_script_text(enum vr_cp_script id)
{
	switch (id) {
	case VR_CP_SCRIPT_APPEND:
		return append_lua;
	case VR_CP_SCRIPT_MODIFY:
		return modify_lua;
	case VR_CP_SCRIPT_HISTORY:
		return history_lua;
	case VR_CP_SCRIPT_JOIN:
		return join_lua;
	case VR_CP_SCRIPT_LIST:
		return list_lua;
	case VR_CP_SCRIPT_PRESENCE:
		return presence_lua;
	default:
		return "return nil";
	}
}
