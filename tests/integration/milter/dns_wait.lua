-- dns_wait.lua: one session whose RCPT needs a DNSRBL lookup that is
-- never answered: the milter answers with the failure action (a reply
-- code) after the lookup timeout. Run by postfix_milter_dns.sh.
local conn = mt.connect(os.getenv("MILTER_SOCK"), 20, 0.1)
if conn == nil then error("connect failed") end
mt.conninfo(conn, "client.example.org", os.getenv("CLIENT_IP"))
mt.mailfrom(conn, "<a@example.org>")
mt.rcptto(conn, "<b@example.net>")
if mt.getreply(conn) ~= SMFIR_REPLYCODE then
	error("not tempfailed")
end
mt.disconnect(conn)
print("PASS")
