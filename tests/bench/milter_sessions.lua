-- milter_sessions.lua: N milter sessions (connect, HELO, MAIL, RCPT,
-- close) against MILTER_SOCK, one after another, distinct tuples over
-- MILTER_TUPLES; run by tests/bench/milter_bench.sh, timed outside.
local sock = os.getenv("MILTER_SOCK")
local n = tonumber(os.getenv("MILTER_N") or "2000")
local k = tonumber(os.getenv("MILTER_TUPLES") or "500")
for i = 1, n do
	local t = i % k
	local conn = mt.connect(sock, 20, 0.05)
	if conn == nil then error("connect failed") end
	mt.conninfo(conn, "client.example.org",
	    "10.0." .. math.floor(t / 256) .. "." .. (t % 256))
	mt.helo(conn, "client.example.org")
	mt.mailfrom(conn, "<s" .. t .. "@example.org>")
	mt.rcptto(conn, "<r" .. t .. "@example.net>")
	if mt.getreply(conn) ~= SMFIR_REPLYCODE then
		error("session " .. i .. ": not greylisted")
	end
	mt.disconnect(conn)
end
