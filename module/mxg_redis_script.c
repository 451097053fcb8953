/*
 * mxg_redis_script.c: the server-side Lua scripts of the redis store and
 * the SHA-1 that names them for EVALSHA.
 *
 * The decide script is mxg_grey.c's state machine (mxg_grey_step,
 * mxg_grey_white_check, mxg_grey_white_make) composed exactly as
 * mxg_store_tdb.c composes it, run by Redis atomically: one round trip,
 * no lost update between processes or hosts. Records are the same 32
 * bytes mxg_record_encode() writes ('<BBHI4i8i8i8': version, state,
 * reserved, hits, created, until, expire). Each written key gets a TTL of
 * expire - now (seconds, from the deciding host's clock), so Redis drops
 * dead records itself and no sweep is needed; a record whose expire is
 * not after now is deleted instead of written. Lua numbers are doubles:
 * exact for every time and count below 2^53.
 *
 * The reply is { reason, n, autowhite_until, bad }: n is the seconds left
 * for NEW/EARLY and the seconds since first sight for PASSED.
 *
 * Keep the script in step with mxg_grey.c: tests/unit/test_store_redis.c
 * replays scripted sequences against mxg_grey_step() and the tdb store.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mxg_redis.h"

static const char decide_lua[] =
    "local now = tonumber(ARGV[1])\n"
    "local delay = tonumber(ARGV[2])\n"
    "local aw = tonumber(ARGV[3])\n"
    "local timeout = tonumber(ARGV[4])\n"
    "local lazyaw = ARGV[5] == '1'\n"
    "local dryrun = ARGV[6] == '1'\n"
    "local F = '<BBHI4i8i8i8'\n"
    "local UMAX = 4294967295\n"
    "local tk, ik = KEYS[1], KEYS[2]\n"
    "local bad = 0\n"
    "local v, ver, s, h, c, u, e, _\n"
    "local function white(k)\n"
    "  if dryrun then return end\n"
    "  if u <= now then\n"
    "    redis.call('DEL', k)\n"
    "  else\n"
    "    redis.call('SET', k, struct.pack(F, 1, 2, 0, h, c, u, u),\n"
    "      'EX', u - now)\n"
    "  end\n"
    "end\n"
    "if lazyaw then\n"
    "  v = redis.call('GET', ik)\n"
    "  if v then\n"
    "    if #v == 32 then ver, s, _, h, c, u, e = struct.unpack(F, v) end\n"
    "    if #v ~= 32 or ver ~= 1 or (s ~= 1 and s ~= 2) then\n"
    "      bad = 2\n"
    "    elseif s == 2 and e > now then\n"
    "      if h < UMAX then h = h + 1 end\n"
    "      if u < now + aw then u = now + aw end\n"
    "      white(ik)\n"
    "      return { 4, 0, u, bad }\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local have = false\n"
    "v = redis.call('GET', tk)\n"
    "if v then\n"
    "  if #v == 32 then ver, s, _, h, c, u, e = struct.unpack(F, v) end\n"
    "  if #v ~= 32 or ver ~= 1 or (s ~= 1 and s ~= 2) then\n"
    "    bad = bad + 1\n"
    "  else\n"
    "    have = true\n"
    "  end\n"
    "end\n"
    "local reason, rem, awu, keep = 0, 0, 0, true\n"
    "if not have or e <= now then\n"
    "  s, h, c = 1, 1, now\n"
    "  u = now + (delay > 0 and delay or 0)\n"
    "  e = now + (timeout > delay and timeout or delay)\n"
    "  if delay > 0 then reason, rem = 1, delay end\n"
    "end\n"
    "if reason == 0 then\n"
    "  if h < UMAX then h = h + 1 end\n"
    "  if s == 1 and now < u then\n"
    "    reason, rem = 2, u - now\n"
    "    if rem > delay and delay > 0 then rem = delay end\n"
    "  elseif s == 1 then\n"
    "    reason = 3\n"
    "    if now > c then rem = now - c end\n"
    "    if aw <= 0 or lazyaw then\n"
    "      keep = false\n"
    "    else\n"
    "      s, u = 2, now + aw\n"
    "      e, awu = u, u\n"
    "    end\n"
    "  else\n"
    "    reason = 4\n"
    "    if u < now + aw then u = now + aw end\n"
    "    e, awu = u, u\n"
    "  end\n"
    "end\n"
    "if not dryrun then\n"
    "  if keep and e > now then\n"
    "    redis.call('SET', tk, struct.pack(F, 1, s, 0, h, c, u, e),\n"
    "      'EX', e - now)\n"
    "  elseif have then\n"
    "    redis.call('DEL', tk)\n"
    "  end\n"
    "end\n"
    "if lazyaw and reason == 3 and aw > 0 then\n"
    "  v = redis.call('GET', ik)\n"
    "  local live = false\n"
    "  if v and #v == 32 then\n"
    "    ver, s, _, h, c, u, e = struct.unpack(F, v)\n"
    "    live = ver == 1 and s == 2 and e > now\n"
    "  end\n"
    "  if not live then h, c, u = 0, now, now end\n"
    "  if h < UMAX then h = h + 1 end\n"
    "  if u < now + aw then u = now + aw end\n"
    "  white(ik)\n"
    "  awu = u\n"
    "end\n"
    "return { reason, rem, awu, bad }\n";

static const char delifeq_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
    "  return redis.call('DEL', KEYS[1])\n"
    "end\n"
    "return 0\n";

/* mxg_redis_script: see mxg_redis.h. */
const char *
mxg_redis_script(enum mxg_redis_script which)
{
	return which == MXG_REDIS_DELIFEQ ? delifeq_lua : decide_lua;
}

static uint32_t
rol(uint32_t v, int n)
{
	return (v << n) | (v >> (32 - n));
}

static void
sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	for (int i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

/* mxg_redis_sha1_hex: see mxg_redis.h (FIPS 180-4 SHA-1). */
void
mxg_redis_sha1_hex(const void *data, size_t len, char hex[41])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
		0xc3d2e1f0 };
	const unsigned char *p = data;
	unsigned char last[128];
	size_t rest = len % 64, n;
	uint64_t bits = (uint64_t)len * 8;

	for (size_t i = 0; i + 64 <= len; i += 64)
		sha1_block(h, p + i);
	memset(last, 0, sizeof(last));
	if (rest > 0)
		memcpy(last, p + len - rest, rest);
	last[rest] = 0x80;
	n = rest + 1 + 8 <= 64 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		last[n - 1 - i] = (unsigned char)(bits >> (8 * i));
	sha1_block(h, last);
	if (n == 128)
		sha1_block(h, last + 64);
	for (int i = 0; i < 5; i++)
		snprintf(hex + 8 * i, 9, "%08x", (unsigned)h[i]);
}
