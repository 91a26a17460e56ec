-- wrk script: YCSB-like mix of GET and PUT of 1 KiB values over `records` keys (uniform).
-- usage: wrk -t2 -c64 -d20s -s bench/wrk/ycsb-mix.lua http://127.0.0.1:8080 -- <read-fraction> [records]
local read_fraction = 0.5
local records = 10000
local value = string.rep("x", 1024)

function init(args)
  if args[1] then read_fraction = tonumber(args[1]) end
  if args[2] then records = tonumber(args[2]) end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  local path = "/v1/kv/user:" .. math.random(0, records - 1)
  if math.random() < read_fraction then
    return wrk.format("GET", path)
  end
  return wrk.format("PUT", path, nil, value)
end
