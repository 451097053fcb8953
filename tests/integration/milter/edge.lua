-- edge.lua: miltertest script for mxgrey-milter edge cases.
-- The socket comes in the environment (MILTER_SOCK); rules in
-- postfix_milter_edge.sh.
local sock = os.getenv("MILTER_SOCK")

local function check(what, got, want)
	if got ~= want then
		error(what .. ": got " .. tostring(got) .. ", want " ..
		    tostring(want))
	end
	print("ok: " .. what)
end

local function open(ip)
	local conn = mt.connect(sock, 20, 0.1)
	if conn == nil then error("cannot connect to " .. sock) end
	-- the server's address, which X-Greylist names (milter-greylist
	-- reads {if_addr})
	mt.macro(conn, SMFIC_CONNECT, "{if_addr}", "198.51.100.25")
	if mt.conninfo(conn, "client.example.org", ip) ~= nil then
		error("conninfo failed")
	end
	return conn
end

-- 1. one greylisted and one whitelisted recipient in one message; the
-- message gets the "not delayed" X-Greylist header
local conn = open("192.0.2.1")
check("connect", mt.getreply(conn), SMFIR_CONTINUE)
mt.helo(conn, "client.example.org")
mt.mailfrom(conn, "<a@example.org>")
check("mail", mt.getreply(conn), SMFIR_CONTINUE)
mt.rcptto(conn, "<b@example.net>")
check("greylisted rcpt: reply code set", mt.getreply(conn), SMFIR_REPLYCODE)
mt.rcptto(conn, "<postmaster@example.net>")
check("whitelisted rcpt", mt.getreply(conn), SMFIR_CONTINUE)
mt.header(conn, "From", "a@example.org")
mt.header(conn, "Subject", "hello")
mt.bodystring(conn, "just text\r\n")
mt.eom(conn)
check("eom", mt.getreply(conn), SMFIR_CONTINUE)
check("X-Greylist inserted", mt.eom_check(conn, MT_HDRINSERT, "X-Greylist"),
    true)
local h = mt.getheader(conn, "X-Greylist", 0)
check("header text", h ~= nil and
    string.find(h, "^Sender IP whitelisted, not delayed by mxgrey%-") ~= nil,
    true)
check("header names the server", string.find(h, "%[198%.51%.100%.25%]") ~= nil,
    true)

-- 2. abort, then a new message on the same connection: blacklisted
-- sender whose text has a '%' (doubled for smfi_setreply; the reply
-- code must still be set; postfix_milter.sh checks the text Postfix
-- shows, which loses an undoubled '%')
mt.abort(conn)
mt.mailfrom(conn, "<pct@example.org>")
check("mail after abort", mt.getreply(conn), SMFIR_CONTINUE)
mt.rcptto(conn, "<b@example.net>")
check("blacklisted with %", mt.getreply(conn), SMFIR_REPLYCODE)
-- 3. dacl: a body rule blacklists the message at end of data
mt.abort(conn)
mt.mailfrom(conn, "<c@example.org>")
mt.rcptto(conn, "<postmaster@example.net>")
check("whitelisted rcpt 2", mt.getreply(conn), SMFIR_CONTINUE)
mt.header(conn, "Subject", "offer")
mt.bodystring(conn, "buy CHEAPPILLS now\r\n")
mt.eom(conn)
check("dacl body blacklist at eom", mt.getreply(conn), SMFIR_REPLYCODE)
check("no header on a refused message",
    mt.eom_check(conn, MT_HDRINSERT, "X-Greylist"), false)
mt.disconnect(conn)

-- 4. a connection without an IP address (local) is not greylisted
conn = open("unspec")
check("local connection accepted", mt.getreply(conn), SMFIR_ACCEPT)
mt.disconnect(conn)

-- 5. IPv6 client, greylisted
conn = open("2001:db8::7")
mt.mailfrom(conn, "<a@example.org>")
mt.rcptto(conn, "<b@example.net>")
check("v6 greylisted", mt.getreply(conn), SMFIR_REPLYCODE)
mt.disconnect(conn)

-- 6. many connections at once (one libmilter thread each)
local conns = {}
for i = 1, 20 do
	conns[i] = open("198.51.100." .. i)
	mt.mailfrom(conns[i], "<m" .. i .. "@example.org>")
end
for i = 1, 20 do
	mt.rcptto(conns[i], "<postmaster@example.net>")
	check("parallel conn " .. i, mt.getreply(conns[i]), SMFIR_CONTINUE)
end
for i = 1, 20 do mt.disconnect(conns[i]) end

-- 7. a rule with addheader and report: its header is added, its report
-- replaces the X-Greylist wording
conn = open("192.0.2.3")
mt.mailfrom(conn, "<a@example.org>")
mt.rcptto(conn, "<hdr@example.net>")
check("addheader rcpt", mt.getreply(conn), SMFIR_CONTINUE)
mt.header(conn, "Subject", "headers")
mt.bodystring(conn, "text\r\n")
mt.eom(conn)
check("eom 7", mt.getreply(conn), SMFIR_CONTINUE)
check("addheader added", mt.eom_check(conn, MT_HDRADD, "X-Mxgrey-Test",
    "rule 3 to hdr@example.net"), true)
check("report as X-Greylist", mt.getheader(conn, "X-Greylist", 0),
    "mxgrey report, rule 3")
mt.disconnect(conn)
print("PASS")
