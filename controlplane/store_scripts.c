/* SPDX-License-Identifier: BSD-3-Clause */
/* The Lua scripts voxrelay-cp runs in Redis: each keeps one change atomic (append and publish, check and modify, place a voice room) in one round trip; their error replies mapped to protocol errors. */
#include <string.h>

#include "store.h"

/*
 * Keys (docs/protocol.md, "Redis data model"): vr:chat:<cid>:s the chat's
 * stream (fields k = m|e|d, u = user, c = content, t = target of e/d),
 * vr:chat:<cid>:e latest edit or deletion per message id ("e<ms>:<text>"
 * or "d"), vr:chat:<cid>:meta, vr:chat:<cid>:members, vr:user:<uid>:chats,
 * vr:presence:<uid> (a hash: process id -> "<status>:<expiry ms>", each
 * field with its own expiry in Redis time), vr:session:<sid>. Chat
 * pub/sub payloads are "<user to skip>\n<stream id or nothing>\n<frame>".
 */

/* KEYS stream; ARGV maxlen, channel, kind, user, content, frame template (published to every member, sender included).
 * The template's first @ID@ and @TS@ become the entry's id and its ms, so
 * every process and the resume path report the same id and time. */
static const char append_lua[] =
	"local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'k', ARGV[3], 'u', ARGV[4], 'c', ARGV[5])\n"
	"local ts = string.match(id, '^(%d+)')\n"
	"local f = string.gsub(ARGV[6], '@ID@', id, 1)\n"
	"f = string.gsub(f, '@TS@', ts, 1)\n"
	"redis.call('PUBLISH', ARGV[2], '\\n' .. id .. '\\n' .. f)\n"
	"return id\n";

/* KEYS stream, edits; ARGV maxlen, channel, kind (e|d), user, target, content, template.
 * The edits hash only grows here: once it holds more than twice as many
 * fields as the stream has entries, the fields of messages the stream no
 * longer has (ids before its first) go; so the cost is amortized. */
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
	"if redis.call('HLEN', KEYS[2]) > 2 * redis.call('XLEN', KEYS[1]) then\n"
	"  local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)\n"
	"  local fm, fs = string.match(first[1][1], '^(%d+)-(%d+)$')\n"
	"  fm, fs = tonumber(fm), tonumber(fs)\n"
	"  for _, mid in ipairs(redis.call('HKEYS', KEYS[2])) do\n"
	"    local m, s = string.match(mid, '^(%d+)-(%d+)$')\n"
	"    m, s = tonumber(m), tonumber(s)\n"
	"    if not m or m < fm or (m == fm and s < fs) then redis.call('HDEL', KEYS[2], mid) end\n"
	"  end\n"
	"end\n"
	"local out = string.gsub(ARGV[7], '@ID@', id, 1)\n"
	"out = string.gsub(out, '@TS@', ts, 1)\n"
	"redis.call('PUBLISH', ARGV[2], '\\n' .. id .. '\\n' .. out)\n"
	"return id\n";

/* KEYS stream, edits; ARGV cursor ('+' or '(' .. id), limit. Returns
 * {{{id, user, content, edited_ms or ''}, ...} newest first, next}. Edit and
 * delete entries are skipped; the scan is bounded so a page costs at most
 * about 20 x limit entries: when it stops there short of limit messages,
 * next is the last id scanned (where the next page starts), else ''. */
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
	"local nxt = ''\n"
	"if #out < limit and scanned >= limit * 20 then nxt = string.sub(cursor, 2) end\n"
	"return {out, nxt}\n";

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

/* KEYS members, user's chats, meta, stream, edits; ARGV uid, cid. The last
 * member out deletes the chat: nobody could read it again. Returns the
 * members left. */
static const char leave_lua[] =
	"redis.call('SREM', KEYS[1], ARGV[1])\n"
	"redis.call('SREM', KEYS[2], ARGV[2])\n"
	"local n = redis.call('SCARD', KEYS[1])\n"
	"if n == 0 then redis.call('DEL', KEYS[1], KEYS[3], KEYS[4], KEYS[5]) end\n"
	"return n\n";

/* KEYS user's chats. Returns {{cid, meta flat array, member count}, ...}. */
static const char list_lua[] =
	"local out = {}\n"
	"for _, cid in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
	"  local m = redis.call('HGETALL', 'vr:chat:' .. cid .. ':meta')\n"
	"  if #m > 0 then table.insert(out, {cid, m, redis.call('SCARD', 'vr:chat:' .. cid .. ':members')}) end\n"
	"end\n"
	"return out\n";

/* Redis's clock in ms: every process's presence expiries are compared with it, not with their own clocks. */
#define NOW_MS_LUA                                                                  \
	"local t = redis.call('TIME')\n"                                               \
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

/* KEYS members. Returns {{uid, status}, ...}: online if any process has the
 * user online, else idle if any has it idle, else offline; expired fields
 * (a process that died) count for nothing. */
static const char presence_lua[] =
	NOW_MS_LUA
	"local out = {}\n"
	"for _, uid in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
	"  local st = 'offline'\n"
	"  for _, v in ipairs(redis.call('HVALS', 'vr:presence:' .. uid)) do\n"
	"    local s, exp = string.match(v, '^(%a+):(%d+)$')\n"
	"    if s and tonumber(exp) > now then\n"
	"      if s == 'online' then st = 'online' elseif s == 'idle' and st == 'offline' then st = 'idle' end\n"
	"    end\n"
	"  end\n"
	"  table.insert(out, {uid, st})\n"
	"end\n"
	"return out\n";

/* KEYS presence; ARGV process id, status, ttl ms, payload to PUBLISH on
 * vr:presence ('' none). Writes "<status>:<now + ttl>", drops other
 * processes' expired fields, and keeps the key at least as long as the
 * field (the key's own expiry only collects a hash nobody refreshes). */
static const char presence_set_lua[] =
	NOW_MS_LUA
	"local ttl = tonumber(ARGV[3])\n"
	"local kv = redis.call('HGETALL', KEYS[1])\n"
	"for i = 1, #kv, 2 do\n"
	"  local exp = tonumber(string.match(kv[i + 1], ':(%d+)$'))\n"
	"  if kv[i] ~= ARGV[1] and (not exp or exp <= now) then redis.call('HDEL', KEYS[1], kv[i]) end\n"
	"end\n"
	"redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. string.format('%d', now + ttl))\n"
	"if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end\n"
	"if ARGV[4] ~= '' then redis.call('PUBLISH', 'vr:presence', ARGV[4]) end\n"
	"return 1\n";

/* KEYS presence; ARGV process id, offline payload. Drops this process's
 * field and the expired ones; with no live field left, publishes the
 * payload (the user is offline everywhere). Returns the live fields. */
static const char presence_gone_lua[] =
	NOW_MS_LUA
	"redis.call('HDEL', KEYS[1], ARGV[1])\n"
	"local live = 0\n"
	"local kv = redis.call('HGETALL', KEYS[1])\n"
	"for i = 1, #kv, 2 do\n"
	"  local exp = tonumber(string.match(kv[i + 1], ':(%d+)$'))\n"
	"  if exp and exp > now then live = live + 1 else redis.call('HDEL', KEYS[1], kv[i]) end\n"
	"end\n"
	"if live == 0 then redis.call('PUBLISH', 'vr:presence', ARGV[2]) end\n"
	"return live\n";

/*
 * Voice join: KEYS voice_member:<uid>; ARGV uid, room, ssrc, member id, h
 * (where the port search starts), n, then n x (vip, lo, hi): the dst-port
 * VIPs with their ranges laid end to end. A room without a place claims
 * the first port from h on (mod the total) that no other chat's room holds
 * (voice_port:<vip>:<port>, SET NX), so two chats never share a relay
 * room. Returns {vip, port, [members], fresh}; errors IN_VOICE (the user
 * is in a room: leave first), NO_PORT, TAKEN (SSRC or member id already in
 * the room: draw again).
 */
static const char voice_claim_lua[] =
	"local uid, room, ssrc, mid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]\n"
	"if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('IN_VOICE') end\n"
	"local rk, fresh = 'voice_room:' .. room, 0\n"
	"local vip, port = redis.call('HGET', rk, 'vip'), redis.call('HGET', rk, 'port')\n"
	"if not vip then\n"
	"  local h, n, total = tonumber(ARGV[5]), tonumber(ARGV[6]), 0\n"
	"  for i = 0, n - 1 do total = total + tonumber(ARGV[9 + 3 * i]) - tonumber(ARGV[8 + 3 * i]) + 1 end\n"
	"  for t = 0, math.min(total, 256) - 1 do\n"
	"    local idx, cv, cp = (h + t) % total, nil, nil\n"
	"    for i = 0, n - 1 do\n"
	"      local lo, hi = tonumber(ARGV[8 + 3 * i]), tonumber(ARGV[9 + 3 * i])\n"
	"      if idx <= hi - lo then cv, cp = ARGV[7 + 3 * i], string.format('%d', lo + idx) break end\n"
	"      idx = idx - (hi - lo + 1)\n"
	"    end\n"
	"    if redis.call('SET', 'voice_port:' .. cv .. ':' .. cp, room, 'NX') then vip, port = cv, cp break end\n"
	"  end\n"
	"  if not vip then return redis.error_reply('NO_PORT') end\n"
	"  redis.call('HSET', rk, 'vip', vip, 'port', port)\n"
	"  fresh = 1\n"
	"end\n"
	"for _, v in ipairs(redis.call('HVALS', rk)) do\n"
	"  local s, m = string.match(v, '^(%d+) (%d+)$')\n"
	"  if s == ssrc or m == mid then return redis.error_reply('TAKEN') end\n"
	"end\n"
	"redis.call('SET', KEYS[1], room)\n"
	"redis.call('SADD', 'voice_members:' .. room, uid)\n"
	"redis.call('HSET', rk, 'u:' .. uid, ssrc .. ' ' .. mid)\n"
	"return {vip, port, redis.call('SMEMBERS', 'voice_members:' .. room), fresh}\n";

/*
 * Voice leave: KEYS voice_member:<uid>; ARGV uid, the room expected (""
 * any). nil if the user is in no room (or another one); else
 * {room, "<ssrc> <member id>", vip, port, [members left]}. The last
 * member out releases the room's port for other chats.
 */
static const char voice_release_lua[] =
	"local room = redis.call('GET', KEYS[1])\n"
	"if not room or (ARGV[2] ~= '' and room ~= ARGV[2]) then return false end\n"
	"local rk, mk = 'voice_room:' .. room, 'voice_members:' .. room\n"
	"local info = redis.call('HGET', rk, 'u:' .. ARGV[1]) or ''\n"
	"local vip, port = redis.call('HGET', rk, 'vip') or '', redis.call('HGET', rk, 'port') or ''\n"
	"redis.call('DEL', KEYS[1])\n"
	"redis.call('SREM', mk, ARGV[1])\n"
	"redis.call('HDEL', rk, 'u:' .. ARGV[1])\n"
	"local members = redis.call('SMEMBERS', mk)\n"
	"if #members == 0 then\n"
	"  redis.call('DEL', rk)\n"
	"  local pk = 'voice_port:' .. vip .. ':' .. port\n"
	"  if redis.call('GET', pk) == room then redis.call('DEL', pk) end\n"
	"end\n"
	"return {room, info, vip, port, members}\n";

const char *vr_cp_script_text(enum vr_cp_script id)
{
	static const char *const texts[VR_CP_SCRIPT_MAX] = {
		[VR_CP_SCRIPT_APPEND] = append_lua,
		[VR_CP_SCRIPT_MODIFY] = modify_lua,
		[VR_CP_SCRIPT_HISTORY] = history_lua,
		[VR_CP_SCRIPT_JOIN] = join_lua,
		[VR_CP_SCRIPT_LEAVE] = leave_lua,
		[VR_CP_SCRIPT_LIST] = list_lua,
		[VR_CP_SCRIPT_PRESENCE] = presence_lua,
		[VR_CP_SCRIPT_PRESENCE_SET] = presence_set_lua,
		[VR_CP_SCRIPT_PRESENCE_GONE] = presence_gone_lua,
		[VR_CP_SCRIPT_VOICE_CLAIM] = voice_claim_lua,
		[VR_CP_SCRIPT_VOICE_RELEASE] = voice_release_lua,
	};

	return (unsigned)id < VR_CP_SCRIPT_MAX && texts[id] ? texts[id] : "return nil";
}

/* A script's error_reply tags and what the client is told. */
static const struct {
	const char *tag;
	enum vr_cp_error e;
	const char *msg;
} script_errors[] = {
	{"NOT_FOUND", VR_CP_E_NOT_FOUND, NULL},
	{"FORBIDDEN", VR_CP_E_FORBIDDEN, "only the author may change a message"},
	{"NO_PORT", VR_CP_E_VOICE_UNAVAILABLE, "no free voice port: every port tried holds another chat's room"},
	{"TAKEN", VR_CP_E_VOICE_UNAVAILABLE, "no SSRC free in the room"},
	{"IN_VOICE", VR_CP_E_VOICE_UNAVAILABLE, "joined a voice room meanwhile; retry"},
};

bool vr_cp_store_is_error(const redisReply *r, const char *tag)
{
	const char *p;
	size_t n = strlen(tag);

	if (!r || r->type != REDIS_REPLY_ERROR || !r->str)
		return false;
	p = strncmp(r->str, "ERR ", 4) == 0 ? r->str + 4 : r->str;
	return strncmp(p, tag, n) == 0 && (p[n] == 0 || p[n] == ' ');
}

enum vr_cp_error vr_cp_store_error(const redisReply *r, const char **msg)
{
	for (size_t i = 0; i < sizeof(script_errors) / sizeof(script_errors[0]); i++)
		if (vr_cp_store_is_error(r, script_errors[i].tag)) {
			if (msg)
				*msg = script_errors[i].msg;
			return script_errors[i].e;
		}
	if (msg)
		*msg = NULL;
	return VR_CP_E_STORE_UNAVAILABLE;
}
