-- soak.lua - the request mix of make soak (bench/soak.sh), for wrk.
--
-- Most requests are lookups (GET /m/lookup) of PDQ hashes taken in turn
-- from SOAK_QUERIES (one path a line: half near a bank hash, half random).
-- SOAK_WRITE_PCT percent are bank writes on SOAK_BANK: an item added (POST
-- /c/bank/B/signal, a random PDQ hash), or one added earlier deleted
-- (DELETE /c/bank/B/content/ID), about as many of each, so that the bank
-- keeps its size and memory can be watched for leaks rather than growth.
-- Lookups carry the matcher token (SOAK_MATCHER), writes the curator's.
--
-- wrk gives response() no link to its request, and a thread's connections
-- answer in any order: answers are told apart by their bodies ({"id": ..}
-- for an add, {"deleted": ..} for a delete, anything else a lookup).
-- done() prints one line that soak.sh reads:
--   soak-lua: lookups N adds N add_ok N deletes N delete_ok N non2xx N

local threads = {}

function setup(thread)
    thread:set("tid", #threads + 1)
    table.insert(threads, thread)
end

function init(args)
    paths = {}
    for line in io.lines(os.getenv("SOAK_QUERIES")) do
        paths[#paths + 1] = line
    end
    matcher = "Bearer " .. os.getenv("SOAK_MATCHER")
    curator = "Bearer " .. os.getenv("SOAK_CURATOR")
    bank = os.getenv("SOAK_BANK")
    write_pct = tonumber(os.getenv("SOAK_WRITE_PCT") or "5")
    math.randomseed(7919 * tid)
    i = tid * 97
    pending, npending = {}, 0 -- ids added and not yet deleted
    lookups, adds, add_ok, deletes, delete_ok, non2xx = 0, 0, 0, 0, 0, 0
end

local function hex64()
    local t = {}
    for k = 1, 16 do
        t[k] = string.format("%04x", math.random(0, 65535))
    end
    return table.concat(t)
end

function request()
    if math.random() * 100 < write_pct then
        if npending > 0 and math.random() < 0.5 then
            local id = pending[npending]
            pending[npending] = nil
            npending = npending - 1
            deletes = deletes + 1
            return wrk.format("DELETE", "/c/bank/" .. bank .. "/content/" .. id,
                              {["Authorization"] = curator})
        end
        adds = adds + 1
        return wrk.format("POST", "/c/bank/" .. bank .. "/signal",
                          {["Authorization"] = curator, ["Content-Type"] = "application/json"},
                          '{"pdq":"' .. hex64() .. '"}')
    end
    i = (i % #paths) + 1
    lookups = lookups + 1
    return wrk.format("GET", paths[i], {["Authorization"] = matcher})
end

function response(status, headers, body)
    if status < 200 or status > 299 then
        non2xx = non2xx + 1
        return
    end
    local id = string.match(body, '^{"id": *(%d+)')
    if id then
        add_ok = add_ok + 1
        npending = npending + 1
        pending[npending] = id
    elseif string.find(body, '"deleted"', 1, true) then
        delete_ok = delete_ok + 1
    end
end

function done(summary, latency, requests)
    local t = {lookups = 0, adds = 0, add_ok = 0, deletes = 0, delete_ok = 0, non2xx = 0}
    for _, thread in ipairs(threads) do
        for k, _ in pairs(t) do
            t[k] = t[k] + thread:get(k)
        end
    end
    io.write(string.format(
        "soak-lua: lookups %d adds %d add_ok %d deletes %d delete_ok %d non2xx %d\n",
        t.lookups, t.adds, t.add_ok, t.deletes, t.delete_ok, t.non2xx))
end
